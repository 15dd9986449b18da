// WWW-Authenticate parsing: the shapes registries send (distribution's
// challenge package tests, Docker Hub, GHCR, Quay) and RFC 7235 corners.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallengeHeader, parseChallenges } from '../../../src/registry/challenge.js';

test('Bearer challenge with realm, service and scope (Docker Hub)', () => {
  const got = parseChallengeHeader(
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
  );
  assert.deepEqual(got, [
    {
      scheme: 'bearer',
      parameters: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' },
    },
  ]);
});

test('Basic challenge (htpasswd registry)', () => {
  assert.deepEqual(parseChallengeHeader('Basic realm="basic-realm"'), [{ scheme: 'basic', parameters: { realm: 'basic-realm' } }]);
});

test('scheme and parameter names are case-insensitive; values keep their case', () => {
  assert.deepEqual(parseChallengeHeader('BEARER Realm="https://A/Token", SERVICE=Reg'), [
    { scheme: 'bearer', parameters: { realm: 'https://A/Token', service: 'Reg' } },
  ]);
});

test('error parameters of RFC 6750 (insufficient_scope)', () => {
  const [c] = parseChallengeHeader(
    'Bearer realm="http://t/token",service="svc",scope="repository:a/b:pull",error="insufficient_scope",error_description="need more"',
  );
  assert.equal(c!.parameters.error, 'insufficient_scope');
  assert.equal(c!.parameters.error_description, 'need more');
});

test('quoted values with escapes and commas', () => {
  const [c] = parseChallengeHeader('Bearer realm="https://x/token?a=1,b=2",scope="repository:a:pull,push",note="say \\"hi\\""');
  assert.equal(c!.parameters.realm, 'https://x/token?a=1,b=2');
  assert.equal(c!.parameters.scope, 'repository:a:pull,push');
  assert.equal(c!.parameters.note, 'say "hi"');
});

test('several challenges in one header, and across header lines', () => {
  const got = parseChallengeHeader('Basic realm="r1", Bearer realm="https://t/token",service="s"');
  assert.deepEqual(
    got.map((c) => c.scheme),
    ['basic', 'bearer'],
  );
  assert.equal(got[1]!.parameters.service, 's');
  const lines = parseChallenges(['Basic realm="a"', 'Bearer realm="b"']);
  assert.deepEqual(
    lines.map((c) => [c.scheme, c.parameters.realm]),
    [
      ['basic', 'a'],
      ['bearer', 'b'],
    ],
  );
  assert.deepEqual(parseChallenges(undefined), []);
  assert.deepEqual(parseChallengeHeader(''), []);
});

test('a scheme without parameters', () => {
  assert.deepEqual(parseChallengeHeader('Negotiate'), [{ scheme: 'negotiate', parameters: {} }]);
});
