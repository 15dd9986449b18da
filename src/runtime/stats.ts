// docker stats: cgroup figures in dockerd's StatsJSON shape (moby
// daemon/stats_unix.go), from cgroup v1 controller files or the v2 unified
// directory, plus network counters from the container's namespace
// (/proc/<pid>/net/dev) and the host's CPU time (/proc/stat).
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatRfc3339Nano, nowNano, ZERO_TIME } from '../common/time.js';
import { cgroupPathsOf } from './cgroups.js';

const CLOCK_TICKS = 100;

async function read(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function readNum(file: string): Promise<number | undefined> {
  const t = (await read(file))?.trim();
  if (t === undefined || t === '' || t === 'max') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function keyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

export type StatsJson = Record<string, unknown> & { cpu_stats: CpuStats; read: string };

function emptyCpu(): CpuStats {
  return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
}

function emptyBlkio(): Record<string, unknown> {
  return {
    io_service_bytes_recursive: null,
    io_serviced_recursive: null,
    io_queue_recursive: null,
    io_service_time_recursive: null,
    io_wait_time_recursive: null,
    io_merged_recursive: null,
    io_time_recursive: null,
    sectors_recursive: null,
  };
}

/** What dockerd sends for a container that is not running. */
export function emptyStats(name: string, id: string): StatsJson {
  return {
    read: ZERO_TIME,
    preread: ZERO_TIME,
    pids_stats: {},
    blkio_stats: emptyBlkio(),
    num_procs: 0,
    storage_stats: {},
    cpu_stats: emptyCpu(),
    precpu_stats: emptyCpu(),
    memory_stats: {},
    name,
    id,
  };
}

async function systemCpuUsage(): Promise<number> {
  const text = (await read('/proc/stat')) ?? '';
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const fields = line.trim().split(/\s+/).slice(1, 8).map(Number);
  const ticks = fields.reduce((a, b) => a + b, 0);
  return (ticks * 1e9) / CLOCK_TICKS;
}

function blkioEntries(text: string | undefined): Array<{ major: number; minor: number; op: string; value: number }> | null {
  const out: Array<{ major: number; minor: number; op: string; value: number }> = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\d+):(\d+)\s+(\S+)\s+(\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3]!, value: Number(m[4]) });
  }
  return out.length ? out : null;
}

async function networks(pid: number): Promise<Record<string, Record<string, number>> | undefined> {
  const text = await read(`/proc/${pid}/net/dev`);
  if (!text) return undefined;
  const out: Record<string, Record<string, number>> = {};
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    out[m[1]!] = {
      rx_bytes: f[0] ?? 0, rx_packets: f[1] ?? 0, rx_errors: f[2] ?? 0, rx_dropped: f[3] ?? 0,
      tx_bytes: f[8] ?? 0, tx_packets: f[9] ?? 0, tx_errors: f[10] ?? 0, tx_dropped: f[11] ?? 0,
    };
  }
  return Object.keys(out).length ? out : undefined;
}

/** One sample of a running container's figures. `hostNetwork`: no network counters (the host's are not the container's). */
export async function sampleStats(pid: number, name: string, id: string, hostNetwork: boolean): Promise<StatsJson> {
  const out = emptyStats(name, id);
  out.read = formatRfc3339Nano(nowNano());
  const cg = await cgroupPathsOf(pid);
  const machineMemory = os.totalmem();
  const cpu = emptyCpu();
  cpu.system_cpu_usage = await systemCpuUsage();
  cpu.online_cpus = os.availableParallelism();
  if (cg?.version === 2) {
    const dir = cg.dirs.get('') ?? '';
    const cpuStat = keyValues(await read(path.join(dir, 'cpu.stat')));
    cpu.cpu_usage.total_usage = (cpuStat.usage_usec ?? 0) * 1000;
    cpu.cpu_usage.usage_in_usermode = (cpuStat.user_usec ?? 0) * 1000;
    cpu.cpu_usage.usage_in_kernelmode = (cpuStat.system_usec ?? 0) * 1000;
    cpu.throttling_data = { periods: cpuStat.nr_periods ?? 0, throttled_periods: cpuStat.nr_throttled ?? 0, throttled_time: (cpuStat.throttled_usec ?? 0) * 1000 };
    const memStat = keyValues(await read(path.join(dir, 'memory.stat')));
    const limit = (await readNum(path.join(dir, 'memory.max'))) ?? machineMemory;
    out.memory_stats = { usage: (await readNum(path.join(dir, 'memory.current'))) ?? 0, stats: memStat, limit: Math.min(limit, machineMemory) };
    const pidsMax = await readNum(path.join(dir, 'pids.max'));
    out.pids_stats = { current: (await readNum(path.join(dir, 'pids.current'))) ?? 0, ...(pidsMax !== undefined ? { limit: pidsMax } : {}) };
    const io: Array<{ major: number; minor: number; op: string; value: number }> = [];
    for (const line of ((await read(path.join(dir, 'io.stat'))) ?? '').split('\n')) {
      const [dev, ...kv] = line.trim().split(/\s+/);
      const dm = /^(\d+):(\d+)$/.exec(dev ?? '');
      if (!dm) continue;
      const vals = Object.fromEntries(kv.map((p) => p.split('=') as [string, string]));
      io.push({ major: Number(dm[1]), minor: Number(dm[2]), op: 'read', value: Number(vals.rbytes ?? 0) });
      io.push({ major: Number(dm[1]), minor: Number(dm[2]), op: 'write', value: Number(vals.wbytes ?? 0) });
    }
    out.blkio_stats = { ...emptyBlkio(), io_service_bytes_recursive: io.length ? io : null };
  } else if (cg) {
    const acct = cg.dirs.get('cpuacct') ?? cg.dirs.get('cpu');
    if (acct) {
      cpu.cpu_usage.total_usage = (await readNum(path.join(acct, 'cpuacct.usage'))) ?? 0;
      const percpu = ((await read(path.join(acct, 'cpuacct.usage_percpu'))) ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
      if (percpu.length) cpu.cpu_usage.percpu_usage = percpu;
      const st = keyValues(await read(path.join(acct, 'cpuacct.stat')));
      cpu.cpu_usage.usage_in_usermode = ((st.user ?? 0) * 1e9) / CLOCK_TICKS;
      cpu.cpu_usage.usage_in_kernelmode = ((st.system ?? 0) * 1e9) / CLOCK_TICKS;
    }
    const cpuDir = cg.dirs.get('cpu');
    if (cpuDir) {
      const st = keyValues(await read(path.join(cpuDir, 'cpu.stat')));
      cpu.throttling_data = { periods: st.nr_periods ?? 0, throttled_periods: st.nr_throttled ?? 0, throttled_time: st.throttled_time ?? 0 };
    }
    const mem = cg.dirs.get('memory');
    if (mem) {
      const limit = (await readNum(path.join(mem, 'memory.limit_in_bytes'))) ?? machineMemory;
      out.memory_stats = {
        usage: (await readNum(path.join(mem, 'memory.usage_in_bytes'))) ?? 0,
        max_usage: (await readNum(path.join(mem, 'memory.max_usage_in_bytes'))) ?? 0,
        stats: keyValues(await read(path.join(mem, 'memory.stat'))),
        failcnt: (await readNum(path.join(mem, 'memory.failcnt'))) ?? 0,
        limit: limit > machineMemory ? machineMemory : limit,
      };
    }
    const pids = cg.dirs.get('pids');
    if (pids) {
      const max = await readNum(path.join(pids, 'pids.max'));
      out.pids_stats = { current: (await readNum(path.join(pids, 'pids.current'))) ?? 0, ...(max !== undefined ? { limit: max } : {}) };
    }
    const blkio = cg.dirs.get('blkio');
    if (blkio) {
      out.blkio_stats = {
        ...emptyBlkio(),
        io_service_bytes_recursive: blkioEntries(await read(path.join(blkio, 'blkio.throttle.io_service_bytes_recursive'))),
        io_serviced_recursive: blkioEntries(await read(path.join(blkio, 'blkio.throttle.io_serviced_recursive'))),
      };
    }
  }
  out.cpu_stats = cpu;
  if (!hostNetwork) {
    const nets = await networks(pid);
    if (nets) out.networks = nets;
  }
  return out;
}
