// The CLI's Engine API client: HTTP over a unix socket or TCP (with TLS), with
// dockerd-style version negotiation done lazily (one round trip saved per
// command: requests go out as /v1.47 and fall back to /_ping only when the
// server refuses that version).
//
// Requests go through ./http1.ts (node:net), not node:http: every CLI command
// starts with one, and node:http's first request costs several times more
// (see docs/cli.md). Builtins come from process.getBuiltinModule: an ESM
// `import` of a builtin builds a facade that reads every export, which for
// node:http loads undici, http2, zlib and tls.
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { Http1Client, type Http1Response, type Http1Upgrade } from './http1.js';

const { Readable: ReadableClass } = process.getBuiltinModule('node:stream');

export const CLIENT_API_VERSION = '1.47';

export interface TlsConfig {
  ca?: string;
  cert?: string;
  key?: string;
  verify: boolean;
}

export interface ClientOptions {
  /** unix:///path, tcp://host:port, http(s)://host:port */
  host: string;
  tls?: TlsConfig;
  /** Fixed API version (DOCKER_API_VERSION); negotiation is skipped. */
  version?: string;
}

/** A response whose body may already have been read once (for negotiation). */
export interface ApiResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined | null | string[]>;
  body?: unknown;
  /** A raw body (tar archives); sent with the given content type. */
  stream?: Readable;
  contentType?: string;
  headers?: Record<string, string>;
}

/** An error answer from the daemon: the status and dockerd's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The daemon could not be reached at all. */
export class ConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionError';
  }
}

export class ApiClient {
  private version: string;
  private negotiated: boolean;
  private readonly http: Http1Client;
  private readonly socketPath?: string;

  constructor(readonly options: ClientOptions) {
    this.version = options.version ?? CLIENT_API_VERSION;
    this.negotiated = options.version !== undefined;
    const h = options.host;
    if (h.startsWith('unix://')) {
      this.socketPath = h.slice('unix://'.length);
      this.http = new Http1Client({ socketPath: this.socketPath, hostHeader: 'api.moby.localhost' });
      return;
    }
    const u = new URL(h.replace(/^tcp:/, options.tls ? 'https:' : 'http:'));
    const hostname = u.hostname.replace(/^\[|\]$/g, '');
    const secure = u.protocol === 'https:' || options.tls !== undefined;
    const port = u.port ? Number(u.port) : secure ? 2376 : 2375;
    const tls = options.tls;
    const read = (file: string | undefined): Buffer | undefined =>
      file ? process.getBuiltinModule('node:fs').readFileSync(file) : undefined;
    this.http = new Http1Client({
      host: hostname,
      port,
      hostHeader: u.host,
      tls: secure ? { ca: read(tls?.ca), cert: read(tls?.cert), key: read(tls?.key), rejectUnauthorized: tls?.verify ?? true } : undefined,
    });
  }

  get apiVersion(): string {
    return this.version;
  }

  /** The host string as the user gave it, for error messages. */
  get hostDescription(): string {
    return this.options.host;
  }

  close(): void {
    this.http.close();
  }

  private buildPath(path: string, query?: RequestOptions['query']): string {
    let p = `/v${this.version}${path}`;
    if (query) {
      const sp = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) {
        if (v === undefined || v === null) continue;
        if (Array.isArray(v)) for (const x of v) sp.append(k, x);
        else sp.append(k, String(v));
      }
      const s = sp.toString();
      if (s) p += `?${s}`;
    }
    return p;
  }

  private connectionError(err: NodeJS.ErrnoException): ConnectionError {
    if (this.socketPath) {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        return new ConnectionError(`Cannot connect to the Docker daemon at unix://${this.socketPath}. Is the docker daemon running?`);
      }
      if (err.code === 'EACCES') {
        return new ConnectionError(`permission denied while trying to connect to the Docker daemon socket at unix://${this.socketPath}: ${err.message}`);
      }
    }
    return new ConnectionError(`Cannot connect to the Docker daemon at ${this.options.host}. Is the docker daemon running?`);
  }

  /** Send a request; resolves with the response (any status). */
  async raw(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const res = asResponse(await this.send(method, path, opts));
    if (res.status === 400 && !this.negotiated) {
      // The server may be older than our version: negotiate and retry once.
      const body = await readAll(res.body);
      const msg = safeMessage(body);
      if (/client version .* is too new/.test(msg) && !opts.stream) {
        await this.negotiate();
        return asResponse(await this.send(method, path, opts));
      }
      return { status: 400, headers: res.headers, body: ReadableClass.from([body]) };
    }
    return res;
  }

  private async send(method: string, path: string, opts: RequestOptions, upgrade = false): Promise<Http1Response | Http1Upgrade> {
    const headers: Record<string, string> = { 'User-Agent': 'berth-cli' };
    if (upgrade) Object.assign(headers, { Connection: 'Upgrade', Upgrade: 'tcp' });
    Object.assign(headers, opts.headers ?? {});
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    } else if (opts.stream && !upgrade) {
      headers['Content-Type'] = opts.contentType ?? 'application/x-tar';
    }
    try {
      return await this.http.request({
        method,
        path: this.buildPath(path, opts.query),
        headers,
        body: payload,
        stream: upgrade ? undefined : opts.stream,
        upgrade,
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw e.code ? this.connectionError(e) : e;
    }
  }

  async negotiate(): Promise<void> {
    const res = await this.send('GET', '/_ping', {});
    const body = 'body' in res ? res.body : undefined;
    if (body) await readAll(body);
    const v = res.headers['api-version'];
    const serverVersion = Array.isArray(v) ? v[0] : v;
    this.negotiated = true;
    if (serverVersion && compare(serverVersion, CLIENT_API_VERSION) < 0) this.version = serverVersion;
  }

  /** Request and parse a JSON answer; error statuses throw ApiError with dockerd's message. */
  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.raw(method, path, opts);
    const body = await readAll(res.body);
    const status = res.status;
    if (status >= 400) throw new ApiError(status, safeMessage(body));
    if (status === 204 || body.length === 0) return undefined as T;
    return JSON.parse(body.toString('utf8')) as T;
  }

  /** Request where only success matters. */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<void> {
    const res = await this.raw(method, path, opts);
    const body = await readAll(res.body);
    if (res.status >= 400) throw new ApiError(res.status, safeMessage(body));
  }

  /** Request a streamed answer (logs, JSON progress, tar); error statuses throw. */
  async stream(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const res = await this.raw(method, path, opts);
    if (res.status >= 400) throw new ApiError(res.status, safeMessage(await readAll(res.body)));
    return res;
  }

  /**
   * Open a hijacked connection (attach, exec start): `Upgrade: tcp`, then the
   * socket carries the raw stream both ways.
   */
  async hijack(method: string, path: string, opts: RequestOptions = {}): Promise<{ socket: Duplex; head: Buffer; contentType: string }> {
    const attempt = async (): Promise<{ socket: Duplex; head: Buffer; contentType: string } | { res: Http1Response }> => {
      // A hijacked connection never returns to the idle pool (http1 opens a fresh one for upgrades).
      const r = await this.send(method, path, opts, true);
      if (r.kind === 'response') return { res: r };
      const ct = r.headers['content-type'];
      return { socket: r.socket, head: r.head, contentType: Array.isArray(ct) ? ct[0]! : (ct ?? '') };
    };
    let r = await attempt();
    if ('res' in r) {
      const body = await readAll(r.res.body);
      const status = r.res.status;
      const msg = safeMessage(body);
      if (status === 400 && !this.negotiated && /client version .* is too new/.test(msg)) {
        await this.negotiate();
        r = await attempt();
        if ('res' in r) throw new ApiError(r.res.status, safeMessage(await readAll(r.res.body)));
        return r;
      }
      throw new ApiError(status, msg);
    }
    return r;
  }
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

export function safeMessage(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const j = JSON.parse(text) as { message?: unknown };
    if (typeof j.message === 'string') return j.message;
  } catch {
    // not JSON: use the text
  }
  return text.trim();
}

function asResponse(res: Http1Response | Http1Upgrade): ApiResponse {
  // An upgrade answers only a request that asked for one (hijack).
  if (res.kind === 'upgrade') throw new Error(`unexpected protocol upgrade (status ${res.status})`);
  return { status: res.status, headers: res.headers, body: res.body };
}

function compare(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d < 0 ? -1 : 1;
  }
  return 0;
}
