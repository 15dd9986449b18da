// `docker volume` through a real berthd and the real docker CLI: create,
// ls (filters, format), inspect, rm (missing, force), prune (anonymous only
// by default, --all, labels), the local driver's options, the API's status
// codes and error bodies, state across a restart and a kill -9 in the middle
// of creates and removes. Expected texts observed from dockerd 20.10.24 and
// CLI 28.2.2 on this machine where marked. Each test's daemon is cleaned up
// (mounts, temp dirs) after it, also on failure.
import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { haveDockerCli, type TestDaemon } from '../../helpers/daemon.js';
import { freshDaemon } from './helpers.js';

const skip = !haveDockerCli ? 'the docker CLI is not installed' : false;

describe('docker volume against berthd', { skip, concurrency: false }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await freshDaemon();
  });
  after(async () => {
    await d?.cleanup();
  });
  // Each test starts with no volumes, whatever the previous one left.
  afterEach(async () => {
    const list = await d.api('GET', '/volumes').catch(() => undefined);
    for (const v of (list?.json as { Volumes?: Array<{ Name: string }> } | undefined)?.Volumes ?? []) {
      await d.api('DELETE', `/volumes/${v.Name}?force=1`).catch(() => undefined);
    }
  });

  test('create, create again, inspect, ls, rm', async () => {
    let r = await d.docker(['volume', 'create', 'vv']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'vv\n');
    r = await d.docker(['volume', 'create', 'vv']);
    assert.equal(r.stdout, 'vv\n');
    r = await d.docker(['volume', 'inspect', 'vv']);
    assert.equal(r.code, 0, r.stderr);
    const [info] = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(info!), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
    assert.equal(info!.Mountpoint, path.join(d.dataRoot, 'volumes/vv/_data'));
    assert.equal(info!.Driver, 'local');
    assert.equal(info!.Scope, 'local');
    assert.ok((await fs.stat(info!.Mountpoint as string)).isDirectory());
    r = await d.docker(['volume', 'ls']);
    assert.equal(r.stdout, 'DRIVER    VOLUME NAME\nlocal     vv\n');
    r = await d.docker(['volume', 'inspect', '--format', '{{.Name}} {{.Driver}} {{.Scope}}', 'vv']);
    assert.equal(r.stdout, 'vv local local\n');
    r = await d.docker(['volume', 'rm', 'vv']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'vv\n');
    await assert.rejects(fs.stat(path.join(d.dataRoot, 'volumes/vv')));
  });

  test('errors: missing volume, bad names and options, unknown driver (dockerd 20.10.24 texts)', async () => {
    let r = await d.docker(['volume', 'inspect', 'nope']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /get nope: no such volume/);
    r = await d.docker(['volume', 'rm', 'nope']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error response from daemon: get nope: no such volume/);
    r = await d.docker(['volume', 'rm', '-f', 'nope']);
    assert.equal(r.code, 0, r.stderr);
    r = await d.docker(['volume', 'create', 'x y']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /create x y: "x y" includes invalid characters for a local volume name, only "\[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]" are allowed\. If you intended to pass a host directory, use absolute path/);
    r = await d.docker(['volume', 'create', '-o', 'foo=bar', 't2']);
    assert.match(r.stderr, /create t2: invalid option: "foo"/);
    r = await d.docker(['volume', 'create', '-o', 'type=tmpfs', 't3']);
    assert.match(r.stderr, /create t3: missing required option: "device"/);
    r = await d.docker(['volume', 'create', '-d', 'nope', 't4']);
    assert.match(r.stderr, /create t4: error looking up volume plugin nope: plugin "nope" not found/);

    const api = await d.api('GET', '/volumes/nope');
    assert.equal(api.status, 404);
    assert.deepEqual(api.json, { message: 'get nope: no such volume' });
    const forced = await d.api('DELETE', '/volumes/nope?force=1');
    assert.equal(forced.status, 204);
    const bad = await d.api('POST', '/volumes/create', { Name: 'a' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { message: 'create a: volume name is too short, names should be at least two alphanumeric characters' });
    const nodrv = await d.api('POST', '/volumes/create', { Name: 't4', Driver: 'nope' });
    assert.equal(nodrv.status, 404);
    const badFilter = await d.api('GET', `/volumes?filters=${encodeURIComponent('{"foo":["x"]}')}`);
    assert.equal(badFilter.status, 400);
    assert.deepEqual(badFilter.json, { message: "invalid filter 'foo'" });
  });

  test('the API: 201 on create, an empty body makes an anonymous volume, list shape', async () => {
    const created = await d.api('POST', '/volumes/create', { Name: 'ww', Labels: {}, DriverOpts: {} });
    assert.equal(created.status, 201);
    const v = created.json as Record<string, unknown>;
    assert.deepEqual([v.Labels, v.Options], [{}, {}]);
    const anon = await d.api('POST', '/volumes/create');
    assert.equal(anon.status, 201);
    const a = anon.json as { Name: string; Labels: Record<string, string> };
    assert.match(a.Name, /^[0-9a-f]{64}$/);
    assert.deepEqual(a.Labels, { 'com.docker.volume.anonymous': '' });
    const list = await d.api('GET', '/volumes');
    assert.equal(list.status, 200);
    const body = list.json as { Volumes: Array<{ Name: string }>; Warnings: unknown };
    assert.equal(body.Warnings, null);
    assert.deepEqual(body.Volumes.map((x) => x.Name).sort(), [a.Name, 'ww'].sort());
    for (const n of [a.Name, 'ww']) assert.equal((await d.api('DELETE', `/volumes/${n}`)).status, 204);
  });

  test('labels, options and ls filters', async () => {
    for (const args of [
      ['--label', 'tier=web', '--label', 'keep', 'web1'],
      ['--label', 'tier=db', 'db1'],
      ['-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=10m,uid=1000', 'tmp1'],
    ]) {
      const r = await d.docker(['volume', 'create', ...args]);
      assert.equal(r.code, 0, r.stderr);
    }
    let r = await d.docker(['volume', 'inspect', '--format', '{{json .Labels}} {{json .Options}}', 'web1', 'tmp1']);
    // The CLI leaves out empty maps: `"Options": null` as dockerd shows after a plain `volume create`.
    assert.equal(r.stdout, '{"keep":"","tier":"web"} null\nnull {"device":"tmpfs","o":"size=10m,uid=1000","type":"tmpfs"}\n');
    r = await d.docker(['volume', 'ls', '-q', '--filter', 'label=tier']);
    assert.equal(r.stdout, 'db1\nweb1\n');
    r = await d.docker(['volume', 'ls', '-q', '--filter', 'label=tier=db']);
    assert.equal(r.stdout, 'db1\n');
    r = await d.docker(['volume', 'ls', '-q', '--filter', 'name=1$', '--filter', 'driver=local']);
    assert.equal(r.stdout, 'db1\ntmp1\nweb1\n');
    r = await d.docker(['volume', 'ls', '-q', '--filter', 'dangling=true']);
    assert.equal(r.stdout, 'db1\ntmp1\nweb1\n');
    r = await d.docker(['volume', 'ls', '--format', '{{.Name}}:{{.Driver}}:{{.Labels}}', '--filter', 'name=web']);
    // The CLI joins labels in Go's map order: either way round.
    assert.ok(['web1:local:keep=,tier=web\n', 'web1:local:tier=web,keep=\n'].includes(r.stdout), r.stdout);
    r = await d.docker(['volume', 'rm', 'web1', 'db1', 'tmp1']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('prune: anonymous only by default, --all, --filter label', async () => {
    await d.api('POST', '/volumes/create', {});
    await d.api('POST', '/volumes/create', { Labels: { keep: '1' } });
    for (const n of ['named1', 'named2']) await d.docker(['volume', 'create', n]);
    await d.docker(['volume', 'create', '--label', 'old', 'named3']);
    const anon = ((await d.api('GET', '/volumes')).json as { Volumes: Array<{ Name: string; Labels: Record<string, string> | null }> }).Volumes.filter(
      (v) => v.Labels && 'com.docker.volume.anonymous' in v.Labels,
    );
    const withData = anon.find((v) => !('keep' in (v.Labels ?? {})))!;
    await fs.writeFile(path.join(d.dataRoot, 'volumes', withData.Name, '_data/blob'), Buffer.alloc(2048));
    let r = await d.docker(['volume', 'prune', '-f', '--filter', 'label!=keep']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Deleted Volumes:\n${withData.Name}\n\nTotal reclaimed space: 2.048kB\n`);
    r = await d.docker(['volume', 'prune', '-f']);
    assert.match(r.stdout, /^Deleted Volumes:\n[0-9a-f]{64}\n\nTotal reclaimed space: 0B\n$/);
    r = await d.docker(['volume', 'prune', '-f', '--all', '--filter', 'label=old']);
    assert.equal(r.stdout, 'Deleted Volumes:\nnamed3\n\nTotal reclaimed space: 0B\n');
    r = await d.docker(['volume', 'prune', '-f', '--all']);
    assert.equal(r.stdout, 'Deleted Volumes:\nnamed1\nnamed2\n\nTotal reclaimed space: 0B\n');
    r = await d.docker(['volume', 'ls', '-q']);
    assert.equal(r.stdout, '');
    // API 1.41 and older: prune takes named volumes too.
    await d.docker(['volume', 'create', 'oldapi']);
    const old = await d.api('POST', '/v1.41/volumes/prune');
    assert.deepEqual(old.json, { VolumesDeleted: ['oldapi'], SpaceReclaimed: 0 });
  });

  test('volumes and their data survive a restart and a kill -9', async () => {
    await d.docker(['volume', 'create', '--label', 'a=b', 'persist']);
    await fs.writeFile(path.join(d.dataRoot, 'volumes/persist/_data/f'), 'data');
    const before = (await d.docker(['volume', 'inspect', 'persist'])).stdout;
    await d.restart();
    assert.equal((await d.docker(['volume', 'inspect', 'persist'])).stdout, before);
    await d.kill9();
    await d.start();
    assert.equal((await d.docker(['volume', 'inspect', 'persist'])).stdout, before);
    assert.equal(await fs.readFile(path.join(d.dataRoot, 'volumes/persist/_data/f'), 'utf8'), 'data');
    await d.docker(['volume', 'rm', 'persist']);
  });

  test('kill -9 during creates and removes leaves only whole volumes', async () => {
    // Creates and removes in flight when the daemon dies.
    const inflight: Array<Promise<unknown>> = [];
    for (let i = 0; i < 40; i++) {
      inflight.push(d.api('POST', '/volumes/create', { Name: `crash${i}`, Labels: { n: String(i) } }).catch(() => undefined));
      if (i % 3 === 0) inflight.push(d.api('DELETE', `/volumes/crash${i - 3}`).catch(() => undefined));
    }
    await new Promise((r) => setTimeout(r, 15));
    await d.kill9();
    await Promise.all(inflight);
    await d.start();
    const list = (await d.api('GET', '/volumes')).json as { Volumes: Array<{ Name: string; Labels: Record<string, string>; Mountpoint: string }> };
    for (const v of list.Volumes) {
      assert.match(v.Name, /^crash\d+$/);
      assert.equal(v.Labels.n, v.Name.slice('crash'.length), `labels of ${v.Name}`);
      assert.ok((await fs.stat(v.Mountpoint)).isDirectory());
    }
    const onDisk = (await fs.readdir(path.join(d.dataRoot, 'volumes'))).filter((n) => !n.startsWith('.'));
    assert.deepEqual(onDisk.sort(), list.Volumes.map((v) => v.Name).sort());
    for (const leftover of ['.staging', '.trash']) {
      const entries = await fs.readdir(path.join(d.dataRoot, 'volumes', leftover)).catch(() => []);
      assert.deepEqual(entries, [], leftover);
    }
    const r = await d.docker(['volume', 'prune', '-f', '--all']);
    assert.equal(r.code, 0, r.stderr);
  });
});
