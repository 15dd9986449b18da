// berth create / berth container create: POST /containers/create from
// docker's run flags, pulling a missing image first (docker/cli create.go).
import { defineCommand, minArgs, StatusError } from '../../command.js';
import { apiClient, daemonError } from '../../session.js';
import { ttySize } from '../../tty.js';
import { createFlags } from './create-flags.js';
import { createContainer, CreateError, prepareCreate } from './create-flow.js';

export const createCommand = defineCommand({
  name: 'create',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create a new container',
  flags: createFlags,
  args: minArgs(1),
  interspersed: false,
  async run(ctx) {
    const client = apiClient(ctx);
    const { body } = prepareCreate(ctx, 'create', ctx.flags, client.hostDescription);
    let id: string;
    try {
      id = await createContainer(ctx, client, body, {
        name: ctx.flags.name,
        platform: ctx.flags.platform || (ctx.io.env.DOCKER_DEFAULT_PLATFORM ?? ''),
        pull: ctx.flags.pull,
        quiet: ctx.flags.quiet,
        consoleSize: ttySize(),
      });
    } catch (err) {
      if (err instanceof CreateError) throw new StatusError(err.message, 1);
      throw daemonError(err);
    }
    ctx.stdout.write(`${id}\n`);
    return 0;
  },
});
