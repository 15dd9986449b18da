// The content store: immutable blobs addressed by their sha256 digest, as
// containerd keeps them. Layer blobs are stored as pulled or loaded (usually
// compressed), so push and save send the original bytes and digests always
// match; manifests, indexes and image configs live here too.
//
// Layout under <data-root>/content:
//   blobs/sha256/<hex>   committed blobs (read-only, 0444)
//   ingest/<random>      blobs being written; removed at open (crash leftovers)
//
// A blob is only ever visible under blobs/ complete and verified: it is
// written to an ingest file while its digest is computed, fsync'd, checked
// against the expected digest and size, then renamed into place (rename is
// atomic) and the directory fsync'd. A BlobIngest is the same for bytes that
// another thread writes and hashes (a pull's unpack worker, which has them in
// hand anyway): commit() checks the digest and size it is told, against the
// expectation, before anything moves into place.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import * as fsCallbacks from 'node:fs';
import { createReadStream, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errnoCode, invalidParameter, notFound } from '../common/errors.js';
import { fsyncDir } from '../common/fsutil.js';

export interface BlobInfo {
  digest: string;
  size: number;
}

const digestPattern = /^sha256:[a-f0-9]{64}$/;

export function isSha256Digest(s: string): boolean {
  return digestPattern.test(s);
}

/** `sha256:<hex>` of some bytes. */
export function sha256Digest(data: string | Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

function hexOf(digest: string): string {
  if (!digestPattern.test(digest)) throw invalidParameter(`invalid digest: ${digest}`);
  return digest.slice(7);
}

export interface WriteExpectation {
  /** Reject the blob unless its content has this digest. */
  digest?: string;
  /** Reject the blob unless it has exactly this many bytes. */
  size?: number;
}

/** Thrown when the bytes written do not match the expected digest or size. */
export class DigestMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`digest mismatch: expected ${expected}, got ${actual}`);
    this.name = 'DigestMismatchError';
  }
}

/**
 * A blob being written. Write bytes to it (it is a Writable, so streams can be
 * piped into it), then `commit()`; `abort()` discards it. The digest is
 * computed while writing, so committing costs one fsync and one rename.
 */
export class BlobWriter extends Writable {
  private readonly hash: Hash = createHash('sha256');
  private written = 0;
  private finished = false;
  private done = false;

  constructor(
    private readonly store: ContentStore,
    private readonly fh: FileHandle,
    private readonly ingestPath: string,
    private readonly expect: WriteExpectation,
  ) {
    super({ highWaterMark: 1 << 20 });
    // A writer destroyed with an error (a client that hung up mid-upload) must
    // not crash the daemon: the error is kept in `errored` and commit() reports it.
    this.on('error', () => undefined);
  }

  get bytesWritten(): number {
    return this.written;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.hash.update(chunk);
    this.written += chunk.length;
    if (this.expect.size !== undefined && this.written > this.expect.size) {
      cb(new Error(`blob larger than expected: more than ${this.expect.size} bytes`));
      return;
    }
    this.fh.write(chunk).then(() => cb(), cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    const bufs = chunks.map((c) => c.chunk);
    for (const b of bufs) {
      this.hash.update(b);
      this.written += b.length;
    }
    if (this.expect.size !== undefined && this.written > this.expect.size) {
      cb(new Error(`blob larger than expected: more than ${this.expect.size} bytes`));
      return;
    }
    this.fh.writev(bufs).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.finished = true;
    cb();
  }

  /** Finish writing (if not yet ended), verify, fsync and move into place. */
  async commit(): Promise<BlobInfo> {
    if (this.done) throw new Error('blob writer already committed or aborted');
    if (!this.finished) {
      await new Promise<void>((resolve, reject) => {
        if (this.errored) return reject(this.errored);
        if (this.destroyed) return reject(new Error('blob write was aborted'));
        this.once('error', reject);
        this.once('close', () => reject(new Error('blob write was aborted')));
        this.once('finish', () => resolve());
        if (!this.writableEnded) this.end();
      });
    }
    this.done = true;
    const digest = 'sha256:' + this.hash.digest('hex');
    try {
      if (this.expect.size !== undefined && this.written !== this.expect.size) {
        throw new Error(`blob size mismatch: expected ${this.expect.size} bytes, got ${this.written}`);
      }
      if (this.expect.digest !== undefined && this.expect.digest !== digest) {
        throw new DigestMismatchError(this.expect.digest, digest);
      }
      await this.fh.sync();
      await this.fh.close();
      await this.store.commitIngest(this.ingestPath, digest);
    } catch (err) {
      await this.fh.close().catch(() => undefined);
      await fs.rm(this.ingestPath, { force: true });
      throw err;
    }
    return { digest, size: this.written };
  }

  /** Drop what was written. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    if (!this.destroyed) this.destroy();
    await this.fh.close().catch(() => undefined);
    await fs.rm(this.ingestPath, { force: true });
  }
}

/**
 * A blob whose bytes someone else writes and hashes: an open ingest file
 * (`fd`, written at explicit positions, for instance by an unpack worker that
 * has the same bytes in hand) that `commit()` accepts once told what digest
 * and size went into it. The same rules as BlobWriter: nothing is visible
 * under blobs/ before the expectation was checked, the file fsync'd and
 * renamed into place.
 */
export class BlobIngest {
  private done = false;

  constructor(
    private readonly store: ContentStore,
    readonly fd: number,
    private readonly ingestPath: string,
    readonly expect: WriteExpectation,
  ) {}

  /** Checks what was written (`actual`, computed by the writer) against the expectation, then fsyncs and moves the blob into place. */
  async commit(actual: BlobInfo): Promise<BlobInfo> {
    if (this.done) throw new Error('blob ingest already committed or aborted');
    this.done = true;
    try {
      if (this.expect.size !== undefined && actual.size !== this.expect.size) {
        throw new Error(`blob size mismatch: expected ${this.expect.size} bytes, got ${actual.size}`);
      }
      if (this.expect.digest !== undefined && this.expect.digest !== actual.digest) {
        throw new DigestMismatchError(this.expect.digest, actual.digest);
      }
      hexOf(actual.digest);
      // The writer's word on the size, checked against the file.
      const st = await fdCall<fsCallbacks.Stats>((cb) => fsCallbacks.fstat(this.fd, cb));
      if (st.size !== actual.size) throw new Error(`blob size mismatch: ${actual.size} bytes hashed, ${st.size} written`);
      await fdCall<void>((cb) => fsCallbacks.fsync(this.fd, cb));
      await fdCall<void>((cb) => fsCallbacks.close(this.fd, cb));
      await this.store.commitIngest(this.ingestPath, actual.digest);
    } catch (err) {
      await fdCall<void>((cb) => fsCallbacks.close(this.fd, cb)).catch(() => undefined);
      await fs.rm(this.ingestPath, { force: true });
      throw err;
    }
    return actual;
  }

  /** Drops what was written. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await fdCall<void>((cb) => fsCallbacks.close(this.fd, cb)).catch(() => undefined);
    await fs.rm(this.ingestPath, { force: true });
  }
}

function fdCall<T>(run: (done: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))));
}

export class ContentStore {
  private readonly blobDir: string;
  private readonly ingestDir: string;

  private constructor(readonly root: string) {
    this.blobDir = path.join(root, 'blobs', 'sha256');
    this.ingestDir = path.join(root, 'ingest');
  }

  /** Open (creating) the store at `root`; ingest files left by a crash are removed. */
  static async open(root: string): Promise<ContentStore> {
    const store = new ContentStore(root);
    await fs.mkdir(store.blobDir, { recursive: true, mode: 0o700 });
    await fs.rm(store.ingestDir, { recursive: true, force: true });
    await fs.mkdir(store.ingestDir, { recursive: true, mode: 0o700 });
    return store;
  }

  /** Filesystem path of a committed blob (for zero-copy reads such as sendfile). */
  blobPath(digest: string): string {
    return path.join(this.blobDir, hexOf(digest));
  }

  async has(digest: string): Promise<boolean> {
    return (await this.info(digest)) !== undefined;
  }

  async info(digest: string): Promise<BlobInfo | undefined> {
    try {
      const st = await fs.stat(this.blobPath(digest));
      return { digest, size: st.size };
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** A stream of the blob's bytes; throws not-found when absent. */
  async get(digest: string, range?: { start: number; end?: number }): Promise<Readable> {
    const file = this.blobPath(digest);
    const fh = await fs.open(file, 'r').catch((err: unknown) => {
      if (errnoCode(err) === 'ENOENT') throw notFound(`content digest ${digest}: not found`);
      throw err;
    });
    return createReadStream('', { fd: fh, highWaterMark: 1 << 20, start: range?.start, end: range?.end });
  }

  async readAll(digest: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.blobPath(digest));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw notFound(`content digest ${digest}: not found`);
      throw err;
    }
  }

  /** Start writing a blob; see BlobWriter. */
  async writer(expect: WriteExpectation = {}): Promise<BlobWriter> {
    if (expect.digest !== undefined) hexOf(expect.digest);
    const ingestPath = path.join(this.ingestDir, randomBytes(12).toString('hex'));
    const fh = await fs.open(ingestPath, 'wx', 0o600);
    return new BlobWriter(this, fh, ingestPath, expect);
  }

  /** Start a blob that another writer fills through a file descriptor; see BlobIngest. */
  async ingest(expect: WriteExpectation = {}): Promise<BlobIngest> {
    if (expect.digest !== undefined) hexOf(expect.digest);
    const ingestPath = path.join(this.ingestDir, randomBytes(12).toString('hex'));
    const fd = await fdCall<number>((cb) => fsCallbacks.open(ingestPath, 'wx', 0o600, cb));
    return new BlobIngest(this, fd, ingestPath, expect);
  }

  /** Store bytes in one call. */
  async put(data: Uint8Array | string, expect: WriteExpectation = {}): Promise<BlobInfo> {
    const digest = sha256Digest(data);
    if (expect.digest !== undefined && expect.digest !== digest) throw new DigestMismatchError(expect.digest, digest);
    if (await this.has(digest)) return { digest, size: Buffer.byteLength(data) };
    const w = await this.writer({ ...expect, digest });
    try {
      w.write(data);
      return await w.commit();
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  /** Store a stream; the stream is consumed fully. */
  async putStream(src: Readable, expect: WriteExpectation = {}): Promise<BlobInfo> {
    const w = await this.writer(expect);
    try {
      await pipeline(src, w);
      return await w.commit();
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  /** Remove a blob; absent blobs are not an error. */
  async delete(digest: string): Promise<void> {
    const file = this.blobPath(digest);
    await fs.rm(file, { force: true });
  }

  /** Every committed blob, for garbage collection and disk usage. */
  async *walk(): AsyncGenerator<BlobInfo> {
    let names: string[];
    try {
      names = await fs.readdir(this.blobDir);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    for (const name of names) {
      if (!/^[a-f0-9]{64}$/.test(name)) continue;
      try {
        const st = await fs.stat(path.join(this.blobDir, name));
        yield { digest: `sha256:${name}`, size: st.size };
      } catch {
        // removed meanwhile
      }
    }
  }

  /** Called by BlobWriter.commit: move a verified ingest file into place. */
  async commitIngest(ingestPath: string, digest: string): Promise<void> {
    const target = this.blobPath(digest);
    await fs.chmod(ingestPath, 0o444);
    // An existing blob has the same bytes (same digest): renaming over it is harmless.
    await fs.rename(ingestPath, target);
    await fsyncDir(this.blobDir);
  }
}
