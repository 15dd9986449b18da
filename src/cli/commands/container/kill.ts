// berth kill / berth container kill: POST /containers/{id}/kill?signal=,
// concurrently (docker/cli kill.go).
import { defineCommand, minArgs } from '../../command.js';
import { apiClient } from '../../session.js';
import { containerPath, forEachContainer } from './container-api.js';

export const killCommand = defineCommand({
  name: 'kill',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Kill one or more running containers',
  flags: {
    signal: { type: 'string', short: 's', usage: 'Signal to send to the container' },
  },
  args: minArgs(1),
  async run(ctx) {
    const client = apiClient(ctx);
    const signal = ctx.flags.signal || undefined;
    return forEachContainer(ctx, ctx.args, (name) => client.call('POST', containerPath(name, '/kill'), { query: { signal } }));
  },
});
