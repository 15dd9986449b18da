// The vfs driver: every layer is a full copy of its parent with its own diff
// applied (<home>/dir/<id>). Slow and large, but it needs nothing from the
// kernel, so it is the fallback where overlayfs is unavailable, and it
// exercises the layer store's interface in tests.
//
// Copies are made by cp(1) -a (ownership, modes, times, xattrs, devices and
// hard links kept; --reflink=auto shares blocks on btrfs and xfs).

import { execFile } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { invalidParameter, systemError, errorMessage } from '../common/errors.js';
import { changesMembers, changesSize, naiveChanges } from './diff.js';
import type { Change } from './diff.js';
import type { GraphDriver } from './driver.js';
import type { TarMember } from './tar/writer.js';

const execFileAsync = promisify(execFile);

export class VfsDriver implements GraphDriver {
  readonly name = 'vfs' as const;
  readonly whiteouts = 'remove' as const;
  private readonly refs = new Map<string, number>();

  constructor(readonly home: string) {}

  private dir(id: string): string {
    if (!/^[0-9a-f]{64}$/.test(id)) throw invalidParameter(`invalid layer id ${JSON.stringify(id)}`);
    return `${this.home}/dir/${id}`;
  }

  async init(): Promise<void> {
    await mkdir(`${this.home}/dir`, { recursive: true, mode: 0o700 });
  }

  async create(id: string, parent: string | null): Promise<void> {
    const dir = this.dir(id);
    await mkdir(dir, { mode: 0o755 });
    if (parent === null) return;
    try {
      await execFileAsync('cp', ['-a', '--reflink=auto', '--', `${this.dir(parent)}/.`, dir]);
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr?.trim();
      throw systemError(`vfs: copying layer ${parent}: ${stderr || errorMessage(err)}`, err);
    }
  }

  applyDir(id: string, parent: string | null): { dir: string; empty: boolean } {
    return { dir: this.dir(id), empty: parent === null };
  }

  async lowerDiffDirs(): Promise<string[]> {
    return [];
  }

  async remove(id: string): Promise<void> {
    this.refs.delete(id);
    await rm(this.dir(id), { recursive: true, force: true });
  }

  async list(): Promise<string[]> {
    return (await readdir(`${this.home}/dir`)).filter((name) => /^[0-9a-f]{64}$/.test(name));
  }

  async cleanup(): Promise<void> {}

  async mount(id: string): Promise<string> {
    this.refs.set(id, (this.refs.get(id) ?? 0) + 1);
    return this.dir(id);
  }

  async unmount(id: string, force = false): Promise<void> {
    const count = this.refs.get(id) ?? 0;
    if (force || count <= 1) this.refs.delete(id);
    else this.refs.set(id, count - 1);
  }

  mountCount(id: string): number {
    return this.refs.get(id) ?? 0;
  }

  mountPath(): null {
    return null;
  }

  async changes(id: string, parent: string | null): Promise<Change[]> {
    return naiveChanges(this.dir(id), parent === null ? null : this.dir(parent));
  }

  async diffSize(id: string, parent: string | null): Promise<number> {
    return changesSize(this.dir(id), await this.changes(id, parent));
  }

  async *diffMembers(id: string, parent: string | null): AsyncGenerator<TarMember> {
    yield* changesMembers(this.dir(id), await this.changes(id, parent));
  }

  async metadata(): Promise<null> {
    return null;
  }

  status(): Array<[string, string]> {
    return [];
  }
}
