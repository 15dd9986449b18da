// `docker import`: a root filesystem tar (plain, gzip or zstd) becomes a
// one-layer image (moby daemon/images/image_import.go). The body is read
// once: its bytes go to the content store (the layer blob, as sent) and to
// the layer store (unpacked) at the same time.
import { Readable } from 'node:stream';
import { invalidParameter } from '../common/errors.js';
import { berthVersion } from '../common/version.js';
import { applyChanges } from './changes.js';
import { parseNormalizedNamed, tagNameOnly, withTag, NamedReference, familiarString, isValidTag } from './reference.js';
import type { ImageService } from './service.js';
import { peek, tee } from './streams.js';
import { layerMediaTypeOf, type Descriptor, type ImageConfig } from './types.js';

export interface ImportOptions {
  /** The rootfs tar. */
  source: Readable;
  repo?: string;
  tag?: string;
  message?: string;
  /** `fromSrc` as the client gave it ("-" for the request body, else a URL): the default comment names it. */
  sourceName?: string;
  changes?: string[];
  /** `os/arch[/variant]`; default the host's. */
  platform?: string;
}

export function hostArchitecture(): string {
  switch (process.arch) {
    case 'x64': return 'amd64';
    case 'ia32': return '386';
    case 'ppc64': return 'ppc64le';
    default: return process.arch;
  }
}

/** The tag an import/commit gets from repo + tag, as moby parses them (repo may carry its own tag). */
export function importReference(repo: string | undefined, tag: string | undefined): NamedReference | undefined {
  if (!repo) return undefined;
  let named = parseNormalizedNamed(repo);
  if (named.digest !== undefined) throw invalidParameter('cannot import digest reference');
  if (tag) {
    if (!isValidTag(tag)) throw invalidParameter('invalid tag format');
    named = withTag(new NamedReference(named.domain, named.path), tag);
  }
  return tagNameOnly(named);
}

/** Import a rootfs tar as a new image; returns the image ID. */
export async function importImage(svc: ImageService, opts: ImportOptions): Promise<string> {
  const ref = importReference(opts.repo, opts.tag);
  // Validate the changes before reading a possibly large body.
  const containerConfig = applyChanges(undefined, opts.changes ?? []);
  let os = 'linux';
  let architecture = hostArchitecture();
  let variant: string | undefined;
  if (opts.platform) {
    const parts = opts.platform.split('/');
    if (parts[0] !== 'linux') throw invalidParameter(`operating system is not supported: ${parts[0]}`);
    os = parts[0]!;
    if (parts[1]) architecture = parts[1];
    if (parts[2]) variant = parts[2];
  }
  const end = svc.beginOperation();
  const op = svc.layerOperation();
  const writer = await svc.content.writer();
  try {
    const { head, stream } = await peek(opts.source, 8);
    const mediaType = layerMediaTypeOf(head, false);
    const branch = tee(stream, writer);
    const reg = await svc.registerLayers(op, [branch], '');
    const blob = await writer.commit();
    const releaseLease = svc.lease([blob.digest]);
    try {
      const created = new Date().toISOString();
      // moby's ImportImage: without -m the comment says where the layer came from ("Imported from -").
      const comment = opts.message || (opts.sourceName !== undefined ? `Imported from ${opts.sourceName}` : '');
      const config: ImageConfig = {
        architecture,
        ...(comment ? { comment } : {}),
        config: containerConfig,
        created,
        docker_version: berthVersion,
        history: [{ created, ...(comment ? { comment } : {}) }],
        os,
        ...(variant ? { variant } : {}),
        rootfs: { type: 'layers', diff_ids: reg.diffIds },
      };
      const layer: Descriptor = { mediaType, digest: blob.digest, size: blob.size };
      const image = await svc.createImage(
        { rawConfig: Buffer.from(JSON.stringify(config)), chainId: reg.chainId, diffSizes: reg.sizes, layers: [layer] },
        ref ? [ref] : [],
        { touch: true },
      );
      svc.emit('import', image.id, ref ? { name: familiarString(ref) } : {});
      return image.id;
    } finally {
      releaseLease();
    }
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    await op.done();
    end();
  }
}

/** Fetch an import source given as a URL (`fromSrc=http://...`). */
export async function fetchImportSource(url: string): Promise<Readable> {
  let u: URL;
  try {
    u = new URL(url.includes('://') ? url : `http://${url}`);
  } catch {
    throw invalidParameter(`invalid URL: ${url}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalidParameter(`unsupported URL scheme: ${u.protocol}`);
  const res = await fetch(u);
  if (!res.ok || !res.body) throw invalidParameter(`failed to GET ${u.toString()} with status ${res.status} ${res.statusText}`);
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
}
