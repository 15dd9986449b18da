// The build context reader (src/build/builder/context.ts) parses the tar as
// it arrives: whatever the chunking (one byte at a time, a slow sender, a
// gzip body), through a Readable's events or a plain async iterable, it
// must give the members and content hashes storage's TarReader reads from
// the whole archive; truncations are errors except where dockerd's Go
// reader accepts them (no end marker; no padding after the last member,
// which is how the docker CLI sends a Dockerfile from outside the context);
// bodies past the memory budget spill to disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { BuildContext, type SourceNode } from '../../../src/build/builder/context.js';
import { contextTree, resolveSources, sourcesHash } from '../../../src/build/builder/copy.js';
import { emptyHeader, encodeHeader, type TarHeader } from '../../../src/storage/tar/header.js';
import { TarReader } from '../../../src/storage/tar/reader.js';
import { tarBytes, type TarMember } from '../../../src/storage/tar/writer.js';

function file(name: string, content: Buffer | string, extra: Partial<TarHeader> = {}): TarMember {
  const body = Buffer.from(content);
  return { header: { ...emptyHeader(name, 'file'), size: body.length, mode: 0o644, mtime: 1_700_000_000, ...extra }, body };
}
function dir(name: string, extra: Partial<TarHeader> = {}): TarMember {
  return { header: { ...emptyHeader(name, 'directory'), mode: 0o755, mtime: 1_700_000_000, ...extra } };
}
function link(name: string, type: 'symlink' | 'hardlink', target: string): TarMember {
  return { header: { ...emptyHeader(name, type), mode: 0o777, linkname: target, mtime: 1_700_000_000 } };
}

/** Deterministic bytes (not all alike, so a misplaced slice changes the hash). */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

async function archive(members: TarMember[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of tarBytes(members)) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Every member as storage's TarReader sees it: the oracle. */
async function expected(tar: Buffer): Promise<Map<string, { type: string; mode: number; size: number; linkname: string; sha: string }>> {
  const out = new Map<string, { type: string; mode: number; size: number; linkname: string; sha: string }>();
  const reader = new TarReader(Readable.from([tar]));
  for (let h = await reader.next(); h; h = await reader.next()) {
    const hash = createHash('sha256');
    for await (const c of reader.body()) hash.update(c);
    const rel = h.name.replace(/\/$/, '');
    out.set(rel, { type: h.type, mode: h.mode, size: h.type === 'file' ? h.size : 0, linkname: h.linkname, sha: h.type === 'file' ? hash.digest('hex') : '' });
  }
  return out;
}

function summary(ctx: BuildContext): Map<string, { type: string; mode: number; size: number; linkname: string; sha: string }> {
  const out = new Map<string, { type: string; mode: number; size: number; linkname: string; sha: string }>();
  for (const n of ctx.walk()) out.set(n.rel, { type: n.type, mode: n.mode, size: n.size, linkname: n.linkname, sha: n.contentHash });
  return out;
}

function chunked(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

/** A plain async iterable (not a Readable): the reader's other path. */
async function* iterable(chunks: Buffer[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

/** A Readable that sends `chunks` one every few milliseconds, as a slow client would. */
function slowStream(chunks: Buffer[], everyMs = 1): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i >= chunks.length) {
        this.push(null);
        return;
      }
      const c = chunks[i++]!;
      setTimeout(() => this.push(c), everyMs);
    },
  });
}

async function withTmp<T>(fn: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'context-stream-'));
  try {
    return await fn(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const longDir = 'deep/' + 'd'.repeat(60) + '/' + 'e'.repeat(60);
const members: TarMember[] = [
  file('Dockerfile', 'FROM busybox\nCOPY . /app\n'),
  dir('src'),
  file('src/empty', ''),
  file('src/one', 'x'),
  file('src/block-1', bytes(511, 1)),
  file('src/block', bytes(512, 2)),
  file('src/block+1', bytes(513, 3), { mode: 0o755 }),
  file('src/big.bin', bytes(200_000, 4)),
  link('src/link', 'symlink', 'one'),
  link('src/hard', 'hardlink', 'src/one'),
  // Names and numbers past ustar: PAX records (the parser's slow path).
  file(`${longDir}/long-name-${'f'.repeat(90)}.txt`, 'long'),
  file('src/ünïcode.txt', 'utf8 name'),
  file('src/frac-mtime', 'pax mtime', { mtime: 1_700_000_000.25 }),
  file('src/big-uid', 'pax uid', { uid: 70_000_000, gid: 70_000_001 }),
  // Implied parents: a file whose directory the tar does not list.
  file('implied/dir/file', 'parents made 0755'),
];

test('context: the same members and hashes whatever the chunking, the path (events or iterable) or gzip', async () => {
  const tar = await archive(members);
  const want = await expected(tar);
  await withTmp(async (tmp) => {
    const inputs: Array<[string, () => AsyncIterable<Uint8Array>]> = [
      ['one chunk (Readable)', () => Readable.from([tar])],
      ['1-byte chunks (Readable)', () => Readable.from(chunked(tar, 1))],
      ['7-byte chunks (iterable)', () => iterable(chunked(tar, 7))],
      ['511-byte chunks (Readable)', () => Readable.from(chunked(tar, 511))],
      ['64 KiB chunks (iterable)', () => iterable(chunked(tar, 65536))],
      ['4 KiB chunks from a slow sender', () => slowStream(chunked(tar, 4096), 0)],
      ['gzip, 1000-byte chunks (Readable)', () => Readable.from(chunked(gzipSync(tar), 1000))],
      ['gzip, 3-byte chunks (iterable)', () => iterable(chunked(gzipSync(tar), 3))],
    ];
    let dirHash = '';
    for (const [what, input] of inputs) {
      const ctx = await BuildContext.receive(input(), tmp);
      try {
        const got = summary(ctx);
        for (const [rel, w] of want) assert.deepEqual(got.get(rel), w, `${what}: ${rel}`);
        // The implied directories, and nothing else.
        assert.deepEqual([...got.keys()].filter((k) => !want.has(k)).sort(), ['deep', 'deep/' + 'd'.repeat(60), longDir, 'implied', 'implied/dir'], what);
        assert.deepEqual(await ctx.readFile('src/big.bin'), bytes(200_000, 4), what);
        assert.equal((await ctx.readFile('src/empty'))?.length, 0, what);
        assert.equal(ctx.received, tar.length, what);
        const h = await sourcesHash(await resolveSources(contextTree(ctx), ['.'], { parents: false, cmd: 'COPY' }), [], []);
        dirHash ||= h;
        assert.equal(h, dirHash, what);
      } finally {
        await ctx.dispose();
      }
    }
  });
});

test('context: a Dockerfile sent in tiny pieces by a slow client is read as it comes', async () => {
  const tar = await archive([file('Dockerfile', 'FROM busybox\n'), file('a.txt', bytes(5000, 9))]);
  await withTmp(async (tmp) => {
    const ctx = await BuildContext.receive(slowStream(chunked(tar, 97), 2), tmp);
    assert.equal((await ctx.readFile('Dockerfile'))?.toString(), 'FROM busybox\n');
    assert.equal(ctx.get('a.txt')?.contentHash, createHash('sha256').update(bytes(5000, 9)).digest('hex'));
    await ctx.dispose();
  });
});

test('context: truncations are errors, except a missing end marker or missing padding after the last member (the docker CLI sends that)', async () => {
  const body = bytes(700, 5); // 700 bytes: 324 bytes of padding follow
  const tar = await archive([file('Dockerfile', 'FROM busybox\n'), file('data', body)]);
  const dataHeader = 1024; // Dockerfile's header and its one padded block
  const dataStart = dataHeader + 512;
  const cuts: Array<[string, number, boolean]> = [
    ['whole', tar.length, true],
    ['no end-of-archive blocks', dataStart + 1024, true],
    ['no padding after the last data', dataStart + 700, true],
    ['half the padding', dataStart + 800, true],
    ['inside the last data', dataStart + 699, false],
    ['inside a header', dataHeader + 100, false],
    ['right after a header', dataStart, false],
  ];
  await withTmp(async (tmp) => {
    for (const [what, length, ok] of cuts) {
      for (const [path_, input] of [
        ['events', () => Readable.from(chunked(tar.subarray(0, length), 64))],
        ['iterable', () => iterable(chunked(tar.subarray(0, length), 64))],
      ] as Array<[string, () => AsyncIterable<Uint8Array>]>) {
        if (ok) {
          const ctx = await BuildContext.receive(input(), tmp);
          assert.deepEqual(await ctx.readFile('data'), body, `${what} (${path_})`);
          await ctx.dispose();
        } else {
          await assert.rejects(BuildContext.receive(input(), tmp), (err: Error) => {
            assert.match(err.message, /^Error processing tar file: archive\/tar: unexpected EOF$/, `${what} (${path_})`);
            return true;
          });
        }
      }
    }
    assert.deepEqual(readdirSync(tmp), []);
  });
});

test('context: a broken header, a client that goes away, a stream error: errors, nothing left behind', async () => {
  const tar = await archive([file('Dockerfile', 'FROM busybox\n'), file('data', bytes(3000, 6))]);
  await withTmp(async (tmp) => {
    const badChecksum = Buffer.from(tar);
    badChecksum[1024 + 10]! ^= 0x01; // a byte of the second header's name
    await assert.rejects(BuildContext.receive(Readable.from([badChecksum]), tmp), (err: Error) => {
      assert.equal(err.message, 'Error processing tar file: archive/tar: invalid header (checksum mismatch)');
      return true;
    });
    // A client closing the connection in the middle: the stream closes without 'end'.
    const gone = new Readable({ read() {} });
    gone.push(tar.subarray(0, 2000));
    setTimeout(() => gone.destroy(), 5);
    await assert.rejects(BuildContext.receive(gone, tmp, { memoryBudget: 0 }), (err: Error) => {
      assert.equal(err.message, 'Error processing tar file: archive/tar: unexpected EOF');
      return true;
    });
    const failing = new Readable({ read() {} });
    failing.push(tar.subarray(0, 2000));
    setTimeout(() => failing.destroy(new Error('aborted')), 5);
    await assert.rejects(BuildContext.receive(failing, tmp, { memoryBudget: 0 }), (err: Error) => {
      assert.equal(err.message, 'Error processing tar file: aborted');
      return true;
    });
    // Spilled bodies of a failed receive are removed with it.
    assert.deepEqual(readdirSync(tmp), []);
  });
});

test('context: past the memory budget, bodies spill to a temporary directory (hashed the same, read back, removed by dispose)', async () => {
  const a = bytes(600, 7);
  const b = bytes(5000, 8);
  const tar = await archive([file('Dockerfile', 'FROM busybox\n'), file('a', a), file('b', b), file('c', 'small')]);
  await withTmp(async (tmp) => {
    for (const input of [() => Readable.from(chunked(tar, 100)), () => iterable(chunked(tar, 333)), () => Readable.from([tar])]) {
      const ctx = await BuildContext.receive(input(), tmp, { memoryBudget: 700 });
      const node = (rel: string): SourceNode => ctx.get(rel)!;
      // Dockerfile (13 bytes) and a (600) fit in 700; b does not; c (5) still does.
      assert.equal(node('a').hostPath, undefined);
      assert.ok(node('b').hostPath?.startsWith(tmp), 'b spilled');
      assert.equal(node('c').hostPath, undefined);
      assert.equal(node('b').contentHash, createHash('sha256').update(b).digest('hex'));
      assert.deepEqual(await ctx.readFile('b'), b);
      assert.deepEqual(await ctx.readFile('a'), a);
      const spilled = node('b').hostPath!;
      await ctx.dispose();
      assert.equal(existsSync(spilled), false);
    }
    assert.deepEqual(readdirSync(tmp), []);
  });
});

/** Rewrites a header block's checksum (unsigned, as writers do today, or signed, as some old ones did). */
function setChecksum(block: Buffer, signed = false): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += signed && byte > 127 ? byte - 256 : byte;
  block.write(`${(sum >>> 0 & 0o777777).toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

test('context: headers the fast decoder leaves to the full one (base-256 numbers, a signed checksum, GNU long names, a v7 directory)', async () => {
  const blocks: Buffer[] = [];
  const member = (name: string, body: Buffer, edit: (header: Buffer) => void, signed = false): void => {
    const header = Buffer.from(encodeHeader(file(name, body).header));
    assert.equal(header.length, 512);
    edit(header);
    setChecksum(header, signed);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  };
  // uid 3 in GNU base-256: 0x80 then the big-endian value.
  member('base256', Buffer.from('b'), (h) => {
    h.fill(0, 108, 116);
    h[108] = 0x80;
    h[115] = 3;
  });
  // A name with bytes past 127, summed as signed chars.
  member('cafe', Buffer.from('c'), (h) => h.write('caf\u00e9\0', 0, 'utf8'), true);
  // GNU long name: an 'L' record, then the entry.
  const longName = 'gnu/' + 'n'.repeat(150);
  const record = Buffer.from(longName + '\0');
  member('././@LongLink', record, (h) => {
    h[156] = 'L'.charCodeAt(0);
    h.write('0'.repeat(11 - record.length.toString(8).length) + record.length.toString(8) + '\0', 124, 'latin1');
  });
  blocks.pop(); // the record's padding comes from the block below
  blocks.push(Buffer.alloc((512 - (record.length % 512)) % 512));
  member('placeholder', Buffer.from('long'), () => undefined);
  // A v7 directory: type '0' (or NUL) with a trailing slash.
  member('v7dir/', Buffer.alloc(0), (h) => {
    h[156] = 0;
  });
  blocks.push(Buffer.alloc(1024));
  const tar = Buffer.concat(blocks);
  await withTmp(async (tmp) => {
    for (const input of [() => Readable.from([tar]), () => Readable.from(chunked(tar, 5))]) {
      const ctx = await BuildContext.receive(input(), tmp);
      assert.equal(ctx.get('base256')?.uid, 3);
      assert.equal((await ctx.readFile('caf\u00e9'))?.toString(), 'c');
      assert.equal((await ctx.readFile(longName))?.toString(), 'long');
      assert.equal(ctx.get('placeholder'), undefined);
      assert.equal(ctx.get('v7dir')?.type, 'directory');
      await ctx.dispose();
    }
  });
});
