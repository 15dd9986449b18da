// Where a build's context comes from, as the docker CLI 28 decides it
// (cli/command/image/build.go RunBuild and build/context.go): stdin (a tar,
// possibly compressed, or a Dockerfile), a local directory, a git URL
// (cloned here, with git) or an http(s) URL (downloaded here: a tar or a
// Dockerfile). The docker CLI never sends `remote=`: it fetches remote
// contexts itself, and so does berth. Error texts are docker's.
import type { Readable as ReadableType } from 'node:stream';

import { matches, parseIgnoreFile, PatternMatcher } from '../../../build/dockerignore.js';
import { goQuote } from '../../flags.js';
import { ContextError, tarStream, walkContext, type ContextEntry } from './context-tar.js';
import { TYPE_REG } from './tar-header.js';

// Builtins through process.getBuiltinModule, as the rest of the CLI (an ESM
// import of a builtin builds a facade that loads more than it needs).
const fs = process.getBuiltinModule('node:fs');
const os = process.getBuiltinModule('node:os');
const path = process.getBuiltinModule('node:path');
const { Readable } = process.getBuiltinModule('node:stream');

export const DEFAULT_DOCKERFILE_NAME = 'Dockerfile';
const ARCHIVE_PEEK_SIZE = 1024;

/** A failure docker reports as is (exit 1); `prepare` ones are prefixed "unable to prepare context: ". */
export class BuildContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildContextError';
  }
}

function prepareError(message: string): BuildContextError {
  return new BuildContextError(`unable to prepare context: ${message}`);
}

/** Go's error text for an errno (syscall.Errno.Error()). */
export function goErrnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'ENOTDIR':
      return 'not a directory';
    case 'EACCES':
      return 'permission denied';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'EISDIR':
      return 'is a directory';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

// ---------------------------------------------------------------------------
// URLs (builder/remotecontext/urlutil)

export function isURL(s: string): boolean {
  return s.startsWith('http://') || s.startsWith('https://');
}

export function isGitURL(s: string): boolean {
  if (isURL(s) && /\.git(?:#.+)?$/.test(s)) return true;
  return ['git://', 'github.com/', 'git@'].some((prefix) => s.startsWith(prefix));
}

// ---------------------------------------------------------------------------
// Paths

/** filepath.EvalSymlinks with Go's error: `lstat <the first path that failed>: <errno>`. */
export function evalSymlinks(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    // find the component that failed, as Go's walk reports it
    const parts = path.resolve(p).split('/').filter((part) => part !== '');
    let resolved = '/';
    for (const part of parts) {
      const next = path.join(resolved, part);
      try {
        fs.lstatSync(next);
        resolved = fs.realpathSync(next);
      } catch (err) {
        throw new Error(`lstat ${next}: ${goErrnoText(err)}`);
      }
    }
    return resolved;
  }
}

/** ResolveAndValidateContextPath: the absolute, symlink-free context directory. */
export function resolveContextDir(given: string): string {
  const abs = path.resolve(given);
  let real: string;
  try {
    real = evalSymlinks(abs);
  } catch (err) {
    throw prepareError(`unable to evaluate symlinks in context path: ${(err as Error).message}`);
  }
  let st: import('node:fs').Stats;
  try {
    st = fs.lstatSync(real);
  } catch (err) {
    throw prepareError(`unable to stat context directory ${goQuote(real)}: lstat ${real}: ${goErrnoText(err)}`);
  }
  if (!st.isDirectory()) throw prepareError(`context must be a directory: ${real}`);
  return real;
}

/**
 * getDockerfileRelPath: the Dockerfile relative to the context directory
 * (`../x` when outside it). `-f` is relative to the working directory for
 * local contexts (the caller makes it absolute); `Dockerfile`, or
 * `dockerfile` when only that exists, by default.
 */
export function dockerfileRelPath(absContextDir: string, givenDockerfile: string): string {
  if (givenDockerfile === '-') return givenDockerfile;
  let absDockerfile = givenDockerfile;
  if (absDockerfile === '') {
    absDockerfile = path.join(absContextDir, DEFAULT_DOCKERFILE_NAME);
    if (!lexists(absDockerfile)) {
      const alternative = path.join(absContextDir, DEFAULT_DOCKERFILE_NAME.toLowerCase());
      if (lexists(alternative)) absDockerfile = alternative;
    }
  }
  if (!path.isAbsolute(absDockerfile)) absDockerfile = path.join(absContextDir, absDockerfile);
  try {
    absDockerfile = evalSymlinks(absDockerfile);
  } catch (err) {
    throw prepareError(`unable to evaluate symlinks in Dockerfile path: ${(err as Error).message}`);
  }
  return path.relative(absContextDir, absDockerfile) || '.';
}

function lexists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Archives on stdin or from a URL

/** archive.DetectCompression's magic numbers, or a tar header that Go's reader accepts. */
export function isArchive(head: Buffer): boolean {
  if (head.length >= 3 && head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return true; // bzip2
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return true; // gzip
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return true; // xz
  if (head.length >= 4) {
    const magic = head.readUInt32LE(0);
    if (magic === 0xfd2fb528 || (magic & 0xfffffff0) === 0x184d2a50) return true; // zstd, zstd skippable frame
  }
  return isTarHeader(head);
}

function parseOctalField(field: Buffer): number | undefined {
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^[\0 ]+/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  return parseInt(text, 8);
}

// tar.Reader.Next on the first blocks: a zero block then another means an empty archive (EOF: not one);
// otherwise the checksum must match (unsigned or signed sum), and extended headers must fit in what was peeked.
function isTarHeader(head: Buffer): boolean {
  if (head.length < 512) return false;
  const block = head.subarray(0, 512);
  if (block.every((b) => b === 0)) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b >= 0x80 ? b - 256 : b;
  }
  const stored = parseOctalField(block.subarray(148, 156));
  if (stored === undefined || (stored !== unsigned && stored !== signed)) return false;
  const typeflag = String.fromCharCode(block[156]!);
  if ('xgLK'.includes(typeflag)) {
    const size = parseOctalField(block.subarray(124, 136));
    if (size === undefined) return false;
    const next = 512 + Math.ceil(size / 512) * 512;
    return isTarHeader(head.subarray(next));
  }
  return true;
}

/** Reads up to `size` bytes from the front of a stream; returns them and a stream of everything. */
export async function peek(input: AsyncIterable<Buffer | string>, size: number): Promise<{ head: Buffer; all: ReadableType }> {
  const iterator = input[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < size) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    chunks.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(chunks);
  async function* everything(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    }
  }
  return { head, all: Readable.from(everything(), { objectMode: false }) };
}

async function readAllBytes(input: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

function currentUmask(): number {
  // process.umask() reads by setting and restoring; fine in a CLI process
  return process.umask();
}

/**
 * GetContextFromReader: a tar (or compressed tar) passes through as is;
 * anything else is a Dockerfile, archived alone as `Dockerfile` the way
 * archive.Tar of a temporary directory does (owner and mode of a file the
 * CLI just created, no chown).
 */
export async function contextFromReader(
  input: AsyncIterable<Buffer | string>,
  dockerfileName: string,
  detected?: (archive: boolean) => void,
): Promise<{ body: ReadableType; dockerfile: string }> {
  const { head, all } = await peek(input, ARCHIVE_PEEK_SIZE);
  const archive = isArchive(head);
  detected?.(archive);
  if (archive) return { body: all, dockerfile: dockerfileName };
  if (dockerfileName === '-') throw prepareError('build context is not an archive');
  if (dockerfileName !== '') throw prepareError('ambiguous Dockerfile source: both stdin and flag correspond to Dockerfiles');
  const content = await readAllBytes(all);
  const entry: ContextEntry = {
    header: {
      name: DEFAULT_DOCKERFILE_NAME,
      mode: 0o666 & ~currentUmask(),
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
      size: content.length,
      mtime: Math.floor(Date.now() / 1000),
      typeflag: TYPE_REG,
    },
    content,
  };
  return { body: tarStream([entry]), dockerfile: DEFAULT_DOCKERFILE_NAME };
}

// ---------------------------------------------------------------------------
// Remote contexts

/** Go's net/http error text for a failed GET, as far as Node tells us. */
function goGetError(url: string, err: unknown): string {
  const cause = err as NodeJS.ErrnoException;
  let hostPort = '';
  let host = '';
  try {
    const u = new URL(url);
    host = u.hostname;
    hostPort = `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    // not a URL: keep the message
  }
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return `Get ${goQuote(url)}: dial tcp ${hostPort}: connect: connection refused`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Get ${goQuote(url)}: dial tcp: lookup ${host}: no such host`;
    case 'ETIMEDOUT':
      return `Get ${goQuote(url)}: dial tcp ${hostPort}: i/o timeout`;
    case 'ENETUNREACH':
      return `Get ${goQuote(url)}: dial tcp ${hostPort}: connect: network is unreachable`;
    default:
      return `Get ${goQuote(url)}: ${cause instanceof Error ? cause.message : String(err)}`;
  }
}

export interface ProgressSink {
  write(text: string): unknown;
}

/** Go's http.Get: follows up to 10 redirects. */
async function httpGet(url: string): Promise<import('node:http').IncomingMessage> {
  const http = process.getBuiltinModule('node:http');
  const https = process.getBuiltinModule('node:https');
  let current = url;
  for (let redirects = 0; ; redirects++) {
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const mod = current.startsWith('https:') ? https : http;
      const req = mod.get(current, { headers: { 'User-Agent': 'Go-http-client/1.1' } }, resolve);
      req.on('error', (err) => reject(new BuildContextError(goGetError(current, err))));
    });
    const location = res.headers.location;
    if (res.statusCode !== undefined && [301, 302, 303, 307, 308].includes(res.statusCode) && location) {
      res.resume();
      if (redirects >= 9) throw new BuildContextError(`Get ${goQuote(location)}: stopped after 10 redirects`);
      current = new URL(location, current).toString();
      continue;
    }
    return res;
  }
}

/**
 * GetContextFromURL: downloads the URL (a tar or a Dockerfile), showing
 * "Downloading build context from remote url: <url>" progress on `progress`.
 */
export async function contextFromURL(url: string, dockerfileName: string, progress: ProgressSink): Promise<{ body: ReadableType; dockerfile: string }> {
  let response: import('node:http').IncomingMessage;
  try {
    response = await httpGet(url);
  } catch (err) {
    throw prepareError(`unable to download remote context ${url}: ${(err as Error).message}`);
  }
  const status = response.statusCode ?? 0;
  if (status >= 400) {
    const text = (await readAllBytes(response)).toString('utf8').trim();
    throw prepareError(`unable to download remote context ${url}: failed to GET ${url} with status ${status} ${response.statusMessage ?? ''}: ${text}`);
  }
  const length = Number(response.headers['content-length'] ?? '-1');
  const total = Number.isFinite(length) && length >= 0 ? length : 0;
  const { progressReader } = await import('./progress-reader.js');
  const counted = progressReader(response, progress, { action: `Downloading build context from remote url: ${url}`, total, everyUpdate: true });
  return contextFromReader(counted.source, dockerfileName, (archive) => {
    // An archive streams on to the daemon, which stops at the data's end:
    // with a known length that end came with the last bytes, so docker
    // never reads again and never prints the final update. A Dockerfile is
    // read to the end once more.
    if (archive && total > 0) counted.skipLastUpdate();
  });
}

interface GitRepo {
  remote: string;
  ref: string;
  subdir: string;
}

function parseGitURL(remoteURL: string): GitRepo {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(remoteURL)?.[1]?.toLowerCase();
  const isTransport = remoteURL.startsWith('git@') || scheme === 'git' || scheme === 'http' || scheme === 'https' || scheme === 'ssh';
  if (!isTransport) remoteURL = `https://${remoteURL}`;
  const hash = remoteURL.indexOf('#');
  const remote = hash < 0 ? remoteURL : remoteURL.slice(0, hash);
  const fragment = hash < 0 ? '' : remoteURL.slice(hash + 1);
  const colon = fragment.indexOf(':');
  let ref = colon < 0 ? fragment : fragment.slice(0, colon);
  const subdir = colon < 0 ? '' : fragment.slice(colon + 1);
  if (ref === '') ref = 'master';
  if (ref.startsWith('-')) throw new Error(`invalid refspec: ${ref}`);
  return { remote, ref, subdir };
}

function git(dir: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = process.getBuiltinModule('node:child_process').spawn('git', ['-c', 'protocol.file.allow=never', ...args], {
      cwd: dir,
      env: { ...process.env, GIT_PROTOCOL_FROM_USER: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function smartHttp(remote: string): Promise<boolean> {
  const service = `${remote}/info/refs?service=git-upload-pack`;
  try {
    let res = await fetch(service, { method: 'HEAD' });
    if (res.status !== 200) res = await fetch(service);
    if (res.status !== 200) return false;
    return res.headers.get('content-type') === 'application/x-git-upload-pack-advertisement';
  } catch {
    return false;
  }
}

/**
 * GetContextFromGitURL with moby's git.Clone: init, fetch (shallow when the
 * server allows) the ref (`#ref:subdir`, master by default), checkout,
 * submodules; the checkout (or its subdirectory) is the context directory.
 */
export async function cloneGitContext(gitURL: string): Promise<{ dir: string; cleanup: () => void }> {
  if (!(await findInPath('git'))) throw prepareError(`unable to find 'git': exec: "git": executable file not found in $PATH`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'docker-build-git'));
  const cleanup = (): void => fs.rmSync(root, { recursive: true, force: true });
  const fail = (message: string): never => {
    cleanup();
    throw prepareError(`unable to 'git clone' to temporary context directory: ${message}`);
  };
  try {
    let repo: GitRepo;
    try {
      repo = parseGitURL(gitURL);
    } catch (err) {
      return fail((err as Error).message);
    }
    const run = async (args: string[], wrap: (output: string) => string): Promise<string> => {
      const result = await git(root, args);
      if (result.code !== 0) fail(`${wrap(result.output)}: exit status ${result.code}`);
      return result.output;
    };
    await run(['init'], (out) => `failed to init repo at ${root}: ${out}`);
    await run(['remote', 'add', 'origin', repo.remote], (out) => `failed add origin repo at ${repo.remote}: ${out}`);
    const scheme = /^([a-z]+):\/\//.exec(repo.remote)?.[1];
    const shallow = scheme === 'http' || scheme === 'https' ? await smartHttp(repo.remote) : true;
    await run(['fetch', ...(shallow ? ['--depth', '1'] : []), 'origin', '--', repo.ref], (out) => `error fetching: ${out}`);
    const checkout = await git(root, ['checkout', repo.ref]);
    if (checkout.code !== 0) {
      const fallback = await git(root, ['checkout', 'FETCH_HEAD']);
      if (fallback.code !== 0) fail(`error checking out ${repo.ref}: ${checkout.output}: exit status ${checkout.code}`);
    }
    const submodules = await git(root, ['submodule', 'update', '--init', '--recursive', '--depth=1']);
    if (submodules.code !== 0) fail(`error initializing submodules: ${submodules.output}: exit status ${submodules.code}`);
    let dir = root;
    if (repo.subdir !== '') {
      const candidate = path.resolve(root, repo.subdir);
      let real: string;
      try {
        real = fs.realpathSync(candidate);
      } catch (err) {
        return fail(`stat ${candidate}: ${goErrnoText(err)}`);
      }
      if (real !== root && !real.startsWith(`${root}/`)) return fail(`error setting git context, ${goQuote(repo.subdir)} not within git root`);
      if (!fs.statSync(real).isDirectory()) return fail(`error setting git context, not a directory: ${real}`);
      dir = real;
    }
    return { dir, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

async function findInPath(program: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    try {
      await fs.promises.access(path.join(dir, program), fs.constants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
// Local directories

export interface DirectoryContextOptions {
  contextDir: string;
  /** The Dockerfile relative to the context dir (slash-separated), or '-'. */
  relDockerfile: string;
  /** The Dockerfile's absolute path when it is a file (for `<Dockerfile>.dockerignore`). */
  dockerfilePath?: string;
  /** A Dockerfile to add under a random name (from stdin, or from outside the context). */
  extraDockerfile?: Buffer;
}

/** The ignore patterns: `<Dockerfile>.dockerignore` beside the Dockerfile wins over the context's `.dockerignore`. */
export function readExcludes(contextDir: string, dockerfilePath: string | undefined): string[] {
  const candidates = dockerfilePath ? [`${dockerfilePath}.dockerignore`, path.join(contextDir, '.dockerignore')] : [path.join(contextDir, '.dockerignore')];
  for (const candidate of candidates) {
    let content: string;
    try {
      content = fs.readFileSync(candidate, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new BuildContextError(`open ${candidate}: ${goErrnoText(err)}`);
    }
    return parseIgnoreFile(content);
  }
  return [];
}

/** TrimBuildFilesFromExcludes, with docker's legacy Matches. */
export function trimBuildFilesFromExcludes(excludes: readonly string[], dockerfile: string, dockerfileFromStdin: boolean): string[] {
  const excluded = (file: string, patterns: readonly string[]): boolean => {
    try {
      return matches(file, patterns);
    } catch {
      return false;
    }
  };
  const out = [...excludes];
  if (excluded('.dockerignore', out)) out.push('!.dockerignore');
  if (excluded(dockerfile, out) && !dockerfileFromStdin) out.push(`!${dockerfile}`);
  return out;
}

/** stringid.GenerateRandomID()[:20]. */
function randomDockerfileName(): string {
  // /dev/urandom rather than node:crypto, whose loading costs a fresh CLI ~25 ms
  const bytes = Buffer.alloc(10);
  const fd = fs.openSync('/dev/urandom', 'r');
  try {
    fs.readSync(fd, bytes, 0, bytes.length, null);
  } finally {
    fs.closeSync(fd);
  }
  return `.dockerfile.${bytes.toString('hex')}`;
}

/**
 * The tar of a local context directory, and the Dockerfile's name in it.
 * With `extraDockerfile` the Dockerfile goes in under a random
 * `.dockerfile.<hex>` name and `.dockerignore` gains that name
 * (AddDockerfileToBuildContext), as the docker CLI does for `-f -` and for a
 * Dockerfile outside the context.
 */
export function directoryContext(options: DirectoryContextOptions): { body: ReadableType; dockerfile: string; entries: ContextEntry[] } {
  const { contextDir } = options;
  let excludes = readExcludes(contextDir, options.dockerfilePath);
  try {
    new PatternMatcher(excludes);
  } catch (err) {
    throw new BuildContextError(`error checking context: ${(err as Error).message}`);
  }
  excludes = trimBuildFilesFromExcludes(excludes, options.relDockerfile, options.relDockerfile === '-');
  const extra = options.extraDockerfile;
  const randomName = extra ? randomDockerfileName() : '';
  let amended = false;
  const amend = extra
    ? new Map([
        [
          '.dockerignore',
          (entry: ContextEntry): ContextEntry => {
            if (entry.header.typeflag !== TYPE_REG) return entry;
            amended = true;
            const original = entry.source ? fs.readFileSync(entry.source) : (entry.content ?? Buffer.alloc(0));
            const content = Buffer.concat([original, Buffer.from(`\n${randomName}\n`)]);
            return { header: { ...entry.header, size: content.length }, content };
          },
        ],
      ])
    : undefined;
  let entries: ContextEntry[];
  try {
    entries = walkContext(contextDir, { excludes, chown: { uid: 0, gid: 0 }, amend });
  } catch (err) {
    if (err instanceof ContextError) throw new BuildContextError(`error checking context: ${err.message}`);
    throw err;
  }
  let dockerfile = options.relDockerfile;
  if (extra) {
    const now = Math.floor(Date.now() / 1000);
    entries.push({ header: { name: randomName, mode: 0o600, uid: 0, gid: 0, size: extra.length, mtime: now, typeflag: TYPE_REG }, content: extra });
    if (!amended) {
      const content = Buffer.from(`.dockerignore\n${randomName}\n`);
      entries.push({ header: { name: '.dockerignore', mode: 0o600, uid: 0, gid: 0, size: content.length, mtime: now, typeflag: TYPE_REG }, content });
    }
    dockerfile = randomName;
  }
  // docker's ReplaceFileTarWrapper ends the archive short: so does berth, byte for byte
  return { body: tarStream(entries, { endAfterLastData: extra !== undefined }), dockerfile, entries };
}

/**
 * AddDockerfileToBuildContext for an archive we did not make (a downloaded
 * tar with `-f -`): entries pass through, `.dockerignore` gains the random
 * name, the Dockerfile is appended.
 */
export async function addDockerfileToArchive(archive: ReadableType, dockerfile: Buffer): Promise<{ body: ReadableType; dockerfile: string }> {
  const { extract, pack } = await import('tar-stream');
  const randomName = randomDockerfileName();
  const input = extract();
  const output = pack();
  let amended = false;
  input.on('entry', (header, stream, next) => {
    if (header.name === '.dockerignore' && header.type === 'file') {
      amended = true;
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => {
        chunks.push(c as Buffer);
      });
      stream.on('end', () => {
        const content = Buffer.concat([...chunks, Buffer.from(`\n${randomName}\n`)]);
        output.entry({ ...header, size: content.length }, content, next);
      });
      return;
    }
    stream.pipe(output.entry(header, next));
  });
  input.on('finish', () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    output.entry({ name: randomName, mode: 0o600, mtime: now, type: 'file', size: dockerfile.length }, dockerfile);
    if (!amended) {
      const content = Buffer.from(`.dockerignore\n${randomName}\n`);
      output.entry({ name: '.dockerignore', mode: 0o600, mtime: now, type: 'file', size: content.length }, content);
    }
    output.finalize();
  });
  input.on('error', (err) => output.destroy(err));
  archive.pipe(input);
  return { body: output as unknown as ReadableType, dockerfile: randomName };
}
