// What a layer changed, as a list (`docker diff`), a size (`ps -s`,
// `system df`) and a tar (commit, build, and layers whose tar-split is gone).
//
// Two ways to know what changed, as docker's drivers have:
//  - an overlay upper dir is the diff: its 0/0 character devices are
//    deletions and its opaque directories hide their lower contents;
//  - a vfs layer is a full copy: compare it with its parent's copy (docker's
//    "naive diff"), by type, mode, owner, device, size, mtime and file
//    capabilities — not by content, as docker does not either.

import { constants as fsConstants } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { errnoCode } from '../common/errors.js';
import { lgetxattr, llistxattr, splitDev } from '../common/syscalls.js';
import { OVERLAY_OPAQUE_XATTR, OVERLAY_XATTR_PREFIX, WHITEOUT_OPAQUE, WHITEOUT_PREFIX } from './apply.js';
import { baseOf, hostPath, joinRel, parentOf } from './paths.js';
import { emptyHeader } from './tar/header.js';
import type { TarEntryType, TarHeader } from './tar/header.js';
import type { TarMember } from './tar/writer.js';

/** `docker diff` kinds; the Engine API encodes them 0 (C), 1 (A), 2 (D). */
export type ChangeKind = 'A' | 'C' | 'D';

export interface Change {
  /** Absolute path inside the container, e.g. `/etc/hosts`. */
  path: string;
  kind: ChangeKind;
}

export const CHANGE_KIND_CODE: Record<ChangeKind, number> = { C: 0, A: 1, D: 2 };

interface Node {
  rel: string;
  stats: BigIntStats;
}

async function lstatOrNull(path: string): Promise<BigIntStats | null> {
  try {
    return await lstat(path, { bigint: true });
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/** Byte-wise order of names, as Go sorts strings (docker's walk order). */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function sortedChildren(root: string, rel: string): Promise<Node[]> {
  const names = (await readdir(hostPath(root, rel))).sort(compareNames);
  const nodes = await Promise.all(
    names.map(async (name) => {
      const child = joinRel(rel, name);
      const stats = await lstatOrNull(hostPath(root, child));
      return stats ? { rel: child, stats } : null;
    }),
  );
  return nodes.filter((n): n is Node => n !== null);
}

/** Every node under root (not root itself), depth first, children in name order. */
export async function* walkTree(root: string, rel = ''): AsyncGenerator<Node> {
  for (const node of await sortedChildren(root, rel)) {
    yield node;
    if (node.stats.isDirectory()) yield* walkTree(root, node.rel);
  }
}

export function isWhiteout(stats: BigIntStats): boolean {
  return stats.isCharacterDevice() && stats.rdev === 0n;
}

function isOpaque(path: string): boolean {
  const value = lgetxattr(path, OVERLAY_OPAQUE_XATTR);
  return value !== null && value.length === 1 && value[0] === 0x79; // 'y'
}

/** The lower layers' view of `rel`: its stats if some lower has it and no higher lower whited it out. */
async function lowerStats(lowers: string[], rel: string): Promise<BigIntStats | null> {
  for (const lower of lowers) {
    const stats = await lstatOrNull(hostPath(lower, rel));
    if (stats === null) continue;
    return isWhiteout(stats) ? null : stats;
  }
  return null;
}

function sameTime(a: BigIntStats, b: BigIntStats): boolean {
  // As docker's sameFsTime: equal, or equal seconds when one side lost its nanoseconds.
  if (a.mtimeNs === b.mtimeNs) return true;
  const second = 1_000_000_000n;
  return a.mtimeNs / second === b.mtimeNs / second && (a.mtimeNs % second === 0n || b.mtimeNs % second === 0n);
}

/** Changes of an overlay upper dir over its lower dirs (top-most first), as docker's OverlayChanges. */
export async function overlayChanges(upper: string, lowers: string[]): Promise<Change[]> {
  const changes: Change[] = [];
  const changedDirs = new Set<string>();
  const walk = async (rel: string): Promise<void> => {
    for (const { rel: child, stats } of await sortedChildren(upper, rel)) {
      const path = `/${child}`;
      let kind: ChangeKind;
      let descend = stats.isDirectory();
      const lower = await lowerStats(lowers, child);
      if (isWhiteout(stats)) {
        kind = 'D';
      } else if (stats.isDirectory() && isOpaque(hostPath(upper, child)) && lower !== null) {
        // Deleted and made again: the old contents are gone, what is inside is new.
        kind = 'D';
      } else if (lower === null) {
        kind = 'A';
      } else {
        if (
          stats.isDirectory() &&
          lower.isDirectory() &&
          stats.size === lower.size &&
          stats.mode === lower.mode &&
          sameTime(stats, lower)
        ) {
          // A directory copied up only because something under it changed.
          if (descend) await walk(child);
          continue;
        }
        kind = 'C';
      }
      // Every directory above a change is reported changed, as dockerd's naive diff does (the one
      // it uses on kernels with overlay redirect_dir, this one included): `C /etc` before `A /etc/x`.
      const ancestors = child.split('/').slice(0, -1);
      for (let depth = 1; depth <= ancestors.length; depth++) {
        const dir = `/${ancestors.slice(0, depth).join('/')}`;
        if (changedDirs.has(dir)) continue;
        changes.push({ path: dir, kind: 'C' });
        changedDirs.add(dir);
      }
      if (stats.isDirectory()) changedDirs.add(path);
      changes.push({ path, kind });
      if (kind === 'D' && stats.isDirectory()) {
        // An opaque directory: report what it now holds as added.
        for await (const node of walkTree(upper, child)) {
          if (!isWhiteout(node.stats)) changes.push({ path: `/${node.rel}`, kind: 'A' });
        }
        descend = false;
      }
      if (descend) await walk(child);
    }
  };
  await walk('');
  return changes;
}

function capability(path: string): Buffer | null {
  try {
    return lgetxattr(path, 'security.capability');
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOTSUP' || code === 'EOPNOTSUPP') return null;
    throw err;
  }
}

function statDifferent(a: BigIntStats, b: BigIntStats): boolean {
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev) return true;
  // Size and mtime say nothing useful about directories (moby#9874).
  if (a.isDirectory()) return false;
  return !sameTime(a, b) || a.size !== b.size;
}

/**
 * Changes of directory `layer` against `parent` (null: everything is added),
 * as docker's naive ChangesDirs, sorted by path.
 */
export async function naiveChanges(layer: string, parent: string | null): Promise<Change[]> {
  const changes: Change[] = [];
  const walk = async (rel: string, parentHasDir: boolean): Promise<void> => {
    const mine = await sortedChildren(layer, rel);
    const theirs = parentHasDir && parent !== null ? await sortedChildren(parent, rel) : [];
    const theirByName = new Map(theirs.map((n) => [baseOf(n.rel), n]));
    for (const node of mine) {
      const old = theirByName.get(baseOf(node.rel));
      theirByName.delete(baseOf(node.rel));
      if (old === undefined) {
        changes.push({ path: `/${node.rel}`, kind: 'A' });
        if (node.stats.isDirectory()) await walkAdded(node.rel);
        continue;
      }
      let added = false;
      if (
        statDifferent(old.stats, node.stats) ||
        !sameBytes(capability(hostPath(parent!, node.rel)), capability(hostPath(layer, node.rel)))
      ) {
        changes.push({ path: `/${node.rel}`, kind: 'C' });
        added = true;
      }
      if (node.stats.isDirectory()) {
        const before = changes.length;
        await walk(node.rel, old.stats.isDirectory());
        if (changes.length > before && !added) {
          // Record the directory too when something inside it changed (keeps its permissions in a diff).
          changes.splice(before, 0, { path: `/${node.rel}`, kind: 'C' });
        }
      }
    }
    for (const gone of theirByName.values()) changes.push({ path: `/${gone.rel}`, kind: 'D' });
  };
  const walkAdded = async (rel: string): Promise<void> => {
    for await (const node of walkTree(layer, rel)) changes.push({ path: `/${node.rel}`, kind: 'A' });
  };
  await walk('', true);
  return changes.sort((a, b) => compareNames(a.path, b.path));
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null || b === null) return a === b;
  return a.equals(b);
}

/** Sum of the sizes of the non-directories under root, each inode once (docker's directory.Size). */
export async function directorySize(root: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0n;
  for await (const { stats } of walkTree(root)) {
    if (stats.isDirectory()) continue;
    if (stats.nlink > 1n) {
      const key = `${stats.dev}:${stats.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    total += stats.size;
  }
  return Number(total);
}

/** Size of what `changes` added or modified in `root` (docker's ChangesSize). */
export async function changesSize(root: string, changes: Change[]): Promise<number> {
  const seen = new Set<string>();
  let total = 0n;
  for (const change of changes) {
    if (change.kind === 'D') continue;
    const stats = await lstatOrNull(hostPath(root, change.path.slice(1)));
    if (stats === null || stats.isDirectory()) continue;
    const key = `${stats.dev}:${stats.ino}`;
    if (seen.has(key)) continue;
    seen.add(key);
    total += stats.size;
  }
  return Number(total);
}

// ---- tar members ----

function xattrsOf(path: string): Map<string, Buffer> {
  const xattrs = new Map<string, Buffer>();
  let names: string[];
  try {
    names = llistxattr(path);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOTSUP' || code === 'EOPNOTSUPP') return xattrs;
    throw err;
  }
  for (const name of names) {
    if (name.startsWith(OVERLAY_XATTR_PREFIX)) continue;
    const value = lgetxattr(path, name);
    if (value !== null) xattrs.set(name, value);
  }
  return xattrs;
}

function typeOf(stats: BigIntStats): TarEntryType | null {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isCharacterDevice()) return 'char';
  if (stats.isBlockDevice()) return 'block';
  if (stats.isFIFO()) return 'fifo';
  return null; // sockets: not archivable, skipped as docker does
}

async function* fileBytes(path: string, size: number): AsyncGenerator<Buffer> {
  const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  try {
    let position = 0;
    while (position < size) {
      const buf = Buffer.allocUnsafe(Math.min(size - position, 512 * 1024));
      const { bytesRead } = await handle.read(buf, 0, buf.length, position);
      if (bytesRead === 0) break; // shrank: the writer reports it
      position += bytesRead;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** Remembers the first archived name of each multiply-linked inode. */
export type HardlinkIndex = Map<string, string>;

/** The tar member for the node at `root/rel` (docker's addTarFile). */
export async function memberFor(root: string, rel: string, stats: BigIntStats, links: HardlinkIndex): Promise<TarMember | null> {
  const type = typeOf(stats);
  if (type === null) return null;
  const path = hostPath(root, rel);
  const header: TarHeader = emptyHeader(rel, type);
  header.mode = Number(stats.mode & 0o7777n);
  header.uid = Number(stats.uid);
  header.gid = Number(stats.gid);
  // Whole seconds, as docker writes layer tars.
  header.mtime = Number(stats.mtimeMs / 1000n);
  header.xattrs = xattrsOf(path);
  if (type === 'symlink') header.linkname = await readlink(path);
  if (type === 'char' || type === 'block') {
    const { major, minor } = splitDev(stats.rdev);
    header.devmajor = major;
    header.devminor = minor;
  }
  if (type !== 'directory' && stats.nlink > 1n) {
    const key = `${stats.dev}:${stats.ino}`;
    const first = links.get(key);
    if (first !== undefined) {
      header.type = 'hardlink';
      header.linkname = first;
      header.xattrs = new Map();
      return { header };
    }
    links.set(key, rel);
  }
  if (type === 'file') {
    header.size = Number(stats.size);
    return { header, body: header.size > 0 ? fileBytes(path, header.size) : undefined };
  }
  return { header };
}

function whiteoutMember(rel: string, stats: BigIntStats): TarMember {
  const header = emptyHeader(rel, 'file');
  header.mode = Number(stats.mode & 0o777n);
  header.uid = Number(stats.uid);
  header.gid = Number(stats.gid);
  header.mtime = Number(stats.mtimeMs / 1000n);
  return { header };
}

/**
 * The OCI layer tar of an overlay upper dir: 0/0 character devices become
 * `.wh.<name>` files and opaque directories get a `.wh..wh..opq` member
 * (docker's overlay whiteout converter, writing side).
 */
export async function* overlayDiffMembers(upper: string): AsyncGenerator<TarMember> {
  const links: HardlinkIndex = new Map();
  for await (const { rel, stats } of walkTree(upper)) {
    if (isWhiteout(stats)) {
      yield whiteoutMember(joinRel(parentOf(rel), `${WHITEOUT_PREFIX}${baseOf(rel)}`), stats);
      continue;
    }
    const member = await memberFor(upper, rel, stats, links);
    if (member === null) continue;
    yield member;
    if (stats.isDirectory() && isOpaque(hostPath(upper, rel))) {
      yield whiteoutMember(joinRel(rel, WHITEOUT_OPAQUE), stats);
    }
  }
}

/** The OCI layer tar of `changes` to the tree at `root` (docker's ExportChanges). */
export async function* changesMembers(root: string, changes: Change[]): AsyncGenerator<TarMember> {
  const links: HardlinkIndex = new Map();
  const sorted = [...changes].sort((a, b) => compareNames(a.path, b.path));
  for (const change of sorted) {
    const rel = change.path.slice(1);
    if (change.kind === 'D') {
      const parentStats = await lstatOrNull(hostPath(root, parentOf(rel)));
      const header = emptyHeader(joinRel(parentOf(rel), `${WHITEOUT_PREFIX}${baseOf(rel)}`), 'file');
      header.mode = 0o600;
      header.mtime = parentStats ? Number(parentStats.mtimeMs / 1000n) : 0;
      yield { header };
      continue;
    }
    const stats = await lstatOrNull(hostPath(root, rel));
    if (stats === null) continue; // gone since the changes were computed
    const member = await memberFor(root, rel, stats, links);
    if (member !== null) yield member;
  }
}
