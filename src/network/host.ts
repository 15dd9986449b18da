// Small host-side helpers: sysctls of the daemon's namespace, and whether a
// pinned network namespace still has processes in it (a container that runs).
import { readdirSync, readlinkSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function readSysctl(key: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${key}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Write a sysctl when it differs; false when it cannot be written. */
export function ensureSysctl(key: string, value: string): boolean {
  if (readSysctl(key) === value) return true;
  try {
    writeFileSync(`/proc/sys/${key}`, value);
    return true;
  } catch {
    return false;
  }
}

/** The namespace inode pinned at `nsPath`, or undefined when nothing is mounted there. */
export function pinnedNetnsInode(nsPath: string): number | undefined {
  try {
    const st = statSync(nsPath);
    const parent = statSync(path.dirname(nsPath));
    // An nsfs bind mount lives on its own device; a bare file is just a file.
    return st.dev !== parent.dev ? st.ino : undefined;
  } catch {
    return undefined;
  }
}

/** Inodes of the network namespaces that have at least one process. */
export function liveNetnsInodes(): Set<number> {
  const out = new Set<number>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^[0-9]+$/.test(p));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`));
      if (m) out.add(Number(m[1]));
    } catch {
      // the process exited meanwhile
    }
  }
  return out;
}
