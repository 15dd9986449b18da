// Authentication against real registries: htpasswd (Basic) and token auth
// (a token server in this process signing ES256 JWTs the registry trusts).
// Expected messages are dockerd's: `login attempt to ... failed with status:
// 401 Unauthorized`, `Get "...": unauthorized: incorrect username or
// password`, `pull access denied for ...`, `no basic auth credentials`.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRegistry, buildTestImage, haveRegistry, type TestRegistry, type TestImage } from '../../helpers/registry.js';
import { RegistryService, translatePullError, encodeAuthConfig, decodeAuthConfig, type Repository } from '../../../src/registry/index.js';
import { parseDockerRef } from '../../../src/image/reference.js';
import { isEngineError } from '../../../src/common/errors.js';

async function pushImage(repo: Repository, img: TestImage, tag: string): Promise<void> {
  for (const b of [img.config, ...img.layers]) await repo.pushBlob(b, b.bytes);
  await repo.putManifest(tag, img.manifest.bytes, img.manifest.mediaType);
}

describe('htpasswd (Basic) registry', { skip: !haveRegistry && 'docker-registry not installed' }, () => {
  let reg: TestRegistry;
  let svc: RegistryService;
  let img: TestImage;
  before(async () => {
    reg = await startRegistry({ auth: 'htpasswd', users: { alice: 'wonderland', bob: 'builder' } });
    svc = new RegistryService();
    img = await buildTestImage({ seed: 'basic' });
  });
  after(async () => {
    await svc?.close();
    await reg?.stop();
  });

  test('push and pull with credentials (from an X-Registry-Auth header)', async () => {
    const { config } = decodeAuthConfig(encodeAuthConfig({ username: 'alice', password: 'wonderland', serveraddress: reg.host }));
    const ref = parseDockerRef(`${reg.host}/secret/app:1`);
    await pushImage(await svc.repository(ref, { mode: 'push', authConfig: config }), img, '1');
    const got = await (await svc.repository(ref, { authConfig: config })).getManifest('1');
    assert.equal(got.digest, img.manifest.digest);
  });

  test('without credentials: no basic auth credentials', async () => {
    const ref = parseDockerRef(`${reg.host}/secret/app:1`);
    const err = await (await svc.repository(ref)).getManifest('1').catch((e: unknown) => e);
    const translated = translatePullError(err, ref);
    assert.equal(translated.message, `Get "http://${reg.host}/v2/secret/app/manifests/1": no basic auth credentials`);
    assert.equal(translated.kind, 'system');
  });

  test('wrong password: the registry says 401', async () => {
    const ref = parseDockerRef(`${reg.host}/secret/app:1`);
    const err = await (await svc.repository(ref, { authConfig: { username: 'alice', password: 'nope' } })).getManifest('1').catch((e: unknown) => e);
    assert.ok(isEngineError(err, 'unauthorized'), String(err));
    assert.equal((err as Error).message, 'unauthorized: authentication required');
    // dockerd reports it as a 500, so that the docker CLI does not prompt for a login
    assert.equal(translatePullError(err, ref).kind, 'system');
  });

  test('login: success, failure in dockerd words', async () => {
    assert.deepEqual(await svc.login(reg.host, { username: 'bob', password: 'builder' }), { Status: 'Login Succeeded' });
    // the POST /auth body carries the server address itself
    assert.deepEqual(await svc.login(undefined, { username: 'bob', password: 'builder', serveraddress: reg.host }), { Status: 'Login Succeeded' });
    assert.deepEqual(await svc.login(`http://${reg.host}/`, { username: 'bob', password: 'builder' }), { Status: 'Login Succeeded' });
    const err = await svc.login(reg.host, { username: 'bob', password: 'wrong' }).catch((e: unknown) => e);
    assert.equal((err as Error).message, `login attempt to http://${reg.host}/v2/ failed with status: 401 Unauthorized`);
    assert.equal((err as { kind?: string }).kind, 'system');
    // the auth field alone works too
    const auth = Buffer.from('alice:wonderland').toString('base64');
    assert.deepEqual(await svc.login(reg.host, { auth }), { Status: 'Login Succeeded' });
  });
});

describe('token-auth registry', { skip: !haveRegistry && 'docker-registry not installed' }, () => {
  let reg: TestRegistry;
  let svc: RegistryService;
  let img: TestImage;
  const alice = { username: 'alice', password: 'wonderland' };
  before(async () => {
    reg = await startRegistry({ auth: 'token', users: { alice: 'wonderland' } });
    svc = new RegistryService();
    img = await buildTestImage({ seed: 'token' });
  });
  after(async () => {
    await svc?.close();
    await reg?.stop();
  });

  test('push asks for push,pull; pull for pull; a mount adds the source repository', async () => {
    const tok = reg.token!;
    tok.requests.length = 0;
    const ref = parseDockerRef(`${reg.host}/team/app:1`);
    await pushImage(await svc.repository(ref, { mode: 'push', authConfig: alice }), img, '1');
    assert.deepEqual(tok.requests[0], {
      method: 'GET',
      scopes: ['repository:team/app:push,pull'],
      service: tok.service,
      account: 'alice',
      grantType: undefined,
      offlineToken: false,
      clientId: undefined,
      status: 200,
    });
    assert.equal(tok.requests.length, 1, 'the token is reused for the whole push');

    tok.requests.length = 0;
    const other = await svc.repository(parseDockerRef(`${reg.host}/team/copy`), { mode: 'push', authConfig: alice });
    assert.deepEqual(await other.pushBlob(img.layers[0]!, img.layers[0]!.bytes, { mountFrom: ['team/app'] }), { status: 'mounted', from: 'team/app' });
    assert.deepEqual(
      tok.requests.map((r) => r.scopes),
      [['repository:team/copy:push,pull'], ['repository:team/copy:push,pull', 'repository:team/app:pull']],
    );

    tok.requests.length = 0;
    const pulled = await (await svc.repository(ref, { authConfig: alice })).getManifest('1');
    assert.equal(pulled.digest, img.manifest.digest);
    assert.deepEqual(tok.requests.map((r) => r.scopes), [['repository:team/app:pull']]);
  });

  test('anonymous pull of a private repository: pull access denied', async () => {
    const ref = parseDockerRef(`${reg.host}/team/app:1`);
    const err = await (await svc.repository(ref)).getManifest('1').catch((e: unknown) => e);
    const translated = translatePullError(err, ref);
    assert.equal(
      translated.message,
      `pull access denied for ${reg.host}/team/app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`,
    );
    assert.equal(translated.kind, 'not-found');
  });

  test('anonymous pull of a public repository works', async () => {
    const ref = parseDockerRef(`${reg.host}/public/app:1`);
    await pushImage(await svc.repository(ref, { mode: 'push', authConfig: alice }), img, '1');
    const got = await (await svc.repository(ref)).getManifest('1');
    assert.equal(got.digest, img.manifest.digest);
    const last = reg.token!.requests.at(-1)!;
    assert.equal(last.account, undefined);
  });

  test('a token the registry rejects is replaced once (retry on 401)', async () => {
    const ref = parseDockerRef(`${reg.host}/team/app:1`);
    const repo = await svc.repository(ref, { authConfig: alice });
    reg.token!.issueUntrustedTokens(1);
    reg.token!.requests.length = 0;
    const got = await repo.getManifest('1');
    assert.equal(got.digest, img.manifest.digest);
    assert.equal(reg.token!.requests.length, 2);
    // twice in a row: the retry happens once only
    const again = await svc.repository(ref, { authConfig: alice });
    reg.token!.issueUntrustedTokens(2);
    const err = await again.getManifest('1').catch((e: unknown) => e);
    assert.ok(isEngineError(err, 'unauthorized'), String(err));
    reg.token!.issueUntrustedTokens(0);
  });

  test('login returns an identity token, which then authenticates by OAuth2 refresh', async () => {
    const result = await svc.login(reg.host, alice);
    assert.equal(result.Status, 'Login Succeeded');
    assert.ok(result.IdentityToken?.startsWith('refresh-alice-'), JSON.stringify(result));
    const loginRequest = reg.token!.requests.at(-1)!;
    assert.equal(loginRequest.offlineToken, true);
    assert.equal(loginRequest.clientId, 'docker');
    assert.deepEqual(loginRequest.scopes, []);

    reg.token!.requests.length = 0;
    const ref = parseDockerRef(`${reg.host}/team/app:1`);
    const got = await (await svc.repository(ref, { authConfig: { identitytoken: result.IdentityToken } })).getManifest('1');
    assert.equal(got.digest, img.manifest.digest);
    assert.deepEqual(reg.token!.requests.map((r) => [r.method, r.grantType, r.account, r.scopes]), [
      ['POST', 'refresh_token', 'alice', ['repository:team/app:pull']],
    ]);
    // logging in with the identity token hands it back
    assert.deepEqual(await svc.login(reg.host, { identitytoken: result.IdentityToken }), {
      Status: 'Login Succeeded',
      IdentityToken: result.IdentityToken,
    });
  });

  test('login with a wrong password: unauthorized, with the token server message', async () => {
    const err = await svc.login(reg.host, { username: 'alice', password: 'nope' }).catch((e: unknown) => e);
    assert.ok(isEngineError(err, 'unauthorized'), String(err));
    // localhost is tried over HTTPS first; the credentials are refused on the HTTP endpoint
    assert.equal((err as Error).message, `Get "http://${reg.host}/v2/": unauthorized: incorrect username or password`);
    const unknownUser = await svc.login(reg.host, { username: 'mallory', password: 'x' }).catch((e: unknown) => e);
    assert.ok(isEngineError(unknownUser, 'unauthorized'));
  });

  test('a registry token is sent as the bearer token as is', async () => {
    const ref = parseDockerRef(`${reg.host}/team/app:1`);
    const err = await (await svc.repository(ref, { authConfig: { registrytoken: 'not-a-jwt' } })).getManifest('1').catch((e: unknown) => e);
    assert.ok(isEngineError(err, 'unauthorized'), String(err));
  });
});
