// Shared helpers of the storage tests: temporary directories that are always
// removed, tars built with tar-stream (an implementation independent of ours,
// so hostile archives are not shaped by our own writer), and snapshots of a
// directory tree for comparisons.

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { lstat, mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import type { TestContext } from 'node:test';
import { lgetxattr, llistxattr, splitDev } from '../../../src/common/syscalls.js';
import { mountsUnder } from '../../../src/storage/util.js';
import { umount2, MNT_DETACH } from '../../../src/common/syscalls.js';
import type { Header as TarStreamHeader, Pack } from 'tar-stream';

const require = createRequire(import.meta.url);
const tarStream = require('tar-stream') as { pack: () => Pack };
type TarStreamHeaders = TarStreamHeader;

/** A fresh directory under /var/tmp (same filesystem as a data root would be), removed after the test. */
export async function tempDir(t: TestContext, prefix = 'berth-storage-'): Promise<string> {
  const dir = await mkdtemp(`/var/tmp/${prefix}`);
  t.after(async () => {
    for (const point of await mountsUnder(dir)) {
      try {
        umount2(point, MNT_DETACH);
      } catch {
        // already gone
      }
    }
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

export interface FixtureEntry {
  name: string;
  type?: TarStreamHeaders['type'];
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  content?: string | Buffer;
  /** Extra PAX records (e.g. SCHILY.xattr.user.x); tar-stream writes values as UTF-8 text. */
  pax?: Record<string, string>;
}

/** A tar archive built by tar-stream. */
export async function makeTar(entries: FixtureEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const e of entries) {
    const content = e.content === undefined ? Buffer.alloc(0) : Buffer.from(e.content);
    const header: Partial<TarStreamHeaders> & { name: string; pax?: Record<string, string> } = {
      name: e.name,
      type: e.type ?? 'file',
      mode: e.mode,
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? new Date(1_700_000_000_000),
      linkname: e.linkname,
      devmajor: e.devmajor,
      devminor: e.devminor,
      size: (e.type ?? 'file') === 'file' ? content.length : 0,
    };
    if (e.pax) header.pax = e.pax;
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if ((e.type ?? 'file') === 'file') pack.entry(header, content, cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function* bytesOf(buf: Buffer, chunkSize = 7919): AsyncGenerator<Buffer> {
  // Odd-sized chunks, so headers straddle chunk boundaries.
  for (let i = 0; i < buf.length; i += chunkSize) yield buf.subarray(i, i + chunkSize);
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export function sha256(buf: Buffer): string {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`;
}

export interface NodeSnapshot {
  type: string;
  mode: string;
  uid: number;
  gid: number;
  mtime?: number;
  content?: string;
  link?: string;
  dev?: string;
  xattrs?: Record<string, string>;
  nlink?: number;
}

/**
 * Every node under `root` (root itself as '.'), described by what a layer
 * must preserve. Directory mtimes are included (`withDirTimes`) only when a
 * comparison can expect them. `withoutCreationTimes` leaves out times the
 * unpack itself gave (a whiteout's or an implied parent's: the moment it was
 * made), which differ between two unpacks that straddle a second.
 */
export async function snapshot(
  root: string,
  options: { withDirTimes?: boolean; withRoot?: boolean; withoutCreationTimes?: boolean } = {},
): Promise<Record<string, NodeSnapshot>> {
  // Tar members in the tests carry fixed times years back; anything this recent was made by the unpack.
  const recent = Date.now() / 1000 - 3600;
  const out: Record<string, NodeSnapshot> = {};
  const visit = async (rel: string): Promise<void> => {
    const path = rel === '' ? root : `${root}/${rel}`;
    const st = await lstat(path, { bigint: true });
    const node: NodeSnapshot = {
      type: st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : st.isFIFO() ? 'fifo' : 'other',
      mode: (st.mode & 0o7777n).toString(8),
      uid: Number(st.uid),
      gid: Number(st.gid),
    };
    if (!st.isDirectory() || options.withDirTimes) node.mtime = Number(st.mtimeMs / 1000n);
    if (options.withoutCreationTimes && node.mtime !== undefined && node.mtime > recent) delete node.mtime;
    if (st.isFile()) {
      node.content = createHash('sha256').update(await readFile(path)).digest('hex').slice(0, 16);
      if (st.nlink > 1n) node.nlink = Number(st.nlink);
    }
    if (st.isSymbolicLink()) node.link = await readlink(path);
    if (st.isCharacterDevice() || st.isBlockDevice()) {
      const { major, minor } = splitDev(st.rdev);
      node.dev = `${major}:${minor}`;
    }
    const names = llistxattr(path).filter((n) => !n.startsWith('security.selinux'));
    if (names.length > 0) {
      node.xattrs = {};
      for (const name of names.sort()) node.xattrs[name] = lgetxattr(path, name)?.toString('hex') ?? '';
    }
    if (rel !== '' || options.withRoot) out[rel === '' ? '.' : rel] = node;
    if (st.isDirectory()) {
      for (const name of (await readdir(path)).sort()) await visit(rel === '' ? name : `${rel}/${name}`);
    }
  };
  await visit('');
  return out;
}

/** Paths of every node under root, sorted. */
export async function listTree(root: string): Promise<string[]> {
  return Object.keys(await snapshot(root)).sort();
}

/** The init layer's placeholders (src/storage/initlayer.ts). */
const INIT_PLACEHOLDERS = ['.dockerenv', 'etc/hosts', 'etc/hostname', 'etc/resolv.conf', 'dev/console', 'dev/pts', 'dev/shm', 'proc', 'sys', 'etc/mtab'];

/**
 * snapshot() of a container's root, for comparing two writable layers: each
 * gets its own init layer when it is created, so its placeholders carry that
 * creation time (a second apart at times); their times are left out.
 */
export async function rootfsSnapshot(root: string): Promise<Record<string, NodeSnapshot>> {
  const snap = await snapshot(root);
  for (const p of INIT_PLACEHOLDERS) {
    const node = snap[p];
    if (node) snap[p] = { ...node, mtime: undefined } as NodeSnapshot;
  }
  return snap;
}
