// `-p` and `--expose` as the docker CLI reads them: docker/cli's
// convertToStandardNotation for the long `published=,target=` syntax, then
// go-connections' nat.ParsePortSpecs (`[ip:][hostPort:]containerPort[/proto]`,
// with ranges), with their error texts.
import { canonicalIP } from './option-values.js';

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export interface ParsedPorts {
  /** "80/tcp" → {} (ExposedPorts). */
  exposed: Set<string>;
  /** "80/tcp" → bindings, in the order given (PortBindings). */
  bindings: Map<string, PortBinding[]>;
}

/** strconv.ParseUint(s, 10, 16), with Go's error text. */
function parseUint16(text: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`strconv.ParseUint: parsing "${text}": invalid syntax`);
  const n = Number(text);
  if (n > 65535) throw new Error(`strconv.ParseUint: parsing "${text}": value out of range`);
  return n;
}

/** nat.ParsePortRange: "80" or "8000-9000". */
export function parsePortRange(ports: string): { start: number; end: number } {
  if (ports === '') throw new Error('empty string specified for ports');
  if (!ports.includes('-')) {
    const start = parseUint16(ports);
    return { start, end: start };
  }
  const parts = ports.split('-');
  const start = parseUint16(parts[0]!);
  const end = parseUint16(parts[1]!);
  if (end < start) throw new Error(`invalid range specified for port: ${ports}`);
  return { start, end };
}

/** convertToStandardNotation: `published=8080,target=80,protocol=udp` → `8080:80/udp`. */
export function toStandardNotation(ports: readonly string[]): string[] {
  return ports.map((publish) => {
    if (!publish.includes('=')) return publish;
    const params: Record<string, string> = { protocol: 'tcp' };
    for (const param of publish.split(',')) {
      const eq = param.indexOf('=');
      if (eq <= 0) throw new Error(`invalid publish opts format (should be name=value but got '${param}')`);
      params[param.slice(0, eq)] = param.slice(eq + 1);
    }
    return `${params.published ?? ''}:${params.target ?? ''}/${params.protocol}`;
  });
}

function splitParts(raw: string): { ip: string; hostPort: string; containerPort: string } {
  const parts = raw.split(':');
  switch (parts.length) {
    case 1:
      return { ip: '', hostPort: '', containerPort: parts[0]! };
    case 2:
      return { ip: '', hostPort: parts[0]!, containerPort: parts[1]! };
    case 3:
      return { ip: parts[0]!, hostPort: parts[1]!, containerPort: parts[2]! };
    default: {
      const n = parts.length;
      return { ip: parts.slice(0, n - 2).join(':'), hostPort: parts[n - 2]!, containerPort: parts[n - 1]! };
    }
  }
}

/** nat.ParsePortSpec: one spec → (port, binding) pairs. */
export function parsePortSpec(raw: string): { port: string; binding: PortBinding }[] {
  const parts = splitParts(raw);
  let ip = parts.ip;
  const slash = parts.containerPort.indexOf('/');
  const containerPort = slash < 0 ? parts.containerPort : parts.containerPort.slice(0, slash);
  let proto = slash < 0 ? '' : parts.containerPort.slice(slash + 1);
  if (containerPort === '') throw new Error(`no port specified: ${raw}<empty>`);
  if (proto === '') proto = 'tcp';
  proto = proto.toLowerCase();
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw new Error(`invalid proto: ${proto}`);
  if (ip !== '' && ip.startsWith('[')) {
    const close = ip.indexOf(']');
    if (close !== ip.length - 1) throw new Error(`invalid IP address ${ip}: address ${ip}:: missing port in address`);
    ip = ip.slice(1, -1);
  }
  if (ip !== '' && canonicalIP(ip) === undefined) throw new Error(`invalid IP address: ${ip}`);

  let container: { start: number; end: number };
  try {
    container = parsePortRange(containerPort);
  } catch {
    throw new Error(`invalid containerPort: ${containerPort}`);
  }
  let host = { start: 0, end: 0 };
  if (parts.hostPort !== '') {
    try {
      host = parsePortRange(parts.hostPort);
    } catch {
      throw new Error(`invalid hostPort: ${parts.hostPort}`);
    }
    if (container.end - container.start !== host.end - host.start && container.end !== container.start) {
      throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${parts.hostPort}`);
    }
  }
  const count = container.end - container.start + 1;
  const out: { port: string; binding: PortBinding }[] = [];
  for (let i = 0; i < count; i++) {
    let hostPort = '';
    if (parts.hostPort !== '') {
      hostPort = String(host.start + i);
      // A single container port with a host range: the range to allocate from.
      if (count === 1 && host.start !== host.end) hostPort += `-${host.end}`;
    }
    out.push({ port: `${container.start + i}/${proto}`, binding: { HostIp: ip, HostPort: hostPort } });
  }
  return out;
}

/** nat.ParsePortSpecs over `-p` values (after toStandardNotation). */
export function parsePortSpecs(specs: readonly string[]): ParsedPorts {
  const exposed = new Set<string>();
  const bindings = new Map<string, PortBinding[]>();
  for (const spec of specs) {
    for (const { port, binding } of parsePortSpec(spec)) {
      exposed.add(port);
      const list = bindings.get(port) ?? [];
      list.push(binding);
      bindings.set(port, list);
    }
  }
  return { exposed, bindings };
}

/** `--expose 80`, `--expose 7000-7002/udp`: every port of the range. */
export function exposedPorts(value: string): string[] {
  const slash = value.indexOf('/');
  const port = slash < 0 ? value : value.slice(0, slash);
  const proto = slash < 0 || value.slice(slash + 1) === '' ? 'tcp' : value.slice(slash + 1);
  if (port === '') return [];
  let range: { start: number; end: number };
  try {
    range = parsePortRange(port);
  } catch (err) {
    throw new Error(`invalid range format for --expose: ${value}, error: ${(err as Error).message}`);
  }
  const out: string[] = [];
  for (let p = range.start; p <= range.end; p++) out.push(`${p}/${proto}`);
  return out;
}

/** Go's sort order of port keys in JSON (string order). */
export function sortedPortKeys(keys: Iterable<string>): string[] {
  return [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
