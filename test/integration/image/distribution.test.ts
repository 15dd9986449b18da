// Pull and push through berthd with the real docker CLI against real
// registries (docker-registry: no auth, htpasswd after `docker login`, token
// auth), skopeo interop both ways, a multi-platform index, and kill -9 in the
// middle of a pull (a fake registry that stalls the second layer).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, existsSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { haveDockerCli, type TestDaemon } from '../../helpers/daemon.js';
import {
  buildTestImage,
  buildTestIndex,
  haveRegistry,
  haveSkopeo,
  skopeo,
  startRegistry,
  writeOciLayout,
  type TestBlob,
  type TestImage,
  type TestRegistry,
} from '../../helpers/registry.js';
import { freshDaemon } from './helpers.js';

const skip = !haveDockerCli || !haveRegistry || !existsSync('/bin/busybox');

async function entriesUnder(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch {
    return [];
  }
}

async function layerDirs(d: TestDaemon): Promise<string[]> {
  const out: string[] = [];
  for (const driver of ['overlay2', 'vfs']) {
    for (const e of await entriesUnder(path.join(d.dataRoot, 'storage', driver))) if (/^[a-f0-9]{64}$/.test(e)) out.push(e);
  }
  return out;
}

/** An OCI layout holding a multi-platform index. */
async function writeIndexLayout(dir: string, images: TestImage[], index: TestBlob, tag: string): Promise<void> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await fs.mkdir(blobs, { recursive: true });
  for (const img of images) for (const b of [img.config, ...img.layers, img.manifest]) await fs.writeFile(path.join(blobs, b.digest.slice(7)), b.bytes);
  await fs.writeFile(path.join(blobs, index.digest.slice(7)), index.bytes);
  await fs.writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await fs.writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: index.mediaType, digest: index.digest, size: index.size, annotations: { 'org.opencontainers.image.ref.name': tag } }] }),
  );
}

describe('push and pull with the docker CLI', { skip }, () => {
  let d: TestDaemon;
  const registries: TestRegistry[] = [];
  let work: string;
  before(async () => {
    d = await freshDaemon();
    work = mkdtempSync(path.join(os.tmpdir(), 'berth-dist-'));
    const res = await d.api('POST', '/berth/images/busybox');
    assert.ok(res.status === 201 || res.status === 200, res.text);
  });
  after(async () => {
    await d?.cleanup();
    for (const r of registries) await r.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('pushes to and pulls from a registry without auth', async () => {
    const reg = await startRegistry();
    registries.push(reg);
    const ref = `${reg.host}/bb:1`;
    assert.equal((await d.docker(['tag', 'busybox', ref])).code, 0);
    const push = await d.docker(['push', ref]);
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stdout, new RegExp(`The push refers to repository \\[${reg.host}/bb\\]`));
    assert.match(push.stdout, /: Pushed$/m);
    const digest = /^1: digest: (sha256:[a-f0-9]{64}) size: \d+$/m.exec(push.stdout)?.[1];
    assert.ok(digest, push.stdout);
    // A second push finds the layer there.
    const again = await d.docker(['push', ref]);
    assert.match(again.stdout, /: Layer already exists$/m);
    // Another repository on the same registry: the blob is mounted.
    assert.equal((await d.docker(['tag', 'busybox', `${reg.host}/other:1`])).code, 0);
    const id = (await d.docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim();
    assert.equal((await d.docker(['rmi', '-f', id])).code, 0);
    const pull = await d.docker(['pull', ref]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, /^1: Pulling from bb$/m);
    assert.match(pull.stdout, /Pull complete$/m);
    assert.match(pull.stdout, new RegExp(`^Digest: ${digest}$`, 'm'));
    assert.match(pull.stdout, new RegExp(`^Status: Downloaded newer image for ${reg.host}/bb:1$`, 'm'));
    assert.equal((await d.docker(['image', 'inspect', '-f', '{{.Id}}', ref])).stdout.trim(), id);
    const up = await d.docker(['pull', ref]);
    assert.match(up.stdout, new RegExp(`^Status: Image is up to date for ${reg.host}/bb:1$`, 'm'));
    const digests = await d.docker(['images', '--digests', '--format', '{{.Digest}}', `${reg.host}/bb`]);
    assert.equal(digests.stdout.trim(), digest);
    // Pushing to another repository mounts the blob from the one it was pulled from.
    assert.equal((await d.docker(['tag', ref, `${reg.host}/mounted:1`])).code, 0);
    const mount = await d.docker(['push', `${reg.host}/mounted:1`]);
    assert.equal(mount.code, 0, mount.stderr);
    assert.match(mount.stdout, /Mounted from bb$|Layer already exists$/m);
    // GET /distribution/{name}/json: the registry's descriptor and platforms.
    const dist = await d.api('GET', `/distribution/${reg.host}/bb:1/json`);
    assert.equal(dist.status, 200, dist.text);
    const info = dist.json as { Descriptor: { digest: string; mediaType: string }; Platforms: Array<{ architecture: string; os: string }> };
    assert.equal(info.Descriptor.digest, digest);
    assert.deepEqual(info.Platforms, [{ architecture: 'amd64', os: 'linux' }]);
    const search = await d.docker(['search', 'busybox']);
    assert.notEqual(search.code, 0);
    const missing = await d.docker(['pull', `${reg.host}/nosuch:1`]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /manifest unknown|not found/);
  });

  it('logs in and pushes/pulls with Basic auth (htpasswd)', async () => {
    await d.api('POST', '/berth/images/busybox');
    const reg = await startRegistry({ auth: 'htpasswd' });
    registries.push(reg);
    const ref = `${reg.host}/private/bb:1`;
    assert.equal((await d.docker(['tag', 'busybox', ref])).code, 0);
    const denied = await d.docker(['push', ref]);
    assert.notEqual(denied.code, 0);
    const login = await d.docker(['login', '-u', reg.username!, '--password-stdin', reg.host], { input: reg.password! });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /Login Succeeded/);
    const push = await d.docker(['push', ref]);
    assert.equal(push.code, 0, push.stderr);
    assert.equal((await d.docker(['rmi', ref])).code, 0);
    const pull = await d.docker(['pull', ref]);
    assert.equal(pull.code, 0, pull.stderr);
    const bad = await d.docker(['login', '-u', reg.username!, '--password-stdin', reg.host], { input: 'wrong' });
    assert.notEqual(bad.code, 0);
  });

  it('logs in and pushes/pulls with token auth', async () => {
    await d.api('POST', '/berth/images/busybox');
    const reg = await startRegistry({ auth: 'token' });
    registries.push(reg);
    const ref = `${reg.host}/team/bb:1`;
    assert.equal((await d.docker(['tag', 'busybox', ref])).code, 0);
    const login = await d.docker(['login', '-u', reg.username!, '--password-stdin', reg.host], { input: reg.password! });
    assert.equal(login.code, 0, login.stderr);
    const push = await d.docker(['push', ref]);
    assert.equal(push.code, 0, push.stderr);
    assert.equal((await d.docker(['rmi', ref])).code, 0);
    const pull = await d.docker(['pull', ref]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.ok(reg.token!.requests.length > 0);
  });

  it('skopeo interop: berth pulls what skopeo pushed, skopeo inspects what berth pushed', { skip: !haveSkopeo }, async () => {
    const reg = await startRegistry();
    registries.push(reg);
    const image = await buildTestImage({ layers: 3, seed: 'skopeo', oci: true });
    const layout = path.join(work, 'layout');
    await writeOciLayout(layout, image, 'v1');
    await skopeo(['copy', `oci:${layout}:v1`, `docker://${reg.host}/from-skopeo:v1`, ...reg.skopeoDestArgs()]);
    const pull = await d.docker(['pull', `${reg.host}/from-skopeo:v1`]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.equal((await d.docker(['image', 'inspect', '-f', '{{.Id}}', `${reg.host}/from-skopeo:v1`])).stdout.trim(), image.config.digest);
    // Push it back elsewhere: same manifest digest (the original bytes are pushed).
    assert.equal((await d.docker(['tag', `${reg.host}/from-skopeo:v1`, `${reg.host}/back:v1`])).code, 0);
    const push = await d.docker(['push', `${reg.host}/back:v1`]);
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stdout, new RegExp(`digest: ${image.manifest.digest}`));
    // busybox pushed by berth, inspected by skopeo.
    await d.api('POST', '/berth/images/busybox');
    assert.equal((await d.docker(['tag', 'busybox', `${reg.host}/bb-skopeo:1`])).code, 0);
    assert.equal((await d.docker(['push', `${reg.host}/bb-skopeo:1`])).code, 0);
    const inspected = JSON.parse((await skopeo(['inspect', ...reg.skopeoSrcArgs().map((a) => a.replace('--src-', '--')), `docker://${reg.host}/bb-skopeo:1`])).stdout) as { Architecture: string; Layers: string[] };
    assert.equal(inspected.Architecture, 'amd64');
    assert.equal(inspected.Layers.length, 1);
  });

  it('a layer that does not match its digest fails the pull as dockerd words it, and leaves no layer nor blob', { skip: !haveSkopeo }, async () => {
    const reg = await startRegistry();
    registries.push(reg);
    const image = await buildTestImage({ layers: 3, seed: 'corrupt-pull', oci: true, layerSize: 300_000 });
    const layout = path.join(work, 'corrupt');
    await writeOciLayout(layout, image, 'v1');
    await skopeo(['copy', `oci:${layout}:v1`, `docker://${reg.host}/corrupt:v1`, ...reg.skopeoDestArgs()]);
    // The middle layer's bytes change on the registry's disk (same length): the
    // registry serves them under the old digest.
    const bad = image.layers[1]!;
    const corrupted = Buffer.from(bad.bytes);
    for (let i = 100; i < 200; i++) corrupted[i]! ^= 0x5a;
    await fs.writeFile(reg.blobDataPath(bad.digest), corrupted);
    const layersBefore = (await layerDirs(d)).length;
    const pull = await d.docker(['pull', `${reg.host}/corrupt:v1`]);
    assert.notEqual(pull.code, 0);
    assert.match(pull.stderr, new RegExp(`filesystem layer verification failed for digest ${bad.digest}`));
    assert.notEqual((await d.docker(['image', 'inspect', `${reg.host}/corrupt:v1`])).code, 0);
    assert.equal(existsSync(path.join(d.dataRoot, 'content', 'blobs', 'sha256', bad.digest.slice(7))), false);
    assert.equal((await layerDirs(d)).length, layersBefore);
    assert.deepEqual(await entriesUnder(path.join(d.dataRoot, 'content', 'ingest')), []);
  });

  it('pulls the host platform from a multi-platform index, or the one asked for', { skip: !haveSkopeo }, async () => {
    const reg = await startRegistry();
    registries.push(reg);
    const amd = await buildTestImage({ seed: 'multi', oci: true, platform: { os: 'linux', architecture: 'amd64' } });
    const arm = await buildTestImage({ seed: 'multi', oci: true, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    const index = buildTestIndex([amd, arm], { oci: true });
    const layout = path.join(work, 'multi');
    await writeIndexLayout(layout, [amd, arm], index, 'v1');
    await skopeo(['copy', '--all', `oci:${layout}:v1`, `docker://${reg.host}/multi:v1`, ...reg.skopeoDestArgs()]);
    const pull = await d.docker(['pull', `${reg.host}/multi:v1`]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, new RegExp(`Digest: ${index.digest}`));
    assert.equal((await d.docker(['image', 'inspect', '-f', '{{.Id}} {{.Architecture}}', `${reg.host}/multi:v1`])).stdout.trim(), `${amd.config.digest} amd64`);
    const armPull = await d.docker(['pull', '--platform', 'linux/arm64', `${reg.host}/multi:v1`]);
    assert.equal(armPull.code, 0, armPull.stderr);
    assert.equal((await d.docker(['image', 'inspect', '-f', '{{.Id}} {{.Architecture}}', `${reg.host}/multi:v1`])).stdout.trim(), `${arm.config.digest} arm64`);
  });
});

/** A registry that serves one image and stalls its last layer halfway until released. */
async function stallingRegistry(image: TestImage): Promise<{ host: string; release(): void; close(): Promise<void> }> {
  let released = false;
  const waiting: Array<() => void> = [];
  const blobs = new Map<string, TestBlob>();
  for (const b of [image.config, ...image.layers]) blobs.set(b.digest, b);
  const last = image.layers[image.layers.length - 1]!.digest;
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/v2/' || url === '/v2') {
      res.writeHead(200, { 'Docker-Distribution-API-Version': 'registry/2.0' });
      return res.end('{}');
    }
    const m = /^\/v2\/crash\/(manifests|blobs)\/(.+)$/.exec(url);
    if (!m) {
      res.writeHead(404);
      return res.end();
    }
    if (m[1] === 'manifests') {
      res.writeHead(200, { 'Content-Type': image.manifest.mediaType, 'Docker-Content-Digest': image.manifest.digest, 'Content-Length': String(image.manifest.size) });
      return res.end(req.method === 'HEAD' ? undefined : image.manifest.bytes);
    }
    const blob = blobs.get(m[2]!);
    if (!blob) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(blob.size) });
    if (blob.digest !== last || released) return res.end(blob.bytes);
    res.write(blob.bytes.subarray(0, blob.size >> 1));
    waiting.push(() => res.end(blob.bytes.subarray(blob.size >> 1)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    release() {
      released = true;
      for (const w of waiting.splice(0)) w();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('kill -9 during a pull', { skip: !haveDockerCli }, () => {
  let d: TestDaemon;
  let fake: Awaited<ReturnType<typeof stallingRegistry>> | undefined;
  before(async () => {
    d = await freshDaemon();
  });
  after(async () => {
    await d?.cleanup();
    await fake?.close();
  });

  it('leaves no partial image, no orphan blob or layer; the pull then succeeds', async () => {
    const image = await buildTestImage({ layers: 3, seed: 'crash-pull', layerSize: 1 << 20 });
    fake = await stallingRegistry(image);
    // Pull through the API; kill the daemon once the first layers are unpacked.
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ socketPath: d.socket, path: `/images/create?fromImage=${fake!.host}/crash&tag=latest`, method: 'POST' }, (res) => {
        let seen = '';
        res.on('data', (c: Buffer) => {
          seen += c.toString();
          if ((seen.match(/Pull complete/g) ?? []).length >= 2) {
            void d.kill9().then(resolve, reject);
          }
        });
        res.on('error', () => undefined);
        res.on('end', () => reject(new Error(`pull ended before the kill: ${seen}`)));
      });
      req.on('error', () => undefined);
      req.end();
    });
    await d.start();
    assert.equal((await d.docker(['images', '-a', '-q'])).stdout.trim(), '');
    assert.equal((await d.docker(['image', 'prune', '-a', '-f'])).code, 0);
    assert.deepEqual(await entriesUnder(path.join(d.dataRoot, 'content', 'blobs', 'sha256')), []);
    assert.deepEqual(await layerDirs(d), []);
    fake.release();
    const pull = await d.docker(['pull', `${fake.host}/crash:latest`]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.equal((await d.docker(['image', 'inspect', '-f', '{{.Id}}', `${fake.host}/crash`])).stdout.trim(), image.config.digest);
  });
});
