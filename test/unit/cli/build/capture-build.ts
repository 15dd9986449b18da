// Records what a CLI sends and prints for each BUILD_CASES entry: run as
//   node dist/test/unit/cli/build/capture-build.js [cli] [out.json]
// with cli the docker binary (default /usr/local/bin/docker, run with
// DOCKER_BUILDKIT=0) to refresh testdata/build-records.json, or the berth
// entry (dist/src/cli/main.js) to compare by hand. build-opts.test.ts holds
// berth to the recorded file.
//
// Every file of a case gets the same mtime, so the context tar is
// reproducible; entries the CLI makes itself (the Dockerfile from stdin, the
// `.dockerfile.<random>` one, an amended .dockerignore) are recorded with
// mtime "now", their random name as `.dockerfile.RANDOM`.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

import { BUILD_CASES, type Answer, type BuildCase, type TreeEntry } from './build-cases.js';
import { startFakeEngine, type FakeEngine } from '../container/fake-engine.js';

/** 2025-01-02T03:04:05Z: every file a case makes has this mtime. */
export const FIXED_MTIME = 1735787045;

export interface TarEntryRecord {
  name: string;
  type: string;
  mode: string;
  uid: number;
  gid: number;
  size: number;
  mtime: number | 'now';
  linkname?: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  /** Text of small regular files. */
  content?: string;
}

export interface TarRecord {
  entries: TarEntryRecord[];
  /** Whether the body was gzip-compressed (--compress). */
  gzip: boolean;
  /** Body length (after decompression). */
  bytes: number;
  /** Whether the archive ends with the two zero blocks (docker leaves them out when it adds a Dockerfile). */
  endBlocks: boolean;
  /** sha256 of the (decompressed) body, when no entry has a "now" mtime. */
  sha256?: string;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: [string, string][];
  contentType?: string;
  /** X-Registry-Config, decoded. */
  registryConfig?: unknown;
  tar?: TarRecord;
}

export interface BuildRecord {
  name: string;
  args: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  requests: RequestRecord[];
  /** Content of the case's readBack file after the run (null when absent). */
  readBack?: string | null;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const SOURCE_DIR = path.resolve(here, '../../../../../test/unit/cli/build');
export const RECORDS_PATH = path.join(SOURCE_DIR, 'testdata/build-records.json');

// ---------------------------------------------------------------------------
// The fake engine's answers: dockerd's recorded streams.

function answerBody(answer: Answer): { status: number; body: string } {
  if (answer === 'parse-error') return { status: 400, body: fs.readFileSync(path.join(SOURCE_DIR, 'testdata/dockerd-parse-error-400.json'), 'utf8') };
  return { status: 200, body: fs.readFileSync(path.join(SOURCE_DIR, `testdata/dockerd-${answer}.jsonl`), 'utf8') };
}

export const PRUNE_REPORT = {
  CachesDeleted: ['k8f2v1x9qo3m0n4b7c6d5e2a1', 'p0o9i8u7y6t5r4e3w2q1a2s3d'],
  SpaceReclaimed: 123456789,
};

/** A fake engine answering POST /build from the answer `current()` names. */
export function fakeBuildEngine(current: () => Answer): Promise<FakeEngine> {
  return startFakeEngine((req) => {
    if (req.method === 'POST' && req.path === '/build/prune') return { status: 200, json: PRUNE_REPORT };
    if (req.method === 'POST' && req.path === '/build') {
      const { status, body } = answerBody(current());
      return { status, body, headers: { 'Content-Type': 'application/json' } };
    }
    return undefined;
  });
}

// ---------------------------------------------------------------------------
// Tar reading (tolerant: docker sends a truncated archive for -f -).

function field(block: Buffer, offset: number, size: number): string {
  const raw = block.subarray(offset, offset + size);
  const nul = raw.indexOf(0);
  return (nul < 0 ? raw : raw.subarray(0, nul)).toString('utf8');
}

function octal(block: Buffer, offset: number, size: number): number {
  const text = field(block, offset, size).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const length = Number(data.subarray(pos, space).toString());
    if (!length) break;
    const record = data.subarray(space + 1, pos + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += length;
  }
  return out;
}

export function readTar(body: Buffer): TarRecord {
  const gzip = body.length > 2 && body[0] === 0x1f && body[1] === 0x8b;
  const data = gzip ? zlib.gunzipSync(body, { finishFlush: zlib.constants.Z_SYNC_FLUSH }) : body;
  const entries: TarEntryRecord[] = [];
  let pos = 0;
  let pax = new Map<string, string>();
  let endBlocks = false;
  while (pos + 512 <= data.length) {
    const block = data.subarray(pos, pos + 512);
    if (block.every((b) => b === 0)) {
      endBlocks = pos + 1024 <= data.length && data.subarray(pos + 512, pos + 1024).every((b) => b === 0);
      break;
    }
    const type = String.fromCharCode(block[156]!);
    const size = octal(block, 124, 12);
    const dataStart = pos + 512;
    const content = data.subarray(dataStart, Math.min(data.length, dataStart + size));
    pos = dataStart + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      pax = parsePax(content);
      continue;
    }
    const prefix = field(block, 345, 155);
    let name = field(block, 0, 100);
    if (prefix !== '') name = `${prefix}/${name}`;
    name = pax.get('path') ?? name;
    const linkname = pax.get('linkpath') ?? field(block, 157, 100);
    const mtime = octal(block, 136, 12);
    const entry: TarEntryRecord = {
      name: name.replace(/\.dockerfile\.[0-9a-f]{20}/, '.dockerfile.RANDOM'),
      type,
      mode: octal(block, 100, 8).toString(8),
      uid: octal(block, 108, 8),
      gid: octal(block, 116, 8),
      size,
      mtime: mtime === FIXED_MTIME ? mtime : 'now',
    };
    if (linkname !== '') entry.linkname = linkname;
    const uname = field(block, 265, 32);
    const gname = field(block, 297, 32);
    if (uname !== '') entry.uname = uname;
    if (gname !== '') entry.gname = gname;
    if (type === '3' || type === '4') {
      entry.devmajor = octal(block, 329, 8);
      entry.devminor = octal(block, 337, 8);
    }
    if (type === '0' && size <= 200) entry.content = content.toString('utf8').replace(/\.dockerfile\.[0-9a-f]{20}/, '.dockerfile.RANDOM');
    entries.push(entry);
    pax = new Map();
  }
  const record: TarRecord = { entries, gzip, bytes: data.length, endBlocks };
  if (!entries.some((e) => e.mtime === 'now')) record.sha256 = createHash('sha256').update(data).digest('hex');
  return record;
}

// ---------------------------------------------------------------------------
// Case set-up.

function writeTree(root: string, files: Readonly<Record<string, TreeEntry>>): void {
  const hardlinks: [string, string][] = [];
  for (const [rel, entry] of Object.entries(files)) {
    const full = path.join(root, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    if (typeof entry === 'string') fs.writeFileSync(full, entry);
    else if ('content' in entry) {
      fs.writeFileSync(full, entry.content);
      fs.chmodSync(full, entry.mode);
    } else if ('symlink' in entry) fs.symlinkSync(entry.symlink, full);
    else if ('fifo' in entry) spawnSyncChecked('mkfifo', [full]);
    else if ('dir' in entry) {
      fs.mkdirSync(full, { recursive: true });
      if (entry.mode !== undefined) fs.chmodSync(full, entry.mode);
    } else hardlinks.push([full, entry.hardlink]);
  }
  for (const [full, target] of hardlinks) fs.linkSync(path.join(root, target), full);
  // fixed mtimes, deepest paths first so directories keep theirs
  const all: string[] = [];
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir)) {
      const full = path.join(dir, name);
      all.push(full);
      if (fs.lstatSync(full).isDirectory()) walk(full);
    }
  };
  walk(root);
  all.sort((a, b) => b.split('/').length - a.split('/').length);
  for (const full of all) fs.lutimesSync(full, FIXED_MTIME, FIXED_MTIME);
}

function spawnSyncChecked(command: string, args: string[]): void {
  const { status } = spawnSync(command, args);
  if (status !== 0) throw new Error(`${command} failed`);
}

/** A tar of text files, as GNU tar would make it (the stdin and URL cases). */
export function simpleTar(files: Readonly<Record<string, string>>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, text] of Object.entries(files)) {
    const content = Buffer.from(text);
    const header = Buffer.alloc(512);
    header.write(name, 0, 100);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write(`${FIXED_MTIME.toString(8).padStart(11, '0')}\0`, 136);
    header.write('0', 156);
    header.write('ustar\x0000', 257);
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function startHttp(c: BuildCase): Promise<{ address: string; close: () => Promise<void> }> {
  const routes = c.http ?? {};
  const server = http.createServer((req, res) => {
    const route = routes[req.url ?? ''];
    if (!route) {
      res.statusCode = 404;
      res.end('404 page not found\n');
      return;
    }
    res.statusCode = route.status;
    const body = typeof route.body === 'string' ? Buffer.from(route.body) : simpleTar(route.body.tarOf);
    res.setHeader('Content-Length', String(body.length));
    res.end(body);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({ address: `127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

/** The deprecation notice docker 28 prints on the legacy path; berth has no BuildKit to point to. */
const LEGACY_NOTICE =
  'DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n' +
  '            BuildKit is currently disabled; enable it by removing the DOCKER_BUILDKIT=0\n' +
  '            environment-variable.\n\n';

/** Runs a CLI without blocking the event loop (the fake engine lives in this process). */
export function runCli(
  command: readonly string[],
  args: readonly string[],
  cwd: string,
  env: Record<string, string>,
  stdin: Buffer | undefined,
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, [...command.slice(1), ...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? Buffer.alloc(0));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

/** Runs every case through `command` (argv prefix, e.g. ['/usr/local/bin/docker']); `only` picks cases by index. */
export async function captureBuildCases(command: readonly string[], only?: (index: number) => boolean): Promise<BuildRecord[]> {
  let answer: Answer = 'success';
  const engine = await fakeBuildEngine(() => answer);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-capture-build-'));
  const records: BuildRecord[] = [];
  try {
    for (const [index, c] of BUILD_CASES.entries()) {
      if (only && !only(index)) continue;
      records.push(await captureCase(command, engine, root, index, c, (a) => (answer = a)));
    }
  } finally {
    await engine.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
  return records;
}

export async function captureCase(
  command: readonly string[],
  engine: FakeEngine,
  root: string,
  index: number,
  c: BuildCase,
  setAnswer: (answer: Answer) => void,
): Promise<BuildRecord> {
  setAnswer(c.answer ?? 'success');
  const caseDir = path.join(root, `case${index}`);
  fs.mkdirSync(caseDir);
  writeTree(caseDir, c.files ?? {});
  fs.mkdirSync(path.join(root, 'home'), { recursive: true });
  const configDir = path.join(root, `config${index}`);
  fs.mkdirSync(configDir);
  if (c.config !== undefined) fs.writeFileSync(path.join(configDir, 'config.json'), JSON.stringify(c.config));
  const server = c.http ? await startHttp(c) : undefined;
  try {
    const args = c.args.map((a) => (server ? a.replaceAll('$HTTP', server.address) : a));
    const stdin = c.stdin === undefined ? undefined : typeof c.stdin === 'string' ? Buffer.from(c.stdin) : simpleTar(c.stdin.tarOf);
    const before = engine.requests.length;
    const result = await runCli(command, ['-H', engine.host, ...args], path.join(caseDir, c.cwd ?? ''), {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      // outside the context: berth keeps its compile cache under HOME
      HOME: path.join(root, 'home'),
      DOCKER_CONFIG: configDir,
      DOCKER_BUILDKIT: '0',
      ...(c.env ?? {}),
    }, stdin);
    const normalise = (text: string): string => {
      let out = text.replaceAll(caseDir, '$CWD').replaceAll(engine.host.slice('unix://'.length), '$SOCKET').replace(/\.dockerfile\.[0-9a-f]{20}/g, '.dockerfile.RANDOM');
      if (server) out = out.replaceAll(server.address, '$HTTP');
      return out;
    };
    const requests = engine.requests
      .slice(before)
      .filter((r) => r.path !== '/_ping')
      .map((r): RequestRecord => {
        const record: RequestRecord = {
          method: r.method,
          path: r.path,
          query: [...r.query.entries()].map(([k, v]) => [k, normalise(v)] as [string, string]),
        };
        const contentType = r.headers['content-type'];
        if (contentType !== undefined) record.contentType = contentType;
        const registryConfig = r.headers['x-registry-config'];
        if (typeof registryConfig === 'string') record.registryConfig = JSON.parse(Buffer.from(registryConfig, 'base64url').toString('utf8')) as unknown;
        if (r.path === '/build') record.tar = readTar(r.body);
        return record;
      });
    const record: BuildRecord = {
      name: c.name,
      args: [...c.args],
      exitCode: result.status,
      stdout: normalise(result.stdout),
      stderr: normalise(result.stderr.startsWith(LEGACY_NOTICE) ? result.stderr.slice(LEGACY_NOTICE.length) : result.stderr),
      requests,
    };
    if (c.readBack !== undefined) {
      const file = path.join(caseDir, c.cwd ?? '', c.readBack);
      record.readBack = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
    }
    return record;
  } finally {
    await server?.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const cli = process.argv[2] ?? '/usr/local/bin/docker';
  const out = process.argv[3] ?? RECORDS_PATH;
  const command = cli.endsWith('.js') ? [process.execPath, '--', path.resolve(cli)] : [cli];
  const records = await captureBuildCases(command);
  fs.writeFileSync(out, JSON.stringify(records, null, 1) + '\n');
  console.log(`${records.length} cases written to ${out}`);
}
