// Docker's multiplexed stream framing (stdcopy): an 8-byte header
// [stream, 0, 0, 0, size uint32 BE] before each payload. Stream 0 = stdin,
// 1 = stdout, 2 = stderr, 3 = systemerr.
export const enum StreamId {
  Stdin = 0,
  Stdout = 1,
  Stderr = 2,
  SystemErr = 3,
}

export function frame(stream: StreamId, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Incrementally decode frames from a byte stream. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  push(chunk: Buffer, onFrame: (stream: number, payload: Buffer) => void): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      onFrame(this.pending[0]!, this.pending.subarray(8, 8 + size));
      this.pending = this.pending.subarray(8 + size);
    }
  }
}
