// The `o=` option string of a local volume (`-o o=size=100m,uid=1000`,
// `-o o=bind`) split into mount(2) flags and filesystem data, and the mount
// itself, as moby/sys/mount's Mount does: known flag names set or clear a
// flag, anything else is passed to the filesystem; propagation is changed by
// a second call and a read-only bind needs a remount (the kernel ignores
// MS_RDONLY on the first MS_BIND call).
import { getSystemErrorMessage } from 'node:util';
import { constants as osConstants } from 'node:os';
import * as sys from '../common/syscalls.js';

const MS_SYNCHRONOUS = 0x10;
const MS_MANDLOCK = 0x40;
const MS_DIRSYNC = 0x80;
const MS_NOATIME = 0x400;
const MS_NODIRATIME = 0x800;
const MS_SILENT = 0x8000;
const MS_UNBINDABLE = 0x20000;
const MS_RELATIME = 0x200000;
const MS_STRICTATIME = 0x1000000;

const PROPAGATION_TYPES = MS_UNBINDABLE | sys.MS_PRIVATE | sys.MS_SLAVE | sys.MS_SHARED;
const PROPAGATION_FLAGS = PROPAGATION_TYPES | sys.MS_REC | MS_SILENT;

interface FlagEntry {
  clear: boolean;
  flag: number;
}

// moby/sys/mount flags table (flags_linux.go). `defaults` is a no-op.
const FLAGS: Record<string, FlagEntry> = {
  defaults: { clear: false, flag: 0 },
  ro: { clear: false, flag: sys.MS_RDONLY },
  rw: { clear: true, flag: sys.MS_RDONLY },
  suid: { clear: true, flag: sys.MS_NOSUID },
  nosuid: { clear: false, flag: sys.MS_NOSUID },
  dev: { clear: true, flag: sys.MS_NODEV },
  nodev: { clear: false, flag: sys.MS_NODEV },
  exec: { clear: true, flag: sys.MS_NOEXEC },
  noexec: { clear: false, flag: sys.MS_NOEXEC },
  sync: { clear: false, flag: MS_SYNCHRONOUS },
  async: { clear: true, flag: MS_SYNCHRONOUS },
  dirsync: { clear: false, flag: MS_DIRSYNC },
  remount: { clear: false, flag: sys.MS_REMOUNT },
  mand: { clear: false, flag: MS_MANDLOCK },
  nomand: { clear: true, flag: MS_MANDLOCK },
  atime: { clear: true, flag: MS_NOATIME },
  noatime: { clear: false, flag: MS_NOATIME },
  diratime: { clear: true, flag: MS_NODIRATIME },
  nodiratime: { clear: false, flag: MS_NODIRATIME },
  bind: { clear: false, flag: sys.MS_BIND },
  rbind: { clear: false, flag: sys.MS_BIND | sys.MS_REC },
  unbindable: { clear: false, flag: MS_UNBINDABLE },
  runbindable: { clear: false, flag: MS_UNBINDABLE | sys.MS_REC },
  private: { clear: false, flag: sys.MS_PRIVATE },
  rprivate: { clear: false, flag: sys.MS_PRIVATE | sys.MS_REC },
  shared: { clear: false, flag: sys.MS_SHARED },
  rshared: { clear: false, flag: sys.MS_SHARED | sys.MS_REC },
  slave: { clear: false, flag: sys.MS_SLAVE },
  rslave: { clear: false, flag: sys.MS_SLAVE | sys.MS_REC },
  relatime: { clear: false, flag: MS_RELATIME },
  norelatime: { clear: true, flag: MS_RELATIME },
  strictatime: { clear: false, flag: MS_STRICTATIME },
  nostrictatime: { clear: true, flag: MS_STRICTATIME },
};

/** moby/sys/mount parseOptions: flags from known names, the rest joined as filesystem data. */
export function parseMountOptions(options: string): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const o of options.split(',')) {
    const f = FLAGS[o];
    if (f && f.flag !== 0) {
      if (f.clear) flags &= ~f.flag;
      else flags |= f.flag;
    } else if (!f) {
      data.push(o);
    }
  }
  return { flags: flags >>> 0, data: data.join(',') };
}

/** Go's syscall.Errno text (lower case, as Go's table has it). */
export function errnoText(err: unknown): string {
  const errno = (err as { errno?: number }).errno;
  if (typeof errno === 'number') {
    const msg = getSystemErrorMessage(errno < 0 ? errno : -errno);
    return msg.charAt(0).toLowerCase() + msg.slice(1);
  }
  return err instanceof Error ? err.message : String(err);
}

/** moby/sys/mount mountError text: `mount src:target, flags: 0x1000, data: x: reason`. */
function mountErrorText(op: string, source: string, target: string, flags: number, data: string, err: unknown): string {
  let out = `${op} ${source ? `${source}:${target}` : target}`;
  if (flags !== 0) out += `, flags: 0x${flags.toString(16)}`;
  if (data) out += `, data: ${data}`;
  return `${out}: ${errnoText(err)}`;
}

export class MountError extends Error {}

/** moby/sys/mount Mount(device, target, type, options). Throws MountError with its text. */
export function mountWithOptions(device: string, target: string, fstype: string, options: string): void {
  const { flags, data } = parseMountOptions(options);
  const plain = (flags & ~PROPAGATION_TYPES) >>> 0;
  if ((flags & sys.MS_REMOUNT) === 0 || data !== '') {
    try {
      sys.mount(device, target, fstype, plain, data || null);
    } catch (err) {
      throw new MountError(mountErrorText('mount', device, target, plain, data, err));
    }
  }
  if (flags & PROPAGATION_TYPES) {
    const p = (flags & PROPAGATION_FLAGS) >>> 0;
    try {
      sys.mount('', target, null, p, null);
    } catch (err) {
      throw new MountError(mountErrorText('remount', '', target, p, '', err));
    }
  }
  const bindRo = sys.MS_BIND | sys.MS_RDONLY;
  if ((plain & bindRo) === bindRo) {
    const f = (plain | sys.MS_REMOUNT) >>> 0;
    try {
      sys.mount('', target, null, f, null);
    } catch (err) {
      throw new MountError(mountErrorText('remount-ro', '', target, f, '', err));
    }
  }
}

/** moby/sys/mount Unmount: a lazy unmount; "not mounted" (EINVAL) is success. */
export function unmountLazy(target: string): void {
  try {
    sys.umount2(target, sys.MNT_DETACH);
  } catch (err) {
    if ((err as { errno?: number }).errno === -osConstants.errno.EINVAL) return;
    if ((err as { code?: string }).code === 'ENOENT') return;
    throw err;
  }
}
