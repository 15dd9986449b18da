// Content store: verified, atomic, crash-safe blob writes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, mkdtempSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ContentStore, DigestMismatchError, sha256Digest } from '../../../src/image/content-store.js';

describe('content store', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-cs-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('stores bytes under their sha256 digest and reads them back', async () => {
    const cs = await ContentStore.open(path.join(dir, 'a'));
    const info = await cs.put('hello');
    assert.equal(info.digest, sha256Digest('hello'));
    assert.equal(info.size, 5);
    assert.equal(await cs.has(info.digest), true);
    assert.deepEqual(await cs.info(info.digest), { digest: info.digest, size: 5 });
    assert.equal((await cs.readAll(info.digest)).toString(), 'hello');
    const chunks: Buffer[] = [];
    for await (const c of await cs.get(info.digest)) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'hello');
    const file = path.join(dir, 'a', 'blobs', 'sha256', info.digest.slice(7));
    assert.equal((await fs.stat(file)).mode & 0o777, 0o444);
  });

  it('streams large blobs and verifies the expected digest and size', async () => {
    const cs = await ContentStore.open(path.join(dir, 'b'));
    const data = Buffer.alloc(3 << 20, 7);
    const digest = sha256Digest(data);
    const info = await cs.putStream(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), { digest, size: data.length });
    assert.equal(info.digest, digest);
    await assert.rejects(cs.putStream(Readable.from([Buffer.from('other')]), { digest: sha256Digest('nope') }), DigestMismatchError);
    await assert.rejects(cs.putStream(Readable.from([Buffer.from('12345')]), { size: 3 }), /larger than expected/);
    await assert.rejects(cs.putStream(Readable.from([Buffer.from('12')]), { size: 3 }), /size mismatch/);
    // Nothing of the rejected writes is visible or left in ingest.
    const blobs: string[] = [];
    for await (const b of cs.walk()) blobs.push(b.digest);
    assert.deepEqual(blobs, [digest]);
    assert.deepEqual(await fs.readdir(path.join(dir, 'b', 'ingest')), []);
  });

  it('removes ingest files a crash left, at open', async () => {
    const root = path.join(dir, 'c');
    const cs = await ContentStore.open(root);
    const w = await cs.writer();
    w.write(Buffer.from('half a blob'));
    // Simulate a crash: the writer is never committed nor aborted.
    assert.equal((await fs.readdir(path.join(root, 'ingest'))).length, 1);
    const reopened = await ContentStore.open(root);
    assert.deepEqual(await fs.readdir(path.join(root, 'ingest')), []);
    const blobs: string[] = [];
    for await (const b of reopened.walk()) blobs.push(b.digest);
    assert.deepEqual(blobs, []);
    await w.abort();
  });

  it('an ingest written by someone else commits only what matches its expectation', async () => {
    const root = path.join(dir, 'e');
    const cs = await ContentStore.open(root);
    const data = Buffer.from('bytes another thread wrote');
    const digest = sha256Digest(data);
    const good = await cs.ingest({ digest, size: data.length });
    writeSync(good.fd, data, 0, data.length, 0);
    assert.equal(await cs.has(digest), false);
    assert.deepEqual(await good.commit({ digest, size: data.length }), { digest, size: data.length });
    assert.equal((await cs.readAll(digest)).toString(), data.toString());
    assert.equal((await fs.stat(cs.blobPath(digest))).mode & 0o777, 0o444);

    // Told another digest: refused, nothing visible, nothing left in ingest.
    const other = sha256Digest('other');
    const wrong = await cs.ingest({ digest: other, size: data.length });
    writeSync(wrong.fd, data, 0, data.length, 0);
    await assert.rejects(wrong.commit({ digest, size: data.length }), DigestMismatchError);
    assert.equal(await cs.has(other), false);
    // Told a size the file does not have.
    const short = await cs.ingest({});
    writeSync(short.fd, data, 0, 4, 0);
    await assert.rejects(short.commit({ digest, size: data.length }), /size mismatch/);
    // Aborted.
    const dropped = await cs.ingest({});
    writeSync(dropped.fd, data, 0, data.length, 0);
    await dropped.abort();
    await dropped.abort();
    assert.deepEqual(await fs.readdir(path.join(root, 'ingest')), []);
    const blobs: string[] = [];
    for await (const b of cs.walk()) blobs.push(b.digest);
    assert.deepEqual(blobs, [digest]);
  });

  it('deletes blobs and reports missing ones as not found', async () => {
    const cs = await ContentStore.open(path.join(dir, 'd'));
    const info = await cs.put('x');
    await cs.delete(info.digest);
    assert.equal(await cs.has(info.digest), false);
    await assert.rejects(cs.readAll(info.digest), /not found/);
    await assert.rejects(cs.get(info.digest), /not found/);
  });
});
