// The unpack workers (unpacker.ts, unpack-worker.ts): the same results as
// applyLayer() on this thread, whatever the compression and however the
// bytes are cut; a TeedLayerInput's bytes land in its file and its digest
// is judged before the unpack may succeed; failures on either side end the
// job without leaving the other waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gunzipSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { StoredLayerInput, TeedLayerInput, type BlobSink } from '../../../src/storage/layer-input.js';
import { compressLayer, unpackLayer } from '../../../src/storage/unpacker.js';
import { bytesOf, makeTar, sha256, snapshot, tempDir } from './fixtures.js';

/** A 3 MiB layer (more than the slots in flight) with a few small files too. */
async function bigLayer(): Promise<Buffer> {
  return makeTar([
    { name: 'etc/', type: 'directory', mode: 0o755 },
    { name: 'etc/conf', content: 'key=value\n' },
    { name: 'data/random.bin', content: randomBytes(3 << 20) },
    { name: 'data/text.txt', content: 'line of text\n'.repeat(50_000) },
  ]);
}

/** A sink over a temporary file, recording what it was told. */
function fileSink(path: string, refuse?: Error): BlobSink & { told: Array<{ digest: string; size: number }>; close(): void } {
  const fd = openSync(path, 'w', 0o600);
  const told: Array<{ digest: string; size: number }> = [];
  return {
    fd,
    told,
    accept: async (blob) => {
      told.push(blob);
      if (refuse) throw refuse;
    },
    close: () => closeSync(fd),
  };
}

async function* failingAfter(buf: Buffer, bytes: number, err: Error): AsyncGenerator<Buffer> {
  for await (const chunk of bytesOf(buf.subarray(0, bytes), 65536)) yield chunk;
  throw err;
}

test('a worker unpacks what applyLayer unpacks: plain, gzip, zstd, odd chunks, trailing zeros', async (t) => {
  const tar = await bigLayer();
  const padded = Buffer.concat([tar, Buffer.alloc(4096)]);
  let reference: Awaited<ReturnType<typeof snapshot>> | undefined;
  for (const [label, input] of [
    ['plain', padded],
    ['gzip', gzipSync(padded)],
    ['gzip with zeros after the member', Buffer.concat([gzipSync(padded), Buffer.alloc(3000)])],
    ['zstd', zstdCompressSync(padded)],
  ] as const) {
    const root = await tempDir(t);
    const result = await unpackLayer(bytesOf(Buffer.from(input), 100_003), root, { whiteouts: 'overlay', emptyRoot: true });
    assert.equal(result.diffId, sha256(padded), label);
    assert.equal(result.tarSize, padded.length, label);
    assert.equal(result.compression, label === 'plain' ? 'none' : label.startsWith('gzip') ? 'gzip' : 'zstd', label);
    const tree = await snapshot(root);
    reference ??= tree;
    assert.deepEqual(tree, reference, label);
  }
});

/** `member` with a header carrying FEXTRA, FNAME, FCOMMENT and FHCRC (RFC 1952), as some tools write them. */
function withFullHeader(member: Buffer): Buffer {
  const head = Buffer.from([0x1f, 0x8b, 8, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3]);
  const extra = Buffer.from([4, 0, 0x41, 0x42, 2, 0]);
  return Buffer.concat([head, extra, Buffer.from('layer.tar\0'), Buffer.from('a comment\0'), Buffer.from([0xab, 0xcd]), member.subarray(10)]);
}

test('gzip framing read by the worker: members one after another, full headers, zeros after; bad framing is an error', async (t) => {
  const tar = await bigLayer();
  const half = tar.length >> 1;
  const expected = sha256(tar);
  for (const [label, input] of [
    ['two members', Buffer.concat([gzipSync(tar.subarray(0, half)), gzipSync(tar.subarray(half))])],
    ['full headers', Buffer.concat([withFullHeader(gzipSync(tar.subarray(0, half))), withFullHeader(gzipSync(tar.subarray(half)))])],
    ['zeros after', Buffer.concat([gzipSync(tar), Buffer.alloc(100_000)])],
  ] as const) {
    const root = await tempDir(t);
    const result = await unpackLayer(bytesOf(input, 65_536), root, { whiteouts: 'overlay', emptyRoot: true });
    assert.equal(result.diffId, expected, label);
    assert.equal(result.compression, 'gzip', label);
  }
  const good = gzipSync(tar);
  const wrongLength = Buffer.from(good);
  wrongLength[wrongLength.length - 1]! ^= 0x01;
  for (const [label, input, message] of [
    ['garbage after', Buffer.concat([good, Buffer.from('garbage!')]), /incorrect header check/],
    ['cut short', good.subarray(0, good.length - 100), /unexpected end of file/],
    ['trailer cut short', good.subarray(0, good.length - 3), /unexpected end of file/],
    ['wrong length', wrongLength, /incorrect length check/],
  ] as const) {
    await assert.rejects(unpackLayer(bytesOf(input, 65_536), await tempDir(t), { whiteouts: 'overlay', emptyRoot: true }), message, label);
  }
});

test('a teed input: the worker writes every byte to the sink file and tells its digest before succeeding', async (t) => {
  const tar = await bigLayer();
  for (const [label, blob] of [
    ['gzip', gzipSync(tar)],
    ['plain', tar],
    ['gzip with zeros after the member', Buffer.concat([gzipSync(tar), Buffer.alloc(70_000)])],
  ] as const) {
    const dir = await tempDir(t);
    const sink = fileSink(`${dir}/blob`);
    const read: number[] = [];
    const consumed: number[] = [];
    const input = new TeedLayerInput(bytesOf(Buffer.from(blob), 65_536), sink, { onRead: (n) => read.push(n), onConsumed: (n) => consumed.push(n) });
    const result = await unpackLayer(input, `${dir}`, { whiteouts: 'overlay' }).finally(() => sink.close());
    await input.stored;
    assert.equal(result.diffId, sha256(tar), label);
    assert.deepEqual(sink.told, [{ digest: sha256(Buffer.from(blob)), size: blob.length }], label);
    assert.deepEqual(readFileSync(`${dir}/blob`), Buffer.from(blob), label);
    assert.equal(read.at(-1), blob.length, label);
    assert.equal(consumed.at(-1), blob.length, label);
    assert.equal(await readFile(`${dir}/etc/conf`, 'utf8'), 'key=value\n');
  }
});

test('a teed input read on this thread (no workers) does the same', async (t) => {
  const tar = await bigLayer();
  const blob = gzipSync(tar);
  const dir = await tempDir(t);
  const sink = fileSink(`${dir}/blob`);
  const saved = process.env.BERTH_UNPACK_WORKERS;
  process.env.BERTH_UNPACK_WORKERS = '0';
  try {
    const input = new TeedLayerInput(bytesOf(blob, 65_536), sink);
    const result = await unpackLayer(input, dir, { whiteouts: 'overlay' }).finally(() => sink.close());
    await input.stored;
    assert.equal(result.diffId, sha256(tar));
    assert.deepEqual(sink.told, [{ digest: sha256(blob), size: blob.length }]);
    assert.deepEqual(readFileSync(`${dir}/blob`), blob);
  } finally {
    if (saved === undefined) delete process.env.BERTH_UNPACK_WORKERS;
    else process.env.BERTH_UNPACK_WORKERS = saved;
  }
});

test('a blob the sink refuses (a digest mismatch) fails the unpack with the refusal', async (t) => {
  const tar = await bigLayer();
  const dir = await tempDir(t);
  const refusal = new Error('filesystem layer verification failed for digest sha256:0000');
  const sink = fileSink(`${dir}/blob`, refusal);
  const input = new TeedLayerInput(bytesOf(gzipSync(tar), 65_536), sink);
  await assert.rejects(unpackLayer(input, dir, { whiteouts: 'overlay' }).finally(() => sink.close()), refusal);
  await assert.rejects(input.stored, refusal);
});

test('a download that breaks fails the unpack and the blob with its own error', async (t) => {
  const tar = await bigLayer();
  const dir = await tempDir(t);
  const sink = fileSink(`${dir}/blob`);
  const broken = new Error('read ECONNRESET');
  const gz = gzipSync(tar);
  const input = new TeedLayerInput(failingAfter(gz, gz.length >> 1, broken), sink);
  await assert.rejects(unpackLayer(input, dir, { whiteouts: 'overlay' }).finally(() => sink.close()), broken);
  await assert.rejects(input.stored, broken);
  assert.deepEqual(sink.told, []);
  // On this thread too.
  const saved = process.env.BERTH_UNPACK_WORKERS;
  process.env.BERTH_UNPACK_WORKERS = '0';
  try {
    const dir2 = await tempDir(t);
    const sink2 = fileSink(`${dir2}/blob`);
    const here = new TeedLayerInput(failingAfter(gz, gz.length >> 1, broken), sink2);
    await assert.rejects(unpackLayer(here, dir2, { whiteouts: 'overlay' }).finally(() => sink2.close()), broken);
    await assert.rejects(here.stored, broken);
  } finally {
    if (saved === undefined) delete process.env.BERTH_UNPACK_WORKERS;
    else process.env.BERTH_UNPACK_WORKERS = saved;
  }
});

test('corrupt compressed bytes: the rest is still read and hashed, so a digest mismatch is what fails the unpack', async (t) => {
  const tar = await bigLayer();
  const corrupt = gzipSync(tar);
  // Early in the deflate data: inflate fails long before the input ends.
  for (let i = 2000; i < 2100; i++) corrupt[i] ^= 0x55;
  const dir = await tempDir(t);
  const refusal = new Error('filesystem layer verification failed for digest sha256:1111');
  const sink = fileSink(`${dir}/blob`, refusal);
  const input = new TeedLayerInput(bytesOf(corrupt, 65_536), sink);
  await assert.rejects(unpackLayer(input, dir, { whiteouts: 'overlay' }).finally(() => sink.close()), refusal);
  assert.deepEqual(sink.told, [{ digest: sha256(corrupt), size: corrupt.length }]);
  await assert.rejects(input.stored, refusal);
});

test('a hostile tar fails the unpack with its own error; its blob is read to the end and judged all the same', async (t) => {
  const tar = await makeTar([
    { name: 'data/random.bin', content: randomBytes(1 << 20) },
    { name: 'link', type: 'link', linkname: '../../etc/passwd' },
    { name: 'more.bin', content: randomBytes(6 << 20) },
  ]);
  const dir = await tempDir(t);
  const sink = fileSink(`${dir}/blob`);
  let closed = false;
  async function* source(): AsyncGenerator<Buffer> {
    try {
      yield* bytesOf(gzipSync(tar), 65_536);
    } finally {
      closed = true;
    }
  }
  const input = new TeedLayerInput(source(), sink);
  await assert.rejects(unpackLayer(input, dir, { whiteouts: 'overlay' }).finally(() => sink.close()), /outside of the layer root/);
  assert.equal(await input.stored, true);
  assert.equal(sink.told.length, 1);
  assert.equal(closed, true);
});

test('a stored blob is read by the worker itself; a plain one stored under its diff ID is not hashed again', async (t) => {
  const tar = await bigLayer();
  const dir = await tempDir(t);
  const plainPath = `${dir}/plain`;
  const gzPath = `${dir}/gz`;
  writeFileSync(plainPath, tar);
  const gz = gzipSync(tar);
  writeFileSync(gzPath, gz);
  const consumed: number[] = [];
  const plain = await unpackLayer(new StoredLayerInput(plainPath, sha256(tar), { onConsumed: (n) => consumed.push(n) }), await tempDir(t), { whiteouts: 'overlay', emptyRoot: true });
  assert.equal(plain.diffId, sha256(tar));
  assert.equal(plain.tarSize, tar.length);
  assert.equal(consumed.at(-1), tar.length);
  // The digest it is stored under is taken as its diff ID (the content store verified it on the way in).
  const trusted = `sha256:${'0'.repeat(64)}`;
  assert.equal((await unpackLayer(new StoredLayerInput(plainPath, trusted), await tempDir(t), { whiteouts: 'overlay', emptyRoot: true })).diffId, trusted);
  // A compressed blob's diff ID is another digest: hashed.
  const root = await tempDir(t);
  const compressed = await unpackLayer(new StoredLayerInput(gzPath, sha256(gz)), root, { whiteouts: 'overlay', emptyRoot: true });
  assert.equal(compressed.diffId, sha256(tar));
  assert.equal(await readFile(`${root}/etc/conf`, 'utf8'), 'key=value\n');
  await assert.rejects(unpackLayer(new StoredLayerInput(`${dir}/missing`, trusted), await tempDir(t), { whiteouts: 'overlay' }), { code: 'ENOENT' });
  // Read on this thread (no workers): the same bytes.
  const saved = process.env.BERTH_UNPACK_WORKERS;
  process.env.BERTH_UNPACK_WORKERS = '0';
  try {
    assert.equal((await unpackLayer(new StoredLayerInput(gzPath, sha256(gz)), await tempDir(t), { whiteouts: 'overlay', emptyRoot: true })).diffId, sha256(tar));
  } finally {
    if (saved === undefined) delete process.env.BERTH_UNPACK_WORKERS;
    else process.env.BERTH_UNPACK_WORKERS = saved;
  }
});

test('an input nobody reads can be abandoned: it is not stored', async () => {
  let closed = false;
  async function* source(): AsyncGenerator<Buffer> {
    try {
      yield Buffer.from('never read');
    } finally {
      closed = true;
    }
  }
  const input = new TeedLayerInput(source(), { fd: -1, accept: async () => undefined });
  input.abandon();
  assert.equal(await input.stored, false);
  // A generator that never started has nothing to close; its finally did not run, and that is fine.
  assert.equal(closed, false);
  assert.throws(() => input.claim(), /read twice/);
});

test('compressLayer: gzip of a plain tar into a file, hashed as written; random bytes stored, the rest deflated', async (t) => {
  const random = randomBytes(3 << 20);
  const text = Buffer.from('a line of text that compresses well\n'.repeat(90_000));
  const tar = await makeTar([
    { name: 'random.bin', content: random },
    { name: 'text.txt', content: text },
    { name: 'more-random.bin', content: randomBytes(1 << 20) },
  ]);
  const dir = await tempDir(t);
  writeFileSync(`${dir}/layer.tar`, tar);
  const saved = process.env.BERTH_UNPACK_WORKERS;
  try {
    for (const [label, workers, input] of [
      ['worker, slots', undefined, () => bytesOf(tar, 100_003)],
      ['worker, stored file', undefined, () => new StoredLayerInput(`${dir}/layer.tar`, sha256(tar))],
      ['this thread', '0', () => bytesOf(tar, 100_003)],
    ] as const) {
      if (workers === undefined) delete process.env.BERTH_UNPACK_WORKERS;
      else process.env.BERTH_UNPACK_WORKERS = workers;
      const out = `${dir}/${label.replace(/\W+/g, '-')}.gz`;
      const fd = openSync(out, 'w', 0o600);
      const result = await compressLayer(input(), fd).finally(() => closeSync(fd));
      const blob = readFileSync(out);
      assert.equal(result.digest, sha256(blob), label);
      assert.equal(result.size, blob.length, label);
      assert.deepEqual(gunzipSync(blob), tar, label);
      // The random 4 MiB stay about their size, the text shrinks to almost nothing.
      assert.ok(blob.length < random.length + (1 << 20) + 200_000, `${label}: ${blob.length}`);
    }
  } finally {
    if (saved === undefined) delete process.env.BERTH_UNPACK_WORKERS;
    else process.env.BERTH_UNPACK_WORKERS = saved;
  }
});
