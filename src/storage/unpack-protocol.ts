// Messages between the layer store and its unpack workers (unpack-worker.ts,
// unpacker.ts). Compressed bytes travel through a SharedArrayBuffer of
// fixed-size slots per job: the main thread copies into a free slot and says
// which one; the worker reads it in place (hashing it, writing it to the
// content store's file when the job tees, feeding it to the decompressor)
// and hands the slot back once the decompressor has taken it in. Nothing is
// serialized per chunk, and the main thread allocates nothing per chunk.
//
// A download (a job with `fetch`), or a stored blob (`file`), does not pass
// through the main thread at all: the worker GETs the blob itself, with the
// URL and headers the main thread's registry session prepared, or reads the
// file, and only reports progress. A socket or a file stream allocates a
// buffer per read, and those buffers set off the main heap's garbage
// collector (the daemon's whole heap, marked twice per 100 MB); the worker
// reads into slots of its own.
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

/** A blob for the worker to download (plain data; made by the main thread's registry session). */
export interface BlobRequest {
  url: string;
  /** The registry's origin: `headers` (credentials) go there only, never to a host a redirect leads to. */
  origin: string;
  headers: Record<string, string>;
  /** Headers for any other origin. */
  otherHeaders: Record<string, string>;
  tls?: { insecureSkipVerify?: boolean; ca?: string[]; cert?: string; key?: string };
}

/** A final answer to a BlobRequest that is not the blob (the main thread words the error, or asks again). */
export interface BlobAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body, as text, up to 1 MiB. */
  body: string;
  /** The URL that answered (after redirects). */
  url: string;
}

export type ToWorker =
  | {
      t: 'start';
      id: number;
      root: string;
      options: UnpackJobOptions;
      buffer?: SharedArrayBuffer;
      tee?: TeeTarget;
      fetch?: BlobRequest;
      /** A stored blob the worker reads itself (see StoredLayerInput). */
      file?: { path: string; digest: string };
    }
  /** The request to try instead, after an answer that was not the blob. */
  | { t: 'refetch'; id: number; fetch: BlobRequest }
  /**
   * Gzip a layer's plain tar (from the slots, or a stored file) into an open
   * file, hashing what is written: a layer to push that has no compressed blob.
   */
  | { t: 'compress'; id: number; buffer?: SharedArrayBuffer; file?: { path: string }; out: TeeTarget }
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
  /** The job's download failed without an answer (refused, reset...): where, and the socket's details. */
  fetch?: { url: string; address?: string; port?: number; hostname?: string };
}

export type FromWorker =
  | { t: 'slot'; id: number; slot: number }
  | { t: 'warning'; id: number; message: string }
  /** A teeing job's input has ended: every byte is written; its sha256 and size. */
  | { t: 'blob'; id: number; digest: string; size: number }
  /** A downloading (or file-reading) job's bytes: received, and taken in by the unpack. */
  | { t: 'progress'; id: number; read: number; consumed: number }
  /** A downloading job got an answer that is not the blob; it waits for 'refetch' or 'abort'. */
  | { t: 'answer'; id: number; answer: BlobAnswer }
  | { t: 'done'; id: number; result: ApplyResult }
  /** A compress job is done: the sha256 and size of what it wrote. */
  | { t: 'compressed'; id: number; digest: string; size: number }
  | { t: 'failed'; id: number; error: SerializedError };
