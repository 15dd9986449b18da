// berth context rm: removes contexts from docker's store; the current one
// only with -f (then config.json falls back to the default).
import { defineCommand, minArgs, StatusError } from '../../command.js';
import { DEFAULT_CONTEXT, updateCliConfig } from '../../client/contexts.js';
import { contextExists, currentContextName, storeFor } from './store.js';

export const contextRmCommand = defineCommand({
  name: 'rm',
  aliases: ['remove'],
  usage: 'CONTEXT [CONTEXT...]',
  description: 'Remove one or more contexts',
  flags: {
    force: { type: 'bool', short: 'f', usage: 'Force the removal of a context in use' },
  },
  args: minArgs(1),
  async run(ctx) {
    const errors: string[] = [];
    const current = currentContextName(ctx.global);
    for (const name of ctx.args) {
      if (name === DEFAULT_CONTEXT) {
        errors.push('context "default" cannot be removed');
        continue;
      }
      if (name === current) {
        if (!ctx.flags.force) {
          errors.push(`context ${JSON.stringify(name)} is in use, set -f flag to force remove`);
          continue;
        }
        await updateCliConfig(ctx.global.config, (cfg) => {
          delete cfg.currentContext;
        });
      }
      if (!ctx.flags.force && !contextExists(ctx.global, name)) {
        errors.push(`context ${JSON.stringify(name)} does not exist`);
        continue;
      }
      await storeFor(ctx.global).remove(name);
      ctx.stdout.write(`${name}\n`);
    }
    if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
    return 0;
  },
});
