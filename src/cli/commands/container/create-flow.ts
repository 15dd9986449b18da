// The part `run` and `create` share (docker/cli create.go): checks before
// the request, the request itself with docker's pull-and-retry when the
// image is missing, the daemon's warnings and the --cidfile.
import { proxyEnvironment } from '../../proxy-config.js';
import { closeSync, existsSync, openSync, rmSync, writeSync } from 'node:fs';

import type { ApiClient } from '../../client/api-client.js';
import { ApiError } from '../../client/api-client.js';
import { readCliConfig } from '../../client/contexts.js';
import { StatusError, type CommandContext } from '../../command.js';
import type { FlagSpecs, FlagValues } from '../../flags.js';
import { displayJSONMessagesStream, JSONMessageError } from '../../progress.js';
import { familiarString, parseAnyReference, tagNameOnly, type NamedReference } from '../../../image/reference.js';
import type { ContainerFlagSpecs } from './create-flags.js';
import { ContainerOptionsError, parseContainerOptions, windowsOnlyFlagErrors, type ContainerCreateBody } from './create-options.js';
import { KeyValueFileError } from './env-file.js';
import { canonicalIP } from './option-values.js';

/** docker's reportError: "docker: <message>" and, with help, the pointer to --help. */
export function reportError(ctx: CommandContext<FlagSpecs>, command: string, message: string, withHelp = true): void {
  let text = `${ctx.binName}: ${message}`;
  if (withHelp) text += `\n\nRun '${ctx.binName} ${command} --help' for more information`;
  ctx.stderr.write(`${text}\n`);
}

const PULL_OPTIONS = ['always', 'missing', 'never'];

/** validatePullOpt. */
export function pullOptionError(value: string): string | undefined {
  if (value === '' || PULL_OPTIONS.includes(value)) return undefined;
  return `invalid pull option: '${value}': must be one of "always", "missing" or "never"`;
}

/** configfile.ParseProxyConfig: config.json's proxies for this daemon (or "default"), as environment entries. */
export function proxyEnvironmentFor(configDir: string, host: string): Map<string, string> {
  return proxyEnvironment(readCliConfig(configDir), host);
}

export interface PreparedCreate {
  body: ContainerCreateBody;
}

/**
 * Everything before the request: the Windows-only flags docker refuses, the
 * --pull value, and parse(). Failures are printed as docker prints them and
 * thrown as the exit status.
 */
export function prepareCreate(
  ctx: CommandContext<FlagSpecs>,
  command: 'run' | 'create',
  values: FlagValues<ContainerFlagSpecs> & { pull: string; 'use-api-socket': boolean },
  host: string,
): PreparedCreate {
  const windowsOnly = windowsOnlyFlagErrors(ctx.changed);
  if (windowsOnly.length > 0) throw new StatusError(windowsOnly.join('\n'), 1);
  const pullError = pullOptionError(values.pull);
  if (pullError) {
    reportError(ctx, command, pullError);
    throw new StatusError('', 125);
  }
  const env = ctx.io.env;
  let apiSocket: string | undefined;
  if (values['use-api-socket']) {
    if (!host.startsWith('unix://')) {
      throw new StatusError(`flag --use-api-socket can only be used with unix sockets: docker endpoint ${host} incompatible`, 1);
    }
    apiSocket = host.slice('unix://'.length);
  }
  try {
    const body = parseContainerOptions({
      values,
      changed: ctx.changed,
      image: ctx.args[0]!,
      args: ctx.args.slice(1),
      lookupEnv: (name) => env[name],
      proxyEnv: proxyEnvironmentFor(ctx.global.config, host),
      apiSocket,
    });
    return { body };
  } catch (err) {
    if (err instanceof ContainerOptionsError || err instanceof KeyValueFileError) {
      reportError(ctx, command, err.message);
      throw new StatusError('', 125);
    }
    throw err;
  }
}

// ---------------------------------------------------------------------------
// Platforms (containerd's platforms.Parse and Format, as far as the CLI needs them).

const SPECIFIER = /^[A-Za-z0-9_.-]+$/;
const KNOWN_OS = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'windows', 'zos']);
const KNOWN_ARCH = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le',
  'mips64p32', 'mips64p32le', 'ppc', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm',
]);

function normalizeArch(arch: string, variant: string): [string, string] {
  arch = arch.toLowerCase();
  variant = variant.toLowerCase();
  switch (arch) {
    case 'i386':
      return ['386', ''];
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      return ['amd64', variant === 'v1' ? '' : variant];
    case 'aarch64':
    case 'arm64':
      return ['arm64', variant === '8' || variant === 'v8' || variant === 'v8.0' ? '' : variant];
    case 'armhf':
      return ['arm', 'v7'];
    case 'armel':
      return ['arm', 'v6'];
    case 'arm':
      if (variant === '' || variant === '7') return ['arm', 'v7'];
      if (/^[5-8]$/.test(variant)) return ['arm', `v${variant}`];
      return ['arm', variant];
    default:
      return [arch, variant];
  }
}

/** platforms.Parse then Format, lower-cased as the client sends it. Throws docker's message. */
export function normalizePlatform(specifier: string): string {
  const fail = (reason: string): Error => new Error(`error parsing specified platform: ${reason}: invalid argument`);
  if (specifier.includes('*')) throw fail(`${JSON.stringify(specifier)}: wildcards not yet supported`);
  const parts = specifier.split('/');
  for (const part of parts) {
    if (!SPECIFIER.test(part)) {
      throw fail(`${JSON.stringify(part)} is an invalid component of ${JSON.stringify(specifier)}: platform specifier component must match "^[A-Za-z0-9_.-]+$"`);
    }
  }
  let os = '';
  let arch = '';
  let variant = '';
  if (parts.length === 1) {
    const first = parts[0]!.toLowerCase() === 'macos' ? 'darwin' : parts[0]!.toLowerCase();
    if (KNOWN_OS.has(first)) {
      os = first;
      arch = 'amd64';
    } else {
      [arch, variant] = normalizeArch(parts[0]!, '');
      if (arch === 'arm' && variant === 'v7') variant = '';
      if (!KNOWN_ARCH.has(arch)) throw fail(`${JSON.stringify(specifier)}: unknown operating system or architecture`);
      os = 'linux';
    }
  } else if (parts.length === 2) {
    os = parts[0]!.toLowerCase() === 'macos' ? 'darwin' : parts[0]!.toLowerCase();
    [arch, variant] = normalizeArch(parts[1]!, '');
    if (arch === 'arm' && variant === 'v7') variant = '';
  } else if (parts.length === 3) {
    os = parts[0]!.toLowerCase() === 'macos' ? 'darwin' : parts[0]!.toLowerCase();
    [arch, variant] = normalizeArch(parts[1]!, parts[2]!);
    if (arch === 'arm64' && variant === '') variant = 'v8';
  } else {
    throw fail(`${JSON.stringify(specifier)}: cannot parse platform specifier`);
  }
  return [os, arch, variant].filter((p) => p !== '').join('/').toLowerCase();
}

// ---------------------------------------------------------------------------
// The request.

export interface CreateOptions {
  readonly name: string;
  readonly platform: string;
  readonly pull: string;
  readonly quiet: boolean;
  /** Stdout's size when it is a terminal, sent as HostConfig.ConsoleSize. */
  readonly consoleSize: [number, number];
}

/** A failure of createContainer: `run` prints it with the --help pointer, `create` as is. */
export class CreateError extends Error {
  constructor(
    message: string,
    readonly fromDaemon: boolean,
  ) {
    super(message);
    this.name = 'CreateError';
  }
}

const LOCALHOST_DNS = /((127\.([0-9]{1,3}\.){2}[0-9]{1,3})|(::1)$)/;

/** The image reference a pull would use, when the image is a name (not an ID). */
function namedReference(image: string): NamedReference | undefined {
  const ref = parseAnyReference(image);
  return ref.kind === 'named' ? tagNameOnly(ref) : undefined;
}

/** POST /images/create for `image`, progress on stderr (docker's pullImage in create.go). */
export async function pullImage(
  ctx: CommandContext<FlagSpecs>,
  client: ApiClient,
  ref: NamedReference,
  platform: string,
  quiet: boolean,
): Promise<void> {
  const { registryAuthFor } = await import('../image/registry-auth.js');
  const auth = await registryAuthFor(ctx.global, ctx.io.env, ref);
  const tag = ref.digest ?? ref.tag ?? 'latest';
  const res = await client.stream('POST', '/images/create', {
    query: { fromImage: ref.name, tag, platform: platform || undefined },
    headers: { 'X-Registry-Auth': auth },
  });
  const out = quiet ? { write: (): void => undefined } : ctx.stderr;
  const isTerminal = !quiet && process.stderr.isTTY === true;
  await displayJSONMessagesStream(res.body, out, { isTerminal, width: isTerminal ? (process.stderr.columns ?? 200) : 200 });
}

/**
 * createContainer: warnings about the flags, the --cidfile, the request
 * (pulling and retrying once when the image is missing and --pull=missing),
 * the daemon's warnings on stderr. Returns the new container's ID.
 */
export async function createContainer(
  ctx: CommandContext<FlagSpecs>,
  client: ApiClient,
  body: ContainerCreateBody,
  options: CreateOptions,
): Promise<string> {
  const hostConfig = body.HostConfig;
  for (const dns of hostConfig.Dns) {
    if (LOCALHOST_DNS.test(dns)) {
      ctx.stderr.write(`WARNING: Localhost DNS (${dns}) may fail in containers.\n`);
      break;
    }
  }

  const cidFile = hostConfig.ContainerIDFile;
  let cidFd: number | undefined;
  if (cidFile !== '') {
    if (existsSync(cidFile)) {
      throw new CreateError(`container ID file found, make sure the other container isn't running or delete ${cidFile}`, false);
    }
    try {
      cidFd = openSync(cidFile, 'w', 0o666);
    } catch (err) {
      throw new CreateError(`failed to create the container ID file: ${(err as Error).message}`, false);
    }
  }
  let written = false;
  try {
    let ref: NamedReference | undefined;
    try {
      ref = namedReference(body.Image);
    } catch (err) {
      throw new CreateError((err as Error).message, false);
    }
    let platform = '';
    const platformText = options.platform;
    if (platformText !== '') {
      try {
        platform = normalizePlatform(platformText);
      } catch (err) {
        throw new CreateError((err as Error).message, false);
      }
    }
    const pull = async (): Promise<void> => {
      if (!ref) return;
      try {
        await pullImage(ctx, client, ref, platform, options.quiet);
      } catch (err) {
        if (err instanceof JSONMessageError) throw new CreateError(err.message, false);
        throw err;
      }
    };
    if (options.pull === 'always') await pull();

    hostConfig.ConsoleSize = options.consoleSize;
    const request = (): Promise<{ Id: string; Warnings?: string[] | null }> =>
      client.json('POST', '/containers/create', {
        query: { name: options.name || undefined, platform: platform || undefined },
        body,
      });
    let response: { Id: string; Warnings?: string[] | null };
    try {
      response = await request();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404 && ref && options.pull === 'missing')) throw err;
      if (!options.quiet) ctx.stderr.write(`Unable to find image '${familiarString(ref)}' locally\n`);
      await pull();
      response = await request();
    }
    for (const warning of response.Warnings ?? []) ctx.stderr.write(`WARNING: ${warning}\n`);
    if (cidFd !== undefined) {
      writeSync(cidFd, response.Id);
      written = true;
    }
    return response.Id;
  } finally {
    if (cidFd !== undefined) {
      closeSync(cidFd);
      if (!written) rmSync(cidFile, { force: true });
    }
  }
}

/** Whether an address is a loopback DNS server (exported for tests). */
export function isLocalhostDNS(address: string): boolean {
  return canonicalIP(address) !== undefined && LOCALHOST_DNS.test(address);
}
