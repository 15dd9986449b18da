// overlay2 mounts deep stacks: 128 image layers plus a container layer, whose
// mount options only fit one page through the short l/ links given relative
// to the driver's directory (dockerd's maxDepth is 128 lowers).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { LayerStore } from '../../../src/storage/store.js';
import { readMountInfo } from '../../../src/storage/util.js';
import { bytesOf, makeTar, tempDir } from '../../unit/storage/fixtures.js';

test('128 lowers mount as one overlay; a deeper stack is refused', async (t) => {
  const root = `${await tempDir(t)}/storage-with-a-rather-long-path-to-make-absolute-options-overflow`;
  const store = new LayerStore({ root, driver: 'overlay2' });
  await store.open();
  t.after(() => store.close());
  const chain: string[] = [];
  for (let i = 0; i < 128; i++) {
    const entries = [{ name: `layers/${String(i).padStart(3, '0')}`, content: `${i}` }];
    // Each layer also rewrites a shared file, so the top one must win.
    entries.push({ name: 'top', content: `${i}` });
    if (i === 64) entries.push({ name: 'layers/.wh.010', content: '' });
    chain.push((await store.register(bytesOf(await makeTar(entries)), chain.at(-1) ?? null)).chainId);
  }
  const top = chain[127]!;
  await store.retain(top, 'image:deep');
  // 128 image layers under a container layer: 128 lowers.
  await store.createRW('deep', top, { init: false });
  const rootfs = await store.mountRW('deep');
  const mount = (await readMountInfo()).find((m) => m.mountPoint === rootfs);
  assert.equal(mount?.fsType, 'overlay');
  const files = await readdir(`${rootfs}/layers`);
  assert.equal(files.length, 127, 'every layer but the whited-out one');
  assert.ok(!files.includes('010'));
  assert.equal(await readFile(`${rootfs}/top`, 'utf8'), '127');
  await store.unmountRW('deep');
  await store.removeRW('deep');

  // With dockerd's init layer, 127 image layers is the most a container can have.
  await store.createRW('with-init', chain[126]!);
  assert.equal(await readFile(`${await store.mountRW('with-init')}/top`, 'utf8'), '126');
  await store.removeRW('with-init');
  await assert.rejects(store.createRW('too-deep', top), /max depth exceeded/);
  assert.equal(await store.getRW('too-deep'), undefined);
  // A 129th image layer still has 128 lowers; a 130th would have 129.
  const deeper = await store.register(bytesOf(await makeTar([{ name: 'x', content: 'x' }])), top);
  await assert.rejects(store.register(bytesOf(await makeTar([{ name: 'y', content: 'y' }])), deeper.chainId), /max depth exceeded/);
});
