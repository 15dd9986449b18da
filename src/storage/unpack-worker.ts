// An unpack worker: runs applyLayer() (decompression, diffID hashing, tar
// parsing, file writes, tar-split) for the layer store off the main thread,
// several jobs at once; and gzips layers to push. Protocol in
// unpack-protocol.ts.
//
// A job's bytes come from the main thread's shared slots, from the worker's
// own download of the blob, or from a stored blob's file; downloads and
// files are read into slots the worker owns (nothing allocated per read).
// Wherever they lie, they are used in place: a teeing job hashes them and
// writes them to the content store's file as they arrive, the decompressor
// (zlib's synchronous entry point) inflates them into two reused buffers,
// and a slot goes back once the decompressor is done with it (a plain tar's
// once the tar reader asks for the next). Everything downstream keeps
// nothing past the next read (applyLayer with syncWrites writes each file's
// data as it comes), so the worker makes almost no garbage: buffers per read
// and per inflated chunk, held for asynchronous writes, had its small heap
// collected every ~100 ms.
import { createHash, type Hash } from 'node:crypto';
import { close, open, read, writeSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { connect as netConnect, isIP } from 'node:net';
import type { Transform } from 'node:stream';
import { connect as tlsConnect, rootCertificates } from 'node:tls';
import { parentPort } from 'node:worker_threads';
import { constants as zlibConstants, crc32, createDeflateRaw, createGunzip, createInflateRaw, createZstdDecompress } from 'node:zlib';
import { EngineError, errnoCode, errorMessage } from '../common/errors.js';
import { applyLayer } from './apply.js';
import { detectCompression, type Compression } from './compression.js';
import { TarFormatError } from './tar/header.js';
import { TarSplitWriter } from './tarsplit.js';
import { SLOT_SIZE, type BlobRequest, type FromWorker, type SerializedError, type TeeTarget, type ToWorker } from './unpack-protocol.js';

const port = parentPort;
if (port === null) throw new Error('unpack-worker.ts runs as a worker thread');
const send = (message: FromWorker): void => port.postMessage(message);

const EMPTY = Buffer.alloc(0);

/** An error worded and coded as zlib's. */
function zlibError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * A decompressor driven on this thread through zlib's synchronous entry
 * point (the one zlib.gunzipSync() uses: the stream object's handle and its
 * two-number state), into buffers we reuse. The stream API would allocate a
 * new buffer per output chunk (200 MB of them for a 200 MB layer) and run
 * each chunk through the thread pool; that churn alone set off a full
 * collection of the worker's heap every ~100 ms. When a future Node.js
 * lacks these internals, the stream API is used instead.
 */
interface SyncInflate {
  decoder: Transform;
  handle: { writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void };
  /** [bytes of output space left, bytes of input left] after each call. */
  state: Uint32Array;
  /** Ready for a new stream (the next gzip member). */
  reset: () => void;
  flushFlag: number;
  finishFlag: number;
  /** Input pieces not yet inflated; the first is inflated from `offset`. */
  queue: Piece[];
  offset: number;
  /** The stream has ended (or the job stopped): input that comes is not inflated. */
  done: boolean;
}

function syncInflateOf(decoder: Transform): SyncInflate | undefined {
  const internals = decoder as unknown as {
    _handle?: { writeSync?: unknown };
    _writeState?: unknown;
    _defaultFlushFlag?: unknown;
    _finishFlushFlag?: unknown;
    reset?: unknown;
  };
  const reset = internals.reset;
  if (typeof reset !== 'function') return undefined;
  const handle = internals._handle;
  const state = internals._writeState;
  if (typeof handle?.writeSync !== 'function' || !(state instanceof Uint32Array) || state.length < 2) return undefined;
  if (typeof internals._defaultFlushFlag !== 'number' || typeof internals._finishFlushFlag !== 'number') return undefined;
  return {
    decoder,
    handle: handle as SyncInflate['handle'],
    state,
    reset: () => void reset.call(decoder),
    flushFlag: internals._defaultFlushFlag,
    finishFlag: internals._finishFlushFlag,
    queue: [],
    offset: 0,
    done: false,
  };
}

/** A download's progress is reported every this many bytes. */
const PROGRESS_STEP = 1 << 20;
/** Bytes needed to tell the compression (detectCompression's longest magic). */
const MAGIC_BYTES = 6;
/**
 * Inflated chunk size: inflate runs ~1.5x faster at 256 KiB than at 64 KiB
 * (fewer threadpool round trips), and bigger chunks would only keep more
 * memory alive (see RING_SLOTS).
 */
const INFLATE_CHUNK = 256 << 10;


/** A download that failed without an answer: where, and what the socket said. */
class FetchError extends Error {
  constructor(
    readonly url: string,
    readonly failure: unknown,
  ) {
    super(errorMessage(failure));
  }
}

function serialize(err: unknown): SerializedError {
  const cause = err instanceof FetchError ? err.failure : err;
  const out: SerializedError = { message: errorMessage(cause) };
  if (cause instanceof EngineError) out.kind = cause.kind;
  if (cause instanceof TarFormatError) {
    out.tarFormat = true;
    out.message = cause.message.replace(/^archive\/tar: /, '');
  }
  const code = errnoCode(cause);
  if (code !== undefined) out.code = code;
  if (err instanceof FetchError) {
    const e = (cause ?? {}) as { address?: unknown; port?: unknown; hostname?: unknown };
    out.fetch = {
      url: err.url,
      ...(typeof e.address === 'string' ? { address: e.address } : {}),
      ...(typeof e.port === 'number' ? { port: e.port } : {}),
      ...(typeof e.hostname === 'string' ? { hostname: e.hostname } : {}),
    };
  }
  return out;
}

/** Bytes handed to the job, and how to give them back (a slot to the main thread, room to a download). */
/**
 * One inflate call: the queue's head piece (from z.offset) into out[produced..]. A piece used up is
 * released and leaves the queue. Returns the input it was given and what the call left of input and
 * output space; `check` throws when the call failed (zlib reports on the decoder).
 */
function inflateHead(z: SyncInflate, piece: Piece, out: Buffer, produced: number, check: () => void): { inLength: number; availIn: number; availOut: number } {
  const inLength = piece.bytes.length - z.offset;
  z.handle.writeSync(z.flushFlag, piece.bytes, z.offset, inLength, out, produced, out.length - produced);
  check();
  const availOut = z.state[0]!;
  const availIn = z.state[1]!;
  z.offset += inLength - availIn;
  if (availIn === 0) {
    z.queue.shift();
    z.offset = 0;
    piece.release();
  }
  return { inLength, availIn, availOut };
}

interface Piece {
  bytes: Uint8Array;
  release: () => void;
  /** The job may keep `bytes` (a download's buffer); otherwise they are copied before being kept. */
  owned: boolean;
}

/**
 * One job's input: pieces as they arrive, teed and hashed, then decompressed
 * into the uncompressed tar once the first bytes told how.
 */
class JobInput {
  private readonly hash: Hash | undefined;
  private position = 0;
  /** Pieces that came before the compression was known. */
  private early: Piece[] = [];
  private earlyBytes = 0;
  private compression: Compression | undefined;
  private decoder: Transform | undefined;
  /** Inflating on this thread into our own buffers (see SyncInflate); the decoder is then only its holder. */
  private inflate: SyncInflate | undefined;
  /** Pieces written to the decoder that it has not called back yet. */
  private readonly decoding = new Set<Piece>();
  /** Plain tar: pieces waiting for the reader (given back as it takes them). */
  private readonly plain: Piece[] = [];
  private ended = false;
  /** The reader is done (the tar ended): pieces still to come are only teed. */
  private drained = false;
  /** The reader failed (or the job was aborted): pieces are only teed, if still teeing. */
  private error: Error | undefined;
  /** Teeing stopped (aborted, or the file write failed): the blob will have no digest. */
  private teeStopped = false;
  private wake: (() => void) | undefined;
  /** Called when the job is aborted (a download closes its connection). */
  onAbort: ((err: Error) => void) | undefined;
  /** A download's progress (bytes in, bytes taken in by the unpack), reported every PROGRESS_STEP and at the end. */
  private progress: { read: number; consumed: number; sentRead: number; sentConsumed: number } | undefined;
  /** Resolves with the compression and the uncompressed bytes once the first bytes came (rejects on a refused format). */
  readonly ready: Promise<{ compression: Compression; output: AsyncIterable<Uint8Array> }>;
  private resolveReady!: (v: { compression: Compression; output: AsyncIterable<Uint8Array> }) => void;
  private rejectReady!: (err: Error) => void;
  /** Resolves once the input has ended (every byte teed), rejects when it will not. */
  readonly ended$: Promise<void>;
  private resolveEnded!: () => void;
  private rejectEnded!: (err: Error) => void;
  /** Set while a download waits for the main thread's word on an answer that was not the blob. */
  refetch: { resolve: (request: BlobRequest) => void; reject: (err: Error) => void } | undefined;

  constructor(
    readonly id: number,
    readonly buffer: SharedArrayBuffer | undefined,
    private readonly tee: TeeTarget | undefined,
    /** The input is a plain tar whatever its first bytes (a layer to compress). */
    plain = false,
  ) {
    this.hash = tee ? createHash('sha256') : undefined;
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
    if (plain) {
      this.compression = 'none';
      this.resolveReady({ compression: 'none', output: this.plainChunks() });
    }
    this.ended$ = new Promise((resolve, reject) => {
      this.resolveEnded = resolve;
      this.rejectEnded = reject;
    });
    this.ended$.catch(() => undefined);
  }

  /** Whether the rest of the input is still written and hashed. */
  get teeing(): boolean {
    return this.tee !== undefined && !this.teeStopped;
  }

  get failed(): boolean {
    return this.error !== undefined;
  }

  /** A slot of the shared buffer, filled by the main thread. */
  slot(slot: number, length: number): void {
    if (this.buffer === undefined) return;
    this.data({ bytes: new Uint8Array(this.buffer, slot * SLOT_SIZE, length), release: () => send({ t: 'slot', id: this.id, slot }), owned: false });
  }

  /** Reports progress messages for this job's pieces (a download: the main thread sees no bytes). */
  reportProgress(): void {
    this.progress = { read: 0, consumed: 0, sentRead: 0, sentConsumed: 0 };
  }

  private sendProgress(force: boolean): void {
    const p = this.progress!;
    if (!force && p.read - p.sentRead < PROGRESS_STEP && p.consumed - p.sentConsumed < PROGRESS_STEP) return;
    if (p.read === p.sentRead && p.consumed === p.sentConsumed) return;
    p.sentRead = p.read;
    p.sentConsumed = p.consumed;
    send({ t: 'progress', id: this.id, read: p.read, consumed: p.consumed });
  }

  data(piece: Piece): void {
    if (this.progress) {
      const p = this.progress;
      const length = piece.bytes.length;
      p.read += length;
      const release = piece.release;
      let released = false;
      piece = {
        ...piece,
        release: () => {
          if (released) return;
          released = true;
          p.consumed += length;
          release();
          this.sendProgress(this.ended && p.consumed === p.read);
        },
      };
      this.sendProgress(false);
    }
    if (this.teeing) {
      const { bytes } = piece;
      try {
        this.hash!.update(bytes);
        for (let off = 0; off < bytes.length; ) off += writeSync(this.tee!.fd, bytes, off, bytes.length - off, this.position + off);
      } catch (err) {
        piece.release();
        this.abort(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.position += bytes.length;
    }
    if (this.error) return piece.release();
    if (this.compression === undefined) {
      this.early.push(piece);
      this.earlyBytes += piece.bytes.length;
      if (this.earlyBytes >= MAGIC_BYTES) this.detect();
      return;
    }
    this.route(piece);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.progress) this.sendProgress(true);
    if (this.teeing) send({ t: 'blob', id: this.id, digest: `sha256:${this.hash!.digest('hex')}`, size: this.position });
    if (this.tee === undefined || this.teeing) this.resolveEnded();
    if (this.error) return;
    if (this.compression === undefined) this.detect();
    if (this.error) return;
    if (this.decoder && !this.inflate) this.decoder.end();
    else this.wakeReader();
  }

  /** Stops everything, teeing included: the input will not be read to its end. */
  abort(err: Error): void {
    if (!this.teeStopped) {
      this.teeStopped = true;
      if (!this.ended) this.rejectEnded(err);
    }
    this.refetch?.reject(err);
    this.refetch = undefined;
    this.onAbort?.(err);
    this.fail(err);
  }

  /**
   * Stops the reader: applyLayer sees `err`, pieces still held go back. A
   * teeing job goes on writing and hashing what comes, so the blob's digest
   * can tell whether the download was at fault (what the user is told then).
   */
  fail(err: Error): void {
    if (this.error) return;
    this.error = err;
    this.rejectReady(err);
    if (this.tee === undefined) this.rejectEnded(err);
    // Nothing is teed: the rest of a download is not needed.
    if (!this.teeing) this.onAbort?.(err);
    this.releaseHeld();
    this.decoder?.destroy(err);
    this.wakeReader();
  }

  /** The reader has what it needs (the archive ended before the input did): the rest is only teed. */
  drain(): void {
    this.drained = true;
    this.releaseHeld();
    this.decoder?.destroy();
  }

  /**
   * Gives back every piece the reader side holds. A destroyed decoder does
   * not call back every write it had; what it may still read of a slot
   * refilled meanwhile goes nowhere (its output is dropped).
   */
  private releaseHeld(): void {
    for (const p of this.early.splice(0)) p.release();
    for (const p of this.plain.splice(0)) p.release();
    for (const p of this.decoding) p.release();
    this.decoding.clear();
    if (this.inflate) {
      for (const p of this.inflate.queue.splice(0)) p.release();
      this.inflate.offset = 0;
    }
  }

  private detect(): void {
    const head = Buffer.alloc(Math.min(MAGIC_BYTES, this.earlyBytes));
    let filled = 0;
    for (const p of this.early) {
      if (filled >= head.length) break;
      const part = p.bytes.subarray(0, head.length - filled);
      head.set(part, filled);
      filled += part.length;
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
      const gzip = this.compression === 'gzip';
      // gzip's framing is read here and its deflate data inflated raw (see inflatedGzip).
      const raw = gzip ? createInflateRaw({ chunkSize: INFLATE_CHUNK }) : createZstdDecompress({ chunkSize: INFLATE_CHUNK });
      raw.on('error', () => undefined);
      const sync = syncInflateOf(raw);
      if (sync) {
        this.decoder = raw;
        this.inflate = sync;
        this.resolveReady({ compression: this.compression, output: gzip ? this.inflatedGzip(sync) : this.inflated(sync) });
      } else {
        raw.destroy();
        const decoder: Transform = gzip ? createGunzip({ chunkSize: INFLATE_CHUNK }) : createZstdDecompress({ chunkSize: INFLATE_CHUNK });
        // Errors reach the reader through iteration.
        decoder.on('error', () => undefined);
        this.decoder = decoder;
        this.resolveReady({ compression: this.compression, output: decoder });
      }
    }
    for (const p of this.early.splice(0)) this.route(p);
  }

  private route(piece: Piece): void {
    if (this.drained) return piece.release();
    if (this.inflate) {
      if (this.inflate.done) return piece.release();
      this.inflate.queue.push(piece);
      this.wakeReader();
      return;
    }
    const decoder = this.decoder;
    if (decoder === undefined) {
      this.plain.push(piece);
      this.wakeReader();
      return;
    }
    // A stream that ended early (trailing bytes after the last gzip member) takes no more.
    if (decoder.destroyed || decoder.writableEnded) return piece.release();
    this.decoding.add(piece);
    decoder.write(piece.bytes, () => {
      if (this.decoding.delete(piece)) piece.release();
    });
  }

  private wakeReader(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /**
   * The inflated bytes, in two buffers used in turn: a chunk stays valid
   * while the next one is read, not after (applyLayer with syncWrites, the
   * tar reader and tar-split keep nothing longer, see their notes).
   */
  private async *inflated(z: SyncInflate): AsyncGenerator<Buffer> {
    const buffers = [Buffer.allocUnsafeSlow(INFLATE_CHUNK), Buffer.allocUnsafeSlow(INFLATE_CHUNK)];
    const check = (): void => {
      if (z.decoder.destroyed) throw this.error ?? z.decoder.errored ?? new Error('decompression failed');
    };
    try {
      for (let turn = 0; ; turn ^= 1) {
        if (this.error) throw this.error;
        const out = buffers[turn]!;
        let produced = 0;
        let streamEnd = false;
        while (produced < out.length) {
          const piece = z.queue[0];
          if (piece === undefined) {
            if (!this.ended) {
              // Hand over what there is rather than wait with it.
              if (produced > 0) break;
              await new Promise<void>((resolve) => (this.wake = resolve));
              if (this.error) throw this.error;
              continue;
            }
            // The input is over: finish the stream (an error if it is cut short).
            z.handle.writeSync(z.finishFlag, EMPTY, 0, 0, out, produced, out.length - produced);
            check();
            const availOut = z.state[0]!;
            produced = out.length - availOut;
            if (availOut > 0) {
              streamEnd = true;
              break;
            }
            continue;
          }
          const { availIn, availOut } = inflateHead(z, piece, out, produced, check);
          produced = out.length - availOut;
          if (availIn > 0 && availOut > 0) {
            // The stream ended before its input (zeros padding the last member): the rest is not inflated.
            z.done = true;
            for (const p of z.queue.splice(0)) p.release();
            z.offset = 0;
            streamEnd = true;
            break;
          }
        }
        if (produced > 0) yield out.subarray(0, produced);
        if (streamEnd) return;
      }
    } finally {
      z.done = true;
      z.decoder.destroy();
    }
  }

  /**
   * A gzip stream (RFC 1952), its members' headers and trailers read here
   * and their deflate data inflated raw: gunzip's CRC-32 of every output byte
   * was a tenth of a pull's CPU time, and says nothing the diffID (sha256 of
   * the same bytes, checked against the image config) does not. The length
   * in each trailer is checked. As gunzip: members may follow one another,
   * zeros after the last are padding, anything else is an error.
   */
  private async *inflatedGzip(z: SyncInflate): AsyncGenerator<Buffer> {
    const buffers = [Buffer.allocUnsafeSlow(INFLATE_CHUNK), Buffer.allocUnsafeSlow(INFLATE_CHUNK)];
    const check = (): void => {
      if (z.decoder.destroyed) throw this.error ?? z.decoder.errored ?? new Error('decompression failed');
    };
    /** The next input byte (consumed unless peeking); undefined at the end of the input. */
    const nextByte = async (peek = false): Promise<number | undefined> => {
      for (;;) {
        if (this.error) throw this.error;
        const piece = z.queue[0];
        if (piece !== undefined) {
          const byte = piece.bytes[z.offset]!;
          if (!peek && ++z.offset >= piece.bytes.length) {
            z.queue.shift();
            z.offset = 0;
            piece.release();
          }
          return byte;
        }
        if (this.ended) return undefined;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    };
    const needByte = async (): Promise<number> => {
      const byte = await nextByte();
      if (byte === undefined) throw zlibError('unexpected end of file', 'Z_BUF_ERROR');
      return byte;
    };
    const header = async (): Promise<void> => {
      if ((await needByte()) !== 0x1f || (await needByte()) !== 0x8b) throw zlibError('incorrect header check', 'Z_DATA_ERROR');
      if ((await needByte()) !== 8) throw zlibError('unknown compression method', 'Z_DATA_ERROR');
      const flags = await needByte();
      if (flags & 0xe0) throw zlibError('unknown header flags set', 'Z_DATA_ERROR');
      for (let i = 0; i < 6; i++) await needByte(); // MTIME, XFL, OS
      if (flags & 0x04) {
        const length = (await needByte()) | ((await needByte()) << 8);
        for (let i = 0; i < length; i++) await needByte(); // FEXTRA
      }
      if (flags & 0x08) while ((await needByte()) !== 0); // FNAME
      if (flags & 0x10) while ((await needByte()) !== 0); // FCOMMENT
      if (flags & 0x02) for (let i = 0; i < 2; i++) await needByte(); // FHCRC
    };
    try {
      await header();
      let turn = 0;
      let memberLength = 0;
      for (;;) {
        // Deflate data, until it ends.
        let memberEnd = false;
        while (!memberEnd) {
          if (this.error) throw this.error;
          const out = buffers[turn]!;
          let produced = 0;
          while (produced < out.length) {
            const piece = z.queue[0];
            if (piece === undefined) {
              if (this.ended) throw zlibError('unexpected end of file', 'Z_BUF_ERROR');
              // Hand over what there is rather than wait with it.
              if (produced > 0) break;
              await new Promise<void>((resolve) => (this.wake = resolve));
              if (this.error) throw this.error;
              continue;
            }
            const before = produced;
            const { inLength, availIn, availOut } = inflateHead(z, piece, out, produced, check);
            produced = out.length - availOut;
            // Input left with room for output, or nothing taken at all: the deflate stream has ended.
            if ((availIn > 0 && availOut > 0) || (availIn === inLength && produced === before)) {
              memberEnd = true;
              break;
            }
          }
          memberLength = (memberLength + produced) % 0x1_0000_0000;
          if (produced > 0) {
            turn ^= 1;
            yield out.subarray(0, produced);
          }
        }
        // The trailer: CRC-32 (not checked, see above), then the length mod 2^32.
        for (let i = 0; i < 4; i++) await needByte();
        let length = 0;
        for (let i = 0; i < 4; i++) length += (await needByte()) * 2 ** (8 * i);
        if (length !== memberLength) throw zlibError('incorrect length check', 'Z_DATA_ERROR');
        // Another member, padding, or the end.
        const next = await nextByte(true);
        if (next === undefined) return;
        if (next === 0) {
          z.done = true;
          for (const p of z.queue.splice(0)) p.release();
          z.offset = 0;
          return;
        }
        z.reset();
        memberLength = 0;
        await header();
      }
    } finally {
      z.done = true;
      z.decoder.destroy();
    }
  }

  /**
   * A plain tar's pieces as they are, each given back when the next is asked
   * for: the reader (applyLayer with syncWrites) keeps nothing of a chunk
   * past the next read.
   */
  private async *plainChunks(): AsyncGenerator<Buffer> {
    let previous: Piece | undefined;
    try {
      for (;;) {
        previous?.release();
        previous = undefined;
        if (this.error) throw this.error;
        const next = this.plain.shift();
        if (next !== undefined) {
          previous = next;
          const { bytes } = next;
          yield Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      previous?.release();
    }
  }
}

// --- downloads -------------------------------------------------------------------------
//
// A blob is read from its socket straight into a ring of slots the job owns
// (net/tls `onread` with a buffer function: the kernel copies into the slot,
// nothing is allocated per read), and each full slot goes to the job as a
// piece, given back once inflated. The socket is paused while no slot is
// free. HTTP/1.1 by hand, for this one request shape: GET, `Connection:
// close`, a Content-Length body. Anything else a registry may answer (a
// chunked body) is read again through node:http, which allocates per read.

/**
 * A download's slots. Few and small: V8 counts live ArrayBuffers against a
 * heap limit (~20-40 MiB for a worker's small heap), and a worker holding
 * more than that between collections collects its whole heap over and over.
 */
const RING_SLOTS = 4;
const RING_SLOT = 256 << 10;
/** Longest response head accepted. */
const MAX_HEAD = 64 << 10;
/** Without a byte for this long, a download fails as Go's client (and undici) would time it out. */
const IDLE_TIMEOUT_MS = 300_000;

/** The slots a download reads into, used in turn. */
class SlotRing {
  private readonly memory: ArrayBuffer;
  private readonly free: number[];

  constructor(readonly count: number) {
    this.memory = new ArrayBuffer(count * RING_SLOT);
    this.free = Array.from({ length: count }, (_, i) => i);
  }

  take(): number | undefined {
    return this.free.shift();
  }

  give(slot: number): void {
    this.free.push(slot);
  }

  view(slot: number, start = 0, end = RING_SLOT): Uint8Array {
    return new Uint8Array(this.memory, slot * RING_SLOT + start, end - start);
  }
}

type RawOutcome =
  | { kind: 'done' }
  | { kind: 'redirect'; location: string }
  | { kind: 'answer'; status: number; headers: Record<string, string | string[]>; body: string }
  /** A 2xx body without a Content-Length (chunked): to be read another way. */
  | { kind: 'unframed' };

function parseHead(head: string): { status: number; headers: Record<string, string | string[]> } | undefined {
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const headers: Record<string, string | string[]> = {};
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers[name];
    headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return { status: Number(m[1]), headers };
}

const firstHeader = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * One GET on a connection of its own. A 2xx with a Content-Length streams
 * into `job` (resolves 'done' once every byte is in a piece); a redirect, or
 * any other answer (its body as text), is returned for the caller.
 */
function rawGet(url: URL, headers: Record<string, string>, tls: BlobRequest['tls'], ring: SlotRing, job: JobInput): Promise<RawOutcome> {
  return new Promise<RawOutcome>((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const port = Number(url.port) || (secure ? 443 : 80);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const scratch = Buffer.allocUnsafe(64 << 10);
    let settled = false;
    let phase: 'head' | 'body' | 'text' | 'over' = 'head';
    /** The slot being filled, where in it the current piece starts, how far it is filled. */
    let slot: number | undefined = ring.take();
    let start = 0;
    let fill = 0;
    let paused = false;
    /** Bytes that came while no slot was free (TLS hands over every record it decrypted, paused or not). */
    const overflow: Buffer[] = [];
    let checkEof = (): void => undefined;
    let remaining = 0;
    let status = 0;
    let answerHeaders: Record<string, string | string[]> = {};
    const text: Buffer[] = [];
    let textBytes = 0;

    const finish = (outcome: RawOutcome | Error): void => {
      if (settled) return;
      settled = true;
      phase = 'over';
      socket.destroy();
      if (slot !== undefined) ring.give(slot);
      slot = undefined;
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const fail = (err: unknown): void => finish(new FetchError(url.toString(), err));

    /** Hands the bytes of the current slot since `start` to the job. */
    const dispatch = (): void => {
      if (slot === undefined || fill === start) return;
      const held = slot;
      const bytes = ring.view(held, start, fill);
      let released = false;
      job.data({
        bytes,
        owned: false,
        release: () => {
          if (released) return;
          released = true;
          ring.give(held);
          if (paused && phase === 'body') {
            slot = ring.take();
            start = fill = 0;
            while (overflow.length > 0 && slot !== undefined && !settled) {
              const rest = absorb(overflow.shift()!);
              if (rest) overflow.unshift(rest);
            }
            if (slot !== undefined && !settled) {
              paused = false;
              socket.resume();
            }
            checkEof();
          }
        },
      });
      slot = ring.take();
      start = fill = 0;
      if (slot === undefined && phase === 'body' && !paused) {
        paused = true;
        socket.pause();
      }
    };

    /** Copies bytes that are not in a slot into slots; returns what did not fit (no slot free). */
    const absorb = (data: Uint8Array): Buffer | undefined => {
      for (let off = 0; off < data.length && !settled; ) {
        if (slot === undefined) return Buffer.from(data.subarray(off));
        const n = Math.min(data.length - off, RING_SLOT - fill);
        ring.view(slot, fill, fill + n).set(data.subarray(off, off + n));
        off += n;
        arrived(n);
      }
      return undefined;
    };

    /** Bytes that arrived (already in the slot at `fill`, `n` of them). */
    const arrived = (n: number): void => {
      if (phase === 'head') {
        fill += n;
        const head = ring.view(slot!, 0, fill);
        const end = Buffer.from(head.buffer, head.byteOffset, head.byteLength).indexOf('\r\n\r\n');
        if (end < 0) {
          if (fill >= MAX_HEAD) fail(new Error('malformed HTTP response: head too long'));
          return;
        }
        const parsed = parseHead(Buffer.from(head.buffer, head.byteOffset, end).toString('latin1'));
        if (!parsed) return fail(new Error('malformed HTTP response'));
        const bodyStart = end + 4;
        if (parsed.status >= 100 && parsed.status < 200) {
          // An interim answer (103): the real one follows.
          ring.view(slot!, 0, fill - bodyStart).set(ring.view(slot!, bodyStart, fill));
          fill -= bodyStart;
          return arrived(0);
        }
        status = parsed.status;
        answerHeaders = parsed.headers;
        const location = firstHeader(parsed.headers.location);
        if (REDIRECTS.has(status) && location) return finish({ kind: 'redirect', location });
        const length = firstHeader(parsed.headers['content-length']);
        const chunked = /chunked/i.test(String(parsed.headers['transfer-encoding'] ?? ''));
        if (status === 200 || status === 206) {
          if (chunked || length === undefined || !/^\d+$/.test(length)) return finish({ kind: 'unframed' });
          phase = 'body';
          remaining = Number(length);
          start = bodyStart;
          const have = fill - bodyStart;
          fill = bodyStart;
          return arrived(have);
        }
        phase = 'text';
        remaining = chunked || length === undefined ? MAX_HEAD * 16 : Number(length);
        const have = fill - bodyStart;
        const body = ring.view(slot!, bodyStart, fill);
        fill = 0;
        return textArrived(Buffer.from(body).subarray(0, have));
      }
      if (phase === 'body') {
        const take = Math.min(n, remaining);
        fill += take;
        remaining -= take;
        if (remaining === 0) {
          dispatch();
          finish({ kind: 'done' });
        } else if (fill === RING_SLOT) {
          dispatch();
        }
      }
    };

    const textArrived = (bytes: Buffer): void => {
      const take = bytes.subarray(0, Math.min(bytes.length, remaining));
      remaining -= take.length;
      if (textBytes < 1 << 20) {
        text.push(Buffer.from(take));
        textBytes += take.length;
      }
      if (remaining === 0) finish({ kind: 'answer', status, headers: answerHeaders, body: Buffer.concat(text).toString('utf8') });
    };

    const onread = {
      // Where the next read lands: the rest of the slot being filled.
      buffer: (): Uint8Array => (slot !== undefined && phase !== 'text' && fill < RING_SLOT ? ring.view(slot, fill) : scratch),
      // (Returns true: pausing is done with socket.pause(), not by this answer.)
      callback: (nread: number, buf: Uint8Array): boolean => {
        if (settled) return true;
        if (phase === 'text') {
          textArrived(Buffer.from(buf.buffer, buf.byteOffset, nread));
          return true;
        }
        if (buf.buffer === scratch.buffer) {
          // Read while no slot was free (a pause not yet in effect): copy it in, or keep it for later.
          const data = scratch.subarray(0, nread);
          if (overflow.length > 0) overflow.push(Buffer.from(data));
          else {
            const rest = absorb(data);
            if (rest) overflow.push(rest);
          }
          return true;
        }
        arrived(nread);
        return true;
      },
    };
    const options = { host, port, onread };
    const socket = secure
      ? tlsConnect({
          ...options,
          ...(isIP(host) ? {} : { servername: host }),
          ALPNProtocols: ['http/1.1'],
          rejectUnauthorized: !tls?.insecureSkipVerify,
          ...(tls?.ca?.length ? { ca: [...rootCertificates, ...tls.ca] } : {}),
          ...(tls?.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
        })
      : netConnect(options);
    job.onAbort = (err) => finish(err);
    socket.setTimeout(IDLE_TIMEOUT_MS, () =>
      fail(Object.assign(new Error('timeout'), { code: phase === 'head' ? 'UND_ERR_HEADERS_TIMEOUT' : 'UND_ERR_BODY_TIMEOUT' })),
    );
    socket.on('error', fail);
    // The connection ended: fine after the last byte (already finished), or
    // for an answer read to its end; else a body cut short, once what came
    // before the end (kept while no slot was free) has gone in.
    let eof = false;
    checkEof = (): void => {
      if (settled || !eof) return;
      if (phase === 'text') return finish({ kind: 'answer', status, headers: answerHeaders, body: Buffer.concat(text).toString('utf8') });
      if (overflow.length === 0) fail(Object.assign(new Error('unexpected EOF'), { code: 'UND_ERR_SOCKET' }));
    };
    socket.on('end', () => {
      eof = true;
      checkEof();
    });
    socket.on('close', () => {
      eof = true;
      checkEof();
    });
    const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, 'Connection: close'];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  });
}

/** A body without a Content-Length, through node:http (a buffer per read, but chunked decoding). */
function bufferedGet(url: URL, headers: Record<string, string>, tls: BlobRequest['tls'], job: JobInput): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const agentOptions = secure
      ? {
          rejectUnauthorized: !tls?.insecureSkipVerify,
          ...(tls?.ca?.length ? { ca: [...rootCertificates, ...tls.ca] } : {}),
          ...(tls?.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
        }
      : {};
    const req = (secure ? https : http).get(url, { headers, agent: false, ...agentOptions }, (res) => {
      job.onAbort = (err) => res.destroy(err);
      let pending = 0;
      let paused = false;
      res.on('data', (chunk: Buffer) => {
        pending += chunk.length;
        let released = false;
        job.data({
          bytes: chunk,
          owned: true,
          release: () => {
            if (released) return;
            released = true;
            pending -= chunk.length;
            if (paused && pending < RING_SLOT * 2) {
              paused = false;
              res.resume();
            }
          },
        });
        if (!paused && pending >= RING_SLOT * RING_SLOTS) {
          paused = true;
          res.pause();
        }
      });
      res.once('end', () => resolve());
      res.once('error', (err) => reject(new FetchError(url.toString(), err)));
      res.once('close', () => {
        if (!res.complete) reject(new FetchError(url.toString(), Object.assign(new Error('unexpected EOF'), { code: 'UND_ERR_SOCKET' })));
      });
    });
    job.onAbort = (err) => req.destroy(err);
    req.on('error', (err) => reject(new FetchError(url.toString(), err)));
  });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Downloads the job's blob into it: redirects followed (the registry's
 * credentials to its own origin only), any answer that is not the blob
 * handed to the main thread, which words the error or gives a request to
 * try instead (fresh credentials). A failure aborts the job.
 */
async function download(request: BlobRequest, job: JobInput): Promise<void> {
  const ring = new SlotRing(RING_SLOTS);
  let current = request;
  try {
    for (;;) {
      let url = new URL(current.url);
      let outcome: RawOutcome;
      for (let hop = 0; ; hop++) {
        const headers = url.origin === current.origin ? current.headers : current.otherHeaders;
        outcome = await rawGet(url, headers, current.tls, ring, job);
        if (outcome.kind !== 'redirect') break;
        if (hop >= 10) throw new FetchError(url.toString(), new Error('stopped after 10 redirects'));
        url = new URL(outcome.location, url);
      }
      if (outcome.kind === 'unframed') {
        await bufferedGet(url, url.origin === current.origin ? current.headers : current.otherHeaders, current.tls, job);
        outcome = { kind: 'done' };
      }
      if (outcome.kind === 'done') {
        job.end();
        return;
      }
      if (outcome.kind !== 'answer') continue;
      const next = new Promise<BlobRequest>((resolve, reject) => (job.refetch = { resolve, reject }));
      send({ t: 'answer', id: job.id, answer: { status: outcome.status, headers: outcome.headers, body: outcome.body, url: url.toString() } });
      current = await next;
      job.refetch = undefined;
    }
  } catch (err) {
    job.abort(err instanceof Error ? err : new Error(String(err)));
  }
}

// --- stored blobs ----------------------------------------------------------------------

function readAt(fd: number, into: Uint8Array, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, into, 0, into.length, position, (err, n) => (err ? reject(err) : resolve(n))));
}

/** Reads a stored blob into the job through a ring of slots, each read again once the unpack gave it back. */
async function readFile(path: string, job: JobInput): Promise<void> {
  const ring = new SlotRing(RING_SLOTS);
  let fd: number | undefined;
  let waiting: (() => void) | undefined;
  let stopped = false;
  job.onAbort = () => {
    stopped = true;
    waiting?.();
  };
  try {
    fd = await new Promise<number>((resolve, reject) => open(path, 'r', (err, n) => (err ? reject(err) : resolve(n))));
    for (let position = 0; !stopped; ) {
      let slot = ring.take();
      while (slot === undefined && !stopped) {
        await new Promise<void>((resolve) => (waiting = resolve));
        waiting = undefined;
        slot = ring.take();
      }
      if (slot === undefined) break;
      const n = await readAt(fd, ring.view(slot), position);
      if (n === 0 || stopped) {
        ring.give(slot);
        break;
      }
      position += n;
      const held = slot;
      let released = false;
      job.data({
        bytes: ring.view(held, 0, n),
        owned: false,
        release: () => {
          if (released) return;
          released = true;
          ring.give(held);
          const w = waiting;
          waiting = undefined;
          w?.();
        },
      });
    }
    if (!stopped) job.end();
  } catch (err) {
    job.abort(err instanceof Error ? err : new Error(String(err)));
  } finally {
    if (fd !== undefined) close(fd, () => undefined);
  }
}

// --- compression -----------------------------------------------------------------------

/** Input bytes per decision between deflating and storing. */
const COMPRESS_WINDOW = 256 << 10;
/** Bytes per byte above which a window is stored rather than deflated (random and compressed data: ~8). */
const INCOMPRESSIBLE_BITS = 7.5;

/** Shannon entropy, bits per byte, of every 16th byte of `bytes`: cheap, and enough to tell random data from the rest. */
function sampledEntropy(bytes: Uint8Array): number {
  const counts = new Uint32Array(256);
  let n = 0;
  for (let i = 0; i < bytes.length; i += 16) {
    counts[bytes[i]!]!++;
    n++;
  }
  let bits = 0;
  for (const c of counts) {
    if (c === 0) continue;
    const p = c / n;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * Gzips a layer into `fd` and hashes what is written, in one pass on this
 * thread (zlib's synchronous entry point, one output buffer, written as it
 * fills). Each 256 KiB of input is deflated at level 1, or stored when its
 * bytes look random: zlib's level 1 takes ~35 ms per MiB of random data
 * (already-compressed files in a layer) for nothing, against ~3 ms to store
 * it. The gzip framing is written here around raw deflate data, whose level
 * can change between windows (deflateParams after a sync flush).
 */
async function compressInto(input: JobInput, fd: number): Promise<{ digest: string; size: number }> {
  const deflater = createDeflateRaw({ level: 1 });
  deflater.on('error', () => undefined);
  const z = syncInflateOf(deflater);
  const params = (deflater as unknown as { _handle?: { params?: (level: number, strategy: number) => void } })._handle?.params;
  if (!z || typeof params !== 'function') throw new Error('zlib has no synchronous deflate here');
  const handle = (deflater as unknown as { _handle: { params(level: number, strategy: number): void } })._handle;
  const hash = createHash('sha256');
  const out = Buffer.allocUnsafeSlow(INFLATE_CHUNK);
  let size = 0;
  const emit = (bytes: Uint8Array): void => {
    hash.update(bytes);
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off, size + off);
    size += bytes.length;
  };
  /** Deflates `bytes` (all of them) with `flush`, writing out what comes. */
  const run = (bytes: Uint8Array, flush: number): void => {
    let offset = 0;
    let length = bytes.length;
    for (;;) {
      z.handle.writeSync(flush, bytes, offset, length, out, 0, out.length);
      if (deflater.destroyed) throw deflater.errored ?? new Error('compression failed');
      const availOut = z.state[0]!;
      const availIn = z.state[1]!;
      if (availOut < out.length) emit(out.subarray(0, out.length - availOut));
      offset += length - availIn;
      length = availIn;
      if (availOut !== 0) return;
    }
  };
  try {
    // RFC 1952 header: deflate, no flags, no time, unknown OS (as Go's gzip writes it).
    emit(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]));
    let crc = 0;
    let inputSize = 0;
    let level = 1;
    const { output } = await input.ready;
    for await (const chunk of output) {
      for (let off = 0; off < chunk.length; off += COMPRESS_WINDOW) {
        const window = chunk.subarray(off, off + COMPRESS_WINDOW);
        const wanted = sampledEntropy(window) > INCOMPRESSIBLE_BITS ? 0 : 1;
        if (wanted !== level) {
          // Everything so far out of the compressor first: deflateParams then has nothing left to write.
          run(EMPTY, zlibConstants.Z_SYNC_FLUSH);
          handle.params(wanted, zlibConstants.Z_DEFAULT_STRATEGY);
          if (deflater.destroyed) throw deflater.errored ?? new Error('compression failed');
          level = wanted;
        }
        run(window, z.flushFlag);
        crc = crc32(window, crc);
        inputSize += window.length;
      }
    }
    run(EMPTY, z.finishFlag);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE(inputSize % 0x1_0000_0000, 4);
    emit(trailer);
    return { digest: `sha256:${hash.digest('hex')}`, size };
  } finally {
    deflater.destroy();
  }
}

// --- jobs ------------------------------------------------------------------------------

const jobs = new Map<number, JobInput>();

async function run(message: Extract<ToWorker, { t: 'start' }>, input: JobInput): Promise<void> {
  const { id, root, options } = message;
  const split = options.tarSplitPath !== undefined ? new TarSplitWriter(options.tarSplitPath) : undefined;
  if (message.fetch) {
    input.reportProgress();
    void download(message.fetch, input);
  } else if (message.file) {
    input.reportProgress();
    void readFile(message.file.path, input);
  }
  try {
    const { compression, output } = await input.ready;
    const result = await applyLayer(output, root, {
      whiteouts: options.whiteouts,
      emptyRoot: options.emptyRoot,
      lowerDirs: options.lowerDirs,
      deferLowerChecks: options.deferLowerChecks,
      tarSplit: split,
      inputCompression: compression,
      syncWrites: true,
      // A plain tar stored under its digest: that is its diff ID, verified when it was stored.
      ...(message.file && compression === 'none' ? { knownDiffId: message.file.digest } : {}),
      onWarning: (warning) => send({ t: 'warning', id, message: warning }),
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
    let failure = err;
    if (input.teeing) await input.ended$.catch((e: unknown) => (failure = e instanceof FetchError ? e : failure));
    send({ t: 'failed', id, error: serialize(failure) });
  } finally {
    jobs.delete(id);
  }
}

async function runCompress(message: Extract<ToWorker, { t: 'compress' }>, input: JobInput): Promise<void> {
  if (message.file) {
    input.reportProgress();
    void readFile(message.file.path, input);
  }
  try {
    const result = await compressInto(input, message.out.fd);
    await input.ended$;
    send({ t: 'compressed', id: message.id, ...result });
  } catch (err) {
    input.abort(err instanceof Error ? err : new Error(String(err)));
    send({ t: 'failed', id: message.id, error: serialize(err) });
  } finally {
    jobs.delete(message.id);
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'compress': {
      const input = new JobInput(message.id, message.buffer, undefined, true);
      jobs.set(message.id, input);
      void runCompress(message, input);
      break;
    }
    case 'start': {
      const input = new JobInput(message.id, message.buffer, message.tee);
      jobs.set(message.id, input);
      void run(message, input);
      break;
    }
    case 'data':
      jobs.get(message.id)?.slot(message.slot, message.length);
      break;
    case 'end':
      jobs.get(message.id)?.end();
      break;
    case 'refetch': {
      const job = jobs.get(message.id);
      job?.refetch?.resolve(message.fetch);
      break;
    }
    case 'abort':
      jobs.get(message.id)?.abort(new Error('unpack aborted'));
      break;
  }
});
