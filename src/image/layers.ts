// What the image service needs from the layer store (src/storage/store.ts),
// as a structural interface so the two can evolve separately. The layer
// store unpacks each layer once per chain ID and shares it between every
// image that has it; layers are kept while an owner (a persisted name)
// holds them.
//
// Owners the image service uses:
//   image:<image id>   an image holds its top layer (its parents are kept as
//                      that layer's ancestors)
//   op:<random>        an operation in progress (pull, load, import, commit);
//                      released when it ends, and at startup for any
//                      leftover of a crash
import type { Readable } from 'node:stream';

export interface LayerRegistration {
  chainId: string;
  diffId: string;
  /** Bytes the unpacked layer holds (docker's layer Size). */
  size: number;
  /** False when the layer existed and the input was only checked. */
  created: boolean;
}

export interface LayerDescription {
  chainId: string;
  diffId: string;
  parent: string | null;
  size: number;
  /** Bytes of the layer's uncompressed tar. */
  tarSize: number;
  owners: string[];
}

export interface ImageLayerStore {
  /** Unpack a layer tar (gzip, zstd or plain) on `parent`; `owner` holds the result. */
  register(
    tar: AsyncIterable<Uint8Array>,
    parent: string | null,
    options?: { expectedDiffId?: string; owner?: string },
  ): Promise<LayerRegistration>;
  /**
   * Register layers bottom first on `parent` (each with its expected diff
   * ID), unpacking them concurrently where the store can; `onRegistered`
   * hears of each in order. Optional: without it, register() one by one.
   */
  registerChain?(
    layers: Array<{ tar: () => AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>; expectedDiffId: string }>,
    parent: string | null,
    options?: { owner?: string; onRegistered?: (index: number, result: LayerRegistration) => void | Promise<void> },
  ): Promise<LayerRegistration[]>;
  /** Get ready to unpack layers soon (optional). */
  prepareUnpack?(): void;
  retain(chainId: string, owner: string): Promise<void>;
  /** Drop an owner; returns the chain IDs removed as a result, top first. */
  release(chainId: string, owner: string): Promise<string[]>;
  has(chainId: string): Promise<boolean>;
  get(chainId: string): Promise<LayerDescription | undefined>;
  list(): Promise<LayerDescription[]>;
  /** Remove every layer nothing keeps; returns their chain IDs. */
  removeUnreferenced(): Promise<string[]>;
  /** The layer's tar, byte for byte (its digest is the diff ID) when the store can rebuild it. */
  tar(chainId: string): Promise<Readable>;
  /** GraphDriver.Data for docker inspect. */
  metadata(chainId: string): Promise<Record<string, string> | null>;
  status(): Array<[string, string]>;
  readonly driverName: string;
}

export const imageOwner = (imageId: string): string => `image:${imageId}`;

export interface ChainLayerSource {
  /** The layer's tar (any compression), asked for once its unpack can start. */
  tar: () => AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>;
  expectedDiffId: string;
}

/**
 * Register `layers` bottom first on `parent` under `owner`: concurrently
 * through registerChain() when the store has it, else one by one.
 * `onRegistered` hears of each layer in order, as soon as it is registered.
 */
export async function registerLayerChain(
  store: ImageLayerStore,
  layers: ChainLayerSource[],
  parent: string | null,
  options: { owner: string; onRegistered?: (index: number, result: LayerRegistration) => void | Promise<void> },
): Promise<LayerRegistration[]> {
  if (store.registerChain) return store.registerChain(layers, parent, options);
  const out: LayerRegistration[] = [];
  let below = parent;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]!;
    const reg = await store.register(await layer.tar(), below, { expectedDiffId: layer.expectedDiffId, owner: options.owner });
    out.push(reg);
    await options.onRegistered?.(i, reg);
    below = reg.chainId;
  }
  return out;
}
