// The tar codec: headers round-trip through our writer and reader, and our
// reader understands what tar-stream and GNU tar write (PAX, GNU long names,
// base-256 numbers), including the binary xattr values tar-stream mangles.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { lsetxattr } from '../../../src/common/syscalls.js';
import { BLOCK_SIZE, decodeHeaderBlock, emptyHeader, encodeHeader, parseNumeric, parsePaxRecords } from '../../../src/storage/tar/header.js';
import type { TarHeader } from '../../../src/storage/tar/header.js';
import { TarReader } from '../../../src/storage/tar/reader.js';
import { tarBytes } from '../../../src/storage/tar/writer.js';
import type { TarMember } from '../../../src/storage/tar/writer.js';
import { bytesOf, collect, makeTar, tempDir } from './fixtures.js';

interface ReadEntry {
  header: TarHeader;
  body: Buffer;
}

async function readAll(tar: Buffer, onMeta?: (b: Buffer) => void): Promise<ReadEntry[]> {
  const reader = new TarReader(bytesOf(tar), { onMeta });
  const out: ReadEntry[] = [];
  for (let h = await reader.next(); h; h = await reader.next()) {
    out.push({ header: h, body: Buffer.concat(await reader.readBody()) });
  }
  return out;
}

async function writeAll(members: TarMember[]): Promise<Buffer> {
  return collect(tarBytes(members));
}

function header(name: string, type: TarHeader['type'], fields: Partial<TarHeader> = {}): TarHeader {
  return { ...emptyHeader(name, type), mtime: 1_700_000_000, ...fields };
}

test('headers round-trip through our writer and reader', async () => {
  const capability = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0x20, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
  const cases: TarMember[] = [
    { header: header('plain.txt', 'file', { size: 5, mode: 0o644 }), body: Buffer.from('hello') },
    { header: header('dir', 'directory', { mode: 0o1777 }) },
    { header: header('setuid', 'file', { mode: 0o4755, uid: 0, gid: 0 }) },
    // a name that fits ustar's prefix/name split
    { header: header(`${'p'.repeat(120)}/${'n'.repeat(90)}`, 'file') },
    // one that does not: PAX path
    { header: header(`${'x'.repeat(300)}`, 'file') },
    { header: header('ünïcødé/файл', 'file') },
    { header: header('big-ids', 'file', { uid: 3_000_000, gid: 4_000_000 }) },
    { header: header('frac-time', 'file', { mtime: 1_700_000_000.25 }) },
    { header: header('link-long', 'symlink', { linkname: `../${'t'.repeat(200)}` }) },
    { header: header('hard', 'hardlink', { linkname: 'plain.txt' }) },
    { header: header('dev/null', 'char', { devmajor: 1, devminor: 3, mode: 0o666 }) },
    { header: header('dev/sda', 'block', { devmajor: 8, devminor: 0, mode: 0o660 }) },
    { header: header('pipe', 'fifo', { mode: 0o600 }) },
    {
      header: header('bin/ping', 'file', {
        mode: 0o755,
        xattrs: new Map([
          ['security.capability', capability],
          ['user.note', Buffer.from('text=with=equals\nand newline')],
        ]),
      }),
    },
    { header: header('names', 'file', { uname: 'alice', gname: 'staff' }) },
  ];
  const tar = await writeAll(cases);
  assert.equal(tar.length % BLOCK_SIZE, 0);
  const read = await readAll(tar);
  assert.equal(read.length, cases.length);
  for (const [i, member] of cases.entries()) {
    const expected = member.header;
    const got = read[i]!.header;
    assert.equal(got.name, expected.type === 'directory' ? `${expected.name}/` : expected.name, `name of #${i}`);
    for (const key of ['type', 'mode', 'uid', 'gid', 'mtime', 'linkname', 'devmajor', 'devminor', 'uname', 'gname'] as const) {
      assert.deepEqual(got[key], expected[key], `${key} of ${expected.name}`);
    }
    assert.equal(got.size, expected.type === 'file' ? expected.size : 0);
    assert.deepEqual([...got.xattrs.entries()], [...expected.xattrs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    assert.deepEqual(read[i]!.body, member.body instanceof Uint8Array ? Buffer.from(member.body) : Buffer.alloc(0));
  }
});

test('every byte that is not file data reaches onMeta, in order', async () => {
  const tar = await writeAll([
    { header: header('a', 'file', { size: 3 }), body: Buffer.from('abc') },
    { header: header(`${'y'.repeat(200)}`, 'file', { size: 600 }), body: Buffer.alloc(600, 7) },
    { header: header('d', 'directory') },
  ]);
  const withTrailer = Buffer.concat([tar, Buffer.alloc(10 * BLOCK_SIZE)]);
  const parts: Buffer[] = [];
  const reader = new TarReader(bytesOf(withTrailer, 100), { onMeta: (b) => parts.push(Buffer.from(b)) });
  for (let h = await reader.next(); h; h = await reader.next()) {
    for await (const chunk of reader.body()) parts.push(Buffer.from(chunk));
  }
  assert.deepEqual(Buffer.concat(parts), withTrailer);
});

test('reads what tar-stream writes, long names and PAX records included', async () => {
  const tar = await makeTar([
    { name: 'dir', type: 'directory', mode: 0o755 },
    { name: `dir/${'long'.repeat(60)}`, content: 'x', mode: 0o640, uid: 1000, gid: 1000 },
    { name: 'dir/link', type: 'symlink', linkname: `/${'target'.repeat(30)}` },
    { name: 'dir/xattr', content: '', pax: { 'SCHILY.xattr.user.k': 'v' } },
    { name: 'dev/tty', type: 'character-device', devmajor: 5, devminor: 0, mode: 0o666 },
  ]);
  const read = await readAll(tar);
  assert.deepEqual(
    read.map((e) => [e.header.name, e.header.type]),
    [
      // tar-stream writes no trailing slash on directory names
      ['dir', 'directory'],
      [`dir/${'long'.repeat(60)}`, 'file'],
      ['dir/link', 'symlink'],
      ['dir/xattr', 'file'],
      ['dev/tty', 'char'],
    ],
  );
  assert.equal(read[1]!.header.uid, 1000);
  assert.equal(read[1]!.header.mode, 0o640);
  assert.equal(read[2]!.header.linkname, `/${'target'.repeat(30)}`);
  assert.deepEqual(read[3]!.header.xattrs.get('user.k'), Buffer.from('v'));
  assert.equal(read[4]!.header.devmajor, 5);
});

test("reads GNU tar's gnu and posix formats, with binary xattrs", async (t) => {
  const dir = await tempDir(t);
  const src = `${dir}/src`;
  const deep = `${src}/${'d'.repeat(90)}/${'e'.repeat(90)}`;
  await mkdir(deep, { recursive: true });
  await writeFile(`${deep}/${'f'.repeat(120)}`, 'deep');
  await symlink('x'.repeat(150), `${src}/longlink`);
  const binary = Buffer.from([0x00, 0x80, 0xff, 0x0a, 0x3d]);
  await writeFile(`${src}/attr`, '');
  lsetxattr(`${src}/attr`, 'user.bin', binary);
  for (const format of ['gnu', 'posix']) {
    const xattrFlags = format === 'posix' ? ['--xattrs', '--xattrs-include=*'] : [];
    const tar = execFileSync('tar', [...xattrFlags, `--format=${format}`, '-C', src, '-cf', '-', '.'], {
      maxBuffer: 1 << 26,
    });
    const read = await readAll(tar);
    const names = read.map((e) => e.header.name);
    assert.ok(names.includes(`./${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(120)}`), `${format}: ${names.join(', ')}`);
    const link = read.find((e) => e.header.name === './longlink');
    assert.equal(link?.header.linkname, 'x'.repeat(150), format);
    if (format === 'posix') {
      const attr = read.find((e) => e.header.name === './attr');
      assert.deepEqual(attr?.header.xattrs.get('user.bin'), binary);
    }
  }
});

test('numeric fields: octal with padding, and base-256', () => {
  const block = Buffer.alloc(16);
  block.write(' 0000755\0', 0, 'latin1');
  assert.equal(parseNumeric(block, 0, 8), 0o755);
  block.fill(0);
  block[0] = 0x80;
  block.writeUInt32BE(5_000_000, 4);
  assert.equal(parseNumeric(block, 0, 8), 5_000_000);
  block.fill(0xff, 0, 8); // -1 in base-256
  assert.equal(parseNumeric(block, 0, 8), -1);
});

test('PAX records: lengths count themselves, values are raw bytes', () => {
  const records = parsePaxRecords(Buffer.from('8 a=bcd\n13 path=ü/x\n'));
  assert.deepEqual(records.get('a'), Buffer.from('bcd'));
  assert.equal(records.get('path')?.toString('utf8'), 'ü/x');
  assert.throws(() => parsePaxRecords(Buffer.from('99 a=b\n')), /invalid PAX record/);
});

test('corrupt and truncated archives are errors', async () => {
  const tar = await writeAll([{ header: header('a', 'file', { size: 1000 }), body: Buffer.alloc(1000, 1) }]);
  const corrupt = Buffer.from(tar);
  corrupt[10] = 0x41;
  await assert.rejects(readAll(corrupt), /checksum/);
  await assert.rejects(readAll(tar.subarray(0, 800)), /unexpected EOF/);
  const block = encodeHeader(header('a', 'file'));
  assert.equal(decodeHeaderBlock(block.subarray(0, 512))?.name, 'a');
});

test('members without a terminator but ending on a block boundary are accepted (as Go does)', async () => {
  const tar = await writeAll([{ header: header('a', 'file', { size: 2 }), body: Buffer.from('hi') }]);
  const read = await readAll(tar.subarray(0, 1024));
  assert.equal(read.length, 1);
  assert.equal(read[0]!.body.toString(), 'hi');
});
