// Stream plumbing for the image operations: peek at magic bytes, undo a
// compression, count bytes, and tee one source into two consumers with
// backpressure (so a blob is hashed into the content store and unpacked into
// the layer store in one pass).
import { PassThrough, Readable, Transform, type Writable } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { invalidParameter } from '../common/errors.js';
import { compressionOf, type Compression } from './types.js';

/** Read the first bytes of a stream without losing them: returns them and a stream of everything. */
export async function peek(src: Readable, want = 8): Promise<{ head: Buffer; stream: Readable }> {
  const parts: Buffer[] = [];
  let length = 0;
  const iterator = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let ended = false;
  while (length < want) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    parts.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(parts);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const stream = Readable.from(rest(), { objectMode: false, highWaterMark: 1 << 20 });
  stream.once('close', () => {
    if (!src.destroyed) src.destroy();
  });
  return { head: head.subarray(0, Math.min(head.length, want)), stream };
}

/** The uncompressed bytes of `src` (gzip, zstd or plain), and which compression it had. */
export async function decompress(src: Readable): Promise<{ stream: Readable; compression: Compression }> {
  const { head, stream } = await peek(src, 6);
  const compression = compressionOf(head);
  if (compression === 'none') return { stream, compression };
  if (compression === 'bzip2' || compression === 'xz') {
    stream.destroy();
    throw invalidParameter(`unsupported compression format ${compression}`);
  }
  const decoder = compression === 'gzip' ? createGunzip({ chunkSize: 1 << 18 }) : createZstdDecompress({ chunkSize: 1 << 18 });
  stream.on('error', (err) => decoder.destroy(err));
  decoder.on('close', () => stream.destroy());
  stream.pipe(decoder);
  return { stream: decoder, compression };
}

/** Counts bytes going through. */
export class ByteCounter extends Transform {
  count = 0;
  constructor(private readonly onProgress?: (count: number) => void) {
    super({ highWaterMark: 1 << 20 });
    // Errors reach consumers through iteration; an 'error' with no listener would crash the daemon.
    this.on('error', () => undefined);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.count += chunk.length;
    this.onProgress?.(this.count);
    cb(null, chunk);
  }
}

/**
 * Send `src` to `sink` (a Writable such as a content-store BlobWriter) and
 * return a Readable of the same bytes for a second consumer. The source is
 * read as fast as the slower of the two takes it. An error on any side
 * reaches the others (the branch errors, the sink is destroyed).
 */
export function tee(src: Readable, sink: Writable): Readable {
  const branch = new PassThrough({ highWaterMark: 1 << 20 });
  const writable = (w: Writable, chunk: Buffer): Promise<void> | undefined => {
    if (w.destroyed) throw w.errored ?? new Error('stream closed early');
    if (w.write(chunk)) return undefined;
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        w.off('drain', done);
        w.off('close', closed);
        resolve();
      };
      const closed = (): void => {
        w.off('drain', done);
        reject(w.errored ?? new Error('stream closed early'));
      };
      w.on('drain', done);
      w.once('close', closed);
    });
  };
  void (async () => {
    try {
      for await (const chunk of src) {
        const b = chunk as Buffer;
        const waits = [writable(sink, b), writable(branch, b)].filter((p): p is Promise<void> => p !== undefined);
        if (waits.length) await Promise.all(waits);
      }
      sink.end();
      branch.end();
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      if (!src.destroyed) src.destroy(e);
      if (!sink.destroyed) sink.destroy(e);
      if (!branch.destroyed) branch.destroy(e);
    }
  })();
  return branch;
}

/** Wait until a writable has finished (or failed). */
export function finished(w: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    if (w.writableFinished) return resolve();
    w.once('finish', () => resolve());
    w.once('error', reject);
    w.once('close', () => {
      if (!w.writableFinished) reject(new Error('stream closed before finishing'));
    });
  });
}

/** Drain a stream into one buffer, refusing more than `limit` bytes. */
export async function readAllLimited(src: AsyncIterable<Buffer | Uint8Array>, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of src) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c);
    n += b.length;
    if (n > limit) throw invalidParameter(`${what} is too large (more than ${limit} bytes)`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Count the bytes of a stream without keeping them. */
export async function countBytes(src: AsyncIterable<Buffer | Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of src) n += c.length;
  return n;
}
