// docker CLI contexts, in the same files the docker CLI reads
// (~/.docker/contexts/meta/<sha256(name)>/meta.json and .../tls/<sha256(name)>/docker/),
// so berth and docker share a user's endpoints. Also resolves which daemon a
// command talks to: -H, DOCKER_HOST, --context, DOCKER_CONTEXT, currentContext.
//
// Every command resolves its endpoint through here, so this module stays
// cheap to load: builtins through process.getBuiltinModule (an ESM import of
// node:fs builds a facade that loads fs/promises and readline, ~7 ms), and
// node:crypto and the file writer only when a context is named or written.
import type { writeFileAtomic as WriteFileAtomic } from '../../common/fsutil.js';
import type { TlsConfig } from './api-client.js';

const { readFileSync, readdirSync, existsSync } = process.getBuiltinModule('node:fs');
const os = process.getBuiltinModule('node:os');
const path = process.getBuiltinModule('node:path');

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';
export const DEFAULT_CONTEXT = 'default';

export interface ContextEndpoint {
  Host: string;
  SkipTLSVerify: boolean;
}

export interface ContextMeta {
  Name: string;
  Metadata: { Description?: string; [k: string]: unknown };
  Endpoints: { docker?: ContextEndpoint; [k: string]: unknown };
}

export function configDir(flag?: string): string {
  return flag || process.env.DOCKER_CONFIG || path.join(os.homedir(), '.docker');
}

/** Read ~/.docker/config.json as a plain object ({} when absent or empty). */
export function readCliConfig(dir: string): Record<string, unknown> {
  try {
    const text = readFileSync(path.join(dir, 'config.json'), 'utf8');
    if (!text.trim()) return {};
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Update keys of config.json, keeping every other key, mode 0600. */
export async function updateCliConfig(dir: string, update: (cfg: Record<string, unknown>) => void): Promise<void> {
  const { writeFileAtomic, fs } = await writeTools();
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const cfg = readCliConfig(dir);
  update(cfg);
  // As docker's configfile.Save: "auths" always, first; tab-indented, no final newline.
  const { auths, ...rest } = cfg;
  await writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify({ auths: auths ?? {}, ...rest }, null, '\t'), 0o600);
}

const contextId = (name: string): string =>
  process.getBuiltinModule('node:crypto').createHash('sha256').update(name).digest('hex');

/** What writing contexts and config.json needs, loaded when something is written. */
async function writeTools(): Promise<{ writeFileAtomic: typeof WriteFileAtomic; fs: typeof import('node:fs/promises') }> {
  const { writeFileAtomic } = await import('../../common/fsutil.js');
  return { writeFileAtomic, fs: process.getBuiltinModule('node:fs/promises') };
}

export class ContextStore {
  constructor(readonly dir: string) {}

  metaDir(name: string): string {
    return path.join(this.dir, 'contexts', 'meta', contextId(name));
  }
  tlsDir(name: string): string {
    return path.join(this.dir, 'contexts', 'tls', contextId(name), 'docker');
  }

  list(): ContextMeta[] {
    const base = path.join(this.dir, 'contexts', 'meta');
    let entries: string[] = [];
    try {
      entries = readdirSync(base);
    } catch {
      return [];
    }
    const out: ContextMeta[] = [];
    for (const e of entries) {
      try {
        out.push(JSON.parse(readFileSync(path.join(base, e, 'meta.json'), 'utf8')) as ContextMeta);
      } catch {
        // a broken context directory is skipped, as the docker CLI does
      }
    }
    return out.sort((a, b) => a.Name.localeCompare(b.Name));
  }

  get(name: string): ContextMeta | undefined {
    try {
      return JSON.parse(readFileSync(path.join(this.metaDir(name), 'meta.json'), 'utf8')) as ContextMeta;
    } catch {
      return undefined;
    }
  }

  async create(meta: ContextMeta): Promise<void> {
    const dir = this.metaDir(meta.Name);
    const { writeFileAtomic, fs } = await writeTools();
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    await writeFileAtomic(path.join(dir, 'meta.json'), JSON.stringify(meta), 0o644);
  }

  async remove(name: string): Promise<void> {
    const { fs } = await writeTools();
    await fs.rm(this.metaDir(name), { recursive: true, force: true });
    await fs.rm(path.dirname(this.tlsDir(name)), { recursive: true, force: true });
  }

  current(): string {
    const c = readCliConfig(this.dir).currentContext;
    return typeof c === 'string' && c ? c : DEFAULT_CONTEXT;
  }

  async setCurrent(name: string): Promise<void> {
    await updateCliConfig(this.dir, (cfg) => {
      if (name === DEFAULT_CONTEXT) delete cfg.currentContext;
      else cfg.currentContext = name;
    });
  }

  tlsFiles(name: string): TlsConfig | undefined {
    const dir = this.tlsDir(name);
    if (!existsSync(dir)) return undefined;
    const f = (n: string): string | undefined => (existsSync(path.join(dir, n)) ? path.join(dir, n) : undefined);
    return { ca: f('ca.pem'), cert: f('cert.pem'), key: f('key.pem'), verify: true };
  }
}

export interface EndpointFlags {
  hosts: string[];
  context?: string;
  tls: boolean;
  tlsVerify: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
  configDir: string;
}

export interface ResolvedEndpoint {
  contextName: string;
  host: string;
  tls?: TlsConfig;
}

/** docker/cli's precedence: --context > -H > DOCKER_HOST > DOCKER_CONTEXT > config currentContext > default. */
export function resolveContextName(flags: EndpointFlags, store: ContextStore): string {
  if (flags.context && flags.hosts.length) throw new Error('conflicting options: cannot specify both --host and --context');
  if (flags.context) return flags.context;
  if (flags.hosts.length) return DEFAULT_CONTEXT;
  if (process.env.DOCKER_HOST) return DEFAULT_CONTEXT;
  if (process.env.DOCKER_CONTEXT) return process.env.DOCKER_CONTEXT;
  return store.current();
}

export function defaultHost(flags: EndpointFlags): string {
  if (flags.hosts.length > 1) throw new EndpointError('Specify only one -H');
  return normalizeHost(flags.hosts[0] ?? process.env.DOCKER_HOST ?? DEFAULT_HOST);
}

/** An endpoint that cannot be worked out: docker reports it as "Failed to initialize: unable to resolve docker endpoint: ...". */
export class EndpointError extends Error {
  constructor(reason: string) {
    super(`Failed to initialize: unable to resolve docker endpoint: ${reason}`);
  }
}

export function resolveEndpoint(flags: EndpointFlags): ResolvedEndpoint {
  const store = new ContextStore(flags.configDir);
  const name = resolveContextName(flags, store);
  const certDir = process.env.DOCKER_CERT_PATH || flags.configDir;
  const envTlsVerify = process.env.DOCKER_TLS_VERIFY !== undefined && process.env.DOCKER_TLS_VERIFY !== '';
  const useTls = flags.tls || flags.tlsVerify || envTlsVerify;
  const tlsFromFlags = (): TlsConfig | undefined =>
    useTls
      ? {
          ca: flags.tlsCaCert ?? fileIfExists(path.join(certDir, 'ca.pem')),
          cert: flags.tlsCert ?? fileIfExists(path.join(certDir, 'cert.pem')),
          key: flags.tlsKey ?? fileIfExists(path.join(certDir, 'key.pem')),
          verify: flags.tlsVerify || envTlsVerify,
        }
      : undefined;
  if (name === DEFAULT_CONTEXT) return { contextName: name, host: defaultHost(flags), tls: tlsFromFlags() };
  const meta = store.get(name);
  if (!meta) throw new EndpointError(`context "${name}": context not found: open ${path.join(store.metaDir(name), 'meta.json')}: no such file or directory`);
  const ep = meta.Endpoints.docker;
  if (!ep) throw new Error(`context "${name}" has no docker endpoint`);
  const tls = store.tlsFiles(name);
  return { contextName: name, host: normalizeHost(ep.Host), tls: tls ? { ...tls, verify: !ep.SkipTLSVerify } : undefined };
}

function fileIfExists(p: string): string | undefined {
  return existsSync(p) ? p : undefined;
}

/** docker's host forms: unix:///p, tcp://h:p, a bare /path, :port, ssh:// (not supported). */
export function normalizeHost(h: string): string {
  const t = h.trim();
  if (t.startsWith('/')) return `unix://${t}`;
  if (t.startsWith('unix://') || t.startsWith('tcp://') || t.startsWith('http://') || t.startsWith('https://')) return t;
  if (t.startsWith('ssh://')) throw new Error('ssh:// hosts are not supported by berth');
  if (t.startsWith('fd://')) throw new Error('fd:// hosts are not supported by the client');
  if (/^[^:/]*:\d+$/.test(t)) return `tcp://${t.startsWith(':') ? '127.0.0.1' : ''}${t}`;
  throw new Error(`Invalid bind address format: ${t}`);
}
