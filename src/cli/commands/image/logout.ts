// berth logout: erases the stored credentials for a registry (under every key
// form older clients used), from config.json or the credential helper.
import { defineCommand, maxArgs } from '../../command.js';

export const logoutCommand = defineCommand({
  name: 'logout',
  usage: '[SERVER]',
  description: 'Log out from a registry',
  long: 'Log out from a registry.\nIf no server is specified, the default is defined by the daemon.',
  flags: {},
  args: maxArgs(1),
  async run(ctx) {
    const { DockerConfigFile, logoutKeys } = await import('../../../registry/credentials.js');
    const { hostname, keys } = logoutKeys(ctx.args[0] || undefined);
    ctx.stdout.write(`Removing login credentials for ${hostname}\n`);
    const config = await DockerConfigFile.load({ configFlag: ctx.global.config, env: ctx.io.env as NodeJS.ProcessEnv });
    const errors: Array<[string, string]> = [];
    for (const key of keys) {
      try {
        await config.eraseCredentials(key);
      } catch (err) {
        errors.push([key, err instanceof Error ? err.message : String(err)]);
      }
    }
    if (errors.length === keys.length) {
      ctx.stderr.write('WARNING: could not erase credentials:\n');
      for (const [key, message] of errors) ctx.stderr.write(`${key}: ${message}\n`);
    }
    return 0;
  },
});
