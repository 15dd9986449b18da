// Manifest media types and the little of their JSON the protocol layer
// needs (../shared/specs/oci-image, Docker Image Manifest V2 Schema 2).
import { createHash } from 'node:crypto';
import type { Platform } from './platform.js';

export const MediaTypes = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1Manifest: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1SignedManifest: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

/** What a pull asks for, most wanted first (dockerd sends these four). */
export const manifestAcceptTypes: readonly string[] = [
  MediaTypes.dockerManifest,
  MediaTypes.dockerManifestList,
  MediaTypes.ociManifest,
  MediaTypes.ociIndex,
];

export function isManifestList(mediaType: string): boolean {
  return mediaType === MediaTypes.dockerManifestList || mediaType === MediaTypes.ociIndex;
}

export function isImageManifest(mediaType: string): boolean {
  return mediaType === MediaTypes.dockerManifest || mediaType === MediaTypes.ociManifest;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ManifestList {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

const genericContentTypes = new Set(['', 'application/json', 'text/plain', 'application/octet-stream', 'binary/octet-stream']);

/**
 * The media type of fetched manifest bytes: the response's Content-Type
 * unless it is generic, else the document's `mediaType`, else guessed from
 * its shape (an OCI manifest or index may omit `mediaType`).
 */
export function detectManifestMediaType(contentType: string | undefined, bytes: Uint8Array): string {
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!genericContentTypes.has(ct)) return ct;
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return ct;
  }
  if (!doc || typeof doc !== 'object') return ct;
  const o = doc as Record<string, unknown>;
  if (typeof o.mediaType === 'string' && o.mediaType !== '') return o.mediaType;
  if (o.schemaVersion === 1) return o.signatures ? MediaTypes.dockerSchema1SignedManifest : MediaTypes.dockerSchema1Manifest;
  if (Array.isArray(o.manifests)) return MediaTypes.ociIndex;
  if (o.config && Array.isArray(o.layers)) return MediaTypes.ociManifest;
  return ct;
}

/** Parse a manifest list / index; throws when the bytes are not one. */
export function parseManifestList(bytes: Uint8Array): ManifestList {
  const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  if (!doc || typeof doc !== 'object' || !Array.isArray((doc as { manifests?: unknown }).manifests)) {
    throw new Error('manifest list has no manifests');
  }
  return doc as ManifestList;
}

/** Parse an image manifest; throws when the bytes are not one. */
export function parseImageManifest(bytes: Uint8Array): ImageManifest {
  const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  if (!doc || typeof doc !== 'object') throw new Error('manifest is not a JSON object');
  const m = doc as { config?: unknown; layers?: unknown };
  if (!m.config || typeof m.config !== 'object' || !Array.isArray(m.layers)) throw new Error('manifest has no config or layers');
  return doc as ImageManifest;
}
