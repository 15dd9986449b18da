// The X-Registry-Auth header: base64url JSON of docker's AuthConfig
// (api/types/registry EncodeAuthConfig / DecodeAuthConfig), decoded as
// tolerantly as dockerd does, and config.json's `auth` field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeAuthConfig,
  decodeAuthConfig,
  authConfigJson,
  encodeAuthField,
  decodeAuthField,
  basicCredentials,
} from '../../../src/registry/auth-config.js';

test('encode: JSON with omitempty, base64url with padding (as the docker CLI)', () => {
  // docker: base64.URLEncoding.EncodeToString(json.Marshal(AuthConfig{...}))
  assert.equal(encodeAuthConfig({}), 'e30=');
  const cfg = { username: 'u', password: 'p?>', serveraddress: 'localhost:5000' };
  assert.equal(authConfigJson(cfg), '{"username":"u","password":"p?>","serveraddress":"localhost:5000"}');
  const encoded = encodeAuthConfig(cfg);
  assert.ok(!/[+/]/.test(encoded), encoded);
  assert.equal(Buffer.from(encoded, 'base64url').toString(), authConfigJson(cfg));
  assert.equal(authConfigJson({ username: '', password: 'x', identitytoken: 't' }), '{"password":"x","identitytoken":"t"}');
});

test('decode: round trip and every field', () => {
  const cfg = {
    username: 'alice',
    password: 's3cr3t/+==',
    auth: 'YWxpY2U6czNjcjN0',
    email: 'a@example.com',
    serveraddress: 'https://index.docker.io/v1/',
    identitytoken: 'refresh',
    registrytoken: 'bearer',
  };
  assert.deepEqual(decodeAuthConfig(encodeAuthConfig(cfg)), { config: cfg });
});

test('decode: tolerant of standard base64, missing padding, whitespace, field-name case', () => {
  const json = '{"Username":"bob","PASSWORD":"pw~~~>>>","ServerAddress":"r.example.com"}';
  const expected = { config: { username: 'bob', password: 'pw~~~>>>', serveraddress: 'r.example.com' } };
  const std = Buffer.from(json).toString('base64');
  assert.ok(/[+/]/.test(std) || std.endsWith('='), 'the sample should exercise the alphabet or padding');
  assert.deepEqual(decodeAuthConfig(std), expected);
  assert.deepEqual(decodeAuthConfig(std.replace(/=+$/, '')), expected);
  assert.deepEqual(decodeAuthConfig(Buffer.from(json).toString('base64url')), expected);
  assert.deepEqual(decodeAuthConfig(` ${std.slice(0, 10)}\n${std.slice(10)} `), expected);
});

test('decode: empty header is an empty config; unknown fields ignored', () => {
  assert.deepEqual(decodeAuthConfig(undefined), { config: {} });
  assert.deepEqual(decodeAuthConfig(''), { config: {} });
  assert.deepEqual(decodeAuthConfig(Buffer.from('{"username":"x","extra":1,"email":null}').toString('base64url')), {
    config: { username: 'x' },
  });
});

test('decode: garbage gives an empty config and an error to report or ignore', () => {
  for (const bad of ['!!!', Buffer.from('not json').toString('base64'), Buffer.from('[1]').toString('base64'), Buffer.from('{"username":5}').toString('base64')]) {
    const got = decodeAuthConfig(bad);
    assert.deepEqual(got.config, {}, bad);
    assert.match(got.error ?? '', /^invalid X-Registry-Auth header: /, bad);
  }
});

test("config.json's auth field: base64(user:password)", () => {
  assert.equal(encodeAuthField('user', 'pa:ss'), Buffer.from('user:pa:ss').toString('base64'));
  assert.equal(encodeAuthField('', ''), '');
  assert.deepEqual(decodeAuthField(Buffer.from('user:pa:ss').toString('base64')), { username: 'user', password: 'pa:ss' });
  assert.deepEqual(decodeAuthField(Buffer.from('user:pw\0\0').toString('base64')), { username: 'user', password: 'pw' });
  assert.throws(() => decodeAuthField(Buffer.from('nocolon').toString('base64')), /invalid auth configuration file/);
});

test('basicCredentials: explicit fields, else the auth field', () => {
  assert.deepEqual(basicCredentials({ username: 'a', password: 'b' }), { username: 'a', password: 'b' });
  assert.deepEqual(basicCredentials({ auth: Buffer.from('c:d').toString('base64') }), { username: 'c', password: 'd' });
  assert.deepEqual(basicCredentials({}), { username: '', password: '' });
});
