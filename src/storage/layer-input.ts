// A layer blob on its way from a download into two stores in one pass: its
// bytes are unpacked into the layer store and, as they go by, written to an
// open content-store file and hashed, so that the compressed digest is
// computed once and the bytes are never copied for a second consumer.
//
// Whoever reads the input does the writing and hashing: an unpack worker
// (unpacker.ts hands it the file descriptor; the worker has the bytes in hand
// anyway, and with a `remote` it downloads them itself, so that they never
// pass through this thread), or, when the input is iterated on this thread
// (no workers, or a layer that already exists and whose input is only
// checked), the iterator below. Either way the sink's accept() hears the digest and size once the
// input has ended, and the unpack does not succeed unless it accepts them:
// a blob that does not match its digest never yields a registered layer.
import { createHash } from 'node:crypto';
import { createReadStream, write } from 'node:fs';
import type { BlobAnswer, BlobRequest } from './unpack-protocol.js';

/** Where a teed blob's bytes go, and who judges them. */
export interface BlobSink {
  /** An open file the bytes are written to, each at its offset in the blob. */
  readonly fd: number;
  /**
   * The sha256 digest (`sha256:<hex>`) and size of every byte that went
   * through, once the input ended. Rejects to refuse them (a digest
   * mismatch): the unpack then fails with that error. The unpack waits for
   * the verdict only: making the blob durable may go on after.
   */
  accept(blob: { digest: string; size: number }): Promise<void>;
}

/** A blob a worker thread may download itself instead of reading `source` (see unpack-protocol.ts). */
export interface RemoteSource {
  /** The first request: URL, headers (credentials for the registry's origin only), TLS settings. */
  request: BlobRequest;
  /** An answer that is not the blob: resolves to the request to try instead (fresh credentials), or rejects with the error to report. */
  onAnswer(answer: BlobAnswer): Promise<BlobRequest>;
  /** A download that failed without an answer (refused, reset...): the error to report. */
  transportError(url: string, cause: Error): Error;
}

export interface TeedLayerInputOptions {
  /** Lets a worker download the blob itself; `source` is read only when the input is read on this thread. */
  remote?: RemoteSource;
  /** Bytes of the blob read from the source so far (download progress). */
  onRead?: (bytes: number) => void;
  /** Bytes of the blob the unpack has taken in so far (extraction progress). */
  onConsumed?: (bytes: number) => void;
}

function writeAt(fd: number, chunk: Uint8Array, position: number): Promise<number> {
  return new Promise((resolve, reject) => write(fd, chunk, 0, chunk.length, position, (err, n) => (err ? reject(err) : resolve(n))));
}

export class TeedLayerInput implements AsyncIterable<Uint8Array> {
  /**
   * True once the sink accepted the blob; false when the reader stopped
   * before the end for reasons of its own (a bad tar) or never began
   * (abandon()); rejects when the source failed or the sink refused the blob.
   */
  readonly stored: Promise<boolean>;
  private resolveStored!: (accepted: boolean) => void;
  private rejectStored!: (err: unknown) => void;
  private claimed = false;
  private settled = false;

  constructor(
    /** The blob's bytes as they arrive (a response body; opened when first read, if it has a remote). */
    readonly source: AsyncIterable<Uint8Array>,
    readonly sink: BlobSink,
    readonly options: TeedLayerInputOptions = {},
  ) {
    this.stored = new Promise<boolean>((resolve, reject) => {
      this.resolveStored = resolve;
      this.rejectStored = reject;
    });
    this.stored.catch(() => undefined);
  }

  /** Takes the input for reading: it can be read once. */
  claim(): void {
    if (this.claimed) throw new Error('layer input read twice');
    this.claimed = true;
  }

  /** For the reader, once the input has ended: hands the digest and size to the sink; rejects when it refuses them. */
  async complete(blob: { digest: string; size: number }): Promise<void> {
    try {
      await this.sink.accept(blob);
    } catch (err) {
      this.fail(err);
      throw err;
    }
    this.settle(true);
  }

  /** For the reader whose source failed (a broken download). */
  fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectStored(err);
  }

  /** For the reader that stopped before the end for reasons of its own (the unpack failed). */
  stop(): void {
    this.settle(false);
  }

  /** Nobody is going to read it (the unpack failed before it began): closes the source. */
  abandon(): void {
    if (this.claimed) return;
    this.claimed = true;
    const iterator = this.source[Symbol.asyncIterator]();
    void iterator.return?.()?.catch(() => undefined);
    this.settle(false);
  }

  private settle(accepted: boolean): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveStored(accepted);
  }

  /** Reading on this thread: writes and hashes here. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    this.claim();
    const hash = createHash('sha256');
    const iterator = this.source[Symbol.asyncIterator]();
    let size = 0;
    let ended = false;
    try {
      for (;;) {
        let next: IteratorResult<Uint8Array>;
        try {
          next = await iterator.next();
          if (next.done) break;
          const chunk = next.value;
          hash.update(chunk);
          for (let off = 0; off < chunk.length; ) off += await writeAt(this.sink.fd, chunk.subarray(off), size + off);
          size += chunk.length;
        } catch (err) {
          this.fail(err);
          throw err;
        }
        this.options.onRead?.(size);
        yield next.value;
        this.options.onConsumed?.(size);
      }
      ended = true;
      await this.complete({ digest: `sha256:${hash.digest('hex')}`, size });
    } finally {
      if (!ended) {
        // The consumer stopped asking (a bad tar), or the source failed: close it.
        await iterator.return?.()?.catch(() => undefined);
        this.stop();
      }
    }
  }
}

/**
 * A blob already stored under its digest (a loaded layer, a pulled blob
 * unpacked again), for an unpack: a worker reads the file itself, into its
 * own slots, so that its bytes never pass through this thread; and a plain
 * tar stored under its diff ID is not hashed a second time (it was, on its
 * way into the content store). Iterated here, it is simply read.
 */
export class StoredLayerInput implements AsyncIterable<Uint8Array> {
  constructor(
    /** The blob's file. */
    readonly path: string,
    /** The digest it is stored under (`sha256:<hex>`), verified when it was stored. */
    readonly digest: string,
    readonly options: { onConsumed?: (bytes: number) => void } = {},
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    let consumed = 0;
    for await (const chunk of createReadStream(this.path, { highWaterMark: 1 << 20 })) {
      const bytes = chunk as Buffer;
      yield bytes;
      consumed += bytes.length;
      this.options.onConsumed?.(consumed);
    }
  }
}
