// Network benchmarks (root; see docs/networking.md for the figures and what
// was chosen from them). Sections, all by default, or named as arguments:
//
//   plumbing    per-container setup and teardown: the CNI plugins from
//               /usr/lib/cni (loopback, bridge + host-local, portmap) against
//               berth's direct rtnetlink + libnftables plumbing
//   dns         per-container cost of docker's 127.0.0.11 scheme (a DNAT table
//               inside every container namespace) against the gateway address
//   throughput  TCP container → container, and host loopback → published port
//               through kernel DNAT, berth's userland proxy and docker-proxy
//               (iperf3 when installed, else a busybox nc transfer)
//   dockerd     a dockerd (docker.io) on its own paths, socket and bridge:
//               `docker run --rm busybox true` on the default bridge against
//               --network none, and the same transfers through its bridge
//   berthd      the same `docker run` timings against a berthd (when it runs
//               containers)
//
// Usage: node dist/bench/network.js [section...] [--runs N] [--json]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetworkService } from '../src/network/service.js';
import type { NetworkRequest, PreparedNetwork } from '../src/runtime/network-contract.js';
import { nullLogger } from '../src/common/log.js';
import { createNetns, removeNetns } from '../src/network/netlink.js';
import { Nft } from '../src/network/nftables.js';
import { HostPorts } from '../src/network/publish.js';
import { median } from './engines.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const runsArg = args.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(args[runsArg + 1]) : 30;
const asJson = args.includes('--json');
const sections = args.filter((a, i) => !a.startsWith('--') && !(runsArg >= 0 && i === runsArg + 1));
const want = (s: string): boolean => sections.length === 0 || sections.includes(s);
const results: Record<string, Record<string, number | string>> = {};

function record(section: string, key: string, value: number | string): void {
  (results[section] ??= {})[key] = typeof value === 'number' ? Math.round(value * 100) / 100 : value;
  if (!asJson) console.log(`${section.padEnd(11)} ${key.padEnd(58)} ${typeof value === 'number' ? value.toFixed(2) : value}`);
}

function sh(cmd: string, input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', cmd], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function tag(): string {
  return Math.random().toString(16).slice(2, 8);
}

/** The netns file the network service made for a container. */
function netnsOf(prepared: PreparedNetwork): string {
  if (prepared.namespace.kind !== 'path') throw new Error(`expected a netns file, got a namespace of kind ${prepared.namespace.kind}`);
  return prepared.namespace.path;
}

function request(id: string, name: string, mode: string, over: Partial<NetworkRequest> = {}): NetworkRequest {
  return {
    containerId: id,
    containerName: name,
    hostname: id.slice(0, 12),
    domainname: '',
    networkMode: mode,
    endpoints: {},
    portBindings: {},
    publishAllPorts: false,
    exposedPorts: [],
    dns: [],
    dnsSearch: [],
    dnsOptions: [],
    extraHosts: [],
    ...over,
  };
}

const idOf = (i: number): string => i.toString(16).padStart(12, '0') + 'b'.repeat(52);

async function withService<T>(fn: (svc: NetworkService, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-net-'));
  const t = tag();
  const svc = new NetworkService({
    dataRoot: path.join(dir, 'root'),
    execRoot: path.join(dir, 'exec'),
    bridge: `bb${t}`,
    bip: `10.197.${parseInt(t.slice(0, 2), 16)}.1/24`,
    defaultAddressPools: [{ base: '10.196.0.0/16', size: 24 }],
    iptables: true,
    dns: [],
    logger: nullLogger,
  });
  await svc.open();
  try {
    return await fn(svc, dir);
  } finally {
    for (const id of svc.containerIds()) await svc.release(id);
    await svc.shutdown();
    // Namespaces of a section that failed half-way.
    sh(`grep -o ' ${dir}/[^ ]*' /proc/mounts | xargs -r -n1 umount -l`);
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------

async function benchPlumbing(): Promise<void> {
  const cni = '/usr/lib/cni';
  if (existsSync(path.join(cni, 'bridge'))) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-cni-'));
    const br = `cb${tag()}`;
    const conf = JSON.stringify({
      cniVersion: '1.0.0', name: 'bench', type: 'bridge', bridge: br, isGateway: true, ipMasq: true, hairpinMode: true,
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.195.0.0/16' }]], dataDir: path.join(dir, 'ipam') },
    });
    const lo = JSON.stringify({ cniVersion: '1.0.0', name: 'lo', type: 'loopback' });
    const plugin = (name: string, command: string, id: string, ns: string, stdin: string): { ms: number; out: string } => {
      const t0 = performance.now();
      const r = spawnSync(path.join(cni, name), [], {
        input: stdin,
        encoding: 'utf8',
        env: { ...process.env, CNI_COMMAND: command, CNI_CONTAINERID: id, CNI_NETNS: ns, CNI_IFNAME: 'eth0', CNI_PATH: cni },
      });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${name} ${command}: ${r.stdout} ${r.stderr}`);
      return { ms, out: r.stdout };
    };
    const t = { netns: [] as number[], loopback: [] as number[], bridge: [] as number[], portmap: [] as number[], del: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
      const ns = path.join(dir, `ns${i}`);
      let t0 = performance.now();
      createNetns(ns).close();
      t.netns.push(performance.now() - t0);
      const id = `c${i}`;
      t.loopback.push(plugin('loopback', 'ADD', id, ns, lo).ms);
      const br1 = plugin('bridge', 'ADD', id, ns, conf);
      t.bridge.push(br1.ms);
      const pm = JSON.stringify({
        cniVersion: '1.0.0', name: 'bench', type: 'portmap', capabilities: { portMappings: true },
        runtimeConfig: { portMappings: [{ hostPort: 20000 + i, containerPort: 80, protocol: 'tcp' }] }, prevResult: JSON.parse(br1.out),
      });
      t.portmap.push(plugin('portmap', 'ADD', id, ns, pm).ms);
      t0 = performance.now();
      plugin('portmap', 'DEL', id, ns, pm);
      plugin('bridge', 'DEL', id, ns, conf);
      plugin('loopback', 'DEL', id, ns, lo);
      removeNetns(ns);
      t.del.push(performance.now() - t0);
    }
    record('plumbing', 'CNI netns (created in-process, as berth does)', median(t.netns));
    record('plumbing', 'CNI loopback ADD', median(t.loopback));
    record('plumbing', 'CNI bridge + host-local ADD (ipMasq, hairpin)', median(t.bridge));
    record('plumbing', 'CNI portmap ADD (one port)', median(t.portmap));
    record('plumbing', 'CNI setup total, one published port', median(t.netns) + median(t.loopback) + median(t.bridge) + median(t.portmap));
    record('plumbing', 'CNI teardown (portmap, bridge, loopback DEL)', median(t.del));
    // What the CNI plugins leave behind on purpose (chains, the bridge): clean it.
    sh(`ip link del ${br} 2>/dev/null`);
    sh(`iptables-save -t nat | grep -q CNI && { iptables -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT; iptables -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT; iptables -t nat -D POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ; for c in CNI-HOSTPORT-DNAT CNI-HOSTPORT-MASQ CNI-HOSTPORT-SETMARK; do iptables -t nat -F $c; iptables -t nat -X $c; done; } 2>/dev/null`);
    sh(`iptables-save -t nat | grep -q -- '-A' || nft delete table ip nat 2>/dev/null; nft list table ip6 nat 2>/dev/null | grep -q chain || nft delete table ip6 nat 2>/dev/null`);
    rmSync(dir, { recursive: true, force: true });
  } else {
    record('plumbing', 'CNI', 'skipped: /usr/lib/cni/bridge missing');
  }

  await withService(async (svc) => {
    await svc.create({ Name: 'bench' });
    const cases: Array<[string, NetworkRequest['portBindings']]> = [
      ['no port', {}],
      ['one published port', { '80/tcp': [{ HostIp: '', HostPort: '' }] }],
    ];
    for (const [label, ports] of cases) {
      const setup: number[] = [];
      const teardown: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const id = idOf(i + (label === 'no port' ? 0 : 100000));
        let t0 = performance.now();
        await svc.prepare(request(id, `c${i}`, 'bench', { portBindings: ports }));
        setup.push(performance.now() - t0);
        t0 = performance.now();
        await svc.release(id);
        teardown.push(performance.now() - t0);
      }
      record('plumbing', `berth prepare (netns, veth, addresses, route), ${label}`, median(setup));
      record('plumbing', `berth release, ${label}`, median(teardown));
    }
  });
}

async function benchDns(): Promise<void> {
  // docker's scheme needs, per container, a nat table in its namespace that
  // sends 127.0.0.11:53 to the resolver's real sockets. Measured with the
  // fastest way berth has (libnftables in the namespace); the gateway scheme
  // costs nothing per container.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-dns-'));
  const times: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const ns = path.join(dir, `ns${i}`);
      createNetns(ns).close();
      const t0 = performance.now();
      const nft = Nft.openIn(ns);
      nft.run(`table ip dns {
  chain out { type nat hook output priority -100; ip daddr 127.0.0.11 udp dport 53 dnat to 127.0.0.11:40001; ip daddr 127.0.0.11 tcp dport 53 dnat to 127.0.0.11:40002; }
  chain post { type nat hook postrouting priority srcnat; ip saddr 127.0.0.11 udp sport 40001 snat to :53; ip saddr 127.0.0.11 tcp sport 40002 snat to :53; }
}`);
      nft.close();
      times.push(performance.now() - t0);
      removeNetns(ns);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  record('dns', '127.0.0.11 scheme: DNAT table in each container namespace', median(times));
  record('dns', 'gateway scheme: per container', 0);
  // And what a lookup costs through the embedded server on the gateway.
  await withService(async (svc, dir) => {
    await svc.create({ Name: 'dnsbench' });
    const a = await svc.prepare(request(idOf(1), 'target', 'dnsbench'));
    const b = await svc.prepare(request(idOf(2), 'asker', 'dnsbench'));
    const gw = b.resolv!.nameservers[0]!;
    void a;
    const script = path.join(dir, 'q.sh');
    writeFileSync(script, `i=0; while [ $i -lt ${RUNS} ]; do busybox nslookup target ${gw} >/dev/null || exit 1; i=$((i+1)); done\n`);
    const t0 = performance.now();
    const r = await runAsync('nsenter', [`--net=${netnsOf(b)}`, 'sh', script]);
    if (r.code !== 0) throw new Error(`nslookup failed: ${r.stderr}`);
    record('dns', 'busybox nslookup of a container name via the gateway (incl. process start)', (performance.now() - t0) / RUNS);
    await svc.release(idOf(1));
    await svc.release(idOf(2));
  });
}

function runAsync(cmd: string, argv: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    p.stdin.end(input);
  });
}

const haveIperf = existsSync('/usr/bin/iperf3');

/** Start a server in a namespace: iperf3 -s, or busybox nc -l. */
function startServer(nsPath: string | null, port: number): ChildProcess {
  const cmd = haveIperf ? ['iperf3', '-s', '-1', '-p', String(port)] : ['busybox', 'nc', '-l', '-p', String(port)];
  const argv = nsPath ? [`--net=${nsPath}`, ...cmd] : cmd;
  const p = spawn(nsPath ? 'nsenter' : argv[0]!, nsPath ? argv : argv.slice(1), { stdio: ['ignore', 'ignore', 'ignore'] });
  return p;
}

/** Gbit/s from a client in `nsPath` (null: the host) to host:port. */
async function transfer(nsPath: string | null, host: string, port: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 300));
  const prefix = nsPath ? ['nsenter', `--net=${nsPath}`] : [];
  if (haveIperf) {
    const r = await runAsync(prefix[0] ?? 'iperf3', [...prefix.slice(1), ...(prefix.length ? ['iperf3'] : []), '-c', host, '-p', String(port), '-t', '3', '-J']);
    if (r.code !== 0) throw new Error(`iperf3 to ${host}:${port}: ${r.stdout.slice(0, 300)} ${r.stderr}`);
    const j = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
    return j.end.sum_received.bits_per_second / 1e9;
  }
  const bytes = 1024 * 1024 * 1024;
  const t0 = performance.now();
  const r = await runAsync('sh', ['-c', `${prefix.join(' ')} sh -c 'head -c ${bytes} /dev/zero | busybox nc -w 2 ${host} ${port}'`]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`nc: ${r.stderr}`);
  return (bytes * 8) / ((performance.now() - t0) / 1000) / 1e9;
}

async function benchThroughput(): Promise<void> {
  record('throughput', 'tool', haveIperf ? 'iperf3 (3 s, one stream)' : 'busybox nc, 1 GiB');
  await withService(async (svc) => {
    await svc.create({ Name: 'tput' });
    const a = await svc.prepare(request(idOf(11), 'srv', 'tput', { portBindings: { '5201/tcp': [{ HostIp: '127.0.0.1', HostPort: '25201' }] } }));
    const b = await svc.prepare(request(idOf(12), 'cli', 'tput'));
    const ip = a.settings.Networks.tput!.IPAddress!;
    let srv = startServer(netnsOf(a), 5201);
    record('throughput', 'container → container, same bridge (Gbit/s)', await transfer(netnsOf(b), ip, 5201));
    srv.kill();
    srv = startServer(netnsOf(a), 5201);
    record('throughput', 'host 127.0.0.1 → published port, kernel DNAT (Gbit/s)', await transfer(null, '127.0.0.1', 25201));
    srv.kill();
    // berth's userland proxy (what serves [::]:port for IPv4-only containers).
    const ports = new HostPorts(nullLogger);
    await ports.hold({ proto: 'tcp', hostIp: '::1', hostPort: 25202 }, { ip, port: 5201 });
    srv = startServer(netnsOf(a), 5201);
    record('throughput', 'host [::1] → berth userland proxy (node) (Gbit/s)', await transfer(null, '::1', 25202));
    srv.kill();
    await ports.releaseAll();
    if (existsSync('/usr/sbin/docker-proxy')) {
      // docker-proxy reports readiness on fd 3.
      const proxy = spawn('/usr/sbin/docker-proxy', ['-proto', 'tcp', '-host-ip', '127.0.0.1', '-host-port', '25203', '-container-ip', ip, '-container-port', '5201'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
      srv = startServer(netnsOf(a), 5201);
      record('throughput', 'host 127.0.0.1 → docker-proxy (userland) (Gbit/s)', await transfer(null, '127.0.0.1', 25203));
      srv.kill();
      proxy.kill();
    }
    await svc.release(idOf(11));
    await svc.release(idOf(12));
  });
}

// ---------------------------------------------------------------------------
// A dockerd on private paths, for the comparison.

interface Engine {
  socket: string;
  stop(): Promise<void>;
}

async function waitForSocket(socket: string, proc: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`${what} exited`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(socket, () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up`);
}

function importBusybox(docker: ReturnType<typeof dockerWith>, dir: string): void {
  if (docker('image inspect busybox').code === 0) return;
  const rootfs = path.join(dir, 'rootfs');
  mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  mkdirSync(path.join(rootfs, 'tmp'), { recursive: true, mode: 0o1777 });
  sh(`chmod 1777 ${rootfs}/tmp && cp /bin/busybox ${rootfs}/bin/busybox && for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox ${rootfs}/bin/$a; done`);
  writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  const r = sh(`tar -C ${rootfs} -c . | ${dockerCli} -H unix://${docker.socket} import -c 'CMD ["sh"]' - busybox:latest`);
  if (r.code !== 0) throw new Error(`import: ${r.stderr}`);
}

const dockerCli = existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker';

async function startDockerd(dir: string): Promise<Engine> {
  const before = sh('nft list tables').stdout.split('\n').filter(Boolean);
  const socket = path.join(dir, 'docker.sock');
  const log = openSync(path.join(dir, 'dockerd.log'), 'a');
  const proc = spawn('dockerd', [
    '--data-root', path.join(dir, 'root'), '--exec-root', path.join(dir, 'exec'), '-H', `unix://${socket}`,
    '--pidfile', path.join(dir, 'dockerd.pid'), '--bip', '10.198.0.1/24',
    '--containerd-namespace', 'berthbench', '--containerd-plugins-namespace', 'berthbenchp',
  ], { stdio: ['ignore', log, log] });
  closeSync(log);
  await waitForSocket(socket, proc, 'dockerd');
  return {
    socket,
    stop: async () => {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
      // What dockerd leaves: docker0 and its iptables (nft) tables.
      sh('ip link del docker0 2>/dev/null');
      for (const t2 of sh('nft list tables').stdout.split('\n').filter(Boolean)) {
        if (!before.includes(t2)) sh(`nft delete ${t2.replace(/^table /, 'table ')} 2>/dev/null`);
      }
      sh(`umount ${path.join(dir, 'exec')}/netns/* 2>/dev/null`);
    },
  };
}

function dockerWith(socket: string): ((a: string) => { code: number; stdout: string; stderr: string }) & { socket: string } {
  const f = ((a: string) => sh(`${dockerCli} -H unix://${socket} ${a}`)) as ((a: string) => { code: number; stdout: string; stderr: string }) & { socket: string };
  f.socket = socket;
  return f;
}

async function benchEngine(section: string, engine: Engine, dir: string): Promise<void> {
  const docker = dockerWith(engine.socket);
  importBusybox(docker, dir);
  // The series are interleaved (one run of each in turn) so that warm-up and
  // drift hit them alike.
  docker('network create benchnet');
  const cmds = {
    bridge: 'run --rm busybox true',
    none: 'run --rm --network none busybox true',
    user: 'run --rm --network benchnet busybox true',
  };
  const times: Record<keyof typeof cmds, number[]> = { bridge: [], none: [], user: [] };
  for (const c of Object.values(cmds)) for (let i = 0; i < 3; i++) docker(c); // warm-up
  for (let i = 0; i < RUNS; i++) {
    for (const [k, c] of Object.entries(cmds) as Array<[keyof typeof cmds, string]>) {
      const t0 = performance.now();
      const r = docker(c);
      times[k].push(performance.now() - t0);
      if (r.code !== 0) throw new Error(`${c}: ${r.stderr}`);
    }
  }
  const bridge = median(times.bridge);
  const none = median(times.none);
  record(section, 'docker run --rm busybox true, default bridge (ms)', bridge);
  record(section, 'docker run --rm --network none busybox true (ms)', none);
  record(section, 'cost of bridge networking (ms)', bridge - none);
  record(section, 'docker run --rm on a user-defined network (ms)', median(times.user));
  record(section, 'cost of a user-defined network (ms)', median(times.user) - none);
  // Transfers through the engine's bridge: the host's iperf3, bind-mounted
  // read-only into busybox containers (the same binary for both engines).
  if (haveIperf) {
    const libs = [
      '-v /usr/bin/iperf3:/usr/bin/iperf3:ro',
      '-v /usr/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:ro',
      '-v /usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:ro',
      '-v /lib64:/lib64:ro',
      // iperf3 keeps its buffers in a file under /tmp.
      '--tmpfs /tmp',
    ].join(' ');
    docker('rm -f isrv');
    const started = docker(`run -d --name isrv --network benchnet -p 127.0.0.1:25301:5201 ${libs} busybox iperf3 -s`);
    if (started.code !== 0) throw new Error(`iperf3 server: ${started.stderr}`);
    const ip = docker(`inspect -f '{{.NetworkSettings.Networks.benchnet.IPAddress}}' isrv`).stdout.trim();
    if (!ip) throw new Error(`iperf3 server has no address: ${docker('ps -a').stdout} ${docker('logs isrv').stderr}`);
    // (Not probed: any connection that is not an iperf3 client upsets the server.)
    spawnSync('sleep', ['1']);
    const gbps = (out: { code: number; stdout: string; stderr: string }): number => {
      const j = JSON.parse(out.stdout || '{}') as { end?: { sum_received?: { bits_per_second: number } }; error?: string };
      if (out.code !== 0 || !j.end?.sum_received) throw new Error(`iperf3 (exit ${out.code}): ${j.error ?? ""} ${out.stdout.slice(0, 300)} ${out.stderr}`);
      return j.end.sum_received.bits_per_second / 1e9;
    };
    // Detached, then `docker logs`: the client's JSON comes at its very end.
    docker('rm -f icli');
    const cli = docker(`run -d --name icli --network benchnet ${libs} busybox iperf3 -c ${ip} -t 3 -J`);
    if (cli.code !== 0) throw new Error(`iperf3 client: ${cli.stderr}`);
    docker('wait icli');
    const cliOut = docker('logs icli');
    docker('rm -f icli');
    record(section, 'iperf3 container → container, user network (Gbit/s)', gbps(cliOut));
    record(section, 'iperf3 host 127.0.0.1 → published port (Gbit/s)', gbps(sh('iperf3 -c 127.0.0.1 -p 25301 -t 3 -J')));
    docker('rm -f isrv');
  }
  docker('network rm benchnet');
}

async function benchDockerd(): Promise<void> {
  if (!existsSync('/usr/sbin/dockerd')) {
    record('dockerd', 'skipped', 'dockerd not installed (apt-get install docker.io)');
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-dockerd-'));
  const engine = await startDockerd(dir);
  try {
    record('dockerd', 'version', dockerWith(engine.socket)("version -f '{{.Server.Version}}'").stdout.trim());
    await benchEngine('dockerd', engine, dir);
  } finally {
    const docker = dockerWith(engine.socket);
    for (const id of docker('ps -aq').stdout.split('\n').filter(Boolean)) docker(`rm -f ${id}`);
    docker('network rm benchnet');
    await engine.stop();
    sh(`umount -R ${dir} 2>/dev/null; rm -rf ${dir}`);
  }
}

async function benchBerthd(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-berthd-'));
  const socket = path.join(dir, 'berth.sock');
  writeFileSync(path.join(dir, 'daemon.json'), '{}');
  const log = openSync(path.join(dir, 'berthd.log'), 'a');
  const proc = spawn(path.join(repoRoot, 'node_modules/node/bin/node'), [
    path.join(repoRoot, 'dist/src/daemon/main.js'), '--data-root', path.join(dir, 'root'), '--exec-root', path.join(dir, 'exec'),
    '--pidfile', path.join(dir, 'pid'), '--config-file', path.join(dir, 'daemon.json'), '-H', `unix://${socket}`,
    '--bridge', `bk${tag()}`, '--bip', '10.194.0.1/24',
  ], { stdio: ['ignore', log, log] });
  closeSync(log);
  try {
    await waitForSocket(socket, proc, 'berthd');
    // berth's built-in busybox image (no registry here).
    sh(`curl -s -XPOST --unix-socket ${socket} http://berth/berth/images/busybox`);
    const docker = dockerWith(socket);
    const probe = docker('run --rm --network none busybox true');
    if (probe.code !== 0) {
      record('berthd', 'skipped', `berthd does not run containers yet: ${probe.stderr.trim().split('\n')[0]}`);
      return;
    }
    await benchEngine('berthd', { socket, stop: async () => undefined }, dir);
  } finally {
    // Containers of a section that failed half-way, then the daemon (which
    // then removes its bridges and table).
    const docker = dockerWith(socket);
    for (const id of docker('ps -aq').stdout.split('\n').filter(Boolean)) docker(`rm -f ${id}`);
    docker('network rm benchnet');
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    await exited;
    sh(`umount -R ${dir} 2>/dev/null; rm -rf ${dir}`);
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('network benchmarks need root');
  if (!asJson) console.log(`# berth network benchmarks, ${RUNS} runs each (medians), ${os.cpus().length} CPUs, kernel ${os.release()}`);
  if (want('plumbing')) await benchPlumbing();
  if (want('dns')) await benchDns();
  if (want('throughput')) await benchThroughput();
  if (want('dockerd')) await benchDockerd();
  if (want('berthd')) await benchBerthd();
  if (asJson) console.log(JSON.stringify(results, null, 2));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
