// One API request as the handlers see it, whether it arrived as a plain HTTP
// request or as an `Upgrade: tcp` request that may be hijacked for a raw stream.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { invalidParameter } from '../../common/errors.js';
import { Filters } from './filters.js';
import { versionAtLeast } from './version.js';

/** Largest JSON request body accepted (container create with many env/labels fits easily). */
export const MAX_JSON_BODY = 16 * 1024 * 1024;

export interface ResponseHeaders {
  [name: string]: string;
}

/** A connection taken over for a raw bidirectional stream (attach, exec). */
export interface HijackedStream {
  socket: Duplex;
  /** Bytes of the client's stream that arrived with the request head. */
  initial: Buffer;
  /** True when the client asked to upgrade (101); false for the raw-stream fallback (read-only). */
  upgraded: boolean;
}

export class RequestContext {
  readonly query: URLSearchParams;
  private responded = false;
  private upgradeBuffered: Buffer;

  constructor(
    readonly req: IncomingMessage,
    private readonly res: ServerResponse | null,
    private readonly upgradeSocket: Duplex | null,
    upgradeHead: Buffer | null,
    readonly path: string,
    readonly params: Record<string, string>,
    readonly apiVersion: string,
    private readonly commonHeaders: ResponseHeaders,
    search: string,
  ) {
    this.query = new URLSearchParams(search);
    this.upgradeBuffered = upgradeHead ?? Buffer.alloc(0);
  }

  get method(): string {
    return this.req.method ?? 'GET';
  }
  get headersSent(): boolean {
    return this.responded;
  }
  versionAtLeast(v: string): boolean {
    return versionAtLeast(this.apiVersion, v);
  }
  param(name: string): string {
    return this.params[name] ?? '';
  }
  header(name: string): string | undefined {
    const v = this.req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  }

  /** moby's httputils.BoolValue: anything but "", "0", "no", "false", "none" is true. */
  queryBool(name: string): boolean {
    const v = (this.query.get(name) ?? '').trim().toLowerCase();
    return !(v === '' || v === '0' || v === 'no' || v === 'false' || v === 'none');
  }
  /** moby's BoolValueOrDefault. */
  queryBoolOr(name: string, dflt: boolean): boolean {
    return this.query.has(name) ? this.queryBool(name) : dflt;
  }
  queryString(name: string): string | undefined {
    const v = this.query.get(name);
    return v === null ? undefined : v;
  }
  queryInt(name: string, dflt?: number): number | undefined {
    const v = this.query.get(name);
    if (v === null || v === '') return dflt;
    const n = Number(v);
    if (!Number.isInteger(n)) throw invalidParameter(`invalid value for ${name}: ${v}`);
    return n;
  }
  filters(): Filters {
    return Filters.parse(this.query.get('filters'));
  }

  /** The request body as a stream (for tar uploads: import, load, build, archive). */
  bodyStream(): NodeJS.ReadableStream {
    if (this.upgradeSocket) throw new Error('body streams are not available on upgraded requests');
    return this.req;
  }

  async readBody(limit = MAX_JSON_BODY): Promise<Buffer> {
    if (this.upgradeSocket) return this.readUpgradeBody(limit);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.req) {
      const b = chunk as Buffer;
      size += b.length;
      if (size > limit) throw invalidParameter(`request body too large: exceeds ${limit} bytes`);
      chunks.push(b);
    }
    return Buffer.concat(chunks);
  }

  // With `Upgrade`, Node hands over the socket without parsing the body: read
  // exactly Content-Length bytes and leave the rest as the client's stream.
  private async readUpgradeBody(limit: number): Promise<Buffer> {
    const length = Number(this.header('content-length') ?? '0');
    if (!Number.isFinite(length) || length <= 0) return Buffer.alloc(0);
    if (length > limit) throw invalidParameter(`request body too large: exceeds ${limit} bytes`);
    const socket = this.upgradeSocket!;
    while (this.upgradeBuffered.length < length) {
      const chunk = await new Promise<Buffer | null>((resolve) => {
        const onData = (d: Buffer): void => { cleanup(); resolve(d); };
        const onEnd = (): void => { cleanup(); resolve(null); };
        const cleanup = (): void => {
          socket.off('data', onData);
          socket.off('end', onEnd);
          socket.off('close', onEnd);
          socket.pause();
        };
        socket.on('data', onData);
        socket.once('end', onEnd);
        socket.once('close', onEnd);
        socket.resume();
      });
      if (!chunk) break;
      this.upgradeBuffered = Buffer.concat([this.upgradeBuffered, chunk]);
    }
    const body = this.upgradeBuffered.subarray(0, length);
    this.upgradeBuffered = this.upgradeBuffered.subarray(length);
    return body;
  }

  /** Parse a JSON body; an empty body gives undefined. Malformed JSON is a 400 as in dockerd. */
  async readJson<T>(): Promise<T | undefined> {
    const body = await this.readBody();
    if (body.length === 0) return undefined;
    try {
      return JSON.parse(body.toString('utf8')) as T;
    } catch (err) {
      throw invalidParameter(err instanceof Error ? err.message : 'invalid JSON');
    }
  }

  private baseHeaders(extra: ResponseHeaders): ResponseHeaders {
    return { ...this.commonHeaders, ...extra };
  }

  /** Send a complete response. */
  send(status: number, body: string | Buffer, contentType = 'text/plain; charset=utf-8', extra: ResponseHeaders = {}): void {
    if (this.responded) return;
    this.responded = true;
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    const headers = this.baseHeaders({ 'Content-Type': contentType, 'Content-Length': String(buf.length), ...extra });
    if (status === 204 || status === 304) {
      delete headers['Content-Type'];
      delete headers['Content-Length'];
    }
    if (this.res) {
      this.res.writeHead(status, headers);
      this.res.end(status === 204 || status === 304 || this.method === 'HEAD' ? undefined : buf);
    } else {
      writeRawResponse(this.upgradeSocket!, status, headers, status === 204 || status === 304 ? Buffer.alloc(0) : buf);
      this.upgradeSocket!.end();
    }
  }

  json(status: number, value: unknown, extra: ResponseHeaders = {}): void {
    this.send(status, JSON.stringify(value) + '\n', 'application/json', extra);
  }

  noContent(): void {
    this.send(204, '');
  }

  error(status: number, message: string): void {
    this.json(status, { message });
  }

  /**
   * Start a streamed response (chunked): JSON progress messages, logs, events,
   * tar archives. Returns a writer; call end() when done.
   */
  startStream(contentType: string, status = 200, extra: ResponseHeaders = {}): StreamWriter {
    if (!this.res) throw new Error('cannot stream on an upgraded request');
    this.responded = true;
    this.res.writeHead(status, this.baseHeaders({ 'Content-Type': contentType, ...extra }));
    this.res.flushHeaders();
    return new StreamWriter(this.res);
  }

  /**
   * Take over the connection for a raw stream, as dockerd's attach and exec do:
   * 101 UPGRADED when the client asked for `Upgrade: tcp`, else a 200 raw-stream response.
   */
  hijack(contentType: string): HijackedStream {
    this.responded = true;
    if (this.upgradeSocket) {
      const head =
        `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
        Object.entries(this.commonHeaders).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
      this.upgradeSocket.write(head);
      const initial = this.upgradeBuffered;
      this.upgradeBuffered = Buffer.alloc(0);
      return { socket: this.upgradeSocket, initial, upgraded: true };
    }
    const res = this.res!;
    const socket = res.socket!;
    // Write the head ourselves and detach from Node's HTTP machinery, so that
    // the body is the raw stream until the connection closes.
    const head =
      `HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\nConnection: close\r\n` +
      Object.entries(this.commonHeaders).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
    socket.write(head);
    res.detachSocket(socket);
    return { socket, initial: Buffer.alloc(0), upgraded: false };
  }

  /** Run cleanup when the client goes away (for follow streams). */
  onClose(fn: () => void): void {
    const sock = this.upgradeSocket ?? this.res?.socket ?? this.req.socket;
    if (this.res) this.res.once('close', fn);
    else sock?.once('close', fn);
  }
}

export class StreamWriter {
  private closed = false;
  constructor(private readonly res: ServerResponse) {
    res.once('close', () => { this.closed = true; });
  }
  get isClosed(): boolean {
    return this.closed || this.res.destroyed;
  }
  /** Write bytes; resolves when the socket can take more (backpressure). */
  write(chunk: string | Buffer): Promise<void> | void {
    if (this.isClosed) return;
    if (!this.res.write(chunk)) {
      return new Promise((resolve) => {
        const done = (): void => { this.res.off('drain', done); this.res.off('close', done); resolve(); };
        this.res.once('drain', done);
        this.res.once('close', done);
      });
    }
  }
  writeJson(value: unknown): Promise<void> | void {
    return this.write(JSON.stringify(value) + '\n');
  }
  end(chunk?: string | Buffer): void {
    if (!this.res.writableEnded) this.res.end(chunk);
  }
  get raw(): ServerResponse {
    return this.res;
  }
}

export function writeRawResponse(socket: Duplex, status: number, headers: ResponseHeaders, body: Buffer): void {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  if (!('Content-Length' in headers)) head += `Content-Length: ${body.length}\r\n`;
  head += 'Connection: close\r\n\r\n';
  socket.write(Buffer.concat([Buffer.from(head), body]));
}
