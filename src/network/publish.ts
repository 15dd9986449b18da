// Host ports for published container ports. The kernel does the forwarding
// (nftables DNAT, see firewall.ts); this module decides which host ports a
// container gets and keeps them reserved: for each binding berthd holds a
// socket bound to the host address and port, as docker-proxy does, so that
// another program cannot take the port and a clash with one that already
// has it is reported at start. IPv4 connections never reach these sockets
// (DNAT happens before the socket lookup). On IPv6 ("::"), where a
// container with only an IPv4 address cannot be reached by NAT, and with
// --iptables=false (no NAT at all), the TCP reservation is also a small
// userland proxy to the container.
import dgram from 'node:dgram';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import type { Logger } from '../common/log.js';
import { systemError } from '../common/errors.js';
import type { Protocol } from './ports.js';

export interface HostBinding {
  proto: Protocol;
  /** '0.0.0.0', '::' or a specific address. */
  hostIp: string;
  hostPort: number;
}

export interface ProxyTarget {
  ip: string;
  port: number;
}

/** The kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range), docker's -P range. */
export function ephemeralPortRange(): { start: number; end: number } {
  try {
    const [a, b] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (a && b && a <= b) return { start: a, end: b };
  } catch {
    // not Linux, or /proc hidden
  }
  return { start: 49153, end: 65535 };
}

/** Does the host have IPv6 at all (docker then also publishes on "::")? */
export function hostHasIPv6(): boolean {
  try {
    return readFileSync('/proc/net/if_inet6', 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

type Reservation = { kind: 'tcp'; server: net.Server; sockets: Set<net.Socket> } | { kind: 'udp'; socket: dgram.Socket } | { kind: 'none' };

const keyOf = (b: HostBinding): string => `${b.proto}/${b.hostIp}/${b.hostPort}`;
const isWildcard = (ip: string): boolean => ip === '0.0.0.0' || ip === '::';
const familyOf = (ip: string): 4 | 6 => (net.isIPv6(ip) ? 6 : 4);

export class PortAlreadyAllocatedError extends Error {}

export class HostPorts {
  private readonly held = new Map<string, Reservation>();

  constructor(private readonly logger: Logger) {}

  /** Does an allocation clash with one already held (same port, same family, overlapping address)? */
  private clashes(b: HostBinding): boolean {
    for (const key of this.held.keys()) {
      const [proto, ip, port] = key.split('/') as [string, string, string];
      if (proto !== b.proto || Number(port) !== b.hostPort || familyOf(ip) !== familyOf(b.hostIp)) continue;
      if (ip === b.hostIp || isWildcard(ip) || isWildcard(b.hostIp)) return true;
    }
    return false;
  }

  isHeld(b: HostBinding): boolean {
    return this.held.has(keyOf(b));
  }

  /**
   * Reserve one binding. `port` 0 or a range picks a free port in it
   * (`range` defaults to the ephemeral range). Throws docker's messages.
   */
  async reserve(b: Omit<HostBinding, 'hostPort'> & { start: number; end: number }, proxy?: ProxyTarget, also?: (port: number) => Promise<boolean>): Promise<number> {
    const fixed = b.start !== 0 && b.start === b.end;
    const range = b.start === 0 ? ephemeralPortRange() : { start: b.start, end: b.end };
    let lastError = '';
    for (let port = range.start; port <= range.end; port++) {
      const binding: HostBinding = { proto: b.proto, hostIp: b.hostIp, hostPort: port };
      if (this.clashes(binding)) {
        lastError = `Bind for ${displayAddress(b.hostIp)}:${port} failed: port is already allocated`;
        if (fixed) throw new PortAlreadyAllocatedError(lastError);
        continue;
      }
      try {
        await this.hold(binding, proxy);
      } catch (err) {
        lastError = `Error starting userland proxy: listen ${b.proto}${familyOf(b.hostIp)} ${displayAddress(b.hostIp)}:${port}: bind: ${bindErrorText(err)}`;
        if (fixed) throw systemError(lastError);
        continue;
      }
      if (also && !(await also(port))) {
        await this.release(binding);
        lastError = `Bind for ${displayAddress(b.hostIp)}:${port} failed: port is already allocated`;
        if (fixed) throw new PortAlreadyAllocatedError(lastError);
        continue;
      }
      return port;
    }
    throw b.start === 0 ? systemError('no available ports in the ephemeral port range') : new PortAlreadyAllocatedError(lastError);
  }

  /** Hold a socket on the binding (throws EADDRINUSE and the like). */
  async hold(b: HostBinding, proxy?: ProxyTarget): Promise<void> {
    const key = keyOf(b);
    if (this.held.has(key)) return;
    // Mark first: a concurrent reserve must see the port as taken.
    this.held.set(key, { kind: 'none' });
    try {
      if (b.proto === 'udp') {
        const socket = dgram.createSocket({ type: familyOf(b.hostIp) === 6 ? 'udp6' : 'udp4', ipv6Only: familyOf(b.hostIp) === 6 });
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.bind({ address: b.hostIp, port: b.hostPort, exclusive: true }, () => {
            socket.off('error', reject);
            resolve();
          });
        });
        socket.on('error', () => undefined);
        socket.on('message', () => undefined);
        this.held.set(key, { kind: 'udp', socket });
      } else if (b.proto === 'tcp') {
        const sockets = new Set<net.Socket>();
        const server = net.createServer((client) => this.onConnection(client, sockets, proxy));
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: b.hostIp, port: b.hostPort, exclusive: true, ipv6Only: familyOf(b.hostIp) === 6 }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        server.on('error', (err) => this.logger.warn('published port listener error', { port: b.hostPort, err: err.message }));
        this.held.set(key, { kind: 'tcp', server, sockets });
      }
      // sctp: Node has no SCTP sockets; the port is tracked, not held.
    } catch (err) {
      this.held.delete(key);
      throw err;
    }
  }

  private onConnection(client: net.Socket, sockets: Set<net.Socket>, proxy?: ProxyTarget): void {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (!proxy) {
      // Only IPv4 reservations with DNAT lack a proxy, and DNAT keeps their traffic away.
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: proxy.ip, port: proxy.port });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async release(b: HostBinding): Promise<void> {
    const key = keyOf(b);
    const r = this.held.get(key);
    if (!r) return;
    this.held.delete(key);
    if (r.kind === 'udp') await new Promise<void>((res) => r.socket.close(() => res()));
    else if (r.kind === 'tcp') {
      for (const s of r.sockets) s.destroy();
      await new Promise<void>((res) => r.server.close(() => res()));
    }
  }

  async releaseAll(): Promise<void> {
    for (const key of [...this.held.keys()]) {
      const [proto, hostIp, port] = key.split('/') as [Protocol, string, string];
      await this.release({ proto, hostIp, hostPort: Number(port) });
    }
  }
}

function displayAddress(ip: string): string {
  return net.isIPv6(ip) ? `[${ip}]` : ip;
}

function bindErrorText(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE') return 'address already in use';
  if (code === 'EADDRNOTAVAIL') return 'cannot assign requested address';
  if (code === 'EACCES') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}
