// The network service against the real kernel, without the container
// runtime: "containers" are namespaces the service prepares, with busybox
// processes started in them through nsenter. Covers the checks:
// names on a user network, isolation between networks, --link on the default
// bridge, published ports from the host's loopback and from another
// namespace, internal networks, connect/disconnect of a running container,
// restart and crash recovery, and a host left as it was.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { NetworkService } from '../../../src/network/service.js';
import type { NetworkRequest, PreparedNetwork } from '../../../src/runtime/network-contract.js';
import {
  FakeDirectory,
  containerId,
  httpd,
  inNs,
  inNsWithResolv,
  leftovers,
  linksPresent,
  netnsList,
  netnsOf,
  openService,
  removeEnv,
  request,
  runProcess,
  serviceEnv,
  sleeper,
  type ServiceEnv,
} from './helpers.js';
import { nodeBin, repoRoot } from '../../helpers/daemon.js';
import { parseIp, Prefix } from '../../../src/network/ip.js';

const root = process.getuid?.() === 0;
const haveTools = existsSync('/usr/sbin/nft') && existsSync('/bin/busybox');

function vethOf(p: PreparedNetwork): string[] {
  return Object.values(p.settings.Networks).map((e) => `veth${(e.EndpointID ?? '').slice(0, 7)}`);
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('network plumbing with --iptables=false', { skip: !root || !haveTools ? 'needs root, nft and busybox' : false, concurrency: false }, () => {
  test('no nftables table; published ports still answer through the userland proxy', async () => {
    const env2 = serviceEnv({ iptables: false });
    const svc2 = await openService(env2);
    const stop: Array<() => Promise<void>> = [];
    try {
      await svc2.create({ Name: 'plain' });
      const port = await freePort();
      const id = containerId();
      const p = await svc2.prepare(request({ containerId: id, containerName: 'plain1', networkMode: 'plain', portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } }));
      stop.push(await httpd(env2.dir, p, 'proxied'));
      const tables = (await runProcess('nft', ['list', 'tables'])).stdout;
      assert.ok(!tables.includes(env2.table), tables);
      const r = await runProcess('curl', ['-s', '-m', '5', `http://127.0.0.1:${port}/`]);
      assert.equal(r.stdout.trim(), 'proxied');
      for (const s2 of stop) await s2();
      await svc2.release(id);
      await svc2.remove('plain');
    } finally {
      for (const s2 of stop) await s2().catch(() => undefined);
      await svc2.shutdown();
      assert.deepEqual(await leftovers(env2), []);
      await removeEnv(env2);
    }
  });
});

describe('network plumbing with port 53 taken', { skip: !root || !haveTools ? 'needs root, nft and busybox' : false, concurrency: false }, () => {
  test('the embedded DNS moves behind a redirect when another resolver holds port 53 of the gateway', async () => {
    const dgram = await import('node:dgram');
    const net = await import('node:net');
    const env3 = serviceEnv();
    // The blocker holds the network's own gateway:53, so the case does not depend on what the host
    // runs on port 53. The address lives on lo until the bridge has it (a socket needs a local address).
    const gateway = `10.${env3.poolOctet}.252.1`;
    assert.equal((await runProcess('ip', ['addr', 'add', `${gateway}/32`, 'dev', 'lo'])).code, 0);
    const udp = dgram.createSocket('udp4');
    const tcp = net.createServer();
    let svc3: NetworkService | undefined;
    const id = containerId();
    try {
      // EADDRINUSE: a resolver of the host holds port 53 on all addresses, which blocks berth just as well.
      const taken = (reject: (err: Error) => void, resolve: () => void) => (err: Error & { code?: string }) =>
        err.code === 'EADDRINUSE' ? resolve() : reject(err);
      await new Promise<void>((resolve, reject) => {
        udp.once('error', taken(reject, resolve));
        udp.bind(53, gateway, () => resolve());
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', taken(reject, resolve));
        tcp.listen({ port: 53, host: gateway, exclusive: true }, () => resolve());
      });
      svc3 = await openService(env3);
      await svc3.create({ Name: 'busy53', IPAM: { Config: [{ Subnet: `10.${env3.poolOctet}.252.0/24`, Gateway: gateway }] } });
      await runProcess('ip', ['addr', 'del', `${gateway}/32`, 'dev', 'lo']);
      const a = await svc3.prepare(request({ containerId: id, containerName: 'busy-a', networkMode: 'busy53' }));
      const r = await inNsWithResolv(env3.dir, a, 'busybox nslookup busy-a');
      assert.ok(r.stdout.includes(a.settings.Networks.busy53!.IPAddress!), r.stdout + r.stderr);
      assert.match((await runProcess('nft', ['list', 'chain', 'inet', env3.table, 'prerouting'])).stdout, /redirect to :\d+/);
      await svc3.release(id);
      await svc3.remove('busy53');
    } finally {
      udp.close(() => undefined);
      tcp.close(() => undefined);
      await runProcess('ip', ['addr', 'del', `${gateway}/32`, 'dev', 'lo']).catch(() => undefined);
      if (svc3) await svc3.shutdown();
      assert.deepEqual(await leftovers(env3), []);
      await removeEnv(env3);
    }
  });
});

describe('network plumbing', { skip: !root || !haveTools ? 'needs root, nft and busybox' : false, concurrency: false }, () => {
  let env: ServiceEnv;
  let svc: NetworkService;
  let dir: FakeDirectory;
  const stops: Array<() => Promise<void>> = [];
  const names: string[] = [];
  let netnsBefore = '';

  before(async () => {
    netnsBefore = await netnsList();
    env = serviceEnv();
    dir = new FakeDirectory();
    svc = await openService(env, dir);
  });

  after(async () => {
    for (const s of stops) await s().catch(() => undefined);
    try {
      // A test that failed half-way may have left the service closed: take a fresh one.
      await svc.shutdown().catch(() => undefined);
      svc = await openService(env, dir);
      // Release whatever a failed test left, remove the networks, stop.
      for (const c of dir.containers.values()) await svc.release(c.id).catch(() => undefined);
      for (const n of svc.list(new (await import('../../../src/api/http/filters.js')).Filters())) {
        if (!['bridge', 'host', 'none'].includes(n.Name)) await svc.remove(n.Id).catch(() => undefined);
      }
      await svc.shutdown();
      const left = await leftovers(env, names);
      assert.deepEqual(left, [], 'berth left things on the host');
      assert.equal(await netnsList(), netnsBefore);
    } finally {
      await removeEnv(env);
    }
  });

  async function run(name: string, networkMode: string, over: Partial<NetworkRequest> = {}, running = true): Promise<PreparedNetwork> {
    const req = request({ containerId: containerId(), containerName: name, networkMode, ...over });
    dir.add(req, running);
    const p = await svc.prepare(req);
    names.push(...vethOf(p));
    return p;
  }

  test('the issue check: a server on a user network answers its name from another container', async () => {
    const { Id } = await svc.create({ Name: 'app' });
    names.push(`br-${Id.slice(0, 12)}`);
    const db = await run('db', 'app', { endpoints: { app: { Aliases: ['database'] } } });
    stops.push(await httpd(env.dir, db, 'ok'));
    const client = await run('client', 'app');
    assert.deepEqual(client.resolv?.nameservers, [svc.inspect('app').IPAM.Config[0]!.Gateway]);
    for (const host of ['db', 'database', 'db.app', db.settings.Networks.app!.DNSNames![2]!]) {
      const r = await inNsWithResolv(env.dir, client, `timeout 5 busybox wget -qO- http://${host}/`);
      assert.equal(r.stdout.trim(), 'ok', `${host}: ${r.stderr}`);
    }
    const inspect = svc.inspect('app');
    assert.equal(Object.keys(inspect.Containers).length, 2);
    assert.match(Object.values(inspect.Containers).find((c) => c.Name === 'db')!.IPv4Address, /^10\.\d+\.\d+\.\d+\/24$/);
  });

  test('different user networks cannot reach each other, nor resolve each other\'s names', async () => {
    const { Id } = await svc.create({ Name: 'other' });
    names.push(`br-${Id.slice(0, 12)}`);
    const stranger = await run('stranger', 'other');
    const dbIp = svc.inspect('app').Containers;
    const ip = Object.values(dbIp).find((c) => c.Name === 'db')!.IPv4Address.split('/')[0];
    const byIp = await inNs(stranger, `timeout 2 busybox wget -qO- http://${ip}/`);
    assert.notEqual(byIp.code, 0, 'reached a container on another network');
    const byName = await inNsWithResolv(env.dir, stranger, 'busybox nslookup db');
    assert.doesNotMatch(byName.stdout, new RegExp(`Address: ${ip!.replace(/\./g, '\\.')}`));
  });

  test('legacy --link on the default bridge: env and hosts; the default bridge has no DNS', async () => {
    const target = await run('linkdb', 'default', { exposedPorts: ['80/tcp'] });
    const linkdb = [...dir.containers.values()].find((c) => c.name === 'linkdb')!;
    linkdb.env = ['SECRET=s'];
    stops.push(await httpd(env.dir, target, 'linked'));
    const ip = target.settings.Networks.bridge!.IPAddress!;
    const web = await run('web', 'bridge', { links: ['linkdb:data'] });
    assert.equal(web.resolv, undefined);
    assert.ok(web.env?.includes(`DATA_PORT_80_TCP=tcp://${ip}:80`), web.env?.join(' '));
    assert.ok(web.env?.includes('DATA_NAME=/web/data'));
    assert.ok(web.env?.includes('DATA_ENV_SECRET=s'));
    assert.deepEqual(web.hostsEntries?.[0], { ip, names: ['data', linkdb.request.hostname, 'linkdb'] });
    const r = await inNs(web, `timeout 5 busybox wget -qO- http://${ip}/`);
    assert.equal(r.stdout.trim(), 'linked');
    await assert.rejects(run('web2', 'bridge', { links: ['nosuch:x'] }), /could not get container for nosuch/);
  });

  test('published ports: host loopback, another namespace, hairpin; clashes', async () => {
    const port = await freePort();
    const srv = await run('pub', 'app', { portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] }, exposedPorts: ['80/tcp', '443/tcp'] });
    stops.push(await httpd(env.dir, srv, 'published'));
    assert.deepEqual(srv.settings.Ports, { '443/tcp': null, '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
    const viaLoopback = await runProcess('curl', ['-s', '-m', '5', `http://127.0.0.1:${port}/`]);
    assert.equal(viaLoopback.stdout.trim(), 'published');
    // All addresses, an ephemeral port; reached from a container of another network through its gateway.
    const any = await run('pub2', 'app', { portBindings: { '80/tcp': [{ HostIp: '', HostPort: '' }] } });
    stops.push(await httpd(env.dir, any, 'any'));
    const hostPort = any.settings.Ports['80/tcp']![0]!.HostPort;
    assert.equal(any.settings.Ports['80/tcp']![0]!.HostIp, '0.0.0.0');
    const [lo, hi] = (await runProcess('cat', ['/proc/sys/net/ipv4/ip_local_port_range'])).stdout.trim().split(/\s+/).map(Number);
    assert.ok(Number(hostPort) >= lo! && Number(hostPort) <= hi!);
    const stranger = await run('stranger2', 'other');
    const gw = stranger.settings.Networks.other!.Gateway;
    const fromOther = await inNs(stranger, `timeout 5 busybox wget -qO- http://${gw}:${hostPort}/`);
    assert.equal(fromOther.stdout.trim(), 'any', fromOther.stderr);
    // On IPv6 the same port is held too, and proxied to the IPv4-only container.
    assert.deepEqual(any.settings.Ports['80/tcp']![1], { HostIp: '::', HostPort: hostPort });
    const viaV6 = await runProcess('curl', ['-s', '-g', '-m', '5', `http://[::1]:${hostPort}/`]);
    assert.equal(viaV6.stdout.trim(), 'any', viaV6.stderr);
    // Hairpin: the container reaches its own published port through the host.
    const appGw = any.settings.Networks.app!.Gateway;
    const hairpin = await inNs(any, `timeout 5 busybox wget -qO- http://${appGw}:${hostPort}/`);
    assert.equal(hairpin.stdout.trim(), 'any', hairpin.stderr);
    // The same host port again: docker's message.
    await assert.rejects(run('pub3', 'app', { portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } }), (err: Error) =>
      err.message.includes(`Bind for 127.0.0.1:${port} failed: port is already allocated`),
    );
    // A port another program holds.
    const net = await import('node:net');
    const holder = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => holder.once('listening', r));
    const held = (holder.address() as { port: number }).port;
    await assert.rejects(run('pub4', 'app', { portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(held) }] } }), /address already in use/);
    holder.close();
  });

  test('an internal network has no route out; a normal one does (masquerade)', async () => {
    // "Outside": a namespace routed through the host.
    const outside = path.join(env.dir, 'outside-ns');
    const hostVeth = `bo${env.bridge.slice(2)}`;
    names.push(hostVeth);
    const o = env.poolOctet;
    const setup = await runProcess('sh', ['-c', [
      `touch ${outside}`,
      `unshare --net=${outside} true`,
      `ip link add ${hostVeth} type veth peer name eth0 netns ${outside}`,
      `ip addr add 10.${o}.250.1/30 dev ${hostVeth}`,
      `ip link set ${hostVeth} up`,
      `nsenter --net=${outside} ip addr add 10.${o}.250.2/30 dev eth0`,
      `nsenter --net=${outside} ip link set eth0 up`,
      `nsenter --net=${outside} ip link set lo up`,
    ].join(' && ')]);
    assert.equal(setup.code, 0, setup.stderr);
    stops.push(async () => {
      await runProcess('ip', ['link', 'del', hostVeth]);
      await runProcess('umount', [outside]);
    });
    stops.push(await httpd(env.dir, { namespace: { kind: 'path', path: outside } } as PreparedNetwork, 'outside'));
    const { Id } = await svc.create({ Name: 'sealed', Internal: true });
    names.push(`br-${Id.slice(0, 12)}`);
    const sealed = await run('sealed1', 'sealed');
    const open = await run('open1', 'app');
    const fromOpen = await inNs(open, `timeout 5 busybox wget -qO- http://10.${o}.250.2/`);
    assert.equal(fromOpen.stdout.trim(), 'outside', fromOpen.stderr);
    const fromSealed = await inNs(sealed, `timeout 3 busybox wget -qO- http://10.${o}.250.2/`);
    assert.notEqual(fromSealed.code, 0);
    const routes = await inNs(sealed, 'ip route');
    assert.doesNotMatch(routes.stdout, /default/);
    // Its own gateway (the embedded DNS) stays reachable.
    const dns = await inNsWithResolv(env.dir, sealed, 'busybox nslookup sealed1');
    assert.match(dns.stdout, /Name:\s+sealed1/);
  });

  test('IPv6: addresses, routes, AAAA answers and traffic on an --ipv6 network', async () => {
    const subnet = `fd00:${env.poolOctet.toString(16)}:${env.bridge.slice(2, 6)}::/64`;
    const { Id } = await svc.create({ Name: 'six', EnableIPv6: true, IPAM: { Config: [{ Subnet: subnet }] } });
    names.push(`br-${Id.slice(0, 12)}`);
    const cfg = svc.inspect('six').IPAM.Config;
    assert.equal(cfg.length, 2, JSON.stringify(cfg));
    assert.equal(svc.inspect('six').EnableIPv6, true);
    const a = await run('six-a', 'six');
    const b = await run('six-b', 'six');
    const ep = a.settings.Networks.six!;
    assert.ok(ep.GlobalIPv6Address && Prefix.parse(subnet)!.prefix.contains(parseIp(ep.GlobalIPv6Address)!), JSON.stringify(ep));
    assert.equal(ep.GlobalIPv6PrefixLen, 64);
    assert.ok(ep.IPv6Gateway);
    stops.push(await httpd(env.dir, a, 'six'));
    const r = await inNs(b, `timeout 5 busybox wget -qO- http://[${ep.GlobalIPv6Address}]/`);
    assert.equal(r.stdout.trim(), 'six', r.stderr);
    const routes = await inNs(b, 'ip -6 route');
    assert.match(routes.stdout, /default via/);
    const aaaa = await inNsWithResolv(env.dir, b, 'busybox nslookup -type=AAAA six-a');
    assert.ok(aaaa.stdout.includes(ep.GlobalIPv6Address!), aaaa.stdout);
  });

  test('connect and disconnect a running container', async () => {
    const { Id } = await svc.create({ Name: 'side', IPAM: { Config: [{ Subnet: `10.${env.poolOctet}.251.0/24` }] } });
    names.push(`br-${Id.slice(0, 12)}`);
    const sideSrv = await run('sidesrv', 'side');
    stops.push(await httpd(env.dir, sideSrv, 'side'));
    const roamer = await run('roamer', 'app');
    const before1 = await inNs(roamer, `timeout 2 busybox wget -qO- http://${sideSrv.settings.Networks.side!.IPAddress}/`);
    assert.notEqual(before1.code, 0);
    await svc.connect('side', 'roamer', { Aliases: ['wanderer'], IPAMConfig: { IPv4Address: `10.${env.poolOctet}.251.77` } });
    const change = dir.changes.at(-1)!;
    assert.equal(change.change.settings?.Networks.side?.IPAddress, `10.${env.poolOctet}.251.77`);
    assert.deepEqual(change.change.settings?.Networks.side?.Aliases, ['wanderer']);
    assert.ok(change.change.hostsEntries?.some((h) => h.ip === `10.${env.poolOctet}.251.77`));
    const after1 = await inNs(roamer, `timeout 5 busybox wget -qO- http://${sideSrv.settings.Networks.side!.IPAddress}/`);
    assert.equal(after1.stdout.trim(), 'side', after1.stderr);
    // The server now resolves the newcomer by its alias.
    const resolved = await inNsWithResolv(env.dir, sideSrv, 'busybox nslookup wanderer');
    assert.match(resolved.stdout, new RegExp(`10\\.${env.poolOctet}\\.251\\.77`));
    await assert.rejects(svc.connect('side', 'roamer', null), /endpoint with name roamer already exists in network side/);
    await assert.rejects(svc.connect('bridge', 'roamer', { Aliases: ['x'] }), /network-scoped alias is supported only for containers in user defined networks/);
    await assert.rejects(svc.connect('side', 'nosuch', null), /No such container: nosuch/);
    await assert.rejects(svc.connect('host', 'roamer', null), /container cannot be disconnected from host network or connected to host network/);
    await assert.rejects(svc.remove('side'), (err: Error) => /^error while removing network: network side has active endpoints \(name:"(sidesrv|roamer)" id:"[0-9a-f]{12}", name:"(sidesrv|roamer)" id:"[0-9a-f]{12}"\)$/.test(err.message));
    await svc.disconnect('side', 'roamer', false);
    const gone = await inNs(roamer, `timeout 2 busybox wget -qO- http://${sideSrv.settings.Networks.side!.IPAddress}/`);
    assert.notEqual(gone.code, 0);
    assert.equal(dir.changes.at(-1)!.change.settings?.Networks.side, undefined);
    await assert.rejects(svc.disconnect('side', 'roamer', false), /is not connected to network side/);
    // A stopped container: only its configuration changes.
    const sleepyReq = request({ containerId: containerId(), containerName: 'sleepy', networkMode: 'app' });
    dir.add(sleepyReq, false);
    await svc.connect('side', 'sleepy', { Aliases: ['zz'] });
    assert.deepEqual(dir.changes.at(-1)!.change, { endpoints: { side: { Aliases: ['zz'] } } });
    // Stopped and not connected: moby's wording for that case has "the network".
    await assert.rejects(svc.disconnect('bridge', 'sleepy', false), (err: Error) => err.message === `container ${sleepyReq.containerId} is not connected to the network bridge`);
  });

  test('addresses, published ports and names survive a daemon restart', async () => {
    const port = await freePort();
    const keeper = await run('keeper', 'app', { portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } });
    stops.push(await httpd(env.dir, keeper, 'kept'));
    const asker = await run('asker', 'app');
    stops.push(await sleeper(asker));
    await svc.shutdown();
    svc = await openService(env, dir);
    assert.equal((await runProcess('curl', ['-s', '-m', '5', `http://127.0.0.1:${port}/`])).stdout.trim(), 'kept');
    const r = await inNsWithResolv(env.dir, asker, 'timeout 5 busybox wget -qO- http://keeper/');
    assert.equal(r.stdout.trim(), 'kept', r.stderr);
    // The restored address book: a new container does not get keeper's address.
    const fresh = await run('fresh', 'app');
    assert.notEqual(fresh.settings.Networks.app!.IPAddress, keeper.settings.Networks.app!.IPAddress);
    assert.notEqual(fresh.settings.Networks.app!.IPAddress, asker.settings.Networks.app!.IPAddress);
  });

  test('after a kill -9, a restart releases what dead containers held and keeps the live ones', async () => {
    // A separate daemon-like process prepares two sandboxes and dies.
    const script = `
      import { NetworkService } from ${JSON.stringify(path.join(repoRoot, 'dist/src/network/service.js'))};
      import { nullLogger } from ${JSON.stringify(path.join(repoRoot, 'dist/src/common/log.js'))};
      const opts = JSON.parse(process.env.BERTH_NET_OPTS);
      const svc = new NetworkService({ ...opts, logger: nullLogger });
      await svc.open();
      const mk = (id, name, ports) => ({ containerId: id, containerName: name, hostname: name, domainname: '', networkMode: 'app', endpoints: {}, portBindings: ports, publishAllPorts: false, exposedPorts: [], dns: [], dnsSearch: [], dnsOptions: [], extraHosts: [] });
      const dead = await svc.prepare(mk('d'.repeat(64), 'dead', { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }));
      const live = await svc.prepare(mk('e'.repeat(64), 'live', {}));
      process.stdout.write(JSON.stringify({ dead, live }) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const { logger: _l, ...plain } = env.opts;
    void _l;
    // The service must not run while the "other daemon" does.
    await svc.shutdown();
    let line = '';
    const child = spawn(nodeBin, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BERTH_NET_OPTS: JSON.stringify(plain) } });
    try {
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
      line = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
        });
        child.once('exit', (code) => reject(new Error(`helper exited ${code}: ${stderr}`)));
      });
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
    }
    const { dead, live } = JSON.parse(line) as { dead: PreparedNetwork; live: PreparedNetwork };
    names.push(...vethOf(dead), ...vethOf(live));
    stops.push(await sleeper(live));
    const deadPort = dead.settings.Ports['80/tcp']![0]!.HostPort;
    svc = await openService(env, dir);
    // The dead one: namespace unpinned, veth gone, port free, no nft element.
    assert.equal(existsSync(netnsOf(dead)), false);
    const table = (await runProcess('nft', ['list', 'table', 'inet', env.table])).stdout;
    assert.doesNotMatch(table, new RegExp(`\\. ${deadPort} :`));
    assert.deepEqual(await linksPresent(vethOf(dead)), []);
    // The live one keeps its address: nobody else gets it.
    const other = await run('after-crash', 'app');
    assert.notEqual(other.settings.Networks.app!.IPAddress, live.settings.Networks.app!.IPAddress);
    assert.equal(existsSync(netnsOf(live)), true);
    dir.add(request({ containerId: 'e'.repeat(64), containerName: 'live', networkMode: 'app' }), true);
  });

  test('release leaves nothing of a container behind', async () => {
    const port = await freePort();
    const p = await run('shortlived', 'app', { portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } });
    const id = [...dir.containers.values()].find((c) => c.name === 'shortlived')!.id;
    await svc.release(id);
    assert.equal(existsSync(netnsOf(p)), false);
    assert.deepEqual(await linksPresent(vethOf(p)), []);
    assert.doesNotMatch((await runProcess('nft', ['list', 'table', 'inet', env.table])).stdout, new RegExp(`${port} :`));
    // The port is free again.
    const again = await run('shortlived2', 'app', { portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } });
    assert.equal(again.settings.Ports['80/tcp']![0]!.HostPort, String(port));
  });
});
