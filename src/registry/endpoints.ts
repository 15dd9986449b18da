// Which URLs serve a registry, as dockerd decides (registry/config.go,
// registry/service_v2.go): HTTPS by default; an insecure registry (listed in
// `insecure-registries` by host[:port] or CIDR, and always loopback:
// 127.0.0.0/8, ::1) is tried over HTTPS without certificate checks, then
// over plain HTTP. Mirrors apply to Docker Hub pulls only. Docker Hub's
// index name `docker.io` is served by registry-1.docker.io, and its
// credentials live under `https://index.docker.io/v1/`.
import { promises as fs } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { invalidParameter } from '../common/errors.js';
import { DEFAULT_DOMAIN, LEGACY_DEFAULT_DOMAIN } from '../image/reference.js';
import type { TlsSettings } from './transport.js';

/** The key Docker Hub credentials are stored under (config.json, credential helpers). */
export const INDEX_SERVER = 'https://index.docker.io/v1/';
export const INDEX_HOSTNAME = LEGACY_DEFAULT_DOMAIN;
export const INDEX_NAME = DEFAULT_DOMAIN;
/** Where Docker Hub's registry API lives. */
export const DEFAULT_V2_REGISTRY = 'https://registry-1.docker.io';
export const DEFAULT_CERTS_DIR = '/etc/docker/certs.d';
/** dockerd's defaults. */
export const DEFAULT_MAX_CONCURRENT_DOWNLOADS = 3;
export const DEFAULT_MAX_CONCURRENT_UPLOADS = 5;

export interface RegistryServiceConfig {
  /** `--insecure-registry` / daemon.json `insecure-registries`: host[:port] or CIDR. */
  insecureRegistries?: readonly string[];
  /** `--registry-mirror` / daemon.json `registry-mirrors`: http(s) URLs, for docker.io. */
  mirrors?: readonly string[];
  /** Per-registry CA and client certificates: <certsDir>/<host[:port]>/*.crt|*.cert|*.key. */
  certsDir?: string;
  /** Docker Hub's API URL; tests point it elsewhere. */
  officialRegistryUrl?: string;
}

export interface RegistryEndpoint {
  /** Base URL without trailing slash: `https://host:port` (a mirror may carry a path). */
  url: URL;
  mirror: boolean;
  official: boolean;
  /** TLS settings for https URLs; undefined for http. */
  tls: TlsSettings | undefined;
}

interface Cidr {
  family: 4 | 6;
  bytes: Uint8Array;
  prefix: number;
  text: string;
}

function parseIpBytes(ip: string): Uint8Array | undefined {
  const family = isIP(ip);
  if (family === 4) return Uint8Array.from(ip.split('.').map((p) => Number(p)));
  if (family !== 6) return undefined;
  let text = ip;
  // an embedded IPv4 tail (::ffff:1.2.3.4)
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: number[] = [];
  if (v4) {
    tail = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + '0:0';
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array(8 - h.length - r.length).fill('0'), ...r];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = Number.parseInt(g || '0', 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  if (v4) out.set(tail, 12);
  return out;
}

function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = s.slice(0, slash);
  const prefixText = s.slice(slash + 1);
  if (!/^\d+$/.test(prefixText)) return undefined;
  const bytes = parseIpBytes(ip);
  if (!bytes) return undefined;
  const family = bytes.length === 4 ? 4 : 6;
  const prefix = Number(prefixText);
  if (prefix > bytes.length * 8) return undefined;
  const masked = maskBytes(bytes, prefix);
  return { family, bytes: masked, prefix, text: `${formatIp(masked)}/${prefix}` };
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function cidrContains(c: Cidr, ip: string): boolean {
  let bytes = parseIpBytes(ip);
  if (!bytes) return false;
  // An IPv4-mapped IPv6 address matches IPv4 networks, as in Go's net.IPNet.
  if (c.family === 4 && bytes.length === 16 && bytes.slice(0, 12).every((b, i) => b === (i >= 10 ? 0xff : 0))) bytes = bytes.slice(12);
  if (bytes.length !== c.bytes.length) return false;
  const m = maskBytes(bytes, c.prefix);
  return m.every((b, i) => b === c.bytes[i]);
}

/** dockerd's validateHostPort: `host` or `host:port`, port numeric. */
function validateHostPort(s: string): boolean {
  let host = s;
  let port: string | undefined;
  const m = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
  if (m) {
    host = m[1]!;
    port = m[2];
  } else if (s.split(':').length === 2) {
    [host, port] = s.split(':') as [string, string];
  } else if (s.includes(':')) {
    return false;
  }
  if (host === '' || /[/\s]/.test(host)) return false;
  if (port !== undefined && !/^\d+$/.test(port)) return false;
  return true;
}

/** Strip http(s):// from a mirror-less index name, as `--insecure-registry` entries are. */
function stripScheme(s: string): string {
  const lower = s.toLowerCase();
  if (lower.startsWith('http://')) return s.slice(7);
  if (lower.startsWith('https://')) return s.slice(8);
  return s;
}

/** dockerd's ValidateMirror: an http(s) URL without query, fragment or credentials; ends with `/`. */
export function validateMirror(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch (err) {
    throw invalidParameter(`invalid mirror: ${JSON.stringify(value)} is not a valid URI`, err);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw invalidParameter(`invalid mirror: unsupported scheme ${JSON.stringify(u.protocol.replace(/:$/, ''))} in ${JSON.stringify(value)}`);
  }
  if (u.search !== '' || u.hash !== '') throw invalidParameter(`invalid mirror: query or fragment at end of the URI ${JSON.stringify(value)}`);
  if (u.username !== '' || u.password !== '') {
    const shown = new URL(value);
    shown.password = 'xxxxx';
    throw invalidParameter(`invalid mirror: username/password not allowed in URI ${JSON.stringify(shown.toString())}`);
  }
  return value.replace(/\/+$/, '') + '/';
}

/** Index name of a reference's domain: `index.docker.io` is `docker.io`. */
export function normalizeIndexName(domain: string): string {
  return domain === INDEX_HOSTNAME ? INDEX_NAME : domain;
}

/** The config.json / credential-helper key for a registry's credentials. */
export function authConfigKey(domain: string): string {
  return normalizeIndexName(domain) === INDEX_NAME ? INDEX_SERVER : domain;
}

/** Registry settings and endpoint lookup, shared by pulls, pushes and logins. */
export class RegistryEndpoints {
  private readonly cidrs: Cidr[];
  private readonly insecureHosts: Set<string>;
  readonly mirrors: string[];
  readonly certsDir: string;
  readonly officialUrl: URL;

  constructor(config: RegistryServiceConfig = {}) {
    this.cidrs = [];
    this.insecureHosts = new Set();
    for (const raw of config.insecureRegistries ?? []) {
      const lower = raw.toLowerCase();
      const r = stripScheme(raw);
      if (r === raw && lower.includes('://')) throw invalidParameter(`insecure registry ${raw} should not contain '://'`);
      const cidr = parseCidr(r);
      if (cidr) this.cidrs.push(cidr);
      else if (validateHostPort(r)) this.insecureHosts.add(r);
      else throw invalidParameter(`insecure registry ${raw} is not valid`);
    }
    // Loopback is always insecure: a stop-gap dockerd keeps for local registries.
    this.cidrs.push(parseCidr('::1/128')!, parseCidr('127.0.0.0/8')!);
    this.mirrors = (config.mirrors ?? []).map((m) => validateMirror(m));
    this.certsDir = config.certsDir ?? DEFAULT_CERTS_DIR;
    this.officialUrl = new URL(config.officialRegistryUrl ?? DEFAULT_V2_REGISTRY);
  }

  /** The insecure CIDRs, for `docker info`'s RegistryConfig. */
  get insecureCidrs(): string[] {
    return this.cidrs.map((c) => c.text);
  }

  /** dockerd's isSecureIndex: listed hosts are insecure; else insecure when an address of the host is in an insecure CIDR. */
  async isSecure(indexName: string): Promise<boolean> {
    if (normalizeIndexName(indexName) === INDEX_NAME) return true;
    if (this.insecureHosts.has(indexName)) return false;
    let host = indexName;
    const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(indexName);
    if (bracket) host = bracket[1]!;
    else if (indexName.split(':').length === 2) host = indexName.split(':')[0]!;
    let addresses: string[];
    if (isIP(host)) addresses = [host];
    else {
      try {
        addresses = (await lookup(host, { all: true })).map((a) => a.address);
      } catch {
        return true; // unresolvable: no match, so secure
      }
    }
    return !addresses.some((a) => this.cidrs.some((c) => cidrContains(c, a)));
  }

  /**
   * Endpoints to try, in order, for a registry host (`docker.io`,
   * `localhost:5000`...). Mirrors come first for Docker Hub when `mirrors`
   * is set (pulls); never for pushes and logins.
   */
  async lookup(domain: string, opts: { mirrors: boolean }): Promise<RegistryEndpoint[]> {
    const name = normalizeIndexName(domain);
    if (name === INDEX_NAME) {
      const out: RegistryEndpoint[] = [];
      if (opts.mirrors) {
        for (const m of this.mirrors) {
          const url = new URL(m);
          const secure = await this.isSecure(url.host);
          out.push({ url: baseUrl(url), mirror: true, official: false, tls: url.protocol === 'https:' ? await this.tlsFor(url.host, secure) : undefined });
        }
      }
      out.push({ url: baseUrl(this.officialUrl), mirror: false, official: true, tls: this.officialUrl.protocol === 'https:' ? {} : undefined });
      return out;
    }
    const secure = await this.isSecure(name);
    const out: RegistryEndpoint[] = [{ url: new URL(`https://${name}`), mirror: false, official: false, tls: await this.tlsFor(name, secure) }];
    if (!secure) out.push({ url: new URL(`http://${name}`), mirror: false, official: false, tls: undefined });
    return out;
  }

  /** dockerd's newTLSConfig: certificate checks off for insecure registries; certs.d for secure ones. */
  async tlsFor(hostname: string, secure: boolean): Promise<TlsSettings> {
    if (!secure) return { insecureSkipVerify: true };
    // Normalised under the certs dir so a hostile name cannot climb out of it.
    return readCertsDirectory(path.join(this.certsDir, path.posix.normalize('/' + hostname)));
  }
}

function baseUrl(u: URL): URL {
  const copy = new URL(u.toString());
  copy.pathname = copy.pathname.replace(/\/+$/, '');
  copy.search = '';
  copy.hash = '';
  return copy;
}

/**
 * dockerd's ReadCertsDirectory: `*.crt` are CAs, `*.cert` + `*.key` a client
 * certificate. A missing directory is no settings.
 */
export async function readCertsDirectory(dir: string): Promise<TlsSettings> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).sort();
  } catch {
    return {};
  }
  const settings: TlsSettings = {};
  for (const name of names) {
    const full = path.join(dir, name);
    if (name.endsWith('.crt')) {
      (settings.ca ??= []).push(await fs.readFile(full, 'utf8'));
    } else if (name.endsWith('.cert')) {
      const keyName = name.slice(0, -'.cert'.length) + '.key';
      if (!names.includes(keyName)) {
        throw invalidParameter(`missing key ${keyName} for client certificate ${name}. CA certificates must use the extension .crt`);
      }
      settings.cert = await fs.readFile(full, 'utf8');
      settings.key = await fs.readFile(path.join(dir, keyName), 'utf8');
    } else if (name.endsWith('.key')) {
      const certName = name.slice(0, -'.key'.length) + '.cert';
      if (!names.includes(certName)) throw invalidParameter(`missing client certificate ${certName} for key ${name}`);
    }
  }
  return settings;
}
