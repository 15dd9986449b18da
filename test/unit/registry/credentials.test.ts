// docker's config.json and credential helpers (docker/cli cli/config):
// the file keeps every other key, mode 0600, atomic replacement; helpers
// speak get/store/erase/list with docker-credential-helpers' protocol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, statSync, chmodSync, mkdirSync, symlinkSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DockerConfigFile,
  dockerConfigDir,
  convertToHostname,
  credentialKeyForServer,
  logoutKeys,
  CredentialHelper,
  type HelperRunner,
} from '../../../src/registry/credentials.js';

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'berth-creds-'));
}

test('dockerConfigDir: --config, then DOCKER_CONFIG, then ~/.docker', () => {
  assert.equal(dockerConfigDir({ configFlag: '/x', env: { DOCKER_CONFIG: '/y' } }), '/x');
  assert.equal(dockerConfigDir({ env: { DOCKER_CONFIG: '/y' } }), '/y');
  assert.equal(dockerConfigDir({ env: {}, homeDir: '/home/u' }), '/home/u/.docker');
});

test('server keys as docker login / logout use them', () => {
  assert.equal(convertToHostname('https://localhost:5000/v2/'), 'localhost:5000');
  assert.equal(convertToHostname('localhost:5000'), 'localhost:5000');
  assert.equal(convertToHostname('ftp://x/y'), 'ftp:');
  assert.equal(credentialKeyForServer(undefined), 'https://index.docker.io/v1/');
  assert.equal(credentialKeyForServer('docker.io'), 'https://index.docker.io/v1/');
  assert.equal(credentialKeyForServer('http://localhost:5000/'), 'localhost:5000');
  assert.deepEqual(logoutKeys('localhost:5000'), {
    hostname: 'localhost:5000',
    keys: ['localhost:5000', 'http://localhost:5000', 'https://localhost:5000'],
  });
  assert.deepEqual(logoutKeys(undefined), { hostname: 'https://index.docker.io/v1/', keys: ['https://index.docker.io/v1/'] });
});

test('a missing file is an empty config; a login creates it 0600 in a 0700 directory', async () => {
  const home = tempDir();
  try {
    const dir = path.join(home, 'conf');
    const cfg = await DockerConfigFile.load({ configFlag: dir, noDefaultStore: true });
    assert.deepEqual(await cfg.getCredentials('localhost:5000'), { serveraddress: 'localhost:5000' });
    await cfg.storeCredentials({ username: 'u', password: 'p:w', serveraddress: 'localhost:5000' });
    const file = path.join(dir, 'config.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const text = readFileSync(file, 'utf8');
    assert.deepEqual(JSON.parse(text), { auths: { 'localhost:5000': { auth: Buffer.from('u:p:w').toString('base64') } } });
    assert.ok(text.includes('\n\t'), 'indented with tabs, as the docker CLI writes it');
    const again = await DockerConfigFile.load({ configFlag: dir, noDefaultStore: true });
    assert.deepEqual(await again.getCredentials('localhost:5000'), { username: 'u', password: 'p:w', serveraddress: 'localhost:5000' });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('store and erase keep every other key, the mode and no temp files', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'config.json');
    const original = {
      auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw').toString('base64'), email: 'x@y' }, 'old.example.com': { auth: 'b2xkOnB3' } },
      psFormat: 'table {{.ID}}',
      currentContext: 'ctx',
      plugins: { foo: { bar: 'baz' } },
      proxies: { default: { httpProxy: 'http://p' } },
      somethingNew: [1, 2, 3],
    };
    writeFileSync(file, JSON.stringify(original));
    chmodSync(file, 0o640);
    const cfg = await DockerConfigFile.load({ configFlag: dir, noDefaultStore: true });
    assert.deepEqual(await cfg.getCredentials('https://index.docker.io/v1/'), {
      username: 'hub',
      password: 'pw',
      email: 'x@y',
      serveraddress: 'https://index.docker.io/v1/',
    });
    await cfg.storeCredentials({ username: 'me', password: 'secret', serveraddress: 'localhost:5000' });
    let doc = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(doc.psFormat, original.psFormat);
    assert.deepEqual(doc.plugins, original.plugins);
    assert.deepEqual(doc.proxies, original.proxies);
    assert.deepEqual(doc.somethingNew, original.somethingNew);
    assert.equal(doc.currentContext, 'ctx');
    assert.deepEqual(doc.auths['https://index.docker.io/v1/'], original.auths['https://index.docker.io/v1/']);
    assert.equal(doc.auths['localhost:5000'].auth, Buffer.from('me:secret').toString('base64'));
    assert.equal(statSync(file).mode & 0o777, 0o640);
    await cfg.eraseCredentials('localhost:5000');
    await cfg.eraseCredentials('never-there:1');
    doc = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(Object.keys(doc.auths), ['https://index.docker.io/v1/', 'old.example.com']);
    assert.deepEqual(readdirSync(dir), ['config.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('legacy keys with a scheme are found by hostname; identity tokens kept', async () => {
  const dir = tempDir();
  try {
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ auths: { 'https://reg.example.com/v1/': { auth: Buffer.from('a:b').toString('base64') }, 'tok.example.com': { identitytoken: 'refresh-1' } } }),
    );
    const cfg = await DockerConfigFile.load({ configFlag: dir, noDefaultStore: true });
    assert.deepEqual(await cfg.getCredentials('reg.example.com'), { username: 'a', password: 'b', serveraddress: 'reg.example.com' });
    assert.deepEqual(await cfg.getCredentials('tok.example.com'), { identitytoken: 'refresh-1', serveraddress: 'tok.example.com' });
    await cfg.storeCredentials({ username: 'u', identitytoken: 'refresh-2', serveraddress: 'tok.example.com' });
    const doc = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    assert.deepEqual(doc.auths['tok.example.com'], { auth: Buffer.from('u:').toString('base64'), identitytoken: 'refresh-2' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a symlinked config.json is written through the link', async () => {
  const dir = tempDir();
  try {
    const real = path.join(dir, 'real');
    mkdirSync(real);
    writeFileSync(path.join(real, 'config.json'), '{"psFormat":"x"}');
    const conf = path.join(dir, 'conf');
    mkdirSync(conf);
    symlinkSync(path.join(real, 'config.json'), path.join(conf, 'config.json'));
    const cfg = await DockerConfigFile.load({ configFlag: conf, noDefaultStore: true });
    await cfg.storeCredentials({ username: 'u', password: 'p', serveraddress: 'r' });
    assert.equal(JSON.parse(readFileSync(path.join(real, 'config.json'), 'utf8')).psFormat, 'x');
    assert.ok(JSON.parse(readFileSync(path.join(real, 'config.json'), 'utf8')).auths.r);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a broken file: docker\'s "parsing config file" errors', async () => {
  const dir = tempDir();
  try {
    writeFileSync(path.join(dir, 'config.json'), '{not json');
    await assert.rejects(DockerConfigFile.load({ configFlag: dir, noDefaultStore: true }), (e: unknown) =>
      (e as Error).message.startsWith(`parsing config file (${path.join(dir, 'config.json')}): `),
    );
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ auths: { r: { auth: Buffer.from('nocolon').toString('base64') } } }));
    await assert.rejects(DockerConfigFile.load({ configFlag: dir, noDefaultStore: true }), /invalid auth configuration file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** An in-memory helper speaking docker-credential-helpers' protocol. */
function fakeHelper(store: Map<string, { Username: string; Secret: string }>, calls: string[]): HelperRunner {
  return async (program, action, input) => {
    calls.push(`${program} ${action} ${input}`);
    switch (action) {
      case 'get': {
        const c = store.get(input);
        if (!c) return { code: 1, stdout: 'credentials not found in native keychain\n' };
        return { code: 0, stdout: JSON.stringify({ ServerURL: input, ...c }) };
      }
      case 'store': {
        const doc = JSON.parse(input) as { ServerURL: string; Username: string; Secret: string };
        store.set(doc.ServerURL, { Username: doc.Username, Secret: doc.Secret });
        return { code: 0, stdout: '' };
      }
      case 'erase':
        store.delete(input);
        return { code: 0, stdout: '' };
      case 'list':
        return { code: 0, stdout: JSON.stringify(Object.fromEntries([...store].map(([k, v]) => [k, v.Username]))) };
    }
    return { code: 1, stdout: 'unknown action' };
  };
}

test('credsStore and credHelpers: secrets go to the helper, the file keeps an empty entry', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ credsStore: 'fake', credHelpers: { 'special.example.com': 'other' }, auths: {} }));
    const fake = new Map<string, { Username: string; Secret: string }>();
    const other = new Map<string, { Username: string; Secret: string }>();
    const calls: string[] = [];
    const runner: HelperRunner = (program, action, input) =>
      program === 'docker-credential-other' ? fakeHelper(other, calls)(program, action, input) : fakeHelper(fake, calls)(program, action, input);
    const cfg = await DockerConfigFile.load({ configFlag: dir, runHelper: runner });
    assert.equal(cfg.helperFor('localhost:5000'), 'fake');
    assert.equal(cfg.helperFor('special.example.com'), 'other');

    await cfg.storeCredentials({ username: 'u', password: 'p', serveraddress: 'localhost:5000' });
    assert.deepEqual(fake.get('localhost:5000'), { Username: 'u', Secret: 'p' });
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).auths, { 'localhost:5000': {} });
    assert.deepEqual(await cfg.getCredentials('localhost:5000'), { username: 'u', password: 'p', serveraddress: 'localhost:5000' });

    // identity tokens are stored under the username "<token>"
    await cfg.storeCredentials({ username: 'u', identitytoken: 'refresh', serveraddress: 'special.example.com' });
    assert.deepEqual(other.get('special.example.com'), { Username: '<token>', Secret: 'refresh' });
    assert.deepEqual(await cfg.getCredentials('special.example.com'), { identitytoken: 'refresh', serveraddress: 'special.example.com' });

    // not found in the helper: empty
    assert.deepEqual(await cfg.getCredentials('nothing.example.com'), { serveraddress: 'nothing.example.com' });

    assert.deepEqual(Object.keys(await cfg.getAllCredentials()).sort(), ['localhost:5000', 'special.example.com']);

    await cfg.eraseCredentials('localhost:5000');
    assert.equal(fake.has('localhost:5000'), false);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).auths, { 'special.example.com': {} });
    assert.ok(calls.includes('docker-credential-fake get localhost:5000'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('helper failures in docker-credential-helpers words', async () => {
  const failing: HelperRunner = async () => ({ code: 1, stdout: 'keychain locked\n' });
  await assert.rejects(new CredentialHelper('x', failing).get('r'), { message: 'error getting credentials - err: exit status 1, out: `keychain locked`' });
  await assert.rejects(new CredentialHelper('x', failing).store('r', 'u', 'p'), { message: 'error storing credentials - err: exit status 1, out: `keychain locked`' });
  await assert.rejects(new CredentialHelper('x', failing).erase('r'), { message: 'error erasing credentials - err: exit status 1, out: `keychain locked`' });
  await assert.rejects(new CredentialHelper('berth-surely-missing-helper').get('r'), {
    message: 'error getting credentials - err: exec: "docker-credential-berth-surely-missing-helper": executable file not found in $PATH, out: ``',
  });
});

test('a real helper executable on $PATH', async () => {
  const dir = tempDir();
  const saved = process.env.PATH;
  try {
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    const storeFile = path.join(dir, 'store.json');
    // A tiny helper in sh: remembers one credential in a file.
    writeFileSync(
      path.join(bin, 'docker-credential-berthtest'),
      `#!/bin/sh
case "$1" in
  store) cat > ${storeFile} ;;
  get) read url; if [ -f ${storeFile} ]; then sed 's/"Username"/"Username"/' ${storeFile}; else echo "credentials not found in native keychain"; exit 1; fi ;;
  erase) rm -f ${storeFile} ;;
  list) echo '{}' ;;
esac
`,
      { mode: 0o755 },
    );
    process.env.PATH = `${bin}:${saved}`;
    const helper = new CredentialHelper('berthtest');
    assert.equal(await helper.get('r.example.com'), undefined);
    await helper.store('r.example.com', 'user', 'pass');
    assert.deepEqual(await helper.get('r.example.com'), { username: 'user', secret: 'pass' });
    await helper.erase('r.example.com');
    assert.equal(await helper.get('r.example.com'), undefined);
  } finally {
    process.env.PATH = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
