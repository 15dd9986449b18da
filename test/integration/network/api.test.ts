// The network API through a real berthd, driven by the real docker CLI:
// network ls/create/inspect/rm/prune with docker's output, filters and error
// texts (dockerd 20.10 and 27 as noted), restart persistence, and a host
// left as before once the daemon stops.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { haveDockerCli, runProcess, startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { tableNameFor } from '../../../src/network/firewall.js';

const root = process.getuid?.() === 0;

async function hostHas(bridge: string, table: string): Promise<string[]> {
  const found: string[] = [];
  const links = (await runProcess('ip', ['-o', 'link', 'show'])).stdout;
  if (links.split('\n').some((l) => l.split(': ')[1]?.split('@')[0] === bridge)) found.push(`link ${bridge}`);
  const tables = (await runProcess('nft', ['list', 'tables'])).stdout;
  if (tables.split('\n').some((l) => l.trim() === `table inet ${table}`)) found.push(`table ${table}`);
  return found;
}

describe('network API with the docker CLI', { skip: !root || !haveDockerCli ? 'needs root and /usr/local/bin/docker' : false, concurrency: false }, () => {
  let d: TestDaemon;
  const userBridges: string[] = [];

  before(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-netapi-'));
    writeFileSync(path.join(dir, 'daemon.json'), '{}');
    d = await startDaemon({ dir });
  });

  after(async () => {
    const bridge = d.bridge;
    await d.cleanup();
    assert.deepEqual(await hostHas(bridge, tableNameFor(bridge)), [], 'the daemon left its bridge or nftables table');
    const links = (await runProcess('ip', ['-o', 'link', 'show'])).stdout;
    for (const b of userBridges) assert.ok(!links.includes(` ${b}:`), `bridge ${b} left behind`);
  });

  test('ls shows the predefined networks; the default bridge follows --bridge and --bip', async () => {
    const ls = await d.docker(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual(ls.stdout.trim().split('\n').sort(), ['bridge bridge local', 'host host local', 'none null local']);
    const inspect = JSON.parse((await d.docker(['network', 'inspect', 'bridge'])).stdout) as Array<Record<string, unknown>>;
    const net = inspect[0]!;
    const subnet = d.bip.replace(/\.1\/24$/, '.0/24');
    assert.deepEqual(net.IPAM, { Driver: 'default', Options: null, Config: [{ Subnet: subnet, Gateway: d.bip.split('/')[0] }] });
    assert.deepEqual(net.Options, {
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
      'com.docker.network.bridge.enable_ip_masquerade': 'true',
      'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
      'com.docker.network.bridge.name': d.bridge,
      'com.docker.network.driver.mtu': '1500',
    });
    const addr = (await runProcess('ip', ['-o', '-4', 'addr', 'show', 'dev', d.bridge])).stdout;
    assert.match(addr, new RegExp(`inet ${d.bip.replace(/\./g, '\\.')}`));
  });

  test('create, duplicate name (409), overlapping pools (403), validation errors', async () => {
    const created = await d.docker(['network', 'create', '--label', 'tier=front', '--subnet', '10.77.42.0/24', '--ip-range', '10.77.42.128/25', '--gateway', '10.77.42.254', 'front']);
    assert.equal(created.code, 0, created.stderr);
    const id = created.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    userBridges.push(`br-${id.slice(0, 12)}`);
    const dup = await d.api('POST', '/v1.47/networks/create', { Name: 'front' });
    assert.equal(dup.status, 409);
    assert.deepEqual(dup.json, { message: 'network with name front already exists' });
    const cliDup = await d.docker(['network', 'create', 'front']);
    assert.equal(cliDup.stderr.trim(), 'Error response from daemon: network with name front already exists');
    const overlap = await d.api('POST', '/v1.47/networks/create', { Name: 'over', IPAM: { Config: [{ Subnet: '10.77.0.0/16' }] } });
    assert.equal(overlap.status, 403);
    assert.deepEqual(overlap.json, { message: 'invalid pool request: Pool overlaps with other one on this address space' });
    // The CLI checks this one itself; the daemon answers with moby's ValidateIPAM text.
    const badGwCli = await d.docker(['network', 'create', '--subnet', '10.78.0.0/24', '--gateway', '10.79.0.1', 'badgw']);
    assert.equal(badGwCli.stderr.trim(), 'no matching subnet for gateway 10.79.0.1');
    const badGw = await d.api('POST', '/v1.47/networks/create', { Name: 'badgw', IPAM: { Config: [{ Subnet: '10.78.0.0/24', Gateway: '10.79.0.1' }] } });
    assert.equal(badGw.status, 400);
    assert.deepEqual(badGw.json, { message: "invalid network config:\ninvalid gateway 10.79.0.1: parent subnet 10.78.0.0/24 doesn't contain this address" });
    const predefined = await d.api('POST', '/v1.47/networks/create', { Name: 'host' });
    assert.equal(predefined.status, 403);
    assert.deepEqual(predefined.json, { message: 'operation is not permitted on predefined host network ' });
    const plugin = await d.api('POST', '/v1.47/networks/create', { Name: 'x', Driver: 'overlay2000' });
    assert.equal(plugin.status, 404);
    assert.deepEqual(plugin.json, { message: 'plugin "overlay2000" not found' });
    const mtu = await d.api('POST', '/v1.47/networks/create', { Name: 'x', Options: { 'com.docker.network.driver.mtu': 'abc' } });
    assert.equal(mtu.status, 400);
  });

  test('inspect: docker\'s shape, by name, ID and ID prefix; 404 text', async () => {
    const byName = JSON.parse((await d.docker(['network', 'inspect', 'front'])).stdout) as Array<Record<string, unknown>>;
    const n = byName[0]!;
    assert.equal(n.Name, 'front');
    assert.equal(n.Driver, 'bridge');
    assert.equal(n.Scope, 'local');
    assert.equal(n.EnableIPv6, false);
    assert.equal(n.Internal, false);
    assert.deepEqual(n.Labels, { tier: 'front' });
    assert.deepEqual(n.Containers, {});
    assert.deepEqual((n.IPAM as { Config: unknown }).Config, [{ Subnet: '10.77.42.0/24', IPRange: '10.77.42.128/25', Gateway: '10.77.42.254' }]);
    for (const key of ['Name', 'Id', 'Created', 'Scope', 'Driver', 'EnableIPv4', 'EnableIPv6', 'IPAM', 'Internal', 'Attachable', 'Ingress', 'ConfigFrom', 'ConfigOnly', 'Containers', 'Options', 'Labels']) {
      assert.ok(key in n, `missing ${key}`);
    }
    const id = n.Id as string;
    assert.equal(JSON.parse((await d.docker(['network', 'inspect', id.slice(0, 6)])).stdout)[0].Name, 'front');
    const missing = await d.docker(['network', 'inspect', 'nosuchnet']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /network nosuchnet not found/);
    const fmt = await d.docker(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Gateway}}{{end}}', 'front']);
    assert.equal(fmt.stdout.trim(), '10.77.42.254');
  });

  test('ls filters', async () => {
    const made = await d.docker(['network', 'create', '--internal', 'back']);
    userBridges.push(`br-${made.stdout.trim().slice(0, 12)}`);
    const names = async (...args: string[]): Promise<string[]> => {
      const r = await d.docker(['network', 'ls', '--format', '{{.Name}}', ...args]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim().split('\n').filter(Boolean).sort();
    };
    assert.deepEqual(await names('-f', 'type=custom'), ['back', 'front']);
    assert.deepEqual(await names('-f', 'type=builtin'), ['bridge', 'host', 'none']);
    assert.deepEqual(await names('-f', 'driver=null'), ['none']);
    assert.deepEqual(await names('-f', 'label=tier=front'), ['front']);
    assert.deepEqual(await names('-f', 'label=tier'), ['front']);
    assert.deepEqual(await names('-f', 'name=ro'), ['front']);
    assert.deepEqual(await names('-f', 'dangling=true'), ['back', 'front']);
    assert.deepEqual(await names('-f', 'dangling=false'), ['bridge', 'host', 'none']);
    assert.deepEqual(await names('-f', 'scope=local', '-f', 'driver=bridge'), ['back', 'bridge', 'front']);
    const bad = await d.docker(['network', 'ls', '-f', 'nope=1']);
    assert.match(bad.stderr, /invalid filter 'nope'/);
    const badDangling = await d.api('GET', `/v1.47/networks?filters=${encodeURIComponent(JSON.stringify({ dangling: { maybe: true } }))}`);
    assert.equal(badDangling.status, 400);
    assert.deepEqual(badDangling.json, { message: 'invalid value for filter \'dangling\', must be "true" (or "1"), or "false" (or "0")' });
    const inspectInternal = JSON.parse((await d.docker(['network', 'inspect', 'back'])).stdout)[0];
    assert.equal(inspectInternal.Internal, true);
  });

  test('networks and their bridges survive a restart', async () => {
    const before1 = (await d.docker(['network', 'inspect', 'front'])).stdout;
    await d.restart();
    const after1 = (await d.docker(['network', 'inspect', 'front'])).stdout;
    assert.deepEqual(JSON.parse(after1), JSON.parse(before1));
    const id = JSON.parse(after1)[0].Id as string;
    const addr = (await runProcess('ip', ['-o', '-4', 'addr', 'show', 'dev', `br-${id.slice(0, 12)}`])).stdout;
    assert.match(addr, /inet 10\.77\.42\.254\/24/);
  });

  test('rm: predefined networks refuse; rm and prune remove the bridge', async () => {
    const rmBridge = await d.docker(['network', 'rm', 'bridge']);
    assert.match(rmBridge.stderr, /bridge is a pre-defined network and cannot be removed/);
    const rmApi = await d.api('DELETE', '/v1.47/networks/none');
    assert.equal(rmApi.status, 403);
    const rm = await d.docker(['network', 'rm', 'back']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout.trim(), 'back');
    const prune = await d.docker(['network', 'prune', '-f', '--filter', 'label=tier=front']);
    assert.equal(prune.code, 0, prune.stderr);
    assert.equal(prune.stdout, 'Deleted Networks:\nfront\n\n');
    const empty = await d.api('POST', '/v1.47/networks/prune');
    assert.deepEqual(empty.json, { NetworksDeleted: null });
    const links = (await runProcess('ip', ['-o', 'link', 'show'])).stdout;
    for (const b of userBridges) assert.ok(!links.includes(` ${b}:`), `bridge ${b} still there`);
  });
});
