// Docker's wire types for POST /containers/create (HostConfig and
// NetworkingConfig: ../shared/specs/engine-api/v1.47.yaml, definitions of the
// same names; ContainerConfig, which images carry too, is in
// src/common/container-config.ts, and Mount in mount-contract.ts) and
// dockerd's create-time checks of them:
// which values are refused (with dockerd's messages), which are discarded
// with a warning, and the defaults dockerd fills in before storing the
// HostConfig.
//
// Sources of the rules (read, not translated): moby runconfig/hostconfig_unix.go
// (decode-time checks), daemon/container.go validateContainerConfig and
// validateHostConfig, daemon/daemon_unix.go verifyPlatformContainerResources,
// verifyPlatformContainerSettings and adaptContainerSettings.
import net from 'node:net';
import path from 'node:path';
import { invalidParameter } from '../common/errors.js';
import { normalizeCapabilities } from './spec/capabilities.js';
import type { HostInfo } from './spec/host.js';
import { parseSecurityOpt } from './spec/security.js';
import type { EndpointSettings } from './network-contract.js';
import type { Mount } from './mount-contract.js';
import type { ContainerConfig } from '../common/container-config.js';

// ---------------------------------------------------------------------------
// Wire types. Every field is optional: clients send partial bodies and nulls.

export type RestartPolicyName = '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';

export interface RestartPolicy {
  Name?: RestartPolicyName | string;
  MaximumRetryCount?: number;
}

export interface LogConfig {
  Type?: string;
  Config?: Record<string, string> | null;
}

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

/** "<port>/<proto>" -> bindings. */
export type PortMap = Record<string, PortBinding[] | null>;

export interface WeightDevice {
  Path: string;
  Weight: number;
}

export interface ThrottleDevice {
  Path: string;
  Rate: number;
}

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

export interface DeviceRequest {
  Driver?: string;
  Count?: number;
  DeviceIDs?: string[] | null;
  Capabilities?: string[][] | null;
  Options?: Record<string, string> | null;
}

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

export interface Resources {
  CpuShares?: number;
  Memory?: number;
  CgroupParent?: string;
  BlkioWeight?: number;
  BlkioWeightDevice?: WeightDevice[] | null;
  BlkioDeviceReadBps?: ThrottleDevice[] | null;
  BlkioDeviceWriteBps?: ThrottleDevice[] | null;
  BlkioDeviceReadIOps?: ThrottleDevice[] | null;
  BlkioDeviceWriteIOps?: ThrottleDevice[] | null;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Devices?: DeviceMapping[] | null;
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: DeviceRequest[] | null;
  /** Removed from API 1.42+; older clients still send it. */
  KernelMemory?: number;
  KernelMemoryTCP?: number;
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number | null;
  NanoCpus?: number;
  OomKillDisable?: boolean | null;
  Init?: boolean | null;
  PidsLimit?: number | null;
  Ulimits?: Ulimit[] | null;
  CpuCount?: number;
  CpuPercent?: number;
  IOMaximumIOps?: number;
  IOMaximumBandwidth?: number;
}

export interface HostConfig extends Resources {
  Binds?: string[] | null;
  ContainerIDFile?: string;
  LogConfig?: LogConfig | null;
  NetworkMode?: string;
  PortBindings?: PortMap | null;
  RestartPolicy?: RestartPolicy | null;
  AutoRemove?: boolean;
  VolumeDriver?: string;
  VolumesFrom?: string[] | null;
  Mounts?: Mount[] | null;
  /** [height, width] */
  ConsoleSize?: [number, number] | number[] | null;
  Annotations?: Record<string, string> | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  CgroupnsMode?: '' | 'private' | 'host' | string;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  ExtraHosts?: string[] | null;
  GroupAdd?: string[] | null;
  IpcMode?: string;
  Cgroup?: string;
  Links?: string[] | null;
  OomScoreAdj?: number;
  PidMode?: string;
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  StorageOpt?: Record<string, string> | null;
  Tmpfs?: Record<string, string> | null;
  UTSMode?: string;
  UsernsMode?: string;
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  Runtime?: string;
  Isolation?: '' | 'default' | 'process' | 'hyperv' | string;
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
}

export interface NetworkingConfig {
  EndpointsConfig?: Record<string, EndpointSettings | null> | null;
}

/** The body of POST /containers/create. */
export interface ContainerCreateRequest extends ContainerConfig {
  HostConfig?: HostConfig | null;
  NetworkingConfig?: NetworkingConfig | null;
}

// ---------------------------------------------------------------------------
// Namespace modes (moby api/types/container/hostconfig.go).

function containerRef(mode: string | undefined): string | undefined {
  if (!mode) return undefined;
  const i = mode.indexOf(':');
  if (i < 0 || mode.slice(0, i) !== 'container') return undefined;
  return mode.slice(i + 1);
}

export const networkMode = {
  isHost: (m?: string): boolean => m === 'host',
  isNone: (m?: string): boolean => m === 'none',
  isContainer: (m?: string): boolean => containerRef(m) !== undefined,
  container: (m?: string): string => containerRef(m) ?? '',
  /** Not sharing another namespace: dockerd then sets its default net sysctls. */
  isPrivate: (m?: string): boolean => !(m === 'host' || containerRef(m) !== undefined),
};

export const ipcMode = {
  isHost: (m?: string): boolean => m === 'host',
  isNone: (m?: string): boolean => m === 'none',
  isPrivate: (m?: string): boolean => m === 'private',
  isShareable: (m?: string): boolean => m === 'shareable',
  isEmpty: (m?: string): boolean => !m,
  isContainer: (m?: string): boolean => containerRef(m) !== undefined,
  container: (m?: string): string => containerRef(m) ?? '',
  valid: (m?: string): boolean =>
    !m || m === 'none' || m === 'private' || m === 'host' || m === 'shareable' || containerRef(m) !== undefined,
};

export const pidMode = {
  isHost: (m?: string): boolean => m === 'host',
  isContainer: (m?: string): boolean => containerRef(m) !== undefined,
  container: (m?: string): string => containerRef(m) ?? '',
  isPrivate: (m?: string): boolean => !(m === 'host' || containerRef(m) !== undefined),
  valid: (m?: string): boolean => !m || m === 'host' || !!containerRef(m),
};

export const utsMode = {
  isHost: (m?: string): boolean => m === 'host',
  valid: (m?: string): boolean => !m || m === 'host',
};

export const cgroupnsMode = {
  isPrivate: (m?: string): boolean => m === 'private',
  isHost: (m?: string): boolean => m === 'host',
  valid: (m?: string): boolean => !m || m === 'private' || m === 'host',
};

export const usernsMode = {
  isHost: (m?: string): boolean => m === 'host',
  valid: (m?: string): boolean => !m || m === 'host',
};

// ---------------------------------------------------------------------------
// Small parsers shared with the spec generator.

/**
 * moby pkg/parsers ParseUintList: "0-2,4" -> set of numbers; the empty string
 * is the empty set. Throws "invalid format: <val>" like Go.
 */
export function parseUintList(val: string, maximum = 10000): Set<number> {
  const out = new Set<number>();
  if (val === '') return out;
  const bad = (): Error => new Error(`invalid format: ${val}`);
  for (const part of val.split(',')) {
    const dash = part.indexOf('-');
    if (dash < 0) {
      if (!/^\d+$/.test(part)) throw bad();
      const n = Number(part);
      if (n > maximum) throw new Error(`value of out range, maximum is ${maximum}`);
      out.add(n);
      continue;
    }
    const lo = part.slice(0, dash);
    const hi = part.slice(dash + 1);
    if (!/^\d+$/.test(lo) || !/^\d+$/.test(hi)) throw bad();
    const a = Number(lo);
    const b = Number(hi);
    if (b < a) throw bad();
    if (b > maximum) throw new Error(`value of out range, maximum is ${maximum}`);
    for (let i = a; i <= b; i++) out.add(i);
  }
  return out;
}

const SIGNALS: Record<string, number> = {
  ABRT: 6, ALRM: 14, BUS: 7, CHLD: 17, CLD: 17, CONT: 18, FPE: 8, HUP: 1, ILL: 4, INT: 2, IO: 29, IOT: 6,
  KILL: 9, PIPE: 13, POLL: 29, PROF: 27, PWR: 30, QUIT: 3, SEGV: 11, STKFLT: 16, STOP: 19, SYS: 31, TERM: 15,
  TRAP: 5, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, USR1: 10, USR2: 12, VTALRM: 26, WINCH: 28, XCPU: 24, XFSZ: 25,
};
for (let i = 0; i <= 15; i++) SIGNALS[i === 0 ? 'RTMIN' : `RTMIN+${i}`] = 34 + i;
for (let i = 0; i <= 14; i++) SIGNALS[i === 0 ? 'RTMAX' : `RTMAX-${i}`] = 64 - i;

/** moby/sys/signal ParseSignal: a number, or a name with or without SIG, any case. */
export function parseSignal(raw: string): number {
  if (/^[+-]?\d+$/.test(raw)) {
    const n = Number(raw);
    if (n === 0) throw invalidParameter(`Invalid signal: ${raw}`);
    return n;
  }
  const name = raw.toUpperCase().replace(/^SIG/, '');
  const n = SIGNALS[name];
  if (n === undefined) throw invalidParameter(`Invalid signal: ${raw}`);
  return n;
}

/** Go's time.Duration String for the few values the messages print. */
function goDuration(ns: number): string {
  if (ns % 1_000_000_000 === 0) return `${ns / 1_000_000_000}s`;
  if (ns % 1_000_000 === 0) return `${ns / 1_000_000}ms`;
  if (ns % 1000 === 0) return `${ns / 1000}µs`;
  return `${ns}ns`;
}

// ---------------------------------------------------------------------------
// Container config checks (moby daemon/container.go validateContainerConfig).

const MINIMUM_HEALTH_DURATION = 1_000_000; // 1ms, in ns

/** Throws dockerd's error for a bad Config. */
export function validateContainerConfig(config: ContainerConfig): void {
  const wd = config.WorkingDir ?? '';
  if (wd !== '' && !wd.startsWith('/')) {
    throw invalidParameter(`the working directory '${wd}' is invalid, it needs to be an absolute path`);
  }
  if (config.StopSignal) parseSignal(config.StopSignal);
  for (const env of config.Env ?? []) {
    const key = env.split('=', 1)[0];
    if (key === '') throw invalidParameter(`invalid environment variable: ${env}`);
  }
  const hc = config.Healthcheck;
  if (hc) {
    const min = goDuration(MINIMUM_HEALTH_DURATION);
    const check = (v: number | undefined, name: string): void => {
      if (v && v !== 0 && v < MINIMUM_HEALTH_DURATION) throw invalidParameter(`${name} in Healthcheck cannot be less than ${min}`);
    };
    check(hc.Interval, 'Interval');
    check(hc.Timeout, 'Timeout');
    if ((hc.Retries ?? 0) < 0) throw invalidParameter('Retries in Healthcheck cannot be negative');
    check(hc.StartPeriod, 'StartPeriod');
    check(hc.StartInterval, 'StartInterval');
  }
}

// ---------------------------------------------------------------------------
// HostConfig checks.

export interface ValidateOptions {
  /** Runtimes the daemon knows (default: runc). */
  runtimes?: readonly string[];
  /** True when validating POST /containers/{id}/update rather than create. */
  update?: boolean;
  /** dockerd --cgroup-driver=systemd: CgroupParent must then name a slice. */
  systemdCgroupDriver?: boolean;
}

export interface ValidatedHostConfig {
  /** The HostConfig with the settings this host cannot apply discarded. */
  hostConfig: HostConfig;
  /** dockerd's warnings, returned to the client in the create response. */
  warnings: string[];
}

function validatePortNumber(raw: string, allowRange: boolean): boolean {
  const ok = (s: string): boolean => /^\d+$/.test(s) && Number(s) <= 65535;
  if (raw === '') return true;
  if (!allowRange || !raw.includes('-')) return ok(raw);
  const [a, b] = raw.split('-', 2) as [string, string];
  return ok(a) && ok(b) && Number(b) >= Number(a);
}

function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw === '' || parts[0] === '') return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1] === '') return ['tcp', parts[0]!];
  return [parts[1]!, parts[0]!];
}

/** moby opts.ValidateExtraHost: "host:ip" or "host=ip", ip may be "host-gateway" or [v6]. */
export function validateExtraHost(val: string): void {
  let sep = val.indexOf('=');
  if (sep < 0) sep = val.indexOf(':');
  const key = sep < 0 ? '' : val.slice(0, sep);
  let ip = sep < 0 ? '' : val.slice(sep + 1);
  if (sep < 0 || key === '' || key.includes(':')) throw invalidParameter(`bad format for add-host: ${JSON.stringify(val)}`);
  if (ip === 'host-gateway') return;
  if (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (net.isIP(ip) === 0) throw invalidParameter(`invalid IP address in add-host: ${JSON.stringify(ip)}`);
}

/** api/types/container ValidateRestartPolicy (API 1.44+ wording). */
export function validateRestartPolicy(policy: RestartPolicy | null | undefined): void {
  const name = policy?.Name ?? '';
  const count = policy?.MaximumRetryCount ?? 0;
  switch (name) {
    case 'always':
    case 'unless-stopped':
    case 'no':
      if (count !== 0) {
        let msg = "invalid restart policy: maximum retry count can only be used with 'on-failure'";
        if (count < 0) msg += ' and cannot be negative';
        throw invalidParameter(msg);
      }
      return;
    case 'on-failure':
      if (count < 0) throw invalidParameter('invalid restart policy: maximum retry count cannot be negative');
      return;
    case '':
      return;
    default:
      throw invalidParameter(
        `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
      );
  }
}

/** moby runconfig validateNetMode / validateNetContainerMode (decode-time). */
export function validateNetMode(config: ContainerConfig, hc: HostConfig): void {
  const mode = hc.NetworkMode ?? '';
  const parts = mode.split(':');
  if (parts[0] === 'container' && (parts.length < 2 || parts[1] === '')) {
    throw invalidParameter('Invalid network mode: invalid container format container:<name|id>');
  }
  const container = networkMode.isContainer(mode);
  const host = networkMode.isHost(mode);
  if (container && config.Hostname) throw invalidParameter('conflicting options: hostname and the network mode');
  if (container && hc.Links?.length) {
    throw invalidParameter("conflicting options: container type network can't be used with links. This would result in undefined behavior");
  }
  if (container && hc.Dns?.length) throw invalidParameter('conflicting options: dns and the network mode');
  if (container && hc.ExtraHosts?.length) {
    throw invalidParameter('conflicting options: custom host-to-IP mapping and the network mode');
  }
  if ((container || host) && config.MacAddress) throw invalidParameter('conflicting options: mac-address and the network mode');
  if (container && (Object.keys(hc.PortBindings ?? {}).length > 0 || hc.PublishAllPorts)) {
    throw invalidParameter('conflicting options: port publishing and the container type network mode');
  }
  if (container && Object.keys(config.ExposedPorts ?? {}).length > 0) {
    throw invalidParameter('conflicting options: port exposing and the container type network mode');
  }
  if (utsMode.isHost(hc.UTSMode) && config.Hostname) throw invalidParameter('conflicting options: hostname and the UTS mode');
  if (host && hc.Links?.length) {
    throw invalidParameter("conflicting options: host type networking can't be used with links. This would result in undefined behavior");
  }
}

const LINUX_MIN_MEMORY = 6 * 1024 * 1024;

/**
 * dockerd's create-time checks of a HostConfig, in dockerd's order. Throws an
 * invalid-parameter EngineError with dockerd's message for the first refused
 * value; otherwise returns the warnings and a copy of the HostConfig with the
 * settings this host cannot honour discarded (as dockerd discards them).
 */
export function validateHostConfig(
  input: HostConfig | null | undefined,
  config: ContainerConfig,
  host: HostInfo,
  opts: ValidateOptions = {},
): ValidatedHostConfig {
  const hc: HostConfig = structuredClone(input ?? {});
  const warnings: string[] = [];
  const cg = host.cgroup;

  // Decode-time checks (runconfig).
  validateNetMode(config, hc);
  const isolation = hc.Isolation ?? '';
  if (!(isolation === '' || isolation.toLowerCase() === 'default')) {
    throw invalidParameter(`Invalid isolation: ${JSON.stringify(isolation)} - linux only supports 'default'`);
  }
  if (hc.IOMaximumBandwidth) {
    throw invalidParameter('Invalid QoS settings: linux does not support configuration of maximum bandwidth');
  }
  if (hc.IOMaximumIOps) throw invalidParameter('Invalid QoS settings: linux does not support configuration of maximum IOPs');
  if ((hc.CpuRealtimePeriod || hc.CpuRealtimeRuntime) && !cg.cpuRealtime) {
    throw invalidParameter('Your kernel does not support CPU real-time scheduler');
  }
  if (hc.CpuRealtimePeriod && hc.CpuRealtimeRuntime && hc.CpuRealtimeRuntime > hc.CpuRealtimePeriod) {
    throw invalidParameter('cpu real-time runtime cannot be higher than cpu real-time period');
  }
  if (cg.cpuShares && (hc.CpuShares ?? 0) < 0) {
    throw invalidParameter(`invalid CPU shares (${hc.CpuShares}): value must be a positive integer`);
  }

  // daemon/container.go validateHostConfig.
  const restartName = hc.RestartPolicy?.Name ?? '';
  if (hc.AutoRemove && !(restartName === '' || restartName === 'no')) {
    throw invalidParameter("can't create 'AutoRemove' container with restart policy");
  }
  for (const h of hc.ExtraHosts ?? []) validateExtraHost(h);
  for (const [key, bindings] of Object.entries(hc.PortBindings ?? {})) {
    const [, port] = splitProtoPort(key);
    if (!validatePortNumber(port, false)) throw invalidParameter(`invalid port specification: ${JSON.stringify(port)}`);
    for (const b of bindings ?? []) {
      const [, hostPort] = splitProtoPort(b.HostPort ?? '');
      if (!validatePortNumber(hostPort, true)) throw invalidParameter(`invalid port specification: ${JSON.stringify(b.HostPort ?? '')}`);
    }
  }
  validateRestartPolicy(hc.RestartPolicy);
  try {
    normalizeCapabilities(hc.CapAdd, host.capabilities);
  } catch (err) {
    throw invalidParameter(`invalid CapAdd: ${(err as Error).message}`);
  }
  try {
    normalizeCapabilities(hc.CapDrop, host.capabilities);
  } catch (err) {
    throw invalidParameter(`invalid CapDrop: ${(err as Error).message}`);
  }
  for (const k of Object.keys(hc.Annotations ?? {})) {
    if (k === '') throw invalidParameter('invalid Annotations: the empty string is not permitted as an annotation key');
  }

  // daemon_unix.go verifyPlatformContainerResources.
  if (hc.MemorySwappiness === -1) hc.MemorySwappiness = undefined;
  const memory = hc.Memory ?? 0;
  if (memory !== 0 && memory < LINUX_MIN_MEMORY) throw invalidParameter('Minimum memory limit allowed is 6MB');
  if (memory > 0 && !cg.memoryLimit) {
    warnings.push('Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
    hc.Memory = 0;
    hc.MemorySwap = -1;
  }
  if ((hc.Memory ?? 0) > 0 && hc.MemorySwap !== -1 && !cg.swapLimit) {
    warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    hc.MemorySwap = -1;
  }
  if ((hc.Memory ?? 0) > 0 && (hc.MemorySwap ?? 0) > 0 && hc.MemorySwap! < hc.Memory!) {
    throw invalidParameter('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if ((hc.Memory ?? 0) === 0 && (hc.MemorySwap ?? 0) > 0 && !opts.update) {
    throw invalidParameter('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (hc.MemorySwappiness != null && !cg.memorySwappiness) {
    warnings.push(
      'Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.',
    );
    hc.MemorySwappiness = undefined;
  }
  if (hc.MemorySwappiness != null && (hc.MemorySwappiness < 0 || hc.MemorySwappiness > 100)) {
    throw invalidParameter(`Invalid value: ${hc.MemorySwappiness}, valid memory swappiness range is 0-100`);
  }
  if ((hc.MemoryReservation ?? 0) > 0 && !cg.memoryReservation) {
    warnings.push('Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. Limitation discarded.');
    hc.MemoryReservation = 0;
  }
  if ((hc.MemoryReservation ?? 0) > 0 && hc.MemoryReservation! < LINUX_MIN_MEMORY) {
    throw invalidParameter('Minimum memory reservation allowed is 6MB');
  }
  if ((hc.Memory ?? 0) > 0 && (hc.MemoryReservation ?? 0) > 0 && hc.Memory! < hc.MemoryReservation!) {
    throw invalidParameter('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if ((hc.KernelMemory ?? 0) > 0) {
    if ((hc.KernelMemory ?? 0) < LINUX_MIN_MEMORY) throw invalidParameter('Minimum kernel memory limit allowed is 6MB');
    // API 1.42 dropped kernel memory limits; runc ignores them on current kernels.
    warnings.push('Specifying a kernel memory limit is deprecated and will be removed in a future release.');
    hc.KernelMemory = 0;
  }
  if (hc.OomKillDisable != null && !cg.oomKillDisable) {
    if (hc.OomKillDisable) warnings.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
    hc.OomKillDisable = undefined;
  }
  if (hc.OomKillDisable && (hc.Memory ?? 0) === 0) {
    warnings.push(
      'OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.',
    );
  }
  if (hc.PidsLimit != null && !cg.pidsLimit) {
    if (hc.PidsLimit > 0) {
      warnings.push('Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.');
    }
    hc.PidsLimit = undefined;
  }

  const nano = hc.NanoCpus ?? 0;
  if (nano > 0 && (hc.CpuPeriod ?? 0) > 0) throw invalidParameter('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && (hc.CpuQuota ?? 0) > 0) throw invalidParameter('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano > 0 && !cg.cpuCfs) {
    throw invalidParameter('NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted');
  }
  if (nano < 0 || nano > host.numCPU * 1e9) {
    throw invalidParameter(`Range of CPUs is from 0.01 to ${host.numCPU}.00, as there are only ${host.numCPU} CPUs available`);
  }
  if ((hc.CpuShares ?? 0) > 0 && !cg.cpuShares) {
    warnings.push('Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.');
    hc.CpuShares = 0;
  }
  if ((hc.CpuPeriod || hc.CpuQuota) && !cg.cpuCfs) {
    warnings.push('Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.');
    hc.CpuPeriod = 0;
    hc.CpuQuota = 0;
  }
  const period = hc.CpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1_000_000)) {
    throw invalidParameter('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if ((hc.CpuQuota ?? 0) > 0 && hc.CpuQuota! < 1000) throw invalidParameter('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if ((hc.CpuPercent ?? 0) > 0) {
    warnings.push('linux does not support CPU percent. Percent discarded.');
    hc.CpuPercent = 0;
  }

  if ((hc.CpusetCpus || hc.CpusetMems) && !cg.cpuset) {
    warnings.push('Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.');
    hc.CpusetCpus = '';
    hc.CpusetMems = '';
  }
  checkCpuset(hc.CpusetCpus ?? '', host.cpusetCpus, 'cpus', 'Requested CPUs are not available');
  checkCpuset(hc.CpusetMems ?? '', host.cpusetMems, 'mems', 'Requested memory nodes are not available');

  if ((hc.BlkioWeight ?? 0) > 0 && !cg.blkioWeight) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    hc.BlkioWeight = 0;
  }
  const weight = hc.BlkioWeight ?? 0;
  if (weight > 0 && (weight < 10 || weight > 1000)) throw invalidParameter('Range of blkio weight is from 10 to 1000');
  const discardDevices = (
    key: 'BlkioWeightDevice' | 'BlkioDeviceReadBps' | 'BlkioDeviceWriteBps' | 'BlkioDeviceReadIOps' | 'BlkioDeviceWriteIOps',
    supported: boolean,
    message: string,
  ): void => {
    if ((hc[key]?.length ?? 0) > 0 && !supported) {
      warnings.push(message);
      hc[key] = [];
    }
  };
  discardDevices(
    'BlkioWeightDevice',
    cg.blkioWeightDevice,
    'Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.',
  );
  discardDevices(
    'BlkioDeviceReadBps',
    cg.blkioReadBpsDevice,
    'Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.',
  );
  discardDevices(
    'BlkioDeviceWriteBps',
    cg.blkioWriteBpsDevice,
    'Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit discarded.',
  );
  discardDevices(
    'BlkioDeviceReadIOps',
    cg.blkioReadIOpsDevice,
    'Your kernel does not support IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit discarded.',
  );
  discardDevices(
    'BlkioDeviceWriteIOps',
    cg.blkioWriteIOpsDevice,
    'Your kernel does not support IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded.',
  );

  // daemon_unix.go verifyPlatformContainerSettings.
  if (!ipcMode.valid(hc.IpcMode)) throw invalidParameter(`invalid IPC mode: ${hc.IpcMode}`);
  if (!pidMode.valid(hc.PidMode)) throw invalidParameter(`invalid PID mode: ${hc.PidMode}`);
  if ((hc.ShmSize ?? 0) < 0) throw invalidParameter('SHM size can not be less than 0');
  if (!utsMode.valid(hc.UTSMode)) throw invalidParameter(`invalid UTS mode: ${hc.UTSMode}`);
  const oom = hc.OomScoreAdj ?? 0;
  if (oom < -1000 || oom > 1000) throw invalidParameter(`Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
  if (networkMode.isHost(hc.NetworkMode) && Object.keys(hc.PortBindings ?? {}).length > 0) {
    warnings.push('Published ports are discarded when using host network mode');
  }
  if (hc.CgroupParent && opts.systemdCgroupDriver) {
    if (hc.CgroupParent.length <= 6 || !hc.CgroupParent.endsWith('.slice')) {
      throw invalidParameter('cgroup-parent for systemd cgroup should be a valid slice named as "xxx.slice"');
    }
  }
  const runtimes = opts.runtimes ?? ['runc'];
  if (hc.Runtime && !runtimes.includes(hc.Runtime)) throw invalidParameter(`unknown or invalid runtime name: ${hc.Runtime}`);
  for (const dest of Object.keys(hc.Tmpfs ?? {})) validateTmpfsDestination(dest);
  if (!cgroupnsMode.valid(hc.CgroupnsMode)) throw invalidParameter(`invalid cgroup namespace mode: ${hc.CgroupnsMode}`);
  if (cgroupnsMode.isPrivate(hc.CgroupnsMode) && !host.cgroupNamespaces) {
    warnings.push('Your kernel does not support cgroup namespaces.  Cgroup namespace setting discarded.');
  }

  // SecurityOpt is parsed when dockerd registers the container: same errors at create.
  parseSecurityOpt(hc.SecurityOpt);

  return { hostConfig: hc, warnings };
}

function checkCpuset(requested: string, available: string, what: 'cpus' | 'mems', unavailable: string): void {
  let want: Set<number>;
  try {
    want = parseUintList(requested);
  } catch (err) {
    throw invalidParameter(`Invalid value ${requested} for cpuset ${what}: ${(err as Error).message}`);
  }
  const have = parseUintList(available);
  for (const n of want) {
    if (!have.has(n)) throw invalidParameter(`${unavailable} - requested ${requested}, available: ${available}`);
  }
}

/** moby volume/mounts linuxParser.ValidateTmpfsMountDestination. */
export function validateTmpfsDestination(dest: string): void {
  if (path.posix.normalize(dest) === '/') throw invalidParameter("invalid specification: destination can't be '/'");
  if (!dest.startsWith('/')) throw invalidParameter(`invalid mount path: '${dest}' mount path must be absolute`);
}

// ---------------------------------------------------------------------------
// Defaults dockerd fills in at create (adaptContainerSettings and friends).

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** dockerd's default masked paths (moby oci/defaults.go, API 1.47 era). */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export const DEFAULT_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface DaemonDefaults {
  /** dockerd --default-shm-size */
  shmSize?: number;
  /** dockerd --default-ipc-mode (private) */
  ipcMode?: string;
  /** dockerd --default-cgroupns-mode (private on cgroup v2, host on v1) */
  cgroupnsMode?: string;
  /** dockerd --default-runtime */
  runtime?: string;
}

/**
 * The HostConfig dockerd stores (and `docker inspect` shows) after create:
 * swap defaults to twice the memory, /dev/shm to 64 MB, IPC to private, the
 * cgroup namespace by cgroup version, OomKillDisable to false, the default
 * masked/read-only paths unless privileged, PidsLimit <= 0 to unset.
 */
export function adaptHostConfig(input: HostConfig, host: HostInfo, defaults: DaemonDefaults = {}): HostConfig {
  const hc: HostConfig = structuredClone(input);
  if ((hc.Memory ?? 0) > 0 && (hc.MemorySwap ?? 0) === 0) hc.MemorySwap = hc.Memory! * 2;
  if (!hc.ShmSize) hc.ShmSize = defaults.shmSize ?? DEFAULT_SHM_SIZE;
  if (!hc.IpcMode) hc.IpcMode = defaults.ipcMode ?? 'private';
  if (!hc.CgroupnsMode) {
    if (hc.Privileged && host.cgroupVersion !== 2) hc.CgroupnsMode = 'host';
    else hc.CgroupnsMode = defaults.cgroupnsMode ?? (host.cgroupVersion === 2 ? 'private' : 'host');
  }
  if (hc.OomKillDisable == null) hc.OomKillDisable = false;
  if (hc.PidsLimit != null && hc.PidsLimit <= 0) hc.PidsLimit = undefined;
  if (hc.MemorySwappiness === -1) hc.MemorySwappiness = undefined;
  if (!hc.NetworkMode) hc.NetworkMode = 'default';
  if (!hc.Runtime) hc.Runtime = defaults.runtime ?? 'runc';
  if (hc.MaskedPaths == null && !hc.Privileged) hc.MaskedPaths = [...DEFAULT_MASKED_PATHS];
  if (hc.ReadonlyPaths == null && !hc.Privileged) hc.ReadonlyPaths = [...DEFAULT_READONLY_PATHS];
  return hc;
}
