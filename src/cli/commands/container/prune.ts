// berth container prune: POST /containers/prune after docker's [y/N]
// prompt; the deleted IDs and the reclaimed space (docker/cli prune.go).
import { defineCommand, noArgs } from '../../command.js';
import { readCliConfig } from '../../client/contexts.js';
import { apiClient, withDaemon } from '../../session.js';
import { addFilter, filterFlag, filtersJSON, parseFilters, promptForConfirmation } from '../../shared-options.js';
import { humanSize } from '../../units.js';

const WARNING = 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?';

export const containerPruneCommand = defineCommand({
  name: 'prune',
  usage: '[OPTIONS]',
  description: 'Remove all stopped containers',
  flags: {
    filter: filterFlag('Provide filter values (e.g. "until=<timestamp>")', null),
    force: { type: 'bool', short: 'f', usage: 'Do not prompt for confirmation' },
  },
  args: noArgs,
  async run(ctx) {
    const filters = parseFilters(ctx.flags.filter);
    // command.PruneFilters: config.json's pruneFilters join the command line's.
    const configured = readCliConfig(ctx.global.config).pruneFilters;
    if (Array.isArray(configured)) {
      for (const entry of configured) {
        if (typeof entry !== 'string') continue;
        const eq = entry.indexOf('=');
        if (eq < 0) continue;
        const name = entry.slice(0, eq);
        const value = entry.slice(eq + 1);
        if ((name === 'label' || name === 'label!') && (filters.get('label')?.has(value) || filters.get('label!')?.has(value))) continue;
        addFilter(filters, name, value);
      }
    }
    if (!ctx.flags.force && !(await promptForConfirmation(ctx.stdout, WARNING))) return 0;
    const report = await withDaemon(() =>
      apiClient(ctx).json<{ ContainersDeleted?: string[] | null; SpaceReclaimed?: number }>('POST', '/containers/prune', {
        query: { filters: filtersJSON(filters) },
      }),
    );
    let reclaimed = 0;
    const deleted = report.ContainersDeleted ?? [];
    if (deleted.length > 0) {
      ctx.stdout.write(`Deleted Containers:\n${deleted.map((id) => `${id}\n`).join('')}\n`);
      reclaimed = report.SpaceReclaimed ?? 0;
    }
    ctx.stdout.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
});
