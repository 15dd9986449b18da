// A small HTTP/1.1 client for the Engine API, on node:net (node:tls for TLS
// endpoints). The CLI used node:http, whose first request costs ~15-25 ms of
// module loading and warm-up (agent, parser, outgoing/incoming message
// machinery, an IPv6 regex for the server name) against ~6 ms for this: the
// difference is most of what `berth ps` took beyond Node's own start. See
// docs/cli.md for the figures.
//
// What the API needs and no more: one request per connection at a time,
// idle connections kept for the next request of the same command (unref'd,
// so they never hold the process), request bodies as a buffer or a stream
// (sent chunked), response bodies by Content-Length, chunked or until close,
// and `Upgrade` (101) handing the raw socket over, as docker's hijacked
// attach and exec use it.
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable as ReadableStream } from 'node:stream';

const { Readable } = process.getBuiltinModule('node:stream');

export interface Http1Target {
  /** A unix socket path; otherwise host and port. */
  readonly socketPath?: string;
  readonly host?: string;
  readonly port?: number;
  /** Connect with TLS (tcp endpoints with --tls/--tlsverify or a context's TLS files). */
  readonly tls?: {
    readonly ca?: Buffer;
    readonly cert?: Buffer;
    readonly key?: Buffer;
    readonly rejectUnauthorized: boolean;
  };
  /** What the Host header says. */
  readonly hostHeader: string;
}

export interface Http1Request {
  readonly method: string;
  /** Path and query, already encoded. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** A whole body (its Content-Length is sent); or a stream, sent chunked. */
  readonly body?: Buffer;
  readonly stream?: ReadableStream;
  /** Asks for `Upgrade`: a 101 answer resolves with the socket. */
  readonly upgrade?: boolean;
}

export interface Http1Response {
  readonly kind: 'response';
  readonly status: number;
  /** Lower-case names, as node:http gives them (duplicates joined with ", ", set-cookie an array). */
  readonly headers: IncomingHttpHeaders;
  readonly body: ReadableStream;
}

export interface Http1Upgrade {
  readonly kind: 'upgrade';
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly socket: Socket;
  /** Bytes that came after the answer's head, already read from the socket. */
  readonly head: Buffer;
}

/** The server broke the protocol or the connection ended early. */
export class Http1Error extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'Http1Error';
  }
}

const MAX_HEAD_BYTES = 80 * 1024;
// Headers node:http keeps only the first of when repeated.
const SINGLE_VALUE_HEADERS = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after',
  'server', 'user-agent',
]);
const CRLF_CRLF = Buffer.from('\r\n\r\n');

export class Http1Client {
  private readonly idle: Socket[] = [];
  private readonly open = new Set<Socket>();

  constructor(readonly target: Http1Target) {}

  /** Sends a request; resolves once the answer's head has arrived. */
  request(req: Http1Request): Promise<Http1Response | Http1Upgrade> {
    const reused = req.upgrade ? undefined : this.takeIdle();
    const socket = reused ?? this.connect();
    return new Promise((resolve, reject) => {
      const exchange = new Exchange(this, socket, req, resolve, reject);
      exchange.start();
    });
  }

  /** Destroys every connection this client holds. */
  close(): void {
    for (const socket of this.open) socket.destroy();
    this.open.clear();
    this.idle.length = 0;
  }

  private connect(): Socket {
    const t = this.target;
    let socket: Socket;
    if (t.socketPath !== undefined) {
      socket = process.getBuiltinModule('node:net').connect({ path: t.socketPath });
    } else if (t.tls) {
      const net = process.getBuiltinModule('node:net');
      const host = t.host ?? 'localhost';
      socket = process.getBuiltinModule('node:tls').connect({
        host,
        port: t.port,
        servername: net.isIP(host) ? undefined : host,
        ca: t.tls.ca,
        cert: t.tls.cert,
        key: t.tls.key,
        rejectUnauthorized: t.tls.rejectUnauthorized,
      });
      socket.setNoDelay(true);
    } else {
      // noDelay as node:http sets it: typed input on a hijacked attach goes out at once.
      socket = process.getBuiltinModule('node:net').connect({ host: t.host ?? 'localhost', port: t.port ?? 80, noDelay: true });
    }
    this.open.add(socket);
    socket.once('close', () => this.forget(socket));
    return socket;
  }

  private takeIdle(): Socket | undefined {
    for (;;) {
      const socket = this.idle.pop();
      if (!socket) return undefined;
      socket.off('data', onIdleData);
      socket.off('end', onIdleEnd);
      socket.off('error', onIdleEnd);
      if (socket.destroyed || !socket.writable) continue;
      socket.ref();
      return socket;
    }
  }

  /** A socket whose exchange ended cleanly: kept for the next request, without holding the process. */
  release(socket: Socket): void {
    if (socket.destroyed) return;
    socket.on('data', onIdleData);
    socket.on('end', onIdleEnd);
    socket.on('error', onIdleEnd);
    socket.unref();
    this.idle.push(socket);
  }

  private forget(socket: Socket): void {
    this.open.delete(socket);
    const i = this.idle.indexOf(socket);
    if (i >= 0) this.idle.splice(i, 1);
  }
}

// An idle connection that speaks or ends is of no further use.
function onIdleData(this: Socket): void {
  this.destroy();
}
function onIdleEnd(this: Socket): void {
  this.destroy();
}

type BodyMode = { kind: 'none' } | { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

/** One request and its answer on one connection. */
class Exchange {
  private pending: Buffer = Buffer.alloc(0);
  private phase: 'head' | 'body' | 'done' = 'head';
  private body: ReadableStream | undefined;
  private mode: BodyMode = { kind: 'none' };
  private keepAlive = false;
  private requestSent = false;
  // Chunked decoding state.
  private chunkLeft = -1;
  private inTrailers = false;
  private settled = false;

  constructor(
    private readonly client: Http1Client,
    private readonly socket: Socket,
    private readonly req: Http1Request,
    private readonly resolve: (r: Http1Response | Http1Upgrade) => void,
    private readonly reject: (err: Error) => void,
  ) {}

  start(): void {
    const { socket } = this;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    this.send();
  }

  private send(): void {
    const { req, socket } = this;
    const t = this.client.target;
    let head = `${req.method} ${req.path} HTTP/1.1\r\nHost: ${t.hostHeader}\r\n`;
    for (const [name, value] of Object.entries(req.headers)) head += `${name}: ${value}\r\n`;
    if (req.body !== undefined) {
      if (!hasHeader(req.headers, 'content-length')) head += `Content-Length: ${req.body.length}\r\n`;
      socket.write(Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), req.body]));
      this.requestSent = true;
    } else if (req.stream) {
      socket.write(`${head}Transfer-Encoding: chunked\r\n\r\n`, 'latin1');
      this.pipeChunked(req.stream);
    } else {
      // As node:http and Go do: methods that carry a body say it is empty.
      if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') head += 'Content-Length: 0\r\n';
      socket.write(`${head}\r\n`, 'latin1');
      this.requestSent = true;
    }
  }

  private pipeChunked(source: ReadableStream): void {
    const { socket } = this;
    const onData = (chunk: Buffer | string): void => {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (data.length === 0 || socket.destroyed) return;
      // One writev, without copying the chunk.
      socket.cork();
      socket.write(`${data.length.toString(16)}\r\n`, 'latin1');
      socket.write(data);
      const ok = socket.write('\r\n', 'latin1');
      socket.uncork();
      if (!ok) {
        source.pause();
        socket.once('drain', () => source.resume());
      }
    };
    source.on('data', onData);
    source.once('end', () => {
      if (socket.destroyed) return;
      socket.write('0\r\n\r\n', 'latin1');
      this.requestSent = true;
      this.maybeRelease();
    });
    source.once('error', (err: Error) => this.fail(err));
    // The server may answer (and close) before taking the whole body.
    socket.once('close', () => source.off('data', onData));
  }

  private readonly onData = (chunk: Buffer): void => {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    try {
      this.consume();
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  };

  private consume(): void {
    while (this.pending.length > 0 && this.phase !== 'done') {
      if (this.phase === 'head') {
        const end = this.pending.indexOf(CRLF_CRLF);
        if (end < 0) {
          if (this.pending.length > MAX_HEAD_BYTES) throw new Http1Error('response head too large', 'HPE_HEADER_OVERFLOW');
          return;
        }
        const headText = this.pending.subarray(0, end).toString('latin1');
        this.pending = this.pending.subarray(end + 4);
        if (!this.onHead(headText)) return;
      } else {
        this.consumeBody();
      }
    }
  }

  /** Returns false when the socket has been handed over (upgrade). */
  private onHead(text: string): boolean {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
    if (!m) throw new Http1Error(`malformed response status line: ${JSON.stringify(lines[0] ?? '')}`, 'HPE_INVALID_CONSTANT');
    const minor = Number(m[1]);
    const status = Number(m[2]);
    const headers = parseHeaders(lines.slice(1));
    if (status === 101 && this.req.upgrade) {
      this.detach();
      this.phase = 'done';
      this.settled = true;
      const head = this.pending;
      this.pending = Buffer.alloc(0);
      // As node:http leaves an upgraded socket: neither flowing nor paused, so
      // whoever adds a 'data' listener gets what has been buffered meanwhile.
      (this.socket as unknown as { readableFlowing: boolean | null }).readableFlowing = null;
      this.resolve({ kind: 'upgrade', status, headers, socket: this.socket, head });
      return false;
    }
    if (status >= 100 && status < 200) return true; // an interim answer: the real one follows
    const connection = String(headers.connection ?? '').toLowerCase();
    this.keepAlive = !this.req.upgrade && (minor === 1 ? !connection.includes('close') : connection.includes('keep-alive'));
    const transferEncoding = String(headers['transfer-encoding'] ?? '').toLowerCase();
    const length = headers['content-length'];
    if (this.req.method === 'HEAD' || status === 204 || status === 304) this.mode = { kind: 'none' };
    else if (transferEncoding.includes('chunked')) this.mode = { kind: 'chunked' };
    else if (length !== undefined && /^\d+$/.test(length)) this.mode = { kind: 'length', left: Number(length) };
    else {
      this.mode = { kind: 'close' };
      this.keepAlive = false;
    }
    const socket = this.socket;
    this.body = new Readable({
      read: () => {
        if (this.phase === 'body') socket.resume();
      },
      destroy: (err, callback) => {
        // A consumer that stops early (or fails) leaves the rest unread: the connection cannot be reused.
        if (this.phase !== 'done') {
          this.phase = 'done';
          this.detach();
          socket.destroy();
        }
        callback(err);
      },
    });
    this.phase = 'body';
    this.settled = true;
    this.resolve({ kind: 'response', status, headers, body: this.body });
    if (this.mode.kind === 'none' || (this.mode.kind === 'length' && this.mode.left === 0)) this.finishBody();
    return true;
  }

  private consumeBody(): void {
    const mode = this.mode;
    if (mode.kind === 'close') {
      this.pushBody(this.pending);
      this.pending = Buffer.alloc(0);
      return;
    }
    if (mode.kind === 'length') {
      const take = Math.min(mode.left, this.pending.length);
      this.pushBody(this.pending.subarray(0, take));
      this.pending = this.pending.subarray(take);
      mode.left -= take;
      if (mode.left === 0) this.finishBody();
      return;
    }
    if (mode.kind === 'none') {
      // Bytes after a body-less answer: the server broke the protocol.
      this.pending = Buffer.alloc(0);
      this.keepAlive = false;
      return;
    }
    this.consumeChunked();
  }

  private consumeChunked(): void {
    while (this.pending.length > 0 && this.phase === 'body') {
      if (this.inTrailers) {
        const eol = this.pending.indexOf('\r\n');
        if (eol < 0) return;
        const line = this.pending.subarray(0, eol);
        this.pending = this.pending.subarray(eol + 2);
        if (line.length === 0) this.finishBody();
        continue;
      }
      if (this.chunkLeft < 0) {
        const eol = this.pending.indexOf('\r\n');
        if (eol < 0) {
          if (this.pending.length > 1024) throw new Http1Error('invalid chunk size line', 'HPE_INVALID_CHUNK_SIZE');
          return;
        }
        const sizeText = this.pending.subarray(0, eol).toString('latin1').split(';')[0]!.trim();
        if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new Http1Error(`invalid chunk size ${JSON.stringify(sizeText)}`, 'HPE_INVALID_CHUNK_SIZE');
        this.pending = this.pending.subarray(eol + 2);
        const size = Number.parseInt(sizeText, 16);
        if (size === 0) this.inTrailers = true;
        else this.chunkLeft = size;
        continue;
      }
      if (this.chunkLeft > 0) {
        const take = Math.min(this.chunkLeft, this.pending.length);
        this.pushBody(this.pending.subarray(0, take));
        this.pending = this.pending.subarray(take);
        this.chunkLeft -= take;
        continue;
      }
      // chunkLeft === 0: the CRLF after the chunk's data.
      if (this.pending.length < 2) return;
      this.pending = this.pending.subarray(2);
      this.chunkLeft = -1;
    }
  }

  private pushBody(data: Buffer): void {
    if (data.length === 0 || !this.body) return;
    if (!this.body.push(data)) this.socket.pause();
  }

  private finishBody(): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.body?.push(null);
    this.maybeRelease();
  }

  /** The connection goes back to the client once both the request and the answer are complete. */
  private maybeRelease(): void {
    if (this.phase !== 'done' || !this.requestSent) return;
    this.detach();
    if (this.keepAlive && this.pending.length === 0 && !this.socket.destroyed) {
      this.socket.resume();
      this.client.release(this.socket);
    } else {
      this.socket.destroy();
    }
  }

  private detach(): void {
    const { socket } = this;
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
  }

  private readonly onEnd = (): void => {
    if (this.phase === 'body' && this.mode.kind === 'close') {
      this.finishBody();
      return;
    }
    this.fail(new Http1Error('socket hang up', 'ECONNRESET'));
  };

  private readonly onClose = (): void => {
    if (this.phase !== 'done') this.fail(new Http1Error('socket hang up', 'ECONNRESET'));
  };

  private readonly onError = (err: Error): void => this.fail(err);

  private fail(err: Error): void {
    if (this.phase === 'done' && this.settled) return;
    this.phase = 'done';
    this.detach();
    this.socket.destroy();
    if (!this.settled) {
      this.settled = true;
      this.reject(err);
    } else {
      // node:http reports a cut-off body as an error on the message ("aborted").
      this.body?.destroy(err.message === 'socket hang up' ? Object.assign(new Error('aborted'), { code: 'ECONNRESET' }) : err);
    }
  }
}

function hasHeader(headers: Readonly<Record<string, string>>, name: string): boolean {
  return Object.keys(headers).some((h) => h.toLowerCase() === name);
}

function parseHeaders(lines: readonly string[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers[name];
    if (name === 'set-cookie') headers[name] = [...((prev as string[] | undefined) ?? []), value];
    else if (prev === undefined) headers[name] = value;
    else if (!SINGLE_VALUE_HEADERS.has(name)) headers[name] = `${prev as string}, ${value}`;
  }
  return headers;
}
