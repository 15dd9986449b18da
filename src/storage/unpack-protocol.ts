// Messages between the layer store and its unpack workers (unpack-worker.ts,
// unpacker.ts). Compressed bytes travel through a SharedArrayBuffer of
// fixed-size slots per job: the main thread copies into a free slot and says
// which one; the worker reads it in place (hashing it, writing it to the
// content store's file when the job tees, feeding it to the decompressor)
// and hands the slot back once the decompressor has taken it in. Nothing is
// serialized per chunk, and the main thread allocates nothing per chunk (its
// garbage collector was a third of a pull).
import type { ApplyResult, WhiteoutMode } from './apply.js';

export const SLOT_SIZE = 512 * 1024;
/** Slots per job: what may be in flight between the two threads. */
export const SLOTS = 8;

export interface UnpackJobOptions {
  whiteouts: WhiteoutMode;
  emptyRoot?: boolean;
  lowerDirs?: string[];
  deferLowerChecks?: boolean;
  /** Where the worker writes the tar-split record (see tarsplit.ts). */
  tarSplitPath?: string;
}

/** A job that also stores its compressed input (see layer-input.ts). */
export interface TeeTarget {
  /** An open file (this process's descriptor) to write the input's bytes to, each at its offset. */
  fd: number;
}

export type ToWorker =
  | { t: 'start'; id: number; root: string; options: UnpackJobOptions; buffer: SharedArrayBuffer; tee?: TeeTarget }
  | { t: 'data'; id: number; slot: number; length: number }
  | { t: 'end'; id: number }
  | { t: 'abort'; id: number };

/** An error as it crosses the thread boundary. */
export interface SerializedError {
  message: string;
  /** EngineError's kind. */
  kind?: string;
  /** A TarFormatError (message without its "archive/tar: " prefix). */
  tarFormat?: boolean;
  /** errno code, e.g. 'ENOSPC'. */
  code?: string;
}

export type FromWorker =
  | { t: 'slot'; id: number; slot: number }
  | { t: 'warning'; id: number; message: string }
  /** A teeing job's input has ended: every byte is written; its sha256 and size. */
  | { t: 'blob'; id: number; digest: string; size: number }
  | { t: 'done'; id: number; result: ApplyResult }
  | { t: 'failed'; id: number; error: SerializedError };
