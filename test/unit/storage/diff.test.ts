import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { overlayChanges } from '../../../src/storage/diff.js';
import { tempDir } from './fixtures.js';

// An overlay upper dir as the kernel leaves it: directories copied up keep the lower's attributes
// (cp -a), then the container writes below them.
test('overlay changes: every directory above a change is reported changed, as dockerd on this kernel (naive diff)', async (t) => {
  const lower = await tempDir(t);
  const upper = await tempDir(t);
  await mkdir(`${lower}/a/b`, { recursive: true });
  await writeFile(`${lower}/a/b/file`, 'old');
  await mkdir(`${lower}/etc`);
  await writeFile(`${lower}/etc/passwd`, 'root');
  execFileSync('touch', ['-d', '2020-01-01', `${lower}/a/b`, `${lower}/a`, `${lower}/etc`]);
  // Copy-up of /a/b/file: its parents come up with their own times, unchanged.
  await mkdir(`${upper}/a/b`, { recursive: true });
  await writeFile(`${upper}/a/b/file`, 'new');
  execFileSync('touch', ['-r', `${lower}/a/b`, `${upper}/a/b`]);
  execFileSync('touch', ['-r', `${lower}/a`, `${upper}/a`]);
  // A new file in /etc: the copied-up /etc gets a new mtime.
  await mkdir(`${upper}/etc`);
  await writeFile(`${upper}/etc/new`, 'x');
  assert.deepEqual(await overlayChanges(upper, [lower]), [
    { path: '/a', kind: 'C' },
    { path: '/a/b', kind: 'C' },
    { path: '/a/b/file', kind: 'C' },
    { path: '/etc', kind: 'C' },
    { path: '/etc/new', kind: 'A' },
  ]);
});
