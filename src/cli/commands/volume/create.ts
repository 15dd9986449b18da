// berth volume create: POST /volumes/create; prints the volume's name.
import { defineCommand, maxArgs, StatusError } from '../../command.js';
import { apiClient, withDaemon } from '../../session.js';
import { kvStringsToMap, sortedRecord } from '../../shared-options.js';

export const volumeCreateCommand = defineCommand({
  name: 'create',
  usage: '[OPTIONS] [VOLUME]',
  description: 'Create a volume',
  flags: {
    driver: { type: 'string', short: 'd', default: 'local', usage: 'Specify volume driver name' },
    label: { type: 'list', usage: 'Set metadata for a volume' },
    name: { type: 'string', hidden: true, usage: 'Specify volume name' },
    opt: { type: 'map', short: 'o', usage: 'Set driver specific options' },
  },
  args: maxArgs(1),
  async run(ctx) {
    let name = ctx.flags.name;
    if (ctx.args.length === 1) {
      if (name !== '') throw new StatusError('conflicting options: cannot specify a volume-name through both --name and as a positional arg', 1);
      name = ctx.args[0]!;
    }
    const body = {
      Driver: ctx.flags.driver,
      DriverOpts: sortedRecord(ctx.flags.opt),
      Labels: kvStringsToMap(ctx.flags.label),
      Name: name,
    };
    const volume = await withDaemon(() => apiClient(ctx).json<{ Name: string }>('POST', '/volumes/create', { body }));
    ctx.stdout.write(`${volume?.Name ?? ''}\n`);
    return 0;
  },
});
