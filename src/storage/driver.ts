// The graph driver interface: how one storage backend lays layers out on disk.
// The layer store (store.ts) is the only user; the rest of the engine talks
// to the store. Driver ids are opaque directory names (docker's "cache ids").

import type { Change } from './diff.js';
import type { WhiteoutMode } from './apply.js';
import type { TarMember } from './tar/writer.js';

export type DriverName = 'overlay2' | 'vfs';

export interface GraphDriver {
  readonly name: DriverName;
  /** The driver's own directory, e.g. <root>/overlay2. */
  readonly home: string;
  /** How whiteouts are stored in a layer's diff. */
  readonly whiteouts: WhiteoutMode;

  /** Creates the driver's directories; fails when the backend cannot work here. */
  init(): Promise<void>;
  /** A new layer on `parent` (null: a base layer). `writable`: a container's layer, to be mounted. */
  create(id: string, parent: string | null, writable: boolean): Promise<void>;
  /** Where a layer tar is unpacked, and whether that directory starts empty. */
  applyDir(id: string, parent: string | null): { dir: string; empty: boolean };
  /** Overlay: diff dirs of the layer's ancestors, nearest first ([] for vfs). */
  lowerDiffDirs(id: string): Promise<string[]>;
  remove(id: string): Promise<void>;
  /** Ids of every layer directory on disk (for garbage collection at open). */
  list(): Promise<string[]>;
  /** Drops whatever a crash left half-made inside the driver's home (dangling links...). */
  cleanup(live: Set<string>): Promise<void>;

  /** The root filesystem of layer `id` (mounting it if needed); reference counted. */
  mount(id: string): Promise<string>;
  /** Drops one reference taken by mount(); unmounts at zero. `force`: drop them all. */
  unmount(id: string, force?: boolean): Promise<void>;
  /** Mount references held on `id`. */
  mountCount(id: string): number;
  /** Where mount() mounts `id`, or null when it mounts nothing (vfs). */
  mountPath(id: string): string | null;

  changes(id: string, parent: string | null): Promise<Change[]>;
  diffSize(id: string, parent: string | null): Promise<number>;
  /** The layer's changes as OCI layer tar members (whiteouts in OCI form). */
  diffMembers(id: string, parent: string | null): AsyncIterable<TarMember>;

  /** GraphDriver.Data of `docker inspect`, or null (vfs). */
  metadata(id: string): Promise<Record<string, string> | null>;
  /** DriverStatus lines of `docker info`. */
  status(): Array<[string, string]>;
}

/** Names of filesystems by statfs magic, as docker prints "Backing Filesystem". */
const FS_NAMES: Record<number, string> = {
  0xef53: 'extfs',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x2fc12fc1: 'zfs',
  0x6969: 'nfs',
  0xf2f52010: 'f2fs',
  0x858458f6: 'ramfs',
  0x61756673: 'aufs',
  0xf15f: 'ecryptfs',
  0x73717368: 'squashfs',
  0x65735546: 'fuse',
  0x5346544e: 'ntfs',
  0x4244: 'hfs',
  0x3153464a: 'jfs',
  0x52654973: 'reiserfs',
  0x137d: 'ext',
  0xcafe4a11: 'bpf',
};

export function filesystemName(magic: number): string {
  return FS_NAMES[magic] ?? '<unknown>';
}
