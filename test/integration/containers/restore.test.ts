// Live restore (always on): berthd killed with SIGKILL while containers run
// comes back and re-adopts them (state, logs, exec, attach, stop), records
// the exit codes of those that ended meanwhile, finishes --rm and cleans up
// what a crash cut short. And 50 concurrent runs without leaks.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { TestDaemon } from '../../helpers/daemon.js';
import { cgroupsOf, daemonWithBusybox, inspect, mountsUnder, processesMentioning, skipContainers, waitFor } from './helpers.js';

describe('live restore after kill -9 of berthd', { skip: skipContainers }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d?.cleanup();
  });

  it('re-adopts running containers and records the exits that happened meanwhile', async () => {
    await d.docker(['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.2; done']);
    await d.docker(['run', '-d', '--name', 'short', 'busybox', 'sh', '-c', 'sleep 1; exit 7']);
    await d.docker(['run', '-d', '--name', 'gone', '--rm', 'busybox', 'sleep', '1']);
    await d.docker(['run', '-d', '--name', 'frozen', 'busybox', 'sleep', '300']);
    await d.docker(['pause', 'frozen']);
    const before = await inspect(d, 'ticker');
    // A create that died half way: a container directory without its record, and a stale bundle.
    const half = 'f'.repeat(64);
    await fs.mkdir(path.join(d.dataRoot, 'containers', half), { recursive: true });
    await fs.mkdir(path.join(d.execRoot, 'containers', half), { recursive: true });

    await d.kill9();
    await new Promise((r) => setTimeout(r, 2500));
    await d.start();

    const after = await inspect(d, 'ticker');
    assert.equal(after.State.Running, true);
    assert.equal(after.State.Pid, before.State.Pid);
    assert.equal((after.State as unknown as { StartedAt: string }).StartedAt, (before.State as unknown as { StartedAt: string }).StartedAt);
    const short = await inspect(d, 'short');
    assert.equal(short.State.Status, 'exited');
    assert.equal(short.State.ExitCode, 7);
    assert.equal((await d.api('GET', '/containers/gone/json')).status, 404);
    assert.equal((await inspect(d, 'frozen')).State.Status, 'paused');
    assert.equal(existsSync(path.join(d.dataRoot, 'containers', half)), false);
    assert.equal(existsSync(path.join(d.execRoot, 'containers', half)), false);

    // Logs, exec, attach and stop work on the adopted container.
    await waitFor('new output', async () => (await d.docker(['logs', '--tail', '1', 'ticker'])).stdout.startsWith('tick'));
    assert.equal((await d.docker(['exec', 'ticker', 'echo', 'adopted'])).stdout, 'adopted\n');
    const top = await d.docker(['top', 'ticker']);
    assert.match(top.stdout, /while true/);
    assert.equal((await d.docker(['unpause', 'frozen'])).code, 0);
    assert.equal((await d.docker(['stop', '-t', '1', 'ticker', 'frozen'])).code, 0);
    assert.equal((await inspect(d, 'ticker')).State.Status, 'exited');
    // It runs again afterwards.
    assert.equal((await d.docker(['start', 'ticker'])).code, 0);
    assert.equal((await inspect(d, 'ticker')).State.Running, true);
    await d.docker(['rm', '-f', 'ticker', 'short', 'frozen']);
  });

  it('keeps re-adopted containers attached to their logs across a second restart, and --restart always comes back', async () => {
    await d.docker(['run', '-d', '--name', 'keeper', '--restart', 'always', 'busybox', 'sleep', '300']);
    const pid = (await inspect(d, 'keeper')).State.Pid;
    await d.kill9();
    await d.start();
    await d.kill9();
    await d.start();
    const c = await inspect(d, 'keeper');
    assert.equal(c.State.Pid, pid);
    // A container of an always policy whose process died while berthd was away is started again.
    process.kill(pid, 'SIGKILL');
    await waitFor('restart', async () => {
      const now = await inspect(d, 'keeper');
      return now.State.Running && now.State.Pid !== pid;
    });
    await d.docker(['rm', '-f', 'keeper']);
  });
});

describe('50 concurrent runs', { skip: skipContainers }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d?.cleanup();
  });

  it('each succeeds or fails with a clear error, and nothing leaks', async () => {
    const cids = path.join(d.dir, 'cids');
    await fs.mkdir(cids);
    const runs = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        d.docker(['run', '--rm', '--cidfile', path.join(cids, String(i)), '--name', `c${i}`, 'busybox', 'sh', '-c', `echo run-${i}`], { timeoutMs: 120_000 }),
      ),
    );
    let ok = 0;
    for (const [i, r] of runs.entries()) {
      if (r.code === 0) {
        assert.equal(r.stdout, `run-${i}\n`);
        ok++;
      } else {
        assert.match(r.stderr, /Error response from daemon: .+/, `run ${i} failed without a clear error: ${r.stderr}`);
      }
    }
    assert.ok(ok >= 45, `${ok} of 50 succeeded: ${runs.filter((r) => r.code !== 0).map((r) => r.stderr).join(' | ')}`);
    await waitFor('no leftovers', async () => {
      const list = (await d.api('GET', '/containers/json?all=1')).json as unknown[];
      return (
        list.length === 0 &&
        (await processesMentioning(d.execRoot)).length === 0 &&
        (await mountsUnder(path.join(d.dataRoot, 'storage'))).filter((m) => m.endsWith('/merged')).length === 0 &&
        (await fs.readdir(path.join(d.dataRoot, 'containers'))).length === 0
      );
    }, 60_000);
    assert.deepEqual((await mountsUnder(path.join(d.dataRoot, 'storage'))).filter((m) => m.endsWith('/merged')), []);
    assert.deepEqual(await fs.readdir(path.join(d.execRoot, 'runc')).catch(() => []), []);
    assert.deepEqual(await fs.readdir(path.join(d.execRoot, 'containers')), []);
    assert.deepEqual(await fs.readdir(path.join(d.dataRoot, 'containers')), []);
    // The containers' cgroups are gone.
    const ids = await Promise.all((await fs.readdir(cids)).map(async (f) => (await fs.readFile(path.join(cids, f), 'utf8')).trim()));
    assert.equal(ids.length, 50);
    for (const id of ids) assert.deepEqual(await cgroupsOf(id), [], `cgroups of ${id}`);
    const netns = path.join(d.execRoot, 'netns');
    assert.deepEqual(await fs.readdir(netns).catch(() => []), []);
  });
});
