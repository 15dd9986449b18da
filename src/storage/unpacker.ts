// Unpacks layers (and gzips layers to push) on worker threads
// (unpack-worker.ts): decompressing, hashing, parsing and writing a layer
// on the main thread stalled every API request meanwhile, and its buffers
// kept the main heap's garbage collector busy. What the main thread does
// per layer depends on the input (layer-input.ts):
//  - a TeedLayerInput with a remote (a pull): nothing per byte; the worker
//    downloads the blob itself, writes and hashes it for the content store
//    as it inflates it, and the blob's digest is judged before the unpack
//    may succeed;
//  - a StoredLayerInput (a blob in the content store): nothing per byte;
//    the worker reads the file;
//  - any other iterable (a layer store's tar, a test): its bytes are copied
//    into shared slots the worker reads in place.
//
// BERTH_UNPACK_WORKERS=0 unpacks on the main thread instead (for debugging);
// otherwise there is one worker per core (at most 4: a download's whole
// pipeline, socket to files, runs on its worker's thread, so one worker
// would make one core the limit), each running several jobs, started on
// first use and kept (unreferenced) for the next; a worker idle for 5 s
// ends (each holds ~10 MiB that an idle daemon does not need, and costs
// ~0.1 CPU-second to start again).
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { write } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createGzip } from 'node:zlib';
import { EngineError, type ErrorKind } from '../common/errors.js';
import { applyLayer, type ApplyResult } from './apply.js';
import { TarFormatError } from './tar/header.js';
import { StoredLayerInput, TeedLayerInput } from './layer-input.js';
import { TarSplitWriter } from './tarsplit.js';
import { SLOTS, SLOT_SIZE, type BlobAnswer, type FromWorker, type SerializedError, type ToWorker, type UnpackJobOptions } from './unpack-protocol.js';

export interface UnpackOptions extends UnpackJobOptions {
  onWarning?: (message: string) => void;
}

/** What a compress job wrote: its sha256 and size. */
export interface CompressedBlob {
  digest: string;
  size: number;
}

interface JobState {
  free: number[];
  slotWaiter: (() => void) | undefined;
  settled: boolean;
  resolve: (result: ApplyResult | CompressedBlob) => void;
  reject: (err: Error) => void;
  onWarning: (message: string) => void;
  /** A slot came back: its bytes were taken in. */
  onSlot: (slot: number) => void;
  /** A teeing job's digest and size, once its input ended. */
  onBlob: (blob: { digest: string; size: number }) => void;
  /** A downloading job's progress. */
  onProgress: (read: number, consumed: number) => void;
  /** A downloading job's answer that is not the blob. */
  onAnswer: (answer: BlobAnswer) => void;
}

interface PoolWorker {
  worker: Worker;
  jobs: Map<number, JobState>;
  idleTimer?: NodeJS.Timeout;
}

const WORKER_IDLE_MS = 5_000;

function whenIdle(entry: PoolWorker): void {
  clearTimeout(entry.idleTimer);
  entry.idleTimer = setTimeout(() => {
    if (entry.jobs.size === 0) void entry.worker.terminate();
  }, WORKER_IDLE_MS);
  entry.idleTimer.unref();
}

/** A worker's download that failed without an answer (the input's RemoteSource words it). */
class RemoteFetchError extends Error {
  constructor(
    readonly url: string,
    readonly socketError: Error,
  ) {
    super(socketError.message);
  }
}

function revive(e: SerializedError): Error {
  if (e.fetch !== undefined) {
    const cause = Object.assign(new Error(e.message), {
      ...(e.code !== undefined ? { code: e.code } : {}),
      ...(e.fetch.address !== undefined ? { address: e.fetch.address } : {}),
      ...(e.fetch.port !== undefined ? { port: e.fetch.port } : {}),
      ...(e.fetch.hostname !== undefined ? { hostname: e.fetch.hostname } : {}),
    });
    return new RemoteFetchError(e.fetch.url, cause);
  }
  if (e.kind !== undefined) return new EngineError(e.kind as ErrorKind, e.message);
  if (e.tarFormat) return new TarFormatError(e.message);
  const err = new Error(e.message) as Error & { code?: string };
  if (e.code !== undefined) err.code = e.code;
  return err;
}

function workerCount(): number {
  const configured = process.env.BERTH_UNPACK_WORKERS;
  if (configured !== undefined && /^\d+$/.test(configured)) return Math.min(16, Number(configured));
  return Math.min(4, Math.max(1, availableParallelism()));
}

class UnpackPool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 1;

  constructor(private readonly size: number) {}

  private spawn(): PoolWorker {
    // No inherited node flags: some are about the main script (`-e`, --input-type) and a worker refuses them.
    const worker = new Worker(new URL('./unpack-worker.js', import.meta.url), { execArgv: [] });
    const entry: PoolWorker = { worker, jobs: new Map() };
    const failAll = (err: Error): void => {
      const i = this.workers.indexOf(entry);
      if (i >= 0) this.workers.splice(i, 1);
      for (const job of entry.jobs.values()) settle(job, err);
      entry.jobs.clear();
    };
    worker.on('message', (message: FromWorker) => {
      const job = entry.jobs.get(message.id);
      if (job === undefined) return;
      switch (message.t) {
        case 'slot':
          job.free.push(message.slot);
          job.onSlot(message.slot);
          wakeSlot(job);
          break;
        case 'blob':
          job.onBlob({ digest: message.digest, size: message.size });
          break;
        case 'progress':
          job.onProgress(message.read, message.consumed);
          break;
        case 'answer':
          job.onAnswer(message.answer);
          break;
        case 'warning':
          job.onWarning(message.message);
          break;
        case 'done':
          entry.jobs.delete(message.id);
          settle(job, message.result);
          break;
        case 'compressed':
          entry.jobs.delete(message.id);
          settle(job, { digest: message.digest, size: message.size });
          break;
        case 'failed':
          entry.jobs.delete(message.id);
          settle(job, revive(message.error));
          break;
      }
      if (entry.jobs.size === 0) {
        worker.unref();
        whenIdle(entry);
      }
    });
    worker.on('error', (err) => failAll(err));
    worker.on('exit', (code) => failAll(new Error(`unpack worker exited with code ${code}`)));
    worker.unref();
    whenIdle(entry);
    this.workers.push(entry);
    return entry;
  }

  fill(): void {
    while (this.workers.length < this.size) this.spawn();
  }

  /** A job's state without its outcome hooks. */
  private jobBase(reject: (err: Error) => void): Omit<JobState, 'resolve'> {
    return {
      free: Array.from({ length: SLOTS }, (_, i) => i),
      slotWaiter: undefined,
      settled: false,
      reject,
      onWarning: () => {},
      onSlot: () => {},
      onBlob: () => {},
      onProgress: () => {},
      onAnswer: () => {},
    };
  }

  /** Gzips a plain tar (slots, or a stored file the worker reads) into `fd`. */
  async compress(input: AsyncIterable<Uint8Array>, fd: number): Promise<CompressedBlob> {
    const stored = input instanceof StoredLayerInput ? input : undefined;
    const entry = this.pick();
    const id = this.nextId++;
    const buffer = stored ? undefined : new SharedArrayBuffer(SLOTS * SLOT_SIZE);
    const post = (message: ToWorker): void => entry.worker.postMessage(message);
    let job!: JobState;
    const result = new Promise<CompressedBlob>((resolve, reject) => {
      job = { ...this.jobBase(reject), resolve: resolve as JobState['resolve'] };
    });
    result.catch(() => {});
    entry.jobs.set(id, job);
    clearTimeout(entry.idleTimer);
    entry.worker.ref();
    post({ t: 'compress', id, out: { fd }, ...(buffer ? { buffer } : {}), ...(stored ? { file: { path: stored.path } } : {}) });
    const inputError = buffer ? await feedSlots(input, job, new Uint8Array(buffer), id, post, new Array<number>(SLOTS).fill(0), () => {}) : undefined;
    try {
      return await result;
    } catch (err) {
      throw inputError ?? err;
    }
  }

  /** The worker with the fewest jobs; a new one while the pool is not full. */
  private pick(): PoolWorker {
    let best: PoolWorker | undefined;
    for (const w of this.workers) if (best === undefined || w.jobs.size < best.jobs.size) best = w;
    if (best === undefined || (best.jobs.size > 0 && this.workers.length < this.size)) return this.spawn();
    return best;
  }

  async unpack(input: AsyncIterable<Uint8Array>, root: string, options: UnpackOptions): Promise<ApplyResult> {
    const teed = input instanceof TeedLayerInput ? input : undefined;
    teed?.claim();
    const remote = teed?.options.remote;
    const stored = input instanceof StoredLayerInput ? input : undefined;
    const source = teed ? teed.source : input;
    const entry = this.pick();
    const id = this.nextId++;
    // A download or a stored blob goes straight to the worker: no slots.
    const direct = remote !== undefined || stored !== undefined;
    const buffer = direct ? undefined : new SharedArrayBuffer(SLOTS * SLOT_SIZE);
    const view = buffer ? new Uint8Array(buffer) : new Uint8Array(0);
    const post = (message: ToWorker): void => entry.worker.postMessage(message);
    /** Why a download's answer was not the blob (the error to report). */
    let answerError: unknown;
    /** Bytes in each slot in flight, for the extraction progress. */
    const slotBytes = new Array<number>(SLOTS).fill(0);
    let consumed = 0;
    let read = 0;
    let blobJudged: Promise<void> | undefined;
    let job!: JobState;
    const result = new Promise<ApplyResult>((resolve, reject) => {
      job = {
        ...this.jobBase(reject),
        resolve: resolve as JobState['resolve'],
        onWarning: options.onWarning ?? (() => {}),
        onSlot: (slot) => {
          consumed += slotBytes[slot]!;
          slotBytes[slot] = 0;
          teed?.options.onConsumed?.(consumed);
        },
        onBlob: (blob) => {
          if (!teed || blobJudged) return;
          blobJudged = teed.complete(blob);
          // A refused blob (digest mismatch) stops the unpack; the error is the refusal.
          blobJudged.catch(() => post({ t: 'abort', id }));
        },
        onProgress: (bytesRead, bytesConsumed) => {
          if (bytesRead !== read) teed?.options.onRead?.((read = bytesRead));
          if (bytesConsumed !== consumed) (teed ?? stored)?.options.onConsumed?.((consumed = bytesConsumed));
        },
        onAnswer: (answer) => {
          if (!remote) return;
          remote.onAnswer(answer).then(
            (request) => post({ t: 'refetch', id, fetch: request }),
            (err: unknown) => {
              answerError = err;
              post({ t: 'abort', id });
            },
          );
        },
      };
    });
    // Rejections are awaited below, after the input is closed.
    result.catch(() => {});
    entry.jobs.set(id, job);
    clearTimeout(entry.idleTimer);
    entry.worker.ref();
    const { onWarning: _, ...jobOptions } = options;
    post({
      t: 'start',
      id,
      root,
      options: jobOptions,
      ...(buffer ? { buffer } : {}),
      ...(teed ? { tee: { fd: teed.sink.fd } } : {}),
      ...(remote ? { fetch: remote.request } : {}),
      ...(stored ? { file: { path: stored.path, digest: stored.digest } } : {}),
    });

    const onRead = teed?.options.onRead;
    let inputError: unknown = direct
      ? undefined
      : await feedSlots(source, job, view, id, post, slotBytes, (n) => {
          read = n;
          onRead?.(n);
        });
    let outcome: ApplyResult;
    try {
      outcome = await result;
    } catch (err) {
      // A refused blob or a failed download explains a failed unpack better than "aborted".
      const refusal = await blobRefusal(blobJudged);
      if (refusal !== undefined) throw refusal;
      if (answerError === undefined && err instanceof RemoteFetchError && remote) inputError = remote.transportError(err.url, err.socketError);
      inputError ??= answerError;
      if (inputError !== undefined) {
        teed?.fail(inputError);
        throw inputError;
      }
      teed?.stop();
      throw err;
    }
    if (teed) {
      if (blobJudged === undefined) {
        // The worker finished without seeing the end of the input.
        const reason = new Error('layer input ended early');
        teed.fail(reason);
        throw reason;
      }
      await blobJudged;
    }
    return outcome;
  }
}

/**
 * Copies `source` into the job's free slots, telling the worker of each;
 * stops early when the job settles (the worker failed). Returns the
 * source's error, if it failed (the job is then aborted).
 */
async function feedSlots(
  source: AsyncIterable<Uint8Array>,
  job: JobState,
  view: Uint8Array,
  id: number,
  post: (message: ToWorker) => void,
  slotBytes: number[],
  onRead: (bytes: number) => void,
): Promise<unknown> {
  let slot = -1;
  let fill = 0;
  let read = 0;
  const flush = (): void => {
    slotBytes[slot] = fill;
    post({ t: 'data', id, slot, length: fill });
    slot = -1;
    fill = 0;
  };
  try {
    feed: for await (const chunk of source) {
      read += chunk.length;
      onRead(read);
      let offset = 0;
      while (offset < chunk.length) {
        if (slot < 0) {
          while (job.free.length === 0 && !job.settled) await new Promise<void>((resolve) => (job.slotWaiter = resolve));
          // Settled early: the worker failed (a hostile tar...); stop reading.
          if (job.settled) break feed;
          slot = job.free.shift()!;
        }
        const n = Math.min(chunk.length - offset, SLOT_SIZE - fill);
        view.set(offset === 0 && n === chunk.length ? chunk : chunk.subarray(offset, offset + n), slot * SLOT_SIZE + fill);
        fill += n;
        offset += n;
        if (fill === SLOT_SIZE) flush();
      }
    }
    if (!job.settled) {
      if (fill > 0) flush();
      post({ t: 'end', id });
    }
    return undefined;
  } catch (err) {
    if (!job.settled) post({ t: 'abort', id });
    return err;
  }
}

/** The reason a blob was refused, if it was. */
async function blobRefusal(judged: Promise<void> | undefined): Promise<unknown> {
  if (judged === undefined) return undefined;
  try {
    await judged;
    return undefined;
  } catch (err) {
    return err;
  }
}

function settle(job: JobState, outcome: ApplyResult | CompressedBlob | Error): void {
  if (job.settled) return;
  job.settled = true;
  wakeSlot(job);
  if (outcome instanceof Error) job.reject(outcome);
  else job.resolve(outcome);
}

function wakeSlot(job: JobState): void {
  const w = job.slotWaiter;
  job.slotWaiter = undefined;
  w?.();
}

let pool: UnpackPool | undefined;

/** Starts the workers ahead of a batch of unpacks (a pull), so their start-up overlaps its first requests. */
export function startUnpackWorkers(): void {
  const size = workerCount();
  if (size === 0) return;
  pool ??= new UnpackPool(size);
  pool.fill();
}

/**
 * Gzips the plain tar in `input` (a StoredLayerInput is read by the worker
 * itself) into the open file `fd` on a worker thread, and returns the sha256
 * and size of what was written: a layer to push that has no compressed
 * blob. Without workers, on this thread with the stream API.
 */
export async function compressLayer(input: AsyncIterable<Uint8Array>, fd: number): Promise<CompressedBlob> {
  const size = workerCount();
  if (size === 0) return compressHere(input, fd);
  pool ??= new UnpackPool(size);
  return pool.compress(input, fd);
}

async function compressHere(input: AsyncIterable<Uint8Array>, fd: number): Promise<CompressedBlob> {
  const gzip = createGzip({ level: 1 });
  const hash = createHash('sha256');
  let size = 0;
  const feeding = (async () => {
    try {
      for await (const chunk of input) if (!gzip.write(chunk)) await once(gzip, 'drain');
      gzip.end();
    } catch (err) {
      gzip.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  })();
  for await (const chunk of gzip) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    for (let off = 0; off < bytes.length; ) off += await writeAt(fd, bytes.subarray(off), size + off);
    size += bytes.length;
  }
  await feeding;
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

function writeAt(fd: number, chunk: Uint8Array, position: number): Promise<number> {
  return new Promise((resolve, reject) => write(fd, chunk, 0, chunk.length, position, (err, n) => (err ? reject(err) : resolve(n))));
}

/**
 * Unpacks the tar in `input` (gzip, zstd or plain) into `root` as
 * applyLayer() does, on a worker thread. Resolves once the worker is done
 * with `root` (also when it fails), so the caller may remove it.
 */
export async function unpackLayer(input: AsyncIterable<Uint8Array>, root: string, options: UnpackOptions): Promise<ApplyResult> {
  const size = workerCount();
  if (size === 0) return unpackHere(input, root, options);
  pool ??= new UnpackPool(size);
  return pool.unpack(input, root, options);
}

async function unpackHere(input: AsyncIterable<Uint8Array>, root: string, options: UnpackOptions): Promise<ApplyResult> {
  const split = options.tarSplitPath !== undefined ? new TarSplitWriter(options.tarSplitPath) : undefined;
  try {
    const result = await applyLayer(input, root, { ...options, tarSplit: split });
    await split?.close();
    return result;
  } catch (err) {
    split?.abort();
    throw err;
  }
}
