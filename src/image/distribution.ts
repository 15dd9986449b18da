// Pull and push: the orchestration between the registry client
// (src/registry/), the content store, the layer store and the image store,
// with dockerd's JSON progress messages so the docker CLI draws its usual
// per-layer bars (moby distribution/pull_v2.go, push_v2.go, xfer/).
//
// Pull: manifest (a list/index is narrowed to the platform), config, then
// the layers: downloads run in parallel (max-concurrent-downloads), each
// streamed from the registry into its unpack, every layer at once; the
// unpack worker that inflates the bytes also writes them to the content
// store and hashes them (TeedLayerInput: one pass, one hash of the
// compressed bytes), and the blob is verified before the layer may be
// registered; layers are registered in order. The compressed blobs stay in
// the content store, so a later push sends the same bytes and digests.
//
// Push: straight from the stored blobs (HEAD → mount → upload), in parallel
// (max-concurrent-uploads); a pulled image's own manifest is pushed back as
// is, so its digest does not change.
import { invalidParameter, isEngineError, notFound, systemError } from '../common/errors.js';
import {
  blobDigestMismatch,
  createLimiter,
  decodeAuthConfig,
  parsePlatform,
  parseImageManifest,
  parseManifestList,
  isManifestList,
  translatePullError,
  type AuthConfig,
  type Limiter,
  type Platform,
  type RegistryService,
  type Repository,
} from '../registry/index.js';
import { sha256Digest } from './content-store.js';
import type { StoredImage } from './image-store.js';
import { progressMessage, statusMessage, type JsonMessage, type ProgressSink } from './progress.js';
import {
  NamedReference,
  familiarString,
  isValidDigest,
  parseNormalizedNamed,
  tagNameOnly,
  withDigest,
  withTag,
} from './reference.js';
import { compressLayer, StoredLayerInput, TeedLayerInput } from '../storage/index.js';
import { registerLayerChain } from './layers.js';
import type { ImageService } from './service.js';
import { peek } from './streams.js';
import type { Readable } from 'node:stream';
import { asImageConfig, chainIdsOf, compressionOf, mediaTypes, type Descriptor, type Manifest } from './types.js';

export interface DistributionOptions {
  registry: RegistryService;
  maxConcurrentDownloads?: number;
  maxConcurrentUploads?: number;
}

const shortId = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

/** Throttles "Downloading"/"Extracting"/"Pushing" updates: at most one per 100 ms per layer, plus the last. */
function throttled(sink: ProgressSink, id: string, status: string, total: number): (n: number) => void {
  let last = 0;
  let lastSent = -1;
  return (n: number) => {
    const now = Date.now();
    // The counter reports the end twice (last chunk, then flush): one message.
    if (n === lastSent || (n < total && now - last < 100)) return;
    last = now;
    lastSent = n;
    void sink(progressMessage(id, status, n, total));
  };
}

/** A layer's bytes for its unpack: a download on its way to the content store, or a stored blob. */
type LayerSource = TeedLayerInput | StoredLayerInput;

/** An iterable that opens its source when first read (and never, when only closed). */
function lazyIterable(open: () => Promise<AsyncIterable<Uint8Array>>): AsyncIterable<Uint8Array> {
  let iterator: AsyncIterator<Uint8Array> | undefined;
  const lazy: AsyncIterator<Uint8Array> = {
    next: async () => {
      iterator ??= (await open())[Symbol.asyncIterator]();
      return iterator.next();
    },
    return: async () => {
      await iterator?.return?.();
      return { done: true, value: undefined };
    },
  };
  return { [Symbol.asyncIterator]: () => lazy };
}

/** Stops a source nobody is going to read to its end. */
function closeSource(s: LayerSource): void {
  // A stored blob is opened by its reader: nothing to close.
  if (s instanceof TeedLayerInput) s.abandon();
}

export class Distribution {
  private readonly downloads: Limiter;
  private readonly uploads: Limiter;

  constructor(
    private readonly svc: ImageService,
    private readonly opts: DistributionOptions,
  ) {
    this.downloads = createLimiter(Math.max(1, opts.maxConcurrentDownloads ?? 3));
    // dockerd's defaults (daemon/config: 3 downloads, 5 uploads).
    this.uploads = createLimiter(Math.max(1, opts.maxConcurrentUploads ?? 5));
  }

  /**
   * The reference a pull asks for, from `fromImage` and `tag` as the API
   * gets them (moby postImagesCreate): the tag may be a digest; no tag on a
   * bare name means every tag (`docker pull -a`).
   */
  static pullReference(fromImage: string, tag: string | undefined): { ref: NamedReference; allTags: boolean } {
    let ref = parseNormalizedNamed(fromImage);
    if (tag) {
      if (isValidDigest(tag)) ref = withDigest(new NamedReference(ref.domain, ref.path), tag);
      else ref = withTag(ref, tag);
    }
    return { ref, allTags: ref.isNameOnly };
  }

  /** POST /images/create?fromImage=...: pull one tag or digest, or all tags. */
  async pull(ref: NamedReference, allTags: boolean, authHeader: string | undefined, platformSpec: string | undefined, out: ProgressSink): Promise<void> {
    const auth = decodeAuthConfig(authHeader).config;
    const platform = platformSpec ? parsePlatform(platformSpec) : undefined;
    let repo: Repository;
    try {
      repo = await this.opts.registry.repository(ref, { authConfig: auth, mode: 'pull' });
    } catch (err) {
      throw translatePullError(err, ref);
    }
    if (!allTags) {
      await this.pullOne(repo, ref, platform, out);
      return;
    }
    let tags: string[];
    try {
      tags = await repo.listTags();
    } catch (err) {
      throw translatePullError(err, ref);
    }
    for (const t of tags) await this.pullOne(repo, withTag(ref, t), platform, out, true);
    await out(statusMessage(undefined, `Status: Downloaded newer image for ${familiarString(new NamedReference(ref.domain, ref.path))}`));
  }

  private async pullOne(repo: Repository, ref: NamedReference, platform: Platform | undefined, out: ProgressSink, partOfAll = false): Promise<void> {
    const tagOrDigest = ref.digest ?? ref.tag ?? 'latest';
    const named = ref.digest ? ref : tagNameOnly(ref);
    // Unpack workers start while the manifest and config come.
    this.svc.layers.prepareUnpack?.();
    let resolved;
    try {
      resolved = await repo.getManifestForPlatform(tagOrDigest, platform);
    } catch (err) {
      throw translatePullError(err, named);
    }
    await out(statusMessage(tagOrDigest, `Pulling from ${repo.path}`));
    const top = resolved.list ?? resolved.manifest;
    const manifest = parseImageManifest(resolved.manifest.bytes) as unknown as Manifest;
    if (!manifest.config || !Array.isArray(manifest.layers)) throw systemError('unsupported manifest format: no config or layers');
    const manifestDescs: Descriptor[] = [];
    if (resolved.list) manifestDescs.push({ mediaType: resolved.list.mediaType, digest: resolved.list.digest, size: resolved.list.bytes.length });
    manifestDescs.push({ mediaType: resolved.manifest.mediaType, digest: resolved.manifest.digest, size: resolved.manifest.bytes.length });

    const end = this.svc.beginOperation();
    const op = this.svc.layerOperation();
    const leased: string[] = [];
    let releaseLease = this.svc.lease([]);
    const lease = (d: string): void => {
      leased.push(d);
      const prev = releaseLease;
      releaseLease = this.svc.lease(leased);
      prev();
    };
    try {
      // Manifests first, so the image record can point at them.
      if (resolved.list) {
        lease(resolved.list.digest);
        await this.svc.content.put(resolved.list.bytes, { digest: resolved.list.digest });
      }
      lease(resolved.manifest.digest);
      await this.svc.content.put(resolved.manifest.bytes, { digest: resolved.manifest.digest });

      const imageId = manifest.config.digest;
      const existing = this.svc.store.get(imageId);
      let isNew = false;
      if (!existing) {
        lease(imageId);
        let rawConfig: Buffer;
        if (await this.svc.content.has(imageId)) rawConfig = await this.svc.content.readAll(imageId);
        else {
          rawConfig = await repo.fetchBlob(imageId, { purpose: 'config', size: manifest.config.size });
          await this.svc.content.put(rawConfig, { digest: imageId });
        }
        const config = asImageConfig(JSON.parse(rawConfig.toString('utf8')));
        const diffIds = config.rootfs.diff_ids;
        if (diffIds.length !== manifest.layers.length) throw systemError('invalid manifest: layers and config diff IDs differ in number');
        if (platform && config.os && config.os !== platform.os) {
          throw invalidParameter(`image with reference ${familiarString(named)} was found but does not match the specified platform: wanted ${platform.os}/${platform.architecture}, actual: ${config.os}/${config.architecture}`);
        }
        await this.pullLayers(repo, manifest.layers, diffIds, op, out, lease);
        const chains = chainIdsOf(diffIds);
        const sizes = await this.svc.layerSizes(chains);
        await this.svc.createImage({
          rawConfig,
          chainId: chains[chains.length - 1] ?? '',
          diffSizes: sizes,
          layers: manifest.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
          manifests: manifestDescs,
        });
        isNew = true;
      } else {
        // Known image (dockerd then prints no layer lines): record the
        // manifests so push and repo digests use them.
        await this.svc.createImage({
          rawConfig: await this.svc.content.readAll(imageId),
          chainId: existing.record.chainId,
          diffSizes: existing.record.diffSizes,
          layers: manifest.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
          manifests: manifestDescs,
        });
      }
      const image = this.svc.store.get(imageId)!;
      this.rememberSource(image, repo);
      let tagMoved = isNew;
      if (named.digest === undefined) {
        const previous = this.svc.store.getRef(named);
        if (previous !== imageId) tagMoved = true;
        await this.svc.store.addTag(named, imageId);
      }
      // dockerd's addDigestReference: a digest already naming another image
      // (another platform of the same index) is left as it is.
      const digestRef = withDigest(new NamedReference(named.domain, named.path), top.digest);
      const owner = this.svc.store.getRef(digestRef);
      if (owner === undefined) await this.svc.store.addDigest(digestRef, imageId);
      else if (owner !== imageId) this.svc.logger.warn('image ID for digest changed, cannot update', { digest: top.digest, old: owner, new: imageId });
      await out(statusMessage(undefined, `Digest: ${top.digest}`));
      if (!partOfAll) {
        const shown = familiarString(named);
        await out(statusMessage(undefined, tagMoved ? `Status: Downloaded newer image for ${shown}` : `Status: Image is up to date for ${shown}`));
      }
      this.svc.emit('pull', familiarString(named), { name: familiarString(named) });
    } catch (err) {
      throw isEngineError(err) ? err : translatePullError(err, named);
    } finally {
      await op.done();
      releaseLease();
      end();
    }
  }

  /** Remember where an image's blobs came from: push mounts them from there. */
  private rememberSource(image: StoredImage, repo: Repository): void {
    const src = repo.named.toString();
    const rec = image.record;
    rec.sources ??= [];
    if (!rec.sources.includes(src)) {
      rec.sources.push(src);
      void this.svc.store.update(image).catch(() => undefined);
    }
  }

  private async pullLayers(
    repo: Repository,
    layers: Descriptor[],
    diffIds: string[],
    op: ReturnType<ImageService['layerOperation']>,
    out: ProgressSink,
    lease: (digest: string) => void,
  ): Promise<void> {
    const chains = chainIdsOf(diffIds);
    // The longest stack already unpacked is reused as is ("Already exists").
    let have = 0;
    for (let i = chains.length - 1; i >= 0; i--) {
      if (await this.svc.layers.has(chains[i]!)) {
        have = i + 1;
        break;
      }
    }
    if (have > 0) await op.hold(chains[have - 1]!);
    for (let i = 0; i < have; i++) {
      lease(layers[i]!.digest);
      await out(statusMessage(shortId(layers[i]!.digest), 'Already exists'));
    }
    const todo = layers.slice(have).map((l, k) => ({ desc: l, index: have + k }));
    for (const t of todo) await out(statusMessage(shortId(t.desc.digest), 'Pulling fs layer'));
    const limit = this.downloads.limit;
    todo.forEach((t, k) => {
      if (k >= limit) void out(statusMessage(shortId(t.desc.digest), 'Waiting'));
    });
    // Every layer unpacks as its bytes arrive (a download is teed into its
    // unpack, a blob already stored is read back), all layers at once: the
    // layer store settles what a layer needs from the ones below once they
    // are registered, in order.
    const sources = todo.map(() => {
      let resolve!: (s: LayerSource) => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<LayerSource>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined);
      return { promise, resolve, reject, provided: undefined as LayerSource | undefined };
    });
    /** Set when the unpacks failed: a source provided from now on (or never read) is closed. */
    let failure: { err: unknown } | undefined;
    const provider = (k: number) => (s: LayerSource): void => {
      sources[k]!.provided = s;
      if (failure) closeSource(s);
      sources[k]!.resolve(s);
    };
    const firstOf = new Map<string, number>();
    const downloaded: Array<Promise<void>> = [];
    for (let k = 0; k < todo.length; k++) {
      const d = todo[k]!.desc.digest;
      const source = sources[k]!;
      const first = firstOf.get(d);
      let p: Promise<void>;
      if (first === undefined) {
        firstOf.set(d, k);
        lease(d);
        // The download slot is held while bytes come, not while the blob is made durable.
        p = this.downloads(() => (failure ? Promise.reject(failure.err) : this.downloadBlob(repo, todo[k]!.desc, out, provider(k)))).then((d) => d.stored);
        p.catch((err: unknown) => source.reject(err));
      } else {
        // The same blob twice in one image: the second reads the stored copy.
        p = downloaded[first]!;
        p.then(() => this.storedInput(d, out, todo[k]!.desc.size)).then(provider(k), source.reject);
      }
      // Let no rejection go unhandled while we wait on earlier ones.
      p.catch(() => undefined);
      downloaded.push(p);
    }
    const parent = have > 0 ? chains[have - 1]! : null;
    try {
      await registerLayerChain(
        this.svc.layers,
        todo.map((t, k) => ({
          expectedDiffId: diffIds[t.index]!,
          // Each reports its own progress (the inputs' hooks).
          tar: () => sources[k]!.promise,
        })),
        parent,
        {
          owner: op.owner,
          onRegistered: async (k, reg) => {
            await op.hold(reg.chainId);
            // The blob was verified before its layer could register; its fsync
            // need not hold up the layers above (all are awaited below).
            void downloaded[k]!.then(
              () => out(statusMessage(shortId(todo[k]!.desc.digest), 'Pull complete')),
              () => undefined,
            );
          },
        },
      );
      for (const p of downloaded) await p;
    } catch (err) {
      // Layers whose unpack never began (the layer store stopped at an
      // earlier one) must not leave their downloads waiting for a reader.
      failure = { err };
      for (const s of sources) if (s.provided) closeSource(s.provided);
      // A failed download explains a failed extraction better.
      for (const p of downloaded) await p;
      throw err;
    }
  }

  /** A blob of the content store for an unpack, with its 'Extracting' progress. */
  private storedInput(digest: string, out: ProgressSink, size: number): StoredLayerInput {
    return new StoredLayerInput(this.svc.content.blobPath(digest), digest, { onConsumed: throttled(out, shortId(digest), 'Extracting', size) });
  }

  /**
   * Downloads a layer blob into the content store, handing its bytes to
   * `provide` for the unpack as they come (or the stored blob when there is
   * one). Resolves once the transfer is over and the blob verified; then
   * `stored` resolves once it is durable in the content store, or once its
   * unpack stopped early (whose error the layer store reports). Rejects
   * (or `stored` does) when the download failed or the blob does not match
   * its digest.
   */
  private async downloadBlob(repo: Repository, desc: Descriptor, out: ProgressSink, provide: (s: LayerSource) => void): Promise<{ stored: Promise<void> }> {
    const id = shortId(desc.digest);
    if (await this.svc.content.has(desc.digest)) {
      provide(this.storedInput(desc.digest, out, desc.size));
      await out(statusMessage(id, 'Download complete'));
      return { stored: Promise.resolve() };
    }
    const ingest = await this.svc.content.ingest({ digest: desc.digest, size: desc.size });
    let remote;
    try {
      remote = await repo.remoteBlob(desc.digest);
    } catch (err) {
      await ingest.abort();
      throw err;
    }
    let persisted: Promise<unknown> | undefined;
    const input = new TeedLayerInput(
      // Read on this thread only when no worker downloads it (see TeedLayerInput).
      lazyIterable(async () => (await repo.openBlobUnverified(desc.digest)).body),
      {
        fd: ingest.fd,
        accept: async (got) => {
          // dockerd's verification message first; the size is part of the digest.
          if (got.digest !== desc.digest) {
            await ingest.abort();
            throw blobDigestMismatch(desc.digest, got.digest);
          }
          // Judged: the unpack may succeed now. Storing (an fsync of the
          // whole blob) goes on meanwhile; the pull waits for it at the end.
          persisted = ingest.commit(got);
          persisted.catch(() => undefined);
        },
      },
      {
        remote,
        onRead: throttled(out, id, 'Downloading', desc.size),
        onConsumed: throttled(out, id, 'Extracting', desc.size),
      },
    );
    let accepted: boolean;
    try {
      provide(input);
      accepted = await input.stored;
    } catch (err) {
      await ingest.abort();
      throw err;
    }
    if (!accepted) {
      await ingest.abort();
      return { stored: Promise.resolve() };
    }
    const stored = (async () => {
      await persisted;
      await out(statusMessage(id, 'Verifying Checksum'));
      await out(statusMessage(id, 'Download complete'));
    })();
    stored.catch(() => undefined);
    return { stored };
  }

  // --- push ------------------------------------------------------------------------------

  /** POST /images/{name}/push?tag=: one tag, or every tag of the repository when `tag` is empty. */
  async push(name: string, tag: string | undefined, authHeader: string | undefined, out: ProgressSink): Promise<void> {
    const auth: AuthConfig = decodeAuthConfig(authHeader).config;
    let repoRef = parseNormalizedNamed(name);
    if (tag) repoRef = isValidDigest(tag) ? withDigest(new NamedReference(repoRef.domain, repoRef.path), tag) : withTag(repoRef, tag);
    const bare = new NamedReference(repoRef.domain, repoRef.path);
    const targets: Array<{ ref: NamedReference; image: StoredImage }> = [];
    if (repoRef.isNameOnly) {
      for (const { ref, id } of this.svc.store.referencesByName(bare)) {
        if (ref.digest !== undefined) continue;
        const image = this.svc.store.get(id);
        if (image) targets.push({ ref, image });
      }
      if (targets.length === 0) throw notFound(`An image does not exist locally with the tag: ${familiarString(bare)}`);
    } else {
      const id = this.svc.store.getRef(repoRef);
      const image = id ? this.svc.store.get(id) : undefined;
      if (!image) throw notFound(`An image does not exist locally with the tag: ${familiarString(bare)}`);
      targets.push({ ref: repoRef, image });
    }
    await out(statusMessage(undefined, `The push refers to repository [${bare.toString()}]`));
    const repo = await this.opts.registry.repository(bare, { authConfig: auth, mode: 'push' });
    for (const t of targets) await this.pushOne(repo, t.ref, t.image, out);
  }

  private async pushOne(repo: Repository, ref: NamedReference, image: StoredImage, out: ProgressSink): Promise<void> {
    const layers = await this.distributableLayers(image);
    const diffIds = image.config.rootfs.diff_ids;
    // dockerd lists layers top first.
    const order = layers.map((l, i) => ({ desc: l, diffId: diffIds[i]! })).reverse();
    for (const o of order) await out(statusMessage(shortId(o.diffId), 'Preparing'));
    order.forEach((o, k) => {
      if (k >= this.uploads.limit) void out(statusMessage(shortId(o.diffId), 'Waiting'));
    });
    const sources = (image.record.sources ?? [])
      .map((s) => parseNormalizedNamed(s))
      .filter((s) => s.domain === repo.named.domain && s.path !== repo.path)
      .map((s) => s.path);
    const done = new Map<string, Promise<void>>();
    await Promise.all(
      order.map((o) => {
        let p = done.get(o.desc.digest);
        if (!p) {
          p = this.uploads(() => this.pushLayer(repo, o.desc, shortId(o.diffId), sources, out));
          done.set(o.desc.digest, p);
        }
        return p;
      }),
    );
    const rawConfig = await this.svc.content.readAll(image.id);
    await repo.pushBlob({ digest: image.id, size: rawConfig.length }, rawConfig);
    const { bytes, mediaType } = await this.manifestFor(image, layers, rawConfig.length);
    const tagOrDigest = ref.tag ?? ref.digest ?? 'latest';
    const digest = await repo.putManifest(tagOrDigest, bytes, mediaType);
    if (!(await this.svc.content.has(digest))) await this.svc.content.put(bytes, { digest });
    const desc: Descriptor = { mediaType, digest, size: bytes.length };
    image.record.manifests ??= [];
    if (!image.record.manifests.some((m) => m.digest === digest)) {
      image.record.manifests.push(desc);
      await this.svc.store.update(image);
    }
    await this.svc.store.addDigest(withDigest(new NamedReference(ref.domain, ref.path), digest), image.id).catch(() => undefined);
    await out(statusMessage(undefined, `${tagOrDigest}: digest: ${digest} size: ${bytes.length}`));
    const aux: JsonMessage = { progressDetail: {}, aux: { Tag: tagOrDigest, Digest: digest, Size: bytes.length } };
    await out(aux);
    this.svc.emit('push', familiarString(ref), { name: familiarString(ref) });
  }

  private async pushLayer(repo: Repository, desc: Descriptor, id: string, mountFrom: string[], out: ProgressSink): Promise<void> {
    const progress = throttled(out, id, 'Pushing', desc.size);
    let started = false;
    const result = await repo.pushBlob({ digest: desc.digest, size: desc.size }, { file: this.svc.content.blobPath(desc.digest) }, {
      mountFrom,
      onProgress: (n) => {
        if (!started) started = true;
        progress(n);
      },
    });
    if (result.status === 'exists') await out(statusMessage(id, 'Layer already exists'));
    else if (result.status === 'mounted') await out(statusMessage(id, `Mounted from ${result.from}`));
    else await out(statusMessage(id, 'Pushed'));
  }

  /**
   * The layer blobs to push. Blobs stored compressed (pulled) go as they
   * are. Blobs stored uncompressed (loaded, imported from a plain tar) are
   * gzip'd once into the content store, as dockerd compresses on push;
   * images without stored blobs get them from the layer store's tars. Each
   * is compressed and hashed in one pass on an unpack worker, all layers at
   * once (see compressLayer).
   */
  private async distributableLayers(image: StoredImage): Promise<Descriptor[]> {
    const diffIds = image.config.rootfs.diff_ids;
    const chains = chainIdsOf(diffIds);
    const stored = image.record.layers;
    let changed = false;
    const out = await Promise.all(
      diffIds.map(async (_, i): Promise<Descriptor> => {
        const desc = stored?.[i];
        const haveBlob = desc !== undefined && (await this.svc.content.has(desc.digest));
        if (haveBlob && compressionOf(await this.head(desc.digest)) !== 'none') return desc;
        const source = haveBlob ? new StoredLayerInput(this.svc.content.blobPath(desc.digest), desc.digest) : await this.svc.layers.tar(chains[i]!);
        const ingest = await this.svc.content.ingest();
        let info;
        try {
          info = await ingest.commit(await compressLayer(source, ingest.fd));
        } catch (err) {
          if (!haveBlob) (source as Readable).destroy();
          await ingest.abort();
          throw err;
        }
        changed = true;
        return { mediaType: desc?.mediaType.includes('oci') ? mediaTypes.ociLayerGzip : mediaTypes.dockerLayerGzip, digest: info.digest, size: info.size };
      }),
    );
    if (changed) {
      image.record.layers = out;
      image.record.tarSizes = undefined;
      await this.svc.store.update(image);
    }
    return out;
  }

  private async head(digest: string): Promise<Buffer> {
    const { head, stream } = await peek(await this.svc.content.get(digest, { start: 0, end: 7 }), 8);
    stream.destroy();
    return head;
  }

  /** The manifest to push: the image's own (pulled) one when it still describes these blobs, else a new one. */
  private async manifestFor(image: StoredImage, layers: Descriptor[], configSize: number): Promise<{ bytes: Buffer; mediaType: string }> {
    for (const m of image.record.manifests ?? []) {
      if (m.mediaType !== mediaTypes.dockerManifest && m.mediaType !== mediaTypes.ociManifest) continue;
      if (!(await this.svc.content.has(m.digest))) continue;
      const bytes = await this.svc.content.readAll(m.digest);
      try {
        const parsed = JSON.parse(bytes.toString('utf8')) as Manifest;
        if (parsed.config?.digest === image.id && parsed.layers?.length === layers.length && parsed.layers.every((l, i) => l.digest === layers[i]!.digest)) {
          return { bytes, mediaType: m.mediaType };
        }
      } catch {
        // not usable
      }
    }
    const oci = layers.some((l) => l.mediaType.startsWith('application/vnd.oci.'));
    const manifest: Manifest = oci
      ? {
          schemaVersion: 2,
          mediaType: mediaTypes.ociManifest,
          config: { mediaType: mediaTypes.ociConfig, digest: image.id, size: configSize },
          layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
        }
      : {
          schemaVersion: 2,
          mediaType: mediaTypes.dockerManifest,
          config: { mediaType: mediaTypes.dockerConfig, digest: image.id, size: configSize },
          layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
        };
    // dockerd indents pushed schema2 manifests with three spaces.
    const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
    return { bytes, mediaType: manifest.mediaType! };
  }

  // --- inspect a remote image ------------------------------------------------------------------

  /** GET /distribution/{name}/json. */
  async inspectRemote(name: string, authHeader: string | undefined): Promise<Record<string, unknown>> {
    const ref = tagNameOnly(parseNormalizedNamed(name));
    const auth = decodeAuthConfig(authHeader).config;
    const repo = await this.opts.registry.repository(ref, { authConfig: auth, mode: 'pull' });
    let fetched;
    try {
      fetched = await repo.getManifest(ref.digest ?? ref.tag ?? 'latest');
    } catch (err) {
      throw translatePullError(err, ref);
    }
    const descriptor = { mediaType: fetched.mediaType, digest: fetched.digest, size: fetched.bytes.length };
    const platforms: Array<Record<string, unknown>> = [];
    if (isManifestList(fetched.mediaType)) {
      for (const m of parseManifestList(fetched.bytes).manifests) if (m.platform) platforms.push({ ...m.platform });
    } else {
      const manifest = parseImageManifest(fetched.bytes);
      try {
        const cfg = asImageConfig(JSON.parse((await repo.fetchBlob(manifest.config.digest, { purpose: 'config' })).toString('utf8')));
        platforms.push({ architecture: cfg.architecture, os: cfg.os, ...(cfg.variant ? { variant: cfg.variant } : {}) });
      } catch {
        // no platform information
      }
    }
    return { Descriptor: descriptor, Platforms: platforms };
  }
}

export { sha256Digest };
