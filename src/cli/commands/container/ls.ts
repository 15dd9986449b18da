// berth container ls / berth ps: GET /containers/json rendered as docker
// 28's container formatter (docker/cli cli/command/container/list.go and
// formatter/container.go behaviour): truncated IDs, the command quoted and
// cut to 20 columns, "2 minutes ago", ports grouped into ranges.
import { defineCommand, noArgs, StatusError } from '../../command.js';
import { readCliConfig } from '../../client/contexts.js';
import { Template, TemplateError, NilPointer, markStruct } from '../../format/index.js';
import { apiClient, withDaemon } from '../../session.js';
import { ellipsis, filterFlag, filtersJSON, formatFlag, listing, markEscapedJSON, parseFilters } from '../../shared-options.js';
import { goLocalTimeString, humanSizeWithPrecision, timeAgo } from '../../units.js';
import { familiarString, parseNormalizedNamed, trimNamed, withTag } from '../../../image/reference.js';
import type { ContainerSummary, PortSummary } from './container-api.js';

export const CONTAINER_TABLE_FORMAT = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
const RAW_FORMAT =
  'container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n';

export const CONTAINER_HEADER = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Platform: 'PLATFORM',
};

/** NewContainerFormat. */
export function containerFormat(source: string, quiet: boolean, size: boolean): string {
  if (source === 'table' || source === '') {
    if (quiet) return '{{.ID}}';
    return size ? `${CONTAINER_TABLE_FORMAT}\t{{.Size}}` : CONTAINER_TABLE_FORMAT;
  }
  if (source === 'raw') {
    if (quiet) return 'container_id: {{.ID}}';
    return size ? `${RAW_FORMAT}size: {{.Size}}\n` : RAW_FORMAT;
  }
  return quiet ? '{{.ID}}' : source;
}

/** stringid.TruncateID. */
export function truncateID(id: string): string {
  const colon = id.indexOf(':');
  const hex = colon >= 0 ? id.slice(colon + 1) : id;
  return hex.length > 12 ? hex.slice(0, 12) : hex;
}

/** Go's strconv.Quote. */
export function goQuoteString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (code === 7) out += '\\a';
    else if (code === 8) out += '\\b';
    else if (code === 12) out += '\\f';
    else if (code === 10) out += '\\n';
    else if (code === 13) out += '\\r';
    else if (code === 9) out += '\\t';
    else if (code === 11) out += '\\v';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) out += ch;
    else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------
// Ports.

function comparePorts(a: PortSummary, b: PortSummary): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  const ipA = a.IP ?? '';
  const ipB = b.IP ?? '';
  if (ipA !== ipB) return ipA < ipB ? -1 : 1;
  const pa = a.PublicPort ?? 0;
  const pb = b.PublicPort ?? 0;
  if (pa !== pb) return pa - pb;
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}

function joinHostPort(host: string, port: string | number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function formGroup(key: string, start: number, last: number): string {
  const parts = key.split('/');
  let groupType = parts[0]!;
  let ip = '';
  if (parts.length > 1) {
    ip = parts[0]!;
    groupType = parts[1]!;
  }
  let group = String(start);
  if (start !== last) group = `${group}-${last}`;
  if (ip !== '') group = `${joinHostPort(ip, group)}->${group}`;
  return `${group}/${groupType}`;
}

/** formatter.DisplayablePorts: "0.0.0.0:80->8080/tcp, 9000-9002/udp". */
export function displayablePorts(ports: readonly PortSummary[]): string {
  const sorted = [...ports].sort(comparePorts);
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const port of sorted) {
    const current = port.PrivatePort;
    let key = port.Type;
    const ip = port.IP ?? '';
    if (ip !== '') {
      if ((port.PublicPort ?? 0) !== current) {
        hostMappings.push(`${joinHostPort(ip, port.PublicPort ?? 0)}->${port.PrivatePort}/${port.Type}`);
        continue;
      }
      key = `${ip}/${port.Type}`;
    }
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === group.last + 1) {
      group.last = current;
      continue;
    }
    result.push(formGroup(key, group.first, group.last));
    // A new group under the same key keeps the key's original position.
    groups.set(key, { first: current, last: current });
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  result.push(...hostMappings);
  return result.join(', ');
}

// ---------------------------------------------------------------------------
// The row.

/** docker's *formatter.ContainerContext: every column is a method. */
export class ContainerRow {
  readonly #c: ContainerSummary;
  readonly #trunc: boolean;
  readonly #now: Date;
  /** Set when a template reads .Size (docker then asks the daemon for sizes). */
  sizeUsed = false;

  constructor(c: ContainerSummary, trunc: boolean, now: Date = new Date()) {
    this.#c = c;
    this.#trunc = trunc;
    this.#now = now;
    markEscapedJSON(this);
    markStruct(this, '*formatter.ContainerContext');
  }

  ID(): string {
    return this.#trunc ? truncateID(this.#c.Id) : this.#c.Id;
  }

  Names(): string {
    const names = (this.#c.Names ?? []).map((n) => n.replace(/^\//, ''));
    if (this.#trunc) {
      // Only the first name that is not a legacy link ("other/alias").
      return names.find((n) => !n.includes('/')) ?? '';
    }
    return names.join(',');
  }

  Image(): string {
    const image = this.#c.Image;
    if (image === '') return '<no image>';
    if (!this.#trunc) return image;
    const truncated = truncateID(this.#c.ImageID ?? '');
    if (truncated === truncateID(image)) return truncated;
    let ref;
    try {
      ref = parseNormalizedNamed(image);
    } catch {
      return image;
    }
    if (ref.digest !== undefined) {
      const tag = ref.tag;
      ref = trimNamed(ref);
      if (tag !== undefined) {
        try {
          ref = withTag(ref, tag);
        } catch {
          // keep the name
        }
      }
    }
    return familiarString(ref);
  }

  Command(): string {
    let command = this.#c.Command ?? '';
    if (this.#trunc) command = ellipsis(command, 20);
    return goQuoteString(command);
  }

  CreatedAt(): string {
    return goLocalTimeString(new Date(this.#c.Created * 1000));
  }

  RunningFor(): string {
    return timeAgo(new Date(this.#c.Created * 1000), this.#now);
  }

  Platform(): NilPointer {
    return new NilPointer('*formatter.Platform');
  }

  Ports(): string {
    return displayablePorts(this.#c.Ports ?? []);
  }

  State(): string {
    return this.#c.State ?? '';
  }

  Status(): string {
    return this.#c.Status ?? '';
  }

  Size(): string {
    this.sizeUsed = true;
    const rw = humanSizeWithPrecision(this.#c.SizeRw ?? 0, 3);
    const virtual = humanSizeWithPrecision(this.#c.SizeRootFs ?? 0, 3);
    return (this.#c.SizeRootFs ?? 0) > 0 ? `${rw} (virtual ${virtual})` : rw;
  }

  Labels(): string {
    const labels = this.#c.Labels;
    if (!labels) return '';
    return Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join(',');
  }

  Label(name: string): string {
    return this.#c.Labels?.[name] ?? '';
  }

  Mounts(): string {
    return (this.#c.Mounts ?? [])
      .map((m) => {
        const name = m.Name ? m.Name : m.Source;
        return this.#trunc ? ellipsis(name, 15) : name;
      })
      .join(',');
  }

  LocalVolumes(): string {
    return String((this.#c.Mounts ?? []).filter((m) => m.Driver === 'local').length);
  }

  Networks(): string {
    const networks = this.#c.NetworkSettings?.Networks;
    if (!networks) return '';
    return Object.keys(networks).sort().join(',');
  }

  /** formatter.MarshalJSON: every niladic method, keys sorted. */
  MarshalJSON(): Record<string, unknown> {
    return {
      Command: this.Command(),
      CreatedAt: this.CreatedAt(),
      ID: this.ID(),
      Image: this.Image(),
      Labels: this.Labels(),
      LocalVolumes: this.LocalVolumes(),
      Mounts: this.Mounts(),
      Names: this.Names(),
      Networks: this.Networks(),
      Platform: null,
      Ports: this.Ports(),
      RunningFor: this.RunningFor(),
      Size: this.Size(),
      State: this.State(),
      Status: this.Status(),
    };
  }
}
Object.defineProperty(ContainerRow, 'name', { value: '*formatter.ContainerContext' });

/** The listing for `containers` as docker prints it. */
export function renderContainers(containers: readonly ContainerSummary[], format: string, trunc: boolean, now = new Date()): string {
  return listing(
    containers.map((c) => new ContainerRow(c, trunc, now)),
    format,
    CONTAINER_HEADER,
  );
}

/**
 * docker's check of a --format before the request: it must parse, and it
 * runs once against an empty row to see whether it reads .Size.
 */
export function preflightFormat(format: string): { usesSize: boolean } {
  let tmpl: Template;
  try {
    tmpl = Template.parse(format);
  } catch (err) {
    if (err instanceof TemplateError) throw new StatusError(`failed to parse template: ${err.message}`, 1);
    throw err;
  }
  const probe = new ContainerRow({ Id: '', Image: '', Command: '', Created: 0, State: '', Status: '' }, false);
  try {
    tmpl.execute(probe);
  } catch (err) {
    if (err instanceof TemplateError) throw new StatusError(`failed to execute template: ${err.message}`, 1);
    throw err;
  }
  return { usesSize: probe.sizeUsed };
}

export const containerLsCommand = defineCommand({
  name: 'ls',
  aliases: ['list', 'ps'],
  usage: '[OPTIONS]',
  description: 'List containers',
  flags: {
    all: { type: 'bool', short: 'a', usage: 'Show all containers (default shows just running)' },
    filter: filterFlag('Filter output based on conditions provided'),
    format: formatFlag(),
    last: { type: 'int', short: 'n', default: -1, usage: 'Show n last created containers (includes all states)' },
    latest: { type: 'bool', short: 'l', usage: 'Show the latest created container (includes all states)' },
    'no-trunc': { type: 'bool', usage: "Don't truncate output" },
    quiet: { type: 'bool', short: 'q', usage: 'Only display container IDs' },
    size: { type: 'bool', short: 's', usage: 'Display total file sizes' },
  },
  args: noArgs,
  async run(ctx) {
    const flags = ctx.flags;
    let format = flags.format;
    if (format === '' && !flags.quiet) {
      const configured = readCliConfig(ctx.global.config).psFormat;
      if (typeof configured === 'string') format = configured;
    }
    let size = flags.size;
    if (flags.format !== '') {
      const { usesSize } = preflightFormat(flags.format);
      if (!flags.quiet && !ctx.changed.has('size') && usesSize) size = true;
    }
    let limit = flags.last;
    if (flags.latest && limit === -1) limit = 1;
    const containers = await withDaemon(() =>
      apiClient(ctx).json<ContainerSummary[]>('GET', '/containers/json', {
        query: {
          all: flags.all ? '1' : undefined,
          limit: limit > 0 ? String(limit) : undefined,
          size: size ? '1' : undefined,
          filters: filtersJSON(parseFilters(flags.filter)),
        },
      }),
    );
    ctx.stdout.write(renderContainers(containers ?? [], containerFormat(format, flags.quiet, size), !flags['no-trunc']));
    return 0;
  },
});
