// Shared inputs of the runtime-spec unit tests: the host the dockerd 20.10
// fixtures were captured on, a throwaway rootfs with its passwd/group, and
// the fixtures themselves (see fixtures/dockerd-20.10/README.md).
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { capabilitiesFromMask } from '../../../src/runtime/spec/capabilities.js';
import { RLIM_INFINITY, type HostInfo } from '../../../src/runtime/spec/host.js';
import type { HostConfig } from '../../../src/runtime/container-config.js';
import type { ContainerConfig } from '../../../src/common/container-config.js';
import type { OciSpec } from '../../../src/runtime/spec/types.js';
import { repoRoot, sharedSpecs } from './oci-schema.js';

/**
 * The capture machine (Debian 12 VM, kernel 6.18, cgroup v1 hybrid, 2 CPUs):
 * no CAP_SYS_RESOURCE in the daemon's sets, no blkio weight (no CFQ/BFQ
 * weight files), nofile 20000.
 */
export function captureHost(overrides: Partial<HostInfo> = {}): HostInfo {
  return {
    cgroupVersion: 1,
    cgroup: {
      memoryLimit: true,
      swapLimit: true,
      memoryReservation: true,
      oomKillDisable: true,
      memorySwappiness: true,
      kernelMemory: true,
      kernelMemoryTCP: true,
      cpuShares: true,
      cpuCfs: true,
      cpuRealtime: true,
      cpuset: true,
      blkioWeight: false,
      blkioWeightDevice: false,
      blkioReadBpsDevice: true,
      blkioWriteBpsDevice: true,
      blkioReadIOpsDevice: true,
      blkioWriteIOpsDevice: true,
      pidsLimit: true,
      hugetlb: true,
    },
    cgroupNamespaces: true,
    numCPU: 2,
    cpusetCpus: '0-1',
    cpusetMems: '0',
    kernelRelease: '6.18.44-fc-v782',
    seccompArch: 'amd64',
    capabilities: capabilitiesFromMask('000001fffeffffff', 40),
    seccompEnabled: true,
    apparmorEnabled: false,
    rlimits: {
      nofile: { soft: 20000n, hard: 20000n },
      nproc: { soft: 96364n, hard: 96364n },
      core: { soft: 0n, hard: RLIM_INFINITY },
    },
    recursiveReadOnly: false,
    pingGroupRangeSysctl: true,
    unprivilegedPortStartSysctl: true,
    ...overrides,
  };
}

export const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
alice:x:1000:1000:Alice:/home/alice:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
`;

export const GROUP = `root:x:0:
daemon:x:1:
tty:x:5:
staff:x:50:alice
alice:x:1000:
audio:x:29:alice,bob
nogroup:x:65534:
`;

/** A temp rootfs with the capture image's /etc/passwd and /etc/group. */
export function makeRootfs(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-spec-rootfs-'));
  mkdirSync(path.join(dir, 'etc'));
  writeFileSync(path.join(dir, 'etc/passwd'), PASSWD);
  writeFileSync(path.join(dir, 'etc/group'), GROUP);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface DockerdCase {
  name: string;
  /** The body docker CLI 28 sent to POST /containers/create. */
  create: ContainerConfig & { HostConfig: HostConfig };
  /** What `docker inspect` showed afterwards (dockerd's adapted settings). */
  inspect: { Config: ContainerConfig; HostConfig: HostConfig } | null;
  /** The config.json dockerd 20.10 handed to runc, sanitised; null when start failed. */
  spec: OciSpec | null;
  startError: string | null;
}

export const fixturesDir = path.join(repoRoot, 'test/unit/runtime/fixtures/dockerd-20.10');

const seccompDefaultText = (): string =>
  JSON.stringify(JSON.parse(readFileSync(path.join(sharedSpecs, 'engine-api/seccomp-default.json'), 'utf8')));

/** Load a fixture, putting back the seccomp profile the CLI sent in place of its placeholder. */
export function loadCase(name: string): DockerdCase {
  const c = JSON.parse(readFileSync(path.join(fixturesDir, `${name}.json`), 'utf8')) as DockerdCase;
  for (const hc of [c.create.HostConfig, c.inspect?.HostConfig]) {
    if (hc?.SecurityOpt) {
      hc.SecurityOpt = hc.SecurityOpt.map((o) => (o === 'seccomp=<seccomp-default.json>' ? `seccomp=${seccompDefaultText()}` : o));
    }
  }
  return c;
}

export function caseNames(): string[] {
  return readdirSync(fixturesDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}
