// berth pause / unpause (and their container forms): POST
// /containers/{id}/pause or /unpause, concurrently (docker/cli pause.go, unpause.go).
import { defineCommand, minArgs } from '../../command.js';
import { apiClient } from '../../session.js';
import { containerPath, forEachContainer } from './container-api.js';

export const pauseCommand = defineCommand({
  name: 'pause',
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Pause all processes within one or more containers',
  flags: {},
  args: minArgs(1),
  async run(ctx) {
    const client = apiClient(ctx);
    return forEachContainer(ctx, ctx.args, (name) => client.call('POST', containerPath(name, '/pause')));
  },
});

export const unpauseCommand = defineCommand({
  name: 'unpause',
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Unpause all processes within one or more containers',
  flags: {},
  args: minArgs(1),
  async run(ctx) {
    const client = apiClient(ctx);
    return forEachContainer(ctx, ctx.args, (name) => client.call('POST', containerPath(name, '/unpause')));
  },
});
