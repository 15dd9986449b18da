// Copy-up: a new, empty volume mounted over a directory of the image starts
// with that directory's content (dockerd's populateVolumes /
// CopyImagePathContent). Ownership, modes, times, xattrs, symlinks, hard
// links and special files are kept, and the volume's root takes the
// directory's mode and owner. A volume with any content is left alone.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { errnoCode, systemError } from '../common/errors.js';

const execFileAsync = promisify(execFile);

/** Whether `dir` has no entries (a missing dir counts as empty). */
export async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    const h = await fs.opendir(dir);
    try {
      return (await h.read()) === null;
    } finally {
      await h.close().catch(() => undefined);
    }
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return true;
    throw err;
  }
}

/**
 * Copy `source` (a directory of the container's root filesystem, already
 * resolved inside it) into `destination` when `destination` is empty.
 * Returns whether anything was copied.
 */
export async function copyExistingContents(source: string, destination: string): Promise<boolean> {
  let st;
  try {
    st = await fs.lstat(source);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
  if (!st.isDirectory()) return false;
  if (!(await isEmptyDir(destination))) return false;
  // cp -a: no dereferencing, recursive, preserve mode, ownership, times,
  // links and xattrs (failing to keep an xattr the target filesystem refuses
  // is not an error); `source/.` maps the directory itself onto `destination`.
  try {
    await execFileAsync('cp', ['-a', '--reflink=auto', '--', `${source.replace(/\/+$/, '')}/.`, destination]);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw systemError(`error copying image data into volume: ${stderr || (err instanceof Error ? err.message : String(err))}`, err);
  }
  return true;
}

/**
 * Go's filepath.Walk size of a tree as moby's directory.Size counts it:
 * regular files and symlinks by their size, each inode once, directories not.
 */
export async function directorySize(dir: string): Promise<number> {
  const seen = new Set<number>();
  let size = 0;
  const walk = async (p: string): Promise<void> => {
    let st;
    try {
      st = await fs.lstat(p);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = await fs.readdir(p);
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') return;
        throw err;
      }
      for (const n of names) await walk(path.join(p, n));
      return;
    }
    if (st.size === 0 || seen.has(st.ino)) return;
    seen.add(st.ino);
    size += st.size;
  };
  await walk(dir);
  return size;
}
