// Transport rules with small fake servers where docker-registry cannot show
// them: blob redirects to another host (no Authorization there), relative
// upload Locations and partial Range acknowledgements, 416 recovery; plus
// TLS (a docker-registry serving HTTPS) and Docker Hub mirrors.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { closeSync, openSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { startRegistry, buildTestImage, haveRegistry, type TestRegistry } from '../../helpers/registry.js';
import { RegistryService, HttpTransport } from '../../../src/registry/index.js';
import { parseDockerRef } from '../../../src/image/reference.js';
import { TeedLayerInput } from '../../../src/storage/layer-input.js';
import { unpackLayer } from '../../../src/storage/unpacker.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

async function serve(handler: (req: Seen, res: http.ServerResponse) => void): Promise<{ server: http.Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port, seen };
}

async function close(server: http.Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const basic = `Basic ${Buffer.from('u:p').toString('base64')}`;

describe('fake registries', () => {
  let storage: Awaited<ReturnType<typeof serve>> | undefined;
  let registry: Awaited<ReturnType<typeof serve>> | undefined;
  let svc: RegistryService;
  const blob = Buffer.from('blob bytes served from elsewhere\n'.repeat(100));
  const digest = sha256(blob);
  const local = Buffer.from('blob bytes served from the same origin\n'.repeat(10));
  const localDigest = sha256(local);
  let uploaded = Buffer.alloc(0);
  let partialOnce = true;
  let rangeErrorOnce = true;

  before(async () => {
    svc = new RegistryService();
    storage = await serve((req, res) => {
      res.writeHead(200, { 'content-length': String(blob.length) });
      res.end(blob);
    });
    registry = await serve((req, res) => {
      const url = new URL(req.url, 'http://x');
      if (req.headers.authorization !== basic) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"', 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }] }));
        return;
      }
      if (url.pathname === '/v2/') return void res.writeHead(200).end('{}');
      if (url.pathname === `/v2/app/blobs/${digest}` && req.method === 'GET') {
        res.writeHead(307, { location: `http://127.0.0.1:${storage!.port}/storage/${digest}?sig=abc` });
        return void res.end();
      }
      if (url.pathname === `/v2/app/blobs/${localDigest}` && req.method === 'GET') {
        res.writeHead(302, { location: `/elsewhere/same-origin` });
        return void res.end();
      }
      if (url.pathname === '/elsewhere/same-origin') {
        res.writeHead(200, { 'content-length': String(local.length) });
        return void res.end(local);
      }
      if (url.pathname.startsWith('/v2/app/blobs/') && req.method === 'HEAD') return void res.writeHead(404).end();
      if (url.pathname === '/v2/app/blobs/uploads/' && req.method === 'POST') {
        uploaded = Buffer.alloc(0);
        // relative Location with an opaque, already-encoded state
        res.writeHead(202, { location: '/upload/1?_state=a%2Bb%3D', range: '0-0', 'oci-chunk-min-length': '10' });
        return void res.end();
      }
      if (url.pathname === '/upload/1' && req.method === 'PATCH') {
        assert.equal(url.searchParams.get('_state'), 'a+b=');
        const [start] = (req.headers['content-range'] ?? '0-0').split('-').map(Number) as [number];
        if (start !== uploaded.length) {
          res.writeHead(416, { 'content-type': 'application/json' });
          return void res.end(JSON.stringify({ errors: [{ code: 'RANGE_INVALID', message: 'invalid content range' }] }));
        }
        if (rangeErrorOnce && uploaded.length > 0) {
          // pretend an out-of-order chunk once: the client must ask GET for the state
          rangeErrorOnce = false;
          res.writeHead(416);
          return void res.end();
        }
        // keep only part of the first chunk, once
        let kept = req.body;
        if (partialOnce && kept.length > 5) {
          partialOnce = false;
          kept = kept.subarray(0, kept.length - 5);
        }
        uploaded = Buffer.concat([uploaded, kept]);
        res.writeHead(202, { location: '/upload/1?_state=a%2Bb%3D', range: `0-${uploaded.length - 1}` });
        return void res.end();
      }
      if (url.pathname === '/upload/1' && req.method === 'GET') {
        res.writeHead(204, { location: '/upload/1?_state=a%2Bb%3D', range: `0-${uploaded.length - 1}` });
        return void res.end();
      }
      if (url.pathname === '/upload/1' && req.method === 'PUT') {
        assert.equal(url.searchParams.get('_state'), 'a+b=');
        uploaded = Buffer.concat([uploaded, req.body]);
        if (sha256(uploaded) !== url.searchParams.get('digest')) {
          res.writeHead(400, { 'content-type': 'application/json' });
          return void res.end(JSON.stringify({ errors: [{ code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content', detail: {} }] }));
        }
        res.writeHead(201, { location: `/v2/app/blobs/${url.searchParams.get('digest')}` });
        return void res.end();
      }
      res.writeHead(404).end();
    });
  });
  after(async () => {
    await svc?.close();
    await close(storage?.server);
    await close(registry?.server);
  });

  test('a blob redirected to another host: followed, verified, no Authorization sent there', async () => {
    const repo = await svc.repository(parseDockerRef(`127.0.0.1:${registry!.port}/app`), { authConfig: { username: 'u', password: 'p' } });
    const got = await repo.fetchBlob(digest, { purpose: 'layer' });
    assert.deepEqual(got, blob);
    assert.equal(storage!.seen.length, 1);
    assert.equal(storage!.seen[0]!.headers.authorization, undefined);
    assert.equal(storage!.seen[0]!.url, `/storage/${digest}?sig=abc`);
  });

  test('a redirect on the same origin keeps the credentials', async () => {
    const repo = await svc.repository(parseDockerRef(`127.0.0.1:${registry!.port}/app`), { authConfig: { username: 'u', password: 'p' } });
    // the fake answers 401 to any request without them
    assert.deepEqual(await repo.fetchBlob(localDigest), local);
    const hop = registry!.seen.filter((s) => s.url === '/elsewhere/same-origin');
    assert.equal(hop.length, 1);
    assert.equal(hop[0]!.headers.authorization, basic);
  });

  test('chunked upload: relative Location, partial Range acknowledgement, a 416, state kept', async () => {
    const repo = await svc.repository(parseDockerRef(`127.0.0.1:${registry!.port}/app`), { mode: 'push', authConfig: { username: 'u', password: 'p' } });
    const data = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'.repeat(7));
    const progress: number[] = [];
    const result = await repo.pushBlob({ digest: sha256(data), size: data.length }, data, { mode: 'chunked', chunkSize: 4, onProgress: (n) => progress.push(n) });
    assert.deepEqual(result, { status: 'uploaded' });
    assert.deepEqual(uploaded, data);
    assert.equal(progress.at(-1), data.length);
    const patches = registry!.seen.filter((s) => s.method === 'PATCH');
    // chunk size raised to the registry's OCI-Chunk-Min-Length (10)
    assert.equal(patches[0]!.headers['content-range'], '0-9');
    assert.equal(patches[0]!.headers['content-length'], '10');
    // after keeping 5 of 10 bytes, the client resends from byte 5
    assert.equal(patches[1]!.headers['content-range'], '5-9');
    assert.ok(registry!.seen.some((s) => s.method === 'GET' && s.url.startsWith('/upload/1')), 'asked the upload status after 416');
  });

  test('monolithic and streamed uploads against the same fake', async () => {
    const repo = await svc.repository(parseDockerRef(`127.0.0.1:${registry!.port}/app`), { mode: 'push', authConfig: { username: 'u', password: 'p' } });
    const data = Buffer.from('monolithic!'.repeat(50));
    assert.deepEqual(await repo.pushBlob({ digest: sha256(data), size: data.length }, data, { mode: 'monolithic' }), { status: 'uploaded' });
    assert.deepEqual(uploaded, data);
    const put = registry!.seen.filter((s) => s.method === 'PUT').at(-1)!;
    assert.equal(put.url, `/upload/1?_state=a%2Bb%3D&digest=${encodeURIComponent(sha256(data))}`);
    const wrong = Buffer.from('digest will not match');
    await assert.rejects(repo.pushBlob({ digest: sha256(Buffer.from('other')), size: wrong.length }, wrong, { mode: 'monolithic' }), {
      message: 'digest invalid: provided digest did not match uploaded content',
    });
    // dockerd's way: one PATCH with the whole blob, then PUT with the digest
    const streamed = Buffer.from('streamed!'.repeat(70));
    const before = registry!.seen.length;
    assert.deepEqual(await repo.pushBlob({ digest: sha256(streamed), size: streamed.length }, () => Readable.from([streamed.subarray(0, 100), streamed.subarray(100)]), { mode: 'stream' }), {
      status: 'uploaded',
    });
    assert.deepEqual(uploaded, streamed);
    const calls = registry!.seen.slice(before).map((s) => `${s.method} ${s.url.split('?')[0]} ${s.body.length}`);
    assert.deepEqual(calls, [`HEAD /v2/app/blobs/${sha256(streamed)} 0`, 'POST /v2/app/blobs/uploads/ 0', `PATCH /upload/1 ${streamed.length}`, 'PUT /upload/1 0']);
  });
});

describe('TLS and mirrors with docker-registry', { skip: !haveRegistry && 'docker-registry not installed' }, () => {
  let tlsReg: TestRegistry;
  let mirror: TestRegistry;
  let hub: TestRegistry;
  let svc: RegistryService;

  before(async () => {
    [tlsReg, mirror, hub] = await Promise.all([startRegistry({ tls: true }), startRegistry(), startRegistry()]);
    svc = new RegistryService();
  });
  after(async () => {
    await svc?.close();
    await Promise.all([tlsReg?.stop(), mirror?.stop(), hub?.stop()]);
  });

  test('an insecure (loopback) registry that speaks TLS is used over https, unverified', async () => {
    const img = await buildTestImage({ layers: 1, seed: 'tls' });
    const ref = parseDockerRef(`${tlsReg.host}/tls/app:1`);
    const repo = await svc.repository(ref, { mode: 'push' });
    for (const b of [img.config, ...img.layers]) await repo.pushBlob(b, b.bytes);
    await repo.putManifest('1', img.manifest.bytes, img.manifest.mediaType);
    assert.equal(repo.endpoint?.url.protocol, 'https:');
    assert.equal((await (await svc.repository(ref)).getManifest('1')).digest, img.manifest.digest);
    // An unpack worker's own download of a layer: the same endpoint and TLS settings.
    const layer = img.layers[0]!;
    const remote = await (await svc.repository(ref)).remoteBlob(layer.digest);
    assert.equal(remote.request.tls?.insecureSkipVerify, true);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-tls-unpack-'));
    try {
      const fd = openSync(path.join(dir, 'blob'), 'w');
      let told: { digest: string; size: number } | undefined;
      const never: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => ({ next: async () => assert.fail('the worker downloads') }) };
      const input = new TeedLayerInput(never, { fd, accept: async (b) => void (told = b) }, { remote });
      await fs.mkdir(path.join(dir, 'root'));
      const result = await unpackLayer(input, path.join(dir, 'root'), { whiteouts: 'overlay' }).finally(() => closeSync(fd));
      const config = JSON.parse(img.config.bytes.toString('utf8')) as { rootfs: { diff_ids: string[] } };
      assert.equal(result.diffId, config.rootfs.diff_ids[0]);
      assert.deepEqual(told, { digest: layer.digest, size: layer.size });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test('certificate checks: a CA from certs.d is trusted, an unknown one is refused in Go words', async () => {
    const transport = new HttpTransport({ userAgent: 'berth-test' });
    try {
      const url = new URL(`${tlsReg.url}/v2/`);
      const ok = await transport.send({ method: 'GET', url }, { ca: [tlsReg.caPem!] });
      assert.equal(ok.status, 200);
      await ok.body.dump();
      await assert.rejects(transport.send({ method: 'GET', url }, {}), {
        message: `Get "${tlsReg.url}/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
      });
      await assert.rejects(transport.send({ method: 'GET', url: new URL(`https://${mirror.host}/v2/`) }, { insecureSkipVerify: true }), {
        message: `Get "https://${mirror.host}/v2/": http: server gave HTTP response to HTTPS client`,
      });
    } finally {
      await transport.close();
    }
  });

  test('Docker Hub pulls go to a mirror first, and fall back to the hub when the mirror fails', async () => {
    const onMirror = await buildTestImage({ layers: 1, seed: 'mirror' });
    const onHub = await buildTestImage({ layers: 1, seed: 'hub' });
    const seed = async (reg: TestRegistry, path: string, img: typeof onMirror) => {
      const repo = await svc.repository(parseDockerRef(`${reg.host}/${path}`), { mode: 'push' });
      for (const b of [img.config, ...img.layers]) await repo.pushBlob(b, b.bytes);
      await repo.putManifest('latest', img.manifest.bytes, img.manifest.mediaType);
    };
    await seed(mirror, 'library/busybox', onMirror);
    await seed(hub, 'library/busybox', onHub);
    await seed(hub, 'library/onlyhub', onHub);

    const hubSvc = new RegistryService({ mirrors: [mirror.url], officialRegistryUrl: hub.url });
    try {
      const fromMirror = await hubSvc.repository(parseDockerRef('busybox'));
      assert.equal((await fromMirror.getManifest('latest')).digest, onMirror.manifest.digest);
      assert.equal(fromMirror.endpoint?.mirror, true);
      assert.deepEqual(await fromMirror.fetchBlob(onMirror.config.digest), onMirror.config.bytes);

      const fallback = await hubSvc.repository(parseDockerRef('onlyhub'));
      assert.equal((await fallback.getManifest('latest')).digest, onHub.manifest.digest);
      assert.equal(fallback.endpoint?.official, true);

      // pushes never use a mirror
      const push = await hubSvc.repository(parseDockerRef('busybox'), { mode: 'push' });
      assert.equal((await push.connect()).official, true);
    } finally {
      await hubSvc.close();
    }
  });
});
