// Token handling of AuthSession against a loopback token endpoint and a
// fake clock: tokens reused per scope set until expires_in (never less than
// docker's 60 s minimum), Basic credentials on the token GET, identity
// tokens as an OAuth2 refresh_token POST, Basic challenges, registry tokens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { AuthSession, AuthorizationError, repositoryScope } from '../../../src/registry/auth.js';
import { parseChallengeHeader } from '../../../src/registry/challenge.js';
import { HttpTransport } from '../../../src/registry/transport.js';

interface Hit {
  method: string;
  query: URLSearchParams;
  form: URLSearchParams;
  authorization: string | undefined;
}

let server: http.Server;
let realm: string;
const hits: Hit[] = [];
let expiresIn = 300;
const transport = new HttpTransport({ userAgent: 'berth-test' });

before(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      hits.push({ method: req.method ?? '', query: url.searchParams, form: new URLSearchParams(Buffer.concat(chunks).toString()), authorization: req.headers.authorization });
      const n = hits.length;
      if (url.pathname === '/bad') {
        res.writeHead(401, { 'content-type': 'application/json' });
        return void res.end('{"details":"incorrect username or password"}');
      }
      if (url.pathname === '/empty') return void res.writeHead(200).end('{}');
      res.writeHead(200, { 'content-type': 'application/json' });
      const body: Record<string, unknown> = { token: `t${n}`, expires_in: expiresIn };
      if (req.method === 'POST') body.access_token = `a${n}`;
      if (url.searchParams.get('offline_token') === 'true') body.refresh_token = 'r-new';
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  realm = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/token`;
});
after(async () => {
  await transport.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const registryUrl = new URL('https://registry.example.com/v2/app/manifests/latest');

function session(authConfig: object, opts: { now?: () => number; offlineAccess?: boolean; scopes?: string[] } = {}) {
  const s = new AuthSession(transport, undefined, authConfig, { scopes: opts.scopes ?? [repositoryScope('app', ['pull'])], ...opts });
  s.setChallenges(registryUrl.origin, parseChallengeHeader(`Bearer realm="${realm}",service="reg"`));
  return s;
}

test('no challenge from an origin: no Authorization', async () => {
  const s = session({});
  assert.equal(await s.authorization(new URL('https://other.example.com/x')), undefined);
});

test('anonymous token: GET with service and scope, no account', async () => {
  hits.length = 0;
  const s = session({});
  assert.equal(await s.authorization(registryUrl), 'Bearer t1');
  assert.equal(hits[0]!.method, 'GET');
  assert.equal(hits[0]!.query.get('service'), 'reg');
  assert.deepEqual(hits[0]!.query.getAll('scope'), ['repository:app:pull']);
  assert.equal(hits[0]!.query.get('account'), null);
  assert.equal(hits[0]!.authorization, undefined);
});

test('credentials: Basic on the token GET and account=; offline_token and client_id for a login', async () => {
  hits.length = 0;
  const s = session({ username: 'u', password: 'p' }, { offlineAccess: true, scopes: [] });
  await s.authorization(registryUrl);
  assert.equal(hits[0]!.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`);
  assert.equal(hits[0]!.query.get('account'), 'u');
  assert.equal(hits[0]!.query.get('offline_token'), 'true');
  assert.equal(hits[0]!.query.get('client_id'), 'docker');
  assert.equal(s.identityToken, 'r-new');
});

test('tokens are reused per scope set until they expire; expires_in below 60 s counts as 60 s', async () => {
  let now = 1_000_000;
  expiresIn = 10;
  hits.length = 0;
  const s = session({ username: 'u', password: 'p' }, { now: () => now });
  const first = await s.authorization(registryUrl);
  assert.equal(await s.authorization(registryUrl), first);
  now += 30_000; // past the 10 s the server said, within docker's 60 s minimum
  assert.equal(await s.authorization(registryUrl), first);
  assert.equal(hits.length, 1);
  // another scope set is another token
  const mount = await s.authorization(registryUrl, [repositoryScope('src', ['pull'])]);
  assert.notEqual(mount, first);
  assert.deepEqual(hits[1]!.query.getAll('scope'), ['repository:app:pull', 'repository:src:pull']);
  now += 60_000;
  const renewed = await s.authorization(registryUrl);
  assert.notEqual(renewed, first);
  assert.equal(hits.length, 3);
  // invalidate forces a fresh one at once
  s.invalidate(registryUrl);
  assert.notEqual(await s.authorization(registryUrl), renewed);
  assert.equal(hits.length, 4);
  expiresIn = 300;
});

test('concurrent requests for one scope share one token fetch', async () => {
  hits.length = 0;
  const s = session({});
  const tokens = await Promise.all([1, 2, 3, 4].map(() => s.authorization(registryUrl)));
  assert.equal(new Set(tokens).size, 1);
  assert.equal(hits.length, 1);
});

test('an identity token: OAuth2 refresh_token POST', async () => {
  hits.length = 0;
  const s = session({ identitytoken: 'r-old' });
  assert.match((await s.authorization(registryUrl)) ?? '', /^Bearer a\d+$/);
  assert.equal(hits[0]!.method, 'POST');
  assert.equal(hits[0]!.form.get('grant_type'), 'refresh_token');
  assert.equal(hits[0]!.form.get('refresh_token'), 'r-old');
  assert.equal(hits[0]!.form.get('client_id'), 'docker');
  assert.equal(hits[0]!.form.get('service'), 'reg');
  assert.equal(hits[0]!.form.get('scope'), 'repository:app:pull');
});

test('token server failures, worded for the caller to prefix', async () => {
  const s = new AuthSession(transport, undefined, { username: 'u', password: 'p' }, { scopes: [] });
  s.setChallenges(registryUrl.origin, parseChallengeHeader(`Bearer realm="${realm.replace('/token', '/bad')}"`));
  await assert.rejects(s.authorization(registryUrl), (err: unknown) => {
    assert.ok(err instanceof AuthorizationError);
    assert.equal(err.message, 'unauthorized: incorrect username or password');
    assert.equal(err.registryError?.kind, 'unauthorized');
    return true;
  });
  s.setChallenges(registryUrl.origin, parseChallengeHeader(`Bearer realm="${realm.replace('/token', '/empty')}"`));
  await assert.rejects(s.authorization(registryUrl), { message: 'authorization server did not include a token in the response' });
  s.setChallenges(registryUrl.origin, parseChallengeHeader('Bearer service="x"'));
  await assert.rejects(s.authorization(registryUrl), { message: 'no realm specified for token auth challenge' });
});

test('Basic challenges and registry tokens', async () => {
  const basic = new AuthSession(transport, undefined, { username: 'u', password: 'p' }, { scopes: [] });
  basic.setChallenges(registryUrl.origin, parseChallengeHeader('Basic realm="r"'));
  assert.equal(await basic.authorization(registryUrl), `Basic ${Buffer.from('u:p').toString('base64')}`);
  const none = new AuthSession(transport, undefined, {}, { scopes: [] });
  none.setChallenges(registryUrl.origin, parseChallengeHeader('Basic realm="r"'));
  await assert.rejects(none.authorization(registryUrl), { message: 'no basic auth credentials' });
  const rt = session({ registrytoken: 'given' });
  hits.length = 0;
  assert.equal(await rt.authorization(registryUrl), 'Bearer given');
  assert.equal(hits.length, 0);
});
