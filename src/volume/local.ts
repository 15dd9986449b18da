// The `local` volume driver: one directory per volume under
// <data-root>/volumes/<name>, data in its `_data` (the Mountpoint dockerd
// shows), our metadata in `volume.json`. With options (`type`, `device`,
// `o`) the volume is a mount: a tmpfs, a bind of a host directory, an NFS
// share... mounted on `_data` while at least one container uses it.
//
// Crash safety (berthd may be killed at any moment): a volume is built in
// `.staging/<random>` and renamed into place, so `<name>` exists only
// complete; removal renames it into `.trash/` first, so a half-deleted
// volume never reappears. Leftovers of both are cleared at open. Nothing is
// ever deleted recursively while something is mounted under it (a bind
// volume's `_data` shows a host directory).
//
// Names, options and messages: moby volume/local (local.go, local_unix.go).
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { errnoCode, invalidParameter, systemError } from '../common/errors.js';
import { fsyncDir, writeJsonAtomic } from '../common/fsutil.js';
import type { Logger } from '../common/log.js';
import { readMountInfo } from '../storage/util.js';
import { MountError, mountWithOptions, unmountLazy } from './mount-options.js';

export const LOCAL_DRIVER = 'local';
const DATA_DIR = '_data';
const META_FILE = 'volume.json';
const STAGING_DIR = '.staging';
const TRASH_DIR = '.trash';

/** moby daemon/names RestrictedNamePattern / RestrictedNameChars. */
const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const NAME_CHARS = '[a-zA-Z0-9][a-zA-Z0-9_.-]';

/** What volume.json holds. */
export interface VolumeMeta {
  Name: string;
  Driver: string;
  /** null when the creator gave none (dockerd shows `"Labels": null`). */
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  /** RFC 3339 with seconds, local time (Go's time.RFC3339). */
  CreatedAt: string;
}

/** Go's time.Format(time.RFC3339) in the process's time zone. */
export function formatRfc3339Seconds(d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const offsetMin = -d.getTimezoneOffset();
  const base =
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (offsetMin === 0) return `${base}Z`;
  const sign = offsetMin > 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  return `${base}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Go's strconv.Quote for the ASCII names and options these messages show. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Root.validateName. */
export function validateVolumeName(name: string): void {
  if (name.length === 1) {
    throw invalidParameter('volume name is too short, names should be at least two alphanumeric characters');
  }
  if (!NAME_PATTERN.test(name)) {
    throw invalidParameter(
      `${goQuote(name)} includes invalid characters for a local volume name, only ${goQuote(NAME_CHARS)} are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

const VALID_OPTIONS = new Set(['type', 'o', 'device', 'size']);
// Map iteration order in Go is random; check in a fixed order.
const MANDATORY_OPTIONS: Array<[string, string[]]> = [
  ['device', ['type']],
  ['type', ['device']],
  ['o', ['device', 'type']],
];

/** go-units RAMInBytes: "100m", "1.5GiB", "512" (binary multiples). */
export function ramInBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text);
  if (!m) throw invalidParameter(`invalid size: '${text}'`);
  const mult: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };
  const value = Number.parseFloat(m[1]!);
  if (Number.isNaN(value)) throw invalidParameter(`invalid size: '${text}'`);
  return Math.trunc(value * (m[2] ? mult[m[2].toLowerCase()]! : 1));
}

/** Root.validateOpts (local_unix.go). No quota support here: a positive `size` is refused as dockerd refuses it without quotas. */
export function validateLocalOptions(opts: Record<string, string> | null | undefined): void {
  if (!opts || Object.keys(opts).length === 0) return;
  for (const key of Object.keys(opts)) {
    if (!VALID_OPTIONS.has(key)) throw invalidParameter(`invalid option: ${goQuote(key)}`);
  }
  if ('size' in opts) {
    if (ramInBytes(opts.size!) > 0) throw invalidParameter('quota size requested but no quota support');
  }
  for (const [opt, required] of MANDATORY_OPTIONS) {
    if (!(opt in opts)) continue;
    for (const r of required) if (!(r in opts)) throw invalidParameter(`missing required option: ${goQuote(r)}`);
  }
}

/** localVolume.needsMount: a device or a type makes the volume a mount. */
export function needsMount(opts: Record<string, string> | null | undefined): boolean {
  return !!opts && (!!opts.device || !!opts.type);
}

/** One local volume as the driver tracks it. */
export interface LocalVolume {
  meta: VolumeMeta;
  /** <root>/<name> */
  rootPath: string;
  /** <root>/<name>/_data: the Mountpoint. */
  path: string;
  /** Who has it mounted now (container ids, copy-up runs); the device is mounted while non-empty. */
  active: Set<string>;
  /** The device is mounted on `path` (also found mounted at open, after a crash). */
  mounted: boolean;
}

export interface LocalDriverOptions {
  /** <data-root>/volumes */
  root: string;
  logger: Logger;
}

async function isMountedAt(p: string): Promise<boolean> {
  return (await readMountInfo()).some((m) => m.mountPoint === p);
}

async function mountsAtOrUnder(dir: string): Promise<string[]> {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = (await readMountInfo()).map((m) => m.mountPoint).filter((p) => p === dir || p.startsWith(prefix));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export class LocalDriver {
  readonly name = LOCAL_DRIVER;
  readonly scope = 'local' as const;
  readonly root: string;
  private readonly logger: Logger;
  private readonly volumes = new Map<string, LocalVolume>();

  constructor(opts: LocalDriverOptions) {
    this.root = opts.root;
    this.logger = opts.logger;
  }

  /** Load the volumes on disk; clear what a crash left half-made or half-removed. */
  async open(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true, mode: 0o701 });
    for (const leftover of [STAGING_DIR, TRASH_DIR]) await this.clearDir(path.join(this.root, leftover));
    for (const entry of await fs.readdir(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      if (!NAME_PATTERN.test(entry.name)) {
        this.logger.warn('ignoring a directory in the volumes root that is not a volume name', { dir: entry.name });
        continue;
      }
      try {
        this.volumes.set(entry.name, await this.load(entry.name));
      } catch (err) {
        this.logger.error('cannot load volume', { volume: entry.name, err: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  private async load(name: string): Promise<LocalVolume> {
    const rootPath = path.join(this.root, name);
    const dataPath = path.join(rootPath, DATA_DIR);
    let meta: VolumeMeta | undefined;
    try {
      meta = parseMeta(JSON.parse(await fs.readFile(path.join(rootPath, META_FILE), 'utf8')), name);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    if (!meta) {
      // A directory someone made by hand, as dockerd's local driver accepts them.
      const st = await fs.stat(rootPath);
      meta = { Name: name, Driver: LOCAL_DRIVER, Labels: null, Options: null, CreatedAt: formatRfc3339Seconds(st.ctime) };
      await fs.mkdir(dataPath, { recursive: true, mode: 0o755 });
      await writeJsonAtomic(path.join(rootPath, META_FILE), meta, 0o600);
    }
    const mounted = needsMount(meta.Options) && (await isMountedAt(dataPath));
    return { meta, rootPath, path: dataPath, active: new Set(), mounted };
  }

  /** Remove a staging or trash directory's entries, unmounting anything left mounted there first. */
  private async clearDir(dir: string): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    for (const n of names) {
      const p = path.join(dir, n);
      try {
        await this.removeTree(p);
      } catch (err) {
        this.logger.error('cannot clear a leftover volume directory', { path: p, err: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  /** rm -rf, but never through a mount: unmount what is under `p` first and refuse if that fails. */
  private async removeTree(p: string): Promise<void> {
    for (const m of await mountsAtOrUnder(p)) unmountLazy(m);
    const left = await mountsAtOrUnder(p);
    if (left.length > 0) throw systemError(`error removing volume path '${p}': still mounted at ${left.join(', ')}`);
    await fs.rm(p, { recursive: true, force: true });
  }

  get(name: string): LocalVolume | undefined {
    return this.volumes.get(name);
  }

  list(): LocalVolume[] {
    return [...this.volumes.values()];
  }

  /** Root.Create: a new volume directory (the caller checked the name is free). */
  async create(name: string, options: Record<string, string> | null, labels: Record<string, string> | null): Promise<LocalVolume> {
    validateVolumeName(name);
    validateLocalOptions(options);
    const existing = this.volumes.get(name);
    if (existing) return existing;
    const meta: VolumeMeta = { Name: name, Driver: LOCAL_DRIVER, Labels: labels, Options: options, CreatedAt: formatRfc3339Seconds(new Date()) };
    const staging = path.join(this.root, STAGING_DIR);
    await fs.mkdir(staging, { recursive: true, mode: 0o700 });
    const tmp = path.join(staging, randomBytes(8).toString('hex'));
    const rootPath = path.join(this.root, name);
    try {
      await fs.mkdir(tmp, { mode: 0o701 });
      await fs.chmod(tmp, 0o701);
      await fs.mkdir(path.join(tmp, DATA_DIR), { mode: 0o755 });
      await fs.chmod(path.join(tmp, DATA_DIR), 0o755);
      await writeJsonAtomic(path.join(tmp, META_FILE), meta, 0o600);
      await fs.rename(tmp, rootPath);
      await fsyncDir(this.root);
    } catch (err) {
      await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      const code = errnoCode(err);
      if (code === 'EEXIST' || code === 'ENOTEMPTY') {
        // Made by hand meanwhile: take it as it is.
        const v = await this.load(name);
        this.volumes.set(name, v);
        return v;
      }
      throw systemError(`error while creating volume root path '${rootPath}': ${err instanceof Error ? err.message : String(err)}`, err);
    }
    const v: LocalVolume = { meta, rootPath, path: path.join(rootPath, DATA_DIR), active: new Set(), mounted: false };
    this.volumes.set(name, v);
    return v;
  }

  /** Root.Remove: refuses while mounted by someone; unmounts, moves to the trash, deletes. */
  async remove(v: LocalVolume): Promise<void> {
    if (v.active.size > 0) throw systemError('volume has active mounts');
    if (v.mounted) this.unmountDevice(v);
    const trash = path.join(this.root, TRASH_DIR);
    await fs.mkdir(trash, { recursive: true, mode: 0o700 });
    // Nothing may stay mounted inside: a recursive delete would go through it.
    for (const m of await mountsAtOrUnder(v.rootPath)) unmountLazy(m);
    const left = await mountsAtOrUnder(v.rootPath);
    if (left.length > 0) throw systemError(`error removing volume path '${v.path}': still mounted at ${left.join(', ')}`);
    const gone = path.join(trash, `${v.meta.Name}.${randomBytes(6).toString('hex')}`);
    try {
      await fs.rename(v.rootPath, gone);
      await fsyncDir(this.root);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw systemError(`error removing volume path '${v.rootPath}': ${err instanceof Error ? err.message : String(err)}`, err);
    }
    this.volumes.delete(v.meta.Name);
    await this.removeTree(gone).catch((err: unknown) => {
      this.logger.warn('cannot delete a removed volume\'s files', { path: gone, err: err instanceof Error ? err.message : String(err) });
    });
  }

  /** localVolume.Mount: mounts the device for the first user; returns the data path. */
  mount(v: LocalVolume, ref: string): string {
    if (needsMount(v.meta.Options)) {
      if (!v.mounted) {
        const o = v.meta.Options!;
        if (!o.device) throw systemError('missing device in volume options');
        try {
          mountWithOptions(o.device, v.path, o.type ?? '', o.o ?? '');
        } catch (err) {
          let text = err instanceof MountError ? err.message : String(err);
          // Never echo a CIFS password back (moby local_unix.go).
          const pw = /(?:^|,)password=([^,]*)/.exec(o.o ?? '')?.[1];
          if (pw) text = text.replace(`password=${pw}`, 'password=********');
          throw systemError(`failed to mount local volume: ${text}`, err);
        }
        v.mounted = true;
      }
      v.active.add(ref);
    }
    return v.path;
  }

  /** localVolume.Unmount: drops `ref`; the last one unmounts the device. */
  unmount(v: LocalVolume, ref: string): void {
    v.active.delete(ref);
    if (v.active.size > 0 || !v.mounted) return;
    this.unmountDevice(v);
  }

  /** After a daemon restart: `ref` (a running container) still uses the device mounted before. */
  adoptMount(v: LocalVolume, ref: string): void {
    if (needsMount(v.meta.Options) && v.mounted) v.active.add(ref);
  }

  /** Unmount devices nobody uses (after restore, or at shutdown). */
  unmountIdle(): void {
    for (const v of this.volumes.values()) {
      if (v.mounted && v.active.size === 0) {
        try {
          this.unmountDevice(v);
        } catch (err) {
          this.logger.warn('cannot unmount an idle volume', { volume: v.meta.Name, err: err instanceof Error ? err.message : String(err) });
        }
      }
    }
  }

  private unmountDevice(v: LocalVolume): void {
    try {
      unmountLazy(v.path);
    } catch (err) {
      throw systemError(`error while unmounting volume path '${v.path}': ${err instanceof Error ? err.message : String(err)}`, err);
    }
    v.mounted = false;
  }
}

function stringMap(value: unknown): Record<string, string> | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error('expected an object of strings');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = String(v);
  return out;
}

function parseMeta(raw: unknown, name: string): VolumeMeta {
  if (!raw || typeof raw !== 'object') throw new Error(`${META_FILE} of ${name} is not an object`);
  const r = raw as Record<string, unknown>;
  return {
    Name: name,
    Driver: typeof r.Driver === 'string' ? r.Driver : LOCAL_DRIVER,
    Labels: stringMap(r.Labels),
    Options: stringMap(r.Options),
    CreatedAt: typeof r.CreatedAt === 'string' ? r.CreatedAt : formatRfc3339Seconds(new Date()),
  };
}
