// Devices: the device cgroup rules every container starts with (moby
// oci/defaults.go), `--device host[:container][:perms]` (moby
// oci.DevicesFromPath over runc's DeviceFromPath), `--device-cgroup-rule`, and
// the whole of /dev for --privileged (containerd oci.HostDevices).
import { promises as fs, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { errnoCode, invalidParameter } from '../../common/errors.js';
import type { DeviceMapping } from '../container-config.js';
import type { OciDevice, OciDeviceCgroup } from './types.js';

/**
 * Deny everything, then allow: zero, null, urandom, random, tty, console, and
 * deny /dev/fuse's 10:229 explicitly. runc creates null, zero, full, random,
 * urandom, tty, ptmx (and the console for a terminal) by itself.
 */
export function defaultDeviceCgroupRules(): OciDeviceCgroup[] {
  const c = (major: number, minor: number, allow = true): OciDeviceCgroup => ({ allow, type: 'c', major, minor, access: 'rwm' });
  return [{ allow: false, access: 'rwm' }, c(1, 5), c(1, 3), c(1, 9), c(1, 8), c(5, 0), c(5, 1), c(10, 229, false)];
}

const S_IFMT = 0o170000n;
const S_IFBLK = 0o060000n;
const S_IFCHR = 0o020000n;
const S_IFIFO = 0o010000n;

/** glibc's gnu_dev_major/minor. */
export function devMajor(rdev: bigint): number {
  return Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn & 0xffff_ffffn));
}
export function devMinor(rdev: bigint): number {
  return Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn & 0xffff_ffffn));
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
};

/** Go's text for an errno, which dockerd's messages carry. */
export function errnoText(err: unknown): string {
  const code = errnoCode(err);
  return (code && ERRNO_TEXT[code]) || (err instanceof Error ? err.message : String(err));
}

export class NotADeviceError extends Error {
  constructor() {
    super('not a device node');
  }
}

interface HostDevice {
  device: OciDevice;
  rule: OciDeviceCgroup;
}

function fromStat(st: BigIntStats, devPath: string, permissions: string): HostDevice {
  const fmt = st.mode & S_IFMT;
  let type: OciDevice['type'];
  if (fmt === S_IFBLK) type = 'b';
  else if (fmt === S_IFCHR) type = 'c';
  else if (fmt === S_IFIFO) type = 'p';
  else throw new NotADeviceError();
  const major = devMajor(st.rdev);
  const minor = devMinor(st.rdev);
  return {
    device: { path: devPath, type, major, minor, fileMode: Number(st.mode & ~S_IFMT), uid: Number(st.uid), gid: Number(st.gid) },
    rule: { allow: true, type: type as 'c' | 'b', major, minor, access: permissions },
  };
}

/** runc devices.DeviceFromPath: lstat a device node (symlinks are not devices). */
export async function deviceFromPath(devPath: string, permissions: string): Promise<HostDevice> {
  return fromStat(await fs.lstat(devPath, { bigint: true }), devPath, permissions);
}

/**
 * `--device` (moby oci.DevicesFromPath): a device node, or every device under
 * a directory, with the container path substituted for the host path; a
 * symlink on the host is followed first.
 */
export async function devicesFromPath(
  pathOnHost: string,
  pathInContainer: string,
  permissions: string,
): Promise<{ devices: OciDevice[]; rules: OciDeviceCgroup[] }> {
  let resolved = pathOnHost;
  try {
    if ((await fs.lstat(pathOnHost)).isSymbolicLink()) resolved = await fs.realpath(pathOnHost);
  } catch {
    // keep the given path; the lstat below reports the error
  }
  const devices: OciDevice[] = [];
  const rules: OciDeviceCgroup[] = [];
  let firstError: unknown;
  try {
    const d = await deviceFromPath(resolved, permissions);
    d.device.path = pathInContainer;
    return { devices: [d.device], rules: [d.rule] };
  } catch (err) {
    firstError = err;
  }
  if (firstError instanceof NotADeviceError) {
    let isDir = false;
    try {
      isDir = (await fs.stat(resolved)).isDirectory();
    } catch {
      isDir = false;
    }
    if (isDir) {
      const walk = async (dir: string): Promise<void> => {
        const entries = (await fs.readdir(dir)).sort();
        for (const name of entries) {
          const p = path.join(dir, name);
          try {
            const d = await deviceFromPath(p, permissions);
            d.device.path = p.replace(resolved, pathInContainer);
            devices.push(d.device);
            rules.push(d.rule);
          } catch {
            // not a device: descend into directories, ignore the rest (filepath.Walk)
          }
          try {
            const st = await fs.lstat(p);
            if (st.isDirectory()) await walk(p);
          } catch {
            // vanished while walking
          }
        }
      };
      await walk(resolved);
    }
  }
  if (devices.length > 0) return { devices, rules };
  throw invalidParameter(
    `error gathering device information while adding custom device ${JSON.stringify(pathOnHost)}: ${errnoText(firstError)}`,
  );
}

const SKIPPED_DEV_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** Every device node under /dev for --privileged (containerd oci.HostDevices). */
export async function hostDevices(devRoot = '/dev'): Promise<OciDevice[]> {
  const out: OciDevice[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIPPED_DEV_DIRS.has(e.name)) await walk(p);
        continue;
      }
      if (e.name === 'console') continue;
      try {
        const d = await deviceFromPath(p, 'rwm');
        if (d.device.type !== 'p') out.push(d.device);
      } catch (err) {
        if (err instanceof NotADeviceError || errnoCode(err) === 'ENOENT') continue;
        throw err;
      }
    }
  };
  await walk(devRoot);
  return out;
}

const CGROUP_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** `--device-cgroup-rule 'c 42:* rmw'` (moby oci.AppendDevicePermissionsFromCgroupRules). */
export function parseDeviceCgroupRule(rule: string): OciDeviceCgroup {
  const m = CGROUP_RULE.exec(rule);
  if (!m) throw invalidParameter(`invalid device cgroup rule format: '${rule}'`);
  return {
    allow: true,
    type: m[1] as 'a' | 'c' | 'b',
    major: m[2] === '*' ? -1 : Number(m[2]),
    minor: m[3] === '*' ? -1 : Number(m[3]),
    access: m[4]!,
  };
}

export interface ContainerDevices {
  devices: OciDevice[];
  rules: OciDeviceCgroup[];
  warnings: string[];
}

/** The linux.devices list and device cgroup rules of a container (moby WithDevices). */
export async function containerDevices(
  mappings: readonly DeviceMapping[] | null | undefined,
  cgroupRules: readonly string[] | null | undefined,
  privileged: boolean,
  devRoot = '/dev',
): Promise<ContainerDevices> {
  const warnings: string[] = [];
  const devices: OciDevice[] = [];
  if (privileged) {
    devices.push(...(await hostDevices(devRoot)));
    for (const m of mappings ?? []) {
      if (m.CgroupPermissions !== 'rwm') {
        warnings.push(`custom ${m.CgroupPermissions} permissions for device ${m.PathOnHost} are ignored in privileged mode`);
      }
      if (m.PathOnHost === m.PathInContainer) {
        warnings.push(`path in container ${m.PathInContainer} already exists in privileged mode`);
        continue;
      }
      devices.push(...(await devicesFromPath(m.PathOnHost, m.PathInContainer, 'rwm')).devices);
    }
    return { devices, rules: [{ allow: true, access: 'rwm' }], warnings };
  }
  const rules = defaultDeviceCgroupRules();
  for (const m of mappings ?? []) {
    const d = await devicesFromPath(m.PathOnHost, m.PathInContainer, m.CgroupPermissions);
    devices.push(...d.devices);
    rules.push(...d.rules);
  }
  for (const r of cgroupRules ?? []) rules.push(parseDeviceCgroupRule(r));
  return { devices, rules, warnings };
}
