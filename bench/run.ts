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
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { machineLine, median, numberOptions, startBenchEngines, stopAll, timedDocker as docker, type BenchEngine } from './engines.js';

interface Engine extends BenchEngine {
  /** The per-container monitor's process name. */
  monitor: string;
  /** A string in every one of this engine's monitors' command lines. */
  monitorMention: string;
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
  const monitors = await pidsNamed(e.monitor, e.monitorMention);
  const monitorKiB = monitors.length ? monitors.reduce((a, p) => a + pssKiB(p), 0) / monitors.length : 0;
  const pid = e.pid();
  const daemonKiB = pid ? pssKiB(pid) : 0;
  const t1 = Date.now();
  await docker(host, ['rm', '-f', ...ids]);
  const rmF = (Date.now() - t1) / 1000;
  return { runRm: median(rm), runRmNone: median(rmNone), runD, ps: median(ps), monitorKiB, daemonKiB, rmF };
}

async function main(): Promise<void> {
  const { rounds, count } = numberOptions(process.argv.slice(2), { rounds: 15, count: 50 });
  const started: BenchEngine[] = [];
  const results: Array<[string, Figures]> = [];
  try {
    const { berth, dockerd } = await startBenchEngines('run', started);
    const engines: Engine[] = [{ ...berth, monitor: 'conmon', monitorMention: berth.daemon.execRoot }];
    if (dockerd) engines.push({ ...dockerd, monitor: 'containerd-shim-runc-v2', monitorMention: dockerd.namespace });
    for (const e of engines) results.push([e.name, await measure(e, rounds, count)]);
  } finally {
    await stopAll(started);
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
  process.stdout.write(`\n${machineLine()}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
