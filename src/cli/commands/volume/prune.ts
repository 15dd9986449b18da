// berth volume prune: POST /volumes/prune (anonymous volumes, or all with -a)
// after docker's prompt; prints what went and the space reclaimed.
import { defineCommand, noArgs, StatusError } from '../../command.js';
import { readCliConfig } from '../../client/contexts.js';
import { apiClient, withDaemon } from '../../session.js';
import { addFilter, filterFlag, filtersJSON, parseFilters, promptForConfirmation, pruneFilters } from '../../shared-options.js';
import { humanSize } from '../../units.js';

const UNUSED_WARNING = 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?';
const ALL_WARNING = 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue?';

/** Prunes volumes; the report text and bytes reclaimed, or undefined when the user declined. */
export async function pruneVolumes(
  out: { write(s: string): unknown },
  client: ReturnType<typeof apiClient>,
  opts: { all: boolean; force: boolean; filters: readonly string[]; configDir: string },
): Promise<{ output: string; reclaimed: number } | undefined> {
  const filters = pruneFilters(parseFilters(opts.filters), readCliConfig(opts.configDir));
  let warning = UNUSED_WARNING;
  if (opts.all) {
    if (filters.has('all')) throw new StatusError('conflicting options: cannot specify both --all and --filter all=1', 1);
    addFilter(filters, 'all', 'true');
    warning = ALL_WARNING;
  }
  if (!opts.force && !(await promptForConfirmation(out, warning))) return undefined;
  const report = await withDaemon(() =>
    client.json<{ VolumesDeleted?: string[] | null; SpaceReclaimed?: number }>('POST', '/volumes/prune', { query: { filters: filtersJSON(filters) } }),
  );
  const deleted = report?.VolumesDeleted ?? [];
  return {
    output: deleted.length > 0 ? `Deleted Volumes:\n${deleted.map((name) => `${name}\n`).join('')}` : '',
    reclaimed: report?.SpaceReclaimed ?? 0,
  };
}

export const volumePruneCommand = defineCommand({
  name: 'prune',
  usage: '[OPTIONS]',
  description: 'Remove unused local volumes',
  flags: {
    all: { type: 'bool', short: 'a', usage: 'Remove all unused volumes, not just anonymous ones' },
    filter: filterFlag('Provide filter values (e.g. "label=<label>")', null),
    force: { type: 'bool', short: 'f', usage: 'Do not prompt for confirmation' },
  },
  args: noArgs,
  async run(ctx) {
    const result = await pruneVolumes(ctx.stdout, apiClient(ctx), {
      all: ctx.flags.all,
      force: ctx.flags.force,
      filters: ctx.flags.filter,
      configDir: ctx.global.config,
    });
    if (!result) return 0;
    if (result.output !== '') ctx.stdout.write(`${result.output}\n`);
    ctx.stdout.write(`Total reclaimed space: ${humanSize(result.reclaimed)}\n`);
    return 0;
  },
});
