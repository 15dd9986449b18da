// The image service: what the image API routes, the container runtime and
// the builder call. Pull/push (distribution.ts), import (import.ts),
// save/load (archive.ts) and the busybox image (busybox.ts) work through
// this service's stores.
//
// Data-root layout:
//   content/blobs/sha256/<hex>   blobs: configs, manifests, indexes, layer blobs as pulled/loaded
//   content/ingest/              blobs being written (emptied at start)
//   image/records/<hex>.json     one record per image (see image-store.ts)
//   image/repositories.json      tags and digest references
//   storage/                     the layer store (src/storage), each layer unpacked once
//
// For the container runtime:
//   resolveForContainer(ref)     → { id, config, chainId (parent of the RW layer), reference }
//   setContainerUsage(source)    the runtime reports which containers use which image
//                                (rmi's 409s, prune, `docker images` Containers)
// For the builder and `docker commit`:
//   commit({ config, parentImageId, newLayers, setParent, tags }) → StoredImage
// For the daemon: open(), imageCount, diskUsage() (GET /system/df Images part),
// ensureBusybox(tag), setEventSink(fn).
import { containerConfigJson } from '../common/container-config-json.js';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { conflict, invalidParameter } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { Filters } from '../api/http/filters.js';
import { ContentStore, sha256Digest } from './content-store.js';
import { ImageStore, noSuchImage, type NewImage, type StoredImage } from './image-store.js';
import { imageOwner, type ImageLayerStore, type LayerRegistration } from './layers.js';
import { matchReferencePattern } from './path-match.js';
import {
  NamedReference,
  familiarName,
  familiarString,
  parseNormalizedNamed,
  tagNameOnly,
  withTag,
  isValidTag,
} from './reference.js';
import { chainIdsOf, type ContainerImageUse, type ContainerUsageSource, type Descriptor, type ImageConfig } from './types.js';
import type { ContainerConfig } from '../common/container-config.js';
import { buildBusyboxImage, DEFAULT_BUSYBOX_PATH } from './busybox.js';
import { mediaTypes } from './types.js';

/** Image events (pull, push, tag, untag, delete, import, load, save), for /events. */
export type ImageEventSink = (action: string, id: string, attributes: Record<string, string>) => void;

export interface ImageServiceOptions {
  dataRoot: string;
  layers: ImageLayerStore;
  logger: Logger;
  maxConcurrentDownloads?: number;
  maxConcurrentUploads?: number;
  busyboxPath?: string;
}

export interface ImageSummary {
  Containers: number;
  Created: number;
  Id: string;
  Labels: Record<string, string> | null;
  ParentId: string;
  RepoDigests: string[];
  RepoTags: string[];
  SharedSize: number;
  Size: number;
  VirtualSize?: number;
}

export interface DeleteResponseItem {
  Untagged?: string;
  Deleted?: string;
}

export interface ListOptions {
  all?: boolean;
  filters?: Filters;
  sharedSize?: boolean;
  containerCount?: boolean;
}

/** What the container runtime needs to create a container from an image. */
export interface ImageForContainer {
  id: string;
  config: ImageConfig;
  /** Chain ID of the image's top layer ('' when it has none): the parent of the container's RW layer. */
  chainId: string;
  /** What the user typed, normalised (docker.io/library/busybox:latest), or the ID. */
  reference: string;
}

/** An image a builder commits: a config whose rootfs the given layers complete. */
export interface CommitInput {
  /** The config; `rootfs.diff_ids` must equal the parent's diff IDs plus those of `newLayers`. */
  config: ImageConfig;
  /** The image the new layers go on (its layers are reused); undefined for FROM scratch. */
  parentImageId?: string;
  /** New layer tars, in order, each applied on the previous (plain or compressed). */
  newLayers: Array<AsyncIterable<Uint8Array>>;
  /** Record `parentImageId` as the image's Parent (legacy builder, docker commit). */
  setParent?: boolean;
  /** Tags to point at the new image. */
  tags?: string[];
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

function unixSeconds(created: string | undefined): number {
  if (!created) return 0;
  const t = Date.parse(created);
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

export class ImageService {
  private containers: ContainerUsageSource = { imageUsers: () => [] };
  private events: ImageEventSink = () => {};
  /** Blobs an operation in progress is writing or about to reference: GC keeps them. */
  private readonly leases = new Map<string, number>();
  private opsInFlight = 0;

  private constructor(
    readonly dataRoot: string,
    readonly content: ContentStore,
    readonly store: ImageStore,
    readonly layers: ImageLayerStore,
    readonly logger: Logger,
    readonly options: ImageServiceOptions,
  ) {}

  static async open(opts: ImageServiceOptions): Promise<ImageService> {
    const content = await ContentStore.open(path.join(opts.dataRoot, 'content'));
    const store = await ImageStore.open(path.join(opts.dataRoot, 'image'), content, opts.layers, opts.logger);
    const service = new ImageService(opts.dataRoot, content, store, opts.layers, opts.logger, opts);
    await service.recoverLayers();
    await service.gc();
    return service;
  }

  /**
   * At startup: give up what operations cut short by a crash held, and
   * images that no longer exist; re-assert every image's ownership of its
   * top layer (dropping images whose layers are gone); then let the layer
   * store remove what nothing keeps.
   */
  private async recoverLayers(): Promise<void> {
    for (const layer of await this.layers.list()) {
      for (const owner of layer.owners) {
        const stale = owner.startsWith('op:') || (owner.startsWith('image:') && !this.store.get(owner.slice(6)));
        if (stale) await this.layers.release(layer.chainId, owner).catch(() => []);
      }
    }
    for (const img of this.store.list()) {
      if (!img.record.chainId) continue;
      if (!(await this.layers.has(img.record.chainId))) {
        this.logger.warn('image store: dropping image whose layers are missing', { id: img.id });
        await this.store.drop(img.id);
        continue;
      }
      await this.layers.retain(img.record.chainId, imageOwner(img.id));
    }
    await this.layers.removeUnreferenced();
  }

  setContainerUsage(source: ContainerUsageSource): void {
    this.containers = source;
  }

  setEventSink(sink: ImageEventSink): void {
    this.events = sink;
  }

  emit(action: string, id: string, attributes: Record<string, string> = {}): void {
    try {
      this.events(action, id, attributes);
    } catch {
      // events are best effort
    }
  }

  get imageCount(): number {
    return this.store.count;
  }

  // --- leases and garbage collection -----------------------------------------

  /** Keep `digests` from the GC until the returned function is called. */
  lease(digests: Iterable<string>): () => void {
    const held = [...digests];
    for (const d of held) this.leases.set(d, (this.leases.get(d) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const d of held) {
        const n = (this.leases.get(d) ?? 1) - 1;
        if (n <= 0) this.leases.delete(d);
        else this.leases.set(d, n);
      }
    };
  }

  /** Mark an operation (pull, load, import, build) as running: the GC leaves layers alone meanwhile. */
  beginOperation(): () => void {
    this.opsInFlight++;
    let done = false;
    return () => {
      if (!done) {
        done = true;
        this.opsInFlight--;
      }
    };
  }

  /**
   * Remove blobs no image references (what a crash in the middle of a pull,
   * load or import leaves, and what deleted images had). Skipped while an
   * operation runs. Returns the bytes freed.
   */
  async gc(): Promise<number> {
    // An operation in progress may have committed a blob it has not leased
    // yet: collect when nothing runs (the next prune or start will).
    if (this.opsInFlight > 0) return 0;
    let freed = 0;
    const keep = this.store.referencedBlobs();
    for await (const blob of this.content.walk()) {
      if (keep.has(blob.digest) || this.leases.has(blob.digest)) continue;
      await this.content.delete(blob.digest);
      freed += blob.size;
    }
    return freed;
  }

  /** Start an operation that registers layers (see LayerOperation). */
  layerOperation(): LayerOperation {
    return new LayerOperation(this.layers);
  }

  // --- lookups ------------------------------------------------------------------

  /** Resolve a name, name:tag, name@digest, ID or ID prefix; 404 "No such image: ...". */
  get(refOrId: string): StoredImage {
    return this.store.resolve(refOrId);
  }

  /** The interface the container runtime uses at create. */
  resolveForContainer(refOrId: string): ImageForContainer {
    const img = this.store.resolve(refOrId);
    let reference = img.id;
    try {
      const named = parseNormalizedNamed(refOrId);
      reference = tagNameOnly(named).toString();
    } catch {
      // an ID
    }
    return { id: img.id, config: img.config, chainId: img.record.chainId, reference };
  }

  private repoTagsAndDigests(id: string): { tags: NamedReference[]; digests: NamedReference[] } {
    const tags: NamedReference[] = [];
    const digests: NamedReference[] = [];
    for (const r of this.store.references(id)) (r.digest !== undefined ? digests : tags).push(r);
    return { tags, digests };
  }

  private diffSizes(img: StoredImage): number[] {
    return Array.isArray(img.record.diffSizes) ? img.record.diffSizes : [];
  }

  // --- list -----------------------------------------------------------------------

  /** GET /images/json (moby daemon/images/images.go). */
  list(opts: ListOptions = {}): ImageSummary[] {
    const filters = opts.filters ?? new Filters();
    filters.validate(['dangling', 'label', 'before', 'since', 'reference', 'until']);
    const danglingOnly = filters.has('dangling') ? filters.boolValue('dangling') === true : false;
    let beforeTime: number | undefined;
    let sinceTime: number | undefined;
    for (const v of filters.get('before')) beforeTime = unixSecondsOf(this.get(v).config.created);
    for (const v of filters.get('since')) sinceTime = unixSecondsOf(this.get(v).config.created);
    let untilTime: number | undefined;
    for (const v of filters.get('until')) untilTime = parseTimestamp(v);

    const all = this.store.list();
    const users = opts.containerCount ? this.containers.imageUsers() : [];
    const chainUse = opts.sharedSize ? this.chainUseCounts() : new Map<string, number>();
    const out: ImageSummary[] = [];
    for (const img of all) {
      const created = unixSecondsOf(img.config.created);
      if (beforeTime !== undefined && !(created < beforeTime)) continue;
      if (sinceTime !== undefined && !(created > sinceTime)) continue;
      if (untilTime !== undefined && !(created < untilTime)) continue;
      if (filters.has('label') && !filters.matchLabels(img.config.config?.Labels ?? null)) continue;
      const { tags, digests } = this.repoTagsAndDigests(img.id);
      const hasRefs = tags.length + digests.length > 0;
      if (danglingOnly && hasRefs) continue;
      let repoTags: string[] = [];
      let repoDigests: string[] = [];
      if (filters.has('reference')) {
        const patterns = filters.get('reference');
        const matches = (r: NamedReference): boolean =>
          patterns.some((p) => matchReferencePattern(p, familiarString(r)) || matchReferencePattern(p, familiarName(r)));
        const t = tags.filter(matches);
        const d = digests.filter(matches);
        if (t.length + d.length === 0) continue;
        repoTags = t.map((r) => familiarString(r));
        repoDigests = d.map((r) => familiarString(r));
      } else {
        repoTags = tags.map((r) => familiarString(r));
        repoDigests = digests.map((r) => familiarString(r));
      }
      if (!hasRefs) {
        if (opts.all || this.store.children(img.id).length === 0) {
          if (filters.has('dangling') && !danglingOnly) continue;
        } else {
          continue;
        }
      }
      let shared = -1;
      if (opts.sharedSize) {
        shared = 0;
        const chains = chainIdsOf(img.config.rootfs.diff_ids);
        const sizes = this.diffSizes(img);
        chains.forEach((c, i) => {
          if ((chainUse.get(c) ?? 0) > 1) shared += sizes[i] ?? 0;
        });
      }
      out.push({
        Containers: opts.containerCount ? users.filter((u) => u.imageId === img.id).length : -1,
        Created: created,
        Id: img.id,
        Labels: img.config.config?.Labels ?? null,
        ParentId: img.record.parent ?? '',
        RepoDigests: repoDigests,
        RepoTags: repoTags,
        SharedSize: shared,
        Size: img.record.size,
      });
    }
    // dockerd sorts by creation time, newest first.
    out.sort((a, b) => b.Created - a.Created || a.Id.localeCompare(b.Id));
    return out;
  }

  /** How many images have each chain in their stack. */
  private chainUseCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const img of this.store.list()) {
      for (const c of chainIdsOf(img.config.rootfs.diff_ids)) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    return counts;
  }

  /** The Images part of GET /system/df: every image with container count and shared size, and the layers' total. */
  diskUsage(): { LayersSize: number; Images: ImageSummary[] } {
    const images = this.list({ all: true, sharedSize: true, containerCount: true });
    const seen = new Map<string, number>();
    for (const img of this.store.list()) {
      const chains = chainIdsOf(img.config.rootfs.diff_ids);
      const sizes = this.diffSizes(img);
      chains.forEach((c, i) => seen.set(c, sizes[i] ?? 0));
    }
    let layersSize = 0;
    for (const s of seen.values()) layersSize += s;
    return { LayersSize: layersSize, Images: images };
  }

  // --- inspect and history ----------------------------------------------------------

  /**
   * GET /images/{name}/json, the ImageInspect shape of API 1.47; `legacy`
   * adds what older API versions still get from dockerd: Container and
   * ContainerConfig below 1.45, VirtualSize (= Size) below 1.44.
   */
  async inspect(name: string, legacy: { containerConfig?: boolean; virtualSize?: boolean } = {}): Promise<Record<string, unknown>> {
    const img = this.get(name);
    const { tags, digests } = this.repoTagsAndDigests(img.id);
    const c = img.config;
    const graph = await this.graphDriver(img.record.chainId);
    const out: Record<string, unknown> = {
      Id: img.id,
      RepoTags: tags.map((r) => familiarString(r)),
      RepoDigests: digests.map((r) => familiarString(r)),
      Parent: img.record.parent ?? '',
      Comment: typeof c.comment === 'string' ? c.comment : '',
      Created: c.created ?? '',
      ...(legacy.containerConfig
        ? {
            Container: typeof c.container === 'string' ? c.container : '',
            // A zero container.Config when the image has none (moby serialises the struct, not a pointer).
            ContainerConfig: containerConfigJson(c.container_config ?? {}, null),
          }
        : {}),
      DockerVersion: typeof c.docker_version === 'string' ? c.docker_version : '',
      Author: c.author ?? '',
      Config: dockerContainerConfig(c.config),
      Architecture: c.architecture,
    };
    if (c.variant) out.Variant = c.variant;
    out.Os = c.os;
    if (c['os.version']) out.OsVersion = c['os.version'];
    out.Size = img.record.size;
    if (legacy.virtualSize) out.VirtualSize = img.record.size;
    out.GraphDriver = graph;
    out.RootFS = { Type: c.rootfs.type || 'layers', Layers: [...c.rootfs.diff_ids] };
    out.Metadata = { LastTagTime: img.record.lastTagTime ?? ZERO_TIME };
    return out;
  }

  private async graphDriver(chainId: string): Promise<{ Name: string; Data: Record<string, string> | null }> {
    const name = this.layers.driverName;
    if (!chainId) return { Name: name, Data: null };
    try {
      return { Name: name, Data: await this.layers.metadata(chainId) };
    } catch {
      return { Name: name, Data: null };
    }
  }

  /** GET /images/{name}/history (moby daemon/images/image_history.go). */
  history(name: string): Array<{ Id: string; Created: number; CreatedBy: string; Tags: string[] | null; Size: number; Comment: string }> {
    const img = this.get(name);
    const sizes = this.diffSizes(img);
    const entries: Array<{ Id: string; Created: number; CreatedBy: string; Tags: string[] | null; Size: number; Comment: string }> = [];
    let layer = 0;
    for (const h of img.config.history ?? []) {
      let size = 0;
      if (!h.empty_layer) {
        if (layer >= img.config.rootfs.diff_ids.length) throw new Error('too many non-empty layers in History section');
        size = sizes[layer] ?? 0;
        layer++;
      }
      entries.unshift({ Id: '<missing>', Created: unixSeconds(h.created), CreatedBy: h.created_by ?? '', Tags: null, Size: size, Comment: h.comment ?? '' });
    }
    let current: StoredImage | undefined = img;
    for (const e of entries) {
      if (!current) break;
      e.Id = current.id;
      const tags = this.store.references(current.id).filter((r) => r.digest === undefined).map((r) => familiarString(r));
      e.Tags = tags.length ? tags : null;
      current = current.record.parent ? this.store.get(current.record.parent) : undefined;
    }
    return entries;
  }

  // --- tag ----------------------------------------------------------------------------

  /** POST /images/{name}/tag?repo=&tag= (moby's TagImage: the tag moves, LastTagTime is set). */
  async tag(source: string, repo: string, tag: string | undefined): Promise<void> {
    const img = this.get(source);
    if (!repo) throw invalidParameter('repository name must have at least one component');
    let named = parseNormalizedNamed(repo);
    if (named.digest !== undefined) throw invalidParameter('refusing to create a tag with a digest reference');
    if (tag) {
      if (!isValidTag(tag)) throw invalidParameter(`invalid tag format`);
      named = withTag(new NamedReference(named.domain, named.path), tag);
    }
    named = tagNameOnly(named);
    await this.store.addTag(named, img.id, { touch: true });
    this.emit('tag', img.id, { name: familiarString(named) });
  }

  // --- remove ---------------------------------------------------------------------------

  /** DELETE /images/{name}?force=&noprune= (moby daemon/images/image_delete.go). */
  async remove(name: string, force: boolean, prune: boolean): Promise<DeleteResponseItem[]> {
    const img = this.get(name);
    const records: DeleteResponseItem[] = [];
    const id = img.id;
    let repoRefs = this.store.references(id);
    const users = this.containers.imageUsers();
    let removedRepositoryRef = false;
    if (!isImageIdPrefix(id, name)) {
      if (!force && isSingleReference(repoRefs)) {
        const user = users.find((u) => u.imageId === id);
        if (user) {
          throw conflict(`conflict: unable to remove repository reference "${name}" (must force) - container ${shortId(user.containerId)} is using its referenced image ${shortId(id)}`);
        }
      }
      const parsed = tagNameOnly(parseNormalizedNamed(name));
      await this.store.deleteRef(parsed);
      records.push({ Untagged: familiarString(parsed) });
      this.emit('untag', id, { name: familiarString(parsed) });
      repoRefs = this.store.references(id);
      if (parsed.digest === undefined) {
        const sameRepoTag = repoRefs.some((r) => r.digest === undefined && r.name === parsed.name);
        if (!sameRepoTag) {
          const remaining: NamedReference[] = [];
          for (const r of repoRefs) {
            if (r.digest !== undefined && r.name === parsed.name) {
              await this.store.deleteRef(r);
              records.push({ Untagged: familiarString(r) });
            } else {
              remaining.push(r);
            }
          }
          repoRefs = remaining;
        }
      }
      if (repoRefs.length > 0) return records;
      removedRepositoryRef = true;
    } else if (isSingleReference(repoRefs)) {
      const c = force ? { hard: true, soft: false } : { hard: true, soft: true, skipActiveRef: true };
      const found = this.deleteConflict(id, users, c);
      if (found) throw conflict(found.message);
      for (const r of repoRefs) {
        await this.store.deleteRef(r);
        records.push({ Untagged: familiarString(r) });
        this.emit('untag', id, { name: familiarString(r) });
      }
    }
    await this.deleteHelper(id, records, force, prune, removedRepositoryRef, users);
    return records;
  }

  private deleteConflict(
    id: string,
    users: ContainerImageUse[],
    mask: { hard: boolean; soft: boolean; skipActiveRef?: boolean },
  ): { message: string; used: boolean } | undefined {
    const msg = (hard: boolean, text: string): string =>
      `conflict: unable to delete ${shortId(id)} (${hard ? 'cannot be forced' : 'must be forced'}) - ${text}`;
    if (mask.hard && this.store.children(id).length > 0) {
      return { message: msg(true, 'image has dependent child images'), used: false };
    }
    if (mask.hard) {
      const running = users.find((u) => u.imageId === id && u.running);
      if (running) return { message: msg(true, `image is being used by running container ${shortId(running.containerId)}`), used: true };
    }
    if (mask.soft && !mask.skipActiveRef && this.store.references(id).length > 0) {
      return { message: msg(false, 'image is referenced in multiple repositories'), used: false };
    }
    if (mask.soft) {
      const stopped = users.find((u) => u.imageId === id && !u.running);
      if (stopped) return { message: msg(false, `image is being used by stopped container ${shortId(stopped.containerId)}`), used: true };
    }
    return undefined;
  }

  private async deleteHelper(
    id: string,
    records: DeleteResponseItem[],
    force: boolean,
    prune: boolean,
    quiet: boolean,
    users: ContainerImageUse[],
  ): Promise<void> {
    const found = this.deleteConflict(id, users, { hard: true, soft: !force });
    if (found) {
      const dangling = this.store.references(id).length === 0 && this.store.children(id).length === 0;
      if (quiet && (!dangling || found.used)) return;
      throw conflict(found.message);
    }
    const img = this.store.get(id);
    if (!img) return;
    const parent = img.record.parent;
    for (const r of this.store.references(id)) {
      await this.store.deleteRef(r);
      records.push({ Untagged: familiarString(r) });
      this.emit('untag', id, { name: familiarString(r) });
    }
    // A spare writable layer on this image would keep its layers: dockerd lists them as Deleted.
    if (img.record.chainId) await this.containers.releaseSpares?.(img.record.chainId).catch(() => undefined);
    const removed = await this.store.delete(id);
    this.emit('delete', id, {});
    records.push({ Deleted: id });
    for (const chainId of removed) records.push({ Deleted: chainId });
    if (prune && parent && this.store.get(parent)) {
      await this.deleteHelper(parent, records, false, true, true, users);
    }
  }

  // --- prune ------------------------------------------------------------------------------

  /** POST /images/prune (moby daemon/images/image_prune.go). */
  async prune(filters: Filters): Promise<{ ImagesDeleted: DeleteResponseItem[] | null; SpaceReclaimed: number }> {
    filters.validate(['dangling', 'label', 'label!', 'until']);
    const danglingOnly = filters.has('dangling') ? filters.boolValue('dangling') !== false : true;
    let until: number | undefined;
    for (const v of filters.get('until')) until = parseTimestamp(v);
    const users = this.containers.imageUsers();
    const inUse = new Set(users.map((u) => u.imageId));
    const sizesByChain = new Map<string, number>();
    for (const img of this.store.list()) {
      const chains = chainIdsOf(img.config.rootfs.diff_ids);
      const sizes = this.diffSizes(img);
      chains.forEach((c, i) => sizesByChain.set(c, sizes[i] ?? 0));
    }
    const candidates = this.store.list().filter((img) => {
      if (danglingOnly && this.store.children(img.id).length > 0) return false;
      if (until !== undefined && !(unixSecondsOf(img.config.created) < until)) return false;
      const labels = img.config.config?.Labels ?? null;
      if (filters.has('label') && !filters.matchLabels(labels)) return false;
      if (filters.has('label!') && !notMatchLabels(filters.get('label!'), labels)) return false;
      return true;
    });
    const deleted: DeleteResponseItem[] = [];
    const before = new Set(this.store.list().map((i) => i.id));
    for (const img of candidates) {
      if (!this.store.get(img.id)) continue;
      if (inUse.has(img.id)) continue;
      const refs = this.store.references(img.id);
      try {
        if (refs.length > 0) {
          const shouldDelete = !danglingOnly || !refs.some((r) => r.digest === undefined);
          if (shouldDelete) {
            for (const r of refs) {
              if (!this.store.get(img.id)) break;
              try {
                deleted.push(...(await this.remove(r.toString(), false, true)));
              } catch (err) {
                this.logger.debug('prune: skipping', { ref: r.toString(), err: String(err) });
              }
            }
          }
        } else {
          deleted.push(...(await this.remove(img.id.slice(7), false, true)));
        }
      } catch (err) {
        this.logger.debug('prune: skipping', { id: img.id, err: String(err) });
      }
    }
    let reclaimed = 0;
    for (const d of deleted) {
      if (d.Deleted && !before.has(d.Deleted)) reclaimed += sizesByChain.get(d.Deleted) ?? 0;
    }
    if (deleted.length > 0) reclaimed += await this.gc();
    this.emit('prune', '', { reclaimed: String(reclaimed) });
    return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }

  // --- creating images ------------------------------------------------------------------------

  /**
   * Store a new image whose layers are registered already (the caller holds
   * one reference to `chainId`) and whose layer blobs, if any, are in the
   * content store. Applies tags. The common end of pull, load, import, build.
   */
  async createImage(input: NewImage, tags: NamedReference[] = [], opts: { touch?: boolean } = {}): Promise<StoredImage> {
    const { image } = await this.store.create(input);
    for (const t of tags) await this.store.addTag(t, image.id, opts);
    return image;
  }

  /**
   * Register layer tars in order on `parentChainId` ('' for none) under an
   * operation's ownership. `expectedDiffIds` (from an image config) are
   * checked and let existing layers be reused without unpacking.
   */
  async registerLayers(
    op: LayerOperation,
    tars: Array<AsyncIterable<Uint8Array>>,
    parentChainId: string,
    expectedDiffIds?: string[],
  ): Promise<{ chainId: string; diffIds: string[]; sizes: number[] }> {
    let chain = parentChainId;
    if (chain) await op.hold(chain);
    const diffIds: string[] = [];
    const sizes: number[] = [];
    for (let i = 0; i < tars.length; i++) {
      const reg = await op.register(tars[i]!, chain || null, expectedDiffIds?.[i]);
      chain = reg.chainId;
      diffIds.push(reg.diffId);
      sizes.push(reg.size);
    }
    return { chainId: chain, diffIds, sizes };
  }

  /** Unpacked sizes of the layers of a chain, from the layer store. */
  async layerSizes(chainIds: string[]): Promise<number[]> {
    const out: number[] = [];
    for (const c of chainIds) out.push((await this.layers.get(c))?.size ?? 0);
    return out;
  }

  /** The builder's commit: new layers on a parent image, then the config. */
  async commit(input: CommitInput): Promise<StoredImage> {
    const end = this.beginOperation();
    const op = this.layerOperation();
    try {
      const parent = input.parentImageId ? this.get(input.parentImageId) : undefined;
      const parentDiffs = parent?.config.rootfs.diff_ids ?? [];
      const reg = await this.registerLayers(op, input.newLayers, parent?.record.chainId ?? '');
      const config: ImageConfig = { ...input.config, rootfs: { type: 'layers', diff_ids: [...parentDiffs, ...reg.diffIds] } };
      const rawConfig = Buffer.from(JSON.stringify(config));
      const parentSizes = parent ? this.diffSizes(parent) : [];
      const tags = (input.tags ?? []).map((t) => tagNameOnly(parseNormalizedNamed(t)));
      const image = await this.createImage(
        {
          rawConfig,
          chainId: reg.chainId,
          diffSizes: [...parentSizes, ...reg.sizes],
          parent: input.setParent && parent ? parent.id : undefined,
        },
        tags,
        { touch: true },
      );
      for (const t of tags) this.emit('tag', image.id, { name: familiarString(t) });
      return image;
    } finally {
      await op.done();
      end();
    }
  }

  // --- the built-in busybox image ---------------------------------------------------------------

  /**
   * Create (or find) the busybox image from the host's static busybox and
   * tag it (default busybox:latest). Same binary → same image ID.
   */
  async ensureBusybox(tag = 'busybox:latest', binary = this.options.busyboxPath ?? DEFAULT_BUSYBOX_PATH): Promise<{ id: string; created: boolean }> {
    const built = await buildBusyboxImage(binary);
    const named = tagNameOnly(parseNormalizedNamed(tag));
    const id = sha256Digest(built.rawConfig);
    if (this.store.get(id)) {
      await this.store.addTag(named, id, { touch: true });
      return { id, created: false };
    }
    const end = this.beginOperation();
    const op = this.layerOperation();
    const blob = await this.content.put(built.gzip);
    const releaseLease = this.lease([blob.digest]);
    try {
      const reg = await this.registerLayers(op, [Readable.from([built.tar])], '', [built.diffId]);
      const layerDesc: Descriptor = { mediaType: mediaTypes.dockerLayerGzip, digest: blob.digest, size: blob.size };
      const image = await this.createImage(
        { rawConfig: built.rawConfig, chainId: reg.chainId, diffSizes: reg.sizes, layers: [layerDesc] },
        [named],
        { touch: true },
      );
      this.emit('import', image.id, { name: familiarString(named) });
      return { id: image.id, created: true };
    } finally {
      await op.done();
      releaseLease();
      end();
    }
  }

  /** Nothing to flush: every write is durable when its call returns. */
  async close(): Promise<void> {}
}

function unixSecondsOf(created: string | undefined): number {
  return unixSeconds(created);
}

/** docker's filter timestamps: unix seconds (with fraction), RFC 3339 dates, or durations (10m, 1h30m) before now. */
export function parseTimestamp(value: string): number {
  const now = Date.now() / 1000;
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  const dur = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(value);
  if (dur && value !== '') {
    const secs = Number(dur[1] ?? 0) * 3600 + Number(dur[2] ?? 0) * 60 + Number(dur[3] ?? 0);
    return now - secs;
  }
  const t = Date.parse(value);
  if (!Number.isNaN(t)) return t / 1000;
  throw invalidParameter(`failed to parse value as time or duration: "${value}"`);
}

function notMatchLabels(conds: string[], labels: Record<string, string> | null): boolean {
  for (const cond of conds) {
    const eq = cond.indexOf('=');
    if (eq < 0) {
      if (labels && cond in labels) return false;
    } else if (labels && labels[cond.slice(0, eq)] === cond.slice(eq + 1)) {
      return false;
    }
  }
  return true;
}

/** moby's isImageIDPrefix. */
function isImageIdPrefix(imageId: string, possiblePrefix: string): boolean {
  if (imageId.startsWith(possiblePrefix)) return true;
  const i = imageId.indexOf(':');
  return i >= 0 && imageId.slice(i + 1).startsWith(possiblePrefix);
}

/** moby's isSingleReference: all references in one repository and at most one tag. */
function isSingleReference(refs: NamedReference[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: NamedReference | undefined;
  const canonical = new Set<string>();
  for (const r of refs) {
    if (r.digest !== undefined) canonical.add(r.name);
    else if (!single) single = r;
    else return false;
  }
  if (!single) single = refs[0]!;
  return canonical.size === 1 && canonical.has(single.name);
}

/**
 * The image config's `config` as dockerd's API 1.47 serialises it (Go's
 * container.Config: every non-omitempty field present, in struct order).
 */
export function dockerContainerConfig(c: ContainerConfig | undefined): Record<string, unknown> | null {
  return c ? containerConfigJson(c, null) : null;
}

export { noSuchImage };

/**
 * Layers registered by one operation (pull, load, import, commit) are owned
 * by it (`op:<random>`) until the image that uses them owns its top layer;
 * done() gives them up. A crash leaves `op:` owners, which the next start
 * releases.
 */
export class LayerOperation {
  readonly owner = `op:${randomBytes(8).toString('hex')}`;
  private readonly held = new Set<string>();
  constructor(private readonly layers: ImageLayerStore) {}

  async register(tar: AsyncIterable<Uint8Array>, parent: string | null, expectedDiffId?: string): Promise<LayerRegistration> {
    const reg = await this.layers.register(tar, parent, { owner: this.owner, ...(expectedDiffId ? { expectedDiffId } : {}) });
    this.held.add(reg.chainId);
    return reg;
  }

  async hold(chainId: string): Promise<void> {
    await this.layers.retain(chainId, this.owner);
    this.held.add(chainId);
  }

  async done(): Promise<void> {
    for (const c of [...this.held].reverse()) await this.layers.release(c, this.owner).catch(() => []);
    this.held.clear();
  }
}
