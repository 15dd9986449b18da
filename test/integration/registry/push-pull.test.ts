// The registry client against a real registry (docker-registry 2.8, no
// auth): push an image built in the test by each upload mode, pull it back,
// mount across repositories, list tags page by page, choose from a
// two-platform index, and refuse content that does not match its digest.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRegistry, buildTestImage, buildTestIndex, haveRegistry, freePort, type TestRegistry, type TestImage } from '../../helpers/registry.js';
import { RegistryService, translatePullError, createLimiter, DigestMismatchError, MediaTypes } from '../../../src/registry/index.js';
import { parseDockerRef } from '../../../src/image/reference.js';
import { isEngineError } from '../../../src/common/errors.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('registry client: push and pull against docker-registry', { skip: !haveRegistry && 'docker-registry not installed' }, () => {
  let reg: TestRegistry;
  let svc: RegistryService;
  let img: TestImage;

  before(async () => {
    reg = await startRegistry();
    svc = new RegistryService();
    img = await buildTestImage({ layers: 2, seed: 'push-pull', layerSize: 300_000 });
  });
  after(async () => {
    await svc?.close();
    await reg?.stop();
  });

  test('push config and layers (monolithic, streamed, chunked), then the manifest', async () => {
    const repo = await svc.repository(parseDockerRef(`${reg.host}/app/one:v1`), { mode: 'push' });
    const progress: [number, number | undefined][] = [];
    const modes = ['monolithic', 'stream', 'chunked'] as const;
    for (const [i, b] of [img.config, ...img.layers].entries()) {
      const result = await repo.pushBlob(b, b.bytes, { mode: modes[i], chunkSize: 64 * 1024, onProgress: (n, t) => progress.push([n, t]) });
      assert.deepEqual(result, { status: 'uploaded' }, modes[i]);
    }
    assert.ok(progress.length >= 3, 'progress reported');
    assert.deepEqual(progress.at(-1), [img.layers[1]!.size, img.layers[1]!.size]);
    const digest = await repo.putManifest('v1', img.manifest.bytes, img.manifest.mediaType);
    assert.equal(digest, img.manifest.digest);
    // the registry has exactly what was sent
    for (const b of [img.config, ...img.layers]) assert.deepEqual(await fs.readFile(reg.blobDataPath(b.digest)), b.bytes);
    // an insecure (loopback) registry falls back from https to http
    assert.equal(repo.endpoint?.url.protocol, 'http:');
  });

  test('a file source (read into two buffers in turn) uploads byte for byte, by each mode', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-push-file-'));
    try {
      // Several read buffers' worth, not a multiple of one.
      const sizes = { monolithic: (3 << 20) + 12_345, stream: (5 << 20) + 1, chunked: (2 << 20) + 777 } as const;
      for (const [mode, size] of Object.entries(sizes) as Array<[keyof typeof sizes, number]>) {
        const bytes = randomBytes(size);
        const file = path.join(dir, mode);
        await fs.writeFile(file, bytes);
        const desc = { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size };
        const repo = await svc.repository(parseDockerRef(`${reg.host}/files/${mode}`), { mode: 'push' });
        let last = 0;
        const result = await repo.pushBlob(desc, { file }, { mode, chunkSize: 1 << 20, onProgress: (n) => (last = n) });
        assert.deepEqual(result, { status: 'uploaded' }, mode);
        assert.equal(last, size, mode);
        assert.deepEqual(await fs.readFile(reg.blobDataPath(desc.digest)), bytes, mode);
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test('a blob the registry has is skipped', async () => {
    const repo = await svc.repository(parseDockerRef(`${reg.host}/app/one`), { mode: 'push' });
    let last: number | undefined;
    assert.deepEqual(await repo.pushBlob(img.layers[0]!, () => assert.fail('must not read the blob'), { onProgress: (n) => (last = n) }), { status: 'exists' });
    assert.equal(last, img.layers[0]!.size);
  });

  test('pull: manifest by tag and by digest, HEAD, config and layers verified', async () => {
    const repo = await svc.repository(parseDockerRef(`${reg.host}/app/one:v1`));
    const byTag = await repo.getManifest('v1');
    assert.equal(byTag.mediaType, MediaTypes.dockerManifest);
    assert.equal(byTag.digest, img.manifest.digest);
    assert.deepEqual(byTag.bytes, img.manifest.bytes);
    const byDigest = await repo.getManifest(img.manifest.digest);
    assert.deepEqual(byDigest.bytes, img.manifest.bytes);
    assert.deepEqual(await repo.headManifest('v1'), { digest: img.manifest.digest, mediaType: MediaTypes.dockerManifest, size: img.manifest.size });
    assert.equal(await repo.headManifest('nope'), undefined);
    assert.deepEqual(await repo.fetchBlob(img.config.digest), img.config.bytes);
    const seen: number[] = [];
    const { stream, size } = await repo.openBlob(img.layers[0]!.digest, { onProgress: (n) => seen.push(n) });
    assert.equal(size, img.layers[0]!.size);
    assert.deepEqual(await readAll(stream), img.layers[0]!.bytes);
    assert.equal(seen.at(-1), img.layers[0]!.size);
    assert.deepEqual(await repo.statBlob(img.layers[1]!.digest), { size: img.layers[1]!.size });
    assert.equal(await repo.statBlob(`sha256:${'0'.repeat(64)}`), undefined);
  });

  test("pull errors in dockerd's words", async () => {
    const ref = parseDockerRef(`${reg.host}/app/one:nope`);
    const repo = await svc.repository(ref);
    const err = await repo.getManifest('nope').catch((e: unknown) => e);
    const translated = translatePullError(err, ref);
    assert.equal(translated.message, `manifest for ${reg.host}/app/one:nope not found: manifest unknown: manifest unknown`);
    assert.equal(translated.kind, 'not-found');

    const missing = parseDockerRef(`${reg.host}/no/such:latest`);
    const tagsErr = await (await svc.repository(missing)).listTags().catch((e: unknown) => e);
    assert.equal(translatePullError(tagsErr, missing).message, `repository ${reg.host}/no/such not found: name unknown: repository name not known to registry`);

    const blobErr = await repo.openBlob(`sha256:${'1'.repeat(64)}`).catch((e: unknown) => e);
    assert.ok(isEngineError(blobErr, 'not-found'));
    assert.equal((blobErr as Error).message, 'unknown blob');
  });

  test('cross-repository mount, and an unmountable blob falls back to an upload', async () => {
    const other = await svc.repository(parseDockerRef(`${reg.host}/other/two:v1`), { mode: 'push' });
    assert.deepEqual(await other.pushBlob(img.layers[0]!, img.layers[0]!.bytes, { mountFrom: ['app/one'] }), { status: 'mounted', from: 'app/one' });
    // the source does not hold it: the registry answers 202 and the upload proceeds on that session
    const extra = await buildTestImage({ layers: 1, seed: 'not-mountable' });
    assert.deepEqual(await other.pushBlob(extra.layers[0]!, extra.layers[0]!.bytes, { mountFrom: ['app/one'] }), { status: 'uploaded' });
    assert.deepEqual(await other.fetchBlob(extra.layers[0]!.digest, { purpose: 'layer' }), extra.layers[0]!.bytes);
  });

  test('tags list follows Link pagination', async () => {
    const repo = await svc.repository(parseDockerRef(`${reg.host}/app/one`), { mode: 'push' });
    for (const t of ['v2', 'v3', 'a', 'latest']) await repo.putManifest(t, img.manifest.bytes, img.manifest.mediaType);
    const all = await repo.listTags();
    assert.deepEqual([...all].sort(), ['a', 'latest', 'v1', 'v2', 'v3']);
    const paged = await repo.listTags({ pageSize: 2 });
    assert.deepEqual(paged, all);
  });

  test('a manifest list with two platforms: the right image per platform', async () => {
    const amd = await buildTestImage({ layers: 1, seed: 'multi', platform: { os: 'linux', architecture: 'amd64' } });
    const arm = await buildTestImage({ layers: 1, seed: 'multi', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    for (const oci of [false, true]) {
      const repo = await svc.repository(parseDockerRef(`${reg.host}/multi/${oci ? 'oci' : 'docker'}`), { mode: 'push' });
      for (const image of [amd, arm]) {
        for (const b of [image.config, ...image.layers]) await repo.pushBlob(b, b.bytes);
        await repo.putManifest(image.manifest.digest, image.manifest.bytes, image.manifest.mediaType);
      }
      const index = buildTestIndex([amd, arm], { oci });
      await repo.putManifest('latest', index.bytes, index.mediaType);

      const pull = await svc.repository(parseDockerRef(`${reg.host}/multi/${oci ? 'oci' : 'docker'}:latest`));
      const forAmd = await pull.getManifestForPlatform('latest', { os: 'linux', architecture: 'amd64' });
      assert.equal(forAmd.list?.mediaType, index.mediaType);
      assert.equal(forAmd.list?.digest, index.digest);
      assert.equal(forAmd.manifest.digest, amd.manifest.digest);
      assert.equal(forAmd.descriptor?.digest, amd.manifest.digest);
      const forArm = await pull.getManifestForPlatform('latest', { os: 'linux', architecture: 'arm64' });
      assert.equal(forArm.manifest.digest, arm.manifest.digest);
      await assert.rejects(pull.getManifestForPlatform('latest', { os: 'linux', architecture: 's390x' }), {
        message: 'no matching manifest for linux/s390x in the manifest list entries',
      });
      // a plain image manifest passes through
      const plain = await (await svc.repository(parseDockerRef(`${reg.host}/app/one:v1`))).getManifestForPlatform('v1');
      assert.equal(plain.list, undefined);
      assert.equal(plain.manifest.digest, img.manifest.digest);
    }
  });

  test('content that does not match its digest is refused', async () => {
    const bad = await buildTestImage({ layers: 1, seed: 'corrupt-me' });
    const repo = await svc.repository(parseDockerRef(`${reg.host}/corrupt/img:v1`), { mode: 'push' });
    for (const b of [bad.config, ...bad.layers]) await repo.pushBlob(b, b.bytes);
    await repo.putManifest('v1', bad.manifest.bytes, bad.manifest.mediaType);
    // Same length, different bytes, behind the registry's back.
    const layer = bad.layers[0]!;
    const corrupted = Buffer.from(layer.bytes);
    corrupted[corrupted.length - 1] ^= 0xff;
    await fs.writeFile(reg.blobDataPath(layer.digest), corrupted);
    const { stream } = await repo.openBlob(layer.digest);
    await assert.rejects(readAll(stream), (err: unknown) => {
      assert.ok(err instanceof DigestMismatchError);
      assert.equal(err.message, `filesystem layer verification failed for digest ${layer.digest}`);
      return true;
    });
    const config = Buffer.from(bad.config.bytes);
    config[0] = 0x20;
    await fs.writeFile(reg.blobDataPath(bad.config.digest), config);
    await assert.rejects(repo.fetchBlob(bad.config.digest), { message: `image config verification failed for digest ${bad.config.digest}` });
    // A manifest by digest must hash to that digest.
    // Still valid JSON, so the registry serves it.
    await fs.writeFile(reg.blobDataPath(bad.manifest.digest), Buffer.concat([Buffer.from('{ '), bad.manifest.bytes.subarray(1)]));
    await assert.rejects(repo.getManifest(bad.manifest.digest), { message: `manifest verification failed for digest ${bad.manifest.digest}` });
  });

  test('parallel downloads through the concurrency limit', async () => {
    const repo = await svc.repository(parseDockerRef(`${reg.host}/app/one:v1`));
    const limit = createLimiter(2);
    let peak = 0;
    const blobs = await Promise.all(
      [img.config, ...img.layers, img.config, ...img.layers].map((b) =>
        limit(async () => {
          peak = Math.max(peak, limit.active);
          return repo.fetchBlob(b.digest, { purpose: 'layer' });
        }),
      ),
    );
    assert.equal(peak, 2);
    assert.deepEqual(blobs[1], img.layers[0]!.bytes);
  });

  test("connection refused: Go's message from the last endpoint (http)", async () => {
    const port = await freePort();
    const ref = parseDockerRef(`127.0.0.1:${port}/x:latest`);
    const err = await (await svc.repository(ref)).getManifest('latest').catch((e: unknown) => e);
    const translated = translatePullError(err, ref);
    assert.equal(translated.message, `Get "http://127.0.0.1:${port}/v2/": dial tcp 127.0.0.1:${port}: connect: connection refused`);
    assert.equal(translated.kind, 'system');
    const loginErr = await svc.login(`127.0.0.1:${port}`, { username: 'a', password: 'b' }).catch((e: unknown) => e);
    assert.equal((loginErr as Error).message, `Get "http://127.0.0.1:${port}/v2/": dial tcp 127.0.0.1:${port}: connect: connection refused`);
  });
});
