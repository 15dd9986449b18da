// Routes requests to handlers: strips and checks the /vX.Y prefix, matches the
// path pattern, and turns thrown errors into dockerd's JSON error answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../common/log.js';
import { RequestContext, writeRawResponse, type ResponseHeaders } from './context.js';
import { messageOf, statusOf } from './errors.js';
import { API_VERSION_MAX, API_VERSION_MIN, compareVersions } from './version.js';

export type Handler = (ctx: RequestContext) => Promise<void> | void;
export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

interface Route {
  method: Method;
  pattern: string;
  regex: RegExp;
  names: string[];
  handler: Handler;
}

/** A group of routes, one per API area (containers, images, system...). */
export interface RouteGroup {
  routes(): Array<[Method, string, Handler]>;
}

const versionPrefix = /^\/v([0-9]+(?:\.[0-9]+)*)(\/.*)$/;

// `{name}` matches one path segment; `{name:.*}` matches the rest, slashes
// included (image names such as localhost:5000/a/b), as moby's mux patterns do.
function compile(pattern: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  // Placeholders are replaced before escaping the literal text between them
  // (escaping first would turn `{name:.*}` into `{name:\.*}`, matching nothing).
  const escape = (s: string): string => s.replace(/[.+?^$()|[\]\\*]/g, '\\$&');
  let src = '';
  let last = 0;
  for (const m of pattern.matchAll(/\{(\w+)(:\.\*)?\}/g)) {
    src += escape(pattern.slice(last, m.index)) + (m[2] ? '(.+)' : '([^/]+)');
    names.push(m[1]!);
    last = m.index + m[0].length;
  }
  src += escape(pattern.slice(last));
  return { regex: new RegExp(`^${src}/?$`), names };
}

export class Router {
  private readonly routes: Route[] = [];
  constructor(
    private readonly logger: Logger,
    private readonly commonHeaders: ResponseHeaders,
  ) {}

  add(method: Method, pattern: string, handler: Handler): void {
    const { regex, names } = compile(pattern);
    this.routes.push({ method, pattern, regex, names, handler });
  }

  addGroup(group: RouteGroup): void {
    for (const [method, pattern, handler] of group.routes()) this.add(method, pattern, handler);
  }

  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    void this.dispatch(req, res, null, null);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    void this.dispatch(req, null, socket, head);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse | null, socket: Duplex | null, head: Buffer | null): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q >= 0 ? url.slice(0, q) : url;
    const search = q >= 0 ? url.slice(q + 1) : '';
    let version = API_VERSION_MAX;
    const m = versionPrefix.exec(path);
    if (m) {
      version = m[1]!;
      path = m[2]!;
    }
    const fail = (status: number, message: string): void => {
      const body = Buffer.from(JSON.stringify({ message }) + '\n');
      const headers = { ...this.commonHeaders, 'Content-Type': 'application/json', 'Content-Length': String(body.length) };
      if (res) {
        res.writeHead(status, headers);
        res.end(req.method === 'HEAD' ? undefined : body);
      } else if (socket) {
        writeRawResponse(socket, status, headers, body);
        socket.end();
      }
    };
    if (m) {
      if (compareVersions(version, API_VERSION_MAX) > 0) {
        return fail(400, `client version ${version} is too new. Maximum supported API version is ${API_VERSION_MAX}`);
      }
      if (compareVersions(version, API_VERSION_MIN) < 0) {
        return fail(400, `client version ${version} is too old. Minimum supported API version is ${API_VERSION_MIN}, please upgrade your client to a newer version`);
      }
    }
    try {
      path = decodeURIComponent(path);
    } catch {
      return fail(400, 'invalid URL escape');
    }
    const method = (req.method ?? 'GET').toUpperCase();
    let pathMatched = false;
    for (const route of this.routes) {
      const rm = route.regex.exec(path);
      if (!rm) continue;
      pathMatched = true;
      if (route.method !== method && !(route.method === 'GET' && method === 'HEAD')) continue;
      const params: Record<string, string> = {};
      route.names.forEach((n, i) => { params[n] = rm[i + 1]!; });
      const ctx = new RequestContext(req, res, socket, head, path, params, version, this.commonHeaders, search);
      try {
        await route.handler(ctx);
      } catch (err) {
        const status = statusOf(err);
        if (status >= 500) this.logger.error('Handler for ' + method + ' ' + path + ' returned error', { err: messageOf(err) });
        else this.logger.debug('request error', { method, path, status, err: messageOf(err) });
        if (!ctx.headersSent) ctx.error(status, messageOf(err));
        else if (res && !res.writableEnded) res.end();
      }
      return;
    }
    if (pathMatched) return fail(405, 'Method Not Allowed');
    return fail(404, 'page not found');
  }
}
