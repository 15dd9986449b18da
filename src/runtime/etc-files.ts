// /etc/hostname, /etc/hosts and /etc/resolv.conf of a container, as dockerd
// (libnetwork) writes them into the container's directory and binds them:
// - hosts: the loopback and IPv6 multicast names, --add-host entries, then
//   the container's own addresses; with --network host a copy of the host's.
// - resolv.conf: the host's, without loopback nameservers (unreachable from
//   another network namespace); none left: Google's 8.8.8.8 and 8.8.4.4;
//   --dns, --dns-search and --dns-option replace their part. With --network
//   host the host's file is used as it is.
import { promises as fs } from 'node:fs';
import { invalidParameter } from '../common/errors.js';
import type { HostsEntry } from './network-contract.js';

export const DEFAULT_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
  /** Other lines (sortlist, comments) kept as they are. */
  other: string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], search: [], options: [], other: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.search = rest;
    else if (key === 'options') out.options.push(...rest);
    else out.other.push(line);
  }
  return out;
}

function isLoopback(ns: string): boolean {
  const addr = ns.replace(/%.*$/, '');
  return addr.startsWith('127.') || addr === '::1' || addr === '0:0:0:0:0:0:0:1';
}

export interface ResolvInput {
  /** The host's resolv.conf text. */
  hostText: string;
  hostNetwork: boolean;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  /** From the network attacher (an embedded DNS server replaces the nameservers). */
  override?: { nameservers: string[]; search?: string[]; options?: string[] };
}

/** The container's resolv.conf text. */
export function buildResolvConf(input: ResolvInput): string {
  const host = parseResolvConf(input.hostText);
  if (input.hostNetwork && input.dns.length === 0 && input.dnsSearch.length === 0 && input.dnsOptions.length === 0) {
    return input.hostText.endsWith('\n') || input.hostText === '' ? input.hostText : `${input.hostText}\n`;
  }
  let nameservers = input.dns.length ? [...input.dns] : input.hostNetwork ? host.nameservers : host.nameservers.filter((n) => !isLoopback(n));
  // On a network with an embedded DNS, resolv.conf names it even with --dns: the
  // --dns servers become its upstreams for this container (docker 127.0.0.11).
  if (input.override) nameservers = [...input.override.nameservers];
  if (nameservers.length === 0) nameservers = [...DEFAULT_NAMESERVERS];
  let search = input.dnsSearch.length ? input.dnsSearch.filter((s) => s !== '.') : (input.override?.search ?? host.search);
  if (input.dnsSearch.length === 1 && input.dnsSearch[0] === '.') search = [];
  const options = input.dnsOptions.length ? [...input.dnsOptions] : (input.override?.options ?? host.options);
  let text = '';
  for (const ns of nameservers) text += `nameserver ${ns}\n`;
  if (search.length) text += `search ${search.join(' ')}\n`;
  if (options.length) text += `options ${options.join(' ')}\n`;
  for (const o of host.other) text += `${o}\n`;
  return text;
}

/** Where a host reads its resolver configuration (systemd-resolved's real servers when its stub is in use). */
export async function readHostResolvConf(): Promise<string> {
  const main = await fs.readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  if (/^\s*nameserver\s+127\.0\.0\.53\s*$/m.test(main)) {
    const real = await fs.readFile('/run/systemd/resolve/resolv.conf', 'utf8').catch(() => undefined);
    if (real !== undefined) return real;
  }
  return main;
}

export interface HostsInput {
  hostNetwork: boolean;
  /** The host's /etc/hosts (for --network host). */
  hostText: string;
  /** --add-host entries: "name:ip" or "name=ip". */
  extraHosts: string[];
  /** The container's own addresses and names. */
  own: HostsEntry[];
  /** What host-gateway stands for. */
  hostGateway?: string;
}

/** moby opts.ValidateExtraHost split: name and address ([v6] brackets removed). */
export function splitExtraHost(entry: string): { name: string; ip: string } {
  let sep = entry.indexOf('=');
  if (sep < 0) sep = entry.indexOf(':');
  if (sep <= 0) throw invalidParameter(`bad format for add-host: "${entry}"`);
  const name = entry.slice(0, sep);
  let ip = entry.slice(sep + 1);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  return { name, ip };
}

export function buildHosts(input: HostsInput): string {
  if (input.hostNetwork) {
    let text = input.hostText.endsWith('\n') || input.hostText === '' ? input.hostText : `${input.hostText}\n`;
    for (const e of input.extraHosts) {
      const { name, ip } = splitExtraHost(e);
      text += `${ip === 'host-gateway' ? (input.hostGateway ?? '') : ip}\t${name}\n`;
    }
    return text;
  }
  let text =
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'ff00::0\tip6-mcastprefix\n' +
    'ff02::1\tip6-allnodes\n' +
    'ff02::2\tip6-allrouters\n';
  for (const e of input.extraHosts) {
    const { name, ip } = splitExtraHost(e);
    const addr = ip === 'host-gateway' ? input.hostGateway : ip;
    if (!addr) throw invalidParameter('unable to derive the IP value for host-gateway');
    text += `${addr}\t${name}\n`;
  }
  for (const o of input.own) text += `${o.ip}\t${o.names.join(' ')}\n`;
  return text;
}

/** /etc/hostname: the hostname and a newline. */
export function buildHostname(hostname: string): string {
  return `${hostname}\n`;
}
