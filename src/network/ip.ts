// IPv4/IPv6 addresses and prefixes as bigints: parsing with Go's net.ParseIP /
// net.ParseCIDR strictness (what dockerd accepts), canonical formatting
// (RFC 5952 for IPv6, as Go prints), and the arithmetic IPAM needs.
import { isIPv4, isIPv6 } from 'node:net';

export type Family = 4 | 6;

export interface IpAddress {
  readonly family: Family;
  readonly value: bigint;
}

const bitsOf = (family: Family): number => (family === 4 ? 32 : 128);

export function parseIp(text: string): IpAddress | undefined {
  if (isIPv4(text)) {
    const parts = text.split('.').map(Number);
    // Go rejects leading zeros ("010.0.0.1"); node's isIPv4 does too.
    return { family: 4, value: BigInt(((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) };
  }
  if (isIPv6(text) && !text.includes('%')) {
    let head = text;
    let v4Tail: bigint | undefined;
    // An embedded IPv4 tail (::ffff:1.2.3.4) takes the last two groups.
    const lastColon = text.lastIndexOf(':');
    if (text.slice(lastColon + 1).includes('.')) {
      const v4 = parseIp(text.slice(lastColon + 1));
      if (!v4) return undefined;
      v4Tail = v4.value;
      head = text.slice(0, lastColon + 1) + '0:0';
    }
    const [left, right] = head.includes('::') ? head.split('::') as [string, string] : [head, undefined];
    const leftGroups = left ? left.split(':') : [];
    const rightGroups = right === undefined ? [] : right ? right.split(':') : [];
    const missing = 8 - leftGroups.length - rightGroups.length;
    const groups = [...leftGroups, ...Array<string>(right === undefined ? 0 : missing).fill('0'), ...rightGroups];
    if (groups.length !== 8) return undefined;
    let value = 0n;
    for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16));
    if (v4Tail !== undefined) value = (value & ~0xffffffffn) | v4Tail;
    return { family: 6, value };
  }
  return undefined;
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) {
    const v = Number(ip.value);
    return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  // The longest run of two or more zero groups becomes "::" (the first one on ties).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function ipEquals(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.value === b.value;
}

/** The address as network-order bytes (4 or 16), for netlink. */
export function ipBytes(ip: IpAddress): Buffer {
  const n = ip.family === 4 ? 4 : 16;
  const out = Buffer.alloc(n);
  let v = ip.value;
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function ipFromBytes(bytes: Uint8Array): IpAddress {
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return { family: bytes.length === 4 ? 4 : 6, value };
}

/** A network prefix: base address with host bits cleared, and a length. */
export class Prefix {
  readonly family: Family;
  readonly base: bigint;
  readonly length: number;

  constructor(family: Family, base: bigint, length: number) {
    this.family = family;
    this.length = length;
    this.base = base & Prefix.mask(family, length);
  }

  static mask(family: Family, length: number): bigint {
    const bits = BigInt(bitsOf(family));
    const all = (1n << bits) - 1n;
    return length === 0 ? 0n : (all << (bits - BigInt(length))) & all;
  }

  /** Go's net.ParseCIDR: `addr/len`; the address may carry host bits (see `ParsedCidr.ip`). */
  static parse(text: string): ParsedCidr | undefined {
    const slash = text.indexOf('/');
    if (slash < 0) return undefined;
    const ip = parseIp(text.slice(0, slash));
    const lenText = text.slice(slash + 1);
    if (!ip || !/^[0-9]{1,3}$/.test(lenText)) return undefined;
    const length = Number(lenText);
    if (length > bitsOf(ip.family)) return undefined;
    return { ip, prefix: new Prefix(ip.family, ip.value, length) };
  }

  get bits(): number {
    return bitsOf(this.family);
  }
  /** Number of addresses (2^(bits-length)). */
  get size(): bigint {
    return 1n << BigInt(this.bits - this.length);
  }
  get last(): bigint {
    return this.base + this.size - 1n;
  }
  contains(ip: IpAddress): boolean {
    return ip.family === this.family && ip.value >= this.base && ip.value <= this.last;
  }
  containsPrefix(other: Prefix): boolean {
    return other.family === this.family && other.length >= this.length && this.contains({ family: other.family, value: other.base });
  }
  overlaps(other: Prefix): boolean {
    return other.family === this.family && this.base <= other.last && other.base <= this.last;
  }
  address(offset: bigint): IpAddress {
    return { family: this.family, value: this.base + offset };
  }
  equals(other: Prefix): boolean {
    return other.family === this.family && other.base === this.base && other.length === this.length;
  }
  toString(): string {
    return `${formatIp({ family: this.family, value: this.base })}/${this.length}`;
  }
}

export interface ParsedCidr {
  /** The address as written (host bits kept: 172.17.0.1/16 → 172.17.0.1). */
  ip: IpAddress;
  prefix: Prefix;
}
