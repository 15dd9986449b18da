// Paths inside a container's root filesystem, which is untrusted: an image
// may make /etc/passwd a symlink to anywhere, a FIFO or a device. Paths are
// resolved inside the root (symlinks re-rooted, ".." stopping at the root, as
// moby's FollowSymlinkInScope does: src/common/root-path.ts) and only regular
// files of bounded size are read.
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { errnoCode, invalidParameter } from '../../common/errors.js';
import { resolveInRoot } from '../../common/root-path.js';

const MAX_FILE_BYTES = 16 * 1024 * 1024;

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
