// The runtime's own network attachers and the registry of attachers. The
// contract they fulfil is in network-contract.ts. Built in: `none`, `host`,
// and a stand-in for `bridge`/`default` (an isolated namespace with only
// loopback) until the network service registers in front of them.
import type { ContainerNetworkSettings, EndpointSettings, NetworkAttacher, NetworkRequest, PreparedNetwork } from './network-contract.js';
import { notFound } from '../common/errors.js';

export function emptyNetworkSettings(): ContainerNetworkSettings {
  return { Networks: {}, SandboxID: '', SandboxKey: '', Ports: {}, Bridge: '' };
}

/** What inspect keeps of the networks of a stopped container: the networks, without addresses. */
export function stoppedNetworkSettings(r: ContainerNetworkSettings): ContainerNetworkSettings {
  const nets: Record<string, EndpointSettings> = {};
  for (const [k, v] of Object.entries(r.Networks)) {
    nets[k] = { ...v, EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: v.IPAMConfig ? (v.MacAddress ?? '') : '' };
  }
  return { Networks: nets, SandboxID: '', SandboxKey: '', Ports: {}, Bridge: '' };
}

/** docker's EndpointSettings with every field dockerd prints. */
export function endpointSettings(networkId: string, over: Partial<EndpointSettings> = {}): EndpointSettings {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: '',
    DriverOpts: null,
    NetworkID: networkId,
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
    ...over,
  };
}

/** Stable IDs for the built-in networks when no network service names them. */
function builtinNetworkId(name: string): string {
  const hex = Buffer.from(`berth-builtin-network-${name}`).toString('hex');
  return (hex + '0'.repeat(64)).slice(0, 64);
}

/** `none`: a namespace with only loopback. */
export class NoneNetwork implements NetworkAttacher {
  supports(mode: string): boolean {
    return mode === 'none';
  }
  async prepare(req: NetworkRequest): Promise<PreparedNetwork> {
    const settings = emptyNetworkSettings();
    settings.Networks.none = endpointSettings(builtinNetworkId('none'), req.endpoints.none ? pickUserEndpoint(req.endpoints.none) : {});
    return { namespace: { kind: 'new' }, settings };
  }
  async release(): Promise<void> {}
}

/** `host`: the host's namespace. */
export class HostNetwork implements NetworkAttacher {
  supports(mode: string): boolean {
    return mode === 'host';
  }
  async prepare(req: NetworkRequest): Promise<PreparedNetwork> {
    const settings = emptyNetworkSettings();
    settings.Networks.host = endpointSettings(builtinNetworkId('host'), req.endpoints.host ? pickUserEndpoint(req.endpoints.host) : {});
    settings.SandboxKey = '/var/run/docker/netns/default';
    return { namespace: { kind: 'host' }, settings };
  }
  async release(): Promise<void> {}
}

/**
 * Stand-in for the default bridge until the bridge driver registers: the
 * container gets an isolated namespace (loopback only) and shows the
 * `bridge` network without an address.
 */
export class IsolatedBridgeStandIn implements NetworkAttacher {
  supports(mode: string): boolean {
    return mode === 'default' || mode === 'bridge';
  }
  async prepare(req: NetworkRequest): Promise<PreparedNetwork> {
    const settings = emptyNetworkSettings();
    settings.Networks.bridge = endpointSettings(builtinNetworkId('bridge'), req.endpoints.bridge ? pickUserEndpoint(req.endpoints.bridge) : {});
    return { namespace: { kind: 'new' }, settings };
  }
  async release(): Promise<void> {}
}

function pickUserEndpoint(e: EndpointSettings): Partial<EndpointSettings> {
  return {
    ...(e.IPAMConfig ? { IPAMConfig: e.IPAMConfig } : {}),
    ...(e.Links ? { Links: e.Links } : {}),
    ...(e.Aliases ? { Aliases: e.Aliases } : {}),
    ...(e.DriverOpts ? { DriverOpts: e.DriverOpts } : {}),
    ...(e.MacAddress ? { MacAddress: e.MacAddress } : {}),
  };
}

/** The attachers in order of precedence: registered ones first, built-ins last. */
export class NetworkAttachers {
  private readonly attachers: NetworkAttacher[] = [];
  private readonly builtins: NetworkAttacher[] = [new NoneNetwork(), new HostNetwork(), new IsolatedBridgeStandIn()];

  /** Register an attacher in front of those already known (the bridge driver, user networks). */
  register(attacher: NetworkAttacher): void {
    this.attachers.unshift(attacher);
  }

  /** The attacher for a mode; container:<id> is the runtime's own business and not served here. */
  for(mode: string): NetworkAttacher {
    const m = mode || 'default';
    const found = [...this.attachers, ...this.builtins].find((a) => a.supports(m));
    if (!found) throw notFound(`network ${m} not found`);
    return found;
  }
}
