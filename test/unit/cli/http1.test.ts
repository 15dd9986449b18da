// The CLI's HTTP/1.1 client (src/cli/client/http1.ts) against node:http
// servers and hand-written answers on unix sockets: bodies by length,
// chunked and until close, keep-alive reuse, streamed uploads, upgrades,
// early ends and connection errors.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';

import { Http1Client, type Http1Response, type Http1Upgrade } from '../../../src/cli/client/http1.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-http1-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function readBody(res: Http1Response): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function asResponse(r: Http1Response | Http1Upgrade): Http1Response {
  assert.equal(r.kind, 'response');
  return r as Http1Response;
}

function listen(server: net.Server, name: string): Promise<string> {
  const socketPath = path.join(dir, name);
  return new Promise((resolve) => server.listen(socketPath, () => resolve(socketPath)));
}

describe('http1 client against node:http', () => {
  let server: http.Server;
  let socketPath: string;
  let connections = 0;
  const uploads: string[] = [];
  const seenHeaders: http.IncomingHttpHeaders[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      seenHeaders.push(req.headers);
      if (req.url === '/json') {
        res.setHeader('Content-Type', 'application/json');
        res.setHeader('Api-Version', '1.47');
        res.end(JSON.stringify({ ok: true, path: req.url }));
      } else if (req.url === '/chunked') {
        res.setHeader('Content-Type', 'text/plain');
        res.write('one,');
        setTimeout(() => {
          res.write('two,');
          res.end('three');
        }, 10);
      } else if (req.url === '/big') {
        res.end(Buffer.alloc(3 * 1024 * 1024, 'x'));
      } else if (req.url === '/upload') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          uploads.push(Buffer.concat(chunks).toString('utf8'));
          res.end(`got ${Buffer.concat(chunks).length}`);
        });
      } else if (req.url === '/empty') {
        res.statusCode = 204;
        res.end();
      } else if (req.url === '/error') {
        res.statusCode = 404;
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ message: 'No such container: x' }));
      } else {
        res.statusCode = 500;
        res.end('unexpected');
      }
    });
    server.on('connection', () => connections++);
    // docker's hijack: 101, then the raw stream both ways.
    server.on('upgrade', (req, socket, head) => {
      socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nhello ');
      if (head.length > 0) socket.write(head);
      socket.on('data', (d: Buffer) => socket.write(d.toString('utf8').toUpperCase()));
      socket.on('end', () => socket.end('bye'));
    });
    socketPath = await listen(server, 'http.sock');
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = (): Http1Client => new Http1Client({ socketPath, hostHeader: 'api.moby.localhost' });

  it('reads a Content-Length body and lower-cases header names', async () => {
    const c = client();
    const res = asResponse(await c.request({ method: 'GET', path: '/json', headers: { 'User-Agent': 'berth-cli' } }));
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.headers['api-version'], '1.47');
    assert.deepEqual(JSON.parse(await readBody(res)), { ok: true, path: '/json' });
    assert.equal(seenHeaders.at(-1)?.host, 'api.moby.localhost');
    assert.equal(seenHeaders.at(-1)?.['user-agent'], 'berth-cli');
    c.close();
  });

  it('reuses an idle connection for the next request', async () => {
    const c = client();
    const before = connections;
    for (let i = 0; i < 3; i++) await readBody(asResponse(await c.request({ method: 'GET', path: '/json', headers: {} })));
    assert.equal(connections - before, 1);
    c.close();
  });

  it('runs concurrent requests on separate connections', async () => {
    const c = client();
    const bodies = await Promise.all([1, 2, 3].map(async () => readBody(asResponse(await c.request({ method: 'GET', path: '/chunked', headers: {} })))));
    assert.deepEqual(bodies, ['one,two,three', 'one,two,three', 'one,two,three']);
    c.close();
  });

  it('decodes a chunked body', async () => {
    const c = client();
    const res = asResponse(await c.request({ method: 'GET', path: '/chunked', headers: {} }));
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assert.equal(await readBody(res), 'one,two,three');
    c.close();
  });

  it('streams a large body with backpressure', async () => {
    const c = client();
    const res = asResponse(await c.request({ method: 'GET', path: '/big', headers: {} }));
    let total = 0;
    for await (const chunk of res.body) {
      total += (chunk as Buffer).length;
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(total, 3 * 1024 * 1024);
    c.close();
  });

  it('sends a JSON body with its length, and an empty POST with Content-Length: 0', async () => {
    const c = client();
    const body = Buffer.from('{"a":1}');
    const res = asResponse(await c.request({ method: 'POST', path: '/upload', headers: { 'Content-Type': 'application/json' }, body }));
    assert.equal(await readBody(res), 'got 7');
    assert.equal(seenHeaders.at(-1)?.['content-length'], '7');
    const empty = asResponse(await c.request({ method: 'POST', path: '/upload', headers: {} }));
    assert.equal(await readBody(empty), 'got 0');
    assert.equal(seenHeaders.at(-1)?.['content-length'], '0');
    c.close();
  });

  it('streams a request body chunked', async () => {
    const c = client();
    const parts = ['tar ', 'data ', 'x'.repeat(100_000)];
    const res = asResponse(await c.request({ method: 'POST', path: '/upload', headers: { 'Content-Type': 'application/x-tar' }, stream: Readable.from(parts.map((p) => Buffer.from(p))) }));
    assert.equal(await readBody(res), `got ${parts.join('').length}`);
    assert.equal(uploads.at(-1), parts.join(''));
    assert.equal(seenHeaders.at(-1)?.['transfer-encoding'], 'chunked');
    // The connection is reusable after a streamed upload.
    assert.equal(await readBody(asResponse(await c.request({ method: 'GET', path: '/json', headers: {} }))), '{"ok":true,"path":"/json"}');
    c.close();
  });

  it('gives 204 an empty body and error statuses their body', async () => {
    const c = client();
    const empty = asResponse(await c.request({ method: 'DELETE', path: '/empty', headers: {} }));
    assert.equal(empty.status, 204);
    assert.equal(await readBody(empty), '');
    const notFound = asResponse(await c.request({ method: 'GET', path: '/error', headers: {} }));
    assert.equal(notFound.status, 404);
    assert.equal(await readBody(notFound), '{"message":"No such container: x"}');
    c.close();
  });

  it('hands over the socket on 101, with the bytes that came after the head', async () => {
    const c = client();
    const r = await c.request({ method: 'POST', path: '/attach', headers: { Connection: 'Upgrade', Upgrade: 'tcp' }, upgrade: true });
    assert.equal(r.kind, 'upgrade');
    const up = r as Http1Upgrade;
    assert.equal(up.status, 101);
    assert.equal(up.headers['content-type'], 'application/vnd.docker.raw-stream');
    // Data sent before a listener is attached must not be lost.
    await new Promise((r) => setTimeout(r, 20));
    const chunks: Buffer[] = [up.head];
    up.socket.on('data', (d: Buffer) => chunks.push(d));
    const ended = new Promise((r) => up.socket.on('end', r));
    up.socket.write('abc');
    setTimeout(() => up.socket.end(), 20);
    await ended;
    assert.equal(Buffer.concat(chunks).toString('utf8'), 'hello ABCbye');
    c.close();
  });

  it('drops a connection whose body was not read to the end', async () => {
    const c = client();
    const res = asResponse(await c.request({ method: 'GET', path: '/big', headers: {} }));
    res.body.destroy();
    assert.equal(await readBody(asResponse(await c.request({ method: 'GET', path: '/json', headers: {} }))), '{"ok":true,"path":"/json"}');
    c.close();
  });
});

describe('http1 client over TCP', () => {
  it('requests a TCP endpoint with its host:port as Host', async () => {
    const server = http.createServer((req, res) => res.end(`${req.headers.host} ${req.url}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as net.AddressInfo).port;
    const c = new Http1Client({ host: '127.0.0.1', port, hostHeader: `127.0.0.1:${port}` });
    const res = asResponse(await c.request({ method: 'GET', path: '/v1.47/_ping', headers: {} }));
    assert.equal(await readBody(res), `127.0.0.1:${port} /v1.47/_ping`);
    c.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('http1 client against hand-written answers', () => {
  it('reads a body delimited by the end of the connection', async () => {
    const server = net.createServer((s) => {
      s.once('data', () => s.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close'));
    });
    const socketPath = await listen(server, 'close.sock');
    const c = new Http1Client({ socketPath, hostHeader: 'x' });
    const res = asResponse(await c.request({ method: 'GET', path: '/', headers: {} }));
    assert.equal(await readBody(res), 'until close');
    c.close();
    server.close();
  });

  it('skips interim answers, keeps chunk extensions and trailers out of the body, joins repeated headers', async () => {
    const server = net.createServer((s) => {
      s.once('data', () =>
        s.end(
          'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-A: 1\r\nX-A: 2\r\nSet-Cookie: a\r\nSet-Cookie: b\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
            '5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n',
        ),
      );
    });
    const socketPath = await listen(server, 'chunks.sock');
    const c = new Http1Client({ socketPath, hostHeader: 'x' });
    const res = asResponse(await c.request({ method: 'GET', path: '/', headers: {} }));
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-a'], '1, 2');
    assert.deepEqual(res.headers['set-cookie'], ['a', 'b']);
    assert.equal(await readBody(res), 'hello world');
    c.close();
    server.close();
  });

  it('fails the body when the connection ends early', async () => {
    const server = net.createServer((s) => {
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort'));
    });
    const socketPath = await listen(server, 'short.sock');
    const c = new Http1Client({ socketPath, hostHeader: 'x' });
    const res = asResponse(await c.request({ method: 'GET', path: '/', headers: {} }));
    await assert.rejects(readBody(res), /aborted/);
    c.close();
    server.close();
  });

  it('rejects with the socket error code when the connection cannot be made or is cut before an answer', async () => {
    const missing = new Http1Client({ socketPath: path.join(dir, 'missing.sock'), hostHeader: 'x' });
    await assert.rejects(missing.request({ method: 'GET', path: '/', headers: {} }), { code: 'ENOENT' });
    const server = net.createServer((s) => s.once('data', () => s.destroy()));
    const socketPath = await listen(server, 'cut.sock');
    const c = new Http1Client({ socketPath, hostHeader: 'x' });
    await assert.rejects(c.request({ method: 'GET', path: '/', headers: {} }), { code: 'ECONNRESET' });
    c.close();
    server.close();
  });

  it('rejects a malformed status line', async () => {
    const server = net.createServer((s) => s.once('data', () => s.end('SPDY/3 200 OK\r\n\r\n')));
    const socketPath = await listen(server, 'bad.sock');
    const c = new Http1Client({ socketPath, hostHeader: 'x' });
    await assert.rejects(c.request({ method: 'GET', path: '/', headers: {} }), /malformed response status line/);
    c.close();
    server.close();
  });
});
