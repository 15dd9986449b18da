// Where a container's processes are accounted: the cgroup directories of its
// init, read from /proc/<pid>/cgroup (so any cgroup driver and parent works),
// for cgroup v1 (one directory per controller) and v2 (one unified directory).
import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface CgroupPaths {
  version: 1 | 2;
  /** v1: controller name → directory; v2: '' → the unified directory. */
  dirs: Map<string, string>;
}

const ROOT = '/sys/fs/cgroup';

export async function cgroupPathsOf(pid: number): Promise<CgroupPaths | undefined> {
  let text: string;
  try {
    text = await fs.readFile(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  const unified = await fs.access(path.join(ROOT, 'cgroup.controllers')).then(() => true, () => false);
  const dirs = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, hier, controllers, rel] = m as unknown as [string, string, string, string];
    if (unified) {
      if (hier === '0') dirs.set('', path.join(ROOT, rel));
      continue;
    }
    for (const c of controllers.split(',')) {
      if (!c) continue;
      const name = c.replace(/^name=/, '');
      // cpu,cpuacct and friends share a mount named after both.
      const candidates = [path.join(ROOT, name, rel), path.join(ROOT, controllers, rel)];
      for (const dir of candidates) {
        if (await fs.access(dir).then(() => true, () => false)) {
          dirs.set(name, dir);
          break;
        }
      }
    }
  }
  return { version: unified ? 2 : 1, dirs };
}

/** Every pid in a cgroup directory and the ones below it. */
export async function pidsIn(dir: string): Promise<number[]> {
  const out: number[] = [];
  const text = await fs.readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  for (const l of text.split('\n')) if (l.trim()) out.push(Number(l));
  for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory()) out.push(...(await pidsIn(path.join(dir, e.name))));
  }
  return out;
}

/** The pids of a container whose init is `pid`. */
export async function containerPids(pid: number): Promise<number[]> {
  const cg = await cgroupPathsOf(pid);
  if (!cg) return [];
  const dir = cg.version === 2 ? cg.dirs.get('') : (cg.dirs.get('pids') ?? cg.dirs.get('memory') ?? cg.dirs.get('cpu') ?? cg.dirs.get('freezer'));
  if (!dir) return [pid];
  const pids = await pidsIn(dir);
  return pids.length ? pids : [pid];
}
