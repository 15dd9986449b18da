// Wire shapes of the network API and the records berth keeps.
// Shapes: ../shared/specs/engine-api/v1.47.yaml, definitions Network, IPAM,
// IPAMConfig, NetworkContainer, NetworkCreateResponse, and the
// /networks/create, /connect, /disconnect bodies. EndpointSettings, which
// containers share with networks, is in the runtime's contract
// (src/runtime/network-contract.ts).
import type { EndpointIPAMConfig } from '../runtime/network-contract.js';

export interface IpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface Ipam {
  Driver: string;
  Options: Record<string, string> | null;
  Config: IpamConfig[];
}

export interface NetworkContainer {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
}

/** GET /networks/{id} and the items of GET /networks. */
export interface NetworkResource {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: Ipam;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, NetworkContainer>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

export interface NetworkCreateRequest {
  Name?: unknown;
  Driver?: unknown;
  Scope?: unknown;
  Internal?: unknown;
  Attachable?: unknown;
  Ingress?: unknown;
  ConfigOnly?: unknown;
  ConfigFrom?: unknown;
  IPAM?: unknown;
  EnableIPv4?: unknown;
  EnableIPv6?: unknown;
  Options?: unknown;
  Labels?: unknown;
  CheckDuplicate?: unknown;
}

// ---------------------------------------------------------------------------
// Records berth keeps.

/** One network, persisted in <data-root>/network/networks/<id>.json. */
export interface NetworkRecord {
  id: string;
  name: string;
  /** bridge, host or null. */
  driver: string;
  created: string;
  internal: boolean;
  attachable: boolean;
  ingress: boolean;
  enableIPv4: boolean;
  enableIPv6: boolean;
  ipamDriver: string;
  ipamOptions: Record<string, string> | null;
  /** As inspect shows it: what the user asked for, with the chosen subnet and gateway filled in. */
  ipamConfig: IpamConfig[];
  /** The user chose the IPv4 / IPv6 subnets (docker allows --ip only then). */
  userSubnet4: boolean;
  userSubnet6: boolean;
  options: Record<string, string>;
  labels: Record<string, string>;
  /** Bridge driver: the device and its MTU. */
  bridge?: string;
  /** berth made the device (so it removes it); false for a bridge that was there before (--bridge of an existing one). */
  ownsDevice?: boolean;
  mtu?: number;
  icc?: boolean;
  masquerade?: boolean;
  hostBindingIpv4?: string;
  /** The daemon's default `bridge` network. */
  isDefaultBridge?: boolean;
}

/** A container's attachment to one network. */
export interface EndpointRecord {
  id: string;
  networkId: string;
  /** Interface name inside the container (eth0, eth1...). */
  ifname: string;
  /** Host side of the veth pair. */
  hostVeth: string;
  mac: string;
  ipv4?: string;
  ipv4PrefixLen?: number;
  ipv6?: string;
  ipv6PrefixLen?: number;
  /** What the client asked for, as inspect echoes it. */
  ipamConfig: EndpointIPAMConfig | null;
  aliases: string[];
  links: string[] | null;
  driverOpts: Record<string, string> | null;
  /** Names the embedded DNS answers for (docker's DNSNames). */
  dnsNames: string[];
}

export interface PublishedPortRecord {
  proto: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  /** '0.0.0.0', '::' or a specific address. */
  hostIp: string;
  hostPort: number;
  /** The container address the port leads to. */
  containerIp: string;
}

/** A running container's network namespace and endpoints, kept under <exec-root>/network/sandboxes. */
export interface SandboxRecord {
  containerId: string;
  containerName: string;
  hostname: string;
  sandboxId: string;
  netnsPath: string;
  endpoints: EndpointRecord[];
  ports: PublishedPortRecord[];
  /** Exposed ports with no binding ("443/tcp"): shown as null in NetworkSettings.Ports. */
  exposedOnly: string[];
  /** --dns of the container: where its embedded DNS forwards. */
  dns: string[];
}
