// The volume service: what `docker volume` and the container lifecycle use.
// Volumes live in the local driver (src/volume/local.ts); this adds what
// dockerd's VolumesService and VolumeStore add on top: anonymous names and
// their label, references from containers (a referenced volume cannot be
// removed or pruned), list and prune filters, sizes for `system df`, events.
//
// References are not persisted: they are rebuilt from the containers at
// startup (`restore`), as dockerd rebuilds them from its containers' mount
// points. Shapes: ../shared/specs/engine-api/v1.47.yaml, definitions Volume,
// VolumeListResponse, VolumePruneResponse. Behaviour: moby volume/service
// (service.go, store.go, convert.go, errors.go), read, not translated.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { conflict, EngineError, invalidParameter, notFound, systemError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { Filters } from '../api/http/filters.js';
import { KeyedMutex } from '../storage/util.js';
import { copyExistingContents, directorySize } from './copy.js';
import { LOCAL_DRIVER, LocalDriver, type LocalVolume } from './local.js';

/** dockerd 23+: the label of volumes created without a name. `volume prune` (API >= 1.42) removes only these unless all=true. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** The API's Volume object, keys in dockerd's order. */
export interface VolumeInfo {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local' | 'global';
  Status?: Record<string, unknown>;
  UsageData?: { RefCount: number; Size: number };
}

export interface VolumeListResult {
  Volumes: VolumeInfo[];
  Warnings: string[] | null;
}

export interface VolumePruneReport {
  VolumesDeleted: string[];
  SpaceReclaimed: number;
}

/** Where events go: the daemon's bus (src/common/events.ts), or nothing. */
export interface VolumeEventSink {
  publish(ev: { Type: 'volume'; Action: string; Actor: { ID: string; Attributes: Record<string, string> } }): unknown;
}

export interface CreateVolumeOptions {
  driverOpts?: Record<string, string> | null;
  labels?: Record<string, string> | null;
  /** A container taking a reference at once (create on first use). */
  reference?: string;
}

/** Where a volume is mounted in a container: for the mount event's attributes. */
export interface VolumeMountContext {
  destination?: string;
  rw?: boolean;
  propagation?: string;
  /** VolumeOptions.Subpath: bind this directory of the volume instead of its root. */
  subpath?: string;
}

/** What the service needs to know about one container at startup. */
export interface ContainerVolumeRefs {
  id: string;
  /** Names of the volumes its mount points use. */
  volumes: string[];
  /** Its processes survived the daemon's restart: their volumes stay mounted. */
  running: boolean;
}

export interface VolumeServiceOptions {
  dataRoot: string;
  logger: Logger;
  events?: VolumeEventSink;
}

const LIST_FILTERS = ['dangling', 'name', 'driver', 'label'] as const;
const PRUNE_FILTERS = ['label', 'label!', 'all'] as const;

function withKind(kind: EngineError['kind'], message: string, cause: unknown): EngineError {
  return new EngineError(kind, message, { cause });
}

/** moby OpErr: "<op> <name>: <reason>", keeping the reason's error kind. */
function opError(op: string, name: string, err: unknown): EngineError {
  const reason = err instanceof Error ? err.message : String(err);
  const kind = err instanceof EngineError ? err.kind : 'system';
  return withKind(kind, `${op}${name ? ` ${name}` : ''}: ${reason}`, err);
}

/** filters.MatchKVList: every `k` / `k=v` condition holds. No labels at all fails a non-empty filter. */
function matchKVList(conditions: string[], labels: Record<string, string> | null): boolean {
  if (conditions.length === 0) return true;
  if (!labels || Object.keys(labels).length === 0) return false;
  for (const c of conditions) {
    const eq = c.indexOf('=');
    const k = eq < 0 ? c : c.slice(0, eq);
    if (!(k in labels)) return false;
    if (eq >= 0 && labels[k] !== c.slice(eq + 1)) return false;
  }
  return true;
}

/** filters.Args.Match: an exact value, or a value that is a regular expression matching somewhere. */
function matchName(values: string[], name: string): boolean {
  for (const v of values) {
    if (v === name) return true;
    try {
      if (new RegExp(v).test(name)) return true;
    } catch {
      // Not a valid expression: Go skips it too.
    }
  }
  return false;
}

/** filters.Args.GetBoolOrDefault. */
function boolFilter(filters: Filters, key: string): boolean | undefined {
  if (!filters.has(key)) return undefined;
  const values = filters.get(key);
  if (values.length === 0) throw invalidParameter(`invalid filter '${key}'`);
  const isFalse = values.includes('0') || values.includes('false');
  const isTrue = values.includes('1') || values.includes('true');
  if (isFalse === isTrue) throw invalidParameter(`invalid filter '${key}=${values.join(',')}'`);
  return isTrue;
}

/** Go's strconv.ParseBool. */
function parseGoBool(text: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw invalidParameter(`invalid filter 'all': strconv.ParseBool: parsing ${JSON.stringify(text)}: invalid syntax`);
}

export class VolumeService {
  readonly driver: LocalDriver;
  private readonly logger: Logger;
  private events: VolumeEventSink | undefined;
  private readonly refs = new Map<string, Set<string>>();
  private readonly locks = new KeyedMutex();
  private pruneRunning = false;

  private constructor(opts: VolumeServiceOptions) {
    this.logger = opts.logger;
    this.events = opts.events;
    this.driver = new LocalDriver({ root: path.join(opts.dataRoot, 'volumes'), logger: opts.logger });
  }

  /** Open the volumes under <data-root>/volumes (clears what a crash left half-done). */
  static async open(opts: VolumeServiceOptions): Promise<VolumeService> {
    const s = new VolumeService(opts);
    await s.driver.open();
    return s;
  }

  /** Where volume events go from now on (the daemon's bus may be made after the service). */
  setEventSink(events: VolumeEventSink | undefined): void {
    this.events = events;
  }

  get count(): number {
    return this.driver.list().length;
  }

  private emit(action: string, name: string, attributes: Record<string, string>): void {
    try {
      this.events?.publish({ Type: 'volume', Action: action, Actor: { ID: name, Attributes: attributes } });
    } catch (err) {
      this.logger.warn('cannot publish a volume event', { action, volume: name, err: err instanceof Error ? err.message : String(err) });
    }
  }

  private info(v: LocalVolume): VolumeInfo {
    return {
      CreatedAt: v.meta.CreatedAt,
      Driver: v.meta.Driver,
      Labels: v.meta.Labels ? { ...v.meta.Labels } : null,
      Mountpoint: v.path,
      Name: v.meta.Name,
      Options: v.meta.Options ? { ...v.meta.Options } : null,
      Scope: 'local',
    };
  }

  private refsOf(name: string): Set<string> {
    let set = this.refs.get(name);
    if (!set) {
      set = new Set();
      this.refs.set(name, set);
    }
    return set;
  }

  private checkDriver(name: string, driver: string): void {
    if (driver !== '' && driver !== LOCAL_DRIVER) {
      throw opError('create', name, notFound(`error looking up volume plugin ${driver}: plugin ${JSON.stringify(driver)} not found`));
    }
  }

  /**
   * VolumesService.Create: a new volume, or the existing one of that name
   * (as dockerd: options and labels of an existing volume are not compared).
   * No name: a random 64-hex name with the anonymous label.
   */
  async create(name: string, driver: string, opts: CreateVolumeOptions = {}): Promise<VolumeInfo> {
    let labels = opts.labels ?? null;
    if (name === '') {
      name = randomBytes(32).toString('hex');
      labels = { ...(labels ?? {}), [ANONYMOUS_LABEL]: '' };
    }
    return this.locks.run(name, async () => {
      this.checkDriver(name, driver);
      let v = this.driver.get(name);
      if (!v) {
        try {
          v = await this.driver.create(name, opts.driverOpts ?? null, labels);
        } catch (err) {
          throw opError('create', name, err);
        }
        this.emit('create', name, { driver: v.meta.Driver });
      }
      if (opts.reference) this.refsOf(name).add(opts.reference);
      return this.info(v);
    });
  }

  /** VolumesService.Get. */
  get(name: string): VolumeInfo {
    const v = this.driver.get(name);
    if (!v) throw notFound(`get ${name}: no such volume`);
    return this.info(v);
  }

  /** Take a reference on an existing volume (`--volumes-from`, restore). */
  async reference(name: string, containerId: string): Promise<VolumeInfo> {
    return this.locks.run(name, async () => {
      const info = this.get(name);
      this.refsOf(name).add(containerId);
      return info;
    });
  }

  /** Drop a container's reference. */
  async dereference(name: string, containerId: string): Promise<void> {
    await this.locks.run(name, async () => {
      const set = this.refs.get(name);
      set?.delete(containerId);
      if (set && set.size === 0) this.refs.delete(name);
    });
  }

  /** Containers referencing the volume. */
  references(name: string): string[] {
    return [...(this.refs.get(name) ?? [])];
  }

  /** GET /volumes: filters dangling, name, driver, label. */
  list(filters: Filters = new Filters()): VolumeListResult {
    filters.validate(LIST_FILTERS);
    const dangling = boolFilter(filters, 'dangling');
    const drivers = filters.get('driver');
    const names = filters.get('name');
    const labels = filters.get('label');
    const out: VolumeInfo[] = [];
    for (const v of this.driver.list()) {
      if (drivers.length > 0 && !drivers.includes(v.meta.Driver)) continue;
      if (filters.has('name') && !matchName(names, v.meta.Name)) continue;
      if (!matchKVList(labels, v.meta.Labels)) continue;
      if (dangling !== undefined && (this.references(v.meta.Name).length > 0) === dangling) continue;
      out.push(this.info(v));
    }
    out.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    return { Volumes: out, Warnings: null };
  }

  /**
   * DELETE /volumes/{name}: 409 while containers reference it. `force`
   * (dockerd's PurgeOnError) makes a missing volume a success.
   */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.locks.run(name, async () => {
      const v = this.driver.get(name);
      if (!v) {
        if (opts.force) return;
        throw notFound(`get ${name}: no such volume`);
      }
      const refs = this.references(name);
      if (refs.length > 0) throw conflict(`remove ${name}: volume is in use - [${refs.join(', ')}]`);
      try {
        await this.driver.remove(v);
      } catch (err) {
        throw opError('remove', name, err);
      }
      this.refs.delete(name);
      this.emit('destroy', name, { driver: v.meta.Driver });
    });
  }

  /**
   * POST /volumes/prune: unreferenced local volumes without driver options
   * (a mount's space is not ours to reclaim), only anonymous ones unless
   * `all=true` (API >= 1.42; older clients get all).
   */
  async prune(filters: Filters = new Filters(), apiVersionAtLeast142 = true): Promise<VolumePruneReport> {
    if (this.pruneRunning) throw conflict('a prune operation is already running');
    this.pruneRunning = true;
    try {
      filters.validate(PRUNE_FILTERS);
      const allValues = filters.get('all');
      let all = !apiVersionAtLeast142;
      if (allValues.length > 1) throw invalidParameter(`invalid filter 'all=[${allValues.join(' ')}]': only one value is expected`);
      if (allValues.length === 1 && parseGoBool(allValues[0]!)) all = true;
      const labels = filters.get('label');
      if (!all) labels.push(ANONYMOUS_LABEL);
      const notLabels = filters.get('label!');
      const report: VolumePruneReport = { VolumesDeleted: [], SpaceReclaimed: 0 };
      for (const v of this.driver.list()) {
        const name = v.meta.Name;
        if (v.meta.Driver !== LOCAL_DRIVER) continue;
        if (v.meta.Options && Object.keys(v.meta.Options).length > 0) continue;
        if (!matchKVList(labels, v.meta.Labels)) continue;
        if (notLabels.length > 0 && matchKVList(notLabels, v.meta.Labels)) continue;
        await this.locks.run(name, async () => {
          if (!this.driver.get(name) || this.references(name).length > 0) return;
          let size = 0;
          try {
            size = await directorySize(v.path);
          } catch (err) {
            this.logger.warn('could not determine size of volume', { volume: name, err: err instanceof Error ? err.message : String(err) });
          }
          try {
            await this.driver.remove(v);
          } catch (err) {
            this.logger.warn('could not remove volume', { volume: name, err: err instanceof Error ? err.message : String(err) });
            return;
          }
          this.refs.delete(name);
          this.emit('destroy', name, { driver: v.meta.Driver });
          report.SpaceReclaimed += size;
          report.VolumesDeleted.push(name);
        });
      }
      this.emit('prune', '', { reclaimed: String(report.SpaceReclaimed) });
      return report;
    } finally {
      this.pruneRunning = false;
    }
  }

  /**
   * The volumes part of GET /system/df (LocalVolumesSize): local volumes
   * without options, with UsageData (size on disk, -1 if unknown; references).
   */
  async diskUsage(): Promise<VolumeInfo[]> {
    const out: VolumeInfo[] = [];
    for (const v of this.driver.list()) {
      if (v.meta.Driver !== LOCAL_DRIVER) continue;
      if (v.meta.Options && Object.keys(v.meta.Options).length > 0) continue;
      let size = -1;
      try {
        size = await directorySize(v.path);
      } catch (err) {
        this.logger.warn('failed to determine size of volume', { volume: v.meta.Name, err: err instanceof Error ? err.message : String(err) });
      }
      out.push({ ...this.info(v), UsageData: { RefCount: this.references(v.meta.Name).length, Size: size } });
    }
    out.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    return out;
  }

  // ---------------------------------------------------------------------
  // What the container lifecycle calls (the runtime's VolumeBackend).

  /** Create (or find) a volume for a container and reference it; no name: a new anonymous volume. */
  async ensure(req: {
    name?: string;
    driver?: string;
    driverOptions?: Record<string, string> | null;
    labels?: Record<string, string> | null;
    containerId: string;
  }): Promise<{ name: string; driver: string; mountpoint: string }> {
    const info = await this.create(req.name ?? '', req.driver ?? '', {
      driverOpts: req.driverOptions ?? null,
      labels: req.labels ?? null,
      reference: req.containerId,
    });
    return { name: info.Name, driver: info.Driver, mountpoint: info.Mountpoint };
  }

  /**
   * Mount a volume for a container that starts: mounts its device (tmpfs,
   * bind, nfs...) for the first user and returns the host path to bind.
   */
  async mount(name: string, containerId: string, ctx: VolumeMountContext | string = {}): Promise<string> {
    const c: VolumeMountContext = typeof ctx === 'string' ? { subpath: ctx } : ctx;
    return this.locks.run(name, async () => {
      const v = this.driver.get(name);
      if (!v) throw notFound(`get ${name}: no such volume`);
      let p: string;
      try {
        p = this.driver.mount(v, containerId);
      } catch (err) {
        throw systemError(`error while mounting volume '${v.path}': ${err instanceof Error ? err.message : String(err)}`, err);
      }
      if (c.subpath) {
        try {
          p = await resolveSubpath(v.path, c.subpath);
        } catch (err) {
          this.driver.unmount(v, containerId);
          throw err;
        }
      }
      this.emit('mount', name, {
        container: containerId,
        destination: c.destination ?? '',
        driver: v.meta.Driver,
        propagation: c.propagation ?? '',
        'read/write': String(c.rw ?? true),
      });
      return p;
    });
  }

  /** The container stopped: drop its mount; the last one unmounts the device. */
  async unmount(name: string, containerId: string): Promise<void> {
    await this.locks.run(name, async () => {
      const v = this.driver.get(name);
      if (!v) return;
      try {
        this.driver.unmount(v, containerId);
      } catch (err) {
        throw opError('unmount', name, err);
      }
      this.emit('unmount', name, { container: containerId, driver: v.meta.Driver });
    });
  }

  /**
   * The container is removed: drop its reference; with `removeAnonymous`
   * (docker rm -v, --rm) remove the volume if it is anonymous and no other
   * container uses it (in use is not an error, as dockerd).
   */
  async release(name: string, containerId: string, removeAnonymous: boolean): Promise<void> {
    await this.dereference(name, containerId);
    if (!removeAnonymous) return;
    const v = this.driver.get(name);
    if (!v || !v.meta.Labels || !(ANONYMOUS_LABEL in v.meta.Labels)) return;
    try {
      await this.remove(name);
    } catch (err) {
      if (err instanceof EngineError && (err.kind === 'conflict' || err.kind === 'not-found')) return;
      throw err;
    }
  }

  /**
   * Copy-up at container create: fill the empty volume with `fromDir` (the
   * image's directory at the mount point, resolved inside the container's
   * root filesystem).
   */
  async populate(name: string, fromDir: string): Promise<void> {
    await this.copyUp(name, fromDir);
  }

  /** populate(), telling whether anything was copied (not when the volume had content or the source is no directory). */
  async copyUp(name: string, fromDir: string): Promise<boolean> {
    const ref = `copy-up-${randomBytes(8).toString('hex')}`;
    const v = this.driver.get(name);
    if (!v) throw notFound(`get ${name}: no such volume`);
    await this.locks.run(name, async () => {
      this.driver.mount(v, ref);
    });
    try {
      return await copyExistingContents(fromDir, v.path);
    } finally {
      await this.locks.run(name, async () => {
        this.driver.unmount(v, ref);
      });
    }
  }

  /**
   * At daemon start, once the containers are loaded: their references, and
   * the mounts of the ones still running; devices nobody uses are unmounted.
   */
  async restore(containers: readonly ContainerVolumeRefs[]): Promise<void> {
    for (const c of containers) {
      for (const name of c.volumes) {
        const v = this.driver.get(name);
        if (!v) {
          this.logger.warn('container references a volume that does not exist', { container: c.id, volume: name });
          continue;
        }
        this.refsOf(name).add(c.id);
        if (c.running) this.driver.adoptMount(v, c.id);
      }
    }
    this.driver.unmountIdle();
  }

  /** At daemon shutdown: volumes of containers still running stay mounted (their processes outlive us). */
  async close(): Promise<void> {
    this.driver.unmountIdle();
  }
}

/** A volume's subpath, which must exist and stay inside the volume after resolving symlinks. */
async function resolveSubpath(volumePath: string, subpath: string): Promise<string> {
  const joined = path.join(volumePath, subpath);
  let real: string;
  try {
    real = await fs.realpath(joined);
  } catch (err) {
    throw invalidParameter(`cannot access path ${joined}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const root = await fs.realpath(volumePath);
  if (real !== root && !real.startsWith(root + '/')) {
    throw invalidParameter(`subpath ${JSON.stringify(subpath)} resolves outside of the volume`);
  }
  return real;
}
