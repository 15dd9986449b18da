// The build context pieces on their own: docker's archive detection for
// stdin (GetContextFromReader's IsArchive), Go's tar header layout for cases
// the recorded docker runs (build-opts.test.ts) do not reach (huge files,
// out-of-range mtimes), TrimBuildFilesFromExcludes, the URL predicates and
// the progress line. Expected bytes follow Go's archive/tar writer.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';

import { dockerfileRelPath, isArchive, isGitURL, isURL, trimBuildFilesFromExcludes } from '../../../../src/cli/commands/build/context.js';
import { tarBuffer, walkContext } from '../../../../src/cli/commands/build/context-tar.js';
import { progressLine } from '../../../../src/cli/commands/build/progress-reader.js';
import { encodeHeader, TYPE_REG } from '../../../../src/cli/commands/build/tar-header.js';
import { simpleTar } from './capture-build.js';

describe('isArchive (docker build - detection)', () => {
  const cases: [string, Buffer, boolean][] = [
    ['a tar', simpleTar({ Dockerfile: 'FROM x\n' }), true],
    ['gzip', zlib.gzipSync(Buffer.from('anything')), true],
    ['bzip2 magic', Buffer.from('BZh91AY&SY'), true],
    ['xz magic', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0]), true],
    ['zstd magic', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]), true],
    ['a Dockerfile', Buffer.from('FROM busybox\nRUN true\n'), false],
    ['a long Dockerfile', Buffer.from(`FROM busybox\n${'RUN true\n'.repeat(200)}`), false],
    ['empty input', Buffer.alloc(0), false],
    ['two zero blocks (an empty tar)', Buffer.alloc(1024), false],
    ['a tar header with a broken checksum', ((): Buffer => {
      const t = simpleTar({ a: 'b' });
      t[0] = 0x41;
      return t;
    })(), false],
  ];
  for (const [name, input, expected] of cases) it(name, () => assert.equal(isArchive(input), expected));
});

describe('tar headers as Go writes them', () => {
  it('a plain header is USTAR with zero-padded octal fields', () => {
    const h = encodeHeader({ name: 'a.txt', mode: 0o644, uid: 0, gid: 0, size: 3, mtime: 1735787045, typeflag: TYPE_REG });
    assert.equal(h.length, 512);
    assert.equal(h.subarray(100, 108).toString('latin1'), '0000644\0');
    assert.equal(h.subarray(124, 136).toString('latin1'), '00000000003\0');
    assert.equal(h.subarray(257, 265).toString('latin1'), 'ustar\x0000');
    assert.equal(h.subarray(329, 345).toString('latin1'), '0000000\x000000000\0');
    assert.equal(h[155], 0x20);
  });
  it('a file over 8 GiB gets a PAX size record', () => {
    const h = encodeHeader({ name: 'big', mode: 0o644, uid: 0, gid: 0, size: 2 ** 33 + 1, mtime: 0, typeflag: TYPE_REG });
    assert.equal(h.length, 1536);
    assert.equal(h.subarray(0, 16).toString('latin1').replace(/\0+$/, ''), 'PaxHeaders.0/big');
    assert.equal(h.subarray(512, 512 + 19).toString('latin1'), '19 size=8589934593\n');
  });
  it('a long name that splits goes in the prefix field', () => {
    const name = `${'d'.repeat(60)}/${'f'.repeat(60)}`;
    const h = encodeHeader({ name, mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, typeflag: TYPE_REG });
    assert.equal(h.length, 512);
    assert.equal(h.subarray(0, 60).toString('latin1'), 'f'.repeat(60));
    assert.equal(h.subarray(345, 405).toString('latin1'), 'd'.repeat(60));
  });
});

describe('the context walk', () => {
  it('lists entries in WalkDir order, with 0:0 owners, and skips what .dockerignore excludes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-walk-'));
    try {
      fs.mkdirSync(path.join(dir, 'b'));
      fs.writeFileSync(path.join(dir, 'b', 'x'), 'x');
      fs.writeFileSync(path.join(dir, 'a'), 'a');
      fs.writeFileSync(path.join(dir, 'B'), 'B');
      fs.writeFileSync(path.join(dir, 'skip.log'), 's');
      const entries = walkContext(dir, { excludes: ['*.log'], chown: { uid: 0, gid: 0 } });
      assert.deepEqual(entries.map((e) => e.header.name), ['B', 'a', 'b/', 'b/x']);
      assert.ok(entries.every((e) => e.header.uid === 0 && e.header.gid === 0));
      const tar = await tarBuffer(entries);
      assert.equal(tar.length, 512 * 2 * 3 + 512 + 1024);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it('dockerfileRelPath reports a missing Dockerfile as Go does', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-walk-'));
    try {
      assert.throws(() => dockerfileRelPath(dir, ''), { message: `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${fs.realpathSync(dir)}/Dockerfile: no such file or directory` });
      fs.writeFileSync(path.join(dir, 'dockerfile'), 'FROM x');
      assert.equal(dockerfileRelPath(fs.realpathSync(dir), ''), 'dockerfile');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('TrimBuildFilesFromExcludes', () => {
  it('adds exceptions for .dockerignore and the Dockerfile when excluded', () => {
    assert.deepEqual(trimBuildFilesFromExcludes(['*'], 'Dockerfile', false), ['*', '!.dockerignore', '!Dockerfile']);
    assert.deepEqual(trimBuildFilesFromExcludes(['sub'], 'sub/Dockerfile', false), ['sub', '!sub/Dockerfile']);
    assert.deepEqual(trimBuildFilesFromExcludes(['*'], '-', true), ['*', '!.dockerignore']);
    assert.deepEqual(trimBuildFilesFromExcludes(['*.log'], 'Dockerfile', false), ['*.log']);
  });
});

describe('remote contexts (urlutil)', () => {
  const cases: [string, boolean, boolean][] = [
    ['https://example.com/ctx.tar', true, false],
    ['http://example.com/repo.git', true, true],
    ['https://example.com/repo.git#main:sub', true, true],
    ['git://example.com/repo', false, true],
    ['github.com/user/repo', false, true],
    ['git@github.com:user/repo.git', false, true],
    ['ftp://example.com/x', false, false],
  ];
  for (const [text, url, git] of cases) {
    it(text, () => {
      assert.equal(isURL(text), url);
      assert.equal(isGitURL(text), git);
    });
  }
});

describe('progress line (streamformatter raw progress)', () => {
  it('unknown total: the size, %8v', () => assert.equal(progressLine('Sending build context to Docker daemon', 6144, 0), 'Sending build context to Docker daemon  6.144kB\r'));
  it('nothing read', () => assert.equal(progressLine('Sending build context to Docker daemon', 0, 0), 'Sending build context to Docker daemon \r\n'));
  it('known total: a bar', () => assert.equal(progressLine('Downloading', 65, 65), `Downloading [${'='.repeat(50)}>]      65B/65B\r`));
});
