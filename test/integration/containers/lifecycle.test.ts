// The container lifecycle through the real docker CLI against berthd, with
// dockerd's behaviour as the expectation: exit codes (the CLI's 125/126/127
// rule from docker/cli run.go runStartContainerErr), stdin piping, names,
// stop/kill/pause/rename/top/wait/rm, ps filters and inspect's shape.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestDaemon } from '../../helpers/daemon.js';
import { cgroupsOf, daemonWithBusybox, inspect, mountsUnder, processesMentioning, skipContainers, waitFor } from './helpers.js';

describe('container lifecycle through the docker CLI', { skip: skipContainers }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d?.cleanup();
  });

  it('passes the exit code of the process to docker run', async () => {
    assert.equal((await d.docker(['run', '--rm', 'busybox', 'true'])).code, 0);
    const r = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    // A process killed by a signal: 128 + the signal.
    assert.equal((await d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'sleep 30 & kill -9 $!; wait $!; exit $?'])).code, 137);
  });

  it('answers 127 for a command that does not exist and 126 for one that cannot be run, with the runtime\'s message', async () => {
    const notFound = await d.docker(['run', '--rm', 'busybox', 'nosuch']);
    assert.equal(notFound.code, 127);
    assert.match(notFound.stderr, /failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nosuch": executable file not found in \$PATH: unknown/);
    const notExec = await d.docker(['run', '--rm', 'busybox', '/etc/passwd']);
    assert.equal(notExec.code, 126);
    assert.match(notExec.stderr, /exec: "\/etc\/passwd": permission denied/);
    // A failed start under --rm leaves nothing: the CLI waited for the removal.
    const left = await d.api('GET', '/containers/json?all=1');
    assert.deepEqual(left.json, []);
    // A container kept after a failed start shows the error and exit code.
    const kept = await d.docker(['run', '--name', 'failed', 'busybox', 'nosuch']);
    assert.equal(kept.code, 127);
    const st = (await inspect(d, 'failed')).State;
    assert.equal(st.Status, 'created');
    assert.equal(st.ExitCode, 127);
    assert.match(st.Error, /executable file not found/);
    assert.equal((await d.docker(['rm', 'failed'])).code, 0);
  });

  it('answers 125 for an image that does not exist', async () => {
    const r = await d.docker(['run', '--pull', 'never', '--rm', 'nosuchimage']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /No such image: nosuchimage:latest/);
  });

  it('pipes stdin and closes it when the client is done (echo x | docker run -i)', async () => {
    const r = await d.docker(['run', '--rm', '-i', 'busybox', 'cat'], { input: 'x\n', timeoutMs: 20_000 });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'x\n');
    const wc = await d.docker(['run', '--rm', '-i', 'busybox', 'wc', '-c'], { input: Buffer.alloc(100_000, 0x61), timeoutMs: 20_000 });
    assert.equal(wc.stdout.trim(), '100000');
  });

  it('refuses a name in use with dockerd\'s message, and finds containers by name, ID and prefix', async () => {
    const id = (await d.docker(['run', '-d', '--name', 'named', 'busybox', 'sleep', '60'])).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const again = await d.docker(['create', '--name', 'named', 'busybox']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, new RegExp(`Conflict\\. The container name "/named" is already in use by container "${id}"\\. You have to remove \\(or rename\\) that container to be able to reuse that name\\.`));
    assert.equal((await inspect(d, id.slice(0, 5))).Id, id);
    assert.equal((await inspect(d, 'named')).Id, id);
    const missing = await d.docker(['inspect', 'nosuchcontainer']);
    assert.match(missing.stderr, /No such (container|object): nosuchcontainer/);
    const rm = await d.docker(['rm', 'named']);
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /cannot remove container "\/named": container is running: stop the container before removing or force remove/);
    assert.equal((await d.docker(['rm', '-f', 'named'])).code, 0);
  });

  it('generates unique adjective_surname names', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await d.docker(['create', 'busybox', 'true'])).stdout.trim());
    const names = await Promise.all(ids.map(async (id) => (await inspect(d, id)).Name));
    for (const n of names) assert.match(n, /^\/[a-z]+_[a-z_]+\d?$/);
    assert.equal(new Set(names).size, names.length);
    await d.docker(['rm', ...ids]);
  });

  it('stops with the stop signal, then SIGKILL after the timeout', async () => {
    await d.docker(['run', '-d', '--name', 'stubborn', 'busybox', 'sh', '-c', 'trap "" TERM; while true; do sleep 1; done']);
    const t0 = Date.now();
    assert.equal((await d.docker(['stop', '-t', '1', 'stubborn'])).code, 0);
    const took = Date.now() - t0;
    assert.ok(took >= 900 && took < 8000, `stop took ${took} ms`);
    const st = (await inspect(d, 'stubborn')).State;
    assert.equal(st.Status, 'exited');
    assert.equal(st.ExitCode, 137);
    // A polite process stops at once with the signal's code.
    await d.docker(['run', '-d', '--name', 'polite', '--stop-signal', 'USR1', 'busybox', 'sh', '-c', 'trap "exit 42" USR1; while true; do sleep 0.1; done']);
    await new Promise((r) => setTimeout(r, 300));
    await d.docker(['stop', 'polite']);
    assert.equal((await inspect(d, 'polite')).State.ExitCode, 42);
    await d.docker(['rm', 'stubborn', 'polite']);
  });

  it('kills with a signal, pauses and unpauses, renames, shows top from the host', async () => {
    const id = (await d.docker(['run', '-d', '--name', 'worker', 'busybox', 'sh', '-c', 'trap "echo got-usr1" USR1; while true; do sleep 0.1; done'])).stdout.trim();
    assert.equal((await d.docker(['kill', '-s', 'USR1', 'worker'])).code, 0);
    await waitFor('the trap to run', async () => (await d.docker(['logs', 'worker'])).stdout.includes('got-usr1'));
    assert.equal((await inspect(d, 'worker')).State.Running, true);

    assert.equal((await d.docker(['pause', 'worker'])).code, 0);
    let st = (await inspect(d, 'worker')).State;
    assert.equal(st.Status, 'paused');
    assert.equal(st.Paused, true);
    assert.match((await d.docker(['ps', '--format', '{{.Status}}', '--filter', 'name=worker'])).stdout, /\(Paused\)/);
    const again = await d.docker(['pause', 'worker']);
    assert.match(again.stderr, new RegExp(`Container ${id} is already paused`));
    // exec into a paused container: dockerd names it as given.
    const execPaused = await d.docker(['exec', 'worker', 'true']);
    assert.equal(execPaused.stderr, 'Error response from daemon: Container worker is paused, unpause the container before exec\n');
    assert.equal((await d.docker(['unpause', 'worker'])).code, 0);
    st = (await inspect(d, 'worker')).State;
    assert.equal(st.Status, 'running');

    const top = await d.docker(['top', 'worker']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /^UID\s+PID\s+PPID/);
    assert.match(top.stdout, /sh -c trap/);
    const pid = String(st.Pid);
    assert.ok(top.stdout.split('\n').some((l) => l.split(/\s+/)[1] === pid), 'top lists the init by its host pid');
    // A ps option ps refuses: its first stderr line, as dockerd reports it.
    const badTop = await d.docker(['top', 'worker', '-o', 'bogus']);
    assert.deepEqual([badTop.code, badTop.stderr], [1, 'Error response from daemon: ps: error: unknown user-defined format specifier "bogus"\n']);

    assert.equal((await d.docker(['rename', 'worker', 'renamed'])).code, 0);
    assert.equal((await inspect(d, id)).Name, '/renamed');
    const self = await d.docker(['rename', 'renamed', 'renamed']);
    assert.match(self.stderr, /Renaming a container with the same name as its current name/);
    // What the name reservation refuses comes wrapped, as moby's rename does.
    const badName = await d.docker(['rename', 'renamed', 'bad name']);
    assert.equal(badName.stderr, 'Error response from daemon: Error when allocating new name: Invalid container name (/bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\nError: failed to rename container named renamed\n');
    const holder = (await d.docker(['create', '--name', 'holder', 'busybox'])).stdout.trim();
    const taken = await d.docker(['rename', 'renamed', 'holder']);
    assert.equal(taken.stderr, `Error response from daemon: Error when allocating new name: Conflict. The container name "/holder" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.\nError: failed to rename container named renamed\n`);
    await d.docker(['rm', 'holder']);

    assert.equal((await d.docker(['kill', 'renamed'])).code, 0);
    st = (await inspect(d, id)).State;
    assert.equal(st.Running, false);
    assert.equal(st.ExitCode, 137);
    // moby's kill route wraps every error with the name as given.
    const notRunning = await d.docker(['kill', 'renamed']);
    assert.equal(notRunning.stderr, `Error response from daemon: cannot kill container: renamed: Container ${id} is not running\n`);
    const missing = await d.docker(['kill', 'nosuch']);
    assert.deepEqual([missing.code, missing.stderr], [1, 'Error response from daemon: cannot kill container: nosuch: No such container: nosuch\n']);
    await d.docker(['rm', id]);
  });

  it('waits for the conditions not-running, next-exit and removed', async () => {
    const id = (await d.docker(['create', 'busybox', 'sh', '-c', 'sleep 0.5; exit 5'])).stdout.trim();
    // not-running on a container that is not running answers at once.
    const now = await d.api('POST', `/containers/${id}/wait`);
    assert.deepEqual(now.json, { StatusCode: 0, Error: null });
    const nextExit = d.api('POST', `/containers/${id}/wait?condition=next-exit`);
    const removed = d.api('POST', `/containers/${id}/wait?condition=removed`);
    await d.api('POST', `/containers/${id}/start`);
    assert.deepEqual((await nextExit).json, { StatusCode: 5, Error: null });
    await d.api('DELETE', `/containers/${id}`);
    assert.deepEqual((await removed).json, { StatusCode: 5, Error: null });
    const bad = await d.api('POST', `/containers/${id}/wait`);
    assert.equal(bad.status, 404);
  });

  it('lists with docker ps and its filters, in ContainerSummary\'s shape', async () => {
    await d.docker(['run', '-d', '--name', 'ps-a', '--label', 'tier=web', 'busybox', 'sleep', '60']);
    await d.docker(['run', '--name', 'ps-b', 'busybox', 'sh', '-c', 'exit 2']);
    await d.docker(['create', '--name', 'ps-c', 'busybox']);
    const names = async (args: string[]): Promise<string[]> => (await d.docker(['ps', ...args, '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(await names([]), ['ps-a']);
    assert.deepEqual(await names(['-a']), ['ps-a', 'ps-b', 'ps-c']);
    assert.deepEqual(await names(['-a', '--filter', 'status=exited']), ['ps-b']);
    assert.deepEqual(await names(['-a', '--filter', 'exited=2']), ['ps-b']);
    assert.deepEqual(await names(['-a', '--filter', 'status=created']), ['ps-c']);
    assert.deepEqual(await names(['-a', '--filter', 'label=tier=web']), ['ps-a']);
    assert.deepEqual(await names(['-a', '--filter', 'name=ps-b']), ['ps-b']);
    assert.deepEqual(await names(['-a', '--filter', 'ancestor=busybox']), ['ps-a', 'ps-b', 'ps-c']);
    assert.deepEqual(await names(['-a', '--filter', 'since=ps-b']), ['ps-c']);
    assert.deepEqual(await names(['-a', '--filter', 'before=ps-b']), ['ps-a']);
    const unknownRef = await d.docker(['ps', '-a', '--filter', 'before=nosuch']);
    assert.deepEqual([unknownRef.code, unknownRef.stderr], [1, 'Error response from daemon: no such container nosuch\n']);
    assert.equal((await names(['-a', '-n', '1'])).length, 1);
    const bad = await d.docker(['ps', '--filter', 'status=sleepy']);
    assert.match(bad.stderr, /invalid filter 'status=sleepy'/);

    const list = (await d.api('GET', '/containers/json?filters=' + encodeURIComponent(JSON.stringify({ name: ['ps-a'] })))).json as Array<Record<string, unknown>>;
    assert.equal(list.length, 1);
    const s = list[0]!;
    assert.deepEqual(Object.keys(s), ['Id', 'Names', 'Image', 'ImageID', 'Command', 'Created', 'Ports', 'Labels', 'State', 'Status', 'HostConfig', 'NetworkSettings', 'Mounts']);
    assert.deepEqual(s.Names, ['/ps-a']);
    assert.equal(s.Image, 'busybox');
    assert.equal(s.Command, 'sleep 60');
    assert.equal(s.State, 'running');
    assert.match(String(s.Status), /^Up /);
    assert.equal(typeof s.Created, 'number');
    const sized = (await d.api('GET', '/containers/json?size=1&filters=' + encodeURIComponent(JSON.stringify({ name: ['ps-a'] })))).json as Array<Record<string, unknown>>;
    assert.equal(typeof sized[0]!.SizeRw, 'number');
    assert.ok((sized[0]!.SizeRootFs as number) > 1_000_000);
    await d.docker(['rm', '-f', 'ps-a', 'ps-b', 'ps-c']);
  });

  it('inspects in dockerd\'s shape', async () => {
    const id = (await d.docker(['run', '-d', '--name', 'insp', '-e', 'FOO=bar', '--label', 'a=b', '-w', '/work/dir', '--hostname', 'myhost', 'busybox', 'sh', '-c', 'pwd; hostname; sleep 60'])).stdout.trim();
    await waitFor('output', async () => (await d.docker(['logs', id])).stdout.includes('myhost'));
    assert.equal((await d.docker(['logs', id])).stdout, '/work/dir\nmyhost\n');
    const c = await inspect(d, id);
    assert.deepEqual(Object.keys(c), [
      'Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ResolvConfPath', 'HostnamePath', 'HostsPath', 'LogPath', 'Name', 'RestartCount',
      'Driver', 'Platform', 'MountLabel', 'ProcessLabel', 'AppArmorProfile', 'ExecIDs', 'HostConfig', 'GraphDriver', 'Mounts', 'Config', 'NetworkSettings',
    ]);
    assert.deepEqual(Object.keys(c.State), ['Status', 'Running', 'Paused', 'Restarting', 'OOMKilled', 'Dead', 'Pid', 'ExitCode', 'Error', 'StartedAt', 'FinishedAt']);
    assert.equal(c.Path, 'sh');
    assert.equal(c.Name, '/insp');
    assert.equal(c.Platform, 'linux');
    assert.match(String(c.Created), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(c.State.Status, 'running');
    assert.ok(c.State.Pid > 0);
    assert.equal((c.State as unknown as { FinishedAt: string }).FinishedAt, '0001-01-01T00:00:00Z');
    assert.match(String(c.LogPath), new RegExp(`${id}-json\\.log$`));
    const cfg = c.Config as Record<string, unknown>;
    assert.equal(cfg.Hostname, 'myhost');
    assert.equal(cfg.Image, 'busybox');
    assert.equal(cfg.WorkingDir, '/work/dir');
    assert.ok((cfg.Env as string[]).includes('FOO=bar'));
    assert.ok((cfg.Env as string[]).some((e) => e.startsWith('PATH=')));
    assert.deepEqual(cfg.Labels, { a: 'b' });
    // The CLI sends Volumes {}; dockerd keeps the image's (null for busybox).
    assert.equal(cfg.Volumes, null);
    const hc = c.HostConfig as Record<string, unknown>;
    assert.equal(hc.ShmSize, 67108864);
    assert.deepEqual(hc.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
    assert.deepEqual(hc.LogConfig, { Type: 'json-file', Config: {} });
    assert.equal((c.GraphDriver as { Name: string }).Name, c.Driver);
    const sized = (await d.api('GET', `/containers/${id}/json?size=1`)).json as Record<string, unknown>;
    assert.equal(typeof sized.SizeRw, 'number');
    assert.equal(typeof sized.SizeRootFs, 'number');
    await d.docker(['rm', '-f', id]);
  });

  it('rmi of an image a container ran lists its layer as Deleted too (a spare writable layer does not hold it)', async () => {
    await d.docker(['run', '--name', 'tocommit', 'busybox', 'sh', '-c', 'echo x > /f']);
    const imageId = (await d.docker(['commit', 'tocommit', 'committed:1'])).stdout.trim();
    await d.docker(['rm', 'tocommit']);
    // Creating a container from it makes spare writable layers on its chain ahead of the next run.
    assert.equal((await d.docker(['run', '--rm', 'committed:1', 'cat', '/f'])).stdout, 'x\n');
    const rmi = await d.docker(['rmi', 'committed:1']);
    const lines = rmi.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 2), ['Untagged: committed:1', `Deleted: ${imageId}`]);
    assert.equal(lines.length, 3, rmi.stdout);
    assert.match(lines[2]!, /^Deleted: sha256:[0-9a-f]{64}$/);
  });

  it('handles entrypoint, cmd and --entrypoint "" as dockerd does', async () => {
    assert.equal((await d.docker(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'a', 'b'])).stdout, 'a b\n');
    assert.equal((await d.docker(['run', '--rm', '--entrypoint', '', 'busybox', 'echo', 'cleared'])).stdout, 'cleared\n');
    // Without a command, an emptied entrypoint leaves nothing to run (the image's Cmd is not used).
    const none = await d.docker(['run', '--rm', '--entrypoint', '', 'busybox']);
    assert.equal(none.code, 125);
    assert.match(none.stderr, /No command specified/);
  });

  it('leaves no process, mount or cgroup behind once containers are removed', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await d.docker(['run', '-d', 'busybox', 'sleep', '60'])).stdout.trim());
    await d.docker(['rm', '-f', ...ids]);
    await waitFor('cleanup', async () => (await processesMentioning(d.execRoot)).length === 0 && (await mountsUnder(`${d.dataRoot}/storage`)).filter((m) => m.endsWith('/merged')).length === 0);
    for (const id of ids) assert.deepEqual(await cgroupsOf(id), []);
  });
});
