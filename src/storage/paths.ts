// Paths inside a layer root. Archive member names and symlink targets are
// resolved as if the root were `/`, the way containerd's fs.RootPath does it,
// so no member of a hostile archive can make us write outside the root.

import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { errnoCode, invalidParameter } from '../common/errors.js';

/**
 * The root-relative form of an archive member name ('' for the root itself).
 * Leading `/` and `./` are dropped and `..` that climbs above `/` in an
 * absolute name is dropped too (Go's filepath.Clean); a relative name whose
 * `..` climbs out is refused, as docker's breakout check does.
 */
export function cleanMemberName(name: string): string {
  if (name.includes('\0')) throw invalidParameter(`invalid tar member name ${JSON.stringify(name)}`);
  const absolute = name.startsWith('/');
  const cleaned = posix.normalize(absolute ? name : `/${name}`);
  if (!absolute) {
    // normalize('/' + name) silently drops a leading '..'; detect it on the relative form.
    const relative = posix.normalize(name);
    if (relative === '..' || relative.startsWith('../')) {
      throw invalidParameter(`invalid tar member: ${JSON.stringify(name)} is outside of the layer root`);
    }
  }
  return cleaned.replace(/^\/+/, '').replace(/\/+$/, '');
}

/** Joins root-relative path parts ('' is the root). */
export function joinRel(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

export function parentOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash === -1 ? '' : rel.slice(0, slash);
}

export function baseOf(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

export function hostPath(root: string, rel: string): string {
  return rel === '' ? root : `${root}/${rel}`;
}

export class SymlinkLoopError extends Error {
  readonly code = 'ELOOP';
  constructor(path: string) {
    super(`ELOOP: too many levels of symbolic links, resolving '${path}'`);
  }
}

const MAX_SYMLINKS = 255;

export interface ResolveHooks {
  /** The whole path must name a directory (else ENOTDIR). */
  expectDirectory?: boolean;
  /** Called for a component that does not exist; return true after creating it as a directory. */
  onMissing?: (rel: string) => Promise<boolean>;
  /** Called before lstat() of a component, e.g. to wait for a pending write of that path. */
  beforeLookup?: (rel: string) => Promise<void> | void;
}

/**
 * Resolves every component of `rel` inside `root`, following symlinks as if
 * `root` were `/` (an absolute target restarts at root, `..` stops at root).
 * Returns the resolved root-relative path; components that do not exist are
 * kept literally (or created through hooks.onMissing). Throws ENOTDIR when a
 * component other than the last is neither a directory nor a symlink.
 */
export async function resolveInRoot(root: string, rel: string, hooks: ResolveHooks = {}): Promise<string> {
  const pending = rel === '' ? [] : rel.split('/');
  const resolved: string[] = [];
  let links = 0;
  let missing = false;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    if (missing) {
      resolved.push(part);
      continue;
    }
    const candidate = [...resolved, part].join('/');
    await hooks.beforeLookup?.(candidate);
    let stats;
    try {
      stats = await lstat(hostPath(root, candidate));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      resolved.push(part);
      if (hooks.onMissing && (await hooks.onMissing(candidate))) continue;
      missing = true;
      continue;
    }
    if (stats.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw new SymlinkLoopError(rel);
      const target = await readlink(hostPath(root, candidate));
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/'));
      continue;
    }
    if (!stats.isDirectory() && (hooks.expectDirectory || pending.some((p) => p !== '' && p !== '.'))) {
      const err = new Error(`ENOTDIR: not a directory, '${candidate}'`) as Error & { code: string };
      err.code = 'ENOTDIR';
      throw err;
    }
    resolved.push(part);
  }
  return resolved.join('/');
}
