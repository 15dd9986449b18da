// berth volume ls: GET /volumes, sorted by name (natural order), rendered as
// docker's volume formatter does (docker 28 does not print the daemon's warnings).
import { defineCommand, noArgs } from '../../command.js';
import { readCliConfig } from '../../client/contexts.js';
import { apiClient, withDaemon } from '../../session.js';
import { filterFlag, filtersJSON, formatFlag, joinLabels, listing, markEscapedJSON, naturalCompare, parseFilters } from '../../shared-options.js';
import { humanSize } from '../../units.js';

/** volume.Volume, the fields listings use. */
export interface VolumeSummary {
  Name: string;
  Driver?: string;
  Mountpoint?: string;
  Scope?: string;
  Labels?: Record<string, string> | null;
  UsageData?: { Size: number; RefCount: number } | null;
}

const DEFAULT_TABLE = 'table {{.Driver}}\t{{.Name}}';
const VOLUME_HEADER = {
  Name: 'VOLUME NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  Group: 'GROUP',
  Availability: 'AVAILABILITY',
  Status: 'STATUS',
};

/** docker's volumeContext. */
export class VolumeRow {
  readonly #v: VolumeSummary;
  constructor(v: VolumeSummary) {
    this.#v = v;
    markEscapedJSON(this);
  }
  Name(): string {
    return this.#v.Name;
  }
  Driver(): string {
    return this.#v.Driver ?? '';
  }
  Scope(): string {
    return this.#v.Scope ?? '';
  }
  Mountpoint(): string {
    return this.#v.Mountpoint ?? '';
  }
  Labels(): string {
    return joinLabels(this.#v.Labels);
  }
  Label(name: string): string {
    return this.#v.Labels?.[name] ?? '';
  }
  Links(): string {
    return this.#v.UsageData ? String(this.#v.UsageData.RefCount) : 'N/A';
  }
  Size(): string {
    return this.#v.UsageData ? humanSize(this.#v.UsageData.Size) : 'N/A';
  }
  Group(): string {
    return 'N/A';
  }
  Availability(): string {
    return 'N/A';
  }
  Status(): string {
    return 'N/A';
  }
  MarshalJSON(): Record<string, string> {
    return {
      Availability: this.Availability(),
      Driver: this.Driver(),
      Group: this.Group(),
      Labels: this.Labels(),
      Links: this.Links(),
      Mountpoint: this.Mountpoint(),
      Name: this.Name(),
      Scope: this.Scope(),
      Size: this.Size(),
      Status: this.Status(),
    };
  }
}
Object.defineProperty(VolumeRow, 'name', { value: '*formatter.volumeContext' });

/** docker's NewVolumeFormat. */
export function volumeFormat(source: string, quiet: boolean): string {
  if (source === 'table') return quiet ? '{{.Name}}' : DEFAULT_TABLE;
  if (source === 'raw') return quiet ? 'name: {{.Name}}' : 'name: {{.Name}}\ndriver: {{.Driver}}\n';
  return source;
}

export function renderVolumes(volumes: readonly VolumeSummary[], opts: { format: string; quiet: boolean }): string {
  const sorted = [...volumes].sort((a, b) => naturalCompare(a.Name, b.Name));
  return listing(sorted.map((v) => new VolumeRow(v)), volumeFormat(opts.format, opts.quiet), VOLUME_HEADER);
}

export const volumeLsCommand = defineCommand({
  name: 'ls',
  aliases: ['list'],
  usage: '[OPTIONS]',
  description: 'List volumes',
  flags: {
    cluster: { type: 'bool', hidden: true, usage: 'Display only cluster volumes, and use cluster volume list formatting' },
    filter: filterFlag('Provide filter values (e.g. "dangling=true")'),
    format: formatFlag(),
    quiet: { type: 'bool', short: 'q', usage: 'Only display volume names' },
  },
  args: noArgs,
  async run(ctx) {
    const answer = await withDaemon(() =>
      apiClient(ctx).json<{ Volumes?: VolumeSummary[] | null; Warnings?: string[] | null }>('GET', '/volumes', {
        query: { filters: filtersJSON(parseFilters(ctx.flags.filter)) },
      }),
    );
    let format = ctx.flags.format;
    if (format === '') {
      const configured = readCliConfig(ctx.global.config).volumesFormat;
      format = typeof configured === 'string' && configured !== '' && !ctx.flags.quiet ? configured : 'table';
    }
    ctx.stdout.write(renderVolumes(answer?.Volumes ?? [], { format, quiet: ctx.flags.quiet }));
    return 0;
  },
});
