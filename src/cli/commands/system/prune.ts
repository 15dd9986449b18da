// berth system prune: docker's confirmation listing what goes, then
// containers, networks, volumes (--volumes), images (dangling, or all with -a)
// and build cache are pruned in docker's order; each report, then the total.
import { defineCommand, noArgs, StatusError } from '../../command.js';
import { readCliConfig } from '../../client/contexts.js';
import { Template } from '../../format/index.js';
import { apiClient, withDaemon } from '../../session.js';
import { filterFlag, filtersJSON, naturalCompare, parseFilters, promptForConfirmation, pruneFilters } from '../../shared-options.js';
import { humanSize } from '../../units.js';
import { pruneImages } from '../image/prune.js';
import { pruneNetworks } from '../network/prune.js';
import { pruneVolumes } from '../volume/prune.js';

// docker's confirmationTemplate (cli/command/system/prune.go)
const CONFIRMATION_TEMPLATE = `WARNING! This will remove:
{{- range $_, $warning := .warnings }}
  - {{ $warning }}
{{- end }}
{{if .filters}}
  Items to be pruned will be filtered with:
{{- range $_, $filters := .filters }}
  - {{ $filters }}
{{- end }}
{{end}}
Are you sure you want to continue?`;

export function confirmationMessage(opts: { volumes: boolean; all: boolean; buildCache: boolean; filters: ReturnType<typeof parseFilters> }): string {
  const warnings = ['all stopped containers', 'all networks not used by at least one container'];
  if (opts.volumes) warnings.push('all anonymous volumes not used by at least one container');
  warnings.push(opts.all ? 'all images without at least one container associated to them' : 'all dangling images');
  if (opts.buildCache) warnings.push(opts.all ? 'all build cache' : 'unused build cache');
  const filters: string[] = [];
  for (const name of ['label', 'label!', 'until']) for (const v of opts.filters.get(name) ?? []) filters.push(`${name}=${v}`);
  filters.sort(naturalCompare);
  return Template.parse(CONFIRMATION_TEMPLATE, { name: 'confirmation message' }).execute({ warnings, filters: filters.length > 0 ? filters : null });
}

export const systemPruneCommand = defineCommand({
  name: 'prune',
  usage: '[OPTIONS]',
  description: 'Remove unused data',
  flags: {
    all: { type: 'bool', short: 'a', usage: 'Remove all unused images not just dangling ones' },
    filter: filterFlag('Provide filter values (e.g. "label=<key>=<value>")', null),
    force: { type: 'bool', short: 'f', usage: 'Do not prompt for confirmation' },
    volumes: { type: 'bool', usage: 'Prune anonymous volumes' },
  },
  args: noArgs,
  async run(ctx) {
    const given = parseFilters(ctx.flags.filter);
    if (ctx.flags.volumes && given.has('until')) throw new StatusError('ERROR: The "until" filter is not supported with "--volumes"', 1);
    const config = readCliConfig(ctx.global.config);
    if (!ctx.flags.force) {
      const message = confirmationMessage({ volumes: ctx.flags.volumes, all: ctx.flags.all, buildCache: true, filters: pruneFilters(parseFilters(ctx.flags.filter), config) });
      if (!(await promptForConfirmation(ctx.stdout, message))) return 0;
    }
    const client = apiClient(ctx);
    let reclaimed = 0;
    const report = (output: string): void => {
      if (output !== '') ctx.stdout.write(`${output}\n`);
    };

    const containerFilters = filtersJSON(pruneFilters(parseFilters(ctx.flags.filter), config));
    const containers = await withDaemon(() =>
      client.json<{ ContainersDeleted?: string[] | null; SpaceReclaimed?: number }>('POST', '/containers/prune', { query: { filters: containerFilters } }),
    );
    reclaimed += containers?.SpaceReclaimed ?? 0;
    const deletedContainers = containers?.ContainersDeleted ?? [];
    report(deletedContainers.length > 0 ? `Deleted Containers:\n${deletedContainers.map((id) => `${id}\n`).join('')}` : '');

    report((await pruneNetworks(ctx.stdout, client, { force: true, filters: ctx.flags.filter, configDir: ctx.global.config })) ?? '');

    if (ctx.flags.volumes) {
      const volumes = await pruneVolumes(ctx.stdout, client, { all: false, force: true, filters: ctx.flags.filter, configDir: ctx.global.config });
      reclaimed += volumes?.reclaimed ?? 0;
      report(volumes?.output ?? '');
    }

    const images = await pruneImages(ctx, client, { all: ctx.flags.all, force: true, filters: ctx.flags.filter, configDir: ctx.global.config });
    reclaimed += images?.reclaimed ?? 0;
    report(images?.output ?? '');

    const cacheFilters = filtersJSON(pruneFilters(parseFilters(ctx.flags.filter), config));
    const cache = await withDaemon(() =>
      client.json<{ CachesDeleted?: string[] | null; SpaceReclaimed?: number }>('POST', '/build/prune', {
        query: { all: ctx.flags.all ? '1' : undefined, filters: cacheFilters },
      }),
    );
    reclaimed += cache?.SpaceReclaimed ?? 0;
    const caches = cache?.CachesDeleted ?? [];
    report(caches.length > 0 ? `Deleted build cache objects:\n${caches.map((id) => `${id}\n`).join('')}` : '');

    ctx.stdout.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
});
