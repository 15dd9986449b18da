// Platforms (os/arch/variant) as containerd's platforms package parses,
// normalises and matches them, and dockerd's choice of a manifest from a
// list or index (distribution/pull_v2_unix.go filterManifests): entries that
// match the wanted platform or a compatible one (amd64 also runs 386,
// arm/v7 runs v6 and v5, arm64 runs arm/v8...), best first.
import { invalidParameter, systemError, type EngineError } from '../common/errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

const knownOS = new Set([
  'aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd', 'openbsd',
  'plan9', 'solaris', 'windows', 'zos',
]);
const knownArch = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le', 'loong64', 'mips', 'mipsle', 'mips64',
  'mips64le', 'mips64p32', 'mips64p32le', 'ppc', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm',
]);

/** Go's GOARCH for this machine. */
export function hostArchitecture(): string {
  switch (process.arch) {
    case 'x64':
      return 'amd64';
    case 'ia32':
      return '386';
    case 'arm':
      return 'arm';
    case 'arm64':
      return 'arm64';
    case 'ppc64':
      return process.platform === 'linux' && osEndianness() === 'LE' ? 'ppc64le' : 'ppc64';
    case 'riscv64':
      return 'riscv64';
    case 's390x':
      return 's390x';
    case 'loong64':
      return 'loong64';
    default:
      return process.arch;
  }
}

function osEndianness(): 'LE' | 'BE' {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'LE' : 'BE';
}

/** The platform this daemon runs images for (platforms.DefaultSpec()). */
export function defaultPlatform(): Platform {
  const architecture = hostArchitecture();
  const p: Platform = { os: 'linux', architecture };
  if (architecture === 'arm64') p.variant = 'v8';
  if (architecture === 'arm') p.variant = 'v7';
  return p;
}

function normalizeOS(os: string): string {
  if (os === '') return 'linux';
  const lower = os.toLowerCase();
  return lower === 'macos' ? 'darwin' : lower;
}

function normalizeArch(arch: string, variant: string): { architecture: string; variant: string } {
  let a = arch.toLowerCase();
  let v = variant.toLowerCase();
  switch (a) {
    case 'i386':
      a = '386';
      v = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      a = 'amd64';
      if (v === 'v1') v = '';
      break;
    case 'aarch64':
    case 'arm64':
      a = 'arm64';
      if (v === '8' || v === 'v8') v = '';
      break;
    case 'armhf':
      a = 'arm';
      v = 'v7';
      break;
    case 'armel':
      a = 'arm';
      v = 'v6';
      break;
    case 'arm':
      if (v === '' || v === '7') v = 'v7';
      else if (v === '5' || v === '6' || v === '8') v = `v${v}`;
      break;
  }
  return { architecture: a, variant: v };
}

/** platforms.Normalize: canonical os, architecture and variant (variant '' when implied). */
export function normalizePlatform(p: Platform): Platform {
  const { architecture, variant } = normalizeArch(p.architecture ?? '', p.variant ?? '');
  const out: Platform = { os: normalizeOS(p.os ?? ''), architecture };
  if (variant !== '') out.variant = variant;
  if (p['os.version']) out['os.version'] = p['os.version'];
  if (p['os.features']?.length) out['os.features'] = [...new Set(p['os.features'])].sort();
  return out;
}

const specifierComponent = /^[A-Za-z0-9_.-]+$/;
const osComponent = /^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]*)*)\))?$/;

function platformError(message: string): EngineError {
  return invalidParameter(message);
}

/**
 * platforms.Parse: `os`, `arch`, `os/arch` or `os/arch/variant` (the
 * `--platform` flag and the API's `platform` parameter). Errors carry
 * containerd's wording.
 */
export function parsePlatform(specifier: string): Platform {
  if (specifier.includes('*')) throw platformError(`"${specifier}": wildcards not yet supported: invalid argument`);
  const parts = specifier.split('/');
  if (parts.length > 3) throw platformError(`"${specifier}": cannot parse platform specifier: invalid argument`);
  const osMatch = osComponent.exec(parts[0]!);
  if (!osMatch) {
    throw platformError(
      `"${parts[0]}" is an invalid OS component of "${specifier}": OSAndVersion specifier component must match "${osComponent.source}": invalid argument`,
    );
  }
  for (const part of parts.slice(1)) {
    if (!specifierComponent.test(part)) {
      throw platformError(
        `"${part}" is an invalid component of "${specifier}": platform specifier component must match "${specifierComponent.source}": invalid argument`,
      );
    }
  }
  const os = normalizeOS(osMatch[1]!);
  const osVersion = osMatch[2] ? decodeURIComponent(osMatch[2]) : '';
  const withVersion = (p: Platform): Platform => (osVersion ? { ...p, 'os.version': osVersion } : p);
  if (parts.length === 1) {
    if (knownOS.has(os)) {
      const d = defaultPlatform();
      const p: Platform = { os, architecture: d.architecture };
      if (d.architecture === 'arm' && d.variant && d.variant !== 'v7') p.variant = d.variant;
      return withVersion(p);
    }
    const { architecture, variant } = normalizeArch(parts[0]!, '');
    if (knownArch.has(architecture)) {
      const p: Platform = { os: 'linux', architecture };
      if (variant && !(architecture === 'arm' && variant === 'v7')) p.variant = variant;
      return p;
    }
    throw platformError(`"${specifier}": unknown operating system or architecture: invalid argument`);
  }
  if (parts.length === 2) {
    const { architecture, variant } = normalizeArch(parts[1]!, '');
    const p: Platform = { os, architecture };
    if (variant && !(architecture === 'arm' && variant === 'v7')) p.variant = variant;
    return withVersion(p);
  }
  const na = normalizeArch(parts[1]!, parts[2]!);
  let variant = na.variant;
  if (na.architecture === 'arm64' && variant === '') variant = 'v8';
  const p: Platform = { os, architecture: na.architecture };
  if (variant) p.variant = variant;
  return withVersion(p);
}

/** platforms.Format: `linux/arm64/v8`, `unknown` without an os. */
export function formatPlatform(p: Platform): string {
  if (!p.os) return 'unknown';
  return [p.os, p.architecture, p.variant].filter((s) => s !== undefined && s !== '').join('/');
}

/** The ordered list of platforms a given one can run (containerd's platformVector). */
function platformVector(p: Platform): Platform[] {
  const vector: Platform[] = [p];
  const base = { os: p.os, ...(p['os.version'] ? { 'os.version': p['os.version'] } : {}) };
  switch (p.architecture) {
    case 'amd64': {
      const n = Number.parseInt((p.variant ?? '').replace(/^v/, ''), 10);
      if (Number.isInteger(n) && n > 1) for (let v = n - 1; v >= 1; v--) vector.push({ ...base, architecture: 'amd64', variant: `v${v}` });
      vector.push({ ...base, architecture: '386' });
      break;
    }
    case 'arm': {
      const n = Number.parseInt((p.variant ?? '').replace(/^v/, ''), 10);
      if (Number.isInteger(n) && n > 5) for (let v = n - 1; v >= 5; v--) vector.push({ ...base, architecture: 'arm', variant: `v${v}` });
      break;
    }
    case 'arm64': {
      let variant = p.variant || 'v8';
      const [majorPart, minorPart] = variant.split('.');
      let major = Number.parseInt((majorPart ?? '').replace(/^v/, ''), 10);
      if (Number.isInteger(major) && major >= 8) {
        let minor = 0;
        if (variant.length === 4 && minorPart !== undefined) {
          const m = Number.parseInt(minorPart, 10);
          if (Number.isInteger(m)) minor = m;
        }
        if (major === 9) {
          for (let m = minor - 1; m >= 0; m--) vector.push({ ...base, architecture: 'arm64', variant: m === 0 ? 'v9' : `v9.${m}` });
          minor += 5;
          major = 8;
          vector.push({ ...base, architecture: 'arm64', variant: `v8.${minor}` });
        }
        for (let m = minor - 1; m >= 0; m--) vector.push({ ...base, architecture: 'arm64', variant: m === 0 ? `v${major}` : `v${major}.${m}` });
      }
      if (variant.startsWith('v8.') || variant.startsWith('v9.')) variant = 'v8';
      vector.push(...platformVector({ ...base, architecture: 'arm', variant }));
      break;
    }
  }
  return vector;
}

function samePlatform(want: Platform, candidate: Platform): boolean {
  const c = normalizePlatform(candidate);
  if (want.os !== c.os || want.architecture !== c.architecture || (want.variant ?? '') !== (c.variant ?? '')) return false;
  const features = c['os.features'] ?? [];
  if (features.length === 0) return true;
  const have = new Set(want['os.features'] ?? []);
  return features.every((f) => have.has(f));
}

/** A match-and-order rule for one wanted platform (containerd's platforms.Only). */
export interface PlatformMatcher {
  match(p: Platform): boolean;
  /** Lower is better; Infinity when it does not match. */
  rank(p: Platform): number;
}

export function platformMatcher(wanted: Platform): PlatformMatcher {
  const vector = platformVector(normalizePlatform(wanted)).map((p) => normalizePlatform(p));
  const rank = (p: Platform): number => {
    const i = vector.findIndex((w) => samePlatform(w, p));
    return i < 0 ? Infinity : i;
  };
  return { match: (p) => rank(p) !== Infinity, rank };
}

/** A manifest list or index entry. */
export interface PlatformEntry {
  digest: string;
  mediaType?: string;
  size?: number;
  platform?: Platform;
}

/**
 * The entries of a list or index that can run on `wanted` (the host's
 * platform by default), best match first; stable for equal ranks.
 */
export function filterManifests<T extends PlatformEntry>(entries: readonly T[], wanted?: Platform): T[] {
  const want = normalizePlatform(wanted ?? defaultPlatform());
  const m = platformMatcher(want);
  const matches = entries
    .map((e, i) => ({ e, i, r: e.platform ? m.rank(e.platform) : Infinity }))
    .filter((x) => x.r !== Infinity)
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.e);
  if (matches.length === 0 && want.architecture === 'arm') {
    // dockerd's deprecated fallback for lists that did not record a variant.
    return entries.filter((e) => e.platform && normalizeOS(e.platform.os) === want.os && normalizeArch(e.platform.architecture, '').architecture === 'arm');
  }
  return matches;
}

/**
 * The entry dockerd pulls for `wanted` (default: the host platform), or
 * docker's error: `no matching manifest for linux/amd64 in the manifest list entries`.
 */
export function selectManifest<T extends PlatformEntry>(entries: readonly T[], wanted?: Platform): T {
  const matches = filterManifests(entries, wanted);
  if (matches.length === 0) {
    const shown = wanted && wanted.os ? wanted : defaultPlatform();
    throw systemError(`no matching manifest for ${formatPlatform(shown)} in the manifest list entries`);
  }
  return matches[0]!;
}
