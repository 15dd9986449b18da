// Shapes of the image formats berth reads and writes: the OCI image config
// (../../../shared/specs/oci-image/config.md, with docker's extra fields),
// descriptors, manifests and indexes (OCI and Docker schema 2).
import { createHash } from 'node:crypto';
import type { ContainerConfig } from '../common/container-config.js';

export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNonDistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNonDistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** An image config as stored (the blob whose digest is the image ID). */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  created?: string;
  author?: string;
  config?: ContainerConfig;
  rootfs: { type: string; diff_ids: string[] };
  history?: HistoryEntry[];
  // docker's legacy fields, kept when present so IDs stay the same.
  parent?: string;
  comment?: string;
  docker_version?: string;
  container?: string;
  container_config?: ContainerConfig;
  id?: string;
  [extra: string]: unknown;
}

/** Narrow an unknown parsed JSON value to an image config, or throw. */
export function asImageConfig(value: unknown): ImageConfig {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('invalid image config: not an object');
  const v = value as Record<string, unknown>;
  const rootfs = v.rootfs as { type?: unknown; diff_ids?: unknown } | undefined;
  if (!rootfs || typeof rootfs !== 'object') throw new Error('invalid image config: missing rootfs');
  if (rootfs.diff_ids !== undefined && rootfs.diff_ids !== null && !Array.isArray(rootfs.diff_ids)) {
    throw new Error('invalid image config: rootfs.diff_ids is not a list');
  }
  const cfg = value as ImageConfig;
  if (!Array.isArray(cfg.rootfs.diff_ids)) cfg.rootfs.diff_ids = [];
  if (typeof cfg.os !== 'string' || cfg.os === '') cfg.os = 'linux';
  if (typeof cfg.architecture !== 'string') cfg.architecture = '';
  return cfg;
}

export function isIndexMediaType(mt: string | undefined): boolean {
  return mt === mediaTypes.ociIndex || mt === mediaTypes.dockerManifestList;
}

export function isManifestMediaType(mt: string | undefined): boolean {
  return mt === mediaTypes.ociManifest || mt === mediaTypes.dockerManifest;
}

/** The media type of a layer blob, from its first bytes. */
export function layerMediaTypeOf(head: Buffer, oci: boolean): string {
  const c = compressionOf(head);
  if (c === 'gzip') return oci ? mediaTypes.ociLayerGzip : mediaTypes.dockerLayerGzip;
  if (c === 'zstd') return mediaTypes.ociLayerZstd;
  return oci ? mediaTypes.ociLayer : mediaTypes.dockerLayer;
}

export type Compression = 'gzip' | 'zstd' | 'bzip2' | 'xz' | 'none';

/** Detect a compression format from magic bytes, as docker's archive.DetectCompression. */
export function compressionOf(head: Buffer): Compression {
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head.length >= 3 && head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return 'none';
}

/** The chain ID of a list of diff IDs (OCI config.md "Layer ChainID"). */
export function chainIdOf(diffIds: readonly string[]): string {
  let chain = '';
  for (const d of diffIds) {
    chain = chain === '' ? d : sha256Hex(`${chain} ${d}`);
  }
  return chain;
}

function sha256Hex(s: string): string {
  return 'sha256:' + createHash('sha256').update(s).digest('hex');
}

/** Every chain ID along the stack: chainIds[i] identifies layers 0..i. */
export function chainIdsOf(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  let chain = '';
  for (const d of diffIds) {
    chain = chain === '' ? d : sha256Hex(`${chain} ${d}`);
    out.push(chain);
  }
  return out;
}

/** One container's use of an image, as the runtime reports it. */
export interface ContainerImageUse {
  containerId: string;
  imageId: string;
  running: boolean;
}

/** Supplied by the container runtime so rmi/prune know which images are in use. */
export interface ContainerUsageSource {
  imageUsers(): ContainerImageUse[];
  /** Let go of what the runtime holds ahead of use on an image's top layer (spare writable layers), so rmi deletes its layers now. */
  releaseSpares?(chainId: string): Promise<void>;
}
