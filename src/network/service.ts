// The network service: docker's networks (the default `bridge`, user-defined
// bridge networks, `host`, `none`), the containers' network namespaces and
// endpoints on them, published ports, the embedded DNS, and the daemon's
// nftables table. The runtime calls prepare() before a container starts and
// release() after it stopped (the contract: src/runtime/network-contract.ts); the API routes call the rest.
//
// Plumbing is done directly (rtnetlink and libnftables through FFI, see
// netlink.ts and nftables.ts), not through CNI plugins: docs/networking.md
// has the figures. Every mutation runs under one lock; kernel state is only
// made after the record that describes it is written, so a restart after a
// crash finds and removes whatever a dead container left.
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, closeSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { conflict, forbidden, invalidParameter, notFound, notImplemented, systemError, isEngineError } from '../common/errors.js';
import type { Filters } from '../api/http/filters.js';
import type { Logger } from '../common/log.js';
import { nowRfc3339Nano, parseFilterTime, secondsOf, ZERO_TIME } from './clock.js';
import type {
  ContainerNetworkSettings,
  EndpointSettings,
  HostsEntry,
  NetworkAttacher,
  NetworkContainerDirectory,
  NetworkContainerInfo,
  NetworkRequest,
  PreparedNetwork,
} from '../runtime/network-contract.js';
import { EmbeddedDns, type DnsDirectory } from './dns.js';
import { DisabledFirewall, NftFirewall, tableNameFor, type Firewall, type FirewallNetwork, type PortForward } from './firewall.js';
import { ensureSysctl, liveNetnsInodes, pinnedNetnsInode } from './host.js';
import { formatIp, parseIp, Prefix, type Family, type IpAddress } from './ip.js';
import {
  AddressExhaustedError,
  AddressInUseError,
  AddressOutOfRangeError,
  firstFreeSubnet,
  hostRoutes,
  nameserverPrefixes,
  SubnetAddresses,
  type AddressPool,
} from './ipam.js';
import { linkEnv, linkHostsEntries, parseLink } from './links.js';
import { createNetns, removeNetns, RtNetlink, inNetns } from './netlink.js';
import { parseHostPortRequest, parsePortKey } from './ports.js';
import { HostPorts, hostHasIPv6, PortAlreadyAllocatedError } from './publish.js';
import { NetworkStore, SandboxStore } from './store.js';
import type {
  EndpointRecord,
  IpamConfig,
  NetworkCreateRequest,
  NetworkRecord,
  NetworkResource,
  PublishedPortRecord,
  SandboxRecord,
} from './types.js';

/** Where network events go: the daemon's event bus (src/common/events.ts EventPublisher fits). */
export interface EventPublisher {
  publish(ev: { Type: 'network'; Action: string; Actor: { ID: string; Attributes: Record<string, string> } }): unknown;
}

export interface NetworkServiceOptions {
  dataRoot: string;
  execRoot: string;
  /** Device of the default bridge network; `none` disables it. */
  bridge: string;
  /** Address and prefix of the default bridge (--bip), e.g. 172.17.0.1/16. */
  bip?: string;
  defaultAddressPools: AddressPool[];
  /** --iptables: false leaves the host's firewall alone (no NAT, no published ports). */
  iptables: boolean;
  /** Daemon-wide --dns: where the embedded DNS forwards when a container has none of its own. */
  dns: string[];
  logger: Logger;
  events?: EventPublisher;
  /** Host resolv.conf text (tests); default: /etc/resolv.conf. */
  readHostResolvConf?: () => string;
  /** Per upstream server, when forwarding DNS. */
  dnsForwardTimeoutMs?: number;
}

const PREDEFINED = ['bridge', 'host', 'none'];
const DEFAULT_MTU = 1500;
const BRIDGE_OPT = {
  name: 'com.docker.network.bridge.name',
  icc: 'com.docker.network.bridge.enable_icc',
  masquerade: 'com.docker.network.bridge.enable_ip_masquerade',
  hostBinding: 'com.docker.network.bridge.host_binding_ipv4',
  defaultBridge: 'com.docker.network.bridge.default_bridge',
  mtu: 'com.docker.network.driver.mtu',
} as const;

interface NetState {
  rec: NetworkRecord;
  /** The port the embedded DNS server got on the gateway (53, or a redirected one). */
  dnsPort?: number;
  v4?: SubnetAddresses;
  v6?: SubnetAddresses;
  gw4?: IpAddress;
  gw6?: IpAddress;
  bridgeIndex?: number;
}

interface EndpointRef {
  sandbox: SandboxRecord;
  endpoint: EndpointRecord;
}

const randomId = (): string => randomBytes(32).toString('hex');
const shortId = (id: string): string => id.slice(0, 12);
const dedup = (xs: string[]): string[] => [...new Set(xs.filter((x) => x !== ''))];

/** A simple async mutex: network mutations run one at a time. */
class Lock {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }
}

function macFor(ip: IpAddress | undefined): string {
  // docker 20.10's scheme: 02:42 and the IPv4 address; random otherwise.
  const bytes = ip && ip.family === 4 ? [0x02, 0x42, ...Buffer.from(formatIp(ip).split('.').map(Number))] : [0x02, 0x42, ...randomBytes(4)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * The MAC the client asked for. The runtime hands back last run's settings
 * as the endpoint configuration; a MAC berth derived from last run's address
 * must not follow the container to a new address (two containers would
 * share it).
 */
function userMac(cfg: EndpointSettings): string | undefined {
  if (!cfg.MacAddress) return undefined;
  const previous = cfg.EndpointID && cfg.IPAddress ? parseIp(cfg.IPAddress) : undefined;
  if (previous && cfg.MacAddress.toLowerCase() === macFor(previous)) return undefined;
  return cfg.MacAddress;
}

function toFamily(ip: string): Family {
  return ip.includes(':') ? 6 : 4;
}

function stringMap(v: unknown, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidParameter(`invalid ${what}: expected an object`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = String(x);
  return out;
}

export class NetworkService implements DnsDirectory, NetworkAttacher {
  private readonly store: NetworkStore;
  private readonly sandboxStore: SandboxStore;
  private readonly nets = new Map<string, NetState>();
  private readonly sandboxes = new Map<string, SandboxRecord>();
  /** Container address → its sandbox and endpoint (DNS clients, PTR). */
  private readonly byIp = new Map<string, EndpointRef>();
  private readonly lock = new Lock();
  private readonly firewall: Firewall;
  private readonly dnsServer: EmbeddedDns;
  private readonly hostPorts: HostPorts;
  private readonly netnsDir: string;
  private readonly v6Host: boolean;
  private nl!: RtNetlink;
  private directory?: NetworkContainerDirectory;
  private readonly logger: Logger;
  private closed = false;
  private events?: EventPublisher;

  constructor(private readonly opts: NetworkServiceOptions) {
    this.logger = opts.logger.child({ module: 'network' });
    this.store = new NetworkStore(opts.dataRoot);
    this.sandboxStore = new SandboxStore(opts.execRoot);
    this.netnsDir = path.join(opts.execRoot, 'netns');
    this.firewall = opts.iptables ? new NftFirewall(tableNameFor(opts.bridge)) : new DisabledFirewall();
    this.dnsServer = new EmbeddedDns(this, this.logger, { timeoutMs: opts.dnsForwardTimeoutMs ?? 1500 });
    this.hostPorts = new HostPorts(this.logger);
    this.v6Host = hostHasIPv6();
    this.events = opts.events;
  }

  /** The daemon's event bus (network create/connect/disconnect/destroy), when it exists after this service. */
  setEventPublisher(events: EventPublisher): void {
    this.events = events;
  }

  /** The runtime's containers, for connect/disconnect and links (set once the runtime exists). */
  setContainerDirectory(dir: NetworkContainerDirectory): void {
    this.directory = dir;
  }

  // -------------------------------------------------------------------------
  // Startup and shutdown.

  async open(): Promise<void> {
    await this.store.init();
    this.sandboxStore.init();
    mkdirSync(this.netnsDir, { recursive: true, mode: 0o700 });
    this.nl = RtNetlink.open();
    const records = await this.store.loadAll(this.logger);
    for (const rec of records) this.nets.set(rec.id, { rec });
    await this.ensurePredefined();

    // Sandboxes of containers that died while we were away: release them.
    const live = liveNetnsInodes();
    for (const sb of this.sandboxStore.loadAll(this.logger)) {
      const ino = pinnedNetnsInode(sb.netnsPath);
      if (ino !== undefined && live.has(ino)) {
        this.sandboxes.set(sb.containerId, sb);
      } else {
        this.logger.info('releasing the network of a container that stopped while the daemon was down', { container: sb.containerId });
        this.teardownKernel(sb, { deleteVeths: true });
        this.sandboxStore.remove(sb.containerId);
      }
    }
    // Address books from the live sandboxes.
    for (const st of this.nets.values()) this.buildAddressBook(st);
    for (const sb of this.sandboxes.values()) {
      for (const ep of sb.endpoints) {
        const st = this.nets.get(ep.networkId);
        if (!st) continue;
        if (ep.ipv4) st.v4?.mark(parseIp(ep.ipv4)!);
        if (ep.ipv6) st.v6?.mark(parseIp(ep.ipv6)!);
        this.indexEndpoint(sb, ep);
      }
    }
    ensureSysctl('net/ipv4/ip_forward', '1');
    for (const st of this.nets.values()) {
      if (st.rec.driver !== 'bridge') continue;
      const owned = st.rec.ownsDevice;
      this.ensureBridgeDevice(st);
      if (st.rec.ownsDevice !== owned) await this.store.save(st.rec);
    }
    this.removeStrays();
    this.syncFirewall();
    for (const sb of this.sandboxes.values()) {
      for (const p of sb.ports) {
        const proxy = p.hostIp.includes(':') || !this.firewall.enabled ? { ip: p.containerIp, port: p.containerPort } : undefined;
        await this.hostPorts.hold({ proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort }, proxy).catch((err: unknown) => {
          this.logger.warn('cannot reserve a published port again', { port: p.hostPort, err: err instanceof Error ? err.message : String(err) });
        });
      }
    }
    for (const st of this.nets.values()) await this.startDns(st);
    this.syncFirewall();
  }

  /** Stop serving. With no container left, also remove the bridges berth made and its nftables table. */
  async shutdown(): Promise<void> {
    await this.lock.run(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.dnsServer.close();
      await this.hostPorts.releaseAll();
      if (this.sandboxes.size === 0) {
        for (const st of this.nets.values()) if (st.rec.driver === 'bridge' && st.rec.bridge && st.rec.ownsDevice) this.nl.deleteLink(st.rec.bridge);
        try {
          this.firewall.remove();
        } catch (err) {
          this.logger.warn('cannot remove the nftables table', { err: err instanceof Error ? err.message : String(err) });
        }
      }
      this.firewall.close();
      this.nl.close();
    });
  }

  private async ensurePredefined(): Promise<void> {
    const byName = (name: string): NetState | undefined => [...this.nets.values()].find((s) => s.rec.name === name);
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (byName(name)) continue;
      const rec = this.baseRecord(name, driver);
      rec.created = ZERO_TIME;
      this.nets.set(rec.id, { rec });
      await this.store.save(rec);
    }
    const existing = byName('bridge');
    if (this.opts.bridge === 'none') {
      if (existing) {
        this.nets.delete(existing.rec.id);
        await this.store.remove(existing.rec.id);
      }
      return;
    }
    // The default bridge follows the daemon's flags at every start.
    const rec = existing?.rec ?? this.baseRecord('bridge', 'bridge');
    let subnet: Prefix | undefined;
    let gateway: IpAddress | undefined;
    if (this.opts.bip) {
      const parsed = Prefix.parse(this.opts.bip);
      if (!parsed || parsed.prefix.family !== 4) throw invalidParameter(`invalid bip: ${this.opts.bip}`);
      subnet = parsed.prefix;
      gateway = parsed.ip.value === parsed.prefix.base ? parsed.prefix.address(1n) : parsed.ip;
    } else if (existing && existing.rec.ipamConfig[0]?.Subnet && existing.rec.bridge === this.opts.bridge) {
      subnet = Prefix.parse(existing.rec.ipamConfig[0].Subnet)?.prefix;
      gateway = parseIp(existing.rec.ipamConfig[0].Gateway ?? '');
    }
    if (!subnet) {
      const used = this.usedPrefixes(rec.id);
      subnet = firstFreeSubnet(this.opts.defaultAddressPools, used);
      if (!subnet) throw systemError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
      gateway = subnet.address(1n);
    }
    rec.bridge = this.opts.bridge;
    rec.isDefaultBridge = true;
    rec.mtu = DEFAULT_MTU;
    rec.icc = true;
    rec.masquerade = true;
    rec.hostBindingIpv4 = '0.0.0.0';
    rec.ipamConfig = [{ Subnet: subnet.toString(), Gateway: formatIp(gateway ?? subnet.address(1n)) }];
    rec.userSubnet4 = false;
    rec.options = {
      [BRIDGE_OPT.defaultBridge]: 'true',
      [BRIDGE_OPT.icc]: 'true',
      [BRIDGE_OPT.masquerade]: String(this.opts.iptables),
      [BRIDGE_OPT.hostBinding]: '0.0.0.0',
      [BRIDGE_OPT.name]: this.opts.bridge,
      [BRIDGE_OPT.mtu]: String(DEFAULT_MTU),
    };
    this.nets.set(rec.id, { rec });
    await this.store.save(rec);
  }

  private baseRecord(name: string, driver: string): NetworkRecord {
    return {
      id: randomId(),
      name,
      driver,
      created: nowRfc3339Nano(),
      internal: false,
      attachable: false,
      ingress: false,
      enableIPv4: driver === 'bridge',
      enableIPv6: false,
      ipamDriver: 'default',
      ipamOptions: null,
      ipamConfig: [],
      userSubnet4: false,
      userSubnet6: false,
      options: {},
      labels: {},
    };
  }

  /** Subnets a new network must not overlap: other networks', host routes not on our bridges, host nameservers. */
  private usedPrefixes(exceptId?: string): Prefix[] {
    const ours = new Set([...this.nets.values()].map((s) => s.rec.bridge).filter((b): b is string => !!b));
    const used: Prefix[] = [];
    for (const st of this.nets.values()) {
      if (st.rec.id === exceptId) continue;
      for (const c of st.rec.ipamConfig) {
        const p = c.Subnet ? Prefix.parse(c.Subnet) : undefined;
        if (p) used.push(p.prefix);
      }
    }
    for (const r of hostRoutes()) if (!ours.has(r.device)) used.push(r.prefix);
    used.push(...nameserverPrefixes(this.hostResolvConf()));
    return used;
  }

  private hostResolvConf(): string {
    if (this.opts.readHostResolvConf) return this.opts.readHostResolvConf();
    try {
      return readFileSync('/etc/resolv.conf', 'utf8');
    } catch {
      return '';
    }
  }

  private buildAddressBook(st: NetState): void {
    if (st.rec.driver !== 'bridge') return;
    st.v4 = st.v6 = st.gw4 = st.gw6 = undefined;
    for (const c of st.rec.ipamConfig) {
      const subnet = c.Subnet ? Prefix.parse(c.Subnet)?.prefix : undefined;
      if (!subnet) continue;
      const range = c.IPRange ? Prefix.parse(c.IPRange)?.prefix : undefined;
      const gw = c.Gateway ? parseIp(c.Gateway) : subnet.address(1n);
      const reserved = [gw, ...Object.values(c.AuxiliaryAddresses ?? {}).map((a) => parseIp(a))].filter((x): x is IpAddress => !!x);
      const book = new SubnetAddresses(subnet, range ?? subnet, reserved);
      if (subnet.family === 4 && !st.v4) {
        st.v4 = book;
        st.gw4 = gw;
      } else if (subnet.family === 6 && !st.v6) {
        st.v6 = book;
        st.gw6 = gw;
      }
    }
  }

  /** Create the bridge device (or adopt it), with its gateway addresses, up. */
  private ensureBridgeDevice(st: NetState): void {
    const name = st.rec.bridge!;
    let link = this.nl.link(name);
    if (!link) {
      link = this.nl.createBridge(name, { mtu: st.rec.mtu ?? DEFAULT_MTU });
      st.rec.ownsDevice = true;
    } else if (st.rec.ownsDevice === undefined) {
      st.rec.ownsDevice = false;
    }
    if (st.rec.enableIPv6) ensureSysctl(`net/ipv6/conf/${name}/disable_ipv6`, '0');
    const have = this.nl.addresses().filter((a) => a.index === link.index);
    for (const [gw, book] of [[st.gw4, st.v4], [st.gw6, st.v6]] as const) {
      if (!gw || !book) continue;
      if (!have.some((a) => a.address.value === gw.value && a.address.family === gw.family)) {
        this.nl.addAddress(link.index, gw, book.subnet.length, { noDad: gw.family === 6 });
      }
    }
    if (!link.up) this.nl.setUp(link.index);
    if (this.firewall.enabled) {
      // Loopback-sourced packets DNAT'ed to a container must be routable out of the bridge.
      ensureSysctl(`net/ipv4/conf/${name}/route_localnet`, '1');
    }
    if (st.rec.enableIPv6) ensureSysctl('net/ipv6/conf/all/forwarding', '1');
    st.bridgeIndex = link.index;
  }

  /** Host veths on our bridges that no live endpoint owns, and netns pins nobody references. */
  private removeStrays(): void {
    const bridges = new Map<number, string>();
    for (const st of this.nets.values()) if (st.bridgeIndex) bridges.set(st.bridgeIndex, st.rec.bridge!);
    const owned = new Set<string>();
    const pinned = new Set<string>();
    for (const sb of this.sandboxes.values()) {
      pinned.add(path.basename(sb.netnsPath));
      for (const ep of sb.endpoints) owned.add(ep.hostVeth);
    }
    for (const l of this.nl.links()) {
      if (l.master && bridges.has(l.master) && l.kind === 'veth' && !owned.has(l.name)) {
        this.logger.info('removing a leftover veth', { veth: l.name, bridge: bridges.get(l.master) });
        this.nl.deleteLink(l.name);
      }
    }
    let files: string[] = [];
    try {
      files = readdirSync(this.netnsDir);
    } catch {
      return;
    }
    for (const f of files) if (!pinned.has(f)) removeNetns(path.join(this.netnsDir, f));
  }

  private firewallNetworks(): FirewallNetwork[] {
    const out: FirewallNetwork[] = [];
    for (const st of this.nets.values()) {
      if (st.rec.driver !== 'bridge' || !st.rec.bridge) continue;
      out.push({
        bridge: st.rec.bridge,
        subnets: [st.v4, st.v6].filter((b): b is SubnetAddresses => !!b).map((b) => ({ family: b.family, cidr: b.subnet.toString() })),
        internal: st.rec.internal,
        masquerade: st.rec.masquerade !== false,
        icc: st.rec.icc !== false,
        ...(st.dnsPort && st.gw4 ? { dns: { address: formatIp(st.gw4), port: st.dnsPort } } : {}),
      });
    }
    return out;
  }

  private forwardsOf(sb: SandboxRecord): PortForward[] {
    return sb.ports
      .filter((p) => !p.hostIp.includes(':') && !p.containerIp.includes(':'))
      .map((p) => ({
        family: 4 as const,
        proto: p.proto,
        hostIp: p.hostIp === '0.0.0.0' ? '' : p.hostIp,
        hostPort: p.hostPort,
        containerIp: p.containerIp,
        containerPort: p.containerPort,
      }));
  }

  private syncFirewall(): void {
    if (!this.firewall.enabled) return;
    this.firewall.sync(this.firewallNetworks(), [...this.sandboxes.values()].flatMap((sb) => this.forwardsOf(sb)));
  }

  private async startDns(st: NetState): Promise<void> {
    if (!this.hasDns(st) || !st.gw4) return;
    const address = formatIp(st.gw4);
    try {
      await this.dnsServer.listen(address, 53);
      st.dnsPort = 53;
      return;
    } catch (err) {
      if (!this.firewall.enabled) {
        this.logger.warn('cannot start the embedded DNS server; containers of this network resolve no names', {
          network: st.rec.name,
          address,
          err: err instanceof Error ? err.message : String(err),
        });
        return;
      }
      this.logger.info('port 53 of the gateway is taken; the embedded DNS server listens on another port behind a redirect', {
        network: st.rec.name,
        err: err instanceof Error ? err.message : String(err),
      });
    }
    // Another resolver holds port 53 on all addresses: listen elsewhere and
    // let the network's nftables rules redirect the containers' questions.
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = 20000 + Math.floor(Math.random() * 30000);
      try {
        await this.dnsServer.listen(address, port);
        st.dnsPort = port;
        this.syncFirewallQuietly();
        return;
      } catch {
        // taken: another one
      }
    }
    this.logger.warn('cannot start the embedded DNS server; containers of this network resolve no names', { network: st.rec.name, address });
  }

  private hasDns(st: NetState): boolean {
    return st.rec.driver === 'bridge' && !st.rec.isDefaultBridge;
  }

  // -------------------------------------------------------------------------
  // Lookups.

  /** dockerd's FindNetwork: full ID, then name, then unique ID prefix. */
  find(ref: string): NetState {
    const st = this.tryFind(ref);
    if (!st) throw notFound(`network ${ref} not found`);
    return st;
  }

  private tryFind(ref: string): NetState | undefined {
    if (!ref) return undefined;
    const byId = this.nets.get(ref);
    if (byId) return byId;
    const byName = [...this.nets.values()].filter((s) => s.rec.name === ref);
    if (byName.length === 1) return byName[0];
    const byPrefix = [...this.nets.values()].filter((s) => s.rec.id.startsWith(ref));
    if (byPrefix.length > 1) throw invalidParameter(`network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
    return byPrefix[0];
  }

  private endpointsOn(networkId: string): EndpointRef[] {
    const out: EndpointRef[] = [];
    for (const sb of this.sandboxes.values()) for (const ep of sb.endpoints) if (ep.networkId === networkId) out.push({ sandbox: sb, endpoint: ep });
    return out;
  }

  // -------------------------------------------------------------------------
  // API: list, inspect, create, remove, prune.

  resource(st: NetState, withContainers: boolean): NetworkResource {
    const r = st.rec;
    const containers: NetworkResource['Containers'] = {};
    if (withContainers) {
      for (const { sandbox, endpoint } of this.endpointsOn(r.id)) {
        containers[sandbox.containerId] = {
          Name: sandbox.containerName,
          EndpointID: endpoint.id,
          MacAddress: endpoint.mac,
          IPv4Address: endpoint.ipv4 ? `${endpoint.ipv4}/${endpoint.ipv4PrefixLen}` : '',
          IPv6Address: endpoint.ipv6 ? `${endpoint.ipv6}/${endpoint.ipv6PrefixLen}` : '',
        };
      }
    }
    return {
      Name: r.name,
      Id: r.id,
      Created: r.created,
      Scope: 'local',
      Driver: r.driver,
      EnableIPv4: r.enableIPv4,
      EnableIPv6: r.enableIPv6,
      IPAM: { Driver: r.ipamDriver, Options: r.ipamOptions, Config: r.ipamConfig.map((c) => ({ ...c })) },
      Internal: r.internal,
      Attachable: r.attachable,
      Ingress: r.ingress,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: containers,
      Options: { ...r.options },
      Labels: { ...r.labels },
    };
  }

  list(filters: Filters): NetworkResource[] {
    filters.validate(['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type']);
    const dangling = filters.get('dangling');
    if (dangling.length > 1) throw invalidParameter('got more than one value for filter key "dangling"');
    let danglingOnly: boolean | undefined;
    if (dangling.length === 1) {
      const v = dangling[0]!;
      if (v === '1' || v === 'true') danglingOnly = true;
      else if (v === '0' || v === 'false') danglingOnly = false;
      else throw invalidParameter('invalid value for filter \'dangling\', must be "true" (or "1"), or "false" (or "0")');
    }
    const types = filters.get('type');
    for (const t of types) if (t !== 'custom' && t !== 'builtin') throw invalidParameter(`invalid filter: 'type'='${t}'`);
    const out: NetworkResource[] = [];
    for (const st of this.nets.values()) {
      const r = st.rec;
      if (filters.has('driver') && !filters.matchExact('driver', r.driver)) continue;
      if (filters.has('name') && !fuzzy(filters.get('name'), r.name)) continue;
      if (filters.has('id') && !fuzzy(filters.get('id'), r.id)) continue;
      if (!filters.matchLabels(r.labels)) continue;
      if (filters.has('scope') && !filters.matchExact('scope', 'local')) continue;
      const predefined = PREDEFINED.includes(r.name);
      const inUse = this.endpointsOn(r.id).length > 0;
      if (danglingOnly === true && (predefined || inUse)) continue;
      if (danglingOnly === false && !(predefined || inUse)) continue;
      if (types.length && !types.some((t) => (t === 'builtin') === predefined)) continue;
      out.push(this.resource(st, false));
    }
    return out.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  }

  inspect(ref: string, opts: { scope?: string } = {}): NetworkResource {
    const st = this.find(ref);
    if (opts.scope && opts.scope !== 'local') throw notFound(`network ${ref} not found`);
    return this.resource(st, true);
  }

  create(body: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> {
    return this.lock.run(() => this.createLocked(body));
  }

  private async createLocked(body: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> {
    if (typeof body.Name !== 'string' || body.Name === '') throw invalidParameter(`invalid name: ${typeof body.Name === 'string' ? body.Name : ''}`);
    const name = body.Name;
    if (PREDEFINED.includes(name)) throw forbidden(`operation is not permitted on predefined ${name} network `);
    if ([...this.nets.values()].some((s) => s.rec.name === name)) throw conflict(`network with name ${name} already exists`);
    const driver = body.Driver === undefined || body.Driver === '' ? 'bridge' : String(body.Driver);
    if (driver === 'host' || driver === 'null') throw forbidden(`only one instance of "${driver}" network is allowed`);
    if (driver !== 'bridge') throw notFound(`plugin "${driver}" not found`);
    if (body.Scope !== undefined && body.Scope !== '' && body.Scope !== 'local') throw invalidParameter(`scope ${String(body.Scope)} is not supported by the bridge driver`);
    if (body.Ingress === true) throw forbidden('ingress networks need swarm mode');
    if (body.ConfigOnly === true || (body.ConfigFrom && typeof body.ConfigFrom === 'object' && (body.ConfigFrom as { Network?: string }).Network)) {
      throw notImplemented('config-only networks are not supported');
    }
    const options = stringMap(body.Options, 'Options');
    const labels = stringMap(body.Labels, 'Labels');
    const ipamIn = (body.IPAM ?? {}) as { Driver?: unknown; Options?: unknown; Config?: unknown };
    const ipamDriver = ipamIn.Driver === undefined || ipamIn.Driver === '' ? 'default' : String(ipamIn.Driver);
    if (ipamDriver !== 'default') throw notFound(`plugin "${ipamDriver}" not found`);
    const ipamOptions = ipamIn.Options === undefined || ipamIn.Options === null ? null : stringMap(ipamIn.Options, 'IPAM.Options');
    const configs = (Array.isArray(ipamIn.Config) ? ipamIn.Config : []) as IpamConfig[];
    let enableIPv6 = body.EnableIPv6 === true;
    if (configs.some((c) => typeof c.Subnet === 'string' && c.Subnet.includes(':'))) enableIPv6 = true;
    validateIpam(configs, enableIPv6);

    let mtu = DEFAULT_MTU;
    if (options[BRIDGE_OPT.mtu] !== undefined) {
      const v = options[BRIDGE_OPT.mtu]!;
      if (!/^[+-]?\d+$/.test(v)) throw invalidParameter(`failed to parse ${BRIDGE_OPT.mtu} value: ${v} (strconv.Atoi: parsing "${v}": invalid syntax)`);
      mtu = Number(v);
      if (mtu < 68) throw invalidParameter(`invalid MTU number: ${mtu}`);
    }
    const boolOpt = (key: string, dflt: boolean): boolean => {
      const v = options[key];
      if (v === undefined) return dflt;
      if (/^(1|t|true|TRUE|True)$/.test(v)) return true;
      if (/^(0|f|false|FALSE|False)$/.test(v)) return false;
      throw invalidParameter(`failed to parse ${key} value: ${v} (strconv.ParseBool: parsing "${v}": invalid syntax)`);
    };

    const rec = this.baseRecord(name, 'bridge');
    const bridge = options[BRIDGE_OPT.name] ?? `br-${shortId(rec.id)}`;
    if (bridge.length > 15 || !/^[A-Za-z0-9_.-]+$/.test(bridge)) throw invalidParameter(`invalid bridge name: ${bridge}`);
    const taken = [...this.nets.values()].find((s) => s.rec.bridge === bridge);
    if (taken) throw forbidden(`bridge name ${bridge} is already in use by network ${taken.rec.name}`);

    // Subnets: the user's, checked for overlaps; else the first free pool.
    const used = this.usedPrefixes();
    const otherNets = [...this.nets.values()].flatMap((s) => s.rec.ipamConfig.map((c) => (c.Subnet ? Prefix.parse(c.Subnet)?.prefix : undefined)).filter((p): p is Prefix => !!p));
    const ipamConfig: IpamConfig[] = [];
    let have4 = false;
    let have6 = false;
    for (const c of configs) {
      const subnet = Prefix.parse(c.Subnet!)!.prefix;
      if (subnet.family === 6 && !enableIPv6) continue;
      if ((subnet.family === 4 && have4) || (subnet.family === 6 && have6)) throw notImplemented('more than one subnet per address family is not supported');
      if (otherNets.some((p) => p.overlaps(subnet))) throw forbidden('invalid pool request: Pool overlaps with other one on this address space');
      const out: IpamConfig = { Subnet: subnet.toString() };
      if (c.IPRange) out.IPRange = c.IPRange;
      out.Gateway = c.Gateway || formatIp(subnet.address(1n));
      if (c.AuxiliaryAddresses && Object.keys(c.AuxiliaryAddresses).length) out.AuxiliaryAddresses = { ...c.AuxiliaryAddresses };
      ipamConfig.push(out);
      if (subnet.family === 4) have4 = true;
      else have6 = true;
    }
    if (!have4) {
      const subnet = firstFreeSubnet(this.opts.defaultAddressPools.filter((p) => !p.base.includes(':')), used);
      if (!subnet) throw notFound('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
      ipamConfig.unshift({ Subnet: subnet.toString(), Gateway: formatIp(subnet.address(1n)) });
    }
    if (enableIPv6 && !have6) {
      const v6Pools = this.opts.defaultAddressPools.filter((p) => p.base.includes(':'));
      const subnet = v6Pools.length ? firstFreeSubnet(v6Pools, used) : randomUla(used);
      if (!subnet) throw notFound('could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network');
      ipamConfig.push({ Subnet: subnet.toString(), Gateway: formatIp(subnet.address(1n)) });
    }

    rec.internal = body.Internal === true;
    rec.attachable = body.Attachable === true;
    rec.enableIPv6 = enableIPv6;
    rec.ipamOptions = ipamOptions;
    rec.ipamConfig = ipamConfig;
    rec.userSubnet4 = have4;
    rec.userSubnet6 = have6;
    rec.options = options;
    rec.labels = labels;
    rec.bridge = bridge;
    rec.mtu = mtu;
    rec.icc = boolOpt(BRIDGE_OPT.icc, true);
    rec.masquerade = boolOpt(BRIDGE_OPT.masquerade, true);
    rec.hostBindingIpv4 = options[BRIDGE_OPT.hostBinding] ?? '0.0.0.0';

    const st: NetState = { rec };
    this.buildAddressBook(st);
    await this.store.save(rec);
    this.nets.set(rec.id, st);
    try {
      this.ensureBridgeDevice(st);
      this.syncFirewall();
      await this.store.save(rec);
    } catch (err) {
      this.nets.delete(rec.id);
      if (rec.ownsDevice) this.nl.deleteLink(bridge);
      await this.store.remove(rec.id);
      this.syncFirewallQuietly();
      throw systemError(`failed to create network ${name}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    await this.startDns(st);
    this.syncFirewallQuietly();
    this.event('create', rec);
    return { Id: rec.id, Warning: '' };
  }

  remove(ref: string): Promise<void> {
    return this.lock.run(async () => {
      const st = this.find(ref);
      await this.removeLocked(st);
    });
  }

  private async removeLocked(st: NetState): Promise<void> {
    const r = st.rec;
    if (PREDEFINED.includes(r.name)) throw forbidden(`${r.name} is a pre-defined network and cannot be removed`);
    const eps = this.endpointsOn(r.id);
    if (eps.length) {
      const list = eps.map(({ sandbox, endpoint }) => `name:${JSON.stringify(sandbox.containerName)} id:${JSON.stringify(shortId(endpoint.id))}`).join(', ');
      throw conflict(`error while removing network: network ${r.name} has active endpoints (${list})`);
    }
    if (st.gw4) await this.dnsServer.unlisten(formatIp(st.gw4));
    this.nets.delete(r.id);
    if (r.bridge && r.ownsDevice !== false) this.nl.deleteLink(r.bridge);
    this.syncFirewallQuietly();
    await this.store.remove(r.id);
    this.event('destroy', r);
  }

  prune(filters: Filters): Promise<{ NetworksDeleted: string[] | null }> {
    filters.validate(['label', 'label!', 'until']);
    let until: number | undefined;
    for (const v of filters.get('until')) until = parseFilterTime(v);
    return this.lock.run(async () => {
      const deleted: string[] = [];
      for (const st of [...this.nets.values()]) {
        const r = st.rec;
        if (PREDEFINED.includes(r.name) || this.endpointsOn(r.id).length) continue;
        if (until !== undefined && !(secondsOf(r.created) < until)) continue;
        if (!filters.matchLabels(r.labels)) continue;
        if (filters.has('label!') && !filters.get('label!').every((cond) => !labelMatches(r.labels, cond))) continue;
        try {
          await this.removeLocked(st);
          deleted.push(r.name);
        } catch (err) {
          this.logger.warn('prune: cannot remove network', { network: r.name, err: err instanceof Error ? err.message : String(err) });
        }
      }
      return { NetworksDeleted: deleted.length ? deleted : null };
    });
  }

  private syncFirewallQuietly(): void {
    try {
      this.syncFirewall();
    } catch (err) {
      this.logger.warn('cannot update the nftables table', { err: err instanceof Error ? err.message : String(err) });
    }
  }

  private event(action: string, rec: NetworkRecord, container?: string): void {
    if (!this.events) return;
    const attrs: Record<string, string> = { name: rec.name, type: rec.driver };
    if (container) attrs.container = container;
    this.events.publish({ Type: 'network', Action: action, Actor: { ID: rec.id, Attributes: attrs } });
  }

  // -------------------------------------------------------------------------
  // The runtime's attacher: supports, validate, prepare, release.

  /** True for the default bridge ("default", "bridge") and user-defined networks (name, ID, prefix). */
  supports(networkMode: string): boolean {
    const mode = networkMode === '' || networkMode === 'default' ? 'bridge' : networkMode;
    if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) return false;
    try {
      return this.tryFind(mode)?.rec.driver === 'bridge';
    } catch {
      return true; // ambiguous: let validate() say so
    }
  }

  /** The networks a request joins, with their endpoint settings; `skipMissing` leaves out names that do not exist instead of throwing. */
  private networksOf(req: NetworkRequest, opts: { skipMissing?: boolean } = {}): Array<{ st: NetState; cfg: EndpointSettings }> {
    const lookup = (ref: string): NetState | undefined => (opts.skipMissing ? this.tryFind(ref) : this.find(ref));
    const primary = lookup(req.networkMode === '' || req.networkMode === 'default' ? 'bridge' : req.networkMode);
    const out = primary ? [{ st: primary, cfg: {} as EndpointSettings }] : [];
    for (const [key, cfg] of Object.entries(req.endpoints ?? {})) {
      const st = lookup(key === 'default' ? 'bridge' : key);
      if (!st) continue;
      const existing = out.find((o) => o.st === st);
      if (existing) existing.cfg = cfg ?? {};
      else {
        if (st.rec.driver !== 'bridge') throw invalidParameter('container cannot be connected to multiple networks with one of the networks in private (none) mode');
        out.push({ st, cfg: cfg ?? {} });
      }
    }
    return out;
  }

  /**
   * Docker's create-time checks of the endpoint settings. A network that does
   * not exist (yet) is not refused here: moby's validateNetworkingConfig skips
   * it and the start says "network x not found" (a 404 at create would make
   * `docker run` try to pull the image).
   */
  async validate(req: NetworkRequest): Promise<void> {
    for (const { st, cfg } of this.networksOf(req, { skipMissing: true })) this.checkEndpointConfig(st, cfg);
  }

  private checkEndpointConfig(st: NetState, cfg: EndpointSettings): void {
    const ip4 = cfg.IPAMConfig?.IPv4Address;
    const ip6 = cfg.IPAMConfig?.IPv6Address;
    if (ip4 || ip6) {
      if (st.rec.isDefaultBridge) throw invalidParameter('user specified IP address is supported on user defined networks only');
      if ((ip4 && !st.rec.userSubnet4) || (ip6 && !st.rec.userSubnet6)) {
        throw invalidParameter('user specified IP address is supported only when connecting to networks with user configured subnets');
      }
      if (ip4 && parseIp(ip4)?.family !== 4) throw invalidParameter(`invalid IPv4 address: ${ip4}`);
      if (ip6 && parseIp(ip6)?.family !== 6) throw invalidParameter(`invalid IPv6 address: ${ip6}`);
    }
    if (cfg.Aliases?.length && st.rec.isDefaultBridge) throw invalidParameter('network-scoped alias is supported only for containers in user defined networks');
    if (cfg.MacAddress && !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(cfg.MacAddress)) throw invalidParameter(`invalid MAC address: ${cfg.MacAddress}`);
  }

  prepare(req: NetworkRequest): Promise<PreparedNetwork> {
    return this.lock.run(() => this.prepareLocked(req));
  }

  private async prepareLocked(req: NetworkRequest): Promise<PreparedNetwork> {
    const existing = this.sandboxes.get(req.containerId);
    if (existing) {
      // A start after a failed or unreported stop: begin afresh.
      await this.releaseLocked(req.containerId);
    }
    const nets = this.networksOf(req);
    for (const { st, cfg } of nets) this.checkEndpointConfig(st, cfg);
    const sb: SandboxRecord = {
      containerId: req.containerId,
      containerName: req.containerName,
      hostname: req.hostname,
      sandboxId: randomId(),
      netnsPath: path.join(this.netnsDir, req.containerId),
      endpoints: [],
      ports: [],
      exposedOnly: [],
      dns: [...(req.dns ?? [])],
    };
    let linkEnvVars: string[] = [];
    const linkHosts: HostsEntry[] = [];
    try {
      nets.forEach(({ st, cfg }, i) => sb.endpoints.push(this.allocateEndpoint(st, cfg, req, `eth${i}`)));
      if (req.links?.length) {
        const l = this.resolveLinks(req);
        linkEnvVars = l.env;
        linkHosts.push(...l.hosts);
      }
      this.sandboxStore.save(sb);
      this.plumbSandbox(sb, nets.map((n) => n.st));
      this.sandboxes.set(sb.containerId, sb);
      for (const ep of sb.endpoints) this.indexEndpoint(sb, ep);
      await this.publishPorts(sb, nets[0]!.st, req);
      this.sandboxStore.save(sb);
    } catch (err) {
      this.sandboxes.delete(sb.containerId);
      this.teardownKernel(sb, { deleteVeths: true });
      await this.releasePorts(sb);
      this.releaseAddresses(sb);
      this.sandboxStore.remove(sb.containerId);
      throw err;
    }
    for (const ep of sb.endpoints) this.event('connect', this.nets.get(ep.networkId)!.rec, sb.containerId);
    const primary = nets[0]!.st;
    const prepared: PreparedNetwork = {
      namespace: { kind: 'path', path: sb.netnsPath },
      settings: this.settingsOf(sb),
      hostsEntries: [...linkHosts, ...this.ownHostsEntries(sb, req)],
      hostGateway: this.defaultGateway(),
      env: linkEnvVars,
    };
    if (this.hasDns(primary) && primary.gw4) {
      prepared.resolv = { nameservers: [formatIp(primary.gw4)], options: ['ndots:0'] };
    }
    return prepared;
  }

  private defaultGateway(): string | undefined {
    const def = [...this.nets.values()].find((s) => s.rec.isDefaultBridge);
    return def?.gw4 ? formatIp(def.gw4) : undefined;
  }

  private ownHostsEntries(sb: SandboxRecord, req: Pick<NetworkRequest, 'hostname' | 'domainname'>): HostsEntry[] {
    const names = req.domainname ? [`${req.hostname}.${req.domainname}`, req.hostname] : [req.hostname];
    const out: HostsEntry[] = [];
    for (const ep of sb.endpoints) {
      if (ep.ipv4) out.push({ ip: ep.ipv4, names });
      if (ep.ipv6) out.push({ ip: ep.ipv6, names });
    }
    return out;
  }

  private resolveLinks(req: NetworkRequest): { env: string[]; hosts: HostsEntry[] } {
    const env: string[] = [];
    const hosts: HostsEntry[] = [];
    const def = [...this.nets.values()].find((s) => s.rec.isDefaultBridge);
    for (const link of req.links ?? []) {
      const { name, alias } = parseLink(link);
      const target = this.directory?.find(name);
      if (!target) throw notFound(`could not get container for ${name}: No such container: ${name}`);
      const sb = this.sandboxes.get(target.id);
      const ep = sb?.endpoints.find((e) => e.networkId === def?.rec.id);
      if (!target.running || !sb) throw invalidParameter(`Cannot link to a non running container: /${target.name} AS /${req.containerName}/${alias}`);
      if (!ep?.ipv4) throw invalidParameter(`Cannot link to /${target.name}, as it does not belong to the default network`);
      const t = { name: target.name, hostname: target.request.hostname, ipv4: ep.ipv4, ipv6: ep.ipv6, exposedPorts: target.request.exposedPorts, env: target.env };
      env.push(...linkEnv(req.containerName, alias, t));
      hosts.push(...linkHostsEntries(alias, t));
    }
    return { env, hosts };
  }

  private allocateEndpoint(st: NetState, cfg: EndpointSettings, req: Pick<NetworkRequest, 'containerId' | 'containerName' | 'hostname'>, ifname: string): EndpointRecord {
    const id = randomId();
    let ipv4: IpAddress | undefined;
    let ipv6: IpAddress | undefined;
    try {
      if (st.v4) ipv4 = st.v4.allocate(cfg.IPAMConfig?.IPv4Address ? parseIp(cfg.IPAMConfig.IPv4Address) : undefined);
      if (st.v6 && st.rec.enableIPv6) ipv6 = st.v6.allocate(cfg.IPAMConfig?.IPv6Address ? parseIp(cfg.IPAMConfig.IPv6Address) : undefined);
    } catch (err) {
      if (ipv4) st.v4?.release(ipv4);
      if (err instanceof AddressInUseError) throw forbidden(err.message);
      if (err instanceof AddressOutOfRangeError) {
        const ip = cfg.IPAMConfig?.IPv4Address ?? cfg.IPAMConfig?.IPv6Address ?? '';
        throw invalidParameter(`Invalid address ${ip}: It does not belong to any of this network's subnets`);
      }
      if (err instanceof AddressExhaustedError) {
        throw systemError(`no available IPv${ipv4 || !st.v4 ? 6 : 4} addresses on this network's address pools: ${st.rec.name} (${st.rec.id})`);
      }
      throw err;
    }
    const aliases = [...(cfg.Aliases ?? [])];
    const dnsNames = st.rec.isDefaultBridge ? [] : dedup([req.containerName, ...aliases, shortId(req.containerId), req.hostname]);
    return {
      id,
      networkId: st.rec.id,
      ifname,
      hostVeth: `veth${id.slice(0, 7)}`,
      mac: userMac(cfg) || macFor(ipv4),
      ipv4: ipv4 ? formatIp(ipv4) : undefined,
      ipv4PrefixLen: ipv4 ? st.v4!.subnet.length : undefined,
      ipv6: ipv6 ? formatIp(ipv6) : undefined,
      ipv6PrefixLen: ipv6 ? st.v6!.subnet.length : undefined,
      ipamConfig: cfg.IPAMConfig ?? null,
      aliases,
      links: cfg.Links?.length ? [...cfg.Links] : null,
      driverOpts: cfg.DriverOpts ?? null,
      dnsNames,
    };
  }

  /** Namespace, veths, addresses, routes: a few rtnetlink messages. */
  private plumbSandbox(sb: SandboxRecord, nets: NetState[]): void {
    const anyV6 = sb.endpoints.some((e) => e.ipv6);
    const sysctls: Record<string, string> = anyV6
      ? {}
      : { 'net/ipv6/conf/all/disable_ipv6': '1', 'net/ipv6/conf/default/disable_ipv6': '1' };
    const inner = createNetns(sb.netnsPath, sysctls);
    try {
      const fd = openSync(sb.netnsPath, 'r');
      try {
        sb.endpoints.forEach((ep, i) => this.plumbEndpoint(inner, fd, ep, nets[i]!));
      } finally {
        closeSync(fd);
      }
      this.addDefaultRoutes(inner, sb);
    } finally {
      inner.close();
    }
  }

  private plumbEndpoint(inner: RtNetlink, nsFd: number, ep: EndpointRecord, st: NetState): void {
    this.nl.createVeth({ name: ep.hostVeth, mtu: st.rec.mtu ?? DEFAULT_MTU, master: st.bridgeIndex!, peer: { name: ep.ifname, netnsFd: nsFd, mac: ep.mac } });
    if (this.firewall.enabled) {
      const host = this.nl.link(ep.hostVeth);
      if (host) this.nl.setHairpin(host.index, true);
    }
    const link = inner.link(ep.ifname);
    if (!link) throw systemError(`interface ${ep.ifname} did not appear in the container's namespace`);
    inner.setUp(link.index);
    if (ep.ipv4) inner.addAddress(link.index, parseIp(ep.ipv4)!, ep.ipv4PrefixLen!);
    if (ep.ipv6) inner.addAddress(link.index, parseIp(ep.ipv6)!, ep.ipv6PrefixLen!, { noDad: true });
  }

  /** The default route goes through the first non-internal network, as docker picks its gateway endpoint. */
  private addDefaultRoutes(inner: RtNetlink, sb: SandboxRecord): void {
    for (const family of [4, 6] as const) {
      for (const ep of sb.endpoints) {
        const st = this.nets.get(ep.networkId);
        if (!st || st.rec.internal) continue;
        const gw = family === 4 ? st.gw4 : st.gw6;
        if (!gw || !(family === 4 ? ep.ipv4 : ep.ipv6)) continue;
        const link = inner.link(ep.ifname);
        try {
          inner.addRoute({ family, gateway: gw, oif: link?.index });
        } catch (err) {
          if (!(err instanceof Error && 'code' in err && (err as { code: string }).code === 'EEXIST')) throw err;
        }
        break;
      }
    }
  }

  private async publishPorts(sb: SandboxRecord, primary: NetState, req: NetworkRequest): Promise<void> {
    const keys = new Set<string>([...(req.exposedPorts ?? []), ...Object.keys(req.portBindings ?? {})]);
    const ep = sb.endpoints[0];
    const ordered = [...keys].sort();
    for (const key of ordered) {
      const parsed = parsePortKey(key);
      if (!parsed) continue;
      const normKey = `${parsed.port}/${parsed.proto}`;
      let bindings = (req.portBindings ?? {})[key] ?? null;
      if ((!bindings || bindings.length === 0) && req.publishAllPorts) bindings = [{ HostIp: '', HostPort: '' }];
      if (!bindings || bindings.length === 0 || primary.rec.internal || !ep?.ipv4) {
        if (!sb.exposedOnly.includes(normKey)) sb.exposedOnly.push(normKey);
        continue;
      }
      for (const b of bindings) {
        const hostIp = b.HostIp || primary.rec.hostBindingIpv4 || '0.0.0.0';
        const request = parseHostPortRequest(b.HostPort ?? '');
        if (!request) throw invalidParameter(`invalid port specification: "${b.HostPort}"`);
        const family = toFamily(hostIp);
        const target = family === 6 && ep.ipv6 ? ep.ipv6 : ep.ipv4;
        const alsoV6 = family === 4 && hostIp === '0.0.0.0' && !b.HostIp && this.v6Host && parsed.proto !== 'sctp';
        try {
          const port = await this.hostPorts.reserve(
            { proto: parsed.proto, hostIp, start: request.start, end: request.end },
            // IPv6, and everything with --iptables=false (no DNAT): a userland proxy, as docker-proxy.
            family === 6 || !this.firewall.enabled ? { ip: target, port: parsed.port } : undefined,
            alsoV6
              ? async (p) => {
                  try {
                    await this.hostPorts.hold({ proto: parsed.proto, hostIp: '::', hostPort: p }, { ip: ep.ipv6 ?? ep.ipv4!, port: parsed.port });
                    return true;
                  } catch {
                    return false;
                  }
                }
              : undefined,
          );
          sb.ports.push({ proto: parsed.proto, containerPort: parsed.port, hostIp, hostPort: port, containerIp: target });
          if (alsoV6) sb.ports.push({ proto: parsed.proto, containerPort: parsed.port, hostIp: '::', hostPort: port, containerIp: ep.ipv6 ?? ep.ipv4! });
        } catch (err) {
          const msg = err instanceof Error ? err.message : String(err);
          if (err instanceof PortAlreadyAllocatedError || isEngineError(err, 'system')) {
            throw systemError(`driver failed programming external connectivity on endpoint ${sb.containerName} (${ep.id}): ${msg}`, err);
          }
          throw err;
        }
      }
    }
    this.firewall.addForwards(this.forwardsOf(sb));
  }

  private async releasePorts(sb: SandboxRecord): Promise<void> {
    try {
      this.firewall.removeForwards(this.forwardsOf(sb));
    } catch (err) {
      this.logger.warn('cannot remove published ports from the nftables table', { err: err instanceof Error ? err.message : String(err) });
    }
    for (const p of sb.ports) await this.hostPorts.release({ proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort });
  }

  private releaseAddresses(sb: SandboxRecord): void {
    for (const ep of sb.endpoints) this.releaseEndpointAddresses(ep);
  }

  private releaseEndpointAddresses(ep: EndpointRecord): void {
    const st = this.nets.get(ep.networkId);
    if (ep.ipv4) {
      st?.v4?.release(parseIp(ep.ipv4)!);
      if (this.byIp.get(ep.ipv4)?.endpoint === ep) this.byIp.delete(ep.ipv4);
    }
    if (ep.ipv6) {
      st?.v6?.release(parseIp(ep.ipv6)!);
      if (this.byIp.get(ep.ipv6)?.endpoint === ep) this.byIp.delete(ep.ipv6);
    }
  }

  private indexEndpoint(sb: SandboxRecord, ep: EndpointRecord): void {
    if (ep.ipv4) this.byIp.set(ep.ipv4, { sandbox: sb, endpoint: ep });
    if (ep.ipv6) this.byIp.set(ep.ipv6, { sandbox: sb, endpoint: ep });
  }

  /**
   * Undo the kernel side: unpin the namespace (the kernel then destroys it
   * and the veth pairs in it, asynchronously and without making us wait for
   * the RCU grace periods an explicit delete costs). `deleteVeths` also
   * deletes the host sides at once, for cleanup paths where the namespace
   * may still be held.
   */
  private teardownKernel(sb: SandboxRecord, opts: { deleteVeths: boolean }): void {
    if (opts.deleteVeths && this.nl) for (const ep of sb.endpoints) this.nl.deleteLink(ep.hostVeth);
    removeNetns(sb.netnsPath);
  }

  release(containerId: string): Promise<void> {
    return this.lock.run(() => this.releaseLocked(containerId));
  }

  private async releaseLocked(containerId: string): Promise<void> {
    const sb = this.sandboxes.get(containerId);
    if (!sb) return;
    this.sandboxes.delete(containerId);
    await this.releasePorts(sb);
    this.releaseAddresses(sb);
    this.teardownKernel(sb, { deleteVeths: false });
    this.sandboxStore.remove(containerId);
    for (const ep of sb.endpoints) {
      const st = this.nets.get(ep.networkId);
      if (st) this.event('disconnect', st.rec, containerId);
    }
  }

  /** NetworkSettings of a running container, as inspect shows them. */
  settingsOf(sb: SandboxRecord): ContainerNetworkSettings {
    const networks: ContainerNetworkSettings['Networks'] = {};
    for (const ep of sb.endpoints) {
      const st = this.nets.get(ep.networkId);
      if (!st) continue;
      networks[st.rec.name] = this.endpointSettings(st, ep);
    }
    const ports: ContainerNetworkSettings['Ports'] = {};
    const keys = new Set<string>([...sb.exposedOnly, ...sb.ports.map((p) => `${p.containerPort}/${p.proto}`)]);
    for (const key of [...keys].sort()) {
      const bound = sb.ports.filter((p) => `${p.containerPort}/${p.proto}` === key);
      ports[key] = bound.length ? bound.map((p) => ({ HostIp: p.hostIp, HostPort: String(p.hostPort) })) : null;
    }
    return { Networks: networks, SandboxID: sb.sandboxId, SandboxKey: sb.netnsPath, Ports: ports, Bridge: '' };
  }

  private endpointSettings(st: NetState, ep: EndpointRecord): EndpointSettings {
    return {
      IPAMConfig: ep.ipamConfig,
      Links: ep.links,
      Aliases: ep.aliases.length ? [...ep.aliases] : null,
      MacAddress: ep.mac,
      DriverOpts: ep.driverOpts,
      NetworkID: st.rec.id,
      EndpointID: ep.id,
      Gateway: ep.ipv4 && st.gw4 ? formatIp(st.gw4) : '',
      IPAddress: ep.ipv4 ?? '',
      IPPrefixLen: ep.ipv4PrefixLen ?? 0,
      IPv6Gateway: ep.ipv6 && st.gw6 ? formatIp(st.gw6) : '',
      GlobalIPv6Address: ep.ipv6 ?? '',
      GlobalIPv6PrefixLen: ep.ipv6PrefixLen ?? 0,
      DNSNames: ep.dnsNames.length ? [...ep.dnsNames] : null,
    };
  }

  /** Containers that have a network namespace of berth's (running ones). */
  containerIds(): string[] {
    return [...this.sandboxes.keys()];
  }

  /** The current settings of a running container (undefined when it has no sandbox here). */
  settingsFor(containerId: string): ContainerNetworkSettings | undefined {
    const sb = this.sandboxes.get(containerId);
    return sb ? this.settingsOf(sb) : undefined;
  }

  // -------------------------------------------------------------------------
  // connect / disconnect.

  connect(networkRef: string, containerRef: string, cfg: EndpointSettings | null | undefined): Promise<void> {
    return this.lock.run(async () => {
      const st = this.find(networkRef);
      const ctr = this.container(containerRef);
      this.checkConnectable(st, ctr);
      const endpointCfg = cfg ?? {};
      this.checkEndpointConfig(st, endpointCfg);
      const configured = { ...ctr.request.endpoints };
      if (!ctr.running) {
        configured[st.rec.name] = endpointCfg;
        await this.directory!.networksChanged(ctr.id, { endpoints: configured });
        return;
      }
      const sb = this.sandboxes.get(ctr.id);
      if (!sb) throw invalidParameter(`container ${ctr.id} has no network namespace of berth's: cannot connect it`);
      if (sb.endpoints.some((e) => e.networkId === st.rec.id)) throw forbidden(`endpoint with name ${ctr.name} already exists in network ${st.rec.name}`);
      const ifname = nextIfname(sb);
      const ep = this.allocateEndpoint(st, endpointCfg, ctr.request, ifname);
      sb.endpoints.push(ep);
      try {
        this.sandboxStore.save(sb);
        const inner = RtNetlink.openIn(sb.netnsPath);
        try {
          if (ep.ipv6) inNetns(sb.netnsPath, () => setSysctlQuiet(`net/ipv6/conf/all/disable_ipv6`, '0'));
          const fd = openSync(sb.netnsPath, 'r');
          try {
            this.plumbEndpoint(inner, fd, ep, st);
          } finally {
            closeSync(fd);
          }
          this.addDefaultRoutes(inner, sb);
        } finally {
          inner.close();
        }
      } catch (err) {
        sb.endpoints = sb.endpoints.filter((e) => e !== ep);
        this.nl.deleteLink(ep.hostVeth);
        this.releaseEndpointAddresses(ep);
        this.sandboxStore.save(sb);
        throw err;
      }
      this.indexEndpoint(sb, ep);
      configured[st.rec.name] = endpointCfg;
      await this.directory!.networksChanged(ctr.id, {
        endpoints: configured,
        settings: this.settingsOf(sb),
        hostsEntries: this.ownHostsEntries(sb, ctr.request),
      });
      this.event('connect', st.rec, ctr.id);
    });
  }

  disconnect(networkRef: string, containerRef: string, force: boolean): Promise<void> {
    return this.lock.run(async () => {
      const st = this.find(networkRef);
      const ctr = this.directory?.find(containerRef);
      if (!ctr) {
        if (!this.directory) throw notImplemented('no container runtime is attached to the network service');
        if (force) {
          // docker looks for an endpoint of that name (a container removed behind its back).
          const found = this.endpointsOn(st.rec.id).find((e) => e.sandbox.containerName === containerRef);
          if (!found) throw notFound(`endpoint ${containerRef} not found`);
          await this.detach(found.sandbox, found.endpoint);
          return;
        }
        throw notFound(`No such container: ${containerRef}`);
      }
      if (st.rec.driver === 'host' || ctr.networkMode === 'host') throw invalidParameter('container cannot be disconnected from host network or connected to host network');
      const sb = this.sandboxes.get(ctr.id);
      const ep = sb?.endpoints.find((e) => e.networkId === st.rec.id);
      const configured = { ...ctr.request.endpoints };
      const key = Object.keys(configured).find((k) => k === st.rec.name || k === st.rec.id || (k === 'default' && st.rec.isDefaultBridge));
      if (!ctr.running || !sb) {
        if (!key && !(st.rec.isDefaultBridge && (ctr.networkMode === 'default' || ctr.networkMode === 'bridge'))) {
          // moby words the stopped case "to the network" (DisconnectFromNetwork), the running one "to network".
          throw systemError(`container ${ctr.id} is not connected to the network ${st.rec.name}`);
        }
        if (key) delete configured[key];
        await this.directory!.networksChanged(ctr.id, { endpoints: configured });
        return;
      }
      if (!ep) throw systemError(`container ${ctr.id} is not connected to network ${st.rec.name}`);
      await this.detach(sb, ep);
      if (key) delete configured[key];
      await this.directory!.networksChanged(ctr.id, { endpoints: configured, settings: this.settingsOf(sb), hostsEntries: this.ownHostsEntries(sb, ctr.request) });
    });
  }

  private async detach(sb: SandboxRecord, ep: EndpointRecord): Promise<void> {
    const st = this.nets.get(ep.networkId);
    if (sb.endpoints[0] === ep) {
      // The published ports lead to this endpoint's address: they go with it.
      await this.releasePorts(sb);
      sb.ports = [];
    }
    sb.endpoints = sb.endpoints.filter((e) => e !== ep);
    this.releaseEndpointAddresses(ep);
    this.nl.deleteLink(ep.hostVeth);
    this.sandboxStore.save(sb);
    if (st) this.event('disconnect', st.rec, sb.containerId);
  }

  private container(ref: string): NetworkContainerInfo {
    if (!this.directory) throw notImplemented('no container runtime is attached to the network service');
    const c = this.directory.find(ref);
    if (!c) throw notFound(`No such container: ${ref}`);
    return c;
  }

  private checkConnectable(st: NetState, ctr: NetworkContainerInfo): void {
    const mode = ctr.networkMode;
    if (st.rec.driver === 'host') throw invalidParameter('container cannot be disconnected from host network or connected to host network');
    if (st.rec.driver === 'null' || mode === 'none') {
      throw invalidParameter('container cannot be connected to multiple networks with one of the networks in private (none) mode');
    }
    if (mode === 'host' || mode.startsWith('container:')) {
      throw invalidParameter('container sharing network namespace with another container or host cannot be connected to any other network');
    }
  }

  // -------------------------------------------------------------------------
  // DnsDirectory: what the embedded DNS answers.

  lookup(clientIp: string, name: string, family: 4 | 6): string[] | undefined | null {
    const client = this.byIp.get(clientIp);
    if (!client) return null;
    const wanted = name.toLowerCase();
    let known = false;
    const addresses: string[] = [];
    for (const own of client.sandbox.endpoints) {
      const st = this.nets.get(own.networkId);
      if (!st || !this.hasDns(st)) continue;
      const suffix = `.${st.rec.name.toLowerCase()}`;
      const bare = wanted.endsWith(suffix) ? wanted.slice(0, -suffix.length) : undefined;
      for (const { endpoint } of this.endpointsOn(st.rec.id)) {
        const names = endpoint.dnsNames.map((n) => n.toLowerCase());
        if (!names.includes(wanted) && !(bare !== undefined && names.includes(bare))) continue;
        known = true;
        const ip = family === 4 ? endpoint.ipv4 : endpoint.ipv6;
        if (ip && !addresses.includes(ip)) addresses.push(ip);
      }
    }
    return known ? addresses : undefined;
  }

  reverse(clientIp: string, ip: string): string[] | undefined | null {
    const client = this.byIp.get(clientIp);
    if (!client) return null;
    const target = this.byIp.get(ip);
    if (!target) return undefined;
    const shared = client.sandbox.endpoints.some((e) => e.networkId === target.endpoint.networkId);
    const st = this.nets.get(target.endpoint.networkId);
    if (!shared || !st || !this.hasDns(st)) return undefined;
    return [`${target.sandbox.containerName}.${st.rec.name}`];
  }

  upstreams(clientIp: string): string[] {
    const client = this.byIp.get(clientIp);
    if (client?.sandbox.dns.length) return client.sandbox.dns;
    if (this.opts.dns.length) return this.opts.dns;
    const own = new Set(this.dnsServer.addresses);
    return nameserversOf(this.hostResolvConf()).filter((n) => !own.has(n));
  }
}

function nextIfname(sb: SandboxRecord): string {
  for (let i = 0; ; i++) if (!sb.endpoints.some((e) => e.ifname === `eth${i}`)) return `eth${i}`;
}

function setSysctlQuiet(key: string, value: string): void {
  try {
    ensureSysctl(key, value);
  } catch {
    // best effort
  }
}

function nameserversOf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) out.push(m[1]!.replace(/%.*$/, ''));
  }
  return out;
}

/** docker's filters.Match: the value equals the field or, as a regular expression, matches part of it. */
function fuzzy(values: string[], field: string): boolean {
  return values.some((v) => {
    if (v === field) return true;
    try {
      return new RegExp(v).test(field);
    } catch {
      return false;
    }
  });
}

function labelMatches(labels: Record<string, string>, cond: string): boolean {
  const eq = cond.indexOf('=');
  if (eq < 0) return cond in labels;
  return labels[cond.slice(0, eq)] === cond.slice(eq + 1);
}

/** A random unique-local /64 (fd00::/8 with a 40-bit global ID) that overlaps nothing in `used`. */
function randomUla(used: readonly Prefix[]): Prefix | undefined {
  for (let i = 0; i < 16; i++) {
    const g = randomBytes(5);
    let value = 0xfdn;
    for (const b of g) value = (value << 8n) | BigInt(b);
    const p = new Prefix(6, value << 64n, 64);
    if (!used.some((u) => u.overlaps(p))) return p;
  }
  return undefined;
}

/** moby's network.ValidateIPAM: all errors, joined, as one invalid-parameter error. */
export function validateIpam(configs: readonly IpamConfig[], enableIPv6: boolean): void {
  const errs: string[] = [];
  for (const cfg of configs) {
    const subnet = typeof cfg.Subnet === 'string' ? Prefix.parse(cfg.Subnet) : undefined;
    if (!subnet) {
      errs.push(`invalid subnet ${cfg.Subnet ?? ''}: invalid CIDR block notation`);
      continue;
    }
    const fam = subnet.prefix.family === 4 ? 'IPv4' : 'IPv6';
    if (subnet.prefix.family === 6 && !enableIPv6) continue;
    if (subnet.ip.value !== subnet.prefix.base) errs.push(`invalid subnet ${cfg.Subnet}: it should be ${subnet.prefix.toString()}`);
    if (cfg.IPRange) {
      const range = Prefix.parse(cfg.IPRange);
      if (!range) errs.push(`invalid ip-range ${cfg.IPRange}: invalid CIDR block notation`);
      else if (range.prefix.family !== subnet.prefix.family) errs.push(`invalid ip-range ${cfg.IPRange}: parent subnet is an ${fam} block`);
      else {
        if (range.prefix.length < subnet.prefix.length) errs.push(`invalid ip-range ${cfg.IPRange}: CIDR block is bigger than its parent subnet ${subnet.prefix.toString()}`);
        if (range.ip.value !== range.prefix.base) errs.push(`invalid ip-range ${cfg.IPRange}: it should be ${range.prefix.toString()}`);
        if (!subnet.prefix.overlaps(range.prefix)) errs.push(`invalid ip-range ${cfg.IPRange}: parent subnet ${subnet.prefix.toString()} doesn't contain ip-range`);
      }
    }
    const checkAddress = (addr: string): string | undefined => {
      const ip = parseIp(addr);
      if (!ip) return 'invalid address';
      if (ip.family !== subnet.prefix.family) return `parent subnet is an ${fam} block`;
      if (!subnet.prefix.contains(ip)) return `parent subnet ${subnet.prefix.toString()} doesn't contain this address`;
      return undefined;
    };
    if (cfg.Gateway) {
      const e = checkAddress(cfg.Gateway);
      if (e) errs.push(`invalid gateway ${cfg.Gateway}: ${e}`);
    }
    for (const [name, aux] of Object.entries(cfg.AuxiliaryAddresses ?? {})) {
      const e = checkAddress(aux);
      if (e) errs.push(`invalid auxiliary address ${name}: ${e}`);
    }
  }
  if (errs.length === 1) throw invalidParameter(`invalid network config:\n${errs[0]}`);
  if (errs.length > 1) throw invalidParameter(`invalid network config:\n* ${errs.join('\n* ')}`);
}
