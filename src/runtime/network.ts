// How a container gets its network. The runtime asks a NetworkAttacher to
// prepare the network namespace before the OCI runtime creates the
// container, and to release it after the container stopped. The network
// engineer's bridge and user-defined networks implement NetworkAttacher and
// register in front of the built-in ones here: `none`, `host`, and a
// stand-in for `bridge`/`default` (an isolated namespace with only loopback)
// until the bridge driver is registered.
import type { EndpointSettings } from './container-config.js';
import type { NetworkRecord } from './model.js';
import { notFound } from '../common/errors.js';

/** Where the container's network namespace comes from. */
export type NetworkNamespace =
  /** The OCI runtime creates a fresh one; attach() may configure it through /proc/<pid>/ns/net before start. */
  | { kind: 'new' }
  /** No network namespace: the host's. */
  | { kind: 'host' }
  /** Join an existing namespace (a bind-mounted netns file, another process's ns). */
  | { kind: 'path'; path: string };

export interface NetworkRequest {
  containerId: string;
  /** Without the leading slash. */
  containerName: string;
  hostname: string;
  domainname: string;
  /** HostConfig.NetworkMode: default, bridge, none, host, container:<id>, or a network name/ID. */
  networkMode: string;
  /** NetworkingConfig.EndpointsConfig as stored at create. */
  endpoints: Record<string, EndpointSettings>;
  /** "80/tcp" -> bindings (HostConfig.PortBindings). */
  portBindings: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null>;
  publishAllPorts: boolean;
  /** Config.ExposedPorts keys ("80/tcp"). */
  exposedPorts: string[];
  /** HostConfig.Dns etc., for an embedded DNS server. */
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  extraHosts: string[];
  /** HostConfig.Links ("name:alias"). */
  links?: string[];
}

export interface PreparedNetwork {
  namespace: NetworkNamespace;
  /** inspect's NetworkSettings. */
  settings: NetworkRecord;
  /** The container's own entries for /etc/hosts (its addresses, its names). */
  hostsEntries?: Array<{ ip: string; names: string[] }>;
  /** Nameservers etc. that replace the host's in /etc/resolv.conf (e.g. an embedded DNS at 127.0.0.11). */
  resolv?: { nameservers: string[]; search?: string[]; options?: string[] };
  /** The address host-gateway in --add-host resolves to. */
  hostGateway?: string;
  /** Environment variables of legacy links (DB_PORT_80_TCP=...) for the container's process. */
  env?: string[];
}

/** A container as the network service sees it, for connect/disconnect and --link. */
export interface NetworkContainerInfo {
  id: string;
  /** Without the leading slash. */
  name: string;
  running: boolean;
  networkMode: string;
  /** What prepare() would be given for this container now. */
  request: NetworkRequest;
  env: string[];
}

/** What the runtime offers the network service. */
export interface NetworkContainerDirectory {
  find(ref: string): NetworkContainerInfo | undefined;
  /** After connect/disconnect: the new endpoint configuration and, when running, settings and own /etc/hosts lines. */
  networksChanged(
    id: string,
    change: { endpoints: Record<string, EndpointSettings>; settings?: NetworkRecord; hostsEntries?: Array<{ ip: string; names: string[] }> },
  ): Promise<void>;
}

export interface NetworkAttacher {
  /** True when this attacher serves the mode (a name like "bridge" or a network name or ID). */
  supports(networkMode: string): boolean;
  /** At create: refuse unknown networks (404 "network x not found") and bad endpoint settings. */
  validate?(req: NetworkRequest): Promise<void>;
  /** Before the OCI runtime creates the container. */
  prepare(req: NetworkRequest): Promise<PreparedNetwork>;
  /** After `create`, before `start`: the container's init exists as `pid`. May return updated settings. */
  attach?(req: NetworkRequest, pid: number, prepared: PreparedNetwork): Promise<NetworkRecord | void>;
  /** After the container stopped (or a start failed): free addresses, veths, netns files. */
  release(containerId: string, settings: NetworkRecord): Promise<void>;
}

export function emptyNetworkRecord(): NetworkRecord {
  return { Networks: {}, SandboxID: '', SandboxKey: '', Ports: {}, Bridge: '' };
}

/** What inspect keeps of the networks of a stopped container: the networks, without addresses. */
export function stoppedNetworkRecord(r: NetworkRecord): NetworkRecord {
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
    const settings = emptyNetworkRecord();
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
    const settings = emptyNetworkRecord();
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
    const settings = emptyNetworkRecord();
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
