// rtnetlink through libc (koffi): links, addresses and routes, in the host's
// network namespace or in a container's, without spawning `ip`. Each request
// is a synchronous sendmsg + recv on the main thread: the kernel handles
// rtnetlink requests inside the send, so the answer is already queued.
//
// Namespaces: a netlink socket stays bound to the network namespace it was
// created in. To work inside a container's namespace, the main thread enters
// it (setns), opens a socket and returns at once (`RtNetlink.openIn`); no
// JavaScript runs in between, and libuv's worker threads never move. The same
// trick creates namespaces (`createNetns`). Message layouts: linux/netlink.h,
// linux/rtnetlink.h, linux/if_link.h, linux/veth.h.
import koffi from 'koffi';
import { closeSync, openSync, writeFileSync, rmSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { getSystemErrorMessage } from 'node:util';
import { mount, umount2, MNT_DETACH } from '../common/syscalls.js';
import { ipBytes, ipFromBytes, type Family, type IpAddress } from './ip.js';

const libc = koffi.load('libc.so.6');
type NativeFn = (...args: unknown[]) => unknown;
const fn = (decl: string): NativeFn => libc.func(decl) as NativeFn;
const nativeSocket = fn('int socket(int domain, int type, int protocol)');
const nativeSend = fn('intptr_t send(int fd, const void *buf, size_t len, int flags)');
const nativeRecv = fn('intptr_t recv(int fd, _Out_ void *buf, size_t len, int flags)');
const nativeClose = fn('int close(int fd)');
const nativeSetns = fn('int setns(int fd, int nstype)');
const nativeUnshare = fn('int unshare(int flags)');
const errnoLocation = fn('int *__errno_location(void)');

const AF_NETLINK = 16;
const AF_BRIDGE = 7;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const MSG_DONTWAIT = 0x40;
const CLONE_NEWNET = 0x40000000;

const NLM_F_REQUEST = 0x1;
const NLM_F_MULTI = 0x2;
const NLM_F_ACK = 0x4;
const NLM_F_DUMP = 0x300;
const NLM_F_REPLACE = 0x100;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_GETLINK = 18;
const RTM_SETLINK = 19;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const RTM_GETADDR = 22;
const RTM_NEWROUTE = 24;

const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_MASTER = 10;
const IFLA_PROTINFO = 12;
const IFLA_LINKINFO = 18;
const IFLA_NET_NS_FD = 28;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;
const IFLA_BRPORT_MODE = 4; // hairpin
const NLA_F_NESTED = 0x8000;
const IFF_UP = 0x1;

const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_BROADCAST = 4;
const IFA_FLAGS = 8;
const IFA_F_NODAD = 0x02;

const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;
const RT_SCOPE_UNIVERSE = 0;
const RTN_UNICAST = 1;

const AF_INET = 2;
const AF_INET6 = 10;
const afOf = (family: Family): number => (family === 4 ? AF_INET : AF_INET6);

const errnoNames = new Map<number, string>(Object.entries(osConstants.errno).map(([k, v]) => [v, k] as [number, string]));

/** An error from the kernel, with node's errno code (`EEXIST`, `ENODEV`...). */
export class NetlinkError extends Error {
  constructor(
    readonly code: string,
    readonly errno: number,
    what: string,
  ) {
    super(`${what}: ${getSystemErrorMessage(-errno)}`);
    this.name = 'NetlinkError';
  }
}

function lastErrno(): number {
  return koffi.decode(errnoLocation(), 'int') as number;
}
function sysFail(what: string, errno = lastErrno()): NetlinkError {
  return new NetlinkError(errnoNames.get(errno) ?? `E${errno}`, errno, what);
}
const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));

// ---------------------------------------------------------------------------
// Attribute encoding.

const align4 = (n: number): number => (n + 3) & ~3;

function attr(type: number, data: Buffer): Buffer {
  const len = 4 + data.length;
  const out = Buffer.alloc(align4(len));
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  data.copy(out, 4);
  return out;
}
const attrU32 = (type: number, v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return attr(type, b);
};
const attrU8 = (type: number, v: number): Buffer => attr(type, Buffer.from([v]));
const attrStr = (type: number, s: string): Buffer => attr(type, Buffer.from(s + '\0'));
const nested = (type: number, ...children: Buffer[]): Buffer => attr(type, Buffer.concat(children));

function parseAttrs(buf: Buffer, start: number, end: number): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = start;
  while (off + 4 <= end) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & ~NLA_F_NESTED;
    if (len < 4 || off + len > end) break;
    out.set(type, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}
const cString = (b: Buffer): string => {
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 ? b.length : z).toString();
};

function ifinfomsg(index = 0, flags = 0, change = 0, family = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(family, 0);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags, 8);
  b.writeUInt32LE(change, 12);
  return b;
}

export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}
const formatMac = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

export interface LinkInfo {
  index: number;
  name: string;
  up: boolean;
  mtu: number;
  mac: string;
  master: number;
  kind: string;
}

export interface AddressInfo {
  index: number;
  address: IpAddress;
  prefixLength: number;
}

export interface VethOptions {
  /** Host-side name. */
  name: string;
  mtu: number;
  /** Bridge the host side joins (ifindex). */
  master: number;
  peer: { name: string; netnsFd: number; mac?: string };
}

let seqCounter = 1;

export class RtNetlink {
  private fd: number;
  private readonly buf = Buffer.alloc(65536);

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** A socket in the calling thread's (the daemon's) network namespace. */
  static open(): RtNetlink {
    const fd = num(nativeSocket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (fd < 0) throw sysFail('socket(AF_NETLINK)');
    return new RtNetlink(fd);
  }

  /** A socket inside the network namespace at `nsPath` (a bind mount or /proc/<pid>/ns/net). */
  static openIn(nsPath: string): RtNetlink {
    return inNetns(nsPath, () => RtNetlink.open());
  }

  close(): void {
    if (this.fd >= 0) nativeClose(this.fd);
    this.fd = -1;
  }

  /** Send one request; return the reply messages (type, payload). Throws the kernel's errno. */
  private request(type: number, flags: number, body: Buffer, what: string): Array<{ type: number; data: Buffer }> {
    const seq = seqCounter++;
    const head = Buffer.alloc(16);
    head.writeUInt32LE(16 + body.length, 0);
    head.writeUInt16LE(type, 4);
    head.writeUInt16LE(flags | NLM_F_REQUEST, 6);
    head.writeUInt32LE(seq, 8);
    const msg = Buffer.concat([head, body]);
    if (num(nativeSend(this.fd, msg, msg.length, 0)) < 0) throw sysFail(what);
    const replies: Array<{ type: number; data: Buffer }> = [];
    const dump = (flags & NLM_F_DUMP) === NLM_F_DUMP;
    for (;;) {
      // The kernel answered inside send(); a dump may need more reads, which
      // the kernel fills as we consume, so a blocking recv never waits long.
      const n = num(nativeRecv(this.fd, this.buf, this.buf.length, dump ? 0 : MSG_DONTWAIT));
      if (n < 0) throw sysFail(what);
      let off = 0;
      while (off + 16 <= n) {
        const len = this.buf.readUInt32LE(off);
        const mtype = this.buf.readUInt16LE(off + 4);
        const mflags = this.buf.readUInt16LE(off + 6);
        const mseq = this.buf.readUInt32LE(off + 8);
        if (len < 16 || off + len > n) break;
        if (mseq === seq) {
          if (mtype === NLMSG_ERROR) {
            const err = -this.buf.readInt32LE(off + 16);
            if (err !== 0) throw sysFail(what, err);
            return replies;
          }
          if (mtype === NLMSG_DONE) return replies;
          replies.push({ type: mtype, data: Buffer.from(this.buf.subarray(off + 16, off + len)) });
          if (!dump && (mflags & NLM_F_MULTI) === 0 && (flags & NLM_F_ACK) === 0) return replies;
        }
        off += align4(len);
      }
    }
  }

  private parseLink(data: Buffer): LinkInfo {
    const index = data.readInt32LE(4);
    const flags = data.readUInt32LE(8);
    const attrs = parseAttrs(data, 16, data.length);
    let kind = '';
    const linkinfo = attrs.get(IFLA_LINKINFO);
    if (linkinfo) {
      const k = parseAttrs(linkinfo, 0, linkinfo.length).get(IFLA_INFO_KIND);
      if (k) kind = cString(k);
    }
    return {
      index,
      name: cString(attrs.get(IFLA_IFNAME) ?? Buffer.alloc(0)),
      up: (flags & IFF_UP) !== 0,
      mtu: attrs.get(IFLA_MTU)?.readUInt32LE(0) ?? 0,
      mac: attrs.has(IFLA_ADDRESS) ? formatMac(attrs.get(IFLA_ADDRESS)!) : '',
      master: attrs.get(IFLA_MASTER)?.readUInt32LE(0) ?? 0,
      kind,
    };
  }

  /** The link named `name`, or undefined. */
  link(name: string): LinkInfo | undefined {
    try {
      const r = this.request(RTM_GETLINK, 0, Buffer.concat([ifinfomsg(), attrStr(IFLA_IFNAME, name)]), `get link ${name}`);
      return r[0] ? this.parseLink(r[0].data) : undefined;
    } catch (err) {
      if (err instanceof NetlinkError && (err.code === 'ENODEV' || err.code === 'ENOENT')) return undefined;
      throw err;
    }
  }

  links(): LinkInfo[] {
    return this.request(RTM_GETLINK, NLM_F_DUMP, ifinfomsg(), 'list links')
      .filter((m) => m.type === RTM_NEWLINK)
      .map((m) => this.parseLink(m.data));
  }

  createBridge(name: string, opts: { mtu?: number; up?: boolean } = {}): LinkInfo {
    const attrs = [attrStr(IFLA_IFNAME, name), nested(IFLA_LINKINFO, attrStr(IFLA_INFO_KIND, 'bridge'))];
    if (opts.mtu) attrs.push(attrU32(IFLA_MTU, opts.mtu));
    this.request(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, Buffer.concat([ifinfomsg(0, opts.up ? IFF_UP : 0, opts.up ? IFF_UP : 0), ...attrs]), `create bridge ${name}`);
    const link = this.link(name);
    if (!link) throw new NetlinkError('ENODEV', osConstants.errno.ENODEV, `create bridge ${name}`);
    return link;
  }

  /**
   * One message makes the whole pair: the host side up and enslaved to the
   * bridge, the peer created directly inside the container's namespace under
   * its final name (eth0), with its MAC. The peer cannot be created up (the
   * kernel opens it before the pair is joined: ENOTCONN): bring it up from a
   * socket inside the namespace.
   */
  createVeth(opts: VethOptions): void {
    const peerAttrs = [attrStr(IFLA_IFNAME, opts.peer.name), attrU32(IFLA_NET_NS_FD, opts.peer.netnsFd), attrU32(IFLA_MTU, opts.mtu)];
    if (opts.peer.mac) peerAttrs.push(attr(IFLA_ADDRESS, macBytes(opts.peer.mac)));
    const peer = attr(VETH_INFO_PEER, Buffer.concat([ifinfomsg(), ...peerAttrs]));
    const body = Buffer.concat([
      ifinfomsg(0, IFF_UP, IFF_UP),
      attrStr(IFLA_IFNAME, opts.name),
      attrU32(IFLA_MTU, opts.mtu),
      attrU32(IFLA_MASTER, opts.master),
      nested(IFLA_LINKINFO, attrStr(IFLA_INFO_KIND, 'veth'), nested(IFLA_INFO_DATA, peer)),
    ]);
    this.request(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, body, `create veth ${opts.name}`);
  }

  setUp(index: number, up = true): void {
    this.request(RTM_NEWLINK, NLM_F_ACK, ifinfomsg(index, up ? IFF_UP : 0, IFF_UP), `set link ${index} ${up ? 'up' : 'down'}`);
  }

  setMtu(index: number, mtu: number): void {
    this.request(RTM_NEWLINK, NLM_F_ACK, Buffer.concat([ifinfomsg(index), attrU32(IFLA_MTU, mtu)]), `set mtu of link ${index}`);
  }

  /** Hairpin mode on a bridge port: a container can reach itself through the host's DNAT. */
  setHairpin(index: number, on: boolean): void {
    const body = Buffer.concat([ifinfomsg(index, 0, 0, AF_BRIDGE), nested(IFLA_PROTINFO | NLA_F_NESTED, attrU8(IFLA_BRPORT_MODE, on ? 1 : 0))]);
    this.request(RTM_SETLINK, NLM_F_ACK, body, `set hairpin on link ${index}`);
  }

  /** Delete a link by name; false when it did not exist. */
  deleteLink(name: string): boolean {
    try {
      this.request(RTM_DELLINK, NLM_F_ACK, Buffer.concat([ifinfomsg(), attrStr(IFLA_IFNAME, name)]), `delete link ${name}`);
      return true;
    } catch (err) {
      if (err instanceof NetlinkError && (err.code === 'ENODEV' || err.code === 'ENOENT')) return false;
      throw err;
    }
  }

  addAddress(index: number, ip: IpAddress, prefixLength: number, opts: { noDad?: boolean; replace?: boolean } = {}): void {
    const head = Buffer.alloc(8);
    head.writeUInt8(afOf(ip.family), 0);
    head.writeUInt8(prefixLength, 1);
    head.writeUInt32LE(index, 4);
    const bytes = ipBytes(ip);
    const attrs = [attr(IFA_LOCAL, bytes), attr(IFA_ADDRESS, bytes)];
    if (ip.family === 4) {
      const hostMask = prefixLength >= 32 ? 0n : (1n << BigInt(32 - prefixLength)) - 1n;
      attrs.push(attr(IFA_BROADCAST, ipBytes({ family: 4, value: ip.value | hostMask })));
    }
    if (opts.noDad) attrs.push(attrU32(IFA_FLAGS, IFA_F_NODAD));
    const flags = NLM_F_ACK | NLM_F_CREATE | (opts.replace ? NLM_F_REPLACE : NLM_F_EXCL);
    this.request(RTM_NEWADDR, flags, Buffer.concat([head, ...attrs]), `add address to link ${index}`);
  }

  deleteAddress(index: number, ip: IpAddress, prefixLength: number): void {
    const head = Buffer.alloc(8);
    head.writeUInt8(afOf(ip.family), 0);
    head.writeUInt8(prefixLength, 1);
    head.writeUInt32LE(index, 4);
    const bytes = ipBytes(ip);
    this.request(RTM_DELADDR, NLM_F_ACK, Buffer.concat([head, attr(IFA_LOCAL, bytes), attr(IFA_ADDRESS, bytes)]), `delete address from link ${index}`);
  }

  addresses(family?: Family): AddressInfo[] {
    const head = Buffer.alloc(8);
    head.writeUInt8(family ? afOf(family) : 0, 0);
    const out: AddressInfo[] = [];
    for (const m of this.request(RTM_GETADDR, NLM_F_DUMP, head, 'list addresses')) {
      if (m.type !== RTM_NEWADDR) continue;
      const attrs = parseAttrs(m.data, 8, m.data.length);
      const raw = attrs.get(IFA_LOCAL) ?? attrs.get(IFA_ADDRESS);
      if (!raw) continue;
      out.push({ index: m.data.readUInt32LE(4), address: ipFromBytes(raw), prefixLength: m.data.readUInt8(1) });
    }
    return out;
  }

  /** A route in the main table: default (no `dst`) or to a prefix, via a gateway and/or out a link. */
  addRoute(route: { family: Family; dst?: { ip: IpAddress; length: number }; gateway?: IpAddress; oif?: number }): void {
    const head = Buffer.alloc(12);
    head.writeUInt8(afOf(route.family), 0);
    head.writeUInt8(route.dst?.length ?? 0, 1);
    head.writeUInt8(RT_TABLE_MAIN, 4);
    head.writeUInt8(RTPROT_BOOT, 5);
    head.writeUInt8(RT_SCOPE_UNIVERSE, 6);
    head.writeUInt8(RTN_UNICAST, 7);
    const attrs: Buffer[] = [];
    if (route.dst) attrs.push(attr(RTA_DST, ipBytes(route.dst.ip)));
    if (route.gateway) attrs.push(attr(RTA_GATEWAY, ipBytes(route.gateway)));
    if (route.oif) attrs.push(attrU32(RTA_OIF, route.oif));
    this.request(RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, Buffer.concat([head, ...attrs]), 'add route');
  }
}

// ---------------------------------------------------------------------------
// Namespaces.

function setnsOrDie(fd: number): void {
  if (num(nativeSetns(fd, CLONE_NEWNET)) !== 0) {
    // The daemon's main thread would stay in a container's namespace: nothing
    // it did afterwards could be trusted. Stop now; a restart recovers.
    process.stderr.write(`berthd: cannot return to the daemon's network namespace: ${sysFail('setns').message}\n`);
    process.abort();
  }
}

/**
 * Run `body` with the main thread inside the network namespace at `nsPath`,
 * then return to the daemon's. `body` must be synchronous: only syscalls made
 * by this thread during the call see the other namespace (sockets it opens,
 * files it opens under /proc/sys/net).
 */
export function inNetns<T>(nsPath: string, body: () => T): T {
  const home = openSync('/proc/thread-self/ns/net', 'r');
  let target: number | undefined;
  try {
    target = openSync(nsPath, 'r');
    if (num(nativeSetns(target, CLONE_NEWNET)) !== 0) throw sysFail(`setns ${nsPath}`);
    try {
      const out = body();
      if (out instanceof Promise) throw new Error('inNetns: body must be synchronous');
      return out;
    } finally {
      setnsOrDie(home);
    }
  } finally {
    if (target !== undefined) closeSync(target);
    closeSync(home);
  }
}

/**
 * Create a network namespace pinned by a bind mount at `nsPath` (the file is
 * created), with its loopback up and `sysctls` (keys under /proc/sys, e.g.
 * net/ipv6/conf/all/disable_ipv6) written. Returns a netlink socket inside it.
 */
export function createNetns(nsPath: string, sysctls: Record<string, string> = {}): RtNetlink {
  const home = openSync('/proc/thread-self/ns/net', 'r');
  writeFileSync(nsPath, '', { mode: 0o444, flag: 'wx' });
  let socket: RtNetlink | undefined;
  try {
    if (num(nativeUnshare(CLONE_NEWNET)) !== 0) throw sysFail('unshare(CLONE_NEWNET)');
    try {
      mount('/proc/thread-self/ns/net', nsPath, null, 0x1000 /* MS_BIND */, null);
      socket = RtNetlink.open();
      socket.setUp(1); // lo is ifindex 1 in a new namespace
      for (const [key, value] of Object.entries(sysctls)) writeFileSync(`/proc/sys/${key}`, value);
    } finally {
      setnsOrDie(home);
    }
    return socket;
  } catch (err) {
    socket?.close();
    removeNetns(nsPath);
    throw err;
  } finally {
    closeSync(home);
  }
}

/** Unpin a namespace made by createNetns; the kernel frees it when no process is left in it. */
export function removeNetns(nsPath: string): void {
  try {
    umount2(nsPath, MNT_DETACH);
  } catch {
    // not mounted (already released, or creation failed before the mount)
  }
  rmSync(nsPath, { force: true });
}

/** Write a sysctl of the namespace at `nsPath` (e.g. net/ipv6/conf/eth0/disable_ipv6). */
export function setNetnsSysctl(nsPath: string, key: string, value: string): void {
  inNetns(nsPath, () => writeFileSync(`/proc/sys/${key}`, value));
}
