// An unpack worker: runs applyLayer() (decompression, diffID hashing, tar
// parsing, file writes, tar-split) for the layer store off the main thread,
// several jobs at once. Protocol in unpack-protocol.ts.
//
// A job's compressed bytes are used where they lie in the shared slots: a
// teeing job hashes them and writes them to the content store's file as
// each slot arrives, and the decompressor reads them in place; the slot goes
// back once the decompressor is done with it. Only a plain (uncompressed)
// tar is copied out of its slot, because the tar reader keeps slices of what
// it reads while the files are being written.
import { createHash, type Hash } from 'node:crypto';
import { writeSync } from 'node:fs';
import type { Transform } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { EngineError, errnoCode, errorMessage } from '../common/errors.js';
import { applyLayer } from './apply.js';
import { detectCompression, type Compression } from './compression.js';
import { TarFormatError } from './tar/header.js';
import { TarSplitWriter } from './tarsplit.js';
import { SLOT_SIZE, type FromWorker, type SerializedError, type TeeTarget, type ToWorker } from './unpack-protocol.js';

const port = parentPort;
if (port === null) throw new Error('unpack-worker.ts runs as a worker thread');
const send = (message: FromWorker): void => port.postMessage(message);

/** Bytes needed to tell the compression (detectCompression's longest magic). */
const MAGIC_BYTES = 6;
/**
 * Inflated chunk size: fewer, bigger chunks for the hash, the tar reader and
 * the file writes (inflate itself runs ~1.5x faster at 256 KiB than at 64 KiB).
 */
const INFLATE_CHUNK = 1 << 20;

function serialize(err: unknown): SerializedError {
  const out: SerializedError = { message: errorMessage(err) };
  if (err instanceof EngineError) out.kind = err.kind;
  if (err instanceof TarFormatError) {
    out.tarFormat = true;
    out.message = err.message.replace(/^archive\/tar: /, '');
  }
  const code = errnoCode(err);
  if (code !== undefined) out.code = code;
  return out;
}

/**
 * One job's input: slots as they arrive, teed and hashed, then decompressed
 * into `output` (the uncompressed tar) once the first bytes told how.
 */
class JobInput {
  private readonly hash: Hash | undefined;
  private position = 0;
  /** Slots that came before the compression was known. */
  private early: Array<{ slot: number; length: number }> = [];
  private earlyBytes = 0;
  private compression: Compression | undefined;
  private decoder: Transform | undefined;
  /** Slots written to the decoder that it has not called back yet. */
  private readonly decoding = new Set<number>();
  /** Plain tar: slots waiting for the reader (copied out and released as it takes them). */
  private readonly plain: Array<{ slot: number; length: number }> = [];
  private ended = false;
  /** The reader is done (the tar ended): slots still to come are only teed. */
  private drained = false;
  /** The reader failed (or the job was aborted): slots are only teed, if still teeing. */
  private error: Error | undefined;
  /** Teeing stopped (aborted, or the file write failed): the blob will have no digest. */
  private teeStopped = false;
  private wake: (() => void) | undefined;
  /** Resolves with the compression and the uncompressed bytes once the first bytes came (rejects on a refused format). */
  readonly ready: Promise<{ compression: Compression; output: AsyncIterable<Uint8Array> }>;
  private resolveReady!: (v: { compression: Compression; output: AsyncIterable<Uint8Array> }) => void;
  private rejectReady!: (err: Error) => void;
  /** Resolves once the input has ended (every byte teed), rejects when the job failed. */
  readonly ended$: Promise<void>;
  private resolveEnded!: () => void;
  private rejectEnded!: (err: Error) => void;

  constructor(
    private readonly id: number,
    private readonly buffer: SharedArrayBuffer,
    private readonly tee: TeeTarget | undefined,
  ) {
    this.hash = tee ? createHash('sha256') : undefined;
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
    this.ended$ = new Promise((resolve, reject) => {
      this.resolveEnded = resolve;
      this.rejectEnded = reject;
    });
    this.ended$.catch(() => undefined);
  }

  private view(slot: number, length: number): Uint8Array {
    return new Uint8Array(this.buffer, slot * SLOT_SIZE, length);
  }

  private release(slot: number): void {
    send({ t: 'slot', id: this.id, slot });
  }

  /** Whether the rest of the input is still written and hashed. */
  get teeing(): boolean {
    return this.tee !== undefined && !this.teeStopped;
  }

  data(slot: number, length: number): void {
    if (this.teeing) {
      const view = this.view(slot, length);
      try {
        this.hash!.update(view);
        for (let off = 0; off < length; ) off += writeSync(this.tee!.fd, view, off, length - off, this.position + off);
      } catch (err) {
        this.release(slot);
        this.abort(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.position += length;
    }
    if (this.error) return this.release(slot);
    if (this.compression === undefined) {
      this.early.push({ slot, length });
      this.earlyBytes += length;
      if (this.earlyBytes >= MAGIC_BYTES) this.detect();
      return;
    }
    this.route(slot, length);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.teeing) send({ t: 'blob', id: this.id, digest: `sha256:${this.hash!.digest('hex')}`, size: this.position });
    if (this.tee === undefined || this.teeing) this.resolveEnded();
    if (this.error) return;
    if (this.compression === undefined) this.detect();
    if (this.error) return;
    if (this.decoder) this.decoder.end();
    else this.wakeReader();
  }

  /** Stops everything, teeing included: the input will not be read to its end. */
  abort(err: Error): void {
    if (this.tee !== undefined && !this.teeStopped) {
      this.teeStopped = true;
      if (!this.ended) this.rejectEnded(err);
    } else if (this.tee === undefined) {
      this.rejectEnded(err);
    }
    this.fail(err);
  }

  /**
   * Stops the reader: applyLayer sees `err`, slots still held go back. A
   * teeing job goes on writing and hashing what comes, so the blob's digest
   * can tell whether the download was at fault (what the user is told then).
   */
  fail(err: Error): void {
    if (this.error) return;
    this.error = err;
    this.rejectReady(err);
    if (this.tee === undefined) this.rejectEnded(err);
    this.releaseHeld();
    this.decoder?.destroy(err);
    this.wakeReader();
  }

  private detect(): void {
    const head = Buffer.alloc(Math.min(MAGIC_BYTES, this.earlyBytes));
    let filled = 0;
    for (const s of this.early) {
      if (filled >= head.length) break;
      const view = this.view(s.slot, Math.min(s.length, head.length - filled));
      head.set(view, filled);
      filled += view.length;
    }
    try {
      this.compression = detectCompression(head);
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (this.compression === 'none') {
      this.resolveReady({ compression: 'none', output: this.plainChunks() });
    } else {
      const decoder: Transform =
        this.compression === 'gzip' ? createGunzip({ chunkSize: INFLATE_CHUNK }) : createZstdDecompress({ chunkSize: INFLATE_CHUNK });
      // Errors reach the reader through iteration.
      decoder.on('error', () => undefined);
      this.decoder = decoder;
      this.resolveReady({ compression: this.compression, output: decoder });
    }
    for (const s of this.early.splice(0)) this.route(s.slot, s.length);
  }

  /** The reader has what it needs (the archive ended before the input did): the rest is only teed. */
  drain(): void {
    this.drained = true;
    this.releaseHeld();
    this.decoder?.destroy();
  }

  /**
   * Gives back every slot the reader side holds. A destroyed decoder does
   * not call back every write it had; what it may still read of a slot
   * refilled meanwhile goes nowhere (its output is dropped).
   */
  private releaseHeld(): void {
    for (const s of this.early.splice(0)) this.release(s.slot);
    for (const s of this.plain.splice(0)) this.release(s.slot);
    for (const slot of this.decoding) this.release(slot);
    this.decoding.clear();
  }

  private route(slot: number, length: number): void {
    if (this.drained) return this.release(slot);
    const decoder = this.decoder;
    if (decoder === undefined) {
      this.plain.push({ slot, length });
      this.wakeReader();
      return;
    }
    // A stream that ended early (trailing bytes after the last gzip member) takes no more.
    if (decoder.destroyed || decoder.writableEnded) return this.release(slot);
    this.decoding.add(slot);
    decoder.write(this.view(slot, length), () => {
      if (this.decoding.delete(slot)) this.release(slot);
    });
  }

  private wakeReader(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async *plainChunks(): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.error) throw this.error;
      const next = this.plain.shift();
      if (next !== undefined) {
        // Copied out: the tar reader keeps slices while files are written, and the slot is refilled meanwhile.
        const chunk = Buffer.from(this.view(next.slot, next.length));
        this.release(next.slot);
        yield chunk;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

const jobs = new Map<number, JobInput>();

async function run(id: number, root: string, options: Extract<ToWorker, { t: 'start' }>['options'], input: JobInput): Promise<void> {
  const split = options.tarSplitPath !== undefined ? new TarSplitWriter(options.tarSplitPath) : undefined;
  try {
    const { compression, output } = await input.ready;
    const result = await applyLayer(output, root, {
      whiteouts: options.whiteouts,
      emptyRoot: options.emptyRoot,
      lowerDirs: options.lowerDirs,
      deferLowerChecks: options.deferLowerChecks,
      tarSplit: split,
      inputCompression: compression,
      onWarning: (message) => send({ t: 'warning', id, message }),
    });
    // Whatever follows the archive still belongs to the blob (and its digest).
    input.drain();
    await input.ended$;
    await split?.close();
    send({ t: 'done', id, result });
  } catch (err) {
    split?.abort();
    input.fail(err instanceof Error ? err : new Error(String(err)));
    // A teed blob is read to its end even so: a corrupt download fails as a
    // digest mismatch (dockerd's "verification failed"), not as a bad tar.
    if (input.teeing) await input.ended$.catch(() => undefined);
    send({ t: 'failed', id, error: serialize(err) });
  } finally {
    jobs.delete(id);
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'start': {
      const input = new JobInput(message.id, message.buffer, message.tee);
      jobs.set(message.id, input);
      void run(message.id, message.root, message.options, input);
      break;
    }
    case 'data':
      jobs.get(message.id)?.data(message.slot, message.length);
      break;
    case 'end':
      jobs.get(message.id)?.end();
      break;
    case 'abort':
      jobs.get(message.id)?.abort(new Error('unpack aborted'));
      break;
  }
});
