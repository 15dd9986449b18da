// Where the network service keeps its state:
// - networks: <data-root>/network/networks/<id>.json, written atomically with
//   fsync (they outlive reboots, as docker's do);
// - sandboxes (a running container's namespace, endpoints, addresses and
//   ports): <exec-root>/network/sandboxes/<container-id>.json, renamed into
//   place without fsync. They describe kernel state that a reboot erases
//   anyway, and they are written before that state is made, so that a
//   daemon killed at any point finds, at its next start, everything it may
//   have left behind.
import { promises as fs, writeFileSync, renameSync, rmSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { writeJsonAtomic } from '../common/fsutil.js';
import type { Logger } from '../common/log.js';
import type { NetworkRecord, SandboxRecord } from './types.js';

export class NetworkStore {
  readonly dir: string;
  constructor(dataRoot: string) {
    this.dir = path.join(dataRoot, 'network', 'networks');
  }
  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
  }
  async loadAll(logger: Logger): Promise<NetworkRecord[]> {
    const out: NetworkRecord[] = [];
    for (const f of await fs.readdir(this.dir)) {
      if (!/^[0-9a-f]{64}\.json$/.test(f)) continue;
      try {
        out.push(JSON.parse(await fs.readFile(path.join(this.dir, f), 'utf8')) as NetworkRecord);
      } catch (err) {
        logger.warn('skipping unreadable network record', { file: f, err: err instanceof Error ? err.message : String(err) });
      }
    }
    return out;
  }
  async save(rec: NetworkRecord): Promise<void> {
    await writeJsonAtomic(path.join(this.dir, `${rec.id}.json`), rec, 0o600);
  }
  async remove(id: string): Promise<void> {
    await fs.rm(path.join(this.dir, `${id}.json`), { force: true });
  }
}

export class SandboxStore {
  readonly dir: string;
  constructor(execRoot: string) {
    this.dir = path.join(execRoot, 'network', 'sandboxes');
  }
  init(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }
  loadAll(logger: Logger): SandboxRecord[] {
    const out: SandboxRecord[] = [];
    for (const f of readdirSync(this.dir)) {
      if (!f.endsWith('.json') || f.startsWith('.')) continue;
      try {
        out.push(JSON.parse(readFileSync(path.join(this.dir, f), 'utf8')) as SandboxRecord);
      } catch (err) {
        logger.warn('skipping unreadable sandbox record', { file: f, err: err instanceof Error ? err.message : String(err) });
      }
    }
    return out;
  }
  /** Synchronous on purpose: a few hundred bytes on tmpfs, in the hot path of every start. */
  save(rec: SandboxRecord): void {
    const file = path.join(this.dir, `${rec.containerId}.json`);
    const tmp = path.join(this.dir, `.${rec.containerId}.${randomBytes(4).toString('hex')}.tmp`);
    writeFileSync(tmp, JSON.stringify(rec), { mode: 0o600 });
    renameSync(tmp, file);
  }
  remove(containerId: string): void {
    rmSync(path.join(this.dir, `${containerId}.json`), { force: true });
  }
}
