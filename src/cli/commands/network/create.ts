// berth network create: POST /networks/create with the IPAM configuration
// built as docker's CLI builds it (subnets, ranges, gateways and auxiliary
// addresses matched to their subnet, with docker's errors); prints the ID.
import { defineCommand, exactArgs, StatusError } from '../../command.js';
import { apiClient, withDaemon } from '../../session.js';
import { kvStringsToMap, sortedRecord } from '../../shared-options.js';
import { cidrContains, parseCidr, parseIp } from './ip.js';

interface IpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** docker's subnetMatches: whether `data` (an address or CIDR) lies in `subnet`. */
function subnetMatches(subnet: string, data: string): boolean {
  const net = parseCidr(subnet);
  if (!net) throw new Error(`invalid subnet: invalid CIDR address: ${subnet}`);
  let ip: Uint8Array | undefined;
  if (data.includes('/')) {
    const d = parseCidr(data);
    if (!d) throw new Error(`invalid CIDR address: ${data}`);
    ip = d.ip;
  } else ip = parseIp(data);
  return ip !== undefined && cidrContains(net, ip);
}

/** docker's createIPAMConfig. */
export function createIpamConfig(opts: { subnets: string[]; ipRanges: string[]; gateways: string[]; auxAddresses: Map<string, string> }): IpamConfig[] {
  if (opts.subnets.length < opts.ipRanges.length || opts.subnets.length < opts.gateways.length) {
    throw new Error('every ip-range or gateway must have a corresponding subnet');
  }
  const data = new Map<string, IpamConfig & { AuxiliaryAddresses: Record<string, string> }>();
  for (const s of opts.subnets) {
    for (const k of data.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) throw new Error('multiple overlapping subnet configuration is not supported');
    }
    data.set(s, { Subnet: s, AuxiliaryAddresses: {} });
  }
  for (const r of opts.ipRanges) {
    let match = false;
    for (const s of opts.subnets) {
      if (!subnetMatches(s, r)) continue;
      const d = data.get(s)!;
      if (d.IPRange) throw new Error(`cannot configure multiple ranges (${r}, ${d.IPRange}) on the same subnet (${s})`);
      d.IPRange = r;
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for range ${r}`);
  }
  for (const g of opts.gateways) {
    let match = false;
    for (const s of opts.subnets) {
      if (!subnetMatches(s, g)) continue;
      const d = data.get(s)!;
      if (d.Gateway) throw new Error(`cannot configure multiple gateways (${g}, ${d.Gateway}) for the same subnet (${s})`);
      d.Gateway = g;
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for gateway ${g}`);
  }
  for (const [key, address] of opts.auxAddresses) {
    let match = false;
    for (const s of opts.subnets) {
      if (!subnetMatches(s, address)) continue;
      data.get(s)!.AuxiliaryAddresses[key] = address;
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for aux-address ${address}`);
  }
  return [...data.values()].map((d) => {
    const out: IpamConfig = { Subnet: d.Subnet };
    if (d.IPRange) out.IPRange = d.IPRange;
    if (d.Gateway) out.Gateway = d.Gateway;
    if (Object.keys(d.AuxiliaryAddresses).length > 0) out.AuxiliaryAddresses = sortedRecord(d.AuxiliaryAddresses);
    return out;
  });
}

export const networkCreateCommand = defineCommand({
  name: 'create',
  usage: '[OPTIONS] NETWORK',
  description: 'Create a network',
  flags: {
    attachable: { type: 'bool', usage: 'Enable manual container attachment' },
    'aux-address': { type: 'map', usage: 'Auxiliary IPv4 or IPv6 addresses used by Network driver' },
    'config-from': { type: 'string', usage: 'The network from which to copy the configuration' },
    'config-only': { type: 'bool', usage: 'Create a configuration only network' },
    driver: { type: 'string', short: 'd', default: 'bridge', usage: 'Driver to manage the Network' },
    gateway: { type: 'stringSlice', usage: 'IPv4 or IPv6 Gateway for the master subnet' },
    ingress: { type: 'bool', usage: 'Create swarm routing-mesh network' },
    internal: { type: 'bool', usage: 'Restrict external access to the network' },
    'ip-range': { type: 'stringSlice', usage: 'Allocate container ip from a sub-range' },
    'ipam-driver': { type: 'string', default: 'default', usage: 'IP Address Management Driver' },
    'ipam-opt': { type: 'map', usage: 'Set IPAM driver specific options' },
    ipv4: { type: 'bool', default: true, usage: 'Enable or disable IPv4 address assignment' },
    ipv6: { type: 'bool', usage: 'Enable or disable IPv6 address assignment' },
    label: { type: 'list', usage: 'Set metadata on a network' },
    opt: { type: 'map', short: 'o', usage: 'Set driver specific options' },
    scope: { type: 'string', usage: "Control the network's scope" },
    subnet: { type: 'stringSlice', usage: 'Subnet in CIDR format that represents a network segment' },
  },
  args: exactArgs(1),
  async run(ctx) {
    let ipam: IpamConfig[];
    try {
      ipam = createIpamConfig({
        subnets: ctx.flags.subnet,
        ipRanges: ctx.flags['ip-range'],
        gateways: ctx.flags.gateway,
        auxAddresses: ctx.flags['aux-address'],
      });
    } catch (err) {
      throw new StatusError(err instanceof Error ? err.message : String(err), 1);
    }
    const body: Record<string, unknown> = {
      Name: ctx.args[0],
      Driver: ctx.flags.driver,
      Scope: ctx.flags.scope,
    };
    if (ctx.changed.has('ipv4')) body.EnableIPv4 = ctx.flags.ipv4;
    if (ctx.changed.has('ipv6')) body.EnableIPv6 = ctx.flags.ipv6;
    Object.assign(body, {
      IPAM: { Driver: ctx.flags['ipam-driver'], Config: ipam, Options: sortedRecord(ctx.flags['ipam-opt']) },
      Internal: ctx.flags.internal,
      Attachable: ctx.flags.attachable,
      Ingress: ctx.flags.ingress,
      ConfigOnly: ctx.flags['config-only'],
      ConfigFrom: ctx.flags['config-from'] !== '' ? { Network: ctx.flags['config-from'] } : null,
      Options: sortedRecord(ctx.flags.opt),
      Labels: kvStringsToMap(ctx.flags.label),
    });
    const answer = await withDaemon(() => apiClient(ctx).json<{ Id: string; Warning?: string }>('POST', '/networks/create', { body }));
    ctx.stdout.write(`${answer?.Id ?? ''}\n`);
    return 0;
  },
});
