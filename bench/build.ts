// docker build speed: berthd vs dockerd's legacy builder, side by side in one
// run, through the real docker CLI (DOCKER_BUILDKIT=0) and the same busybox.
//
// The Dockerfile of issue 6: FROM/ENV/WORKDIR/COPY of a 50 MB, 2000-file
// context/three RUNs/CMD. Figures (medians of --rounds, default 3):
//   cold           `docker build --no-cache` (the first one on a fresh daemon included)
//   fully cached   the same build again, nothing changed
//   one changed    one file's content changed: COPY and the RUNs rebuild
// Both builds use --network none (dockerd runs with --bridge none, so its
// default network is none anyway).
//
// dockerd (apt-get install -y docker.io) runs on its own socket, data root
// and exec root and is stopped afterwards.
//
// Run: node_modules/.bin/tsc -p . && node_modules/node/bin/node dist/bench/build.js [--rounds 3]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, promises as fs, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { dockerCli, runProcess, startDaemon, unmountUnder } from '../test/helpers/daemon.js';

interface Engine {
  name: string;
  host: string;
  stop(): Promise<void>;
}

const env = { DOCKER_BUILDKIT: '0' };

async function docker(host: string, args: string[]): Promise<{ ms: number; stdout: string }> {
  const t0 = process.hrtime.bigint();
  const r = await runProcess(dockerCli, ['-H', host, ...args], { timeoutMs: 600_000, env });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout.slice(-2000)}`);
  return { ms, stdout: r.stdout };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function berthEngine(): Promise<Engine> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-build-'));
  writeFileSync(path.join(dir, 'daemon.json'), '{}');
  const daemon = await startDaemon({ dir, args: ['--log-level', 'warn'] });
  const res = await daemon.api('POST', '/berth/images/busybox');
  if (res.status >= 300) throw new Error(`busybox: ${res.text}`);
  return { name: 'berth', host: daemon.host, stop: () => daemon.cleanup() };
}

async function dockerdEngine(): Promise<Engine | undefined> {
  if (!existsSync('/usr/sbin/dockerd')) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dockerd-bench-build-'));
  const sock = path.join(dir, 'docker.sock');
  writeFileSync(path.join(dir, 'daemon.json'), '{}');
  const proc: ChildProcess = spawn('/usr/sbin/dockerd', [
    '--data-root', path.join(dir, 'root'),
    '--exec-root', path.join(dir, 'exec'),
    '--pidfile', path.join(dir, 'dockerd.pid'),
    '-H', `unix://${sock}`,
    '--bridge', 'none',
    '--iptables=false',
    '--ip6tables=false',
    '--containerd-namespace', `benchbuild${process.pid}`,
    '--containerd-plugins-namespace', `benchbuildp${process.pid}`,
    '--config-file', path.join(dir, 'daemon.json'),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout!.on('data', (b: Buffer) => { log += b.toString(); });
  proc.stderr!.on('data', (b: Buffer) => { log += b.toString(); });
  const ping = (): Promise<boolean> => new Promise((resolve) => {
    const req = http.request({ socketPath: sock, path: '/_ping' }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false));
    req.end();
  });
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    }
    await unmountUnder(dir);
    await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };
  const deadline = Date.now() + 30_000;
  while (!(await ping())) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      process.stderr.write(`dockerd did not start:\n${log.slice(-3000)}\n`);
      await stop();
      return undefined;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { name: 'dockerd', host: `unix://${sock}`, stop };
}

const DOCKERFILE = `FROM busybox
ENV APP=bench
WORKDIR /app
COPY . /app
RUN ls /app/data | wc -l
RUN du -s /app
RUN echo done > /app/done.txt
CMD ["sh"]
`;

/** 2000 files of 25 KiB (50 MB) in 40 directories, plus the Dockerfile. */
async function makeContext(dir: string): Promise<void> {
  await fs.writeFile(path.join(dir, 'Dockerfile'), DOCKERFILE);
  for (let i = 0; i < 2000; i++) {
    const sub = path.join(dir, 'data', `d${String(i % 40).padStart(2, '0')}`);
    if (i < 40) await fs.mkdir(sub, { recursive: true });
    await fs.writeFile(path.join(sub, `f${String(i).padStart(4, '0')}.bin`), randomBytes(25 * 1024));
  }
}

interface Figures {
  cold: number;
  cached: number;
  changed: number;
}

async function measure(e: Engine, ctx: string, rounds: number): Promise<Figures> {
  const build = (extra: string[] = []): Promise<{ ms: number; stdout: string }> =>
    docker(e.host, ['build', '--network', 'none', '-t', 'bench:latest', ...extra, ctx]);
  const cold: number[] = [];
  const cached: number[] = [];
  const changed: number[] = [];
  cold.push((await build()).ms);
  for (let i = 1; i < rounds; i++) cold.push((await build(['--no-cache'])).ms);
  for (let i = 0; i < rounds; i++) {
    const r = await build();
    if (!r.stdout.includes('Using cache')) throw new Error(`${e.name}: the cached build was not cached`);
    cached.push(r.ms);
  }
  for (let i = 0; i < rounds; i++) {
    await fs.writeFile(path.join(ctx, 'data', 'd07', 'f0007.bin'), randomBytes(25 * 1024));
    changed.push((await build()).ms);
  }
  return { cold: median(cold), cached: median(cached), changed: median(changed) };
}

async function main(): Promise<void> {
  let rounds = 3;
  const i = process.argv.indexOf('--rounds');
  if (i >= 0) rounds = Number(process.argv[i + 1]);
  const ctx = mkdtempSync(path.join(os.tmpdir(), 'bench-build-ctx-'));
  const engines: Engine[] = [];
  const results: Array<[string, Figures]> = [];
  try {
    await makeContext(ctx);
    const berth = await berthEngine();
    engines.push(berth);
    const dockerd = await dockerdEngine();
    if (dockerd) {
      engines.push(dockerd);
      const file = path.join(os.tmpdir(), `busybox-build-${process.pid}.tar`);
      await docker(berth.host, ['save', '-o', file, 'busybox:latest']);
      await docker(dockerd.host, ['load', '-q', '-i', file]);
      await fs.rm(file, { force: true });
    } else {
      process.stdout.write('dockerd: not installed (apt-get install -y docker.io) or did not start; berth only\n');
    }
    for (const e of engines) results.push([e.name, await measure(e, ctx, rounds)]);
  } finally {
    for (const e of engines) await e.stop().catch((err: unknown) => process.stderr.write(`stopping ${e.name}: ${String(err)}\n`));
    await fs.rm(ctx, { recursive: true, force: true });
  }
  const rows: Array<[string, (f: Figures) => string]> = [
    ['build, cold (s)', (f) => (f.cold / 1000).toFixed(2)],
    ['build, fully cached (s)', (f) => (f.cached / 1000).toFixed(2)],
    ['build, one file changed (s)', (f) => (f.changed / 1000).toFixed(2)],
  ];
  const names = results.map(([n]) => n);
  process.stdout.write(`\n| metric (median of ${rounds}) | ${names.join(' | ')} |\n|---|${names.map(() => '---:').join('|')}|\n`);
  for (const [label, fmt] of rows) process.stdout.write(`| ${label} | ${results.map(([, f]) => fmt(f)).join(' | ')} |\n`);
  process.stdout.write(`\n(${os.availableParallelism()} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
