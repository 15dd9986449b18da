// `docker save` and `docker load`.
//
// save writes what docker 25+ writes (moby image/tarexport/save.go): an OCI
// image layout (oci-layout, index.json, blobs/sha256/<hex> holding each
// image's OCI manifest, its config and its layers as uncompressed tars named
// by diff ID) that is at the same time a docker-archive (manifest.json whose
// Config/Layers point into blobs/, and the legacy `repositories`).
//
// load reads docker-archives in both layouts (the old <v1id>/layer.tar one and
// the blobs/ one) and plain OCI layout archives, gzip'd/zstd'd or not. No
// member is ever written to the filesystem under its archive path: every
// regular file is streamed into the content store (verified when its name is
// a digest) and looked up by archive path afterwards, so `..` names and
// symlinks can't make load write outside its stores; symlinks between
// members (docker's legacy layout links duplicate layers) are resolved
// inside the archive's own namespace.
import { createHash } from 'node:crypto';
import { writev } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { invalidParameter, notFound } from '../common/errors.js';
import { sha256Digest, type BlobInfo } from './content-store.js';
import type { StoredImage } from './image-store.js';
import {
  NamedReference,
  familiarName,
  familiarString,
  parseAnyReference,
  parseNormalizedNamed,
  tagNameOnly,
} from './reference.js';
import { StoredLayerInput, TarReader } from '../storage/index.js';
import { registerLayerChain } from './layers.js';
import type { ImageService } from './service.js';
import { countBytes, decompress, readAllLimited } from './streams.js';
import { progressMessage, type ProgressSink } from './progress.js';
import {
  asImageConfig,
  compressionOf,
  isIndexMediaType,
  layerMediaTypeOf,
  mediaTypes,
  type Descriptor,
  type ImageIndex,
  type Manifest,
} from './types.js';

const OCI_LAYOUT = '{"imageLayoutVersion": "1.0.0"}';
const JSON_LIMIT = 64 << 20;
const EPOCH = new Date(0);

interface SaveItem {
  image: StoredImage;
  tags: NamedReference[];
}

/** moby's tarexporter.parseNames. */
function resolveSaveNames(svc: ImageService, names: string[]): SaveItem[] {
  const items = new Map<string, SaveItem>();
  const add = (image: StoredImage, ref?: NamedReference): void => {
    let item = items.get(image.id);
    if (!item) {
      item = { image, tags: [] };
      items.set(image.id, item);
    }
    if (ref && ref.digest === undefined) {
      const tagged = tagNameOnly(ref);
      if (!item.tags.some((t) => t.toString() === tagged.toString())) item.tags.push(tagged);
    }
  };
  for (const name of names) {
    const ref = parseAnyReference(name);
    if (ref.kind === 'digest') {
      const img = svc.store.get(ref.digest);
      if (!img) throw notFound(`No such image: ${name}`);
      add(img);
      continue;
    }
    if (familiarName(ref) === 'sha256') {
      const img = svc.store.search(name);
      if (!img) throw notFound(`No such image: ${name}`);
      add(img);
      continue;
    }
    if (ref.isNameOnly) {
      const assocs = svc.store.referencesByName(ref);
      for (const a of assocs) {
        const img = svc.store.get(a.id);
        if (img) add(img, a.ref);
      }
      if (assocs.length === 0) {
        const img = svc.store.search(name);
        if (!img) throw notFound(`No such image: ${name}`);
        add(img);
      }
      continue;
    }
    const id = svc.store.getRef(ref);
    const img = id ? svc.store.get(id) : undefined;
    if (!img) throw notFound(`reference does not exist`);
    add(img, ref);
  }
  return [...items.values()];
}

/** A readable of an image layer's uncompressed tar, and its size. */
async function layerTar(svc: ImageService, img: StoredImage, index: number): Promise<{ open: () => Promise<Readable>; size: number }> {
  const desc = img.record.layers?.[index];
  if (desc && (await svc.content.has(desc.digest))) {
    const head = await readHead(svc, desc.digest);
    if (compressionOf(head) === 'none') {
      return { open: () => svc.content.get(desc.digest), size: desc.size };
    }
    let size = img.record.tarSizes?.[index] ?? (await svc.layers.get(chainAt(img, index)))?.tarSize;
    if (size === undefined) {
      size = await countBytes((await decompress(await svc.content.get(desc.digest))).stream);
      img.record.tarSizes ??= [];
      img.record.tarSizes[index] = size;
      await svc.store.update(img).catch(() => undefined);
    }
    return { open: async () => (await decompress(await svc.content.get(desc.digest))).stream, size };
  }
  // No blob: regenerate the tar from the unpacked layer.
  const chain = chainAt(img, index);
  let size = img.record.tarSizes?.[index] ?? (await svc.layers.get(chain))?.tarSize;
  if (size === undefined) {
    size = await countBytes(await svc.layers.tar(chain));
    img.record.tarSizes ??= [];
    img.record.tarSizes[index] = size;
    await svc.store.update(img).catch(() => undefined);
  }
  return { open: () => svc.layers.tar(chain), size };
}

function chainAt(img: StoredImage, index: number): string {
  const diffs = img.config.rootfs.diff_ids;
  let chain = '';
  for (let i = 0; i <= index; i++) chain = chain === '' ? diffs[i]! : sha256Digest(`${chain} ${diffs[i]}`);
  return chain;
}

async function readHead(svc: ImageService, digest: string): Promise<Buffer> {
  const s = await svc.content.get(digest, { start: 0, end: 7 });
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

interface PlannedEntry {
  name: string;
  size: number;
  mtime: Date;
  body: Buffer | (() => Promise<Readable>);
}

/** GET /images/get: the archive as a stream. */
export async function saveImages(svc: ImageService, names: string[]): Promise<AsyncIterable<Buffer>> {
  const items = resolveSaveNames(svc, names);
  const blobs = new Map<string, PlannedEntry>();
  const manifestJson: Array<Record<string, unknown>> = [];
  const repositories: Record<string, Record<string, string>> = {};
  const indexManifests: Descriptor[] = [];
  for (const { image, tags } of items) {
    const diffs = image.config.rootfs.diff_ids;
    if (diffs.length === 0) throw invalidParameter('empty export - not implemented');
    const layerDescs: Descriptor[] = [];
    for (let i = 0; i < diffs.length; i++) {
      const diff = diffs[i]!;
      const t = await layerTar(svc, image, i);
      layerDescs.push({ mediaType: mediaTypes.ociLayer, digest: diff, size: t.size });
      if (!blobs.has(diff)) blobs.set(diff, { name: `blobs/sha256/${diff.slice(7)}`, size: t.size, mtime: createdDate(image), body: t.open });
    }
    const rawConfig = await svc.content.readAll(image.id);
    blobs.set(image.id, { name: `blobs/sha256/${image.id.slice(7)}`, size: rawConfig.length, mtime: createdDate(image), body: rawConfig });
    const platform = { architecture: image.config.architecture, os: image.config.os, ...(image.config.variant ? { variant: image.config.variant } : {}) };
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: mediaTypes.ociConfig, digest: image.id, size: rawConfig.length },
      layers: layerDescs,
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    const manifestDigest = sha256Digest(manifestBytes);
    blobs.set(manifestDigest, { name: `blobs/sha256/${manifestDigest.slice(7)}`, size: manifestBytes.length, mtime: EPOCH, body: manifestBytes });
    const repoTags: string[] = [];
    for (const ref of tags) {
      const name = familiarName(ref);
      (repositories[name] ??= {})[ref.tag!] = diffs[diffs.length - 1]!.slice(7);
      repoTags.push(familiarString(ref));
      indexManifests.push({
        mediaType: mediaTypes.ociManifest,
        digest: manifestDigest,
        size: manifestBytes.length,
        annotations: { 'io.containerd.image.name': ref.toString(), 'org.opencontainers.image.ref.name': ref.tag! },
        platform,
      });
    }
    if (tags.length === 0) {
      indexManifests.push({ mediaType: mediaTypes.ociManifest, digest: manifestDigest, size: manifestBytes.length, platform });
    }
    const entry: Record<string, unknown> = {
      Config: `blobs/sha256/${image.id.slice(7)}`,
      RepoTags: repoTags.length ? repoTags : null,
      Layers: diffs.map((d) => `blobs/sha256/${d.slice(7)}`),
    };
    if (image.record.parent && items.some((x) => x.image.id === image.record.parent)) entry.Parent = image.record.parent;
    manifestJson.push(entry);
    svc.emit('save', image.id, {});
  }
  const index: ImageIndex = { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: indexManifests };
  const entries: PlannedEntry[] = [...blobs.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const small = (name: string, text: string): PlannedEntry => ({ name, size: Buffer.byteLength(text), mtime: EPOCH, body: Buffer.from(text) });
  entries.push(small('index.json', JSON.stringify(index)));
  entries.push(small('manifest.json', JSON.stringify(manifestJson) + '\n'));
  entries.push(small('oci-layout', OCI_LAYOUT));
  if (Object.keys(repositories).length > 0) entries.push(small('repositories', JSON.stringify(repositories) + '\n'));

  const pack = tar.pack();
  const write = async (): Promise<void> => {
    const dirHeader = { type: 'directory' as const, mode: 0o755, uid: 0, gid: 0, mtime: EPOCH };
    pack.entry({ ...dirHeader, name: 'blobs/' });
    pack.entry({ ...dirHeader, name: 'blobs/sha256/' });
    for (const e of entries) {
      const header = { name: e.name, size: e.size, mode: 0o644, uid: 0, gid: 0, mtime: e.mtime, type: 'file' as const };
      if (Buffer.isBuffer(e.body)) {
        pack.entry(header, e.body);
        continue;
      }
      const src = await e.body();
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
        src.on('error', (err) => {
          sink.destroy(err);
          reject(err);
        });
        src.pipe(sink);
      });
    }
    pack.finalize();
  };
  write().catch((err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))));
  return pack as unknown as AsyncIterable<Buffer>;
}

function createdDate(img: StoredImage): Date {
  const t = img.config.created ? Date.parse(img.config.created) : NaN;
  return Number.isNaN(t) ? EPOCH : new Date(t);
}

// --- load ---------------------------------------------------------------------------------

interface ArchiveFile {
  kind: 'blob';
  digest: string;
  size: number;
}
interface ArchiveLink {
  kind: 'link';
  target: string;
}

export interface LoadResult {
  /** Lines as docker prints them: "Loaded image: busybox:latest", "Loaded image ID: sha256:...". */
  messages: string[];
  imageIds: string[];
}

/** Bytes of a blob being spooled that may wait for their write at once. */
const SPOOL_IN_FLIGHT = 8 << 20;
/** Spooled bytes go out in writes of about this size (the request's chunks are 64 KiB). */
const SPOOL_WRITE = 1 << 20;

/**
 * Hashes `body` and writes it to `fd` as it passes: the chunks are written
 * where they lie (the request's own buffers), gathered into writev calls of
 * about a MiB, a few MiB in flight at most.
 */
async function spoolBlob(body: AsyncIterable<Buffer>, fd: number): Promise<BlobInfo> {
  const hash = createHash('sha256');
  let size = 0;
  let inFlight = 0;
  let failure: unknown;
  let waiter: (() => void) | undefined;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const settled = (): void => {
    const w = waiter;
    waiter = undefined;
    w?.();
  };
  const writeOut = (): void => {
    const chunks = batch;
    const bytes = batchBytes;
    const position = size - bytes;
    batch = [];
    batchBytes = 0;
    inFlight += bytes;
    const next = (pending: Buffer[], at: number): void => {
      writev(fd, pending, at, (err, n) => {
        if (err) failure ??= err;
        else {
          // A short write: what is left goes again.
          let skip = n;
          const rest: Buffer[] = [];
          for (const c of pending) {
            if (skip >= c.length) skip -= c.length;
            else {
              rest.push(skip > 0 ? c.subarray(skip) : c);
              skip = 0;
            }
          }
          if (rest.length > 0) return next(rest, at + n);
        }
        inFlight -= bytes;
        settled();
      });
    };
    next(chunks, position);
  };
  for await (const chunk of body) {
    if (failure) throw failure;
    hash.update(chunk);
    batch.push(chunk);
    batchBytes += chunk.length;
    size += chunk.length;
    if (batchBytes >= SPOOL_WRITE) writeOut();
    while (inFlight > SPOOL_IN_FLIGHT && !failure) await new Promise<void>((resolve) => (waiter = resolve));
  }
  if (batchBytes > 0) writeOut();
  while (inFlight > 0) await new Promise<void>((resolve) => (waiter = resolve));
  if (failure) throw failure;
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/** Normalise an archive member name; null when it climbs out of the archive root. */
function memberName(name: string): string | null {
  const cleaned = path.posix.normalize('/' + name).slice(1).replace(/\/+$/, '');
  if (name.split('/').includes('..')) {
    // Refuse rather than reinterpret a name that tries to climb out.
    const rel = path.posix.normalize(name);
    if (rel === '..' || rel.startsWith('../') || rel.startsWith('/..')) return null;
  }
  return cleaned;
}

/**
 * POST /images/load. `progress` receives docker's "Loading layer" bars (when
 * not quiet) and the "Loaded image" lines as `stream` messages.
 */
export async function loadImages(svc: ImageService, input: Readable, progress: ProgressSink, quiet: boolean): Promise<LoadResult> {
  const end = svc.beginOperation();
  const op = svc.layerOperation();
  const spooled: string[] = [];
  const commits: Array<Promise<void>> = [];
  const release = (): void => {};
  let leaseRelease: () => void = release;
  try {
    const { stream } = await decompress(input);
    const files = new Map<string, ArchiveFile | ArchiveLink>();
    const jsonFiles = new Map<string, Buffer>();
    // Our tar reader over the request's own buffers (no copies), each blob
    // hashed and written as its bytes pass (see spoolBlob).
    const reader = new TarReader(stream);
    for (let h = await reader.next(); h !== null; h = await reader.next()) {
      const name = memberName(h.name);
      if (name === null || name === '') continue;
      if (h.type === 'symlink' || h.type === 'hardlink') {
        const target = h.type === 'symlink' ? path.posix.join(path.posix.dirname(name), h.linkname) : h.linkname;
        const t = memberName(target);
        if (t !== null) files.set(name, { kind: 'link', target: t });
        continue;
      }
      if (h.type !== 'file') continue;
      const base = path.posix.basename(name);
      const isJson = base.endsWith('.json') || base === 'repositories' || base === 'oci-layout' || base === 'json' || base === 'VERSION';
      if (isJson && h.size <= JSON_LIMIT && !name.startsWith('blobs/')) {
        jsonFiles.set(name, await readAllLimited(reader.body(), JSON_LIMIT, name));
        continue;
      }
      const fromName = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
      const expected = fromName ? `sha256:${fromName[1]}` : undefined;
      const spool = (info: { digest: string; size: number }): void => {
        spooled.push(info.digest);
        leaseRelease();
        leaseRelease = svc.lease(spooled);
        files.set(name, { kind: 'blob', digest: info.digest, size: info.size });
      };
      if (expected && (await svc.content.has(expected))) {
        spool({ digest: expected, size: h.size });
        continue;
      }
      const ingest = await svc.content.ingest(expected ? { digest: expected, size: h.size } : { size: h.size });
      let written: BlobInfo;
      try {
        written = await spoolBlob(reader.body(), ingest.fd);
      } catch (err) {
        await ingest.abort();
        throw err;
      }
      // The commit (its check, an fsync of the whole blob) overlaps reading the next members.
      const committed = ingest.commit(written).then(spool);
      committed.catch(() => undefined);
      commits.push(committed);
    }
    await Promise.all(commits);
    const lookup = (p: string, depth = 0): ArchiveFile | undefined => {
      const n = memberName(p);
      if (n === null || depth > 16) return undefined;
      const f = files.get(n);
      if (!f) return undefined;
      return f.kind === 'blob' ? f : lookup(f.target, depth + 1);
    };
    const readJson = async (p: string): Promise<unknown> => {
      const n = memberName(p);
      if (n !== null && jsonFiles.has(n)) return JSON.parse(jsonFiles.get(n)!.toString('utf8'));
      const f = lookup(p);
      if (!f) throw invalidParameter(`invalid archive: ${p} not found`);
      return JSON.parse((await svc.content.readAll(f.digest)).toString('utf8'));
    };
    const readRaw = async (p: string): Promise<{ raw: Buffer; digest: string }> => {
      const n = memberName(p);
      if (n !== null && jsonFiles.has(n)) {
        const raw = jsonFiles.get(n)!;
        return { raw, digest: sha256Digest(raw) };
      }
      const f = lookup(p);
      if (!f) throw invalidParameter(`invalid archive: ${p} not found`);
      return { raw: await svc.content.readAll(f.digest), digest: f.digest };
    };

    const plans: Array<{ config: { raw: Buffer; digest: string }; layerPaths: Array<{ digest: string; size: number; mediaType?: string }>; tags: NamedReference[]; manifest?: Descriptor }> = [];
    if (jsonFiles.has('manifest.json')) {
      const manifest = JSON.parse(jsonFiles.get('manifest.json')!.toString('utf8')) as unknown;
      if (!Array.isArray(manifest)) throw invalidParameter('invalid archive: manifest.json is not a list');
      for (const item of manifest as Array<{ Config?: string; RepoTags?: string[] | null; Layers?: string[] }>) {
        if (typeof item.Config !== 'string' || !Array.isArray(item.Layers)) throw invalidParameter('invalid archive: bad manifest.json entry');
        const config = await readRaw(item.Config);
        const layerPaths = item.Layers.map((l) => {
          const f = lookup(l);
          if (!f) throw invalidParameter(`invalid archive: layer ${l} not found`);
          return { digest: f.digest, size: f.size };
        });
        const tags: NamedReference[] = [];
        for (const t of item.RepoTags ?? []) {
          const named = parseNormalizedNamed(t);
          if (named.digest === undefined) tags.push(tagNameOnly(named));
        }
        plans.push({ config, layerPaths, tags });
      }
    } else if (jsonFiles.has('index.json') || files.has('index.json')) {
      const index = (await readJson('index.json')) as ImageIndex;
      const walk = async (descs: Descriptor[], inherited?: string): Promise<void> => {
        for (const d of descs ?? []) {
          const name = d.annotations?.['io.containerd.image.name'] ?? d.annotations?.['org.opencontainers.image.ref.name'] ?? inherited;
          const blob = lookup(`blobs/sha256/${d.digest.replace(/^sha256:/, '')}`);
          if (!blob) throw invalidParameter(`invalid archive: blob ${d.digest} not found`);
          if (isIndexMediaType(d.mediaType)) {
            const sub = JSON.parse((await svc.content.readAll(blob.digest)).toString('utf8')) as ImageIndex;
            await walk(sub.manifests.filter((m) => !m.platform || (m.platform.os === 'linux' && m.platform.architecture === hostArch())), name);
            continue;
          }
          const m = JSON.parse((await svc.content.readAll(blob.digest)).toString('utf8')) as Manifest;
          if (!m.config || !Array.isArray(m.layers)) continue;
          const config = await readRaw(`blobs/sha256/${m.config.digest.replace(/^sha256:/, '')}`);
          const layerPaths = m.layers.map((l) => {
            const f = lookup(`blobs/sha256/${l.digest.replace(/^sha256:/, '')}`);
            if (!f) throw invalidParameter(`invalid archive: layer ${l.digest} not found`);
            return { digest: f.digest, size: f.size, mediaType: l.mediaType };
          });
          const tags: NamedReference[] = [];
          if (name) {
            try {
              const named = parseNormalizedNamed(name);
              if (named.digest === undefined && (named.tag !== undefined || name.includes('/') || name.includes(':'))) tags.push(tagNameOnly(named));
            } catch {
              // a bare ref.name such as "latest" names no repository
            }
          }
          plans.push({ config, layerPaths, tags, manifest: { mediaType: d.mediaType, digest: d.digest, size: d.size } });
        }
      };
      await walk(index.manifests ?? []);
    } else {
      throw invalidParameter('invalid archive: neither manifest.json nor index.json found');
    }
    if (plans.length === 0) throw invalidParameter('no images found in the archive');

    const result: LoadResult = { messages: [], imageIds: [] };
    for (const plan of plans) {
      const config = asImageConfig(JSON.parse(plan.config.raw.toString('utf8')));
      const diffs = config.rootfs.diff_ids;
      if (diffs.length !== plan.layerPaths.length) throw invalidParameter('invalid manifest, layers length mismatch: expected ' + diffs.length + ', got ' + plan.layerPaths.length);
      const id = sha256Digest(plan.config.raw);
      let image = svc.store.get(id);
      if (!image) {
        const layerDescs: Descriptor[] = [];
        for (const l of plan.layerPaths) {
          const head = await readHead(svc, l.digest);
          layerDescs.push({ mediaType: l.mediaType ?? layerMediaTypeOf(head, false), digest: l.digest, size: l.size });
        }
        let chain = '';
        const sizes: number[] = [];
        const chains: string[] = [];
        for (let i = 0; i < diffs.length; i++) {
          const c = chain === '' ? diffs[i]! : sha256Digest(`${chain} ${diffs[i]}`);
          chains.push(c);
          chain = c;
        }
        // Reuse the longest stack of layers that exists already.
        let start = 0;
        let top = '';
        for (let i = chains.length - 1; i >= 0; i--) {
          if (await svc.layers.has(chains[i]!)) {
            start = i + 1;
            top = chains[i]!;
            break;
          }
        }
        const existingSizes = await svc.layerSizes(chains.slice(0, start));
        // Each layer's unpack reads its spooled blob itself (a worker, off this thread).
        const sources: Array<() => StoredLayerInput> = [];
        for (let i = start; i < diffs.length; i++) {
          const l = plan.layerPaths[i]!;
          const shortId = l.digest.slice(7, 19);
          const onConsumed = (n: number): void => {
            if (n === l.size || throttle()) void progress(progressMessage(shortId, 'Loading layer', n, l.size));
          };
          sources.push(() => new StoredLayerInput(svc.content.blobPath(l.digest), l.digest, quiet ? {} : { onConsumed }));
        }
        let last = 0;
        const throttle = (): boolean => {
          const now = Date.now();
          if (now - last < 100) return false;
          last = now;
          return true;
        };
        // All layers unpack at once; the layer store registers them in order.
        if (top) await op.hold(top);
        const regs = await registerLayerChain(
          svc.layers,
          sources.map((open, j) => ({ tar: open, expectedDiffId: diffs[start + j]! })),
          top || null,
          { owner: op.owner, onRegistered: (_, reg) => op.hold(reg.chainId) },
        );
        image = await svc.createImage({
          rawConfig: plan.config.raw,
          chainId: regs.length > 0 ? regs[regs.length - 1]!.chainId : top,
          diffSizes: [...existingSizes, ...regs.map((r) => r.size)],
          layers: layerDescs,
          manifests: plan.manifest ? [plan.manifest] : undefined,
        });
      }
      let tagged = false;
      for (const t of plan.tags) {
        const previous = svc.store.getRef(t);
        if (previous && previous !== image.id) {
          result.messages.push(`The image ${familiarString(t)} already exists, renaming the old one with ID ${previous} to empty string`);
        }
        await svc.store.addTag(t, image.id);
        result.messages.push(`Loaded image: ${familiarString(t)}`);
        tagged = true;
      }
      if (!tagged) result.messages.push(`Loaded image ID: ${image.id}`);
      result.imageIds.push(image.id);
      svc.emit('load', image.id, {});
    }
    return result;
  } finally {
    // No blob write may still be going on when we clean up.
    await Promise.allSettled(commits);
    await op.done();
    leaseRelease();
    end();
    // Spooled blobs no image references (legacy v1 json, layers of skipped platforms) go now.
    await svc.gc().catch(() => undefined);
  }
}

function hostArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch;
}

