// Docker's JSON views of a container: `GET /containers/{id}/json` (inspect)
// and the entries of `GET /containers/json` (ps), with every field dockerd
// prints, in Go's struct order (../shared/specs/engine-api/v1.47.yaml:
// ContainerInspectResponse, ContainerSummary, HostConfig, ContainerConfig,
// NetworkSettings, MountPoint).
import type { HostConfig } from './container-config.js';
import type { ContainerConfig } from '../common/container-config.js';
import type { EndpointSettings } from './network-contract.js';
import { containerConfigJson } from '../common/container-config-json.js';
import { statusOf, statusText, type ContainerRecord } from './model.js';
import type { MountPointRecord } from './mount-contract.js';

/** container.Config as dockerd marshals it. */
export function configView(c: ContainerConfig): Record<string, unknown> {
  return containerConfigJson(c, {});
}

/** container.HostConfig as dockerd marshals it. */
export function hostConfigView(h: HostConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Binds: h.Binds ?? null,
    ContainerIDFile: h.ContainerIDFile ?? '',
    LogConfig: { Type: h.LogConfig?.Type ?? '', Config: h.LogConfig?.Config ?? {} },
    NetworkMode: h.NetworkMode ?? '',
    PortBindings: h.PortBindings ?? {},
    RestartPolicy: { Name: h.RestartPolicy?.Name || 'no', MaximumRetryCount: h.RestartPolicy?.MaximumRetryCount ?? 0 },
    AutoRemove: h.AutoRemove ?? false,
    VolumeDriver: h.VolumeDriver ?? '',
    VolumesFrom: h.VolumesFrom ?? null,
    ConsoleSize: h.ConsoleSize ?? [0, 0],
  };
  if (h.Annotations && Object.keys(h.Annotations).length) out.Annotations = h.Annotations;
  Object.assign(out, {
    CapAdd: h.CapAdd ?? null,
    CapDrop: h.CapDrop ?? null,
    CgroupnsMode: h.CgroupnsMode ?? '',
    Dns: h.Dns ?? [],
    DnsOptions: h.DnsOptions ?? [],
    DnsSearch: h.DnsSearch ?? [],
    ExtraHosts: h.ExtraHosts ?? null,
    GroupAdd: h.GroupAdd ?? null,
    IpcMode: h.IpcMode ?? '',
    Cgroup: h.Cgroup ?? '',
    Links: h.Links ?? null,
    OomScoreAdj: h.OomScoreAdj ?? 0,
    PidMode: h.PidMode ?? '',
    Privileged: h.Privileged ?? false,
    PublishAllPorts: h.PublishAllPorts ?? false,
    ReadonlyRootfs: h.ReadonlyRootfs ?? false,
    SecurityOpt: h.SecurityOpt ?? null,
  });
  if (h.StorageOpt && Object.keys(h.StorageOpt).length) out.StorageOpt = h.StorageOpt;
  if (h.Tmpfs && Object.keys(h.Tmpfs).length) out.Tmpfs = h.Tmpfs;
  out.UTSMode = h.UTSMode ?? '';
  out.UsernsMode = h.UsernsMode ?? '';
  out.ShmSize = h.ShmSize ?? 0;
  if (h.Sysctls && Object.keys(h.Sysctls).length) out.Sysctls = h.Sysctls;
  if (h.Runtime) out.Runtime = h.Runtime;
  Object.assign(out, {
    Isolation: h.Isolation ?? '',
    CpuShares: h.CpuShares ?? 0,
    Memory: h.Memory ?? 0,
    NanoCpus: h.NanoCpus ?? 0,
    CgroupParent: h.CgroupParent ?? '',
    BlkioWeight: h.BlkioWeight ?? 0,
    BlkioWeightDevice: h.BlkioWeightDevice ?? [],
    BlkioDeviceReadBps: h.BlkioDeviceReadBps ?? [],
    BlkioDeviceWriteBps: h.BlkioDeviceWriteBps ?? [],
    BlkioDeviceReadIOps: h.BlkioDeviceReadIOps ?? [],
    BlkioDeviceWriteIOps: h.BlkioDeviceWriteIOps ?? [],
    CpuPeriod: h.CpuPeriod ?? 0,
    CpuQuota: h.CpuQuota ?? 0,
    CpuRealtimePeriod: h.CpuRealtimePeriod ?? 0,
    CpuRealtimeRuntime: h.CpuRealtimeRuntime ?? 0,
    CpusetCpus: h.CpusetCpus ?? '',
    CpusetMems: h.CpusetMems ?? '',
    Devices: h.Devices ?? [],
    DeviceCgroupRules: h.DeviceCgroupRules ?? null,
    DeviceRequests: h.DeviceRequests ?? null,
    MemoryReservation: h.MemoryReservation ?? 0,
    MemorySwap: h.MemorySwap ?? 0,
    MemorySwappiness: h.MemorySwappiness ?? null,
    OomKillDisable: h.OomKillDisable ?? null,
    PidsLimit: h.PidsLimit ?? null,
    Ulimits: h.Ulimits ?? [],
    CpuCount: h.CpuCount ?? 0,
    CpuPercent: h.CpuPercent ?? 0,
    IOMaximumIOps: h.IOMaximumIOps ?? 0,
    IOMaximumBandwidth: h.IOMaximumBandwidth ?? 0,
    MaskedPaths: h.MaskedPaths ?? null,
    ReadonlyPaths: h.ReadonlyPaths ?? null,
  });
  if (h.Init !== undefined && h.Init !== null) out.Init = h.Init;
  return out;
}

export function endpointView(e: EndpointSettings): Record<string, unknown> {
  return {
    IPAMConfig: e.IPAMConfig ?? null,
    Links: e.Links ?? null,
    Aliases: e.Aliases ?? null,
    MacAddress: e.MacAddress ?? '',
    DriverOpts: e.DriverOpts ?? null,
    NetworkID: e.NetworkID ?? '',
    EndpointID: e.EndpointID ?? '',
    Gateway: e.Gateway ?? '',
    IPAddress: e.IPAddress ?? '',
    IPPrefixLen: e.IPPrefixLen ?? 0,
    IPv6Gateway: e.IPv6Gateway ?? '',
    GlobalIPv6Address: e.GlobalIPv6Address ?? '',
    GlobalIPv6PrefixLen: e.GlobalIPv6PrefixLen ?? 0,
    DNSNames: e.DNSNames ?? null,
  };
}

export function mountView(m: MountPointRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { Type: m.Type };
  if (m.Name) out.Name = m.Name;
  out.Source = m.Source;
  out.Destination = m.Destination;
  if (m.Driver) out.Driver = m.Driver;
  out.Mode = m.Mode;
  out.RW = m.RW;
  out.Propagation = m.Propagation;
  return out;
}

function portsView(rec: ContainerRecord): Record<string, unknown> {
  if (!rec.State.Running) return {};
  const out: Record<string, unknown> = {};
  for (const p of Object.keys(rec.Config.ExposedPorts ?? {})) out[p] = null;
  for (const [p, b] of Object.entries(rec.NetworkSettings.Ports ?? {})) out[p] = b;
  return out;
}

export function networkSettingsView(rec: ContainerRecord): Record<string, unknown> {
  const ns = rec.NetworkSettings;
  const bridge = ns.Networks.bridge;
  const networks: Record<string, unknown> = {};
  for (const [name, ep] of Object.entries(ns.Networks)) networks[name] = endpointView(ep);
  return {
    Bridge: ns.Bridge ?? '',
    SandboxID: ns.SandboxID ?? '',
    SandboxKey: ns.SandboxKey ?? '',
    Ports: portsView(rec),
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: bridge?.EndpointID ?? '',
    Gateway: bridge?.Gateway ?? '',
    GlobalIPv6Address: bridge?.GlobalIPv6Address ?? '',
    GlobalIPv6PrefixLen: bridge?.GlobalIPv6PrefixLen ?? 0,
    IPAddress: bridge?.IPAddress ?? '',
    IPPrefixLen: bridge?.IPPrefixLen ?? 0,
    IPv6Gateway: bridge?.IPv6Gateway ?? '',
    MacAddress: bridge?.MacAddress ?? '',
    Networks: networks,
  };
}

export function stateView(rec: ContainerRecord): Record<string, unknown> {
  const s = rec.State;
  const out: Record<string, unknown> = {
    Status: statusOf(s),
    Running: s.Running,
    Paused: s.Paused,
    Restarting: s.Restarting,
    OOMKilled: s.OOMKilled,
    Dead: s.Dead,
    Pid: s.Pid,
    ExitCode: s.ExitCode,
    Error: s.Error,
    StartedAt: s.StartedAt,
    FinishedAt: s.FinishedAt,
  };
  if (s.Health) out.Health = s.Health;
  return out;
}

export interface InspectExtras {
  execIds: string[];
  graphDriverData: Record<string, string> | null;
  sizeRw?: number;
  sizeRootFs?: number;
}

/** GET /containers/{id}/json. */
export function inspectView(rec: ContainerRecord, extra: InspectExtras): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Id: rec.ID,
    Created: rec.Created,
    Path: rec.Path,
    Args: rec.Args,
    State: stateView(rec),
    Image: rec.Image,
    ResolvConfPath: rec.ResolvConfPath,
    HostnamePath: rec.HostnamePath,
    HostsPath: rec.HostsPath,
    LogPath: rec.LogPath,
    Name: rec.Name,
    RestartCount: rec.RestartCount,
    Driver: rec.Driver,
    Platform: rec.Platform,
    MountLabel: rec.MountLabel,
    ProcessLabel: rec.ProcessLabel,
    AppArmorProfile: rec.AppArmorProfile,
    ExecIDs: extra.execIds.length ? extra.execIds : null,
    HostConfig: hostConfigView(rec.HostConfig),
    GraphDriver: { Data: extra.graphDriverData, Name: rec.Driver },
  };
  if (extra.sizeRw !== undefined) out.SizeRw = extra.sizeRw;
  if (extra.sizeRootFs !== undefined) out.SizeRootFs = extra.sizeRootFs;
  out.Mounts = rec.MountPoints.map(mountView);
  out.Config = configView(rec.Config);
  out.NetworkSettings = networkSettingsView(rec);
  return out;
}

/** moby daemon/list.go: Path and Args, arguments with spaces quoted. */
export function commandText(rec: ContainerRecord): string {
  if (rec.Args.length === 0) return rec.Path;
  return `${rec.Path} ${rec.Args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`;
}

export interface SummaryExtras {
  /** Config.Image when it still names the container's image, else the image ID. */
  image: string;
  sizeRw?: number;
  sizeRootFs?: number;
}

function summaryPorts(rec: ContainerRecord): Array<Record<string, unknown>> {
  if (!rec.State.Running) return [];
  const out: Array<Record<string, unknown>> = [];
  const bound = rec.NetworkSettings.Ports ?? {};
  const keys = new Set([...Object.keys(rec.Config.ExposedPorts ?? {}), ...Object.keys(bound)]);
  for (const key of keys) {
    const [num, proto = 'tcp'] = key.split('/');
    const bindings = bound[key];
    if (!bindings || bindings.length === 0) {
      out.push({ PrivatePort: Number(num), Type: proto });
      continue;
    }
    for (const b of bindings) out.push({ IP: b.HostIp, PrivatePort: Number(num), PublicPort: Number(b.HostPort), Type: proto });
  }
  return out;
}

/** One entry of GET /containers/json. */
export function summaryView(rec: ContainerRecord, extra: SummaryExtras): Record<string, unknown> {
  const networks: Record<string, unknown> = {};
  for (const [name, ep] of Object.entries(rec.NetworkSettings.Networks)) networks[name] = endpointView(ep);
  const out: Record<string, unknown> = {
    Id: rec.ID,
    Names: [rec.Name],
    Image: extra.image,
    ImageID: rec.Image,
    Command: commandText(rec),
    Created: Math.floor(Date.parse(rec.Created) / 1000),
    Ports: summaryPorts(rec),
  };
  if (extra.sizeRw !== undefined) out.SizeRw = extra.sizeRw;
  if (extra.sizeRootFs !== undefined) out.SizeRootFs = extra.sizeRootFs;
  out.Labels = rec.Config.Labels ?? {};
  out.State = statusOf(rec.State);
  out.Status = statusText(rec.State);
  const hc: Record<string, unknown> = { NetworkMode: rec.HostConfig.NetworkMode ?? '' };
  if (rec.HostConfig.Annotations && Object.keys(rec.HostConfig.Annotations).length) hc.Annotations = rec.HostConfig.Annotations;
  out.HostConfig = hc;
  out.NetworkSettings = { Networks: networks };
  out.Mounts = rec.MountPoints.map(mountView);
  return out;
}
