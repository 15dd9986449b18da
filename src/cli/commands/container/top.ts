// berth top / berth container top: GET /containers/{id}/top?ps_args=, the
// processes laid out by a tab writer as docker's (minwidth 20, padding 3).
import { defineCommand, minArgs } from '../../command.js';
import { TabWriter } from '../../format/index.js';
import { apiClient, withDaemon } from '../../session.js';
import { containerPath } from './container-api.js';

interface TopResponse {
  Titles: string[] | null;
  Processes: string[][] | null;
}

export function renderTop(top: TopResponse): string {
  const tw = new TabWriter({ minwidth: 20, tabwidth: 1, padding: 3, padchar: ' ' });
  tw.write(`${(top.Titles ?? []).join('\t')}\n`);
  for (const process of top.Processes ?? []) tw.write(`${process.join('\t')}\n`);
  return tw.flush();
}

export const topCommand = defineCommand({
  name: 'top',
  usage: 'CONTAINER [ps OPTIONS]',
  description: 'Display the running processes of a container',
  flags: {},
  args: minArgs(1),
  interspersed: false,
  async run(ctx) {
    const psArgs = ctx.args.slice(1).join(' ');
    const top = await withDaemon(() =>
      apiClient(ctx).json<TopResponse>('GET', containerPath(ctx.args[0]!, '/top'), { query: { ps_args: psArgs || undefined } }),
    );
    ctx.stdout.write(renderTop(top));
    return 0;
  },
});
