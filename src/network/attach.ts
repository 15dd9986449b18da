// The contract between the container runtime and the network service, as
// structural types: they mirror src/runtime/network.ts (NetworkAttacher,
// NetworkRequest, PreparedNetwork) without importing it, so each side
// compiles on its own, plus what the network service needs back from the
// runtime for `docker network connect/disconnect` and `--link`.
import type { EndpointConfig } from './types.js';

/** inspect's NetworkSettings, as the runtime stores it (src/runtime/model.ts NetworkRecord). */
export interface ContainerNetworkSettings {
  Networks: Record<string, EndpointConfig>;
  SandboxID: string;
  SandboxKey: string;
  Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
  Bridge: string;
}

export interface NetworkAttachRequest {
  containerId: string;
  /** Without the leading slash. */
  containerName: string;
  hostname: string;
  domainname: string;
  /** HostConfig.NetworkMode: default, bridge, a network name or ID (none/host/container: are not ours). */
  networkMode: string;
  /** NetworkingConfig.EndpointsConfig as stored at create (keys: network names or IDs). */
  endpoints: Record<string, EndpointConfig>;
  portBindings: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null>;
  publishAllPorts: boolean;
  exposedPorts: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  extraHosts: string[];
  /** HostConfig.Links ("name:alias" or "/name:/parent/alias"); optional so older runtimes still fit. */
  links?: string[];
}

export interface HostsEntry {
  ip: string;
  names: string[];
}

export interface PreparedContainerNetwork {
  namespace: { kind: 'path'; path: string };
  settings: ContainerNetworkSettings;
  /** Lines for /etc/hosts after --add-host ones: linked containers, then the container's own addresses. */
  hostsEntries: HostsEntry[];
  /** The embedded DNS server replaces the host's nameservers (user-defined networks). */
  resolv?: { nameservers: string[]; search?: string[]; options?: string[] };
  /** What `host-gateway` in --add-host stands for: the default bridge's gateway. */
  hostGateway?: string;
  /** Environment variables of legacy links (DB_PORT_80_TCP=...), to add to the container's process. */
  env: string[];
}

/** A container as the network service sees it, for connect/disconnect and links. */
export interface NetworkContainerInfo {
  id: string;
  /** Without the leading slash. */
  name: string;
  running: boolean;
  networkMode: string;
  /** What prepare() would be given for this container now. */
  request: NetworkAttachRequest;
  /** Config.Env (linked containers' variables are passed on as <ALIAS>_ENV_*). */
  env: string[];
}

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
    change: { endpoints: Record<string, EndpointConfig>; settings?: ContainerNetworkSettings; hostsEntries?: HostsEntry[] },
  ): Promise<void>;
}
