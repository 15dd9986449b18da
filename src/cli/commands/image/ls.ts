// berth image ls / berth images: GET /images/json rendered as docker's image
// formatter does (docker/cli cli/command/formatter/image.go behaviour): one
// row per repository:tag (and per digest with --digests), `<none>` for
// untagged images, sizes in go-units with 3 significant digits.
import { defineCommand, maxArgs, StatusError } from '../../command.js';
import { readCliConfig } from '../../client/contexts.js';
import { FormatError, formatList } from '../../format/index.js';
import { apiClient, withDaemon } from '../../session.js';
import { addFilter, filterFlag, filtersJSON, formatFlag, LISTING_FUNCTIONS, markEscapedJSON, parseFilters } from '../../shared-options.js';
import { goLocalTimeString, humanSize, humanSizeWithPrecision, timeAgo } from '../../units.js';
import { parseNormalizedNamed } from '../../../image/reference.js';

/** One entry of GET /images/json (image.Summary). */
export interface ImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created: number;
  Size: number;
  SharedSize?: number;
  VirtualSize?: number;
  Labels?: Record<string, string> | null;
  Containers?: number;
}

const DEFAULT_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
const DEFAULT_TABLE_WITH_DIGEST =
  'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
const RAW = 'repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';
const RAW_WITH_DIGEST =
  'repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';

export const IMAGE_HEADER = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

/** docker's stringid.TruncateID: the hex of an ID, first 12 characters. */
export function truncateID(id: string): string {
  const colon = id.indexOf(':');
  const hex = colon >= 0 ? id.slice(colon + 1) : id;
  return hex.length > 12 ? hex.slice(0, 12) : hex;
}

/** docker's NewImageFormat. */
export function imageFormat(source: string, quiet: boolean, digest: boolean): string {
  if (source === 'table') return quiet ? '{{.ID}}' : digest ? DEFAULT_TABLE_WITH_DIGEST : DEFAULT_TABLE;
  if (source === 'raw') return quiet ? 'image_id: {{.ID}}' : digest ? RAW_WITH_DIGEST : RAW;
  if (source.startsWith('table') && digest && !source.includes('{{.Digest}}')) return `${source}\t{{.Digest}}`;
  return source;
}

/** A row of the listing: docker's imageContext (its fields are methods). */
export class ImageRow {
  readonly #image: ImageSummary;
  readonly #trunc: boolean;
  readonly #repo: string;
  readonly #tag: string;
  readonly #digest: string;

  constructor(image: ImageSummary, trunc: boolean, repo: string, tag: string, digest: string) {
    this.#image = image;
    this.#trunc = trunc;
    this.#repo = repo;
    this.#tag = tag;
    this.#digest = digest;
    markEscapedJSON(this);
  }

  ID(): string {
    return this.#trunc ? truncateID(this.#image.Id) : this.#image.Id;
  }
  Repository(): string {
    return this.#repo;
  }
  Tag(): string {
    return this.#tag;
  }
  Digest(): string {
    return this.#digest;
  }
  CreatedSince(): string {
    return timeAgo(new Date(this.#image.Created * 1000));
  }
  CreatedAt(): string {
    return goLocalTimeString(new Date(this.#image.Created * 1000));
  }
  Size(): string {
    return humanSizeWithPrecision(this.#image.Size, 3);
  }
  Containers(): string {
    const n = this.#image.Containers ?? -1;
    return n === -1 ? 'N/A' : String(n);
  }
  VirtualSize(): string {
    return humanSize(this.#image.VirtualSize ?? this.#image.Size);
  }
  SharedSize(): string {
    const shared = this.#image.SharedSize ?? -1;
    return shared === -1 ? 'N/A' : humanSize(shared);
  }
  UniqueSize(): string {
    const shared = this.#image.SharedSize ?? -1;
    return shared === -1 ? 'N/A' : humanSize(this.#image.Size - shared);
  }
  /** formatter.MarshalJSON: every field, keys sorted. */
  MarshalJSON(): Record<string, string> {
    return {
      Containers: this.Containers(),
      CreatedAt: this.CreatedAt(),
      CreatedSince: this.CreatedSince(),
      Digest: this.Digest(),
      ID: this.ID(),
      Repository: this.Repository(),
      SharedSize: this.SharedSize(),
      Size: this.Size(),
      Tag: this.Tag(),
      UniqueSize: this.UniqueSize(),
      VirtualSize: this.VirtualSize(),
    };
  }
}
Object.defineProperty(ImageRow, 'name', { value: '*formatter.imageContext' });

function familiar(refString: string): { repo: string; tag?: string; digest?: string } | undefined {
  try {
    const ref = parseNormalizedNamed(refString);
    const f = ref.familiar();
    return { repo: f.name, tag: ref.tag, digest: ref.digest };
  } catch {
    return undefined;
  }
}

/** docker's imageFormat: the rows one image gives. */
export function imageRows(image: ImageSummary, opts: { trunc: boolean; digest: boolean }): ImageRow[] {
  const repoTags = new Map<string, string[]>();
  const repoDigests = new Map<string, string[]>();
  for (const refString of image.RepoTags ?? []) {
    const ref = familiar(refString);
    if (!ref || ref.tag === undefined || ref.digest !== undefined) continue;
    repoTags.set(ref.repo, [...(repoTags.get(ref.repo) ?? []), ref.tag]);
  }
  for (const refString of image.RepoDigests ?? []) {
    const ref = familiar(refString);
    if (!ref || ref.digest === undefined) continue;
    repoDigests.set(ref.repo, [...(repoDigests.get(ref.repo) ?? []), ref.digest]);
  }
  const rows: ImageRow[] = [];
  for (const [repo, tags] of repoTags) {
    let digests = repoDigests.get(repo) ?? [];
    repoDigests.delete(repo);
    if (!opts.digest) digests = [];
    for (const tag of tags) {
      if (digests.length === 0) rows.push(new ImageRow(image, opts.trunc, repo, tag, '<none>'));
      else for (const digest of digests) rows.push(new ImageRow(image, opts.trunc, repo, tag, digest));
    }
  }
  for (const [repo, digests] of repoDigests) {
    if (opts.digest) for (const digest of digests) rows.push(new ImageRow(image, opts.trunc, repo, '<none>', digest));
    else rows.push(new ImageRow(image, opts.trunc, repo, '<none>', ''));
  }
  if (rows.length === 0) rows.push(new ImageRow(image, opts.trunc, '<none>', '<none>', '<none>'));
  return rows;
}

/** The listing text for images, as docker prints it. */
export function renderImages(images: readonly ImageSummary[], opts: { format: string; quiet: boolean; digest: boolean; trunc: boolean }): string {
  const rows = images.flatMap((image) => imageRows(image, opts));
  return formatList(rows, imageFormat(opts.format, opts.quiet, opts.digest), { header: IMAGE_HEADER, parse: { funcs: LISTING_FUNCTIONS } });
}

export const imageLsCommand = defineCommand({
  name: 'ls',
  aliases: ['list'],
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  description: 'List images',
  flags: {
    all: { type: 'bool', short: 'a', usage: 'Show all images (default hides intermediate images)' },
    digests: { type: 'bool', usage: 'Show digests' },
    filter: filterFlag('Filter output based on conditions provided'),
    format: formatFlag(),
    'no-trunc': { type: 'bool', usage: "Don't truncate output" },
    quiet: { type: 'bool', short: 'q', usage: 'Only show image IDs' },
    tree: { type: 'bool', usage: 'List multi-platform images as a tree (EXPERIMENTAL)' },
  },
  args: maxArgs(1),
  async run(ctx) {
    if (ctx.flags.tree) throw new StatusError(`${ctx.binName}: --tree is not supported`, 1);
    const filters = parseFilters(ctx.flags.filter);
    if (ctx.args[0] !== undefined) addFilter(filters, 'reference', ctx.args[0]);
    let format = ctx.flags.format;
    if (format === '') {
      const configured = readCliConfig(ctx.global.config).imagesFormat;
      format = typeof configured === 'string' && configured !== '' && !ctx.flags.quiet ? configured : 'table';
    }
    const images = await withDaemon(() =>
      apiClient(ctx).json<ImageSummary[]>('GET', '/images/json', {
        query: { all: ctx.flags.all ? '1' : undefined, filters: filtersJSON(filters) },
      }),
    );
    try {
      ctx.stdout.write(renderImages(images ?? [], { format, quiet: ctx.flags.quiet, digest: ctx.flags.digests, trunc: !ctx.flags['no-trunc'] }));
    } catch (err) {
      if (err instanceof FormatError) throw new StatusError(err.message, err.exitCode);
      throw err;
    }
    return 0;
  },
});
