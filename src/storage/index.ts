// The storage concern's public surface: the layer store (see store.ts for the
// model and a worked example), chain IDs, and the shapes it returns.

export { LayerStore, chainIdOf, chainIds } from './store.js';
export type { DriverChoice, LayerInfo, LayerStoreOptions, RWLayerInfo, RegisterOptions, RegisterResult } from './store.js';
export { CHANGE_KIND_CODE } from './diff.js';
export type { Change, ChangeKind } from './diff.js';
export type { DriverName } from './driver.js';
export { detectCompression } from './compression.js';
export type { Compression } from './compression.js';
export { StoredLayerInput, TeedLayerInput } from './layer-input.js';
export type { BlobSink, RemoteSource, TeedLayerInputOptions } from './layer-input.js';
export type { BlobAnswer, BlobRequest } from './unpack-protocol.js';
export { TarReader } from './tar/reader.js';
export { compressLayer } from './unpacker.js';
