// `run`/`create` flags → the POST /containers/create body, as docker/cli's
// parse() (cli/command/container/opts.go, docker 28.2) builds it: the same
// validations in the same order with the same messages, and the same JSON
// (Go's field order, null for nil slices, sorted map keys), so the daemon
// sees exactly what the docker CLI would send. Recorded against the docker
// CLI in test/unit/cli/container/testdata/create-bodies.json.
import path from 'node:path';
import { readFileSync } from 'node:fs';

import type { FlagValues } from '../../flags.js';
import type { ContainerFlagSpecs } from './create-flags.js';
import { goOpenError, readKeyValueStrings, type EnvLookup } from './env-file.js';
import { parseMountSpec, parseVolumeSpec, type MountBody } from './mount-spec.js';
import {
  isQualifiedCdiName,
  isValidMAC,
  kvStringsToMap,
  capabilityList,
  parseDevice,
  parseGpuRequest,
  parseNetworkAttachment,
  parseRestartPolicy,
  parseThrottleBpsDevice,
  parseThrottleIOpsDevice,
  parseWeightDevice,
  sortedRecord,
  ulimitList,
  type DeviceMapping,
  type DeviceRequest,
  type NetworkAttachment,
  type ThrottleDevice,
  type Ulimit,
  type WeightDevice,
} from './option-values.js';
import { exposedPorts, parsePortSpecs, sortedPortKeys, toStandardNotation, type PortBinding } from './port-specs.js';

/** A check of parse() that failed: docker prints "docker: <message>" and the --help hint, exit 125. */
export class ContainerOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerOptionsError';
  }
}

export interface HealthConfigBody {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export interface EndpointSettingsBody {
  IPAMConfig: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links: string[] | null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: Record<string, string> | null;
  GwPriority: number;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

/** container.HostConfig as docker 28's client marshals it. */
export interface HostConfigBody {
  Binds: string[] | null;
  ContainerIDFile: string;
  LogConfig: { Type: string; Config: Record<string, string> };
  NetworkMode: string;
  PortBindings: Record<string, PortBinding[]>;
  RestartPolicy: { Name: string; MaximumRetryCount: number };
  AutoRemove: boolean;
  VolumeDriver: string;
  VolumesFrom: string[] | null;
  ConsoleSize: [number, number];
  Annotations?: Record<string, string>;
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  CgroupnsMode: string;
  Dns: string[];
  DnsOptions: string[];
  DnsSearch: string[];
  ExtraHosts: string[] | null;
  GroupAdd: string[] | null;
  IpcMode: string;
  Cgroup: string;
  Links: string[] | null;
  OomScoreAdj: number;
  PidMode: string;
  Privileged: boolean;
  PublishAllPorts: boolean;
  ReadonlyRootfs: boolean;
  SecurityOpt: string[] | null;
  StorageOpt?: Record<string, string>;
  Tmpfs?: Record<string, string>;
  UTSMode: string;
  UsernsMode: string;
  ShmSize: number;
  Sysctls?: Record<string, string>;
  Runtime?: string;
  Isolation: string;
  CpuShares: number;
  Memory: number;
  NanoCpus: number;
  CgroupParent: string;
  BlkioWeight: number;
  BlkioWeightDevice: WeightDevice[];
  BlkioDeviceReadBps: ThrottleDevice[];
  BlkioDeviceWriteBps: ThrottleDevice[];
  BlkioDeviceReadIOps: ThrottleDevice[];
  BlkioDeviceWriteIOps: ThrottleDevice[];
  CpuPeriod: number;
  CpuQuota: number;
  CpuRealtimePeriod: number;
  CpuRealtimeRuntime: number;
  CpusetCpus: string;
  CpusetMems: string;
  Devices: DeviceMapping[];
  DeviceCgroupRules: string[] | null;
  DeviceRequests: DeviceRequest[] | null;
  MemoryReservation: number;
  MemorySwap: number;
  MemorySwappiness: number;
  OomKillDisable: boolean;
  PidsLimit: number;
  Ulimits: Ulimit[];
  CpuCount: number;
  CpuPercent: number;
  IOMaximumIOps: number;
  IOMaximumBandwidth: number;
  Mounts?: MountBody[];
  MaskedPaths: string[] | null;
  ReadonlyPaths: string[] | null;
  Init?: boolean;
}

/** container.Config plus HostConfig and NetworkingConfig: the create body. */
export interface ContainerCreateBody {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[] | null;
  Cmd: string[] | null;
  Healthcheck?: HealthConfigBody;
  Image: string;
  Volumes: Record<string, Record<string, never>>;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  HostConfig: HostConfigBody;
  NetworkingConfig: { EndpointsConfig: Record<string, EndpointSettingsBody> };
}

export interface ParseInput {
  readonly values: FlagValues<ContainerFlagSpecs>;
  readonly changed: ReadonlySet<string>;
  readonly image: string;
  readonly args: readonly string[];
  /** The CLI's environment (for `-e VAR` and `VAR` lines of env files). */
  readonly lookupEnv: EnvLookup;
  /** Environment additions from config.json's proxies (docker's ParseProxyConfig), applied to -e. */
  readonly proxyEnv?: ReadonlyMap<string, string>;
  readonly cwd?: string;
  /** --use-api-socket: the daemon's socket, bind-mounted at /var/run/docker.sock. */
  readonly apiSocket?: string;
  readonly readFile?: (file: string) => Buffer;
}

function nullIfEmpty<T>(list: readonly T[]): T[] | null {
  return list.length === 0 ? null : [...list];
}

/** `-e` values after docker's proxy-config round trip: one per name, the last value kept. */
function mergeEnvOverrides(values: readonly string[], lookup: EnvLookup, proxyEnv?: ReadonlyMap<string, string>): string[] {
  const byName = new Map<string, string | undefined>();
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq >= 0) {
      byName.set(value.slice(0, eq), value.slice(eq + 1));
      continue;
    }
    // opts.ValidateEnv: a bare name takes its value from the CLI's environment.
    byName.set(value, lookup(value));
  }
  for (const [name, value] of proxyEnv ?? []) if (!byName.has(name)) byName.set(name, value);
  return [...byName].map(([name, value]) => (value === undefined ? name : `${name}=${value}`));
}

function isUserDefinedNetwork(mode: string): boolean {
  return !['default', 'bridge', 'host', 'none'].includes(mode) && !mode.startsWith('container:');
}

function isValidPidMode(mode: string): boolean {
  if (mode === '' || mode === 'host') return true;
  return mode.startsWith('container:') && mode.length > 'container:'.length;
}

const SECCOMP_BUILTIN = new Set(['builtin', 'unconfined']);

/** parseSecurityOpts: checks the key=value shape, inlines a local seccomp profile as compact JSON. */
function parseSecurityOpts(options: readonly string[], read: (file: string) => Buffer): string[] {
  return options.map((opt) => {
    let sep = opt.indexOf('=');
    let key = sep < 0 ? opt : opt.slice(0, sep);
    if (sep < 0 && key !== 'no-new-privileges') {
      sep = opt.indexOf(':');
      key = sep < 0 ? opt : opt.slice(0, sep);
    }
    const value = sep < 0 ? '' : opt.slice(sep + 1);
    if ((sep < 0 || value === '') && key !== 'no-new-privileges') {
      throw new ContainerOptionsError(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    }
    if (key !== 'seccomp' || SECCOMP_BUILTIN.has(value)) return opt;
    let text: Buffer;
    try {
      text = read(value);
    } catch (err) {
      throw new ContainerOptionsError(`opening seccomp profile (${value}) failed: ${goOpenError(value, err)}`);
    }
    let compact: string;
    try {
      compact = JSON.stringify(JSON.parse(text.toString('utf8')));
    } catch (err) {
      throw new ContainerOptionsError(`compacting json for seccomp profile (${value}) failed: ${goJsonSyntaxError(text.toString('utf8'), err)}`);
    }
    return `seccomp=${compact}`;
  });
}

/** An approximation of encoding/json's syntax error for the common cases. */
function goJsonSyntaxError(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const position = /position (\d+)/.exec(message);
  if (text.trim() === '') return 'unexpected end of JSON input';
  if (position) {
    const ch = text[Number(position[1])];
    if (ch === undefined) return 'unexpected end of JSON input';
    const before = text.slice(0, Number(position[1])).trimEnd();
    const context = before.endsWith('{') || before.endsWith(',') ? 'looking for beginning of object key string' : 'looking for beginning of value';
    return `invalid character '${ch}' ${context}`;
  }
  if (/Unexpected end/.test(message)) return 'unexpected end of JSON input';
  return message;
}

function emptyEndpoint(): EndpointSettingsBody {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: '',
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

interface LegacyNetworkOptions {
  aliases: readonly string[];
  links: readonly string[];
  ipv4: string;
  ipv6: string;
  mac: string;
  linkLocalIPs: readonly string[];
}

/** applyContainerOptions: the old single-network flags onto the first --network. */
function applyLegacyOptions(n: NetworkAttachment, legacy: LegacyNetworkOptions): void {
  if (n.aliases.length > 0 && legacy.aliases.length > 0) {
    throw new ContainerOptionsError('conflicting options: cannot specify both --network-alias and per-network alias');
  }
  if (n.links.length > 0 && legacy.links.length > 0) {
    throw new ContainerOptionsError('conflicting options: cannot specify both --link and per-network links');
  }
  if (n.ipv4Address !== '' && legacy.ipv4 !== '') {
    throw new ContainerOptionsError('conflicting options: cannot specify both --ip and per-network IPv4 address');
  }
  if (n.ipv6Address !== '' && legacy.ipv6 !== '') {
    throw new ContainerOptionsError('conflicting options: cannot specify both --ip6 and per-network IPv6 address');
  }
  if (n.macAddress !== '' && legacy.mac !== '') {
    throw new ContainerOptionsError('conflicting options: cannot specify both --mac-address and per-network MAC address');
  }
  if (n.linkLocalIPs.length > 0 && legacy.linkLocalIPs.length > 0) {
    throw new ContainerOptionsError('conflicting options: cannot specify both --link-local-ip and per-network link-local IP addresses');
  }
  if (legacy.aliases.length > 0) n.aliases = [...legacy.aliases];
  // On a user-defined network --link is an alias of the endpoint; on the default bridge a legacy link.
  if (isUserDefinedNetwork(n.target) && legacy.links.length > 0) n.links = [...legacy.links];
  if (legacy.ipv4 !== '') n.ipv4Address = legacy.ipv4;
  if (legacy.ipv6 !== '') n.ipv6Address = legacy.ipv6;
  if (legacy.mac !== '') n.macAddress = legacy.mac;
  if (legacy.linkLocalIPs.length > 0) n.linkLocalIPs = [...legacy.linkLocalIPs];
}

function endpointFor(n: NetworkAttachment): EndpointSettingsBody {
  if (n.target.trim() === '') throw new ContainerOptionsError('no name set for network');
  if (!isUserDefinedNetwork(n.target)) {
    if (n.aliases.length > 0) throw new ContainerOptionsError('network-scoped aliases are only supported for user-defined networks');
    if (n.links.length > 0) throw new ContainerOptionsError('links are only supported for user-defined networks');
  }
  const ep = emptyEndpoint();
  ep.GwPriority = n.gwPriority;
  if (n.aliases.length > 0) ep.Aliases = [...n.aliases];
  if (n.driverOpts && Object.keys(n.driverOpts).length > 0) ep.DriverOpts = sortedRecord(n.driverOpts);
  if (n.links.length > 0) ep.Links = [...n.links];
  if (n.ipv4Address !== '' || n.ipv6Address !== '' || n.linkLocalIPs.length > 0) {
    const ipam: NonNullable<EndpointSettingsBody['IPAMConfig']> = {};
    if (n.ipv4Address !== '') ipam.IPv4Address = n.ipv4Address;
    if (n.ipv6Address !== '') ipam.IPv6Address = n.ipv6Address;
    if (n.linkLocalIPs.length > 0) ipam.LinkLocalIPs = [...n.linkLocalIPs];
    ep.IPAMConfig = ipam;
  }
  if (n.macAddress !== '') {
    if (!isValidMAC(n.macAddress)) throw new ContainerOptionsError(`${n.macAddress} is not a valid mac address`);
    ep.MacAddress = n.macAddress.trim();
  }
  return ep;
}

function isEmptyEndpoint(ep: EndpointSettingsBody): boolean {
  return JSON.stringify(ep) === JSON.stringify(emptyEndpoint());
}

/** parseNetworkOpts: the endpoints to create, keyed by network. */
function parseNetworkOptions(networks: readonly string[], legacy: LegacyNetworkOptions): Record<string, EndpointSettingsBody> {
  const endpoints: Record<string, EndpointSettingsBody> = {};
  if (networks.length === 0) {
    const n = parseNetworkAttachment('default');
    n.target = 'default';
    applyLegacyOptions(n, legacy);
    endpoints.default = endpointFor(n);
    return endpoints;
  }
  let userDefined = false;
  let builtIn = false;
  for (const [i, value] of networks.entries()) {
    const n = parseNetworkAttachment(value);
    if (isUserDefinedNetwork(n.target)) userDefined = true;
    else builtIn = true;
    if (i === 0) applyLegacyOptions(n, legacy);
    const ep = endpointFor(n);
    if (Object.hasOwn(endpoints, n.target)) {
      throw new ContainerOptionsError(`network ${JSON.stringify(n.target)} is specified multiple times`);
    }
    // A single network without options: the daemon creates the endpoint itself.
    if (i === 0 && networks.length === 1 && isEmptyEndpoint(ep)) continue;
    endpoints[n.target] = ep;
  }
  if (userDefined && builtIn) {
    throw new ContainerOptionsError('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  }
  return endpoints;
}

/** docker/cli's parse(): the create request for the given flags, image and command. */
export function parseContainerOptions(input: ParseInput): ContainerCreateBody {
  const v = input.values;
  const changed = input.changed;
  const cwd = input.cwd ?? process.cwd();
  const read = input.readFile ?? ((file: string): Buffer => readFileSync(path.resolve(cwd, file)));

  let attachStdin = v.attach.includes('stdin');
  let attachStdout = v.attach.includes('stdout');
  let attachStderr = v.attach.includes('stderr');

  const macAddress = v['mac-address'];
  if (macAddress !== '' && !isValidMAC(macAddress)) throw new ContainerOptionsError(`${macAddress} is not a valid mac address`);
  if (v.interactive) attachStdin = true;
  if (v.attach.length === 0) {
    attachStdout = true;
    attachStderr = true;
  }

  const swappiness = v['memory-swappiness'];
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    throw new ContainerOptionsError(`invalid value: ${swappiness}. Valid memory swappiness range is 0-100`);
  }

  // -v: binds go to HostConfig.Binds, anonymous volumes to Config.Volumes.
  const volumes = new Set(v.volume);
  const binds: string[] = [];
  for (const spec of new Set(v.volume)) {
    let parsed;
    try {
      parsed = parseVolumeSpec(spec);
    } catch (err) {
      throw new ContainerOptionsError((err as Error).message);
    }
    if (parsed.source === '') continue;
    let bind = spec;
    if (parsed.type === 'bind') {
      const colon = spec.indexOf(':');
      if (colon >= 0) {
        let hostPart = spec.slice(0, colon);
        if (hostPart.startsWith('./') || hostPart === '.') hostPart = path.resolve(cwd, hostPart);
        bind = `${hostPart}:${spec.slice(colon + 1)}`;
      }
    }
    binds.push(bind);
    volumes.delete(spec);
  }

  const tmpfs: Record<string, string> = {};
  for (const t of v.tmpfs) {
    const colon = t.indexOf(':');
    if (colon < 0) tmpfs[t] = '';
    else tmpfs[t.slice(0, colon)] = t.slice(colon + 1);
  }

  const cmd = input.args.length > 0 ? [...input.args] : null;
  let entrypoint: string[] | null = null;
  if (v.entrypoint !== '') entrypoint = [v.entrypoint];
  else if (changed.has('entrypoint')) entrypoint = [''];

  let ports;
  try {
    ports = parsePortSpecs(toStandardNotation(v.publish));
  } catch (err) {
    throw new ContainerOptionsError((err as Error).message);
  }
  const exposed = new Set(ports.exposed);
  for (const e of v.expose) {
    try {
      for (const p of exposedPorts(e)) exposed.add(p);
    } catch (err) {
      throw new ContainerOptionsError((err as Error).message);
    }
  }

  const devices: DeviceMapping[] = [];
  const cdiDevices: string[] = [];
  for (const device of v.device) {
    if (isQualifiedCdiName(device)) {
      cdiDevices.push(device);
      continue;
    }
    try {
      devices.push(parseDevice(device));
    } catch (err) {
      throw new ContainerOptionsError((err as Error).message);
    }
  }

  let env: string[];
  let labels: string[];
  try {
    env = readKeyValueStrings(v['env-file'], mergeEnvOverrides(v.env, input.lookupEnv, input.proxyEnv), input.lookupEnv, read);
    labels = readKeyValueStrings(v['label-file'], v.label, undefined, read);
  } catch (err) {
    throw new ContainerOptionsError((err as Error).message);
  }

  if (!isValidPidMode(v.pid)) throw new ContainerOptionsError('--pid: invalid PID mode');
  if (v.uts !== '' && v.uts !== 'host') throw new ContainerOptionsError('--uts: invalid UTS mode');
  if (v.userns !== '' && v.userns !== 'host') throw new ContainerOptionsError('--userns: invalid USER mode');
  if (!['', 'host', 'private'].includes(v.cgroupns)) throw new ContainerOptionsError('--cgroupns: invalid CGROUP mode');

  let restartPolicy;
  try {
    restartPolicy = parseRestartPolicy(v.restart);
  } catch (err) {
    throw new ContainerOptionsError((err as Error).message);
  }

  const logOpts = kvStringsToMap(v['log-opt']);
  if (v['log-driver'] === 'none' && v['log-opt'].length > 0) {
    throw new ContainerOptionsError(`invalid logging opts for driver ${v['log-driver']}`);
  }

  let securityOpts = parseSecurityOpts(v['security-opt'], read);
  let maskedPaths: string[] | null = null;
  let readonlyPaths: string[] | null = null;
  if (securityOpts.includes('systempaths=unconfined')) {
    maskedPaths = [];
    readonlyPaths = [];
  }
  securityOpts = securityOpts.filter((opt) => opt !== 'systempaths=unconfined');

  const storageOpts: Record<string, string> = {};
  for (const option of v['storage-opt']) {
    const eq = option.indexOf('=');
    if (eq < 0) throw new ContainerOptionsError('invalid storage option');
    storageOpts[option.slice(0, eq)] = option.slice(eq + 1);
  }

  let healthcheck: HealthConfigBody | undefined;
  const interval = v['health-interval'];
  const timeout = v['health-timeout'];
  const startPeriod = v['health-start-period'];
  const startInterval = v['health-start-interval'];
  const retries = v['health-retries'];
  const haveHealth = v['health-cmd'] !== '' || interval !== 0 || timeout !== 0 || startPeriod !== 0 || retries !== 0 || startInterval !== 0;
  if (v['no-healthcheck']) {
    if (haveHealth) throw new ContainerOptionsError('--no-healthcheck conflicts with --health-* options');
    healthcheck = { Test: ['NONE'] };
  } else if (haveHealth) {
    if (interval < 0) throw new ContainerOptionsError('--health-interval cannot be negative');
    if (timeout < 0) throw new ContainerOptionsError('--health-timeout cannot be negative');
    if (retries < 0) throw new ContainerOptionsError('--health-retries cannot be negative');
    if (startPeriod < 0) throw new ContainerOptionsError('--health-start-period cannot be negative');
    if (startInterval < 0) throw new ContainerOptionsError('--health-start-interval cannot be negative');
    healthcheck = {};
    if (v['health-cmd'] !== '') healthcheck.Test = ['CMD-SHELL', v['health-cmd']];
    if (interval !== 0) healthcheck.Interval = interval;
    if (timeout !== 0) healthcheck.Timeout = timeout;
    if (startPeriod !== 0) healthcheck.StartPeriod = startPeriod;
    if (startInterval !== 0) healthcheck.StartInterval = startInterval;
    if (retries !== 0) healthcheck.Retries = retries;
  }

  const deviceRequests: DeviceRequest[] = v.gpus.map((g) => parseGpuRequest(g));
  if (cdiDevices.length > 0) {
    deviceRequests.push({ Driver: 'cdi', Count: 0, DeviceIDs: cdiDevices, Capabilities: null, Options: null });
  }

  const capAdd = capabilityList(v['cap-add']);
  const capDrop = capabilityList(v['cap-drop']);
  const networks = [...v.network, ...v.net];
  const aliases = [...v['network-alias'], ...v['net-alias']];

  if (v.rm && restartPolicy.Name !== '' && restartPolicy.Name !== 'no') {
    throw new ContainerOptionsError('conflicting options: cannot specify both --restart and --rm');
  }

  const endpoints = parseNetworkOptions(networks, {
    aliases,
    links: v.link,
    ipv4: v.ip,
    ipv6: v.ip6,
    mac: macAddress,
    linkLocalIPs: v['link-local-ip'],
  });

  const portBindings: Record<string, PortBinding[]> = {};
  for (const key of sortedPortKeys(ports.bindings.keys())) portBindings[key] = ports.bindings.get(key)!;

  const hostConfig: HostConfigBody = {
    Binds: nullIfEmpty(binds),
    ContainerIDFile: v.cidfile,
    LogConfig: { Type: v['log-driver'], Config: sortedRecord(logOpts) },
    NetworkMode: networks.length > 0 ? parseNetworkAttachment(networks[0]!).target : 'default',
    PortBindings: portBindings,
    RestartPolicy: restartPolicy,
    AutoRemove: v.rm,
    VolumeDriver: v['volume-driver'],
    VolumesFrom: nullIfEmpty(v['volumes-from']),
    ConsoleSize: [0, 0],
    CapAdd: nullIfEmpty(capAdd),
    CapDrop: nullIfEmpty(capDrop),
    CgroupnsMode: v.cgroupns,
    Dns: [...v.dns],
    DnsOptions: [...v['dns-option'], ...v['dns-opt']],
    DnsSearch: [...v['dns-search']],
    ExtraHosts: nullIfEmpty(v['add-host']),
    GroupAdd: nullIfEmpty(v['group-add']),
    IpcMode: v.ipc,
    Cgroup: '',
    Links: nullIfEmpty(v.link),
    OomScoreAdj: v['oom-score-adj'],
    PidMode: v.pid,
    Privileged: v.privileged,
    PublishAllPorts: v['publish-all'],
    ReadonlyRootfs: v['read-only'],
    SecurityOpt: maskedPaths === null ? nullIfEmpty(securityOpts) : securityOpts,
    UTSMode: v.uts,
    UsernsMode: v.userns,
    ShmSize: v['shm-size'],
    Isolation: v.isolation,
    CpuShares: v['cpu-shares'],
    Memory: v.memory,
    NanoCpus: v.cpus,
    CgroupParent: v['cgroup-parent'],
    BlkioWeight: v['blkio-weight'],
    BlkioWeightDevice: v['blkio-weight-device'].map(parseWeightDevice),
    BlkioDeviceReadBps: v['device-read-bps'].map(parseThrottleBpsDevice),
    BlkioDeviceWriteBps: v['device-write-bps'].map(parseThrottleBpsDevice),
    BlkioDeviceReadIOps: v['device-read-iops'].map(parseThrottleIOpsDevice),
    BlkioDeviceWriteIOps: v['device-write-iops'].map(parseThrottleIOpsDevice),
    CpuPeriod: v['cpu-period'],
    CpuQuota: v['cpu-quota'],
    CpuRealtimePeriod: v['cpu-rt-period'],
    CpuRealtimeRuntime: v['cpu-rt-runtime'],
    CpusetCpus: v['cpuset-cpus'],
    CpusetMems: v['cpuset-mems'],
    Devices: devices,
    DeviceCgroupRules: nullIfEmpty(v['device-cgroup-rule']),
    DeviceRequests: nullIfEmpty(deviceRequests),
    MemoryReservation: v['memory-reservation'],
    MemorySwap: v['memory-swap'],
    MemorySwappiness: swappiness,
    OomKillDisable: v['oom-kill-disable'],
    PidsLimit: v['pids-limit'],
    Ulimits: ulimitList(v.ulimit),
    CpuCount: v['cpu-count'],
    CpuPercent: v['cpu-percent'],
    IOMaximumIOps: v['io-maxiops'],
    IOMaximumBandwidth: v['io-maxbandwidth'],
    MaskedPaths: maskedPaths,
    ReadonlyPaths: readonlyPaths,
  };
  // Optional fields, placed where Go's field order puts them.
  const annotations = Object.fromEntries(v.annotation);
  const withOptional: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(hostConfig)) {
    if (key === 'CapAdd' && Object.keys(annotations).length > 0) withOptional.Annotations = sortedRecord(annotations);
    if (key === 'UTSMode') {
      if (Object.keys(storageOpts).length > 0) withOptional.StorageOpt = sortedRecord(storageOpts);
      if (Object.keys(tmpfs).length > 0) withOptional.Tmpfs = sortedRecord(tmpfs);
    }
    if (key === 'Isolation') {
      if (v.sysctl.size > 0) withOptional.Sysctls = sortedRecord(Object.fromEntries(v.sysctl));
      if (v.runtime !== '') withOptional.Runtime = v.runtime;
    }
    if (key === 'MaskedPaths') {
      const mounts: MountBody[] = v.mount.map((m) => parseMountSpec(m, cwd));
      if (input.apiSocket !== undefined) mounts.push({ Type: 'bind', Source: input.apiSocket, Target: '/var/run/docker.sock', BindOptions: {} });
      if (mounts.length > 0) withOptional.Mounts = mounts;
    }
    withOptional[key] = value;
  }
  if (changed.has('init')) withOptional.Init = v.init;

  const exposedBody: Record<string, Record<string, never>> = {};
  for (const key of sortedPortKeys(exposed)) exposedBody[key] = {};
  const volumesBody: Record<string, Record<string, never>> = {};
  for (const key of [...volumes].sort()) volumesBody[key] = {};

  const openStdin = v.interactive;
  const body: Record<string, unknown> = {
    Hostname: v.hostname,
    Domainname: v.domainname,
    User: v.user,
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
  };
  if (exposed.size > 0) body.ExposedPorts = exposedBody;
  body.Tty = v.tty;
  body.OpenStdin = openStdin;
  // When stdin is attached, close it when the client disconnects.
  body.StdinOnce = openStdin && attachStdin;
  body.Env = nullIfEmpty(env);
  body.Cmd = cmd;
  if (healthcheck) body.Healthcheck = healthcheck;
  body.Image = input.image;
  body.Volumes = volumesBody;
  body.WorkingDir = v.workdir;
  body.Entrypoint = entrypoint;
  body.OnBuild = null;
  body.Labels = sortedRecord(kvStringsToMap(labels));
  if (v['stop-signal'] !== '') body.StopSignal = v['stop-signal'];
  if (changed.has('stop-timeout')) body.StopTimeout = v['stop-timeout'];
  body.HostConfig = withOptional;
  body.NetworkingConfig = { EndpointsConfig: endpoints };
  return body as unknown as ContainerCreateBody;
}

/** Flags docker 28 refuses against a Linux daemon (Windows only), with its messages. */
export function windowsOnlyFlagErrors(changed: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const flag of ['cpu-count', 'cpu-percent', 'io-maxbandwidth', 'io-maxiops']) {
    if (changed.has(flag)) {
      out.push(`"--${flag}" is only supported on a Docker daemon running on windows, but the Docker daemon is running on linux`);
    }
  }
  return out;
}
