// The image store: image records and the repository references (tags and
// digests) that name them, as dockerd's image/ and reference/ stores do.
//
//   image ID   = sha256 digest of the config JSON (the config is a blob in
//                the content store, so the ID is verified by construction)
//   record     = <root>/records/<hex>.json: top layer chain ID, size, the
//                layer blob descriptors and manifests when known, parent,
//                created, LastTagTime. Written atomically, last: an image is
//                listed only once its config, blobs and layers are all there.
//   references = <root>/repositories.json, dockerd's format
//                {"Repositories":{"busybox":{"busybox:latest":"sha256:..."}}},
//                replaced atomically on every change.
//
// Everything is also held in memory: lookups never touch the disk.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { conflict, errnoCode, invalidParameter, notFound } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { writeJsonAtomic } from '../common/fsutil.js';
import {
  DigestReference,
  NamedReference,
  familiarString,
  parseAnyReference,
  parseNormalizedNamed,
  tagNameOnly,
  type Reference,
} from './reference.js';
import { ContentStore, isSha256Digest, sha256Digest } from './content-store.js';
import { asImageConfig, chainIdOf, type Descriptor, type ImageConfig } from './types.js';
import { imageOwner } from './layers.js';

export interface ImageRecord {
  id: string;
  /** Chain ID of the top layer; '' for an image without layers. */
  chainId: string;
  /** Unpacked size of all layers (docker's Size). */
  size: number;
  /** Unpacked size of each layer, in rootfs order (history sizes, shared size). */
  diffSizes: number[];
  /** Size of each layer's uncompressed tar, when known (save). */
  tarSizes?: number[];
  /** The layer blobs as pulled/loaded, in rootfs order, when they are in the content store. */
  layers?: Descriptor[];
  /** Manifests (and indexes) this image came with, by digest: its repo digests point at these. */
  manifests?: Descriptor[];
  /** Local parent image (legacy builder, docker commit). */
  parent?: string;
  /** Repositories the image was pulled from (push mounts blobs from them). */
  sources?: string[];
  /** When the image was stored here. */
  created: string;
  /** When the image was last tagged through tag/import/build (docker's Metadata.LastTagTime). */
  lastTagTime?: string;
}

export interface StoredImage {
  readonly id: string;
  record: ImageRecord;
  readonly config: ImageConfig;
  readonly configSize: number;
}

export interface NewImage {
  /** The config JSON exactly as its digest was (or will be) computed. */
  rawConfig: Buffer;
  /** Chain ID of the top layer, which the caller holds one layer-store reference to (or '' for none). */
  chainId: string;
  /** Unpacked size of each layer, in rootfs order. */
  diffSizes: number[];
  layers?: Descriptor[];
  manifests?: Descriptor[];
  parent?: string;
}

/** "No such image: busybox:latest", as moby's ErrImageDoesNotExist prints a reference. */
export function noSuchImage(ref: string): Error {
  let shown = ref;
  try {
    const parsed = parseAnyReference(ref);
    shown = parsed.kind === 'named' ? familiarString(tagNameOnly(parsed)) : familiarString(parsed);
  } catch {
    // keep the raw string
  }
  return notFound(`No such image: ${shown}`);
}

interface RepositoriesFile {
  Repositories: Record<string, Record<string, string>>;
}

/** The layer store operations the image store needs: each image owns its top layer as `image:<id>`. */
export interface LayerOwnership {
  retain(chainId: string, owner: string): Promise<void>;
  release(chainId: string, owner: string): Promise<string[]>;
}

export class ImageStore {
  private readonly images = new Map<string, StoredImage>();
  /** Full reference string (docker.io/library/busybox:latest) → image ID. */
  private readonly refs = new Map<string, string>();
  private readonly recordDir: string;
  private readonly refsFile: string;
  private refsWrite: Promise<void> = Promise.resolve();

  private constructor(
    readonly root: string,
    readonly content: ContentStore,
    private readonly layers: LayerOwnership,
    private readonly logger: Logger,
  ) {
    this.recordDir = path.join(root, 'records');
    this.refsFile = path.join(root, 'repositories.json');
  }

  static async open(root: string, content: ContentStore, layers: LayerOwnership, logger: Logger): Promise<ImageStore> {
    const store = new ImageStore(root, content, layers, logger);
    await fs.mkdir(store.recordDir, { recursive: true, mode: 0o700 });
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    for (const name of await fs.readdir(this.recordDir)) {
      if (!/^[a-f0-9]{64}\.json$/.test(name)) {
        // temp files of an interrupted atomic write
        if (name.endsWith('.tmp')) await fs.rm(path.join(this.recordDir, name), { force: true });
        continue;
      }
      try {
        const record = JSON.parse(await fs.readFile(path.join(this.recordDir, name), 'utf8')) as ImageRecord;
        const raw = await this.content.readAll(record.id);
        const config = asImageConfig(JSON.parse(raw.toString('utf8')));
        this.images.set(record.id, { id: record.id, record, config, configSize: raw.length });
      } catch (err) {
        this.logger.warn('dropping unreadable image record', { file: name, err: err instanceof Error ? err.message : String(err) });
        await fs.rm(path.join(this.recordDir, name), { force: true });
      }
    }
    let file: RepositoriesFile | undefined;
    try {
      file = JSON.parse(await fs.readFile(this.refsFile, 'utf8')) as RepositoriesFile;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') this.logger.warn('unreadable repositories.json', { err: String(err) });
    }
    for (const repo of Object.values(file?.Repositories ?? {})) {
      for (const [ref, id] of Object.entries(repo)) {
        try {
          const named = parseNormalizedNamed(ref);
          if (this.images.has(id)) this.refs.set(named.toString(), id);
        } catch {
          // ignore a reference we can no longer parse
        }
      }
    }
  }

  // --- images ---------------------------------------------------------------

  get(id: string): StoredImage | undefined {
    return this.images.get(id);
  }

  list(): StoredImage[] {
    return [...this.images.values()];
  }

  get count(): number {
    return this.images.size;
  }

  /**
   * Store an image. The config blob is written to the content store, the
   * image takes ownership of its top layer (`image:<id>`), then the record is
   * written (atomically). The caller keeps whatever ownership it had on
   * `chainId` (an operation's owner) and gives it up afterwards.
   */
  async create(input: NewImage): Promise<{ image: StoredImage; existed: boolean }> {
    const id = sha256Digest(input.rawConfig);
    const config = asImageConfig(JSON.parse(input.rawConfig.toString('utf8')));
    const expectedChain = chainIdOf(config.rootfs.diff_ids);
    if (expectedChain !== input.chainId) {
      throw invalidParameter(`layer chain ${input.chainId || '(none)'} does not match the image's rootfs (${expectedChain || 'no layers'})`);
    }
    const existing = this.images.get(id);
    if (existing) {
      // Learn blob descriptors and manifests we did not know.
      let changed = false;
      const rec = existing.record;
      if (!rec.layers && input.layers && input.layers.length === config.rootfs.diff_ids.length) {
        rec.layers = input.layers;
        changed = true;
      }
      for (const m of input.manifests ?? []) {
        rec.manifests ??= [];
        if (!rec.manifests.some((x) => x.digest === m.digest)) {
          rec.manifests.push(m);
          changed = true;
        }
      }
      if (rec.diffSizes?.length !== input.diffSizes.length) {
        rec.diffSizes = input.diffSizes;
        rec.size = input.diffSizes.reduce((a, b) => a + b, 0);
        changed = true;
      }
      if (input.parent && !rec.parent) {
        rec.parent = input.parent;
        changed = true;
      }
      if (changed) await this.writeRecord(rec);
      return { image: existing, existed: true };
    }
    await this.content.put(input.rawConfig, { digest: id });
    const record: ImageRecord = {
      id,
      chainId: input.chainId,
      size: input.diffSizes.reduce((a, b) => a + b, 0),
      diffSizes: input.diffSizes,
      created: new Date().toISOString(),
    };
    if (input.layers && input.layers.length === config.rootfs.diff_ids.length) record.layers = input.layers;
    if (input.manifests?.length) record.manifests = input.manifests;
    if (input.parent) record.parent = input.parent;
    const image: StoredImage = { id, record, config, configSize: input.rawConfig.length };
    if (input.chainId) await this.layers.retain(input.chainId, imageOwner(id));
    try {
      await this.writeRecord(record);
    } catch (err) {
      if (input.chainId) await this.layers.release(input.chainId, imageOwner(id)).catch(() => undefined);
      throw err;
    }
    this.images.set(id, image);
    return { image, existed: false };
  }

  async update(image: StoredImage): Promise<void> {
    await this.writeRecord(image.record);
  }

  private async writeRecord(record: ImageRecord): Promise<void> {
    await writeJsonAtomic(path.join(this.recordDir, `${record.id.slice(7)}.json`), record, 0o600);
  }

  /** Remove an image record and its references, and give up its layer; returns the layers removed. */
  async delete(id: string): Promise<string[]> {
    const image = this.images.get(id);
    if (!image) throw notFound(`No such image: ${id}`);
    let refsChanged = false;
    for (const [ref, target] of this.refs) {
      if (target === id) {
        this.refs.delete(ref);
        refsChanged = true;
      }
    }
    if (refsChanged) await this.saveRefs();
    this.images.delete(id);
    await fs.rm(path.join(this.recordDir, `${id.slice(7)}.json`), { force: true });
    if (!image.record.chainId) return [];
    return this.layers.release(image.record.chainId, imageOwner(id));
  }

  /** Forget an image whose layers are gone (found at startup), keeping nothing. */
  async drop(id: string): Promise<void> {
    this.images.delete(id);
    for (const [ref, target] of this.refs) if (target === id) this.refs.delete(ref);
    await this.saveRefs();
    await fs.rm(path.join(this.recordDir, `${id.slice(7)}.json`), { force: true });
  }

  /** Images whose parent is `id` (for "image has dependent child images"). */
  children(id: string): StoredImage[] {
    return this.list().filter((i) => i.record.parent === id);
  }

  /**
   * moby's imageStore.Search: a full ID or a unique prefix of one, with or
   * without `sha256:`. Undefined when nothing or more than one image matches.
   */
  search(term: string): StoredImage | undefined {
    let hex = term;
    if (hex.startsWith('sha256:')) hex = hex.slice(7);
    if (!/^[a-f0-9]+$/.test(hex)) return undefined;
    const exact = this.images.get(`sha256:${hex}`);
    if (exact) return exact;
    let found: StoredImage | undefined;
    for (const [id, img] of this.images) {
      if (id.slice(7).startsWith(hex)) {
        if (found) return undefined; // ambiguous
        found = img;
      }
    }
    return found;
  }

  /**
   * Resolve what a user typed (name, name:tag, name@digest, ID, ID prefix)
   * as moby's GetImage does; throws "No such image: ..." (404).
   */
  resolve(refOrId: string): StoredImage {
    let ref: Reference;
    try {
      ref = parseAnyReference(refOrId);
    } catch (err) {
      // An ID prefix such as "sha256:abc" is not a valid reference but is a valid search term.
      const byId = this.search(refOrId);
      if (byId) return byId;
      throw err;
    }
    if (ref.kind === 'digest') {
      const img = this.images.get(ref.digest);
      if (img) return img;
      throw noSuchImage(refOrId);
    }
    const id = this.getRef(ref);
    if (id) {
      const img = this.images.get(id);
      if (img) return img;
    }
    const byId = this.search(refOrId);
    if (byId) return byId;
    throw noSuchImage(refOrId);
  }

  // --- references -------------------------------------------------------------

  /** moby's refstore Get: a tag+digest reference looks up by digest; a bare name gets `latest`. */
  getRef(ref: NamedReference): string | undefined {
    let key: NamedReference = ref;
    if (ref.digest !== undefined) key = new NamedReference(ref.domain, ref.path, undefined, ref.digest);
    else key = tagNameOnly(ref);
    return this.refs.get(key.toString());
  }

  /** References to an image, tags before digests, sorted as dockerd lists them. */
  references(id: string): NamedReference[] {
    const out: NamedReference[] = [];
    for (const [ref, target] of this.refs) if (target === id) out.push(parseNormalizedNamed(ref));
    out.sort((a, b) => a.toString().localeCompare(b.toString()));
    return out;
  }

  /** Every (reference, image ID) whose name is `name` (for `save busybox` with no tag). */
  referencesByName(name: NamedReference): Array<{ ref: NamedReference; id: string }> {
    const out: Array<{ ref: NamedReference; id: string }> = [];
    for (const [ref, id] of this.refs) {
      const parsed = parseNormalizedNamed(ref);
      if (parsed.name === name.name) out.push({ ref: parsed, id });
    }
    out.sort((a, b) => a.ref.toString().localeCompare(b.ref.toString()));
    return out;
  }

  allReferences(): Array<{ ref: NamedReference; id: string }> {
    return [...this.refs].map(([ref, id]) => ({ ref: parseNormalizedNamed(ref), id }));
  }

  /** Point a tag at an image (moving it from another image), as `docker tag` does. */
  async addTag(ref: NamedReference, id: string, opts: { touch?: boolean } = {}): Promise<void> {
    if (ref.digest !== undefined) {
      await this.addDigest(ref, id);
      return;
    }
    const tagged = tagNameOnly(ref);
    if (!this.images.has(id)) throw notFound(`No such image: ${id}`);
    // dockerd refuses tags that would read as a digest algorithm.
    if (tagged.path === 'sha256' || familiarString(tagged).startsWith('sha256:')) {
      throw invalidParameter(`refusing to create an ambiguous tag using digest algorithm as name`);
    }
    const key = tagged.toString();
    const previous = this.refs.get(key);
    this.refs.set(key, id);
    if (previous !== id) await this.saveRefs();
    if (opts.touch) {
      const img = this.images.get(id)!;
      img.record.lastTagTime = new Date().toISOString();
      await this.writeRecord(img.record);
    }
  }

  async addDigest(ref: NamedReference, id: string): Promise<void> {
    if (ref.digest === undefined) throw invalidParameter(`reference ${ref.toString()} has no digest`);
    if (!isSha256Digest(ref.digest)) throw invalidParameter(`unsupported digest: ${ref.digest}`);
    const key = new NamedReference(ref.domain, ref.path, undefined, ref.digest).toString();
    const previous = this.refs.get(key);
    if (previous !== undefined && previous !== id) {
      throw conflict(`Cannot overwrite digest ${ref.digest}`);
    }
    if (previous === id) return;
    this.refs.set(key, id);
    await this.saveRefs();
  }

  /** Remove a reference; true when it existed. */
  async deleteRef(ref: NamedReference): Promise<boolean> {
    const key = (ref.digest !== undefined ? new NamedReference(ref.domain, ref.path, undefined, ref.digest) : tagNameOnly(ref)).toString();
    if (!this.refs.delete(key)) return false;
    await this.saveRefs();
    return true;
  }

  private saveRefs(): Promise<void> {
    // Serialise writers: each write snapshots the map at its turn.
    const next = this.refsWrite.then(async () => {
      const repos: Record<string, Record<string, string>> = {};
      for (const [ref, id] of this.refs) {
        const named = parseNormalizedNamed(ref);
        (repos[named.name] ??= {})[ref] = id;
      }
      await writeJsonAtomic(this.refsFile, { Repositories: repos } satisfies RepositoriesFile, 0o600);
    });
    this.refsWrite = next.catch(() => undefined);
    return next;
  }

  /** Blobs every image needs: configs, layer blobs, manifests. For garbage collection. */
  referencedBlobs(): Set<string> {
    const out = new Set<string>();
    for (const img of this.images.values()) {
      out.add(img.id);
      for (const l of img.record.layers ?? []) out.add(l.digest);
      for (const m of img.record.manifests ?? []) out.add(m.digest);
    }
    return out;
  }
}

export { DigestReference };
