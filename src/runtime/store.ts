// Containers on disk and their names in memory. Each container has a
// directory <data-root>/containers/<id>/ whose container.json (the
// ContainerRecord) is replaced atomically on every change; a directory
// without container.json is a create that did not finish.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { conflict, invalidParameter, notFound } from '../common/errors.js';
import type { ContainerRecord } from './model.js';
import { writeFileReplace } from './util.js';

export const RECORD_FILE = 'container.json';

export class ContainerDirs {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return path.join(this.root, id);
  }

  async init(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true, mode: 0o710 });
  }

  async save(rec: ContainerRecord): Promise<void> {
    await writeFileReplace(path.join(this.dir(rec.ID), RECORD_FILE), JSON.stringify(rec));
  }

  /** Every directory: the records that load, and the IDs of directories without one. */
  async loadAll(): Promise<{ records: ContainerRecord[]; incomplete: string[] }> {
    const records: ContainerRecord[] = [];
    const incomplete: string[] = [];
    for (const name of await fs.readdir(this.root).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      try {
        const rec = JSON.parse(await fs.readFile(path.join(this.dir(name), RECORD_FILE), 'utf8')) as ContainerRecord;
        if (rec.ID !== name) throw new Error('ID mismatch');
        records.push(rec);
      } catch {
        incomplete.push(name);
      }
    }
    return { records, incomplete };
  }

  async remove(id: string): Promise<void> {
    await fs.rm(this.dir(id), { recursive: true, force: true });
  }
}

/** docker's lookup: full ID, then exact name, then a unique ID prefix. */
export class NameIndex<T extends { id: string; name: string }> {
  private readonly byId = new Map<string, T>();
  private readonly byName = new Map<string, string>();

  add(item: T): void {
    this.byId.set(item.id, item);
    this.byName.set(item.name, item.id);
  }

  delete(id: string): void {
    const item = this.byId.get(id);
    if (!item) return;
    this.byId.delete(id);
    if (this.byName.get(item.name) === id) this.byName.delete(item.name);
  }

  /** Reserve a name (with slash) for `id`; 409 with docker's message when taken. */
  reserveName(name: string, id: string): void {
    const holder = this.byName.get(name);
    if (holder !== undefined && holder !== id) {
      throw conflict(`Conflict. The container name "${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    this.byName.set(name, id);
  }

  releaseName(name: string, id: string): void {
    if (this.byName.get(name) === id) this.byName.delete(name);
  }

  nameTaken(name: string): boolean {
    return this.byName.has(name);
  }

  get(idOrName: string): T {
    if (idOrName === '') throw invalidParameter('No container name or ID supplied');
    const full = this.byId.get(idOrName);
    if (full) return full;
    const byName = this.byName.get(idOrName.startsWith('/') ? idOrName : `/${idOrName}`);
    if (byName) {
      const item = this.byId.get(byName);
      if (item) return item;
    }
    if (/^[0-9a-f]+$/.test(idOrName)) {
      let found: T | undefined;
      for (const [id, item] of this.byId) {
        if (!id.startsWith(idOrName)) continue;
        if (found) throw invalidParameter(`multiple IDs found with provided prefix: ${idOrName}`);
        found = item;
      }
      if (found) return found;
    }
    throw notFound(`No such container: ${idOrName}`);
  }

  find(idOrName: string): T | undefined {
    try {
      return this.get(idOrName);
    } catch {
      return undefined;
    }
  }

  all(): T[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }
}
