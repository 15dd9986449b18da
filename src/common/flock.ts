// An exclusive advisory lock on a file (flock(2)), released by the kernel when
// the process dies, even by SIGKILL: the right primitive for "one daemon per
// data root". Node has no flock, so it goes through koffi.
import koffi from 'koffi';
import { openSync, closeSync, writeFileSync, ftruncateSync } from 'node:fs';

const LOCK_EX = 2;
const LOCK_NB = 4;

let flockFn: ((fd: number, op: number) => number) | undefined;
let errnoFn: (() => number) | undefined;

function bind(): void {
  if (flockFn) return;
  const libc = koffi.load('libc.so.6');
  flockFn = libc.func('int flock(int fd, int op)') as (fd: number, op: number) => number;
  const errnoLoc = libc.func('int *__errno_location()') as () => unknown;
  errnoFn = () => koffi.decode(errnoLoc(), 'int') as number;
}

export class FileLock {
  private constructor(private fd: number | null) {}

  /** Take the lock without waiting; undefined when another process holds it. */
  static tryAcquire(file: string): FileLock | undefined {
    bind();
    const fd = openSync(file, 'a+', 0o600);
    if (flockFn!(fd, LOCK_EX | LOCK_NB) !== 0) {
      const errno = errnoFn!();
      closeSync(fd);
      if (errno === 11 /* EWOULDBLOCK */) return undefined;
      throw new Error(`flock ${file}: errno ${errno}`);
    }
    return new FileLock(fd);
  }

  /** Record the holder's pid inside the lock file (informational). */
  writePid(pid: number): void {
    if (this.fd === null) return;
    ftruncateSync(this.fd, 0);
    writeFileSync(this.fd, `${pid}\n`);
  }

  release(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}
