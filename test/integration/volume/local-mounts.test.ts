// The local driver's mounts for real (root): a tmpfs volume is mounted for
// its first user and unmounted when the last one goes; a bind volume shows a
// host directory and removing the volume never deletes that directory's
// files; a failed mount gives dockerd's message; after a "crash" the
// restore keeps the mounts of running containers and drops the others.
// Everything mounted is unmounted and removed after each test, also on failure.
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nullLogger } from '../../../src/common/log.js';
import { EngineError } from '../../../src/common/errors.js';
import { VolumeService } from '../../../src/volume/service.js';
import { readMountInfo } from '../../../src/storage/util.js';
import { unmountUnder } from '../../helpers/daemon.js';

async function mountOf(p: string): Promise<{ fsType: string; options: string } | undefined> {
  return (await readMountInfo()).find((m) => m.mountPoint === p);
}

describe('local volume mounts', () => {
  let dir: string;
  let svc: VolumeService;
  let events: string[];

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-vol-mnt-'));
    events = [];
    svc = await VolumeService.open({
      dataRoot: path.join(dir, 'root'),
      logger: nullLogger,
      events: { publish: (ev) => events.push(`${ev.Action} ${ev.Actor.ID}`) },
    });
  });
  afterEach(async () => {
    await unmountUnder(dir);
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('tmpfs volume: type=tmpfs,device=tmpfs,o=size=..,uid=..; mounted while used, data gone after', async () => {
    const v = await svc.create('tmp', '', { driverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=5m,uid=1000' } });
    assert.deepEqual(v.Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=5m,uid=1000' });
    assert.equal(await mountOf(v.Mountpoint), undefined);
    const p1 = await svc.mount('tmp', 'c1', { destination: '/data', rw: true });
    assert.equal(p1, v.Mountpoint);
    const m = await mountOf(v.Mountpoint);
    assert.equal(m?.fsType, 'tmpfs');
    assert.equal((await fs.stat(v.Mountpoint)).uid, 1000);
    await fs.writeFile(path.join(v.Mountpoint, 'f'), 'x');
    await svc.mount('tmp', 'c2');
    await svc.unmount('tmp', 'c1');
    assert.ok(await mountOf(v.Mountpoint), 'still mounted for c2');
    await svc.unmount('tmp', 'c2');
    assert.equal(await mountOf(v.Mountpoint), undefined);
    await assert.rejects(fs.stat(path.join(v.Mountpoint, 'f')));
    assert.deepEqual(events, ['create tmp', 'mount tmp', 'mount tmp', 'unmount tmp', 'unmount tmp']);
  });

  test('bind volume: type=none,o=bind,device=/path shows the host directory; removal keeps its files', async () => {
    const host = path.join(dir, 'host');
    await fs.mkdir(host);
    await fs.writeFile(path.join(host, 'precious'), 'keep me');
    const v = await svc.create('hostdir', '', { driverOpts: { type: 'none', o: 'bind', device: host } });
    const p = await svc.mount('hostdir', 'c1');
    assert.equal(await fs.readFile(path.join(p, 'precious'), 'utf8'), 'keep me');
    await fs.writeFile(path.join(p, 'new'), 'from the container');
    // Removal of a volume that is mounted but unreferenced (a crash left it so): unmounted first, host files stay.
    await assert.rejects(svc.remove('hostdir'), (err: unknown) => err instanceof EngineError && /volume has active mounts/.test(err.message));
    await svc.unmount('hostdir', 'c1');
    await svc.mount('hostdir', 'c9');
    (svc.driver.get('hostdir')!.active).clear(); // as if its user vanished without unmounting
    await svc.remove('hostdir');
    assert.equal(await fs.readFile(path.join(host, 'precious'), 'utf8'), 'keep me');
    assert.equal(await fs.readFile(path.join(host, 'new'), 'utf8'), 'from the container');
    await assert.rejects(fs.stat(path.dirname(v.Mountpoint)));
  });

  test('read-only bind volume (o=bind,ro) refuses writes', async () => {
    const host = path.join(dir, 'ro-host');
    await fs.mkdir(host);
    await svc.create('rohost', '', { driverOpts: { type: 'none', o: 'bind,ro', device: host } });
    const p = await svc.mount('rohost', 'c1');
    await assert.rejects(fs.writeFile(path.join(p, 'x'), 'x'), (err: NodeJS.ErrnoException) => err.code === 'EROFS');
    await svc.unmount('rohost', 'c1');
  });

  test('a failing mount gives dockerd\'s message and leaves nothing mounted', async () => {
    await svc.create('broken', '', { driverOpts: { type: 'none', o: 'bind', device: path.join(dir, 'nope') } });
    const v = svc.get('broken');
    await assert.rejects(svc.mount('broken', 'c1'), (err: unknown) => {
      assert.ok(err instanceof EngineError);
      assert.equal(
        err.message,
        `error while mounting volume '${v.Mountpoint}': failed to mount local volume: mount ${path.join(dir, 'nope')}:${v.Mountpoint}, flags: 0x1000: no such file or directory`,
      );
      return true;
    });
    assert.equal(await mountOf(v.Mountpoint), undefined);
    await svc.create('badfs', '', { driverOpts: { type: 'nosuchfs', device: 'x' } });
    await assert.rejects(svc.mount('badfs', 'c1'), /failed to mount local volume: mount x:.*: no such device/);
  });

  test('copy-up into a tmpfs volume mounts it around the copy (the copy goes with the unmount, as in dockerd)', async () => {
    const src = path.join(dir, 'img');
    await fs.mkdir(src);
    await fs.writeFile(path.join(src, 'a'), 'a');
    const v = await svc.create('tcopy', '', { driverOpts: { type: 'tmpfs', device: 'tmpfs' } });
    assert.equal(await svc.copyUp('tcopy', src), true);
    assert.equal(await mountOf(v.Mountpoint), undefined);
  });

  test('after a restart: running containers keep their mounts, idle mounts are dropped', async () => {
    const a = await svc.create('busy', '', { driverOpts: { type: 'tmpfs', device: 'tmpfs' } });
    const b = await svc.create('idle', '', { driverOpts: { type: 'tmpfs', device: 'tmpfs' } });
    await svc.ensure({ name: 'busy', containerId: 'running1' });
    await svc.ensure({ name: 'idle', containerId: 'stopped1' });
    await svc.mount('busy', 'running1');
    await svc.mount('idle', 'stopped1');
    await fs.writeFile(path.join(a.Mountpoint, 'state'), 'live');
    // The daemon "crashes" (no unmount) and starts again.
    const again = await VolumeService.open({ dataRoot: path.join(dir, 'root'), logger: nullLogger });
    await again.restore([
      { id: 'running1', volumes: ['busy'], running: true },
      { id: 'stopped1', volumes: ['idle'], running: false },
    ]);
    assert.ok(await mountOf(a.Mountpoint));
    assert.equal(await mountOf(b.Mountpoint), undefined);
    assert.equal(await fs.readFile(path.join(a.Mountpoint, 'state'), 'utf8'), 'live');
    // A second container joins the running one's tmpfs, then both leave.
    await again.mount('busy', 'running2');
    await again.unmount('busy', 'running1');
    assert.ok(await mountOf(a.Mountpoint));
    await again.unmount('busy', 'running2');
    assert.equal(await mountOf(a.Mountpoint), undefined);
  });
});
