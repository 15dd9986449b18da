// Published ports: docker's `-p` grammar (go-connections nat.ParsePortSpec,
// whose error texts the docker CLI prints), the PortMap wire shape
// (../shared/specs/engine-api/v1.47.yaml definitions/PortMap, PortBinding),
// and turning a container's PortBindings + PublishAllPorts into concrete
// host ports.
import { isIPv4, isIPv6 } from 'node:net';

export type Protocol = 'tcp' | 'udp' | 'sctp';

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

/** "80/tcp" → bindings (null: exposed, not published). */
export type PortMap = Record<string, PortBinding[] | null>;

export interface PortMapping {
  /** "80/tcp" */
  port: string;
  binding: PortBinding;
}

export class PortSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortSpecError';
  }
}

/** strconv.ParseUint(s, 10, 16): decimal digits only, at most 65535. */
function parseUint16(raw: string): number | undefined {
  if (!/^[0-9]+$/.test(raw)) return undefined;
  const n = Number(raw);
  return n <= 65535 ? n : undefined;
}

/**
 * nat.ParsePortRange as the docker CLI (28) vendors it: "80" or "8000-9000";
 * with dashes only the first two parts count ("1-2-3" is 1-2).
 */
export function parsePortRange(raw: string): { start: number; end: number } | undefined {
  if (raw === '') return undefined;
  if (!raw.includes('-')) {
    const n = parseUint16(raw);
    return n === undefined ? undefined : { start: n, end: n };
  }
  const parts = raw.split('-');
  const start = parseUint16(parts[0]!);
  const end = parseUint16(parts[1]!);
  if (start === undefined || end === undefined || end < start) return undefined;
  return { start, end };
}

/** nat.SplitProtoPort: "80/udp" → ["udp", "80"]; no protocol → tcp; no port → ["", ""]. Extra "/x" parts are ignored. */
export function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw === '' || parts[0] === '') return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1] === '') return ['tcp', parts[0]!];
  return [parts[1]!, parts[0]!];
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  switch (parts.length) {
    case 1:
      return ['', '', parts[0]!];
    case 2:
      return ['', parts[0]!, parts[1]!];
    case 3:
      return [parts[0]!, parts[1]!, parts[2]!];
    default: {
      const n = parts.length;
      return [parts.slice(0, n - 2).join(':'), parts[n - 2]!, parts[n - 1]!];
    }
  }
}

/** Go's net.ParseIP accepts IPv4, IPv6 and IPv4-mapped forms; no zones. */
function goParseIp(ip: string): boolean {
  return isIPv4(ip) || (isIPv6(ip) && !ip.includes('%'));
}

/**
 * nat.ParsePortSpec: `[ip:][hostPort:]containerPort[/proto]`, ranges allowed.
 * The order of the checks (and so which error a spec with several faults
 * gets) is the docker CLI's: address, container port, host port, ranges,
 * protocol.
 */
export function parsePortSpec(raw: string): PortMapping[] {
  let [ip, hostPort, containerPortRaw] = splitParts(raw);
  const [proto, containerPort] = splitProtoPort(containerPortRaw);
  if (ip !== '' && ip.startsWith('[')) {
    // net.SplitHostPort(ip + ":"): "[addr]" must close right before the colon.
    const close = ip.indexOf(']');
    if (close < 0) throw new PortSpecError(`invalid IP address ${ip}: address ${ip}:: missing ']' in address`);
    if (close !== ip.length - 1) throw new PortSpecError(`invalid IP address ${ip}: address ${ip}:: missing port in address`);
    ip = ip.slice(1, close);
  }
  if (ip !== '' && !goParseIp(ip)) throw new PortSpecError(`invalid IP address: ${ip}`);
  if (containerPort === '') throw new PortSpecError(`no port specified: ${raw}<empty>`);
  const container = parsePortRange(containerPort);
  if (!container) throw new PortSpecError(`invalid containerPort: ${containerPort}`);
  let host: { start: number; end: number } | undefined;
  if (hostPort !== '') {
    host = parsePortRange(hostPort);
    if (!host) throw new PortSpecError(`invalid hostPort: ${hostPort}`);
    if (container.end - container.start !== host.end - host.start && container.end !== container.start) {
      throw new PortSpecError(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
    }
  }
  const lower = proto.toLowerCase();
  if (lower !== 'tcp' && lower !== 'udp' && lower !== 'sctp') throw new PortSpecError(`invalid proto: ${proto}`);
  const count = container.end - container.start + 1;
  const out: PortMapping[] = [];
  for (let i = 0; i < count; i++) {
    let hPort = '';
    if (host) {
      hPort = String(host.start + i);
      // One container port and a host range: the range is where to allocate.
      if (count === 1 && host.start !== host.end) hPort += `-${host.end}`;
    }
    out.push({ port: `${container.start + i}/${lower}`, binding: { HostIp: ip, HostPort: hPort } });
  }
  return out;
}

/** nat.ParsePortSpecs: the ExposedPorts set and PortBindings map of `-p` values. */
export function parsePortSpecs(specs: readonly string[]): { exposed: Record<string, Record<string, never>>; bindings: Record<string, PortBinding[]> } {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const spec of specs) {
    for (const m of parsePortSpec(spec)) {
      exposed[m.port] ??= {};
      (bindings[m.port] ??= []).push(m.binding);
    }
  }
  return { exposed, bindings };
}

/** "80/tcp" → {port: 80, proto: tcp}; "80" → tcp. Undefined for a malformed key. */
export function parsePortKey(key: string): { port: number; proto: Protocol } | undefined {
  const [proto, portText] = splitProtoPort(key);
  const lower = proto.toLowerCase();
  if (lower !== 'tcp' && lower !== 'udp' && lower !== 'sctp') return undefined;
  const range = parsePortRange(portText);
  if (!range || range.start !== range.end) return undefined;
  return { port: range.start, proto: lower };
}

/** A host port to bind: a fixed one, a range to pick from, or any ephemeral one (0). */
export interface HostPortRequest {
  start: number;
  end: number;
}

export function parseHostPortRequest(hostPort: string): HostPortRequest | undefined {
  if (hostPort === '') return { start: 0, end: 0 };
  return parsePortRange(hostPort);
}

/** Sort order of `docker port` and of NetworkSettings.Ports keys: by number, then protocol. */
export function comparePortKeys(a: string, b: string): number {
  const pa = parsePortKey(a);
  const pb = parsePortKey(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  return pa.port - pb.port || (pa.proto < pb.proto ? -1 : pa.proto > pb.proto ? 1 : 0);
}
