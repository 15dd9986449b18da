// docker exec: a process started in a running container by conmon
// (`conmon --exec --exec-process-spec`, which runs `<runtime> exec`). Its
// process settings start from the container's own (capabilities, user,
// environment, AppArmor...) with the exec's command, env, user, working
// directory and TTY on top, as dockerd does (moby daemon/exec.go).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { conflict, errorMessage, invalidParameter, isEngineError, notFound, systemError } from '../common/errors.js';
import { bridgeAttach, ConmonAttachConnection, DEFAULT_DETACH_KEYS, parseDetachKeys } from './attach.js';
import { attachSocketPath, execUnderConmon, resizeTerminal, RuntimeCreateError } from './conmon.js';
import { classifyStartError, type ContainerService } from './service.js';
import { frame, StreamId } from '../api/http/stdcopy.js';
import { replaceOrAppendEnv } from './spec/process.js';
import type { OciProcess } from './spec/types.js';
import { resolveUser } from './spec/user.js';
import { generateId } from './util.js';

export interface ExecCreateRequest {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ConsoleSize?: [number, number] | number[] | null;
  DetachKeys?: string;
  Tty?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

export interface ExecStartRequest {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | number[] | null;
}

interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecCreateRequest;
  running: boolean;
  exitCode: number | null;
  pid: number;
  dir: string;
  started: boolean;
  canRemove: boolean;
  exited?: Promise<number>;
}

export class ExecManager {
  private readonly execs = new Map<string, ExecRecord>();

  constructor(private readonly containers: ContainerService) {
    containers.onContainerExitExec = (execId) => {
      const e = this.execs.get(execId);
      if (e && !e.running) this.forget(e);
    };
  }

  private get(id: string): ExecRecord {
    const e = this.execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  private forget(e: ExecRecord): void {
    this.execs.delete(e.id);
    this.containers.removeExec(e.containerId, e.id);
  }

  create(idOrName: string, body: ExecCreateRequest): { Id: string } {
    const rec = this.containers.record(idOrName);
    if (!body.Cmd || body.Cmd.length === 0) throw invalidParameter('No exec command specified');
    if (body.DetachKeys) parseDetachKeys(body.DetachKeys);
    // moby's getActiveContainer names a paused container as the client did (errExecPaused(name)).
    if (rec.State.Paused) throw conflict(`Container ${idOrName} is paused, unpause the container before exec`);
    if (rec.State.Restarting) throw conflict(`Container ${rec.ID} is restarting, wait until the container is running`);
    if (!rec.State.Running) throw conflict(`container ${rec.ID} is not running`);
    const id = generateId();
    const e: ExecRecord = {
      id,
      containerId: rec.ID,
      config: { ...body },
      running: false,
      exitCode: null,
      pid: 0,
      dir: '',
      started: false,
      canRemove: false,
    };
    this.execs.set(id, e);
    this.containers.addExec(rec.ID, id);
    this.containers.emit(rec, `exec_create: ${body.Cmd.join(' ')}`, { execID: id });
    return { Id: id };
  }

  inspect(id: string): Record<string, unknown> {
    const e = this.get(id);
    const cmd = e.config.Cmd ?? [];
    return {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: {
        tty: !!e.config.Tty,
        entrypoint: cmd[0] ?? '',
        arguments: cmd.slice(1),
        privileged: !!e.config.Privileged,
        ...(e.config.User ? { user: e.config.User } : {}),
      },
      OpenStdin: !!e.config.AttachStdin,
      OpenStderr: !!e.config.AttachStderr,
      OpenStdout: !!e.config.AttachStdout,
      CanRemove: e.canRemove,
      ContainerID: e.containerId,
      DetachKeys: e.config.DetachKeys ?? '',
      Pid: e.pid,
    };
  }

  /** Check an exec can start (before the connection is hijacked). */
  checkStart(id: string): { tty: boolean } {
    const e = this.get(id);
    if (e.exitCode !== null || (e.started && !e.running)) throw conflict(`Error: Exec command ${id} has already run`);
    if (e.running || e.started) throw conflict(`Error: Exec command ${id} is already running`);
    this.containers.runningInfo(e.containerId);
    return { tty: !!e.config.Tty };
  }

  /**
   * Start the exec. With a client, its stdio is bridged until the process
   * ends (the exit code is known before the stream closes, for the CLI's
   * inspect right after); detached, it returns once the process runs.
   */
  async start(id: string, req: ExecStartRequest, client?: { socket: Duplex; initial: Buffer; multiplexed: boolean }): Promise<void> {
    const e = this.get(id);
    const info = this.containers.runningInfo(e.containerId);
    if (e.started) throw conflict(`Error: Exec command ${id} is already running`);
    e.started = true;
    const cfg = e.config;
    const tty = req.Tty ?? !!cfg.Tty;
    const consoleSize = req.ConsoleSize ?? cfg.ConsoleSize;
    const attachStdin = !!cfg.AttachStdin && !!client;
    let monitor: ReturnType<typeof execUnderConmon> | undefined;
    let conn: ConmonAttachConnection | undefined;
    try {
      // Inside the try: a failure while preparing (an unknown -u user) is a
      // failed start like runc's own, not a hijacked stream left hanging.
      const spec = await this.containers.runningSpec(e.containerId);
      const process = await this.processSpec(spec.process, cfg, info.rootfs, tty, consoleSize);
      const dir = path.join(path.dirname(info.bundle), '..', 'exec', id);
      e.dir = dir;
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      const processFile = path.join(dir, 'process.json');
      await fs.writeFile(processFile, JSON.stringify(process));
      const socketDir = this.containers.socketDir;
      monitor = execUnderConmon(this.containers.conmon, {
        containerId: e.containerId,
        execId: id,
        runtime: info.runtime,
        dir,
        processSpecPath: processFile,
        socketDir,
        terminal: tty,
        stdin: attachStdin,
        // Without a TTY the client's end of stdin is the process's EOF (docker exec -i).
        leaveStdinOpen: tty,
        attach: !!client,
      });
      this.containers.emit(info.rec, `exec_start: ${(cfg.Cmd ?? []).join(' ')}`, { execID: id });
      if (client) {
        await monitor.attachReady;
        conn = await ConmonAttachConnection.connect(attachSocketPath(socketDir, id));
        monitor.run();
      }
      e.pid = await monitor.pid;
      e.running = true;
    } catch (err) {
      conn?.close();
      const msg = err instanceof RuntimeCreateError ? `OCI runtime exec failed: ${err.message.trim()}: unknown` : errorMessage(err);
      // moby's ContainerExecStart marks every failed start 126 (a deferred
      // function overrides translateContainerdStartErr's 127): docker exec
      // exits 126 for a missing command too.
      const code = 126;
      e.running = false;
      e.exitCode = code;
      await this.finish(e, info.rec, code);
      if (client) {
        // Already hijacked: the error goes to the client's stdout, as dockerd writes it.
        const text = Buffer.from(`${msg}\r\n`);
        client.socket.end(!tty && client.multiplexed ? frame(StreamId.Stdout, text) : text);
        return;
      }
      if (isEngineError(err)) throw err;
      throw classifyStartError(msg).userError ? invalidParameter(msg) : systemError(msg);
    }
    const exited = monitor.exitCode.then(async (code) => {
      e.running = false;
      e.exitCode = code;
      await this.finish(e, info.rec, code);
      return code;
    });
    e.exited = exited;
    if (!client || !conn) return;
    await bridgeAttach(client.socket, client.initial, conn, {
      stdin: attachStdin,
      stdout: !!cfg.AttachStdout,
      stderr: !!cfg.AttachStderr,
      tty,
      multiplex: !tty && client.multiplexed,
      closeStdin: !tty,
      detachKeys: cfg.DetachKeys ? parseDetachKeys(cfg.DetachKeys) : DEFAULT_DETACH_KEYS,
      beforeEnd: () => withTimeout(exited, 5000),
    });
  }

  private async finish(e: ExecRecord, rec: { ID: string }, code: number): Promise<void> {
    const container = this.containers.record(rec.ID);
    this.containers.emit(container, 'exec_die', { execID: e.id, exitCode: String(code) });
    if (e.dir) await fs.rm(e.dir, { recursive: true, force: true }).catch(() => undefined);
    await fs.rm(path.join(this.containers.socketDir, e.id), { force: true }).catch(() => undefined);
    e.canRemove = true;
    this.containers.removeExec(e.containerId, e.id);
    // Kept for inspect until the container stops or a while passes.
    setTimeout(() => this.execs.delete(e.id), 5 * 60_000).unref();
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    const e = this.get(id);
    if (!e.running || !e.dir) throw conflict(`Exec ${id} is not running`);
    if (!(e.config.Tty ?? false)) return;
    await resizeTerminal(e.dir, height, width).catch((err) => {
      throw systemError(`cannot resize exec ${id}: ${errorMessage(err)}`);
    });
  }

  private async processSpec(base: OciProcess, cfg: ExecCreateRequest, rootfs: string, tty: boolean, consoleSize: ExecStartRequest['ConsoleSize']): Promise<OciProcess> {
    const p: OciProcess = structuredClone(base);
    p.args = [...(cfg.Cmd ?? [])];
    p.env = replaceOrAppendEnv(base.env ?? [], cfg.Env ?? []);
    if (cfg.WorkingDir) p.cwd = cfg.WorkingDir;
    if (cfg.User) {
      const u = await resolveUser(rootfs, cfg.User, []);
      p.user = { uid: u.uid, gid: u.gid, additionalGids: [...u.additionalGids] };
    }
    if (tty) {
      p.terminal = true;
      const [h = 0, w = 0] = consoleSize ?? [];
      if (h > 0 || w > 0) p.consoleSize = { height: h, width: w };
      if (!p.env.some((e) => e.startsWith('TERM='))) p.env.push('TERM=xterm');
    } else {
      delete p.terminal;
      delete p.consoleSize;
    }
    if (cfg.Privileged) {
      const all = [...this.containers.hostInfo.capabilities];
      p.capabilities = { bounding: all, effective: all, permitted: all };
    }
    return p;
  }
}

function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void p.finally(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
