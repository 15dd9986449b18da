// Container networking through a real berthd and the real docker CLI: the
// issue's checks (a server found by name on a user network; the same server
// through a published loopback port), isolation between networks, --link,
// internal networks, connect/disconnect of a running container, `docker
// port`, port clashes, `network rm` of a network in use, and daemon restarts
// (graceful and kill -9). Skipped while berthd cannot run containers. The
// host is checked in `after`: no bridge, veth, table or mount of the suite's.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { haveDockerCli, runProcess, type TestDaemon, startDaemon } from '../../helpers/daemon.js';
import { tableNameFor } from '../../../src/network/firewall.js';

const root = process.getuid?.() === 0;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const HTTPD = "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 80 -h /www";
/**
 * wget that gives up after `secs`. Not `timeout` as the container's command:
 * as PID 1 it would exec wget, and PID 1 ignores timeout's SIGTERM (and
 * busybox 1.35's wget -T crashes).
 */
const wgetWithin = (secs: number, url: string): string[] => ['sh', '-c', `timeout ${secs} wget -qO- ${url}; exit $?`];

describe('container networking with the docker CLI', { skip: !root || !haveDockerCli ? 'needs root and /usr/local/bin/docker' : false, concurrency: false }, () => {
  let d: TestDaemon;
  const links: string[] = [];

  before(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-netctr-'));
    writeFileSync(path.join(dir, 'daemon.json'), '{}');
    d = await startDaemon({ dir });
    const bb = await d.api('POST', '/berth/images/busybox');
    assert.ok(bb.status === 200 || bb.status === 201, bb.text);
    // The suite needs a working runtime: a failure here fails it, with the reason.
    const probe = await d.docker(['run', '--rm', '--network', 'none', 'busybox', 'true']);
    assert.equal(probe.code, 0, probe.stderr);
  });

  after(async () => {
    const bridge = d.bridge;
    const dir = d.dir;
    await d.cleanup();
    const left = (await runProcess('ip', ['-o', 'link', 'show'])).stdout.split('\n').map((l) => l.split(': ')[1]?.split('@')[0]).filter((n): n is string => !!n);
    for (const name of [bridge, ...links]) assert.ok(!left.includes(name), `${name} left behind`);
    assert.ok(!(await runProcess('nft', ['list', 'tables'])).stdout.includes(`inet ${tableNameFor(bridge)}`), 'nftables table left behind');
    assert.ok(!(await runProcess('cat', ['/proc/mounts'])).stdout.includes(dir), 'mounts left behind');
  });

  const docker = async (args: string[], expectCode = 0): Promise<string> => {
    const r = await d.docker(args);
    assert.equal(r.code, expectCode, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  /** Remember veth names of a container, to check they are gone at the end. */
  const trackVeths = async (name: string): Promise<void> => {
    const ids = (await docker(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.EndpointID}} {{end}}', name])).trim().split(/\s+/).filter(Boolean);
    links.push(...ids.map((id) => `veth${id.slice(0, 7)}`));
  };

  test('the issue check: `wget http://db/` from another container on the network prints ok', async (t) => {
    const created = await docker(['network', 'create', 'app']);
    links.push(`br-${created.trim().slice(0, 12)}`);
    await docker(['run', '-d', '--name', 'db', '--network', 'app', '--network-alias', 'database', 'busybox', 'sh', '-c', HTTPD]);
    await trackVeths('db');
    assert.equal((await docker(['run', '--rm', '--network', 'app', 'busybox', 'wget', '-qO-', 'http://db/'])).trim(), 'ok');
    assert.equal((await docker(['run', '--rm', '--network', 'app', 'busybox', 'wget', '-qO-', 'http://database/'])).trim(), 'ok');
    const ep = JSON.parse(await docker(['inspect', '-f', '{{json .NetworkSettings.Networks.app}}', 'db'])) as Record<string, unknown>;
    assert.match(String(ep.IPAddress), /^\d+\.\d+\.\d+\.\d+$/);
    assert.match(String(ep.MacAddress), /^02:42:/);
    assert.deepEqual(ep.Aliases, ['database']);
    assert.ok((ep.DNSNames as string[]).includes('db'));
    const resolv = await docker(['run', '--rm', '--network', 'app', 'busybox', 'cat', '/etc/resolv.conf']);
    assert.match(resolv, new RegExp(`nameserver ${String(ep.Gateway).replace(/\./g, '\\.')}`));
  });

  test('network events: create, connect, disconnect, destroy', async (t) => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const created = await docker(['network', 'create', 'evnet']);
    await docker(['run', '--rm', '--network', 'evnet', 'busybox', 'true']);
    await docker(['network', 'rm', 'evnet']);
    const until = Math.floor(Date.now() / 1000) + 1;
    const ev = await docker(['events', '--since', String(since), '--until', String(until), '--filter', 'type=network', '--filter', 'network=evnet', '--format', '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}} {{.Actor.ID}}']);
    const lines = ev.trim().split('\n');
    const id = created.trim();
    assert.deepEqual(lines.map((l) => l.split(' ').slice(0, 3).join(' ')), ['create evnet bridge', 'connect evnet bridge', 'disconnect evnet bridge', 'destroy evnet bridge']);
    assert.ok(lines.every((l) => l.endsWith(id)), ev);
  });

  test('the same server published on the host loopback answers curl; docker port; clashes', async (t) => {
    const port = await freePort();
    await docker(['run', '-d', '--name', 'web', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sh', '-c', HTTPD]);
    await trackVeths('web');
    const curl = await runProcess('curl', ['-s', '-m', '5', `http://127.0.0.1:${port}/`]);
    assert.equal(curl.stdout.trim(), 'ok');
    assert.equal((await docker(['port', 'web'])).trim(), `80/tcp -> 127.0.0.1:${port}`);
    const clash = await d.docker(['run', '-d', '--name', 'web2', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sleep', '60']);
    assert.notEqual(clash.code, 0);
    assert.match(clash.stderr, new RegExp(`Bind for 127\\.0\\.0\\.1:${port} failed: port is already allocated`));
    await d.docker(['rm', '-f', 'web2']);
    // -P: every exposed port on an ephemeral one, IPv4 and IPv6.
    await docker(['run', '-d', '--name', 'puball', '-P', '--expose', '80', 'busybox', 'sh', '-c', HTTPD]);
    await trackVeths('puball');
    const lines = (await docker(['port', 'puball', '80'])).trim().split('\n');
    const m = /^0\.0\.0\.0:(\d+)$/.exec(lines[0]!);
    assert.ok(m, lines.join('|'));
    assert.equal((await runProcess('curl', ['-s', '-m', '5', `http://127.0.0.1:${m[1]}/`])).stdout.trim(), 'ok');
    // Hairpin: the container reaches its own published port through the bridge gateway.
    const gw = (await docker(['inspect', '-f', '{{.NetworkSettings.Networks.bridge.Gateway}}', 'puball'])).trim();
    assert.equal((await docker(['exec', 'puball', 'wget', '-qO-', `http://${gw}:${m[1]}/`])).trim(), 'ok');
  });

  test('containers on another network neither reach nor resolve db', async (t) => {
    const created = await docker(['network', 'create', 'other']);
    links.push(`br-${created.trim().slice(0, 12)}`);
    const ip = (await docker(['inspect', '-f', '{{.NetworkSettings.Networks.app.IPAddress}}', 'db'])).trim();
    const byName = await d.docker(['run', '--rm', '--network', 'other', 'busybox', 'wget', '-qO-', 'http://db/']);
    assert.notEqual(byName.code, 0);
    const byIp = await d.docker(['run', '--rm', '--network', 'other', 'busybox', ...wgetWithin(3, `http://${ip}/`)]);
    assert.notEqual(byIp.code, 0);
  });

  test('--link on the default bridge: variables, hosts entry, traffic', async (t) => {
    await docker(['run', '-d', '--name', 'legacy', '--expose', '80', '-e', 'TOKEN=t1', 'busybox', 'sh', '-c', HTTPD]);
    await trackVeths('legacy');
    const out = await docker(['run', '--rm', '--link', 'legacy:old', 'busybox', 'sh', '-c', 'env | grep ^OLD_ | sort; grep old /etc/hosts; wget -qO- http://old/']);
    const ip = (await docker(['inspect', '-f', '{{.NetworkSettings.Networks.bridge.IPAddress}}', 'legacy'])).trim();
    assert.match(out, new RegExp(`OLD_PORT_80_TCP=tcp://${ip.replace(/\./g, '\\.')}:80`));
    assert.match(out, /OLD_ENV_TOKEN=t1/);
    assert.match(out, /OLD_NAME=\/[a-z_]+\/old/);
    assert.match(out, new RegExp(`${ip.replace(/\./g, '\\.')}\\s+old \\w+ legacy`));
    assert.match(out, /^ok$/m);
    // The default bridge has no embedded DNS.
    const noDns = await d.docker(['run', '--rm', 'busybox', 'wget', '-qO-', 'http://legacy/']);
    assert.notEqual(noDns.code, 0);
  });

  test('an internal network has no route out', async (t) => {
    const created = await docker(['network', 'create', '--internal', 'sealed']);
    links.push(`br-${created.trim().slice(0, 12)}`);
    const routes = await docker(['run', '--rm', '--network', 'sealed', 'busybox', 'ip', 'route']);
    assert.doesNotMatch(routes, /default/);
    // Traffic that must be routed out fails at once (no route); the gateway itself (DNS) answers.
    const out = await d.docker(['run', '--rm', '--network', 'sealed', 'busybox', ...wgetWithin(3, 'http://192.0.2.1/')]);
    assert.notEqual(out.code, 0);
    const self = await docker(['run', '--rm', '--network', 'sealed', '--name', 'sealed1', 'busybox', 'nslookup', 'sealed1']);
    assert.match(self, /Address/);
  });

  test('connect and disconnect a running container, with an alias', async (t) => {
    await docker(['run', '-d', '--name', 'srv2', '--network', 'other', 'busybox', 'sh', '-c', HTTPD]);
    await trackVeths('srv2');
    await docker(['run', '-d', '--name', 'roamer', '--network', 'app', 'busybox', 'sleep', '600']);
    await trackVeths('roamer');
    const before1 = await d.docker(['exec', 'roamer', 'wget', '-qO-', 'http://srv2/']);
    assert.notEqual(before1.code, 0);
    await docker(['network', 'connect', '--alias', 'wanderer', 'other', 'roamer']);
    await trackVeths('roamer');
    assert.equal((await docker(['exec', 'roamer', 'wget', '-qO-', 'http://srv2/'])).trim(), 'ok');
    assert.equal((await docker(['exec', 'srv2', 'nslookup', 'wanderer'])).includes('Address'), true);
    const nets = JSON.parse(await docker(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'roamer'])) as Record<string, { Aliases: string[] | null }>;
    assert.deepEqual(Object.keys(nets).sort(), ['app', 'other']);
    assert.deepEqual(nets.other!.Aliases, ['wanderer']);
    const inspect = JSON.parse(await docker(['network', 'inspect', 'other']))[0] as { Containers: Record<string, { Name: string }> };
    assert.deepEqual(Object.values(inspect.Containers).map((c) => c.Name).sort(), ['roamer', 'srv2']);
    await docker(['network', 'disconnect', 'other', 'roamer']);
    const after1 = await d.docker(['exec', 'roamer', ...wgetWithin(3, 'http://srv2/')]);
    assert.notEqual(after1.code, 0);
  });

  test('a network that does not exist fails the start, not the create (docker run must not try to pull)', async (t) => {
    const run = await d.docker(['run', '--name', 'nonet', '--network', 'nosuchnet', 'busybox', 'true']);
    assert.equal(run.code, 125);
    assert.equal(run.stderr, "docker: Error response from daemon: network nosuchnet not found\n\nRun 'docker run --help' for more information\n");
    const st = (await docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}', 'nonet'])).trim();
    assert.equal(st, 'created 128 network nosuchnet not found');
    await docker(['rm', 'nonet']);
    // The same for --network container:<missing>.
    const shared = await d.docker(['run', '--rm', '--network', 'container:nosuchctr', 'busybox', 'true']);
    assert.deepEqual([shared.code, shared.stderr], [125, "docker: Error response from daemon: No such container: nosuchctr\n\nRun 'docker run --help' for more information\n"]);
    // Endpoint settings of networks that do exist are still checked at create.
    const ip = await d.docker(['create', '--network', 'bridge', '--ip', '10.0.0.9', 'busybox']);
    assert.match(ip.stderr, /user specified IP address is supported on user defined networks only/);
  });

  test('network rm of a network in use fails with 409 and docker\'s text', async (t) => {
    const r = await d.api('DELETE', '/v1.47/networks/app');
    assert.equal(r.status, 409);
    assert.match((r.json as { message: string }).message, /^error while removing network: network app has active endpoints \(name:"[a-z]+" id:"[0-9a-f]{12}"/);
  });

  test('a restart keeps running containers\' networking, names and published ports', async (t) => {
    const port = (await docker(['port', 'web'])).trim().split(':').pop()!;
    await d.restart();
    assert.equal((await docker(['exec', 'roamer', 'wget', '-qO-', 'http://db/'])).trim(), 'ok');
    assert.equal((await runProcess('curl', ['-s', '-m', '5', `http://127.0.0.1:${port}/`])).stdout.trim(), 'ok');
  });

  test('after kill -9 and a restart, removing containers leaves nothing', async (t) => {
    await d.kill9();
    await d.start();
    assert.equal((await docker(['exec', 'roamer', 'wget', '-qO-', 'http://db/'])).trim(), 'ok');
    for (const c of ['db', 'web', 'puball', 'legacy', 'srv2', 'roamer']) await docker(['rm', '-f', c]);
    for (const n of ['app', 'other', 'sealed']) await docker(['network', 'rm', n]);
    const present = (await runProcess('ip', ['-o', 'link', 'show'])).stdout;
    for (let i = 0; i < 40 && links.some((l) => present.includes(` ${l}@`) || present.includes(` ${l}:`)); i++) await new Promise((r) => setTimeout(r, 100));
    const now = (await runProcess('ip', ['-o', 'link', 'show'])).stdout;
    for (const l of links) assert.ok(!now.includes(` ${l}@`) && !now.includes(` ${l}:`), `${l} left behind`);
  });
});
