// Mounts: dockerd's default filesystems (moby oci/defaults.go), the mounts the
// lifecycle resolved (binds, volumes, /etc files, the IPC /dev/shm), --tmpfs,
// and how they combine (moby daemon/oci_linux.go WithMounts): a user mount
// replaces the default at its destination, a user /dev drops every default
// under /dev, --read-only marks the remaining defaults read-only, privileged
// makes /sys and the cgroup mount writable.
import { promises as fs } from 'node:fs';
import { invalidParameter } from '../../common/errors.js';
import type { BindMountSpec, ContainerMount, Mount, TmpfsMountSpec } from '../mount-contract.js';
import type { OciMount } from './types.js';
import { cleanPath } from '../../common/go-path.js';

/** The mounts every container gets, in dockerd's order. /dev/shm gets its size later. */
export function defaultMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777'] },
  ];
}

// Mount flags by option name, as moby/sys/mount knows them: the value groups
// options that set and clear the same flag (exec/noexec share NOEXEC).
const MS_RDONLY = 0x1;
const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;
const MS_NOEXEC = 0x8;
const MS_SYNCHRONOUS = 0x10;
const MS_REMOUNT = 0x20;
const MS_MANDLOCK = 0x40;
const MS_DIRSYNC = 0x80;
const MS_NOATIME = 0x400;
const MS_NODIRATIME = 0x800;
const MS_BIND = 0x1000;
const MS_REC = 0x4000;
const MS_UNBINDABLE = 0x20000;
const MS_PRIVATE = 0x40000;
const MS_SLAVE = 0x80000;
const MS_SHARED = 0x100000;
const MS_RELATIME = 0x200000;
const MS_STRICTATIME = 0x1000000;
const PROPAGATION = MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED;

const MOUNT_FLAGS: Record<string, number> = {
  ro: MS_RDONLY,
  rw: MS_RDONLY,
  suid: MS_NOSUID,
  nosuid: MS_NOSUID,
  dev: MS_NODEV,
  nodev: MS_NODEV,
  exec: MS_NOEXEC,
  noexec: MS_NOEXEC,
  sync: MS_SYNCHRONOUS,
  async: MS_SYNCHRONOUS,
  dirsync: MS_DIRSYNC,
  remount: MS_REMOUNT,
  mand: MS_MANDLOCK,
  nomand: MS_MANDLOCK,
  atime: MS_NOATIME,
  noatime: MS_NOATIME,
  diratime: MS_NODIRATIME,
  nodiratime: MS_NODIRATIME,
  bind: MS_BIND,
  rbind: MS_BIND | MS_REC,
  unbindable: MS_UNBINDABLE,
  runbindable: MS_UNBINDABLE | MS_REC,
  private: MS_PRIVATE,
  rprivate: MS_PRIVATE | MS_REC,
  shared: MS_SHARED,
  rshared: MS_SHARED | MS_REC,
  slave: MS_SLAVE,
  rslave: MS_SLAVE | MS_REC,
  relatime: MS_RELATIME,
  norelatime: MS_RELATIME,
  strictatime: MS_STRICTATIME,
  nostrictatime: MS_STRICTATIME,
};

const TMPFS_DATA_KEYS = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

/**
 * moby/sys/mount MergeTmpfsOptions: the last of each flag family and of each
 * data key wins, order otherwise kept; unknown options are refused.
 */
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const flagSeen = new Set<number>();
  const dataSeen = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const option = options[i]!;
    if (option === 'defaults') continue;
    const flag = MOUNT_FLAGS[option];
    if (flag !== undefined) {
      const key = flag & PROPAGATION ? -1 : flag;
      if (!flagSeen.has(key)) {
        out.unshift(option);
        flagSeen.add(key);
      }
      continue;
    }
    const eq = option.indexOf('=');
    const parts = eq < 0 ? [option] : [option.slice(0, eq), option.slice(eq + 1)];
    if (parts.length !== 2 || !TMPFS_DATA_KEYS.has(parts[0]!)) {
      throw invalidParameter(`invalid tmpfs option [${parts.map((p) => JSON.stringify(p)).join(' ')}]`);
    }
    if (!dataSeen.has(parts[0]!)) {
      out.unshift(option);
      dataSeen.add(parts[0]!);
    }
  }
  return out;
}

/** The OCI options of a tmpfs: docker's noexec,nosuid,nodev,rprivate then the user's. */
export function tmpfsMountOptions(data: string | undefined): string[] {
  const opts = ['noexec', 'nosuid', 'nodev', 'rprivate'];
  if (data) opts.push(...data.split(','));
  return mergeTmpfsOptions(opts);
}

/**
 * HostConfig.Mounts[type=tmpfs] as a --tmpfs option string (moby volume/mounts
 * ConvertTmpfsOptions): ro, mode in octal, size with the largest exact suffix,
 * then the API 1.46 Options pairs.
 */
export function tmpfsOptionsFromMount(m: Mount): string {
  const raw: string[] = [];
  if (m.ReadOnly) raw.push('ro');
  const t = m.TmpfsOptions;
  if (t?.Mode) raw.push(`mode=${t.Mode.toString(8)}`);
  if (t?.SizeBytes) {
    let size = t.SizeBytes;
    let suffix = '';
    for (const [s, d] of [['g', 1 << 30], ['m', 1 << 20], ['k', 1 << 10]] as const) {
      if (size % d === 0) {
        size = size / d;
        suffix = s;
        break;
      }
    }
    raw.push(`size=${size}${suffix}`);
  }
  for (const o of t?.Options ?? []) raw.push(o.join('='));
  return raw.join(',');
}

/** The tmpfs mounts of HostConfig.Tmpfs and HostConfig.Mounts (moby container.TmpfsMounts). */
export function hostConfigTmpfs(tmpfs: Record<string, string> | null | undefined, mounts: readonly Mount[] | null | undefined): TmpfsMountSpec[] {
  const out: TmpfsMountSpec[] = [];
  for (const dest of Object.keys(tmpfs ?? {}).sort()) out.push({ type: 'tmpfs', destination: dest, options: tmpfs![dest] ?? '' });
  for (const m of mounts ?? []) {
    if (m.Type === 'tmpfs' && m.Target) out.push({ type: 'tmpfs', destination: m.Target, options: tmpfsOptionsFromMount(m) });
  }
  return out;
}

function depth(dest: string): number {
  return cleanPath(dest).split('/').length - 1;
}

// --- propagation checks (moby ensureShared / ensureSharedOrSlave) ---------

interface MountInfoEntry {
  mountpoint: string;
  optional: string;
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6) continue;
    out.push({ mountpoint: unescapeMountinfo(fields[4]!), optional: fields.slice(6, dash).join(' ') });
  }
  return out;
}

async function sourceMount(source: string, mountinfoText: string): Promise<MountInfoEntry> {
  const real = await fs.realpath(source);
  let best: MountInfoEntry | undefined;
  for (const m of parseMountinfo(mountinfoText)) {
    const mp = m.mountpoint;
    const parent = mp === '/' || real === mp || real.startsWith(mp.endsWith('/') ? mp : mp + '/');
    if (parent && (!best || mp.length >= best.mountpoint.length)) best = m;
  }
  if (!best) throw new Error(`Can't find mount point of ${source}`);
  return best;
}

const hasOption = (optional: string, ...prefixes: string[]): boolean =>
  optional.split(' ').some((o) => prefixes.some((p) => o.startsWith(p)));

export interface MountBuildInput {
  /** Lifecycle-resolved mounts: binds, volumes, and any tmpfs it wants added. */
  mounts: readonly ContainerMount[];
  /** HostConfig.Tmpfs and HostConfig.Mounts[type=tmpfs], already converted. */
  tmpfs: readonly TmpfsMountSpec[];
  /** Mount dockerd appends before the user's: the init binary at /sbin/docker-init. */
  initMount?: OciMount;
  readonlyRootfs: boolean;
  privileged: boolean;
  ipcNone: boolean;
  shmSize: number;
  /** Kernel and runtime support "rro" (HostInfo.recursiveReadOnly). */
  recursiveReadOnly: boolean;
  /** /proc/self/mountinfo text, needed only for shared/slave propagation checks. */
  mountinfo?: () => Promise<string>;
}

export interface MountBuildResult {
  mounts: OciMount[];
  rootfsPropagation?: string;
  /** Destinations of the user's mounts: masked/readonly paths under them are left alone by runc anyway. */
  userDestinations: Set<string>;
  warnings: string[];
}

function bindOptions(m: BindMountSpec, recursiveReadOnly: boolean): string[] {
  const opts = [m.nonRecursive ? 'bind' : 'rbind'];
  if (!m.readOnly) return opts;
  let rro = true;
  if (m.readOnlyNonRecursive) {
    rro = false;
    if (m.readOnlyForceRecursive) throw invalidParameter('mount options conflict: ReadOnlyNonRecursive && ReadOnlyForceRecursive');
  }
  if (!recursiveReadOnly) {
    rro = false;
    if (m.readOnlyForceRecursive) {
      throw invalidParameter('recursively read-only mounts are not supported by this kernel (needs 5.12) or OCI runtime');
    }
  }
  opts.push(rro ? 'rro' : 'ro');
  return opts;
}

/** The final mount list of a container, in dockerd's order. */
export async function buildMounts(input: MountBuildInput): Promise<MountBuildResult> {
  const warnings: string[] = [];
  const tmpfsDests = new Set(input.tmpfs.map((t) => cleanPath(t.destination)));
  // The user's mounts, tmpfs last; a bind on a --tmpfs destination is dropped as dockerd's setupMounts drops it.
  const ms: ContainerMount[] = [
    ...input.mounts.filter((m) => m.type === 'tmpfs' || !tmpfsDests.has(cleanPath(m.destination))),
    ...input.tmpfs,
  ];
  const withDepth = ms.map((m, i) => ({ m, i, d: depth(m.destination) }));
  withDepth.sort((a, b) => a.d - b.d || a.i - b.i);
  const sorted = withDepth.map((x) => x.m);

  const userDestinations = new Set(sorted.map((m) => cleanPath(m.destination)));
  const mountDev = userDestinations.has('/dev');

  const base = defaultMounts();
  if (input.initMount) base.push(input.initMount);
  const out: OciMount[] = [];
  for (const m of base) {
    if (userDestinations.has(m.destination)) continue;
    if (mountDev && m.destination.startsWith('/dev/')) continue;
    if (m.destination === '/dev/shm') {
      if (input.ipcNone) continue;
      m.options = [...(m.options ?? []), `size=${input.shmSize}`];
    }
    out.push(m);
  }

  let rootfsPropagation: string | undefined;
  for (const m of sorted) {
    if (m.type === 'tmpfs') {
      out.push({ destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: tmpfsMountOptions(m.options) });
      continue;
    }
    let propagation = m.propagation;
    if (propagation === 'shared' || propagation === 'rshared') {
      const sm = await sourceMount(m.source, await readMountinfo(input));
      if (!hasOption(sm.optional, 'shared:')) {
        throw invalidParameter(`path ${m.source} is mounted on ${sm.mountpoint} but it is not a shared mount`);
      }
      if (rootfsPropagation !== 'shared' && rootfsPropagation !== 'rshared') rootfsPropagation = 'shared';
    } else if (propagation === 'slave' || propagation === 'rslave') {
      const sm = await sourceMount(m.source, await readMountinfo(input));
      if (!hasOption(sm.optional, 'shared:', 'master:')) {
        if (!m.propagationDefaulted) {
          throw invalidParameter(`path ${m.source} is mounted on ${sm.mountpoint} but it is not a shared or slave mount`);
        }
        warnings.push(`Falling back to default propagation for bind source in daemon root: ${m.source}`);
        propagation = undefined;
      } else if (!['shared', 'rshared', 'slave', 'rslave'].includes(rootfsPropagation ?? '')) {
        rootfsPropagation = 'rslave';
      }
    }
    const options = bindOptions(m, input.recursiveReadOnly);
    if (propagation) options.push(propagation);
    out.push({ destination: m.destination, type: 'bind', source: m.source, options });
  }

  if (input.readonlyRootfs) {
    for (const m of out) {
      if (['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev'].includes(m.destination)) continue;
      if (userDestinations.has(cleanPath(m.destination))) continue;
      if (!m.options?.includes('ro')) m.options = [...(m.options ?? []), 'ro'];
    }
  }
  if (input.privileged) {
    for (const m of out) {
      if (m.destination === '/sys' || m.type === 'cgroup') m.options = (m.options ?? []).filter((o) => o !== 'ro');
    }
  }
  return { mounts: out, ...(rootfsPropagation ? { rootfsPropagation } : {}), userDestinations, warnings };
}

function readMountinfo(input: MountBuildInput): Promise<string> {
  return input.mountinfo ? input.mountinfo() : fs.readFile('/proc/self/mountinfo', 'utf8');
}
