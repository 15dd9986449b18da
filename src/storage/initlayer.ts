// The "-init" layer dockerd puts between an image and a container's writable
// layer: placeholders for what the runtime mounts over (/proc, /etc/hosts...),
// so that neither `docker diff` nor `docker commit` sees them in the
// container's own layer (moby daemon/initlayer, setupInitLayer).

import { mkdir, open, stat, symlink, unlink } from 'node:fs/promises';
import { errnoCode } from '../common/errors.js';

/** [path, 'dir' | 'file' | a symlink target], as dockerd's list. */
const INIT_ENTRIES: Array<[string, string]> = [
  ['/dev/pts', 'dir'],
  ['/dev/shm', 'dir'],
  ['/proc', 'dir'],
  ['/sys', 'dir'],
  ['/.dockerenv', 'file'],
  ['/etc/resolv.conf', 'file'],
  ['/etc/hosts', 'file'],
  ['/etc/hostname', 'file'],
  ['/dev/console', 'file'],
  ['/etc/mtab', '/proc/mounts'],
];

/** Mkdir -p with 0755 root:root for the directories it creates (docker's MkdirAllAndChownNew). */
async function mkdirAllNew(path: string): Promise<void> {
  const missing: string[] = [];
  for (let p = path; p !== '/' && p !== ''; p = p.slice(0, p.lastIndexOf('/')) || '/') {
    try {
      await stat(p);
      break;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      missing.unshift(p);
    }
  }
  for (const p of missing) {
    await mkdir(p, { mode: 0o755 });
  }
}

/** Fills the mounted init layer at `root` (an overlay of the image, or a vfs copy of it). */
export async function setupInitLayer(root: string): Promise<void> {
  for (const [path, kind] of INIT_ENTRIES) {
    const parts = path.split('/').slice(1);
    // Drop files and symlinks in the way (a directory stays: unlink fails on it).
    for (let i = 1; i <= parts.length; i++) {
      await unlink(`${root}/${parts.slice(0, i).join('/')}`).catch(() => {});
    }
    const target = `${root}${path}`;
    try {
      await stat(target);
      continue;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    await mkdirAllNew(target.slice(0, target.lastIndexOf('/')));
    if (kind === 'dir') {
      await mkdirAllNew(target);
    } else if (kind === 'file') {
      const handle = await open(target, 'a', 0o755);
      await handle.chown(0, 0);
      await handle.close();
    } else {
      await symlink(kind, target);
    }
  }
}
