// What the side-by-side benchmarks (run, build, cli, pull-push) share: a
// berthd and a dockerd to measure, each on its own temporary paths; the timed
// docker CLI call; `--name N` options; the median and the closing line.
//
// The dockerd (when installed: apt-get install -y docker.io) runs on its own
// socket, data root and exec root with --bridge none --iptables=false
// --ip6tables=false (so it touches no host networking; its default network is
// none) and its own containerd namespaces; stop() removes its containers and
// everything under its directory.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, promises as fs, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startBusyboxDaemon } from '../test/helpers/busybox-daemon.js';
import { dockerCli, runProcess, unmountUnder, type TestDaemon } from '../test/helpers/daemon.js';

const dockerdBin = '/usr/sbin/dockerd';

/** A daemon the docker CLI talks to (`-H host`). */
export interface BenchEngine {
  /** The column or row name the bench prints. */
  name: string;
  host: string;
  /** The daemon's pid (for its memory). */
  pid(): number | undefined;
  stop(): Promise<void>;
}

export interface BerthEngine extends BenchEngine {
  daemon: TestDaemon;
}

export interface DockerdEngine extends BenchEngine {
  /** Its containerd namespace: part of every shim's command line. */
  namespace: string;
}

export interface BenchBerthdOptions {
  /** What the bench calls it (default `berth`). */
  name?: string;
  /** Load busybox (default true). */
  busybox?: boolean;
}

/** A berthd on `<tmpdir>/berth-bench-<tag>-XXXXXX`, logging warnings only, with busybox. */
export async function startBenchBerthd(tag: string, opts: BenchBerthdOptions = {}): Promise<BerthEngine> {
  const daemon = await startBusyboxDaemon(`berth-bench-${tag}`, { args: ['--log-level', 'warn'], busybox: opts.busybox ?? true });
  return { name: opts.name ?? 'berth', host: daemon.host, daemon, pid: () => daemon.pid, stop: () => daemon.cleanup() };
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath, path: '/_ping' }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * A dockerd on `<tmpdir>/dockerd-bench-<tag>-XXXXXX`, containerd namespace
 * `bench<tag><pid>`; undefined (with its log's tail on stderr when it failed)
 * when dockerd is not installed or did not answer /_ping within 30 s.
 */
export async function startBenchDockerd(tag: string, extraArgs: string[] = []): Promise<DockerdEngine | undefined> {
  if (!existsSync(dockerdBin)) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), `dockerd-bench-${tag}-`));
  const sock = path.join(dir, 'docker.sock');
  const host = `unix://${sock}`;
  const namespace = `bench${tag}${process.pid}`;
  writeFileSync(path.join(dir, 'daemon.json'), '{}');
  // A file, not a pipe: a bench that blocks in spawnSync would let a full pipe stall dockerd.
  const logFile = path.join(dir, 'dockerd.log');
  const logFd = openSync(logFile, 'a');
  const proc = spawn(dockerdBin, [
    '--data-root', path.join(dir, 'root'),
    '--exec-root', path.join(dir, 'exec'),
    '--pidfile', path.join(dir, 'dockerd.pid'),
    '-H', host,
    '--bridge', 'none',
    '--iptables=false',
    '--ip6tables=false',
    '--containerd-namespace', namespace,
    '--containerd-plugins-namespace', `${namespace}p`,
    '--config-file', path.join(dir, 'daemon.json'),
    ...extraArgs,
  ], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const running = (): boolean => proc.exitCode === null && proc.signalCode === null;
  // SIGTERM (dockerd then stops the containerd it started), SIGKILL after 20 s.
  const stopProcess = async (): Promise<void> => {
    if (running()) {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    }
    await unmountUnder(dir);
    await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };
  const deadline = Date.now() + 30_000;
  while (!(await ping(sock))) {
    if (!running() || Date.now() > deadline) {
      process.stderr.write(`dockerd did not start:\n${readFileSync(logFile, 'utf8').slice(-3000)}\n`);
      await stopProcess();
      return undefined;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const stop = async (): Promise<void> => {
    if (running()) {
      const ids = (await runProcess(dockerCli, ['-H', host, 'ps', '-aq']).catch(() => ({ stdout: '' }))).stdout.split('\n').filter(Boolean);
      if (ids.length > 0) await runProcess(dockerCli, ['-H', host, 'rm', '-f', ...ids]).catch(() => undefined);
    }
    await stopProcess();
  };
  return { name: 'dockerd', host, namespace, pid: () => proc.pid, stop };
}

/**
 * Starts the berthd and, when it is installed and starts, the dockerd a bench
 * compares. Each goes into `started` as soon as it runs, so the caller's
 * `finally` can stopAll(started) whatever fails next. With busybox (the
 * default) dockerd gets berthd's busybox (docker save | docker load); without
 * a dockerd a line on stdout says so.
 */
export async function startBenchEngines(
  tag: string,
  started: BenchEngine[],
  opts: BenchBerthdOptions = {},
): Promise<{ berth: BerthEngine; dockerd: DockerdEngine | undefined }> {
  const berth = await startBenchBerthd(tag, opts);
  started.push(berth);
  const dockerd = await startBenchDockerd(tag);
  if (dockerd) {
    started.push(dockerd);
    if (opts.busybox ?? true) await copyImage(berth, dockerd);
  } else {
    process.stdout.write(`dockerd: not installed (apt-get install -y docker.io) or did not start; ${berth.name} only\n`);
  }
  return { berth, dockerd };
}

/** Stops each engine in turn; a failure is reported on stderr and does not keep the others running. */
export async function stopAll(engines: readonly BenchEngine[]): Promise<void> {
  for (const e of engines) await e.stop().catch((err: unknown) => process.stderr.write(`stopping ${e.name}: ${String(err)}\n`));
}

/** Runs the docker CLI against `host`, timing the whole process; throws when it fails. */
export async function timedDocker(host: string, args: string[], env?: Record<string, string>): Promise<{ ms: number; stdout: string }> {
  const t0 = process.hrtime.bigint();
  const r = await runProcess(dockerCli, ['-H', host, ...args], { timeoutMs: 600_000, ...(env ? { env } : {}) });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout.slice(-2000)}`);
  return { ms, stdout: r.stdout };
}

/** Copies an image from one engine to another (docker save | docker load, through a temp file). */
export async function copyImage(from: BenchEngine, to: BenchEngine, ref = 'busybox:latest'): Promise<void> {
  const file = path.join(os.tmpdir(), `bench-image-${process.pid}.tar`);
  try {
    await timedDocker(from.host, ['save', '-o', file, ref]);
    await timedDocker(to.host, ['load', '-q', '-i', file]);
  } finally {
    await fs.rm(file, { force: true });
  }
}

/**
 * The bench's `--name N` options: each key of `defaults` is one (`--rounds 3`),
 * its value a number; other arguments are ignored.
 */
export function numberOptions<T extends Record<string, number>>(argv: readonly string[], defaults: T): T {
  const options: Record<string, number> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.startsWith('--') ? argv[i]!.slice(2) : '';
    if (Object.hasOwn(defaults, name)) options[name] = Number(argv[++i]);
  }
  return options as T;
}

/** The middle value; the mean of the two middle ones for an even count (NaN for none). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The closing line every bench prints under its table. */
export function machineLine(): string {
  return `(${os.availableParallelism()} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})`;
}
