// The container process's environment and rlimits as dockerd builds them
// (moby container.CreateDaemonEnvironment, daemon WithRlimits).
import { invalidParameter } from '../../common/errors.js';
import type { Ulimit } from '../container-config.js';
import { RLIM_INFINITY, type RlimitValue } from './host.js';
import type { OciRlimit } from './types.js';

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * moby ReplaceOrAppendEnvValues: an override replaces the default of the same
 * name in place or is appended; a bare NAME removes it.
 */
export function replaceOrAppendEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const env: (string | null)[] = [...defaults];
  const index = new Map<string, number>();
  env.forEach((e, i) => index.set(e!.slice(0, e!.indexOf('=')), i));
  for (const value of overrides) {
    const eq = value.indexOf('=');
    if (eq < 0) {
      const i = index.get(value);
      if (i !== undefined) env[i] = null;
      continue;
    }
    const i = index.get(value.slice(0, eq));
    if (i !== undefined) env[i] = value;
    else env.push(value);
  }
  return env.filter((e): e is string => e !== null && e !== '');
}

/**
 * PATH, HOSTNAME and (with a tty) TERM=xterm, then legacy link variables, then
 * the container's Env (which already holds the image's). HOME is added from
 * passwd when missing, as runc would add it at exec: the spec then says what
 * the process sees.
 */
export function containerEnv(opts: {
  env: readonly string[] | null | undefined;
  hostname: string;
  tty: boolean;
  linkedEnv?: readonly string[];
  home?: string;
}): string[] {
  const defaults = [DEFAULT_PATH_ENV, `HOSTNAME=${opts.hostname}`];
  if (opts.tty) defaults.push('TERM=xterm');
  defaults.push(...(opts.linkedEnv ?? []));
  const env = replaceOrAppendEnv(defaults, opts.env ?? []);
  if (opts.home !== undefined && !env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${opts.home || '/'}`);
  return env;
}

export const ULIMIT_NAMES: readonly string[] = [
  'as',
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
];

/** A docker ulimit value (int64, -1 = unlimited) as the uint64 runc reads. */
function toUint64(n: number): bigint {
  const b = BigInt(Math.trunc(n));
  return b < 0n ? (1n << 64n) + b : b;
}

function jsonInt(b: bigint): number | bigint {
  return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

const show = (b: bigint): string => (b === RLIM_INFINITY ? 'unlimited' : String(b));

export interface RlimitResult {
  rlimits: OciRlimit[];
  warnings: string[];
}

/**
 * HostConfig.Ulimits merged with the daemon's default ulimits (the container's
 * win by name), as OCI rlimits. When the daemon may not raise limits (no
 * CAP_SYS_RESOURCE), a hard limit above its own is lowered to it: runc sets
 * rlimits from the daemon's side and would fail every start with EPERM.
 */
export function buildRlimits(
  ulimits: readonly Ulimit[] | null | undefined,
  daemonDefaults: readonly Ulimit[] | undefined,
  daemonLimits: Record<string, RlimitValue>,
  canRaise: boolean,
): RlimitResult {
  const merged: Ulimit[] = [...(ulimits ?? [])];
  for (const d of daemonDefaults ?? []) if (!merged.some((u) => u.Name === d.Name)) merged.push(d);
  const rlimits: OciRlimit[] = [];
  const warnings: string[] = [];
  for (const u of merged) {
    const name = u.Name.toLowerCase();
    if (!ULIMIT_NAMES.includes(name)) throw invalidParameter(`invalid ulimit type: ${u.Name}`);
    let soft = toUint64(u.Soft);
    let hard = toUint64(u.Hard);
    if (soft > hard) throw invalidParameter(`ulimit soft limit must be less than or equal to hard limit: ${show(soft)} > ${show(hard)}`);
    const own = daemonLimits[name];
    if (!canRaise && own && hard > own.hard) {
      warnings.push(`ulimit ${name}: hard limit ${show(hard)} lowered to the daemon's own hard limit ${show(own.hard)}`);
      hard = own.hard;
      if (soft > hard) soft = hard;
    }
    rlimits.push({ type: `RLIMIT_${name.toUpperCase()}`, hard: jsonInt(hard), soft: jsonInt(soft) });
  }
  return { rlimits, warnings };
}
