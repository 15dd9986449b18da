// berth system df: GET /system/df summarised as docker's disk usage table
// (TYPE TOTAL ACTIVE SIZE RECLAIMABLE), or per object with -v.
import { defineCommand, noArgs } from '../../command.js';
import { formatList, FormatError } from '../../format/index.js';
import { goQuote } from '../../flags.js';
import { StatusError } from '../../command.js';
import { apiClient, withDaemon } from '../../session.js';
import { ellipsis, formatFlag, LISTING_FUNCTIONS, markEscapedJSON } from '../../shared-options.js';
import { goLocalTimeString, humanSize, humanSizeWithPrecision, timeAgo } from '../../units.js';
import { ImageRow, truncateID, type ImageSummary } from '../image/ls.js';
import { parseNormalizedNamed } from '../../../image/reference.js';

interface ContainerSummary {
  Id: string;
  Names?: string[] | null;
  Image?: string;
  Command?: string;
  Created?: number;
  State?: string;
  Status?: string;
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts?: Array<{ Type?: string; Driver?: string }> | null;
}

interface VolumeSummary {
  Name: string;
  UsageData?: { Size: number; RefCount: number } | null;
}

interface BuildCacheRecord {
  ID: string;
  Type?: string;
  Description?: string;
  InUse?: boolean;
  Shared?: boolean;
  Size?: number;
  CreatedAt?: string;
  LastUsedAt?: string | null;
  UsageCount?: number;
  Parents?: string[] | null;
}

interface DiskUsage {
  LayersSize?: number;
  Images?: ImageSummary[] | null;
  Containers?: ContainerSummary[] | null;
  Volumes?: VolumeSummary[] | null;
  BuildCache?: BuildCacheRecord[] | null;
}

const SUMMARY_TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const SUMMARY_RAW = 'type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\nreclaimable: {{.Reclaimable}}\n';
const SUMMARY_HEADER = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

function percentOf(reclaimable: number, total: number): string {
  return total > 0 ? `${humanSize(reclaimable)} (${Math.trunc((reclaimable * 100) / total)}%)` : humanSize(reclaimable);
}

const isActive = (c: ContainerSummary): boolean => /running|paused|restarting/.test(c.State ?? '');

/** One row of the summary (docker's diskUsage*Context). */
class SummaryRow {
  readonly #type: string;
  readonly #total: number;
  readonly #active: number;
  readonly #size: string;
  readonly #reclaimable: string;
  constructor(type: string, total: number, active: number, size: string, reclaimable: string) {
    this.#type = type;
    this.#total = total;
    this.#active = active;
    this.#size = size;
    this.#reclaimable = reclaimable;
    markEscapedJSON(this);
  }
  Type(): string {
    return this.#type;
  }
  TotalCount(): string {
    return String(this.#total);
  }
  Active(): string {
    return String(this.#active);
  }
  Size(): string {
    return this.#size;
  }
  Reclaimable(): string {
    return this.#reclaimable;
  }
  MarshalJSON(): Record<string, string> {
    return { Active: this.Active(), Reclaimable: this.Reclaimable(), Size: this.Size(), TotalCount: this.TotalCount(), Type: this.Type() };
  }
}
Object.defineProperty(SummaryRow, 'name', { value: '*formatter.diskUsageContext' });

export function summaryRows(du: DiskUsage): SummaryRow[] {
  const images = du.Images ?? [];
  const layersSize = du.LayersSize ?? 0;
  let used = 0;
  for (const i of images) {
    if ((i.Containers ?? 0) !== 0 && i.Size !== -1 && (i.SharedSize ?? -1) !== -1) used += i.Size - (i.SharedSize ?? 0);
  }
  const imageRow = new SummaryRow(
    'Images',
    images.length,
    images.filter((i) => (i.Containers ?? 0) > 0).length,
    humanSize(layersSize),
    percentOf(layersSize - used, layersSize),
  );

  const containers = du.Containers ?? [];
  let csize = 0;
  let creclaim = 0;
  for (const c of containers) {
    csize += c.SizeRw ?? 0;
    if (!isActive(c)) creclaim += c.SizeRw ?? 0;
  }
  const containerRow = new SummaryRow('Containers', containers.length, containers.filter(isActive).length, humanSize(csize), percentOf(creclaim, csize));

  const volumes = du.Volumes ?? [];
  let vsize = 0;
  let vreclaim = 0;
  let vactive = 0;
  for (const v of volumes) {
    const usage = v.UsageData;
    if (!usage) continue;
    if (usage.RefCount > 0) vactive++;
    if (usage.Size !== -1) {
      vsize += usage.Size;
      if (usage.RefCount === 0) vreclaim += usage.Size;
    }
  }
  const volumeRow = new SummaryRow('Local Volumes', volumes.length, vactive, humanSize(vsize), percentOf(vreclaim, vsize));

  const cache = du.BuildCache ?? [];
  const builderSize = builderSizeOf(cache);
  let inUse = 0;
  for (const bc of cache) if (bc.InUse && !bc.Shared) inUse += bc.Size ?? 0;
  const cacheRow = new SummaryRow('Build Cache', cache.length, cache.filter((bc) => bc.InUse).length, humanSize(builderSize), humanSize(builderSize - inUse));
  return [imageRow, containerRow, volumeRow, cacheRow];
}

function builderSizeOf(cache: readonly BuildCacheRecord[]): number {
  let size = 0;
  for (const bc of cache) if (!bc.Shared) size += bc.Size ?? 0;
  return size;
}

// ---- verbose rows ----

class DfContainerRow {
  readonly #c: ContainerSummary;
  readonly #trunc: boolean;
  constructor(c: ContainerSummary, trunc: boolean) {
    this.#c = c;
    this.#trunc = trunc;
    markEscapedJSON(this);
  }
  ID(): string {
    return this.#trunc ? truncateID(this.#c.Id) : this.#c.Id;
  }
  Image(): string {
    let image = this.#c.Image ?? '';
    if (image === '') return '<no image>';
    if (this.#trunc) {
      const id = truncateID(image);
      if (image.startsWith('sha256:') || /^[0-9a-f]{64}$/.test(image)) image = id;
    }
    return image;
  }
  Command(): string {
    const command = this.#c.Command ?? '';
    return goQuote(this.#trunc ? ellipsis(command, 20) : command);
  }
  LocalVolumes(): string {
    return String((this.#c.Mounts ?? []).filter((m) => m.Driver === 'local').length);
  }
  Size(): string {
    const srw = humanSizeWithPrecision(this.#c.SizeRw ?? 0, 3);
    const sv = humanSizeWithPrecision(this.#c.SizeRootFs ?? 0, 3);
    return this.#c.SizeRootFs ? `${srw} (virtual ${sv})` : srw;
  }
  RunningFor(): string {
    return timeAgo(new Date((this.#c.Created ?? 0) * 1000));
  }
  Status(): string {
    return this.#c.Status ?? '';
  }
  Names(): string {
    return (this.#c.Names ?? []).map((n) => n.replace(/^\//, '')).filter((n) => !n.includes('/')).join(',');
  }
  CreatedAt(): string {
    return goLocalTimeString(new Date((this.#c.Created ?? 0) * 1000));
  }
}
Object.defineProperty(DfContainerRow, 'name', { value: '*formatter.ContainerContext' });

class DfVolumeRow {
  readonly #v: VolumeSummary;
  constructor(v: VolumeSummary) {
    this.#v = v;
    markEscapedJSON(this);
  }
  Name(): string {
    return this.#v.Name;
  }
  Links(): string {
    return this.#v.UsageData ? String(this.#v.UsageData.RefCount) : 'N/A';
  }
  Size(): string {
    return this.#v.UsageData ? humanSize(this.#v.UsageData.Size) : 'N/A';
  }
}
Object.defineProperty(DfVolumeRow, 'name', { value: '*formatter.volumeContext' });

class DfCacheRow {
  readonly #b: BuildCacheRecord;
  readonly #trunc: boolean;
  constructor(b: BuildCacheRecord, trunc: boolean) {
    this.#b = b;
    this.#trunc = trunc;
    markEscapedJSON(this);
  }
  ID(): string {
    return this.#trunc ? this.#b.ID.slice(0, 12) + (this.#b.InUse ? '*' : '') : this.#b.ID + (this.#b.InUse ? '*' : '');
  }
  CacheType(): string {
    return this.#b.Type ?? '';
  }
  Size(): string {
    return humanSizeWithPrecision(this.#b.Size ?? 0, 3);
  }
  CreatedSince(): string {
    return this.#b.CreatedAt ? timeAgo(new Date(this.#b.CreatedAt)) : '';
  }
  LastUsedSince(): string {
    return this.#b.LastUsedAt ? timeAgo(new Date(this.#b.LastUsedAt)) : '';
  }
  UsageCount(): string {
    return String(this.#b.UsageCount ?? 0);
  }
  Shared(): string {
    return String(this.#b.Shared === true);
  }
}
Object.defineProperty(DfCacheRow, 'name', { value: '*formatter.buildCacheContext' });

const IMAGE_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}';
const CONTAINER_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}';
const VOLUME_TABLE = 'table {{.Name}}\t{{.Links}}\t{{.Size}}';
const CACHE_TABLE = 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}';
const IMAGE_HEADER = {
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  ID: 'IMAGE ID',
  CreatedSince: 'CREATED',
  Size: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
  Containers: 'CONTAINERS',
};
const CONTAINER_HEADER = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  LocalVolumes: 'LOCAL VOLUMES',
  Size: 'SIZE',
  RunningFor: 'CREATED',
  Status: 'STATUS',
  Names: 'NAMES',
};
const VOLUME_HEADER = { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' };
const CACHE_HEADER = {
  ID: 'CACHE ID',
  CacheType: 'CACHE TYPE',
  Size: 'SIZE',
  CreatedSince: 'CREATED',
  LastUsedSince: 'LAST USED',
  UsageCount: 'USAGE',
  Shared: 'SHARED',
};

function table(rows: unknown[], format: string, header: Record<string, string>): string {
  try {
    return formatList(rows, format, { header, parse: { funcs: LISTING_FUNCTIONS } });
  } catch (err) {
    if (err instanceof FormatError) throw new StatusError(err.message, err.exitCode);
    throw err;
  }
}

/** The first tag of an image as docker's verbose df shows it. */
function dfImageRow(image: ImageSummary): ImageRow {
  let repo = '<none>';
  let tag = '<none>';
  const first = image.RepoTags?.[0];
  const dangling = (image.RepoTags ?? []).length === 0 && (image.RepoDigests ?? []).length === 0;
  if (first !== undefined && !dangling) {
    try {
      const ref = parseNormalizedNamed(first);
      if (ref.tag !== undefined) {
        repo = ref.familiar().name;
        tag = ref.tag;
      }
    } catch {
      // docker skips the image
    }
  }
  return new ImageRow(image, true, repo, tag, '<none>');
}

export function renderVerbose(du: DiskUsage): string {
  const cache = [...(du.BuildCache ?? [])].sort((a, b) => {
    // docker's buildCacheSort: in-use first, then by last use, newest first
    if (a.InUse !== b.InUse) return a.InUse ? -1 : 1;
    return Date.parse(b.LastUsedAt ?? '') - Date.parse(a.LastUsedAt ?? '') || 0;
  });
  let out = 'Images space usage:\n\n';
  out += table((du.Images ?? []).map(dfImageRow), IMAGE_TABLE, IMAGE_HEADER);
  out += '\nContainers space usage:\n\n';
  out += table((du.Containers ?? []).map((c) => new DfContainerRow({ ...c, SizeRootFs: 0 }, true)), CONTAINER_TABLE, CONTAINER_HEADER);
  out += '\nLocal Volumes space usage:\n\n';
  out += table((du.Volumes ?? []).map((v) => new DfVolumeRow(v)), VOLUME_TABLE, VOLUME_HEADER);
  out += `\nBuild cache usage: ${humanSize(builderSizeOf(du.BuildCache ?? []))}\n\n`;
  out += table(cache.map((b) => new DfCacheRow(b, true)), CACHE_TABLE, CACHE_HEADER);
  return out;
}

export const dfCommand = defineCommand({
  name: 'df',
  usage: '[OPTIONS]',
  description: 'Show docker disk usage',
  flags: {
    format: formatFlag(),
    verbose: { type: 'bool', short: 'v', usage: 'Show detailed information on space usage' },
  },
  args: noArgs,
  async run(ctx) {
    const du = (await withDaemon(() => apiClient(ctx).json<DiskUsage>('GET', '/system/df'))) ?? {};
    const format = ctx.flags.format === '' ? 'table' : ctx.flags.format;
    if (ctx.flags.verbose && format === 'table') {
      ctx.stdout.write(renderVerbose(du));
      return 0;
    }
    if (ctx.flags.verbose) {
      // a template runs once against the four lists
      const data = {
        Images: (du.Images ?? []).map(dfImageRow),
        Containers: (du.Containers ?? []).map((c) => new DfContainerRow(c, false)),
        Volumes: (du.Volumes ?? []).map((v) => new DfVolumeRow(v)),
        BuildCache: (du.BuildCache ?? []).map((b) => new DfCacheRow(b, false)),
      };
      ctx.stdout.write(table([data], format.startsWith('table') ? format.slice(5) : format, {}));
      return 0;
    }
    const text = format === 'table' ? SUMMARY_TABLE : format === 'raw' ? SUMMARY_RAW : format;
    ctx.stdout.write(table(summaryRows(du), text, SUMMARY_HEADER));
    return 0;
  },
});
