// Real registries for tests: Debian's `docker-registry` (CNCF distribution
// 2.8) on 127.0.0.1 and a random free port, with no auth, htpasswd (Basic)
// auth, or token auth backed by a small token server in this process. Also:
// small test images built in memory, written as OCI layouts for skopeo.
//
// Usage (node:test):
//
//   import { startRegistry, buildTestImage } from '../../helpers/registry.js';
//   let reg: TestRegistry;
//   before(async () => { reg = await startRegistry({ auth: 'htpasswd' }); });
//   after(() => reg?.stop());
//   // reg.host       '127.0.0.1:41234'  (use in references: `${reg.host}/app:1`)
//   // reg.url        'http://127.0.0.1:41234' ('https://...' with tls: true)
//   // reg.username / reg.password   credentials for htpasswd and token auth
//   // reg.token      the token server (requests seen, knobs), token auth only
//   // reg.caFile     the CA certificate (PEM file) with tls: true
//
// skopeo:  await skopeo(['copy', `oci:${dir}:tag`, `docker://${reg.host}/app:1`, ...reg.skopeoDestArgs()])
//
// Every registry is stopped and its directory removed by stop(), and also
// when the test process exits, so a failing test does not leak one.
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promises as fs, mkdtempSync, rmSync, existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import tar from 'tar-stream';

export const registryBinary = '/usr/bin/docker-registry';
export const skopeoBinary = '/usr/bin/skopeo';
export const haveRegistry = existsSync(registryBinary);
export const haveSkopeo = existsSync(skopeoBinary);

export type RegistryAuthMode = 'none' | 'htpasswd' | 'token';

export interface TokenScope {
  type: string;
  name: string;
  actions: string[];
}

export interface RegistryOptions {
  auth?: RegistryAuthMode;
  /** Users for htpasswd and token auth. Default `{ testuser: 'testpassword' }`. */
  users?: Record<string, string>;
  /** Serve HTTPS with a self-signed certificate for 127.0.0.1 and localhost (see `caFile`). */
  tls?: boolean;
  /**
   * Token auth: the actions granted to `account` (undefined: anonymous).
   * Default: any known user gets what they ask; anonymous users may pull
   * repositories under `public/`.
   */
  access?: (account: string | undefined, scope: TokenScope) => string[];
  /** Token auth: `expires_in` of issued tokens, seconds. Default 300. */
  tokenLifetime?: number;
}

export interface TokenRequestRecord {
  method: 'GET' | 'POST';
  scopes: string[];
  service: string | undefined;
  account: string | undefined;
  grantType: string | undefined;
  offlineToken: boolean;
  clientId: string | undefined;
  status: number;
}

export interface TestTokenServer {
  /** The realm, `http://127.0.0.1:<port>/token`. */
  realm: string;
  service: string;
  issuer: string;
  /** Every token request, in order. */
  requests: TokenRequestRecord[];
  /** The next `n` tokens are signed with a key the registry does not trust (it answers 401). */
  issueUntrustedTokens(n: number): void;
  /** Refresh tokens handed out (login's identity tokens), by user. */
  refreshTokens: Map<string, string>;
}

export interface TestRegistry {
  /** `127.0.0.1:<port>`, for references and skopeo. */
  host: string;
  port: number;
  /** `http://127.0.0.1:<port>` or `https://...`. */
  url: string;
  dir: string;
  storageDir: string;
  auth: RegistryAuthMode;
  users: Record<string, string>;
  /** The first user's credentials (htpasswd and token auth). */
  username: string | undefined;
  password: string | undefined;
  /** With tls: the CA (self-signed server certificate) as PEM text and file. */
  caPem: string | undefined;
  caFile: string | undefined;
  token: TestTokenServer | undefined;
  /** Where the registry stores a blob's bytes (to corrupt it in a test). */
  blobDataPath(digest: string): string;
  /** skopeo flags for copying to this registry (TLS verification off, credentials). */
  skopeoDestArgs(): string[];
  skopeoSrcArgs(): string[];
  /** The registry's output so far. */
  logs(): string;
  stop(): Promise<void>;
}

// --- process bookkeeping ------------------------------------------------------------

const live = new Set<{ proc: ChildProcess; dir: string; servers: net.Server[] }>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const r of live) {
      try {
        r.proc.kill('SIGKILL');
      } catch {
        // already gone
      }
      rmSync(r.dir, { recursive: true, force: true });
    }
  });
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

// --- credentials and keys -------------------------------------------------------------

/** A bcrypt htpasswd line: `htpasswd` (apache2-utils) if present, else Python's crypt. */
export function htpasswdLine(user: string, password: string): string {
  const h = spawnSync('htpasswd', ['-nbB', '-C', '4', user, password], { encoding: 'utf8' });
  if (h.status === 0 && h.stdout.includes(':$2')) return h.stdout.trim();
  const py = spawnSync(
    'python3',
    ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))', password],
    { encoding: 'utf8' },
  );
  if (py.status === 0 && py.stdout.startsWith('$2')) return `${user}:${py.stdout.trim()}`;
  throw new Error(`cannot make a bcrypt hash: install apache2-utils (htpasswd); python3 said: ${py.stderr}`);
}

/** A self-signed certificate and key (openssl), for a TLS server or token signing. */
function selfSigned(dir: string, name: string, opts: { ec?: boolean; san?: string }): { certFile: string; keyFile: string } {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  const args = ['req', '-x509', '-nodes', '-days', '2', '-subj', `/CN=berth-test-${name}`, '-keyout', keyFile, '-out', certFile];
  if (opts.ec) args.push('-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1');
  else args.push('-newkey', 'rsa:2048');
  if (opts.san) args.push('-addext', `subjectAltName=${opts.san}`);
  execFileSync('openssl', args, { stdio: 'pipe' });
  return { certFile, keyFile };
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** An ES256 JWT as distribution's token auth expects (x5c chain to a trusted cert). */
function signJwt(claims: object, key: KeyObject, certDer: Buffer): string {
  const headerPart = base64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [certDer.toString('base64')] }));
  const claimsPart = base64url(JSON.stringify(claims));
  const input = `${headerPart}.${claimsPart}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${base64url(signature)}`;
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function parseScope(s: string): TokenScope | undefined {
  // repository:name:actions (name may contain ':' only with a port, which scopes never have)
  const first = s.indexOf(':');
  const last = s.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  return { type: s.slice(0, first), name: s.slice(first + 1, last), actions: s.slice(last + 1).split(',').filter(Boolean) };
}

async function startTokenServer(
  dir: string,
  users: Record<string, string>,
  access: (account: string | undefined, scope: TokenScope) => string[],
  lifetime: number,
): Promise<{ server: http.Server; token: TestTokenServer; certFile: string }> {
  const trusted = selfSigned(dir, 'token', { ec: true });
  const untrusted = selfSigned(dir, 'untrusted', { ec: true });
  const key = createPrivateKey(await fs.readFile(trusted.keyFile));
  const certDer = pemToDer(await fs.readFile(trusted.certFile, 'utf8'));
  const badKey = createPrivateKey(await fs.readFile(untrusted.keyFile));
  const badDer = pemToDer(await fs.readFile(untrusted.certFile, 'utf8'));
  const service = 'berth-test-registry';
  const issuer = 'berth-test-issuer';
  let untrustedLeft = 0;
  const requests: TokenRequestRecord[] = [];
  const refreshTokens = new Map<string, string>();

  const issue = (account: string | undefined, scopes: string[]) => {
    const now = Math.floor(Date.now() / 1000);
    const grants = scopes
      .map(parseScope)
      .filter((s): s is TokenScope => s !== undefined)
      .map((s) => ({ type: s.type, name: s.name, actions: access(account, s).filter((a) => s.actions.includes(a)) }))
      .filter((g) => g.actions.length > 0);
    const claims = { iss: issuer, sub: account ?? '', aud: service, exp: now + lifetime, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access: grants };
    const bad = untrustedLeft > 0;
    if (bad) untrustedLeft--;
    return signJwt(claims, bad ? badKey : key, bad ? badDer : certDer);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const reply = (status: number, body: object, record: Omit<TokenRequestRecord, 'status'>) => {
        requests.push({ ...record, status });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname !== '/token') {
        res.writeHead(404).end();
        return;
      }
      if (req.method === 'GET') {
        const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
        const record = {
          method: 'GET' as const,
          scopes,
          service: url.searchParams.get('service') ?? undefined,
          account: url.searchParams.get('account') ?? undefined,
          grantType: undefined,
          offlineToken: url.searchParams.get('offline_token') === 'true',
          clientId: url.searchParams.get('client_id') ?? undefined,
        };
        let account: string | undefined;
        const auth = req.headers.authorization;
        if (auth?.startsWith('Basic ')) {
          const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
          const sep = decoded.indexOf(':');
          const user = decoded.slice(0, sep);
          if (sep < 0 || users[user] === undefined || users[user] !== decoded.slice(sep + 1)) {
            // Docker Hub's shape: a 401 with {"details": ...}.
            reply(401, { details: 'incorrect username or password' }, record);
            return;
          }
          account = user;
        }
        const token = issue(account, scopes);
        const body: Record<string, unknown> = { token, access_token: token, expires_in: lifetime, issued_at: new Date().toISOString() };
        if (account && record.offlineToken) {
          const refresh = `refresh-${account}-${randomBytes(8).toString('hex')}`;
          refreshTokens.set(account, refresh);
          body.refresh_token = refresh;
        }
        reply(200, body, record);
        return;
      }
      if (req.method === 'POST') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
        const grantType = form.get('grant_type') ?? undefined;
        let account: string | undefined;
        if (grantType === 'refresh_token') {
          const given = form.get('refresh_token');
          account = [...refreshTokens.entries()].find(([, t]) => t === given)?.[0];
        } else if (grantType === 'password') {
          const user = form.get('username') ?? '';
          if (users[user] !== undefined && users[user] === form.get('password')) account = user;
        }
        const record = {
          method: 'POST' as const,
          scopes,
          service: form.get('service') ?? undefined,
          account,
          grantType,
          offlineToken: form.get('access_type') === 'offline',
          clientId: form.get('client_id') ?? undefined,
        };
        if (!account) {
          reply(401, { details: 'invalid grant' }, record);
          return;
        }
        const token = issue(account, scopes);
        reply(200, { access_token: token, expires_in: lifetime, scope: scopes.join(' '), issued_at: new Date().toISOString() }, record);
        return;
      }
      res.writeHead(405).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    server,
    certFile: trusted.certFile,
    token: {
      realm: `http://127.0.0.1:${port}/token`,
      service,
      issuer,
      requests,
      refreshTokens,
      issueUntrustedTokens(n: number) {
        untrustedLeft = n;
      },
    },
  };
}

function defaultAccess(account: string | undefined, scope: TokenScope): string[] {
  if (account) return scope.actions;
  return scope.name.startsWith('public/') ? ['pull'] : [];
}

async function waitReady(url: string, proc: ChildProcess, logs: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const get = url.startsWith('https:') ? https.get : http.get;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited with ${proc.exitCode}:\n${logs()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const req = get(`${url}/v2/`, { rejectUnauthorized: false, agent: false }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.setTimeout(1000, () => {
        req.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not answer on ${url} within ${timeoutMs} ms:\n${logs()}`);
}

/** Start a registry; stop() it in after(). */
export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  if (!haveRegistry) throw new Error(`${registryBinary} is missing: apt-get install -y docker-registry`);
  installExitHook();
  const auth = opts.auth ?? 'none';
  const users = opts.users ?? { testuser: 'testpassword' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-registry-'));
  const storageDir = path.join(dir, 'storage');
  await fs.mkdir(storageDir);
  const servers: net.Server[] = [];
  const entry = { proc: undefined as unknown as ChildProcess, dir, servers };
  try {
    const port = await freePort();
    const lines = [
      'version: 0.1',
      'log:',
      '  level: info',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storageDir}`,
      '  delete:',
      '    enabled: true',
      '  maintenance:',
      '    uploadpurging:',
      '      enabled: false',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      `  secret: ${randomBytes(16).toString('hex')}`,
    ];
    let caPem: string | undefined;
    let caFile: string | undefined;
    if (opts.tls) {
      const tlsCert = selfSigned(dir, 'server', { san: 'IP:127.0.0.1,DNS:localhost' });
      caFile = tlsCert.certFile;
      caPem = await fs.readFile(caFile, 'utf8');
      lines.push('  tls:', `    certificate: ${tlsCert.certFile}`, `    key: ${tlsCert.keyFile}`);
    }
    let token: TestTokenServer | undefined;
    if (auth === 'htpasswd') {
      const file = path.join(dir, 'htpasswd');
      await fs.writeFile(file, Object.entries(users).map(([u, p]) => htpasswdLine(u, p)).join('\n') + '\n');
      lines.push('auth:', '  htpasswd:', '    realm: basic-realm', `    path: ${file}`);
    } else if (auth === 'token') {
      const started = await startTokenServer(dir, users, opts.access ?? defaultAccess, opts.tokenLifetime ?? 300);
      servers.push(started.server);
      token = started.token;
      lines.push(
        'auth:',
        '  token:',
        `    realm: ${token.realm}`,
        `    service: ${token.service}`,
        `    issuer: ${token.issuer}`,
        `    rootcertbundle: ${started.certFile}`,
      );
    }
    const configFile = path.join(dir, 'config.yml');
    await fs.writeFile(configFile, lines.join('\n') + '\n');

    let output = '';
    const proc = spawn(registryBinary, ['serve', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    entry.proc = proc;
    live.add(entry);
    const collect = (b: Buffer) => {
      output += b.toString('utf8');
      if (output.length > 1 << 20) output = output.slice(-(1 << 19));
    };
    proc.stdout!.on('data', collect);
    proc.stderr!.on('data', collect);
    const scheme = opts.tls ? 'https' : 'http';
    const url = `${scheme}://127.0.0.1:${port}`;
    await waitReady(url, proc, () => output);

    const [username, password] = Object.entries(users)[0] ?? [undefined, undefined];
    const credArgs = (flag: string) => (auth !== 'none' && username ? [`${flag}=${username}:${password}`] : []);
    let stopped = false;
    return {
      host: `127.0.0.1:${port}`,
      port,
      url,
      dir,
      storageDir,
      auth,
      users,
      username: auth === 'none' ? undefined : username,
      password: auth === 'none' ? undefined : password,
      caPem,
      caFile,
      token,
      blobDataPath(digest: string) {
        const [alg, hex] = digest.split(':') as [string, string];
        return path.join(storageDir, 'docker/registry/v2/blobs', alg, hex.slice(0, 2), hex, 'data');
      },
      skopeoDestArgs: () => ['--dest-tls-verify=false', ...credArgs('--dest-creds')],
      skopeoSrcArgs: () => ['--src-tls-verify=false', ...credArgs('--src-creds')],
      logs: () => output,
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopEntry(entry);
      },
    };
  } catch (err) {
    await stopEntry(entry);
    throw err;
  }
}

async function stopEntry(entry: { proc: ChildProcess | undefined; dir: string; servers: net.Server[] }): Promise<void> {
  const proc = entry.proc;
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  for (const s of entry.servers) {
    (s as http.Server).closeAllConnections?.();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  live.delete(entry as { proc: ChildProcess; dir: string; servers: net.Server[] });
  await fs.rm(entry.dir, { recursive: true, force: true });
}

// --- test images ---------------------------------------------------------------------------

export interface TestBlob {
  bytes: Buffer;
  digest: string;
  size: number;
  mediaType: string;
}

export interface TestImage {
  config: TestBlob;
  layers: TestBlob[];
  /** Uncompressed layer digests (the config's rootfs.diff_ids). */
  diffIds: string[];
  manifest: TestBlob;
  platform: { os: string; architecture: string; variant?: string };
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function blob(bytes: Buffer, mediaType: string): TestBlob {
  return { bytes, digest: sha256(bytes), size: bytes.length, mediaType };
}

/** A tar holding the given files (path → content). */
export async function makeTar(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name, size: data.length, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, data, (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/**
 * A small image: `layers` gzip layers (one file each), a config and a
 * manifest (Docker schema 2 by default, OCI with `oci: true`). `seed`
 * makes distinct images with distinct digests.
 */
export async function buildTestImage(
  opts: { layers?: number; seed?: string; oci?: boolean; platform?: { os: string; architecture: string; variant?: string }; layerSize?: number } = {},
): Promise<TestImage> {
  const seed = opts.seed ?? 'berth';
  const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  const layers: TestBlob[] = [];
  const diffIds: string[] = [];
  const layerType = opts.oci ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.docker.image.rootfs.diff.tar.gzip';
  for (let i = 0; i < (opts.layers ?? 2); i++) {
    const filler = opts.layerSize ? createHash('sha512').update(`${seed}-${i}`).digest('hex').repeat(Math.ceil(opts.layerSize / 128)).slice(0, opts.layerSize) : '';
    const raw = await makeTar({ [`layer${i}.txt`]: `${seed} layer ${i} ${platform.architecture}\n${filler}` });
    diffIds.push(sha256(raw));
    layers.push(blob(zlib.gzipSync(raw), layerType));
  }
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: platform.architecture,
        os: platform.os,
        ...(platform.variant ? { variant: platform.variant } : {}),
        config: { Cmd: ['/bin/sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: diffIds.map((_, i) => ({ created: '2026-01-01T00:00:00Z', created_by: `layer ${i}` })),
        created: '2026-01-01T00:00:00Z',
      }),
    ),
    opts.oci ? 'application/vnd.oci.image.config.v1+json' : 'application/vnd.docker.container.image.v1+json',
  );
  const manifestType = opts.oci ? 'application/vnd.oci.image.manifest.v1+json' : 'application/vnd.docker.distribution.manifest.v2+json';
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: manifestType,
        config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
        layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      }),
    ),
    manifestType,
  );
  return { config, layers, diffIds, manifest, platform };
}

/** A manifest list (Docker) or index (OCI, `oci: true`) over images. */
export function buildTestIndex(images: TestImage[], opts: { oci?: boolean } = {}): TestBlob {
  const mediaType = opts.oci ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.docker.distribution.manifest.list.v2+json';
  return blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType,
        manifests: images.map((img) => ({
          mediaType: img.manifest.mediaType,
          digest: img.manifest.digest,
          size: img.manifest.size,
          platform: img.platform,
        })),
      }),
    ),
    mediaType,
  );
}

/** Write an image as an OCI image layout (for `skopeo copy oci:<dir>:<tag> ...`). */
export async function writeOciLayout(dir: string, image: TestImage, tag = 'latest'): Promise<void> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await fs.mkdir(blobs, { recursive: true });
  for (const b of [image.config, ...image.layers, image.manifest]) {
    await fs.writeFile(path.join(blobs, b.digest.slice('sha256:'.length)), b.bytes);
  }
  await fs.writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await fs.writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        { mediaType: image.manifest.mediaType, digest: image.manifest.digest, size: image.manifest.size, annotations: { 'org.opencontainers.image.ref.name': tag } },
      ],
    }),
  );
}

/** Run skopeo; resolves with its output, rejects with it on failure. */
export async function skopeo(args: string[], timeoutMs = 120_000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(skopeoBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`skopeo ${args.join(' ')} exited ${code}:\n${stderr}`));
    });
  });
}
