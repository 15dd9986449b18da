// berth network ls: GET /networks, sorted by name (natural order) and
// rendered as docker's network formatter does.
import { defineCommand, noArgs } from '../../command.js';
import { readCliConfig } from '../../client/contexts.js';
import { apiClient, withDaemon } from '../../session.js';
import { filterFlag, filtersJSON, formatFlag, joinLabels, listing, markEscapedJSON, naturalCompare, parseFilters } from '../../shared-options.js';
import { GoTime } from '../../units.js';
import { truncateID } from '../image/ls.js';

/** One entry of GET /networks (network.Summary), the fields the listing uses. */
export interface NetworkSummary {
  Name: string;
  Id: string;
  Created?: string;
  Scope?: string;
  Driver?: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Internal?: boolean;
  Labels?: Record<string, string> | null;
}

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
const NETWORK_HEADER = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

/** docker's networkContext. */
export class NetworkRow {
  readonly #n: NetworkSummary;
  readonly #trunc: boolean;
  constructor(n: NetworkSummary, trunc: boolean) {
    this.#n = n;
    this.#trunc = trunc;
    markEscapedJSON(this);
  }
  ID(): string {
    return this.#trunc ? truncateID(this.#n.Id) : this.#n.Id;
  }
  Name(): string {
    return this.#n.Name;
  }
  Driver(): string {
    return this.#n.Driver ?? '';
  }
  Scope(): string {
    return this.#n.Scope ?? '';
  }
  IPv4(): string {
    return String(this.#n.EnableIPv4 === true);
  }
  IPv6(): string {
    return String(this.#n.EnableIPv6 === true);
  }
  Internal(): string {
    return String(this.#n.Internal === true);
  }
  Labels(): string {
    return joinLabels(this.#n.Labels);
  }
  Label(name: string): string {
    return this.#n.Labels?.[name] ?? '';
  }
  CreatedAt(): string {
    return new GoTime(this.#n.Created ?? '0001-01-01T00:00:00Z').String();
  }
  MarshalJSON(): Record<string, string> {
    return {
      CreatedAt: this.CreatedAt(),
      Driver: this.Driver(),
      ID: this.ID(),
      IPv4: this.IPv4(),
      IPv6: this.IPv6(),
      Internal: this.Internal(),
      Labels: this.Labels(),
      Name: this.Name(),
      Scope: this.Scope(),
    };
  }
}
Object.defineProperty(NetworkRow, 'name', { value: '*formatter.networkContext' });

/** docker's NewNetworkFormat. */
export function networkFormat(source: string, quiet: boolean): string {
  if (source === 'table') return quiet ? '{{.ID}}' : DEFAULT_TABLE;
  if (source === 'raw') return quiet ? 'network_id: {{.ID}}' : 'network_id: {{.ID}}\nname: {{.Name}}\ndriver: {{.Driver}}\nscope: {{.Scope}}\n';
  return source;
}

export function renderNetworks(networks: readonly NetworkSummary[], opts: { format: string; quiet: boolean; trunc: boolean }): string {
  const sorted = [...networks].sort((a, b) => naturalCompare(a.Name, b.Name));
  return listing(
    sorted.map((n) => new NetworkRow(n, opts.trunc)),
    networkFormat(opts.format, opts.quiet),
    NETWORK_HEADER,
  );
}

export const networkLsCommand = defineCommand({
  name: 'ls',
  aliases: ['list'],
  usage: '[OPTIONS]',
  description: 'List networks',
  flags: {
    filter: filterFlag('Provide filter values (e.g. "driver=bridge")'),
    format: formatFlag(),
    'no-trunc': { type: 'bool', usage: 'Do not truncate the output' },
    quiet: { type: 'bool', short: 'q', usage: 'Only display network IDs' },
  },
  args: noArgs,
  async run(ctx) {
    const networks = await withDaemon(() =>
      apiClient(ctx).json<NetworkSummary[]>('GET', '/networks', { query: { filters: filtersJSON(parseFilters(ctx.flags.filter)) } }),
    );
    let format = ctx.flags.format;
    if (format === '') {
      const configured = readCliConfig(ctx.global.config).networksFormat;
      format = typeof configured === 'string' && configured !== '' && !ctx.flags.quiet ? configured : 'table';
    }
    ctx.stdout.write(renderNetworks(networks ?? [], { format, quiet: ctx.flags.quiet, trunc: !ctx.flags['no-trunc'] }));
    return 0;
  },
});
