// Interop with an independent client: what skopeo pushes, berth pulls, and
// what berth pushes, skopeo reads and copies back out (token auth included).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRegistry, buildTestImage, writeOciLayout, skopeo, haveRegistry, haveSkopeo, type TestRegistry } from '../../helpers/registry.js';
import { RegistryService } from '../../../src/registry/index.js';
import { parseDockerRef } from '../../../src/image/reference.js';

describe('skopeo interop', { skip: (!haveRegistry || !haveSkopeo) && 'docker-registry or skopeo not installed' }, () => {
  let reg: TestRegistry;
  let svc: RegistryService;
  let dir: string;
  before(async () => {
    reg = await startRegistry({ auth: 'token' });
    svc = new RegistryService();
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-skopeo-'));
  });
  after(async () => {
    await svc?.close();
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('skopeo pushes an OCI layout; berth pulls it', async () => {
    const img = await buildTestImage({ seed: 'from-skopeo', oci: true });
    const layout = path.join(dir, 'in');
    await writeOciLayout(layout, img, 'v1');
    await skopeo(['copy', ...reg.skopeoDestArgs(), `oci:${layout}:v1`, `docker://${reg.host}/interop/in:v1`]);
    const repo = await svc.repository(parseDockerRef(`${reg.host}/interop/in:v1`), { authConfig: { username: reg.username, password: reg.password } });
    const m = await repo.getManifest('v1');
    assert.equal(m.digest, img.manifest.digest);
    for (const l of img.layers) assert.deepEqual(await repo.fetchBlob(l.digest, { purpose: 'layer' }), l.bytes);
  });

  test('berth pushes; skopeo inspects and copies it out', async () => {
    const img = await buildTestImage({ seed: 'from-berth' });
    const auth = { username: reg.username, password: reg.password };
    const repo = await svc.repository(parseDockerRef(`${reg.host}/interop/out:v2`), { mode: 'push', authConfig: auth });
    for (const b of [img.config, ...img.layers]) await repo.pushBlob(b, b.bytes, { mode: 'chunked', chunkSize: 100 });
    await repo.putManifest('v2', img.manifest.bytes, img.manifest.mediaType);
    const { stdout } = await skopeo(['inspect', '--tls-verify=false', `--creds=${reg.username}:${reg.password}`, `docker://${reg.host}/interop/out:v2`]);
    const info = JSON.parse(stdout) as { Digest: string; Layers: string[] };
    assert.equal(info.Digest, img.manifest.digest);
    assert.deepEqual(info.Layers, img.layers.map((l) => l.digest));
    const out = path.join(dir, 'out');
    await skopeo(['copy', ...reg.skopeoSrcArgs(), `docker://${reg.host}/interop/out:v2`, `dir:${out}`]);
    assert.deepEqual(await fs.readFile(path.join(out, img.layers[0]!.digest.slice(7))), img.layers[0]!.bytes);
  });
});
