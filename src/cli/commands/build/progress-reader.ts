// The progress line the docker CLI prints while it sends (or downloads) a
// build context: moby's progress.Reader feeding streamformatter's raw
// progress output. An update goes out after every 512 kB read (1 % of a
// known size, if smaller), at most every 100 ms, and at the end:
// "<action> <progress>\r", the last one followed by "\r\n". Off a terminal
// the docker CLI keeps only the last update of the context upload.

import { formatProgress } from '../../../image/progress.js';

// Builtins through process.getBuiltinModule, as the rest of the CLI (an ESM
// import of a builtin builds a facade that loads more than it needs).
const { Readable } = process.getBuiltinModule('node:stream');

export interface ProgressReaderOptions {
  /** "Sending build context to Docker daemon". */
  action: string;
  /** Expected size, 0 when unknown. */
  total: number;
  /** Print every update (a terminal, or the download of a remote context), not only the last. */
  everyUpdate: boolean;
  /** Milliseconds clock (tests). */
  now?: () => number;
}

const UPDATE_EVERY_BYTES = 512 * 1024;
const RATE_LIMIT_MS = 100;

/** rawProgressFormatter.formatProgress for one update. */
export function progressLine(action: string, current: number, total: number): string {
  const text = formatProgress({ current, total });
  return `${action} ${text}${text === '' ? '\r\n' : '\r'}`;
}

/** A pass-through stream drawing progress, and a switch for docker's silent ending (see contextFromURL). */
export interface ProgressStream {
  /** The data, pulled on demand (a Readable would read ahead, past the point where docker stops). */
  source: AsyncGenerator<Buffer>;
  /** The same as a stream. */
  stream(): import('node:stream').Readable;
  /** Leave out the final update: the reader will not be read again after its last data. */
  skipLastUpdate(): void;
}

/**
 * Passes `input` through, writing progress updates to `out`; the last one
 * when the input ends. With a known total, reaching it counts as the end of
 * the data (Go's HTTP body returns EOF with its last bytes): that update is
 * written at once.
 */
export function progressReader(input: AsyncIterable<Buffer | string>, out: { write(text: string): unknown }, options: ProgressReaderOptions): ProgressStream {
  const now = options.now ?? Date.now;
  let current = 0;
  let lastUpdate = 0;
  let skipLast = false;
  // a token bucket of one: the first update may go at once
  let lastAllowed = -Infinity;
  let updateEvery = UPDATE_EVERY_BYTES;
  if (options.total > 0) updateEvery = Math.min(updateEvery, Math.trunc(0.01 * options.total));
  const update = (last: boolean): void => {
    const t = now();
    if (!last && current !== options.total && t - lastAllowed < RATE_LIMIT_MS) return;
    if (!last && current !== options.total) lastAllowed = t;
    if (!options.everyUpdate && !last) return;
    out.write(progressLine(options.action, current, options.total));
    if (last) out.write('\r\n');
  };
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const raw of input) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
      current += chunk.length;
      if (current - lastUpdate > updateEvery || (options.total > 0 && current >= options.total)) {
        update(false);
        lastUpdate = current;
      }
      yield chunk;
    }
    if (!skipLast) update(true);
  }
  const source = counted();
  return {
    source,
    stream: () => Readable.from(source, { objectMode: false }),
    skipLastUpdate: () => {
      skipLast = true;
    },
  };
}

/**
 * The upload's progress without re-streaming: counts what `stream` emits
 * (alongside the consumer it is piped to) and writes the updates, the last
 * one when it ends.
 */
export function watchProgress(stream: import('node:stream').Readable, out: { write(text: string): unknown }, options: ProgressReaderOptions): void {
  const now = options.now ?? Date.now;
  let current = 0;
  let lastUpdate = 0;
  let lastAllowed = -Infinity;
  // Counting starts when the consumer starts the flow ('resume' comes just
  // before the first data): a 'data' listener of ours would start it at
  // once, before anyone reads.
  stream.once('resume', () => stream.on('data', count));
  const count = (chunk: Buffer): void => {
    current += chunk.length;
    if (current - lastUpdate <= UPDATE_EVERY_BYTES) return;
    lastUpdate = current;
    const t = now();
    if (t - lastAllowed < RATE_LIMIT_MS) return;
    lastAllowed = t;
    if (options.everyUpdate) out.write(progressLine(options.action, current, 0));
  };
  stream.on('end', () => {
    out.write(progressLine(options.action, current, 0));
    out.write('\r\n');
  });
}
