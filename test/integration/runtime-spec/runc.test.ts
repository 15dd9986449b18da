// Generated specs run by the real runc: a busybox rootfs in a temp bundle,
// `runc run` with a private state root, and the container reporting on itself
// (capabilities, seccomp mode, masked paths, mount refusal, cgroup limits).
// Every container is deleted and every directory removed, also on failure.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { adaptHostConfig, validateHostConfig, type HostConfig } from '../../../src/runtime/container-config.js';
import type { ContainerConfig } from '../../../src/common/container-config.js';
import { capabilityMask, DEFAULT_CAPABILITIES } from '../../../src/runtime/spec/capabilities.js';
import { defaultCgroupsPath, generateSpec } from '../../../src/runtime/spec/generate.js';
import { detectHostInfo, type HostInfo } from '../../../src/runtime/spec/host.js';
import { serializeSpec } from '../../../src/runtime/spec/types.js';
import type { ContainerMount } from '../../../src/runtime/mount-contract.js';

const RUNC = '/usr/sbin/runc';
const BUSYBOX = '/bin/busybox';
const canRun = process.getuid?.() === 0 && existsSync(RUNC) && existsSync(BUSYBOX);

interface RunOutput {
  code: number;
  stdout: string;
  stderr: string;
}

describe('generated specs under runc', { skip: canRun ? false : 'needs root, runc and busybox-static' }, () => {
  let work: string;
  let rootfs: string;
  let state: string;
  let host: HostInfo;
  const containers: string[] = [];

  before(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'berth-runc-spec-'));
    rootfs = path.join(work, 'rootfs');
    state = path.join(work, 'state');
    for (const d of ['bin', 'etc', 'tmp', 'mnt', 'proc', 'sys', 'dev', 'home/alice']) mkdirSync(path.join(rootfs, d), { recursive: true });
    execFileSync('cp', [BUSYBOX, path.join(rootfs, 'bin/busybox')]);
    execFileSync('chroot', [rootfs, '/bin/busybox', '--install', '-s', '/bin']);
    writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
    writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\nstaff:x:50:alice\nalice:x:1000:\n');
    host = await detectHostInfo({ runtimeBinary: RUNC });
  });

  after(() => {
    for (const id of containers) {
      try {
        execFileSync(RUNC, ['--root', state, 'delete', '-f', id], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Generate the spec for these settings and run `sh -c script` in it. */
  async function run(script: string, hc: HostConfig = {}, config: ContainerConfig = {}, mounts: ContainerMount[] = []): Promise<RunOutput> {
    const id = `berth-spec-${randomBytes(6).toString('hex')}`;
    const cfg: ContainerConfig = { Hostname: id.slice(0, 12), ...config };
    const validated = validateHostConfig(hc, cfg, host);
    const hostConfig = adaptHostConfig(validated.hostConfig, host);
    const { spec } = await generateSpec({
      config: cfg,
      hostConfig,
      host,
      rootfs,
      args: ['/bin/sh', '-c', script],
      mounts,
      // A leaf at the hierarchy root: runc delete removes it, no parent is left behind.
      cgroupsPath: defaultCgroupsPath(id, 'cgroupfs', '/'),
    });
    const bundle = path.join(work, id);
    mkdirSync(bundle);
    writeFileSync(path.join(bundle, 'config.json'), serializeSpec(spec, 2));
    containers.push(id);
    try {
      return await new Promise<RunOutput>((resolve) => {
        execFile(RUNC, ['--root', state, 'run', '--bundle', bundle, id], { timeout: 60_000 }, (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        });
      });
    } finally {
      try {
        execFileSync(RUNC, ['--root', state, 'delete', '-f', id], { stdio: 'ignore' });
      } catch {
        // runc run removed it
      }
      rmSync(bundle, { recursive: true, force: true });
    }
  }

  const statusField = (out: string, field: string): string => new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(out)?.[1] ?? '';

  test("docker's default confinement", async () => {
    // /proc/kcore exists only with CONFIG_PROC_KCORE (not on this machine kind's kernel):
    // then /proc/keys, another masked file, shows the masking; /proc/acpi a masked directory.
    const maskedFile = existsSync('/proc/kcore') ? '/proc/kcore' : '/proc/keys';
    const r = await run(
      `cat /proc/1/status; echo masked=$(stat -c %t:%T ${maskedFile}) size=$(wc -c < ${maskedFile}); ` +
        'echo acpi=$(ls -A /proc/acpi | wc -l); ' +
        'if mount -t tmpfs none /mnt 2>/dev/null; then echo mount=ok; else echo mount=refused; fi; ' +
        'echo ro=$(touch /proc/sys/kernel/hostname 2>/dev/null && echo writable || echo readonly)',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statusField(r.stdout, 'CapEff'), '00000000a80425fb');
    assert.equal(statusField(r.stdout, 'CapBnd'), capabilityMask(DEFAULT_CAPABILITIES));
    assert.equal(statusField(r.stdout, 'Seccomp'), '2');
    assert.equal(statusField(r.stdout, 'NoNewPrivs'), '0');
    assert.match(r.stdout, /masked=1:3 size=0/, 'masked with /dev/null');
    if (existsSync('/proc/acpi')) assert.match(r.stdout, /acpi=0/, 'masked with an empty read-only tmpfs');
    assert.match(r.stdout, /mount=refused/);
    assert.match(r.stdout, /ro=readonly/);
  });

  test('--privileged: all the daemon holds, no seccomp, mount allowed, nothing masked', async () => {
    const r = await run(
      'cat /proc/1/status; if mount -t tmpfs none /mnt; then echo mount=ok; else echo mount=refused; fi; ' +
        'echo keys=$(stat -c %t:%T /proc/keys)',
      { Privileged: true },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statusField(r.stdout, 'CapEff'), capabilityMask(host.capabilities));
    assert.equal(statusField(r.stdout, 'Seccomp'), '0');
    assert.match(r.stdout, /mount=ok/);
    assert.doesNotMatch(r.stdout, /keys=1:3/);
  });

  test('a memory and pids limit land in the cgroup', async () => {
    const script =
      host.cgroupVersion === 2
        ? 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max'
        : 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes /sys/fs/cgroup/pids/pids.max';
    const r = await run(script, { Memory: 64 * 1024 * 1024, PidsLimit: 50 });
    assert.equal(r.code, 0, r.stderr);
    const expected = host.cgroupVersion === 2 ? ['67108864', '50'] : ['67108864', String(2 * 67108864), '50'];
    assert.deepEqual(r.stdout.trim().split('\n'), expected);
  });

  test('a non-root user: no effective capabilities, groups from /etc/group, HOME', async () => {
    const r = await run('id; cat /proc/1/status; echo home=$HOME', {}, { User: 'alice' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /uid=1000\(alice\) gid=1000\(alice\) groups=50\(staff\),1000\(alice\)/);
    assert.equal(statusField(r.stdout, 'CapEff'), '0000000000000000');
    assert.equal(statusField(r.stdout, 'CapBnd'), '00000000a80425fb');
    assert.match(r.stdout, /home=\/home\/alice/);
  });

  test('--read-only with --tmpfs /tmp, --cap-drop ALL, no-new-privileges, a clamped ulimit', async () => {
    const r = await run(
      'touch /x 2>/dev/null && echo root=rw || echo root=ro; touch /tmp/x && echo tmp=rw; ulimit -n; cat /proc/1/status',
      {
        ReadonlyRootfs: true,
        Tmpfs: { '/tmp': 'size=1m' },
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Ulimits: [{ Name: 'nofile', Soft: 4096, Hard: 1 << 30 }],
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /root=ro/);
    assert.match(r.stdout, /tmp=rw/);
    assert.match(r.stdout, /^4096$/m);
    assert.equal(statusField(r.stdout, 'CapEff'), '0000000000000000');
    assert.equal(statusField(r.stdout, 'NoNewPrivs'), '1');
  });

  test('--cap-add SYS_ADMIN lifts the seccomp mount rule', async () => {
    const r = await run('if mount -t tmpfs none /mnt; then echo mount=ok; else echo mount=refused; fi', { CapAdd: ['SYS_ADMIN'] });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /mount=ok/);
  });

  test('a read-only bind is read-only all the way down (rro) where kernel and runc allow', async () => {
    const src = path.join(work, 'ro-src');
    mkdirSync(path.join(src, 'sub'), { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', 'berth-spec-sub', path.join(src, 'sub')]);
    try {
      const r = await run(
        'touch /data/x 2>/dev/null && echo top=rw || echo top=ro; touch /data/sub/x 2>/dev/null && echo sub=rw || echo sub=ro',
        {},
        {},
        [{ type: 'bind', source: src, destination: '/data', readOnly: true, propagation: 'rprivate' }],
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /top=ro/);
      assert.match(r.stdout, host.recursiveReadOnly ? /sub=ro/ : /sub=rw/);
    } finally {
      execFileSync('umount', [path.join(src, 'sub')]);
    }
  });
});
