// `--mount` (docker/cli opts.MountOpt: a CSV of key=value fields) and `-v`
// (the compose loader's ParseVolume, which docker run uses to tell binds from
// volumes), with docker's error texts.
import path from 'node:path';

import { FlagValueError, parseGoBool, parseRamInBytes, readCsvRecord } from '../../flags.js';

/** api/types/mount.Mount, keys in Go's field order (empty fields omitted, as `omitempty` does). */
export interface MountBody {
  Type: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: {
    Propagation?: string;
    NonRecursive?: boolean;
    CreateMountpoint?: boolean;
    ReadOnlyNonRecursive?: boolean;
    ReadOnlyForceRecursive?: boolean;
  };
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string>;
    Subpath?: string;
    DriverConfig?: { Name?: string; Options?: Record<string, string> };
  };
  ImageOptions?: { Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

interface MountDraft {
  type: string;
  source: string;
  target: string;
  readOnly: boolean;
  consistency: string;
  bind?: { propagation: string; nonRecursive: boolean; readOnlyNonRecursive: boolean; readOnlyForceRecursive: boolean };
  volume?: { noCopy: boolean; labels: Map<string, string>; subpath: string; driverName: string; driverOptions?: Map<string, string> };
  image?: { subpath: string };
  tmpfs?: { sizeBytes: number; mode: number };
}

function boolValue(key: string, value: string, message = `invalid value for ${key}: ${value}`): boolean {
  try {
    return parseGoBool(value);
  } catch {
    throw new FlagValueError(message);
  }
}

function setOnMap(target: Map<string, string>, value: string): void {
  const eq = value.indexOf('=');
  const key = eq < 0 ? value : value.slice(0, eq);
  if (key !== '') target.set(key, eq < 0 ? '' : value.slice(eq + 1));
}

function sortedObject(map: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of [...map.keys()].sort()) out[key] = map.get(key)!;
  return out;
}

/** MountOpt.Set: one `--mount` value. `cwd` resolves `src=.` and `src=./x`. Throws FlagValueError. */
export function parseMountSpec(value: string, cwd: string = process.cwd()): MountBody {
  const fields = readCsvRecord(value);
  const m: MountDraft = { type: 'volume', source: '', target: '', readOnly: false, consistency: '' };
  const volume = (): NonNullable<MountDraft['volume']> =>
    (m.volume ??= { noCopy: false, labels: new Map(), subpath: '', driverName: '' });
  const bind = (): NonNullable<MountDraft['bind']> =>
    (m.bind ??= { propagation: '', nonRecursive: false, readOnlyNonRecursive: false, readOnlyForceRecursive: false });
  const tmpfs = (): NonNullable<MountDraft['tmpfs']> => (m.tmpfs ??= { sizeBytes: 0, mode: 0 });
  const image = (): NonNullable<MountDraft['image']> => (m.image ??= { subpath: '' });

  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const val = eq < 0 ? '' : field.slice(eq + 1);
    if (eq < 0) {
      switch (key) {
        case 'readonly':
        case 'ro':
          m.readOnly = true;
          continue;
        case 'volume-nocopy':
          volume().noCopy = true;
          continue;
        case 'bind-nonrecursive':
          bind().nonRecursive = true;
          continue;
        default:
          throw new FlagValueError(`invalid field '${field}' must be a key=value pair`);
      }
    }
    switch (key) {
      case 'type':
        m.type = val.toLowerCase();
        break;
      case 'source':
      case 'src':
        m.source = val;
        if (val.startsWith('./') || val === '.') m.source = path.resolve(cwd, val);
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.target = val;
        break;
      case 'readonly':
      case 'ro':
        m.readOnly = boolValue(key, val);
        break;
      case 'consistency':
        m.consistency = val.toLowerCase();
        break;
      case 'bind-propagation':
        bind().propagation = val.toLowerCase();
        break;
      case 'bind-nonrecursive':
        bind().nonRecursive = boolValue(key, val);
        break;
      case 'bind-recursive':
        switch (val) {
          case 'enabled':
            break;
          case 'disabled':
            bind().nonRecursive = true;
            break;
          case 'writable':
            bind().readOnlyNonRecursive = true;
            break;
          case 'readonly':
            bind().readOnlyForceRecursive = true;
            break;
          default:
            throw new FlagValueError(`invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`);
        }
        break;
      case 'volume-subpath':
        volume().subpath = val;
        break;
      case 'volume-nocopy':
        volume().noCopy = boolValue(key, val, `invalid value for volume-nocopy: ${val}`);
        break;
      case 'volume-label':
        setOnMap(volume().labels, val);
        break;
      case 'volume-driver':
        volume().driverName = val;
        break;
      case 'volume-opt': {
        const v = volume();
        v.driverOptions ??= new Map();
        setOnMap(v.driverOptions, val);
        break;
      }
      case 'image-subpath':
        image().subpath = val;
        break;
      case 'tmpfs-size': {
        try {
          tmpfs().sizeBytes = parseRamInBytes(val);
        } catch {
          throw new FlagValueError(`invalid value for ${key}: ${val}`);
        }
        break;
      }
      case 'tmpfs-mode': {
        if (!/^[0-7]+$/.test(val) || Number.parseInt(val, 8) > 0xffffffff) {
          throw new FlagValueError(`invalid value for ${key}: ${val}`);
        }
        tmpfs().mode = Number.parseInt(val, 8);
        break;
      }
      default:
        throw new FlagValueError(`unexpected key '${key}' in '${field}'`);
    }
  }

  if (m.type === '') throw new FlagValueError('type is required');
  if (m.target === '') throw new FlagValueError('target is required');
  if (m.volume && m.type !== 'volume') throw new FlagValueError(`cannot mix 'volume-*' options with mount type '${m.type}'`);
  if (m.image && m.type !== 'image') throw new FlagValueError(`cannot mix 'image-*' options with mount type '${m.type}'`);
  if (m.bind && m.type !== 'bind') throw new FlagValueError(`cannot mix 'bind-*' options with mount type '${m.type}'`);
  if (m.tmpfs && m.type !== 'tmpfs') throw new FlagValueError(`cannot mix 'tmpfs-*' options with mount type '${m.type}'`);
  if (m.bind?.readOnlyNonRecursive && !m.readOnly) {
    throw new FlagValueError("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction");
  }
  if (m.bind?.readOnlyForceRecursive) {
    if (!m.readOnly) throw new FlagValueError("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction");
    if (m.bind.propagation !== 'rprivate') {
      throw new FlagValueError("option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction");
    }
  }

  const body: MountBody = { Type: m.type };
  if (m.source !== '') body.Source = m.source;
  body.Target = m.target;
  if (m.readOnly) body.ReadOnly = true;
  if (m.consistency !== '') body.Consistency = m.consistency;
  if (m.bind) {
    const b: NonNullable<MountBody['BindOptions']> = {};
    if (m.bind.propagation !== '') b.Propagation = m.bind.propagation;
    if (m.bind.nonRecursive) b.NonRecursive = true;
    if (m.bind.readOnlyNonRecursive) b.ReadOnlyNonRecursive = true;
    if (m.bind.readOnlyForceRecursive) b.ReadOnlyForceRecursive = true;
    body.BindOptions = b;
  }
  if (m.volume) {
    const v: NonNullable<MountBody['VolumeOptions']> = {};
    if (m.volume.noCopy) v.NoCopy = true;
    if (m.volume.labels.size > 0) v.Labels = sortedObject(m.volume.labels);
    if (m.volume.subpath !== '') v.Subpath = m.volume.subpath;
    const driver: { Name?: string; Options?: Record<string, string> } = {};
    if (m.volume.driverName !== '') driver.Name = m.volume.driverName;
    if (m.volume.driverOptions && m.volume.driverOptions.size > 0) driver.Options = sortedObject(m.volume.driverOptions);
    v.DriverConfig = driver;
    body.VolumeOptions = v;
  }
  if (m.image) body.ImageOptions = m.image.subpath !== '' ? { Subpath: m.image.subpath } : {};
  if (m.tmpfs) {
    const t: NonNullable<MountBody['TmpfsOptions']> = {};
    if (m.tmpfs.sizeBytes !== 0) t.SizeBytes = m.tmpfs.sizeBytes;
    if (m.tmpfs.mode !== 0) t.Mode = m.tmpfs.mode;
    body.TmpfsOptions = t;
  }
  return body;
}

/** The `--mount` flag's validator: parse now for the error, keep the text. */
export function validateMountSpec(value: string): string {
  parseMountSpec(value);
  return value;
}

// ---------------------------------------------------------------------------
// `-v`: the compose loader's ParseVolume.

export interface VolumeSpec {
  type: 'bind' | 'volume';
  source: string;
  target: string;
}

function isWindowsDrive(buffer: string, ch: string): boolean {
  return ch === ':' && [...buffer].length === 1 && /^\p{L}$/u.test(buffer);
}

function isFilePath(source: string): boolean {
  const first = source[0];
  if (first === '.' || first === '/' || first === '~') return true;
  const chars = [...source];
  if (chars.length === 1) return false;
  if (source.startsWith('\\\\')) return true;
  return isWindowsDrive(chars[0]!, chars[1]!);
}

/** ParseVolume; throws "invalid spec: <spec>: <reason>". */
export function parseVolumeSpec(spec: string): VolumeSpec {
  const chars = [...spec];
  if (chars.length === 0) throw new Error('invalid empty volume spec');
  if (spec.length <= 2) return { type: 'volume', source: '', target: spec };
  let source = '';
  let target = '';
  let buffer = '';
  const END = '\u0000';
  for (const ch of [...chars, END]) {
    if (isWindowsDrive(buffer, ch)) {
      buffer += ch;
    } else if (ch === ':' || ch === END) {
      if (buffer === '') throw new Error(`invalid spec: ${spec}: empty section between colons`);
      if (source === '' && ch === END) target = buffer;
      else if (source === '') source = buffer;
      else if (target === '') target = buffer;
      else if (ch === ':') throw new Error(`invalid spec: ${spec}: too many colons`);
      buffer = '';
    } else {
      buffer += ch;
    }
  }
  const type = source !== '' && isFilePath(source) ? 'bind' : 'volume';
  return { type, source, target };
}
