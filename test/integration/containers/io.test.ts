// Container I/O through the docker CLI: an interactive TTY driven through a
// pty (docker run -it, the terminal's size, detach with ctrl-p ctrl-q and
// re-attach), exec with and without -t, logs (stdout and stderr apart,
// tail, since, timestamps, follow) of running and stopped containers, and
// log rotation with max-size/max-file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { TestDaemon } from '../../helpers/daemon.js';
import { dockerCli } from '../../helpers/daemon.js';
import { daemonWithBusybox, inspect, skipContainers, waitFor } from './helpers.js';

const require = createRequire(import.meta.url);

interface Pty {
  onData(cb: (d: string) => void): void;
  onExit(cb: (e: { exitCode: number }) => void): void;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  kill(signal?: string): void;
}
type PtySpawn = (file: string, args: string[], opts: { name: string; cols: number; rows: number; env: Record<string, string> }) => Pty;
const ptySpawn = (require('@lydell/node-pty') as { spawn: PtySpawn }).spawn;

/** A docker CLI in a pseudo-terminal, with its screen text so far. */
class Terminal {
  text = '';
  exited: Promise<number>;
  private readonly p: Pty;
  constructor(d: TestDaemon, args: string[], cols = 100, rows = 30) {
    this.p = ptySpawn(dockerCli, ['-H', d.host, ...args], {
      name: 'xterm',
      cols,
      rows,
      env: { ...(process.env as Record<string, string>), DOCKER_CONFIG: path.join(d.dir, 'docker-config') },
    });
    this.p.onData((s) => { this.text += s; });
    this.exited = new Promise((r) => this.p.onExit((e) => r(e.exitCode)));
  }
  write(s: string): void {
    this.p.write(s);
  }
  resize(cols: number, rows: number): void {
    this.p.resize(cols, rows);
  }
  async waitFor(re: RegExp, timeoutMs = 15_000): Promise<void> {
    await waitFor(`terminal output ${re}`, () => re.test(this.text), timeoutMs);
  }
  kill(): void {
    try {
      this.p.kill('SIGKILL');
    } catch {
      // gone already
    }
  }
}

describe('container I/O through the docker CLI', { skip: skipContainers }, () => {
  let d: TestDaemon;
  const terminals: Terminal[] = [];
  const term = (args: string[], cols?: number, rows?: number): Terminal => {
    const t = new Terminal(d, args, cols, rows);
    terminals.push(t);
    return t;
  };
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    for (const t of terminals) t.kill();
    await d?.cleanup();
  });

  it('runs an interactive shell with docker run -it, following the terminal size', async () => {
    const t = term(['run', '-it', '--rm', 'busybox', 'sh'], 91, 27);
    await t.waitFor(/\/ # /);
    t.write('echo $((6*7))\r');
    await t.waitFor(/\r\n42\r\n/);
    t.write('stty size\r');
    await t.waitFor(/27 91/);
    t.resize(120, 40);
    await new Promise((r) => setTimeout(r, 500));
    t.write('stty size\r');
    await t.waitFor(/40 120/);
    t.write('exit 4\r');
    assert.equal(await t.exited, 4);
  });

  it('detaches with ctrl-p ctrl-q and re-attaches', async () => {
    const t = term(['run', '-it', '--name', 'detachable', 'busybox', 'sh']);
    await t.waitFor(/\/ # /);
    t.write('export MARK=still-here\r');
    await new Promise((r) => setTimeout(r, 200));
    t.write('\x10\x11');
    assert.equal(await t.exited, 0);
    assert.equal((await inspect(d, 'detachable')).State.Running, true);
    const again = term(['attach', 'detachable']);
    await new Promise((r) => setTimeout(r, 500));
    again.write('echo $MARK\r');
    await again.waitFor(/still-here/);
    // docker attach reports the detach as an error ("read escape sequence", exit 1); docker run -it does not.
    again.write('\x10\x11');
    assert.equal(await again.exited, 1);
    assert.match(again.text, /read escape sequence/);
    const third = term(['attach', '--detach-keys', 'ctrl-a,x', 'detachable']);
    await new Promise((r) => setTimeout(r, 500));
    third.write('\x01x');
    assert.equal(await third.exited, 1);
    assert.equal((await inspect(d, 'detachable')).State.Running, true);
    await d.docker(['rm', '-f', 'detachable']);
  });

  it('execs into a running container with and without a TTY, passing exit codes', async () => {
    await d.docker(['run', '-d', '--name', 'exectarget', '-e', 'FROM_RUN=1', 'busybox', 'sleep', '300']);
    const plain = await d.docker(['exec', 'exectarget', 'sh', '-c', 'echo out; echo err >&2; echo $FROM_RUN; exit 6']);
    assert.equal(plain.code, 6);
    assert.equal(plain.stdout, 'out\n1\n');
    assert.equal(plain.stderr, 'err\n');
    const withEnv = await d.docker(['exec', '-e', 'X=y', '-w', '/tmp', '-u', 'nobody', 'exectarget', 'sh', '-c', 'echo $X $(pwd) $(id -un)']);
    assert.equal(withEnv.stdout, 'y /tmp nobody\n');
    const piped = await d.docker(['exec', '-i', 'exectarget', 'cat'], { input: 'through exec\n' });
    assert.equal(piped.stdout, 'through exec\n');
    // dockerd marks every failed exec start 126 (moby ContainerExecStart's deferred
    // exit code), a missing command too; the message comes on the stream's stdout.
    const missing = await d.docker(['exec', 'exectarget', 'nosuch']);
    assert.equal(missing.code, 126);
    assert.match(missing.stdout, /^OCI runtime exec failed: .*exec: "nosuch": executable file not found in \$PATH: unknown\r?\n$/);
    // A user the container does not know: the same failed start, not a hanging stream.
    const noUser = await d.docker(['exec', '-u', 'nosuchuser', 'exectarget', 'true'], { timeoutMs: 20_000 });
    assert.deepEqual([noUser.code, noUser.stdout.trimEnd()], [126, 'unable to find user nosuchuser: no matching entries in passwd file']);
    const noUserDetached = await d.docker(['exec', '-d', '-u', 'nosuchuser', 'exectarget', 'true'], { timeoutMs: 20_000 });
    assert.deepEqual([noUserDetached.code, noUserDetached.stderr], [1, 'Error response from daemon: unable to find user nosuchuser: no matching entries in passwd file\n']);
    const t = term(['exec', '-it', 'exectarget', 'sh'], 77, 21);
    await t.waitFor(/\/ # /);
    t.write('stty size; tty\r');
    await t.waitFor(/21 77/);
    await t.waitFor(/\/dev\/pts\//);
    t.write('exit 9\r');
    assert.equal(await t.exited, 9);
    const c = await inspect(d, 'exectarget');
    assert.equal(c.ExecIDs, null);
    await d.docker(['rm', '-f', 'exectarget']);
  });

  it('keeps logs of a stopped container, stdout and stderr apart, with tail, since, until and timestamps', async () => {
    await d.docker(['run', '--name', 'logger', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo out$i; echo err$i >&2; done; printf partial']);
    const all = await d.docker(['logs', 'logger']);
    assert.equal(all.stdout, 'out1\nout2\nout3\npartial');
    assert.equal(all.stderr, 'err1\nerr2\nerr3\n');
    // stdout and stderr are separate pipes: their records interleave as conmon reads them, so count on one stream.
    await d.docker(['run', '--name', 'counter', 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5; do echo n$i; done']);
    assert.equal((await d.docker(['logs', '--tail', '2', 'counter'])).stdout, 'n4\nn5\n');
    assert.equal((await d.docker(['logs', '--tail', '0', 'counter'])).stdout, '');
    await d.docker(['rm', 'counter']);
    const ts = await d.docker(['logs', '-t', 'logger']);
    for (const line of ts.stdout.split('\n').filter(Boolean)) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (out\d|partial)$/);
    const future = await d.docker(['logs', '--since', String(Math.floor(Date.now() / 1000) + 60), 'logger']);
    assert.equal(future.stdout + future.stderr, '');
    const past = await d.docker(['logs', '--until', '2000-01-01T00:00:00Z', 'logger']);
    assert.equal(past.stdout + past.stderr, '');
    const c = await inspect(d, 'logger');
    const text = await fs.readFile(String(c.LogPath), 'utf8');
    assert.match(text.split('\n')[0]!, /^\S+ (stdout|stderr) F (out|err)1$/);
    await d.docker(['rm', 'logger']);
  });

  it('follows the log of a running container until it exits', async () => {
    await d.docker(['run', '-d', '--name', 'follower', 'busybox', 'sh', '-c', 'for i in 1 2 3 4; do echo line$i; sleep 0.3; done']);
    const r = await d.docker(['logs', '-f', 'follower'], { timeoutMs: 20_000 });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'line1\nline2\nline3\nline4\n');
    await d.docker(['rm', 'follower']);
  });

  it('attaches to a running container and to one started with start -a', async () => {
    await d.docker(['create', '--name', 'later', 'busybox', 'sh', '-c', 'echo started; exit 3']);
    const r = await d.docker(['start', '-a', 'later']);
    assert.equal(r.stdout, 'started\n');
    assert.equal(r.code, 3);
    await d.docker(['rm', 'later']);
  });

  it('rotates json-file logs with max-size and max-file, and refuses unknown log options', async () => {
    const id = (await d.docker(['run', '-d', '--log-opt', 'max-size=20k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', 'i=0; while [ $i -lt 3000 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; sleep 30'])).stdout.trim();
    const c = await inspect(d, id);
    const logPath = String(c.LogPath);
    await waitFor('rotation', async () => (await fs.readdir(path.dirname(logPath))).filter((f) => f.startsWith(`${id}-json.log.`)).length >= 1, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    const files = (await fs.readdir(path.dirname(logPath))).filter((f) => f.startsWith(`${id}-json.log`));
    assert.ok(files.length <= 3, `at most max-file files: ${files}`);
    // Nothing lost between the files kept: the newest lines are consecutive.
    const lines = (await d.docker(['logs', id])).stdout.split('\n').filter(Boolean);
    // The oldest file kept may begin with the end of a line whose start was in
    // a file rotated away (conmon splits a line it reads in two chunks into a
    // partial and a final record): that fragment is all that may be missing.
    if (!/^line-\d+-/.test(lines[0] ?? '')) lines.shift();
    const kept = lines.map((l) => Number(l.split('-')[1]));
    for (let i = 1; i < kept.length; i++) assert.equal(kept[i], kept[i - 1]! + 1);
    assert.equal(kept.at(-1), 2999);
    const logs = await d.docker(['logs', '--tail', '1', id]);
    assert.equal(logs.stdout, 'line-2999-xxxxxxxxxxxxxxxxxxxxxxxx\n');
    await d.docker(['rm', '-f', id]);
    const bad = await d.docker(['run', '--rm', '--log-opt', 'nosuch=1', 'busybox', 'true']);
    assert.match(bad.stderr, /unknown log opt 'nosuch' for json-file log driver/);
    const none = await d.docker(['run', '--name', 'nolog', '--log-driver', 'none', 'busybox', 'echo', 'hidden']);
    assert.equal(none.stdout, 'hidden\n');
    const nolog = await d.docker(['logs', 'nolog']);
    assert.match(nolog.stderr, /configured logging driver does not support reading/);
    await d.docker(['rm', 'nolog']);
  });
});
