// Helpers for the network integration tests: a NetworkService on temporary
// directories with its own bridge name, subnet and address pool; "containers"
// that are namespaces the service prepared with processes started in them
// through nsenter; and the leak check the suites run in their `after` hook.
import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { runProcess, unmountUnder, type RunResult } from '../../helpers/daemon.js';
import { NetworkService, type NetworkServiceOptions } from '../../../src/network/service.js';
import type { NetworkContainerDirectory, NetworkContainerInfo, NetworkRequest, PreparedNetwork } from '../../../src/runtime/network-contract.js';
import { nullLogger } from '../../../src/common/log.js';
import { tableNameFor } from '../../../src/network/firewall.js';

export { runProcess };

export interface ServiceEnv {
  dir: string;
  bridge: string;
  bip: string;
  /** Second octet of the private pool user networks come from (10.<n>.x.0/24). */
  poolOctet: number;
  opts: NetworkServiceOptions;
  table: string;
}

export function serviceEnv(over: Partial<NetworkServiceOptions> = {}): ServiceEnv {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-net-'));
  const tag = randomBytes(3).toString('hex');
  const bridge = `bn${tag}`;
  const n = parseInt(tag.slice(0, 2), 16) % 50;
  const bip = `10.${150 + n}.${parseInt(tag.slice(2, 4), 16)}.1/24`;
  const poolOctet = 100 + n;
  const opts: NetworkServiceOptions = {
    dataRoot: path.join(dir, 'root'),
    execRoot: path.join(dir, 'exec'),
    bridge,
    bip,
    defaultAddressPools: [{ base: `10.${poolOctet}.${parseInt(tag.slice(4, 6), 16) & 0xf0}.0/20`, size: 24 }],
    iptables: true,
    dns: [],
    logger: nullLogger,
    dnsForwardTimeoutMs: 500,
    ...over,
  };
  return { dir, bridge, bip, poolOctet, opts, table: tableNameFor(bridge) };
}

let counter = 0;
export function containerId(): string {
  counter++;
  return randomBytes(32).toString('hex');
}

export function request(over: Partial<NetworkRequest> & { containerId: string; containerName: string; networkMode: string }): NetworkRequest {
  return {
    hostname: over.containerId.slice(0, 12),
    domainname: '',
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

/** A fake runtime: containers it knows, and what connect/disconnect told it. */
export class FakeDirectory implements NetworkContainerDirectory {
  readonly containers = new Map<string, NetworkContainerInfo>();
  readonly changes: Array<{ id: string; change: Parameters<NetworkContainerDirectory['networksChanged']>[1] }> = [];
  add(req: NetworkRequest, running: boolean, env: string[] = []): NetworkContainerInfo {
    const c: NetworkContainerInfo = { id: req.containerId, name: req.containerName, running, networkMode: req.networkMode, request: req, env };
    this.containers.set(c.id, c);
    return c;
  }
  find(ref: string): NetworkContainerInfo | undefined {
    for (const c of this.containers.values()) if (c.id === ref || c.name === ref || (ref.length >= 3 && c.id.startsWith(ref))) return c;
    return undefined;
  }
  async networksChanged(id: string, change: Parameters<NetworkContainerDirectory['networksChanged']>[1]): Promise<void> {
    this.changes.push({ id, change });
    const c = this.containers.get(id);
    if (c) c.request = { ...c.request, endpoints: change.endpoints };
  }
}

/** The netns file of a prepared network (the network service always makes one). */
export function netnsOf(prepared: PreparedNetwork): string {
  if (prepared.namespace.kind !== 'path') throw new Error(`expected a netns file, got a namespace of kind ${prepared.namespace.kind}`);
  return prepared.namespace.path;
}

/** Run a shell script inside a prepared namespace. */
export function inNs(prepared: PreparedNetwork | string, script: string, timeoutMs = 20_000): Promise<RunResult> {
  const p = typeof prepared === 'string' ? prepared : netnsOf(prepared);
  return runProcess('nsenter', [`--net=${p}`, 'sh', '-c', script], { timeoutMs });
}

/** Same, with /etc/resolv.conf replaced (in a private mount namespace) by the container's. */
export async function inNsWithResolv(dir: string, prepared: PreparedNetwork, script: string): Promise<RunResult> {
  const file = path.join(dir, `resolv-${randomBytes(4).toString('hex')}.conf`);
  const ns = prepared.resolv?.nameservers ?? [];
  await fs.writeFile(file, ns.map((n) => `nameserver ${n}\n`).join('') + (prepared.resolv?.options?.length ? `options ${prepared.resolv.options.join(' ')}\n` : ''));
  return runProcess('nsenter', [`--net=${netnsOf(prepared)}`, 'unshare', '-m', 'sh', '-c', `mount --bind ${file} /etc/resolv.conf && ${script}`]);
}

/** Start a busybox httpd answering `body` on port 80 in a namespace; returns a stopper. */
export async function httpd(dir: string, prepared: PreparedNetwork, body: string, port = 80): Promise<() => Promise<void>> {
  const www = path.join(dir, `www-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(www, { recursive: true });
  await fs.writeFile(path.join(www, 'index.html'), `${body}\n`);
  const { spawn } = await import('node:child_process');
  const child = spawn('nsenter', [`--net=${netnsOf(prepared)}`, 'busybox', 'httpd', '-f', '-p', String(port), '-h', www], { stdio: 'ignore' });
  // Wait until it listens.
  for (let i = 0; i < 50; i++) {
    const r = await inNs(prepared, `busybox netstat -ltn | grep -q ':${port} '`);
    if (r.code === 0) break;
    await new Promise((r2) => setTimeout(r2, 50));
  }
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await exited;
  };
}

/** A long-lived process in a namespace (a "running container" across daemon restarts). */
export async function sleeper(prepared: PreparedNetwork): Promise<() => Promise<void>> {
  const { spawn } = await import('node:child_process');
  const child = spawn('nsenter', [`--net=${netnsOf(prepared)}`, 'sleep', '600'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 100));
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await exited;
  };
}

export async function openService(env: ServiceEnv, dir?: FakeDirectory): Promise<NetworkService> {
  const svc = new NetworkService(env.opts);
  await svc.open();
  if (dir) svc.setContainerDirectory(dir);
  return svc;
}

/**
 * What berth may have left on the host: links named after the test's
 * bridges or veths, its nftables table, mounts under its directory. Polls a
 * little: the kernel destroys released namespaces (and their veths)
 * asynchronously.
 */
export async function leftovers(env: ServiceEnv, extraNames: readonly string[] = []): Promise<string[]> {
  let found: string[] = [];
  for (let attempt = 0; attempt < 40; attempt++) {
    found = [];
    const links = (await runProcess('ip', ['-o', 'link', 'show'])).stdout;
    for (const line of links.split('\n')) {
      const name = line.split(': ')[1]?.split('@')[0];
      if (!name) continue;
      if (name === env.bridge || extraNames.includes(name)) found.push(`link ${name}`);
    }
    const tables = (await runProcess('nft', ['list', 'tables'])).stdout;
    if (tables.split('\n').some((l) => l.trim() === `table inet ${env.table}`)) found.push(`nft table ${env.table}`);
    // berth never uses iptables; nothing of its may show there either.
    const ipt = await runProcess('iptables-save', []).catch(() => ({ stdout: '' }));
    if (/berth/i.test(ipt.stdout)) found.push('iptables rules mentioning berth');
    const mounts = await fs.readFile('/proc/mounts', 'utf8');
    for (const line of mounts.split('\n')) if (line.split(' ')[1]?.startsWith(env.dir)) found.push(`mount ${line.split(' ')[1]}`);
    if (found.length === 0) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  return found;
}

/** Which of `names` are still links, after the kernel had up to 4 s to destroy released namespaces. */
export async function linksPresent(names: readonly string[]): Promise<string[]> {
  let found: string[] = [];
  for (let attempt = 0; attempt < 40; attempt++) {
    const links = (await runProcess('ip', ['-o', 'link', 'show'])).stdout;
    const present = new Set(links.split('\n').map((l) => l.split(': ')[1]?.split('@')[0]).filter((n): n is string => !!n));
    found = names.filter((n) => present.has(n));
    if (found.length === 0) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  return found;
}

export async function removeEnv(env: ServiceEnv): Promise<void> {
  await unmountUnder(env.dir);
  await fs.rm(env.dir, { recursive: true, force: true });
}

export function netnsList(): Promise<string> {
  return runProcess('ip', ['netns', 'list']).then((r) => r.stdout);
}
