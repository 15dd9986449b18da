// berth rm / berth container rm: DELETE /containers/{id}?force=&v=&link=,
// concurrently; with --force a missing container is reported but not an
// error (docker/cli rm.go).
import { ApiError } from '../../client/api-client.js';
import { defineCommand, minArgs, StatusError } from '../../command.js';
import { apiClient, daemonError } from '../../session.js';
import { containerPath } from './container-api.js';

export const rmCommand = defineCommand({
  name: 'rm',
  aliases: ['remove'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Remove one or more containers',
  flags: {
    force: { type: 'bool', short: 'f', usage: 'Force the removal of a running container (uses SIGKILL)' },
    link: { type: 'bool', short: 'l', usage: 'Remove the specified link' },
    volumes: { type: 'bool', short: 'v', usage: 'Remove anonymous volumes associated with the container' },
  },
  args: minArgs(1),
  async run(ctx) {
    const client = apiClient(ctx);
    const query = {
      v: ctx.flags.volumes ? '1' : undefined,
      link: ctx.flags.link ? '1' : undefined,
      force: ctx.flags.force ? '1' : undefined,
    };
    const outcomes = ctx.args.map(async (given) => {
      const name = given.replace(/^\/+|\/+$/g, '');
      if (name === '') throw new Error('container name cannot be empty');
      await client.call('DELETE', containerPath(name), { query });
    });
    const errors: string[] = [];
    for (const [i, outcome] of outcomes.entries()) {
      try {
        await outcome;
        ctx.stdout.write(`${ctx.args[i]}\n`);
      } catch (err) {
        if (ctx.flags.force && err instanceof ApiError && err.status === 404) {
          ctx.stderr.write(`${daemonError(err).status}\n`);
          continue;
        }
        errors.push(daemonError(err).status);
      }
    }
    if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
    return 0;
  },
});
