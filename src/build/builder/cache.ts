// The build cache: which image each build step produced, by cache key.
//
// As dockerd's legacy builder does, every step's result is an image in the
// image store whose Parent is the previous step's image (so `docker images
// -a` lists them and `docker history` works). This index, at
// <data-root>/builder/cache.json, says which of those images count as
// cache: a step is a hit when the index has its key and the image is still
// there. `builder prune` empties the index and removes the intermediate
// images nothing else needs, so pruning really forces a rebuild.
//
// Key: sha256 over the parent image ID and the step's container_config
// (command text with its build-arg prefix, env, workdir, user, labels...),
// which for COPY/ADD holds the sources' content hash (`COPY file:<hex> in
// /dest`). mtimes never enter it.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readJsonIfExists } from '../../common/fsutil.js';
import type { ContainerConfig } from '../../common/container-config.js';

export interface CacheEntry {
  imageId: string;
  parentId: string;
  /** The instruction, for `system df -v` (docker's Description). */
  description: string;
  created: string;
  lastUsed: string;
  usageCount: number;
  /** Bytes the step's layer holds (0 for metadata-only steps). */
  size: number;
}

/** One item of GET /system/df's BuildCache (v1.47 spec, BuildCache). */
export interface BuildCacheRecord {
  ID: string;
  Parent: string | null;
  Parents: string[] | null;
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

interface CacheFile {
  version: 1;
  entries: Record<string, CacheEntry>;
}

/** Deterministic JSON: object keys sorted, so equal configs give equal keys. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Drops empty fields so that `{Env: []}` and `{}` key the same. */
function normalizedConfig(config: ContainerConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
}

/** The cache key of a step: its parent image and its full step config. */
export function cacheKey(parentId: string, stepConfig: ContainerConfig, extra = ''): string {
  return createHash('sha256').update(`${parentId}\n${canonicalJson(normalizedConfig(stepConfig))}\n${extra}`).digest('hex');
}

export class BuildCacheIndex {
  private entries = new Map<string, CacheEntry>();
  /** Changes not written yet, and the write in progress (one at a time). */
  private dirty = false;
  private writing: Promise<void> | undefined;
  private scheduled: NodeJS.Immediate | undefined;

  private constructor(private readonly file: string) {}

  static async open(dataRoot: string): Promise<BuildCacheIndex> {
    const dir = path.join(dataRoot, 'builder');
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const index = new BuildCacheIndex(path.join(dir, 'cache.json'));
    // Temporary files of a write a crash interrupted.
    for (const name of await fs.readdir(dir).catch(() => [])) {
      if (name.startsWith('cache.json.') && name.endsWith('.tmp')) await fs.rm(path.join(dir, name), { force: true });
    }
    const data = await readJsonIfExists<CacheFile>(index.file).catch(() => undefined);
    if (data && data.version === 1 && data.entries && typeof data.entries === 'object') {
      for (const [k, v] of Object.entries(data.entries)) if (v && typeof v.imageId === 'string') index.entries.set(k, v);
    }
    return index;
  }

  get(key: string): CacheEntry | undefined {
    return this.entries.get(key);
  }

  /** Marks an entry used (a cache hit). */
  touch(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.lastUsed = new Date().toISOString();
    e.usageCount++;
    this.save();
  }

  set(key: string, entry: CacheEntry): void {
    this.entries.set(key, entry);
    this.save();
  }

  delete(key: string): void {
    if (this.entries.delete(key)) this.save();
  }

  all(): Array<[string, CacheEntry]> {
    return [...this.entries];
  }

  // A build's cache hits come in a burst (one touch per step): they make
  // one write, started on the next turn of the event loop or by flush().
  private save(): void {
    this.dirty = true;
    if (!this.writing) this.scheduled ??= setImmediate(() => this.startWriting());
  }

  private startWriting(): Promise<void> {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (!this.writing && this.dirty) this.writing = this.writeWhileDirty();
    return this.writing ?? Promise.resolve();
  }

  /** Called with dirty set: the loop body runs at least once, so `writing` is cleared only after it was set. */
  private async writeWhileDirty(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        const snapshot: CacheFile = { version: 1, entries: Object.fromEntries(this.entries) };
        await writeIndex(this.file, JSON.stringify(snapshot)).catch(() => undefined);
      }
    } finally {
      this.writing = undefined;
    }
  }

  /** Writes what is pending and waits for it (the end of a build, tests). */
  async flush(): Promise<void> {
    while (this.dirty || this.writing) await (this.writing ?? this.startWriting());
  }
}

/**
 * Replaces the index file by a rename, without fsync: it is a cache, and
 * after a power cut an older (or unreadable, hence empty) index only costs
 * cache misses, never a wrong hit (a hit also needs the image to exist and
 * keys name the step's parent and content). This keeps two fsyncs per
 * build off a fully cached build's path.
 */
async function writeIndex(file: string, text: string): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(tmp, text, { mode: 0o600 });
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
