// Concurrent stages (src/build/builder/stages.ts): which stages a target
// needs and waits for, the scheduler (independent stages at once, the
// first failure in Dockerfile order reported, later stages cancelled) and
// the output that keeps dockerd's sequential order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from '../../../src/build/dockerfile/index.js';
import { neededStages, OrderedOutput, StageNotBuilt, StageScheduler, stageDependencies } from '../../../src/build/builder/stages.js';

const noExpand = (ref: string): string => ref;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('needed stages and what each waits for: FROM <stage>, COPY --from=<name|index>, RUN --mount from=, $ARG references', () => {
  const df = parseDockerfile(`ARG SRC=tools
FROM busybox AS base
RUN true
FROM busybox AS tools
RUN true
FROM busybox AS unused
FROM busybox AS assets
FROM base AS app
COPY --from=1 /x /x
RUN --mount=type=bind,from=assets,target=/a true
COPY --from=\${SRC} /y /y
COPY --from=busybox /bin/sh /sh
FROM busybox AS after
`);
  const expand = (ref: string): string => ref.replace('${SRC}', 'tools');
  const needed = neededStages(df, 4, expand);
  assert.deepEqual(needed, [0, 1, 3, 4]);
  // Positions in `needed`: app (position 3) waits for base, tools and assets; the rest for nothing.
  assert.deepEqual(stageDependencies(df, needed, expand), [[], [], [], [0, 1, 2]]);
  // Without the ARG's value the reference is an image name: nothing to wait for.
  assert.deepEqual(neededStages(df, 4, noExpand), [0, 1, 3, 4]);
  assert.deepEqual(neededStages(df, 0, noExpand), [0]);
  // A stage name refers to an earlier stage only; a later one of that name is an image.
  const shadow = parseDockerfile('FROM later AS first\nFROM busybox AS later\n');
  assert.deepEqual(neededStages(shadow, 0, noExpand), [0]);
  assert.deepEqual(neededStages(shadow, 1, noExpand), [1]);
});

test('ordered output: later stages are kept until the ones before them finish, then go out in order', async () => {
  const got: string[] = [];
  const out = new OrderedOutput<string>((m) => void got.push(m), 3);
  await out.write(0, 'a1');
  await out.write(2, 'c1');
  await out.write(1, 'b1');
  await out.write(2, 'c2');
  assert.deepEqual(got, ['a1']);
  // Stage 2 finishes before stage 1: it still waits its turn.
  await out.finish(2);
  assert.deepEqual(got, ['a1']);
  await out.write(0, 'a2');
  await out.finish(0);
  // Stage 1 is now the one whose messages go out as they come.
  assert.deepEqual(got, ['a1', 'a2', 'b1']);
  await out.write(1, 'b2');
  assert.deepEqual(got, ['a1', 'a2', 'b1', 'b2']);
  await out.finish(1);
  assert.deepEqual(got, ['a1', 'a2', 'b1', 'b2', 'c1', 'c2']);
});

test('ordered output: a stage writing while its kept messages are being sent stays in order (slow client)', async () => {
  const got: string[] = [];
  const out = new OrderedOutput<string>(async (m) => {
    await sleep(2);
    got.push(m);
  }, 2);
  await out.write(1, 'b1');
  await out.write(1, 'b2');
  const finishing = out.finish(0);
  const writing = out.write(1, 'b3');
  await Promise.all([finishing, writing]);
  await out.write(1, 'b4');
  assert.deepEqual(got, ['b1', 'b2', 'b3', 'b4']);
});

test('ordered output: a failed stage\'s messages go out in turn, nothing after it', async () => {
  const got: string[] = [];
  const out = new OrderedOutput<string>((m) => void got.push(m), 4);
  await out.write(0, 'a1');
  await out.write(2, 'c1');
  await out.write(3, 'd1');
  out.fail(2);
  await out.write(3, 'd2');
  await out.finish(3);
  await out.write(1, 'b1');
  await out.finish(0);
  await out.finish(1);
  assert.deepEqual(got, ['a1', 'b1', 'c1']);
});

/** A scheduler over fake stages that record when they run. */
function harness(deps: number[][], limit: number, behaviour: (pos: number, signal: AbortSignal, waitFor: (p: number) => Promise<void>) => Promise<void>) {
  const events: string[] = [];
  let now = 0;
  let max = 0;
  const scheduler = new StageScheduler<number>(
    deps,
    limit,
    async (pos, ctx) => {
      now++;
      max = Math.max(max, now);
      events.push(`start ${pos}`);
      try {
        await behaviour(pos, ctx.signal, (p) => ctx.waitFor(p));
        events.push(`end ${pos}`);
        return pos * 10;
      } catch (err) {
        events.push(`fail ${pos}${ctx.signal.aborted ? ' (cancelled)' : ''}`);
        throw err;
      } finally {
        now--;
      }
    },
    new AbortController().signal,
  );
  return { scheduler, events, maxConcurrent: () => max };
}

/** Waits ms, or rejects when the signal aborts (as a RUN killed by the build). */
function work(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new Error('cancelled'));
    }, { once: true });
  });
}

test('scheduler: independent stages run at once (up to the limit), a stage starts when what it needs is built', async () => {
  const h = harness([[], [], [], [0, 1, 2]], 2, (pos, signal) => work(pos === 3 ? 1 : 20, signal));
  assert.deepEqual(await h.scheduler.run(), [0, 10, 20, 30]);
  assert.equal(h.maxConcurrent(), 2);
  assert.deepEqual(h.events.slice(0, 2), ['start 0', 'start 1']);
  assert.ok(h.events.indexOf('start 3') > h.events.indexOf('end 2'));
  assert.deepEqual(h.events.slice(-2), ['start 3', 'end 3']);

  const one = harness([[], [], []], 1, (_pos, signal) => work(5, signal));
  await one.scheduler.run();
  assert.deepEqual(one.events, ['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
});

test('scheduler: a later stage failing first waits for the earlier one, whose error wins if it fails too; stages after it are cancelled', async () => {
  // Stage 1 fails at once; stage 0 is still running and then fails: its error is the build's.
  const both = harness([[], [], [], [0, 1, 2]], 3, async (pos, signal) => {
    if (pos === 1) throw new Error('error of stage 1');
    if (pos === 0) {
      await work(30, signal);
      throw new Error('error of stage 0');
    }
    await work(1000, signal);
  });
  await assert.rejects(both.scheduler.run(), /error of stage 0/);
  assert.ok(both.events.includes('fail 2 (cancelled)'));
  assert.ok(!both.events.includes('start 3'));

  // Stage 0 succeeds: stage 1's error is the build's, once stage 0 has finished.
  const later = harness([[], [], []], 3, async (pos, signal) => {
    if (pos === 1) throw new Error('error of stage 1');
    await work(pos === 0 ? 30 : 1000, signal);
  });
  await assert.rejects(later.scheduler.run(), /error of stage 1/);
  assert.ok(later.events.indexOf('end 0') > later.events.indexOf('fail 1'));
  assert.ok(later.events.includes('fail 2 (cancelled)'));
});

test('scheduler: stages before a failed one that were waiting still run (the sequential build would have)', async () => {
  // 0 → 1 (needs 0); 2 fails at once; 1 must still run after 0.
  const h = harness([[], [0], []], 3, async (pos, signal) => {
    if (pos === 2) throw new Error('error of stage 2');
    await work(10, signal);
  });
  await assert.rejects(h.scheduler.run(), /error of stage 2/);
  assert.ok(h.events.includes('end 1'));
});

test('scheduler: waiting for a stage found while building frees the slot; waiting for a later one is refused', async () => {
  const h = harness([[], [], []], 2, async (pos, signal, waitFor) => {
    if (pos === 1) await waitFor(0);
    else await work(20, signal);
  });
  await h.scheduler.run();
  // Stage 2 started while 0 was running and 1 waited for it.
  assert.ok(h.events.indexOf('start 2') < h.events.indexOf('end 0'), h.events.join(', '));

  const bad = harness([[], []], 2, async (pos, _signal, waitFor) => {
    if (pos === 0) await waitFor(1);
  });
  await assert.rejects(bad.scheduler.run(), StageNotBuilt);
});

test('scheduler: the build cancelled stops every stage', async () => {
  const controller = new AbortController();
  const started: number[] = [];
  const scheduler = new StageScheduler<void>(
    [[], [], [0, 1]],
    2,
    async (pos, ctx) => {
      started.push(pos);
      await work(1000, ctx.signal);
    },
    controller.signal,
  );
  setTimeout(() => controller.abort(), 10);
  await assert.rejects(scheduler.run(), /cancelled/);
  assert.deepEqual(started, [0, 1]);
});
