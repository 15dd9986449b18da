// Listings and inspect output of the image, network and volume commands
// against docker 28.2.2: a fake daemon gives both CLIs the same answers
// (shapes from the Engine API v1.47 spec, values chosen to reach every
// column rule: <none> rows, digests, truncation, sizes, labels, natural
// sort order) and stdout, stderr and exit codes must be equal. The requests
// both CLIs send for the same command line are compared too.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { asBerth, dockerCli, runCli, startFakeDaemon, type FakeDaemon, type FakeRequest } from './fake-daemon.js';

const haveDocker = existsSync(dockerCli);
const hex = (c: string): string => c.repeat(64);
const now = Math.floor(Date.now() / 1000);

const IMAGES = [
  {
    Id: `sha256:${hex('a')}`,
    ParentId: '',
    RepoTags: ['busybox:latest', 'busybox:1.36'],
    RepoDigests: [`busybox@sha256:${hex('1')}`],
    Created: now - 3 * 3600,
    Size: 4_260_000,
    SharedSize: -1,
    Labels: { maintainer: 'x' },
    Containers: -1,
  },
  {
    Id: `sha256:${hex('b')}`,
    ParentId: '',
    RepoTags: [],
    RepoDigests: [`localhost:5000/app@sha256:${hex('2')}`],
    Created: now - 40 * 86400,
    Size: 123,
    SharedSize: -1,
    Labels: null,
    Containers: -1,
  },
  { Id: `sha256:${hex('c')}`, ParentId: '', RepoTags: [], RepoDigests: [], Created: now - 10 * 60, Size: 999_999, SharedSize: -1, Labels: null, Containers: -1 },
  {
    Id: `sha256:${hex('d')}`,
    ParentId: '',
    RepoTags: ['localhost:5000/team/app:v2'],
    RepoDigests: [],
    Created: now - 400 * 86400,
    Size: 1_125_000,
    SharedSize: -1,
    Labels: null,
    Containers: -1,
  },
];

const HISTORY = [
  { Id: `sha256:${hex('a')}`, Created: now - 3 * 3600, CreatedBy: '/bin/sh -c #(nop)  CMD ["sh"]', Tags: ['busybox:latest'], Size: 0, Comment: '' },
  { Id: '<missing>', Created: now - 3 * 3600, CreatedBy: '/bin/sh -c #(nop) ADD file:0123456789abcdef in / \tdone', Tags: null, Size: 4_260_000, Comment: 'imported <from> & more' },
];

const IMAGE_INSPECT = {
  Id: `sha256:${hex('a')}`,
  RepoTags: ['busybox:latest'],
  RepoDigests: [`busybox@sha256:${hex('1')}`],
  Parent: '',
  Comment: '',
  Created: '2024-01-01T00:00:00.123456789Z',
  DockerVersion: '',
  Author: '',
  Config: {
    Hostname: '',
    Domainname: '',
    User: '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ExposedPorts: { '80/tcp': {} },
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: ['PATH=/bin'],
    Cmd: ['sh'],
    Image: '',
    Volumes: null,
    WorkingDir: '/w',
    Entrypoint: null,
    OnBuild: null,
    Labels: { 'b.key': '2', 'a.key': '<1>' },
  },
  Architecture: 'amd64',
  Os: 'linux',
  Size: 4_260_000,
  GraphDriver: { Name: 'overlay2', Data: { MergedDir: '/m', UpperDir: '/u', WorkDir: '/w' } },
  RootFS: { Type: 'layers', Layers: [`sha256:${hex('e')}`] },
  Metadata: { LastTagTime: '2024-02-03T04:05:06.7Z' },
};

const NETWORKS = [
  { Name: 'net10', Id: hex('1'), Created: '2024-01-01T00:00:00.123456789Z', Scope: 'local', Driver: 'bridge', EnableIPv4: true, EnableIPv6: false, IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '10.1.0.0/16', Gateway: '10.1.0.1' }] }, Internal: false, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: {}, Options: {}, Labels: { z: '1' } },
  { Name: 'net9', Id: hex('2'), Created: '0001-01-01T00:00:00Z', Scope: 'local', Driver: 'null', EnableIPv4: false, EnableIPv6: true, IPAM: { Driver: 'default', Options: null, Config: [] }, Internal: true, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: {}, Options: {}, Labels: {} },
  { Name: 'bridge', Id: hex('3'), Created: '2024-01-01T00:00:00Z', Scope: 'local', Driver: 'bridge', EnableIPv4: true, EnableIPv6: false, IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] }, Internal: false, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: { [hex('c')]: { Name: 'web', EndpointID: hex('e'), MacAddress: '02:42:ac:11:00:02', IPv4Address: '172.17.0.2/16', IPv6Address: '' } }, Options: { 'com.docker.network.bridge.name': 'docker0' }, Labels: {} },
];

const VOLUMES = {
  Volumes: [
    // one label: docker joins a Go map's labels in random order
    { CreatedAt: '2024-01-01T00:00:00Z', Driver: 'local', Labels: { a: '1' }, Mountpoint: '/v/vol10/_data', Name: 'vol10', Options: { b: '2', a: '1' }, Scope: 'local' },
    { CreatedAt: '2024-01-01T00:00:00Z', Driver: 'local', Labels: null, Mountpoint: '/v/vol9/_data', Name: 'vol9', Options: { type: 'tmpfs' }, Scope: 'local', UsageData: { Size: 2048, RefCount: 1 } },
  ],
  Warnings: ['volume plugin "x" is unreachable'],
};

const SEARCH = [
  { name: 'busybox', description: 'Busybox base image.\nSmall & <useful>', star_count: 3000, is_official: true, is_automated: false },
  { name: 'someone/very-long-description', description: 'x'.repeat(60), star_count: 1, is_official: false, is_automated: true },
];

function route(req: FakeRequest): { status?: number; body?: unknown } | undefined {
  const { method, path: p } = req;
  if (method === 'GET' && p === '/images/json') return { body: IMAGES };
  if (method === 'GET' && p === '/images/busybox/history') return { body: HISTORY };
  if (method === 'GET' && p === '/images/busybox/json') return { body: IMAGE_INSPECT };
  if (method === 'GET' && p.startsWith('/images/') && p.endsWith('/json')) return { status: 404, body: { message: `No such image: ${p.slice(8, -5)}` } };
  if (method === 'GET' && p === '/networks') return { body: NETWORKS };
  if (method === 'GET' && p.startsWith('/networks/')) {
    const n = NETWORKS.find((x) => x.Name === p.slice(10) || x.Id.startsWith(p.slice(10)));
    return n ? { body: n } : { status: 404, body: { message: `network ${p.slice(10)} not found` } };
  }
  if (method === 'GET' && p === '/volumes') return { body: VOLUMES };
  if (method === 'GET' && p.startsWith('/volumes/')) {
    const v = VOLUMES.Volumes.find((x) => x.Name === p.slice(9));
    return v ? { body: v } : { status: 404, body: { message: `get ${p.slice(9)}: no such volume` } };
  }
  if (method === 'GET' && p === '/images/search') return { body: SEARCH };
  if (method === 'POST' && p === '/networks/create') return { status: 201, body: { Id: hex('9'), Warning: '' } };
  if (method === 'POST' && p === '/volumes/create') return { status: 201, body: { Name: 'v1', Driver: 'local' } };
  if (method === 'POST' && /^\/networks\/[^/]+\/(connect|disconnect)$/.test(p)) return { status: 200, body: '' };
  if (method === 'POST' && /^\/images\/.+\/tag$/.test(p)) return { status: 201, body: '' };
  if (method === 'DELETE' && p.startsWith('/images/')) return { body: [{ Untagged: 'busybox:latest' }, { Deleted: `sha256:${hex('a')}` }] };
  return undefined;
}

describe('listings and inspect as docker prints them', { skip: !haveDocker && 'no docker CLI' }, () => {
  let daemon: FakeDaemon;
  let configDir: string;
  before(async () => {
    configDir = mkdtempSync(path.join(os.tmpdir(), 'berth-listing-'));
    daemon = await startFakeDaemon(route);
  });
  after(async () => {
    await daemon?.close();
    rmSync(configDir, { recursive: true, force: true });
  });
  const env = (): Record<string, string> => ({ DOCKER_CONFIG: configDir, TZ: 'UTC' });

  const cases: string[][] = [
    ['images'],
    ['images', '-a', '--digests'],
    ['images', '--no-trunc', '-q'],
    ['images', '--format', 'json'],
    ['images', '--format', 'table {{.Repository}}\t{{.Size}}\t{{.VirtualSize}}\t{{.CreatedAt}}'],
    ['images', '--format', '{{.ID}} {{.Containers}} {{.SharedSize}} {{.UniqueSize}}'],
    ['images', '--format', 'raw', '--digests'],
    ['images', '-f', 'dangling=true', 'busybox'],
    ['images', '--format', '{{.Nope}}'],
    ['history', 'busybox'],
    ['history', '--no-trunc', '-H=false', 'busybox'],
    ['history', '--format', 'json', 'busybox'],
    ['history', '-q', 'busybox'],
    ['image', 'inspect', 'busybox'],
    ['image', 'inspect', '--format', 'json', 'busybox', 'nope'],
    ['image', 'inspect', '-f', '{{json .}}', 'busybox'],
    ['image', 'inspect', '-f', '{{.ID}} {{.Config.Labels}} {{.Config.ExposedPorts}} {{.Metadata.LastTagTime}} {{json .Config}}', 'busybox'],
    ['image', 'inspect', '-f', '{{.Id}}', 'busybox'],
    ['image', 'inspect', '-f', '{{.Nope}}', 'busybox'],
    ['network', 'ls'],
    ['network', 'ls', '--no-trunc', '--format', 'table {{.ID}}\t{{.Name}}\t{{.IPv4}}\t{{.IPv6}}\t{{.Internal}}\t{{.CreatedAt}}'],
    ['network', 'ls', '--format', 'json'],
    ['network', 'ls', '-q', '-f', 'driver=bridge'],
    ['network', 'inspect', 'bridge', 'net9'],
    ['network', 'inspect', '-f', '{{.ID}} {{.Created}} {{range $id, $c := .Containers}}{{$c.Name}} {{$c.IPv4Address}}{{end}} {{json .IPAM}}', 'bridge'],
    ['network', 'inspect', '-f', '{{json .}}', 'net10', 'nope'],
    ['volume', 'ls'],
    ['volume', 'ls', '--format', 'json'],
    ['volume', 'ls', '--format', 'table {{.Name}}\t{{.Labels}}\t{{.Label "a"}}\t{{.Links}}\t{{.Size}}\t{{.Mountpoint}}'],
    ['volume', 'ls', '-q'],
    ['volume', 'inspect', 'vol10', 'vol9'],
    ['volume', 'inspect', '-f', '{{json .}} {{.Options}} {{.UsageData}}', 'vol9', 'vol10', 'nope'],
    ['search', 'busybox'],
    ['search', '--no-trunc', '--format', 'json', 'busybox'],
    ['search', '--format', '{{.Name}}: {{.IsOfficial}} {{.StarCount}}', 'busybox'],
    ['search', '--format', '{{.IsAutomated}}', 'busybox'],
    ['volume', 'inspect', '-f', '{{.Nope}}', 'vol9'],
  ];
  for (const args of cases) {
    it(args.join(' '), async () => {
      const docker = await runCli('docker', daemon.host, args, { env: env() });
      const berth = await runCli('berth', daemon.host, args, { env: env() });
      assert.equal(berth.stderr, asBerth(docker.stderr));
      assert.equal(berth.stdout, docker.stdout);
      assert.equal(berth.code, docker.code);
    });
  }

  const requestCases: string[][] = [
    ['network', 'create', '--subnet', '10.5.0.0/16', '--ip-range', '10.5.1.0/24', '--gateway', '10.5.0.1', '--aux-address', 'b=10.5.0.3', '--aux-address', 'a=10.5.0.2', '--label', 'z=1', '--label', 'a', '-o', 'mtu=1400', '-o', 'a=b', '--ipam-opt', 'x=y', '--internal', '--attachable', '--ipv6', 'n1'],
    ['network', 'create', '-d', 'macvlan', '--ipv4=false', '--config-from', 'other', 'n2'],
    ['network', 'connect', '--alias', 'a1,a2', '--ip', '10.5.0.9', '--ip6', 'fd00::9', '--link', 'db:db', 'n1', 'c1'],
    ['network', 'disconnect', '-f', 'n1', 'c1'],
    ['volume', 'create', '-d', 'local', '--label', 'b=2', '--label', 'a', '-o', 'type=tmpfs', '-o', 'device=tmpfs', 'v1'],
    ['tag', 'busybox', 'localhost:5000/x/y'],
    ['rmi', '-f', '--no-prune', 'busybox'],
  ];
  for (const args of requestCases) {
    it(`request: ${args.join(' ')}`, async () => {
      daemon.requests.length = 0;
      const docker = await runCli('docker', daemon.host, args, { env: env() });
      const fromDocker = daemon.requests.splice(0).filter((r) => r.method !== 'HEAD');
      const berth = await runCli('berth', daemon.host, args, { env: env() });
      const fromBerth = daemon.requests.splice(0).filter((r) => r.method !== 'HEAD');
      assert.equal(berth.stdout, docker.stdout);
      assert.equal(berth.code, docker.code);
      // docker inspects a network before removing it, and may look a container up: compare the writes
      const writes = (list: FakeRequest[]): unknown[] =>
        list
          .filter((r) => r.method !== 'GET')
          .map((r) => ({
            method: r.method,
            path: r.path,
            query: [...r.query.entries()].sort(),
            body: r.body.length > 0 ? JSON.parse(r.body.toString('utf8')) : undefined,
          }));
      const docs = writes(fromDocker);
      const ours = writes(fromBerth);
      assert.equal(ours.length, docs.length);
      for (let i = 0; i < docs.length; i++) assert.deepEqual(meaningful(ours[i]), meaningful(docs[i]));
    });
  }
});

/** Drops what Go writes as zero values (docker's structs send every field; berth only the ones set). */
function meaningful(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(meaningful);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const m = meaningful(v);
      if (m === '' || m === false || m === 0 || m === null || m === undefined) continue;
      if (typeof m === 'object' && !Array.isArray(m) && Object.keys(m as object).length === 0) continue;
      out[k] = m;
    }
    return out;
  }
  return value;
}
