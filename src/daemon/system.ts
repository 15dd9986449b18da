// /version and /info for the daemon: what dockerd reports, with berth's own figures.
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { DiskUsage, DiskUsageType, SystemBackend } from '../api/system/routes.js';
import { berthVersion, gitCommit } from '../common/version.js';
import { writeFileAtomic } from '../common/fsutil.js';
import { defaultConfig } from './config.js';
import type { AddressPool, DaemonConfig } from './config.js';
import type { HostInfo } from './host-info.js';

/** Figures the engine's services contribute to /info. */
export interface InfoSources {
  containerCounts(): { total: number; running: number; paused: number; stopped: number };
  imageCount(): number;
  storageDriver(): { name: string; status: Array<[string, string]> };
  warnings(): string[];
  /** The parts of GET /system/df, each from the service that owns it. */
  imageDiskUsage(): { LayersSize: number; Images: unknown[] };
  containerDiskUsage(): Promise<unknown[]>;
  volumeDiskUsage(): Promise<unknown[]>;
  buildCacheDiskUsage(): Promise<unknown[]>;
}

export async function loadEngineId(dataRoot: string): Promise<string> {
  const file = path.join(dataRoot, 'engine-id');
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (id) return id;
  } catch {
    // first start
  }
  const id = randomUUID();
  await writeFileAtomic(file, id + '\n');
  return id;
}

export class DaemonSystem implements SystemBackend {
  constructor(
    private readonly config: () => DaemonConfig,
    private readonly host: HostInfo,
    private readonly engineId: string,
    private readonly sources: InfoSources,
    private readonly startedAt: Date,
  ) {}

  async diskUsage(want: ReadonlySet<DiskUsageType>): Promise<DiskUsage> {
    const images = want.has('image') ? this.sources.imageDiskUsage() : undefined;
    const [containers, volumes, buildCache] = await Promise.all([
      want.has('container') ? this.sources.containerDiskUsage() : null,
      want.has('volume') ? this.sources.volumeDiskUsage() : null,
      want.has('build-cache') ? this.sources.buildCacheDiskUsage() : null,
    ]);
    return { LayersSize: images?.LayersSize ?? 0, Images: images?.Images ?? null, Containers: containers, Volumes: volumes, BuildCache: buildCache };
  }

  async version(): Promise<Record<string, unknown>> {
    const node = process.versions.node;
    return {
      Platform: { Name: `berth ${berthVersion}` },
      Components: [
        {
          Name: 'Engine',
          Version: berthVersion,
          Details: {
            ApiVersion: '1.47',
            Arch: this.host.goArch,
            BuildTime: this.startedAt.toISOString(),
            Experimental: String(this.config().experimental),
            GitCommit: gitCommit,
            GoVersion: `node${node}`,
            KernelVersion: this.host.kernelVersion,
            MinAPIVersion: '1.24',
            Os: 'linux',
          },
        },
        { Name: 'runc', Version: runtimeVersion('runc'), Details: { GitCommit: toolVersion('runc').commit } },
        { Name: 'conmon', Version: conmonVersion(), Details: { GitCommit: '' } },
      ],
      Version: berthVersion,
      GitCommit: gitCommit,
      GoVersion: `node${node}`,
      Os: 'linux',
      Arch: this.host.goArch,
      KernelVersion: this.host.kernelVersion,
      BuildTime: this.startedAt.toISOString(),
    };
  }

  async info(): Promise<Record<string, unknown>> {
    const cfg = this.config();
    const counts = this.sources.containerCounts();
    const storage = this.sources.storageDriver();
    const runtimes: Record<string, { path: string; runtimeArgs?: string[] }> = { runc: { path: 'runc' }, ...cfg.runtimes };
    return {
      ID: this.engineId,
      Containers: counts.total,
      ContainersRunning: counts.running,
      ContainersPaused: counts.paused,
      ContainersStopped: counts.stopped,
      Images: this.sources.imageCount(),
      Driver: storage.name,
      DriverStatus: storage.status,
      Plugins: {
        Volume: ['local'],
        Network: ['bridge', 'host', 'null'],
        Authorization: null,
        Log: ['json-file', 'local', 'none'],
      },
      MemoryLimit: true,
      SwapLimit: true,
      KernelMemoryTCP: this.host.cgroupVersion === '1',
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: readSysctl('/proc/sys/net/ipv4/ip_forward') === '1',
      BridgeNfIptables: readSysctl('/proc/sys/net/bridge/bridge-nf-call-iptables') === '1',
      BridgeNfIp6tables: readSysctl('/proc/sys/net/bridge/bridge-nf-call-ip6tables') === '1',
      Debug: cfg.debug || cfg.logLevel === 'debug',
      NFd: openFdCount(),
      OomKillDisable: this.host.cgroupVersion === '1',
      NGoroutines: 0,
      SystemTime: localIsoTime(new Date()),
      LoggingDriver: cfg.logDriver,
      CgroupDriver: 'cgroupfs',
      CgroupVersion: this.host.cgroupVersion,
      NEventsListener: 0,
      KernelVersion: this.host.kernelVersion,
      OperatingSystem: this.host.operatingSystem,
      OSVersion: this.host.osVersion,
      OSType: 'linux',
      Architecture: this.host.architecture,
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: {
        AllowNondistributableArtifactsCIDRs: null,
        AllowNondistributableArtifactsHostnames: null,
        InsecureRegistryCIDRs: ['127.0.0.0/8', ...cfg.insecureRegistries.filter((r) => r.includes('/'))],
        IndexConfigs: {
          'docker.io': { Name: 'docker.io', Mirrors: cfg.registryMirrors, Secure: true, Official: true },
        },
        Mirrors: cfg.registryMirrors,
      },
      NCPU: this.host.ncpu,
      MemTotal: this.host.memTotal,
      GenericResources: null,
      DockerRootDir: cfg.dataRoot,
      HttpProxy: process.env.HTTP_PROXY ?? process.env.http_proxy ?? '',
      HttpsProxy: process.env.HTTPS_PROXY ?? process.env.https_proxy ?? '',
      NoProxy: process.env.NO_PROXY ?? process.env.no_proxy ?? '',
      Name: this.host.hostname,
      Labels: cfg.labels,
      ExperimentalBuild: cfg.experimental,
      ServerVersion: berthVersion,
      Runtimes: runtimes,
      DefaultRuntime: cfg.defaultRuntime,
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: 'docker-init',
      ContainerdCommit: { ID: '', Expected: '' },
      RuncCommit: { ID: toolVersion('runc').commit, Expected: toolVersion('runc').commit },
      InitCommit: { ID: toolVersion('tini').commit, Expected: toolVersion('tini').commit },
      SecurityOptions: ['name=seccomp,profile=builtin', ...(this.host.cgroupVersion === '2' ? ['name=cgroupns'] : [])],
      // dockerd reports the pools only when they were configured (omitempty), and `docker info` then lists them.
      ...(sameAddressPools(cfg.defaultAddressPools, defaultConfig().defaultAddressPools)
        ? {}
        : { DefaultAddressPools: cfg.defaultAddressPools.map((p) => ({ Base: p.base, Size: p.size })) }),
      CDISpecDirs: [],
      Warnings: this.sources.warnings(),
    };
  }
}

function readSysctl(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function openFdCount(): number {
  try {
    return readdirCount('/proc/self/fd');
  } catch {
    return 0;
  }
}

function readdirCount(dir: string): number {
  return readdirSync(dir).length;
}

// time.Now().Format(time.RFC3339Nano) as dockerd's SystemTime: local time,
// "Z" when the zone is UTC, the fraction without trailing zeros.
export function localIsoTime(d: Date): string {
  const off = -d.getTimezoneOffset();
  const pad = (n: number, w = 2): string => String(Math.abs(n)).padStart(w, '0');
  const local = new Date(d.getTime() + off * 60_000);
  const base = local.toISOString().replace('Z', '').replace(/\.(\d{3})$/, (_m, ms: string) => (/^0+$/.test(ms) ? '' : `.${ms.replace(/0+$/, '')}`));
  if (off === 0) return `${base}Z`;
  return `${base}${off > 0 ? '+' : '-'}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
}

interface ToolVersion {
  version: string;
  /** The `commit:` line runc and crun print; tini's "- git.<sha>" suffix. */
  commit: string;
}
const versionCache = new Map<string, ToolVersion>();
function toolVersion(bin: string): ToolVersion {
  const cached = versionCache.get(bin);
  if (cached !== undefined) return cached;
  let v: ToolVersion = { version: '', commit: '' };
  try {
    const out = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 2000 });
    v = {
      version: /version\s+(\S+)/.exec(out)?.[1] ?? '',
      commit: /^commit:\s*(\S+)/m.exec(out)?.[1] ?? /- git\.(\w+)/.exec(out)?.[1] ?? '',
    };
  } catch {
    // not installed: empty figures, as dockerd shows for a missing binary
  }
  versionCache.set(bin, v);
  return v;
}
function runtimeVersion(bin: string): string {
  return toolVersion(bin).version;
}
function conmonVersion(): string {
  return runtimeVersion('conmon');
}

function sameAddressPools(a: readonly AddressPool[], b: readonly AddressPool[]): boolean {
  return a.length === b.length && a.every((p, i) => p.base === b[i]?.base && p.size === b[i]?.size);
}
