// Syscalls Node lacks, called in libc through koffi. A flat module of small
// typed wrappers: each returns plain values and throws Node-style errors
// (`.code` = 'EPERM', `.errno`, `.syscall`, `.path`) like node:fs does, so
// callers can use errnoCode() from errors.ts the same way for both.
//
// Calls are synchronous (they block the event loop for one syscall); keep them
// out of tight loops over large inputs unless the syscall is cheap.
// `ssize_t` is not a koffi type: `intptr_t` has the same width on Linux.

import koffi from 'koffi';
import { constants as osConstants } from 'node:os';
import { getSystemErrorMessage } from 'node:util';

const libc = koffi.load('libc.so.6');

type NativeFn = (...args: unknown[]) => unknown;
const fn = (decl: string): NativeFn => libc.func(decl) as NativeFn;

const errnoLocation = fn('int *__errno_location(void)');
const nativeMount = fn(
  'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)',
);
const nativeUmount2 = fn('int umount2(const char *target, int flags)');
const nativeMknod = fn('int mknod(const char *path, uint32_t mode, uint64_t dev)');
const nativeLsetxattr = fn(
  'int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)',
);
const nativeLgetxattr = fn('intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)');
const nativeLlistxattr = fn('intptr_t llistxattr(const char *path, _Out_ void *list, size_t size)');
const nativeLremovexattr = fn('int lremovexattr(const char *path, const char *name)');
const nativeStatfs = fn('int statfs(const char *path, _Out_ void *buf)');
const nativeOpendir = fn('void *opendir(const char *path)');
const nativeReaddir = fn('void *readdir(void *dir)');
const nativeClosedir = fn('int closedir(void *dir)');

const errnoNames = new Map<number, string>(
  Object.entries(osConstants.errno).map(([name, value]) => [value, name] as [number, string]),
);

/** A Node-style system error, as node:fs would throw it. */
export interface SystemCallError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}

function lastErrno(): number {
  return koffi.decode(errnoLocation(), 'int') as number;
}

function failure(syscall: string, path?: string, errno = lastErrno()): SystemCallError {
  const code = errnoNames.get(errno) ?? `E${errno}`;
  const where = path === undefined ? syscall : `${syscall} '${path}'`;
  const err = new Error(`${code}: ${getSystemErrorMessage(-errno)}, ${where}`) as SystemCallError;
  err.code = code;
  err.errno = -errno;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  return err;
}

function toNumber(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : (value as number);
}

// mount(2) flags (linux/mount.h).
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_MOVE = 0x2000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;

// umount2(2) flags.
export const MNT_FORCE = 0x1;
export const MNT_DETACH = 0x2;
export const UMOUNT_NOFOLLOW = 0x8;

export function mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): void {
  if (toNumber(nativeMount(source, target, fstype, flags, data)) !== 0) throw failure('mount', target);
}

export function umount2(target: string, flags = 0): void {
  if (toNumber(nativeUmount2(target, flags)) !== 0) throw failure('umount2', target);
}

/** The kernel's dev_t encoding of a device number (glibc's gnu_dev_makedev). */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** Major and minor of a dev_t as node:fs reports it (Stats.rdev, a number). */
export function splitDev(dev: number | bigint): { major: number; minor: number } {
  const d = BigInt(dev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & 0xfffff000n));
  const minor = Number((d & 0xffn) | ((d >> 12n) & 0xffffff00n));
  return { major, minor };
}

/** mknod(2). `mode` includes the file type (fs.constants.S_IFCHR, S_IFBLK, S_IFIFO...). */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  if (toNumber(nativeMknod(path, mode, makedev(major, minor))) !== 0) throw failure('mknod', path);
}

export const XATTR_CREATE = 0x1;
export const XATTR_REPLACE = 0x2;

/** lsetxattr(2): sets an extended attribute without following a final symlink. */
export function lsetxattr(path: string, name: string, value: Uint8Array, flags = 0): void {
  if (toNumber(nativeLsetxattr(path, name, value, value.byteLength, flags)) !== 0) throw failure('lsetxattr', path);
}

/** lgetxattr(2): the attribute's value, or null when the file does not have it (ENODATA). */
export function lgetxattr(path: string, name: string): Buffer | null {
  for (let attempt = 0; ; attempt++) {
    const size = toNumber(nativeLgetxattr(path, name, null, 0));
    if (size < 0) {
      const errno = lastErrno();
      if (errno === osConstants.errno.ENODATA) return null;
      throw failure('lgetxattr', path, errno);
    }
    if (size === 0) return Buffer.alloc(0);
    const buf = Buffer.alloc(size);
    const got = toNumber(nativeLgetxattr(path, name, buf, size));
    if (got >= 0) return buf.subarray(0, got);
    const errno = lastErrno();
    // The value grew between the two calls: ask again.
    if (errno === osConstants.errno.ERANGE && attempt < 5) continue;
    if (errno === osConstants.errno.ENODATA) return null;
    throw failure('lgetxattr', path, errno);
  }
}

/** llistxattr(2): names of the extended attributes the caller may see. */
export function llistxattr(path: string): string[] {
  for (let attempt = 0; ; attempt++) {
    const size = toNumber(nativeLlistxattr(path, null, 0));
    if (size < 0) {
      const errno = lastErrno();
      if (errno === osConstants.errno.ENOTSUP) return [];
      throw failure('llistxattr', path, errno);
    }
    if (size === 0) return [];
    const buf = Buffer.alloc(size);
    const got = toNumber(nativeLlistxattr(path, buf, size));
    if (got >= 0) return buf.subarray(0, got).toString('utf8').split('\0').filter((n) => n !== '');
    const errno = lastErrno();
    if (errno === osConstants.errno.ERANGE && attempt < 5) continue;
    throw failure('llistxattr', path, errno);
  }
}

export function lremovexattr(path: string, name: string): void {
  if (toNumber(nativeLremovexattr(path, name)) !== 0) throw failure('lremovexattr', path);
}

export interface StatFs {
  /** f_type: the filesystem's magic number (0xef53 for ext2/3/4...). */
  type: number;
  blockSize: number;
  blocks: number;
  blocksFree: number;
  blocksAvailable: number;
  files: number;
  filesFree: number;
}

/** statfs(2). Layout of struct statfs on 64-bit Linux: eleven longs, then spare words. */
export function statfs(path: string): StatFs {
  const buf = Buffer.alloc(128);
  if (toNumber(nativeStatfs(path, buf)) !== 0) throw failure('statfs', path);
  const word = (i: number): number => Number(buf.readBigInt64LE(i * 8));
  return {
    type: Number(buf.readBigUInt64LE(0) & 0xffffffffn),
    blockSize: word(1),
    blocks: word(2),
    blocksFree: word(3),
    blocksAvailable: word(4),
    files: word(5),
    filesFree: word(6),
  };
}

// d_type values (dirent.h).
export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;

/**
 * Directory entries with the d_type the filesystem reports (DT_UNKNOWN when it
 * does not fill it in, as xfs formatted with ftype=0). node:fs hides this: it
 * lstat()s entries whose type is unknown.
 */
export function readdirTypes(path: string): Array<{ name: string; type: number }> {
  const dir = nativeOpendir(path);
  if (dir === null) throw failure('opendir', path);
  try {
    const entries: Array<{ name: string; type: number }> = [];
    for (;;) {
      const ent = nativeReaddir(dir);
      if (ent === null) break;
      // struct dirent (64-bit): u64 d_ino, i64 d_off, u16 d_reclen, u8 d_type, char d_name[256]
      const type = koffi.decode(ent, 18, 'uint8') as number;
      const name = koffi.decode(ent, 19, 'char', -1) as string;
      if (name !== '.' && name !== '..') entries.push({ name, type });
    }
    return entries;
  } finally {
    nativeClosedir(dir);
  }
}
