// Seccomp: docker's profile format (archMap, per-rule includes/excludes on
// capabilities, architectures and kernel version) turned into the OCI
// linux.seccomp section for this host, as dockerd's profiles/seccomp
// setupSeccomp does; and which profile a container gets (daemon WithSeccomp).
import { invalidParameter } from '../../common/errors.js';
import { kernelAtLeast, type HostInfo } from './host.js';
import { DEFAULT_SECCOMP_PROFILE } from './seccomp-default.js';
import type { SecurityOptions } from './security.js';
import type { OciSeccomp, OciSeccompArg, OciSyscall } from './types.js';

export interface DockerSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface DockerSeccompFilter {
  caps?: string[] | null;
  arches?: string[] | null;
  minKernel?: string | null;
}

export interface DockerSeccompSyscall {
  name?: string;
  names?: string[] | null;
  action: string;
  errnoRet?: number | null;
  args?: DockerSeccompArg[] | null;
  comment?: string;
  includes?: DockerSeccompFilter | null;
  excludes?: DockerSeccompFilter | null;
}

export interface DockerSeccompArchMap {
  architecture: string;
  subArchitectures?: string[] | null;
}

export interface DockerSeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number | null;
  architectures?: string[] | null;
  archMap?: DockerSeccompArchMap[] | null;
  listenerPath?: string;
  listenerMetadata?: string;
  flags?: string[] | null;
  syscalls?: DockerSeccompSyscall[] | null;
}

/** libseccomp native arch name -> SCMP_ARCH constant (moby nativeToSeccomp). */
const NATIVE_TO_SECCOMP: Record<string, string> = {
  x86: 'SCMP_ARCH_X86',
  amd64: 'SCMP_ARCH_X86_64',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mips3l64n32: 'SCMP_ARCH_MIPSEL64N32',
  mipsle: 'SCMP_ARCH_MIPSEL',
  mipsel: 'SCMP_ARCH_MIPSEL',
  ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
  riscv64: 'SCMP_ARCH_RISCV64',
  loong64: 'SCMP_ARCH_LOONGARCH64',
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Decode a profile given as JSON text (what `--security-opt seccomp=<file>` sends). */
export function parseSeccompProfile(body: string): DockerSeccompProfile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw invalidParameter(`Decoding seccomp profile failed: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw invalidParameter('Decoding seccomp profile failed: the profile is not a JSON object');
  const p = parsed;
  const fail = (what: string): never => {
    throw invalidParameter(`Decoding seccomp profile failed: ${what}`);
  };
  if (p.defaultAction !== undefined && typeof p.defaultAction !== 'string') fail('defaultAction must be a string');
  if (p.syscalls != null && !Array.isArray(p.syscalls)) fail('syscalls must be an array');
  for (const s of (p.syscalls as unknown[] | null | undefined) ?? []) {
    if (!isObject(s)) fail('each syscall rule must be an object');
  }
  return { defaultAction: '', ...(p as Partial<DockerSeccompProfile>) } as DockerSeccompProfile;
}

export interface SeccompContext {
  /** The container's bounding capability set: includes/excludes.caps test it. */
  capabilities: readonly string[];
  /** libseccomp's native arch name (HostInfo.seccompArch). */
  arch: string;
  kernelRelease: string;
}

function minKernelMet(spec: string, release: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(spec.trim());
  if (!m) throw invalidParameter(`invalid kernel version: ${spec}`);
  return kernelAtLeast(release, Number(m[1]), Number(m[2]));
}

function convertArgs(args: DockerSeccompArg[] | null | undefined): OciSeccompArg[] | undefined {
  if (!args?.length) return undefined;
  return args.map((a) => {
    const out: OciSeccompArg = { index: a.index, value: a.value, op: a.op };
    if (a.valueTwo) out.valueTwo = a.valueTwo;
    return out;
  });
}

/**
 * The OCI seccomp section of a docker-format profile for this container, or
 * undefined when the profile disables seccomp (no default action, no rules).
 */
export function buildSeccomp(profile: DockerSeccompProfile, ctx: SeccompContext): OciSeccomp | undefined {
  const syscalls = profile.syscalls ?? [];
  if (!profile.defaultAction && syscalls.length === 0) return undefined;
  if (profile.architectures?.length && profile.archMap?.length) {
    throw invalidParameter("'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  const out: OciSeccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet != null) out.defaultErrnoRet = profile.defaultErrnoRet;
  const architectures: string[] = [...(profile.architectures ?? [])];
  const native = NATIVE_TO_SECCOMP[ctx.arch];
  if (native && profile.archMap?.length) {
    const entry = profile.archMap.find((a) => a.architecture === native);
    if (entry) architectures.push(entry.architecture, ...(entry.subArchitectures ?? []));
  }
  if (architectures.length) out.architectures = architectures;
  if (profile.flags?.length) out.flags = [...profile.flags];
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;

  const caps = new Set(ctx.capabilities);
  const rules: OciSyscall[] = [];
  for (const call of syscalls) {
    const ex = call.excludes;
    if (ex) {
      if (ex.arches?.includes(ctx.arch)) continue;
      if (ex.caps?.some((c) => caps.has(c))) continue;
      if (ex.minKernel && minKernelMet(ex.minKernel, ctx.kernelRelease)) continue;
    }
    const inc = call.includes;
    if (inc) {
      if (inc.arches?.length && !inc.arches.includes(ctx.arch)) continue;
      if (inc.caps?.length && !inc.caps.every((c) => caps.has(c))) continue;
      if (inc.minKernel && !minKernelMet(inc.minKernel, ctx.kernelRelease)) continue;
    }
    let names = [...(call.names ?? [])];
    if (call.name) {
      if (names.length) {
        throw invalidParameter("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
      }
      names = [call.name];
    }
    const rule: OciSyscall = { names, action: call.action };
    if (call.errnoRet != null) rule.errnoRet = call.errnoRet;
    const args = convertArgs(call.args);
    if (args) rule.args = args;
    rules.push(rule);
  }
  if (rules.length) out.syscalls = rules;
  return out;
}

export interface SeccompChoice {
  seccomp?: OciSeccomp;
  warnings: string[];
}

/**
 * The seccomp section dockerd gives a container (daemon WithSeccomp): none when
 * privileged or `seccomp=unconfined`; the profile sent with
 * `--security-opt seccomp=<json>`; else the daemon's profile or docker's default.
 */
export function containerSeccomp(
  security: SecurityOptions,
  privileged: boolean,
  bounding: readonly string[],
  host: HostInfo,
  daemonProfile?: string,
): SeccompChoice {
  const warnings: string[] = [];
  if (privileged) return { warnings };
  let choice = security.seccompProfile;
  if (!host.seccompEnabled) {
    if (choice && choice !== 'unconfined') {
      throw invalidParameter('seccomp is not enabled in your kernel, cannot run a custom seccomp profile');
    }
    warnings.push('Seccomp is not enabled in your kernel, running container without default profile.');
    choice = 'unconfined';
  }
  if (choice === 'unconfined') return { warnings };
  const ctx: SeccompContext = { capabilities: bounding, arch: host.seccompArch, kernelRelease: host.kernelRelease };
  let profile: DockerSeccompProfile;
  if (choice && choice !== 'builtin') profile = parseSeccompProfile(choice);
  else if (daemonProfile && daemonProfile !== 'builtin' && choice !== 'builtin') profile = parseSeccompProfile(daemonProfile);
  else profile = DEFAULT_SECCOMP_PROFILE;
  const seccomp = buildSeccomp(profile, ctx);
  return seccomp ? { seccomp, warnings } : { warnings };
}
