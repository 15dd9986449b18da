// berth build (also `image build` and `builder build`): the docker CLI 28's
// legacy-builder path (DOCKER_BUILDKIT=0; cli/command/image/build.go
// RunBuild). The context is prepared here (a directory tarred with its
// .dockerignore applied, stdin, a git clone or a download), streamed to
// POST /build with docker's query and X-Registry-Config header, and the
// daemon's JSON messages are drawn as the docker CLI draws them. berth has
// no BuildKit, so the legacy builder's deprecation notice is not printed.
import { proxyEnvironment } from '../../proxy-config.js';
import type { Readable } from 'node:stream';

import { defineCommand, exactArgs, StatusError, type CommandContext } from '../../command.js';
import { defineFlags, FlagValueError, goQuote } from '../../flags.js';
import { readCliConfig } from '../../client/contexts.js';
import { apiClient, daemonError } from '../../session.js';
import { parseNormalizedNamed } from '../../../image/reference.js';
import { validateEnv, validateExtraHost, validateLabel, validateUlimit, ulimitList } from '../container/option-values.js';

// Builtins through process.getBuiltinModule, as the rest of the CLI (an ESM
// import of a builtin builds a facade that loads more than it needs).
const fs = process.getBuiltinModule('node:fs');
const path = process.getBuiltinModule('node:path');

const BUILD_FLAGS = defineFlags({
  'add-host': { type: 'list', usage: 'Add a custom host-to-IP mapping ("host:ip")', validate: validateExtraHost },
  'build-arg': { type: 'list', usage: 'Set build-time variables', validate: validateEnv },
  'cache-from': { type: 'stringSlice', usage: 'Images to consider as cache sources' },
  'cgroup-parent': { type: 'string', usage: 'Set the parent cgroup for the "RUN" instructions during build' },
  compress: { type: 'bool', usage: 'Compress the build context using gzip' },
  'cpu-period': { type: 'int64', usage: 'Limit the CPU CFS (Completely Fair Scheduler) period' },
  'cpu-quota': { type: 'int64', usage: 'Limit the CPU CFS (Completely Fair Scheduler) quota' },
  'cpu-shares': { type: 'int64', short: 'c', usage: 'CPU shares (relative weight)' },
  'cpuset-cpus': { type: 'string', usage: 'CPUs in which to allow execution (0-3, 0,1)' },
  'cpuset-mems': { type: 'string', usage: 'MEMs in which to allow execution (0-3, 0,1)' },
  'disable-content-trust': { type: 'bool', default: true, usage: 'Skip image verification' },
  file: { type: 'string', short: 'f', usage: 'Name of the Dockerfile (Default is "PATH/Dockerfile")' },
  'force-rm': { type: 'bool', usage: 'Always remove intermediate containers' },
  iidfile: { type: 'string', usage: 'Write the image ID to the file' },
  isolation: { type: 'string', usage: 'Container isolation technology' },
  label: { type: 'list', usage: 'Set metadata for an image', validate: validateLabel },
  memory: { type: 'bytes', short: 'm', usage: 'Memory limit' },
  'memory-swap': { type: 'swapBytes', usage: 'Swap limit equal to memory plus swap: -1 to enable unlimited swap' },
  network: { type: 'string', default: 'default', usage: 'Set the networking mode for the RUN instructions during build' },
  'no-cache': { type: 'bool', usage: 'Do not use cache when building the image' },
  platform: { type: 'string', usage: 'Set platform if server is multi-platform capable' },
  pull: { type: 'bool', usage: 'Always attempt to pull a newer version of the image' },
  quiet: { type: 'bool', short: 'q', usage: 'Suppress the build output and print image ID on success' },
  rm: { type: 'bool', default: true, usage: 'Remove intermediate containers after a successful build' },
  'security-opt': { type: 'stringSlice', usage: 'Security options' },
  'shm-size': { type: 'bytes', usage: 'Size of "/dev/shm"' },
  squash: { type: 'bool', usage: 'Squash newly built layers into a single new layer' },
  tag: { type: 'list', short: 't', usage: 'Name and optionally a tag in the "name:tag" format', validate: validateTag },
  target: { type: 'string', usage: 'Set the target build stage to build.' },
  ulimit: { type: 'list', typeName: 'ulimit', defaultText: '[]', usage: 'Ulimit options', validate: validateUlimit },
});

/** validateTag: the name must parse as docker's normalised reference. */
function validateTag(value: string): string {
  try {
    parseNormalizedNamed(value);
  } catch (err) {
    throw new FlagValueError(err instanceof Error ? err.message : String(err));
  }
  return value;
}

type BuildContext = CommandContext<typeof BUILD_FLAGS>;

/** What RunBuild has once the context is ready. */
interface PreparedBuild {
  body: Readable;
  dockerfile: string;
  cleanup: () => void;
}

/** A writer that keeps what it is given (docker's bytes.Buffer for -q). */
class TextBuffer {
  text = '';
  write(s: string): void {
    this.text += s;
  }
}

/** Go's json.Marshal escaping of a string-keyed object (HTML characters escaped). */
export function goJSONMarshal(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sortedEntries<V>(map: Map<string, V>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const key of [...map.keys()].sort()) out[key] = map.get(key)!;
  return out;
}

/** opts.ConvertKVStringsToMapWithNil: KEY=VALUE, or KEY → null. */
function buildArgsMap(values: readonly string[]): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const v of values) {
    const eq = v.indexOf('=');
    out.set(eq < 0 ? v : v.slice(0, eq), eq < 0 ? null : v.slice(eq + 1));
  }
  return out;
}

/**
 * ValidateEnv at parse time: a bare KEY takes its value from the
 * environment when set there. (docker does this in the flag's validator;
 * berth's validators have no environment, so it happens here.)
 */
function resolveBuildArgs(values: readonly string[], env: Readonly<Record<string, string | undefined>>): string[] {
  return values.map((v) => {
    if (v.includes('=')) return v;
    const fromEnv = env[v];
    return fromEnv !== undefined ? `${v}=${fromEnv}` : v;
  });
}

function labelsMap(values: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values) {
    const eq = v.indexOf('=');
    out.set(eq < 0 ? v : v.slice(0, eq), eq < 0 ? '' : v.slice(eq + 1));
  }
  return out;
}

/** configfile.ParseProxyConfig: config.json's proxies for this daemon (or "default") fill build args not given, upper and lower case. */
function withProxyArgs(config: Record<string, unknown>, args: Map<string, string | null>, host: string): Map<string, string | null> {
  for (const [name, value] of proxyEnvironment(config, host)) if (!args.has(name)) args.set(name, value);
  return args;
}

/** imageBuildOptionsToQuery: the POST /build query, docker's parameters in url.Values' sorted order. */
function buildQuery(ctx: BuildContext, config: Record<string, unknown>, dockerfile: string, host: string): Record<string, string | string[]> {
  const f = ctx.flags;
  const q: Record<string, string | string[]> = {};
  const set = (key: string, value: string | string[] | undefined): void => {
    if (value !== undefined) q[key] = value;
  };
  set('t', f.tag.length > 0 ? f.tag : undefined);
  set('securityopt', f['security-opt'].length > 0 ? f['security-opt'] : undefined);
  set('extrahosts', f['add-host'].length > 0 ? f['add-host'] : undefined);
  set('q', f.quiet ? '1' : undefined);
  set('nocache', f['no-cache'] ? '1' : undefined);
  set('rm', f.rm ? undefined : '0');
  set('forcerm', f['force-rm'] ? '1' : undefined);
  set('pull', f.pull ? '1' : undefined);
  set('squash', f.squash ? '1' : undefined);
  set('isolation', f.isolation !== '' && f.isolation.toLowerCase() !== 'default' ? f.isolation : undefined);
  set('cpusetcpus', f['cpuset-cpus'] || undefined);
  set('networkmode', f.network !== '' && f.network !== 'default' ? f.network : undefined);
  set('cpusetmems', f['cpuset-mems'] || undefined);
  set('cpushares', f['cpu-shares'] !== 0 ? String(f['cpu-shares']) : undefined);
  set('cpuquota', f['cpu-quota'] !== 0 ? String(f['cpu-quota']) : undefined);
  set('cpuperiod', f['cpu-period'] !== 0 ? String(f['cpu-period']) : undefined);
  set('memory', f.memory !== 0 ? String(f.memory) : undefined);
  set('memswap', f['memory-swap'] !== 0 ? String(f['memory-swap']) : undefined);
  set('cgroupparent', f['cgroup-parent'] || undefined);
  set('shmsize', f['shm-size'] !== 0 ? String(f['shm-size']) : undefined);
  set('dockerfile', dockerfile || undefined);
  set('target', f.target || undefined);
  const ulimits = ulimitList(f.ulimit);
  set('ulimits', ulimits.length > 0 ? goJSONMarshal(ulimits.map((u) => ({ Name: u.Name, Hard: u.Hard, Soft: u.Soft }))) : undefined);
  const args = withProxyArgs(config, buildArgsMap(resolveBuildArgs(f['build-arg'], ctx.io.env)), host);
  set('buildargs', args.size > 0 ? goJSONMarshal(sortedEntries(args)) : undefined);
  const labels = labelsMap(f.label);
  set('labels', labels.size > 0 ? goJSONMarshal(sortedEntries(labels)) : undefined);
  set('cachefrom', f['cache-from'].length > 0 ? goJSONMarshal(f['cache-from']) : undefined);
  const platform = ctx.changed.has('platform') ? f.platform : (ctx.io.env.DOCKER_DEFAULT_PLATFORM ?? '');
  set('platform', platform ? platform.toLowerCase() : undefined);
  q.version = '1';
  const sorted: Record<string, string | string[]> = {};
  for (const key of Object.keys(q).sort()) sorted[key] = q[key]!;
  return sorted;
}

/** Whether an executable `name` is on PATH. */
function onPath(name: string, env: Readonly<Record<string, string | undefined>>): boolean {
  for (const dir of (env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

const EMPTY_REGISTRY_CONFIG = Buffer.from('{}').toString('base64');

/** The X-Registry-Config header: every stored credential, base64url JSON keyed by registry. */
async function registryConfigHeader(ctx: BuildContext, config: Record<string, unknown>): Promise<string> {
  // Nothing stored and no default credential helper: skip loading the registry modules.
  const auths = config.auths;
  const hasAuths = typeof auths === 'object' && auths !== null && Object.keys(auths).length > 0;
  if (!hasAuths && !config.credsStore && !config.credHelpers && !onPath('docker-credential-secretservice', ctx.io.env) && !onPath('docker-credential-pass', ctx.io.env)) {
    return EMPTY_REGISTRY_CONFIG;
  }
  const [{ DockerConfigFile }, { authConfigJson }] = await Promise.all([import('../../../registry/credentials.js'), import('../../../registry/auth-config.js')]);
  let all: Record<string, import('../../../registry/auth-config.js').AuthConfig> = {};
  try {
    const file = await DockerConfigFile.load({ configFlag: ctx.global.config, env: ctx.io.env as NodeJS.ProcessEnv });
    all = await file.getAllCredentials();
  } catch {
    // docker ignores credential errors here (creds, _ := GetAllCredentials())
  }
  const keys = Object.keys(all).sort();
  const json = `{${keys.map((k) => `${JSON.stringify(k)}:${authConfigJson(all[k]!)}`).join(',')}}`;
  return Buffer.from(json.replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)).toString('base64').replaceAll('+', '-').replaceAll('/', '_');
}

function isLocalPath(p: string): boolean {
  try {
    fs.statSync(p);
    return true;
  } catch {
    return false;
  }
}

async function readStream(input: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** The context and Dockerfile name, as RunBuild prepares them. */
async function prepareContext(ctx: BuildContext, progress: { write(s: string): unknown }): Promise<PreparedBuild> {
  const c = await import('./context.js');
  const specified = ctx.args[0]!;
  const dockerfileName = ctx.flags.file;
  const stdin = process.stdin;
  const dockerfileFromStdin = dockerfileName === '-';
  let cleanup = (): void => undefined;

  if (specified === '-') {
    const { body, dockerfile } = await c.contextFromReader(stdin, dockerfileName);
    return { body, dockerfile, cleanup };
  }
  let contextDir: string | undefined;
  let relDockerfile: string;
  let dockerfilePath: string | undefined;
  let outsideDockerfile: Buffer | undefined;
  if (isLocalPath(specified)) {
    contextDir = c.resolveContextDir(specified);
    // -f is relative to the working directory for a local context
    dockerfilePath = dockerfileName !== '' && !dockerfileFromStdin ? path.resolve(dockerfileName) : undefined;
    relDockerfile = c.dockerfileRelPath(contextDir, dockerfilePath ?? dockerfileName);
    if (relDockerfile.startsWith('../')) {
      // outside the context: read it here, it goes in under a random name
      try {
        outsideDockerfile = fs.readFileSync(dockerfileName);
      } catch (err) {
        throw new c.BuildContextError(`unable to open Dockerfile: open ${dockerfileName}: ${c.goErrnoText(err)}`);
      }
    }
    if (!dockerfileFromStdin) dockerfilePath = path.join(contextDir, relDockerfile);
  } else if (c.isGitURL(specified)) {
    const clone = await c.cloneGitContext(specified);
    cleanup = clone.cleanup;
    contextDir = clone.dir;
    try {
      relDockerfile = c.dockerfileRelPath(contextDir, dockerfileName);
    } catch (err) {
      cleanup();
      throw err;
    }
    if (relDockerfile.startsWith('../')) {
      cleanup();
      throw new c.BuildContextError(`unable to prepare context: the Dockerfile (${dockerfileName}) must be within the build context`);
    }
    if (!dockerfileFromStdin) dockerfilePath = path.join(contextDir, relDockerfile);
  } else if (c.isURL(specified)) {
    const remote = await c.contextFromURL(specified, dockerfileName, progress);
    if (dockerfileFromStdin) {
      const added = await c.addDockerfileToArchive(remote.body, await readStream(stdin));
      return { ...added, cleanup };
    }
    return { ...remote, cleanup };
  } else {
    throw new c.BuildContextError(`unable to prepare context: path ${goQuote(specified)} not found`);
  }

  try {
    const extraDockerfile = dockerfileFromStdin ? await readStream(stdin) : outsideDockerfile;
    const { body, dockerfile } = c.directoryContext({ contextDir, relDockerfile, dockerfilePath, extraDockerfile });
    return { body, dockerfile, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** docker's experimental-flag check: --squash needs a daemon that says Docker-Experimental: true. */
async function checkSquash(ctx: BuildContext): Promise<void> {
  const client = apiClient(ctx);
  let experimental = false;
  try {
    const res = await client.raw('GET', '/_ping');
    res.body.resume();
    experimental = res.headers['docker-experimental'] === 'true';
  } catch (err) {
    throw daemonError(err);
  }
  if (!experimental) throw new StatusError('"--squash" is only supported on a Docker daemon with experimental features enabled', 1);
}

async function runBuild(ctx: BuildContext): Promise<number> {
  const flags = ctx.flags;
  if (flags.file === '-' && ctx.args[0] === '-') throw new StatusError("invalid argument: can't use stdin for both build context and dockerfile", 1);
  if (flags.squash) await checkSquash(ctx);

  const quiet = flags.quiet;
  const progressBuffer = new TextBuffer();
  const buildBuffer = new TextBuffer();
  const progressOut = quiet ? progressBuffer : ctx.stdout;
  const buildOut = quiet ? buildBuffer : ctx.stdout;

  if (flags.iidfile !== '') {
    try {
      fs.rmSync(flags.iidfile);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        const { goErrnoText } = await import('./context.js');
        throw new StatusError(`Removing image ID file: remove ${flags.iidfile}: ${goErrnoText(err)}`, 1);
      }
    }
  }

  let prepared: PreparedBuild;
  try {
    prepared = await prepareContext(ctx, progressOut);
  } catch (err) {
    const { BuildContextError } = await import('./context.js');
    if (err instanceof BuildContextError) {
      if (quiet && /^https?:\/\//.test(ctx.args[0]!)) ctx.stderr.write(`${progressBuffer.text}\n`);
      throw new StatusError(err.message, 1);
    }
    throw err;
  }

  try {
    const client = apiClient(ctx);
    let body: Readable = prepared.body;
    if (flags.compress) {
      const { createGzip } = process.getBuiltinModule('node:zlib');
      body = body.pipe(createGzip());
    }
    const { watchProgress } = await import('./progress-reader.js');
    const isTerminal = process.stdout.isTTY === true && !quiet;
    watchProgress(body, progressOut, { action: 'Sending build context to Docker daemon', total: 0, everyUpdate: isTerminal });

    const config = readCliConfig(ctx.global.config);
    const query = buildQuery(ctx, config, prepared.dockerfile, client.hostDescription);
    const registryConfig = await registryConfigHeader(ctx, config);
    let res;
    try {
      // the body cannot be sent twice: settle the API version first, as the docker CLI's ping does
      await client.negotiate();
      res = await client.stream('POST', '/build', {
        query,
        stream: body,
        contentType: 'application/x-tar',
        headers: { 'X-Registry-Config': registryConfig },
      });
    } catch (err) {
      if (quiet) ctx.stderr.write(progressBuffer.text);
      throw daemonError(err);
    }

    let imageID = '';
    const { displayJSONMessagesStream, JSONMessageError } = await import('../../progress.js');
    try {
      await displayJSONMessagesStream(res.body, buildOut, {
        isTerminal: process.stdout.isTTY === true,
        width: process.stdout.isTTY ? (process.stdout.columns ?? 200) : 200,
        onAux: (message) => {
          const aux = message.aux;
          if (typeof aux === 'object' && aux !== null && !Array.isArray(aux)) {
            const id = (aux as { ID?: unknown }).ID;
            imageID = typeof id === 'string' ? id : '';
          } else {
            ctx.stderr.write(`Failed to parse aux message: json: cannot unmarshal ${Array.isArray(aux) ? 'array' : typeof aux} into Go value of type types.BuildResult`);
          }
        },
      });
    } catch (err) {
      if (err instanceof JSONMessageError) {
        if (quiet) ctx.stderr.write(`${progressBuffer.text}${buildBuffer.text}`);
        throw new StatusError(err.message, err.code === 0 ? 1 : err.code);
      }
      throw err;
    }

    if (quiet) {
      imageID = buildBuffer.text;
      ctx.stdout.write(imageID);
    }
    if (flags.iidfile !== '') {
      if (imageID === '') throw new StatusError(`Server did not provide an image ID. Cannot write ${flags.iidfile}`, 1);
      fs.writeFileSync(flags.iidfile, imageID, { mode: 0o666 });
    }
    return 0;
  } finally {
    prepared.cleanup();
  }
}

export const buildCommand = defineCommand({
  name: 'build',
  usage: '[OPTIONS] PATH | URL | -',
  description: 'Build an image from a Dockerfile',
  flags: BUILD_FLAGS,
  args: exactArgs(1),
  run: runBuild,
});
