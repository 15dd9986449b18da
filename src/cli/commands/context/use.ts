// berth context use / show: the current context in config.json's
// currentContext (empty for "default"), as the docker CLI keeps it.
import { defineCommand, exactArgs, noArgs } from '../../command.js';
import { DEFAULT_CONTEXT, readCliConfig, updateCliConfig } from '../../client/contexts.js';
import { currentContextName, getMetadata, validateContextName } from './store.js';

export const contextUseCommand = defineCommand({
  name: 'use',
  usage: 'CONTEXT',
  description: 'Set the current docker context',
  flags: {},
  args: exactArgs(1),
  async run(ctx) {
    const name = ctx.args[0]!;
    let value = '';
    if (name !== DEFAULT_CONTEXT) {
      validateContextName(name);
      getMetadata(ctx.global, name);
      value = name;
    }
    const current = readCliConfig(ctx.global.config).currentContext;
    if ((typeof current === 'string' ? current : '') !== value) {
      await updateCliConfig(ctx.global.config, (cfg) => {
        if (value === '') delete cfg.currentContext;
        else cfg.currentContext = value;
      });
    }
    ctx.stdout.write(`${name}\n`);
    ctx.stderr.write(`Current context is now ${JSON.stringify(name)}\n`);
    if (name !== DEFAULT_CONTEXT && process.env.DOCKER_HOST) {
      ctx.stderr.write(
        `Warning: DOCKER_HOST environment variable overrides the active context. To use ${JSON.stringify(name)}, either set the global --context flag, or unset DOCKER_HOST environment variable.\n`,
      );
    }
    return 0;
  },
});

export const contextShowCommand = defineCommand({
  name: 'show',
  usage: '',
  description: 'Print the name of the current context',
  flags: {},
  args: noArgs,
  async run(ctx) {
    ctx.stdout.write(`${currentContextName(ctx.global)}\n`);
    return 0;
  },
});
