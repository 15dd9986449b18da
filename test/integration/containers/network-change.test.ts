// A created container whose networks change before it starts (docker-compose
// v1 creates it, then disconnects and reconnects it with its aliases, then
// starts it): the run prepared ahead must be dropped without deadlocking
// the network service, and the start must see the new networks.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestDaemon } from '../../helpers/daemon.js';
import { daemonWithBusybox, skipContainers } from './helpers.js';

async function withTimeout<T>(what: string, p: Promise<T>, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms (deadlock?)`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('network changes of a created container', { skip: skipContainers }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d?.cleanup();
  });

  it('disconnect, connect with an alias, then start, as compose v1 does', async () => {
    const net = await d.api('POST', '/networks/create', { Name: 'cmpnet', CheckDuplicate: true });
    assert.equal(net.status, 201, net.text);
    const created = await d.api('POST', '/containers/create?name=cmpweb', {
      Image: 'busybox',
      Cmd: ['sleep', '60'],
      HostConfig: { NetworkMode: 'cmpnet', Binds: ['cmpdata:/data:rw'], PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      NetworkingConfig: { EndpointsConfig: { cmpnet: { Aliases: ['web'] } } },
    });
    assert.equal(created.status, 201, created.text);
    const id = (created.json as { Id: string }).Id;
    // Let the run prepared ahead exist before the change.
    await new Promise((r) => setTimeout(r, 300));
    const off = await withTimeout('disconnect', d.api('POST', '/networks/cmpnet/disconnect', { Container: id }));
    assert.equal(off.status, 200, off.text);
    const on = await withTimeout('connect', d.api('POST', '/networks/cmpnet/connect', { Container: id, EndpointConfig: { Aliases: ['web', 'www'] } }));
    assert.equal(on.status, 200, on.text);
    const started = await withTimeout('start', d.api('POST', `/containers/${id}/start`));
    assert.equal(started.status, 204, started.text);
    const inspect = await withTimeout('inspect', d.api('GET', `/containers/${id}/json`));
    const nets = (inspect.json as { NetworkSettings: { Networks: Record<string, { Aliases: string[] | null; IPAddress: string }> } }).NetworkSettings.Networks;
    assert.deepEqual(Object.keys(nets), ['cmpnet']);
    assert.ok(nets.cmpnet!.IPAddress, 'an address on the network');
    assert.deepEqual(nets.cmpnet!.Aliases, ['web', 'www']);
    // Other containers still start (the network service is not left locked).
    const other = await withTimeout('run', d.docker(['run', '--rm', '--network', 'cmpnet', 'busybox', 'nslookup', 'www']));
    assert.equal(other.code, 0, other.stderr);
    await d.api('DELETE', `/containers/${id}?force=1&v=1`);
    await d.api('DELETE', '/volumes/cmpdata');
  });
});
