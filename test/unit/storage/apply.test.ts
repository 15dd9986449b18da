// Unpacking layer tars: every entry type, diff IDs, whiteouts in both modes,
// round trips back to tars, and hostile archives (each asserting that nothing
// was written outside the layer root). Runs as root (mknod, chown).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { lstat, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { applyLayer, settleDeferred } from '../../../src/storage/apply.js';
import type { ApplyOptions, ApplyResult } from '../../../src/storage/apply.js';
import { changesMembers, naiveChanges, overlayDiffMembers } from '../../../src/storage/diff.js';
import { emptyHeader } from '../../../src/storage/tar/header.js';
import type { TarHeader } from '../../../src/storage/tar/header.js';
import { TarReader } from '../../../src/storage/tar/reader.js';
import { tarBytes } from '../../../src/storage/tar/writer.js';
import type { TarMember } from '../../../src/storage/tar/writer.js';
import { lgetxattr, splitDev } from '../../../src/common/syscalls.js';
import { bytesOf, collect, makeTar, sha256, snapshot, tempDir } from './fixtures.js';
import type { FixtureEntry } from './fixtures.js';

const MTIME = new Date(1_600_000_000_000);

async function apply(tar: Buffer, root: string, options: Partial<ApplyOptions> = {}): Promise<ApplyResult> {
  return applyLayer(bytesOf(tar), root, { whiteouts: 'overlay', emptyRoot: true, ...options });
}

async function tarNames(tar: Buffer): Promise<string[]> {
  const reader = new TarReader(bytesOf(tar));
  const names: string[] = [];
  for (let h = await reader.next(); h; h = await reader.next()) names.push(`${h.type}:${h.name}`);
  return names;
}

const ALL_TYPES: FixtureEntry[] = [
  { name: 'etc', type: 'directory', mode: 0o755, mtime: MTIME },
  { name: 'etc/conf', content: 'key=value\n', mode: 0o640, uid: 12, gid: 34, mtime: MTIME },
  { name: 'bin', type: 'directory', mode: 0o755, mtime: MTIME },
  { name: 'bin/su', content: 'ELF', mode: 0o4755, mtime: MTIME },
  { name: 'bin/wall', content: 'ELF2', mode: 0o2755, gid: 5, mtime: MTIME },
  { name: 'bin/sh', type: 'symlink', linkname: 'busybox', mtime: MTIME },
  { name: 'bin/busybox', content: 'BB', mode: 0o755, mtime: MTIME },
  { name: 'bin/ash', type: 'link', linkname: 'bin/busybox', mtime: MTIME },
  { name: 'tmp', type: 'directory', mode: 0o1777, mtime: MTIME },
  { name: 'dev', type: 'directory', mode: 0o755, mtime: MTIME },
  { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666, mtime: MTIME },
  { name: 'dev/loop0', type: 'block-device', devmajor: 7, devminor: 0, mode: 0o660, gid: 6, mtime: MTIME },
  { name: 'dev/pipe', type: 'fifo', mode: 0o620, mtime: MTIME },
  { name: 'owned', type: 'directory', mode: 0o700, uid: 1000, gid: 1000, mtime: MTIME },
  { name: 'owned/link', type: 'symlink', linkname: '/etc/conf', uid: 1000, gid: 1000, mtime: MTIME },
  { name: `owned/${'long-name-'.repeat(20)}/${'x'.repeat(150)}`, type: 'file', content: 'long', mtime: MTIME },
  { name: 'xattr', content: 'x', mtime: MTIME, pax: { 'SCHILY.xattr.user.comment': 'hello', 'SCHILY.xattr.trusted.mine': 'yes' } },
  { name: 'empty', content: '', mtime: MTIME },
];

test('every entry type unpacks with its metadata', async (t) => {
  const root = await tempDir(t);
  const tar = await makeTar(ALL_TYPES);
  const result = await apply(tar, root);
  assert.equal(result.diffId, sha256(tar));
  assert.equal(result.tarSize, tar.length);
  assert.equal(result.size, 'key=value\n'.length + 3 + 4 + 2 + 4 + 1);
  const snap = await snapshot(root, { withDirTimes: true });
  const secs = MTIME.getTime() / 1000;
  assert.deepEqual(snap['etc/conf'], { type: 'file', mode: '640', uid: 12, gid: 34, mtime: secs, content: sha256(Buffer.from('key=value\n')).slice(7, 23) });
  assert.equal(snap['bin/su']?.mode, '4755');
  assert.equal(snap['bin/wall']?.mode, '2755');
  assert.equal(snap['bin/wall']?.gid, 5);
  assert.equal(snap['tmp']?.mode, '1777');
  assert.equal(snap['tmp']?.mtime, secs, 'directory mtimes are set after their contents');
  assert.equal(snap['owned']?.mtime, secs);
  assert.deepEqual(snap['bin/sh'], { type: 'symlink', mode: '777', uid: 0, gid: 0, mtime: secs, link: 'busybox' });
  assert.equal(snap['bin/ash']?.nlink, 2);
  assert.equal(snap['bin/busybox']?.nlink, 2);
  assert.deepEqual(snap['dev/null'], { type: 'char', mode: '666', uid: 0, gid: 0, mtime: secs, dev: '1:3' });
  assert.deepEqual(snap['dev/loop0'], { type: 'block', mode: '660', uid: 0, gid: 6, mtime: secs, dev: '7:0' });
  assert.equal(snap['dev/pipe']?.type, 'fifo');
  assert.equal(snap['dev/pipe']?.mode, '620');
  assert.deepEqual(snap['owned'], { type: 'dir', mode: '700', uid: 1000, gid: 1000, mtime: secs });
  assert.equal(snap['owned/link']?.uid, 1000);
  assert.equal(snap[`owned/${'long-name-'.repeat(20)}/${'x'.repeat(150)}`]?.type, 'file');
  assert.deepEqual(snap['xattr']?.xattrs, { 'trusted.mine': Buffer.from('yes').toString('hex'), 'user.comment': Buffer.from('hello').toString('hex') });
});

test('binary xattr values (file capabilities) survive unpacking and archiving', async (t) => {
  const root = await tempDir(t);
  // VFS_CAP_REVISION_2 with CAP_SETUID (bit 7: a 0x80 byte) and CAP_NET_RAW permitted.
  const capability = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const header: TarHeader = { ...emptyHeader('ping', 'file'), mode: 0o755, size: 2, xattrs: new Map([['security.capability', capability]]) };
  const tar = await collect(tarBytes([{ header, body: Buffer.from('hi') }]));
  await apply(tar, root);
  assert.deepEqual(lgetxattr(`${root}/ping`, 'security.capability'), capability);
  const again = await collect(tarBytes(overlayDiffMembers(root)));
  const reader = new TarReader(bytesOf(again));
  const h = await reader.next();
  assert.deepEqual(h?.xattrs.get('security.capability'), capability);
});

test('diff ID is the digest of the uncompressed tar, whatever the compression', async (t) => {
  const tar = await makeTar(ALL_TYPES.slice(0, 4));
  // Trailing bytes after the end-of-archive blocks count too.
  const padded = Buffer.concat([tar, Buffer.alloc(4096)]);
  for (const [label, input] of [
    ['plain', padded],
    ['gzip', gzipSync(padded)],
    ['zstd', zstdCompressSync(padded)],
  ] as const) {
    const root = await tempDir(t);
    const result = await apply(Buffer.from(input), root);
    assert.equal(result.diffId, sha256(padded), label);
    assert.equal(result.compression, label === 'plain' ? 'none' : label);
    assert.equal(await readFile(`${root}/etc/conf`, 'utf8'), 'key=value\n');
  }
});

test('round trip: unpack, archive the directory, unpack again: same tree', async (t) => {
  const first = await tempDir(t);
  const second = await tempDir(t);
  await apply(await makeTar(ALL_TYPES), first);
  const regenerated = await collect(tarBytes(overlayDiffMembers(first)));
  const names = await tarNames(regenerated);
  assert.ok(names.includes('hardlink:bin/busybox') || names.includes('hardlink:bin/ash'), names.join(' '));
  await apply(regenerated, second);
  assert.deepEqual(await snapshot(second, { withDirTimes: true, withoutCreationTimes: true }), await snapshot(first, { withDirTimes: true, withoutCreationTimes: true }));
});

test('overlay whiteouts: .wh. files become 0/0 devices, opaque markers an xattr, and back', async (t) => {
  const root = await tempDir(t);
  const tar = await makeTar([
    { name: 'a', type: 'directory', mode: 0o755 },
    { name: 'a/.wh.gone', content: '' },
    { name: 'a/kept', content: 'k' },
    { name: 'b', type: 'directory', mode: 0o755 },
    { name: 'b/new', content: 'n' },
    { name: 'b/.wh..wh..opq', content: '' },
    { name: '.wh.top', content: '' },
    { name: 'c/.wh..wh.plnk', content: '' }, // aufs bookkeeping: ignored
  ]);
  await apply(tar, root);
  const gone = await lstat(`${root}/a/gone`);
  assert.ok(gone.isCharacterDevice());
  assert.deepEqual(splitDev(gone.rdev), { major: 0, minor: 0 });
  assert.ok((await lstat(`${root}/top`)).isCharacterDevice());
  assert.deepEqual(lgetxattr(`${root}/b`, 'trusted.overlay.opaque'), Buffer.from('y'));
  assert.equal(lgetxattr(`${root}/a`, 'trusted.overlay.opaque'), null);
  assert.deepEqual((await readdir(`${root}/b`)).sort(), ['new']);
  await assert.rejects(lstat(`${root}/c`), { code: 'ENOENT' });

  const back = await tarNames(await collect(tarBytes(overlayDiffMembers(root))));
  assert.ok(back.includes('file:a/.wh.gone'), back.join(' '));
  assert.ok(back.includes('file:.wh.top'), back.join(' '));
  assert.ok(back.includes('file:b/.wh..wh..opq'), back.join(' '));
  assert.ok(!back.some((n) => n.includes('trusted.overlay')));
  assert.ok(!back.includes('char:a/gone'));
});

test('overlay whiteouts are made only for names a lower layer has', async (t) => {
  const lower = await tempDir(t);
  const upper = await tempDir(t);
  await apply(await makeTar([{ name: 'a/present', content: 'p' }, { name: 'a/gone', content: 'g' }]), lower);
  await apply(await makeTar([{ name: 'a/.wh.gone', content: '' }, { name: 'a/.wh.never-was', content: '' }]), upper, { lowerDirs: [lower] });
  assert.deepEqual((await readdir(`${upper}/a`)).sort(), ['gone']);
  const base = await tempDir(t);
  await apply(await makeTar([{ name: '.wh.nothing', content: '' }]), base, { lowerDirs: [] });
  assert.deepEqual(await readdir(base), []);
});

test('overlay: parents a tar does not list copy the lower directory, so the merged view keeps its attributes', async (t) => {
  const lower = await tempDir(t);
  const upper = await tempDir(t);
  await apply(await makeTar([{ name: 'home/user', type: 'directory', mode: 0o2750, uid: 1000, gid: 1000, mtime: MTIME }]), lower);
  await apply(await makeTar([{ name: 'home/user/.profile', content: 'p' }, { name: 'new/dir/file', content: 'n' }]), upper, { lowerDirs: [lower] });
  const snap = await snapshot(upper, { withDirTimes: true });
  assert.deepEqual(snap['home/user'], { type: 'dir', mode: '2750', uid: 1000, gid: 1000, mtime: MTIME.getTime() / 1000 });
  assert.equal(snap['home/user/.profile']?.gid, 0, "the member's own group, not the setgid parent's");
  assert.equal(snap['new/dir']?.mode, '755');
});

test('overlay, lower layers not known yet (deferLowerChecks): settleDeferred() ends as the sequential unpack does', async (t) => {
  const lower = await tempDir(t);
  await apply(
    await makeTar([
      { name: 'a/present', content: 'p' },
      { name: 'a/gone', content: 'g' },
      { name: 'home/user', type: 'directory', mode: 0o2750, uid: 1000, gid: 1000, mtime: MTIME },
      { name: 'listed', type: 'directory', mode: 0o700, uid: 7, gid: 7, mtime: MTIME },
    ]),
    lower,
  );
  const upperTar = await makeTar([
    { name: 'a', type: 'directory', mode: 0o755, mtime: MTIME },
    { name: 'a/.wh.gone', content: '' },
    { name: 'a/.wh.never-was', content: '' },
    { name: 'home/user/.profile', content: 'p' },
    { name: 'new/dir/file', content: 'n' },
    { name: 'listed/file', content: 'l' },
    // listed after its child: the tar's attributes, not the lower layer's
    { name: 'listed', type: 'directory', mode: 0o750, mtime: MTIME },
    // a whiteout replaced by a file of the same layer stays that file
    { name: '.wh.replaced', content: '' },
    { name: 'replaced', content: 'r' },
  ]);
  const sequential = await tempDir(t);
  const seq = await apply(upperTar, sequential, { lowerDirs: [lower] });
  const deferredRoot = await tempDir(t);
  const result = await apply(upperTar, deferredRoot, { deferLowerChecks: true });
  assert.equal(result.diffId, seq.diffId);
  assert.ok(result.deferred);
  assert.deepEqual(result.deferred.whiteouts.sort(), ['a/gone', 'a/never-was']);
  assert.deepEqual(result.deferred.impliedDirs.sort(), ['home', 'home/user', 'new', 'new/dir']);
  // Before settling: every whiteout made, implied parents plain.
  assert.deepEqual((await readdir(`${deferredRoot}/a`)).sort(), ['gone', 'never-was']);
  await settleDeferred(deferredRoot, [lower], result.deferred);
  assert.deepEqual(
    await snapshot(deferredRoot, { withDirTimes: true, withoutCreationTimes: true }),
    await snapshot(sequential, { withDirTimes: true, withoutCreationTimes: true }),
  );
  assert.deepEqual((await readdir(`${deferredRoot}/a`)).sort(), ['gone']);
  const snap = await snapshot(deferredRoot, { withDirTimes: true });
  assert.deepEqual(snap['home/user'], { type: 'dir', mode: '2750', uid: 1000, gid: 1000, mtime: MTIME.getTime() / 1000 });
  assert.equal(snap['a']?.mtime, MTIME.getTime() / 1000, 'removing a whiteout keeps its directory time');
  assert.equal(snap['listed']?.mode, '750');
  // Without lower layers, every whiteout goes.
  const base = await tempDir(t);
  const alone = await apply(await makeTar([{ name: '.wh.nothing', content: '' }]), base, { deferLowerChecks: true });
  await settleDeferred(base, [], alone.deferred!);
  assert.deepEqual(await readdir(base), []);
});

test('vfs whiteouts remove lower resources, including the spec example with a late opaque marker', async (t) => {
  const root = await tempDir(t);
  // Base layer (layer.md "Whiteouts" and "Opaque Whiteout" examples).
  await apply(
    await makeTar([
      { name: 'file1', content: '1' },
      { name: 'a/file2', content: '2' },
      { name: 'b', type: 'directory' },
      { name: 'c/file3', content: '3' },
      { name: 'x/b/c/bar', content: 'bar' },
      { name: 'x/keep-sibling', content: 's' },
    ]),
    root,
    { whiteouts: 'remove' },
  );
  await apply(
    await makeTar([
      { name: '.wh.file1', content: '' },
      { name: 'a/.wh.file2', content: '' },
      { name: '.wh.b', content: '' },
      { name: 'file4', content: '4' },
      // a/b deleted and recreated with a/b/c/foo; the opaque marker comes last
      { name: 'x', type: 'directory' },
      { name: 'x/b', type: 'directory' },
      { name: 'x/b/c', type: 'directory' },
      { name: 'x/b/c/foo', content: 'foo' },
      { name: 'x/.wh..wh..opq', content: '' },
      // a whiteout for a file this same layer wrote does not apply to it
      { name: 'same', content: 'mine' },
      { name: '.wh.same', content: '' },
    ]),
    root,
    { whiteouts: 'remove', emptyRoot: false },
  );
  assert.deepEqual(Object.keys(await snapshot(root)).sort(), ['a', 'c', 'c/file3', 'file4', 'same', 'x', 'x/b', 'x/b/c', 'x/b/c/foo']);
});

test('vfs: a member replacing a lower file does not write through its other hard links', async (t) => {
  const root = await tempDir(t);
  await apply(await makeTar([{ name: 'f', content: 'old' }, { name: 'g', type: 'link', linkname: 'f' }]), root, { whiteouts: 'remove' });
  await apply(await makeTar([{ name: 'f', content: 'new' }]), root, { whiteouts: 'remove', emptyRoot: false });
  assert.equal(await readFile(`${root}/f`, 'utf8'), 'new');
  assert.equal(await readFile(`${root}/g`, 'utf8'), 'old');
});

test('members of another type replace what is there; directories merge', async (t) => {
  const root = await tempDir(t);
  await apply(
    await makeTar([
      { name: 'd', type: 'directory', mode: 0o700 },
      { name: 'd/f', content: 'f' },
      { name: 'd', type: 'directory', mode: 0o755 },
      { name: 's', type: 'symlink', linkname: 'd' },
      { name: 's', content: 'now a file' },
      { name: 'e/inner', content: 'i' },
      { name: 'e', content: 'file replaces dir' },
    ]),
    root,
  );
  const snap = await snapshot(root);
  assert.equal(snap['d']?.mode, '755');
  assert.equal(snap['d/f']?.type, 'file');
  assert.equal(snap['s']?.type, 'file');
  assert.equal(snap['e']?.type, 'file');
  assert.equal(snap['e/inner'], undefined);
});

test('naive changes and their tar (vfs): added, changed and deleted paths', async (t) => {
  const lower = await tempDir(t);
  const upper = await tempDir(t);
  await apply(await makeTar([{ name: 'keep', content: 'k' }, { name: 'mod', content: 'old' }, { name: 'del/x', content: 'x' }, { name: 'dir/y', content: 'y' }]), lower, { whiteouts: 'remove' });
  execFileSync('cp', ['-a', `${lower}/.`, upper]);
  await writeFile(`${upper}/mod`, 'newer');
  await execFileSync('rm', ['-rf', `${upper}/del`]);
  await writeFile(`${upper}/dir/z`, 'z');
  const changes = await naiveChanges(upper, lower);
  assert.deepEqual(changes, [
    { path: '/del', kind: 'D' },
    { path: '/dir', kind: 'C' },
    { path: '/dir/z', kind: 'A' },
    { path: '/mod', kind: 'C' },
  ]);
  const tar = await collect(tarBytes(changesMembers(upper, changes)));
  assert.deepEqual(await tarNames(tar), ['file:.wh.del', 'directory:dir/', 'file:dir/z', 'file:mod']);
  // Applying that diff on a copy of the lower gives the upper.
  const replay = await tempDir(t);
  execFileSync('cp', ['-a', `${lower}/.`, replay]);
  await apply(tar, replay, { whiteouts: 'remove', emptyRoot: false });
  assert.deepEqual(Object.keys(await snapshot(replay)).sort(), Object.keys(await snapshot(upper)).sort());
  assert.equal(await readFile(`${replay}/mod`, 'utf8'), 'newer');
});

// ---- hostile archives ----

interface Jail {
  /** The layer root. */
  root: string;
  /** A directory beside it with a file that must stay untouched. */
  outside: string;
  check: () => Promise<void>;
}

async function jail(t: Parameters<typeof tempDir>[0]): Promise<Jail> {
  const base = await tempDir(t);
  const root = `${base}/root`;
  const outside = `${base}/outside`;
  await mkdir(root);
  await mkdir(outside, { mode: 0o755 });
  await writeFile(`${outside}/secret`, 'secret', { mode: 0o600 });
  const before = await snapshot(base, { withDirTimes: true });
  return {
    root,
    outside,
    check: async () => {
      const after = await snapshot(base, { withDirTimes: true });
      // Only the layer root may have changed.
      const outsideRoot = (snap: Record<string, unknown>): Record<string, unknown> =>
        Object.fromEntries(Object.entries(snap).filter(([k]) => k !== 'root' && !k.startsWith('root/')));
      assert.deepEqual(outsideRoot(after), outsideRoot(before), 'something outside the layer root changed');
      assert.equal(await readFile(`${outside}/secret`, 'utf8'), 'secret');
    },
  };
}

const HOSTILE: Array<{ name: string; mode: ApplyOptions['whiteouts']; entries: (j: Jail) => FixtureEntry[]; rejects?: RegExp; inside?: string[] }> = [
  { name: 'relative ../ member', mode: 'overlay', entries: () => [{ name: '../outside/evil', content: 'x' }], rejects: /outside of the layer root/ },
  { name: 'deep ../ member', mode: 'overlay', entries: () => [{ name: 'a/../../outside/secret', content: 'x' }], rejects: /outside of the layer root/ },
  { name: 'absolute member (rooted in the layer)', mode: 'overlay', entries: (j) => [{ name: `${j.outside}/secret`, content: 'x' }], inside: ['var'] },
  { name: 'symlinked parent to / then a file under it', mode: 'overlay', entries: () => [{ name: 'up', type: 'symlink', linkname: '/' }, { name: 'up/evil', content: 'x' }], inside: ['evil', 'up'] },
  { name: 'symlinked parent to ../.. then a file under it', mode: 'overlay', entries: () => [{ name: 'up', type: 'symlink', linkname: '../../..' }, { name: 'up/outside/secret', content: 'x' }], inside: ['outside', 'up'] },
  { name: 'symlinked parent to the absolute outside dir', mode: 'remove', entries: (j) => [{ name: 'out', type: 'symlink', linkname: j.outside }, { name: 'out/secret', content: 'x' }, { name: 'out/new', content: 'x' }], inside: ['out', 'var'] },
  { name: 'symlink chain through two links', mode: 'overlay', entries: (j) => [{ name: 'a', type: 'symlink', linkname: 'b' }, { name: 'b', type: 'symlink', linkname: `${j.outside}/..` }, { name: 'a/outside/secret', content: 'x' }], inside: ['a', 'b', 'var'] },
  { name: 'a file over a symlink pointing outside replaces the link', mode: 'overlay', entries: (j) => [{ name: 'l', type: 'symlink', linkname: `${j.outside}/secret` }, { name: 'l', content: 'x' }], inside: ['l'] },
  { name: 'a directory over a symlink pointing outside replaces the link', mode: 'remove', entries: (j) => [{ name: 'l', type: 'symlink', linkname: j.outside }, { name: 'l', type: 'directory', mode: 0o777 }], inside: ['l'] },
  { name: 'hard link to ../', mode: 'overlay', entries: () => [{ name: 'h', type: 'link', linkname: '../outside/secret' }], rejects: /outside of the layer root/ },
  { name: 'hard link to an absolute outside path', mode: 'overlay', entries: (j) => [{ name: 'h', type: 'link', linkname: `${j.outside}/secret` }], rejects: /does not exist in the layer/ },
  { name: 'hard link through a symlinked parent', mode: 'overlay', entries: (j) => [{ name: 'out', type: 'symlink', linkname: j.outside }, { name: 'h', type: 'link', linkname: 'out/secret' }], rejects: /does not exist in the layer/ },
  { name: 'hard link to a symlink pointing outside links the symlink itself', mode: 'overlay', entries: (j) => [{ name: 's', type: 'symlink', linkname: `${j.outside}/secret` }, { name: 'h', type: 'link', linkname: 's' }], inside: ['h', 's'] },
  { name: 'whiteout through a symlinked parent (vfs)', mode: 'remove', entries: (j) => [{ name: 'out', type: 'symlink', linkname: j.outside }, { name: 'out/.wh.secret', content: '' }], inside: ['out', 'var'] },
  { name: 'opaque marker through a symlinked parent (vfs)', mode: 'remove', entries: (j) => [{ name: 'out', type: 'symlink', linkname: j.outside }, { name: 'out/.wh..wh..opq', content: '' }], inside: ['out', 'var'] },
  { name: 'whiteout through a symlinked parent (overlay)', mode: 'overlay', entries: () => [{ name: 'up', type: 'symlink', linkname: '../..' }, { name: 'up/outside/.wh.secret', content: '' }], inside: ['outside', 'up'] },
  { name: 'whiteout naming ..', mode: 'remove', entries: () => [{ name: 'a/.wh...', content: '' }], rejects: /invalid whiteout/ },
  { name: 'empty whiteout name', mode: 'remove', entries: () => [{ name: 'a/.wh.', content: '' }], rejects: /invalid whiteout/ },
  { name: 'symlink loop as a parent', mode: 'overlay', entries: () => [{ name: 'l1', type: 'symlink', linkname: 'l2' }, { name: 'l2', type: 'symlink', linkname: 'l1' }, { name: 'l1/x', content: 'x' }], rejects: /ELOOP/ },
  { name: 'file under a file', mode: 'overlay', entries: () => [{ name: 'f', content: 'f' }, { name: 'f/x', content: 'x' }], rejects: /ENOTDIR/ },
  { name: 'overlay xattrs in the archive are dropped', mode: 'overlay', entries: () => [{ name: 'd', type: 'directory', pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y', 'SCHILY.xattr.trusted.overlay.redirect': '/etc' } }], inside: ['d'] },
];

for (const c of HOSTILE) {
  test(`hostile tar: ${c.name}`, async (t) => {
    const j = await jail(t);
    const tar = await makeTar(c.entries(j));
    const run = apply(tar, j.root, { whiteouts: c.mode, onWarning: () => {} });
    if (c.rejects) await assert.rejects(run, c.rejects);
    else await run;
    await j.check();
    if (c.inside) assert.deepEqual((await readdir(j.root)).sort(), c.inside);
  });
}

test('hostile tar: the overlay xattrs of an archive never reach the layer', async (t) => {
  const root = await tempDir(t);
  await apply(await makeTar([{ name: 'd', type: 'directory', pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y' } }]), root, { onWarning: () => {} });
  assert.equal(lgetxattr(`${root}/d`, 'trusted.overlay.opaque'), null);
});

test('hostile tar: device nodes are skipped when not root', async (t) => {
  const base = await tempDir(t);
  const root = `${base}/root`;
  await mkdir(root);
  execFileSync('chmod', ['755', base]);
  execFileSync('chown', ['65534:65534', root]);
  const tar = await makeTar([
    { name: 'null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 },
    { name: 'fifo', type: 'fifo' },
    { name: 'file', content: 'x' },
  ]);
  await writeFile(`${base}/layer.tar`, tar, { mode: 0o644 });
  // A child process that drops to nobody, then unpacks with our extractor.
  const script = `
    process.setgid(65534); process.setuid(65534);
    const { applyLayer } = await import(${JSON.stringify(new URL('../../../src/storage/apply.js', import.meta.url).href)});
    const { createReadStream } = await import('node:fs');
    const warnings = [];
    await applyLayer(createReadStream(${JSON.stringify(`${base}/layer.tar`)}), ${JSON.stringify(root)}, { whiteouts: 'remove', emptyRoot: true, onWarning: (w) => warnings.push(w) });
    console.log(JSON.stringify(warnings));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const warnings = JSON.parse(out) as string[];
  assert.equal(warnings.length, 2, out);
  assert.deepEqual((await readdir(root)).sort(), ['fifo', 'file']);
});
