// The mount grammar of `docker run`, as dockerd's Linux parser reads it:
// HostConfig.Binds strings (`-v src:dst[:mode]`), HostConfig.Mounts objects
// (`--mount`), --volumes-from specs and --mount tmpfs options. Pure functions
// with dockerd's error texts (scripts grep them).
//
// Behaviour and messages from moby volume/mounts/linux_parser.go,
// parser.go, validate.go, volume_copy.go and mounts.go (read, not
// translated); the expectations are in test/unit/volume/parser.test.ts.
import { invalidParameter, type EngineError } from '../common/errors.js';
import type { Mount, MountPropagation } from '../runtime/mount-contract.js';
import { cleanPath } from '../common/go-path.js';

/** A mount point as dockerd's parser returns it (moby volume/mounts MountPoint). */
export interface ParsedMountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  /** bind: the cleaned host path; volume: '' until the volume exists. */
  Source: string;
  /** Cleaned container path. */
  Destination: string;
  RW: boolean;
  /** The volume's name; '' for an anonymous volume and for binds. */
  Name: string;
  /** Volume driver asked for ('' = the default). */
  Driver: string;
  /** The user's mode string of a -v entry ("ro,z"); '' for --mount. */
  Mode: string;
  /** binds: the propagation (rprivate unless given); '' for volumes and tmpfs. */
  Propagation: MountPropagation | '';
  /** Fill an empty volume with the image's content at Destination (false with nocopy). */
  CopyData: boolean;
  /** The API form of the request (what dockerd keeps as MountPoint.Spec). */
  Spec: Mount;
}

export const PROPAGATION_MODES: readonly MountPropagation[] = ['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared'];
export const DEFAULT_PROPAGATION: MountPropagation = 'rprivate';
const LABEL_MODES = new Set(['z', 'Z']);
const RW_MODES = new Set(['rw', 'ro']);
const CONSISTENCY_MODES = new Set(['consistent', 'cached', 'delegated']);
// {copy mode: whether it copies}: only "nocopy" exists.
const COPY_MODES = new Map<string, boolean>([['nocopy', false]]);
const VALID_TMPFS_OPTIONS = new Set(['exec', 'noexec']);

function isPropagation(o: string): o is MountPropagation {
  return (PROPAGATION_MODES as readonly string[]).includes(o);
}

export function errInvalidSpec(spec: string): EngineError {
  return invalidParameter(`invalid volume specification: '${spec}'`);
}

export function errInvalidMode(mode: string): EngineError {
  return invalidParameter(`invalid mode: ${mode}`);
}

/** moby errMountConfig: `invalid mount config for type "bind": <reason>`. */
function errMountConfig(m: Mount, reason: string): EngineError {
  return invalidParameter(`invalid mount config for type ${JSON.stringify(m.Type ?? '')}: ${reason}`);
}

/** linuxValidMountMode: comma-separated, each of rw/ro, z/Z, a propagation, nocopy, a consistency; one of each kind. */
export function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = { rw: 0, label: 0, propagation: 0, copy: 0, consistency: 0 };
  for (const o of mode.split(',')) {
    if (RW_MODES.has(o)) counts.rw++;
    else if (LABEL_MODES.has(o)) counts.label++;
    else if (isPropagation(o)) counts.propagation++;
    else if (COPY_MODES.has(o)) counts.copy++;
    else if (CONSISTENCY_MODES.has(o)) counts.consistency++;
    else return false;
  }
  return Object.values(counts).every((n) => n <= 1);
}

/** linuxParser.ReadWrite: a valid mode without "ro". */
export function modeIsReadWrite(mode: string): boolean {
  if (!validMountMode(mode)) return false;
  return !mode.split(',').includes('ro');
}

function modePropagation(mode: string): MountPropagation | undefined {
  return mode.split(',').find(isPropagation);
}

function modeCopy(mode: string): boolean | undefined {
  for (const o of mode.split(',')) {
    const copy = COPY_MODES.get(o);
    if (copy !== undefined) return copy;
  }
  return undefined;
}

function validateNotRoot(p: string): string | undefined {
  return cleanPath(p.replaceAll('\\', '/')) === '/' ? "invalid specification: destination can't be '/'" : undefined;
}

function validateAbsolute(p: string): string | undefined {
  const s = p.replaceAll('\\', '/');
  return s.startsWith('/') ? undefined : `invalid mount path: '${s}' mount path must be absolute`;
}

/** filepath.IsLocal on Linux: non-empty, relative, and not escaping its parent once cleaned. */
function isLocalPath(p: string): boolean {
  if (p === '' || p.startsWith('/')) return false;
  const c = cleanPath(p);
  return c !== '..' && !c.startsWith('../');
}

/** What the parser needs to know about the host; a fake in tests. */
export interface HostPaths {
  /** true/false, or throws with the message dockerd would show (stat errors other than ENOENT). */
  exists(p: string): boolean;
}

/**
 * linuxParser.ConvertTmpfsOptions: Mount.TmpfsOptions as a --tmpfs option
 * string (ro, mode in octal, size with the largest exact k/m/g suffix, then
 * the API 1.46 flags, of which only exec and noexec are accepted).
 */
export function convertTmpfsOptions(opts: Mount['TmpfsOptions'], readOnly: boolean): string {
  const raw: string[] = [];
  if (readOnly) raw.push('ro');
  if (opts?.Mode) raw.push(`mode=${opts.Mode.toString(8)}`);
  if (opts?.SizeBytes) {
    let size = opts.SizeBytes;
    let suffix = '';
    for (const [s, d] of [['g', 2 ** 30], ['m', 2 ** 20], ['k', 2 ** 10]] as const) {
      if (size % d === 0) {
        size /= d;
        suffix = s;
        break;
      }
    }
    raw.push(`size=${size}${suffix}`);
  }
  for (const opt of opts?.Options ?? []) {
    if (!Array.isArray(opt) || opt.length < 1 || opt.length > 2) throw invalidParameter('invalid option array length');
    if (!VALID_TMPFS_OPTIONS.has(opt[0]!)) throw invalidParameter(`invalid option: ${opt[0]}`);
    raw.push(opt.length === 1 ? opt[0]! : `${opt[0]}=${opt[1]}`);
  }
  return raw.join(',');
}

/**
 * linuxParser validateMountConfigImpl: checks one HostConfig.Mounts entry.
 * `host` undefined skips the bind source existence check (the -v path, whose
 * missing sources dockerd creates).
 */
export function validateMountConfig(m: Mount, host?: HostPaths): void {
  const target = m.Target ?? '';
  const source = m.Source ?? '';
  if (target === '') throw errMountConfig(m, 'field Target must not be empty');
  const notRoot = validateNotRoot(target);
  if (notRoot) throw errMountConfig(m, notRoot);
  const abs = validateAbsolute(target);
  if (abs) throw errMountConfig(m, abs);
  switch (m.Type) {
    case 'bind': {
      if (source === '') throw errMountConfig(m, 'field Source must not be empty');
      const propagation = m.BindOptions?.Propagation;
      if (propagation && !isPropagation(propagation)) throw errMountConfig(m, `invalid propagation mode: ${propagation}`);
      if (m.VolumeOptions != null) throw errMountConfig(m, 'field VolumeOptions must not be specified');
      const srcAbs = validateAbsolute(source);
      if (srcAbs) throw errMountConfig(m, srcAbs);
      if (host) {
        let exists: boolean;
        try {
          exists = host.exists(source);
        } catch (err) {
          throw errMountConfig(m, err instanceof Error ? err.message : String(err));
        }
        if (!exists && !m.BindOptions?.CreateMountpoint) throw errMountConfig(m, `bind source path does not exist: ${source}`);
      }
      return;
    }
    case 'volume': {
      if (m.BindOptions != null) throw errMountConfig(m, 'field BindOptions must not be specified');
      const anonymous = source === '';
      const subpath = m.VolumeOptions?.Subpath ?? '';
      if (subpath !== '') {
        if (anonymous) throw errMountConfig(m, 'must not set Subpath when using anonymous volumes');
        if (!isLocalPath(subpath)) throw errMountConfig(m, 'subpath must be a relative path within the volume');
      }
      if (m.ReadOnly && anonymous) throw errMountConfig(m, 'must not set ReadOnly mode when using anonymous volumes');
      return;
    }
    case 'tmpfs': {
      if (m.BindOptions != null) throw errMountConfig(m, 'field BindOptions must not be specified');
      if (source !== '') throw errMountConfig(m, 'field Source must not be specified');
      try {
        convertTmpfsOptions(m.TmpfsOptions, m.ReadOnly ?? false);
      } catch (err) {
        throw errMountConfig(m, err instanceof Error ? err.message : String(err));
      }
      return;
    }
    default:
      throw errMountConfig(m, 'mount type unknown');
  }
}

/**
 * dockerd's create-time checks of BindOptions that the parser leaves alone
 * (daemon/container.go validateHostConfig, API 1.44+ read-only options).
 */
export function validateBindOptions(m: Mount): void {
  const b = m.BindOptions;
  if (!b) return;
  if (b.ReadOnlyNonRecursive && !m.ReadOnly) throw invalidParameter('option ReadOnlyNonRecursive requires ReadOnly');
  if (b.ReadOnlyForceRecursive) {
    if (!m.ReadOnly) throw invalidParameter('option ReadOnlyForceRecursive requires ReadOnly');
    if (b.Propagation && b.Propagation !== 'rprivate') {
      throw invalidParameter("option ReadOnlyForceRecursive requires BindOptions.Propagation to be 'rprivate'");
    }
  }
}

function mountPointOf(m: Mount, mode: string): ParsedMountPoint {
  const type = m.Type as 'bind' | 'volume' | 'tmpfs';
  const mp: ParsedMountPoint = {
    Type: type,
    Source: '',
    Destination: cleanPath(m.Target!),
    RW: !m.ReadOnly,
    Name: '',
    Driver: '',
    Mode: mode,
    Propagation: '',
    CopyData: true,
    Spec: m,
  };
  if (type === 'volume') {
    mp.Name = m.Source ?? '';
    mp.Driver = m.VolumeOptions?.DriverConfig?.Name ?? '';
    if (m.VolumeOptions?.NoCopy) mp.CopyData = false;
  } else if (type === 'bind') {
    mp.Source = cleanPath(m.Source!);
    mp.Propagation = m.BindOptions?.Propagation || DEFAULT_PROPAGATION;
  }
  return mp;
}

/** linuxParser.ParseMountSpec: one HostConfig.Mounts entry (`--mount`); bind sources must exist. */
export function parseMountSpec(m: Mount, host: HostPaths): ParsedMountPoint {
  validateMountConfig(m, host);
  return mountPointOf(m, '');
}

/**
 * linuxParser.ParseMountRaw: one HostConfig.Binds entry. `/dst` alone is an
 * anonymous volume, an absolute source a bind, anything else a volume name.
 */
export function parseBind(raw: string, volumeDriver = ''): ParsedMountPoint {
  // strings.SplitN(raw, ":", 4)
  const parts: string[] = [];
  let rest = raw;
  while (parts.length < 3) {
    const i = rest.indexOf(':');
    if (i < 0) break;
    parts.push(rest.slice(0, i));
    rest = rest.slice(i + 1);
  }
  parts.push(rest);
  if (parts[0] === '') throw errInvalidSpec(raw);

  const spec: Mount = {};
  let mode = '';
  switch (parts.length) {
    case 1:
      spec.Target = parts[0];
      break;
    case 2:
      // A destination and a mode (`/foo:rw`) is not a volume: volumes take no mode alone.
      if (validMountMode(parts[1]!)) throw errInvalidSpec(raw);
      spec.Source = parts[0];
      spec.Target = parts[1];
      break;
    case 3:
      spec.Source = parts[0];
      spec.Target = parts[1];
      mode = parts[2]!;
      break;
    default:
      throw errInvalidSpec(raw);
  }
  if (!validMountMode(mode)) throw errInvalidMode(mode);

  spec.Type = (spec.Source ?? '').startsWith('/') ? 'bind' : 'volume';
  spec.ReadOnly = !modeIsReadWrite(mode);
  if (volumeDriver !== '' && spec.Type === 'volume') spec.VolumeOptions = { DriverConfig: { Name: volumeDriver } };
  const copy = modeCopy(mode);
  if (copy !== undefined) spec.VolumeOptions = { ...(spec.VolumeOptions ?? {}), NoCopy: !copy };
  const propagation = modePropagation(mode);
  if (propagation) spec.BindOptions = { Propagation: propagation };

  try {
    validateMountConfig(spec);
  } catch (err) {
    throw invalidParameter(`invalid volume specification: '${raw}': ${(err as Error).message}`);
  }
  return mountPointOf(spec, mode);
}

/** linuxParser.ParseVolumesFrom: `container[:mode]`, mode rw by default; no propagation or copy modes. */
export function parseVolumesFrom(spec: string): { container: string; mode: string } {
  if (spec === '') throw invalidParameter('volumes-from specification cannot be an empty string');
  const i = spec.indexOf(':');
  const container = i < 0 ? spec : spec.slice(0, i);
  const mode = i < 0 ? '' : spec.slice(i + 1);
  if (mode === '') return { container, mode: 'rw' };
  if (!validMountMode(mode)) throw errInvalidMode(mode);
  if (modePropagation(mode)) throw errInvalidMode(mode);
  if (modeCopy(mode) !== undefined) throw errInvalidMode(mode);
  return { container, mode };
}

/**
 * daemon.validateBindDaemonRoot: a bind whose source contains the daemon root
 * or lies inside it must not keep private references to mounts there. Returns
 * true when the propagation was not given and must default to rslave.
 */
export function bindNeedsSlavePropagation(m: Mount, daemonRoot: string): boolean {
  if (m.Type !== 'bind') return false;
  const source = m.Source ?? '';
  if (!source.startsWith(daemonRoot) && !daemonRoot.startsWith(source)) return false;
  const propagation = m.BindOptions?.Propagation ?? '';
  if (!m.BindOptions) return true;
  if (propagation === 'rslave' || propagation === 'rshared' || propagation === '') return propagation === '';
  throw invalidParameter(
    `invalid mount config: must use either propagation mode "rslave" or "rshared" when mount source is within the daemon root, daemon root: ${JSON.stringify(daemonRoot)}, bind mount source: ${JSON.stringify(source)}, propagation: ${JSON.stringify(propagation)}`,
  );
}

/** moby duplicateMountPointError. */
export function errDuplicateMountPoint(destination: string): EngineError {
  return invalidParameter(`Duplicate mount point: ${destination}`);
}
