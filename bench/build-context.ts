// How fast `berth build` tars and sends a 50 MB, 2000-file context, beside
// `docker build` (DOCKER_BUILDKIT=0) doing the same, both against an engine
// that discards the body and answers at once (issue 6's budget: the context
// tarred and sent well under 0.3 s; the whole command, process start
// included, is measured too). The docker CLI is compared when
// /usr/local/bin/docker exists. A benchmark, not a test: speed is never a
// pass/fail in the suite.
//   node_modules/.bin/tsc -p . && node_modules/node/bin/node dist/bench/build-context.js
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const BERTH = [process.execPath, '--', path.resolve(here, '../src/cli/main.js')];
const DOCKER = '/usr/local/bin/docker';

const FILES = 2000;
const TOTAL_BYTES = 50 * 1024 * 1024;

interface DiscardingEngine {
  host: string;
  /** Bytes of the last POST /build body (chunked framing included), and when its first and last bytes arrived (performance.now of this process). */
  last: { bytes: number; firstByteAt: number; lastByteAt: number };
  close(): Promise<void>;
}

// A raw socket server, not node:http: parsing 50 MB of chunked body in
// JavaScript would be the slowest part of the measurement. It reads the
// request head, counts body bytes up to the chunked terminator, answers.
async function startDiscardingEngine(dir: string): Promise<DiscardingEngine> {
  const net = await import('node:net');
  const socketPath = path.join(dir, 'engine.sock');
  const last = { bytes: 0, firstByteAt: 0, lastByteAt: 0 };
  const answer = (body: string): string =>
    `HTTP/1.1 200 OK\r\nApi-Version: 1.47\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const BUILD_ANSWER =
    '{"stream":"Step 1/1 : FROM scratch\\n"}\r\n{"aux":{"ID":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}}\r\n{"stream":"Successfully built 000000000000\\n"}\r\n';
  const TERMINATOR = Buffer.from('\r\n0\r\n\r\n');
  const server = net.createServer((socket) => {
    let head = '';
    let inBody = false;
    let bytes = 0;
    let first = 0;
    let tail = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      let data = chunk;
      while (data.length > 0) {
        if (!inBody) {
          head += data.toString('latin1');
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) return;
          const rest = Buffer.from(head.slice(end + 4), 'latin1');
          const requestLine = head.slice(0, head.indexOf('\r\n'));
          head = '';
          if (!requestLine.includes('/build')) {
            socket.write(answer('OK'));
            data = rest;
            continue;
          }
          inBody = true;
          bytes = 0;
          first = performance.now();
          tail = Buffer.alloc(0);
          data = rest;
          continue;
        }
        bytes += data.length;
        tail = Buffer.concat([tail, data.subarray(Math.max(0, data.length - TERMINATOR.length))]).subarray(-TERMINATOR.length);
        data = Buffer.alloc(0);
        if (tail.equals(TERMINATOR) || (bytes === TERMINATOR.length - 2 && tail.subarray(2).equals(TERMINATOR.subarray(2)))) {
          Object.assign(last, { bytes, firstByteAt: first, lastByteAt: performance.now() });
          inBody = false;
          socket.write(answer(BUILD_ANSWER));
        }
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    host: `unix://${socketPath}`,
    last,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** 2000 files of random bytes, 50 MB in all, in 40 directories, plus a Dockerfile. */
function makeContext(dir: string): void {
  const perFile = Math.floor(TOTAL_BYTES / FILES);
  const block = randomBytes(perFile);
  for (let i = 0; i < FILES; i++) {
    const sub = path.join(dir, `dir${String(i % 40).padStart(2, '0')}`);
    fs.mkdirSync(sub, { recursive: true });
    // vary the first bytes so files differ
    block.writeUInt32LE(i, 0);
    fs.writeFileSync(path.join(sub, `file${String(i).padStart(4, '0')}.bin`), block);
  }
  fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY . /\n');
}

function run(command: readonly string[], args: readonly string[], cwd: string, env: Record<string, string>): Promise<{ status: number; ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command[0]!, [...command.slice(1), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, ms: performance.now() - start, stdout }));
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Figures {
  /** Whole command, process start to exit. */
  totalMs: number;
  /** From the first to the last byte of the context at the engine. */
  sendMs: number;
  bytes: number;
}

async function measure(engine: DiscardingEngine, command: readonly string[], cwd: string, env: Record<string, string>, rounds: number): Promise<Figures> {
  const totals: number[] = [];
  const sends: number[] = [];
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    const result = await run(command, ['-H', engine.host, 'build', '.'], cwd, env);
    assert.equal(result.status, 0, result.stdout);
    totals.push(result.ms);
    sends.push(engine.last.lastByteAt - engine.last.firstByteAt);
    bytes = engine.last.bytes;
  }
  return { totalMs: median(totals), sendMs: median(sends), bytes };
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-build-speed-'));
  let engine: DiscardingEngine | undefined;
  try {
    fs.mkdirSync(path.join(root, 'home'));
    fs.mkdirSync(path.join(root, 'config'));
    fs.mkdirSync(path.join(root, 'ctx'));
    makeContext(path.join(root, 'ctx'));
    engine = await startDiscardingEngine(root);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: path.join(root, 'home'), DOCKER_CONFIG: path.join(root, 'config'), DOCKER_BUILDKIT: '0' };
    const cwd = path.join(root, 'ctx');
    // one warm-up run fills the page cache and berth's compile cache
    await run(BERTH, ['-H', engine.host, 'build', '.'], cwd, env);
    const berth = await measure(engine, BERTH, cwd, env, 5);
    let docker: Figures | undefined;
    if (fs.existsSync(DOCKER)) {
      await run([DOCKER], ['-H', engine.host, 'build', '.'], cwd, env);
      docker = await measure(engine, [DOCKER], cwd, env, 5);
    }
    const line = (name: string, f: Figures): string =>
      `${name.padEnd(7)} whole command ${f.totalMs.toFixed(0).padStart(5)} ms, context on the wire ${f.sendMs.toFixed(0).padStart(5)} ms, ${(f.bytes / 1e6).toFixed(1)} MB`;
    console.log(line('berth', berth));
    if (docker) console.log(line('docker', docker));
    assert.ok(berth.bytes > TOTAL_BYTES, 'the whole context was sent');
  } finally {
    await engine?.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

await main();
