// An unpack worker's own download of a layer blob (TeedLayerInput with a
// remote; unpack-worker.ts reads the socket into its slots): the bytes, the
// digest and the progress are the blob's; credentials go to the registry's
// origin only, not to where a redirect leads; a chunked body is read all the
// same; an answer that is not the blob goes to the main thread, which asks
// again (a 401 with fresh credentials) or words the error; a broken transfer
// is worded by the remote's transportError(); TLS with a CA or without
// verification; and with no workers the input is read on this thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { TeedLayerInput, type BlobSink, type RemoteSource } from '../../../src/storage/layer-input.js';
import type { BlobAnswer, BlobRequest } from '../../../src/storage/unpack-protocol.js';
import { unpackLayer } from '../../../src/storage/unpacker.js';
import { bytesOf, makeTar, sha256, tempDir } from './fixtures.js';

interface Served {
  url: string;
  origin: string;
  requests: Array<{ url: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

async function serve(handler: http.RequestListener, tls?: { key: Buffer; cert: Buffer }): Promise<Served> {
  const requests: Served['requests'] = [];
  const wrapped: http.RequestListener = (req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    handler(req, res);
  };
  const server = tls ? https.createServer(tls, wrapped) : http.createServer(wrapped);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/v2/app/blobs/sha256:x`,
    origin,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A layer of several slots' worth (random, so it stays that big gzip'd). */
async function layer(): Promise<{ tar: Buffer; blob: Buffer }> {
  const tar = await makeTar([
    { name: 'etc/', type: 'directory', mode: 0o755 },
    { name: 'etc/conf', content: 'key=value\n' },
    { name: 'data/random.bin', content: randomBytes(5 << 20) },
  ]);
  return { tar, blob: gzipSync(tar) };
}

function fileSink(path: string): BlobSink & { told: Array<{ digest: string; size: number }>; close(): void } {
  const fd = openSync(path, 'w', 0o600);
  const told: Array<{ digest: string; size: number }> = [];
  return { fd, told, accept: async (b) => void told.push(b), close: () => closeSync(fd) };
}

function remote(request: BlobRequest, overrides: Partial<RemoteSource> = {}): RemoteSource & { answers: BlobAnswer[] } {
  const answers: BlobAnswer[] = [];
  return {
    request,
    answers,
    onAnswer: async (answer) => {
      answers.push(answer);
      throw new Error(`unexpected answer ${answer.status}`);
    },
    transportError: (url, cause) => new Error(`transport ${url}: ${cause.message}`),
    ...overrides,
  };
}

const never: AsyncIterable<Uint8Array> = {
  [Symbol.asyncIterator]: () => ({ next: async () => assert.fail('the worker downloads: this thread must not read the source') }),
};

function requestFor(served: Served, extra: Partial<BlobRequest> = {}): BlobRequest {
  return { url: served.url, origin: served.origin, headers: { authorization: 'Bearer secret', 'user-agent': 'berth-test' }, otherHeaders: { 'user-agent': 'berth-test' }, ...extra };
}

test('a worker downloads the blob itself: bytes, digest, progress; credentials to the registry only, not past a redirect', async (t) => {
  const { tar, blob } = await layer();
  const storage = await serve((_req, res) => {
    res.writeHead(200, { 'content-length': String(blob.length) });
    // Dribbled, so the socket is read many times and paused while the slots are full.
    let off = 0;
    const next = (): void => {
      if (off >= blob.length) return void res.end();
      const piece = blob.subarray(off, off + 100_000);
      off += piece.length;
      if (res.write(piece)) setImmediate(next);
      else res.once('drain', next);
    };
    next();
  });
  t.after(() => storage.close());
  const registry = await serve((_req, res) => {
    res.writeHead(307, { location: `${storage.origin}/blob?signed=1` });
    res.end();
  });
  t.after(() => registry.close());
  const dir = await tempDir(t);
  const sink = fileSink(`${dir}/blob`);
  const read: number[] = [];
  const consumed: number[] = [];
  const input = new TeedLayerInput(never, sink, { remote: remote(requestFor(registry)), onRead: (n) => read.push(n), onConsumed: (n) => consumed.push(n) });
  const result = await unpackLayer(input, dir, { whiteouts: 'overlay' }).finally(() => sink.close());
  assert.equal(await input.stored, true);
  assert.equal(result.diffId, sha256(tar));
  assert.deepEqual(sink.told, [{ digest: sha256(blob), size: blob.length }]);
  assert.deepEqual(readFileSync(`${dir}/blob`), blob);
  assert.equal(await readFile(`${dir}/etc/conf`, 'utf8'), 'key=value\n');
  assert.equal(read.at(-1), blob.length);
  assert.equal(consumed.at(-1), blob.length);
  assert.equal(registry.requests[0]!.headers.authorization, 'Bearer secret');
  assert.equal(storage.requests[0]!.url, '/blob?signed=1');
  assert.equal(storage.requests[0]!.headers.authorization, undefined);
  assert.equal(storage.requests[0]!.headers['user-agent'], 'berth-test');
});

test('a chunked body (no Content-Length) is read all the same', async (t) => {
  const { tar, blob } = await layer();
  const served = await serve((_req, res) => {
    res.writeHead(200, { 'transfer-encoding': 'chunked' });
    for (let off = 0; off < blob.length; off += 300_000) res.write(blob.subarray(off, off + 300_000));
    res.end();
  });
  t.after(() => served.close());
  const dir = await tempDir(t);
  const sink = fileSink(`${dir}/blob`);
  const input = new TeedLayerInput(never, sink, { remote: remote(requestFor(served)) });
  const result = await unpackLayer(input, dir, { whiteouts: 'overlay' }).finally(() => sink.close());
  assert.equal(result.diffId, sha256(tar));
  assert.deepEqual(sink.told, [{ digest: sha256(blob), size: blob.length }]);
});

test('an answer that is not the blob goes to the main thread: a 401 is asked again with fresh credentials, a 404 is its error', async (t) => {
  const { tar, blob } = await layer();
  const served = await serve((req, res) => {
    if (req.headers.authorization !== 'Bearer fresh') {
      const body = JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="http://auth/token",service="registry"', 'content-length': String(body.length) });
      return void res.end(body);
    }
    res.writeHead(200, { 'content-length': String(blob.length) });
    res.end(blob);
  });
  t.after(() => served.close());
  const dir = await tempDir(t);
  const sink = fileSink(`${dir}/blob`);
  const answers: BlobAnswer[] = [];
  const input = new TeedLayerInput(never, sink, {
    remote: remote(requestFor(served), {
      onAnswer: async (answer) => {
        answers.push(answer);
        return requestFor(served, { headers: { authorization: 'Bearer fresh' } });
      },
    }),
  });
  const result = await unpackLayer(input, dir, { whiteouts: 'overlay' }).finally(() => sink.close());
  assert.equal(result.diffId, sha256(tar));
  assert.equal(answers.length, 1);
  assert.equal(answers[0]!.status, 401);
  assert.match(answers[0]!.body, /authentication required/);
  assert.match(String(answers[0]!.headers['www-authenticate']), /Bearer realm/);

  const missing = await serve((_req, res) => {
    res.writeHead(404, { 'content-length': '2' });
    res.end('{}');
  });
  t.after(() => missing.close());
  const sink2 = fileSink(`${dir}/blob2`);
  const notFound = new Error('unknown blob');
  const input2 = new TeedLayerInput(never, sink2, { remote: remote(requestFor(missing), { onAnswer: async () => Promise.reject(notFound) }) });
  await assert.rejects(unpackLayer(input2, await tempDir(t), { whiteouts: 'overlay' }).finally(() => sink2.close()), notFound);
  await assert.rejects(input2.stored, notFound);
});

test('a transfer cut short fails with the remote wording of the socket error', async (t) => {
  const { blob } = await layer();
  const served = await serve((req, res) => {
    res.writeHead(200, { 'content-length': String(blob.length) });
    res.write(blob.subarray(0, blob.length >> 1), () => req.socket.destroy());
  });
  t.after(() => served.close());
  const dir = await tempDir(t);
  const sink = fileSink(`${dir}/blob`);
  const input = new TeedLayerInput(never, sink, { remote: remote(requestFor(served)) });
  await assert.rejects(unpackLayer(input, dir, { whiteouts: 'overlay' }).finally(() => sink.close()), /^Error: transport http:\/\/127\.0\.0\.1:\d+\/v2\/app\/blobs\/sha256:x: /);
  await assert.rejects(input.stored);
  assert.deepEqual(sink.told, []);
  // Nothing listening: refused.
  const gone = requestFor(served, { url: 'http://127.0.0.1:1/v2/app/blobs/sha256:x', origin: 'http://127.0.0.1:1' });
  const sink2 = fileSink(`${dir}/blob2`);
  const refused = new TeedLayerInput(never, sink2, { remote: remote(gone, { transportError: (_url, cause) => Object.assign(new Error('refused'), { code: (cause as Error & { code?: string }).code }) }) });
  await assert.rejects(unpackLayer(refused, await tempDir(t), { whiteouts: 'overlay' }).finally(() => sink2.close()), { message: 'refused', code: 'ECONNREFUSED' });
});

test('TLS: a registry certificate from its CA, or none checked (insecure registry)', async (t) => {
  const dir = await tempDir(t);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const key = readFileSync(`${dir}/key.pem`);
  const cert = readFileSync(`${dir}/cert.pem`);
  const { tar, blob } = await layer();
  const served = await serve((_req, res) => {
    res.writeHead(200, { 'content-length': String(blob.length) });
    res.end(blob);
  }, { key, cert });
  t.after(() => served.close());
  const settings: Array<[string, BlobRequest['tls']]> = [
    ['ca', { ca: [cert.toString()] }],
    ['insecure', { insecureSkipVerify: true }],
  ];
  for (const [label, tls] of settings) {
    const root = await tempDir(t);
    const sink = fileSink(`${root}/blob`);
    const input = new TeedLayerInput(never, sink, { remote: remote(requestFor(served, { tls })) });
    const result = await unpackLayer(input, root, { whiteouts: 'overlay' }).finally(() => sink.close());
    assert.equal(result.diffId, sha256(tar), label);
  }
  // Unknown CA: refused by the TLS check.
  const sink = fileSink(`${dir}/blob`);
  const input = new TeedLayerInput(never, sink, { remote: remote(requestFor(served), { transportError: (_url, cause) => cause }) });
  await assert.rejects(unpackLayer(input, await tempDir(t), { whiteouts: 'overlay' }).finally(() => sink.close()), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
});

test('without workers, an input with a remote is read from its source on this thread', async (t) => {
  const { tar, blob } = await layer();
  const dir = await tempDir(t);
  const sink = fileSink(`${dir}/blob`);
  const saved = process.env.BERTH_UNPACK_WORKERS;
  process.env.BERTH_UNPACK_WORKERS = '0';
  try {
    const unreachable = { url: 'http://127.0.0.1:1/x', origin: 'http://127.0.0.1:1', headers: {}, otherHeaders: {} };
    const input = new TeedLayerInput(bytesOf(blob, 65_536), sink, { remote: remote(unreachable) });
    const result = await unpackLayer(input, dir, { whiteouts: 'overlay' }).finally(() => sink.close());
    assert.equal(result.diffId, sha256(tar));
    assert.deepEqual(sink.told, [{ digest: sha256(blob), size: blob.length }]);
  } finally {
    if (saved === undefined) delete process.env.BERTH_UNPACK_WORKERS;
    else process.env.BERTH_UNPACK_WORKERS = saved;
  }
});
