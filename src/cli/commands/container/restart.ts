// berth restart / berth container restart: POST /containers/{id}/restart,
// one container after the other (docker/cli restart.go).
import { defineCommand, minArgs, StatusError } from '../../command.js';
import { apiClient, daemonError } from '../../session.js';
import { containerPath } from './container-api.js';
import { stopFlags, stopQuery } from './stop.js';

export const restartCommand = defineCommand({
  name: 'restart',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Restart one or more containers',
  flags: stopFlags,
  args: minArgs(1),
  async run(ctx) {
    const client = apiClient(ctx);
    const query = stopQuery(ctx.flags, ctx.changed);
    const errors: string[] = [];
    for (const name of ctx.args) {
      try {
        await client.call('POST', containerPath(name, '/restart'), { query });
        ctx.stdout.write(`${name}\n`);
      } catch (err) {
        errors.push(daemonError(err).status);
      }
    }
    if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
    return 0;
  },
});
