// The contract between the container runtime and whatever gives containers
// their mounts besides the root filesystem: `-v`/`--volume`
// (HostConfig.Binds), `--mount` (HostConfig.Mounts), `--volumes-from` and the
// image's VOLUMEs. The runtime asks a MountResolver to turn them into the
// mount points inspect shows (at create) and the host paths the OCI spec
// binds (at start). The volume service (src/volume/resolver.ts) implements
// MountResolver and the daemon plugs it in.
//
// Types only, with no imports: src/volume depends on this file and on
// nothing else of the runtime.
//
// Docker's shapes: ../shared/specs/engine-api/v1.47.yaml, definitions Mount
// (HostConfig.Mounts) and MountPoint (inspect's Mounts).

export type MountType = 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster';
export type MountPropagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';

/** docker's Mount: one of HostConfig.Mounts (`--mount`). */
export interface Mount {
  Target?: string;
  Source?: string;
  Type?: MountType;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: {
    Propagation?: MountPropagation | '';
    NonRecursive?: boolean;
    CreateMountpoint?: boolean;
    ReadOnlyNonRecursive?: boolean;
    ReadOnlyForceRecursive?: boolean;
  } | null;
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string> | null;
    DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null;
    Subpath?: string;
  } | null;
  TmpfsOptions?: {
    SizeBytes?: number;
    Mode?: number;
    /** [["noexec"], ["uid", "1000"]]: flags as 1-element, key/value as 2-element arrays (API 1.46+). */
    Options?: string[][] | null;
  } | null;
}

/** A container's mount point as the runtime records it and inspect shows it (docker's MountPoint). */
export interface MountPointRecord {
  Type: MountType;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

/** A bind mount the lifecycle resolved: a host path (bind, named volume, /etc file, shm dir). */
export interface BindMountSpec {
  type: 'bind';
  source: string;
  destination: string;
  readOnly?: boolean;
  /**
   * Docker sets rprivate for binds (-v /host:/ctr, --mount type=bind) and
   * nothing for named volumes; give it as docker's volume parser resolved it.
   */
  propagation?: MountPropagation;
  /** The propagation is the parser's default for a source in the daemon root (rslave), not the user's. */
  propagationDefaulted?: boolean;
  /** bind-recursive=disabled / BindOptions.NonRecursive: "bind" instead of "rbind". */
  nonRecursive?: boolean;
  /** BindOptions.ReadOnlyNonRecursive (and every read-only mount from API < 1.44). */
  readOnlyNonRecursive?: boolean;
  /** BindOptions.ReadOnlyForceRecursive: fail rather than fall back to a plain "ro". */
  readOnlyForceRecursive?: boolean;
}

/** A tmpfs with docker's --tmpfs option string ("size=64m,mode=1777,exec"). */
export interface TmpfsMountSpec {
  type: 'tmpfs';
  destination: string;
  options?: string;
}

/** A mount of the OCI spec besides the defaults, as the lifecycle resolved it. */
export type ContainerMount = BindMountSpec | TmpfsMountSpec;

/** What the runtime gives the resolver at create. */
export interface MountRequest {
  containerId: string;
  binds: string[];
  mounts: Mount[];
  /** Config.Volumes keys: the image's VOLUMEs and the container's own (`-v /path`). */
  volumes: string[];
  /** HostConfig.VolumeDriver: the default driver of -v volumes. */
  volumeDriver: string;
  /** Mount points of --volumes-from containers, from inherit(): their RW already combined with the mode asked for. */
  inherited: MountPointRecord[];
  /** HostConfig.Tmpfs destinations: a -v at one of them is a duplicate. */
  tmpfs: string[];
}

/** A container's writable root filesystem, mounted while the resolver copies an image's content into new volumes. */
export interface ContainerRootfs {
  /** Mounts the layer's root filesystem (reference counted); returns its path. */
  mountRW(id: string): Promise<string>;
  unmountRW(id: string): Promise<void>;
}

export interface MountResolver {
  /** `--volumes-from container[:mode]`: the other containers' mount points as this one inherits them. */
  inherit(specs: readonly string[], lookup: (idOrName: string) => readonly MountPointRecord[]): MountPointRecord[];
  /** At create: parse, validate and record the mount points (volumes get created here). */
  prepare(req: MountRequest): Promise<MountPointRecord[]>;
  /** At start: what the spec binds, in order. */
  activate(containerId: string, points: readonly MountPointRecord[]): Promise<ContainerMount[]>;
  /** After the container stopped. */
  deactivate(containerId: string, points: readonly MountPointRecord[]): Promise<void>;
  /** At removal; `removeVolumes` (docker rm -v) removes the anonymous volumes. */
  release(containerId: string, points: readonly MountPointRecord[], removeVolumes: boolean): Promise<void>;
  /** At daemon start, once every container is loaded: which containers hold which mounts. */
  restore?(containers: ReadonlyArray<{ id: string; points: readonly MountPointRecord[]; running: boolean }>): Promise<void>;
}
