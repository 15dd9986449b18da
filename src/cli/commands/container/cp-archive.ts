// The client side of `docker cp` (moby's pkg/archive copy.go as the docker
// CLI uses it): which local path a copy reads or writes, the tar archive of a
// local source, renaming its entries so that the daemon's extraction gives
// the copy docker's semantics (`cp dir ctr:/new` creates /new, `cp dir/.`
// copies the contents), and the extraction of a container's archive into a
// local directory.
import { createReadStream, promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';

import { emptyHeader, type TarEntryType, type TarHeader } from '../../../storage/tar/header.js';
import type { TarMember } from '../../../storage/tar/writer.js';

export const ERR_CANNOT_COPY_DIR = 'cannot copy directory';
export const ERR_DIR_NOT_EXISTS = 'no such directory';
export const ERR_NOT_DIRECTORY = 'not a directory';

/** Go's os.FileMode type bits, as the daemon's path stat reports them. */
export const GO_MODE = {
  dir: 2 ** 31,
  symlink: 2 ** 27,
  device: 2 ** 26,
  namedPipe: 2 ** 25,
  socket: 2 ** 24,
  charDevice: 2 ** 21,
  irregular: 2 ** 19,
} as const;

export function hasTrailingSeparator(p: string): boolean {
  return p.length > 0 && p.endsWith('/');
}

export function specifiesCurrentDir(p: string): boolean {
  return path.basename(p) === '.' || p === '.' || p.endsWith('/.');
}

/** archive.SplitPathDirEntry: "a/b/" → ["a", "b"], "a/." → ["a", "."]. */
export function splitPathDirEntry(p: string): { dir: string; base: string } {
  let cleaned = path.normalize(p);
  if (cleaned.length > 1 && cleaned.endsWith('/')) cleaned = cleaned.slice(0, -1);
  if (specifiesCurrentDir(p)) cleaned = `${cleaned === '.' ? '.' : cleaned}/.`;
  const base = cleaned.endsWith('/.') ? '.' : path.basename(cleaned);
  const dir = cleaned.endsWith('/.') ? cleaned.slice(0, -2) || '/' : path.dirname(cleaned);
  return { dir, base };
}

/** archive.PreserveTrailingDotOrSeparator. */
export function preserveTrailingDotOrSeparator(cleaned: string, original: string): string {
  if (!specifiesCurrentDir(cleaned) && specifiesCurrentDir(original)) {
    if (!hasTrailingSeparator(cleaned)) cleaned += '/';
    cleaned += '.';
  }
  if (!hasTrailingSeparator(cleaned) && hasTrailingSeparator(original)) cleaned += '/';
  return cleaned;
}

/** resolveLocalPath: absolute, keeping a trailing "/" or "/.". */
export function resolveLocalPath(p: string, cwd = process.cwd()): string {
  return preserveTrailingDotOrSeparator(path.resolve(cwd, p), p);
}

/** archive.GetRebaseName. */
export function getRebaseName(p: string, resolved: string): { resolved: string; rebaseName: string } {
  let out = resolved;
  if (specifiesCurrentDir(p) && !specifiesCurrentDir(out)) out += '/.';
  if (hasTrailingSeparator(p) && !hasTrailingSeparator(out)) out += '/';
  const rebaseName = path.basename(p) !== path.basename(out) ? path.basename(p) : '';
  return { resolved: out, rebaseName };
}

export interface CopyInfo {
  path: string;
  exists: boolean;
  isDir: boolean;
  rebaseName: string;
}

/** archive.CopyInfoSourcePath: the local source, its symlinks resolved as docker does. */
export async function copyInfoSourcePath(p: string, followLink: boolean): Promise<CopyInfo> {
  let resolved: string;
  let rebaseName = '';
  if (followLink) {
    const real = await fs.realpath(p);
    ({ resolved, rebaseName } = getRebaseName(p, real));
  } else {
    const dirPart = p.slice(0, p.lastIndexOf('/') + 1) || '.';
    const basePart = p.slice(p.lastIndexOf('/') + 1);
    const resolvedDir = await fs.realpath(dirPart);
    resolved = `${resolvedDir === '/' ? '' : resolvedDir}/${basePart}`;
    if (hasTrailingSeparator(p) && path.basename(p) !== path.basename(resolved)) rebaseName = path.basename(p);
  }
  const stat = await fs.lstat(resolved.endsWith('/.') ? resolved.slice(0, -2) || '/' : resolved);
  return { path: resolved, exists: true, isDir: stat.isDirectory(), rebaseName };
}

/** archive.CopyInfoDestinationPath: the local destination, following symlinks; its parent must exist. */
export async function copyInfoDestinationPath(p: string): Promise<CopyInfo> {
  let current = p;
  for (let i = 0; i < 10; i++) {
    let stat;
    try {
      stat = await fs.lstat(current);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // The destination does not exist: its parent must be a directory.
      const { dir } = splitPathDirEntry(current);
      let parent;
      try {
        parent = await fs.stat(dir);
      } catch {
        throw new Error(`stat ${dir}: no such file or directory`);
      }
      if (!parent.isDirectory()) throw new Error(ERR_NOT_DIRECTORY);
      return { path: current, exists: false, isDir: false, rebaseName: '' };
    }
    if (!stat.isSymbolicLink()) return { path: current, exists: true, isDir: stat.isDirectory(), rebaseName: '' };
    const target = await fs.readlink(current);
    current = path.isAbsolute(target) ? target : path.join(splitPathDirEntry(current).dir, target);
  }
  throw new Error(`too many symlinks in ${p}`);
}

// ---------------------------------------------------------------------------
// Archives.

function entryType(stat: import('node:fs').Stats): TarEntryType | undefined {
  if (stat.isDirectory()) return 'directory';
  if (stat.isFile()) return 'file';
  if (stat.isSymbolicLink()) return 'symlink';
  if (stat.isCharacterDevice()) return 'char';
  if (stat.isBlockDevice()) return 'block';
  if (stat.isFIFO()) return 'fifo';
  return undefined;
}

async function* walk(root: string): AsyncGenerator<string> {
  yield root;
  let stat;
  try {
    stat = await fs.lstat(root);
  } catch {
    return;
  }
  if (!stat.isDirectory()) return;
  const names = (await fs.readdir(root)).sort();
  for (const name of names) yield* walk(path.join(root, name));
}

/**
 * archive.TarResource: the source as a tar stream of its directory's entry
 * `base` (and everything below it), named relative to that directory, with
 * `base` renamed to the rebase name when there is one.
 */
export async function* tarResource(info: CopyInfo): AsyncGenerator<TarMember> {
  const { dir, base } = splitPathDirEntry(info.path);
  const rebase = info.rebaseName;
  const seenInodes = new Map<string, string>();
  const root = base === '.' ? dir : path.join(dir, base);
  for await (const file of walk(root)) {
    let rel = path.relative(dir, file) || '.';
    if (base === '.' && rel !== '.') rel = `./${rel}`;
    if (rebase !== '') {
      const replacement = rebase === '/' ? '' : rebase;
      const at = rel.indexOf(base);
      if (at >= 0) rel = rel.slice(0, at) + replacement + rel.slice(at + base.length);
    }
    const stat = await fs.lstat(file);
    const type = entryType(stat);
    if (type === undefined) continue;
    const name = type === 'directory' && !rel.endsWith('/') ? `${rel}/` : rel;
    const header: TarHeader = emptyHeader(name, type);
    header.mode = stat.mode & 0o7777;
    header.uid = stat.uid;
    header.gid = stat.gid;
    header.mtime = Math.floor(stat.mtimeMs / 1000);
    if (type === 'symlink') header.linkname = await fs.readlink(file);
    if (type === 'char' || type === 'block') {
      header.devmajor = Math.floor(stat.rdev / 256);
      header.devminor = stat.rdev % 256;
    }
    if (type === 'file' && stat.nlink > 1) {
      const key = `${stat.dev}:${stat.ino}`;
      const first = seenInodes.get(key);
      if (first !== undefined) {
        header.type = 'hardlink';
        header.linkname = first;
        yield { header };
        continue;
      }
      seenInodes.set(key, name);
    }
    if (type === 'file') {
      header.size = stat.size;
      yield { header, body: createReadStream(file) };
      continue;
    }
    yield { header };
  }
}

/** archive.RebaseArchiveEntries: the first `oldBase` of every name (and hard link target) becomes `newBase`. */
export async function* rebaseArchiveEntries(members: AsyncIterable<TarMember>, oldBase: string, newBase: string): AsyncGenerator<TarMember> {
  const from = oldBase === '/' ? '' : oldBase;
  const replace = (s: string): string => {
    const at = s.indexOf(from);
    return at < 0 ? s : s.slice(0, at) + newBase + s.slice(at + from.length);
  };
  for await (const member of members) {
    member.header.name = replace(member.header.name);
    if (member.header.type === 'hardlink') member.header.linkname = replace(member.header.linkname);
    yield member;
  }
}

/**
 * archive.PrepareArchiveCopy: where to extract the source's archive so the
 * copy lands at the destination, and the archive renamed for it.
 */
export function prepareArchiveCopy(
  members: AsyncIterable<TarMember>,
  src: CopyInfo,
  dst: CopyInfo,
): { dstDir: string; members: AsyncIterable<TarMember> } {
  const { dir: dstDir, base: dstBase } = splitPathDirEntry(dst.path);
  let { base: srcBase } = splitPathDirEntry(src.path);
  if (dst.exists && dst.isDir) return { dstDir: dst.path, members };
  if (dst.exists && src.isDir) throw new Error(ERR_CANNOT_COPY_DIR);
  if (!dst.exists && !src.isDir && (hasTrailingSeparator(dst.path) || specifiesCurrentDir(dst.path))) throw new Error(ERR_DIR_NOT_EXISTS);
  if (src.rebaseName !== '') srcBase = src.rebaseName;
  return { dstDir, members: rebaseArchiveEntries(members, srcBase, dstBase) };
}

// ---------------------------------------------------------------------------
// Extraction (archive.Untar with NoLchown and NoOverwriteDirNonDir).

async function lstatOrUndefined(p: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await fs.lstat(p);
  } catch {
    return undefined;
  }
}

/** Extracts members under `dstDir`. */
export async function untar(members: AsyncIterable<TarMember>, dstDir: string): Promise<void> {
  const dirTimes: { path: string; mtime: number }[] = [];
  const root = path.resolve(dstDir);
  for await (const member of members) {
    const h = member.header;
    const rel = path.normalize(h.name).replace(/\/+$/, '');
    if (rel === '' || rel === '.') {
      if (h.type === 'directory') dirTimes.push({ path: root, mtime: h.mtime });
      continue;
    }
    const target = path.join(root, rel);
    if (!(target === root || target.startsWith(`${root}/`))) throw new Error(`invalid tar header: path ${JSON.stringify(h.name)} breaks out of ${root}`);
    await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    const existing = await lstatOrUndefined(target);
    if (existing) {
      if (existing.isDirectory() && h.type !== 'directory') {
        throw new Error(`cannot overwrite directory ${JSON.stringify(target)} with non-directory ${JSON.stringify(h.name)}`);
      }
      if (!existing.isDirectory() && h.type === 'directory') {
        throw new Error(`cannot overwrite non-directory ${JSON.stringify(target)} with directory ${JSON.stringify(h.name)}`);
      }
      if (!(existing.isDirectory() && h.type === 'directory')) await fs.rm(target, { force: true, recursive: true });
    }
    switch (h.type) {
      case 'directory':
        if (!existing) await fs.mkdir(target, { mode: h.mode & 0o7777 });
        await fs.chmod(target, h.mode & 0o7777);
        dirTimes.push({ path: target, mtime: h.mtime });
        break;
      case 'file': {
        const handle = await fs.open(target, fsConstants.O_CREAT | fsConstants.O_WRONLY | fsConstants.O_TRUNC, h.mode & 0o7777);
        try {
          if (member.body) {
            if (member.body instanceof Uint8Array) await handle.write(member.body);
            else for await (const chunk of member.body) await handle.write(chunk);
          }
        } finally {
          await handle.close();
        }
        await fs.chmod(target, h.mode & 0o7777);
        await fs.utimes(target, h.mtime, h.mtime);
        break;
      }
      case 'symlink':
        await fs.symlink(h.linkname, target);
        await fs.lutimes(target, h.mtime, h.mtime).catch(() => undefined);
        break;
      case 'hardlink': {
        const linkTarget = path.join(root, path.normalize(h.linkname));
        if (!linkTarget.startsWith(`${root}/`)) throw new Error(`invalid hardlink ${JSON.stringify(h.linkname)}`);
        await fs.link(linkTarget, target);
        break;
      }
      default:
        // Devices and FIFOs need privileges docker's client would not have either; skipped.
        break;
    }
  }
  for (const { path: dir, mtime } of dirTimes.reverse()) await fs.utimes(dir, mtime, mtime).catch(() => undefined);
}

/** command.ValidateOutputPath. */
export async function validateOutputPath(p: string): Promise<void> {
  const dir = path.dirname(path.normalize(p));
  if (dir !== '' && dir !== '.') {
    try {
      await fs.stat(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`invalid output path: directory ${JSON.stringify(dir)} does not exist`);
    }
  }
  const stat = await fs.stat(p).catch(() => undefined);
  if (stat && !stat.isDirectory() && !stat.isFile()) {
    const reason = stat.isBlockDevice() || stat.isCharacterDevice() ? 'got a device' : 'got an irregular file';
    if (stat.isBlockDevice() || stat.isCharacterDevice()) throw new Error(`invalid output path: ${JSON.stringify(p)} must be a directory or a regular file: ${reason}`);
  }
}
