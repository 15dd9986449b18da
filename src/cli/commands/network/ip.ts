// IP addresses and CIDRs as Go's net package parses them (ParseIP,
// ParseCIDR, IPNet.Contains), for the checks docker's CLI makes before
// sending a network or endpoint configuration.
import { isIPv4, isIPv6 } from 'node:net';

/** 16 bytes for IPv6, 4 for IPv4; undefined when not an address. */
export function parseIp(text: string): Uint8Array | undefined {
  if (isIPv4(text)) {
    // Go refuses leading zeros ("010.0.0.1") since 1.17; node's isIPv4 does too
    return Uint8Array.from(text.split('.').map(Number));
  }
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let [head = '', tail] = text.split('::') as [string, string?];
  const parts = (s: string): string[] => (s === '' ? [] : s.split(':'));
  let v4: number[] = [];
  const expand = (list: string[]): string[] => {
    const last = list[list.length - 1];
    if (last !== undefined && last.includes('.')) {
      v4 = last.split('.').map(Number);
      return list.slice(0, -1);
    }
    return list;
  };
  let headParts = parts(head);
  let tailParts = tail === undefined ? [] : parts(tail);
  if (tail === undefined) headParts = expand(headParts);
  else tailParts = expand(tailParts);
  const groups = 8 - (v4.length ? 2 : 0);
  const missing = groups - headParts.length - tailParts.length;
  const all = [...headParts, ...new Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailParts];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  if (v4.length) out.set(v4, 12);
  return out;
}

export interface Cidr {
  ip: Uint8Array;
  network: Uint8Array;
  bits: number;
}

/** net.ParseCIDR; undefined when invalid. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const bits = Number(prefixText);
  if (bits > ip.length * 8) return undefined;
  const network = new Uint8Array(ip.length);
  for (let i = 0; i < ip.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    network[i] = ip[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return { ip, network, bits };
}

/** IPNet.Contains: IPv4 and IPv4-mapped IPv6 match each other. */
export function cidrContains(net: Cidr, ip: Uint8Array): boolean {
  let addr = ip;
  if (net.network.length === 4 && ip.length === 16) {
    const mapped = ip.slice(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff;
    if (!mapped) return false;
    addr = ip.slice(12);
  } else if (net.network.length === 16 && ip.length === 4) {
    return false;
  }
  for (let i = 0; i < net.network.length; i++) {
    const keep = Math.max(0, Math.min(8, net.bits - i * 8));
    const mask = (0xff << (8 - keep)) & 0xff;
    if ((addr[i]! & mask) !== net.network[i]) return false;
  }
  return true;
}
