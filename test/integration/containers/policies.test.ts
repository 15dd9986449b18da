// Restart policies (with dockerd's rules: stop and kill are final, on-failure
// counts retries), --rm, an OOM kill with OOMKilled, security defaults seen
// from inside a container (and lifted by --privileged), filesystem options
// (/etc files, --read-only, --tmpfs, --shm-size, binds), events, and
// docker cp/diff/export/commit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestDaemon } from '../../helpers/daemon.js';
import { runProcess } from '../../helpers/daemon.js';
import { daemonWithBusybox, inspect, skipContainers, waitFor } from './helpers.js';

describe('restart policies, OOM, security and files through the docker CLI', { skip: skipContainers }, () => {
  let d: TestDaemon;
  let work: string;
  before(async () => {
    d = await daemonWithBusybox({ args: ['--add-runtime', 'alt=/usr/sbin/runc'] });
    work = mkdtempSync(path.join(os.tmpdir(), 'berth-files-'));
  });
  after(async () => {
    await d?.cleanup();
    await fs.rm(work, { recursive: true, force: true });
  });

  it('retries on-failure up to its count, with backoff', async () => {
    await d.docker(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:3', 'busybox', 'sh', '-c', 'exit 1']);
    await waitFor('three restarts', async () => {
      const c = await inspect(d, 'flaky');
      return c.RestartCount === 3 && c.State.Status === 'exited';
    }, 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    const c = await inspect(d, 'flaky');
    assert.equal(c.RestartCount, 3);
    assert.equal(c.State.ExitCode, 1);
    // on-failure leaves a clean exit alone.
    await d.docker(['run', '-d', '--name', 'clean', '--restart', 'on-failure', 'busybox', 'true']);
    await waitFor('exit', async () => (await inspect(d, 'clean')).State.Status === 'exited');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await inspect(d, 'clean')).RestartCount, 0);
    await d.docker(['rm', 'flaky', 'clean']);
  });

  it('restarts always until docker stop, which is final', async () => {
    await d.docker(['run', '-d', '--name', 'forever', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.2']);
    await waitFor('two restarts', async () => (await inspect(d, 'forever')).RestartCount >= 2, 20_000);
    assert.equal((await d.docker(['stop', 'forever'])).code, 0);
    const count = (await inspect(d, 'forever')).RestartCount;
    await new Promise((r) => setTimeout(r, 1500));
    const c = await inspect(d, 'forever');
    assert.equal(c.State.Running, false);
    assert.equal(c.RestartCount, count);
    // unless-stopped too; docker kill also counts as a stop.
    await d.docker(['run', '-d', '--name', 'unless', '--restart', 'unless-stopped', 'busybox', 'sleep', '60']);
    await d.docker(['kill', 'unless']);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await inspect(d, 'unless')).State.Running, false);
    const conflict = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } });
    assert.equal(conflict.status, 400);
    assert.match(conflict.text, /can't create 'AutoRemove' container with restart policy/);
    await d.docker(['rm', 'forever', 'unless']);
  });

  it('removes --rm containers once they exit, also when started detached', async () => {
    const id = (await d.docker(['run', '-d', '--rm', 'busybox', 'sh', '-c', 'sleep 0.3'])).stdout.trim();
    await waitFor('removal', async () => (await d.api('GET', `/containers/${id}/json`)).status === 404);
    assert.equal((await d.docker(['run', '--rm', '--name', 'reused', 'busybox', 'true'])).code, 0);
    // The name is free at once for the next run.
    assert.equal((await d.docker(['run', '--rm', '--name', 'reused', 'busybox', 'true'])).code, 0);
  });

  it('records OOMKilled when the memory limit kills the process', async () => {
    const r = await d.docker(['run', '--name', 'hog', '-m', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'x=$(head -c 64m /dev/zero | tr "\\0" a); echo survived']);
    assert.equal(r.code, 137);
    const c = await inspect(d, 'hog');
    assert.equal(c.State.OOMKilled, true);
    assert.equal((c.HostConfig as { Memory: number }).Memory, 16 * 1024 * 1024);
    await d.docker(['rm', 'hog']);
  });

  it('applies docker\'s default security profile and lifts it with --privileged', async () => {
    const sh = async (args: string[], script: string): Promise<string> => (await d.docker(['run', '--rm', ...args, 'busybox', 'sh', '-c', script])).stdout.trim();
    assert.equal(await sh([], 'grep CapEff /proc/self/status'), 'CapEff:\t00000000a80425fb');
    assert.equal(await sh([], 'grep ^Seccomp: /proc/self/status'), 'Seccomp:\t2');
    // Masked paths read as empty (/proc/kcore does not exist on every kernel; these do here).
    assert.equal(await sh([], 'cat /proc/keys /proc/timer_list 2>/dev/null | wc -c'), '0');
    assert.equal(await sh([], 'ls /sys/firmware | wc -l'), '0');
    assert.equal(await sh([], 'mount -t tmpfs none /tmp 2>/dev/null && echo mounted || echo refused'), 'refused');
    assert.equal(await sh([], 'echo x > /proc/sys/kernel/hostname 2>/dev/null && echo wrote || echo ro'), 'ro');
    assert.equal(await sh(['--privileged'], 'grep ^Seccomp: /proc/self/status'), 'Seccomp:\t0');
    assert.equal(await sh(['--privileged'], 'mount -t tmpfs none /tmp && echo mounted'), 'mounted');
    assert.notEqual(await sh(['--privileged'], 'grep CapEff /proc/self/status'), 'CapEff:\t00000000a80425fb');
    assert.equal(await sh(['--cap-drop', 'ALL'], 'grep CapEff /proc/self/status'), 'CapEff:\t0000000000000000');
    assert.equal(await sh(['-u', '1000:1000'], 'id -u; id -g'), '1000\n1000');
  });

  it('manages /etc/hosts, /etc/hostname and /etc/resolv.conf as docker does', async () => {
    const out = await d.docker(['run', '--rm', '--hostname', 'h1', '--add-host', 'db:10.9.8.7', '--dns', '9.9.9.9', '--dns-search', 'example.org', '--dns-option', 'ndots:2', 'busybox', 'sh', '-c', 'cat /etc/hostname; cat /etc/hosts; cat /etc/resolv.conf; hostname']);
    assert.match(out.stdout, /^h1\n/);
    assert.match(out.stdout, /127\.0\.0\.1\tlocalhost\n/);
    assert.match(out.stdout, /10\.9\.8\.7\tdb\n/);
    assert.match(out.stdout, /nameserver 9\.9\.9\.9\n/);
    assert.match(out.stdout, /search example\.org\n/);
    assert.match(out.stdout, /options ndots:2\n/);
    assert.match(out.stdout, /h1\n$/);
    const id = (await d.docker(['create', 'busybox', 'hostname'])).stdout.trim();
    assert.equal((await d.docker(['start', '-a', id])).stdout, `${id.slice(0, 12)}\n`);
    await d.docker(['rm', id]);
  });

  it('honours --read-only, --tmpfs, --shm-size, -w and binds of host paths', async () => {
    const ro = await d.docker(['run', '--rm', '--read-only', '--tmpfs', '/scratch', 'busybox', 'sh', '-c', 'touch /x 2>/dev/null || echo ro-root; touch /scratch/y && echo tmpfs-ok']);
    assert.equal(ro.stdout, 'ro-root\ntmpfs-ok\n');
    const shm = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', "df -k /dev/shm | tail -1 | awk '{print $2}'"]);
    assert.equal(shm.stdout.trim(), '65536');
    const shm2 = await d.docker(['run', '--rm', '--shm-size', '8m', 'busybox', 'sh', '-c', "df -k /dev/shm | tail -1 | awk '{print $2}'"]);
    assert.equal(shm2.stdout.trim(), '8192');
    const host = path.join(work, 'bind');
    const created = path.join(work, 'made-by-daemon');
    await fs.mkdir(host);
    await fs.writeFile(path.join(host, 'in.txt'), 'from host\n');
    const b = await d.docker(['run', '--rm', '-v', `${host}:/data`, '-v', `${created}:/made`, 'busybox', 'sh', '-c', 'cat /data/in.txt; echo back > /data/out.txt; ls -d /made']);
    assert.equal(b.stdout, 'from host\n/made\n');
    assert.equal(await fs.readFile(path.join(host, 'out.txt'), 'utf8'), 'back\n');
    assert.ok((await fs.stat(created)).isDirectory(), '-v creates a missing host path');
    const rob = await d.docker(['run', '--rm', '-v', `${host}:/data:ro`, 'busybox', 'sh', '-c', 'echo x > /data/z 2>/dev/null || echo refused']);
    assert.equal(rob.stdout, 'refused\n');
    const missing = await d.docker(['run', '--rm', '--mount', `type=bind,source=${path.join(work, 'nope')},target=/x`, 'busybox', 'true']);
    assert.match(missing.stderr, /bind source path does not exist/);
  });

  it('copies files in and out (docker cp), contained in the container, and shows diff, export and commit', async () => {
    await d.docker(['run', '-d', '--name', 'files', 'busybox', 'sh', '-c', 'mkdir -p /data && echo inside > /data/f && ln -s / /data/escape && ln -s /etc/passwd /data/pw && sleep 60']);
    await waitFor('files', async () => (await d.docker(['exec', 'files', 'test', '-e', '/data/pw'])).code === 0);
    assert.equal((await d.docker(['cp', 'files:/data/f', path.join(work, 'f')])).code, 0);
    assert.equal(await fs.readFile(path.join(work, 'f'), 'utf8'), 'inside\n');
    // A symlink to / inside the container is the container's /, not the host's.
    const through = await d.docker(['cp', 'files:/data/escape/etc/hostname', path.join(work, 'hn')]);
    assert.equal(through.code, 0);
    assert.equal((await fs.readFile(path.join(work, 'hn'), 'utf8')).trim(), (await inspect(d, 'files')).Id.slice(0, 12));
    await fs.writeFile(path.join(work, 'up.txt'), 'uploaded\n');
    assert.equal((await d.docker(['cp', path.join(work, 'up.txt'), 'files:/data/escape/tmp/'])).code, 0);
    assert.equal((await d.docker(['exec', 'files', 'cat', '/tmp/up.txt'])).stdout, 'uploaded\n');
    await assert.rejects(fs.access('/tmp/up.txt'));
    const dir = await d.docker(['cp', 'files:/data', path.join(work, 'datadir')]);
    assert.equal(dir.code, 0);
    assert.equal(await fs.readFile(path.join(work, 'datadir', 'f'), 'utf8'), 'inside\n');
    const missing = await d.docker(['cp', 'files:/nope', work]);
    assert.match(missing.stderr, /Could not find the file \/nope in container files/);
    const diff = await d.docker(['diff', 'files']);
    assert.match(diff.stdout, /A \/data\n/);
    assert.match(diff.stdout, /A \/data\/f\n/);
    const tar = path.join(work, 'export.tar');
    assert.equal((await d.docker(['export', '-o', tar, 'files'])).code, 0);
    const list = (await runProcess('tar', ['tf', tar])).stdout;
    assert.match(list, /^data\/f$/m);
    assert.match(list, /^bin\/busybox$/m);
    const commit = await d.docker(['commit', '-c', 'ENV COMMITTED=yes', 'files', 'committed:v1']);
    assert.equal(commit.code, 0);
    const fromCommit = await d.docker(['run', '--rm', 'committed:v1', 'sh', '-c', 'cat /data/f; echo $COMMITTED']);
    assert.equal(fromCommit.stdout, 'inside\nyes\n');
    await d.docker(['rm', '-f', 'files']);
    await d.docker(['rmi', 'committed:v1']);
  });

  it('streams container events with filters', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await d.docker(['run', '--rm', '--name', 'evented', 'busybox', 'sh', '-c', 'exit 2']);
    const until = Math.floor(Date.now() / 1000) + 1;
    const r = await d.docker(['events', '--since', String(since), '--until', String(until), '--filter', 'container=evented', '--format', '{{.Action}} {{.Actor.Attributes.exitCode}}']);
    const actions = r.stdout.split('\n').filter(Boolean);
    assert.deepEqual(actions.map((a) => a.split(' ')[0]), ['create', 'attach', 'start', 'die', 'destroy']);
    assert.ok(actions.includes('die 2'));
    const dies = await d.docker(['events', '--since', String(since), '--until', String(until), '--filter', 'event=die', '--filter', 'type=container', '--format', '{{.Actor.Attributes.name}}']);
    assert.match(dies.stdout, /^evented$/m);
  });

  it('updates resources and the restart policy of a running container', async () => {
    await d.docker(['run', '-d', '--name', 'upd', 'busybox', 'sleep', '60']);
    assert.equal((await d.docker(['update', '--memory', '32m', '--memory-swap', '64m', '--restart', 'on-failure:2', 'upd'])).code, 0);
    const c = await inspect(d, 'upd');
    const hc = c.HostConfig as { Memory: number; RestartPolicy: { Name: string; MaximumRetryCount: number } };
    assert.equal(hc.Memory, 32 * 1024 * 1024);
    assert.deepEqual(hc.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
    const stats = await d.api('GET', '/containers/upd/stats?stream=0&one-shot=1');
    const mem = (stats.json as { memory_stats: { limit: number } }).memory_stats;
    assert.equal(mem.limit, 32 * 1024 * 1024);
    await d.docker(['rm', '-f', 'upd']);
  });

  it('runs health checks: starting, healthy, unhealthy after the retries, with events', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await d.docker(['run', '-d', '--name', 'probed', '--health-cmd', 'test -e /tmp/ok', '--health-interval', '300ms', '--health-retries', '2', 'busybox', 'sh', '-c', 'sleep 1; touch /tmp/ok; sleep 2; rm /tmp/ok; sleep 60']);
    assert.equal(((await inspect(d, 'probed')).State as unknown as { Health: { Status: string } }).Health.Status, 'starting');
    await waitFor('healthy', async () => (await d.docker(['ps', '--filter', 'health=healthy', '--format', '{{.Names}}'])).stdout.includes('probed'));
    await waitFor('unhealthy', async () => ((await inspect(d, 'probed')).State as unknown as { Health: { Status: string } }).Health.Status === 'unhealthy');
    const health = ((await inspect(d, 'probed')).State as unknown as { Health: { FailingStreak: number; Log: Array<{ ExitCode: number }> } }).Health;
    assert.ok(health.FailingStreak >= 2);
    assert.ok(health.Log.length <= 5);
    const until = Math.floor(Date.now() / 1000) + 1;
    const ev = await d.docker(['events', '--since', String(since), '--until', String(until), '--filter', 'event=health_status', '--format', '{{.Action}}']);
    assert.match(ev.stdout, /health_status: healthy\n/);
    assert.match(ev.stdout, /health_status: unhealthy\n/);
    await d.docker(['rm', '-f', 'probed']);
  });

  it('runs a container with a runtime added with --add-runtime', async () => {
    const r = await d.docker(['run', '--rm', '--runtime', 'alt', 'busybox', 'echo', 'alt']);
    assert.equal(r.stdout, 'alt\n');
    const bad = await d.docker(['run', '--rm', '--runtime', 'nosuch', 'busybox', 'true']);
    assert.match(bad.stderr, /unknown or invalid runtime name: nosuch/);
  });

  it('runs --init as PID 1 (tini at /sbin/docker-init)', async () => {
    const r = await d.docker(['run', '--rm', '--init', 'busybox', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "']);
    assert.match(r.stdout, /^\/sbin\/docker-init -- sh -c/);
  });
});
