// Paths inside a container's root filesystem, which is untrusted: an image
// may make /etc/passwd a symlink to anywhere, a FIFO or a device. Paths are
// resolved inside the root (symlinks re-rooted, ".." stopping at the root, as
// moby's FollowSymlinkInScope does) and only regular files of bounded size
// are read.
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { errnoCode, invalidParameter } from '../../common/errors.js';

const MAX_SYMLINKS = 255;
const MAX_FILE_BYTES = 16 * 1024 * 1024;

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

/**
 * Read a file of the container's rootfs, or undefined when it is missing or is
 * not a regular file (a FIFO would block the daemon, a device never ends).
 */
export async function readRootfsFile(root: string, file: string): Promise<string | undefined> {
  const hostPath = await resolveInRoot(root, file);
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EACCES') return undefined;
    throw err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return undefined;
    const buf = Buffer.alloc(Math.min(st.size, MAX_FILE_BYTES));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

/**
 * Create the working directory in the rootfs when missing, as dockerd does
 * before start (moby container.SetupWorkingDirectory): new directories 0755,
 * owned by root; an existing non-directory is refused with dockerd's message.
 */
export async function ensureWorkingDir(root: string, workingDir: string): Promise<void> {
  if (!workingDir) return;
  const clean = path.posix.normalize(workingDir);
  const target = await resolveInRoot(root, clean);
  try {
    await fs.mkdir(target, { recursive: true, mode: 0o755 });
  } catch (err) {
    const st = await fs.stat(target).catch(() => undefined);
    const code = errnoCode(err);
    if ((st && !st.isDirectory()) || code === 'ENOTDIR' || code === 'EEXIST') {
      throw invalidParameter(`Cannot mkdir: ${clean} is not a directory`);
    }
    throw err;
  }
}
