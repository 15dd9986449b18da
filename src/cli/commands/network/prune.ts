// berth network prune: POST /networks/prune after docker's prompt; prints the
// networks removed.
import { defineCommand, noArgs } from '../../command.js';
import { readCliConfig } from '../../client/contexts.js';
import { apiClient, withDaemon } from '../../session.js';
import { filterFlag, filtersJSON, parseFilters, promptForConfirmation, pruneFilters } from '../../shared-options.js';

const WARNING = 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?';

/** Prunes networks; the report text, or undefined when the user declined. */
export async function pruneNetworks(
  out: { write(s: string): unknown },
  client: ReturnType<typeof apiClient>,
  opts: { force: boolean; filters: readonly string[]; configDir: string },
): Promise<string | undefined> {
  const filters = pruneFilters(parseFilters(opts.filters), readCliConfig(opts.configDir));
  if (!opts.force && !(await promptForConfirmation(out, WARNING))) return undefined;
  const report = await withDaemon(() => client.json<{ NetworksDeleted?: string[] | null }>('POST', '/networks/prune', { query: { filters: filtersJSON(filters) } }));
  const deleted = report?.NetworksDeleted ?? [];
  return deleted.length > 0 ? `Deleted Networks:\n${deleted.map((id) => `${id}\n`).join('')}` : '';
}

export const networkPruneCommand = defineCommand({
  name: 'prune',
  usage: '[OPTIONS]',
  description: 'Remove all unused networks',
  flags: {
    filter: filterFlag('Provide filter values (e.g. "until=<timestamp>")', null),
    force: { type: 'bool', short: 'f', usage: 'Do not prompt for confirmation' },
  },
  args: noArgs,
  async run(ctx) {
    const output = await pruneNetworks(ctx.stdout, apiClient(ctx), { force: ctx.flags.force, filters: ctx.flags.filter, configDir: ctx.global.config });
    if (output) ctx.stdout.write(`${output}\n`);
    return 0;
  },
});
