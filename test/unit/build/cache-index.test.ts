// The build cache index (src/build/builder/cache.ts): a burst of changes (a
// cached build touches one entry per step) is written once, flush() waits
// for it, a reopened index reads it back, and no temporary file remains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BuildCacheIndex, type CacheEntry } from '../../../src/build/builder/cache.js';

const entry = (imageId: string): CacheEntry => ({ imageId, parentId: '', description: 'RUN true', created: '2024-01-01T00:00:00Z', lastUsed: '2024-01-01T00:00:00Z', usageCount: 0, size: 0 });

test('cache index: changes coalesce into few writes; flush() persists them; reopening reads them; no temporary files', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'cache-index-'));
  try {
    // A temporary file a crash left is swept at open.
    const dir = path.join(root, 'builder');
    await BuildCacheIndex.open(root);
    writeFileSync(path.join(dir, 'cache.json.0123456789ab.tmp'), '{');
    const index = await BuildCacheIndex.open(root);
    assert.deepEqual(readdirSync(dir), []);

    for (let i = 0; i < 50; i++) index.set(`key${i}`, entry(`sha256:${i}`));
    for (let round = 0; round < 3; round++) for (let i = 0; i < 50; i++) index.touch(`key${i}`);
    await index.flush();
    assert.deepEqual(readdirSync(dir), ['cache.json']);
    const onDisk = JSON.parse(readFileSync(path.join(dir, 'cache.json'), 'utf8')) as { entries: Record<string, CacheEntry> };
    assert.equal(Object.keys(onDisk.entries).length, 50);
    assert.equal(onDisk.entries.key7!.usageCount, 3);

    // Changes during a write are written after it; flush() waits for both.
    index.touch('key1');
    await new Promise((r) => setImmediate(r));
    index.delete('key2');
    await index.flush();
    const reopened = await BuildCacheIndex.open(root);
    assert.equal(reopened.get('key1')?.usageCount, 4);
    assert.equal(reopened.get('key2'), undefined);
    assert.equal(reopened.all().length, 49);
    // Nothing pending: flush() returns at once.
    await reopened.flush();
    assert.deepEqual(readdirSync(dir), ['cache.json']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
