// What a container mounts besides its root filesystem: `-v`/`--volume`
// (HostConfig.Binds), `--mount` (HostConfig.Mounts) and the image's VOLUMEs.
// The MountResolver turns them into the mount points inspect shows (at
// create) and the host paths the OCI spec binds (at start). Host-path binds
// and tmpfs are handled here; named and anonymous volumes go to a
// VolumeBackend, which the volume engineer provides.
//
// Parsing rules and messages: moby volume/mounts/linux_parser.go (read, not
// copied): `-v src:dst[:opts]`, a relative src names a volume, `-v /dst`
// alone is an anonymous volume; a missing host path is created for `-v` but
// is an error for `--mount type=bind`.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { invalidParameter, notImplemented } from '../common/errors.js';
import type { Mount, MountPropagation } from './container-config.js';
import type { ContainerMount } from './spec/mounts.js';
import type { MountPointRecord } from './model.js';

export interface MountRequest {
  containerId: string;
  binds: string[];
  mounts: Mount[];
  /** Config.Volumes keys: the image's VOLUMEs and the container's own. */
  volumes: string[];
  /** HostConfig.VolumeDriver: the default driver of -v volumes. */
  volumeDriver: string;
  /** Mount points of --volumes-from containers, already resolved by the runtime (mode "ro"/"rw" applied). */
  inherited: MountPointRecord[];
}

export interface MountResolver {
  /** At create: parse, validate and record the mount points (volumes get created here). */
  prepare(req: MountRequest): Promise<MountPointRecord[]>;
  /** At start: what the spec binds, in order. */
  activate(containerId: string, points: MountPointRecord[]): Promise<ContainerMount[]>;
  /** After the container stopped. */
  deactivate(containerId: string, points: MountPointRecord[]): Promise<void>;
  /** At removal; `removeVolumes` (docker rm -v) removes the anonymous volumes. */
  release(containerId: string, points: MountPointRecord[], removeVolumes: boolean): Promise<void>;
  /** At daemon start, once every container is loaded: which containers hold which mounts. */
  restore?(containers: Array<{ id: string; points: MountPointRecord[]; running: boolean }>): Promise<void>;
}

/** What named and anonymous volumes need; implemented by the volume service. */
export interface VolumeBackend {
  /** Create (or find) a volume; name undefined: a new anonymous volume. */
  ensure(req: { name?: string; driver: string; driverOptions?: Record<string, string>; labels?: Record<string, string>; containerId: string }): Promise<{ name: string; driver: string }>;
  /** Mount it for a container; returns the host path to bind (with subpath resolved). */
  mount(name: string, containerId: string, subpath?: string): Promise<string>;
  unmount(name: string, containerId: string): Promise<void>;
  /** The container no longer references it; remove it when anonymous and asked to. */
  release(name: string, containerId: string, remove: boolean): Promise<void>;
  /** Copy the image's content at the mount point into a new empty volume (docker's default, unless nocopy). */
  populate?(name: string, fromDir: string): Promise<void>;
}

const PROPAGATIONS: readonly string[] = ['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate'];

function errInvalidSpec(spec: string): Error {
  return invalidParameter(`invalid volume specification: '${spec}'`);
}

/** One parsed `-v` entry. */
export interface ParsedBind {
  type: 'bind' | 'volume';
  source: string;
  destination: string;
  rw: boolean;
  mode: string;
  propagation: string;
  nocopy: boolean;
}

/** moby linuxParser ValidMountMode + mode splitting. */
function parseMode(spec: string, mode: string): { rw: boolean; propagation: string; nocopy: boolean; label: string } {
  let rw = true;
  let propagation = '';
  let nocopy = false;
  let label = '';
  let rwSeen = 0;
  let propSeen = 0;
  let labelSeen = 0;
  let copySeen = 0;
  for (const o of mode.split(',')) {
    if (o === 'ro' || o === 'rw') {
      rw = o === 'rw';
      rwSeen++;
    } else if (PROPAGATIONS.includes(o)) {
      propagation = o;
      propSeen++;
    } else if (o === 'z' || o === 'Z') {
      label = o;
      labelSeen++;
    } else if (o === 'nocopy' || o === 'copy') {
      nocopy = o === 'nocopy';
      copySeen++;
    } else {
      throw invalidParameter(`invalid mode: ${mode}`);
    }
  }
  if (rwSeen > 1 || propSeen > 1 || labelSeen > 1 || copySeen > 1) throw invalidParameter(`invalid mode: ${mode}`);
  void spec;
  return { rw, propagation, nocopy, label };
}

/** Parse one HostConfig.Binds entry the way dockerd's Linux parser does. */
export function parseBind(spec: string): ParsedBind {
  const parts = spec.split(':');
  let source = '';
  let destination = '';
  let mode = '';
  switch (parts.length) {
    case 1:
      destination = parts[0]!;
      break;
    case 2:
      [source, destination] = parts as [string, string];
      break;
    case 3:
      [source, destination, mode] = parts as [string, string, string];
      break;
    default:
      throw errInvalidSpec(spec);
  }
  if (destination === '') throw errInvalidSpec(spec);
  if (parts.length === 1 && !destination.startsWith('/')) throw errInvalidSpec(spec);
  const m = mode ? parseMode(spec, mode) : { rw: true, propagation: '', nocopy: false, label: '' };
  if (!destination.startsWith('/')) {
    throw invalidParameter(`invalid volume specification: '${spec}': invalid mount config for type "${source.startsWith('/') ? 'bind' : 'volume'}": invalid mount path: '${destination}' mount path must be absolute`);
  }
  if (destination === '/') {
    throw invalidParameter(`invalid volume specification: '${spec}': invalid mount config for type "${source.startsWith('/') ? 'bind' : 'volume'}": invalid specification: destination can't be '/'`);
  }
  const type = source.startsWith('/') ? 'bind' : 'volume';
  if (type === 'volume' && source !== '' && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(source)) {
    throw invalidParameter(`create ${source}: "${source}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  if (type === 'volume' && m.propagation) throw invalidParameter(`invalid volume specification: '${spec}': invalid mount config for type "volume": propagation mode is only valid for bind mounts`);
  if (type === 'bind' && m.nocopy) throw invalidParameter(`invalid volume specification: '${spec}': invalid mount config for type "bind": nocopy is only valid for volume mounts`);
  return {
    type,
    source: type === 'bind' ? path.posix.normalize(source).replace(/(.)\/$/, '$1') : source,
    destination: path.posix.normalize(destination).replace(/(.)\/$/, '$1'),
    rw: m.rw,
    mode,
    propagation: type === 'bind' ? m.propagation || 'rprivate' : '',
    nocopy: m.nocopy,
  };
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Host-path binds and tmpfs here; volumes through the VolumeBackend when one is plugged in. */
export class DefaultMountResolver implements MountResolver {
  constructor(private volumes?: VolumeBackend) {}

  setVolumeBackend(backend: VolumeBackend): void {
    this.volumes = backend;
  }

  private needVolumes(): VolumeBackend {
    if (!this.volumes) throw notImplemented('named and anonymous volumes are not available in this berth build yet');
    return this.volumes;
  }

  async prepare(req: MountRequest): Promise<MountPointRecord[]> {
    const points = new Map<string, MountPointRecord>();
    const add = (p: MountPointRecord, fromUser: boolean): void => {
      if (fromUser && points.has(p.Destination)) throw invalidParameter(`Duplicate mount point: ${p.Destination}`);
      points.set(p.Destination, p);
    };
    // --volumes-from first, so that the container's own mounts override them (moby registerMountPoints order).
    for (const p of req.inherited) points.set(p.Destination, { ...p });
    const userDests = new Set<string>();
    for (const spec of req.binds) {
      const b = parseBind(spec);
      if (userDests.has(b.destination)) throw invalidParameter(`Duplicate mount point: ${b.destination}`);
      userDests.add(b.destination);
      if (b.type === 'bind') {
        // dockerd creates a missing host path for -v (never for --mount).
        if (!(await pathExists(b.source))) await fs.mkdir(b.source, { recursive: true, mode: 0o755 });
        add({ Type: 'bind', Source: b.source, Destination: b.destination, Mode: b.mode, RW: b.rw, Propagation: b.propagation }, false);
      } else {
        const vol = await this.needVolumes().ensure({ ...(b.source ? { name: b.source } : {}), driver: req.volumeDriver || 'local', containerId: req.containerId });
        add({ Type: 'volume', Name: vol.name, Source: '', Destination: b.destination, Driver: vol.driver, Mode: b.mode || 'z', RW: b.rw, Propagation: '' }, false);
      }
    }
    for (const m of req.mounts) {
      const type = m.Type ?? 'volume';
      const target = m.Target ?? '';
      if (!target.startsWith('/')) throw invalidParameter(`invalid mount config for type "${type}": invalid mount path: '${target}' mount path must be absolute`);
      const dest = path.posix.normalize(target).replace(/(.)\/$/, '$1');
      if (userDests.has(dest)) throw invalidParameter(`Duplicate mount point: ${dest}`);
      userDests.add(dest);
      if (type === 'bind') {
        const src = m.Source ?? '';
        if (!src.startsWith('/')) throw invalidParameter(`invalid mount config for type "bind": invalid mount path: '${src}' mount path must be absolute`);
        if (!(await pathExists(src))) {
          if (m.BindOptions?.CreateMountpoint) await fs.mkdir(src, { recursive: true, mode: 0o755 });
          else throw invalidParameter(`invalid mount config for type "bind": bind source path does not exist: ${src}`);
        }
        add({ Type: 'bind', Source: src, Destination: dest, Mode: '', RW: !m.ReadOnly, Propagation: m.BindOptions?.Propagation || 'rprivate' }, false);
      } else if (type === 'volume') {
        const vol = await this.needVolumes().ensure({
          ...(m.Source ? { name: m.Source } : {}),
          driver: m.VolumeOptions?.DriverConfig?.Name || 'local',
          ...(m.VolumeOptions?.DriverConfig?.Options ? { driverOptions: m.VolumeOptions.DriverConfig.Options } : {}),
          ...(m.VolumeOptions?.Labels ? { labels: m.VolumeOptions.Labels } : {}),
          containerId: req.containerId,
        });
        add({ Type: 'volume', Name: vol.name, Source: '', Destination: dest, Driver: vol.driver, Mode: 'z', RW: !m.ReadOnly, Propagation: '' }, false);
      } else if (type === 'tmpfs') {
        // The spec generator mounts these from HostConfig.Mounts; inspect lists them.
        add({ Type: 'tmpfs', Source: '', Destination: dest, Mode: '', RW: !m.ReadOnly, Propagation: '' }, false);
      } else {
        throw invalidParameter(`mount type unknown: "${type}"`);
      }
    }
    // Volumes declared by the image or Config.Volumes without a user mount at that place: anonymous volumes.
    for (const v of req.volumes) {
      const dest = path.posix.normalize(v).replace(/(.)\/$/, '$1');
      if (points.has(dest) || userDests.has(dest)) continue;
      const vol = await this.needVolumes().ensure({ driver: req.volumeDriver || 'local', containerId: req.containerId });
      points.set(dest, { Type: 'volume', Name: vol.name, Source: '', Destination: dest, Driver: vol.driver, Mode: '', RW: true, Propagation: '' });
    }
    return [...points.values()];
  }

  async activate(containerId: string, points: MountPointRecord[]): Promise<ContainerMount[]> {
    const out: ContainerMount[] = [];
    for (const p of [...points].sort((a, b) => a.Destination.split('/').length - b.Destination.split('/').length)) {
      if (p.Type === 'tmpfs') continue;
      if (p.Type === 'bind') {
        if (!(await pathExists(p.Source))) throw invalidParameter(`error while creating mount source path '${p.Source}': no such file or directory`);
        out.push({ type: 'bind', source: p.Source, destination: p.Destination, readOnly: !p.RW, propagation: (p.Propagation || 'rprivate') as MountPropagation });
      } else if (p.Type === 'volume' && p.Name) {
        const source = await this.needVolumes().mount(p.Name, containerId);
        out.push({ type: 'bind', source, destination: p.Destination, readOnly: !p.RW });
      }
    }
    return out;
  }

  async deactivate(containerId: string, points: MountPointRecord[]): Promise<void> {
    if (!this.volumes) return;
    for (const p of points) if (p.Type === 'volume' && p.Name) await this.volumes.unmount(p.Name, containerId).catch(() => undefined);
  }

  async release(containerId: string, points: MountPointRecord[], removeVolumes: boolean): Promise<void> {
    if (!this.volumes) return;
    for (const p of points) if (p.Type === 'volume' && p.Name) await this.volumes.release(p.Name, containerId, removeVolumes).catch(() => undefined);
  }
}

async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

export { isDir };
