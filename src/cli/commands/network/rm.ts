// berth network rm: DELETE /networks/{id} for each, printing the names removed;
// errors on stderr as they come, exit 1 at the end (-f ignores missing ones).
import { defineCommand, minArgs, StatusError } from '../../command.js';
import { ApiError } from '../../client/api-client.js';
import { apiClient, daemonError } from '../../session.js';
import { pathEscape } from '../../shared-options.js';

export const networkRmCommand = defineCommand({
  name: 'rm',
  aliases: ['remove'],
  usage: 'NETWORK [NETWORK...]',
  description: 'Remove one or more networks',
  flags: {
    force: { type: 'bool', short: 'f', usage: 'Do not error if the network does not exist' },
  },
  args: minArgs(1),
  async run(ctx) {
    const client = apiClient(ctx);
    let status = 0;
    for (const name of ctx.args) {
      try {
        await client.call('DELETE', `/networks/${pathEscape(name)}`);
      } catch (err) {
        if (ctx.flags.force && err instanceof ApiError && err.status === 404) continue;
        ctx.stderr.write(`${daemonError(err).status}\n`);
        status = 1;
        continue;
      }
      ctx.stdout.write(`${name}\n`);
    }
    if (status !== 0) throw new StatusError(`exit status ${status}`, status);
    return 0;
  },
});
