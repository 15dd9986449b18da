// docker's client-side credentials (docker/cli cli/config): the
// `~/.docker/config.json` file (directory from `--config` or DOCKER_CONFIG)
// and credential helpers. The same file the docker CLI uses, so `docker
// login` and `berth login` share credentials:
//   - `auths`: {"<server>": {"auth": base64("user:password"), "identitytoken": "..."}}
//   - `credsStore`: a helper for every registry; `credHelpers`: per registry.
//   - A helper is `docker-credential-<name>` with `get|store|erase|list`,
//     the server URL or a JSON document on stdin, JSON on stdout.
// Writes keep every other key of the file, its mode (0600 when new) and
// owner, and replace it atomically. Used by the CLI, never by the daemon.
import { spawn } from 'node:child_process';
import { promises as fs, constants as fsConstants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { errnoCode } from '../common/errors.js';
import { decodeAuthField, encodeAuthField, type AuthConfig } from './auth-config.js';
import { INDEX_SERVER, authConfigKey } from './endpoints.js';

export const CONFIG_FILE_NAME = 'config.json';
/** The username a helper stores an identity token under. */
export const TOKEN_USERNAME = '<token>';
const HELPER_PREFIX = 'docker-credential-';
const NOT_FOUND_MESSAGE = 'credentials not found in native keychain';

export class CredentialsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredentialsError';
  }
}

export interface ConfigDirOptions {
  /** The `--config` flag. */
  configFlag?: string;
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
}

/** The docker config directory: `--config`, else $DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDir(opts: ConfigDirOptions = {}): string {
  if (opts.configFlag) return opts.configFlag;
  const env = opts.env ?? process.env;
  if (env.DOCKER_CONFIG) return env.DOCKER_CONFIG;
  return path.join(opts.homeDir ?? os.homedir(), '.docker');
}

/** docker's ConvertToHostname: drop http(s):// and any path. */
export function convertToHostname(maybeUrl: string): string {
  let stripped = maybeUrl;
  const sep = stripped.indexOf('://');
  if (sep >= 0) {
    const scheme = stripped.slice(0, sep);
    if (scheme === 'http' || scheme === 'https') stripped = stripped.slice(sep + 3);
  }
  const slash = stripped.indexOf('/');
  return slash >= 0 ? stripped.slice(0, slash) : stripped;
}

/**
 * The key `docker login <server>` stores credentials under: Docker Hub's
 * `https://index.docker.io/v1/`, else the server's host[:port].
 */
export function credentialKeyForServer(serverAddress: string | undefined): string {
  const s = serverAddress ?? '';
  if (s === '' || s === 'docker.io' || s === 'index.docker.io' || s === INDEX_SERVER) return INDEX_SERVER;
  return convertToHostname(s);
}

/** The keys `docker logout <server>` erases (old formats included) and the host it names. */
export function logoutKeys(serverAddress: string | undefined): { hostname: string; keys: string[] } {
  if (!serverAddress) return { hostname: INDEX_SERVER, keys: [INDEX_SERVER] };
  const hostname = convertToHostname(serverAddress);
  return { hostname, keys: [...new Set([serverAddress, hostname, `http://${hostname}`, `https://${hostname}`])] };
}

/** The key credentials for an image's registry domain are looked up under. */
export { authConfigKey };

// --- credential helpers ------------------------------------------------------------------

export interface HelperRunner {
  (program: string, action: string, input: string): Promise<{ code: number; stdout: string; error?: string }>;
}

/** Run a helper program; `error` is set when it could not start (Go's exec error text). */
export const runHelperProgram: HelperRunner = (program, action, input) =>
  new Promise((resolve) => {
    const proc = spawn(program, [action], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    proc.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    proc.stderr.on('data', () => undefined);
    proc.on('error', (err) => {
      const code = errnoCode(err);
      resolve({
        code: -1,
        stdout: '',
        error: code === 'ENOENT' ? `exec: "${program}": executable file not found in $PATH` : `exec: "${program}": ${err.message}`,
      });
    });
    proc.on('close', (code) => resolve({ code: code ?? -1, stdout }));
    proc.stdin.on('error', () => undefined);
    proc.stdin.end(input);
  });

export class CredentialHelper {
  readonly program: string;
  constructor(
    readonly name: string,
    private readonly run: HelperRunner = runHelperProgram,
  ) {
    this.program = HELPER_PREFIX + name;
  }

  private async call(action: string, input: string, what: string): Promise<{ stdout: string; notFound: boolean }> {
    const res = await this.run(this.program, action, input);
    const out = res.stdout.trim();
    if (res.error) throw new CredentialsError(`error ${what} credentials - err: ${res.error}, out: \`\``);
    if (res.code !== 0) {
      if (out === NOT_FOUND_MESSAGE) return { stdout: out, notFound: true };
      throw new CredentialsError(`error ${what} credentials - err: exit status ${res.code}, out: \`${out}\``);
    }
    return { stdout: res.stdout, notFound: false };
  }

  /** Credentials for a server, or undefined when the helper has none. */
  async get(serverUrl: string): Promise<{ username: string; secret: string } | undefined> {
    const { stdout, notFound } = await this.call('get', serverUrl, 'getting');
    if (notFound) return undefined;
    let doc: unknown;
    try {
      doc = JSON.parse(stdout);
    } catch (err) {
      throw new CredentialsError(`error getting credentials - err: ${err instanceof Error ? err.message : String(err)}, out: \`${stdout.trim()}\``);
    }
    const o = (doc ?? {}) as Record<string, unknown>;
    const username = typeof o.Username === 'string' ? o.Username : '';
    const secret = typeof o.Secret === 'string' ? o.Secret : '';
    if (username === '' && secret === '') return undefined;
    return { username, secret };
  }

  async store(serverUrl: string, username: string, secret: string): Promise<void> {
    await this.call('store', JSON.stringify({ ServerURL: serverUrl, Username: username, Secret: secret }), 'storing');
  }

  async erase(serverUrl: string): Promise<void> {
    await this.call('erase', serverUrl, 'erasing');
  }

  /** Server URL → username of everything the helper holds. */
  async list(): Promise<Record<string, string>> {
    const { stdout } = await this.call('list', '', 'listing');
    try {
      const doc = JSON.parse(stdout) as unknown;
      if (doc && typeof doc === 'object') {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(doc as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
        return out;
      }
    } catch {
      // fall through
    }
    return {};
  }
}

// --- the config file ---------------------------------------------------------------------------

export interface LoadConfigOptions extends ConfigDirOptions {
  /** How helpers are run (tests). */
  runHelper?: HelperRunner;
  /** Skip looking for a platform default credential store in $PATH. */
  noDefaultStore?: boolean;
}

async function findInPath(program: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      await fs.access(path.join(dir, program), fsConstants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

/**
 * docker's DetectDefaultStore on Linux: `pass` when both `pass` and
 * docker-credential-pass are installed, else `secretservice` when its helper is.
 */
async function detectDefaultStore(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  const candidate = (await findInPath('pass', env)) ? 'pass' : 'secretservice';
  return (await findInPath(HELPER_PREFIX + candidate, env)) ? candidate : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export class DockerConfigFile {
  /** The parsed file; unknown keys are kept and written back as they were. */
  private raw: Record<string, unknown>;
  private detectedStore: string | undefined;

  private constructor(
    readonly filename: string,
    raw: Record<string, unknown>,
    private readonly runHelper: HelperRunner,
  ) {
    this.raw = raw;
  }

  /** Load `<dir>/config.json`; a missing file is an empty config. Throws `parsing config file (...)`. */
  static async load(opts: LoadConfigOptions = {}): Promise<DockerConfigFile> {
    const filename = path.join(dockerConfigDir(opts), CONFIG_FILE_NAME);
    let raw: Record<string, unknown> = {};
    let text: string | undefined;
    try {
      text = await fs.readFile(filename, 'utf8');
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') {
        throw new CredentialsError(`loading config file: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    }
    if (text !== undefined && text.trim() !== '') {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (err) {
        throw new CredentialsError(`parsing config file (${filename}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (!isObject(doc)) throw new CredentialsError(`parsing config file (${filename}): not a JSON object`);
      raw = doc;
    }
    const file = new DockerConfigFile(filename, raw, opts.runHelper ?? runHelperProgram);
    file.validateAuths();
    if (!opts.noDefaultStore && !file.containsAuth()) file.detectedStore = await detectDefaultStore(opts.env ?? process.env);
    return file;
  }

  private validateAuths(): void {
    for (const [, entry] of Object.entries(this.auths())) {
      if (isObject(entry) && typeof entry.auth === 'string' && entry.auth !== '') {
        try {
          decodeAuthField(entry.auth);
        } catch (err) {
          throw new CredentialsError(`parsing config file (${this.filename}): ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
  }

  private auths(): Record<string, unknown> {
    return isObject(this.raw.auths) ? this.raw.auths : {};
  }

  private containsAuth(): boolean {
    return !!this.raw.credsStore || (isObject(this.raw.credHelpers) && Object.keys(this.raw.credHelpers).length > 0) || Object.keys(this.auths()).length > 0;
  }

  /** A copy of the whole document. */
  toJSON(): Record<string, unknown> {
    return structuredClone(this.raw);
  }

  /** The store for every registry (`credsStore`, or the detected platform default). */
  get credsStore(): string | undefined {
    return typeof this.raw.credsStore === 'string' && this.raw.credsStore !== '' ? this.raw.credsStore : this.detectedStore;
  }

  get credHelpers(): Record<string, string> {
    const out: Record<string, string> = {};
    if (isObject(this.raw.credHelpers)) for (const [k, v] of Object.entries(this.raw.credHelpers)) if (typeof v === 'string') out[k] = v;
    return out;
  }

  /** The helper name for a server key, if credentials for it live in a helper. */
  helperFor(serverAddress: string): string | undefined {
    const specific = serverAddress !== '' ? this.credHelpers[serverAddress] : undefined;
    return specific || this.credsStore;
  }

  /** The file's entry for a key, with docker's fallback matching keys by hostname. */
  private fileEntry(serverAddress: string): AuthConfig {
    const auths = this.auths();
    let entry = auths[serverAddress];
    if (entry === undefined) {
      for (const [key, value] of Object.entries(auths)) {
        if (convertToHostname(key) === serverAddress) {
          entry = value;
          break;
        }
      }
    }
    if (!isObject(entry)) return {};
    const out: AuthConfig = {};
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      const { username, password } = decodeAuthField(entry.auth);
      out.username = username;
      out.password = password;
    }
    for (const f of ['email', 'identitytoken', 'registrytoken'] as const) {
      const v = entry[f];
      if (typeof v === 'string' && v !== '') out[f] = v;
    }
    // Credentials written by older tools may carry the fields directly.
    if (!out.username && typeof entry.username === 'string') out.username = entry.username;
    if (!out.password && typeof entry.password === 'string') out.password = entry.password;
    return out;
  }

  /**
   * Credentials for a server key (`https://index.docker.io/v1/`,
   * `localhost:5000`): from its helper if one is configured, else the file.
   * Empty (with `serveraddress`) when there are none.
   */
  async getCredentials(serverAddress: string): Promise<AuthConfig> {
    const helper = this.helperFor(serverAddress);
    if (!helper) return { ...this.fileEntry(serverAddress), serveraddress: serverAddress };
    const fromFile = this.fileEntry(serverAddress);
    const creds = await new CredentialHelper(helper, this.runHelper).get(serverAddress);
    const out: AuthConfig = { serveraddress: serverAddress };
    if (fromFile.email) out.email = fromFile.email;
    if (creds) {
      if (creds.username === TOKEN_USERNAME) out.identitytoken = creds.secret;
      else {
        out.username = creds.username;
        out.password = creds.secret;
      }
    }
    return out;
  }

  /** Every credential docker knows (for builds): the default store's, overridden by per-registry helpers. */
  async getAllCredentials(): Promise<Record<string, AuthConfig>> {
    const out: Record<string, AuthConfig> = {};
    const store = this.credsStore;
    for (const key of Object.keys(this.auths())) {
      if (!store) out[key] = { ...this.fileEntry(key), serveraddress: key };
    }
    if (store) {
      const listed = await new CredentialHelper(store, this.runHelper).list();
      for (const key of new Set([...Object.keys(this.auths()), ...Object.keys(listed)])) {
        out[key] = await this.getCredentials(key).catch(() => ({ ...this.fileEntry(key), serveraddress: key }));
      }
    }
    for (const key of Object.keys(this.credHelpers)) {
      try {
        out[key] = await this.getCredentials(key);
      } catch {
        // docker warns and skips a helper that fails
      }
    }
    return out;
  }

  /**
   * Store credentials under `config.serveraddress` (use credentialKeyForServer).
   * With a helper, the secret goes to it (an identity token under the
   * username `<token>`) and the file keeps an empty entry, as docker does.
   */
  async storeCredentials(config: AuthConfig): Promise<void> {
    const key = config.serveraddress ?? '';
    if (key === '') throw new CredentialsError('no server address to store credentials for');
    const helper = this.helperFor(key);
    const auths = { ...this.auths() };
    if (helper) {
      const username = config.identitytoken ? TOKEN_USERNAME : (config.username ?? '');
      const secret = config.identitytoken ? config.identitytoken : (config.password ?? '');
      await new CredentialHelper(helper, this.runHelper).store(key, username, secret);
      const entry: Record<string, unknown> = {};
      if (config.email) entry.email = config.email;
      auths[key] = entry;
    } else {
      const entry: Record<string, unknown> = {};
      const auth = encodeAuthField(config.username ?? '', config.password ?? '');
      if (auth) entry.auth = auth;
      if (config.email) entry.email = config.email;
      if (config.identitytoken) entry.identitytoken = config.identitytoken;
      if (config.registrytoken) entry.registrytoken = config.registrytoken;
      auths[key] = entry;
    }
    this.raw.auths = auths;
    if (helper && helper === this.detectedStore && !this.raw.credsStore) this.raw.credsStore = helper;
    await this.save();
  }

  /** Remove credentials for a key from its helper and the file. Nothing to remove is not an error. */
  async eraseCredentials(serverAddress: string): Promise<void> {
    const helper = this.helperFor(serverAddress);
    if (helper) await new CredentialHelper(helper, this.runHelper).erase(serverAddress);
    const auths = this.auths();
    if (!(serverAddress in auths)) return;
    const rest = { ...auths };
    delete rest[serverAddress];
    this.raw.auths = rest;
    await this.save();
  }

  /** Write the file atomically, keeping mode and owner (0600 for a new file), following a symlink. */
  async save(): Promise<void> {
    let target = this.filename;
    try {
      const link = await fs.readlink(target);
      target = path.resolve(path.dirname(target), link);
    } catch {
      // not a symlink
    }
    const dir = path.dirname(target);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    let mode = 0o600;
    let owner: { uid: number; gid: number } | undefined;
    try {
      const st = await fs.stat(target);
      mode = st.mode & 0o7777;
      owner = { uid: st.uid, gid: st.gid };
    } catch {
      // a new file
    }
    const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    const fh = await fs.open(tmp, 'wx', 0o600);
    try {
      // docker's configfile always writes "auths", as its first key.
      const { auths, ...rest } = this.raw;
      await fh.writeFile(JSON.stringify({ auths: auths ?? {}, ...rest }, null, '\t'));
      await fh.chmod(mode);
      if (owner) await fh.chown(owner.uid, owner.gid).catch(() => undefined);
      await fh.sync();
    } catch (err) {
      await fh.close();
      await fs.rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    try {
      await fs.rename(tmp, target);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }
}
