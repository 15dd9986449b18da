// berth volume rm: DELETE /volumes/{name} for each; names removed on stdout,
// errors on stderr, exit 1 at the end when any failed.
import { defineCommand, minArgs, StatusError } from '../../command.js';
import { apiClient, daemonError } from '../../session.js';
import { pathEscape } from '../../shared-options.js';

export const volumeRmCommand = defineCommand({
  name: 'rm',
  aliases: ['remove'],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  description: 'Remove one or more volumes',
  long: 'Remove one or more volumes. You cannot remove a volume that is in use by a container.',
  flags: {
    force: { type: 'bool', short: 'f', usage: 'Force the removal of one or more volumes' },
  },
  args: minArgs(1),
  async run(ctx) {
    const client = apiClient(ctx);
    let status = 0;
    for (const name of ctx.args) {
      try {
        await client.call('DELETE', `/volumes/${pathEscape(name)}`, { query: { force: ctx.flags.force ? '1' : undefined } });
      } catch (err) {
        ctx.stderr.write(`${daemonError(err).status}\n`);
        status = 1;
        continue;
      }
      ctx.stdout.write(`${name}\n`);
    }
    if (status !== 0) throw new StatusError('', status);
    return 0;
  },
});
