// GET /system/df on a real berthd: every part comes from the service that
// owns it, and the docker CLI renders it (summary and -v).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestDaemon } from '../../helpers/daemon.js';
import { daemonWithBusybox, skipContainers } from '../containers/helpers.js';

interface DiskUsageBody {
  LayersSize: number;
  Images: Array<{ Id: string; Containers: number; Size: number; SharedSize: number }> | null;
  Containers: Array<{ Id: string; SizeRw: number; SizeRootFs: number }> | null;
  Volumes: Array<{ Name: string; UsageData: { RefCount: number; Size: number } }> | null;
  BuildCache: unknown[] | null;
  BuilderSize?: number;
}

describe('system df', { skip: skipContainers }, () => {
  let d: TestDaemon;
  let containerId = '';
  before(async () => {
    d = await daemonWithBusybox();
    const r = await d.docker(['run', '-d', '-v', 'dfdata:/data', 'busybox', 'sh', '-c', 'head -c 100000 /dev/zero > /data/f; head -c 50000 /dev/zero > /big; sleep 600']);
    assert.equal(r.code, 0, r.stderr);
    containerId = r.stdout.trim();
  });
  after(async () => {
    await d?.cleanup();
  });

  it('reports images, containers and volumes with their sizes', async () => {
    // The container writes its files after start: wait until they are there.
    for (let i = 0; i < 50; i++) {
      const e = await d.docker(['exec', containerId, 'test', '-f', '/big']);
      if (e.code === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const res = await d.api('GET', '/system/df');
    assert.equal(res.status, 200, res.text);
    const body = res.json as DiskUsageBody;
    assert.ok(body.LayersSize > 0);
    assert.equal(body.Images?.length, 1);
    assert.equal(body.Images?.[0]?.Containers, 1);
    assert.equal(body.Containers?.length, 1);
    assert.equal(body.Containers?.[0]?.Id, containerId);
    assert.ok((body.Containers?.[0]?.SizeRw ?? 0) >= 50000, JSON.stringify(body.Containers));
    assert.ok((body.Containers?.[0]?.SizeRootFs ?? 0) > (body.Containers?.[0]?.SizeRw ?? 0));
    const vol = body.Volumes?.find((v) => v.Name === 'dfdata');
    assert.deepEqual(vol?.UsageData, { RefCount: 1, Size: 100000 });
    assert.ok(Array.isArray(body.BuildCache));
    assert.equal(body.BuilderSize, undefined);
  });

  it('narrows to the types asked for, refuses unknown ones, and gives BuilderSize to old clients', async () => {
    const only = await d.api('GET', '/system/df?type=volume');
    const body = only.json as DiskUsageBody;
    assert.equal(body.Images, null);
    assert.equal(body.Containers, null);
    assert.ok(Array.isArray(body.Volumes));
    const bad = await d.api('GET', '/system/df?type=bogus');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { message: 'unknown object type: bogus' });
    const old = await d.api('GET', '/v1.41/system/df');
    assert.equal((old.json as DiskUsageBody).BuilderSize, 0);
  });

  it('renders through the docker CLI', async () => {
    const summary = await d.docker(['system', 'df']);
    assert.equal(summary.code, 0, summary.stderr);
    assert.match(summary.stdout, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\n/);
    assert.match(summary.stdout, /\nImages\s+1\s+1\s/);
    assert.match(summary.stdout, /\nContainers\s+1\s+1\s/);
    assert.match(summary.stdout, /\nLocal Volumes\s+1\s+1\s+100kB\s/);
    const verbose = await d.docker(['system', 'df', '-v']);
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.match(verbose.stdout, /dfdata\s+1\s+100kB/);
    const berth = await d.berth(['system', 'df']);
    assert.equal(berth.code, 0, berth.stderr);
    assert.equal(berth.stdout, summary.stdout);
  });
});
