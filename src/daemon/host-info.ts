// Facts about the host for /info and /version, read once at start.
import os from 'node:os';
import { readFileSync, existsSync } from 'node:fs';

export interface HostInfo {
  kernelVersion: string;
  operatingSystem: string;
  osVersion: string;
  architecture: string;
  goArch: string;
  ncpu: number;
  memTotal: number;
  cgroupVersion: '1' | '2';
  hostname: string;
}

function osRelease(): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    for (const line of readFileSync('/etc/os-release', 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line);
      if (m) out[m[1]!] = m[2]!.replace(/^"|"$/g, '');
    }
  } catch {
    // not every system has os-release
  }
  return out;
}

// Go's GOARCH names, which the API reports (x64 → amd64).
const goArchByNode: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export function readHostInfo(): HostInfo {
  const rel = osRelease();
  return {
    kernelVersion: os.release(),
    operatingSystem: rel.PRETTY_NAME ?? 'Linux',
    osVersion: rel.VERSION_ID ?? '',
    architecture: os.machine(),
    goArch: goArchByNode[process.arch] ?? process.arch,
    ncpu: os.availableParallelism(),
    memTotal: os.totalmem(),
    // Pure v2 has cgroup.controllers at the root; v1 and hybrid do not.
    cgroupVersion: existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1',
    hostname: os.hostname(),
  };
}
