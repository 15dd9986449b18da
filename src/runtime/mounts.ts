// What a container mounts besides its root filesystem: `-v`/`--volume`
// (HostConfig.Binds), `--mount` (HostConfig.Mounts), `--volumes-from` and the
// image's VOLUMEs. The runtime asks a MountResolver (the volume service's,
// src/volume/resolver.ts) to turn them into the mount points inspect shows
// (at create) and the host paths the OCI spec binds (at start).
import type { Mount } from './container-config.js';
import type { ContainerMount } from './spec/mounts.js';
import type { MountPointRecord } from './model.js';

export interface MountRequest {
  containerId: string;
  binds: string[];
  mounts: Mount[];
  /** Config.Volumes keys: the image's VOLUMEs and the container's own. */
  volumes: string[];
  /** HostConfig.VolumeDriver: the default driver of -v volumes. */
  volumeDriver: string;
  /** Mount points of --volumes-from containers, from inherit(). */
  inherited: MountPointRecord[];
  /** HostConfig.Tmpfs destinations: a -v at one of them is a duplicate. */
  tmpfs: string[];
}

export interface MountResolver {
  /** `--volumes-from container[:mode]`: the other containers' mount points as this one inherits them. */
  inherit(specs: readonly string[], lookup: (idOrName: string) => readonly MountPointRecord[]): MountPointRecord[];
  /** At create: parse, validate and record the mount points (volumes get created here). */
  prepare(req: MountRequest): Promise<MountPointRecord[]>;
  /** At start: what the spec binds, in order. */
  activate(containerId: string, points: MountPointRecord[]): Promise<ContainerMount[]>;
  /** After the container stopped. */
  deactivate(containerId: string, points: MountPointRecord[]): Promise<void>;
  /** At removal; `removeVolumes` (docker rm -v) removes the anonymous volumes. */
  release(containerId: string, points: MountPointRecord[], removeVolumes: boolean): Promise<void>;
  /** At daemon start, once every container is loaded: which containers hold which mounts. */
  restore?(containers: Array<{ id: string; points: MountPointRecord[]; running: boolean }>): Promise<void>;
}
