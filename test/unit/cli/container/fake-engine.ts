// A scripted Engine API server on a unix socket, for tests of the container
// commands without a daemon: it records every request (so a test can compare
// the bodies berth sends with those the docker CLI sends for the same flags)
// and answers from a handler. Hijacked endpoints (attach, exec start) get the
// raw socket after the 101 answer.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';

export interface RecordedRequest {
  readonly method: string;
  /** Path without the /vX.Y prefix and without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface CannedResponse {
  status: number;
  json?: unknown;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Headers now, then this JSON body when it resolves (dockerd's wait answers this way). */
  later?: Promise<unknown>;
}

/** Take over the connection after `HTTP/1.1 101 UPGRADED` (docker's hijack). */
export interface HijackResponse {
  hijack: (socket: Duplex) => void;
  /** Content type of the upgraded stream (raw for a TTY, multiplexed otherwise). */
  contentType?: string;
}

export type Handler = (req: RecordedRequest) => CannedResponse | HijackResponse | Promise<CannedResponse | HijackResponse> | undefined;

export interface FakeEngine {
  readonly host: string;
  readonly requests: RecordedRequest[];
  /** The parsed JSON bodies of the requests to `method path`. */
  bodies(method: string, pathName: string): unknown[];
  close(): Promise<void>;
}

const VERSION_PREFIX = /^\/v\d+\.\d+(?=\/)/;

export async function startFakeEngine(handler: Handler, options: { apiVersion?: string } = {}): Promise<FakeEngine> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-fake-engine-'));
  const socketPath = path.join(dir, 'engine.sock');
  const requests: RecordedRequest[] = [];
  const apiVersion = options.apiVersion ?? '1.47';
  const sockets = new Set<Duplex>();

  const record = (req: http.IncomingMessage, body: Buffer): RecordedRequest => {
    const url = new URL(req.url ?? '/', 'http://engine');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname.replace(VERSION_PREFIX, ''),
      query: url.searchParams,
      headers: req.headers,
      body,
    };
    requests.push(recorded);
    return recorded;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = record(req, Buffer.concat(chunks));
      res.setHeader('Api-Version', apiVersion);
      res.setHeader('Ostype', 'linux');
      if (recorded.path === '/_ping') {
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end(req.method === 'HEAD' ? undefined : 'OK');
        return;
      }
      Promise.resolve(handler(recorded)).then(
        (answer) => {
          if (!answer) answer = { status: 404, json: { message: 'page not found' } };
          if ('hijack' in answer) {
            res.statusCode = 500;
            res.end(JSON.stringify({ message: 'hijack needs Upgrade: tcp' }));
            return;
          }
          writeAnswer(res, answer);
        },
        (err: unknown) => {
          res.statusCode = 500;
          res.end(JSON.stringify({ message: String(err) }));
        },
      );
    });
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const chunks: Buffer[] = [head];
    // Upgrade requests carry their (small) JSON body, if any, right after the headers.
    const recorded = record(req, Buffer.concat(chunks));
    Promise.resolve(handler(recorded)).then((answer) => {
      if (answer && 'hijack' in answer) {
        socket.write(
          'HTTP/1.1 101 UPGRADED\r\n' +
            `Content-Type: ${answer.contentType ?? 'application/vnd.docker.multiplexed-stream'}\r\n` +
            'Connection: Upgrade\r\nUpgrade: tcp\r\n' +
            `Api-Version: ${apiVersion}\r\n\r\n`,
        );
        answer.hijack(socket);
        return;
      }
      const canned = answer ?? { status: 404, json: { message: 'page not found' } };
      const payload = canned.json !== undefined ? JSON.stringify(canned.json) : (canned.body ?? '');
      socket.end(
        `HTTP/1.1 ${canned.status} ${http.STATUS_CODES[canned.status] ?? ''}\r\n` +
          'Content-Type: application/json\r\n' +
          `Content-Length: ${Buffer.byteLength(payload)}\r\n` +
          `Api-Version: ${apiVersion}\r\nConnection: close\r\n\r\n${payload}`,
      );
    }, () => socket.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    host: `unix://${socketPath}`,
    requests,
    bodies(method: string, pathName: string): unknown[] {
      return requests
        .filter((r) => r.method === method && r.path === pathName)
        .map((r) => (r.body.length ? (JSON.parse(r.body.toString('utf8')) as unknown) : undefined));
    },
    async close(): Promise<void> {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function writeAnswer(res: http.ServerResponse, answer: CannedResponse): void {
  res.statusCode = answer.status;
  for (const [k, v] of Object.entries(answer.headers ?? {})) res.setHeader(k, v);
  if (answer.later) {
    res.setHeader('Content-Type', 'application/json');
    res.flushHeaders();
    answer.later.then(
      (value) => res.end(JSON.stringify(value) + '\n'),
      () => res.destroy(),
    );
    return;
  }
  if (answer.json !== undefined) {
    if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(answer.json) + '\n');
  } else {
    res.end(answer.body ?? '');
  }
}
