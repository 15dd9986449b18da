// Building a Dockerfile's stages concurrently while the client sees what
// dockerd's legacy builder prints, which builds them one after the other:
// which stages a target needs and which of them each one waits for
// (`neededStages`, `stageDependencies`), a scheduler that starts a stage
// as soon as those are built (`StageScheduler`), and the stream that
// delivers every stage's messages in Dockerfile order (`OrderedOutput`).
//
// Failures follow the sequential build: the first failing stage in
// Dockerfile order is the one reported. A stage failing cancels the stages
// after it (the sequential build would never have reached them), while the
// ones before it run to their end: one of them failing too would have been
// reported first, and their output comes before the failure's.
import type { Dockerfile, Stage } from '../dockerfile/index.js';
import { findStage } from '../dockerfile/index.js';

/** What a stage names as its base and as sources (`COPY --from=`, `RUN --mount from=`), as written. */
export function stageRefs(stage: Stage): string[] {
  const refs: string[] = [stage.baseName];
  for (const c of stage.commands) {
    if (c.kind === 'COPY' && c.from) refs.push(c.from);
    if (c.kind === 'RUN') {
      for (const spec of c.mountSpecs) {
        const m = /(?:^|,)from=([^,]+)/.exec(spec);
        if (m) refs.push(m[1]!);
      }
    }
  }
  return refs;
}

/** The earlier stages (indexes) a stage refers to; `expand` resolves `$VAR`s in a reference. */
function directDependencies(df: Pick<Dockerfile, 'stages'>, index: number, expand: (ref: string) => string): number[] {
  const deps = new Set<number>();
  for (const ref of stageRefs(df.stages[index]!)) {
    const dep = findStage(df, ref.includes('$') ? expand(ref) : ref, index);
    if (dep) deps.add(dep.index);
  }
  return [...deps].sort((a, b) => a - b);
}

/** The target and the stages it needs, directly or not: stage indexes in file order. */
export function neededStages(df: Pick<Dockerfile, 'stages'>, target: number, expand: (ref: string) => string): number[] {
  const need = new Set<number>();
  const visit = (i: number): void => {
    if (need.has(i)) return;
    need.add(i);
    for (const dep of directDependencies(df, i, expand)) visit(dep);
  };
  visit(target);
  return [...need].sort((a, b) => a - b);
}

/**
 * For each of `needed` (stage indexes in file order), the positions in
 * `needed` of the stages it must wait for.
 */
export function stageDependencies(df: Pick<Dockerfile, 'stages'>, needed: readonly number[], expand: (ref: string) => string): number[][] {
  const position = new Map(needed.map((index, pos) => [index, pos]));
  return needed.map((index) =>
    directDependencies(df, index, expand)
      .map((dep) => position.get(dep))
      .filter((pos): pos is number => pos !== undefined),
  );
}

/**
 * Messages of stages built at the same time, delivered as a sequential
 * build would have: stage 0's as they come, later stages' kept until every
 * stage before them has finished. After a failing stage's own messages
 * nothing more goes out (the stages after it are dropped).
 */
export class OrderedOutput<M> {
  private readonly buffers: M[][];
  private readonly finished: boolean[];
  /** The stage whose messages go out now (once `live`) or are being flushed. */
  private head = 0;
  private live = true;
  /** The last stage whose messages may go out: the first failed one. */
  private stopAfter: number;

  constructor(
    private readonly sink: (msg: M) => void | Promise<void>,
    count: number,
  ) {
    this.buffers = Array.from({ length: count }, () => []);
    this.finished = new Array<boolean>(count).fill(false);
    this.stopAfter = count - 1;
  }

  /** Sends (the head stage) or keeps (a later one) a stage's message. */
  async write(pos: number, msg: M): Promise<void> {
    if (pos > this.stopAfter) return;
    if (pos === this.head && this.live) await this.sink(msg);
    else this.buffers[pos]!.push(msg);
  }

  /** A stage built: when it is the head, the next stages' kept messages go out, in order. */
  async finish(pos: number): Promise<void> {
    this.finished[pos] = true;
    if (pos === this.head && this.live) await this.advance();
  }

  /** A stage failed: its messages still go out in turn, nothing after it does. */
  fail(pos: number): void {
    this.finished[pos] = true;
    if (pos < this.stopAfter) this.stopAfter = pos;
    for (let later = pos + 1; later < this.buffers.length; later++) this.buffers[later] = [];
  }

  private async advance(): Promise<void> {
    this.live = false;
    while (++this.head <= this.stopAfter) {
      const buffer = this.buffers[this.head]!;
      // The stage may add messages while earlier ones are being sent: no await between the last check and going live.
      while (buffer.length) await this.sink(buffer.shift()!);
      if (!this.finished[this.head]) {
        this.live = true;
        return;
      }
    }
  }
}

/** Given to each stage's run. */
export interface StageRunContext {
  /** Aborted when the build is cancelled or an earlier stage failed. */
  readonly signal: AbortSignal;
  /**
   * Waits until an earlier stage (by position) is built, for a reference
   * found only while building (a `--from=$ARG`); the waiting stage does
   * not count against the concurrency limit meanwhile.
   */
  waitFor(pos: number): Promise<void>;
}

type JobState = 'waiting' | 'running' | 'done' | 'failed';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Thrown to a stage waiting for one that will not be built. */
export class StageNotBuilt extends Error {
  constructor(readonly pos: number) {
    super(`stage ${pos} was not built`);
    this.name = 'StageNotBuilt';
  }
}

/**
 * Runs stages (positions 0..n-1, in Dockerfile order) as soon as the ones
 * they depend on are built, at most `limit` at a time, lower positions
 * first. Resolves with every stage's result when all were built; else,
 * once no stage is running any more, rejects with the error of the first
 * failing stage in order.
 */
export class StageScheduler<T> {
  private readonly states: JobState[];
  private readonly results: T[] = [];
  private readonly errors = new Map<number, unknown>();
  private readonly controllers: AbortController[] = [];
  private readonly settled: Deferred[];
  /** Stages running and not waiting in `waitFor`. */
  private active = 0;
  private running = 0;
  private firstFailure = Infinity;
  private readonly done = deferred();

  constructor(
    private readonly deps: readonly (readonly number[])[],
    private readonly limit: number,
    private readonly runStage: (pos: number, ctx: StageRunContext) => Promise<T>,
    private readonly signal: AbortSignal,
  ) {
    this.states = deps.map(() => 'waiting');
    this.settled = deps.map(() => deferred());
    for (const [pos, list] of deps.entries()) {
      for (const dep of list) if (dep >= pos) throw new Error(`stage ${pos} cannot depend on stage ${dep}`);
    }
  }

  async run(): Promise<T[]> {
    this.pump();
    await this.done.promise;
    if (this.errors.has(this.firstFailure)) throw this.errors.get(this.firstFailure);
    return this.results;
  }

  private pump(): void {
    for (let pos = 0; pos < this.states.length && this.active < Math.max(1, this.limit); pos++) {
      if (pos > this.firstFailure) break;
      if (this.states[pos] !== 'waiting') continue;
      if (this.deps[pos]!.every((dep) => this.states[dep] === 'done')) this.start(pos);
    }
    if (this.running === 0) this.done.resolve();
  }

  private start(pos: number): void {
    this.states[pos] = 'running';
    this.active++;
    this.running++;
    const controller = new AbortController();
    this.controllers[pos] = controller;
    const signal = AbortSignal.any([this.signal, controller.signal]);
    const ctx: StageRunContext = { signal, waitFor: (other) => this.waitFor(pos, other, signal) };
    // Started on a later tick so that a stage's synchronous work never runs inside pump().
    void Promise.resolve()
      .then(() => this.runStage(pos, ctx))
      .then(
        (value) => {
          this.results[pos] = value;
          this.states[pos] = 'done';
        },
        (err: unknown) => {
          this.states[pos] = 'failed';
          this.errors.set(pos, err);
          if (pos < this.firstFailure) {
            this.firstFailure = pos;
            for (let later = pos + 1; later < this.states.length; later++) this.controllers[later]?.abort();
          }
        },
      )
      .finally(() => {
        this.active--;
        this.running--;
        this.settled[pos]!.resolve();
        this.pump();
      });
  }

  private async waitFor(pos: number, other: number, signal: AbortSignal): Promise<void> {
    if (other >= pos || other < 0) throw new StageNotBuilt(other);
    if (this.states[other] !== 'done' && this.states[other] !== 'failed') {
      this.active--;
      this.pump();
      try {
        await Promise.race([this.settled[other]!.promise, aborted(signal)]);
      } finally {
        this.active++;
      }
    }
    if (this.states[other] !== 'done') throw new StageNotBuilt(other);
  }
}
