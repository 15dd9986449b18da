// The daemon's packet filtering and NAT, as one nftables table per daemon
// instance (`inet berth`, or `inet berth-<bridge>` for a daemon with another
// default bridge, so test daemons never share rules). The table is the only
// thing berth touches in the kernel's firewall: removing it removes all of
// berth's rules, and a restart rebuilds it atomically (delete + define in one
// batch) from the daemon's state. Published ports live in maps, so running a
// container adds map elements instead of rules.
//
// What it does, as dockerd's iptables rules do (docker0 → each bridge):
// - outbound NAT (masquerade) for the subnets of non-internal networks;
// - isolation: no forwarding between two of berth's bridges; an internal
//   network forwards nothing in or out;
// - published ports: DNAT in prerouting (from other hosts and namespaces)
//   and in output (from the host itself, loopback included: the bridges get
//   route_localnet, and loopback-sourced packets are masqueraded);
// - hairpin: a container reaching a published port that leads back into its
//   own bridge is masqueraded, so the answer comes back through the host
//   (the bridge ports are in hairpin mode).
import type { Family } from './ip.js';
import { Nft } from './nftables.js';

export interface FirewallNetwork {
  bridge: string;
  subnets: Array<{ family: Family; cidr: string }>;
  internal: boolean;
  masquerade: boolean;
  /** Inter-container communication on the same bridge (enable_icc). */
  icc: boolean;
  /** The embedded DNS server of the network: its address, and the port it really listens on (53, or another one it is redirected to). */
  dns?: { address: string; port: number };
}

export interface PortForward {
  family: Family;
  proto: 'tcp' | 'udp' | 'sctp';
  /** '' (any local address) or a specific host address. */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

const q = (s: string): string => JSON.stringify(s);

function elementKey(f: PortForward): string {
  const target = `${f.containerIp} . ${f.containerPort}`;
  return f.hostIp ? `${f.hostIp} . ${f.proto} . ${f.hostPort} : ${target}` : `${f.proto} . ${f.hostPort} : ${target}`;
}

function mapName(f: Pick<PortForward, 'family' | 'hostIp'>): string {
  return `dnat${f.family}_${f.hostIp ? 'addr' : 'any'}`;
}

/** The whole table as an nft script (pure: unit-tested). */
export function renderTable(table: string, networks: readonly FirewallNetwork[], forwards: readonly PortForward[]): string {
  const lines: string[] = [];
  const bridges = networks.map((n) => q(n.bridge));
  lines.push(`table inet ${table} {`);
  lines.push(`  map dnat4_addr { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }`);
  lines.push(`  map dnat4_any { type inet_proto . inet_service : ipv4_addr . inet_service; }`);
  lines.push(`  map dnat6_addr { type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service; }`);
  lines.push(`  map dnat6_any { type inet_proto . inet_service : ipv6_addr . inet_service; }`);
  lines.push(`  chain published {`);
  lines.push(`    dnat ip to ip daddr . meta l4proto . th dport map @dnat4_addr`);
  lines.push(`    dnat ip to meta l4proto . th dport map @dnat4_any`);
  lines.push(`    dnat ip6 to ip6 daddr . meta l4proto . th dport map @dnat6_addr`);
  lines.push(`    dnat ip6 to meta l4proto . th dport map @dnat6_any`);
  lines.push(`  }`);
  lines.push(`  chain prerouting {`);
  lines.push(`    type nat hook prerouting priority dstnat; policy accept;`);
  for (const n of networks) {
    if (!n.dns) continue;
    // Containers' DNS questions to their gateway are never a published port;
    // when port 53 was taken on the host, they go to the port the server got.
    const match = `iifname ${q(n.bridge)} ${n.dns.address.includes(':') ? 'ip6' : 'ip'} daddr ${n.dns.address} meta l4proto { tcp, udp } th dport 53`;
    lines.push(n.dns.port === 53 ? `    ${match} accept` : `    ${match} redirect to :${n.dns.port}`);
  }
  lines.push(`    fib daddr type local jump published`);
  lines.push(`  }`);
  lines.push(`  chain output {`);
  lines.push(`    type nat hook output priority -100; policy accept;`);
  lines.push(`    fib daddr type local jump published`);
  lines.push(`  }`);
  lines.push(`  chain postrouting {`);
  lines.push(`    type nat hook postrouting priority srcnat; policy accept;`);
  for (const n of networks) {
    // Loopback-sourced connections DNAT'ed into the bridge.
    lines.push(`    oifname ${q(n.bridge)} ip saddr 127.0.0.0/8 masquerade`);
    for (const s of n.subnets) {
      const fam = s.family === 4 ? 'ip' : 'ip6';
      // Hairpin: from the bridge, through a published port, back into it.
      // (No iifname here: postrouting has no input device for routed packets.)
      lines.push(`    oifname ${q(n.bridge)} ${fam} saddr ${s.cidr} ct status dnat masquerade`);
      if (!n.internal && n.masquerade) lines.push(`    ${fam} saddr ${s.cidr} oifname != ${q(n.bridge)} masquerade`);
    }
  }
  lines.push(`  }`);
  lines.push(`  chain forward {`);
  lines.push(`    type filter hook forward priority filter; policy accept;`);
  // Published ports are reachable from everywhere (other networks included).
  lines.push(`    ct status dnat accept`);
  for (const n of networks) {
    const b = q(n.bridge);
    if (!n.icc) lines.push(`    iifname ${b} oifname ${b} drop`);
    if (n.internal) {
      lines.push(`    iifname ${b} oifname != ${b} drop`);
      lines.push(`    oifname ${b} iifname != ${b} drop`);
    } else if (bridges.length > 1) {
      lines.push(`    iifname ${b} oifname { ${bridges.filter((x) => x !== b).join(', ')} } drop`);
    }
  }
  lines.push(`  }`);
  lines.push(`}`);
  const byMap = new Map<string, string[]>();
  for (const f of forwards) {
    const m = mapName(f);
    if (!byMap.has(m)) byMap.set(m, []);
    byMap.get(m)!.push(elementKey(f));
  }
  for (const [m, elements] of byMap) lines.push(`add element inet ${table} ${m} { ${elements.join(', ')} }`);
  return lines.join('\n') + '\n';
}

/** No-op stand-in for `--iptables=false`: berth then touches no firewall. */
export interface Firewall {
  readonly enabled: boolean;
  /** Rebuild the table from the daemon's state, atomically. */
  sync(networks: readonly FirewallNetwork[], forwards: readonly PortForward[]): void;
  addForwards(forwards: readonly PortForward[]): void;
  removeForwards(forwards: readonly PortForward[]): void;
  /** Remove the table (no network or container of this daemon left). */
  remove(): void;
  close(): void;
}

export class NftFirewall implements Firewall {
  readonly enabled = true;
  private readonly nft: Nft;
  private networks: readonly FirewallNetwork[] = [];
  private forwards = new Map<string, PortForward>();

  constructor(readonly table: string) {
    this.nft = Nft.open();
  }

  sync(networks: readonly FirewallNetwork[], forwards: readonly PortForward[]): void {
    this.networks = networks;
    this.forwards = new Map(forwards.map((f) => [`${mapName(f)}|${elementKey(f)}`, f]));
    // `table ... {}` first, so that `delete` never fails on a fresh host.
    const script = `table inet ${this.table} {}\ndelete table inet ${this.table}\n${renderTable(this.table, networks, [...this.forwards.values()])}`;
    this.nft.run(script);
  }

  addForwards(forwards: readonly PortForward[]): void {
    if (forwards.length === 0) return;
    const script = forwards.map((f) => `add element inet ${this.table} ${mapName(f)} { ${elementKey(f)} }`).join('\n');
    this.nft.run(script);
    for (const f of forwards) this.forwards.set(`${mapName(f)}|${elementKey(f)}`, f);
  }

  removeForwards(forwards: readonly PortForward[]): void {
    const present = forwards.filter((f) => this.forwards.has(`${mapName(f)}|${elementKey(f)}`));
    if (present.length === 0) return;
    const script = present
      .map((f) => `delete element inet ${this.table} ${mapName(f)} { ${elementKey(f).replace(/ : .*$/, '')} }`)
      .join('\n');
    try {
      this.nft.run(script);
    } catch {
      // Someone removed elements behind our back: rebuild from our state instead.
      for (const f of present) this.forwards.delete(`${mapName(f)}|${elementKey(f)}`);
      this.sync(this.networks, [...this.forwards.values()]);
      return;
    }
    for (const f of present) this.forwards.delete(`${mapName(f)}|${elementKey(f)}`);
  }

  remove(): void {
    this.nft.run(`table inet ${this.table} {}\ndelete table inet ${this.table}`);
    this.forwards.clear();
  }

  close(): void {
    this.nft.close();
  }
}

export class DisabledFirewall implements Firewall {
  readonly enabled = false;
  sync(): void {}
  addForwards(): void {}
  removeForwards(): void {}
  remove(): void {}
  close(): void {}
}

/** The table name of a daemon instance: `berth` for the default bridge name, else `berth-<bridge>`. */
export function tableNameFor(bridge: string, defaultBridge = 'berth0'): string {
  if (bridge === defaultBridge) return 'berth';
  return `berth-${bridge.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}
