// .dockerignore semantics against moby's own tables:
//  - moby/patternmatcher patternmatcher_test.go (TestMatches, the
//    multi-pattern cases, TestMatch with Go's filepath.Match table, the
//    clean/exclusion/error tests, the compile match types)
//  - moby/patternmatcher ignorefile/ignorefile_test.go (TestReadAll)
//  - docker CLI build.TrimBuildFilesFromExcludes and the archive walker's
//    "can this excluded directory be skipped" check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanPath } from '../../../src/common/go-path.js';
import {
  BadPatternError,
  PatternMatcher,
  keepBuildFiles,
  matches,
  matchesOrParentMatches,
  parseIgnoreFile,
  readIgnoreFile,
  type MatchInfo,
} from '../../../src/build/dockerignore.js';

type Pass = 'fail' | 'exact' | 'inexact';

// patternmatcher_test.go TestMatches (Linux rows).
const matchTable: Array<[string, string, Pass]> = [
  ['**', 'file', 'exact'],
  ['**', 'file/', 'exact'],
  ['**/', 'file', 'exact'],
  ['**/', 'file/', 'exact'],
  ['**', '/', 'exact'],
  ['**/', '/', 'exact'],
  ['**', 'dir/file', 'exact'],
  ['**/', 'dir/file', 'exact'],
  ['**', 'dir/file/', 'exact'],
  ['**/', 'dir/file/', 'exact'],
  ['**/**', 'dir/file', 'exact'],
  ['**/**', 'dir/file/', 'exact'],
  ['dir/**', 'dir/file', 'exact'],
  ['dir/**', 'dir/file/', 'exact'],
  ['dir/**', 'dir/dir2/file', 'exact'],
  ['dir/**', 'dir/dir2/file/', 'exact'],
  ['**/dir', 'dir', 'exact'],
  ['**/dir', 'dir/file', 'inexact'],
  ['**/dir2/*', 'dir/dir2/file', 'exact'],
  ['**/dir2/*', 'dir/dir2/file/', 'inexact'],
  ['**/dir2/**', 'dir/dir2/dir3/file', 'exact'],
  ['**/dir2/**', 'dir/dir2/dir3/file/', 'exact'],
  ['**file', 'file', 'exact'],
  ['**file', 'dir/file', 'exact'],
  ['**/file', 'dir/file', 'exact'],
  ['**file', 'dir/dir/file', 'exact'],
  ['**/file', 'dir/dir/file', 'exact'],
  ['**/file*', 'dir/dir/file', 'exact'],
  ['**/file*', 'dir/dir/file.txt', 'exact'],
  ['**/file*txt', 'dir/dir/file.txt', 'exact'],
  ['**/file*.txt', 'dir/dir/file.txt', 'exact'],
  ['**/file*.txt*', 'dir/dir/file.txt', 'exact'],
  ['**/**/*.txt', 'dir/dir/file.txt', 'exact'],
  ['**/**/*.txt2', 'dir/dir/file.txt', 'fail'],
  ['**/*.txt', 'file.txt', 'exact'],
  ['**/**/*.txt', 'file.txt', 'exact'],
  ['a**/*.txt', 'a/file.txt', 'exact'],
  ['a**/*.txt', 'a/dir/file.txt', 'exact'],
  ['a**/*.txt', 'a/dir/dir/file.txt', 'exact'],
  ['a/*.txt', 'a/dir/file.txt', 'fail'],
  ['a/*.txt', 'a/file.txt', 'exact'],
  ['a/*.txt**', 'a/file.txt', 'exact'],
  ['a[b-d]e', 'ae', 'fail'],
  ['a[b-d]e', 'ace', 'exact'],
  ['a[b-d]e', 'aae', 'fail'],
  ['a[^b-d]e', 'aze', 'exact'],
  ['.*', '.foo', 'exact'],
  ['.*', 'foo', 'fail'],
  ['abc.def', 'abcdef', 'fail'],
  ['abc.def', 'abc.def', 'exact'],
  ['abc.def', 'abcZdef', 'fail'],
  ['abc?def', 'abcZdef', 'exact'],
  ['abc?def', 'abcdef', 'fail'],
  ['**/foo/bar', 'foo/bar', 'exact'],
  ['**/foo/bar', 'dir/foo/bar', 'exact'],
  ['**/foo/bar', 'dir/dir2/foo/bar', 'exact'],
  ['abc/**', 'abc', 'fail'],
  ['abc/**', 'abc/def', 'exact'],
  ['abc/**', 'abc/def/ghi', 'exact'],
  ['**/.foo', '.foo', 'exact'],
  ['**/.foo', 'bar.foo', 'fail'],
  ['a(b)c/def', 'a(b)c/def', 'exact'],
  ['a(b)c/def', 'a(b)c/xyz', 'fail'],
  ['a.|)$(}+{bc', 'a.|)$(}+{bc', 'exact'],
  ['dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'exact'],
  ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'exact'],
  ['a\\\\', 'a\\', 'exact'],
  ['a\\*b', 'a*b', 'exact'],
];

const multiTable: Array<[string[], string, Pass]> = [
  [['**', '!util/docker/web'], 'util/docker/web/foo', 'fail'],
  [['**', '!util/docker/web', 'util/docker/web/foo'], 'util/docker/web/foo', 'exact'],
  [['**', '!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'fail'],
  [['**', '!dist/*.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'fail'],
];

/** Walks down to text directory by directory, as a context walker does. */
function walkMatch(pm: PatternMatcher, text: string): boolean {
  // Go's filepath.Dir: everything before the last slash, cleaned ("a/b/" gives "a/b").
  const parent = cleanPath(text.slice(0, text.lastIndexOf('/') + 1));
  let info: MatchInfo | undefined;
  if (parent !== '.') {
    const dirs = cleanPath(parent).split('/');
    for (let i = 0; i < dirs.length; i++) info = pm.matchesUsingParentResults(dirs.slice(0, i + 1).join('/'), info).info;
  }
  return pm.matchesUsingParentResults(text, info).matched;
}

test('TestMatches: MatchesExact, MatchesOrParentMatches, MatchesUsingParentResults', () => {
  for (const [pattern, text, pass] of matchTable) {
    const pm = new PatternMatcher([pattern]);
    const desc = `pattern=${pattern} text=${text}`;
    assert.equal(pm.matchesExact(text), pass === 'exact', `exact ${desc}`);
    assert.equal(pm.matchesOrParentMatches(text), pass !== 'fail', `parent ${desc}`);
    assert.equal(walkMatch(pm, text), pass !== 'fail', `walk ${desc}`);
    assert.equal(pm.matchesUsingParentResults(text).matched, pass !== 'fail', `no-context ${desc}`);
  }
  for (const [patterns, text, pass] of multiTable) {
    const pm = new PatternMatcher(patterns);
    assert.equal(pm.matchesOrParentMatches(text), pass !== 'fail', patterns.join(' '));
    assert.equal(walkMatch(pm, text), pass !== 'fail', patterns.join(' '));
  }
});

test('single-pattern helpers (TestWildcardMatches ... TestMatchesWithMalformedPatterns)', () => {
  assert.equal(matches('fileutils.go', ['*']), true);
  assert.equal(matches('fileutils.go', ['*.go']), true);
  assert.equal(matches('fileutils.go', ['!fileutils.go', '*.go']), true);
  assert.equal(matches('docs/README.md', ['docs', '!docs/README.md']), false);
  assert.equal(matches('docs/README.md', ['docs/', '!docs/README.md']), false);
  assert.equal(matches('docs/README.md', ['docs/*', '!docs/README.md']), false);
  assert.equal(matches('fileutils.go', ['*.go', '!fileutils.go']), false);
  assert.equal(matches('.', ['*.go']), false);
  assert.throws(() => matches('fileutils.go', ['!']), { message: 'illegal exclusion pattern: "!"' });
  assert.equal(matches('/any/path/there', []), false);
  assert.throws(() => matches('/any/path/there', ['[']), BadPatternError);
  assert.equal(matchesOrParentMatches('a/b/c', ['a']), true);
  assert.equal(matchesOrParentMatches('./a/b/../c', ['a/c']), true);
});

// Go's path/filepath match tests, as reused by patternmatcher_test.go TestMatch.
const filepathMatchTable: Array<[string, string, boolean, boolean]> = [
  ['abc', 'abc', true, false],
  ['*', 'abc', true, false],
  ['*c', 'abc', true, false],
  ['a*', 'a', true, false],
  ['a*', 'abc', true, false],
  ['a*', 'ab/c', true, false],
  ['a*/b', 'abc/b', true, false],
  ['a*/b', 'a/c/b', false, false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true, false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true, false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false, false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false, false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true, false],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false, false],
  ['ab[c]', 'abc', true, false],
  ['ab[b-d]', 'abc', true, false],
  ['ab[e-g]', 'abc', false, false],
  ['ab[^c]', 'abc', false, false],
  ['ab[^b-d]', 'abc', false, false],
  ['ab[^e-g]', 'abc', true, false],
  ['a\\*b', 'a*b', true, false],
  ['a\\*b', 'ab', false, false],
  ['a?b', 'a☺b', true, false],
  ['a[^a]b', 'a☺b', true, false],
  ['a???b', 'a☺b', false, false],
  ['a[^a][^a][^a]b', 'a☺b', false, false],
  ['[a-ζ]*', 'α', true, false],
  ['*[a-ζ]', 'A', false, false],
  ['a?b', 'a/b', false, false],
  ['a*b', 'a/b', false, false],
  ['[\\]a]', ']', true, false],
  ['[\\-]', '-', true, false],
  ['[x\\-]', 'x', true, false],
  ['[x\\-]', '-', true, false],
  ['[x\\-]', 'z', false, false],
  ['[\\-x]', 'x', true, false],
  ['[\\-x]', '-', true, false],
  ['[\\-x]', 'a', false, false],
  ['[]a]', ']', false, true],
  ['[-]', '-', false, true],
  ['[x-]', 'x', false, true],
  ['[x-]', '-', false, true],
  ['[x-]', 'z', false, true],
  ['[-x]', 'x', false, true],
  ['[-x]', '-', false, true],
  ['[-x]', 'a', false, true],
  ['\\', 'a', false, true],
  ['[a-b-c]', 'a', false, true],
  ['[', 'a', false, true],
  ['[^', 'a', false, true],
  ['[^bc', 'a', false, true],
  ['a[', 'a', false, true],
  ['a[', 'ab', false, true],
  ['*x', 'xxx', true, false],
];

test('TestMatch: Go filepath.Match syntax and semantics', () => {
  for (const [pattern, name, match, bad] of filepathMatchTable) {
    if (bad) assert.throws(() => matches(name, [pattern]), { message: 'syntax error in pattern' }, pattern);
    else assert.equal(matches(name, [pattern]), match, `${pattern} ~ ${name}`);
  }
});

test('a pattern that passes the syntax check but fails to compile errors at match time, every time', () => {
  // moby issue 52203 regression test: the range l-O is out of order.
  const pm = new PatternMatcher(['[Local-Only]/']);
  assert.throws(() => pm.matchesOrParentMatches('x'), BadPatternError);
  assert.throws(() => pm.matchesOrParentMatches('x'), BadPatternError);
});

test('pattern cleaning and exclusions (TestCleanPatterns*)', () => {
  assert.equal(new PatternMatcher(['docs', 'config']).patterns.length, 2);
  assert.equal(new PatternMatcher(['docs', 'config', '']).patterns.length, 2);
  assert.equal(new PatternMatcher(['docs', '!docs/README.md']).hasExclusions, true);
  assert.equal(new PatternMatcher(['docs', '  !docs/README.md']).hasExclusions, true);
  assert.equal(new PatternMatcher(['docs', '!docs/README.md  ']).hasExclusions, true);
  assert.equal(new PatternMatcher(['docs']).hasExclusions, false);
  assert.throws(() => new PatternMatcher(['!']), { message: 'illegal exclusion pattern: "!"' });
  assert.deepEqual(new PatternMatcher(['./a', 'a/../b', 'c//d/', '/e']).patterns.map(String), ['a', 'b', 'c/d', '/e']);
});

test('Go filepath.Clean', () => {
  const cases: Array<[string, string]> = [
    ['', '.'], ['.', '.'], ['./a', 'a'], ['a/', 'a'], ['a//b', 'a/b'], ['a/./b', 'a/b'], ['a/../b', 'b'],
    ['../a', '../a'], ['a/../..', '..'], ['/..', '/'], ['/a/../../b', '/b'], ['/', '/'], ['//a', '/a'], ['a/b/..', 'a'],
  ];
  for (const [input, expected] of cases) assert.equal(cleanPath(input), expected, input);
});

test('regex metacharacters are literal (where JS dockerignore libraries fail)', () => {
  for (const name of ['a+b', 'a(b)', 'a|b', 'a$b', 'a^b', 'a{1}', 'a.b']) {
    assert.equal(matchesOrParentMatches(name, [name]), true, name);
    assert.equal(matchesOrParentMatches(name, [name + '*']), true, name + '*');
  }
  assert.equal(matchesOrParentMatches('ab', ['a+b']), false);
  assert.equal(matchesOrParentMatches('aab', ['a+b*']), false);
  assert.equal(matchesOrParentMatches('axb', ['a.b*']), false);
});

test('later patterns win; a directory pattern covers its content', () => {
  const cases: Array<[string[], string, boolean]> = [
    [['*.md', '!README.md'], 'README.md', false],
    [['*.md', '!README.md'], 'CHANGES.md', true],
    [['*.md', '!README.md', 'README*'], 'README.md', true],
    [['node_modules'], 'node_modules/a/b/c.js', true],
    [['node_modules'], 'src/node_modules/a.js', false],
    [['**/node_modules'], 'src/node_modules/a.js', true],
    [['*/temp*'], 'somedir/temporary.txt', true],
    [['*/*/temp*'], 'somedir/subdir/temporary.txt', true],
    [['temp?'], 'temp1', true],
    [['temp?'], 'temp12', false],
    [['*', '!dir/keep'], 'dir/keep', false],
    [['*', '!dir/keep'], 'dir/other', true],
    [['dir', '!dir/keep', 'dir/keep/tmp'], 'dir/keep/tmp/x', true],
  ];
  for (const [patterns, file, expected] of cases) {
    assert.equal(matchesOrParentMatches(file, patterns), expected, `${patterns.join(',')} ${file}`);
  }
});

test('legacy Matches checks only the parent prefix as deep as the pattern', () => {
  const pm = new PatternMatcher(['a/b']);
  assert.equal(pm.matchesLegacy('a/b/c/d'), true);
  // `*` at depth one is compared with "x" only, which matches.
  assert.equal(new PatternMatcher(['x']).matchesLegacy('x/y/z'), true);
  assert.equal(new PatternMatcher(['y']).matchesLegacy('x/y/z'), false);
});

test('walker: an excluded directory is walked only when an exception starts inside it', () => {
  const pm = new PatternMatcher(['vendor', 'build', '!vendor/keep/me.txt', 'docs', '!docs']);
  assert.equal(pm.excludedDirNeedsWalk('vendor'), true);
  assert.equal(pm.excludedDirNeedsWalk('vendor/keep'), true);
  assert.equal(pm.excludedDirNeedsWalk('vendor/other'), false);
  assert.equal(pm.excludedDirNeedsWalk('build'), false);
  assert.equal(pm.excludedDirNeedsWalk('docs'), true);
  assert.equal(new PatternMatcher(['vendor']).excludedDirNeedsWalk('vendor'), false);
});

test('ignorefile.ReadAll (TestReadAll)', () => {
  const content = 'test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ';
  assert.deepEqual(parseIgnoreFile(content), ['test1', 'test2', 'a/file/here', 'lastfile', '!inverted/abs/path', '!', '!']);
  assert.deepEqual(parseIgnoreFile(''), []);
  // BOM, CRLF, comments only in the first column, trailing blanks trimmed, paths cleaned.
  assert.deepEqual(parseIgnoreFile('\ufeff# c\r\n  # not a comment\r\n./a/../b  \r\n\t*.log\t\n/\n'), ['# not a comment', 'b', '*.log', '/']);
});

test('keepBuildFiles: the CLI always sends the Dockerfile and .dockerignore', () => {
  assert.deepEqual(keepBuildFiles(['*'], 'Dockerfile'), ['*', '!.dockerignore', '!Dockerfile']);
  assert.deepEqual(keepBuildFiles(['docker'], 'docker/app.Dockerfile'), ['docker', '!docker/app.Dockerfile']);
  assert.deepEqual(keepBuildFiles(['*'], 'Dockerfile', true), ['*', '!.dockerignore']);
  assert.deepEqual(keepBuildFiles(['*.md'], 'Dockerfile'), ['*.md']);
});

test('readIgnoreFile: Dockerfile-specific file first, then .dockerignore', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-dockerignore-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.deepEqual(await readIgnoreFile(dir), { path: undefined, patterns: [] });
  await writeFile(path.join(dir, '.dockerignore'), 'node_modules\n*.log\n');
  assert.deepEqual(await readIgnoreFile(dir), { path: path.join(dir, '.dockerignore'), patterns: ['node_modules', '*.log'] });
  await mkdir(path.join(dir, 'docker'));
  await writeFile(path.join(dir, 'docker', 'app.Dockerfile.dockerignore'), '!keep\n*\n');
  assert.deepEqual(await readIgnoreFile(dir, path.join(dir, 'docker', 'app.Dockerfile')), {
    path: path.join(dir, 'docker', 'app.Dockerfile.dockerignore'),
    patterns: ['!keep', '*'],
  });
  // No specific file for this Dockerfile: the context's .dockerignore.
  assert.equal((await readIgnoreFile(dir, path.join(dir, 'docker', 'other.Dockerfile'))).path, path.join(dir, '.dockerignore'));
  await writeFile(path.join(dir, 'Dockerfile.dockerignore'), 'x\n');
  assert.deepEqual((await readIgnoreFile(dir)).patterns, ['x']);
  assert.deepEqual((await readIgnoreFile(dir, '-')).patterns, ['node_modules', '*.log']);
});
