// Shared by the container integration tests: a real berthd with the busybox
// image, and small waiting and listing helpers.
import { existsSync, mkdtempSync, promises as fs, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { haveDockerCli, startDaemon, type TestDaemon, type DaemonOptions } from '../../helpers/daemon.js';

export const skipContainers = !haveDockerCli || !existsSync('/bin/busybox') || !existsSync('/usr/bin/conmon') || !existsSync('/usr/sbin/runc');

/** A daemon with busybox:latest built from the host's busybox-static. */
export async function daemonWithBusybox(opts: DaemonOptions & { daemonJson?: Record<string, unknown> } = {}): Promise<TestDaemon> {
  // berthd reads the --config-file it is given: an empty one unless the test sets options.
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'berth-test-'));
  writeFileSync(path.join(dir, 'daemon.json'), JSON.stringify(opts.daemonJson ?? {}));
  const d = await startDaemon({ ...opts, dir });
  try {
    await loadBusybox(d);
  } catch (err) {
    await d.cleanup().catch(() => undefined);
    throw err;
  }
  return d;
}

export async function loadBusybox(d: TestDaemon): Promise<void> {
  const res = await d.api('POST', '/berth/images/busybox');
  if (res.status !== 200 && res.status !== 201) throw new Error(`busybox image: ${res.status} ${res.text}`);
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface InspectState {
  Status: string;
  Running: boolean;
  Paused: boolean;
  OOMKilled: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
}

export async function inspect(d: TestDaemon, id: string): Promise<Record<string, unknown> & { State: InspectState; Id: string; Name: string; RestartCount: number }> {
  const res = await d.api('GET', `/containers/${id}/json`);
  if (res.status !== 200) throw new Error(`inspect ${id}: ${res.status} ${res.text}`);
  return res.json as Record<string, unknown> & { State: InspectState; Id: string; Name: string; RestartCount: number };
}

/** conmon and runc processes whose command line mentions `needle` (a test daemon's exec root). */
export async function processesMentioning(needle: string): Promise<string[]> {
  const out: string[] = [];
  for (const pid of await fs.readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const argv0 = path.basename(cmd.split('\0')[0] ?? '');
    if ((argv0 === 'conmon' || argv0 === 'runc') && cmd.includes(needle)) out.push(`${pid} ${cmd.replace(/\0/g, ' ')}`);
  }
  return out;
}

/** Mount points under `dir`. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

/** cgroup directories named after a container ID, in any hierarchy. */
export async function cgroupsOf(id: string): Promise<string[]> {
  const out: string[] = [];
  const roots = ['/sys/fs/cgroup'];
  for (const e of await fs.readdir('/sys/fs/cgroup', { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory()) roots.push(`/sys/fs/cgroup/${e.name}`);
  }
  for (const r of roots) {
    for (const parent of ['berth', 'docker']) {
      if (existsSync(`${r}/${parent}/${id}`)) out.push(`${r}/${parent}/${id}`);
    }
  }
  return out;
}
