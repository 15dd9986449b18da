// dockerd's create-time checks of Config and HostConfig. Expected messages:
// those dockerd 20.10.24 returned to raw POST /containers/create bodies on the
// capture machine (2 CPUs, cgroup v1, no blkio weight), except where API 1.47
// dockerd words them differently (restart policy: api/types/container
// ValidateRestartPolicy; capabilities not held by the daemon: moby 23+
// caps.NormalizeLegacyCapabilities; IPC/PID/UTS validity: checked at create
// since moby 23).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  adaptHostConfig,
  parseSignal,
  parseUintList,
  validateContainerConfig,
  validateHostConfig,
  type HostConfig,
} from '../../../src/runtime/container-config.js';
import type { ContainerConfig } from '../../../src/common/container-config.js';
import { cgroupV2Features } from '../../../src/runtime/spec/host.js';
import { isEngineError } from '../../../src/common/errors.js';
import { captureHost } from './fixtures.js';

const host = captureHost();
const MB = 1024 * 1024;

function refuses(hc: HostConfig, message: string, config: ContainerConfig = {}, h = host): void {
  assert.throws(
    () => validateHostConfig(hc, config, h),
    (err: unknown) => {
      assert.ok(isEngineError(err, 'invalid-parameter'), String(err));
      assert.equal((err as Error).message, message);
      return true;
    },
  );
}

function warns(hc: HostConfig, warnings: string[], h = host): HostConfig {
  const r = validateHostConfig(hc, {}, h);
  assert.deepEqual(r.warnings, warnings);
  return r.hostConfig;
}

describe('validateHostConfig: errors dockerd returns', () => {
  const table: [string, HostConfig, string][] = [
    ['memory below 6MB', { Memory: 1000 }, 'Minimum memory limit allowed is 6MB'],
    ['swap below memory', { Memory: 64 * MB, MemorySwap: 1000 }, 'Minimum memoryswap limit should be larger than memory limit, see usage'],
    ['swap without memory', { MemorySwap: 160 * MB }, 'You should always set the Memory limit when using Memoryswap limit, see usage'],
    ['swappiness 101', { MemorySwappiness: 101 }, 'Invalid value: 101, valid memory swappiness range is 0-100'],
    ['swappiness -2', { MemorySwappiness: -2 }, 'Invalid value: -2, valid memory swappiness range is 0-100'],
    ['reservation below 6MB', { MemoryReservation: 1000 }, 'Minimum memory reservation allowed is 6MB'],
    [
      'memory below reservation',
      { Memory: 10_000_000, MemoryReservation: 20_000_000 },
      'Minimum memory limit can not be less than memory reservation limit, see usage',
    ],
    ['kernel memory below 6MB', { KernelMemory: 1000 }, 'Minimum kernel memory limit allowed is 6MB'],
    ['nano cpus and period', { NanoCpus: 1e9, CpuPeriod: 100000 }, 'Conflicting options: Nano CPUs and CPU Period cannot both be set'],
    ['nano cpus and quota', { NanoCpus: 1e9, CpuQuota: 100000 }, 'Conflicting options: Nano CPUs and CPU Quota cannot both be set'],
    ['3 of 2 cpus', { NanoCpus: 3e9 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'],
    ['negative cpus', { NanoCpus: -1 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'],
    ['cpu period 100', { CpuPeriod: 100 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)'],
    ['cpu quota 100', { CpuQuota: 100 }, 'CPU cfs quota can not be less than 1ms (i.e. 1000)'],
    ['cpuset out of range', { CpusetCpus: '0-3' }, 'Requested CPUs are not available - requested 0-3, available: 0-1'],
    ['cpuset garbage', { CpusetCpus: 'abc' }, 'Invalid value abc for cpuset cpus: invalid format: abc'],
    ['cpuset reversed range', { CpusetCpus: '1-0' }, 'Invalid value 1-0 for cpuset cpus: invalid format: 1-0'],
    ['mems out of range', { CpusetMems: '1' }, 'Requested memory nodes are not available - requested 1, available: 0'],
    ['mems garbage', { CpusetMems: 'x' }, 'Invalid value x for cpuset mems: invalid format: x'],
    ['max bandwidth', { IOMaximumBandwidth: 5 }, 'Invalid QoS settings: linux does not support configuration of maximum bandwidth'],
    ['rt runtime over period', { CpuRealtimePeriod: 1000, CpuRealtimeRuntime: 2000 }, 'cpu real-time runtime cannot be higher than cpu real-time period'],
    ['negative shm', { ShmSize: -1 }, 'SHM size can not be less than 0'],
    ['oom score 1001', { OomScoreAdj: 1001 }, 'Invalid value 1001, range for oom score adj is [-1000, 1000]'],
    ['bogus ipc', { IpcMode: 'bogus' }, 'invalid IPC mode: bogus'],
    ['bogus pid', { PidMode: 'bogus' }, 'invalid PID mode: bogus'],
    ['pid container without name', { PidMode: 'container:' }, 'invalid PID mode: container:'],
    ['uts container', { UTSMode: 'container:x' }, 'invalid UTS mode: container:x'],
    ['bogus cgroupns', { CgroupnsMode: 'bogus' }, 'invalid cgroup namespace mode: bogus'],
    [
      'bogus restart policy',
      { RestartPolicy: { Name: 'bogus' } },
      "invalid restart policy: unknown policy 'bogus'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'",
    ],
    [
      'retries with always',
      { RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } },
      "invalid restart policy: maximum retry count can only be used with 'on-failure'",
    ],
    [
      'negative retries with no',
      { RestartPolicy: { Name: 'no', MaximumRetryCount: -1 } },
      "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative",
    ],
    ['negative retries', { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: -3 } }, 'invalid restart policy: maximum retry count cannot be negative'],
    ['autoremove with restart', { AutoRemove: true, RestartPolicy: { Name: 'always' } }, "can't create 'AutoRemove' container with restart policy"],
    ['unknown capability', { CapAdd: ['bogus'] }, 'invalid CapAdd: unknown capability: "CAP_BOGUS"'],
    [
      'capability the daemon lacks',
      { CapAdd: ['sys_resource'] },
      'invalid CapAdd: capability not supported by your kernel or not available in the current environment: "CAP_SYS_RESOURCE"',
    ],
    ['drop unknown', { CapDrop: ['CAP_NOPE'] }, 'invalid CapDrop: unknown capability: "CAP_NOPE"'],
    ['isolation', { Isolation: 'hyperv' }, `Invalid isolation: "hyperv" - linux only supports 'default'`],
    ['relative tmpfs', { Tmpfs: { relative: '' } }, "invalid mount path: 'relative' mount path must be absolute"],
    ['tmpfs on /', { Tmpfs: { '/': '' } }, "invalid specification: destination can't be '/'"],
    ['bad container port', { PortBindings: { 'abc/tcp': [] } }, 'invalid port specification: "abc"'],
    ['bad host port', { PortBindings: { '80/tcp': [{ HostPort: '99999' }] } }, 'invalid port specification: "99999"'],
    ['bad extra host', { ExtraHosts: ['bad'] }, 'bad format for add-host: "bad"'],
    ['bad extra host ip', { ExtraHosts: ['h:1.2.3'] }, 'invalid IP address in add-host: "1.2.3"'],
    ['security opt without value', { SecurityOpt: ['bogus'] }, 'invalid --security-opt 1: "bogus"'],
    ['unknown security opt', { SecurityOpt: ['foo=bar'] }, 'invalid --security-opt 2: "foo=bar"'],
    ['bad no-new-privileges', { SecurityOpt: ['no-new-privileges=maybe'] }, 'invalid --security-opt 2: "no-new-privileges=maybe"'],
    ['unknown runtime', { Runtime: 'bogus' }, 'unknown or invalid runtime name: bogus'],
    ['empty annotation key', { Annotations: { '': 'x' } }, 'invalid Annotations: the empty string is not permitted as an annotation key'],
    ['container net without name', { NetworkMode: 'container:' }, 'Invalid network mode: invalid container format container:<name|id>'],
  ];
  for (const [name, hc, message] of table) test(name, () => refuses(hc, message));

  test('hostname with container network / host UTS', () => {
    refuses({ NetworkMode: 'container:abc' }, 'conflicting options: hostname and the network mode', { Hostname: 'h' });
    refuses({ UTSMode: 'host' }, 'conflicting options: hostname and the UTS mode', { Hostname: 'h' });
    refuses({ NetworkMode: 'container:abc', Dns: ['1.1.1.1'] }, 'conflicting options: dns and the network mode');
    refuses({ NetworkMode: 'host' }, 'conflicting options: mac-address and the network mode', { MacAddress: '02:42:ac:11:00:02' });
  });

  test('cpu realtime on a kernel without it (cgroup v2)', () => {
    const v2 = captureHost({ cgroupVersion: 2, cgroup: cgroupV2Features(['cpuset', 'cpu', 'io', 'memory', 'pids']) });
    refuses({ CpuRealtimeRuntime: 2000 }, 'Your kernel does not support CPU real-time scheduler', {}, v2);
  });
});

describe('validateHostConfig: accepted values, warnings and discards', () => {
  test('nothing to say about an empty HostConfig', () => {
    warns({}, []);
  });
  test('swappiness -1 means unset', () => assert.equal(warns({ MemorySwappiness: -1 }, []).MemorySwappiness, undefined));
  test('OOM killer disabled without a memory limit', () => {
    warns({ OomKillDisable: true }, [
      'OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.',
    ]);
  });
  test('blkio weight without a weight file is discarded', () => {
    const hc = warns({ BlkioWeight: 5 }, ['Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.']);
    assert.equal(hc.BlkioWeight, 0);
  });
  test('blkio weight out of range where weights exist', () =>
    refuses({ BlkioWeight: 5 }, 'Range of blkio weight is from 10 to 1000', {}, captureHost({ cgroup: { ...host.cgroup, blkioWeight: true } })));
  test('CPU percent is Windows only', () => {
    warns({ CpuPercent: 50 }, ['linux does not support CPU percent. Percent discarded.']);
  });
  test('published ports with host network', () => {
    warns({ NetworkMode: 'host', PortBindings: { '80/tcp': [{ HostPort: '8080' }] } }, [
      'Published ports are discarded when using host network mode',
    ]);
  });
  test('kernel memory is deprecated and dropped', () => {
    const hc = warns({ KernelMemory: 10_000_000 }, ['Specifying a kernel memory limit is deprecated and will be removed in a future release.']);
    assert.equal(hc.KernelMemory, 0);
  });
  test('accepted as dockerd accepts them', () => {
    for (const hc of [
      { CpuQuota: -1 },
      { CpuShares: 1 },
      { CpuShares: 300000 },
      { PidsLimit: -1 },
      { SecurityOpt: ['seccomp=notjson', 'apparmor=foo', 'label=disable', 'label:disable', 'no-new-privileges'] },
      { CapDrop: ['ALL'], CapAdd: ['chown', 'CAP_NET_ADMIN', 'All'] },
      { ExtraHosts: ['h:1.2.3.4', 'h=::1', 'h:[::1]', 'gw:host-gateway'] },
      { RestartPolicy: { Name: '', MaximumRetryCount: 5 } },
      { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 5 } },
      { IpcMode: 'container:abc', PidMode: 'container:abc', NetworkMode: 'container:abc' },
      { Isolation: 'default' },
      { PortBindings: { '80/tcp': [{ HostPort: '' }, { HostPort: '8000-8010' }], '53/udp': null } },
    ] satisfies HostConfig[]) {
      assert.doesNotThrow(() => validateHostConfig(hc, {}, host), JSON.stringify(hc));
    }
  });
  test('cgroup v2 drops what it has no file for', () => {
    const v2 = captureHost({ cgroupVersion: 2, cgroup: cgroupV2Features(['cpuset', 'cpu', 'io', 'memory', 'pids']) });
    const hc = warns(
      { Memory: 64 * MB, MemorySwappiness: 10, OomKillDisable: true },
      ['Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.', 'Your kernel does not support OomKillDisable. OomKillDisable discarded.'],
      v2,
    );
    assert.equal(hc.MemorySwappiness, undefined);
    assert.equal(hc.OomKillDisable, undefined);
  });
  test('no swap accounting: memory limited without swap', () => {
    const noSwap = captureHost({ cgroup: { ...host.cgroup, swapLimit: false } });
    const hc = warns({ Memory: 64 * MB }, ['Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.'], noSwap);
    assert.equal(hc.MemorySwap, -1);
    assert.equal(adaptHostConfig(hc, noSwap).MemorySwap, -1, 'adapt does not double an unlimited swap');
  });
});

describe('adaptHostConfig: what dockerd stores', () => {
  test('defaults', () => {
    const hc = adaptHostConfig({ Memory: 64 * MB, PidsLimit: 0 }, host);
    assert.equal(hc.MemorySwap, 128 * MB);
    assert.equal(hc.ShmSize, 64 * MB);
    assert.equal(hc.IpcMode, 'private');
    assert.equal(hc.CgroupnsMode, 'host');
    assert.equal(hc.OomKillDisable, false);
    assert.equal(hc.PidsLimit, undefined);
    assert.equal(hc.NetworkMode, 'default');
    assert.equal(hc.Runtime, 'runc');
    assert.equal(hc.MaskedPaths?.length, 11);
    assert.equal(hc.ReadonlyPaths?.length, 5);
  });
  test('cgroup namespace: private on v2, host for privileged on v1', () => {
    assert.equal(adaptHostConfig({}, captureHost({ cgroupVersion: 2 })).CgroupnsMode, 'private');
    assert.equal(adaptHostConfig({ Privileged: true }, captureHost({ cgroupVersion: 2 })).CgroupnsMode, 'private');
    assert.equal(adaptHostConfig({ Privileged: true }, host).CgroupnsMode, 'host');
  });
  test('privileged keeps masked paths unset; systempaths=unconfined keeps them empty', () => {
    assert.equal(adaptHostConfig({ Privileged: true }, host).MaskedPaths, undefined);
    assert.deepEqual(adaptHostConfig({ MaskedPaths: [], ReadonlyPaths: [] }, host).MaskedPaths, []);
  });
});

describe('validateContainerConfig', () => {
  const bad: [ContainerConfig, string][] = [
    [{ WorkingDir: 'relative' }, "the working directory 'relative' is invalid, it needs to be an absolute path"],
    [{ StopSignal: 'SIGBOGUS' }, 'Invalid signal: SIGBOGUS'],
    [{ StopSignal: '0' }, 'Invalid signal: 0'],
    [{ Env: ['=foo'] }, 'invalid environment variable: =foo'],
    [{ Healthcheck: { Interval: 1000 } }, 'Interval in Healthcheck cannot be less than 1ms'],
    [{ Healthcheck: { Retries: -1 } }, 'Retries in Healthcheck cannot be negative'],
    [{ Healthcheck: { StartInterval: 5 } }, 'StartInterval in Healthcheck cannot be less than 1ms'],
  ];
  for (const [config, message] of bad) {
    test(message, () =>
      assert.throws(() => validateContainerConfig(config), (err: unknown) => isEngineError(err, 'invalid-parameter') && (err as Error).message === message),
    );
  }
  test('accepted', () => {
    validateContainerConfig({ WorkingDir: '/w', StopSignal: 'term', Env: ['A=1', 'B'], Healthcheck: { Interval: 1_000_000, Timeout: 0 } });
  });
  test('signals', () => {
    assert.equal(parseSignal('SIGTERM'), 15);
    assert.equal(parseSignal('kill'), 9);
    assert.equal(parseSignal('RTMIN+3'), 37);
    assert.equal(parseSignal('SIGRTMAX'), 64);
    assert.equal(parseSignal('10'), 10);
  });
  test('uint lists (cpuset syntax)', () => {
    assert.deepEqual([...parseUintList('0-2,5')], [0, 1, 2, 5]);
    assert.deepEqual([...parseUintList('')], []);
    assert.throws(() => parseUintList('0, 1'), /invalid format: 0, 1/);
    assert.throws(() => parseUintList('-1'), /invalid format/);
  });
});
