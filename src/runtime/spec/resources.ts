// linux.resources from a HostConfig (moby daemon WithResources with
// getMemoryResources, getCPUResources, getBlkioWeightDevices,
// getBlkioThrottleDevices, getPidsLimit). The spec is the same for cgroup v1
// and v2 (runc translates: swap to memory.swap.max = swap - limit, shares to
// cpu.weight, blkio weight to io.weight); what v2 lacks is dropped here with a
// warning, as validation would have dropped it at create.
import { promises as fs } from 'node:fs';
import { invalidParameter } from '../../common/errors.js';
import type { HostConfig, ThrottleDevice, WeightDevice } from '../container-config.js';
import { devMajor, devMinor, errnoText } from './devices.js';
import type { HostInfo } from './host.js';
import type { OciBlockIO, OciCpu, OciMemory, OciResources, OciThrottleDevice, OciWeightDevice } from './types.js';

async function statDevice(p: string): Promise<{ major: number; minor: number }> {
  try {
    const st = await fs.stat(p, { bigint: true });
    return { major: devMajor(st.rdev), minor: devMinor(st.rdev) };
  } catch (err) {
    throw invalidParameter(`stat ${p}: ${errnoText(err)}`);
  }
}

async function throttleDevices(list: readonly ThrottleDevice[] | null | undefined): Promise<OciThrottleDevice[] | undefined> {
  if (!list?.length) return undefined;
  const out: OciThrottleDevice[] = [];
  for (const d of list) out.push({ ...(await statDevice(d.Path)), rate: d.Rate });
  return out;
}

async function weightDevices(list: readonly WeightDevice[] | null | undefined): Promise<OciWeightDevice[] | undefined> {
  if (!list?.length) return undefined;
  const out: OciWeightDevice[] = [];
  for (const d of list) out.push({ ...(await statDevice(d.Path)), weight: d.Weight });
  return out;
}

/** 100ms period and the quota that gives NanoCpus/1e9 CPUs (sched-bwc.txt), exact in bigint. */
export function nanoCpusToQuota(nanoCpus: number): { period: number; quota: number } {
  const period = 100_000;
  const quota = Number((BigInt(Math.trunc(nanoCpus)) * BigInt(period)) / 1_000_000_000n);
  return { period, quota };
}

export interface ResourcesResult {
  resources: OciResources;
  warnings: string[];
}

/** Memory, CPU, pids and block I/O of linux.resources; devices are added by the caller. */
export async function buildResources(hc: HostConfig, host: HostInfo): Promise<ResourcesResult> {
  const warnings: string[] = [];
  const v2 = host.cgroupVersion === 2;

  const memory: OciMemory = {};
  if ((hc.Memory ?? 0) > 0) memory.limit = hc.Memory!;
  if ((hc.MemoryReservation ?? 0) > 0) memory.reservation = hc.MemoryReservation!;
  if ((hc.MemorySwap ?? 0) > 0) memory.swap = hc.MemorySwap!;
  if ((hc.KernelMemoryTCP ?? 0) !== 0) {
    if (v2) warnings.push('Kernel memory TCP limit is not supported with cgroup v2. Limitation discarded.');
    else memory.kernelTCP = hc.KernelMemoryTCP!;
  }
  if (hc.MemorySwappiness != null && hc.MemorySwappiness !== -1) {
    if (v2) warnings.push('Memory swappiness is not supported with cgroup v2. Memory swappiness discarded.');
    else memory.swappiness = hc.MemorySwappiness;
  }
  if (hc.OomKillDisable != null) memory.disableOOMKiller = hc.OomKillDisable;

  const cpu: OciCpu = {};
  const shares = hc.CpuShares ?? 0;
  if (shares < 0) throw invalidParameter('shares: invalid argument');
  cpu.shares = shares;
  if ((hc.NanoCpus ?? 0) > 0) {
    const { period, quota } = nanoCpusToQuota(hc.NanoCpus!);
    cpu.quota = quota;
    cpu.period = period;
  }
  if (hc.CpuPeriod) cpu.period = hc.CpuPeriod;
  if (hc.CpuQuota) cpu.quota = hc.CpuQuota;
  if (hc.CpuRealtimeRuntime) cpu.realtimeRuntime = hc.CpuRealtimeRuntime;
  if (hc.CpuRealtimePeriod) cpu.realtimePeriod = hc.CpuRealtimePeriod;
  if (hc.CpusetCpus) cpu.cpus = hc.CpusetCpus;
  if (hc.CpusetMems) cpu.mems = hc.CpusetMems;

  const blockIO: OciBlockIO = { weight: hc.BlkioWeight ?? 0 };
  const wd = await weightDevices(hc.BlkioWeightDevice);
  if (wd) blockIO.weightDevice = wd;
  const rb = await throttleDevices(hc.BlkioDeviceReadBps);
  if (rb) blockIO.throttleReadBpsDevice = rb;
  const wb = await throttleDevices(hc.BlkioDeviceWriteBps);
  if (wb) blockIO.throttleWriteBpsDevice = wb;
  const ri = await throttleDevices(hc.BlkioDeviceReadIOps);
  if (ri) blockIO.throttleReadIOPSDevice = ri;
  const wi = await throttleDevices(hc.BlkioDeviceWriteIOps);
  if (wi) blockIO.throttleWriteIOPSDevice = wi;

  const resources: OciResources = { memory, cpu };
  // dockerd stores PidsLimit <= 0 as unset: no pids limit in the spec.
  if ((hc.PidsLimit ?? 0) > 0) resources.pids = { limit: hc.PidsLimit! };
  resources.blockIO = blockIO;
  return { resources, warnings };
}
