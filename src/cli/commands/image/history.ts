// berth image history / berth history: GET /images/{name}/history rendered
// as docker's history formatter does (sizes and dates human by default,
// CREATED BY cut to 45 columns unless --no-trunc).
import { defineCommand, exactArgs } from '../../command.js';
import { apiClient, withDaemon } from '../../session.js';
import { ellipsis, formatFlag, listing, markEscapedJSON, pathEscape } from '../../shared-options.js';
import { goRfc3339Local, humanSizeWithPrecision, timeAgo } from '../../units.js';
import { truncateID } from './ls.js';

/** One entry of GET /images/{name}/history (image.HistoryResponseItem). */
export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags?: string[] | null;
  Size: number;
  Comment: string;
}

const HUMAN_TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const NON_HUMAN_TABLE = 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

const HISTORY_HEADER = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

/** docker's historyContext. */
export class HistoryRow {
  readonly #item: HistoryItem;
  readonly #trunc: boolean;
  readonly #human: boolean;
  constructor(item: HistoryItem, trunc: boolean, human: boolean) {
    this.#item = item;
    this.#trunc = trunc;
    this.#human = human;
    markEscapedJSON(this);
  }
  ID(): string {
    return this.#trunc ? truncateID(this.#item.Id) : this.#item.Id;
  }
  CreatedAt(): string {
    return goRfc3339Local(new Date(this.#item.Created * 1000));
  }
  CreatedSince(): string {
    return this.#human ? timeAgo(new Date(this.#item.Created * 1000)) : this.CreatedAt();
  }
  CreatedBy(): string {
    const createdBy = this.#item.CreatedBy.replaceAll('\t', ' ');
    return this.#trunc ? ellipsis(createdBy, 45) : createdBy;
  }
  Size(): string {
    return this.#human ? humanSizeWithPrecision(this.#item.Size, 3) : String(this.#item.Size);
  }
  Comment(): string {
    return this.#item.Comment;
  }
  MarshalJSON(): Record<string, string> {
    return {
      Comment: this.Comment(),
      CreatedAt: this.CreatedAt(),
      CreatedBy: this.CreatedBy(),
      CreatedSince: this.CreatedSince(),
      ID: this.ID(),
      Size: this.Size(),
    };
  }
}
Object.defineProperty(HistoryRow, 'name', { value: '*formatter.historyContext' });

/** docker's NewHistoryFormat. */
export function historyFormat(source: string, quiet: boolean, human: boolean): string {
  if (source === 'table') return quiet ? '{{.ID}}' : human ? HUMAN_TABLE : NON_HUMAN_TABLE;
  return source;
}

export function renderHistory(items: readonly HistoryItem[], opts: { format: string; quiet: boolean; human: boolean; trunc: boolean }): string {
  const rows = items.map((item) => new HistoryRow(item, opts.trunc, opts.human));
  return listing(rows, historyFormat(opts.format || 'table', opts.quiet, opts.human), HISTORY_HEADER);
}

export const imageHistoryCommand = defineCommand({
  name: 'history',
  usage: '[OPTIONS] IMAGE',
  description: 'Show the history of an image',
  flags: {
    format: formatFlag(),
    human: { type: 'bool', short: 'H', default: true, usage: 'Print sizes and dates in human readable format' },
    'no-trunc': { type: 'bool', usage: "Don't truncate output" },
    platform: { type: 'string', hidden: true, usage: 'Show history for the given platform' },
    quiet: { type: 'bool', short: 'q', usage: 'Only show image IDs' },
  },
  args: exactArgs(1),
  async run(ctx) {
    const image = ctx.args[0]!;
    const items = await withDaemon(() => apiClient(ctx).json<HistoryItem[]>('GET', `/images/${pathEscape(image)}/history`));
    ctx.stdout.write(
      renderHistory(items ?? [], { format: ctx.flags.format, quiet: ctx.flags.quiet, human: ctx.flags.human, trunc: !ctx.flags['no-trunc'] }),
    );
    return 0;
  },
});
