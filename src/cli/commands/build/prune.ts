// berth builder prune: docker's confirmation, POST /build/prune with all,
// keep-storage and filters (always sent, empty when none, as the docker
// CLI 28 does), then the deleted cache records and the space reclaimed
// (cli/command/builder/prune.go).
import { defineCommand, noArgs } from '../../command.js';
import { readCliConfig } from '../../client/contexts.js';
import { apiClient, withDaemon } from '../../session.js';
import { filterFlag, filtersJSON, parseFilters, promptForConfirmation, pruneFilters } from '../../shared-options.js';
import { humanSize } from '../../units.js';

const NORMAL_WARNING = 'WARNING! This will remove all dangling build cache. Are you sure you want to continue?';
const ALL_CACHE_WARNING = 'WARNING! This will remove all build cache. Are you sure you want to continue?';

interface BuildCachePruneReport {
  CachesDeleted?: string[] | null;
  SpaceReclaimed?: number;
}

export const builderPruneCommand = defineCommand({
  name: 'prune',
  usage: '',
  description: 'Remove build cache',
  flags: {
    all: { type: 'bool', short: 'a', usage: 'Remove all unused build cache, not just dangling ones' },
    filter: filterFlag('Provide filter values (e.g. "until=24h")', null),
    force: { type: 'bool', short: 'f', usage: 'Do not prompt for confirmation' },
    'keep-storage': { type: 'bytes', usage: 'Amount of disk space to keep for cache' },
  },
  args: noArgs,
  async run(ctx) {
    const filters = pruneFilters(parseFilters(ctx.flags.filter), readCliConfig(ctx.global.config));
    if (!ctx.flags.force) {
      // declining is docker's "cancelled": nothing more is printed, exit 0
      if (!(await promptForConfirmation(ctx.stdout, ctx.flags.all ? ALL_CACHE_WARNING : NORMAL_WARNING))) return 0;
    }
    const keepStorage = ctx.flags['keep-storage'];
    const report = await withDaemon(() =>
      apiClient(ctx).json<BuildCachePruneReport>('POST', '/build/prune', {
        query: {
          all: ctx.flags.all ? '1' : undefined,
          filters: filtersJSON(filters) ?? '',
          'keep-storage': keepStorage !== 0 ? String(keepStorage) : undefined,
        },
      }),
    );
    const deleted = report?.CachesDeleted ?? [];
    if (deleted.length > 0) ctx.stdout.write(`Deleted build cache objects:\n${deleted.map((id) => `${id}\n`).join('')}\n`);
    ctx.stdout.write(`Total reclaimed space: ${humanSize(report?.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
});
