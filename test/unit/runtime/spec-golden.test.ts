// Golden comparison with the config.json a real dockerd 20.10.24 wrote for the
// same `docker run` flags (fixtures/dockerd-20.10, captured on this machine
// kind; README there). Each case runs the create body through
// validateHostConfig + adaptHostConfig, generates the spec, checks it against
// the OCI schema and compares it with dockerd's.
//
// Differences that are dockerd 20.10 vs dockerd 27 (API 1.47), normalised
// before comparing and asserted separately:
// - masked paths gained /sys/devices/virtual/powercap (moby 25);
// - the seccomp profile is the 1.47-era one, with defaultErrnoRet; 20.10 used
//   its own built-in profile, so only the cases that pass the same profile
//   (seccomp=<file>) compare syscall rules;
// - --privileged grants the capabilities the daemon holds (moby 23+), not the
//   kernel's whole list: 20.10 asked for CAP_SYS_RESOURCE, which this
//   machine's root lacks, and failed to start;
// - HOME is written into the env (runc adds it at exec when missing);
// - group-add gids keep the request order (runc returns Go map order).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { adaptHostConfig, validateHostConfig, type HostConfig } from '../../../src/runtime/container-config.js';
import { defaultCgroupsPath, generateSpec, type SpecInput } from '../../../src/runtime/spec/generate.js';
import type { ContainerMount, Mount, MountPropagation } from '../../../src/runtime/mount-contract.js';
import type { OciMount, OciSpec } from '../../../src/runtime/spec/types.js';
import { resolveUser } from '../../../src/runtime/spec/user.js';
import { isEngineError } from '../../../src/common/errors.js';
import { assertValidSpec } from './oci-schema.js';
import { captureHost, caseNames, loadCase, makeRootfs, type DockerdCase } from './fixtures.js';

const host = captureHost();
const POWERCAP = '/sys/devices/virtual/powercap';
const DEFAULT_DESTS = ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm'];

/** The volume parser's result for -v / --mount, as the lifecycle would hand it over. */
function userMounts(hc: HostConfig): ContainerMount[] {
  const out: ContainerMount[] = [];
  for (const bind of hc.Binds ?? []) {
    const [src = '', dst = '', opts = ''] = bind.split(':');
    const o = opts ? opts.split(',') : [];
    const propagation = o.find((x) => /^r?(private|shared|slave)$/.test(x)) as MountPropagation | undefined;
    if (src.startsWith('/') || src.startsWith('<')) {
      out.push({ type: 'bind', source: src, destination: dst, readOnly: o.includes('ro'), propagation: propagation ?? 'rprivate' });
    } else {
      out.push({ type: 'bind', source: `<volumes>/${src}/_data`, destination: dst, readOnly: o.includes('ro') });
    }
  }
  for (const m of (hc.Mounts ?? []) as Mount[]) {
    if (m.Type === 'bind') {
      out.push({
        type: 'bind',
        source: m.Source!,
        destination: m.Target!,
        readOnly: !!m.ReadOnly,
        propagation: m.BindOptions?.Propagation || 'rprivate',
        nonRecursive: !!m.BindOptions?.NonRecursive,
      });
    } else if (m.Type === 'volume') {
      out.push({ type: 'bind', source: `<volumes>/${m.Source}/_data`, destination: m.Target!, readOnly: !!m.ReadOnly });
    }
  }
  return out;
}

async function inputFor(c: DockerdCase, rootfs: string): Promise<{ input: SpecInput; warnings: string[] }> {
  const v = validateHostConfig(c.create.HostConfig, c.create, host);
  const hc = adaptHostConfig(v.hostConfig, host);
  const config = c.inspect!.Config;
  const input: SpecInput = {
    config,
    hostConfig: hc,
    host,
    rootfs: '<rootfs>',
    args: [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])],
    mounts: userMounts(hc),
    etcFiles: {
      resolvConf: '<containerdir>/resolv.conf',
      hostname: '<containerdir>/hostname',
      hosts: '<containerdir>/hosts',
    },
    ...(hc.IpcMode === 'shareable' ? { shmPath: '<containerdir>/mounts/shm' } : {}),
    ...(hc.NetworkMode === 'host' ? { namespacePaths: { network: '<hostnetns>' } } : {}),
    cgroupsPath: defaultCgroupsPath('<id>', 'cgroupfs', hc.CgroupParent),
    initPath: '/usr/bin/docker-init',
    user: await resolveUser(rootfs, config.User ?? '', hc.GroupAdd ?? []),
  };
  return { input, warnings: v.warnings };
}

const depth = (d: string): number => d.split('/').length;
const sortMounts = (ms: OciMount[]): OciMount[] =>
  [...ms].sort((a, b) => depth(a.destination) - depth(b.destination) || a.destination.localeCompare(b.destination));

/** Bring dockerd 20.10's spec and ours to what both should agree on. */
function normalise(ours: OciSpec, theirs: OciSpec): { ours: OciSpec; theirs: OciSpec } {
  const a = structuredClone(ours) as OciSpec & { hooks?: unknown };
  const b = structuredClone(theirs) as OciSpec & { hooks?: unknown };
  delete b.hooks;
  if (b.linux.maskedPaths?.length === 10) b.linux.maskedPaths = [...b.linux.maskedPaths, POWERCAP];
  a.process.env = a.process.env.filter((e) => !e.startsWith('HOME=') || b.process.env.includes(e));
  for (const s of [a, b]) {
    s.mounts = sortMounts(s.mounts);
    s.process.user.additionalGids = [...(s.process.user.additionalGids ?? [])].sort((x, y) => x - y);
  }
  if (a.linux.seccomp && b.linux.seccomp) {
    delete a.linux.seccomp.defaultErrnoRet;
    if (typeof b.linux.seccomp.syscalls === 'string') {
      delete a.linux.seccomp.syscalls;
      delete b.linux.seccomp.syscalls;
    }
  }
  return { ours: a, theirs: b };
}

describe('spec generation vs dockerd 20.10 config.json', () => {
  let rootfs: ReturnType<typeof makeRootfs>;
  before(() => {
    rootfs = makeRootfs();
  });
  after(() => rootfs.cleanup());

  for (const name of caseNames()) {
    const c = loadCase(name);
    if (!c.spec) continue;
    test(name, async () => {
      const { input } = await inputFor(c, rootfs.dir);
      const { spec } = await generateSpec(input);
      assertValidSpec(spec);
      const privileged = !!c.create.HostConfig.Privileged;
      const { ours, theirs } = normalise(spec, c.spec!);
      if (privileged) {
        // Ours: what the daemon holds; theirs: the kernel's list incl. CAP_SYS_RESOURCE.
        assert.deepEqual(ours.process.capabilities, { bounding: host.capabilities });
        assert.ok(!host.capabilities.includes('CAP_SYS_RESOURCE'));
        ours.process.capabilities = theirs.process.capabilities;
        // /dev of the capture machine: compared against the live walk in spec-unit tests.
        ours.linux.devices = theirs.linux.devices;
      }
      assert.deepEqual(
        spec.mounts.filter((m) => DEFAULT_DESTS.includes(m.destination)).map((m) => m.destination),
        c.spec!.mounts.filter((m) => DEFAULT_DESTS.includes(m.destination)).map((m) => m.destination),
        'default mounts keep dockerd order',
      );
      assert.deepEqual(ours, theirs);
    });
  }

  test("our built-in profile converts as dockerd converted the same profile file", async () => {
    for (const withFile of ['seccomp-profile', 'seccomp-profile-sysadmin']) {
      const c = loadCase(withFile);
      const { input } = await inputFor(c, rootfs.dir);
      input.hostConfig.SecurityOpt = [];
      const { spec } = await generateSpec(input);
      assert.deepEqual(spec.linux.seccomp?.syscalls, c.spec!.linux.seccomp!.syscalls, `${withFile} without the file`);
    }
  });

  test('warnings for settings this kernel cannot apply (resources case)', async () => {
    const c = loadCase('resources');
    const { warnings } = await inputFor(c, rootfs.dir);
    assert.deepEqual(warnings, [
      'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
      'Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.',
    ]);
  });

  test('adapted HostConfig matches what docker inspect showed', async () => {
    for (const name of caseNames()) {
      const c = loadCase(name);
      if (!c.inspect) continue;
      const hc = adaptHostConfig(validateHostConfig(c.create.HostConfig, c.create, host).hostConfig, host);
      const want = c.inspect.HostConfig;
      for (const key of ['Memory', 'MemorySwap', 'ShmSize', 'IpcMode', 'CgroupnsMode', 'OomKillDisable', 'PidsLimit', 'NetworkMode', 'Runtime'] as const) {
        assert.deepEqual(hc[key] ?? null, want[key] ?? null, `${name}: ${key}`);
      }
      const masked = want.MaskedPaths?.length === 10 ? [...want.MaskedPaths, POWERCAP] : want.MaskedPaths;
      assert.deepEqual(hc.MaskedPaths ?? null, masked ?? null, `${name}: MaskedPaths`);
      assert.deepEqual(hc.ReadonlyPaths ?? null, want.ReadonlyPaths ?? null, `${name}: ReadonlyPaths`);
    }
  });

  // Cases where dockerd 20.10 refused to start: the same refusal, with the same words.
  const refusals: Record<string, string> = {
    'user-nosuch': 'unable to find user nosuch: no matching entries in passwd file',
    'group-nosuch': 'unable to find group nosuchgrp: no matching entries in group file',
    'groupadd-nosuch': 'Unable to find group nosuchgrp: no matching entries in group file',
    'user-groupadd-gid': 'Unable to find group staff: no matching entries in group file',
    'user-range': 'uids and gids must be in range 0-2147483647',
    'sysctl-hostnet': 'sysctl "net.core.somaxconn" not allowed in host network namespace',
    'sysctl-hostipc': 'sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace',
  };
  for (const [name, message] of Object.entries(refusals)) {
    test(`refused like dockerd: ${name}`, async () => {
      const c = loadCase(name);
      assert.ok(c.startError?.includes(message), `fixture says ${c.startError}`);
      await assert.rejects(
        async () => {
          const { input } = await inputFor(c, rootfs.dir);
          await generateSpec(input);
        },
        (err: unknown) => isEngineError(err, 'invalid-parameter') && (err as Error).message === message,
      );
    });
  }

  // 20.10 failed these only because it asked for CAP_SYS_RESOURCE: they start here.
  for (const name of ['privileged', 'caps-add-all', 'caps-dup', 'priv-device', 'read-only-priv', 'seccomp-profile-privileged']) {
    test(`starts where dockerd 20.10 could not: ${name}`, async () => {
      const c = loadCase(name);
      assert.match(c.startError ?? '', /unable to apply caps: operation not permitted/);
      const { input } = await inputFor(c, rootfs.dir);
      // --privileged walks /dev: give it an empty one rather than this machine's.
      input.devRoot = path.join(rootfs.dir, 'etc');
      input.hostConfig.Devices = [];
      const { spec } = await generateSpec(input);
      assert.ok(!spec.process.capabilities?.bounding?.includes('CAP_SYS_RESOURCE'));
      assertValidSpec(spec);
    });
  }
});
