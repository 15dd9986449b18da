// What the context commands share: docker's context store rules (names,
// "default", errors worded as the docker CLI words them) over the files
// src/cli/client/contexts.ts reads, and the --docker endpoint option.
import { createHash } from 'node:crypto';
import { promises as fs, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { GlobalOptions } from '../../command.js';
import {
  ContextStore,
  DEFAULT_CONTEXT,
  normalizeHost,
  resolveContextName,
  type ContextMeta,
  type EndpointFlags,
} from '../../client/contexts.js';
import { FlagValueError, readCsvRecord, type StringFlagSpec } from '../../flags.js';
import { StatusError } from '../../command.js';

export const DEFAULT_DESCRIPTION = 'Current DOCKER_HOST based configuration';
const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;
const TLS_FILES = ['ca.pem', 'cert.pem', 'key.pem'] as const;

export function endpointFlags(global: GlobalOptions): EndpointFlags {
  return {
    hosts: [...global.hosts],
    context: global.context || undefined,
    tls: global.tls,
    tlsVerify: global.tlsVerify,
    configDir: global.config,
  };
}

export function storeFor(global: GlobalOptions): ContextStore {
  return new ContextStore(global.config);
}

/** The context this invocation uses (docker's CurrentContext). */
export function currentContextName(global: GlobalOptions): string {
  try {
    return resolveContextName(endpointFlags(global), storeFor(global));
  } catch (err) {
    throw new StatusError(err instanceof Error ? err.message : String(err), 1);
  }
}

/** The default context: -H, DOCKER_HOST or berth's socket. */
export function defaultContext(global: GlobalOptions): ContextMeta {
  const given = global.hosts[0] ?? process.env.DOCKER_HOST;
  let host = given ?? 'unix:///run/berth/berth.sock';
  try {
    host = normalizeHost(host);
  } catch {
    // shown as given
  }
  return {
    Name: DEFAULT_CONTEXT,
    Metadata: { Description: DEFAULT_DESCRIPTION },
    Endpoints: { docker: { Host: host, SkipTLSVerify: !global.tlsVerify && global.tls } },
  };
}

/** store.ValidateContextName. */
export function validateContextName(name: string): void {
  if (name === '') throw new StatusError('context name cannot be empty', 1);
  if (name === DEFAULT_CONTEXT) throw new StatusError('"default" is a reserved context name', 1);
  if (!NAME_PATTERN.test(name)) {
    throw new StatusError(`context name ${JSON.stringify(name)} is invalid, names are validated against regexp "^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$"`, 1);
  }
}

/** The directory docker keeps a context's metadata in: contexts/meta/<sha256(name)>. */
export function metaDir(configDir: string, name: string): string {
  return path.join(configDir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
}

/** contexts/tls/<sha256(name)>. */
export function tlsRoot(configDir: string, name: string): string {
  return path.join(configDir, 'contexts', 'tls', createHash('sha256').update(name).digest('hex'));
}

/** store.GetMetadata with docker's "context not found" error; the default context from the CLI's options. */
export function getMetadata(global: GlobalOptions, name: string): ContextMeta {
  if (name === DEFAULT_CONTEXT) return defaultContext(global);
  const file = path.join(metaDir(global.config, name), 'meta.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new StatusError(`context ${JSON.stringify(name)}: context not found: open ${file}: no such file or directory`, 1);
  }
  return JSON.parse(text) as ContextMeta;
}

export function contextExists(global: GlobalOptions, name: string): boolean {
  return name === DEFAULT_CONTEXT || existsSync(metaDir(global.config, name));
}

/** Every context: the stored ones and the default one. */
export function listContexts(global: GlobalOptions): ContextMeta[] {
  return [defaultContext(global), ...storeFor(global).list()];
}

/** The TLS files stored for a context's docker endpoint (names only). */
export function tlsFileNames(global: GlobalOptions, name: string): string[] {
  if (name === DEFAULT_CONTEXT) return [];
  const dir = storeFor(global).tlsDir(name);
  return TLS_FILES.filter((f) => existsSync(path.join(dir, f)));
}

// ---------------------------------------------------------------------------
// --docker key=value,...

/** pflag's stringToString: CSV of key=value pairs, repeated flags merged. */
export const dockerEndpointFlag: StringFlagSpec = {
  type: 'string',
  typeName: 'stringToString',
  defaultText: '[]',
  usage: 'set the docker endpoint',
  validate: (value: string): string => {
    for (const pair of value === '' ? [] : readCsvRecord(value)) {
      if (!pair.includes('=')) throw new FlagValueError(`${pair} must be formatted as key=value`);
    }
    return value;
  },
};

export function parseDockerConfig(value: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of value === '' ? [] : readCsvRecord(value)) {
    const eq = pair.indexOf('=');
    out.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return out;
}

const ALLOWED_KEYS = new Set(['from', 'host', 'ca', 'cert', 'key', 'skip-tls-verify']);

export interface DockerEndpoint {
  Host: string;
  SkipTLSVerify: boolean;
  /** TLS files' contents, when given (ca, cert, key). */
  tls?: Partial<Record<(typeof TLS_FILES)[number], Buffer>>;
}

/** docker's getDockerEndpoint: the endpoint a --docker option describes. */
export async function dockerEndpointFromConfig(global: GlobalOptions, config: Map<string, string>): Promise<DockerEndpoint> {
  const fail = (message: string): never => {
    throw new StatusError(`unable to create docker endpoint config: ${message}`, 1);
  };
  for (const key of config.keys()) if (!ALLOWED_KEYS.has(key)) fail(`unrecognized config key: ${key}`);
  const from = config.get('from');
  if (from !== undefined) {
    let meta: ContextMeta;
    try {
      meta = getMetadata(global, from);
    } catch (err) {
      return fail(err instanceof Error ? err.message : String(err));
    }
    const ep = meta.Endpoints.docker;
    if (!ep) return fail(`unable to get endpoint from context ${JSON.stringify(from)}`);
    return { Host: ep.Host, SkipTLSVerify: ep.SkipTLSVerify };
  }
  const tls: DockerEndpoint['tls'] = {};
  for (const [key, file] of [['ca', 'ca.pem'], ['cert', 'cert.pem'], ['key', 'key.pem']] as const) {
    const p = config.get(key);
    if (!p) continue;
    try {
      tls[file] = await fs.readFile(p);
    } catch (err) {
      fail(`open ${p}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : String(err)}`);
    }
  }
  // what docker's client checks when it builds its TLS configuration
  const tlsFail = (why: string): never => fail(`invalid docker endpoint options: failed to retrieve context tls info: ${why}`);
  if (tls['ca.pem'] && !tls['ca.pem'].toString('latin1').includes('-----BEGIN CERTIFICATE-----')) tlsFail('ca.pem seems invalid');
  if (tls['cert.pem'] || tls['key.pem']) {
    if (!tls['cert.pem']?.toString('latin1').includes('-----BEGIN')) tlsFail('tls: failed to find any PEM data in certificate input');
    if (!tls['key.pem']?.toString('latin1').includes('-----BEGIN')) fail('invalid docker endpoint options: no valid private key found');
  }
  let skip = false;
  const skipText = config.get('skip-tls-verify');
  if (skipText !== undefined && skipText !== '') {
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(skipText)) skip = true;
    else if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(skipText)) skip = false;
    else fail(`skip-tls-verify: parsing ${JSON.stringify(skipText)}: invalid syntax`);
  }
  const host = config.get('host') ?? '';
  if (host !== '') {
    const sep = host.indexOf('://');
    if (sep < 0 || host.slice(sep + 3) === '') fail(`unable to apply docker endpoint options: unable to parse docker host \`${host}\``);
  }
  return { Host: host, SkipTLSVerify: skip, tls: Object.keys(tls).length > 0 ? tls : undefined };
}

/** Replaces a context's docker TLS files (none: the directory goes). */
export async function resetTlsFiles(global: GlobalOptions, name: string, tls: DockerEndpoint['tls']): Promise<void> {
  const dir = storeFor(global).tlsDir(name);
  await fs.rm(dir, { recursive: true, force: true });
  if (!tls) {
    await fs.rmdir(path.dirname(dir)).catch(() => undefined);
    return;
  }
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  for (const [file, data] of Object.entries(tls)) if (data) await fs.writeFile(path.join(dir, file), data, { mode: 0o600 });
}
