// The nftables table berth renders (checked by `nft -c`, which validates
// against the kernel without applying), and legacy --link variables and
// hosts lines (moby daemon/links Link.ToEnv; container_operations).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { renderTable, tableNameFor } from '../../../src/network/firewall.js';
import { linkEnv, linkHostsEntries, parseLink } from '../../../src/network/links.js';

const nets = [
  { bridge: 'bt0', subnets: [{ family: 4 as const, cidr: '10.200.0.0/24' }], internal: false, masquerade: true, icc: true },
  { bridge: 'br-aaaaaaaaaaaa', subnets: [{ family: 4 as const, cidr: '10.201.0.0/24' }, { family: 6 as const, cidr: 'fd00:1::/64' }], internal: false, masquerade: true, icc: false },
  { bridge: 'br-bbbbbbbbbbbb', subnets: [{ family: 4 as const, cidr: '10.202.0.0/24' }], internal: true, masquerade: true, icc: true },
];
const forwards = [
  { family: 4 as const, proto: 'tcp' as const, hostIp: '', hostPort: 8080, containerIp: '10.200.0.2', containerPort: 80 },
  { family: 4 as const, proto: 'udp' as const, hostIp: '127.0.0.1', hostPort: 5353, containerIp: '10.201.0.2', containerPort: 53 },
];

test('the table: NAT for non-internal subnets, isolation, internal networks, published ports in maps', () => {
  const text = renderTable('berth-test', nets, forwards);
  assert.match(text, /ip saddr 10\.200\.0\.0\/24 oifname != "bt0" masquerade/);
  assert.match(text, /ip6 saddr fd00:1::\/64 oifname != "br-aaaaaaaaaaaa" masquerade/);
  assert.doesNotMatch(text, /10\.202\.0\.0\/24 oifname/);
  assert.match(text, /iifname "bt0" oifname \{ "br-aaaaaaaaaaaa", "br-bbbbbbbbbbbb" \} drop/);
  assert.match(text, /iifname "br-bbbbbbbbbbbb" oifname != "br-bbbbbbbbbbbb" drop/);
  assert.match(text, /oifname "br-bbbbbbbbbbbb" iifname != "br-bbbbbbbbbbbb" drop/);
  assert.match(text, /iifname "br-aaaaaaaaaaaa" oifname "br-aaaaaaaaaaaa" drop/);
  assert.match(text, /add element inet berth-test dnat4_any \{ tcp \. 8080 : 10\.200\.0\.2 \. 80 \}/);
  assert.match(text, /add element inet berth-test dnat4_addr \{ 127\.0\.0\.1 \. udp \. 5353 : 10\.201\.0\.2 \. 53 \}/);
});

test('the table is valid nftables (nft -c)', { skip: !existsSync('/usr/sbin/nft') || process.getuid?.() !== 0 }, () => {
  const r = spawnSync('nft', ['-c', '-f', '-'], { input: renderTable('berth-unittest', nets, forwards), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('table names per daemon', () => {
  assert.equal(tableNameFor('berth0'), 'berth');
  assert.equal(tableNameFor('bt1a2b3c'), 'berth-bt1a2b3c');
});

test('links: names and aliases', () => {
  assert.deepEqual(parseLink('db'), { name: 'db', alias: 'db' });
  assert.deepEqual(parseLink('db:data'), { name: 'db', alias: 'data' });
  assert.deepEqual(parseLink('/db:/web/data'), { name: 'db', alias: 'data' });
});

// dockerd 20.10 with --expose 80 --expose 81 --expose 6379 --expose 53/udp gave
// MY_DB_PORT=udp://IP:53, the four variables per port, MY_DB_NAME=/<parent>/my-db
// and MY_DB_ENV_PASSWORD=x=y (no range variables for a run of two ports).
test('links: environment as docker writes it', () => {
  const env = linkEnv('web', 'my-db', {
    name: 'db',
    hostname: 'abc123',
    ipv4: '172.17.0.2',
    exposedPorts: ['6379/tcp', '80/tcp', '81/tcp', '82/tcp', '53/udp'],
    env: ['PATH=/bin', 'HOME=/root', 'PASSWORD=x=y', 'BROKEN'],
  });
  assert.deepEqual(env, [
    'MY_DB_PORT=udp://172.17.0.2:53',
    'MY_DB_PORT_80_TCP_START=tcp://172.17.0.2:80',
    'MY_DB_PORT_80_TCP_ADDR=172.17.0.2',
    'MY_DB_PORT_80_TCP_PORT_START=80',
    'MY_DB_PORT_80_TCP_PROTO=tcp',
    'MY_DB_PORT_80_TCP_END=tcp://172.17.0.2:82',
    'MY_DB_PORT_80_TCP_PORT_END=82',
    'MY_DB_PORT_53_UDP=udp://172.17.0.2:53',
    'MY_DB_PORT_53_UDP_ADDR=172.17.0.2',
    'MY_DB_PORT_53_UDP_PORT=53',
    'MY_DB_PORT_53_UDP_PROTO=udp',
    'MY_DB_PORT_80_TCP=tcp://172.17.0.2:80',
    'MY_DB_PORT_80_TCP_ADDR=172.17.0.2',
    'MY_DB_PORT_80_TCP_PORT=80',
    'MY_DB_PORT_80_TCP_PROTO=tcp',
    'MY_DB_PORT_81_TCP=tcp://172.17.0.2:81',
    'MY_DB_PORT_81_TCP_ADDR=172.17.0.2',
    'MY_DB_PORT_81_TCP_PORT=81',
    'MY_DB_PORT_81_TCP_PROTO=tcp',
    'MY_DB_PORT_82_TCP=tcp://172.17.0.2:82',
    'MY_DB_PORT_82_TCP_ADDR=172.17.0.2',
    'MY_DB_PORT_82_TCP_PORT=82',
    'MY_DB_PORT_82_TCP_PROTO=tcp',
    'MY_DB_PORT_6379_TCP=tcp://172.17.0.2:6379',
    'MY_DB_PORT_6379_TCP_ADDR=172.17.0.2',
    'MY_DB_PORT_6379_TCP_PORT=6379',
    'MY_DB_PORT_6379_TCP_PROTO=tcp',
    'MY_DB_NAME=/web/my-db',
    'MY_DB_ENV_PASSWORD=x=y',
  ]);
});

test('links: two consecutive ports are no range', () => {
  const env = linkEnv('web', 'db', { name: 'db', hostname: 'h', ipv4: '10.0.0.2', exposedPorts: ['80/tcp', '81/tcp'], env: [] });
  assert.ok(!env.some((e) => e.includes('_START')));
});

// dockerd 20.10 wrote "10.199.0.2\tmy-db 2ecd785ccca9 ldb" for --link ldb:my-db.
test('links: hosts lines (alias, hostname, and the name when it differs)', () => {
  const t = { name: 'db', hostname: 'abc123', ipv4: '172.17.0.2', exposedPorts: [], env: [] };
  assert.deepEqual(linkHostsEntries('db', t), [{ ip: '172.17.0.2', names: ['db', 'abc123'] }]);
  assert.deepEqual(linkHostsEntries('data', t), [{ ip: '172.17.0.2', names: ['data', 'abc123', 'db'] }]);
});
