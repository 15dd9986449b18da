// The contract between the container runtime and whatever gives containers
// their networks. The runtime asks a NetworkAttacher to prepare the network
// namespace before the OCI runtime creates the container and to release it
// after the container stopped; in return it offers a
// NetworkContainerDirectory (connect/disconnect, --link). The network service
// (src/network) implements NetworkAttacher and the daemon registers it in
// front of the runtime's built-ins (network.ts).
//
// Types only, with no imports: src/network depends on this file and on
// nothing else of the runtime.
//
// Docker's shapes: ../shared/specs/engine-api/v1.47.yaml, definitions
// EndpointSettings, EndpointIPAMConfig and NetworkSettings.

export interface EndpointIPAMConfig {
  IPv4Address?: string;
  IPv6Address?: string;
  LinkLocalIPs?: string[] | null;
}

/** docker's EndpointSettings, as a client sends it (create, connect) and inspect shows it. */
export interface EndpointSettings {
  IPAMConfig?: EndpointIPAMConfig | null;
  Links?: string[] | null;
  MacAddress?: string;
  Aliases?: string[] | null;
  DriverOpts?: Record<string, string> | null;
  NetworkID?: string;
  EndpointID?: string;
  Gateway?: string;
  IPAddress?: string;
  IPPrefixLen?: number;
  IPv6Gateway?: string;
  GlobalIPv6Address?: string;
  GlobalIPv6PrefixLen?: number;
  DNSNames?: string[] | null;
}

/** inspect's NetworkSettings, as the runtime keeps it in the container record. */
export interface ContainerNetworkSettings {
  /** Network name -> endpoint. */
  Networks: Record<string, EndpointSettings>;
  SandboxID: string;
  SandboxKey: string;
  Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
  Bridge: string;
}

/** One line of /etc/hosts. */
export interface HostsEntry {
  ip: string;
  names: string[];
}

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
  /** NetworkingConfig.EndpointsConfig as stored at create (keys: network names or IDs). */
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
  /** HostConfig.Links ("name:alias" or "/name:/parent/alias"). */
  links?: string[];
}

export interface PreparedNetwork {
  namespace: NetworkNamespace;
  settings: ContainerNetworkSettings;
  /** Lines for /etc/hosts after --add-host ones: linked containers, then the container's own addresses. */
  hostsEntries?: HostsEntry[];
  /** Nameservers etc. that replace the host's in /etc/resolv.conf (e.g. an embedded DNS). */
  resolv?: { nameservers: string[]; search?: string[]; options?: string[] };
  /** What `host-gateway` in --add-host stands for: the default bridge's gateway. */
  hostGateway?: string;
  /** Environment variables of legacy links (DB_PORT_80_TCP=...) for the container's process. */
  env?: string[];
}

export interface NetworkAttacher {
  /** True when this attacher serves the mode (a name like "bridge" or a network name or ID). */
  supports(networkMode: string): boolean;
  /** At create: refuse bad endpoint settings. A network that does not exist is not refused here: as moby, create succeeds and start fails ("network x not found"), so the CLI does not mistake it for a missing image and pull. */
  validate?(req: NetworkRequest): Promise<void>;
  /** Before the OCI runtime creates the container. */
  prepare(req: NetworkRequest): Promise<PreparedNetwork>;
  /** After `create`, before `start`: the container's init exists as `pid`. May return updated settings. */
  attach?(req: NetworkRequest, pid: number, prepared: PreparedNetwork): Promise<ContainerNetworkSettings | void>;
  /** After the container stopped (or a start failed): free addresses, veths, netns files. */
  release(containerId: string, settings: ContainerNetworkSettings): Promise<void>;
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
  /** Config.Env (linked containers' variables are passed on as <ALIAS>_ENV_*). */
  env: string[];
}

/** What the runtime offers the network service. */
export interface NetworkContainerDirectory {
  /** A container by name, full ID or unique ID prefix; undefined when there is none. */
  find(ref: string): NetworkContainerInfo | undefined;
  /**
   * After connect/disconnect: store the container's endpoint configuration
   * (NetworkingConfig.EndpointsConfig, keyed by network name) and, when it
   * runs, its new NetworkSettings and the /etc/hosts lines for its addresses.
   */
  networksChanged(
    id: string,
    change: { endpoints: Record<string, EndpointSettings>; settings?: ContainerNetworkSettings; hostsEntries?: HostsEntry[] },
  ): Promise<void>;
}
