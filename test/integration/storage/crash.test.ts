// Crash safety: whatever a killed berthd left (half-unpacked layers, staging
// directories, dangling links, stale mounts, torn metadata), open() removes
// it and keeps every committed layer working.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { LayerStore } from '../../../src/storage/store.js';
import { mountsUnder, randomHexId } from '../../../src/storage/util.js';
import { mount } from '../../../src/common/syscalls.js';
import { bytesOf, makeTar, tempDir } from '../../unit/storage/fixtures.js';

const BASE = [
  { name: 'etc/issue', content: 'base\n' },
  { name: 'bin/sh', content: 'sh', mode: 0o755 },
];

test('open() cleans what a crash left, keeps committed layers and adopts container mounts', async (t) => {
  const root = `${await tempDir(t)}/storage`;
  const crashed = new LayerStore({ root, driver: 'overlay2' });
  await crashed.open();
  const base = await crashed.register(bytesOf(await makeTar(BASE)), null, { owner: 'image:a' });
  await crashed.createRW('c', base.chainId);
  await writeFile(`${await crashed.mountRW('c')}/written`, 'w');
  // The "crash": crashed is abandoned with its mount in place, and these are left around.
  const orphan = randomHexId();
  await mkdir(`${root}/overlay2/${orphan}/diff/half`, { recursive: true });
  await writeFile(`${root}/overlay2/${orphan}/diff/half/file`, 'partial');
  await symlink(`../${orphan}/diff`, `${root}/overlay2/l/ORPHANORPHANORPHANORPHAN22`);
  await symlink(`../${randomHexId()}/diff`, `${root}/overlay2/l/DANGLINGDANGLINGDANGLING22`);
  await mkdir(`${root}/tmp/layer-${randomHexId()}`);
  await writeFile(`${root}/tmp/layer-partial-info.json.tmp`, '{"chainId":');
  await mkdir(`${root}/overlay2/${orphan}/merged`);
  mount('tmpfs', `${root}/overlay2/${orphan}/merged`, 'tmpfs', 0, 'size=1m');
  const torn = `${root}/layerdb/overlay2/sha256/${'a'.repeat(64)}`;
  await mkdir(torn);
  await writeFile(`${torn}/info.json`, '{"chainId": "sha256:aaa');
  const containerMount = (await mountsUnder(root)).find((p) => !p.includes(orphan));
  assert.equal((await mountsUnder(root)).length, 2);

  const store = new LayerStore({ root, driver: 'overlay2' });
  await store.open();
  t.after(() => store.close());
  // The container may still run on its root: that mount is adopted; the rest go.
  assert.deepEqual(await mountsUnder(root), [containerMount]);
  assert.deepEqual(await readdir(`${root}/tmp`), []);
  assert.ok(!(await readdir(`${root}/overlay2`)).includes(orphan));
  assert.equal((await readdir(`${root}/overlay2/l`)).length, 3, 'the links of the base layer, the init layer and the container layer');
  assert.deepEqual(await readdir(`${root}/layerdb/overlay2/sha256`), [base.chainId.slice(7)]);
  assert.deepEqual((await store.list()).map((l) => l.chainId), [base.chainId]);
  const rootfs = await store.mountRW('c');
  assert.equal(rootfs, containerMount, 'the adopted mount is reused');
  assert.equal((await mountsUnder(root)).length, 1);
  assert.equal(await readFile(`${rootfs}/written`, 'utf8'), 'w');
  assert.equal(await readFile(`${rootfs}/etc/issue`, 'utf8'), 'base\n');
  await store.unmountRW('c');
  assert.deepEqual(await mountsUnder(root), []);
});

test('kill -9 in the middle of a register: nothing half-made survives, and the layer can be registered again', async (t) => {
  const root = `${await tempDir(t)}/storage`;
  const storeUrl = new URL('../../../src/storage/store.js', import.meta.url).href;
  const writerUrl = new URL('../../../src/storage/tar/writer.js', import.meta.url).href;
  const headerUrl = new URL('../../../src/storage/tar/header.js', import.meta.url).href;
  // The child commits a base layer and mounts a container on it, then unpacks
  // a big layer slowly, saying when it is halfway.
  const script = `
    const { LayerStore } = await import(${JSON.stringify(storeUrl)});
    const { tarBytes } = await import(${JSON.stringify(writerUrl)});
    const { emptyHeader } = await import(${JSON.stringify(headerUrl)});
    const store = new LayerStore({ root: ${JSON.stringify(root)}, driver: 'overlay2' });
    await store.open();
    const one = (async function* () { yield* tarBytes([{ header: { ...emptyHeader('base', 'file'), size: 1 }, body: Buffer.from('b') }]); })();
    const base = await store.register(one, null, { owner: 'image:base' });
    await store.createRW('c', base.chainId);
    await store.mountRW('c');
    function* members() {
      for (let i = 0; i < 4000; i++) {
        yield { header: { ...emptyHeader('dir' + (i % 40) + '/file' + i, 'file'), size: 4096 }, body: Buffer.alloc(4096, i % 251) };
      }
    }
    let sent = 0;
    async function* slow() {
      for await (const chunk of tarBytes(members())) {
        sent += chunk.length;
        if (sent > 4 * 1024 * 1024 && sent - chunk.length <= 4 * 1024 * 1024) console.log('halfway');
        if (sent > 4 * 1024 * 1024) await new Promise((r) => setTimeout(r, 2));
        yield chunk;
      }
    }
    await store.register(slow(), base.chainId);
    console.log('finished');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    if (line === 'halfway') break;
    assert.notEqual(line, 'finished', 'the register ended before we could kill it');
  }
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.equal((await mountsUnder(root)).length, 1, 'the container mount was left behind');
  assert.equal((await readdir(`${root}/overlay2`)).filter((n) => /^[0-9a-f]{64}$/.test(n)).length, 4, 'base, init, container and the half-made layer');

  const store = new LayerStore({ root, driver: 'overlay2' });
  await store.open();
  t.after(() => store.close());
  assert.equal((await mountsUnder(root)).length, 1, "the container's mount is adopted");
  assert.deepEqual(await readdir(`${root}/tmp`), []);
  const layers = await store.list();
  assert.equal(layers.length, 1);
  assert.equal((await readdir(`${root}/overlay2`)).filter((n) => /^[0-9a-f]{64}$/.test(n)).length, 3, 'base, init and container');
  assert.equal((await store.getRW('c'))?.parent, layers[0]!.chainId);
  const again = await store.register(bytesOf(await makeTar([{ name: 'dir0/file0', content: 'x' }])), layers[0]!.chainId);
  assert.equal(again.created, true);
  assert.equal(await readFile(`${await store.mountRW('c')}/base`, 'utf8'), 'b');
  await store.unmountRW('c');
  assert.deepEqual(await mountsUnder(root), []);
});
