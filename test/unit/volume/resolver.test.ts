// The container-facing resolver with a real volume service on a temporary
// data root and a directory standing in for the container's root filesystem:
// what inspect's Mounts show for each kind of mount (shapes observed from
// dockerd 20.10.24 `docker inspect`), references, duplicates, copy-up and
// nocopy, anonymous volumes for VOLUMEs, --volumes-from, rollback on failure,
// rm -v. No mounts are made (plain local volumes).
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nullLogger } from '../../../src/common/log.js';
import { ANONYMOUS_LABEL, VolumeService } from '../../../src/volume/service.js';
import { VolumeMountResolver } from '../../../src/volume/resolver.js';
import type { MountRequest } from '../../../src/runtime/mount-contract.js';

describe('volume mount resolver', () => {
  let dir: string;
  let rootfs: string;
  let svc: VolumeService;
  let resolver: VolumeMountResolver;
  let rootfsMounts: number;

  const req = (over: Partial<MountRequest>): MountRequest => ({
    containerId: 'c1',
    binds: [],
    mounts: [],
    volumes: [],
    volumeDriver: '',
    inherited: [],
    tmpfs: [],
    ...over,
  });

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-vol-res-'));
    rootfs = path.join(dir, 'rootfs');
    await fs.mkdir(path.join(rootfs, 'etc/sub'), { recursive: true });
    await fs.writeFile(path.join(rootfs, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
    await fs.writeFile(path.join(rootfs, 'etc/sub/f'), 'hi');
    await fs.symlink('/etc', path.join(rootfs, 'etclink'));
    await fs.writeFile(path.join(rootfs, 'afile'), 'x');
    svc = await VolumeService.open({ dataRoot: path.join(dir, 'root'), logger: nullLogger });
    rootfsMounts = 0;
    resolver = new VolumeMountResolver({
      volumes: svc,
      daemonRoot: path.join(dir, 'root'),
      rootfs: {
        mountRW: async () => {
          rootfsMounts++;
          return rootfs;
        },
        unmountRW: async () => {
          rootfsMounts--;
        },
      },
    });
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('inspect shapes: named volume (-v), bind, anonymous (-v /path), --mount volume and tmpfs', async () => {
    const host = path.join(dir, 'hostdir');
    const points = await resolver.prepare(
      req({
        binds: ['vv:/data', `${host}:/h:ro`],
        volumes: ['/anon'],
        mounts: [
          { Type: 'volume', Source: 'mv', Target: '/m', VolumeOptions: { Labels: { a: 'b' } } },
          { Type: 'tmpfs', Target: '/t' },
        ],
      }),
    );
    const anon = points.find((p) => p.Destination === '/anon')!;
    assert.match(anon.Name!, /^[0-9a-f]{64}$/);
    assert.deepEqual(points, [
      { Type: 'volume', Name: 'vv', Source: path.join(dir, 'root/volumes/vv/_data'), Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
      { Type: 'bind', Source: host, Destination: '/h', Mode: 'ro', RW: false, Propagation: 'rprivate' },
      { Type: 'volume', Name: 'mv', Source: path.join(dir, 'root/volumes/mv/_data'), Destination: '/m', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
      { Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '' },
      { Type: 'volume', Name: anon.Name, Source: path.join(dir, `root/volumes/${anon.Name}/_data`), Destination: '/anon', Driver: 'local', Mode: '', RW: true, Propagation: '' },
    ]);
    // -v creates a missing host directory.
    assert.ok((await fs.stat(host)).isDirectory());
    assert.deepEqual(svc.get('mv').Labels, { a: 'b' });
    assert.deepEqual(svc.get(anon.Name!).Labels, { [ANONYMOUS_LABEL]: '' });
    for (const n of ['vv', 'mv', anon.Name!]) assert.deepEqual(svc.references(n), ['c1']);
    assert.equal(rootfsMounts, 0);
  });

  test('copy-up of the image directory into new volumes; nocopy; existing content left alone', async () => {
    await resolver.prepare(req({ binds: ['etcvol:/etc'] }));
    assert.equal(await fs.readFile(path.join(svc.get('etcvol').Mountpoint, 'sub/f'), 'utf8'), 'hi');
    await resolver.prepare(req({ containerId: 'c2', binds: ['nocopy1:/etc:nocopy'], mounts: [{ Type: 'volume', Source: 'nocopy2', Target: '/etc/sub', VolumeOptions: { NoCopy: true } }] }));
    assert.deepEqual(await fs.readdir(svc.get('nocopy1').Mountpoint), []);
    assert.deepEqual(await fs.readdir(svc.get('nocopy2').Mountpoint), []);
    // Through a symlink of the image, resolved inside the root filesystem.
    const points = await resolver.prepare(req({ containerId: 'c3', volumes: ['/etclink/sub'] }));
    assert.deepEqual(await fs.readdir(points[0]!.Source), ['f']);
    // A volume with content is not filled again.
    await fs.writeFile(path.join(svc.get('etcvol').Mountpoint, 'mine'), 'm');
    await fs.rm(path.join(svc.get('etcvol').Mountpoint, 'passwd'));
    await resolver.prepare(req({ containerId: 'c4', binds: ['etcvol:/etc'] }));
    await assert.rejects(fs.stat(path.join(svc.get('etcvol').Mountpoint, 'passwd')));
    assert.equal(rootfsMounts, 0);
  });

  test('duplicates: two of the user\'s mounts, or a -v at a --tmpfs destination (dockerd 20.10.24 messages)', async () => {
    await assert.rejects(resolver.prepare(req({ binds: ['aa:/data', 'bb:/data'] })), { message: 'Duplicate mount point: /data' });
    await assert.rejects(
      resolver.prepare(req({ binds: ['aa:/data'], mounts: [{ Type: 'volume', Source: 'bb', Target: '/data/' }] })),
      { message: 'Duplicate mount point: /data/' },
    );
    await assert.rejects(resolver.prepare(req({ binds: ['aa:/data'], tmpfs: ['/data'] })), { message: 'Duplicate mount point: /data' });
    // Nothing kept: the volumes created on the way are unreferenced (named ones stay, as dockerd leaves them).
    assert.deepEqual(svc.references('aa'), []);
    assert.deepEqual(svc.list().Volumes.map((v) => v.Name), ['aa']);
  });

  test('a failure after anonymous volumes were made removes them; --mount errors come before anything is created', async () => {
    await assert.rejects(
      resolver.prepare(req({ volumes: ['/anon'], binds: ['/x:/y:bogus'] })),
      { message: 'invalid mode: bogus' },
    );
    assert.deepEqual(svc.list().Volumes, []);
    await assert.rejects(
      resolver.prepare(req({ binds: ['named:/n'], mounts: [{ Type: 'bind', Source: '/nope', Target: '/x' }] })),
      { message: 'invalid mount config for type "bind": bind source path does not exist: /nope' },
    );
    assert.deepEqual(svc.list().Volumes, []);
    await assert.rejects(resolver.prepare(req({ volumes: ['/afile'] })), { message: `cannot mount volume over existing file, file exists ${path.join(rootfs, 'afile')}` });
    assert.deepEqual(svc.list().Volumes, []);
    assert.equal(rootfsMounts, 0);
  });

  test('VOLUMEs already mounted by the user or inherited get no anonymous volume; inherited volumes are referenced', async () => {
    const a = await resolver.prepare(req({ containerId: 'A', volumes: ['/data', '/logs'] }));
    const inherited = a.map((p) => ({ ...p, RW: false }));
    const b = await resolver.prepare(req({ containerId: 'B', inherited, binds: ['own:/logs'], volumes: ['/data', '/logs', '/extra'] }));
    assert.deepEqual(b.map((p) => p.Destination), ['/data', '/logs', '/extra']);
    assert.equal(b[0]!.Name, a[0]!.Name);
    assert.equal(b[0]!.RW, false);
    assert.equal(b[1]!.Name, 'own');
    assert.deepEqual(svc.references(a[0]!.Name!).sort(), ['A', 'B']);
    // rm -v of B: its own anonymous volume goes, A's stays (in use), named ones stay.
    await resolver.release('B', b, true);
    assert.deepEqual(svc.references(a[0]!.Name!), ['A']);
    assert.throws(() => svc.get(b[2]!.Name!));
    assert.equal(svc.get('own').Name, 'own');
    // rm without -v keeps anonymous volumes.
    await resolver.release('A', a, false);
    assert.equal(svc.get(a[1]!.Name!).Name, a[1]!.Name);
    await assert.rejects(resolver.prepare(req({ containerId: 'C', inherited: [{ Type: 'volume', Name: 'gone', Source: '', Destination: '/g', Driver: 'local', Mode: '', RW: true, Propagation: '' }] })), {
      message: 'get gone: no such volume',
    });
  });

  test('activate gives the spec\'s binds; deactivate and restore', async () => {
    const host = path.join(dir, 'h');
    const points = await resolver.prepare(req({ binds: ['vol:/v:ro', `${host}:/h:rshared`, `${path.join(dir, 'root')}:/droot`], mounts: [{ Type: 'tmpfs', Target: '/t' }] }));
    const mounts = await resolver.activate('c1', points);
    assert.deepEqual(mounts, [
      { type: 'bind', source: svc.get('vol').Mountpoint, destination: '/v', readOnly: true },
      { type: 'bind', source: host, destination: '/h', readOnly: false, propagation: 'rshared' },
      { type: 'bind', source: path.join(dir, 'root'), destination: '/droot', readOnly: false, propagation: 'rslave', propagationDefaulted: true },
    ]);
    await resolver.deactivate('c1', points);
    const fresh = await VolumeService.open({ dataRoot: path.join(dir, 'root'), logger: nullLogger });
    const r2 = new VolumeMountResolver({ volumes: fresh, daemonRoot: path.join(dir, 'root') });
    await r2.restore([{ id: 'c1', points, running: false }]);
    assert.deepEqual(fresh.references('vol'), ['c1']);
  });
});

test('--volumes-from: dockerd 20.10.24 inspect (Mode dropped, RW = source RW and mode) and errors', async () => {
  const { inheritedMountPoints } = await import('../../../src/volume/resolver.js');
  const src = [
    { Type: 'volume' as const, Name: 'named1', Source: '/v/named1/_data', Destination: '/n', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
    { Type: 'bind' as const, Source: '/tmp', Destination: '/hostt', Mode: 'ro', RW: false, Propagation: 'rslave' },
  ];
  const lookup = (ref: string): typeof src => {
    if (ref !== 'src1') throw new Error(`No such container: ${ref}`);
    return src;
  };
  assert.deepEqual(inheritedMountPoints(['src1:ro'], lookup).map((p) => [p.Destination, p.Mode, p.RW]), [['/n', '', false], ['/hostt', '', false]]);
  assert.deepEqual(inheritedMountPoints(['src1'], lookup).map((p) => [p.Destination, p.Mode, p.RW]), [['/n', '', true], ['/hostt', '', false]]);
  assert.deepEqual(inheritedMountPoints(['src1:rw'], lookup).map((p) => p.RW), [true, false]);
  assert.throws(() => inheritedMountPoints(['nope'], lookup), { message: 'No such container: nope' });
  assert.throws(() => inheritedMountPoints(['src1:xyz'], lookup), { message: 'invalid mode: xyz' });
  assert.throws(() => inheritedMountPoints(['src1:rshared'], lookup), { message: 'invalid mode: rshared' });
});
