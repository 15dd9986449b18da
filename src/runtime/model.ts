// The container as berth keeps it: what is persisted per container (written
// atomically to <data-root>/containers/<id>/container.json) and docker's
// derived state strings. Docker's wire types of create (Config, HostConfig)
// are stored as the client sent them after dockerd's adaptation.
import type { HostConfig } from './container-config.js';
import type { ContainerConfig } from '../common/container-config.js';
import type { ContainerNetworkSettings, EndpointSettings } from './network-contract.js';
import type { MountPointRecord } from './mount-contract.js';
import { ZERO_TIME, nanoOf, nowNano } from '../common/time.js';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface HealthState {
  Status: 'none' | 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  Log: HealthLogEntry[];
}

/** moby container.State, as persisted (and shown by inspect, with Status computed). */
export interface ContainerState {
  /** True while a process runs, also when paused or restarting (docker's semantics). */
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  RemovalInProgress: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: HealthState;
}

/** Where the processes of the current run are: enough to re-adopt them after a daemon restart. */
export interface MonitorRecord {
  /** Runtime name (runc, or one added with --add-runtime) and its binary. */
  runtime: string;
  runtimePath: string;
  /** runc --root used for this container. */
  runtimeRoot: string;
  conmonPid: number;
  /** /proc/<pid>/stat start time of conmon, so a recycled pid is not mistaken for it. */
  conmonStartTime: string;
  /** The OCI bundle (exec root): config.json, attach socket, ctl fifo, exit and oom files. */
  bundle: string;
}

export interface ContainerRecord {
  ID: string;
  /** RFC 3339 with nanoseconds. */
  Created: string;
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  HostConfig: HostConfig;
  /** With the leading slash. */
  Name: string;
  /** Image ID (sha256:...). */
  Image: string;
  RestartCount: number;
  Driver: string;
  Platform: string;
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  MountPoints: MountPointRecord[];
  /** NetworkingConfig.EndpointsConfig as the client gave it (and network connect/disconnect changed it). */
  EndpointsConfig: Record<string, EndpointSettings>;
  NetworkSettings: ContainerNetworkSettings;
  State: ContainerState;
  HasBeenStartedBefore: boolean;
  /** Set by stop/kill from the user: `unless-stopped` and `always` then stay down after a daemon restart. */
  HasBeenManuallyStopped: boolean;
  /** The writable layer's ID in the layer store. */
  RWLayer: string;
  /** Present while processes of this container may exist (between runtime create and the exit's cleanup). */
  Monitor?: MonitorRecord;
}

export function newState(): ContainerState {
  return {
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    RemovalInProgress: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: ZERO_TIME,
    FinishedAt: ZERO_TIME,
  };
}

/** moby State.StateString. */
export function statusOf(s: ContainerState): ContainerStatus {
  if (s.Running) {
    if (s.Paused) return 'paused';
    if (s.Restarting) return 'restarting';
    return 'running';
  }
  if (s.RemovalInProgress) return 'removing';
  if (s.Dead) return 'dead';
  if (s.StartedAt === ZERO_TIME) return 'created';
  return 'exited';
}

/** docker/go-units HumanDuration. */
export function humanDuration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(seconds / 3600 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(seconds / 3600 / 24 / 365)} years`;
}

function secondsSince(time: string, now: bigint): number {
  return Number(now - nanoOf(time)) / 1e9;
}

/** moby State.String: the STATUS column of `docker ps`. */
export function statusText(s: ContainerState, now: bigint = nowNano()): string {
  if (s.Running) {
    if (s.Paused) return `Up ${humanDuration(secondsSince(s.StartedAt, now))} (Paused)`;
    if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(secondsSince(s.FinishedAt, now))} ago`;
    if (s.Health && s.Health.Status !== 'none') {
      const h = s.Health.Status === 'starting' ? 'health: starting' : s.Health.Status;
      return `Up ${humanDuration(secondsSince(s.StartedAt, now))} (${h})`;
    }
    return `Up ${humanDuration(secondsSince(s.StartedAt, now))}`;
  }
  if (s.RemovalInProgress) return 'Removal In Progress';
  if (s.Dead) return 'Dead';
  if (s.StartedAt === ZERO_TIME) return 'Created';
  if (s.FinishedAt === ZERO_TIME) return '';
  return `Exited (${s.ExitCode}) ${humanDuration(secondsSince(s.FinishedAt, now))} ago`;
}
