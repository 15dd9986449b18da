// dockerd's endpoint rules (registry/config.go, service_v2.go): HTTPS by
// default, insecure registries by host or CIDR (loopback always) get HTTPS
// without verification then HTTP, mirrors only for Docker Hub, and the
// config keys for credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  RegistryEndpoints,
  authConfigKey,
  validateMirror,
  readCertsDirectory,
  INDEX_SERVER,
} from '../../../src/registry/endpoints.js';
import { nextLink } from '../../../src/registry/repository.js';
import { createLimiter } from '../../../src/registry/limit.js';
import { isEngineError } from '../../../src/common/errors.js';

const describe = (eps: { url: URL; mirror: boolean; tls?: { insecureSkipVerify?: boolean } }[]) =>
  eps.map((e) => `${e.url.toString()}${e.mirror ? ' mirror' : ''}${e.tls?.insecureSkipVerify ? ' insecure' : ''}`);

test('Docker Hub: registry-1.docker.io, mirrors first for pulls only', async () => {
  const r = new RegistryEndpoints({ mirrors: ['https://mirror.example.com', 'http://127.0.0.1:5555/'], certsDir: '/nonexistent' });
  assert.deepEqual(describe(await r.lookup('docker.io', { mirrors: true })), [
    'https://mirror.example.com/ mirror',
    'http://127.0.0.1:5555/ mirror',
    'https://registry-1.docker.io/',
  ]);
  assert.deepEqual(describe(await r.lookup('docker.io', { mirrors: false })), ['https://registry-1.docker.io/']);
  assert.deepEqual(describe(await r.lookup('index.docker.io', { mirrors: false })), ['https://registry-1.docker.io/']);
});

test('loopback is insecure: HTTPS without verification, then HTTP', async () => {
  const r = new RegistryEndpoints({ certsDir: '/nonexistent' });
  for (const host of ['127.0.0.1:5000', 'localhost:5000', '[::1]:5000', '127.1.2.3']) {
    assert.deepEqual(describe(await r.lookup(host, { mirrors: true })), [`https://${host}/ insecure`, `http://${host}/`], host);
  }
  assert.deepEqual(describe(await r.lookup('registry.example.com', { mirrors: true })), ['https://registry.example.com/']);
  assert.deepEqual(describe(await r.lookup('10.1.2.3:5000', { mirrors: true })), ['https://10.1.2.3:5000/']);
});

test('insecure-registries: host[:port] entries and CIDRs', async () => {
  const r = new RegistryEndpoints({ insecureRegistries: ['registry.example.com:5000', '10.0.0.0/8', 'http://plain.example.com'], certsDir: '/nonexistent' });
  assert.equal(await r.isSecure('registry.example.com:5000'), false);
  assert.equal(await r.isSecure('registry.example.com'), true);
  assert.equal(await r.isSecure('plain.example.com'), false);
  assert.equal(await r.isSecure('10.20.30.40:443'), false);
  assert.equal(await r.isSecure('11.0.0.1'), true);
  assert.equal(await r.isSecure('docker.io'), true);
  assert.deepEqual(r.insecureCidrs, ['10.0.0.0/8', '::1/128', '127.0.0.0/8']);
  assert.deepEqual(describe(await r.lookup('10.9.9.9:5000', { mirrors: false })), ['https://10.9.9.9:5000/ insecure', 'http://10.9.9.9:5000/']);
});

test('insecure-registries: dockerd rejects what is neither CIDR nor host[:port]', () => {
  assert.throws(() => new RegistryEndpoints({ insecureRegistries: ['ftp://x'] }), (e: unknown) => isEngineError(e, 'invalid-parameter') && e.message === "insecure registry ftp://x should not contain '://'");
  assert.throws(() => new RegistryEndpoints({ insecureRegistries: ['a:b:c'] }), /insecure registry a:b:c is not valid/);
});

test('validateMirror: dockerd ValidateMirror', () => {
  assert.equal(validateMirror('https://mirror.example.com'), 'https://mirror.example.com/');
  assert.equal(validateMirror('http://10.0.0.1:5000/'), 'http://10.0.0.1:5000/');
  assert.throws(() => validateMirror('ftp://m'), /invalid mirror: unsupported scheme "ftp" in "ftp:\/\/m"/);
  assert.throws(() => validateMirror('https://m/?q=1'), /invalid mirror: query or fragment at end of the URI/);
  assert.throws(() => validateMirror('https://u:p@m/'), /invalid mirror: username\/password not allowed in URI "https:\/\/u:xxxxx@m\/"/);
  assert.throws(() => validateMirror('not a url'), /invalid mirror: "not a url" is not a valid URI/);
});

test('authConfigKey: Docker Hub credentials live under https://index.docker.io/v1/', () => {
  assert.equal(authConfigKey('docker.io'), INDEX_SERVER);
  assert.equal(authConfigKey('index.docker.io'), 'https://index.docker.io/v1/');
  assert.equal(authConfigKey('localhost:5000'), 'localhost:5000');
  assert.equal(authConfigKey('ghcr.io'), 'ghcr.io');
});

test('certs.d: *.crt are CAs, *.cert+*.key a client certificate', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-certsd-'));
  try {
    const host = path.join(dir, 'reg.example.com:5000');
    mkdirSync(host);
    writeFileSync(path.join(host, 'ca.crt'), 'CA');
    writeFileSync(path.join(host, 'client.cert'), 'CERT');
    writeFileSync(path.join(host, 'client.key'), 'KEY');
    assert.deepEqual(await readCertsDirectory(host), { ca: ['CA'], cert: 'CERT', key: 'KEY' });
    const r = new RegistryEndpoints({ certsDir: dir });
    const [ep] = await r.lookup('reg.example.com:5000', { mirrors: false });
    assert.deepEqual(ep!.tls, { ca: ['CA'], cert: 'CERT', key: 'KEY' });
    writeFileSync(path.join(host, 'lonely.key'), 'KEY');
    await assert.rejects(readCertsDirectory(host), /missing client certificate lonely.cert for key lonely.key/);
    assert.deepEqual(await readCertsDirectory(path.join(dir, 'none')), {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Link header pagination (RFC 5988)', () => {
  const base = new URL('http://r:5000/v2/a/tags/list?n=2');
  assert.equal(nextLink('</v2/a/tags/list?last=b&n=2>; rel="next"', base)?.toString(), 'http://r:5000/v2/a/tags/list?last=b&n=2');
  assert.equal(nextLink('<http://other/v2/a/tags/list?last=c>; rel=next', base)?.toString(), 'http://other/v2/a/tags/list?last=c');
  assert.equal(nextLink('</prev>; rel="prev", </next?x=1,2>; rel="next"', base)?.toString(), 'http://r:5000/next?x=1,2');
  assert.equal(nextLink('</prev>; rel="prev"', base), undefined);
  assert.equal(nextLink(undefined, base), undefined);
});

test('createLimiter: at most N tasks at once, in order', async () => {
  const limit = createLimiter(2);
  assert.equal(limit.limit, 2);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const task = (i: number) => async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 5 + (i % 3)));
    running--;
    order.push(i);
    if (i === 3) throw new Error('boom');
    return i;
  };
  const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map((i) => limit(task(i))));
  assert.equal(peak, 2);
  assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : 'x')), [0, 1, 2, 'x', 4, 5]);
  assert.equal(limit.active, 0);
  assert.equal(limit.pending, 0);
  assert.equal(createLimiter().limit, 3);
  assert.throws(() => createLimiter(0), RangeError);
});
