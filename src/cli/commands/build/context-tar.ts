// The build context of a local directory as the docker CLI sends it: moby's
// archive.TarWithOptions with the .dockerignore patterns and ChownOpts 0:0
// (cli/command/image/build.go). Entries come in filepath.WalkDir order
// (names sorted bytewise, a directory before its contents), the root itself
// left out; directories end in '/'; modes are the permission bits plus
// setuid/setgid/sticky; uid and gid are 0, user and group names empty;
// mtimes whole seconds; a file seen again through a hard link becomes a link
// to the first name; sockets are left out.
//
// Speed: the walk (lstat of every entry) happens first, so unreadable files
// are reported before anything is sent, as docker's ValidateContextDirectory
// does; then file contents are read synchronously straight into large
// chunks that a Readable hands to the socket, one chunk per read() call (no
// per-file promises, no copies).
import type { Readable as ReadableType } from 'node:stream';

import { PatternMatcher, type MatchInfo } from '../../../build/dockerignore.js';
import {
  BLOCK_SIZE,
  TYPE_BLOCK,
  TYPE_CHAR,
  TYPE_DIR,
  TYPE_FIFO,
  TYPE_LINK,
  TYPE_REG,
  TYPE_SYMLINK,
  headerSize,
  paddedSize,
  writeHeader,
  type TarHeader,
} from './tar-header.js';

// Builtins through process.getBuiltinModule, as the rest of the CLI (an ESM
// import of a builtin builds a facade that loads more than it needs).
const fs = process.getBuiltinModule('node:fs');
const path = process.getBuiltinModule('node:path');
const { Readable } = process.getBuiltinModule('node:stream');

/** One entry of the context: its header and, for regular files with data, where to read it. */
export interface ContextEntry {
  header: TarHeader;
  /** Absolute path to read the content from (regular files with size > 0). */
  source?: string;
  /** Content given in memory instead of a file (the added Dockerfile, the amended .dockerignore). */
  content?: Buffer;
}

/** docker's "error checking context: ..." failures. */
export class ContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContextError';
  }
}

// Go compares names as bytes; JS strings compare as UTF-16 units, which
// differs only when astral and high-BMP characters meet.
function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  if (/^[\x00-\x7f]*$/.test(a) && /^[\x00-\x7f]*$/.test(b)) return a < b ? -1 : 1;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

// Linux's dev_t encoding (glibc major()/minor()).
function major(dev: number): number {
  const big = BigInt(dev);
  return Number(((big >> 8n) & 0xfffn) | ((big >> 32n) & ~0xfffn));
}
function minor(dev: number): number {
  const big = BigInt(dev);
  return Number((big & 0xffn) | ((big >> 12n) & ~0xffn));
}

/** Go's tar.FileInfoHeader mode: permission bits plus setuid/setgid/sticky. */
function tarMode(mode: number): number {
  return mode & 0o7777;
}

export interface WalkOptions {
  /** Exclude patterns (.dockerignore plus the CLI's exceptions for the build files). */
  excludes: readonly string[];
  /** Owner written in every header (docker's ChownOpts; 0:0 for build contexts). */
  chown?: { uid: number; gid: number };
  /** Relative names whose entries are replaced (by name) with in-memory content; see amend. */
  amend?: ReadonlyMap<string, (entry: ContextEntry) => ContextEntry>;
}

const canCheckAccess = typeof process.getuid === 'function' && process.getuid() !== 0;

/**
 * Lists the entries of `root` as docker's tarballer would write them
 * (synchronous: a few thousand lstat calls are faster without promises).
 * Throws ContextError for what docker's ValidateContextDirectory rejects.
 */
export function walkContext(root: string, options: WalkOptions): ContextEntry[] {
  const matcher = options.excludes.length > 0 ? new PatternMatcher(options.excludes) : undefined;
  const entries: ContextEntry[] = [];
  const seenInodes = new Map<string, string>();
  const chown = options.chown;

  const visit = (dir: string, rel: string, parentInfo: MatchInfo | undefined): void => {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') throw new ContextError(`can't stat '${dir}'`);
      // vanished meanwhile: docker logs and goes on
      return;
    }
    names.sort(compareNames);
    for (const name of names) {
      const relPath = rel === '' ? name : `${rel}/${name}`;
      const full = `${dir}/${name}`;
      let st: import('node:fs').Stats;
      try {
        st = fs.lstatSync(full);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM') throw new ContextError(`can't stat '${full}'`);
        continue;
      }
      const isDir = st.isDirectory();
      let info: MatchInfo | undefined;
      if (matcher) {
        const result = matcher.matchesUsingParentResults(relPath, parentInfo);
        info = result.info;
        if (result.matched) {
          // An excluded directory is still walked when an exception may re-include something below it.
          if (isDir && matcher.excludedDirNeedsWalk(relPath)) visit(full, relPath, info);
          continue;
        }
      }
      const entry = entryFor(full, relPath, st, seenInodes, chown);
      if (entry) {
        const amend = options.amend?.get(relPath);
        entries.push(amend ? amend(entry) : entry);
      }
      if (isDir) visit(full, relPath, info);
    }
  };

  visit(root.replace(/\/+$/, '') || '/', '', undefined);
  return entries;
}

function entryFor(full: string, relPath: string, st: import('node:fs').Stats, seenInodes: Map<string, string>, chown: WalkOptions['chown']): ContextEntry | undefined {
  const header: TarHeader = {
    name: relPath,
    mode: tarMode(st.mode),
    uid: chown ? chown.uid : st.uid,
    gid: chown ? chown.gid : st.gid,
    size: 0,
    mtime: Math.floor(st.mtimeMs / 1000),
    typeflag: TYPE_REG,
  };
  if (st.isFile()) {
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = seenInodes.get(key);
      if (first !== undefined) {
        header.typeflag = TYPE_LINK;
        header.linkname = first;
        return { header };
      }
      seenInodes.set(key, relPath);
    }
    if (canCheckAccess) {
      try {
        fs.accessSync(full, fs.constants.R_OK);
      } catch {
        throw new ContextError(`no permission to read from '${full}'`);
      }
    }
    header.size = st.size;
    return st.size > 0 ? { header, source: full } : { header };
  }
  if (st.isDirectory()) {
    header.name = `${relPath}/`;
    header.typeflag = TYPE_DIR;
    return { header };
  }
  if (st.isSymbolicLink()) {
    header.typeflag = TYPE_SYMLINK;
    try {
      header.linkname = fs.readlinkSync(full);
    } catch {
      return undefined;
    }
    return { header };
  }
  if (st.isFIFO()) {
    header.typeflag = TYPE_FIFO;
    return { header };
  }
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    header.typeflag = st.isCharacterDevice() ? TYPE_CHAR : TYPE_BLOCK;
    header.devmajor = major(st.rdev);
    header.devminor = minor(st.rdev);
    return { header };
  }
  // sockets: Go's tar cannot archive them; docker logs the error and skips the file
  return undefined;
}

const CHUNK_SIZE = 1 << 20;
const END_OF_ARCHIVE = BLOCK_SIZE * 2;

/**
 * The entries as a tar stream (with Go's two zero blocks at the end). With
 * endAfterLastData the archive stops right after the last entry's data, no
 * padding and no end blocks: what docker's archive.ReplaceFileTarWrapper
 * sends (its tar writer is closed after the pipe it writes to), which
 * dockerd and berthd accept. File
 * contents are read when the consumer asks for more, synchronously into
 * 1 MiB chunks; a file that shrank since the walk is padded with zeros, one
 * that grew is cut at its walked size (the header is already out).
 */
export function tarStream(entries: readonly ContextEntry[], options: { endAfterLastData?: boolean } = {}): ReadableType {
  let index = 0;
  // what is being copied: bytes from an open file or from memory, then zero padding
  let fd = -1;
  let memory: Buffer | undefined;
  let memoryOffset = 0;
  let remaining = 0;
  let padding = 0;
  let endWritten = false;

  const closeFile = (): void => {
    if (fd >= 0) fs.closeSync(fd);
    fd = -1;
  };

  const startEntry = (entry: ContextEntry, chunk: Buffer, pos: number): number => {
    const size = headerSize(entry.header);
    let written = 0;
    if (pos + size <= CHUNK_SIZE) {
      chunk.fill(0, pos, pos + size);
      written = writeHeader(chunk, pos, entry.header);
    } else {
      // the header crosses the chunk boundary: copy it from memory like content
      const header = Buffer.alloc(size);
      writeHeader(header, 0, entry.header);
      memory = header;
      memoryOffset = 0;
      remaining = size;
    }
    const dataSize = entry.content ? entry.content.length : entry.header.typeflag === TYPE_REG ? entry.header.size : 0;
    if (memory !== undefined && remaining > 0) {
      // header pending in memory; content follows through the queue below
      queued = entry;
      return written;
    }
    beginData(entry, dataSize);
    return written;
  };

  let queued: ContextEntry | undefined;
  const beginData = (entry: ContextEntry, dataSize: number): void => {
    padding = paddedSize(dataSize) - dataSize;
    if (options.endAfterLastData && index >= entries.length) padding = 0;
    if (dataSize === 0) return;
    remaining = dataSize;
    if (entry.content) {
      memory = entry.content;
      memoryOffset = 0;
      return;
    }
    try {
      fd = entry.source ? fs.openSync(entry.source, 'r') : -1;
    } catch {
      // vanished or unreadable since the walk: zeros keep the archive well-formed
      fd = -1;
    }
  };

  const fill = (): Buffer | null => {
    if (endWritten && remaining === 0 && padding === 0) return null;
    // not zeroed: headers, padding and missing bytes are zeroed where they go
    const chunk = Buffer.allocUnsafe(CHUNK_SIZE);
    let pos = 0;
    while (pos < CHUNK_SIZE) {
      if (remaining > 0) {
        const want = Math.min(remaining, CHUNK_SIZE - pos);
        let got = 0;
        if (memory) {
          got = memory.copy(chunk, pos, memoryOffset, memoryOffset + want);
          memoryOffset += got;
        } else if (fd >= 0) {
          try {
            got = fs.readSync(fd, chunk, pos, want, null);
          } catch {
            got = 0;
          }
        }
        // a file that shrank: zeros stand in for the missing bytes
        if (got === 0) {
          chunk.fill(0, pos, pos + want);
          got = want;
        }
        pos += got;
        remaining -= got;
        if (remaining === 0) {
          closeFile();
          memory = undefined;
          if (queued) {
            const entry = queued;
            queued = undefined;
            beginData(entry, entry.content ? entry.content.length : entry.header.typeflag === TYPE_REG ? entry.header.size : 0);
          }
        }
        continue;
      }
      if (padding > 0) {
        const take = Math.min(padding, CHUNK_SIZE - pos);
        chunk.fill(0, pos, pos + take);
        pos += take;
        padding -= take;
        continue;
      }
      if (endWritten) break;
      if (index >= entries.length) {
        endWritten = true;
        if (options.endAfterLastData) break;
        padding = END_OF_ARCHIVE;
        continue;
      }
      pos += startEntry(entries[index++]!, chunk, pos);
    }
    if (pos === 0) return null;
    return pos === CHUNK_SIZE ? chunk : chunk.subarray(0, pos);
  };

  return new Readable({
    highWaterMark: CHUNK_SIZE,
    read() {
      try {
        this.push(fill());
      } catch (err) {
        this.destroy(err as Error);
      }
    },
    destroy(err, callback) {
      closeFile();
      callback(err);
    },
  });
}

/** Convenience for tests and small contexts: the whole archive in memory. */
export async function tarBuffer(entries: readonly ContextEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of tarStream(entries)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Joins a context root and a relative slash path. */
export function contextPath(root: string, rel: string): string {
  return path.join(root, ...rel.split('/'));
}
