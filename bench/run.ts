// Container lifecycle speed and footprint: berthd vs dockerd, side by side in
// one run, through the real docker CLI and the same busybox image.
//
//   run --rm        `docker run --rm busybox true`, median of N (default
//                   network and --network none)
//   run -d x50      50 sequential `docker run -d busybox sleep 600`, total
//   ps              `docker ps` with those 50 running, median of N
//   monitor PSS     memory of each container's monitor (conmon for berth,
//                   containerd-shim for dockerd), mean, from smaps_rollup
//   daemon PSS      the daemon's own memory with the 50 running
//   rm -f x50       `docker rm -f` of the 50
//
// dockerd (when installed: apt-get install -y docker.io) runs on its own
// socket, data root and exec root with --bridge none --iptables=false (so its
// default network is none: compare with berth's --network none line), and
// is stopped afterwards. The busybox image goes from berthd to dockerd with
// docker save | docker load.
//
// Run: node_modules/.bin/tsc -p . && node_modules/node/bin/node dist/bench/run.js [--rounds 15] [--count 50]
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { dockerCli, runProcess, startDaemon, unmountUnder, type TestDaemon } from '../test/helpers/daemon.js';

interface Engine {
  name: string;
  host: string;
  /** The daemon's pid (for its memory). */
  pid(): number | undefined;
  /** The per-container monitor's process name. */
  monitor: string;
  stop(): Promise<void>;
}

function parseArgs(argv: string[]): { rounds: number; count: number } {
  const a = { rounds: 15, count: 50 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rounds') a.rounds = Number(argv[++i]);
    else if (argv[i] === '--count') a.count = Number(argv[++i]);
  }
  return a;
}

async function docker(host: string, args: string[], input?: Buffer): Promise<{ ms: number; stdout: string }> {
  const t0 = process.hrtime.bigint();
  const r = await runProcess(dockerCli, ['-H', host, ...args], { timeoutMs: 300_000, ...(input ? { input } : {}) });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Proportional set size of a process in KiB (its share of shared pages). */
function pssKiB(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function pidsNamed(name: string, mention: string): Promise<number[]> {
  const out: number[] = [];
  for (const p of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const cmd = await fs.readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
    const argv0 = path.basename(cmd.split('\0')[0] ?? '');
    if (argv0 === name && cmd.includes(mention)) out.push(Number(p));
  }
  return out;
}

async function berthEngine(): Promise<Engine & { daemon: TestDaemon }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-run-'));
  writeFileSync(path.join(dir, 'daemon.json'), '{}');
  const daemon = await startDaemon({ dir, args: ['--log-level', 'warn'] });
  const res = await daemon.api('POST', '/berth/images/busybox');
  if (res.status >= 300) throw new Error(`busybox: ${res.text}`);
  return { name: 'berth', host: daemon.host, daemon, pid: () => daemon.pid, monitor: 'conmon', stop: () => daemon.cleanup() };
}

async function dockerdEngine(): Promise<Engine | undefined> {
  if (!existsSync('/usr/sbin/dockerd')) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dockerd-bench-run-'));
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
    '--containerd-namespace', `benchrun${process.pid}`,
    '--containerd-plugins-namespace', `benchrunp${process.pid}`,
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
  const deadline = Date.now() + 30_000;
  while (!(await ping())) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      process.stderr.write(`dockerd did not start:\n${log.slice(-3000)}\n`);
      await unmountUnder(dir);
      await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      return undefined;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const stop = async (): Promise<void> => {
    await runProcess(dockerCli, ['-H', `unix://${sock}`, 'rm', '-f', ...(await runProcess(dockerCli, ['-H', `unix://${sock}`, 'ps', '-aq'])).stdout.split('\n').filter(Boolean)]).catch(() => undefined);
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
  return { name: 'dockerd', host: `unix://${sock}`, pid: () => proc.pid, monitor: 'containerd-shim-runc-v2', stop };
}

interface Figures {
  runRm: number;
  runRmNone: number;
  runD: number;
  ps: number;
  monitorKiB: number;
  daemonKiB: number;
  rmF: number;
}

async function measure(e: Engine, rounds: number, count: number): Promise<Figures> {
  const host = e.host;
  // Warm up (first runs fill caches on both sides).
  for (let i = 0; i < 3; i++) await docker(host, ['run', '--rm', 'busybox', 'true']);
  const rm: number[] = [];
  const rmNone: number[] = [];
  for (let i = 0; i < rounds; i++) {
    rm.push((await docker(host, ['run', '--rm', 'busybox', 'true'])).ms);
    rmNone.push((await docker(host, ['run', '--rm', '--network', 'none', 'busybox', 'true'])).ms);
  }
  const ids: string[] = [];
  const t0 = Date.now();
  for (let i = 0; i < count; i++) ids.push((await docker(host, ['run', '-d', 'busybox', 'sleep', '600'])).stdout.trim());
  const runD = (Date.now() - t0) / 1000;
  const ps: number[] = [];
  for (let i = 0; i < rounds; i++) ps.push((await docker(host, ['ps'])).ms);
  const mention = e.name === 'berth' ? (e as Engine & { daemon: TestDaemon }).daemon.execRoot : `benchrun${process.pid}`;
  const monitors = await pidsNamed(e.monitor, mention);
  const monitorKiB = monitors.length ? monitors.reduce((a, p) => a + pssKiB(p), 0) / monitors.length : 0;
  const pid = e.pid();
  const daemonKiB = pid ? pssKiB(pid) : 0;
  const t1 = Date.now();
  await docker(host, ['rm', '-f', ...ids]);
  const rmF = (Date.now() - t1) / 1000;
  return { runRm: median(rm), runRmNone: median(rmNone), runD, ps: median(ps), monitorKiB, daemonKiB, rmF };
}

async function main(): Promise<void> {
  const { rounds, count } = parseArgs(process.argv.slice(2));
  const engines: Engine[] = [];
  const results: Array<[string, Figures]> = [];
  try {
    const berth = await berthEngine();
    engines.push(berth);
    const dockerd = await dockerdEngine();
    if (dockerd) {
      engines.push(dockerd);
      // The same image in both: docker save from berthd, docker load into dockerd.
      const file = path.join(os.tmpdir(), `busybox-${process.pid}.tar`);
      await docker(berth.host, ['save', '-o', file, 'busybox:latest']);
      await docker(dockerd.host, ['load', '-q', '-i', file]);
      await fs.rm(file, { force: true });
    } else {
      process.stdout.write('dockerd: not installed (apt-get install -y docker.io) or did not start; berth only\n');
    }
    for (const e of engines) results.push([e.name, await measure(e, rounds, count)]);
  } finally {
    for (const e of engines) await e.stop().catch((err: unknown) => process.stderr.write(`stopping ${e.name}: ${String(err)}\n`));
  }
  const rows: Array<[string, (f: Figures) => string]> = [
    ['run --rm busybox true (default network), median ms', (f) => f.runRm.toFixed(0)],
    ['run --rm --network none busybox true, median ms', (f) => f.runRmNone.toFixed(0)],
    [`${count} x run -d busybox sleep 600, s`, (f) => f.runD.toFixed(2)],
    [`docker ps with ${count} running, median ms`, (f) => f.ps.toFixed(1)],
    ['monitor per container, PSS MiB', (f) => (f.monitorKiB / 1024).toFixed(2)],
    [`daemon with ${count} running, PSS MiB`, (f) => (f.daemonKiB / 1024).toFixed(0)],
    [`rm -f of ${count} running, s`, (f) => f.rmF.toFixed(2)],
  ];
  const names = results.map(([n]) => n);
  process.stdout.write(`\n| metric | ${names.join(' | ')} |\n|---|${names.map(() => '---:').join('|')}|\n`);
  for (const [label, fmt] of rows) process.stdout.write(`| ${label} | ${results.map(([, f]) => fmt(f)).join(' | ')} |\n`);
  process.stdout.write(`\n(${os.availableParallelism()} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
