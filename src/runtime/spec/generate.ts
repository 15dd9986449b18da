// The OCI runtime config of a container, as dockerd builds it at start (moby
// oci.DefaultSpec + daemon/oci_linux.go createSpec): the lifecycle resolves
// what needs the world (rootfs, volumes, network files, namespace paths of
// other containers, the cgroup path) and this module decides everything else
// from the Docker Config/HostConfig and the host's abilities.
import { statSync } from 'node:fs';
import { invalidParameter, systemError } from '../../common/errors.js';
import {
  cgroupnsMode,
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  DEFAULT_SHM_SIZE,
  ipcMode,
  networkMode,
  pidMode,
  utsMode,
  type HostConfig,
  type Ulimit,
} from '../container-config.js';
import type { ContainerConfig } from '../../common/container-config.js';
import { processCapabilities, tweakCapabilities } from './capabilities.js';
import { containerDevices } from './devices.js';
import type { HostInfo } from './host.js';
import { buildMounts, hostConfigTmpfs } from './mounts.js';
import { cleanPath } from '../../common/go-path.js';
import type { BindMountSpec, ContainerMount } from '../mount-contract.js';
import { buildRlimits, containerEnv } from './process.js';
import { buildResources } from './resources.js';
import { containerSeccomp } from './seccomp.js';
import { parseSecurityOpt } from './security.js';
import { validateSysctls } from './sysctl.js';
import type { OciMount, OciNamespace, OciNamespaceType, OciProcess, OciSpec } from './types.js';
import { resolveUser, type ResolvedUser } from './user.js';

/** The OCI version berth writes: what runc 1.1 (the runtime here) declares as its maximum. */
export const OCI_VERSION = '1.0.2-dev';

/** Where dockerd mounts the init binary inside the container. */
export const CONTAINER_INIT_PATH = '/sbin/docker-init';

export interface DaemonSpecOptions {
  /** dockerd --init: run an init as PID 1 unless the container says otherwise. */
  init?: boolean;
  /** dockerd --seccomp-profile: a profile (JSON text), "builtin" or "unconfined". */
  seccompProfile?: string;
  /** dockerd --no-new-privileges */
  noNewPrivileges?: boolean;
  /** dockerd --default-ulimit */
  defaultUlimits?: Ulimit[];
}

export interface SpecInput {
  /** Docker's Config as stored: the image's Env, User, WorkingDir already merged in. */
  config: ContainerConfig;
  /** Docker's HostConfig as stored (validateHostConfig + adaptHostConfig). */
  hostConfig: HostConfig;
  host: HostInfo;
  /** Absolute host path of the container's root filesystem. */
  rootfs: string;
  /** The command: Entrypoint + Cmd as the lifecycle resolved them. */
  args: string[];
  /**
   * Mounts resolved by the lifecycle, in dockerd's setupMounts order: binds
   * and volumes (-v, --mount bind/volume, --volumes-from). NOT the tmpfs of
   * HostConfig.Tmpfs / HostConfig.Mounts (added here), NOT /etc files and
   * /dev/shm (see etcFiles and shmPath).
   */
  mounts?: ContainerMount[];
  /** Host paths of the files bound at /etc/resolv.conf, /etc/hostname, /etc/hosts (read-only with --read-only). */
  etcFiles?: { resolvConf?: string; hostname?: string; hosts?: string };
  /**
   * The directory bound at /dev/shm when IpcMode is shareable or
   * container:<id> (the owner's shm); for IpcMode host it defaults to /dev/shm.
   */
  shmPath?: string;
  /**
   * Namespaces to join, as paths (/proc/<pid>/ns/net, a netns bind mount):
   * required for container:<id> modes; for network also any pre-made netns.
   * For host modes leave them out: the namespace is then not unshared.
   */
  namespacePaths?: Partial<Record<'network' | 'pid' | 'ipc' | 'uts' | 'cgroup', string>>;
  /** linux.cgroupsPath: "/docker/<id>" (cgroupfs) or "system.slice:docker:<id>" (systemd); see defaultCgroupsPath. */
  cgroupsPath: string;
  /** Host path of the init binary (docker-init/tini) for --init. */
  initPath?: string;
  /** Legacy --link environment variables. */
  linkedEnv?: string[];
  daemon?: DaemonSpecOptions;
  /** Skip reading passwd/group: use this resolution. */
  user?: ResolvedUser;
  /** Test hooks: where /dev is, how /proc/self/mountinfo reads. */
  devRoot?: string;
  mountinfo?: () => Promise<string>;
}

export interface SpecResult {
  spec: OciSpec;
  /** Things dockerd would log or the lifecycle should tell the user (rlimits lowered, privileged device remaps...). */
  warnings: string[];
  user: ResolvedUser;
}

/** dockerd's cgroup path for a container (moby daemon WithCgroups). */
export function defaultCgroupsPath(id: string, driver: 'cgroupfs' | 'systemd', cgroupParent?: string, rootless = false): string {
  if (driver === 'systemd') {
    const parent = cgroupParent || (rootless ? 'user.slice' : 'system.slice');
    return `${parent}:docker:${id}`;
  }
  const parent = cgroupParent || '/docker';
  return cleanPath(`${parent.startsWith('/') ? '' : '/'}${parent}/${id}`);
}

function isHostNetnsPath(p: string): boolean {
  try {
    const a = statSync('/proc/self/ns/net');
    const b = statSync(p);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

function namespaces(input: SpecInput): OciNamespace[] {
  const hc = input.hostConfig;
  const paths = input.namespacePaths ?? {};
  const ns: OciNamespace[] = [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }];
  const set = (type: OciNamespaceType, p?: string): void => {
    const entry: OciNamespace = p ? { type, path: p } : { type };
    const i = ns.findIndex((n) => n.type === type);
    if (i >= 0) ns[i] = entry;
    else ns.push(entry);
  };
  const remove = (type: OciNamespaceType): void => {
    const i = ns.findIndex((n) => n.type === type);
    if (i >= 0) ns.splice(i, 1);
  };
  const need = (what: string, mode: string): never => {
    throw systemError(`cannot join the ${what} namespace of ${mode}: the lifecycle gave no namespace path`);
  };

  if (!input.config.NetworkDisabled) {
    const mode = hc.NetworkMode;
    if (paths.network) set('network', paths.network);
    else if (networkMode.isHost(mode)) remove('network');
    else if (networkMode.isContainer(mode)) need('network', mode!);
  }
  if (ipcMode.isContainer(hc.IpcMode)) set('ipc', paths.ipc ?? need('IPC', hc.IpcMode!));
  else if (ipcMode.isHost(hc.IpcMode)) remove('ipc');
  if (pidMode.isContainer(hc.PidMode)) set('pid', paths.pid ?? need('PID', hc.PidMode!));
  else if (pidMode.isHost(hc.PidMode)) remove('pid');
  if (utsMode.isHost(hc.UTSMode)) remove('uts');
  else if (paths.uts) set('uts', paths.uts);
  if (cgroupnsMode.isPrivate(hc.CgroupnsMode) && input.host.cgroupNamespaces) set('cgroup', paths.cgroup);
  return ns;
}

/** Build the OCI runtime config of a container. Throws EngineErrors with dockerd's messages. */
export async function generateSpec(input: SpecInput): Promise<SpecResult> {
  const { config, hostConfig: hc, host } = input;
  const warnings: string[] = [];
  const privileged = !!hc.Privileged;
  const security = parseSecurityOpt(hc.SecurityOpt, input.daemon?.noNewPrivileges ?? false);

  // User first: capabilities depend on the uid.
  const user = input.user ?? (await resolveUser(input.rootfs, config.User ?? '', hc.GroupAdd ?? []));
  const caps = tweakCapabilities(hc.CapAdd, hc.CapDrop, privileged, host.capabilities);

  // Init as PID 1 only in a private PID namespace (there is already one otherwise).
  let args = [...input.args];
  let initMount: OciMount | undefined;
  const wantInit = hc.Init ?? input.daemon?.init ?? false;
  if (wantInit && pidMode.isPrivate(hc.PidMode)) {
    if (!input.initPath) throw systemError('exec: "docker-init": executable file not found in $PATH');
    args = [CONTAINER_INIT_PATH, '--', ...args];
    initMount = { destination: CONTAINER_INIT_PATH, type: 'bind', source: input.initPath, options: ['bind', 'ro'] };
  }

  const hostname = config.Hostname ?? '';
  const tty = !!config.Tty;
  const [height = 0, width = 0] = hc.ConsoleSize ?? [];
  const process: OciProcess = {
    ...(tty ? { terminal: true } : {}),
    ...(tty && (height > 0 || width > 0) ? { consoleSize: { height, width } } : {}),
    user: { uid: user.uid, gid: user.gid, additionalGids: [...user.additionalGids] },
    args,
    env: containerEnv({ env: config.Env, hostname, tty, linkedEnv: input.linkedEnv ?? [], home: user.home }),
    cwd: config.WorkingDir || '/',
    capabilities: processCapabilities(caps, user.uid),
  };
  const rl = buildRlimits(hc.Ulimits, input.daemon?.defaultUlimits, host.rlimits, host.capabilities.includes('CAP_SYS_RESOURCE'));
  warnings.push(...rl.warnings);
  if (rl.rlimits.length) process.rlimits = rl.rlimits;
  if (security.noNewPrivileges) process.noNewPrivileges = true;
  // Without the docker-default AppArmor profile loaded, only an explicit profile (or unconfined) can be applied.
  if (host.apparmorEnabled) {
    if (security.apparmorProfile) process.apparmorProfile = security.apparmorProfile;
    else if (privileged) process.apparmorProfile = 'unconfined';
  }
  process.oomScoreAdj = hc.OomScoreAdj ?? 0;

  const ns = namespaces(input);
  const has = (t: OciNamespaceType): OciNamespace | undefined => ns.find((n) => n.type === t);

  // Sysctls: the domain name, dockerd's defaults for a network namespace of its own, then the user's.
  const sysctl: Record<string, string> = {};
  if (config.Domainname) sysctl['kernel.domainname'] = config.Domainname;
  if (networkMode.isPrivate(hc.NetworkMode)) {
    if (host.pingGroupRangeSysctl) sysctl['net.ipv4.ping_group_range'] = '0 2147483647';
    if (host.unprivilegedPortStartSysctl) sysctl['net.ipv4.ip_unprivileged_port_start'] = '0';
  }
  Object.assign(sysctl, hc.Sysctls ?? {});
  const netns = has('network');
  validateSysctls(sysctl, {
    ipc: !!has('ipc'),
    uts: !!has('uts'),
    privateNetwork: !!netns && !networkMode.isHost(hc.NetworkMode) && !(netns.path && isHostNetnsPath(netns.path)),
  });

  // Mounts.
  const mounts: ContainerMount[] = [...(input.mounts ?? [])];
  const userDest = new Set(mounts.map((m) => cleanPath(m.destination)));
  const etc = input.etcFiles ?? {};
  for (const [dest, source] of [
    ['/etc/resolv.conf', etc.resolvConf],
    ['/etc/hostname', etc.hostname],
    ['/etc/hosts', etc.hosts],
  ] as const) {
    if (!source || userDest.has(dest)) continue;
    const m: BindMountSpec = { type: 'bind', source, destination: dest, propagation: 'rprivate' };
    if (hc.ReadonlyRootfs) m.readOnly = true;
    mounts.push(m);
  }
  const ipc = hc.IpcMode;
  if (!userDest.has('/dev/shm') && !ipcMode.isPrivate(ipc) && !ipcMode.isEmpty(ipc) && !ipcMode.isNone(ipc)) {
    const shm = input.shmPath ?? (ipcMode.isHost(ipc) ? '/dev/shm' : undefined);
    if (!shm) throw systemError(`IPC mode ${ipc} needs the shm directory to bind at /dev/shm`);
    mounts.push({ type: 'bind', source: shm, destination: '/dev/shm', propagation: 'rprivate' });
  }
  const builtMounts = await buildMounts({
    mounts,
    tmpfs: hostConfigTmpfs(hc.Tmpfs, hc.Mounts),
    ...(initMount ? { initMount } : {}),
    readonlyRootfs: !!hc.ReadonlyRootfs,
    privileged,
    ipcNone: ipcMode.isNone(ipc),
    shmSize: hc.ShmSize || DEFAULT_SHM_SIZE,
    recursiveReadOnly: host.recursiveReadOnly,
    ...(input.mountinfo ? { mountinfo: input.mountinfo } : {}),
  });
  warnings.push(...builtMounts.warnings);

  // No device drivers (nvidia...) are registered: every request is refused as dockerd refuses it then.
  for (const req of hc.DeviceRequests ?? []) {
    const caps = `[${(req.Capabilities ?? []).map((c) => `[${c.join(' ')}]`).join(' ')}]`;
    throw invalidParameter(`could not select device driver ${JSON.stringify(req.Driver ?? '')} with capabilities: ${caps}`);
  }
  const dev = await containerDevices(hc.Devices, hc.DeviceCgroupRules, privileged, input.devRoot);
  warnings.push(...dev.warnings);
  const res = await buildResources(hc, host);
  warnings.push(...res.warnings);

  const seccomp = containerSeccomp(security, privileged, caps, host, input.daemon?.seccompProfile);
  warnings.push(...seccomp.warnings);

  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process,
    root: hc.ReadonlyRootfs ? { path: input.rootfs, readonly: true } : { path: input.rootfs },
    ...(has('uts') && hostname ? { hostname } : {}),
    mounts: builtMounts.mounts,
    linux: {
      ...(Object.keys(sysctl).length ? { sysctl } : {}),
      resources: { devices: dev.rules, ...res.resources },
      cgroupsPath: input.cgroupsPath,
      namespaces: ns,
      ...(dev.devices.length ? { devices: dev.devices } : {}),
      ...(seccomp.seccomp ? { seccomp: seccomp.seccomp } : {}),
      ...(builtMounts.rootfsPropagation ? { rootfsPropagation: builtMounts.rootfsPropagation } : {}),
    },
  };
  // Masked and read-only paths: none when privileged, unless the HostConfig names them.
  const masked = hc.MaskedPaths ?? (privileged ? undefined : DEFAULT_MASKED_PATHS);
  const readonly = hc.ReadonlyPaths ?? (privileged ? undefined : DEFAULT_READONLY_PATHS);
  if (masked?.length) spec.linux.maskedPaths = [...masked];
  if (readonly?.length) spec.linux.readonlyPaths = [...readonly];
  if (hc.Annotations && Object.keys(hc.Annotations).length) spec.annotations = { ...hc.Annotations };
  return { spec, warnings, user };
}
