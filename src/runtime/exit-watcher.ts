// Container exits: conmon writes <exit-dir>/<container id> (the exit code as
// text, atomically) when the container's process ends. One inotify watch on
// the directory tells berthd at once; registering also looks for a file
// already there, so an exit while berthd was down or starting is not missed.
import { promises as fs, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../common/log.js';

export type ExitListener = (exitCode: number) => void;

export class ExitWatcher {
  private watcher: FSWatcher | undefined;
  private readonly listeners = new Map<string, ExitListener>();
  private poll: NodeJS.Timeout | undefined;

  constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    this.watcher = watch(this.dir, { persistent: false }, (_ev, name) => {
      if (name) void this.check(name.toString());
    });
    this.watcher.on('error', (err) => this.logger.warn('exit directory watch failed', { err: err.message }));
    // Inotify can overflow under a burst of exits: a slow sweep catches what it dropped.
    this.poll = setInterval(() => void this.sweep(), 2000);
    this.poll.unref();
  }

  stop(): void {
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
  }

  /** Call `listener` once when `id`'s exit file appears (now, if it already exists). */
  watch(id: string, listener: ExitListener): void {
    this.listeners.set(id, listener);
    void this.check(id);
  }

  unwatch(id: string): void {
    this.listeners.delete(id);
  }

  /** The exit code in `id`'s file, if conmon wrote one. */
  async read(id: string): Promise<number | undefined> {
    try {
      const text = await fs.readFile(path.join(this.dir, id), 'utf8');
      const code = Number.parseInt(text.trim(), 10);
      return Number.isNaN(code) ? undefined : code;
    } catch {
      return undefined;
    }
  }

  /** When conmon wrote `id`'s exit file: the moment the process ended, for exits while berthd was away. */
  async writtenAt(id: string): Promise<number | undefined> {
    try {
      return (await fs.stat(path.join(this.dir, id))).mtimeMs;
    } catch {
      return undefined;
    }
  }

  /** Forget an exit file (before a new run of the same container). */
  async clear(id: string): Promise<void> {
    await fs.rm(path.join(this.dir, id), { force: true });
  }

  private async check(id: string): Promise<void> {
    const listener = this.listeners.get(id);
    if (!listener) return;
    const code = await this.read(id);
    if (code === undefined) return;
    // Still the same registration (not replaced meanwhile)?
    if (this.listeners.get(id) !== listener) return;
    this.listeners.delete(id);
    listener(code);
  }

  private async sweep(): Promise<void> {
    for (const id of [...this.listeners.keys()]) await this.check(id);
  }
}
