// A container's mounts as dockerd registers and sets them up: `-v`
// (HostConfig.Binds), `--mount` (HostConfig.Mounts), `--volumes-from`, the
// image's and the container's VOLUMEs (anonymous volumes), copy-up of the
// image's content into new volumes, and the mount/unmount/release of volumes
// through the container's life. It implements the runtime's MountResolver
// (src/runtime/mount-contract.ts), so the daemon can plug it into the runtime.
//
// Order and rules: moby daemon/volumes.go registerMountPoints (volumes-from,
// then binds, then mounts; a later mount at the same destination replaces
// an inherited one, two of the user's are an error), create_unix.go
// createContainerOSSpecificSettings (anonymous volumes for Config.Volumes
// not already mounted, "cannot mount volume over existing file"), and
// populateVolumes (copy-up unless nocopy); read, not translated.
import { promises as fs, statSync } from 'node:fs';
import { errnoCode, invalidParameter, notImplemented } from '../common/errors.js';
import { resolveInRoot } from '../common/root-path.js';
import type {
  ContainerMount,
  ContainerRootfs,
  MountPointRecord,
  MountPropagation,
  MountRequest,
  MountResolver,
} from '../runtime/mount-contract.js';
import { cleanPath } from '../common/go-path.js';
import {
  bindNeedsSlavePropagation,
  errDuplicateMountPoint,
  parseBind,
  modeIsReadWrite,
  parseMountSpec,
  parseVolumesFrom,
  validateBindOptions,
  type HostPaths,
  type ParsedMountPoint,
} from './parser.js';
import type { ContainerVolumeRefs, VolumeService } from './service.js';
import { LOCAL_DRIVER } from './local.js';

export interface VolumeMountResolverOptions {
  volumes: VolumeService;
  /** The daemon's data root: binds touching it default to rslave. */
  daemonRoot: string;
  /** Without it, no copy-up (and no "cannot mount volume over existing file" check). */
  rootfs?: ContainerRootfs;
  /** Host filesystem checks of --mount bind sources; the real one by default. */
  hostPaths?: HostPaths;
}

const realHostPaths: HostPaths = {
  exists(p: string): boolean {
    try {
      statSync(p);
      return true;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw new Error(`stat ${p}: ${(err as Error).message}`);
    }
  },
};

interface Pending {
  entry: MountPointRecord;
  /** Copy the image's content at Destination into the (new, empty) volume. */
  copyData: boolean;
}

function volumeEntry(p: ParsedMountPoint, name: string, driver: string, mountpoint: string): MountPointRecord {
  return {
    Type: 'volume',
    Name: name,
    Source: mountpoint,
    Destination: p.Destination,
    Driver: driver,
    // setBindModeIfNull: local volumes get "z" when the user gave no mode.
    Mode: p.Mode === '' && driver === LOCAL_DRIVER ? 'z' : p.Mode,
    RW: p.RW,
    Propagation: p.Propagation,
  };
}

function bindEntry(p: ParsedMountPoint): MountPointRecord {
  return { Type: 'bind', Source: p.Source, Destination: p.Destination, Mode: p.Mode, RW: p.RW, Propagation: p.Propagation };
}

export class VolumeMountResolver implements MountResolver {
  private readonly volumes: VolumeService;
  private readonly daemonRoot: string;
  private readonly rootfs: ContainerRootfs | undefined;
  private readonly hostPaths: HostPaths;

  constructor(opts: VolumeMountResolverOptions) {
    this.volumes = opts.volumes;
    this.daemonRoot = opts.daemonRoot;
    this.rootfs = opts.rootfs;
    this.hostPaths = opts.hostPaths ?? realHostPaths;
  }

  /** `--volumes-from`: see inheritedMountPoints. */
  inherit(specs: readonly string[], lookup: (idOrName: string) => readonly MountPointRecord[]): MountPointRecord[] {
    return inheritedMountPoints(specs, lookup);
  }

  /**
   * At create: parse and validate, create named volumes on first use and
   * anonymous ones, take the container's references, copy the image's
   * content into new volumes. On failure, nothing it took is kept.
   */
  async prepare(req: MountRequest): Promise<MountPointRecord[]> {
    const id = req.containerId;
    // dockerd validates HostConfig.Mounts before anything is created (validateHostConfig).
    const parsedMounts = req.mounts.map((m) => {
      const p = parseMountSpec(m, this.hostPaths);
      validateBindOptions(m);
      // The mount point record has no place for it: refuse rather than bind the whole volume.
      if (m.VolumeOptions?.Subpath) throw notImplemented('volume subpaths (VolumeOptions.Subpath) are not supported by berth yet');
      return p;
    });
    const points = new Map<string, Pending>();
    const referenced: string[] = [];
    const createdAnonymous: string[] = [];
    const track = (name: string, anonymous: boolean): void => {
      referenced.push(name);
      if (anonymous) createdAnonymous.push(name);
    };
    const userDestinations = new Set<string>();
    const tmpfs = new Set(req.tmpfs.map(cleanPath));
    try {
      // 1. --volumes-from: the other container's mount points, referenced by this one too.
      for (const p of req.inherited) {
        const entry = { ...p };
        if (entry.Type === 'volume' && entry.Name) {
          const v = await this.volumes.reference(entry.Name, id);
          track(entry.Name, false);
          entry.Source = v.Mountpoint;
        }
        points.set(entry.Destination, { entry, copyData: false });
      }

      // 2. -v: binds and volumes.
      for (const raw of req.binds) {
        const p = parseBind(raw, req.volumeDriver);
        if (bindNeedsSlavePropagation(p.Spec, this.daemonRoot)) p.Propagation = 'rslave';
        if (userDestinations.has(p.Destination) || tmpfs.has(p.Destination)) throw errDuplicateMountPoint(p.Destination);
        let entry: MountPointRecord;
        if (p.Type === 'volume') {
          const v = await this.volumes.ensure({ ...(p.Name ? { name: p.Name } : {}), driver: p.Driver, containerId: id });
          track(v.name, p.Name === '');
          entry = volumeEntry(p, v.name, v.driver, v.mountpoint);
        } else {
          // -v creates a missing host directory (never --mount).
          await createBindSource(p.Source);
          entry = bindEntry(p);
        }
        userDestinations.add(p.Destination);
        points.set(p.Destination, { entry, copyData: p.Type === 'volume' && p.CopyData });
      }

      // 3. --mount.
      for (let i = 0; i < parsedMounts.length; i++) {
        const p = parsedMounts[i]!;
        const m = req.mounts[i]!;
        if (bindNeedsSlavePropagation(p.Spec, this.daemonRoot)) p.Propagation = 'rslave';
        if (userDestinations.has(p.Destination)) throw errDuplicateMountPoint(m.Target ?? '');
        let entry: MountPointRecord;
        if (p.Type === 'volume') {
          const v = await this.volumes.ensure({
            ...(p.Name ? { name: p.Name } : {}),
            driver: p.Driver,
            driverOptions: m.VolumeOptions?.DriverConfig?.Options ?? null,
            labels: m.VolumeOptions?.Labels ?? null,
            containerId: id,
          });
          track(v.name, p.Name === '');
          entry = volumeEntry(p, v.name, v.driver, v.mountpoint);
        } else if (p.Type === 'bind') {
          if (m.BindOptions?.CreateMountpoint) await createBindSource(p.Source);
          entry = bindEntry(p);
        } else {
          entry = { Type: 'tmpfs', Source: '', Destination: p.Destination, Mode: '', RW: p.RW, Propagation: '' };
        }
        userDestinations.add(p.Destination);
        points.set(p.Destination, { entry, copyData: p.Type === 'volume' && p.CopyData });
      }

      // 4. VOLUMEs not mounted by anything above: anonymous volumes; 5. copy-up.
      const wanted = [...new Set(req.volumes.map(cleanPath))].filter((d) => !points.has(d));
      const copies = (): Pending[] => [...points.values()].filter((x) => x.copyData && x.entry.Type === 'volume');
      if (wanted.length === 0 && (copies().length === 0 || !this.rootfs)) return [...points.values()].map((x) => x.entry);

      const rootfs = this.rootfs ? await this.rootfs.mountRW(id) : undefined;
      try {
        for (const dest of wanted) {
          if (rootfs !== undefined) {
            const inRoot = await resolveInRoot(rootfs, dest);
            const st = await fs.stat(inRoot).catch(() => undefined);
            if (st && !st.isDirectory()) throw invalidParameter(`cannot mount volume over existing file, file exists ${inRoot}`);
          }
          const v = await this.volumes.ensure({ driver: req.volumeDriver, containerId: id });
          track(v.name, true);
          points.set(dest, {
            entry: { Type: 'volume', Name: v.name, Source: v.mountpoint, Destination: dest, Driver: v.driver, Mode: '', RW: true, Propagation: '' },
            copyData: true,
          });
        }
        if (rootfs !== undefined) {
          for (const x of copies()) {
            await this.volumes.populate(x.entry.Name!, await resolveInRoot(rootfs, x.entry.Destination));
          }
        }
      } finally {
        if (rootfs !== undefined) await this.rootfs!.unmountRW(id).catch(() => undefined);
      }
      return [...points.values()].map((x) => x.entry);
    } catch (err) {
      for (const name of referenced) await this.volumes.dereference(name, id).catch(() => undefined);
      for (const name of createdAnonymous) await this.volumes.remove(name).catch(() => undefined);
      throw err;
    }
  }

  /** At start: mount the volumes; the binds of the OCI spec, binds and volumes alike (tmpfs come from HostConfig). */
  async activate(containerId: string, points: readonly MountPointRecord[]): Promise<ContainerMount[]> {
    const out: ContainerMount[] = [];
    const mounted: string[] = [];
    try {
      for (const p of points) {
        if (p.Type === 'bind') {
          const propagation = (p.Propagation || undefined) as MountPropagation | undefined;
          const defaulted = p.Propagation === 'rslave' && !p.Mode.split(',').includes('rslave') && touchesRoot(p.Source, this.daemonRoot);
          out.push({
            type: 'bind',
            source: p.Source,
            destination: p.Destination,
            readOnly: !p.RW,
            ...(propagation ? { propagation } : {}),
            ...(defaulted ? { propagationDefaulted: true } : {}),
          });
        } else if (p.Type === 'volume' && p.Name) {
          const source = await this.volumes.mount(p.Name, containerId, { destination: p.Destination, rw: p.RW, propagation: p.Propagation });
          mounted.push(p.Name);
          out.push({ type: 'bind', source, destination: p.Destination, readOnly: !p.RW });
        }
      }
    } catch (err) {
      for (const name of mounted) await this.volumes.unmount(name, containerId).catch(() => undefined);
      throw err;
    }
    return out;
  }

  /** After the container stopped: its volumes' mounts go (the last user unmounts a tmpfs or bind volume). */
  async deactivate(containerId: string, points: readonly MountPointRecord[]): Promise<void> {
    for (const p of points) {
      if (p.Type === 'volume' && p.Name) await this.volumes.unmount(p.Name, containerId).catch(() => undefined);
    }
  }

  /**
   * At removal: drop the container's references; with `removeVolumes`
   * (docker rm -v, --rm) its anonymous volumes go too, unless another
   * container uses them (not an error, as in dockerd).
   */
  async release(containerId: string, points: readonly MountPointRecord[], removeVolumes: boolean): Promise<void> {
    const errors: string[] = [];
    for (const p of points) {
      if (p.Type !== 'volume' || !p.Name) continue;
      try {
        await this.volumes.release(p.Name, containerId, removeVolumes);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
    if (errors.length > 0) throw new Error(`Error removing volumes:\n${errors.join('\n')}`);
  }

  /**
   * At daemon start, with every container loaded: their volume references,
   * and the mounts of those still running (dockerd rebuilds both from its
   * containers' mount points).
   */
  async restore(containers: ReadonlyArray<{ id: string; points: readonly MountPointRecord[]; running: boolean }>): Promise<void> {
    const refs: ContainerVolumeRefs[] = containers.map((c) => ({
      id: c.id,
      running: c.running,
      volumes: c.points.filter((p) => p.Type === 'volume' && p.Name).map((p) => p.Name!),
    }));
    await this.volumes.restore(refs);
  }
}

/**
 * `--volumes-from container[:mode]` as dockerd reads it: every mount point
 * of the other container, read-only when either it is or the mode says so,
 * without its mode string. `lookup` finds a container by ID or name (its
 * not-found error is shown as is, as an invalid parameter).
 */
export function inheritedMountPoints(specs: readonly string[], lookup: (idOrName: string) => readonly MountPointRecord[]): MountPointRecord[] {
  const out: MountPointRecord[] = [];
  for (const spec of specs) {
    const { container, mode } = parseVolumesFrom(spec);
    let points: readonly MountPointRecord[];
    try {
      points = lookup(container);
    } catch (err) {
      throw invalidParameter(err instanceof Error ? err.message : String(err), err);
    }
    for (const p of points) {
      out.push({ ...p, Mode: '', RW: p.RW && modeIsReadWrite(mode) });
    }
  }
  return out;
}

function touchesRoot(source: string, root: string): boolean {
  return source.startsWith(root) || root.startsWith(source);
}

/** MountPoint.Setup for -v binds: MkdirAll 0755; a file already there is fine. */
async function createBindSource(p: string): Promise<void> {
  try {
    await fs.mkdir(p, { recursive: true, mode: 0o755 });
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST' || code === 'ENOTDIR') return;
    throw invalidParameter(`error while creating mount source path '${p}': ${err instanceof Error ? err.message : String(err)}`);
  }
}
