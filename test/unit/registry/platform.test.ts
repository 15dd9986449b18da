// Platform parsing, normalisation and dockerd's choice of a manifest from a
// list or index. Expectations from containerd/platforms (Parse, Normalize,
// Only: "for amd64, will also match 386; for arm/v7, arm/v6 and arm/v5;
// for arm64, arm/v8 and below") and moby's filterManifests error text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parsePlatform,
  normalizePlatform,
  formatPlatform,
  platformMatcher,
  filterManifests,
  selectManifest,
  defaultPlatform,
  hostArchitecture,
  type Platform,
} from '../../../src/registry/platform.js';
import { isEngineError } from '../../../src/common/errors.js';

const host = hostArchitecture();

test('parsePlatform: containerd Parse table', () => {
  const table: [string, Platform][] = [
    ['linux', { os: 'linux', architecture: host, ...(host === 'arm64' ? {} : {}) }],
    ['amd64', { os: 'linux', architecture: 'amd64' }],
    ['x86_64', { os: 'linux', architecture: 'amd64' }],
    ['aarch64', { os: 'linux', architecture: 'arm64' }],
    ['armhf', { os: 'linux', architecture: 'arm' }],
    ['armel', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/x86_64', { os: 'linux', architecture: 'amd64' }],
    ['Linux/AMD64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64', { os: 'linux', architecture: 'arm64' }],
    ['linux/aarch64', { os: 'linux', architecture: 'arm64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/arm', { os: 'linux', architecture: 'arm' }],
    ['linux/arm/v7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/arm/7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/arm/v6', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['linux/amd64/v3', { os: 'linux', architecture: 'amd64', variant: 'v3' }],
    ['linux/386', { os: 'linux', architecture: '386' }],
    ['linux/i386', { os: 'linux', architecture: '386' }],
    ['linux/s390x', { os: 'linux', architecture: 's390x' }],
    ['darwin/arm64', { os: 'darwin', architecture: 'arm64' }],
    ['macos/arm64', { os: 'darwin', architecture: 'arm64' }],
    ['windows(10.0.17763)/amd64', { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763' }],
  ];
  for (const [spec, want] of table) assert.deepEqual(parsePlatform(spec), want, spec);
});

test('parsePlatform: errors in containerd words, as invalid-parameter', () => {
  const table: [string, string][] = [
    ['foo', '"foo": unknown operating system or architecture: invalid argument'],
    ['linux/*', '"linux/*": wildcards not yet supported: invalid argument'],
    ['linux/amd64/v1/x', '"linux/amd64/v1/x": cannot parse platform specifier: invalid argument'],
  ];
  for (const [spec, message] of table) {
    assert.throws(
      () => parsePlatform(spec),
      (err: unknown) => isEngineError(err, 'invalid-parameter') && err.message === message,
      spec,
    );
  }
  assert.throws(() => parsePlatform('linux/am d64'), /is an invalid component of "linux\/am d64"/);
  assert.throws(() => parsePlatform('li nux/amd64'), /is an invalid OS component/);
});

test('normalizePlatform and formatPlatform', () => {
  assert.deepEqual(normalizePlatform({ os: 'Linux', architecture: 'x86_64' }), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'amd64', variant: 'v1' }), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' }), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'arm' }), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.equal(formatPlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' }), 'linux/arm64/v8');
  assert.equal(formatPlatform({ os: 'linux', architecture: 'amd64' }), 'linux/amd64');
  assert.equal(formatPlatform({ os: '', architecture: 'amd64' }), 'unknown');
  if (host === 'amd64') assert.deepEqual(defaultPlatform(), { os: 'linux', architecture: 'amd64' });
});

test('platformMatcher: what a platform can run (containerd Only)', () => {
  const cases: [string, string[], string[]][] = [
    ['linux/amd64', ['linux/amd64', 'linux/x86_64', 'linux/amd64/v1', 'linux/386'], ['linux/arm64', 'linux/amd64/v2', 'windows/amd64']],
    ['linux/amd64/v3', ['linux/amd64/v3', 'linux/amd64/v2', 'linux/amd64', 'linux/386'], ['linux/amd64/v4']],
    [
      'linux/arm64',
      ['linux/arm64', 'linux/arm64/v8', 'linux/aarch64', 'linux/arm/v8', 'linux/arm/v7', 'linux/arm', 'linux/arm/v6', 'linux/arm/v5'],
      ['linux/amd64', 'linux/arm64/v9'],
    ],
    ['linux/arm/v7', ['linux/arm', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5'], ['linux/arm/v8', 'linux/arm64']],
    ['linux/arm/v6', ['linux/arm/v6', 'linux/arm/v5'], ['linux/arm/v7', 'linux/arm']],
  ];
  const toPlatform = (s: string): Platform => {
    const [os, architecture, variant] = s.split('/') as [string, string, string | undefined];
    return variant ? { os, architecture, variant } : { os, architecture };
  };
  for (const [want, yes, no] of cases) {
    const m = platformMatcher(parsePlatform(want));
    for (const p of yes) assert.ok(m.match(toPlatform(p)), `${want} should run ${p}`);
    for (const p of no) assert.ok(!m.match(toPlatform(p)), `${want} should not run ${p}`);
  }
  const amd = platformMatcher({ os: 'linux', architecture: 'amd64' });
  assert.ok(amd.rank({ os: 'linux', architecture: 'amd64' }) < amd.rank({ os: 'linux', architecture: '386' }));
});

const entry = (digest: string, platform?: Platform) => ({ digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, platform });

test('filterManifests / selectManifest: best match first; attestations and unknown platforms skipped', () => {
  const list = [
    entry('sha256:386', { os: 'linux', architecture: '386' }),
    entry('sha256:arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }),
    entry('sha256:amd64', { os: 'linux', architecture: 'amd64' }),
    entry('sha256:att', { os: 'unknown', architecture: 'unknown' }),
    entry('sha256:none'),
    entry('sha256:armv7', { os: 'linux', architecture: 'arm', variant: 'v7' }),
  ];
  const linuxAmd64 = { os: 'linux', architecture: 'amd64' };
  assert.deepEqual(
    filterManifests(list, linuxAmd64).map((e) => e.digest),
    ['sha256:amd64', 'sha256:386'],
  );
  assert.equal(selectManifest(list, linuxAmd64).digest, 'sha256:amd64');
  assert.equal(selectManifest(list, parsePlatform('linux/arm64')).digest, 'sha256:arm64');
  assert.equal(selectManifest(list, parsePlatform('linux/arm/v7')).digest, 'sha256:armv7');
  assert.equal(selectManifest(list, parsePlatform('linux/386')).digest, 'sha256:386');
  if (host === 'amd64') assert.equal(selectManifest(list).digest, 'sha256:amd64');
});

test('selectManifest: docker error when nothing matches', () => {
  const list = [entry('sha256:arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' })];
  assert.throws(
    () => selectManifest(list, { os: 'linux', architecture: 'amd64' }),
    (err: unknown) => isEngineError(err) && err.message === 'no matching manifest for linux/amd64 in the manifest list entries',
  );
  assert.throws(() => selectManifest([], parsePlatform('linux/s390x')), /^Error: no matching manifest for linux\/s390x in the manifest list entries$|no matching manifest for linux\/s390x in the manifest list entries/);
  assert.throws(() => selectManifest(list, parsePlatform('windows/amd64')), /no matching manifest for windows\/amd64 in the manifest list entries/);
});

test('filterManifests: arm lists without variants (dockerd deprecated fallback)', () => {
  const list = [entry('sha256:armv5', { os: 'linux', architecture: 'arm', variant: 'v5' })];
  // arm/v5 is compatible with arm/v7 anyway; an entry with an unusual variant falls back on os/arch.
  assert.equal(selectManifest(list, parsePlatform('linux/arm/v7')).digest, 'sha256:armv5');
  const odd = [entry('sha256:armx', { os: 'linux', architecture: 'arm', variant: 'vX' })];
  assert.equal(selectManifest(odd, parsePlatform('linux/arm/v7')).digest, 'sha256:armx');
});
