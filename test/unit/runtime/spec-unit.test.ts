// Unit tables for the pieces of spec generation, from moby's code and tests
// (oci/caps, profiles/seccomp, oci/defaults.go, daemon/oci_linux.go,
// moby/sys/mount MergeTmpfsOptions) and runc's (libcontainer/user,
// configs/validate sysctl), plus the hostile-rootfs cases docker guards with
// FollowSymlinkInScope.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isEngineError } from '../../../src/common/errors.js';
import { adaptHostConfig, type HostConfig } from '../../../src/runtime/container-config.js';
import {
  capabilityMask,
  DEFAULT_CAPABILITIES,
  normalizeCapabilities,
  processCapabilities,
  tweakCapabilities,
} from '../../../src/runtime/spec/capabilities.js';
import { containerDevices, devicesFromPath, hostDevices, parseDeviceCgroupRule } from '../../../src/runtime/spec/devices.js';
import { defaultCgroupsPath, generateSpec, type SpecInput } from '../../../src/runtime/spec/generate.js';
import { cgroupV2Features, detectHostInfo, parseProcLimits, RLIM_INFINITY, seccompArchFor } from '../../../src/runtime/spec/host.js';
import { buildMounts, mergeTmpfsOptions, tmpfsOptionsFromMount, type MountBuildInput } from '../../../src/runtime/spec/mounts.js';
import { buildRlimits, containerEnv, replaceOrAppendEnv } from '../../../src/runtime/spec/process.js';
import { buildResources } from '../../../src/runtime/spec/resources.js';
import { buildSeccomp, containerSeccomp, type DockerSeccompProfile } from '../../../src/runtime/spec/seccomp.js';
import { DEFAULT_SECCOMP_PROFILE } from '../../../src/runtime/spec/seccomp-default.js';
import { parseSecurityOpt } from '../../../src/runtime/spec/security.js';
import { validateSysctls } from '../../../src/runtime/spec/sysctl.js';
import { serializeSpec } from '../../../src/runtime/spec/types.js';
import { additionalGroups, execUser, resolveUser } from '../../../src/runtime/spec/user.js';
import { ensureWorkingDir, readRootfsFile } from '../../../src/runtime/spec/rootfs.js';
import { resolveInRoot } from '../../../src/common/root-path.js';
import { assertValidSpec, sharedSpecs } from './oci-schema.js';
import { captureHost, GROUP, makeRootfs, PASSWD } from './fixtures.js';

const host = captureHost();
const MB = 1024 * 1024;

function invalid(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isEngineError(err, 'invalid-parameter'), String(err));
    if (typeof message === 'string') assert.equal((err as Error).message, message);
    else assert.match((err as Error).message, message);
    return true;
  });
}

async function invalidAsync(fn: () => Promise<unknown>, message: string | RegExp): Promise<void> {
  await assert.rejects(fn, (err: unknown) => {
    assert.ok(isEngineError(err, 'invalid-parameter'), String(err));
    if (typeof message === 'string') assert.equal((err as Error).message, message);
    else assert.match((err as Error).message, message);
    return true;
  });
}

describe('capabilities', () => {
  test("docker's default set is CapEff 00000000a80425fb", () => {
    assert.equal(capabilityMask(DEFAULT_CAPABILITIES), '00000000a80425fb');
  });
  test('names: any case, with or without CAP_, ALL kept', () => {
    assert.deepEqual(normalizeCapabilities(['chown', 'CAP_KILL', 'Cap_Net_Admin', 'all'], host.capabilities), [
      'CAP_CHOWN',
      'CAP_KILL',
      'CAP_NET_ADMIN',
      'ALL',
    ]);
    invalid(() => normalizeCapabilities(['cap_all'], host.capabilities), 'unknown capability: "CAP_ALL"');
    invalid(
      () => normalizeCapabilities(['sys_resource'], host.capabilities),
      'capability not supported by your kernel or not available in the current environment: "CAP_SYS_RESOURCE"',
    );
  });
  test('add/drop (moby caps.TweakCapabilities)', () => {
    const caps = tweakCapabilities(['sys_admin', 'CAP_NET_ADMIN'], ['net_raw', 'CAP_MKNOD'], false, host.capabilities);
    assert.deepEqual(caps, [
      ...DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_NET_RAW' && c !== 'CAP_MKNOD'),
      'CAP_SYS_ADMIN',
      'CAP_NET_ADMIN',
    ]);
    assert.deepEqual(tweakCapabilities(['chown'], ['ALL'], false, host.capabilities), ['CAP_CHOWN']);
    assert.deepEqual(tweakCapabilities(['ALL'], ['kill'], false, host.capabilities), host.capabilities.filter((c) => c !== 'CAP_KILL'));
    assert.deepEqual(tweakCapabilities(['ALL'], ['ALL'], false, host.capabilities), host.capabilities);
    assert.deepEqual(tweakCapabilities(['chown'], [], true, host.capabilities), host.capabilities);
    assert.deepEqual(tweakCapabilities(null, null, false, host.capabilities), DEFAULT_CAPABILITIES);
  });
  test('non-root processes get only the bounding set', () => {
    assert.deepEqual(processCapabilities(['CAP_KILL'], 0), { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] });
    assert.deepEqual(processCapabilities(['CAP_KILL'], 1000), { bounding: ['CAP_KILL'] });
  });
});

describe('seccomp', () => {
  const amd64 = { capabilities: DEFAULT_CAPABILITIES, arch: 'amd64', kernelRelease: '6.18.0' };
  const names = (p: DockerSeccompProfile, ctx = amd64): string[] => buildSeccomp(p, ctx)!.syscalls!.flatMap((s) => s.names);

  test('the copy in the source equals the shared profile', () => {
    const shared: unknown = JSON.parse(readFileSync(path.join(sharedSpecs, 'engine-api/seccomp-default.json'), 'utf8'));
    assert.deepEqual(DEFAULT_SECCOMP_PROFILE, shared);
  });
  test('default profile on amd64 with the default capabilities', () => {
    const s = buildSeccomp(DEFAULT_SECCOMP_PROFILE, amd64)!;
    assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(s.defaultErrnoRet, 1);
    assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const all = names(DEFAULT_SECCOMP_PROFILE);
    assert.ok(all.includes('arch_prctl') && all.includes('chroot') && all.includes('ptrace'));
    assert.ok(!all.includes('mount') && !all.includes('reboot') && !all.includes('riscv_flush_icache'));
    const clone3 = s.syscalls!.find((c) => c.names.length === 1 && c.names[0] === 'clone3')!;
    assert.deepEqual(clone3, { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    const clone = s.syscalls!.find((c) => c.names[0] === 'clone' && c.args)!;
    assert.deepEqual(clone.args, [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }], 'valueTwo 0 omitted');
  });
  test('includes.caps needs every capability in the bounding set; excludes.caps drops on any', () => {
    const withAdmin = { ...amd64, capabilities: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'] };
    const s = buildSeccomp(DEFAULT_SECCOMP_PROFILE, withAdmin)!;
    assert.ok(s.syscalls!.some((c) => c.names.includes('mount')));
    assert.ok(!s.syscalls!.some((c) => c.names[0] === 'clone3' && c.action === 'SCMP_ACT_ERRNO'));
    assert.ok(!s.syscalls!.some((c) => c.names[0] === 'clone' && c.args));
  });
  test('arches and minKernel', () => {
    const arm = buildSeccomp(DEFAULT_SECCOMP_PROFILE, { ...amd64, arch: 'arm64' })!;
    assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    assert.ok(arm.syscalls!.some((c) => c.names.includes('arm_fadvise64_64')));
    assert.ok(!arm.syscalls!.some((c) => c.names.includes('arch_prctl')));
    const old = names(DEFAULT_SECCOMP_PROFILE, { ...amd64, kernelRelease: '4.4.0' });
    assert.ok(!old.includes('ptrace'), 'ptrace needs 4.8 without CAP_SYS_PTRACE');
    assert.equal(seccompArchFor('x64'), 'amd64');
    assert.equal(seccompArchFor('ppc64', 'LE'), 'ppc64le');
  });
  test("profile errors in dockerd's words", () => {
    invalid(
      () => buildSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], archMap: [{ architecture: 'SCMP_ARCH_X86_64' }] }, amd64),
      "'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'",
    );
    invalid(
      () => buildSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'x', names: ['y'], action: 'SCMP_ACT_ERRNO' }] }, amd64),
      "'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'",
    );
    invalid(() => containerSeccomp(parseSecurityOpt(['seccomp=notjson']), false, DEFAULT_CAPABILITIES, host), /^Decoding seccomp profile failed: /);
  });
  test('which profile a container gets', () => {
    const none = (opts: string[], privileged = false, h = host): boolean =>
      containerSeccomp(parseSecurityOpt(opts), privileged, DEFAULT_CAPABILITIES, h).seccomp === undefined;
    assert.ok(none(['seccomp=unconfined']));
    assert.ok(none([], true), 'privileged');
    assert.ok(none(['seccomp={}']), 'an empty profile disables seccomp');
    assert.ok(!none([]));
    assert.ok(!none(['seccomp=builtin']));
    const custom = containerSeccomp(
      parseSecurityOpt(['seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"mkdir","action":"SCMP_ACT_ERRNO"}]}']),
      false,
      DEFAULT_CAPABILITIES,
      host,
    );
    assert.deepEqual(custom.seccomp, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
    const daemon = containerSeccomp(parseSecurityOpt([]), false, DEFAULT_CAPABILITIES, host, '{"defaultAction":"SCMP_ACT_LOG"}');
    assert.deepEqual(daemon.seccomp, { defaultAction: 'SCMP_ACT_LOG' });
    const noSeccomp = captureHost({ seccompEnabled: false });
    assert.deepEqual(containerSeccomp(parseSecurityOpt([]), false, DEFAULT_CAPABILITIES, noSeccomp).warnings, [
      'Seccomp is not enabled in your kernel, running container without default profile.',
    ]);
    invalid(
      () => containerSeccomp(parseSecurityOpt(['seccomp={}']), false, DEFAULT_CAPABILITIES, noSeccomp),
      'seccomp is not enabled in your kernel, cannot run a custom seccomp profile',
    );
  });
});

describe('tmpfs options (moby/sys/mount MergeTmpfsOptions)', () => {
  const table: [string[], string[]][] = [
    [['noexec', 'nosuid', 'nodev', 'rprivate'], ['noexec', 'nosuid', 'nodev', 'rprivate']],
    [['noexec', 'nosuid', 'nodev', 'rprivate', 'size=1g', 'exec', 'uid=5'], ['nosuid', 'nodev', 'rprivate', 'size=1g', 'exec', 'uid=5']],
    [['noexec', 'nosuid', 'nodev', 'rprivate', 'rw', 'exec'], ['nosuid', 'nodev', 'rprivate', 'rw', 'exec']],
    [['noexec', 'rprivate', 'shared', 'size=1m', 'size=2m', 'defaults'], ['noexec', 'shared', 'size=2m']],
  ];
  for (const [input, want] of table) test(input.join(','), () => assert.deepEqual(mergeTmpfsOptions(input), want));
  test('unknown options refused as dockerd refuses them', () => {
    invalid(() => mergeTmpfsOptions(['foo']), 'invalid tmpfs option ["foo"]');
    invalid(() => mergeTmpfsOptions(['foo=bar']), 'invalid tmpfs option ["foo" "bar"]');
  });
  test('--mount type=tmpfs options', () => {
    assert.equal(tmpfsOptionsFromMount({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: MB } }), 'size=1m');
    assert.equal(
      tmpfsOptionsFromMount({ Type: 'tmpfs', Target: '/t', ReadOnly: true, TmpfsOptions: { SizeBytes: 1000, Mode: 0o1777, Options: [['exec'], ['uid', '5']] } }),
      'ro,mode=1777,size=1000,exec,uid=5',
    );
  });
});

describe('mounts', () => {
  const base: MountBuildInput = {
    mounts: [],
    tmpfs: [],
    readonlyRootfs: false,
    privileged: false,
    ipcNone: false,
    shmSize: 64 * MB,
    recursiveReadOnly: false,
  };
  const dests = (r: { mounts: { destination: string }[] }): string[] => r.mounts.map((m) => m.destination);

  test('defaults, /dev/shm sized', async () => {
    const r = await buildMounts(base);
    assert.deepEqual(dests(r), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm']);
    assert.deepEqual(r.mounts.at(-1)!.options, ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864']);
  });
  test('a user mount replaces the default at its destination; a user /dev drops all of /dev/*', async () => {
    const shm = await buildMounts({ ...base, mounts: [{ type: 'bind', source: '/host/shm', destination: '/dev/shm', propagation: 'rprivate' }] });
    assert.deepEqual(shm.mounts.filter((m) => m.destination === '/dev/shm'), [
      { destination: '/dev/shm', type: 'bind', source: '/host/shm', options: ['rbind', 'rprivate'] },
    ]);
    const dev = await buildMounts({ ...base, mounts: [{ type: 'bind', source: '/host/dev', destination: '/dev/' }] });
    assert.deepEqual(dests(dev), ['/proc', '/sys', '/sys/fs/cgroup', '/dev/']);
  });
  test('IPC none has no /dev/shm', async () => {
    assert.ok(!dests(await buildMounts({ ...base, ipcNone: true })).includes('/dev/shm'));
  });
  test('user mounts sorted by depth, tmpfs after binds of the same depth', async () => {
    const r = await buildMounts({
      ...base,
      mounts: [
        { type: 'bind', source: '/a', destination: '/x/y/z' },
        { type: 'bind', source: '/b', destination: '/x' },
      ],
      tmpfs: [{ type: 'tmpfs', destination: '/run', options: 'size=1m' }],
    });
    assert.deepEqual(dests(r).slice(7), ['/x', '/run', '/x/y/z']);
    assert.deepEqual(r.mounts.find((m) => m.destination === '/run'), {
      destination: '/run',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=1m'],
    });
  });
  test('--read-only: defaults read-only except /proc /dev /dev/pts /dev/shm /dev/mqueue; user mounts untouched', async () => {
    const r = await buildMounts({
      ...base,
      readonlyRootfs: true,
      mounts: [{ type: 'bind', source: '/a', destination: '/data' }],
      initMount: { destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/docker-init', options: ['bind', 'ro'] },
    });
    const ro = r.mounts.filter((m) => m.options?.includes('ro')).map((m) => m.destination);
    assert.deepEqual(ro, ['/sys', '/sys/fs/cgroup', '/sbin/docker-init']);
  });
  test('privileged: /sys and the cgroup mount writable', async () => {
    const r = await buildMounts({ ...base, privileged: true });
    for (const m of r.mounts.filter((x) => x.destination.startsWith('/sys'))) assert.ok(!m.options!.includes('ro'), m.destination);
  });
  test('read-only binds: rro where kernel and runtime allow, ro otherwise', async () => {
    const m = { type: 'bind' as const, source: '/a', destination: '/a', readOnly: true, propagation: 'rprivate' as const };
    const opts = async (over: Partial<MountBuildInput>, extra = {}): Promise<string[]> =>
      (await buildMounts({ ...base, ...over, mounts: [{ ...m, ...extra }] })).mounts.at(-1)!.options!;
    assert.deepEqual(await opts({}), ['rbind', 'ro', 'rprivate']);
    assert.deepEqual(await opts({ recursiveReadOnly: true }), ['rbind', 'rro', 'rprivate']);
    assert.deepEqual(await opts({ recursiveReadOnly: true }, { readOnlyNonRecursive: true }), ['rbind', 'ro', 'rprivate']);
    assert.deepEqual(await opts({}, { nonRecursive: true }), ['bind', 'ro', 'rprivate']);
    await invalidAsync(() => opts({}, { readOnlyForceRecursive: true }), /recursively read-only mounts are not supported/);
    await invalidAsync(
      () => opts({ recursiveReadOnly: true }, { readOnlyForceRecursive: true, readOnlyNonRecursive: true }),
      'mount options conflict: ReadOnlyNonRecursive && ReadOnlyForceRecursive',
    );
  });
  test('shared and slave propagation need a shared (or slave) source mount', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-prop-'));
    try {
      const info = (optional: string): (() => Promise<string>) => async () =>
        `22 1 254:0 / / rw,relatime ${optional} - ext4 /dev/vda rw\n30 22 0:5 / ${dir} rw - tmpfs tmpfs rw\n`;
      const bind = (propagation: 'rshared' | 'rslave', propagationDefaulted = false) => ({
        ...base,
        mounts: [{ type: 'bind' as const, source: dir, destination: '/p', propagation, propagationDefaulted }],
      });
      await invalidAsync(
        () => buildMounts({ ...bind('rslave'), mountinfo: info('shared:1') }),
        `path ${dir} is mounted on ${dir} but it is not a shared or slave mount`,
      );
      const shared = (info2: string) => async () => `22 1 254:0 / / rw ${info2} - ext4 /dev/vda rw\n30 22 0:5 / ${dir} rw shared:7 - tmpfs tmpfs rw\n`;
      assert.equal((await buildMounts({ ...bind('rshared'), mountinfo: shared('') })).rootfsPropagation, 'shared');
      assert.equal((await buildMounts({ ...bind('rslave'), mountinfo: shared('') })).rootfsPropagation, 'rslave');
      await invalidAsync(() => buildMounts({ ...bind('rshared'), mountinfo: info('') }), `path ${dir} is mounted on ${dir} but it is not a shared mount`);
      const fallback = await buildMounts({ ...bind('rslave', true), mountinfo: info('') });
      assert.deepEqual(fallback.mounts.at(-1)!.options, ['rbind']);
      assert.equal(fallback.warnings.length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('devices', () => {
  test('--device-cgroup-rule', () => {
    assert.deepEqual(parseDeviceCgroupRule('c 42:* rmw'), { allow: true, type: 'c', major: 42, minor: -1, access: 'rmw' });
    assert.deepEqual(parseDeviceCgroupRule('b *:* m'), { allow: true, type: 'b', major: -1, minor: -1, access: 'm' });
    assert.deepEqual(parseDeviceCgroupRule('a 1:3 r'), { allow: true, type: 'a', major: 1, minor: 3, access: 'r' });
    invalid(() => parseDeviceCgroupRule('bogus'), "invalid device cgroup rule format: 'bogus'");
    invalid(() => parseDeviceCgroupRule('c 1:3 rwx'), "invalid device cgroup rule format: 'c 1:3 rwx'");
  });
  test('--device /dev/null:/dev/mynull:r', async () => {
    const d = await devicesFromPath('/dev/null', '/dev/mynull', 'r');
    assert.deepEqual(d.devices, [{ path: '/dev/mynull', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }]);
    assert.deepEqual(d.rules, [{ allow: true, type: 'c', major: 1, minor: 3, access: 'r' }]);
  });
  test('a missing device', async () => {
    await invalidAsync(
      () => devicesFromPath('/dev/nonexist', '/dev/x', 'rwm'),
      'error gathering device information while adding custom device "/dev/nonexist": no such file or directory',
    );
  });
  test('a directory of devices, and a symlink to a device', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-dev-'));
    try {
      mkdirSync(path.join(dir, 'sub'));
      execFileSync('mknod', [path.join(dir, 'sub/zero'), 'c', '1', '5']);
      execFileSync('mknod', [path.join(dir, 'b'), 'b', '7', '0']);
      writeFileSync(path.join(dir, 'plain'), '');
      symlinkSync(path.join(dir, 'b'), path.join(dir, 'link'));
      const d = await devicesFromPath(dir, '/dev/x', 'rw');
      assert.deepEqual(d.devices.map((x) => [x.path, x.type, x.major, x.minor]), [
        ['/dev/x/b', 'b', 7, 0],
        ['/dev/x/sub/zero', 'c', 1, 5],
      ]);
      const l = await devicesFromPath(path.join(dir, 'link'), '/dev/l', 'rwm');
      assert.deepEqual(l.devices.map((x) => [x.path, x.type]), [['/dev/l', 'b']]);
      // --privileged over this fake /dev: devices only, console and pts skipped.
      mkdirSync(path.join(dir, 'pts'));
      execFileSync('mknod', [path.join(dir, 'pts/0'), 'c', '136', '0']);
      execFileSync('mknod', [path.join(dir, 'console'), 'c', '5', '1']);
      const all = await hostDevices(dir);
      assert.deepEqual(all.map((x) => x.path), [path.join(dir, 'b'), path.join(dir, 'sub/zero')]);
      const priv = await containerDevices([{ PathOnHost: '/dev/null', PathInContainer: '/dev/null', CgroupPermissions: 'r' }], ['c 1:1 r'], true, dir);
      assert.deepEqual(priv.rules, [{ allow: true, access: 'rwm' }]);
      assert.deepEqual(priv.warnings, [
        'custom r permissions for device /dev/null are ignored in privileged mode',
        'path in container /dev/null already exists in privileged mode',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test("this host's /dev for --privileged", async () => {
    const all = await hostDevices();
    assert.ok(all.some((d) => d.path === '/dev/null' && d.major === 1 && d.minor === 3));
    assert.ok(!all.some((d) => d.path === '/dev/console' || d.path.startsWith('/dev/pts/')));
  });
});

describe('resources', () => {
  test('--cpus 1.5 is quota 150000 per 100000', async () => {
    const { resources } = await buildResources({ NanoCpus: 1_500_000_000 }, host);
    assert.deepEqual(resources.cpu, { shares: 0, quota: 150000, period: 100000 });
  });
  test('memory, swap semantics, pids', async () => {
    const r = async (hc: HostConfig) => (await buildResources(adaptHostConfig(hc, host), host)).resources;
    assert.deepEqual((await r({ Memory: 64 * MB })).memory, { limit: 64 * MB, swap: 128 * MB, disableOOMKiller: false });
    assert.deepEqual((await r({ Memory: 64 * MB, MemorySwap: -1 })).memory, { limit: 64 * MB, disableOOMKiller: false });
    assert.equal((await r({ PidsLimit: 0 })).pids, undefined);
    assert.equal((await r({ PidsLimit: -1 })).pids, undefined);
    assert.deepEqual((await r({ PidsLimit: 100 })).pids, { limit: 100 });
  });
  test('cgroup v2 drops swappiness and kernel TCP', async () => {
    const v2 = captureHost({ cgroupVersion: 2, cgroup: cgroupV2Features(['cpu', 'memory', 'io', 'pids']) });
    const { resources, warnings } = await buildResources({ Memory: 64 * MB, MemorySwappiness: 10, KernelMemoryTCP: 10 * MB, BlkioWeight: 300 }, v2);
    assert.deepEqual(resources.memory, { limit: 64 * MB });
    assert.equal(resources.blockIO?.weight, 300);
    assert.equal(warnings.length, 2);
  });
  test('block devices are stat()ed', async () => {
    await invalidAsync(() => buildResources({ BlkioDeviceReadBps: [{ Path: '/dev/nonexist', Rate: 100 }] }, host), 'stat /dev/nonexist: no such file or directory');
    const { resources } = await buildResources({ BlkioDeviceWriteIOps: [{ Path: '/dev/loop0', Rate: 100 }] }, host);
    assert.deepEqual(resources.blockIO?.throttleWriteIOPSDevice, [{ major: 7, minor: 0, rate: 100 }]);
  });
});

describe('rlimits', () => {
  test('names and values; -1 is RLIM_INFINITY, written exactly', () => {
    const { rlimits } = buildRlimits([{ Name: 'nofile', Soft: 1024, Hard: 2048 }, { Name: 'core', Soft: -1, Hard: -1 }], undefined, host.rlimits, true);
    assert.deepEqual(rlimits, [
      { type: 'RLIMIT_NOFILE', hard: 2048, soft: 1024 },
      { type: 'RLIMIT_CORE', hard: RLIM_INFINITY, soft: RLIM_INFINITY },
    ]);
    assert.match(serializeSpec({ ociVersion: '', process: { user: { uid: 0, gid: 0 }, args: [], env: [], cwd: '/', rlimits }, root: { path: '/' }, mounts: [], linux: { namespaces: [] } }), /"hard":18446744073709551615,"soft":18446744073709551615/);
  });
  test("never more than the daemon's own hard limit when it cannot raise it", () => {
    const r = buildRlimits([{ Name: 'nofile', Soft: 30000, Hard: 40000 }, { Name: 'nproc', Soft: 10, Hard: 20 }], undefined, host.rlimits, false);
    assert.deepEqual(r.rlimits, [
      { type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 },
      { type: 'RLIMIT_NPROC', hard: 20, soft: 10 },
    ]);
    assert.deepEqual(r.warnings, ["ulimit nofile: hard limit 40000 lowered to the daemon's own hard limit 20000"]);
    assert.deepEqual(buildRlimits([{ Name: 'nofile', Soft: 30000, Hard: 40000 }], undefined, host.rlimits, true).warnings, []);
  });
  test('daemon default ulimits fill in', () => {
    const r = buildRlimits([{ Name: 'nofile', Soft: 1, Hard: 2 }], [{ Name: 'nofile', Soft: 5, Hard: 6 }, { Name: 'nproc', Soft: 7, Hard: 8 }], host.rlimits, true);
    assert.deepEqual(r.rlimits.map((x) => [x.type, x.soft]), [['RLIMIT_NOFILE', 1], ['RLIMIT_NPROC', 7]]);
  });
  test('refused', () => {
    invalid(() => buildRlimits([{ Name: 'bogus', Soft: 1, Hard: 2 }], undefined, {}, true), 'invalid ulimit type: bogus');
    invalid(() => buildRlimits([{ Name: 'nofile', Soft: 3, Hard: 2 }], undefined, {}, true), 'ulimit soft limit must be less than or equal to hard limit: 3 > 2');
  });
  test('/proc/self/limits', () => {
    const limits = parseProcLimits(
      'Limit                     Soft Limit           Hard Limit           Units     \nMax core file size        0                    unlimited            bytes     \nMax open files            20000                20000                files     \n',
    );
    assert.deepEqual(limits, { core: { soft: 0n, hard: RLIM_INFINITY }, nofile: { soft: 20000n, hard: 20000n } });
  });
});

describe('host detection', () => {
  test('cgroup v2 and the daemon\'s own limits and capabilities, from fake /proc and /sys', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-hostinfo-'));
    try {
      const w = (p: string, text: string): void => {
        mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
        writeFileSync(path.join(dir, p), text);
      };
      w('cg/cgroup.controllers', 'cpuset cpu io memory hugetlb pids\n');
      w('cg/cpuset.cpus.effective', '0-3\n');
      w('cg/cpuset.mems.effective', '0\n');
      w('proc/self/status', 'Name:\tx\nCapEff:\t00000000a80425fb\nSeccomp:\t0\n');
      w('proc/sys/kernel/cap_last_cap', '40\n');
      w('proc/self/limits', 'Max open files            1024                 4096                 files     \n');
      const h = await detectHostInfo({ procRoot: path.join(dir, 'proc'), sysRoot: path.join(dir, 'sys'), cgroupRoot: path.join(dir, 'cg'), runtimeBinary: '/nonexistent/runc' });
      assert.equal(h.cgroupVersion, 2);
      assert.equal(h.cgroup.memorySwappiness, false);
      assert.equal(h.cgroup.blkioWeight, true);
      assert.equal(h.cpusetCpus, '0-3');
      // docker's default set, in capability-number order
      assert.deepEqual(h.capabilities, [
        'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
        'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SYS_CHROOT', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP',
      ]);
      assert.equal(h.seccompEnabled, true);
      assert.equal(h.recursiveReadOnly, false, 'the runtime could not be asked');
      assert.deepEqual(h.rlimits, { nofile: { soft: 1024n, hard: 4096n } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sysctls (runc configs/validate)', () => {
  const all = { ipc: true, privateNetwork: true, uts: true };
  test('allowed in their own namespaces', () => {
    validateSysctls({ 'net.core.somaxconn': '1', 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '1', 'kernel.domainname': 'x', 'net/ipv4/conf/eth0.100/rp_filter': '1' }, all);
  });
  test("refused with runc's words", () => {
    invalid(() => validateSysctls({ 'net.core.somaxconn': '1' }, { ...all, privateNetwork: false }), 'sysctl "net.core.somaxconn" not allowed in host network namespace');
    invalid(() => validateSysctls({ 'kernel.msgmax': '1' }, { ...all, ipc: false }), 'sysctl "kernel.msgmax" is not allowed in the hosts ipc namespace');
    invalid(() => validateSysctls({ 'kernel.pid_max': '1' }, all), 'sysctl "kernel.pid_max" is not in a separate kernel namespace');
    invalid(() => validateSysctls({ 'kernel.hostname': 'x' }, all), 'sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field');
    invalid(() => validateSysctls({ 'kernel.domainname': 'x' }, { ...all, uts: false }), 'sysctl "kernel.domainname" is not in a separate kernel namespace');
    invalid(() => validateSysctls({ 'net/ipv4/ip_forward': '1' }, { ...all, privateNetwork: false }), 'sysctl "net.ipv4.ip_forward" not allowed in host network namespace');
  });
});

describe('environment', () => {
  test('PATH, HOSTNAME, TERM with a tty, image env overriding in place, HOME last', () => {
    assert.deepEqual(containerEnv({ env: ['FOO=bar', 'TERM=vt100'], hostname: 'h', tty: true, home: '/root' }), [
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'HOSTNAME=h',
      'TERM=vt100',
      'FOO=bar',
      'HOME=/root',
    ]);
    assert.deepEqual(containerEnv({ env: ['PATH=/x', 'HOME=/h'], hostname: 'h', tty: false, home: '/root' }), ['PATH=/x', 'HOSTNAME=h', 'HOME=/h']);
    assert.deepEqual(containerEnv({ env: [], hostname: 'h', tty: false, home: '' }).at(-1), 'HOME=/');
  });
  test('a bare NAME unsets (moby ReplaceOrAppendEnvValues)', () => {
    assert.deepEqual(replaceOrAppendEnv(['A=1', 'B=2'], ['A', 'C=3', 'C=4']), ['B=2', 'C=3', 'C=4']);
  });
});

describe('user resolution', () => {
  const user = (spec: string) => execUser(spec, PASSWD, GROUP);
  test('runc GetExecUser forms', () => {
    assert.deepEqual(user(''), { uid: 0, gid: 0, sgids: [], home: '/root' });
    assert.deepEqual(user('alice'), { uid: 1000, gid: 1000, sgids: [50, 29], home: '/home/alice' });
    assert.deepEqual(user('1000'), { uid: 1000, gid: 1000, sgids: [50, 29], home: '/home/alice' });
    assert.deepEqual(user('alice:staff'), { uid: 1000, gid: 50, sgids: [], home: '/home/alice' });
    assert.deepEqual(user('1000:50'), { uid: 1000, gid: 50, sgids: [], home: '/home/alice' });
    assert.deepEqual(user('1000:audio'), { uid: 1000, gid: 29, sgids: [], home: '/home/alice' });
    assert.deepEqual(user('4321'), { uid: 4321, gid: 0, sgids: [], home: '' });
    assert.deepEqual(user('4321:4321'), { uid: 4321, gid: 4321, sgids: [], home: '' });
    assert.deepEqual(execUser('7', undefined, undefined), { uid: 7, gid: 0, sgids: [], home: '' }, 'no passwd file: numbers still work');
  });
  test("errors in runc's words", () => {
    invalid(() => user('nosuch'), 'unable to find user nosuch: no matching entries in passwd file');
    invalid(() => user('alice:nosuch'), 'unable to find group nosuch: no matching entries in group file');
    invalid(() => user('4294967296'), 'uids and gids must be in range 0-2147483647');
    invalid(() => user('-1'), 'uids and gids must be in range 0-2147483647');
    invalid(() => user('0:-5'), 'uids and gids must be in range 0-2147483647');
    invalid(() => execUser('alice', undefined, undefined), 'unable to find user alice: no matching entries in passwd file');
  });
  test('--group-add', () => {
    assert.deepEqual(additionalGroups(['audio', '4242', 'staff'], GROUP), [29, 4242, 50]);
    assert.deepEqual(additionalGroups(['29', '29', '4242'], GROUP), [29, 4242]);
    invalid(() => additionalGroups(['50', 'staff'], GROUP), 'Unable to find group staff: no matching entries in group file');
    invalid(() => additionalGroups(['nosuch'], undefined), 'Unable to find group nosuch: no matching entries in group file');
  });

  describe('a hostile rootfs', () => {
    let root: string;
    let outside: string;
    before(() => {
      root = mkdtempSync(path.join(os.tmpdir(), 'berth-hostile-'));
      outside = mkdtempSync(path.join(os.tmpdir(), 'berth-outside-'));
      writeFileSync(path.join(outside, 'passwd'), 'root:x:0:0:HOST:/host:/bin/sh\nalice:x:7:7::/host:/bin/sh\n');
      mkdirSync(path.join(root, 'etc'));
      mkdirSync(path.join(root, 'real'));
      writeFileSync(path.join(root, 'real/passwd'), 'alice:x:1000:1000::/home/alice:/bin/sh\n');
    });
    after(() => {
      rmSync(root, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    });
    const link = (target: string): void => {
      rmSync(path.join(root, 'etc/passwd'), { force: true, recursive: true });
      symlinkSync(target, path.join(root, 'etc/passwd'));
    };
    test('an absolute symlink is followed inside the root', async () => {
      link('/real/passwd');
      assert.equal((await resolveUser(root, 'alice')).uid, 1000);
      link(path.join(outside, 'passwd'));
      assert.equal(await resolveInRoot(root, '/etc/passwd'), path.join(root, outside, 'passwd'));
      await invalidAsync(() => resolveUser(root, 'alice'), 'unable to find user alice: no matching entries in passwd file');
    });
    test('.. stops at the root', async () => {
      link('../../../../../../..' + path.join(outside, 'passwd'));
      assert.equal(await resolveInRoot(root, '/etc/passwd'), path.join(root, outside, 'passwd'));
      link('../../../../real/passwd');
      assert.equal((await resolveUser(root, 'alice')).uid, 1000);
    });
    test('a symlink loop, a FIFO, a device and a directory are no passwd file', async () => {
      link('/etc/passwd');
      await assert.rejects(() => resolveInRoot(root, '/etc/passwd'), /too many links/);
      rmSync(path.join(root, 'etc/passwd'));
      execFileSync('mkfifo', [path.join(root, 'etc/passwd')]);
      assert.equal(await readRootfsFile(root, '/etc/passwd'), undefined);
      rmSync(path.join(root, 'etc/passwd'));
      execFileSync('mknod', [path.join(root, 'etc/passwd'), 'c', '1', '5']);
      assert.equal(await readRootfsFile(root, '/etc/passwd'), undefined);
      rmSync(path.join(root, 'etc/passwd'));
      mkdirSync(path.join(root, 'etc/passwd'));
      assert.deepEqual(await resolveUser(root, '5:6'), { uid: 5, gid: 6, additionalGids: [6], home: '' });
    });
    test('a symlinked /etc directory', async () => {
      rmSync(path.join(root, 'etc'), { recursive: true, force: true });
      symlinkSync(outside, path.join(root, 'etc'));
      assert.equal(await readRootfsFile(root, '/etc/passwd'), undefined);
      rmSync(path.join(root, 'etc'));
      mkdirSync(path.join(root, 'etc'));
    });
  });
});

describe('generateSpec', () => {
  let rootfs: ReturnType<typeof makeRootfs>;
  before(() => {
    rootfs = makeRootfs();
  });
  after(() => rootfs.cleanup());

  const input = (hc: HostConfig, extra: Partial<SpecInput> = {}): SpecInput => ({
    config: { Hostname: 'abc', Cmd: ['sh'], Image: 'busybox' },
    hostConfig: adaptHostConfig(hc, host),
    host,
    rootfs: rootfs.dir,
    args: ['sh'],
    cgroupsPath: defaultCgroupsPath('f'.repeat(64), 'cgroupfs'),
    ...extra,
  });

  test('a default busybox container', async () => {
    const { spec, warnings } = await generateSpec(input({}));
    assertValidSpec(spec);
    assert.deepEqual(warnings, []);
    assert.deepEqual(spec.process.capabilities?.effective, DEFAULT_CAPABILITIES);
    assert.deepEqual(spec.process.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=abc', 'HOME=/root']);
    assert.equal(spec.hostname, 'abc');
    assert.equal(spec.linux.cgroupsPath, `/docker/${'f'.repeat(64)}`);
    assert.equal(spec.linux.maskedPaths?.length, 11);
    assert.equal(spec.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
    assert.deepEqual(spec.linux.namespaces.map((n) => n.type), ['mount', 'network', 'uts', 'pid', 'ipc']);
    assert.deepEqual(spec.linux.sysctl, { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '0' });
  });
  test('namespaces: host modes share, container modes join paths, cgroupns private adds one', async () => {
    const { spec } = await generateSpec(
      input(
        { NetworkMode: 'host', PidMode: 'container:x', IpcMode: 'container:y', UTSMode: 'host', CgroupnsMode: 'private' },
        { namespacePaths: { pid: '/proc/10/ns/pid', ipc: '/proc/11/ns/ipc' }, shmPath: '/var/lib/berth/containers/y/shm', config: { Cmd: ['sh'] } },
      ),
    );
    assert.deepEqual(spec.linux.namespaces, [
      { type: 'mount' },
      { type: 'pid', path: '/proc/10/ns/pid' },
      { type: 'ipc', path: '/proc/11/ns/ipc' },
      { type: 'cgroup' },
    ]);
    assert.equal(spec.hostname, undefined);
    assert.equal(spec.linux.sysctl, undefined, 'no network sysctls for the host netns');
    assert.ok(spec.mounts.some((m) => m.destination === '/dev/shm' && m.source === '/var/lib/berth/containers/y/shm'));
    await assert.rejects(() => generateSpec(input({ PidMode: 'container:x' })), /no namespace path/);
  });
  test('--init prefixes the command and mounts the binary, unless sharing a PID namespace', async () => {
    const { spec } = await generateSpec(input({ Init: true }, { initPath: '/usr/libexec/berth/tini' }));
    assert.deepEqual(spec.process.args, ['/sbin/docker-init', '--', 'sh']);
    assert.deepEqual(spec.mounts.find((m) => m.destination === '/sbin/docker-init'), {
      destination: '/sbin/docker-init',
      type: 'bind',
      source: '/usr/libexec/berth/tini',
      options: ['bind', 'ro'],
    });
    const host2 = await generateSpec(input({ Init: true, PidMode: 'host' }, { initPath: '/x' }));
    assert.deepEqual(host2.spec.process.args, ['sh']);
  });
  test('--privileged: everything the daemon holds, all devices, no seccomp, no masked paths', async () => {
    const dev = mkdtempSync(path.join(os.tmpdir(), 'berth-devroot-'));
    try {
      execFileSync('mknod', [path.join(dev, 'null'), 'c', '1', '3']);
      const { spec } = await generateSpec(input({ Privileged: true }, { devRoot: dev }));
      assertValidSpec(spec);
      assert.deepEqual(spec.process.capabilities?.bounding, host.capabilities);
      assert.equal(spec.linux.seccomp, undefined);
      assert.equal(spec.linux.maskedPaths, undefined);
      assert.equal(spec.linux.readonlyPaths, undefined);
      assert.deepEqual(spec.linux.resources?.devices, [{ allow: true, access: 'rwm' }]);
      assert.deepEqual(spec.linux.devices?.map((d) => d.path), [path.join(dev, 'null')]);
    } finally {
      rmSync(dev, { recursive: true, force: true });
    }
  });
  test('a user, tty, console size, no-new-privileges, ulimits lowered with a warning, annotations', async () => {
    const { spec, warnings } = await generateSpec(
      input(
        {
          SecurityOpt: ['no-new-privileges'],
          ConsoleSize: [24, 80],
          Ulimits: [{ Name: 'nofile', Soft: 1 << 20, Hard: 1 << 20 }],
          GroupAdd: ['audio'],
          Annotations: { 'org.example': 'x' },
        },
        { config: { User: 'alice', Tty: true, Hostname: 'h' } },
      ),
    );
    assertValidSpec(spec);
    assert.equal(spec.process.terminal, true);
    assert.deepEqual(spec.process.consoleSize, { height: 24, width: 80 });
    assert.deepEqual(spec.process.user, { uid: 1000, gid: 1000, additionalGids: [1000, 50, 29, 29] });
    assert.deepEqual(spec.process.capabilities, { bounding: DEFAULT_CAPABILITIES });
    assert.equal(spec.process.noNewPrivileges, true);
    assert.ok(spec.process.env.includes('TERM=xterm') && spec.process.env.includes('HOME=/home/alice'));
    assert.deepEqual(spec.process.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 }]);
    assert.equal(warnings.length, 1);
    assert.deepEqual(spec.annotations, { 'org.example': 'x' });
  });
  test('network files follow --read-only; a user mount on /etc/hosts wins', async () => {
    const { spec } = await generateSpec(
      input(
        { ReadonlyRootfs: true },
        {
          etcFiles: { resolvConf: '/c/resolv.conf', hostname: '/c/hostname', hosts: '/c/hosts' },
          mounts: [{ type: 'bind', source: '/mine/hosts', destination: '/etc/hosts', propagation: 'rprivate' }],
        },
      ),
    );
    assert.deepEqual(spec.root, { path: rootfs.dir, readonly: true });
    assert.deepEqual(
      spec.mounts.filter((m) => m.destination.startsWith('/etc/')).map((m) => [m.destination, m.source, m.options]),
      [
        ['/etc/hosts', '/mine/hosts', ['rbind', 'rprivate']],
        ['/etc/resolv.conf', '/c/resolv.conf', ['rbind', 'ro', 'rprivate']],
        ['/etc/hostname', '/c/hostname', ['rbind', 'ro', 'rprivate']],
      ],
    );
  });
  test('sysctls are checked against the namespaces', async () => {
    await invalidAsync(() => generateSpec(input({ NetworkMode: 'host', Sysctls: { 'net.ipv4.ip_forward': '1' } })), 'sysctl "net.ipv4.ip_forward" not allowed in host network namespace');
    await invalidAsync(
      () => generateSpec(input({ NetworkMode: 'container:x', Sysctls: { 'net.core.somaxconn': '1' } }, { namespacePaths: { network: '/proc/self/ns/net' } })),
      'sysctl "net.core.somaxconn" not allowed in host network namespace',
    );
    const { spec } = await generateSpec(input({ Sysctls: { 'net.ipv4.ping_group_range': '1 1', 'kernel.sem': '1 2 3 4' } }));
    assert.equal(spec.linux.sysctl?.['net.ipv4.ping_group_range'], '1 1', "the user's value wins over dockerd's default");
  });
  test('device requests: no driver to select', async () => {
    await invalidAsync(
      () => generateSpec(input({ DeviceRequests: [{ Driver: '', Count: -1, Capabilities: [['gpu']] }] })),
      'could not select device driver "" with capabilities: [[gpu]]',
    );
  });
  test('the working directory is created inside the root', async () => {
    await ensureWorkingDir(rootfs.dir, '/work/../srv/app/');
    assert.ok(existsSync(path.join(rootfs.dir, 'srv/app')));
    symlinkSync('/etc/passwd', path.join(rootfs.dir, 'srv/file'));
    await invalidAsync(() => ensureWorkingDir(rootfs.dir, '/srv/file'), 'Cannot mkdir: /srv/file is not a directory');
    symlinkSync('/../../../../tmp-escape', path.join(rootfs.dir, 'srv/up'));
    await ensureWorkingDir(rootfs.dir, '/srv/up/x');
    assert.ok(existsSync(path.join(rootfs.dir, 'tmp-escape/x')), 'created inside the root, not at the host /tmp-escape');
  });
  test('a missing init binary', async () => {
    await assert.rejects(() => generateSpec(input({ Init: true })), /docker-init/);
  });
});
