// tar-split: what it takes to rebuild a layer's original tar byte for byte
// from its unpacked files, so that the rebuilt tar has the layer's diffID
// (docker keeps the same kind of record, with the vbatts/tar-split library,
// for `docker save` of an image whose blobs are gone).
//
// The record is a gzip'd stream of JSON lines, in archive order:
//   {"m":"<base64>"}           bytes that are not regular file data
//   {"f":"<path>","n":<size>}  <size> bytes of data read from the unpacked file
//                              at <path> (root-relative, already resolved)

import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip } from 'node:zlib';
import type { Gzip } from 'node:zlib';
import type { WriteStream } from 'node:fs';
import { hostPath } from './paths.js';

const FLUSH_AT = 256 * 1024;

export class TarSplitWriter {
  private readonly gzip: Gzip;
  private readonly out: WriteStream;
  private meta: Buffer[] = [];
  private metaLength = 0;
  private lines: string[] = [];
  private linesLength = 0;
  private readonly done: Promise<void>;

  constructor(path: string) {
    // Fast level: the record is mostly tar headers, which compress well anyway.
    this.gzip = createGzip({ level: 1 });
    this.out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    this.gzip.pipe(this.out);
    this.done = new Promise((resolve, reject) => {
      this.out.on('close', resolve);
      this.out.on('error', reject);
      this.gzip.on('error', reject);
    });
    // Errors surface through close(); keep them from being unhandled meanwhile.
    this.done.catch(() => {});
  }

  /** Records non-file bytes (headers, padding...). Copied: the reader may reuse its buffers. */
  addMeta(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.meta.push(Buffer.from(bytes));
    this.metaLength += bytes.length;
    if (this.metaLength >= FLUSH_AT) this.flushMeta();
  }

  /** Records that `size` bytes of data come from the unpacked file at `rel`. */
  async addFile(rel: string, size: number): Promise<void> {
    this.flushMeta();
    this.pushLine(JSON.stringify({ f: rel, n: size }));
    if (this.linesLength >= FLUSH_AT) await this.flushLines();
  }

  private flushMeta(): void {
    if (this.metaLength === 0) return;
    this.pushLine(JSON.stringify({ m: Buffer.concat(this.meta, this.metaLength).toString('base64') }));
    this.meta = [];
    this.metaLength = 0;
  }

  private pushLine(line: string): void {
    this.lines.push(line);
    this.linesLength += line.length + 1;
  }

  private async flushLines(): Promise<void> {
    if (this.lines.length === 0) return;
    const text = this.lines.join('\n') + '\n';
    this.lines = [];
    this.linesLength = 0;
    if (!this.gzip.write(text)) await once(this.gzip, 'drain');
  }

  async close(): Promise<void> {
    this.flushMeta();
    await this.flushLines();
    this.gzip.end();
    await this.done;
  }

  abort(): void {
    this.gzip.destroy();
    this.out.destroy();
  }
}

interface Record {
  m?: string;
  f?: string;
  n?: number;
}

/** The original tar, rebuilt from a tar-split record and the unpacked files under `root`. */
export async function* reassembleTar(recordPath: string, root: string): AsyncGenerator<Buffer> {
  const lines = createInterface({ input: createReadStream(recordPath).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === '') continue;
    const record = JSON.parse(line) as Record;
    if (typeof record.m === 'string') {
      yield Buffer.from(record.m, 'base64');
    } else if (typeof record.f === 'string' && typeof record.n === 'number') {
      yield* readExactly(hostPath(root, record.f), record.n);
    } else {
      throw new Error(`corrupt tar-split record in ${recordPath}`);
    }
  }
}

async function* readExactly(path: string, size: number): AsyncGenerator<Buffer> {
  const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  try {
    let left = size;
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(left, 256 * 1024));
      const { bytesRead } = await handle.read(buf, 0, buf.length, size - left);
      if (bytesRead === 0) throw new Error(`${path}: file is shorter than the layer recorded`);
      left -= bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
