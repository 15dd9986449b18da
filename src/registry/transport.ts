// HTTP for the registry client, on undici. One dispatcher (connection pool)
// per TLS setting; redirects followed by hand so that credentials only go
// to the registry's own origin (a blob redirect to a storage host gets no
// Authorization); failures worded as Go's net/http words them.
import { Agent, request, type Dispatcher } from 'undici';
import { rootCertificates } from 'node:tls';
import type { Readable } from 'node:stream';
import { TransportError } from './errors.js';

export interface TlsSettings {
  /** Accept any certificate (an insecure registry's HTTPS attempt). */
  insecureSkipVerify?: boolean;
  /** Extra CA certificates (PEM), added to the system's. */
  ca?: string[];
  /** Client certificate and key (PEM). */
  cert?: string;
  key?: string;
}

/** An async iterable is written chunk by chunk, each once the one before is flushed (see repository.ts fileChunks). */
export type HttpBody = Buffer | Uint8Array | Readable | AsyncIterable<Uint8Array>;

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: HttpBody;
  signal?: AbortSignal;
  /** Milliseconds to wait for response headers (default undici's 300 s). */
  headersTimeout?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** The URL that answered (after redirects). */
  url: URL;
}

/** First value of a response header. */
export function header(res: { headers: Record<string, string | string[] | undefined> }, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Read a response body as text, with a size cap (error bodies, token answers). */
export async function readText(res: HttpResponse, limit = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) {
      res.body.destroy();
      break;
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Drain and discard a body so the connection can be reused. */
export async function discard(res: HttpResponse): Promise<void> {
  try {
    await res.body.dump({ limit: 1 << 16 });
  } catch {
    // closing is enough
  }
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

export class HttpTransport {
  private readonly dispatchers = new Map<string, Agent>();
  readonly userAgent: string;

  constructor(opts: { userAgent: string }) {
    this.userAgent = opts.userAgent;
  }

  dispatcher(tls: TlsSettings | undefined): Agent {
    const key = JSON.stringify(tls ?? {});
    let agent = this.dispatchers.get(key);
    if (!agent) {
      const connect: Record<string, unknown> = {};
      if (tls?.insecureSkipVerify) connect.rejectUnauthorized = false;
      if (tls?.ca?.length) connect.ca = [...rootCertificates, ...tls.ca];
      if (tls?.cert && tls.key) {
        connect.cert = tls.cert;
        connect.key = tls.key;
      }
      agent = new Agent({ connect, keepAliveTimeout: 4_000 });
      this.dispatchers.set(key, agent);
    }
    return agent;
  }

  /** One request, no redirect handling. Throws TransportError when no HTTP answer came. */
  async send(req: HttpRequest, tls: TlsSettings | undefined, errorMethod = req.method): Promise<HttpResponse> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...lowerKeys(req.headers ?? {}) };
    try {
      const res = await request(req.url, {
        method: req.method as Dispatcher.HttpMethod,
        headers,
        // undici writes async iterables (core/request.js) though its types leave them out.
        body: (req.body ?? null) as Dispatcher.DispatchOptions['body'],
        dispatcher: this.dispatcher(tls),
        signal: req.signal ?? null,
        ...(req.headersTimeout !== undefined ? { headersTimeout: req.headersTimeout } : {}),
      });
      return { status: res.statusCode, headers: res.headers as HttpResponse['headers'], body: res.body, url: req.url };
    } catch (err) {
      if (req.signal?.aborted) throw req.signal.reason ?? err;
      throw new TransportError(errorMethod, req.url, err);
    }
  }

  /**
   * Send, following redirects. `headersFor` gives the headers for each hop
   * (auth only for the registry's origin); a 303 (and a 301/302 to a non-GET)
   * becomes a GET without body, as Go's client does.
   */
  async sendFollowingRedirects(
    req: HttpRequest,
    tls: TlsSettings | undefined,
    headersFor: (url: URL) => Promise<Record<string, string>>,
  ): Promise<HttpResponse> {
    let current: HttpRequest = { ...req, headers: { ...(req.headers ?? {}), ...(await headersFor(req.url)) } };
    for (let hop = 0; ; hop++) {
      const res = await this.send(current, tls, req.method);
      const location = header(res, 'location');
      if (!redirectStatuses.has(res.status) || !location) return res;
      await discard(res);
      if (hop >= MAX_REDIRECTS) {
        throw new TransportError(req.method, current.url, new Error('stopped after 10 redirects'));
      }
      const next = new URL(location, current.url);
      let method = current.method;
      let body = current.body;
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method !== 'GET' && method !== 'HEAD')) {
        method = 'GET';
        body = undefined;
      }
      const base = { ...(req.headers ?? {}) };
      if (body === undefined) {
        delete base['content-type'];
        delete base['content-length'];
      }
      current = { ...current, method, url: next, body, headers: { ...base, ...(await headersFor(next)) } };
    }
  }

  async close(): Promise<void> {
    const agents = [...this.dispatchers.values()];
    this.dispatchers.clear();
    await Promise.all(agents.map((a) => a.close().catch(() => a.destroy())));
  }
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
