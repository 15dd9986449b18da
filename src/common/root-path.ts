// Paths inside a root filesystem that is not trusted (a container's): an
// image may make any component a symlink to anywhere. The runtime (files,
// /etc files, the working directory) and the volume service (copy-up) resolve
// them alike, as moby's FollowSymlinkInScope does.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { errnoCode } from './errors.js';

const MAX_SYMLINKS = 255;

/**
 * The host path of `unsafePath` inside `root`, following symlinks as if `root`
 * were "/": absolute targets restart at the root and ".." never leaves it.
 * Components that do not exist are appended as they are.
 */
export async function resolveInRoot(root: string, unsafePath: string): Promise<string> {
  const base = path.resolve(root);
  const resolved: string[] = [];
  const queue = unsafePath.split('/').filter((c) => c !== '');
  let links = 0;
  let missing = false;
  while (queue.length > 0) {
    const c = queue.shift()!;
    if (c === '.') continue;
    if (c === '..') {
      resolved.pop();
      continue;
    }
    if (missing) {
      resolved.push(c);
      continue;
    }
    const full = path.join(base, ...resolved, c);
    let isLink = false;
    try {
      isLink = (await fs.lstat(full)).isSymbolicLink();
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT' && errnoCode(err) !== 'ENOTDIR') throw err;
      missing = true;
    }
    if (!isLink) {
      resolved.push(c);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw new Error(`too many links in ${unsafePath}`);
    const target = await fs.readlink(full);
    if (target.startsWith('/')) resolved.length = 0;
    queue.unshift(...target.split('/').filter((t) => t !== ''));
  }
  return path.join(base, ...resolved);
}
