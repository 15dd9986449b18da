// The layer store on both drivers: registering (idempotent, concurrent,
// verified), byte-exact tars, writable layers with mounts, changes, sizes,
// diff tars, references and cascading removal, persistence across reopen.
// Runs as root; overlay2 needs a kernel with overlayfs (this machine has it).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { mkdir, readFile, readdir, readlink, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { LayerStore, chainIds } from '../../../src/storage/store.js';
import type { DriverChoice } from '../../../src/storage/store.js';
import { mountsUnder } from '../../../src/storage/util.js';
import { TarReader } from '../../../src/storage/tar/reader.js';
import { bytesOf, collect, makeTar, rootfsSnapshot, sha256, tempDir } from '../../unit/storage/fixtures.js';
import type { TestContext } from 'node:test';

async function openStore(t: TestContext, driver: DriverChoice, root?: string): Promise<LayerStore> {
  const dir = root ?? `${await tempDir(t)}/storage`;
  const store = new LayerStore({ root: dir, driver });
  await store.open();
  t.after(() => store.close());
  return store;
}

/** Driver directories on disk (the same count as layers plus writable layers when nothing leaks). */
async function driverDirs(store: LayerStore): Promise<string[]> {
  const home = store.driverName === 'overlay2' ? `${store.root}/overlay2` : `${store.root}/vfs/dir`;
  return (await readdir(home)).filter((n) => /^[0-9a-f]{64}$/.test(n));
}

async function names(tar: Buffer): Promise<string[]> {
  const reader = new TarReader(bytesOf(tar));
  const out: string[] = [];
  for (let h = await reader.next(); h; h = await reader.next()) out.push(h.name);
  return out;
}

const BASE = [
  { name: 'etc', type: 'directory' as const, mode: 0o755 },
  { name: 'etc/issue', content: 'base\n' },
  { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
  { name: 'bin', type: 'directory' as const, mode: 0o755 },
  { name: 'bin/busybox', content: 'BUSYBOX', mode: 0o755 },
  { name: 'bin/sh', type: 'symlink' as const, linkname: 'busybox' },
  { name: 'var/lib/old/data', content: 'old' },
  { name: 'opt/app/one', content: '1' },
];
const CHILD = [
  { name: 'etc/issue', content: 'child\n' },
  { name: 'etc/.wh.passwd', content: '' },
  { name: 'var/lib/.wh.old', content: '' },
  { name: 'opt/app', type: 'directory' as const, mode: 0o755 },
  { name: 'opt/app/.wh..wh..opq', content: '' },
  { name: 'opt/app/two', content: '2' },
  { name: 'usr/bin/new', content: 'new', mode: 0o755 },
];

for (const driver of ['overlay2', 'vfs'] as const) {
  describe(`layer store on ${driver}`, () => {
    test('register, look up, and rebuild tars byte for byte', async (t) => {
      const store = await openStore(t, driver);
      assert.equal(store.driverName, driver);
      const baseTar = await makeTar(BASE);
      const childTar = await makeTar(CHILD);
      const base = await store.register(bytesOf(gzipSync(baseTar)), null);
      assert.equal(base.diffId, sha256(baseTar));
      assert.equal(base.chainId, base.diffId);
      assert.equal(base.created, true);
      const child = await store.register(bytesOf(childTar), base.chainId, { expectedDiffId: sha256(childTar), owner: 'test' });
      assert.deepEqual(chainIds([base.diffId, child.diffId]), [base.chainId, child.chainId]);
      assert.equal(await store.has(child.chainId), true);
      const info = await store.get(child.chainId);
      assert.equal(info?.parent, base.chainId);
      assert.equal(info?.tarSize, childTar.length);
      assert.equal(info?.size, 'child\n'.length + 1 + 3);
      assert.deepEqual(info?.owners, ['test']);
      assert.equal((await store.list()).length, 2);
      assert.equal(sha256(await collect(await store.tar(base.chainId))), base.diffId);
      assert.equal(sha256(await collect(await store.tar(child.chainId))), child.diffId);
      assert.equal((await driverDirs(store)).length, 2);
      await assert.rejects(store.register(bytesOf(childTar), 'sha256:' + '0'.repeat(64)), { kind: 'not-found' });
    });

    test('registering is idempotent and verifies what it drains', async (t) => {
      const store = await openStore(t, driver);
      const tar = await makeTar(BASE);
      const first = await store.register(bytesOf(tar), null);
      const again = await store.register(bytesOf(tar), null);
      assert.deepEqual({ ...again, created: true }, first);
      assert.equal(again.created, false);
      // With the diff ID known, an existing layer is reused without unpacking: the input is drained and checked.
      let consumed = 0;
      async function* counted(): AsyncGenerator<Buffer> {
        for await (const chunk of bytesOf(tar)) {
          consumed += chunk.length;
          yield chunk;
        }
      }
      const reused = await store.register(counted(), null, { expectedDiffId: first.diffId, owner: 'img' });
      assert.equal(reused.created, false);
      assert.equal(consumed, tar.length);
      assert.deepEqual((await store.get(first.chainId))?.owners, ['img']);
      const other = await makeTar([{ name: 'other', content: 'x' }]);
      await assert.rejects(store.register(bytesOf(other), null, { expectedDiffId: first.diffId }), /diff ID mismatch/);
      await assert.rejects(store.register(bytesOf(other), null, { expectedDiffId: sha256(tar.subarray(0, 10)) }), /diff ID mismatch/);
      assert.equal((await driverDirs(store)).length, 1, 'a failed register leaves nothing behind');
      assert.deepEqual(await readdir(`${store.root}/tmp`), []);
      await assert.rejects(store.register(bytesOf(Buffer.from('not a tar at all, really not')), null), /failed to register layer/);
      assert.equal((await driverDirs(store)).length, 1);
    });

    test('concurrent registers of one layer make one layer', async (t) => {
      const store = await openStore(t, driver);
      const tar = await makeTar(BASE);
      const results = await Promise.all([
        ...Array.from({ length: 4 }, () => store.register(bytesOf(tar), null)),
        ...Array.from({ length: 3 }, (_, i) => store.register(bytesOf(tar), null, { expectedDiffId: sha256(tar), owner: `o${i}` })),
      ]);
      assert.equal(new Set(results.map((r) => r.chainId)).size, 1);
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.equal((await store.list()).length, 1);
      assert.deepEqual((await store.get(sha256(tar)))?.owners, ['o0', 'o1', 'o2']);
      assert.equal((await driverDirs(store)).length, 1);
      assert.deepEqual(await readdir(`${store.root}/tmp`), []);
    });

    test('registerChain: layers unpacked at once (their bytes in any order) end as registered one by one', async (t) => {
      const grandchild = [
        { name: 'etc/.wh.issue', content: '' },
        { name: 'opt/app/.wh.two', content: '' },
        { name: 'opt/.wh.never-was', content: '' },
        // parents this tar does not list: from the layers below
        { name: 'usr/bin/newer', content: 'newer', mode: 0o755 },
        { name: 'var/lib/fresh/file', content: 'f' },
      ];
      const tars = [await makeTar(BASE), await makeTar(CHILD), await makeTar(grandchild)];
      const diffIds = tars.map((tar) => sha256(tar));
      const one = await openStore(t, driver);
      let below: string | null = null;
      for (const tar of tars) below = (await one.register(bytesOf(tar), below, { expectedDiffId: sha256(tar) })).chainId;

      const store = await openStore(t, driver);
      // The top layer's bytes come first, the base's last.
      const gates = tars.map(() => Promise.withResolvers<void>());
      const order: number[] = [];
      const chain = store.registerChain(
        tars.map((tar, i) => ({
          expectedDiffId: diffIds[i]!,
          tar: async function* () {
            await gates[i]!.promise;
            yield gzipSync(tar);
          },
        })),
        null,
        { owner: 'pull', onRegistered: (i) => void order.push(i) },
      );
      for (const i of [2, 1, 0]) {
        gates[i]!.resolve();
        await new Promise((r) => setTimeout(r, 20));
      }
      const results = await chain;
      assert.deepEqual(order, [0, 1, 2]);
      assert.deepEqual(results.map((r) => r.chainId), chainIds(diffIds));
      assert.ok(results.every((r) => r.created));
      for (const id of chainIds(diffIds)) {
        assert.deepEqual((await store.get(id))?.owners, ['pull']);
        assert.equal(sha256(await collect(await store.tar(id))), sha256(await collect(await one.tar(id))));
      }
      const top = chainIds(diffIds)[2]!;
      await one.createRW('c', top, { init: false });
      await store.createRW('c', top, { init: false });
      // (Directory times aside: parents no tar lists get the time they are made.)
      const expected = await rootfsSnapshot(await one.mountRW('c'));
      const actual = await rootfsSnapshot(await store.mountRW('c'));
      assert.deepEqual(actual, expected);
      assert.equal(actual['etc/issue'], undefined);
      assert.equal(actual['opt/app/two'], undefined);
      await one.unmountRW('c');
      await store.unmountRW('c');
      assert.deepEqual(await store.rwChanges('c'), []);
    });

    test('registerChain: a bad layer leaves the ones below registered and nothing of the ones above', async (t) => {
      const store = await openStore(t, driver);
      const tars = [await makeTar(BASE), await makeTar(CHILD), await makeTar([{ name: 'top', content: 't' }])];
      const diffIds = tars.map((tar) => sha256(tar));
      diffIds[1] = sha256(Buffer.from('something else'));
      await assert.rejects(
        store.registerChain(tars.map((tar, i) => ({ expectedDiffId: diffIds[i]!, tar: () => bytesOf(tar) })), null, { owner: 'pull' }),
        (err: Error & { kind?: string }) => err.kind === 'invalid-parameter' && /layer diff ID mismatch/.test(err.message),
      );
      assert.deepEqual((await store.list()).map((l) => l.chainId), [diffIds[0]]);
      assert.equal((await driverDirs(store)).length, 1);
      assert.deepEqual(await readdir(`${store.root}/tmp`), []);
      // A hostile member in the middle layer: refused as register() refuses it.
      const hostile = await makeTar([{ name: '../escape', content: 'x' }]);
      const again = [tars[0]!, hostile, tars[2]!];
      await assert.rejects(
        store.registerChain(again.map((tar) => ({ expectedDiffId: sha256(tar), tar: () => bytesOf(tar) })), null, { owner: 'pull' }),
        (err: Error & { kind?: string }) => err.kind === 'invalid-parameter',
      );
      assert.equal((await driverDirs(store)).length, 1);
      // The existing base is reused, checked, and gets the owner.
      const ok = [tars[0]!, tars[1]!];
      const results = await store.registerChain(ok.map((tar) => ({ expectedDiffId: sha256(tar), tar: () => bytesOf(tar) })), null, { owner: 'second' });
      assert.deepEqual(results.map((r) => r.created), [false, true]);
      assert.deepEqual((await store.get(results[0]!.chainId))?.owners, ['pull', 'second']);
    });

    test('a container layer: mount, change, diff, size, commit', async (t) => {
      const store = await openStore(t, driver);
      const base = await store.register(bytesOf(await makeTar(BASE)), null);
      const child = await store.register(bytesOf(await makeTar(CHILD)), base.chainId);
      await store.createRW('c1', child.chainId);
      await assert.rejects(store.createRW('c1', child.chainId), { kind: 'conflict' });
      const rootfs = await store.mountRW('c1');
      // The image as the child layer left it.
      assert.equal(await readFile(`${rootfs}/etc/issue`, 'utf8'), 'child\n');
      // etc/passwd whited out by the child; the rest are the init layer's placeholders.
      assert.deepEqual((await readdir(`${rootfs}/etc`)).sort(), ['hostname', 'hosts', 'issue', 'mtab', 'resolv.conf']);
      assert.deepEqual((await readdir(`${rootfs}/opt/app`)).sort(), ['two']);
      assert.deepEqual(await readdir(`${rootfs}/var/lib`), []);
      assert.equal(await readFile(`${rootfs}/bin/sh`, 'utf8'), 'BUSYBOX');
      // Changes a process would make.
      await writeFile(`${rootfs}/etc/issue`, 'container\n');
      await unlink(`${rootfs}/bin/busybox`);
      await mkdir(`${rootfs}/data/sub`, { recursive: true });
      await writeFile(`${rootfs}/data/sub/file`, 'x'.repeat(1000));
      const changes = await store.rwChanges('c1');
      // As dockerd on this kernel (its naive diff, used where overlay has
      // redirect_dir): every directory above a change is listed, for both drivers.
      const expected = ['A /data', 'A /data/sub', 'A /data/sub/file', 'C /bin', 'C /etc', 'C /etc/issue', 'D /bin/busybox'];
      assert.deepEqual(changes.map((c) => `${c.kind} ${c.path}`).sort(), expected.sort());
      assert.equal(await store.rwSize('c1'), 1000 + 'container\n'.length);
      const diff = await collect(await store.rwDiffTar('c1'));
      const diffNames = await names(diff);
      assert.ok(diffNames.includes('bin/.wh.busybox'), diffNames.join(' '));
      assert.ok(diffNames.includes('data/sub/file'), diffNames.join(' '));
      const committed = await store.register(bytesOf(diff), child.chainId, { owner: 'image:new' });
      await store.createRW('c2', committed.chainId);
      const rootfs2 = await store.mountRW('c2');
      assert.deepEqual(await rootfsSnapshot(rootfs2), await rootfsSnapshot(rootfs));
      await store.unmountRW('c2');
      await store.unmountRW('c1');
      assert.deepEqual(await store.removeRW('c2'), []);
      assert.deepEqual(await store.removeRW('c1'), [], 'the image layers stay: the committed layer is their child');
      assert.equal((await driverDirs(store)).length, 3);
    });

    test("the init layer holds the runtime's mount points, out of the container's changes", async (t) => {
      const store = await openStore(t, driver);
      const image = await store.register(
        bytesOf(await makeTar([...BASE, { name: 'etc/mtab', content: 'stale' }, { name: 'etc/hostname', content: 'image' }])),
        null,
        { owner: 'image:i' },
      );
      await store.createRW('with-init', image.chainId);
      await store.createRW('bare', image.chainId, { init: false });
      const rootfs = await store.mountRW('with-init');
      for (const dir of ['proc', 'sys', 'dev/pts', 'dev/shm']) assert.ok((await stat(`${rootfs}/${dir}`)).isDirectory(), dir);
      for (const file of ['.dockerenv', 'etc/hosts', 'etc/resolv.conf', 'dev/console']) assert.ok((await stat(`${rootfs}/${file}`)).isFile(), file);
      assert.equal(await readFile(`${rootfs}/etc/hostname`, 'utf8'), '', "as dockerd's: the image's file is replaced");
      assert.equal(await readlink(`${rootfs}/etc/mtab`), '/proc/mounts');
      assert.deepEqual(await store.rwChanges('with-init'), []);
      assert.deepEqual(await names(await collect(await store.rwDiffTar('with-init'))), []);
      const bare = await store.mountRW('bare');
      assert.equal(await readFile(`${bare}/etc/hostname`, 'utf8'), 'image');
      await assert.rejects(stat(`${bare}/proc`), { code: 'ENOENT' });
      await store.removeRW('with-init');
      await store.removeRW('bare');
      assert.equal((await driverDirs(store)).length, 1);
    });

    test('mounts are reference counted', async (t) => {
      const store = await openStore(t, driver);
      const base = await store.register(bytesOf(await makeTar(BASE)), null);
      await store.createRW('shared', base.chainId);
      const a = await store.mountRW('shared');
      const b = await store.mountRW('shared');
      assert.equal(a, b);
      assert.equal((await store.getRW('shared'))?.mounts, 2);
      await store.unmountRW('shared');
      assert.equal(await readFile(`${a}/etc/issue`, 'utf8'), 'base\n', 'still mounted for the other user');
      await store.unmountRW('shared');
      assert.equal((await store.getRW('shared'))?.mounts, 0);
      if (driver === 'overlay2') assert.deepEqual(await mountsUnder(store.root), []);
      // A container from scratch: an empty root, but for the init layer's mount points.
      await store.createRW('scratch', null, { init: false });
      assert.deepEqual(await readdir(await store.mountRW('scratch')), []);
      await store.removeRW('scratch');
      await store.createRW('scratch', null);
      assert.deepEqual((await readdir(await store.mountRW('scratch'))).sort(), ['.dockerenv', 'dev', 'etc', 'proc', 'sys']);
      await store.removeRW('scratch');
      await store.removeRW('shared');
    });

    test('references: owners, children and containers keep layers; the last release removes them', async (t) => {
      const store = await openStore(t, driver);
      const base = await store.register(bytesOf(await makeTar(BASE)), null, { owner: 'op:pull' });
      const child = await store.register(bytesOf(await makeTar(CHILD)), base.chainId, { owner: 'op:pull' });
      await store.retain(child.chainId, 'image:a');
      await store.retain(child.chainId, 'image:a'); // idempotent
      await store.retain(child.chainId, 'image:b');
      assert.deepEqual(await store.release(base.chainId, 'op:pull'), [], 'kept by its child');
      assert.deepEqual(await store.release(child.chainId, 'op:pull'), []);
      assert.deepEqual(await store.release(child.chainId, 'image:a'), []);
      await store.createRW('c', child.chainId);
      await store.mountRW('c');
      assert.deepEqual(await store.release(child.chainId, 'image:b'), [], 'a container still uses it');
      assert.deepEqual(await store.removeRW('c'), [child.chainId, base.chainId]);
      assert.deepEqual(await store.list(), []);
      assert.deepEqual(await driverDirs(store), []);
      assert.deepEqual(await readdir(`${store.root}/layerdb/${driver}/sha256`), []);
      assert.deepEqual(await readdir(`${store.root}/tmp`), []);
      if (driver === 'overlay2') assert.deepEqual(await readdir(`${store.root}/overlay2/l`), []);
      await assert.rejects(store.release(child.chainId, 'x'), { kind: 'not-found' });
      // Layers nobody retained go with removeUnreferenced().
      const loose = await store.register(bytesOf(await makeTar(BASE)), null);
      const kept = await store.register(bytesOf(await makeTar([{ name: 'k', content: 'k' }])), null, { owner: 'image:k' });
      assert.deepEqual(await store.removeUnreferenced(), [loose.chainId]);
      assert.deepEqual((await store.list()).map((l) => l.chainId), [kept.chainId]);
    });

    test('a release during tar() removes the layer once the tar is read', async (t) => {
      const store = await openStore(t, driver);
      const base = await store.register(bytesOf(await makeTar(BASE)), null, { owner: 'o' });
      const stream = await store.tar(base.chainId);
      assert.deepEqual(await store.release(base.chainId, 'o'), [], 'deferred while the tar is read');
      assert.equal(sha256(await collect(stream)), base.diffId);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(await store.has(base.chainId), false);
      assert.deepEqual(await driverDirs(store), []);
    });

    test('a tar that wrote one path twice cannot be rebuilt exactly: tar() generates one with the same contents', async (t) => {
      const store = await openStore(t, driver);
      const tar = await makeTar([
        { name: 'f', content: 'first' },
        { name: 'f', content: 'second' },
        { name: 'd/.wh.nothing', content: '' },
      ]);
      const layer = await store.register(bytesOf(tar), null);
      const regenerated = await collect(await store.tar(layer.chainId));
      assert.notEqual(sha256(regenerated), layer.diffId);
      const again = await store.register(bytesOf(regenerated), null);
      await store.createRW('a', layer.chainId);
      await store.createRW('b', again.chainId);
      assert.deepEqual(await rootfsSnapshot(await store.mountRW('b')), await rootfsSnapshot(await store.mountRW('a')));
      assert.equal(await readFile(`${await store.mountRW('a')}/f`, 'utf8'), 'second');
      await store.removeRW('a');
      await store.removeRW('b');
    });

    test('state survives reopening', async (t) => {
      const root = `${await tempDir(t)}/storage`;
      const first = new LayerStore({ root, driver });
      await first.open();
      const base = await first.register(bytesOf(await makeTar(BASE)), null, { owner: 'image:x' });
      await first.createRW('c', base.chainId);
      await writeFile(`${await first.mountRW('c')}/added`, 'a');
      await first.close();
      const second = await openStore(t, driver, root);
      assert.deepEqual((await second.get(base.chainId))?.owners, ['image:x']);
      assert.equal((await second.getRW('c'))?.parent, base.chainId);
      const rootfs = await second.mountRW('c');
      assert.equal(await readFile(`${rootfs}/added`, 'utf8'), 'a');
      assert.equal(await readFile(`${rootfs}/etc/issue`, 'utf8'), 'base\n');
      assert.equal(sha256(await collect(await second.tar(base.chainId))), base.diffId);
      await second.removeRW('c');
    });

    test('driver metadata and status', async (t) => {
      const store = await openStore(t, driver);
      const base = await store.register(bytesOf(await makeTar(BASE)), null);
      const child = await store.register(bytesOf(await makeTar(CHILD)), base.chainId);
      await store.createRW('c', child.chainId);
      const status = Object.fromEntries(store.status());
      const meta = await store.metadata(child.chainId);
      const rwMeta = await store.metadata('c');
      if (driver === 'overlay2') {
        assert.equal(status['Backing Filesystem'], 'extfs');
        assert.equal(status['Supports d_type'], 'true');
        assert.equal(status['Native Overlay Diff'], 'true');
        assert.equal(status['userxattr'], 'false');
        assert.deepEqual(Object.keys(meta ?? {}), ['LowerDir', 'MergedDir', 'UpperDir', 'WorkDir']);
        assert.equal(meta?.LowerDir?.split(':').length, 1);
        assert.equal(rwMeta?.LowerDir?.split(':').length, 3, 'init layer, child, base');
        assert.ok(rwMeta?.LowerDir?.split(':')[0]?.endsWith('/diff'));
        assert.equal(rwMeta?.MergedDir, await store.mountRW('c'));
        await store.unmountRW('c');
      } else {
        assert.deepEqual(status, {});
        assert.equal(meta, null);
        assert.equal(rwMeta, null);
      }
      await store.removeRW('c');
      await assert.rejects(store.metadata('sha256:' + 'f'.repeat(64)), { kind: 'not-found' });
    });
  });
}

test('auto picks overlay2 where a test mount works, and sticks with a prior driver', async (t) => {
  const auto = await openStore(t, 'auto');
  assert.equal(auto.driverName, 'overlay2');
  const root = `${await tempDir(t)}/storage`;
  const vfs = new LayerStore({ root, driver: 'vfs' });
  await vfs.open();
  await vfs.register(bytesOf(await makeTar(BASE)), null);
  await vfs.close();
  const reopened = await openStore(t, 'auto', root);
  assert.equal(reopened.driverName, 'vfs');
  await rm(root, { recursive: true, force: true });
});

test('an unknown driver is refused with dockerd\'s message', async (t) => {
  const store = new LayerStore({ root: `${await tempDir(t)}/storage`, driver: 'aufs' as DriverChoice });
  await assert.rejects(store.open(), /error initializing graphdriver: driver not supported: aufs/);
});
