// The volume service on a temporary data root, without mounts: names,
// options, labels, references, list and prune filters, messages, events, the
// on-disk layout and what a crash leaves. Expectations from dockerd 20.10.24
// answers observed on this machine (curl and CLI 28.2.2) where marked, and
// from moby volume/service (store_test.go, service_test.go) otherwise.
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nullLogger } from '../../../src/common/log.js';
import { EngineError } from '../../../src/common/errors.js';
import { Filters } from '../../../src/api/http/filters.js';
import { ANONYMOUS_LABEL, VolumeService } from '../../../src/volume/service.js';
import { formatRfc3339Seconds, ramInBytes, validateLocalOptions, validateVolumeName } from '../../../src/volume/local.js';
import { parseMountOptions } from '../../../src/volume/mount-options.js';

type Ev = { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> } };

async function rejection(p: Promise<unknown>): Promise<EngineError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof EngineError, `not an EngineError: ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

function syncError(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof EngineError);
    return err;
  }
  assert.fail('expected an error');
}

const f = (obj: Record<string, string[]>): Filters => Filters.parse(JSON.stringify(obj));

describe('volume service', () => {
  let dir: string;
  let svc: VolumeService;
  let events: Ev[];

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-vol-unit-'));
    events = [];
    svc = await VolumeService.open({ dataRoot: dir, logger: nullLogger, events: { publish: (ev) => events.push(ev) } });
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('create, inspect: dockerd layout and shape; a second create returns the existing volume', async () => {
    const v = await svc.create('vv', '', {});
    assert.deepEqual(Object.keys(v), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
    assert.equal(v.Mountpoint, path.join(dir, 'volumes/vv/_data'));
    assert.equal(v.Labels, null);
    assert.equal(v.Options, null);
    assert.equal(v.Scope, 'local');
    assert.equal(v.Driver, 'local');
    assert.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    assert.equal(((await fs.stat(v.Mountpoint)).mode & 0o777), 0o755);
    assert.equal(((await fs.stat(path.dirname(v.Mountpoint))).mode & 0o777), 0o701);
    const again = await svc.create('vv', 'local', { labels: { other: 'x' } });
    assert.deepEqual(again, v);
    assert.deepEqual(svc.get('vv'), v);
    assert.deepEqual(events.map((e) => [e.Action, e.Actor.ID, e.Actor.Attributes]), [['create', 'vv', { driver: 'local' }]]);
    // Empty maps stay empty maps (dockerd: `{"Labels":{},"DriverOpts":{}}` gives {} back).
    const w = await svc.create('ww', '', { labels: {}, driverOpts: {} });
    assert.deepEqual([w.Labels, w.Options], [{}, {}]);
  });

  test('anonymous volumes: 64-hex names and the anonymous label', async () => {
    const v = await svc.create('', '', { labels: { a: 'b' } });
    assert.match(v.Name, /^[0-9a-f]{64}$/);
    assert.deepEqual(v.Labels, { a: 'b', [ANONYMOUS_LABEL]: '' });
    const e = await svc.ensure({ containerId: 'c1' });
    assert.match(e.name, /^[0-9a-f]{64}$/);
    assert.notEqual(e.name, v.Name);
    assert.deepEqual(svc.references(e.name), ['c1']);
  });

  test('names, options and drivers are refused with dockerd\'s messages (observed on dockerd 20.10.24)', async () => {
    assert.equal((await rejection(svc.create('a', '', {}))).message, 'create a: volume name is too short, names should be at least two alphanumeric characters');
    const bad = await rejection(svc.create('x y', '', {}));
    assert.equal(bad.kind, 'invalid-parameter');
    assert.equal(bad.message, 'create x y: "x y" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path');
    assert.equal((await rejection(svc.create('t2', '', { driverOpts: { foo: 'bar' } }))).message, 'create t2: invalid option: "foo"');
    assert.equal((await rejection(svc.create('t3', '', { driverOpts: { type: 'tmpfs' } }))).message, 'create t3: missing required option: "device"');
    const nodrv = await rejection(svc.create('t4', 'nope', {}));
    assert.equal(nodrv.kind, 'not-found');
    assert.equal(nodrv.message, 'create t4: error looking up volume plugin nope: plugin "nope" not found');
    assert.equal(svc.count, 0);
    assert.deepEqual(await fs.readdir(path.join(dir, 'volumes')), []);
  });

  test('inspect and remove of a missing volume (dockerd 20.10.24)', async () => {
    const e = syncError(() => svc.get('nope'));
    assert.equal(e.kind, 'not-found');
    assert.equal(e.message, 'get nope: no such volume');
    assert.equal((await rejection(svc.remove('nope'))).message, 'get nope: no such volume');
    await svc.remove('nope', { force: true });
  });

  test('a referenced volume cannot be removed, even with force (dockerd 20.10.24)', async () => {
    await svc.ensure({ name: 'vv', containerId: 'a'.repeat(64) });
    await svc.reference('vv', 'b'.repeat(64));
    const e = await rejection(svc.remove('vv', { force: true }));
    assert.equal(e.kind, 'conflict');
    assert.equal(e.message, `remove vv: volume is in use - [${'a'.repeat(64)}, ${'b'.repeat(64)}]`);
    await svc.dereference('vv', 'a'.repeat(64));
    await svc.release('vv', 'b'.repeat(64), true); // named: rm -v keeps it
    assert.equal(svc.get('vv').Name, 'vv');
    await svc.remove('vv');
    assert.throws(() => svc.get('vv'));
    await assert.rejects(fs.stat(path.join(dir, 'volumes/vv')));
    assert.deepEqual(events.map((e) => e.Action), ['create', 'destroy']);
  });

  test('release with removal takes anonymous volumes only, and only when unused', async () => {
    const anon = await svc.ensure({ containerId: 'c1' });
    await svc.reference(anon.name, 'c2');
    await svc.release(anon.name, 'c1', true);
    assert.equal(svc.get(anon.name).Name, anon.name); // c2 still uses it
    await svc.release(anon.name, 'c2', true);
    assert.throws(() => svc.get(anon.name));
  });

  test('list filters: name (regexp), driver, label, dangling; unknown filters refused', async () => {
    await svc.create('alpha', '', { labels: { tier: 'web', keep: '' } });
    await svc.create('beta', '', { labels: { tier: 'db' } });
    await svc.create('gamma', '', {});
    await svc.reference('beta', 'c1');
    const names = (filters: Record<string, string[]>): string[] => svc.list(f(filters)).Volumes.map((v) => v.Name);
    assert.deepEqual(names({}), ['alpha', 'beta', 'gamma']);
    assert.equal(svc.list().Warnings, null);
    assert.deepEqual(names({ name: ['alp'] }), ['alpha']);
    assert.deepEqual(names({ name: ['^g.*a$'] }), ['gamma']);
    assert.deepEqual(names({ name: ['alpha', 'beta'] }), ['alpha', 'beta']);
    assert.deepEqual(names({ driver: ['local'] }), ['alpha', 'beta', 'gamma']);
    assert.deepEqual(names({ driver: ['other'] }), []);
    assert.deepEqual(names({ label: ['tier'] }), ['alpha', 'beta']);
    assert.deepEqual(names({ label: ['tier=db'] }), ['beta']);
    assert.deepEqual(names({ label: ['tier', 'keep'] }), ['alpha']);
    assert.deepEqual(names({ dangling: ['true'] }), ['alpha', 'gamma']);
    assert.deepEqual(names({ dangling: ['0'] }), ['beta']);
    assert.equal(syncError(() => svc.list(f({ dangling: ['yes'] }))).message, "invalid filter 'dangling=yes'");
    assert.equal(syncError(() => svc.list(f({ dangling: ['true', 'false'] }))).message, "invalid filter 'dangling=true,false'");
    assert.equal(syncError(() => svc.list(f({ until: ['1h'] }))).message, "invalid filter 'until'");
  });

  test('prune: anonymous only by default (API >= 1.42), all=true, label filters, references, options', async () => {
    const anon1 = await svc.create('', '', {});
    const anon2 = await svc.create('', '', { labels: { keep: 'yes' } });
    const anonUsed = await svc.ensure({ containerId: 'c1' });
    await svc.create('named', '', {});
    await svc.create('named2', '', { labels: { keep: 'yes' } });
    await svc.create('withopts', '', { driverOpts: { type: 'tmpfs', device: 'tmpfs' } });
    await fs.writeFile(path.join(anon1.Mountpoint, 'f'), 'x'.repeat(1000));
    await fs.link(path.join(anon1.Mountpoint, 'f'), path.join(anon1.Mountpoint, 'hardlink'));
    await fs.symlink('target-of-link', path.join(anon1.Mountpoint, 'sym'));

    assert.equal((await rejection(svc.prune(f({ until: ['1h'] })))).message, "invalid filter 'until'");
    assert.equal((await rejection(svc.prune(f({ all: ['maybe'] })))).message, `invalid filter 'all': strconv.ParseBool: parsing "maybe": invalid syntax`);
    assert.equal((await rejection(svc.prune(f({ all: ['true', 'false'] })))).message, "invalid filter 'all=[true false]': only one value is expected");

    const r1 = await svc.prune(f({ 'label!': ['keep=yes'] }));
    assert.deepEqual(r1.VolumesDeleted, [anon1.Name]);
    // 1000 bytes once (hard link counted once) + the symlink's 14-byte target.
    assert.equal(r1.SpaceReclaimed, 1000 + 'target-of-link'.length);
    const r2 = await svc.prune();
    assert.deepEqual(r2, { VolumesDeleted: [anon2.Name], SpaceReclaimed: 0 });
    const r3 = await svc.prune(f({ all: ['1'], label: ['keep=yes'] }));
    assert.deepEqual(r3.VolumesDeleted, ['named2']);
    const r4 = await svc.prune(f({ all: ['true'] }));
    assert.deepEqual(r4.VolumesDeleted, ['named']);
    // What stays: the referenced anonymous volume and the one with driver options.
    assert.deepEqual(svc.list().Volumes.map((v) => v.Name).sort(), [anonUsed.name, 'withopts'].sort());
    const prunes = events.filter((e) => e.Action === 'prune');
    assert.equal(prunes.length, 4);
    assert.deepEqual(prunes[0]!.Actor, { ID: '', Attributes: { reclaimed: String(1014) } });
  });

  test('prune before API 1.42 takes named volumes too', async () => {
    await svc.create('named', '', {});
    assert.deepEqual((await svc.prune(new Filters(), false)).VolumesDeleted, ['named']);
  });

  test('system df part: local volumes without options, sizes and reference counts', async () => {
    const v = await svc.create('data', '', {});
    await fs.mkdir(path.join(v.Mountpoint, 'd'));
    await fs.writeFile(path.join(v.Mountpoint, 'd/a'), 'hello');
    await svc.create('opts', '', { driverOpts: { type: 'tmpfs', device: 'tmpfs' } });
    await svc.reference('data', 'c1');
    await svc.reference('data', 'c2');
    const df = await svc.diskUsage();
    assert.deepEqual(df.map((x) => [x.Name, x.UsageData]), [['data', { RefCount: 2, Size: 5 }]]);
  });

  test('state survives reopening; references come back from restore()', async () => {
    const v = await svc.create('keep', '', { labels: { a: 'b' }, driverOpts: {} });
    await fs.writeFile(path.join(v.Mountpoint, 'f'), 'x');
    await svc.ensure({ name: 'keep', containerId: 'c1' });
    const reopened = await VolumeService.open({ dataRoot: dir, logger: nullLogger });
    assert.deepEqual(reopened.get('keep'), v);
    assert.deepEqual(reopened.references('keep'), []);
    await reopened.restore([{ id: 'c1', volumes: ['keep', 'gone'], running: false }]);
    assert.deepEqual(reopened.references('keep'), ['c1']);
    assert.equal((await rejection(reopened.remove('keep'))).kind, 'conflict');
    assert.equal(await fs.readFile(path.join(reopened.get('keep').Mountpoint, 'f'), 'utf8'), 'x');
  });

  test('what a crash leaves: half-made and half-removed volumes are cleared, hand-made directories adopted', async () => {
    const root = path.join(dir, 'volumes');
    await fs.mkdir(path.join(root, '.staging/abc/_data'), { recursive: true });
    await fs.writeFile(path.join(root, '.staging/abc/volume.json'), '{"Name":"half"}');
    await fs.mkdir(path.join(root, '.trash/old.123/_data'), { recursive: true });
    await fs.writeFile(path.join(root, '.trash/old.123/_data/f'), 'x');
    await fs.mkdir(path.join(root, 'handmade'));
    await fs.mkdir(path.join(root, 'not a name'));
    const reopened = await VolumeService.open({ dataRoot: dir, logger: nullLogger });
    assert.deepEqual(await fs.readdir(path.join(root, '.staging')), []);
    assert.deepEqual(await fs.readdir(path.join(root, '.trash')), []);
    const hand = reopened.get('handmade');
    assert.equal(hand.Labels, null);
    assert.ok((await fs.stat(hand.Mountpoint)).isDirectory());
    assert.deepEqual(reopened.list().Volumes.map((v) => v.Name), ['handmade']);
  });

  test('copy-up fills an empty volume only: modes, owners, symlinks, hard links, xattrs', async () => {
    const src = path.join(dir, 'image-etc');
    await fs.mkdir(path.join(src, 'sub'), { recursive: true, mode: 0o750 });
    await fs.chmod(src, 0o711);
    await fs.chown(src, 1000, 1001);
    await fs.writeFile(path.join(src, 'sub/f'), 'content', { mode: 0o640 });
    await fs.chown(path.join(src, 'sub/f'), 1234, 5678);
    await fs.symlink('../etc/passwd', path.join(src, 'link'));
    await fs.link(path.join(src, 'sub/f'), path.join(src, 'hard'));
    const { lsetxattr, lgetxattr } = await import('../../../src/common/syscalls.js');
    lsetxattr(path.join(src, 'sub/f'), 'user.berth', Buffer.from('v1'));

    const v = await svc.create('etcvol', '', {});
    assert.equal(await svc.copyUp('etcvol', src), true);
    const st = await fs.stat(v.Mountpoint);
    assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o711, 1000, 1001]);
    const fst = await fs.stat(path.join(v.Mountpoint, 'sub/f'));
    assert.deepEqual([fst.mode & 0o777, fst.uid, fst.gid, fst.nlink], [0o640, 1234, 5678, 2]);
    assert.equal(await fs.readlink(path.join(v.Mountpoint, 'link')), '../etc/passwd');
    assert.equal(lgetxattr(path.join(v.Mountpoint, 'sub/f'), 'user.berth')?.toString(), 'v1');

    // Not empty any more: a second copy does nothing.
    await fs.writeFile(path.join(src, 'new'), 'n');
    assert.equal(await svc.copyUp('etcvol', src), false);
    await assert.rejects(fs.stat(path.join(v.Mountpoint, 'new')));
    // A missing or non-directory source copies nothing.
    await svc.create('other', '', {});
    assert.equal(await svc.copyUp('other', path.join(dir, 'missing')), false);
    assert.equal(await svc.copyUp('other', path.join(src, 'new')), false);
  });
});

describe('local driver pieces', () => {
  test('names (moby RestrictedNamePattern)', () => {
    for (const ok of ['ab', 'a1', 'A_b.c-d', '0x', 'a'.repeat(200)]) assert.doesNotThrow(() => validateVolumeName(ok), ok);
    for (const bad of ['a', '_ab', '.ab', '-ab', 'a/b', 'a b', 'a:b', '']) assert.throws(() => validateVolumeName(bad), EngineError, bad);
  });

  test('options (local_unix.go validateOpts)', () => {
    assert.doesNotThrow(() => validateLocalOptions({ type: 'tmpfs', device: 'tmpfs', o: 'size=100m,uid=1000' }));
    assert.doesNotThrow(() => validateLocalOptions({ type: 'none', device: '/srv', o: 'bind' }));
    assert.doesNotThrow(() => validateLocalOptions({ size: '0' }));
    assert.doesNotThrow(() => validateLocalOptions({}));
    assert.equal(syncError(() => validateLocalOptions({ o: 'bind' })).message, 'missing required option: "device"');
    assert.equal(syncError(() => validateLocalOptions({ device: '/x' })).message, 'missing required option: "type"');
    assert.equal(syncError(() => validateLocalOptions({ size: '10m' })).message, 'quota size requested but no quota support');
    assert.equal(syncError(() => validateLocalOptions({ size: 'lots' })).message, "invalid size: 'lots'");
    assert.equal(ramInBytes('1.5k'), 1536);
    assert.equal(ramInBytes('100MiB'), 100 * 2 ** 20);
  });

  test('mount option strings split into flags and data (moby/sys/mount parseOptions)', () => {
    assert.deepEqual(parseMountOptions('size=100m,uid=1000'), { flags: 0, data: 'size=100m,uid=1000' });
    assert.deepEqual(parseMountOptions('bind'), { flags: 0x1000, data: '' });
    assert.deepEqual(parseMountOptions('bind,ro'), { flags: 0x1001, data: '' });
    assert.deepEqual(parseMountOptions('rbind,rw,nosuid'), { flags: 0x1000 | 0x4000 | 0x2, data: '' });
    assert.deepEqual(parseMountOptions('noexec,exec,defaults,addr=1.2.3.4'), { flags: 0, data: 'addr=1.2.3.4' });
    assert.deepEqual(parseMountOptions('rshared'), { flags: 0x100000 | 0x4000, data: '' });
  });

  test('CreatedAt as Go formats time.RFC3339', () => {
    const s = formatRfc3339Seconds(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)));
    assert.match(s, /^2024-01-0[12]T\d\d:04:05(Z|[+-]\d\d:\d\d)$/);
  });
});
