// berth login: POST /auth with the credentials, then stores them (or the
// identity token the registry gave) in config.json or the configured
// credential helper, as docker 28's login does: stored credentials are tried
// first, otherwise the user is prompted on a terminal ("Username: ",
// "Password: " without echo).
import { defineCommand, maxArgs, StatusError, type CommandContext } from '../../command.js';
import type { FlagSpecs } from '../../flags.js';
import { ApiError } from '../../client/api-client.js';
import { apiClient, daemonError } from '../../session.js';
import { readAllStdin, readLine } from '../../shared-options.js';
import type { AuthConfig } from '../../../registry/auth-config.js';

const INDEX_SERVER = 'https://index.docker.io/v1/';

/** Reads a line from the terminal with echo off (raw mode), as docker's prompt.DisableInputEcho + ReadInput. */
function readHidden(): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let value = '';
    stdin.setRawMode(true);
    const done = (err?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\x04') return done();
        if (ch === '\x03') return done(new StatusError('', 130));
        if (ch === '\x7f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else value += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** docker's command.PromptUserForCredentials. */
async function promptForCredentials(
  ctx: CommandContext<FlagSpecs>,
  argUser: string,
  argPassword: string,
  defaultUsername: string,
  serverAddress: string,
): Promise<AuthConfig> {
  let user = argUser.trim();
  let password = argPassword.trim();
  if ((user === '' || password === '') && !process.stdin.isTTY) {
    throw new StatusError('Error: Cannot perform an interactive login from a non TTY device', 1);
  }
  if (user === '') {
    const suggested = defaultUsername.trim();
    ctx.stdout.write(suggested === '' ? 'Username: ' : `Username (${suggested}): `);
    user = ((await readLine()) ?? '').trim();
    if (user === '') user = suggested;
    if (user === '') throw new StatusError('Error: Non-null Username Required', 1);
  }
  if (password === '') {
    ctx.stdout.write('Password: ');
    password = (await readHidden()).trim();
    ctx.stdout.write('\n');
    if (password === '') throw new StatusError('Error: Password Required', 1);
  }
  return { username: user, password, serveraddress: serverAddress };
}

interface LoginResponse {
  Status?: string;
  IdentityToken?: string;
}

export const loginCommand = defineCommand({
  name: 'login',
  usage: '[OPTIONS] [SERVER]',
  description: 'Authenticate to a registry',
  long: 'Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.',
  flags: {
    password: { type: 'string', short: 'p', usage: 'Password or Personal Access Token (PAT)' },
    'password-stdin': { type: 'bool', usage: 'Take the Password or Personal Access Token (PAT) from stdin' },
    username: { type: 'string', short: 'u', usage: 'Username' },
  },
  args: maxArgs(1),
  async run(ctx) {
    const { DockerConfigFile, credentialKeyForServer } = await import('../../../registry/credentials.js');
    let password = ctx.flags.password;
    const user = ctx.flags.username;
    if (password !== '' && ctx.flags['password-stdin']) {
      throw new StatusError('conflicting options: cannot specify both --password and --password-stdin', 1);
    }
    if (ctx.flags['password-stdin'] && user === '') throw new StatusError('the --password-stdin option requires --username to be set', 1);
    if (password !== '') ctx.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    if (ctx.flags['password-stdin']) {
      password = (await readAllStdin()).toString('utf8').replace(/\n$/, '').replace(/\r$/, '');
    }

    const arg = ctx.args[0] ?? '';
    const serverAddress = arg !== '' && arg !== 'docker.io' ? arg : INDEX_SERVER;
    const key = serverAddress === INDEX_SERVER ? INDEX_SERVER : credentialKeyForServer(serverAddress);
    const config = await DockerConfigFile.load({ configFlag: ctx.global.config, env: ctx.io.env as NodeJS.ProcessEnv });
    const client = apiClient(ctx);

    const store = async (auth: AuthConfig, response: LoginResponse): Promise<void> => {
      const toStore: AuthConfig = { ...auth };
      if (response.IdentityToken) {
        toStore.password = '';
        toStore.identitytoken = response.IdentityToken;
      }
      try {
        await config.storeCredentials(toStore);
      } catch (err) {
        throw new StatusError(`Error saving credentials: ${err instanceof Error ? err.message : String(err)}`, 1);
      }
    };

    // stored credentials first, when none were given
    let stored: AuthConfig = { serveraddress: key };
    if (user === '' && password === '') {
      try {
        stored = { ...(await config.getCredentials(key)), serveraddress: key };
      } catch {
        stored = { serveraddress: key };
      }
      delete stored.identitytoken;
    }
    if (stored.username && stored.password) {
      ctx.stderr.write(
        `Authenticating with existing credentials... [Username: ${stored.username}]\n\n` +
          ` Info -> To login with a different account, run '${ctx.binName} logout' followed by '${ctx.binName} login'\n\n\n`,
      );
      try {
        const response = (await client.json<LoginResponse>('POST', '/auth', { body: stored })) ?? {};
        await store(stored, response);
        if (response.Status) ctx.stdout.write(`${response.Status}\n`);
        return 0;
      } catch (err) {
        if (err instanceof StatusError) throw err;
        if (err instanceof ApiError && err.status === 401) ctx.stderr.write('Stored credentials invalid or expired\n');
        else ctx.stderr.write(`Login did not succeed, error: ${daemonError(err).status}\n`);
      }
    }

    const auth = await promptForCredentials(ctx, user, password, stored.username ?? '', key);
    // docker warns about plain-text storage only when what it stores changes
    const before = await config.getCredentials(key).catch(() => ({}) as AuthConfig);
    let response: LoginResponse;
    try {
      response = (await client.json<LoginResponse>('POST', '/auth', { body: auth })) ?? {};
    } catch (err) {
      throw daemonError(err);
    }
    await store(auth, response);
    const unchanged = before.username === auth.username && before.password === auth.password && !response.IdentityToken;
    if (!config.helperFor(key) && !unchanged) {
      ctx.stderr.write(
        `\nWARNING! Your credentials are stored unencrypted in '${config.filename}'.\n` +
          'Configure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n',
      );
    }
    if (response.Status) ctx.stdout.write(`${response.Status}\n`);
    return 0;
  },
});
