// Unpacks a layer tar (OCI image spec, layer.md) into a directory, in one
// streaming pass that also computes the layer's diffID (the sha256 of the
// uncompressed tar) and, optionally, records tar-split data.
//
// Two whiteout modes (layer.md "Whiteouts"):
//  - 'overlay': the directory is an overlayfs layer; `.wh.name` becomes a 0/0
//    character device and `.wh..wh..opq` the xattr trusted.overlay.opaque=y on
//    its directory, as docker's overlay2 driver stores them.
//  - 'remove': the directory already holds a copy of the parent layers (vfs);
//    whiteouts delete what they name, only among resources of lower layers
//    ("Whiteout files MUST only apply to resources in lower/parent layers").
//
// Safety: member names are cleaned (`../` escaping a relative name is refused,
// absolute names are rooted in the layer), parent directories are resolved
// through symlinks as if the layer root were `/` (containerd's fs.RootPath),
// final components are never followed (O_NOFOLLOW, lchown, lutimes, lsetxattr,
// link(2) without AT_SYMLINK_FOLLOW), and an existing node is removed before a
// member of another kind takes its place. Device nodes are only created as root.

import { createHash } from 'node:crypto';
import { constants as fsConstants, readFileSync } from 'node:fs';
import * as fs from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, readdir, rm, symlink, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { errnoCode, errorMessage, invalidParameter } from '../common/errors.js';
import { lgetxattr, llistxattr, lsetxattr, mknod } from '../common/syscalls.js';
import { decompressed } from './compression.js';
import type { Compression } from './compression.js';
import { baseOf, cleanMemberName, hostPath, joinRel, parentOf, resolveInRoot } from './paths.js';
import { TarReader } from './tar/reader.js';
import type { TarHeader } from './tar/header.js';
import type { TarSplitWriter } from './tarsplit.js';

export type WhiteoutMode = 'overlay' | 'remove';

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';
/** Xattrs overlayfs keeps for itself; never taken from an archive. */
export const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';

export interface ApplyOptions {
  whiteouts: WhiteoutMode;
  /**
   * Overlay mode: the diff dirs of the layers below, nearest first. A whiteout
   * for a name none of them has is not made: in a directory only one layer
   * has, overlayfs lists a whiteout as an entry that cannot be looked up.
   */
  lowerDirs?: string[];
  /** True when `root` is empty before we start (a fresh overlay diff, a base vfs layer): saves lookups. */
  emptyRoot?: boolean;
  /**
   * Overlay mode, for a layer unpacked while the layers below are still
   * being unpacked: whiteouts are made whatever the lower layers hold, and
   * parents the tar does not list are made 0755 root; both are listed in the
   * result's `deferred`, for settleDeferred() once the lower layers are in
   * place. Leave `lowerDirs` unset.
   */
  deferLowerChecks?: boolean;
  tarSplit?: TarSplitWriter;
  /**
   * The input is already the uncompressed tar, taken out of this compression
   * by the caller (an unpack worker that inflates as the bytes arrive).
   */
  inputCompression?: Compression;
  /** Regular files up to this size are read whole and written concurrently. */
  smallFileSize?: number;
  /** Concurrent small-file writes. */
  concurrency?: number;
  /** Bytes of small files read and not yet written, at most (default 1 MiB; one file may go over). */
  maxPendingBytes?: number;
  /**
   * The input's diff ID when it is already known: the input is a plain tar
   * read back from where it was stored under this digest, verified on its
   * way in (a loaded layer in the content store). Not hashed again.
   */
  knownDiffId?: string;
  /**
   * Write file contents with blocking calls, each chunk as soon as it is
   * read: for an unpack worker, whose thread nothing else waits on. No file
   * data outlives the read that brought it, so the inflated buffers die
   * young; held for async writes they were promoted and counted against a
   * worker's small old generation, which then collected itself every
   * ~100 ms (a third of a pull's CPU time).
   */
  syncWrites?: boolean;
  onWarning?: (message: string) => void;
}

export interface ApplyResult {
  /** sha256 of the uncompressed tar: `sha256:<hex>`. */
  diffId: string;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
  /** Sum of the sizes of the regular files unpacked (docker's layer size). */
  size: number;
  compression: Compression;
  /** False when the tar wrote the same path twice, so tar-split cannot rebuild it. */
  tarSplitValid: boolean;
  /** With deferLowerChecks: what depends on the lower layers, for settleDeferred(). */
  deferred?: DeferredLowerChecks;
}

/** Root-relative paths whose fate depends on the layers below (see ApplyOptions.deferLowerChecks). */
export interface DeferredLowerChecks {
  /** Whiteouts made: each stays only if a lower layer has what it names. */
  whiteouts: string[];
  /** Directories made for members whose parents the tar did not list: they take a lower layer's directory attributes. */
  impliedDirs: string[];
}

function readUmask(): number {
  try {
    const match = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return parseInt(match[1]!, 8);
  } catch {
    // not Linux-like /proc: assume the usual
  }
  return 0o022;
}

const UMASK = readUmask();
const IS_ROOT = process.geteuid?.() === 0;
const EUID = process.geteuid?.() ?? 0;
const EGID = process.getegid?.() ?? 0;

/** A bounded set of concurrent writes; the first failure is rethrown by add() or drain(). */
class WritePool {
  private readonly inflight = new Set<Promise<void>>();
  private bytes = 0;
  private failed = false;
  private failure: unknown;

  constructor(
    private readonly maxTasks: number,
    private readonly maxBytes: number,
  ) {}

  private check(): void {
    if (this.failed) throw this.failure;
  }

  /** Starts `task` once there is room; resolves to its completion (wrapped: a promise would be adopted). */
  async add(bytes: number, task: () => Promise<void>): Promise<{ done: Promise<void> }> {
    while (this.inflight.size >= this.maxTasks || (this.inflight.size > 0 && this.bytes + bytes > this.maxBytes)) {
      await Promise.race(this.inflight);
    }
    this.check();
    this.bytes += bytes;
    const run: Promise<void> = task()
      .catch((err: unknown) => {
        if (!this.failed) {
          this.failed = true;
          this.failure = err;
        }
      })
      .finally(() => {
        this.inflight.delete(run);
        this.bytes -= bytes;
      });
    this.inflight.add(run);
    return { done: run };
  }

  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all(this.inflight);
    this.check();
  }
}

// File writes go through node:fs callbacks on raw descriptors: for tens of
// thousands of small files, FileHandle's promise machinery costs more than
// the syscalls it wraps.
function fdCall<T>(run: (done: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))));
}
const openFd = (path: string, flags: number, mode: number): Promise<number> => fdCall((cb) => fs.open(path, flags, mode, cb));
const writevFd = (fd: number, chunks: Buffer[], position: number): Promise<number> => fdCall((cb) => fs.writev(fd, chunks, position, cb));
const fchownFd = (fd: number, uid: number, gid: number): Promise<void> => fdCall((cb) => fs.fchown(fd, uid, gid, cb));
const fchmodFd = (fd: number, mode: number): Promise<void> => fdCall((cb) => fs.fchmod(fd, mode, cb));
const futimesFd = (fd: number, atime: number, mtime: number): Promise<void> => fdCall((cb) => fs.futimes(fd, atime, mtime, cb));
const closeFd = (fd: number): Promise<void> => fdCall((cb) => fs.close(fd, cb));

async function writeAll(fd: number, chunks: Buffer[], position: number): Promise<number> {
  let pos = position;
  let pending = chunks;
  while (pending.length > 0) {
    const total = pending.reduce((n, c) => n + c.length, 0);
    const bytesWritten = await writevFd(fd, pending, pos);
    pos += bytesWritten;
    if (bytesWritten === total) break;
    // Partial write: drop what was written and go on.
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const chunk of pending) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      rest.push(skip > 0 ? chunk.subarray(skip) : chunk);
      skip = 0;
    }
    pending = rest;
  }
  return pos;
}

/** Access time as docker sets it: never before the modification time. */
function accessTime(h: TarHeader): number {
  return h.atime !== undefined && h.atime > h.mtime ? h.atime : h.mtime;
}

const TYPE_BITS = {
  char: fsConstants.S_IFCHR,
  block: fsConstants.S_IFBLK,
  fifo: fsConstants.S_IFIFO,
} as const;

/** Whether some lower layer has `rel` (and no layer above it whited it out). */
async function inLowerLayers(lowers: string[], rel: string): Promise<boolean> {
  for (const lower of lowers) {
    try {
      const stats = await lstat(hostPath(lower, rel));
      return !(stats.isCharacterDevice() && stats.rdev === 0);
    } catch (err) {
      const code = errnoCode(err);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    }
  }
  return false;
}

/** The directory at `rel` in the nearest lower layer that has something there, with its xattrs. */
async function lowerDirectory(lowers: string[], rel: string): Promise<{ stats: Stats; xattrs: Map<string, Buffer> } | null> {
  for (const lower of lowers) {
    let stats: Stats;
    try {
      stats = await lstat(hostPath(lower, rel));
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw err;
    }
    if (!stats.isDirectory()) return null;
    const xattrs = new Map<string, Buffer>();
    for (const name of llistxattr(hostPath(lower, rel))) {
      if (name.startsWith(OVERLAY_XATTR_PREFIX)) continue;
      const value = lgetxattr(hostPath(lower, rel), name);
      if (value !== null) xattrs.set(name, value);
    }
    return { stats, xattrs };
  }
  return null;
}

/** Unpacks the tar in `input` (gzip, zstd or plain) into `root`. */
export async function applyLayer(
  input: AsyncIterable<Uint8Array>,
  root: string,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const warn = options.onWarning ?? (() => {});
  const smallFileSize = options.smallFileSize ?? 1024 * 1024;
  // Bytes in flight are bounded low: V8 counts live buffers against a heap
  // limit, and an unpack worker that kept tens of MiB of file data waiting
  // collected its whole heap again and again.
  const pool = new WritePool(options.concurrency ?? 32, options.maxPendingBytes ?? 1024 * 1024);
  const split = options.tarSplit;
  const overlay = options.whiteouts === 'overlay';

  const hash = createHash('sha256');
  let tarSize = 0;
  let compression: Compression = options.inputCompression ?? 'none';
  const tarBytes = options.inputCompression !== undefined ? input : decompressed(input, (c) => (compression = c));
  const known = options.knownDiffId;
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const chunk of tarBytes) {
      if (known === undefined) hash.update(chunk);
      tarSize += chunk.length;
      yield chunk;
    }
  }
  const reader = new TarReader(hashed(), { onMeta: split ? (bytes) => split.addMeta(bytes) : undefined });

  /** Root-relative real paths this layer wrote. */
  const present = new Set<string>();
  /** Directories created by this layer: they hold nothing it did not write. */
  const owned = new Set<string>();
  if (options.emptyRoot) owned.add('');
  /** Directories known to be setgid (children inherit their group). */
  const setgidDirs = new Set<string>();
  /** Literal parent path in the archive -> resolved real path. */
  const dirCache = new Map<string, string>();
  /** Files being written by the pool, by real path. */
  const pending = new Map<string, Promise<void>>();
  const dirTimes: Array<{ rel: string; atime: number; mtime: number }> = [];
  let size = 0;
  let tarSplitValid = true;
  const deferred: DeferredLowerChecks | undefined = overlay && options.deferLowerChecks ? { whiteouts: [], impliedDirs: [] } : undefined;
  /** Deferred whiteouts still in place (a later member may replace one). */
  const deferredWhiteouts = new Set<string>();
  /** Directories the tar lists (their attributes are the tar's, not a lower layer's). */
  const explicitDirs = new Set<string>();

  const waitPending = async (rel: string): Promise<void> => {
    const p = pending.get(rel);
    if (p) await p;
  };

  const resolveDir = async (literal: string): Promise<string> => {
    if (literal === '') return '';
    const cached = dirCache.get(literal);
    if (cached !== undefined) return cached;
    const real = await resolveInRoot(root, literal, {
      expectDirectory: true,
      beforeLookup: waitPending,
      onMissing: async (rel) => {
        owned.add(rel);
        present.add(rel);
        if (deferred) deferred.impliedDirs.push(rel);
        // A parent the tar did not list. On overlay, a copy of the directory
        // below: an upper directory's attributes are the merged directory's.
        const model = options.lowerDirs ? await lowerDirectory(options.lowerDirs, rel) : null;
        if (model === null) {
          // As docker creates them: 0755, root.
          await mkdir(hostPath(root, rel), 0o755);
          return true;
        }
        const path = hostPath(root, rel);
        await mkdir(path, model.stats.mode & 0o777);
        if (IS_ROOT) await lchown(path, model.stats.uid, model.stats.gid);
        await chmod(path, model.stats.mode & 0o7777);
        for (const [name, value] of model.xattrs) lsetxattr(path, name, value);
        if (model.stats.mode & 0o2000) setgidDirs.add(rel);
        dirTimes.push({ rel, atime: model.stats.atimeMs / 1000, mtime: model.stats.mtimeMs / 1000 });
        return true;
      },
    });
    dirCache.set(literal, real);
    return real;
  };

  const existing = async (rel: string): Promise<Stats | null> => {
    await waitPending(rel);
    if (owned.has(parentOf(rel)) && !present.has(rel)) return null;
    try {
      return await lstat(hostPath(root, rel));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      throw err;
    }
  };

  /** Forgets paths at or under `rel`; true if this layer had written any of them. */
  const forgetUnder = (rel: string): boolean => {
    let hadWritten = false;
    const prefix = rel === '' ? '' : `${rel}/`;
    for (const p of present) {
      if (p === rel || p.startsWith(prefix)) {
        present.delete(p);
        // (A deferred whiteout that gets replaced counts as written, which
        // may be more cautious than the sequential case: tar-split is dropped.)
        deferredWhiteouts.delete(p);
        hadWritten = true;
      }
    }
    for (const p of owned) if (p === rel || p.startsWith(prefix)) owned.delete(p);
    for (const p of explicitDirs) if (p === rel || p.startsWith(prefix)) explicitDirs.delete(p);
    for (const p of setgidDirs) if (p === rel || p.startsWith(prefix)) setgidDirs.delete(p);
    return hadWritten;
  };

  const removePath = async (rel: string, stats: Stats): Promise<void> => {
    if (stats.isDirectory()) {
      // Files under it may still be in flight.
      await pool.drain();
      await rm(hostPath(root, rel), { recursive: true, force: true });
      dirCache.clear();
    } else {
      await unlink(hostPath(root, rel));
      if (stats.isSymbolicLink()) dirCache.clear();
    }
    if (forgetUnder(rel)) tarSplitValid = false;
  };

  const needsChown = (h: TarHeader, parent: string): boolean => {
    if (!IS_ROOT) return false;
    if (h.uid !== EUID || h.gid !== EGID) return true;
    // A setgid parent gives new files its group; an unknown parent might be one.
    return setgidDirs.has(parent) || !owned.has(parent);
  };

  const setXattrs = (path: string, h: TarHeader): void => {
    for (const [name, value] of h.xattrs) {
      if (name.startsWith(OVERLAY_XATTR_PREFIX)) {
        warn(`${h.name}: ignoring overlay xattr ${name} from the archive`);
        continue;
      }
      try {
        lsetxattr(path, name, value);
      } catch (err) {
        // As docker: not every filesystem takes every namespace (user.* on symlinks, security.*).
        const code = errnoCode(err);
        if (code === 'ENOTSUP' || code === 'EPERM' || code === 'EOPNOTSUPP') {
          warn(`${h.name}: cannot set xattr ${name}: ${errorMessage(err)}`);
          continue;
        }
        throw err;
      }
    }
  };

  const writeFile = async (rel: string, parent: string, h: TarHeader, chunks: AsyncIterable<Buffer> | Buffer[]): Promise<void> => {
    const path = hostPath(root, rel);
    const fd = await openFd(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, h.mode & 0o777);
    try {
      if (Array.isArray(chunks)) {
        if (chunks.length > 0) await writeAll(fd, chunks, 0);
      } else {
        let position = 0;
        let batch: Buffer[] = [];
        let batchSize = 0;
        for await (const chunk of chunks) {
          batch.push(chunk);
          batchSize += chunk.length;
          if (batchSize >= 1024 * 1024) {
            position = await writeAll(fd, batch, position);
            batch = [];
            batchSize = 0;
          }
        }
        if (batch.length > 0) await writeAll(fd, batch, position);
      }
      const chowned = needsChown(h, parent);
      if (chowned) await fchownFd(fd, h.uid, h.gid);
      // chown clears setuid/setgid, and the umask trimmed the open() mode.
      if (chowned || (h.mode & 0o7000) !== 0 || (h.mode & ~UMASK & 0o777) !== (h.mode & 0o777)) {
        await fchmodFd(fd, h.mode & 0o7777);
      }
      if (h.xattrs.size > 0) setXattrs(path, h);
      await futimesFd(fd, accessTime(h), h.mtime);
    } finally {
      await closeFd(fd);
    }
  };

  /** writeFile() with blocking calls (options.syncWrites): each chunk is written as it comes. */
  const writeFileNow = async (rel: string, parent: string, h: TarHeader, chunks: AsyncIterable<Buffer>): Promise<void> => {
    const path = hostPath(root, rel);
    const fd = fs.openSync(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, h.mode & 0o777);
    try {
      let position = 0;
      for await (const chunk of chunks) {
        for (let off = 0; off < chunk.length; ) {
          const n = fs.writeSync(fd, chunk, off, chunk.length - off, position);
          off += n;
          position += n;
        }
      }
      const chowned = needsChown(h, parent);
      if (chowned) fs.fchownSync(fd, h.uid, h.gid);
      // chown clears setuid/setgid, and the umask trimmed the open() mode.
      if (chowned || (h.mode & 0o7000) !== 0 || (h.mode & ~UMASK & 0o777) !== (h.mode & 0o777)) fs.fchmodSync(fd, h.mode & 0o7777);
      if (h.xattrs.size > 0) setXattrs(path, h);
      fs.futimesSync(fd, accessTime(h), h.mtime);
    } finally {
      fs.closeSync(fd);
    }
  };

  /** chown + chmod + xattrs of a node we just made or a directory we keep. */
  /** `existed`: a directory that was there before this member (its owner is not ours to assume). */
  const setMetadata = async (rel: string, parent: string, h: TarHeader, kind: 'dir' | 'symlink' | 'node', existed = false): Promise<void> => {
    const path = hostPath(root, rel);
    const chowned = existed ? IS_ROOT : needsChown(h, parent);
    if (chowned) await lchown(path, h.uid, h.gid);
    if (kind !== 'symlink') {
      if (kind === 'dir' || chowned || (h.mode & 0o7000) !== 0 || (h.mode & ~UMASK & 0o777) !== (h.mode & 0o777)) {
        await chmod(path, h.mode & 0o7777);
      }
    }
    if (h.xattrs.size > 0) setXattrs(path, h);
  };

  const whiteout = async (parentLiteral: string, name: string, h: TarHeader): Promise<void> => {
    if (name === '' || name === '.' || name === '..' || name.includes('/')) {
      throw invalidParameter(`invalid whiteout ${JSON.stringify(h.name)}`);
    }
    const parent = await resolveDir(parentLiteral);
    const target = joinRel(parent, name);
    // Only resources of lower layers are whited out (layer.md).
    if (present.has(target)) return;
    if (overlay) {
      if (!deferred && options.lowerDirs !== undefined && !(await inLowerLayers(options.lowerDirs, target))) return;
      const stats = await existing(target);
      if (stats) await removePath(target, stats);
      mknod(hostPath(root, target), fsConstants.S_IFCHR, 0, 0);
      if (IS_ROOT && (h.uid !== 0 || h.gid !== 0)) await lchown(hostPath(root, target), h.uid, h.gid);
      present.add(target);
      if (deferred) deferredWhiteouts.add(target);
    } else {
      const stats = await existing(target);
      if (stats) await removePath(target, stats);
    }
  };

  const opaque = async (dirLiteral: string): Promise<void> => {
    const dir = await resolveDir(dirLiteral);
    if (overlay) {
      lsetxattr(hostPath(root, dir), OVERLAY_OPAQUE_XATTR, Buffer.from('y'));
      return;
    }
    // Hide every lower resource under dir, whenever the marker came (layer.md).
    await pool.drain();
    const prune = async (rel: string): Promise<void> => {
      for (const entry of await readdir(hostPath(root, rel), { withFileTypes: true })) {
        const child = joinRel(rel, entry.name);
        if (!present.has(child)) {
          await rm(hostPath(root, child), { recursive: true, force: true });
        } else if (entry.isDirectory() && !owned.has(child)) {
          await prune(child);
        }
      }
    };
    await prune(dir);
    dirCache.clear();
  };

  try {
    for (let h = await reader.next(); h !== null; h = await reader.next()) {
      const rel = cleanMemberName(h.name);
      const base = baseOf(rel);
      const parentLiteral = parentOf(rel);

      if (base.startsWith(WHITEOUT_PREFIX)) {
        if (base === WHITEOUT_OPAQUE) await opaque(parentLiteral);
        else if (!base.startsWith(WHITEOUT_META_PREFIX)) await whiteout(parentLiteral, base.slice(WHITEOUT_PREFIX.length), h);
        // Other .wh..wh. names are aufs bookkeeping: skipped, as docker does.
        continue;
      }

      if (rel === '') {
        // The root itself: only a directory's metadata applies.
        if (h.type === 'directory') {
          await setMetadata('', '', h, 'dir');
          dirTimes.push({ rel: '', atime: accessTime(h), mtime: h.mtime });
        } else {
          warn(`ignoring ${h.type} member for the layer root`);
        }
        continue;
      }

      const parent = await resolveDir(parentLiteral);
      const dest = joinRel(parent, base);
      const destPath = hostPath(root, dest);
      let stats = await existing(dest);
      if (stats && !(stats.isDirectory() && h.type === 'directory')) {
        await removePath(dest, stats);
        stats = null;
      }

      switch (h.type) {
        case 'directory': {
          if (!stats) {
            await mkdir(destPath, h.mode & 0o777);
            owned.add(dest);
          }
          explicitDirs.add(dest);
          await setMetadata(dest, parent, h, 'dir', stats !== null);
          if (h.mode & 0o2000) setgidDirs.add(dest);
          else setgidDirs.delete(dest);
          dirTimes.push({ rel: dest, atime: accessTime(h), mtime: h.mtime });
          break;
        }
        case 'file': {
          size += h.size;
          if (h.size > 0) await split?.addFile(dest, h.size);
          if (options.syncWrites) {
            await writeFileNow(dest, parent, h, reader.body());
          } else if (h.size <= smallFileSize) {
            const chunks = await reader.readBody();
            const { done: task } = await pool.add(h.size, () => writeFile(dest, parent, h, chunks));
            pending.set(dest, task);
            void task.finally(() => {
              if (pending.get(dest) === task) pending.delete(dest);
            });
          } else {
            await writeFile(dest, parent, h, reader.body());
          }
          break;
        }
        case 'hardlink': {
          const targetLiteral = cleanMemberName(h.linkname);
          if (targetLiteral === '') throw invalidParameter(`invalid hard link ${JSON.stringify(h.name)} to the layer root`);
          const targetParent = await resolveInRoot(root, parentOf(targetLiteral), { beforeLookup: waitPending });
          const target = joinRel(targetParent, baseOf(targetLiteral));
          await waitPending(target);
          try {
            await link(hostPath(root, target), destPath);
          } catch (err) {
            if (errnoCode(err) === 'ENOENT') {
              throw invalidParameter(`invalid hard link ${JSON.stringify(h.name)}: target ${JSON.stringify(h.linkname)} does not exist in the layer`);
            }
            throw err;
          }
          break;
        }
        case 'symlink': {
          await symlink(h.linkname, destPath);
          await setMetadata(dest, parent, h, 'symlink');
          await lutimes(destPath, accessTime(h), h.mtime);
          break;
        }
        case 'char':
        case 'block':
        case 'fifo': {
          if (!IS_ROOT && h.type !== 'fifo') {
            warn(`${h.name}: skipping device node (not root)`);
            continue;
          }
          mknod(destPath, TYPE_BITS[h.type] | (h.mode & 0o777), h.devmajor, h.devminor);
          await setMetadata(dest, parent, h, 'node');
          await lutimes(destPath, accessTime(h), h.mtime);
          break;
        }
      }
      present.add(dest);
    }
    await pool.drain();
    // Directory times last: writing into a directory changes its mtime.
    for (let i = 0; i < dirTimes.length; i += 64) {
      await Promise.all(
        dirTimes.slice(i, i + 64).map(async ({ rel, atime, mtime }) => {
          try {
            await lutimes(hostPath(root, rel), atime, mtime);
          } catch (err) {
            // removed or replaced by a later member
            if (errnoCode(err) !== 'ENOENT') throw err;
          }
        }),
      );
    }
  } catch (err) {
    await pool.drain().catch(() => {});
    await reader.close().catch(() => {});
    throw err;
  }
  const result: ApplyResult = { diffId: known ?? `sha256:${hash.digest('hex')}`, tarSize, size, compression, tarSplitValid };
  if (deferred) {
    deferred.whiteouts = [...deferredWhiteouts];
    // Directories the tar listed after all, or that a later member replaced, are no longer implied.
    deferred.impliedDirs = [...new Set(deferred.impliedDirs)].filter((rel) => owned.has(rel) && present.has(rel) && !explicitDirs.has(rel));
    result.deferred = deferred;
  }
  return result;
}

/**
 * Completes a layer unpacked with deferLowerChecks, once the layers below it
 * (`lowerDirs`, nearest first) are complete: drops the whiteouts that name
 * nothing below, and gives implied directories the attributes of the lower
 * directory they stand for, as applyLayer() would have done with lowerDirs.
 */
export async function settleDeferred(root: string, lowerDirs: string[], deferred: DeferredLowerChecks): Promise<void> {
  for (const rel of deferred.whiteouts) {
    if (await inLowerLayers(lowerDirs, rel)) continue;
    // Removing an entry touches its directory: keep the times applyLayer() gave it.
    const parent = hostPath(root, parentOf(rel));
    const before = await lstat(parent);
    await unlink(hostPath(root, rel));
    await lutimes(parent, before.atimeMs / 1000, before.mtimeMs / 1000);
  }
  // Parents first: a child's times are set after its parent's chmod/chown.
  for (const rel of [...deferred.impliedDirs].sort()) {
    const model = await lowerDirectory(lowerDirs, rel);
    if (model === null) continue;
    const path = hostPath(root, rel);
    if (IS_ROOT) await lchown(path, model.stats.uid, model.stats.gid);
    await chmod(path, model.stats.mode & 0o7777);
    for (const [name, value] of model.xattrs) lsetxattr(path, name, value);
    await lutimes(path, model.stats.atimeMs / 1000, model.stats.mtimeMs / 1000);
  }
}
