// Image operations through a real berthd and the real docker CLI: the
// busybox endpoint, images/inspect/history/tag/rmi/prune, save/load
// round trips (docker 25 format, a hand-made legacy docker-archive, an OCI
// archive made by skopeo), import with --change, and kill -9 in the middle
// of a load and an import.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { haveDockerCli, type TestDaemon, runProcess } from '../../helpers/daemon.js';
import { freshDaemon } from './helpers.js';
import { haveSkopeo, makeTar, skopeo } from '../../helpers/registry.js';

const skip = !haveDockerCli || !existsSync('/bin/busybox');

function sha256(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

async function packTar(entries: Array<{ name: string; body?: Buffer | string; type?: 'symlink' | 'directory'; linkname?: string }>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname! });
    else if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory', mode: 0o755 });
    else pack.entry({ name: e.name, mode: 0o644 }, e.body ?? '');
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Files and directories under `dir` (recursive count of entries), 0 when absent. */
async function entriesUnder(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch {
    return [];
  }
}

/** Layer directories the storage driver has on disk (overlay2 or vfs). */
async function layerDirs(d: TestDaemon): Promise<string[]> {
  const out: string[] = [];
  for (const driver of ['overlay2', 'vfs']) {
    for (const e of await entriesUnder(path.join(d.dataRoot, 'storage', driver))) if (/^[a-f0-9]{64}$/.test(e)) out.push(e);
  }
  return out;
}

/** POST a body to the daemon and SIGKILL it after `bytes` were sent (the request never completes). */
async function killMidUpload(d: TestDaemon, urlPath: string, body: Buffer, bytes: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const req = http.request({ socketPath: d.socket, path: urlPath, method: 'POST', headers: { 'Content-Type': 'application/x-tar', 'Content-Length': String(body.length) } });
    req.on('error', () => resolve());
    req.write(body.subarray(0, bytes), () => {
      // Give the daemon time to spool what it got.
      setTimeout(() => {
        void d.kill9().then(() => {
          req.destroy();
          resolve();
        });
      }, 500);
    });
  });
}

describe('images through the docker CLI', { skip }, () => {
  let d: TestDaemon;
  let work: string;
  before(async () => {
    d = await freshDaemon();
    work = mkdtempSync(path.join(os.tmpdir(), 'berth-imgwork-'));
  });
  after(async () => {
    await d?.cleanup();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('creates busybox from the host binary; docker images lists it', async () => {
    const res = await d.api('POST', '/berth/images/busybox');
    assert.equal(res.status, 201, res.text);
    const again = await d.api('POST', '/berth/images/busybox');
    assert.equal(again.status, 200);
    assert.equal((again.json as { Id: string }).Id, (res.json as { Id: string }).Id);
    const out = await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.Size}}']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^busybox:latest \d/m);
  });

  it('inspect, history, tag and rmi have docker shapes', async () => {
    const inspect = await d.docker(['image', 'inspect', 'busybox']);
    assert.equal(inspect.code, 0, inspect.stderr);
    const [img] = JSON.parse(inspect.stdout) as Array<Record<string, unknown>>;
    for (const key of ['Id', 'RepoTags', 'RepoDigests', 'Parent', 'Comment', 'Created', 'DockerVersion', 'Author', 'Config', 'Architecture', 'Os', 'Size', 'GraphDriver', 'RootFS', 'Metadata']) {
      assert.ok(key in img!, `missing ${key}`);
    }
    assert.deepEqual(img!.RepoTags, ['busybox:latest']);
    assert.deepEqual((img!.Config as { Cmd: string[] }).Cmd, ['sh']);
    assert.equal((img!.RootFS as { Type: string }).Type, 'layers');
    // Older API versions still get what dockerd gave them: Container and ContainerConfig
    // (a zero container.Config here) below 1.45, VirtualSize below 1.44, in ImageInspect's order.
    const v141 = (await d.api('GET', '/v1.41/images/busybox/json')).json as Record<string, unknown>;
    assert.deepEqual(Object.keys(v141), ['Id', 'RepoTags', 'RepoDigests', 'Parent', 'Comment', 'Created', 'Container', 'ContainerConfig', 'DockerVersion', 'Author', 'Config', 'Architecture', 'Os', 'Size', 'VirtualSize', 'GraphDriver', 'RootFS', 'Metadata']);
    assert.equal(v141.Container, '');
    assert.deepEqual(v141.ContainerConfig, {
      Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false, OpenStdin: false, StdinOnce: false,
      Env: null, Cmd: null, Image: '', Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: null,
    });
    assert.equal(v141.VirtualSize, v141.Size);
    const v144 = (await d.api('GET', '/v1.44/images/busybox/json')).json as Record<string, unknown>;
    assert.deepEqual(['Container' in v144, 'ContainerConfig' in v144, 'VirtualSize' in v144], [true, true, false]);
    const v147 = (await d.api('GET', '/v1.47/images/busybox/json')).json as Record<string, unknown>;
    assert.deepEqual(['Container' in v147, 'ContainerConfig' in v147, 'VirtualSize' in v147], [false, false, false]);
    const hist = await d.docker(['history', '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}', 'busybox']);
    assert.equal(hist.code, 0, hist.stderr);
    const lines = hist.stdout.trim().split('\n');
    assert.equal(lines[0]!.split('|')[0], img!.Id);
    assert.equal(lines[1]!.split('|')[0], '<missing>');
    assert.equal((await d.docker(['tag', 'busybox', 'example.com/team/bb:1'])).code, 0);
    const ls = await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}', 'example.com/*/*']);
    assert.equal(ls.stdout.trim(), 'example.com/team/bb:1');
    const rmi = await d.docker(['rmi', 'example.com/team/bb:1']);
    assert.equal(rmi.stdout.trim(), 'Untagged: example.com/team/bb:1');
    const missing = await d.docker(['rmi', 'nosuch']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /No such image: nosuch:latest/);
    const badInspect = await d.docker(['image', 'inspect', 'nosuch']);
    assert.match(badInspect.stderr, /No such image: nosuch/);
  });

  it('docker save busybox | docker load round-trips ID and tag', async () => {
    const id = (await d.docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim();
    const save = await runProcess('sh', ['-c', `docker -H ${d.host} save busybox | docker -H ${d.host} load`]);
    assert.equal(save.code, 0, save.stderr);
    assert.equal(save.stdout.trim(), 'Loaded image: busybox:latest');
    assert.equal((await d.docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim(), id);
  });

  it('save -o of two images, rmi, load -i', async () => {
    const file = path.join(work, 'two.tar');
    const rootfs = await makeTar({ 'hello.txt': 'hello\n' });
    writeFileSync(path.join(work, 'rootfs.tar'), rootfs);
    const imp = await d.docker(['import', '--change', 'CMD ["echo","hi"]', '--change', 'ENV A=b', '-m', 'imported here', path.join(work, 'rootfs.tar'), 'imp:1']);
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(imp.stdout.trim(), /^sha256:[a-f0-9]{64}$/);
    const cfg = await d.docker(['image', 'inspect', '-f', '{{json .Config.Cmd}} {{json .Config.Env}} {{.Comment}}', 'imp:1']);
    assert.equal(cfg.stdout.trim(), '["echo","hi"] ["A=b"] imported here');
    // Without -m, dockerd's comment names the source ("-": the CLI sends the file as the body).
    const plain = (await d.docker(['import', path.join(work, 'rootfs.tar'), 'imp:plain'])).stdout.trim();
    assert.equal((await d.docker(['image', 'inspect', '-f', '{{.Comment}}', plain])).stdout, 'Imported from -\n');
    assert.equal((await d.docker(['history', '--format', '{{.Comment}}', plain])).stdout, 'Imported from -\n');
    await d.docker(['rmi', 'imp:plain']);
    const ids = async (): Promise<string> => (await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}'])).stdout.trim().split('\n').sort().join('\n');
    const before = await ids();
    assert.equal((await d.docker(['save', '-o', file, 'busybox', 'imp:1'])).code, 0);
    assert.equal((await d.docker(['rmi', 'busybox', 'imp:1'])).code, 0);
    assert.equal((await d.docker(['images', '-q'])).stdout.trim(), '');
    const load = await d.docker(['load', '-i', file]);
    assert.equal(load.code, 0, load.stderr);
    assert.deepEqual(load.stdout.trim().split('\n').sort(), ['Loaded image: busybox:latest', 'Loaded image: imp:1']);
    assert.equal(await ids(), before);
  });

  it('loads a hand-made legacy docker-archive (<id>/layer.tar, gzip)', async () => {
    const layer = await makeTar({ 'legacy.txt': 'legacy\n' });
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/legacy'] }, rootfs: { type: 'layers', diff_ids: [sha256(layer)] }, created: '2020-01-01T00:00:00Z' });
    const id = sha256(config);
    const v1 = 'a'.repeat(64);
    const archive = await packTar([
      { name: `${v1}/`, type: 'directory' },
      { name: `${v1}/VERSION`, body: '1.0' },
      { name: `${v1}/json`, body: JSON.stringify({ id: v1 }) },
      { name: `${v1}/layer.tar`, body: layer },
      { name: `${id.slice(7)}.json`, body: config },
      { name: 'manifest.json', body: JSON.stringify([{ Config: `${id.slice(7)}.json`, RepoTags: ['legacy:v1'], Layers: [`${v1}/layer.tar`] }]) },
      { name: 'repositories', body: JSON.stringify({ legacy: { v1 } }) },
    ]);
    writeFileSync(path.join(work, 'legacy.tar.gz'), gzipSync(archive));
    const load = await d.docker(['load', '-i', path.join(work, 'legacy.tar.gz')]);
    assert.equal(load.code, 0, load.stderr);
    assert.equal(load.stdout.trim(), 'Loaded image: legacy:v1');
    assert.equal((await d.docker(['image', 'inspect', '-f', '{{.Id}}', 'legacy:v1'])).stdout.trim(), id);
  });

  it('loads an OCI archive made by skopeo', { skip: !haveSkopeo }, async () => {
    const saved = path.join(work, 'bb-docker.tar');
    assert.equal((await d.docker(['save', '-o', saved, 'busybox'])).code, 0);
    const oci = path.join(work, 'bb-oci.tar');
    await skopeo(['copy', `docker-archive:${saved}`, `oci-archive:${oci}:ocibb:2`]);
    const load = await d.docker(['load', '-i', oci]);
    assert.equal(load.code, 0, load.stderr);
    assert.equal(load.stdout.trim(), 'Loaded image: ocibb:2');
    const run = await d.docker(['image', 'inspect', '-f', '{{json .Config.Cmd}}', 'ocibb:2']);
    assert.equal(run.stdout.trim(), '["sh"]');
  });

  it('image prune removes dangling images only, then all unused with -a', async () => {
    const rootfs = path.join(work, 'dangling.tar');
    writeFileSync(rootfs, await makeTar({ 'x': String(Date.now()) }));
    const id = (await d.docker(['import', rootfs])).stdout.trim();
    const prune = await d.docker(['image', 'prune', '-f']);
    assert.equal(prune.code, 0, prune.stderr);
    assert.match(prune.stdout, new RegExp(`deleted: ${id}`));
    assert.match(prune.stdout, /Total reclaimed space: /);
    assert.equal((await d.docker(['image', 'inspect', 'busybox'])).code, 0);
  });
});

describe('kill -9 during load and import', { skip }, () => {
  let d: TestDaemon;
  let work: string;
  before(async () => {
    d = await freshDaemon();
    work = mkdtempSync(path.join(os.tmpdir(), 'berth-imgcrash-'));
  });
  after(async () => {
    await d?.cleanup();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  async function assertClean(): Promise<void> {
    const images = await d.docker(['images', '-a', '-q']);
    assert.equal(images.stdout.trim(), '', 'no image listed');
    assert.equal((await d.docker(['image', 'prune', '-a', '-f'])).code, 0);
    assert.deepEqual(await entriesUnder(path.join(d.dataRoot, 'content', 'blobs', 'sha256')), []);
    assert.deepEqual(await entriesUnder(path.join(d.dataRoot, 'content', 'ingest')), []);
    assert.deepEqual(await layerDirs(d), []);
  }

  it('a load cut short leaves nothing; the load then succeeds', async () => {
    // Two 8 MB layers of incompressible data in the docker 25 format.
    const { randomBytes } = await import('node:crypto');
    const l1 = await makeTar({ 'one.bin': randomBytes(8 << 20) });
    const l2 = await makeTar({ 'two.bin': randomBytes(8 << 20) });
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(l1), sha256(l2)] } });
    const archive = await packTar([
      { name: 'blobs/', type: 'directory' },
      { name: 'blobs/sha256/', type: 'directory' },
      { name: `blobs/sha256/${sha256(l1).slice(7)}`, body: l1 },
      { name: `blobs/sha256/${sha256(l2).slice(7)}`, body: l2 },
      { name: `blobs/sha256/${sha256(config).slice(7)}`, body: config },
      { name: 'manifest.json', body: JSON.stringify([{ Config: `blobs/sha256/${sha256(config).slice(7)}`, RepoTags: ['crash:load'], Layers: [`blobs/sha256/${sha256(l1).slice(7)}`, `blobs/sha256/${sha256(l2).slice(7)}`] }]) },
    ]);
    await killMidUpload(d, '/images/load?quiet=1', archive, (12 << 20));
    await d.start();
    await assertClean();
    const file = path.join(work, 'crash.tar');
    writeFileSync(file, archive);
    const load = await d.docker(['load', '-i', file]);
    assert.equal(load.code, 0, load.stderr);
    assert.equal(load.stdout.trim(), 'Loaded image: crash:load');
    assert.equal((await d.docker(['rmi', 'crash:load'])).code, 0);
  });

  it('an import cut short leaves nothing; the import then succeeds', async () => {
    const { randomBytes } = await import('node:crypto');
    const rootfs = await makeTar({ 'a.bin': randomBytes(8 << 20), 'b.bin': randomBytes(8 << 20) });
    await killMidUpload(d, '/images/create?fromSrc=-&repo=crash&tag=import', rootfs, (12 << 20));
    await d.start();
    await assertClean();
    const file = path.join(work, 'rootfs.tar');
    writeFileSync(file, rootfs);
    const imp = await d.docker(['import', file, 'crash:import']);
    assert.equal(imp.code, 0, imp.stderr);
    assert.equal((await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.trim(), 'crash:import');
  });
});
