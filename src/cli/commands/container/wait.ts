// berth wait / berth container wait: each container's exit code, one after
// the other (docker/cli wait.go); errors printed together at the end.
import { defineCommand, minArgs, StatusError } from '../../command.js';
import { apiClient, daemonError } from '../../session.js';
import { waitContainer } from './container-api.js';

export const waitCommand = defineCommand({
  name: 'wait',
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Block until one or more containers stop, then print their exit codes',
  flags: {},
  args: minArgs(1),
  async run(ctx) {
    const client = apiClient(ctx);
    const errors: string[] = [];
    for (const name of ctx.args) {
      try {
        const result = await waitContainer(client, name).result;
        ctx.stdout.write(`${result.StatusCode}\n`);
      } catch (err) {
        errors.push(daemonError(err).status);
      }
    }
    if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
    return 0;
  },
});
