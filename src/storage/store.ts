// The layer store: the one storage interface the rest of the engine uses.
//
// Model (containerd's, with docker's naming): compressed layer blobs live in
// the content store (src/image/); here each layer is unpacked exactly once,
// named by its chain ID (OCI image spec, config.md "Layer ChainID"), shared by
// every image that has it, and removed when nothing refers to it any more.
// Containers (and build steps) get a writable layer on top of an image's top
// layer, addressed by the caller's id.
//
// References. A layer is kept while any of these holds:
//  - an owner: a name the caller chose ("image:sha256:…", "pull:1234"),
//    added by retain() or register({ owner }) and dropped by release().
//    Owners are a persisted set, so retain and release are idempotent, and a
//    caller can re-assert its references after a crash without counting;
//  - a child layer (a layer references its parent);
//  - a writable layer on it;
//  - an operation in progress (register on it as parent, tar() of it).
// When release() or removeRW() drops the last one, the layer is removed, then
// its parent is considered in turn. Layers nobody ever retained stay until
// removeUnreferenced() (which the daemon calls once the image store has loaded
// and re-asserted its references).
//
// Crash safety (berthd may be killed at any moment): a layer is unpacked into
// a fresh driver directory and its metadata prepared in <root>/tmp; it exists
// once that metadata directory is renamed into place. open() unmounts stale
// mounts under the root, empties tmp, and removes driver directories that no
// committed metadata names. Removal renames the metadata away first.
//
// Worked example (a pull of a two-layer image, a container, a commit):
//
//   const store = new LayerStore({ root: '/var/lib/berth/storage', driver: 'auto' });
//   await store.open();
//   // diff_ids from the image config; blobs from the content store, any compression
//   const base = await store.register(blob0, null, { expectedDiffId: diffIds[0], owner: 'pull:1' });
//   const top = await store.register(blob1, base.chainId, { expectedDiffId: diffIds[1], owner: 'pull:1' });
//   await store.retain(top.chainId, `image:${imageId}`);      // the image refers to its top layer
//   await store.release(base.chainId, 'pull:1');               // kept: top is its child
//   await store.release(top.chainId, 'pull:1');                // kept: the image owns it
//
//   await store.createRW(containerId, top.chainId);
//   const rootfs = await store.mountRW(containerId);           // overlay mount (or vfs dir)
//   ... run the container in rootfs ...
//   const changes = await store.rwChanges(containerId);        // [{ path: '/etc/x', kind: 'A' }]
//   const diff = await store.rwDiffTar(containerId);           // commit: an OCI layer tar
//   const committed = await store.register(diff, top.chainId, { owner: `image:${newImageId}` });
//   await store.unmountRW(containerId);
//   await store.removeRW(containerId);
//
//   await store.release(top.chainId, `image:${imageId}`);     // docker rmi: returns the removed chain IDs

import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { EngineError, conflict, errorMessage, invalidParameter, isEngineError, notFound } from '../common/errors.js';
import { fsyncDir, readJsonIfExists, writeJsonAtomic } from '../common/fsutil.js';
import { MNT_DETACH, umount2 } from '../common/syscalls.js';
import { nullLogger } from '../common/log.js';
import type { Logger } from '../common/log.js';
import { settleDeferred, type ApplyResult } from './apply.js';
import { setupInitLayer } from './initlayer.js';
import { decompressed } from './compression.js';
import type { Change } from './diff.js';
import type { DriverName, GraphDriver } from './driver.js';
import { Overlay2Driver, probeOverlay } from './overlay2.js';
import { TarFormatError } from './tar/header.js';
import { tarBytes } from './tar/writer.js';
import { reassembleTar } from './tarsplit.js';
import { startUnpackWorkers, unpackLayer } from './unpacker.js';
import { KeyedMutex, mountsUnder, randomHexId } from './util.js';
import { VfsDriver } from './vfs.js';

export type DriverChoice = DriverName | 'auto';

export interface LayerStoreOptions {
  /** The store's directory, e.g. <data-root>/storage. */
  root: string;
  /** 'auto' (default): overlay2 where a test mount works, else vfs; or what is already on disk. */
  driver?: DriverChoice;
  logger?: Logger;
}

export interface LayerInfo {
  chainId: string;
  diffId: string;
  /** Chain ID of the layer below, null for a base layer. */
  parent: string | null;
  /** Bytes of regular files the layer holds (docker's layer size). */
  size: number;
  /** Bytes of the layer's uncompressed tar. */
  tarSize: number;
  /** RFC 3339 time the layer was unpacked. */
  created: string;
  owners: string[];
}

export interface RWLayerInfo {
  id: string;
  /** Chain ID of the image layer below, null for a container from scratch. */
  parent: string | null;
  created: string;
  /** References held by mountRW(). */
  mounts: number;
}

export interface RegisterOptions {
  /** The diff ID the uncompressed tar must have (from the image config): fails otherwise, and lets an existing layer be reused before unpacking. */
  expectedDiffId?: string;
  /** An owner to add to the layer, atomically with its creation or reuse. */
  owner?: string;
  /** Told about entries that were skipped (xattrs a filesystem refused, devices when not root). */
  onWarning?: (message: string) => void;
}

export interface ChainLayer {
  /** The layer's tar (gzip, zstd or plain), asked for once its unpack can start. */
  tar: () => AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>;
  /** Its diff ID, from the image config. */
  expectedDiffId: string;
}

export interface RegisterChainOptions {
  /** An owner to add to each layer, atomically with its creation or reuse. */
  owner?: string;
  onWarning?: (message: string) => void;
  /** Told about each layer as it is registered, bottom first. */
  onRegistered?: (index: number, result: RegisterResult) => void | Promise<void>;
}

export interface RegisterResult {
  chainId: string;
  diffId: string;
  size: number;
  /** False when the layer already existed and the input was only checked. */
  created: boolean;
}

const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** ChainID(parent|layer) per the OCI image spec (config.md "Layer ChainID"). */
export function chainIdOf(parent: string | null, diffId: string): string {
  if (parent === null) return diffId;
  return `sha256:${createHash('sha256').update(`${parent} ${diffId}`).digest('hex')}`;
}

/** The chain IDs of an image's rootfs.diff_ids, bottom first. */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  let parent: string | null = null;
  for (const diffId of diffIds) {
    parent = chainIdOf(parent, diffId);
    out.push(parent);
  }
  return out;
}

interface LayerRecord {
  chainId: string;
  diffId: string;
  parent: string | null;
  cacheId: string;
  size: number;
  tarSize: number;
  created: string;
  tarSplit: boolean;
  owners: Set<string>;
  children: number;
  rwChildren: number;
  pins: number;
  /** A removal found only pins in the way: retry when they are gone. */
  removalDeferred: boolean;
}

interface StoredLayer {
  chainId: string;
  diffId: string;
  parent: string | null;
  cacheId: string;
  size: number;
  tarSize: number;
  created: string;
  tarSplit: boolean;
}

interface RWRecord {
  id: string;
  parent: string | null;
  cacheId: string;
  /** The "-init" layer between the image and this layer, when there is one. */
  initCacheId?: string;
  created: string;
}

function isStoredLayer(v: unknown): v is StoredLayer {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.chainId === 'string' &&
    SHA256_DIGEST.test(o.chainId) &&
    typeof o.diffId === 'string' &&
    (o.parent === null || typeof o.parent === 'string') &&
    typeof o.cacheId === 'string' &&
    /^[0-9a-f]{64}$/.test(o.cacheId) &&
    typeof o.size === 'number' &&
    typeof o.tarSize === 'number' &&
    typeof o.created === 'string' &&
    typeof o.tarSplit === 'boolean'
  );
}

function isRWRecord(v: unknown): v is RWRecord {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.id === 'string' &&
    (o.parent === null || typeof o.parent === 'string') &&
    typeof o.cacheId === 'string' &&
    /^[0-9a-f]{64}$/.test(o.cacheId) &&
    (o.initCacheId === undefined || (typeof o.initCacheId === 'string' && /^[0-9a-f]{64}$/.test(o.initCacheId))) &&
    typeof o.created === 'string'
  );
}

function checkChainId(chainId: string): void {
  if (!SHA256_DIGEST.test(chainId)) throw invalidParameter(`invalid layer chain ID ${JSON.stringify(chainId)}`);
}

function checkRWId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/.test(id)) throw invalidParameter(`invalid writable layer id ${JSON.stringify(id)}`);
}

function registerError(err: unknown): EngineError {
  const message = `failed to register layer: ${errorMessage(err)}`;
  if (isEngineError(err)) return new EngineError(err.kind, message, { cause: err });
  if (err instanceof TarFormatError) return invalidParameter(message, err);
  return new EngineError('system', message, { cause: err });
}

export class LayerStore {
  readonly root: string;
  private readonly choice: DriverChoice;
  private readonly log: Logger;
  private driverImpl: GraphDriver | undefined;
  private readonly layers = new Map<string, LayerRecord>();
  private readonly rws = new Map<string, RWRecord>();
  private readonly creatingRW = new Set<string>();
  /** Serializes changes to the index and its files (short critical sections only). */
  private readonly meta = new KeyedMutex();
  /** One unpack per expected chain ID at a time. */
  private readonly chainLocks = new KeyedMutex();

  constructor(options: LayerStoreOptions) {
    this.root = options.root.replace(/\/+$/, '');
    this.choice = options.driver ?? 'auto';
    this.log = options.logger ?? nullLogger;
  }

  private get driver(): GraphDriver {
    if (this.driverImpl === undefined) throw new Error('layer store used before open()');
    return this.driverImpl;
  }

  get driverName(): DriverName {
    return this.driver.name;
  }

  private get tmpDir(): string {
    return `${this.root}/tmp`;
  }

  private get dbDir(): string {
    return `${this.root}/layerdb/${this.driver.name}`;
  }

  private layerDir(chainId: string): string {
    return `${this.dbDir}/sha256/${chainId.slice('sha256:'.length)}`;
  }

  private rwDir(id: string): string {
    return `${this.dbDir}/rw/${id}`;
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.meta.run('', fn);
  }

  // ---- opening ----

  /** Prepares the root, picks the driver and removes whatever a crash left half-done. */
  async open(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { mode: 0o700 });

    this.driverImpl = await this.chooseDriver();
    await this.driver.init();
    await mkdir(`${this.dbDir}/sha256`, { recursive: true, mode: 0o700 });
    await mkdir(`${this.dbDir}/rw`, { recursive: true, mode: 0o700 });

    const onDisk = new Set(await this.driver.list());
    for (const hex of await readdir(`${this.dbDir}/sha256`)) {
      const dir = `${this.dbDir}/sha256/${hex}`;
      let stored: unknown;
      try {
        stored = await readJsonIfExists<unknown>(`${dir}/info.json`);
      } catch {
        stored = undefined;
      }
      if (!isStoredLayer(stored) || stored.chainId !== `sha256:${hex}` || !onDisk.has(stored.cacheId)) {
        this.log.warn('storage: dropping incomplete or corrupt layer', { layer: hex });
        await this.discard(dir);
        continue;
      }
      const owners = (await readJsonIfExists<unknown>(`${dir}/owners.json`).catch(() => undefined)) ?? [];
      this.layers.set(stored.chainId, {
        ...stored,
        owners: new Set(Array.isArray(owners) ? owners.filter((o): o is string => typeof o === 'string') : []),
        children: 0,
        rwChildren: 0,
        pins: 0,
        removalDeferred: false,
      });
    }
    for (const id of await readdir(`${this.dbDir}/rw`)) {
      const stored = await readJsonIfExists<unknown>(`${this.rwDir(id)}/info.json`).catch(() => undefined);
      if (
        !isRWRecord(stored) ||
        stored.id !== id ||
        !onDisk.has(stored.cacheId) ||
        (stored.initCacheId !== undefined && !onDisk.has(stored.initCacheId))
      ) {
        this.log.warn('storage: dropping incomplete or corrupt writable layer', { id });
        await this.discard(this.rwDir(id));
        continue;
      }
      this.rws.set(id, stored);
    }
    // A layer whose parent is gone cannot be mounted: drop it (and so, in turn, its descendants).
    for (let changed = true; changed; ) {
      changed = false;
      for (const rec of this.layers.values()) {
        if (rec.parent !== null && !this.layers.has(rec.parent)) {
          this.log.warn('storage: dropping layer whose parent is missing', { layer: rec.chainId, parent: rec.parent });
          this.layers.delete(rec.chainId);
          await this.discard(this.layerDir(rec.chainId));
          changed = true;
        }
      }
    }
    for (const rec of this.layers.values()) if (rec.parent !== null) this.layers.get(rec.parent)!.children++;
    for (const rw of this.rws.values()) {
      if (rw.parent === null) continue;
      const parent = this.layers.get(rw.parent);
      if (parent) parent.rwChildren++;
      else this.log.warn('storage: writable layer on a missing layer', { id: rw.id, parent: rw.parent });
    }
    await this.unmountStale();
    const live = new Set([...this.layers.values()].map((l) => l.cacheId));
    for (const rw of this.rws.values()) {
      live.add(rw.cacheId);
      if (rw.initCacheId !== undefined) live.add(rw.initCacheId);
    }
    for (const id of onDisk) {
      if (!live.has(id)) {
        this.log.info('storage: removing unreferenced layer directory', { id });
        await this.driver.remove(id);
      }
    }
    await this.driver.cleanup(live);
  }

  /**
   * Unmounts what a previous run left mounted under the root, except the
   * mounts of committed writable layers: a container that outlived the daemon
   * (conmon keeps it running) still has its root there, and mounting the same
   * upper dir twice is not safe. Those are adopted: the next mountRW() reuses
   * the mount and the last unmountRW() takes it down.
   */
  private async unmountStale(): Promise<void> {
    const kept: string[] = [];
    for (const rw of this.rws.values()) {
      const point = this.driver.mountPath(rw.cacheId);
      if (point !== null) kept.push(point);
    }
    for (const point of await mountsUnder(this.root)) {
      if (point === this.root) continue;
      if (kept.some((k) => point === k || point.startsWith(`${k}/`))) {
        this.log.info('storage: adopting the mount of a writable layer', { mount: point });
        continue;
      }
      this.log.info('storage: unmounting stale mount', { mount: point });
      try {
        umount2(point, MNT_DETACH);
      } catch (err) {
        this.log.warn('storage: cannot unmount stale mount', { mount: point, error: errorMessage(err) });
      }
    }
  }

  private async chooseDriver(): Promise<GraphDriver> {
    if (!['auto', 'overlay2', 'vfs'].includes(this.choice)) {
      // dockerd's wording, for --storage-driver values it does not know.
      throw invalidParameter(`error initializing graphdriver: driver not supported: ${this.choice}`);
    }
    const overlay = new Overlay2Driver(`${this.root}/overlay2`, this.log);
    const vfs = new VfsDriver(`${this.root}/vfs`);
    if (this.choice === 'overlay2') return overlay;
    if (this.choice === 'vfs') return vfs;
    // A prior driver with layers wins, as dockerd's "prior storage driver".
    for (const [driver, dir] of [
      [overlay, `${this.root}/layerdb/overlay2/sha256`],
      [vfs, `${this.root}/layerdb/vfs/sha256`],
    ] as const) {
      const entries = await readdir(dir).catch(() => []);
      if (entries.length > 0) return driver;
    }
    const problem = await probeOverlay(`${this.root}/overlay2`);
    if (problem === null) return overlay;
    this.log.info('storage: overlay2 unavailable, using vfs', { reason: problem });
    return vfs;
  }

  /** Renames a metadata directory into tmp, then deletes it. */
  private async discard(dir: string): Promise<void> {
    const grave = `${this.tmpDir}/removed-${randomHexId()}`;
    try {
      await rename(dir, grave);
    } catch (err) {
      this.log.warn('storage: cannot move away', { dir, error: errorMessage(err) });
      return;
    }
    await rm(grave, { recursive: true, force: true });
  }

  /** Unmounts what this store mounted. */
  async close(): Promise<void> {
    if (this.driverImpl === undefined) return;
    for (const rw of this.rws.values()) {
      if (this.driver.mountCount(rw.cacheId) > 0) await this.driver.unmount(rw.cacheId, true);
    }
  }

  // ---- information ----

  /** `docker info` DriverStatus lines. */
  status(): Array<[string, string]> {
    return this.driver.status();
  }

  async has(chainId: string): Promise<boolean> {
    return this.layers.has(chainId);
  }

  async get(chainId: string): Promise<LayerInfo | undefined> {
    const rec = this.layers.get(chainId);
    return rec ? this.info(rec) : undefined;
  }

  async list(): Promise<LayerInfo[]> {
    return [...this.layers.values()].map((rec) => this.info(rec));
  }

  private info(rec: LayerRecord): LayerInfo {
    return {
      chainId: rec.chainId,
      diffId: rec.diffId,
      parent: rec.parent,
      size: rec.size,
      tarSize: rec.tarSize,
      created: rec.created,
      owners: [...rec.owners].sort(),
    };
  }

  /** GraphDriver.Data for `docker inspect` of a layer (by chain ID) or a writable layer (by id). */
  async metadata(chainIdOrRWId: string): Promise<Record<string, string> | null> {
    if (chainIdOrRWId.startsWith('sha256:')) return this.driver.metadata(this.layer(chainIdOrRWId).cacheId);
    return this.driver.metadata(this.rw(chainIdOrRWId).cacheId);
  }

  private layer(chainId: string): LayerRecord {
    const rec = this.layers.get(chainId);
    if (!rec) throw notFound(`layer does not exist: ${chainId}`);
    return rec;
  }

  private rw(id: string): RWRecord {
    const rec = this.rws.get(id);
    if (!rec) throw notFound(`writable layer does not exist: ${id}`);
    return rec;
  }

  // ---- registering ----

  /**
   * Unpacks a layer tar (gzip, zstd or plain: detected) on top of `parent`.
   * Idempotent: when the layer already exists, the input is drained and
   * checked against expectedDiffId (when given) and the existing layer returned.
   */
  async register(tar: AsyncIterable<Uint8Array>, parent: string | null, options: RegisterOptions = {}): Promise<RegisterResult> {
    if (parent !== null) checkChainId(parent);
    const expected = options.expectedDiffId;
    if (expected !== undefined && !SHA256_DIGEST.test(expected)) {
      throw invalidParameter(`unsupported diff ID ${JSON.stringify(expected)}: only sha256 is supported`);
    }
    if (expected === undefined) return this.unpack(tar, parent, options);
    const chainId = chainIdOf(parent, expected);
    return this.chainLocks.run(chainId, async () => {
      const existing = this.layers.get(chainId);
      if (existing) {
        existing.pins++;
        try {
          const diffId = await digestOf(tar);
          if (diffId !== expected) throw invalidParameter(`layer diff ID mismatch: expected ${expected}, got ${diffId}`);
          if (options.owner !== undefined) await this.retain(chainId, options.owner);
          return { chainId, diffId, size: existing.size, created: false };
        } finally {
          await this.unpin(existing);
        }
      }
      return this.unpack(tar, parent, options);
    });
  }

  private async unpack(tar: AsyncIterable<Uint8Array>, parent: string | null, options: RegisterOptions): Promise<RegisterResult> {
    const parentRec = parent === null ? undefined : this.layer(parent);
    if (parentRec) parentRec.pins++;
    const cacheId = randomHexId();
    const staging = `${this.tmpDir}/layer-${cacheId}`;
    let committed = false;
    try {
      await mkdir(staging, { mode: 0o700 });
      await this.driver.create(cacheId, parentRec?.cacheId ?? null, false);
      const target = this.driver.applyDir(cacheId, parentRec?.cacheId ?? null);
      const result = await unpackLayer(tar, target.dir, {
        whiteouts: this.driver.whiteouts,
        emptyRoot: target.empty,
        lowerDirs: this.driver.whiteouts === 'overlay' ? await this.driver.lowerDiffDirs(cacheId) : undefined,
        tarSplitPath: `${staging}/tar-split.json.gz`,
        onWarning: options.onWarning ?? ((message) => this.log.warn(`storage: ${message}`)),
      });
      const outcome = await this.commitUnpacked(staging, cacheId, parent, parentRec, result, options.expectedDiffId, options.owner);
      committed = outcome.committed;
      return outcome.result;
    } catch (err) {
      throw registerError(err);
    } finally {
      if (!committed) {
        await this.driver.remove(cacheId).catch((err) => this.log.warn('storage: cleanup failed', { id: cacheId, error: errorMessage(err) }));
        await rm(staging, { recursive: true, force: true }).catch(() => {});
      }
      if (parentRec) await this.unpin(parentRec);
    }
  }

  /**
   * Checks an unpacked layer's diff ID and moves its metadata into place,
   * unless the same layer appeared meanwhile (then theirs is kept: `committed`
   * is false and the caller removes ours).
   */
  private async commitUnpacked(
    staging: string,
    cacheId: string,
    parent: string | null,
    parentRec: LayerRecord | undefined,
    result: ApplyResult,
    expected: string | undefined,
    owner: string | undefined,
  ): Promise<{ result: RegisterResult; committed: boolean }> {
    if (!result.tarSplitValid) await rm(`${staging}/tar-split.json.gz`, { force: true });
    if (expected !== undefined && result.diffId !== expected) {
      throw invalidParameter(`layer diff ID mismatch: expected ${expected}, got ${result.diffId}`);
    }
    const chainId = chainIdOf(parent, result.diffId);
    const stored: StoredLayer = {
      chainId,
      diffId: result.diffId,
      parent,
      cacheId,
      size: result.size,
      tarSize: result.tarSize,
      created: new Date().toISOString(),
      tarSplit: result.tarSplitValid,
    };
    await writeJsonAtomic(`${staging}/info.json`, stored, 0o600);
    if (owner !== undefined) await writeJsonAtomic(`${staging}/owners.json`, [owner], 0o600);
    return this.locked(async () => {
      const existing = this.layers.get(chainId);
      if (existing) {
        // Someone else unpacked the same layer meanwhile: keep theirs.
        if (owner !== undefined) await this.addOwner(existing, owner);
        return { result: { chainId, diffId: result.diffId, size: existing.size, created: false }, committed: false };
      }
      if (parent !== null && !this.layers.has(parent)) throw notFound(`layer does not exist: ${parent}`);
      await rename(staging, this.layerDir(chainId));
      await fsyncDir(`${this.dbDir}/sha256`);
      this.layers.set(chainId, {
        ...stored,
        owners: new Set(owner !== undefined ? [owner] : []),
        children: 0,
        rwChildren: 0,
        pins: 0,
        removalDeferred: false,
      });
      if (parentRec) parentRec.children++;
      return { result: { chainId, diffId: result.diffId, size: result.size, created: true }, committed: true };
    });
  }

  /** Gets ready for unpacking soon (starts the unpack workers). */
  prepareUnpack(): void {
    startUnpackWorkers();
  }

  /**
   * Registers `layers` bottom first on `parent`, as register() of each on the
   * one before with its expected diff ID would, but unpacks them
   * concurrently where the driver keeps layers apart (overlay2: each layer is
   * its own directory). What a layer's unpacking takes from the layers below
   * (whether a whiteout names something, the attributes of a parent directory
   * the tar does not list) is settled once those are registered; layers are
   * registered in order. When one fails, the layers below it stay registered
   * (with the owner), the ones above are unpacked to the end of their input
   * and discarded, and the error is thrown.
   */
  async registerChain(layers: ChainLayer[], parent: string | null, options: RegisterChainOptions = {}): Promise<RegisterResult[]> {
    if (parent !== null) checkChainId(parent);
    for (const layer of layers) {
      if (!SHA256_DIGEST.test(layer.expectedDiffId)) {
        throw invalidParameter(`unsupported diff ID ${JSON.stringify(layer.expectedDiffId)}: only sha256 is supported`);
      }
    }
    const onWarning = options.onWarning ?? ((message: string) => this.log.warn(`storage: ${message}`));
    const results: RegisterResult[] = [];
    if (this.driver.whiteouts !== 'overlay' || layers.length < 2) {
      // vfs copies the layer below into each new one: one at a time.
      let below = parent;
      for (let i = 0; i < layers.length; i++) {
        const layer = layers[i]!;
        const reg = await this.register(await layer.tar(), below, { expectedDiffId: layer.expectedDiffId, owner: options.owner, onWarning });
        results.push(reg);
        await options.onRegistered?.(i, reg);
        below = reg.chainId;
      }
      return results;
    }

    interface Step {
      chainId: string;
      release: () => void;
      /** The layer when it exists already: only its input's digest is checked. */
      existing?: LayerRecord;
      digest?: Promise<string>;
      /** Otherwise: our new driver directory and its unpack. */
      cacheId?: string;
      dir?: string;
      staging?: string;
      unpacked?: Promise<ApplyResult>;
      committed: boolean;
    }
    const steps: Step[] = [];
    const parentRec = parent === null ? undefined : this.layer(parent);
    if (parentRec) parentRec.pins++;
    try {
      // Start every unpack, in order (a driver directory names the one below).
      let below = parent;
      let belowCache = parentRec?.cacheId ?? null;
      for (const layer of layers) {
        const chainId = chainIdOf(below, layer.expectedDiffId);
        const step: Step = { chainId, release: await this.chainLocks.acquire(chainId), committed: false };
        steps.push(step);
        const existing = this.layers.get(chainId);
        if (existing) {
          existing.pins++;
          step.existing = existing;
          step.digest = (async () => digestOf(await layer.tar()))();
          step.digest.catch(() => {});
          belowCache = existing.cacheId;
        } else {
          const cacheId = randomHexId();
          const staging = `${this.tmpDir}/layer-${cacheId}`;
          step.cacheId = cacheId;
          step.staging = staging;
          await mkdir(staging, { mode: 0o700 });
          await this.driver.create(cacheId, belowCache, false);
          const target = this.driver.applyDir(cacheId, belowCache);
          step.dir = target.dir;
          step.unpacked = (async () =>
            unpackLayer(await layer.tar(), target.dir, {
              whiteouts: 'overlay',
              emptyRoot: target.empty,
              deferLowerChecks: true,
              tarSplitPath: `${staging}/tar-split.json.gz`,
              onWarning,
            }))();
          step.unpacked.catch(() => {});
          belowCache = cacheId;
        }
        below = chainId;
      }
      // Register them in order.
      below = parent;
      let belowRec = parentRec;
      for (let i = 0; i < steps.length; i++) {
        const step = steps[i]!;
        const expected = layers[i]!.expectedDiffId;
        let reg: RegisterResult;
        if (step.existing) {
          const diffId = await step.digest!;
          if (diffId !== expected) throw invalidParameter(`layer diff ID mismatch: expected ${expected}, got ${diffId}`);
          if (options.owner !== undefined) await this.retain(step.chainId, options.owner);
          reg = { chainId: step.chainId, diffId, size: step.existing.size, created: false };
          belowRec = step.existing;
        } else {
          const result = await step.unpacked!;
          if (result.diffId === expected && result.deferred) {
            await settleDeferred(step.dir!, await this.driver.lowerDiffDirs(step.cacheId!), result.deferred);
          }
          const outcome = await this.commitUnpacked(step.staging!, step.cacheId!, below, belowRec, result, expected, options.owner);
          if (!outcome.committed) {
            // Registered meanwhile without an expected diff ID (an import, a
            // commit): the layers above were unpacked on ours. Rare: give up.
            throw conflict(`layer ${step.chainId} was registered concurrently`);
          }
          step.committed = true;
          reg = outcome.result;
          belowRec = this.layers.get(step.chainId);
        }
        step.release();
        results.push(reg);
        await options.onRegistered?.(i, reg);
        below = step.chainId;
      }
      return results;
    } catch (err) {
      throw registerError(err);
    } finally {
      for (const step of steps) {
        if (step.existing) {
          await step.digest?.catch(() => undefined);
          await this.unpin(step.existing);
        } else if (!step.committed) {
          // Its unpack must be over before its directory goes.
          await step.unpacked?.catch(() => undefined);
          await this.driver.remove(step.cacheId!).catch((err) => this.log.warn('storage: cleanup failed', { id: step.cacheId, error: errorMessage(err) }));
          await rm(step.staging!, { recursive: true, force: true }).catch(() => {});
        }
        step.release();
      }
      if (parentRec) await this.unpin(parentRec);
    }
  }

  // ---- references ----

  private async addOwner(rec: LayerRecord, owner: string): Promise<void> {
    if (rec.owners.has(owner)) return;
    rec.owners.add(owner);
    await writeJsonAtomic(`${this.layerDir(rec.chainId)}/owners.json`, [...rec.owners].sort(), 0o600);
  }

  /** Adds `owner` to the layer's owners (idempotent). */
  async retain(chainId: string, owner: string): Promise<void> {
    await this.locked(async () => this.addOwner(this.layer(chainId), owner));
  }

  /**
   * Removes `owner` from the layer's owners (idempotent); removes the layer,
   * then its unreferenced ancestors, when nothing else keeps them. Returns the
   * chain IDs removed, top first (docker rmi prints them as "Deleted:").
   */
  async release(chainId: string, owner: string): Promise<string[]> {
    const doomed = await this.locked(async () => {
      const rec = this.layer(chainId);
      if (rec.owners.delete(owner)) {
        await writeJsonAtomic(`${this.layerDir(rec.chainId)}/owners.json`, [...rec.owners].sort(), 0o600);
      }
      return this.unlinkRemovable(rec);
    });
    return this.destroy(doomed);
  }

  /** Owners of a layer. */
  async owners(chainId: string): Promise<string[]> {
    return [...this.layer(chainId).owners].sort();
  }

  /** Removes every layer that nothing keeps (see the references above). Returns the chain IDs removed. */
  async removeUnreferenced(): Promise<string[]> {
    const doomed = await this.locked(async () => {
      const all: LayerRecord[] = [];
      for (const rec of [...this.layers.values()]) {
        if (this.layers.has(rec.chainId)) all.push(...(await this.unlinkRemovable(rec)));
      }
      return all;
    });
    return this.destroy(doomed);
  }

  private removable(rec: LayerRecord): boolean {
    return rec.owners.size === 0 && rec.children === 0 && rec.rwChildren === 0;
  }

  /** Under the lock: takes removable layers out of the index and their metadata out of place. */
  private async unlinkRemovable(start: LayerRecord): Promise<LayerRecord[]> {
    const doomed: LayerRecord[] = [];
    let rec: LayerRecord | undefined = start;
    while (rec !== undefined && this.layers.get(rec.chainId) === rec && this.removable(rec)) {
      if (rec.pins > 0) {
        rec.removalDeferred = true;
        break;
      }
      this.layers.delete(rec.chainId);
      await rename(this.layerDir(rec.chainId), `${this.tmpDir}/removed-${rec.cacheId}`);
      doomed.push(rec);
      const parent: LayerRecord | undefined = rec.parent === null ? undefined : this.layers.get(rec.parent);
      if (parent) parent.children--;
      rec = parent;
    }
    if (doomed.length > 0) await fsyncDir(`${this.dbDir}/sha256`);
    return doomed;
  }

  /** Outside the lock: deletes the data of layers unlinkRemovable() took out. */
  private async destroy(doomed: LayerRecord[]): Promise<string[]> {
    for (const rec of doomed) {
      await this.driver.remove(rec.cacheId);
      await rm(`${this.tmpDir}/removed-${rec.cacheId}`, { recursive: true, force: true });
    }
    return doomed.map((rec) => rec.chainId);
  }

  private async unpin(rec: LayerRecord): Promise<void> {
    rec.pins--;
    if (rec.pins > 0 || !rec.removalDeferred) return;
    rec.removalDeferred = false;
    const doomed = await this.locked(async () => this.unlinkRemovable(rec));
    await this.destroy(doomed);
  }

  // ---- tars ----

  /**
   * The layer's uncompressed tar. Rebuilt byte for byte from tar-split data
   * when the layer has it (so its digest is the diff ID); otherwise generated
   * from the unpacked files, whiteouts in OCI form (a different digest).
   */
  async tar(chainId: string): Promise<Readable> {
    const rec = this.layer(chainId);
    rec.pins++;
    const parentCache = rec.parent === null ? null : (this.layers.get(rec.parent)?.cacheId ?? null);
    const driver = this.driver;
    const splitPath = `${this.layerDir(chainId)}/tar-split.json.gz`;
    const store = this;
    async function* bytes(): AsyncGenerator<Buffer> {
      try {
        if (rec.tarSplit) {
          const hash = createHash('sha256');
          for await (const chunk of reassembleTar(splitPath, driver.applyDir(rec.cacheId, parentCache).dir)) {
            hash.update(chunk);
            yield chunk;
          }
          const digest = `sha256:${hash.digest('hex')}`;
          if (digest !== rec.diffId) throw new Error(`layer ${chainId}: rebuilt tar has digest ${digest}, not its diff ID ${rec.diffId}`);
        } else {
          yield* tarBytes(driver.diffMembers(rec.cacheId, parentCache));
        }
      } finally {
        await store.unpin(rec);
      }
    }
    return Readable.from(bytes(), { objectMode: false });
  }

  // ---- writable layers ----

  /**
   * A writable layer `id` on `parent` (null: an empty root filesystem). With
   * `init` (the default), dockerd's "-init" layer goes in between: mount
   * points the runtime needs (/proc, /sys, /dev/pts, /dev/shm, /etc/hosts,
   * /etc/hostname, /etc/resolv.conf, /.dockerenv, /dev/console) and
   * /etc/mtab -> /proc/mounts, kept out of the container's own changes.
   */
  async createRW(id: string, parent: string | null, options: { init?: boolean } = {}): Promise<void> {
    checkRWId(id);
    const parentRec = await this.locked(async () => {
      if (this.rws.has(id) || this.creatingRW.has(id)) throw conflict(`writable layer ${id} already exists`);
      const rec = parent === null ? undefined : this.layer(parent);
      this.creatingRW.add(id);
      if (rec) rec.rwChildren++;
      return rec;
    });
    const cacheId = randomHexId();
    const initCacheId = options.init === false ? undefined : randomHexId();
    const staging = `${this.tmpDir}/rw-${cacheId}`;
    let committed = false;
    try {
      await mkdir(staging, { mode: 0o700 });
      let below = parentRec?.cacheId ?? null;
      if (initCacheId !== undefined) {
        await this.driver.create(initCacheId, below, true);
        const initRoot = await this.driver.mount(initCacheId);
        try {
          await setupInitLayer(initRoot);
        } finally {
          await this.driver.unmount(initCacheId, true);
        }
        below = initCacheId;
      }
      await this.driver.create(cacheId, below, true);
      const stored: RWRecord = { id, parent, cacheId, created: new Date().toISOString() };
      if (initCacheId !== undefined) stored.initCacheId = initCacheId;
      await writeJsonAtomic(`${staging}/info.json`, stored, 0o600);
      await this.locked(async () => {
        await rename(staging, this.rwDir(id));
        await fsyncDir(`${this.dbDir}/rw`);
        committed = true;
        this.rws.set(id, stored);
      });
    } finally {
      this.creatingRW.delete(id);
      if (!committed) {
        await this.driver.remove(cacheId).catch(() => {});
        if (initCacheId !== undefined) await this.driver.remove(initCacheId).catch(() => {});
        await rm(staging, { recursive: true, force: true }).catch(() => {});
        if (parentRec) {
          parentRec.rwChildren--;
          // No removal here: the parent was referenced before we came.
        }
      }
    }
  }

  async getRW(id: string): Promise<RWLayerInfo | undefined> {
    const rec = this.rws.get(id);
    return rec ? { id: rec.id, parent: rec.parent, created: rec.created, mounts: this.driver.mountCount(rec.cacheId) } : undefined;
  }

  async listRW(): Promise<RWLayerInfo[]> {
    return [...this.rws.values()].map((rec) => ({
      id: rec.id,
      parent: rec.parent,
      created: rec.created,
      mounts: this.driver.mountCount(rec.cacheId),
    }));
  }

  /** Mounts the writable layer's root filesystem; reference counted. Returns its path. */
  async mountRW(id: string): Promise<string> {
    return this.driver.mount(this.rw(id).cacheId);
  }

  /** Drops one mountRW() reference; unmounts at zero. */
  async unmountRW(id: string): Promise<void> {
    await this.driver.unmount(this.rw(id).cacheId);
  }

  /**
   * Removes the writable layer (unmounting it whatever its references), then
   * the image layers below that nothing else keeps. Returns those chain IDs.
   */
  async removeRW(id: string): Promise<string[]> {
    const { rec, doomed } = await this.locked(async () => {
      const rec = this.rw(id);
      await rename(this.rwDir(id), `${this.tmpDir}/removed-${rec.cacheId}`);
      await fsyncDir(`${this.dbDir}/rw`);
      this.rws.delete(id);
      const parent = rec.parent === null ? undefined : this.layers.get(rec.parent);
      let doomed: LayerRecord[] = [];
      if (parent) {
        parent.rwChildren--;
        doomed = await this.unlinkRemovable(parent);
      }
      return { rec, doomed };
    });
    await this.driver.remove(rec.cacheId);
    if (rec.initCacheId !== undefined) await this.driver.remove(rec.initCacheId);
    await rm(`${this.tmpDir}/removed-${rec.cacheId}`, { recursive: true, force: true });
    return this.destroy(doomed);
  }

  /** The driver layer right below a writable layer: its init layer, else the image's top layer. */
  private parentCacheOf(rec: RWRecord): string | null {
    if (rec.initCacheId !== undefined) return rec.initCacheId;
    return rec.parent === null ? null : (this.layers.get(rec.parent)?.cacheId ?? null);
  }

  /** `docker diff`: what the writable layer added (A), changed (C) and deleted (D). */
  async rwChanges(id: string): Promise<Change[]> {
    const rec = this.rw(id);
    return this.driver.changes(rec.cacheId, this.parentCacheOf(rec));
  }

  /** Bytes the writable layer adds (`docker ps -s` SizeRw). */
  async rwSize(id: string): Promise<number> {
    const rec = this.rw(id);
    return this.driver.diffSize(rec.cacheId, this.parentCacheOf(rec));
  }

  /** The writable layer's changes as an OCI layer tar (for commit and build). */
  async rwDiffTar(id: string): Promise<Readable> {
    const rec = this.rw(id);
    return Readable.from(tarBytes(this.driver.diffMembers(rec.cacheId, this.parentCacheOf(rec))), { objectMode: false });
  }
}

/** sha256 of the uncompressed bytes of a (possibly compressed) tar stream. */
async function digestOf(input: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of decompressed(input)) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}
