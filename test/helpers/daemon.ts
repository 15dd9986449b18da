// Starts a real berthd for integration tests: its own temporary data root,
// exec root, socket, bridge name and subnet, so tests never touch the
// machine's berthd or each other. Stopped and cleaned in `stop()`, which
// tests call from `after()` so it runs even when they fail.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, existsSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const nodeBin = path.join(repoRoot, 'node_modules/node/bin/node');
export const berthdMain = path.join(repoRoot, 'dist/src/daemon/main.js');
export const berthMain = path.join(repoRoot, 'dist/src/cli/main.js');
export const dockerCli = '/usr/local/bin/docker';
export const haveDockerCli = existsSync(dockerCli);

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface DaemonOptions {
  /** Extra berthd flags. */
  args?: string[];
  /** Reuse an existing data root (e.g. for restart tests); default: a fresh temp dir. */
  dir?: string;
}

export class TestDaemon {
  private proc: ChildProcess | null = null;
  logText = '';
  readonly socket: string;
  readonly host: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly bridge: string;
  readonly bip: string;

  constructor(
    readonly dir: string,
    private readonly extraArgs: string[],
  ) {
    this.socket = path.join(dir, 'berth.sock');
    this.host = `unix://${this.socket}`;
    this.dataRoot = path.join(dir, 'root');
    this.execRoot = path.join(dir, 'exec');
    // Short, unique names: interface names are limited to 15 characters.
    const tag = path.basename(dir).replace(/[^a-z0-9]/gi, '').slice(-6).toLowerCase();
    this.bridge = `bt${tag}`;
    const n = Number.parseInt(tag.slice(-4), 36) % 250;
    this.bip = `10.${200 + (n % 50)}.${n}.1/24`;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async start(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    const args = [
      berthdMain,
      '--data-root', this.dataRoot,
      '--exec-root', this.execRoot,
      '--pidfile', path.join(this.dir, 'berthd.pid'),
      '--config-file', path.join(this.dir, 'daemon.json'),
      '-H', this.host,
      '--bridge', this.bridge,
      '--bip', this.bip,
      '--log-level', 'debug',
      ...this.extraArgs,
    ];
    const proc = spawn(nodeBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout!.on('data', (d: Buffer) => { this.logText += d.toString(); });
    proc.stderr!.on('data', (d: Buffer) => { this.logText += d.toString(); });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`berthd exited with ${proc.exitCode}:\n${this.logText}`);
      if (await this.ping()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`berthd did not answer /_ping within 20s:\n${this.logText}`);
  }

  private ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = http.request({ socketPath: this.socket, path: '/_ping', method: 'GET' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
  }

  /** SIGTERM and wait; the data root stays (see `cleanup`). */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  }

  /** SIGKILL, as a crash would. */
  async kill9(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /**
   * Stop the daemon, then remove everything it made: containers (via the
   * API first, while it runs), mounts under the temp dir, and the dir itself.
   */
  async cleanup(): Promise<void> {
    if (this.proc && this.proc.exitCode === null) {
      // Best effort: remove containers so their processes and mounts go.
      const list = await this.api('GET', '/containers/json?all=1').catch(() => undefined);
      if (list && Array.isArray(list.json)) {
        for (const c of list.json as Array<{ Id: string }>) {
          await this.api('DELETE', `/containers/${c.Id}?force=1&v=1`).catch(() => undefined);
        }
      }
      const nets = await this.api('GET', '/networks').catch(() => undefined);
      if (nets && Array.isArray(nets.json)) {
        for (const n of nets.json as Array<{ Id: string; Name: string }>) {
          if (!['bridge', 'host', 'none'].includes(n.Name)) await this.api('DELETE', `/networks/${n.Id}`).catch(() => undefined);
        }
      }
    }
    await this.stop();
    await unmountUnder(this.dir);
    await removeNetworkLeftovers(this.dataRoot, this.bridge);
    await fs.rm(this.dir, { recursive: true, force: true }).catch(async () => {
      await unmountUnder(this.dir);
      await fs.rm(this.dir, { recursive: true, force: true });
    });
  }

  /** Raw API call; JSON bodies in and out. */
  api(method: string, urlPath: string, body?: unknown): Promise<{ status: number; json: unknown; text: string }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(
        {
          socketPath: this.socket,
          path: urlPath,
          method,
          headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, json, text });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Run the real docker CLI against this daemon. */
  docker(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return runProcess(dockerCli, ['-H', this.host, ...args], { ...opts, env: { DOCKER_CONFIG: path.join(this.dir, 'docker-config'), ...opts.env } });
  }

  /** Run berth's CLI against this daemon. */
  berth(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return runProcess(nodeBin, [berthMain, '-H', this.host, ...args], { ...opts, env: { DOCKER_CONFIG: path.join(this.dir, 'docker-config'), ...opts.env } });
  }
}

export async function startDaemon(opts: DaemonOptions = {}): Promise<TestDaemon> {
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'berth-test-'));
  const d = new TestDaemon(dir, opts.args ?? []);
  try {
    await d.start();
  } catch (err) {
    await d.cleanup().catch(() => undefined);
    throw err;
  }
  return d;
}

export function runProcess(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    p.on('error', (err) => { clearTimeout(timer); reject(err); });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    if (opts.input !== undefined) p.stdin.end(opts.input);
    else p.stdin.end();
  });
}

/**
 * A daemon that was killed (and not restarted), or did not stop in time,
 * leaves its network plumbing on the host: the bridges it made (the default
 * one and user networks') and its nftables table (src/network/firewall.ts
 * tableNameFor). Remove them; after a clean stop they are already gone.
 */
export async function removeNetworkLeftovers(dataRoot: string, bridge: string): Promise<void> {
  const bridges = new Set<string>([bridge]);
  const dir = path.join(dataRoot, 'network', 'networks');
  for (const f of await fs.readdir(dir).catch(() => [] as string[])) {
    try {
      const rec = JSON.parse(await fs.readFile(path.join(dir, f), 'utf8')) as { bridge?: string; ownsDevice?: boolean };
      if (rec.bridge && rec.ownsDevice !== false) bridges.add(rec.bridge);
    } catch {
      // not a record
    }
  }
  const links = (await runProcess('ip', ['-o', 'link', 'show']).catch(() => ({ stdout: '' }))).stdout;
  for (const b of bridges) if (links.includes(` ${b}:`)) await runProcess('ip', ['link', 'del', b]).catch(() => undefined);
  const table = bridge === 'berth0' ? 'berth' : `berth-${bridge.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const tables = (await runProcess('nft', ['list', 'tables']).catch(() => ({ stdout: '' }))).stdout;
  if (tables.split('\n').some((l) => l.trim() === `table inet ${table}`)) await runProcess('nft', ['delete', 'table', 'inet', table]).catch(() => undefined);
}

/** Unmount everything mounted under `dir`, deepest first. */
export async function unmountUnder(dir: string): Promise<void> {
  let mounts: string[] = [];
  try {
    mounts = (await fs.readFile('/proc/self/mountinfo', 'utf8'))
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .map((p) => p.replace(/\\040/g, ' '))
      .filter((p) => p === dir || p.startsWith(dir + '/'));
  } catch {
    return;
  }
  mounts.sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    await runProcess('umount', ['-l', m]).catch(() => undefined);
  }
}
