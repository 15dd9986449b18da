// IP address management: which subnet a new network gets (the daemon's
// default-address-pools, skipping what other networks and the host's routes
// use), and which addresses its endpoints get (serially, as libnetwork's
// default IPAM does: the next free address after the last one handed out, so
// a released address is not reused at once).
import { readFileSync } from 'node:fs';
import { formatIp, Prefix, type Family, type IpAddress } from './ip.js';

export interface AddressPool {
  base: string;
  size: number;
}

/** Every /size block of the pools, in order, that overlaps none of `used`. */
export function* freeSubnets(pools: readonly AddressPool[], used: readonly Prefix[]): Generator<Prefix> {
  for (const pool of pools) {
    const parsed = Prefix.parse(pool.base);
    if (!parsed || pool.size < parsed.prefix.length || pool.size > parsed.prefix.bits) continue;
    const base = parsed.prefix;
    const step = 1n << BigInt(base.bits - pool.size);
    for (let addr = base.base; addr <= base.last; addr += step) {
      const candidate = new Prefix(base.family, addr, pool.size);
      if (!used.some((u) => u.overlaps(candidate))) yield candidate;
    }
  }
}

export function firstFreeSubnet(pools: readonly AddressPool[], used: readonly Prefix[]): Prefix | undefined {
  for (const p of freeSubnets(pools, used)) return p;
  return undefined;
}

export interface HostRoute {
  prefix: Prefix;
  /** The interface the route goes out of. */
  device: string;
}

/**
 * The host's routes (main table), except default routes: a network whose
 * subnet overlaps one would shadow or be shadowed by it. Read from
 * /proc/net/route and /proc/net/ipv6_route (no `ip` spawn).
 */
export function hostRoutes(): HostRoute[] {
  const out: HostRoute[] = [];
  try {
    const lines = readFileSync('/proc/net/route', 'utf8').split('\n').slice(1);
    // Little-endian hex: "0011A8C0" is 192.168.17.0.
    const swap = (n: number): bigint => {
      const b = [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
      return BigInt(b[0]! * 2 ** 24 + b[1]! * 2 ** 16 + b[2]! * 2 ** 8 + b[3]!);
    };
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (f.length < 8) continue;
      const maskValue = swap(Number.parseInt(f[7]!, 16));
      let len = 0;
      for (let b = 31; b >= 0 && (maskValue >> BigInt(b)) & 1n; b--) len++;
      if (len === 0) continue;
      out.push({ prefix: new Prefix(4, swap(Number.parseInt(f[1]!, 16)), len), device: f[0]! });
    }
  } catch {
    // no IPv4 routing table (unusual): nothing to avoid
  }
  try {
    for (const line of readFileSync('/proc/net/ipv6_route', 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const len = Number.parseInt(f[1]!, 16);
      if (len === 0 || len === 128) continue;
      const p = new Prefix(6, BigInt(`0x${f[0]}`), len);
      // Link-local and multicast routes exist on every interface.
      if (p.overlaps(new Prefix(6, 0xfe80n << 112n, 10)) || p.overlaps(new Prefix(6, 0xff00n << 112n, 8))) continue;
      out.push({ prefix: p, device: f[9]! });
    }
  } catch {
    // IPv6 disabled
  }
  return out;
}

/** Nameservers the host uses: a network over them would make them unreachable. */
export function nameserverPrefixes(resolvConf: string): Prefix[] {
  const out: Prefix[] = [];
  for (const line of resolvConf.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const p = Prefix.parse(m[1]!.includes(':') ? `${m[1]}/128` : `${m[1]}/32`);
    if (p) out.push(p.prefix);
  }
  return out;
}

export class AddressExhaustedError extends Error {}
export class AddressInUseError extends Error {}
export class AddressOutOfRangeError extends Error {}

/**
 * The addresses of one subnet of a network. Allocation takes the next free
 * address of the range after the last one handed out (wrapping), skipping
 * the network and broadcast addresses (IPv4), the gateway and auxiliary ones.
 */
export class SubnetAddresses {
  private readonly used = new Set<bigint>();
  private cursor: bigint;
  private readonly first: bigint;
  private readonly last: bigint;

  constructor(
    readonly subnet: Prefix,
    /** Where dynamic addresses come from (--ip-range); the subnet when absent. */
    readonly range: Prefix = subnet,
    reserved: readonly IpAddress[] = [],
  ) {
    let first = range.base;
    let last = range.last;
    if (subnet.family === 4 && subnet.length < 31) {
      // Network and broadcast addresses of the subnet are never handed out,
      // nor (as dockerd does) the first address of an --ip-range.
      if (range.length < 31) first++;
      if (last === subnet.last) last--;
    } else if (subnet.family === 6 && first === subnet.base) {
      // The subnet-router anycast address.
      first++;
    }
    this.first = first;
    this.last = last;
    this.cursor = first - 1n;
    for (const r of reserved) if (subnet.contains(r)) this.used.add(r.value);
  }

  get family(): Family {
    return this.subnet.family;
  }

  isUsed(ip: IpAddress): boolean {
    return this.used.has(ip.value);
  }

  /** Mark an address taken (restoring state at start, or a fixed address). */
  mark(ip: IpAddress): void {
    this.used.add(ip.value);
    if (ip.value > this.cursor && ip.value <= this.last) this.cursor = ip.value;
  }

  /** Take `preferred` (must be in the subnet and free) or the next free address. */
  allocate(preferred?: IpAddress): IpAddress {
    if (preferred) {
      if (!this.subnet.contains(preferred)) throw new AddressOutOfRangeError(`no configured subnet contains IP address ${formatIp(preferred)}`);
      if (this.used.has(preferred.value)) throw new AddressInUseError('Address already in use');
      this.used.add(preferred.value);
      return preferred;
    }
    const span = this.last - this.first + 1n;
    if (span <= 0n) throw new AddressExhaustedError(`no available addresses in ${this.range.toString()}`);
    let candidate = this.cursor + 1n;
    for (let i = 0n; i < span; i++, candidate++) {
      if (candidate > this.last) candidate = this.first;
      if (!this.used.has(candidate)) {
        this.used.add(candidate);
        this.cursor = candidate;
        return { family: this.subnet.family, value: candidate };
      }
      // A large IPv6 range is never exhausted in practice; bound the scan.
      if (i > 1_000_000n) break;
    }
    throw new AddressExhaustedError(`no available addresses in ${this.range.toString()}`);
  }

  release(ip: IpAddress): void {
    this.used.delete(ip.value);
  }
}
