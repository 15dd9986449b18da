// berthd's configuration: dockerd's flag and daemon.json key names, so a
// docker user's configuration carries over. Flags override the file.
import { readFileSync } from 'node:fs';
import { errnoCode } from '../common/errors.js';
import type { LogLevel } from '../common/log.js';

export interface RuntimeEntry {
  path: string;
  runtimeArgs?: string[];
}

export interface AddressPool {
  base: string;
  size: number;
}

export interface DaemonConfig {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  logLevel: LogLevel;
  logFile?: string;
  configFile: string;
  tls: boolean;
  tlsVerify: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Allow plain TCP on a non-loopback address (dockerd refuses without TLS). */
  insecureTcp: boolean;
  bridge: string;
  bip?: string;
  defaultAddressPools: AddressPool[];
  insecureRegistries: string[];
  registryMirrors: string[];
  defaultRuntime: string;
  runtimes: Record<string, RuntimeEntry>;
  storageDriver?: string;
  group: string;
  iptables: boolean;
  /** Maximum parallel layer downloads / uploads per pull / push. */
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  logDriver: string;
  logOpts: Record<string, string>;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  defaultShmSize: number;
  defaultUlimits: Record<string, { Name: string; Soft: number; Hard: number }>;
  experimental: boolean;
  cgroupParent?: string;
  /** Labels shown in `docker info`. */
  labels: string[];
  debug: boolean;
}

export const defaultConfigFile = '/etc/berth/daemon.json';

export function defaultConfig(): DaemonConfig {
  return {
    hosts: [],
    dataRoot: '/var/lib/berth',
    execRoot: '/run/berth',
    pidfile: '/run/berth/berthd.pid',
    logLevel: 'info',
    configFile: defaultConfigFile,
    tls: false,
    tlsVerify: false,
    insecureTcp: false,
    bridge: 'berth0',
    defaultAddressPools: [
      { base: '172.17.0.0/16', size: 16 },
      { base: '172.18.0.0/16', size: 16 },
      { base: '172.19.0.0/16', size: 16 },
      { base: '172.20.0.0/14', size: 16 },
      { base: '172.24.0.0/14', size: 16 },
      { base: '172.28.0.0/14', size: 16 },
      { base: '192.168.0.0/16', size: 20 },
    ],
    insecureRegistries: [],
    registryMirrors: [],
    defaultRuntime: 'runc',
    runtimes: {},
    group: 'berth',
    iptables: true,
    maxConcurrentDownloads: 3,
    maxConcurrentUploads: 5,
    logDriver: 'json-file',
    logOpts: {},
    dns: [],
    dnsSearch: [],
    dnsOptions: [],
    defaultShmSize: 64 * 1024 * 1024,
    defaultUlimits: {},
    experimental: false,
    labels: [],
    debug: false,
  };
}

export const defaultUnixSocket = 'unix:///run/berth/berth.sock';

/** Map of daemon.json keys to config fields, with a validator per key. */
type JsonValue = unknown;
const fileKeys: Record<string, (c: DaemonConfig, v: JsonValue) => void> = {
  hosts: (c, v) => { c.hosts = stringArray('hosts', v); },
  'data-root': (c, v) => { c.dataRoot = str('data-root', v); },
  'exec-root': (c, v) => { c.execRoot = str('exec-root', v); },
  pidfile: (c, v) => { c.pidfile = str('pidfile', v); },
  'log-level': (c, v) => { c.logLevel = str('log-level', v) as LogLevel; },
  debug: (c, v) => { c.debug = bool('debug', v); },
  tls: (c, v) => { c.tls = bool('tls', v); },
  tlsverify: (c, v) => { c.tlsVerify = bool('tlsverify', v); },
  tlscacert: (c, v) => { c.tlsCaCert = str('tlscacert', v); },
  tlscert: (c, v) => { c.tlsCert = str('tlscert', v); },
  tlskey: (c, v) => { c.tlsKey = str('tlskey', v); },
  bridge: (c, v) => { c.bridge = str('bridge', v); },
  bip: (c, v) => { c.bip = str('bip', v); },
  'default-address-pools': (c, v) => {
    if (!Array.isArray(v)) throw new Error('default-address-pools must be a list');
    c.defaultAddressPools = v.map((p: unknown) => {
      const o = p as { base?: unknown; size?: unknown };
      return { base: str('default-address-pools.base', o.base), size: Number(o.size) };
    });
  },
  'insecure-registries': (c, v) => { c.insecureRegistries = stringArray('insecure-registries', v); },
  'registry-mirrors': (c, v) => { c.registryMirrors = stringArray('registry-mirrors', v); },
  'default-runtime': (c, v) => { c.defaultRuntime = str('default-runtime', v); },
  runtimes: (c, v) => {
    if (!v || typeof v !== 'object') throw new Error('runtimes must be an object');
    for (const [name, r] of Object.entries(v as Record<string, { path?: unknown; runtimeArgs?: unknown }>)) {
      c.runtimes[name] = { path: str(`runtimes.${name}.path`, r.path), runtimeArgs: r.runtimeArgs ? stringArray('runtimeArgs', r.runtimeArgs) : undefined };
    }
  },
  'storage-driver': (c, v) => { c.storageDriver = str('storage-driver', v); },
  group: (c, v) => { c.group = str('group', v); },
  iptables: (c, v) => { c.iptables = bool('iptables', v); },
  'max-concurrent-downloads': (c, v) => { c.maxConcurrentDownloads = Number(v); },
  'max-concurrent-uploads': (c, v) => { c.maxConcurrentUploads = Number(v); },
  'log-driver': (c, v) => { c.logDriver = str('log-driver', v); },
  'log-opts': (c, v) => { c.logOpts = v as Record<string, string>; },
  dns: (c, v) => { c.dns = stringArray('dns', v); },
  'dns-search': (c, v) => { c.dnsSearch = stringArray('dns-search', v); },
  'dns-opts': (c, v) => { c.dnsOptions = stringArray('dns-opts', v); },
  'default-shm-size': (c, v) => { c.defaultShmSize = typeof v === 'number' ? v : parseByteSize(str('default-shm-size', v)); },
  'default-ulimits': (c, v) => { c.defaultUlimits = v as DaemonConfig['defaultUlimits']; },
  experimental: (c, v) => { c.experimental = bool('experimental', v); },
  'cgroup-parent': (c, v) => { c.cgroupParent = str('cgroup-parent', v); },
  labels: (c, v) => { c.labels = stringArray('labels', v); },
  'log-file': (c, v) => { c.logFile = str('log-file', v); },
};

/** Keys of daemon.json that a SIGHUP re-reads (dockerd's reloadable set, as far as berth has them). */
export const reloadableKeys = ['debug', 'log-level', 'labels', 'insecure-registries', 'registry-mirrors', 'max-concurrent-downloads', 'max-concurrent-uploads', 'runtimes', 'default-runtime', 'default-shm-size'];

function str(key: string, v: JsonValue): string {
  if (typeof v !== 'string') throw new Error(`invalid value for ${key}: expected a string`);
  return v;
}
function bool(key: string, v: JsonValue): boolean {
  if (typeof v !== 'boolean') throw new Error(`invalid value for ${key}: expected a boolean`);
  return v;
}
function stringArray(key: string, v: JsonValue): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`invalid value for ${key}: expected a list of strings`);
  return v as string[];
}

export function parseByteSize(s: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([kmgtp]?)i?b?$/i.exec(s.trim());
  if (!m) throw new Error(`invalid size: '${s}'`);
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.round(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
}

/**
 * Read daemon.json and apply it onto `base`. A missing file is fine unless it
 * was named explicitly. Unknown keys are an error, as in dockerd
 * ("the following directives don't match any configuration option: ...").
 */
export function applyConfigFile(base: DaemonConfig, file: string, explicit: boolean, only?: readonly string[]): DaemonConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' && !explicit) return base;
    throw new Error(`unable to configure the berth daemon with file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (text.trim() === '') return base;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`unable to configure the berth daemon with file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error(`unable to configure the berth daemon with file ${file}: expected a JSON object`);
  }
  const unknown = Object.keys(json).filter((k) => !(k in fileKeys));
  if (unknown.length) {
    throw new Error(`unable to configure the berth daemon with file ${file}: the following directives don't match any configuration option: ${unknown.join(', ')}`);
  }
  const out = structuredClone(base);
  for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
    if (only && !only.includes(k)) continue;
    fileKeys[k]!(out, v);
  }
  return out;
}

export function isLoopbackTcp(address: string): boolean {
  if (!address.startsWith('tcp://')) return false;
  const host = new URL(address.replace(/^tcp:/, 'http:')).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.startsWith('127.') || host === '::1';
}
