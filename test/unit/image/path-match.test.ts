// Go's path.Match (docker's `reference` filter) and the pull reference rules
// of POST /images/create (moby postImagesCreate: the tag may be a digest; no
// tag on a bare name means all tags). Expectations from Go's path/match_test.go.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { goPathMatch, BadPatternError } from '../../../src/image/path-match.js';
import { Distribution } from '../../../src/image/distribution.js';

describe('goPathMatch', () => {
  const table: Array<[string, string, boolean]> = [
    ['abc', 'abc', true],
    ['*', 'abc', true],
    ['*c', 'abc', true],
    ['a*', 'a', true],
    ['a*', 'abc', true],
    ['a*', 'ab/c', false],
    ['a*/b', 'abc/b', true],
    ['a*/b', 'a/c/b', false],
    ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
    ['ab[c]', 'abc', true],
    ['ab[b-d]', 'abc', true],
    ['ab[e-g]', 'abc', false],
    ['ab[^c]', 'abc', false],
    ['ab[^b-d]', 'abc', false],
    ['ab[^e-g]', 'abc', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'ab', false],
    ['a?b', 'a☺b', true],
    ['a?b', 'a/b', false],
    ['busy*', 'busybox:latest', true],
    ['*/*:v2', 'team/app:v2', true],
    ['*/*:v2', 'registry.example/team/app:v2', false],
  ];
  for (const [pattern, name, want] of table) {
    it(`${pattern} ~ ${name} = ${want}`, () => assert.equal(goPathMatch(pattern, name), want));
  }
  it('reports bad patterns', () => {
    assert.throws(() => goPathMatch('[', 'a'), BadPatternError);
    assert.throws(() => goPathMatch('a\\', 'a'), BadPatternError);
    assert.throws(() => goPathMatch('[]a]', ']'), BadPatternError);
  });
});

describe('pull references (POST /images/create?fromImage=&tag=)', () => {
  it('fromImage with tag', () => {
    const { ref, allTags } = Distribution.pullReference('busybox', 'latest');
    assert.equal(ref.toString(), 'docker.io/library/busybox:latest');
    assert.equal(allTags, false);
  });
  it('a digest in tag', () => {
    const d = 'sha256:' + 'a'.repeat(64);
    const { ref } = Distribution.pullReference('localhost:5000/x', d);
    assert.equal(ref.toString(), `localhost:5000/x@${d}`);
  });
  it('no tag: all tags (docker pull -a)', () => {
    assert.equal(Distribution.pullReference('busybox', '').allTags, true);
    assert.equal(Distribution.pullReference('busybox:1.36', '').allTags, false);
  });
});
