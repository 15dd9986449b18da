// berth's embedded DNS server for user-defined networks, in the daemon. It
// listens on each such network's gateway address (udp and tcp 53; the bridge
// address is a host address, so the daemon can bind it) and containers' resolv.conf
// name it. Who asks decides what is answered: the client's source address
// identifies the container, and only the names of containers sharing one of
// its networks resolve (container names, network aliases, 12-character short
// IDs, `name.network`), as docker's embedded resolver does. Everything else
// goes to the container's --dns servers or the host's resolvers; when none
// answers in time, SERVFAIL.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket, type Packet, type Question } from 'dns-packet';
import type { Logger } from '../common/log.js';
import { formatIp, parseIp } from './ip.js';

/** What the server asks the network service about a client and a name. */
export interface DnsDirectory {
  /**
   * Addresses of `name` for the container at `clientIp`, or undefined when the
   * name is not one of its networks' (forward it). An empty list: the name
   * exists but has no address of that family (answer NOERROR, no records).
   * null: the client is not a container berth knows (refuse).
   */
  lookup(clientIp: string, name: string, family: 4 | 6): string[] | undefined | null;
  /** The names (`name.network`) of a container address, for PTR queries. */
  reverse(clientIp: string, ip: string): string[] | undefined | null;
  /** Where to send other questions from this client (its --dns, else the host's nameservers). */
  upstreams(clientIp: string): string[];
}

export const DNS_TTL = 600;
const UDP_MAX = 512;

export type LocalAnswer =
  | { kind: 'answer'; packet: Packet }
  | { kind: 'forward' }
  | { kind: 'refuse'; packet: Packet };

function baseResponse(query: DecodedPacket, rcode: number, authoritative: boolean): Packet {
  return {
    type: 'response',
    id: query.id,
    // Echo RD; say recursion is available (we forward); rcode in the low bits.
    flags: ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | (authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | rcode,
    questions: query.questions ?? [],
    answers: [],
  };
}

/** "2.0.17.172.in-addr.arpa" → "172.17.0.2"; IPv6 nibbles likewise. */
export function ptrToIp(name: string): string | undefined {
  const lower = name.toLowerCase().replace(/\.$/, '');
  if (lower.endsWith('.in-addr.arpa')) {
    const parts = lower.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4 || parts.some((p) => !/^[0-9]{1,3}$/.test(p) || Number(p) > 255)) return undefined;
    return parts.reverse().map(Number).join('.');
  }
  if (lower.endsWith('.ip6.arpa')) {
    const nibbles = lower.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || nibbles.some((n) => !/^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join('');
    const ip = parseIp(hex.match(/.{4}/g)!.join(':'));
    return ip ? formatIp(ip) : undefined;
  }
  return undefined;
}

/** Answer from the directory, or say the question must be forwarded. Pure: unit-tested. */
export function answerLocally(query: DecodedPacket, clientIp: string, dir: DnsDirectory): LocalAnswer {
  const q: Question | undefined = query.questions?.[0];
  if (!q || (query.questions?.length ?? 0) !== 1 || query.type !== 'query') {
    return { kind: 'answer', packet: baseResponse(query, 1 /* FORMERR */, false) };
  }
  const name = q.name.replace(/\.$/, '');
  if (q.type === 'A' || q.type === 'AAAA') {
    const found = dir.lookup(clientIp, name, q.type === 'A' ? 4 : 6);
    if (found === null) return { kind: 'refuse', packet: baseResponse(query, 5 /* REFUSED */, false) };
    if (found === undefined) return { kind: 'forward' };
    const packet = baseResponse(query, 0, true);
    packet.answers = shuffle(found).map((ip): Answer => ({ type: q.type as 'A' | 'AAAA', name: q.name, class: 'IN', ttl: DNS_TTL, data: ip }));
    return { kind: 'answer', packet };
  }
  if (q.type === 'PTR') {
    const ip = ptrToIp(name);
    const names = ip === undefined ? undefined : dir.reverse(clientIp, ip);
    if (names === null) return { kind: 'refuse', packet: baseResponse(query, 5, false) };
    if (names === undefined || names.length === 0) return { kind: 'forward' };
    const packet = baseResponse(query, 0, true);
    packet.answers = names.map((n): Answer => ({ type: 'PTR', name: q.name, class: 'IN', ttl: DNS_TTL, data: n }));
    return { kind: 'answer', packet };
  }
  // Other types for a container's own name: it exists, with no such record.
  const known = dir.lookup(clientIp, name, 4);
  if (known === null) return { kind: 'refuse', packet: baseResponse(query, 5, false) };
  if (known !== undefined) return { kind: 'answer', packet: baseResponse(query, 0, true) };
  return { kind: 'forward' };
}

function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface ForwardOptions {
  /** Per upstream server; the whole forward stops after `upstreams × timeoutMs`. */
  timeoutMs: number;
}

/** Send the raw query to each upstream in turn over UDP; the first answer wins. */
async function forwardUdp(raw: Buffer, upstreams: readonly string[], opts: ForwardOptions): Promise<Buffer | undefined> {
  for (const server of upstreams) {
    const family = net.isIPv6(server) ? 'udp6' : 'udp4';
    const answer = await new Promise<Buffer | undefined>((resolve) => {
      const sock = dgram.createSocket(family);
      const done = (v: Buffer | undefined): void => {
        clearTimeout(timer);
        sock.close();
        resolve(v);
      };
      const timer = setTimeout(() => done(undefined), opts.timeoutMs);
      sock.on('error', () => done(undefined));
      sock.on('message', (msg) => done(msg));
      sock.send(raw, 53, server, (err) => { if (err) done(undefined); });
    });
    if (answer) return answer;
  }
  return undefined;
}

async function forwardTcp(raw: Buffer, upstreams: readonly string[], opts: ForwardOptions): Promise<Buffer | undefined> {
  for (const server of upstreams) {
    const answer = await new Promise<Buffer | undefined>((resolve) => {
      const sock = net.connect({ host: server, port: 53 });
      let buf = Buffer.alloc(0);
      const done = (v: Buffer | undefined): void => {
        clearTimeout(timer);
        sock.destroy();
        resolve(v);
      };
      const timer = setTimeout(() => done(undefined), opts.timeoutMs);
      sock.on('error', () => done(undefined));
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(raw.length);
        sock.write(Buffer.concat([len, raw]));
      });
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      });
      sock.on('close', () => done(undefined));
    });
    if (answer) return answer;
  }
  return undefined;
}

interface Listener {
  udp: dgram.Socket;
  tcp: net.Server;
}

/** One server object; it listens on any number of gateway addresses. */
export class EmbeddedDns {
  private readonly listeners = new Map<string, Listener>();
  private readonly tcpClients = new Set<net.Socket>();

  constructor(
    private readonly dir: DnsDirectory,
    private readonly logger: Logger,
    private readonly forwardOptions: ForwardOptions = { timeoutMs: 1500 },
  ) {}

  get addresses(): string[] {
    return [...this.listeners.keys()];
  }

  /** Listen on address:port (udp and tcp). Idempotent. */
  async listen(address: string, port = 53): Promise<void> {
    if (this.listeners.has(address)) return;
    const family = net.isIPv6(address) ? 'udp6' : 'udp4';
    const udp = dgram.createSocket({ type: family, reuseAddr: true });
    udp.on('message', (msg, rinfo) => void this.onUdp(udp, msg, rinfo));
    udp.on('error', (err) => this.logger.warn('embedded DNS socket error', { address, err: err.message }));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ address, port, exclusive: true }, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const tcp = net.createServer((sock) => this.onTcp(sock));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: address, port, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      throw err;
    }
    tcp.on('error', (err) => this.logger.warn('embedded DNS listener error', { address, err: err.message }));
    this.listeners.set(address, { udp, tcp });
  }

  async unlisten(address: string): Promise<void> {
    const l = this.listeners.get(address);
    if (!l) return;
    this.listeners.delete(address);
    await Promise.all([
      new Promise<void>((r) => l.udp.close(() => r())),
      new Promise<void>((r) => l.tcp.close(() => r())),
    ]);
  }

  async close(): Promise<void> {
    for (const s of this.tcpClients) s.destroy();
    await Promise.all(this.addresses.map((a) => this.unlisten(a)));
  }

  /** Answer one raw query from `clientIp`: locally, by forwarding, or SERVFAIL. */
  async resolve(raw: Buffer, clientIp: string, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(raw);
    } catch {
      return undefined; // not DNS: drop, as resolvers do
    }
    const local = answerLocally(query, clientIp, this.dir);
    if (local.kind !== 'forward') return this.encode(local.packet, transport);
    const upstreams = this.dir.upstreams(clientIp);
    const answer = upstreams.length
      ? await (transport === 'udp' ? forwardUdp(raw, upstreams, this.forwardOptions) : forwardTcp(raw, upstreams, this.forwardOptions))
      : undefined;
    if (answer) return answer;
    this.logger.debug('embedded DNS: no upstream answered', { name: query.questions?.[0]?.name ?? '', upstreams: upstreams.join(',') });
    return this.encode(baseResponse(query, 2 /* SERVFAIL */, false), transport);
  }

  private encode(packet: Packet, transport: 'udp' | 'tcp'): Buffer {
    let out = dnsPacket.encode(packet);
    if (transport === 'udp' && out.length > UDP_MAX) {
      // Too big for plain UDP: truncate, the client retries over TCP.
      out = dnsPacket.encode({ ...packet, answers: [], flags: (packet.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE });
    }
    return out;
  }

  private async onUdp(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    const reply = await this.resolve(msg, rinfo.address, 'udp').catch(() => undefined);
    if (reply && this.listeners.size > 0) sock.send(reply, rinfo.port, rinfo.address, () => undefined);
  }

  private onTcp(sock: net.Socket): void {
    this.tcpClients.add(sock);
    sock.setTimeout(10_000, () => sock.destroy());
    sock.on('close', () => this.tcpClients.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        const clientIp = (sock.remoteAddress ?? '').replace(/^::ffff:/, '');
        void this.resolve(Buffer.from(msg), clientIp, 'tcp').then((reply) => {
          if (!reply || sock.destroyed) return;
          const head = Buffer.alloc(2);
          head.writeUInt16BE(reply.length);
          sock.write(Buffer.concat([head, reply]));
        });
      }
    });
  }
}
