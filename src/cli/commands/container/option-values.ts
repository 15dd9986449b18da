// Values of `run`/`create` flags, validated and converted as docker/cli's
// `opts` package (and go-units) do, with their error texts: the flag
// validators run while flags are parsed (pflag reports their errors as
// `invalid argument "x" for "--flag" flag: <reason>`), the converters when
// the request is built.
import { isIP } from 'node:net';

import { FlagValueError, goQuote, parseRamInBytes, readCsvRecord } from '../../flags.js';
import { cleanPath } from '../../../common/go-path.js';

// ---------------------------------------------------------------------------
// Addresses.

/**
 * Go's net.ParseIP then IP.String(): the canonical text of an IPv4 or IPv6
 * address, or undefined when Go would not parse it (zones, leading zeros).
 */
export function canonicalIP(text: string): string | undefined {
  if (text.includes('%')) return undefined;
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6) return undefined;
  const host = new URL(`http://[${text}]`).hostname;
  const bare = host.slice(1, -1);
  const v4mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(bare);
  if (v4mapped) {
    const high = Number.parseInt(v4mapped[1]!, 16);
    const low = Number.parseInt(v4mapped[2]!, 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return bare;
}

/** opts.ValidateIPAddress: trims spaces and returns the canonical address. */
export function validateIPAddress(value: string): string {
  const ip = canonicalIP(value.trim());
  if (ip === undefined) throw new FlagValueError(`IP address is not correctly formatted: ${value}`);
  return ip;
}

// docker's domainRegexp, character for character (its `(:?` are groups with an optional colon).
const DOMAIN_REGEXP = /^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])))*)\.?\s*$/;

/** opts.ValidateDNSSearch. */
export function validateDNSSearch(value: string): string {
  const val = value.replace(/^ +| +$/g, '');
  if (val === '.') return val;
  if (!/[a-zA-Z]/.test(val)) throw new FlagValueError(`${val} is not a valid domain`);
  const m = DOMAIN_REGEXP.exec(val);
  if (m && m[1]!.length < 255) return m[1]!;
  throw new FlagValueError(`${val} is not a valid domain`);
}

/** opts.ValidateExtraHost: `name:ip` or `name=ip` (IPv6 in brackets allowed), sent as `name:ip`. */
export function validateExtraHost(value: string): string {
  let sep = value.indexOf('=');
  if (sep < 0) sep = value.indexOf(':');
  const name = sep < 0 ? value : value.slice(0, sep);
  let address = sep < 0 ? '' : value.slice(sep + 1);
  if (sep < 0 || name === '' || name.includes(':')) throw new FlagValueError(`bad format for add-host: ${goQuote(value)}`);
  if (address !== 'host-gateway') {
    if (address.length > 2 && address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
    if (canonicalIP(address.trim()) === undefined) throw new FlagValueError(`invalid IP address in add-host: ${goQuote(address)}`);
  }
  return `${name}:${address}`;
}

/** Go's net.ParseMAC for the 6-, 8- and 20-byte forms with `:`, `-` or `.` separators. */
export function isValidMAC(text: string): boolean {
  const s = text.trim();
  if (/^[0-9a-fA-F]{2}([:-])(?:[0-9a-fA-F]{2}\1){4}[0-9a-fA-F]{2}$/.test(s)) return true;
  if (/^[0-9a-fA-F]{2}([:-])(?:[0-9a-fA-F]{2}\1){6}[0-9a-fA-F]{2}$/.test(s)) return true;
  if (/^[0-9a-fA-F]{2}([:-])(?:[0-9a-fA-F]{2}\1){18}[0-9a-fA-F]{2}$/.test(s)) return true;
  return /^(?:[0-9a-fA-F]{4}\.){2}[0-9a-fA-F]{4}$/.test(s) || /^(?:[0-9a-fA-F]{4}\.){3}[0-9a-fA-F]{4}$/.test(s) || /^(?:[0-9a-fA-F]{4}\.){9}[0-9a-fA-F]{4}$/.test(s);
}

// ---------------------------------------------------------------------------
// Simple list validators.

const WHITESPACE = /[ \t]/;

/** opts.ValidateEnv at flag time: the name must not be empty (the value is looked up later). */
export function validateEnv(value: string): string {
  const eq = value.indexOf('=');
  const name = eq < 0 ? value : value.slice(0, eq);
  if (name === '') throw new FlagValueError(`invalid environment variable: ${value}`);
  return value;
}

/** opts.ValidateLabel. */
export function validateLabel(value: string): string {
  const eq = value.indexOf('=');
  const key = (eq < 0 ? value : value.slice(0, eq)).replace(/^[ \t]+/, '');
  if (key === '') throw new FlagValueError(`invalid label '${value}': empty name`);
  if (WHITESPACE.test(key)) throw new FlagValueError(`label '${key}' contains whitespaces`);
  return value;
}

/** opts.ParseLink: `name[:alias]`. */
export function parseLink(value: string): { name: string; alias: string } {
  if (value === '') throw new FlagValueError('empty string specified for links');
  const parts = value.split(':');
  if (parts.length > 2) throw new FlagValueError(`bad format for links: ${value}`);
  if (parts.length === 1) return { name: value, alias: value };
  if (parts[0]!.startsWith('/')) {
    const alias = parts[1]!.slice(parts[1]!.lastIndexOf('/') + 1);
    return { name: parts[0]!.slice(1), alias };
  }
  return { name: parts[0]!, alias: parts[1]! };
}

export function validateLink(value: string): string {
  parseLink(value);
  return value;
}

const SYSCTL_NAMES = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/** opts.ValidateSysctl: namespaced sysctls only. */
export function validateSysctl(value: string): string {
  const eq = value.indexOf('=');
  const key = eq < 0 ? '' : value.slice(0, eq);
  if (eq < 0 || key === '') throw new FlagValueError(`sysctl '${value}' is not allowed`);
  if (SYSCTL_NAMES.has(key) || key.startsWith('net.') || key.startsWith('fs.mqueue.')) return value;
  throw new FlagValueError(`sysctl '${value}' is not allowed`);
}

/** validateAttach: stdin, stdout or stderr, any case; stored lower-case. */
export function validateAttach(value: string): string {
  const lower = value.toLowerCase();
  if (lower === 'stdin' || lower === 'stdout' || lower === 'stderr') return lower;
  throw new FlagValueError('valid streams are STDIN, STDOUT and STDERR');
}

const DEVICE_CGROUP_RULE = /^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$/;

export function validateDeviceCgroupRule(value: string): string {
  if (DEVICE_CGROUP_RULE.test(value)) return value;
  throw new FlagValueError(`invalid device cgroup format '${value}'`);
}

// ---------------------------------------------------------------------------
// Ulimits (go-units ParseUlimit).

const ULIMIT_NAMES = new Set([
  'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack',
]);

export interface Ulimit {
  Name: string;
  Hard: number;
  Soft: number;
}

function parseInt64(text: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new FlagValueError(`strconv.ParseInt: parsing ${goQuote(text)}: invalid syntax`);
  const n = BigInt(text);
  if (n > 9223372036854775807n || n < -9223372036854775808n) {
    throw new FlagValueError(`strconv.ParseInt: parsing ${goQuote(text)}: value out of range`);
  }
  return Number(n);
}

export function parseUlimit(value: string): Ulimit {
  const eq = value.indexOf('=');
  if (eq < 0) throw new FlagValueError(`invalid ulimit argument: ${value}`);
  const name = value.slice(0, eq);
  const limits = value.slice(eq + 1);
  if (!ULIMIT_NAMES.has(name)) throw new FlagValueError(`invalid ulimit type: ${name}`);
  const parts = limits.split(':');
  let soft: number;
  let hard: number;
  if (parts.length === 2) {
    hard = parseInt64(parts[1]!);
    soft = parseInt64(parts[0]!);
  } else if (parts.length === 1) {
    soft = parseInt64(parts[0]!);
    hard = soft;
  } else {
    throw new FlagValueError(`too many limit value arguments - ${limits}, can only have up to two, \`soft[:hard]\``);
  }
  if (hard !== -1 && soft > hard) {
    throw new FlagValueError(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  }
  return { Name: name, Hard: hard, Soft: soft };
}

export function validateUlimit(value: string): string {
  parseUlimit(value);
  return value;
}

/** UlimitOpt.GetList: one per name (the last wins), sorted by name. */
export function ulimitList(values: readonly string[]): Ulimit[] {
  const byName = new Map<string, Ulimit>();
  for (const v of values) {
    const limit = parseUlimit(v);
    byName.set(limit.Name, limit);
  }
  return [...byName.values()].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

// ---------------------------------------------------------------------------
// Block IO devices.

export interface ThrottleDevice {
  Path: string;
  Rate: number;
}

export interface WeightDevice {
  Path: string;
  Weight: number;
}

function splitDevice(value: string): { path: string; rest: string } {
  const colon = value.indexOf(':');
  const path = colon < 0 ? value : value.slice(0, colon);
  if (colon < 0 || path === '') throw new FlagValueError(`bad format: ${value}`);
  if (!path.startsWith('/dev/')) throw new FlagValueError(`bad format for device path: ${value}`);
  return { path, rest: value.slice(colon + 1) };
}

/** opts.ValidateThrottleBpsDevice: `/dev/x:rate` with go-units sizes. */
export function parseThrottleBpsDevice(value: string): ThrottleDevice {
  const { path, rest } = splitDevice(value);
  const invalid = new FlagValueError(
    `invalid rate for device: ${value}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`,
  );
  let rate: number;
  try {
    rate = parseRamInBytes(rest);
  } catch {
    throw invalid;
  }
  if (rate < 0) throw invalid;
  return { Path: path, Rate: rate };
}

/** opts.ValidateThrottleIOpsDevice: `/dev/x:count`. */
export function parseThrottleIOpsDevice(value: string): ThrottleDevice {
  const { path, rest } = splitDevice(value);
  if (!/^\d+$/.test(rest) || BigInt(rest) > 18446744073709551615n) {
    throw new FlagValueError(
      `invalid rate for device: ${value}. The correct format is <device-path>:<number>. Number must be a positive integer`,
    );
  }
  return { Path: path, Rate: Number(rest) };
}

/** opts.ValidateWeightDevice: `/dev/x:weight`, weight 10 to 1000 or 0. */
export function parseWeightDevice(value: string): WeightDevice {
  const { path, rest } = splitDevice(value);
  const weight = /^\d+$/.test(rest) ? Number(rest) : NaN;
  if (!Number.isFinite(weight) || weight > 65535 || (weight > 0 && (weight < 10 || weight > 1000))) {
    throw new FlagValueError(`invalid weight for device: ${value}`);
  }
  return { Path: path, Weight: weight };
}

export const validateThrottleBpsDevice = (v: string): string => (parseThrottleBpsDevice(v), v);
export const validateThrottleIOpsDevice = (v: string): string => (parseThrottleIOpsDevice(v), v);
export const validateWeightDevice = (v: string): string => (parseWeightDevice(v), v);

// ---------------------------------------------------------------------------
// Devices (parsed after flag parsing, as docker does once it knows the server OS).

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

function isDeviceMode(mode: string): boolean {
  if (mode === '') return false;
  const seen = new Set<string>();
  for (const ch of mode) {
    if (!'rwm'.includes(ch) || seen.has(ch)) return false;
    seen.add(ch);
  }
  return true;
}

/** validateLinuxPath then parseLinuxDevice: `host[:container][:mode]`. Errors are parse errors (plain Error). */
export function parseDevice(value: string): DeviceMapping {
  if ((value.match(/:/g) ?? []).length > 2) throw new Error(`bad format for path: ${value}`);
  const split = value.split(':');
  if (split[0] === '') throw new Error(`bad format for path: ${value}`);
  let containerPath: string;
  let validated: string;
  if (split.length === 1) {
    containerPath = split[0]!;
    validated = cleanPath(containerPath);
  } else if (split.length === 2) {
    if (isDeviceMode(split[1]!)) {
      containerPath = split[0]!;
      validated = `${cleanPath(containerPath)}:${split[1]}`;
    } else {
      containerPath = split[1]!;
      validated = `${split[0]}:${cleanPath(containerPath)}`;
    }
  } else {
    containerPath = split[1]!;
    if (!isDeviceMode(split[2]!)) throw new Error(`bad mode specified: ${split[2]}`);
    validated = `${split[0]}:${containerPath}:${split[2]}`;
  }
  if (!containerPath.startsWith('/')) throw new Error(`${containerPath} is not an absolute path`);
  const arr = validated.split(':');
  let src = '';
  let dst = '';
  let permissions = 'rwm';
  if (arr.length === 3) permissions = arr[2]!;
  if (arr.length >= 2) {
    if (isDeviceMode(arr[1]!)) permissions = arr[1]!;
    else dst = arr[1]!;
  }
  src = arr[0]!;
  if (dst === '') dst = src;
  return { PathOnHost: src, PathInContainer: dst, CgroupPermissions: permissions };
}

/** CDI's IsQualifiedName: `vendor.com/class=name`. */
export function isQualifiedCdiName(device: string): boolean {
  const m = /^([^/=]+)\/([^/=]+)=(.+)$/.exec(device);
  if (!m) return false;
  const vendor = m[1]!;
  const cls = m[2]!;
  const name = m[3]!;
  const vendorOk = /^[A-Za-z](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(vendor) && /^[A-Za-z0-9]/.test(vendor);
  const classOk = /^[A-Za-z](?:[A-Za-z0-9_-]*[A-Za-z0-9])?$/.test(cls);
  const nameOk = /^[A-Za-z0-9](?:[A-Za-z0-9_.:-]*[A-Za-z0-9])?$/.test(name);
  return vendorOk && classOk && nameOk;
}

// ---------------------------------------------------------------------------
// GPUs (opts.GpuOpts).

export interface DeviceRequest {
  Driver: string;
  Count: number;
  DeviceIDs: string[] | null;
  Capabilities: string[][] | null;
  Options: Record<string, string> | null;
}

function parseGpuCount(text: string): number {
  if (text === 'all') return -1;
  if (!/^[+-]?\d+$/.test(text)) {
    throw new FlagValueError(`invalid count (${text}): value must be either "all" or an integer: invalid syntax`);
  }
  return Number(text);
}

export function parseGpuRequest(value: string): DeviceRequest {
  const fields = readCsvRecord(value);
  const request: DeviceRequest = { Driver: '', Count: 0, DeviceIDs: null, Capabilities: null, Options: null };
  const seen = new Set<string>();
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = eq < 0 ? field : field.slice(0, eq);
    const val = eq < 0 ? '' : field.slice(eq + 1);
    if (seen.has(key)) throw new FlagValueError(`gpu request key '${key}' can be specified only once`);
    seen.add(key);
    if (eq < 0) {
      seen.add('count');
      request.Count = parseGpuCount(key);
      continue;
    }
    switch (key) {
      case 'driver':
        request.Driver = val;
        break;
      case 'count':
        request.Count = parseGpuCount(val);
        break;
      case 'device':
        request.DeviceIDs = val.split(',');
        break;
      case 'capabilities':
        request.Capabilities = [[...val.split(','), 'gpu']];
        break;
      case 'options': {
        let opts: string[];
        try {
          opts = readCsvRecord(val);
        } catch (err) {
          throw new FlagValueError(`failed to read gpu options: ${(err as Error).message}`);
        }
        request.Options = kvStringsToMap(opts);
        break;
      }
      default:
        throw new FlagValueError(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!seen.has('count') && request.DeviceIDs === null) request.Count = 1;
  request.Options ??= {};
  request.Capabilities ??= [['gpu']];
  return request;
}

export const validateGpuRequest = (v: string): string => (parseGpuRequest(v), v);

// ---------------------------------------------------------------------------
// Networks (opts.NetworkOpt).

export interface NetworkAttachment {
  target: string;
  aliases: string[];
  driverOpts?: Record<string, string>;
  links: string[];
  ipv4Address: string;
  ipv6Address: string;
  linkLocalIPs: string[];
  macAddress: string;
  gwPriority: number;
}

export function parseNetworkAttachment(value: string): NetworkAttachment {
  const attachment: NetworkAttachment = {
    target: '',
    aliases: [],
    links: [],
    ipv4Address: '',
    ipv6Address: '',
    linkLocalIPs: [],
    macAddress: '',
    gwPriority: 0,
  };
  // docker's check for the long syntax: key=value somewhere in the text.
  if (!/\w+=\w+(,\w+=\w+)*/.test(value)) {
    attachment.target = value;
    return attachment;
  }
  for (const field of readCsvRecord(value)) {
    const eq = field.indexOf('=');
    if (eq < 0 || eq === 0) throw new FlagValueError(`invalid field ${field}`);
    const key = field.slice(0, eq).trim();
    const val = field.slice(eq + 1).trim();
    switch (key) {
      case 'name':
        attachment.target = val;
        break;
      case 'alias':
        attachment.aliases.push(val);
        break;
      case 'ip':
        attachment.ipv4Address = val;
        break;
      case 'ip6':
        attachment.ipv6Address = val;
        break;
      case 'mac-address':
        attachment.macAddress = val;
        break;
      case 'link-local-ip':
        attachment.linkLocalIPs.push(val);
        break;
      case 'driver-opt': {
        const deq = val.indexOf('=');
        if (deq < 0 || deq === 0) throw new FlagValueError('invalid key value pair format in driver options');
        attachment.driverOpts ??= {};
        attachment.driverOpts[val.slice(0, deq).trim()] = val.slice(deq + 1).trim();
        break;
      }
      case 'gw-priority': {
        if (!/^[+-]?\d+$/.test(val)) throw new FlagValueError(`invalid gw-priority: ${val}`);
        attachment.gwPriority = Number(val);
        break;
      }
      default:
        throw new FlagValueError(`invalid field key ${key}`);
    }
  }
  if (attachment.target === '') throw new FlagValueError('network name/id is not specified');
  return attachment;
}

export const validateNetwork = (v: string): string => (parseNetworkAttachment(v), v);

// ---------------------------------------------------------------------------
// Key/value helpers.

/** opts.ConvertKVStringsToMap. */
export function kvStringsToMap(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq < 0) out[value] = '';
    else out[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return out;
}

/** opts.NormalizeCapability as docker 28.2 applies it (upper case, CAP_ prefix; spaces kept). */
export function normalizeCapability(capability: string): string {
  const upper = capability.toUpperCase();
  if (upper === 'ALL' || upper === 'RESET') return upper;
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/** The CapAdd/CapDrop list docker 28.2 sends: normalised, without duplicates, sorted. */
export function capabilityList(values: readonly string[]): string[] {
  return [...new Set(values.map(normalizeCapability))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** opts.ParseRestartPolicy. Errors are parse errors. */
export function parseRestartPolicy(policy: string): { Name: string; MaximumRetryCount: number } {
  if (policy === '') return { Name: '', MaximumRetryCount: 0 };
  const colon = policy.indexOf(':');
  const name = colon < 0 ? policy : policy.slice(0, colon);
  const count = colon < 0 ? '' : policy.slice(colon + 1);
  if (colon >= 0 && name === '') throw new Error('invalid restart policy format: no policy provided before colon');
  let retries = 0;
  if (count !== '') {
    if (!/^[+-]?\d+$/.test(count)) throw new Error('invalid restart policy format: maximum retry count must be an integer');
    retries = Number(count);
  }
  return { Name: name, MaximumRetryCount: retries };
}

/** Sorts an object's keys as Go's encoding/json sorts map keys. */
export function sortedRecord<V>(record: Readonly<Record<string, V>>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const key of Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) out[key] = record[key]!;
  return out;
}
