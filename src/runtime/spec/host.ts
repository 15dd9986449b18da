// What this host can do for a container, detected once at daemon start: the
// cgroup version and which cgroup knobs exist (moby pkg/sysinfo), the
// capabilities the daemon holds, its own rlimits, seccomp/AppArmor support.
// Validation and spec generation take a HostInfo so they stay pure and testable.
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { capabilitiesFromMask } from './capabilities.js';

export interface CgroupFeatures {
  memoryLimit: boolean;
  swapLimit: boolean;
  memoryReservation: boolean;
  oomKillDisable: boolean;
  memorySwappiness: boolean;
  kernelMemory: boolean;
  kernelMemoryTCP: boolean;
  cpuShares: boolean;
  cpuCfs: boolean;
  cpuRealtime: boolean;
  cpuset: boolean;
  blkioWeight: boolean;
  blkioWeightDevice: boolean;
  blkioReadBpsDevice: boolean;
  blkioWriteBpsDevice: boolean;
  blkioReadIOpsDevice: boolean;
  blkioWriteIOpsDevice: boolean;
  pidsLimit: boolean;
  hugetlb: boolean;
}

export interface RlimitValue {
  soft: bigint;
  hard: bigint;
}

/** RLIM_INFINITY as the kernel and the OCI spec write it. */
export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

export interface HostInfo {
  /** 1 for legacy and hybrid hierarchies (runc drives v1 controllers), 2 for unified. */
  cgroupVersion: 1 | 2;
  cgroup: CgroupFeatures;
  cgroupNamespaces: boolean;
  /** CPUs this process may run on (dockerd's sysinfo.NumCPU). */
  numCPU: number;
  /** cpuset.cpus / cpuset.mems available to containers, in list syntax ("0-1"). */
  cpusetCpus: string;
  cpusetMems: string;
  /** Kernel release, e.g. "6.18.44-fc-v782". */
  kernelRelease: string;
  /** libseccomp's name for the native architecture ("amd64", "arm64"...). */
  seccompArch: string;
  /** Capabilities the daemon holds (its effective set), in number order: what --privileged grants. */
  capabilities: string[];
  seccompEnabled: boolean;
  apparmorEnabled: boolean;
  /** The daemon's own rlimits by docker ulimit name (nofile, nproc...): runc cannot exceed the hard ones. */
  rlimits: Record<string, RlimitValue>;
  /** Kernel >= 5.12 and the OCI runtime knows the "rro" mount option. */
  recursiveReadOnly: boolean;
  /** Sysctls dockerd sets by default exist on this kernel. */
  pingGroupRangeSysctl: boolean;
  unprivilegedPortStartSysctl: boolean;
}

export interface DetectOptions {
  procRoot?: string;
  sysRoot?: string;
  cgroupRoot?: string;
  /** OCI runtime binary asked for its `features` (rro support). */
  runtimeBinary?: string;
}

const PROC_LIMIT_NAMES: Record<string, string> = {
  'Max cpu time': 'cpu',
  'Max file size': 'fsize',
  'Max data size': 'data',
  'Max stack size': 'stack',
  'Max core file size': 'core',
  'Max resident set': 'rss',
  'Max processes': 'nproc',
  'Max open files': 'nofile',
  'Max locked memory': 'memlock',
  'Max address space': 'as',
  'Max file locks': 'locks',
  'Max pending signals': 'sigpending',
  'Max msgqueue size': 'msgqueue',
  'Max nice priority': 'nice',
  'Max realtime priority': 'rtprio',
  'Max realtime timeout': 'rttime',
};

/** Parse /proc/<pid>/limits into docker ulimit names. */
export function parseProcLimits(text: string): Record<string, RlimitValue> {
  const out: Record<string, RlimitValue> = {};
  for (const line of text.split('\n')) {
    for (const [label, name] of Object.entries(PROC_LIMIT_NAMES)) {
      if (!line.startsWith(label + ' ')) continue;
      const fields = line.slice(label.length).trim().split(/\s+/);
      const value = (f: string | undefined): bigint => (f === undefined || f === 'unlimited' ? RLIM_INFINITY : BigInt(f));
      out[name] = { soft: value(fields[0]), hard: value(fields[1]) };
    }
  }
  return out;
}

/** libseccomp's native architecture name for a Node process.arch. */
export function seccompArchFor(nodeArch: string, endianness: 'BE' | 'LE' = os.endianness()): string {
  switch (nodeArch) {
    case 'x64':
      return 'amd64';
    case 'ia32':
      return 'x86';
    case 'ppc64':
      return endianness === 'LE' ? 'ppc64le' : 'ppc64';
    case 'mips':
      return 'mips';
    case 'mipsel':
      return 'mipsel';
    default:
      return nodeArch; // arm, arm64, s390x, riscv64, loong64 share libseccomp's names
  }
}

/** Major.minor of a kernel release string, e.g. "6.18.44-x" -> [6, 18]. */
export function kernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

export function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const [a, b] = kernelVersion(release);
  return a > major || (a === major && b >= minor);
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

function cgroupV1Features(root: string): CgroupFeatures {
  const has = (controller: string, file: string): boolean => existsSync(path.join(root, controller, file));
  const mounted = (controller: string): boolean => existsSync(path.join(root, controller));
  return {
    memoryLimit: mounted('memory'),
    swapLimit: has('memory', 'memory.memsw.limit_in_bytes'),
    memoryReservation: has('memory', 'memory.soft_limit_in_bytes'),
    oomKillDisable: has('memory', 'memory.oom_control'),
    memorySwappiness: has('memory', 'memory.swappiness'),
    kernelMemory: has('memory', 'memory.kmem.limit_in_bytes'),
    kernelMemoryTCP: has('memory', 'memory.kmem.tcp.limit_in_bytes'),
    cpuShares: has('cpu', 'cpu.shares'),
    cpuCfs: has('cpu', 'cpu.cfs_quota_us') && has('cpu', 'cpu.cfs_period_us'),
    cpuRealtime: has('cpu', 'cpu.rt_period_us') && has('cpu', 'cpu.rt_runtime_us'),
    cpuset: mounted('cpuset'),
    blkioWeight: has('blkio', 'blkio.weight') || has('blkio', 'blkio.bfq.weight'),
    blkioWeightDevice: has('blkio', 'blkio.weight_device') || has('blkio', 'blkio.bfq.weight_device'),
    blkioReadBpsDevice: has('blkio', 'blkio.throttle.read_bps_device'),
    blkioWriteBpsDevice: has('blkio', 'blkio.throttle.write_bps_device'),
    blkioReadIOpsDevice: has('blkio', 'blkio.throttle.read_iops_device'),
    blkioWriteIOpsDevice: has('blkio', 'blkio.throttle.write_iops_device'),
    pidsLimit: mounted('pids'),
    hugetlb: mounted('hugetlb'),
  };
}

/** cgroup v2 (moby sysinfo applyXxxCgroupInfoV2): features follow the enabled controllers. */
export function cgroupV2Features(controllers: readonly string[]): CgroupFeatures {
  const on = (c: string): boolean => controllers.includes(c);
  const memory = on('memory');
  const io = on('io');
  return {
    memoryLimit: memory,
    swapLimit: memory,
    memoryReservation: memory,
    oomKillDisable: false,
    memorySwappiness: false,
    kernelMemory: false,
    kernelMemoryTCP: false,
    cpuShares: on('cpu'),
    cpuCfs: on('cpu'),
    cpuRealtime: false,
    cpuset: on('cpuset'),
    blkioWeight: io,
    blkioWeightDevice: io,
    blkioReadBpsDevice: io,
    blkioWriteBpsDevice: io,
    blkioReadIOpsDevice: io,
    blkioWriteIOpsDevice: io,
    pidsLimit: on('pids'),
    hugetlb: on('hugetlb'),
  };
}

function runtimeSupportsRro(binary: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(binary, ['features'], { timeout: 10_000 }, (err, stdout) => {
      if (err) return resolve(false);
      try {
        const features = JSON.parse(stdout) as { mountOptions?: unknown };
        resolve(Array.isArray(features.mountOptions) && features.mountOptions.includes('rro'));
      } catch {
        resolve(false);
      }
    });
  });
}

/** Detect the HostInfo of the calling process's host. */
export async function detectHostInfo(opts: DetectOptions = {}): Promise<HostInfo> {
  const proc = opts.procRoot ?? '/proc';
  const sys = opts.sysRoot ?? '/sys';
  const cgroupRoot = opts.cgroupRoot ?? path.join(sys, 'fs/cgroup');
  const unifiedControllers = await readText(path.join(cgroupRoot, 'cgroup.controllers'));
  const cgroupVersion: 1 | 2 = unifiedControllers !== undefined ? 2 : 1;
  const cgroup =
    cgroupVersion === 2 ? cgroupV2Features(unifiedControllers!.trim().split(/\s+/)) : cgroupV1Features(cgroupRoot);

  let cpusetCpus = '';
  let cpusetMems = '';
  if (cgroupVersion === 2) {
    cpusetCpus = (await readText(path.join(cgroupRoot, 'cpuset.cpus.effective')))?.trim() ?? '';
    cpusetMems = (await readText(path.join(cgroupRoot, 'cpuset.mems.effective')))?.trim() ?? '';
  } else {
    cpusetCpus = (await readText(path.join(cgroupRoot, 'cpuset/cpuset.cpus')))?.trim() ?? '';
    cpusetMems = (await readText(path.join(cgroupRoot, 'cpuset/cpuset.mems')))?.trim() ?? '';
  }
  const numCPU = os.availableParallelism();
  if (!cpusetCpus) cpusetCpus = numCPU > 1 ? `0-${numCPU - 1}` : '0';
  if (!cpusetMems) cpusetMems = '0';

  const status = (await readText(path.join(proc, 'self/status'))) ?? '';
  const capEff = /^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0';
  const capLastCap = Number((await readText(path.join(proc, 'sys/kernel/cap_last_cap')))?.trim() ?? '40');
  const kernelRelease = os.release();
  const runtime = opts.runtimeBinary ?? 'runc';

  return {
    cgroupVersion,
    cgroup,
    cgroupNamespaces: existsSync(path.join(proc, 'self/ns/cgroup')),
    numCPU,
    cpusetCpus,
    cpusetMems,
    kernelRelease,
    seccompArch: seccompArchFor(process.arch),
    capabilities: capabilitiesFromMask(capEff, Number.isFinite(capLastCap) ? capLastCap : 40),
    seccompEnabled: /^Seccomp:/m.test(status),
    apparmorEnabled: ((await readText(path.join(sys, 'module/apparmor/parameters/enabled'))) ?? '').trim() === 'Y',
    rlimits: parseProcLimits((await readText(path.join(proc, 'self/limits'))) ?? ''),
    recursiveReadOnly: kernelAtLeast(kernelRelease, 5, 12) && (await runtimeSupportsRro(runtime)),
    pingGroupRangeSysctl: existsSync(path.join(proc, 'sys/net/ipv4/ping_group_range')),
    unprivilegedPortStartSysctl: existsSync(path.join(proc, 'sys/net/ipv4/ip_unprivileged_port_start')),
  };
}
