// An unpack worker: runs applyLayer() (decompression, diffID hashing, tar
// parsing, file writes, tar-split) for the layer store off the main thread,
// several jobs at once. Protocol in unpack-protocol.ts.
import { parentPort } from 'node:worker_threads';
import { EngineError, errnoCode, errorMessage } from '../common/errors.js';
import { applyLayer } from './apply.js';
import { TarFormatError } from './tar/header.js';
import { TarSplitWriter } from './tarsplit.js';
import { SLOT_SIZE, type FromWorker, type SerializedError, type ToWorker } from './unpack-protocol.js';

interface Job {
  buffer: SharedArrayBuffer;
  /** Filled slots not yet consumed, in order. */
  queue: Array<{ slot: number; length: number }>;
  ended: boolean;
  aborted: boolean;
  wake: (() => void) | undefined;
}

const port = parentPort;
if (port === null) throw new Error('unpack-worker.ts runs as a worker thread');
const jobs = new Map<number, Job>();
const send = (message: FromWorker): void => port.postMessage(message);

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

async function* source(id: number, job: Job): AsyncGenerator<Buffer> {
  for (;;) {
    if (job.aborted) throw new Error('unpack aborted');
    const next = job.queue.shift();
    if (next !== undefined) {
      // Copied out so the slot can be refilled while this chunk is unpacked.
      const chunk = Buffer.from(new Uint8Array(job.buffer, next.slot * SLOT_SIZE, next.length));
      send({ t: 'slot', id, slot: next.slot });
      yield chunk;
      continue;
    }
    if (job.ended) return;
    await new Promise<void>((resolve) => (job.wake = resolve));
  }
}

function wake(job: Job): void {
  const w = job.wake;
  job.wake = undefined;
  w?.();
}

async function run(id: number, root: string, options: Extract<ToWorker, { t: 'start' }>['options'], job: Job): Promise<void> {
  const split = options.tarSplitPath !== undefined ? new TarSplitWriter(options.tarSplitPath) : undefined;
  try {
    const result = await applyLayer(source(id, job), root, {
      whiteouts: options.whiteouts,
      emptyRoot: options.emptyRoot,
      lowerDirs: options.lowerDirs,
      deferLowerChecks: options.deferLowerChecks,
      tarSplit: split,
      onWarning: (message) => send({ t: 'warning', id, message }),
    });
    await split?.close();
    send({ t: 'done', id, result });
  } catch (err) {
    split?.abort();
    send({ t: 'failed', id, error: serialize(err) });
  } finally {
    jobs.delete(id);
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'start': {
      const job: Job = { buffer: message.buffer, queue: [], ended: false, aborted: false, wake: undefined };
      jobs.set(message.id, job);
      void run(message.id, message.root, message.options, job);
      break;
    }
    case 'data': {
      const job = jobs.get(message.id);
      if (job === undefined) return;
      job.queue.push({ slot: message.slot, length: message.length });
      wake(job);
      break;
    }
    case 'end': {
      const job = jobs.get(message.id);
      if (job === undefined) return;
      job.ended = true;
      wake(job);
      break;
    }
    case 'abort': {
      const job = jobs.get(message.id);
      if (job === undefined) return;
      job.aborted = true;
      wake(job);
      break;
    }
  }
});
