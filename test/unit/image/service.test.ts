// The image service against an in-memory layer store: lookups and docker's
// errors, tag rules, rmi rules and messages (moby daemon/images/image_delete.go),
// prune, history, save/load formats, and recovery after a crash.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { nullLogger } from '../../../src/common/log.js';
import { Filters } from '../../../src/api/http/filters.js';
import { ImageService } from '../../../src/image/service.js';
import { importImage } from '../../../src/image/import.js';
import { loadImages, saveImages } from '../../../src/image/archive.js';
import { sha256Digest } from '../../../src/image/content-store.js';
import type { JsonMessage } from '../../../src/image/progress.js';
import { FakeLayerStore } from './fake-layers.js';

export async function makeTar(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const [name, body] of Object.entries(files)) {
    if (name.endsWith('/')) pack.entry({ name, type: 'directory', mode: 0o755, mtime: new Date(0) });
    else pack.entry({ name, mode: 0o644, mtime: new Date(0) }, body);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function readTar(stream: AsyncIterable<Buffer>): Promise<Map<string, Buffer>> {
  const extract = tar.extract();
  const files = new Map<string, Buffer>();
  const input = Readable.from(stream);
  input.pipe(extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    files.set(entry.header.name, Buffer.concat(chunks));
  }
  return files;
}

async function collect(iter: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of iter) chunks.push(c);
  return Buffer.concat(chunks);
}

describe('image service', () => {
  let dir: string;
  let layers: FakeLayerStore;
  let svc: ImageService;
  let n = 0;
  const users: Array<{ containerId: string; imageId: string; running: boolean }> = [];

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-img-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    layers = new FakeLayerStore();
    svc = await ImageService.open({ dataRoot: path.join(dir, `root${n++}`), layers, logger: nullLogger });
    users.length = 0;
    svc.setContainerUsage({ imageUsers: () => users });
  });

  async function importTar(files: Record<string, string>, repo?: string, tag?: string, changes: string[] = []): Promise<string> {
    return importImage(svc, { source: Readable.from([await makeTar(files)]), repo, tag, changes });
  }

  it('resolves names, tags, IDs, ID prefixes and digests; docker errors otherwise', async () => {
    const id = await importTar({ 'a.txt': 'a' }, 'busybox', 'latest');
    assert.equal(svc.get('busybox').id, id);
    assert.equal(svc.get('busybox:latest').id, id);
    assert.equal(svc.get('docker.io/library/busybox:latest').id, id);
    assert.equal(svc.get(id).id, id);
    assert.equal(svc.get(id.slice(7)).id, id);
    assert.equal(svc.get(id.slice(7, 19)).id, id);
    assert.equal(svc.get(id.slice(0, 15)).id, id);
    assert.throws(() => svc.get('nosuch'), { message: 'No such image: nosuch:latest' });
    assert.throws(() => svc.get('nosuch:1.0'), { message: 'No such image: nosuch:1.0' });
    assert.throws(() => svc.get('busybox:other'), { message: 'No such image: busybox:other' });
    assert.throws(() => svc.get('sha256:' + 'f'.repeat(64)), { message: `No such image: sha256:${'f'.repeat(64)}` });
  });

  it('an ambiguous ID prefix finds nothing', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await importTar({ f: String(i) }));
    // Find two IDs sharing a first hex digit.
    const byFirst = new Map<string, number>();
    for (const id of ids) byFirst.set(id[7]!, (byFirst.get(id[7]!) ?? 0) + 1);
    const shared = [...byFirst].find(([, c]) => c > 1)![0];
    assert.throws(() => svc.get(shared), /No such image/);
  });

  it('tags move between images and set LastTagTime; digests cannot be overwritten', async () => {
    const a = await importTar({ f: 'a' }, 'app', 'v1');
    const b = await importTar({ f: 'b' });
    await svc.tag(b, 'app', 'v1');
    assert.equal(svc.get('app:v1').id, b);
    assert.deepEqual(svc.list().find((i) => i.Id === a)?.RepoTags, []);
    const inspected = await svc.inspect('app:v1');
    assert.notEqual((inspected.Metadata as { LastTagTime: string }).LastTagTime, '0001-01-01T00:00:00Z');
    await svc.tag(b, 'localhost:5000/x/y', undefined);
    assert.deepEqual(svc.list().find((i) => i.Id === b)?.RepoTags, ['app:v1', 'localhost:5000/x/y:latest']);
    await assert.rejects(svc.tag(b, 'Upper', 'x'), /repository name must be lowercase|invalid reference format/);
    await assert.rejects(svc.tag(b, 'ok', 'bad tag'), /invalid tag format/);
  });

  it('list filters: dangling, reference globs, label, before/since', async () => {
    const a = await importTar({ f: 'a' }, 'busybox', 'latest', ['LABEL tier=base']);
    await new Promise((r) => setTimeout(r, 1100));
    const b = await importTar({ f: 'b' }, 'registry.example/team/app', 'v2');
    const c = await importTar({ f: 'c' });
    const ids = (f: Record<string, string[]>): string[] => svc.list({ filters: Filters.parse(JSON.stringify(f)) }).map((i) => i.Id).sort();
    assert.deepEqual(ids({ dangling: ['true'] }), [c]);
    assert.deepEqual(ids({ dangling: ['false'] }).sort(), [a, b].sort());
    assert.deepEqual(ids({ reference: ['busy*'] }), [a]);
    assert.deepEqual(ids({ reference: ['*/*/*:v2'] }), [b]);
    assert.deepEqual(ids({ reference: ['busybox'] }), [a]);
    assert.deepEqual(ids({ label: ['tier=base'] }), [a]);
    assert.deepEqual(ids({ since: ['busybox'] }).sort(), [b, c].sort());
    assert.deepEqual(ids({ before: [b] }), [a]);
    assert.throws(() => svc.list({ filters: Filters.parse('{"nope":["x"]}') }), /invalid filter 'nope'/);
  });

  it('rmi: untag only with several tags; Deleted lines for image and layers', async () => {
    const id = await importTar({ f: 'a' }, 'one', 'latest');
    await svc.tag(id, 'two', 'latest');
    assert.deepEqual(await svc.remove('one', false, true), [{ Untagged: 'one:latest' }]);
    const records = await svc.remove('two:latest', false, true);
    assert.deepEqual(records.slice(0, 2), [{ Untagged: 'two:latest' }, { Deleted: id }]);
    assert.equal(records.length, 3);
    assert.ok(records[2]!.Deleted?.startsWith('sha256:'));
    assert.equal(layers.layers.size, 0);
  });

  it("rmi conflicts use docker's messages", async () => {
    const id = await importTar({ f: 'a' }, 'one', 'latest');
    const short = id.slice(7, 19);
    users.push({ containerId: 'c0ffee0000000000000000', imageId: id, running: false });
    await assert.rejects(svc.remove('one', false, true), {
      message: `conflict: unable to remove repository reference "one" (must force) - container c0ffee000000 is using its referenced image ${short}`,
    });
    await assert.rejects(svc.remove(short, false, true), {
      message: `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container c0ffee000000`,
    });
    users[0]!.running = true;
    await assert.rejects(svc.remove(short, true, true), {
      message: `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container c0ffee000000`,
    });
    users.length = 0;
    await svc.tag(id, 'other', 'x');
    await assert.rejects(svc.remove(short, false, true), {
      message: `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`,
    });
    const forced = await svc.remove(short, true, true);
    assert.deepEqual(forced.filter((r) => r.Untagged).map((r) => r.Untagged).sort(), ['one:latest', 'other:x']);
    assert.ok(forced.some((r) => r.Deleted === id));
  });

  it('prune removes dangling images (all unused with dangling=false) and reports space', async () => {
    const tagged = await importTar({ f: 'a' }, 'keep', 'me');
    const dangling = await importTar({ f: 'bbbb' });
    const used = await importTar({ f: 'cc' });
    users.push({ containerId: 'x', imageId: used, running: false });
    const report = await svc.prune(new Filters());
    assert.deepEqual(report.ImagesDeleted?.filter((r) => r.Deleted === dangling).length, 1);
    assert.ok(report.SpaceReclaimed > 0);
    assert.ok(svc.store.get(tagged) && svc.store.get(used) && !svc.store.get(dangling));
    const again = await svc.prune(new Filters());
    assert.deepEqual(again, { ImagesDeleted: null, SpaceReclaimed: 0 });
    const all = await svc.prune(Filters.parse('{"dangling":["false"]}'));
    assert.ok(all.ImagesDeleted?.some((r) => r.Untagged === 'keep:me'));
    assert.ok(!svc.store.get(tagged) && svc.store.get(used));
  });

  it('history: newest first, <missing> below the image, empty layers sized 0', async () => {
    const id = await importTar({ f: 'a' }, 'h', 'latest');
    const image = await svc.commit({
      parentImageId: id,
      config: {
        ...svc.get(id).config,
        history: [...(svc.get(id).config.history ?? []), { created: '2024-01-02T00:00:00Z', created_by: 'RUN x' }, { created: '2024-01-03T00:00:00Z', created_by: 'CMD ["sh"]', empty_layer: true }],
      },
      newLayers: [Readable.from([await makeTar({ g: 'gg' })])],
      setParent: true,
      tags: ['h:child'],
    });
    const h = svc.history('h:child');
    assert.equal(h.length, 3);
    assert.deepEqual(h.map((e) => e.CreatedBy), ['CMD ["sh"]', 'RUN x', '']);
    assert.equal(h[0]!.Id, image.id);
    assert.deepEqual(h[0]!.Tags, ['h:child']);
    assert.equal(h[0]!.Size, 0);
    assert.ok(h[1]!.Size > 0);
    // The legacy parent chain: the next entry is the parent image.
    assert.equal(h[1]!.Id, id);
    assert.deepEqual(h[1]!.Tags, ['h:latest']);
    // A child image keeps its parent from being deleted.
    await assert.rejects(svc.remove(id.slice(7), true, true), /image has dependent child images/);
  });

  it('save writes the docker 25 layout (OCI layout + manifest.json + repositories); load reads it back', async () => {
    const id = await importTar({ 'etc/hi': 'hello' }, 'busybox', 'latest', ['CMD ["sh"]']);
    await svc.tag(id, 'busybox', '1.0');
    const archive = await collect(await saveImages(svc, ['busybox']));
    const files = await readTar(Readable.from([archive]));
    const names = [...files.keys()];
    assert.deepEqual(names.filter((n) => !n.startsWith('blobs/sha256/') || n.endsWith('/')), ['blobs/', 'blobs/sha256/', 'index.json', 'manifest.json', 'oci-layout', 'repositories']);
    assert.equal(files.get('oci-layout')!.toString(), '{"imageLayoutVersion": "1.0.0"}');
    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as Array<{ Config: string; RepoTags: string[]; Layers: string[] }>;
    assert.equal(manifest.length, 1);
    assert.equal(manifest[0]!.Config, `blobs/sha256/${id.slice(7)}`);
    assert.deepEqual(manifest[0]!.RepoTags.sort(), ['busybox:1.0', 'busybox:latest']);
    const diffId = svc.get(id).config.rootfs.diff_ids[0]!;
    assert.deepEqual(manifest[0]!.Layers, [`blobs/sha256/${diffId.slice(7)}`]);
    // Every blob is named by its digest; the layer is the uncompressed tar.
    for (const [name, body] of files) {
      if (/^blobs\/sha256\/[a-f0-9]{64}$/.test(name)) assert.equal(sha256Digest(body), `sha256:${name.slice(13)}`);
    }
    const index = JSON.parse(files.get('index.json')!.toString()) as { manifests: Array<{ annotations: Record<string, string> }> };
    assert.deepEqual(index.manifests.map((m) => m.annotations['io.containerd.image.name']).sort(), ['docker.io/library/busybox:1.0', 'docker.io/library/busybox:latest']);
    assert.deepEqual(JSON.parse(files.get('repositories')!.toString()), { busybox: { '1.0': diffId.slice(7), latest: diffId.slice(7) } });

    // Load into a fresh daemon root.
    const other = await ImageService.open({ dataRoot: path.join(dir, 'load-target'), layers: new FakeLayerStore(), logger: nullLogger });
    const messages: JsonMessage[] = [];
    const result = await loadImages(other, Readable.from([gzipSync(archive)]), (m) => { messages.push(m); }, false);
    assert.deepEqual(result.messages.sort(), ['Loaded image: busybox:1.0', 'Loaded image: busybox:latest']);
    assert.equal(other.get('busybox:1.0').id, id);
    assert.ok(messages.some((m) => m.status === 'Loading layer'));
  });

  it('load reads the legacy <id>/layer.tar layout, with symlinked duplicate layers', async () => {
    const layer = await makeTar({ 'x': 'x' });
    const diffId = sha256Digest(layer);
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId, diffId] } });
    const id = sha256Digest(config);
    const outer = tar.pack();
    const chunks: Buffer[] = [];
    outer.on('data', (c: unknown) => { chunks.push(c as Buffer); });
    const ended = new Promise<void>((r) => outer.on('end', () => r()));
    outer.entry({ name: 'aaaa/', type: 'directory' });
    outer.entry({ name: 'aaaa/layer.tar' }, layer);
    outer.entry({ name: 'aaaa/VERSION' }, '1.0');
    outer.entry({ name: 'bbbb/', type: 'directory' });
    outer.entry({ name: 'bbbb/layer.tar', type: 'symlink', linkname: '../aaaa/layer.tar' });
    outer.entry({ name: `${id.slice(7)}.json` }, config);
    outer.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: `${id.slice(7)}.json`, RepoTags: ['old:format'], Layers: ['aaaa/layer.tar', 'bbbb/layer.tar'] }]));
    outer.entry({ name: 'repositories' }, JSON.stringify({ old: { format: 'bbbb' } }));
    outer.finalize();
    await ended;
    const result = await loadImages(svc, Readable.from([Buffer.concat(chunks)]), () => {}, true);
    assert.deepEqual(result.messages, ['Loaded image: old:format']);
    assert.equal(svc.get('old:format').id, id);
  });

  it('a hostile archive cannot name files outside the archive', async () => {
    const outer = tar.pack();
    const chunks: Buffer[] = [];
    outer.on('data', (c: unknown) => { chunks.push(c as Buffer); });
    const ended = new Promise<void>((r) => outer.on('end', () => r()));
    outer.entry({ name: '../../escape.txt' }, 'pwned');
    outer.entry({ name: 'evil', type: 'symlink', linkname: '/etc/passwd' });
    outer.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: 'evil', RepoTags: [], Layers: ['../../escape.txt'] }]));
    outer.finalize();
    await ended;
    await assert.rejects(loadImages(svc, Readable.from([Buffer.concat(chunks)]), () => {}, true), /invalid archive|not found/);
    await assert.rejects(fs.access(path.join(dir, '..', 'escape.txt')));
    assert.equal(svc.store.count, 0);
  });

  it('after a crash mid-operation, the next start drops what the operation held', async () => {
    const root = path.join(dir, 'crash');
    const store = new FakeLayerStore();
    const first = await ImageService.open({ dataRoot: root, layers: store, logger: nullLogger });
    // An operation registers a layer and writes a blob, then "crashes".
    const op = first.layerOperation();
    await op.register(Readable.from([await makeTar({ big: 'x'.repeat(1000) })]), null);
    await first.content.put('orphan blob');
    assert.equal(store.layers.size, 1);
    const second = await ImageService.open({ dataRoot: root, layers: store, logger: nullLogger });
    assert.equal(store.layers.size, 0);
    const blobs: string[] = [];
    for await (const b of second.content.walk()) blobs.push(b.digest);
    assert.deepEqual(blobs, []);
  });

  it('the busybox image is deterministic', { skip: !existsSync('/bin/busybox') }, async () => {
    const a = await svc.ensureBusybox();
    const other = await ImageService.open({ dataRoot: path.join(dir, 'bb2'), layers: new FakeLayerStore(), logger: nullLogger });
    const b = await other.ensureBusybox('busybox:latest');
    assert.equal(a.id, b.id);
    assert.equal(a.created, true);
    assert.equal((await svc.ensureBusybox()).created, false);
    const cfg = svc.get('busybox').config;
    assert.deepEqual(cfg.config?.Cmd, ['sh']);
    const files = await readTar(await layers.tar(svc.get('busybox').record.chainId));
    assert.ok(files.has('bin/busybox') && files.has('bin/sh') && files.has('etc/passwd') && files.has('tmp/'));
    assert.match(files.get('etc/passwd')!.toString(), /^root:x:0:0:root:\/root:\/bin\/sh$/m);
    assert.match(files.get('etc/passwd')!.toString(), /^nobody:x:65534:65534:nobody:\/home:\/bin\/false$/m);
  });
});
