// berth image prune: POST /images/prune with dangling=true (or false with
// -a), after docker's confirmation prompt; prints what went and the space
// reclaimed.
import { defineCommand, noArgs } from '../../command.js';
import { apiClient, withDaemon } from '../../session.js';
import { readCliConfig } from '../../client/contexts.js';
import { addFilter, filterFlag, filtersJSON, parseFilters, promptForConfirmation, pruneFilters } from '../../shared-options.js';
import { humanSize } from '../../units.js';

const DANGLING_WARNING = 'WARNING! This will remove all dangling images.\nAre you sure you want to continue?';
const ALL_WARNING = 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?';

interface ImagesPruneReport {
  ImagesDeleted?: Array<{ Untagged?: string; Deleted?: string }> | null;
  SpaceReclaimed?: number;
}

/** Prunes images as docker's image prune does; returns the report text (without the total) and bytes reclaimed, or undefined when declined. */
export async function pruneImages(
  ctx: { stdout: { write(s: string): unknown } },
  client: ReturnType<typeof apiClient>,
  opts: { all: boolean; force: boolean; filters: readonly string[]; configDir: string },
): Promise<{ output: string; reclaimed: number } | undefined> {
  const filters = pruneFilters(parseFilters(opts.filters), readCliConfig(opts.configDir));
  addFilter(filters, 'dangling', String(!opts.all));
  if (!opts.force && !(await promptForConfirmation(ctx.stdout, opts.all ? ALL_WARNING : DANGLING_WARNING))) return undefined;
  const report = await withDaemon(() => client.json<ImagesPruneReport>('POST', '/images/prune', { query: { filters: filtersJSON(filters) } }));
  let output = '';
  const deleted = report?.ImagesDeleted ?? [];
  if (deleted.length > 0) {
    output = 'Deleted Images:\n';
    for (const item of deleted) output += item.Untagged ? `untagged: ${item.Untagged}\n` : `deleted: ${item.Deleted ?? ''}\n`;
  }
  return { output, reclaimed: report?.SpaceReclaimed ?? 0 };
}

export const imagePruneCommand = defineCommand({
  name: 'prune',
  usage: '[OPTIONS]',
  description: 'Remove unused images',
  flags: {
    all: { type: 'bool', short: 'a', usage: 'Remove all unused images, not just dangling ones' },
    filter: filterFlag('Provide filter values (e.g. "until=<timestamp>")', null),
    force: { type: 'bool', short: 'f', usage: 'Do not prompt for confirmation' },
  },
  args: noArgs,
  async run(ctx) {
    const result = await pruneImages(ctx, apiClient(ctx), { all: ctx.flags.all, force: ctx.flags.force, filters: ctx.flags.filter, configDir: ctx.global.config });
    if (!result) return 0;
    if (result.output !== '') ctx.stdout.write(`${result.output}\n`);
    ctx.stdout.write(`Total reclaimed space: ${humanSize(result.reclaimed)}\n`);
    return 0;
  },
});
