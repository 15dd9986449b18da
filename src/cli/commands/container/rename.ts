// berth rename / berth container rename: POST /containers/{id}/rename?name=
// (docker/cli rename.go).
import { defineCommand, exactArgs, StatusError } from '../../command.js';
import { apiClient, daemonError } from '../../session.js';
import { containerPath } from './container-api.js';

export const renameCommand = defineCommand({
  name: 'rename',
  usage: 'CONTAINER NEW_NAME',
  description: 'Rename a container',
  flags: {},
  args: exactArgs(2),
  async run(ctx) {
    const oldName = ctx.args[0]!.trim();
    const newName = ctx.args[1]!.trim();
    if (oldName === '' || newName === '') throw new StatusError('Error: Neither old nor new names may be empty', 1);
    try {
      await apiClient(ctx).call('POST', containerPath(oldName, '/rename'), { query: { name: newName } });
    } catch (err) {
      ctx.stderr.write(`${daemonError(err).status}\n`);
      throw new StatusError(`Error: failed to rename container named ${oldName}`, 1);
    }
    return 0;
  },
});
