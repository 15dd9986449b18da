// conmon, the per-container monitor: it runs `<runtime> create` (or `exec`),
// holds the container's stdio or pty, writes the log, serves the attach
// socket and the ctl fifo, and writes the exit code when the process ends.
// It double-forks and setsid()s, so berthd can die and come back without
// the container noticing.
//
// Protocol with conmon (learnt from conmon's src/conmon.c and how Podman's
// libpod/oci_conmon_linux.go drives it):
// - _OCI_SYNCPIPE: conmon writes JSON lines `{"data": N[, "message": "..."]}`
//   (--api-version 1): first the container pid (or -1 and the runtime's
//   stderr when create failed); for an exec, later its exit code.
// - _OCI_STARTPIPE: conmon reads once before forking; for an exec with
//   --exec-attach it reads a second time before running `<runtime> exec`.
// - _OCI_ATTACHPIPE (exec with --exec-attach): conmon writes a line when the
//   attach socket of the exec is listening.
// - <socket-dir>/<cuuid> is a symlink to the bundle; the SOCK_SEQPACKET
//   attach socket is <bundle>/attach. The ctl fifo is <bundle>/ctl: lines
//   "1 <rows> <cols>" resize the pty, "2 0 0" reopens the log file.
// - --exit-dir/<cid> and <persist-dir>/exit receive the exit code as text;
//   <persist-dir>/oom (and <cwd>/oom) appear when the cgroup saw an OOM kill.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { runtimeErrorText, type OciRuntime } from './oci-runtime.js';

export type ConmonLog =
  | { driver: 'k8s-file'; path: string; maxSize?: number }
  | { driver: 'journald'; tag?: string }
  | { driver: 'none' };

export interface ContainerMonitorSpec {
  id: string;
  name: string;
  runtime: OciRuntime;
  /** The OCI bundle: config.json lives there; conmon puts attach, ctl, winsz, pid files there too. */
  bundle: string;
  exitDir: string;
  socketDir: string;
  terminal: boolean;
  stdin: boolean;
  leaveStdinOpen: boolean;
  log: ConmonLog;
}

export interface CreatedContainer {
  /** The container's init (waiting on the exec fifo until started). */
  pid: number;
  conmonPid: number;
}

/** `<runtime> create` failed; the message is the runtime's (runc create failed: ...). */
export class RuntimeCreateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeCreateError';
  }
}

export const CONMON_PATH_CANDIDATES = ['/usr/bin/conmon', '/usr/libexec/podman/conmon', '/usr/local/bin/conmon', '/usr/local/libexec/podman/conmon'];

export async function findConmon(explicit?: string): Promise<string> {
  for (const p of explicit ? [explicit] : CONMON_PATH_CANDIDATES) {
    try {
      await fs.access(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  throw new Error(`conmon not found (looked in ${(explicit ? [explicit] : CONMON_PATH_CANDIDATES).join(', ')}): install the conmon package`);
}

export function attachSocketPath(socketDir: string, cuuid: string): string {
  return path.join(socketDir, cuuid, 'attach');
}

function logArgs(log: ConmonLog): string[] {
  switch (log.driver) {
    case 'k8s-file':
      return ['--log-path', `k8s-file:${log.path}`, ...(log.maxSize && log.maxSize > 0 ? ['--log-size-max', String(log.maxSize)] : [])];
    case 'journald':
      return ['--log-path', 'journald:', ...(log.tag ? ['--log-tag', log.tag] : [])];
    case 'none':
      return ['--log-path', 'none:'];
  }
}

interface SyncMessage {
  data: number;
  message?: string;
}

/** Reads conmon's JSON lines from a pipe, one at a time. */
class SyncReader {
  private buf = '';
  private readonly queue: SyncMessage[] = [];
  private waiters: Array<{ resolve: (m: SyncMessage | undefined) => void }> = [];
  private ended = false;

  constructor(stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (!line) continue;
        try {
          this.push(JSON.parse(line) as SyncMessage);
        } catch {
          this.push({ data: -1, message: line });
        }
      }
    });
    const end = (): void => {
      this.ended = true;
      for (const w of this.waiters) w.resolve(undefined);
      this.waiters = [];
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  private push(m: SyncMessage): void {
    const w = this.waiters.shift();
    if (w) w.resolve(m);
    else this.queue.push(m);
  }

  /** The next message; undefined when conmon closed the pipe first. */
  next(): Promise<SyncMessage | undefined> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push({ resolve }));
  }
}

function conmonEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...extra };
}

async function readPid(file: string): Promise<number> {
  try {
    return Number.parseInt((await fs.readFile(file, 'utf8')).trim(), 10) || 0;
  } catch {
    return 0;
  }
}

/**
 * Start conmon for a container and let it run `<runtime> create`. Resolves
 * when the container exists (its init waits for start); rejects with a
 * RuntimeCreateError carrying the runtime's message.
 */
export async function createUnderConmon(conmonPath: string, spec: ContainerMonitorSpec): Promise<CreatedContainer> {
  const conmonPidFile = path.join(spec.bundle, 'conmon.pid');
  const args = [
    '--api-version', '1',
    '-c', spec.id,
    '-u', spec.id,
    '-n', spec.name.replace(/^\//, ''),
    '-r', spec.runtime.desc.path,
    '-b', spec.bundle,
    '-p', path.join(spec.bundle, 'pidfile'),
    '-P', conmonPidFile,
    '--persist-dir', spec.bundle,
    '--exit-dir', spec.exitDir,
    '--socket-dir-path', spec.socketDir,
    '--log-level', 'error',
    ...logArgs(spec.log),
    ...(spec.terminal ? ['-t'] : []),
    ...(spec.stdin ? ['-i'] : []),
    ...(spec.stdin && spec.leaveStdinOpen ? ['--leave-stdin-open'] : []),
    ...spec.runtime.globalArgs().flatMap((a) => ['--runtime-arg', a]),
  ];
  const child = spawn(conmonPath, args, {
    cwd: spec.bundle,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: conmonEnv({ _OCI_SYNCPIPE: '3' }),
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => { stderr += d; });
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', (err) => reject(err)));
  const sync = new SyncReader(child.stdio[3] as Readable);
  const first = await Promise.race([sync.next(), spawnFailed]);
  (child.stdio[3] as Readable).destroy();
  if (!first || first.data <= 0) {
    // Let the intermediate process finish so its stderr (option errors) is complete.
    if (child.exitCode === null) await new Promise((r) => child.once('close', r));
    const fromRuntime = first?.message ? runtimeErrorText(first.message) : '';
    const message = fromRuntime || stderr.trim().replace(/^\[conmon:e\]:\s*/, '') || 'conmon exited without creating the container';
    throw new RuntimeCreateError(message);
  }
  const conmonPid = await readPid(conmonPidFile);
  return { pid: first.data, conmonPid };
}

export interface ExecMonitorSpec {
  containerId: string;
  execId: string;
  runtime: OciRuntime;
  /** A directory of the exec's own: process.json, attach socket, ctl fifo, exit file. */
  dir: string;
  processSpecPath: string;
  socketDir: string;
  terminal: boolean;
  stdin: boolean;
  leaveStdinOpen: boolean;
  /** Connect to the attach socket before the process runs (no output lost). */
  attach: boolean;
}

/** An exec process under conmon. */
export interface ExecMonitor {
  /** Resolves once the attach socket listens (attach: true); the caller connects, then calls run(). */
  attachReady: Promise<void>;
  /** Let `<runtime> exec` proceed (after attaching). */
  run(): void;
  /** The exec's pid, or a rejection with the runtime's error. */
  pid: Promise<number>;
  /** Its exit code (from conmon's sync pipe; the exit file as a fallback). */
  exitCode: Promise<number>;
  conmonPid(): Promise<number>;
}

export function execUnderConmon(conmonPath: string, spec: ExecMonitorSpec): ExecMonitor {
  const args = [
    '--api-version', '1',
    '-c', spec.containerId,
    '-u', spec.execId,
    '-r', spec.runtime.desc.path,
    '-b', spec.dir,
    '-p', path.join(spec.dir, 'pidfile'),
    '-P', path.join(spec.dir, 'conmon.pid'),
    '--persist-dir', spec.dir,
    '--exit-dir', spec.dir,
    '--socket-dir-path', spec.socketDir,
    '--log-level', 'error',
    '--log-path', 'none:',
    '--exec',
    '--exec-process-spec', spec.processSpecPath,
    ...(spec.attach ? ['--exec-attach'] : []),
    ...(spec.terminal ? ['-t'] : []),
    ...(spec.stdin ? ['-i'] : []),
    ...(spec.stdin && spec.leaveStdinOpen ? ['--leave-stdin-open'] : []),
    ...spec.runtime.globalArgs().flatMap((a) => ['--runtime-arg', a]),
  ];
  const env: Record<string, string> = { _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' };
  if (spec.attach) env._OCI_ATTACHPIPE = '5';
  const child = spawn(conmonPath, args, {
    cwd: spec.dir,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', ...(spec.attach ? (['pipe'] as const) : [])],
    env: conmonEnv(env),
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => { stderr += d; });
  const sync = new SyncReader(child.stdio[3] as Readable);
  const startPipe = child.stdio[4] as Writable;
  // First read of the start pipe: conmon may fork.
  startPipe.write('0');

  const attachReady = spec.attach
    ? new SyncReader((child.stdio as unknown as Readable[])[5]!).next().then((m) => {
        if (!m) throw new RuntimeCreateError(stderr.trim() || 'conmon exited before the exec could be attached');
      })
    : Promise.resolve();
  let ran = false;
  const run = (): void => {
    if (ran) return;
    ran = true;
    startPipe.end('0');
  };
  if (!spec.attach) run();

  const pid = sync.next().then(async (m) => {
    if (!m || m.data <= 0) {
      const msg = (m?.message ? runtimeErrorText(m.message) : '') || stderr.trim().replace(/^\[conmon:e\]:\s*/, '') || 'exec failed';
      throw new RuntimeCreateError(msg);
    }
    return m.data;
  });
  const exitCode = pid.then(
    async () => {
      const m = await sync.next();
      if (m) return m.data;
      const text = await fs.readFile(path.join(spec.dir, spec.containerId), 'utf8').catch(() => '');
      const code = Number.parseInt(text.trim(), 10);
      return Number.isNaN(code) ? -1 : code;
    },
    () => -1,
  );
  // A rejection nobody awaited must not crash the daemon.
  pid.catch(() => undefined);
  attachReady.catch(() => undefined);
  return {
    attachReady,
    run,
    pid,
    exitCode,
    conmonPid: () => readPid(path.join(spec.dir, 'conmon.pid')),
  };
}

/** Ask conmon to resize the pty (ctl fifo message 1). */
export async function resizeTerminal(bundle: string, height: number, width: number): Promise<void> {
  await writeCtl(bundle, `1 ${Math.max(0, Math.trunc(height))} ${Math.max(0, Math.trunc(width))}\n`);
}

/** Ask conmon to reopen its log file (ctl fifo message 2): after a rotation. */
export async function reopenLog(bundle: string): Promise<void> {
  await writeCtl(bundle, '2 0 0\n');
}

async function writeCtl(bundle: string, line: string): Promise<void> {
  // O_NONBLOCK: never hang when conmon is gone (ENXIO: no reader).
  const fh = await fs.open(path.join(bundle, 'ctl'), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  try {
    await fh.write(line);
  } finally {
    await fh.close();
  }
}
