// What the container runtime needs from the other concerns, as small
// structural interfaces: the image service (src/image/service.ts) and the
// layer store (src/storage/store.ts) satisfy them as they are; tests plug in
// fakes. The network and mount interfaces that other engineers implement are
// in network-contract.ts and mount-contract.ts.
import type { Readable } from 'node:stream';
import type { ContainerUsageSource, ImageConfig } from '../image/types.js';
import type { ContainerRootfs } from './mount-contract.js';

/** An image as the runtime needs it at create. */
export interface ImageForContainer {
  /** sha256:... */
  id: string;
  config: ImageConfig;
  /** Chain ID of the image's top layer, '' for an image without layers. */
  chainId: string;
  /** What the user typed, normalised, or the ID. */
  reference: string;
}

/** A new image from a container's writable layer (docker commit). */
export interface CommitRequest {
  config: ImageConfig;
  parentImageId?: string;
  newLayers: Array<AsyncIterable<Uint8Array>>;
  setParent?: boolean;
  tags?: string[];
}

export interface ImageProvider {
  /** Resolve a reference or ID; throws not-found "No such image: x:latest". */
  resolveForContainer(refOrId: string): ImageForContainer;
  commit(input: CommitRequest): Promise<{ id: string }>;
  /** The runtime tells the image service which images containers use (rmi, prune, ps ancestor). */
  setContainerUsage(source: ContainerUsageSource): void;
}

export interface FileChange {
  /** Absolute path inside the container. */
  path: string;
  /** Added, changed or deleted (the API encodes them 1, 0, 2). */
  kind: 'A' | 'C' | 'D';
}

/** The writable layer of each container; mountRW/unmountRW are what the volume side uses too. */
export interface RwLayerStore extends ContainerRootfs {
  createRW(id: string, parent: string | null): Promise<void>;
  /** Unmounts whatever the references and removes the layer. */
  removeRW(id: string): Promise<unknown>;
  getRW(id: string): Promise<{ id: string; parent: string | null } | undefined>;
  listRW(): Promise<Array<{ id: string; parent: string | null }>>;
  rwChanges(id: string): Promise<FileChange[]>;
  rwSize(id: string): Promise<number>;
  rwDiffTar(id: string): Promise<Readable>;
  /** An image layer (for SizeRootFs: the sizes along the chain). */
  get(chainId: string): Promise<{ size: number; parent: string | null } | undefined>;
  /** GraphDriver.Data of a writable layer (by its id). */
  metadata(rwId: string): Promise<Record<string, string> | null>;
  /** The storage driver's name for inspect's Driver (overlay2, vfs). */
  readonly driverName: string;
}
