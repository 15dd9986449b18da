// The overlay2 driver, laid out as dockerd's:
//
//   <home>/<id>/diff     the layer's own files; whiteouts as 0/0 char devices,
//                        opaque directories with trusted.overlay.opaque=y
//   <home>/<id>/link     the layer's short name, e.g. "5DQKXN4Y7QW7YHM2ZFZ3WQJUDL"
//   <home>/<id>/lower    its ancestors' short links, nearest first: "l/AAA:l/BBB"
//   <home>/<id>/work     overlayfs workdir   (writable layers)
//   <home>/<id>/merged   the mount point     (writable layers, while mounted)
//   <home>/l/<short>  -> ../<id>/diff
//
// The short links keep the mount options of a deep stack within the one page
// mount(2) accepts: 128 lowers as "l/<26 chars>" take ~3.7 KiB, given relative
// to <home>. When absolute paths fit, we mount directly; otherwise mount(8)
// runs with <home> as its working directory, as dockerd re-execs itself to
// chdir before mounting (a process-wide chdir in berthd would race every
// relative path in flight).

import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, readlink, rm, rmdir, symlink, writeFile, mkdtemp } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { posix } from 'node:path';
import { errnoCode, errorMessage, invalidParameter, systemError, unavailable } from '../common/errors.js';
import { MNT_DETACH, mount, readdirTypes, statfs, umount2, DT_UNKNOWN } from '../common/syscalls.js';
import type { Logger } from '../common/log.js';
import { directorySize, overlayChanges, overlayDiffMembers } from './diff.js';
import type { Change } from './diff.js';
import { filesystemName } from './driver.js';
import type { GraphDriver } from './driver.js';
import type { TarMember } from './tar/writer.js';
import { KeyedMutex, mountsUnder, shortLinkId } from './util.js';

const execFileAsync = promisify(execFile);

/** Deepest stack dockerd allows (and what fits one page of relative options). */
export const MAX_DEPTH = 128;
const PAGE_SIZE = 4096;
const PARAMS = '/sys/module/overlay/parameters';

function moduleParameter(name: string): string | null {
  try {
    return readFileSync(`${PARAMS}/${name}`, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * Options that keep an upper dir a plain diff: no inode index (it would tie
 * lower layers to one upper), no redirects and no metacopy (either would make
 * the upper dir something other than "the changed files").
 */
function mountExtraOptions(): string[] {
  const options: string[] = [];
  if (moduleParameter('index') !== null) options.push('index=off');
  if (moduleParameter('redirect_dir') === 'Y') options.push('redirect_dir=off');
  if (moduleParameter('metacopy') === 'Y') options.push('metacopy=off');
  return options;
}

/** Whether readdir reports file types on the filesystem of `dir` (overlayfs needs it). */
async function supportsDType(dir: string): Promise<boolean> {
  const probe = await mkdtemp(`${dir}/.dtype-`);
  try {
    await writeFile(`${probe}/file`, '');
    return readdirTypes(probe).every((e) => e.type !== DT_UNKNOWN);
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}

/** Tries an overlay mount with two lowers under `dir`; null if it works, else why not. */
export async function probeOverlay(dir: string): Promise<string | null> {
  await mkdir(dir, { recursive: true });
  let probe: string;
  try {
    probe = await mkdtemp(`${dir}/.check-`);
  } catch (err) {
    return errorMessage(err);
  }
  try {
    for (const sub of ['lower1', 'lower2', 'upper', 'work', 'merged']) await mkdir(`${probe}/${sub}`);
    const options = [`lowerdir=${probe}/lower2:${probe}/lower1`, `upperdir=${probe}/upper`, `workdir=${probe}/work`, ...mountExtraOptions()];
    mount('overlay', `${probe}/merged`, 'overlay', 0, options.join(','));
    umount2(`${probe}/merged`, MNT_DETACH);
    return null;
  } catch (err) {
    return errorMessage(err);
  } finally {
    await rm(probe, { recursive: true, force: true }).catch(() => {});
  }
}

export class Overlay2Driver implements GraphDriver {
  readonly name = 'overlay2' as const;
  readonly whiteouts = 'overlay' as const;
  private readonly refs = new Map<string, number>();
  private readonly locks = new KeyedMutex();
  private extraOptions: string[] = [];
  private backingFs = '<unknown>';
  private dType = true;

  constructor(
    readonly home: string,
    private readonly log: Logger,
  ) {}

  private dir(id: string): string {
    if (!/^[0-9a-f]{64}$/.test(id)) throw invalidParameter(`invalid layer id ${JSON.stringify(id)}`);
    return `${this.home}/${id}`;
  }

  async init(): Promise<void> {
    await mkdir(this.home, { recursive: true, mode: 0o710 });
    await mkdir(`${this.home}/l`, { recursive: true, mode: 0o700 });
    this.backingFs = filesystemName(statfs(this.home).type);
    this.dType = await supportsDType(this.home);
    if (!this.dType) {
      throw unavailable(
        `overlay2: the backing ${this.backingFs} filesystem is formatted without d_type support, which leads to incorrect behavior. Reformat the filesystem with ftype=1 to enable d_type support.`,
      );
    }
    const problem = await probeOverlay(this.home);
    if (problem !== null) throw unavailable(`overlay2 is not supported on this host: ${problem}`);
    this.extraOptions = mountExtraOptions();
  }

  async create(id: string, parent: string | null, writable: boolean): Promise<void> {
    const dir = this.dir(id);
    let lowers: string[] = [];
    if (parent !== null) {
      const parentLink = (await readFile(`${this.dir(parent)}/link`, 'utf8')).trim();
      lowers = [`l/${parentLink}`, ...(await this.lowerLinks(parent))];
      if (lowers.length > MAX_DEPTH) throw invalidParameter('max depth exceeded');
    }
    await mkdir(dir, { mode: 0o710 });
    await mkdir(`${dir}/diff`, { mode: 0o755 });
    const link = shortLinkId();
    await symlink(`../${id}/diff`, `${this.home}/l/${link}`);
    await writeFile(`${dir}/link`, link);
    if (lowers.length > 0) await writeFile(`${dir}/lower`, lowers.join(':'));
    if (writable) await mkdir(`${dir}/work`, { mode: 0o700 });
  }

  applyDir(id: string): { dir: string; empty: boolean } {
    return { dir: `${this.dir(id)}/diff`, empty: true };
  }

  /** The `l/<short>` names of a layer's ancestors, nearest first. */
  private async lowerLinks(id: string): Promise<string[]> {
    try {
      const text = (await readFile(`${this.dir(id)}/lower`, 'utf8')).trim();
      return text === '' ? [] : text.split(':');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw err;
    }
  }

  /** Absolute diff dirs of a layer's ancestors, nearest first. */
  async lowerDiffDirs(id: string): Promise<string[]> {
    const dirs: string[] = [];
    for (const link of await this.lowerLinks(id)) {
      const target = await readlink(`${this.home}/${link}`);
      dirs.push(posix.resolve(posix.dirname(`${this.home}/${link}`), target));
    }
    return dirs;
  }

  async remove(id: string): Promise<void> {
    const dir = this.dir(id);
    await this.unmount(id, true);
    try {
      const link = (await readFile(`${dir}/link`, 'utf8')).trim();
      if (/^[A-Z2-7]+$/.test(link)) await rm(`${this.home}/l/${link}`, { force: true });
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    await rm(dir, { recursive: true, force: true });
  }

  async list(): Promise<string[]> {
    return (await readdir(this.home)).filter((name) => /^[0-9a-f]{64}$/.test(name));
  }

  async cleanup(live: Set<string>): Promise<void> {
    for (const name of await readdir(this.home)) {
      // Probes and anything else half-made.
      if (name.startsWith('.')) await rm(`${this.home}/${name}`, { recursive: true, force: true });
    }
    for (const link of await readdir(`${this.home}/l`)) {
      let target: string;
      try {
        target = await readlink(`${this.home}/l/${link}`);
      } catch {
        continue;
      }
      const id = /^\.\.\/([0-9a-f]{64})\/diff$/.exec(target)?.[1];
      if (id === undefined || !live.has(id) || !existsSync(`${this.home}/${id}`)) {
        await rm(`${this.home}/l/${link}`, { force: true });
      }
    }
  }

  async mount(id: string): Promise<string> {
    return this.locks.run(id, async () => {
      const dir = this.dir(id);
      const lowers = await this.lowerLinks(id);
      const count = this.refs.get(id) ?? 0;
      // A layer without parents is just its diff dir (as dockerd returns it).
      const root = lowers.length === 0 ? `${dir}/diff` : `${dir}/merged`;
      if (count > 0 || lowers.length === 0) {
        this.refs.set(id, count + 1);
        return root;
      }
      await mkdir(`${dir}/work`, { recursive: true, mode: 0o700 });
      await mkdir(root, { recursive: true, mode: 0o700 });
      if ((await mountsUnder(root)).includes(root)) {
        this.log.warn('overlay2: reusing a mount left from before', { mount: root });
      } else {
        await this.mountOverlay(id, lowers, root);
      }
      this.refs.set(id, 1);
      return root;
    });
  }

  private async mountOverlay(id: string, lowers: string[], target: string): Promise<void> {
    const absolute = [
      `lowerdir=${lowers.map((l) => `${this.home}/${l}`).join(':')}`,
      `upperdir=${this.home}/${id}/diff`,
      `workdir=${this.home}/${id}/work`,
      ...this.extraOptions,
    ].join(',');
    if (absolute.length < PAGE_SIZE) {
      mount('overlay', target, 'overlay', 0, absolute);
      return;
    }
    const relative = [`lowerdir=${lowers.join(':')}`, `upperdir=${id}/diff`, `workdir=${id}/work`, ...this.extraOptions].join(',');
    if (relative.length >= PAGE_SIZE) throw invalidParameter('max depth exceeded');
    try {
      await execFileAsync('mount', ['-n', '-t', 'overlay', '-o', relative, 'overlay', target], { cwd: this.home });
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr?.trim();
      throw systemError(`error creating overlay mount to ${target}: ${stderr || errorMessage(err)}`, err);
    }
  }

  async unmount(id: string, force = false): Promise<void> {
    await this.locks.run(id, async () => {
      const count = this.refs.get(id) ?? 0;
      if (!force && count > 1) {
        this.refs.set(id, count - 1);
        return;
      }
      this.refs.delete(id);
      // With no reference counted, a mount can still be there: one adopted at
      // open() from before a restart. The last unmount takes it down too.
      const merged = `${this.dir(id)}/merged`;
      const points = await mountsUnder(merged);
      if (points.length === 0) return;
      for (const point of points) {
        try {
          umount2(point, MNT_DETACH);
        } catch (err) {
          if (errnoCode(err) !== 'EINVAL' && errnoCode(err) !== 'ENOENT') throw err;
        }
      }
      // As dockerd: drop the mount point, so a mount leaked into another namespace cannot pin it.
      await rmdir(merged).catch(() => {});
    });
  }

  mountCount(id: string): number {
    return this.refs.get(id) ?? 0;
  }

  mountPath(id: string): string {
    return `${this.dir(id)}/merged`;
  }

  async changes(id: string): Promise<Change[]> {
    return overlayChanges(`${this.dir(id)}/diff`, await this.lowerDiffDirs(id));
  }

  async diffSize(id: string): Promise<number> {
    return directorySize(`${this.dir(id)}/diff`);
  }

  diffMembers(id: string): AsyncIterable<TarMember> {
    return overlayDiffMembers(`${this.dir(id)}/diff`);
  }

  async metadata(id: string): Promise<Record<string, string>> {
    const dir = this.dir(id);
    const data: Record<string, string> = {};
    const lowers = await this.lowerDiffDirs(id);
    if (lowers.length > 0) data.LowerDir = lowers.join(':');
    data.MergedDir = `${dir}/merged`;
    data.UpperDir = `${dir}/diff`;
    data.WorkDir = `${dir}/work`;
    return data;
  }

  status(): Array<[string, string]> {
    return [
      ['Backing Filesystem', this.backingFs],
      ['Supports d_type', String(this.dType)],
      ['Using metacopy', 'false'],
      ['Native Overlay Diff', 'true'],
      ['userxattr', 'false'],
    ];
  }
}
