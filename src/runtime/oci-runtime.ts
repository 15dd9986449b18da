// The OCI runtime's command line (runc and runtimes compatible with it):
// start, pause/resume, update, delete, state. Container creation goes
// through conmon (conmon.ts), which runs `<runtime> create` itself.
//
// Two shortcuts keep runc's ~6 ms process start off the hot path, both
// doing what runc's own code does (read, not copied: runc
// libcontainer/container_linux.go exec()):
// - start: runc's `start` opens the container's exec fifo, reads the byte
//   the waiting init wrote and removes the fifo. berth does the same when the
//   runtime is runc and the fifo is where runc keeps it.
// - delete of a stopped container: runc's state.json lists the cgroup paths;
//   removing them and the state directory is what `runc delete` does when
//   no process is left.
import { execFile } from 'node:child_process';
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { errnoCode, systemError } from '../common/errors.js';

export interface RuntimeDescriptor {
  /** The name containers ask for (HostConfig.Runtime): runc, or one of --add-runtime. */
  name: string;
  /** The binary. */
  path: string;
  /** Extra global arguments (daemon.json runtimeArgs). */
  args: string[];
  /** --root: where the runtime keeps its state for berth's containers. */
  root: string;
  /** --systemd-cgroup */
  systemdCgroup?: boolean;
}

export class RuntimeCommandError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = 'RuntimeCommandError';
  }
}

/** The message of runc's last error log line, from its stderr (`--log-format json` or plain text). */
export function runtimeErrorText(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (line.startsWith('{')) {
      try {
        const parsed = JSON.parse(line) as { level?: string; msg?: string };
        if (parsed.msg && (parsed.level === 'error' || parsed.level === 'fatal' || i === lines.length - 1)) return parsed.msg;
      } catch {
        // not JSON after all
      }
    }
    const m = /level=(?:error|fatal) msg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (m) return m[1]!.replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  return lines.join('; ');
}

export interface RuntimeState {
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  pid: number;
}

export class OciRuntime {
  constructor(readonly desc: RuntimeDescriptor) {}

  get isRunc(): boolean {
    return path.basename(this.desc.path) === 'runc';
  }

  /** Global arguments for every invocation (also handed to conmon as --runtime-arg). */
  globalArgs(): string[] {
    const args = ['--root', this.desc.root, ...this.desc.args];
    if (this.desc.systemdCgroup) args.push('--systemd-cgroup');
    return args;
  }

  private run(args: string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        this.desc.path,
        [...this.globalArgs(), ...args],
        { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 60_000 },
        (err, stdout, stderr) => {
          if (err) {
            const code = typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
            reject(new RuntimeCommandError(runtimeErrorText(stderr) || err.message, stderr, code));
          } else {
            resolve(stdout);
          }
        },
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  }

  private stateDir(id: string): string {
    return path.join(this.desc.root, id);
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    try {
      const out = await this.run(['state', id]);
      const parsed = JSON.parse(out) as { status?: string; pid?: number };
      return { status: (parsed.status ?? 'stopped') as RuntimeState['status'], pid: parsed.pid ?? 0 };
    } catch (err) {
      if (err instanceof RuntimeCommandError && /does not exist|not exist/.test(err.message)) return undefined;
      throw err;
    }
  }

  /** Whether the runtime still has state for `id`. */
  async exists(id: string): Promise<boolean> {
    try {
      await fs.access(path.join(this.stateDir(id), 'state.json'));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Let a created container run its process. `initPid` is the waiting init
   * (from conmon); when it died meanwhile the start fails as runc's does.
   */
  async start(id: string, initPid: number): Promise<void> {
    const fifo = path.join(this.stateDir(id), 'exec.fifo');
    if (this.isRunc && (await isFifo(fifo))) {
      await openExecFifo(fifo, initPid);
      return;
    }
    try {
      await this.run(['start', id]);
    } catch (err) {
      throw systemError(err instanceof Error ? err.message : String(err));
    }
  }

  async pause(id: string): Promise<void> {
    await this.run(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.run(['resume', id]);
  }

  async kill(id: string, signal: number, all = false): Promise<void> {
    await this.run(['kill', ...(all ? ['--all'] : []), id, String(signal)]);
  }

  /** `runc update -r -` with an OCI LinuxResources object. */
  async update(id: string, resources: unknown): Promise<void> {
    await this.run(['update', '-r', '-', id], JSON.stringify(resources));
  }

  /**
   * Remove the runtime's state of a container whose processes are gone. With
   * `force` the container is killed first (`runc delete --force`).
   */
  async delete(id: string, force = false): Promise<void> {
    if (!force && this.isRunc && (await this.deleteStoppedRunc(id))) return;
    try {
      await this.run(['delete', ...(force ? ['--force'] : []), id]);
    } catch (err) {
      if (err instanceof RuntimeCommandError && /does not exist|not exist/.test(err.message)) return;
      throw err;
    }
  }

  // What `runc delete` does for a stopped container: remove its cgroups and state dir.
  private async deleteStoppedRunc(id: string): Promise<boolean> {
    const dir = this.stateDir(id);
    let state: { init_process_pid?: number; cgroup_paths?: Record<string, string> };
    try {
      state = JSON.parse(await fs.readFile(path.join(dir, 'state.json'), 'utf8')) as typeof state;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return true;
      return false;
    }
    const pid = state.init_process_pid ?? 0;
    if (pid > 0 && processAlive(pid)) return false;
    const paths = Object.values(state.cgroup_paths ?? {});
    for (const p of new Set(paths)) {
      if (!(await removeCgroup(p))) return false;
    }
    await fs.rm(dir, { recursive: true, force: true });
    return true;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/** rmdir a cgroup and its empty children, deepest first; false when something still holds it. */
async function removeCgroup(dir: string): Promise<boolean> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    return errnoCode(err) === 'ENOENT';
  }
  for (const e of entries) {
    if (e.isDirectory() && !(await removeCgroup(path.join(dir, e.name)))) return false;
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await fs.rmdir(dir);
      return true;
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') return true;
      // EBUSY: the kernel may take a moment to let go of a cgroup whose last task just exited.
      if (code !== 'EBUSY') return false;
      await new Promise((r) => setTimeout(r, 5 * (attempt + 1)));
    }
  }
  return false;
}

async function isFifo(p: string): Promise<boolean> {
  try {
    return (await fs.lstat(p)).isFIFO();
  } catch {
    return false;
  }
}

// runc's exec(): open the fifo for reading (which lets the init's blocking
// open for writing proceed), read its byte, remove the fifo. When the init is
// gone nobody will ever open the other end, so a watchdog opens it once
// itself to release our open.
async function openExecFifo(fifo: string, initPid: number): Promise<void> {
  if (initPid > 0 && !processAlive(initPid)) throw systemError('container process is already dead');
  let released = false;
  const watchdog = setInterval(() => {
    if (initPid > 0 && !processAlive(initPid) && !released) {
      released = true;
      void fs.open(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK).then((fh) => fh.close(), () => undefined);
    }
  }, 100);
  try {
    const fh = await fs.open(fifo, fsConstants.O_RDONLY);
    let data: Buffer;
    try {
      data = await fh.readFile();
    } finally {
      await fh.close();
    }
    if (data.length === 0) throw systemError(released ? 'container process is already dead' : 'cannot start an already running container');
    await fs.rm(fifo, { force: true });
  } finally {
    clearInterval(watchdog);
  }
}
