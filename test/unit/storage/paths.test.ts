// Member names and symlinks resolve inside the layer root, as if it were `/`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { cleanMemberName, resolveInRoot } from '../../../src/storage/paths.js';
import { tempDir } from './fixtures.js';

test('member names: cleaned into the root; relative escapes refused (docker breakout check)', () => {
  // [name, cleaned]: expectations from Go's filepath.Clean applied as docker's UnpackLayer does.
  const cases: Array<[string, string]> = [
    ['a/b', 'a/b'],
    ['./a/b/', 'a/b'],
    ['/a/b', 'a/b'],
    ['a//b/./c', 'a/b/c'],
    ['a/../b', 'b'],
    ['/../../etc/passwd', 'etc/passwd'],
    ['.', ''],
    ['./', ''],
    ['/', ''],
  ];
  for (const [name, expected] of cases) assert.equal(cleanMemberName(name), expected, name);
  for (const name of ['../x', '..', 'a/../../x', './../x']) {
    assert.throws(() => cleanMemberName(name), /outside of the layer root/, name);
  }
});

test('symlinks resolve as if the root were /', async (t) => {
  const root = await tempDir(t);
  await mkdir(`${root}/usr/lib`, { recursive: true });
  await symlink('usr/lib', `${root}/lib`);
  await symlink('/usr/lib', `${root}/abslib`);
  await symlink('../../../../..', `${root}/up`);
  await symlink('/etc', `${root}/etc-abs`);
  await symlink('loop2', `${root}/loop1`);
  await symlink('loop1', `${root}/loop2`);
  await writeFile(`${root}/file`, '');
  assert.equal(await resolveInRoot(root, 'lib/x.so'), 'usr/lib/x.so');
  assert.equal(await resolveInRoot(root, 'abslib/x.so'), 'usr/lib/x.so');
  assert.equal(await resolveInRoot(root, 'up/etc/passwd'), 'etc/passwd');
  assert.equal(await resolveInRoot(root, 'etc-abs/shadow'), 'etc/shadow');
  await assert.rejects(resolveInRoot(root, 'loop1/x'), { code: 'ELOOP' });
  await assert.rejects(resolveInRoot(root, 'file/x'), { code: 'ENOTDIR' });
  await assert.rejects(resolveInRoot(root, 'file', { expectDirectory: true }), { code: 'ENOTDIR' });
  const created: string[] = [];
  assert.equal(
    await resolveInRoot(root, 'new/deeper', {
      onMissing: async (rel) => {
        created.push(rel);
        await mkdir(`${root}/${rel}`);
        return true;
      },
    }),
    'new/deeper',
  );
  assert.deepEqual(created, ['new', 'new/deeper']);
});
