// A tiny fake Engine API on a unix socket, to run the real docker CLI and
// berth's CLI against the same canned answers and compare their output byte
// for byte. Answers /_ping with API-Version 1.47 (so both clients speak
// /v1.47) and whatever routes a test gives; unknown routes get dockerd's 404.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
export const nodeBin = path.join(repoRoot, 'node_modules/node/bin/node');
export const berthMain = path.join(repoRoot, 'dist/src/cli/main.js');
export const dockerCli = '/usr/local/bin/docker';

export interface FakeRequest {
  method: string;
  /** Path without the /v1.xx prefix. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface FakeAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** JSON value, or a string/Buffer sent as is. */
  body?: unknown;
  /** Chunks written one after another (a streamed answer). */
  chunks?: Array<string | Buffer>;
}

export type FakeRoute = (req: FakeRequest) => FakeAnswer | undefined;

export interface FakeDaemon {
  host: string;
  dir: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

export async function startFakeDaemon(route: FakeRoute): Promise<FakeDaemon> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-fake-'));
  const socket = path.join(dir, 'd.sock');
  const requests: FakeRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const p = url.pathname.replace(/^\/v1\.\d+/, '');
      const fake: FakeRequest = { method: req.method ?? 'GET', path: p, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
      if (p === '/_ping') {
        res.writeHead(200, { 'API-Version': '1.47', 'Content-Type': 'text/plain; charset=utf-8', Swarm: 'inactive' });
        res.end(req.method === 'HEAD' ? undefined : 'OK');
        return;
      }
      requests.push(fake);
      const answer = route(fake) ?? { status: 404, body: { message: 'page not found' } };
      const status = answer.status ?? 200;
      if (answer.chunks) {
        res.writeHead(status, { 'Content-Type': 'application/json', ...answer.headers });
        for (const c of answer.chunks) res.write(c);
        res.end();
        return;
      }
      const isRaw = typeof answer.body === 'string' || Buffer.isBuffer(answer.body);
      const payload = answer.body === undefined ? '' : isRaw ? (answer.body as string | Buffer) : JSON.stringify(answer.body) + '\n';
      res.writeHead(status, { 'Content-Type': isRaw ? 'text/plain' : 'application/json', ...answer.headers });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    host: `unix://${socket}`,
    dir,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a CLI (docker or berth) with pipes for stdio. */
export function runCli(which: 'docker' | 'berth', host: string, args: readonly string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  const [cmd, argv] = which === 'docker' ? [dockerCli, ['-H', host, ...args]] : [nodeBin, [berthMain, '-H', host, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs a CLI on a pseudo-terminal of the given width; resolves with everything it wrote. */
export async function runCliOnTty(which: 'docker' | 'berth', host: string, args: readonly string[], opts: { cols: number; env?: Record<string, string> }): Promise<{ code: number; output: string }> {
  const pty = await import('@lydell/node-pty');
  const [cmd, argv] = which === 'docker' ? [dockerCli, ['-H', host, ...args]] : [nodeBin, [berthMain, '-H', host, ...args]];
  return new Promise((resolve) => {
    const term = pty.spawn(cmd, argv, { cols: opts.cols, rows: 40, env: { ...process.env, ...opts.env } as Record<string, string> });
    let output = '';
    term.onData((d) => (output += d));
    term.onExit(({ exitCode }) => {
      // let the last bytes arrive
      setTimeout(() => resolve({ code: exitCode, output }), 50);
    });
  });
}

/** docker's output with the binary's name as berth prints it. */
export function asBerth(text: string): string {
  return text.replace(/\bdocker (?=\[OPTIONS\]|image|images|network|volume|system|context|version|info|events|pull|push|login|logout|search|history|import|load|save|tag|rmi|COMMAND)/g, 'berth ').replace(/'docker /g, "'berth ")
    .replace(/^docker: /gm, 'berth: ');
}
