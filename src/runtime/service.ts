// The container lifecycle as dockerd runs it, on conmon and an OCI runtime:
// create, start, stop, kill, wait, restart, pause, remove, rename, update,
// attach, logs, resize, list and inspect, restart policies, --rm, and live
// restore (every container is re-adopted when berthd starts again).
//
// A run of a container goes: mount the root filesystem → prepare the network
// namespace → write /etc files, the OCI bundle → conmon runs `<runtime>
// create` → pending attaches connect → start → ... → conmon writes the exit
// file → state, events, waiters → cleanup (runtime state, network, mounts) →
// restart policy or --rm.
import { promises as fs, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { conflict, errorMessage, EngineError, invalidParameter, isEngineError, notFound, notModified, systemError } from '../common/errors.js';
import type { EventPublisher } from '../common/events.js';
import type { Logger } from '../common/log.js';
import { formatRfc3339Nano, nanoOf, nowNano, ZERO_TIME } from '../common/time.js';
import type { Filters } from '../api/http/filters.js';
import {
  adaptHostConfig,
  networkMode as netMode,
  parseSignal,
  validateContainerConfig,
  validateHostConfig,
  type ContainerCreateRequest,
  type HostConfig,
  type Resources,
  type RestartPolicy,
  type Ulimit,
} from './container-config.js';
import type { ContainerConfig } from '../common/container-config.js';
import { defaultCgroupsPath, generateSpec, serializeSpec, type HostInfo as SpecHostInfo, type OciSpec } from './spec/index.js';
import { ensureWorkingDir } from './spec/rootfs.js';
import { buildResources } from './spec/resources.js';
import { bridgeAttach, ConmonAttachConnection, DEFAULT_DETACH_KEYS, parseDetachKeys } from './attach.js';
import { attachSocketPath, createUnderConmon, findConmon, reopenLog, resizeTerminal, RuntimeCreateError, type CreatedContainer } from './conmon.js';
import { buildHostname, buildHosts, buildResolvConf, readHostResolvConf } from './etc-files.js';
import { ExitWatcher } from './exit-watcher.js';
import { conmonLogFor, logFilePath, LogRotator, readLogs, removeLogFiles, resolveLogConfig, type LogEntry, type LogSelection, type ReadLogsOptions, type ResolvedLogConfig } from './logs.js';
import { entrypointAndArgs, finalizeConfig, mergeImageConfig } from './merge.js';
import { newState, statusOf, type ContainerRecord } from './model.js';
import type { MountResolver } from './mount-contract.js';
import { generateName, normalizeName } from './names.js';
import { emptyNetworkSettings, endpointSettings, stoppedNetworkSettings, type NetworkAttachers } from './network.js';
import type { EndpointSettings, HostsEntry, NetworkAttacher, NetworkContainerDirectory, NetworkRequest, PreparedNetwork } from './network-contract.js';
import { OciRuntime, type RuntimeDescriptor } from './oci-runtime.js';
import type { ImageProvider, RwLayerStore } from './ports.js';
import { ContainerDirs, NameIndex } from './store.js';
import { HealthMonitor, probeCommand } from './health.js';
import { RwLayerPool } from './rw-pool.js';
import { deferred, generateId, KeyedLock, processStartTime, sameProcess, shortId, type Deferred } from './util.js';

export interface RuntimeSettings {
  dataRoot: string;
  execRoot: string;
  runtimes: Record<string, { path: string; runtimeArgs?: string[] }>;
  defaultRuntime: string;
  logDriver: string;
  logOpts: Record<string, string>;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  defaultShmSize: number;
  /** Parent of containers' cgroups (default /berth). */
  cgroupParent?: string;
  cgroupDriver?: 'cgroupfs' | 'systemd';
  defaultUlimits?: Ulimit[];
  /** dockerd --init */
  init?: boolean;
  /** The init binary; default tini-static or tini from the host. */
  initPath?: string;
  /** What host-gateway means in --add-host when no network says otherwise. */
  hostGateway?: string;
  conmonPath?: string;
  seccompProfile?: string;
  noNewPrivileges?: boolean;
}

export interface ContainerServiceDeps {
  settings: () => RuntimeSettings;
  logger: Logger;
  events: EventPublisher;
  images: ImageProvider;
  layers: RwLayerStore;
  host: SpecHostInfo;
  networks: NetworkAttachers;
  mounts: MountResolver;
}

export interface CreateResult {
  Id: string;
  Warnings: string[];
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface WaitResult {
  StatusCode: number;
  Error: { Message: string } | null;
}

/** docker logs: the records to read and how the API shows them. */
export interface LogsOptions extends LogSelection {
  timestamps: boolean;
  details: boolean;
}

export interface AttachRequest {
  stream: boolean;
  logs: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string;
  /** API >= 1.42 frames non-TTY output (multiplexed-stream). */
  multiplexed: boolean;
}

/** A run of a container: from runtime create to the cleanup after its exit. */
class Run {
  rootfs = '';
  rootfsMounted = false;
  netAttacher: NetworkAttacher | undefined;
  netReq: NetworkRequest | undefined;
  net: PreparedNetwork | undefined;
  mountsActive = false;
  created: CreatedContainer | undefined;
  initStartTime: string | undefined;
  conmonStartTime = '';
  started = false;
  readonly exited: Deferred<number> = deferred<number>();
  rotator: LogRotator | undefined;
  cleanup: Promise<void> | undefined;
  stopRequested = false;
  /** Created by the runtime ahead of the start request (see prestart()); discarded when not started in time. */
  idleTimer: NodeJS.Timeout | undefined;
  health: HealthMonitor | undefined;
  constructor(
    readonly bundle: string,
    readonly runtime: OciRuntime,
  ) {}
}

interface PendingAttach {
  connect(socketPath: string): Promise<void>;
  abort(): void;
}

class Container {
  run: Run | undefined;
  readonly removed: Deferred<number> = deferred<number>();
  nextExit: Array<Deferred<number>> = [];
  readonly pendingAttach = new Set<PendingAttach>();
  readonly execs = new Set<string>();
  restartTimeoutMs = 0;
  restartCanceled = false;
  restartTimer: NodeJS.Timeout | undefined;
  /** The last cleanup of a run; a new run waits for it. */
  lastCleanup: Promise<void> = Promise.resolve();
  constructor(
    public rec: ContainerRecord,
    public log: ResolvedLogConfig,
  ) {}
  get id(): string {
    return this.rec.ID;
  }
  get name(): string {
    return this.rec.Name;
  }
}

// BERTH_TRACE=1 logs where the time of a container's life goes (create → start → exit → removal).
const TRACE = process.env.BERTH_TRACE === '1';
const traceMarks = new Map<string, Array<[string, number]>>();
function trace(id: string, label: string, at = performance.now()): void {
  if (!TRACE) return;
  let marks = traceMarks.get(id);
  if (!marks) traceMarks.set(id, (marks = []));
  marks.push([label, at]);
  if (label === 'removed' || label === 'exit-resolved') {
    const t0 = marks[0]![1];
    process.stderr.write(`trace ${id.slice(0, 12)} ${marks.map(([l, t]) => `${l}=${(t - t0).toFixed(1)}`).join(' ')}\n`);
    if (label === 'removed') traceMarks.delete(id);
  }
}

/** How long a container created by the runtime ahead of its start may wait for it. */
const PRESTART_IDLE_MS = 30_000;

/** Pre-creation needs nothing that can change before the start: no namespace of another container. */
function prestartable(hc: HostConfig): boolean {
  if (process.env.BERTH_NO_PRESTART === '1') return false;
  return !netMode.isContainer(hc.NetworkMode) && !hc.IpcMode?.startsWith('container:') && !hc.PidMode?.startsWith('container:');
}

const EXIT_CMD_NOT_FOUND = 127;
const EXIT_EACCES = 126;
const EXIT_UNKNOWN = 128;

/** moby's translation of a start error: exit code and whether it is the user's fault (400) or ours (500). */
export function classifyStartError(message: string): { exitCode: number; userError: boolean } {
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(message)) {
    return { exitCode: EXIT_CMD_NOT_FOUND, userError: true };
  }
  if (/permission denied|is a directory/.test(message)) return { exitCode: EXIT_EACCES, userError: true };
  return { exitCode: EXIT_UNKNOWN, userError: false };
}

function firstExisting(paths: string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

function lookPath(bin: string): string | undefined {
  if (bin.includes('/')) return existsSync(bin) ? bin : undefined;
  for (const dir of (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = path.join(dir, bin);
    if (existsSync(p)) return p;
  }
  return firstExisting([`/usr/sbin/${bin}`, `/usr/bin/${bin}`, `/sbin/${bin}`, `/bin/${bin}`]);
}

export class ContainerService {
  private readonly containers = new NameIndex<Container>();
  private readonly dirs: ContainerDirs;
  private readonly lock = new KeyedLock();
  private readonly exits: ExitWatcher;
  private readonly runtimes = new Map<string, OciRuntime>();
  private conmonPath = '';
  private readonly background = new Set<Promise<unknown>>();
  private shuttingDown = false;
  private hostResolv: { text: string; at: number } | undefined;
  private readonly rwPool: RwLayerPool;

  constructor(private readonly deps: ContainerServiceDeps) {
    const s = deps.settings();
    this.dirs = new ContainerDirs(path.join(s.dataRoot, 'containers'));
    this.exits = new ExitWatcher(path.join(s.execRoot, 'exits'), deps.logger);
    this.rwPool = new RwLayerPool(deps.layers, deps.logger);
  }

  private get settings(): RuntimeSettings {
    return this.deps.settings();
  }
  private get log(): Logger {
    return this.deps.logger;
  }

  // ---------------------------------------------------------------- paths

  private bundleDir(id: string): string {
    return path.join(this.settings.execRoot, 'containers', id);
  }
  get socketDir(): string {
    return path.join(this.settings.execRoot, 's');
  }
  containerDir(id: string): string {
    return this.dirs.dir(id);
  }

  runtimeFor(name: string | undefined): OciRuntime {
    const n = name || this.settings.defaultRuntime || 'runc';
    const cached = this.runtimes.get(n);
    if (cached) return cached;
    const configured = this.settings.runtimes[n];
    let binary: string | undefined;
    if (configured) binary = configured.path.includes('/') ? configured.path : lookPath(configured.path);
    else if (n === 'runc') binary = lookPath('runc');
    if (!binary) throw invalidParameter(`unknown or invalid runtime name: ${n}`);
    const desc: RuntimeDescriptor = {
      name: n,
      path: binary,
      args: configured?.runtimeArgs ?? [],
      root: path.join(this.settings.execRoot, n === 'runc' ? 'runc' : `runtime-${n}`),
      systemdCgroup: this.settings.cgroupDriver === 'systemd',
    };
    const rt = new OciRuntime(desc);
    this.runtimes.set(n, rt);
    return rt;
  }

  knownRuntimes(): string[] {
    return ['runc', ...Object.keys(this.settings.runtimes)];
  }

  // ---------------------------------------------------------------- startup

  /** Load every container, re-adopt the running ones, finish what a crash interrupted. */
  async init(): Promise<void> {
    const s = this.settings;
    await this.dirs.init();
    await fs.mkdir(path.join(s.execRoot, 'containers'), { recursive: true, mode: 0o700 });
    await fs.mkdir(this.socketDir, { recursive: true, mode: 0o700 });
    this.conmonPath = await findConmon(s.conmonPath);
    await this.exits.start();
    this.deps.images.setContainerUsage({
      imageUsers: () => this.containers.all().map((c) => ({ containerId: c.id, imageId: c.rec.Image, running: c.rec.State.Running })),
      releaseSpares: (chainId) => this.rwPool.drop(chainId),
    });

    const { records, incomplete } = await this.dirs.loadAll();
    for (const id of incomplete) {
      this.log.info('removing a container whose creation did not finish', { container: id });
      await this.deps.layers.removeRW(id).catch(() => undefined);
      await this.dirs.remove(id);
      await fs.rm(this.bundleDir(id), { recursive: true, force: true });
    }
    const known = new Set(records.map((r) => r.ID));
    for (const rw of await this.deps.layers.listRW().catch(() => [])) {
      if (!known.has(rw.id)) {
        this.log.info('removing a writable layer without a container', { layer: rw.id });
        await this.deps.layers.removeRW(rw.id).catch(() => undefined);
      }
    }
    for (const name of await fs.readdir(path.join(s.execRoot, 'containers')).catch(() => [] as string[])) {
      if (!known.has(name)) await fs.rm(this.bundleDir(name), { recursive: true, force: true });
    }

    const toStart: Container[] = [];
    for (const rec of records) {
      let logCfg: ResolvedLogConfig;
      try {
        logCfg = resolveLogConfig(rec.HostConfig.LogConfig, s.logDriver, s.logOpts);
      } catch {
        logCfg = { Type: 'json-file', Config: {}, maxSize: 0, maxFile: 1 };
      }
      const c = new Container(rec, logCfg);
      if (rec.State.RemovalInProgress) {
        this.log.info('finishing the removal of a container', { container: rec.ID });
        this.containers.add(c);
        this.containers.delete(rec.ID);
        this.track(this.destroyOnDisk(c, false));
        continue;
      }
      this.containers.add(c);
      try {
        const shouldStart = await this.restore(c);
        if (shouldStart) toStart.push(c);
      } catch (err) {
        this.log.error('failed to restore container', { container: rec.ID, err: errorMessage(err) });
      }
    }
    await this.sweepRuntimeLeftovers();
    await this.deps.mounts.restore?.(this.containers.all().map((c) => ({ id: c.id, points: c.rec.MountPoints, running: c.rec.State.Running })));
    // dockerd starts `always` and `unless-stopped` containers that are down when it comes up.
    for (const c of toStart) {
      this.track(
        this.start(c.id).catch((err) => this.log.warn('failed to start container at daemon start', { container: c.id, err: errorMessage(err) })),
      );
    }
  }

  /**
   * Runtime containers and bundles no run owns: a container the runtime
   * created ahead of its start (not recorded on disk) when the daemon died.
   */
  private async sweepRuntimeLeftovers(): Promise<void> {
    const owned = new Set(this.containers.all().filter((c) => c.run).map((c) => c.id));
    const roots = new Map<string, OciRuntime>();
    for (const name of this.knownRuntimes()) {
      try {
        const rt = this.runtimeFor(name);
        roots.set(rt.desc.root, rt);
      } catch {
        // a runtime whose binary is gone
      }
    }
    for (const [root, rt] of roots) {
      for (const id of await fs.readdir(root).catch(() => [] as string[])) {
        if (owned.has(id) || !/^[0-9a-f]{64}$/.test(id)) continue;
        this.log.info('removing a runtime container no run owns', { container: id });
        await rt.delete(id, true).catch(() => undefined);
      }
    }
    for (const id of await fs.readdir(path.join(this.settings.execRoot, 'containers')).catch(() => [] as string[])) {
      if (!owned.has(id)) await fs.rm(this.bundleDir(id), { recursive: true, force: true });
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.background.add(p);
    void p.finally(() => this.background.delete(p)).catch(() => undefined);
    return p;
  }

  /** Re-adopt a container after a daemon restart. Returns whether a restart policy wants it started. */
  private async restore(c: Container): Promise<boolean> {
    const rec = c.rec;
    const mon = rec.Monitor;
    const policy = rec.HostConfig.RestartPolicy?.Name ?? '';
    const wantsUp = policy === 'always' || (policy === 'unless-stopped' && !rec.HasBeenManuallyStopped);
    if (!mon) {
      if (rec.State.Running || rec.State.Restarting) {
        rec.State.Running = false;
        rec.State.Paused = false;
        rec.State.Restarting = false;
        rec.State.Pid = 0;
        if (rec.State.FinishedAt === ZERO_TIME) rec.State.FinishedAt = formatRfc3339Nano(nowNano());
        await this.dirs.save(rec);
      }
      return wantsUp && rec.HasBeenStartedBefore;
    }
    const runtime = this.runtimeFor(mon.runtime);
    const run = new Run(mon.bundle, runtime);
    const code = await this.exits.read(rec.ID);
    const conmonAlive = sameProcess(mon.conmonPid, mon.conmonStartTime);
    if (!rec.State.Running && code === undefined && conmonAlive) {
      // Created by the runtime but never started (the daemon died in between): discard that run.
      await runtime.delete(rec.ID, true).catch(() => undefined);
    }
    if (rec.State.Running && code === undefined && conmonAlive) {
      // Still running: adopt it.
      c.run = run;
      run.started = true;
      run.created = { pid: rec.State.Pid, conmonPid: mon.conmonPid };
      run.conmonStartTime = mon.conmonStartTime;
      run.initStartTime = processStartTime(rec.State.Pid);
      run.rootfs = await this.deps.layers.mountRW(rec.ID).catch(() => '');
      run.rootfsMounted = run.rootfs !== '';
      run.mountsActive = true;
      if (!netMode.isHost(rec.HostConfig.NetworkMode) && !netMode.isContainer(rec.HostConfig.NetworkMode)) {
        try {
          run.netAttacher = this.deps.networks.for(rec.HostConfig.NetworkMode ?? 'default');
          run.netReq = this.networkRequest(c);
        } catch {
          // the network is gone: released at exit as far as possible
        }
      }
      this.startRotator(c, run);
      this.startHealth(c, run, true);
      this.exits.watch(rec.ID, (exitCode) => void this.onExit(c, run, exitCode));
      const st = await runtime.state(rec.ID).catch(() => undefined);
      if (st) rec.State.Paused = st.status === 'paused';
      this.log.info('re-adopted running container', { container: rec.ID, pid: rec.State.Pid });
      return false;
    }
    // The process ended while berthd was away (or its monitor is gone).
    c.run = run;
    run.started = rec.State.Running;
    run.created = { pid: rec.State.Pid, conmonPid: mon.conmonPid };
    run.rootfsMounted = false;
    run.mountsActive = rec.State.Running;
    if (rec.State.Running) {
      try {
        run.netAttacher = this.deps.networks.for(rec.HostConfig.NetworkMode ?? 'default');
        run.netReq = this.networkRequest(c);
      } catch {
        // nothing to release
      }
      const exitCode = code ?? 255;
      if (code === undefined) rec.State.Error = 'container monitor exited unexpectedly';
      await this.onExit(c, run, exitCode, { restoring: true });
      return false;
    }
    await this.cleanupRun(c, run);
    c.run = undefined;
    delete rec.Monitor;
    await this.dirs.save(rec);
    return false;
  }

  /** Stop watching; containers keep running (live restore is always on). */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    this.exits.stop();
    for (const c of this.containers.all()) {
      void c.run?.rotator?.stop();
      if (c.restartTimer) clearTimeout(c.restartTimer);
      if (c.run && !c.run.started) this.track(this.discardPrestarted(c));
    }
    await Promise.allSettled([...this.background]);
    await this.rwPool.close();
  }

  // ---------------------------------------------------------------- lookup

  get(idOrName: string): Container {
    return this.containers.get(idOrName);
  }

  record(idOrName: string): ContainerRecord {
    return this.get(idOrName).rec;
  }

  all(): ContainerRecord[] {
    return this.containers.all().map((c) => c.rec);
  }

  counts(): { total: number; running: number; paused: number; stopped: number } {
    let running = 0;
    let paused = 0;
    let stopped = 0;
    for (const c of this.containers.all()) {
      const st = statusOf(c.rec.State);
      if (st === 'paused') paused++;
      else if (st === 'running' || st === 'restarting') running++;
      else stopped++;
    }
    return { total: this.containers.size, running, paused, stopped };
  }

  execIdsOf(id: string): string[] {
    return [...this.get(id).execs];
  }

  /** For the exec manager: register and forget exec sessions. */
  addExec(id: string, execId: string): void {
    this.get(id).execs.add(execId);
  }
  removeExec(id: string, execId: string): void {
    this.containers.find(id)?.execs.delete(execId);
  }

  /** Where a running container's processes are: for exec, top, stats, cp. */
  runningInfo(idOrName: string): { rec: ContainerRecord; runtime: OciRuntime; bundle: string; pid: number; rootfs: string } {
    const c = this.get(idOrName);
    const run = c.run;
    if (!c.rec.State.Running || !run?.started || !run.created) throw conflict(`Container ${c.id} is not running`);
    if (c.rec.State.Restarting) throw conflict(`Container ${c.id} is restarting, wait until the container is running`);
    return { rec: c.rec, runtime: run.runtime, bundle: run.bundle, pid: run.created.pid, rootfs: run.rootfs };
  }

  emit(c: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    const all: Record<string, string> = { ...(c.Config.Labels ?? {}), image: c.Config.Image ?? '', name: c.Name.replace(/^\//, ''), ...extra };
    // Go encodes maps with sorted keys.
    const attributes = Object.fromEntries(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    this.deps.events.publish({ Type: 'container', Action: action, Actor: { ID: c.ID, Attributes: attributes } });
  }

  // ---------------------------------------------------------------- create

  async create(body: ContainerCreateRequest, opts: { name?: string; platform?: string }): Promise<CreateResult> {
    const entered = performance.now();
    const s = this.settings;
    const userConfig: ContainerConfig = { ...body };
    delete (userConfig as { HostConfig?: unknown }).HostConfig;
    delete (userConfig as { NetworkingConfig?: unknown }).NetworkingConfig;
    if (!userConfig.Image) throw invalidParameter('No image specified');
    validateContainerConfig(userConfig);
    const validated = validateHostConfig(body.HostConfig ?? {}, userConfig, this.deps.host, { runtimes: this.knownRuntimes(), systemdCgroupDriver: s.cgroupDriver === 'systemd' });
    const warnings = [...validated.warnings];
    const hc = adaptHostConfig(validated.hostConfig, this.deps.host, { shmSize: s.defaultShmSize, runtime: s.defaultRuntime || 'runc' });
    if (hc.Runtime) this.runtimeFor(hc.Runtime);
    const logCfg = resolveLogConfig(hc.LogConfig, s.logDriver, s.logOpts);
    if (logCfg.Type === 'journald' && !existsSync('/run/systemd/journal/socket')) {
      throw invalidParameter('failed to initialize logging driver: journald is not enabled on this host');
    }
    hc.LogConfig = { Type: logCfg.Type, Config: logCfg.Config };

    const image = this.deps.images.resolveForContainer(userConfig.Image);
    if (opts.platform) {
      const [osName, arch] = opts.platform.split('/');
      if ((osName && osName !== image.config.os) || (arch && image.config.architecture && arch !== image.config.architecture)) {
        throw notFound(`image with reference ${userConfig.Image} was found but does not match the specified platform: wanted ${opts.platform}, actual: ${image.config.os}/${image.config.architecture}`);
      }
    }
    const config = mergeImageConfig(userConfig, image.config.config);
    const { path: cmdPath, args } = entrypointAndArgs(config);

    const chain = image.chainId || '';
    const spare = this.rwPool.take(chain);
    const id = spare ?? generateId();
    trace(id, 'create-entry', entered);
    trace(id, 'create-begin');
    const name = await this.reserveName(opts.name, id);
    const mode = hc.NetworkMode ?? 'default';
    finalizeConfig(config, id, { hostNetwork: netMode.isHost(mode), hostHostname: os.hostname(), imageRef: userConfig.Image });
    if (netMode.isContainer(mode)) {
      // A missing container is the start's "No such container" (dockerd creates; a 404 here would make docker run pull).
      const other = this.containers.find(mode.slice('container:'.length));
      if (other?.id === id) throw invalidParameter('cannot join own network');
    } else if (!netMode.isHost(mode) && mode !== 'none') {
      // An unknown network is the start's error, not the create's (moby: the network
      // may be created in between; a 404 here would make docker run pull the image).
      const attacher = this.networkAttacherIfKnown(mode);
      const endpoints: Record<string, EndpointSettings> = {};
      for (const [k, v] of Object.entries(body.NetworkingConfig?.EndpointsConfig ?? {})) if (v) endpoints[k] = v;
      await attacher?.validate?.({ ...this.networkRequestFor(id, name, config, hc), endpoints });
    }

    const endpointsConfig: Record<string, EndpointSettings> = {};
    for (const [k, v] of Object.entries(body.NetworkingConfig?.EndpointsConfig ?? {})) if (v) endpointsConfig[k] = v;
    const network = emptyNetworkSettings();
    // Until the first start, inspect shows the networks asked for (as dockerd does).
    const primary = mode === 'default' ? 'bridge' : mode;
    if (!netMode.isContainer(mode)) network.Networks[primary] = endpointSettings('', endpointsConfig[primary] ?? {});
    for (const [k, v] of Object.entries(endpointsConfig)) network.Networks[k] = endpointSettings('', v);

    const dir = this.dirs.dir(id);
    let created = false;
    try {
      await fs.mkdir(dir, { mode: 0o710 });
      created = true;
      if (!spare) await this.deps.layers.createRW(id, chain || null);
      trace(id, 'rw-created');
      const inherited = this.deps.mounts.inherit(hc.VolumesFrom ?? [], (ref) => this.get(ref).rec.MountPoints);
      const mountPoints = await this.deps.mounts.prepare({
        containerId: id,
        binds: hc.Binds ?? [],
        mounts: hc.Mounts ?? [],
        volumes: Object.keys(config.Volumes ?? {}),
        volumeDriver: hc.VolumeDriver ?? '',
        inherited,
        tmpfs: Object.keys(hc.Tmpfs ?? {}),
      });
      const rec: ContainerRecord = {
        ID: id,
        Created: formatRfc3339Nano(nowNano()),
        Path: cmdPath,
        Args: args,
        Config: config,
        HostConfig: hc,
        Name: name,
        Image: image.id,
        RestartCount: 0,
        Driver: this.deps.layers.driverName,
        Platform: image.config.os || 'linux',
        MountLabel: '',
        ProcessLabel: '',
        AppArmorProfile: '',
        ResolvConfPath: '',
        HostnamePath: '',
        HostsPath: '',
        LogPath: '',
        MountPoints: mountPoints,
        EndpointsConfig: endpointsConfig,
        NetworkSettings: network,
        State: newState(),
        HasBeenStartedBefore: false,
        HasBeenManuallyStopped: false,
        RWLayer: id,
      };
      await this.dirs.save(rec);
      const c = new Container(rec, logCfg);
      this.containers.add(c);
      this.emit(rec, 'create');
      trace(id, 'created');
      // `docker run` sends attach, wait and start next: have the runtime create the container meanwhile.
      if (!this.shuttingDown && prestartable(hc)) this.track(this.prestart(c));
      return { Id: id, Warnings: warnings };
    } catch (err) {
      this.containers.delete(id);
      this.containers.releaseName(name, id);
      if (created) await this.deps.layers.removeRW(id).catch(() => undefined);
      await this.dirs.remove(id).catch(() => undefined);
      throw err;
    }
  }

  private async reserveName(requested: string | undefined, id: string): Promise<string> {
    if (requested) {
      const name = normalizeName(requested);
      this.containers.reserveName(name, id);
      return name;
    }
    for (let attempt = 0; ; attempt++) {
      const name = `/${generateName(attempt > 10 ? 1 : 0)}`;
      if (!this.containers.nameTaken(name)) {
        this.containers.reserveName(name, id);
        return name;
      }
    }
  }

  private networkRequestFor(id: string, name: string, config: ContainerConfig, hc: HostConfig): NetworkRequest {
    return {
      containerId: id,
      containerName: name.replace(/^\//, ''),
      hostname: config.Hostname ?? '',
      domainname: config.Domainname ?? '',
      networkMode: hc.NetworkMode || 'default',
      endpoints: {},
      portBindings: hc.PortBindings ?? {},
      publishAllPorts: !!hc.PublishAllPorts,
      exposedPorts: Object.keys(config.ExposedPorts ?? {}),
      dns: hc.Dns ?? [],
      dnsSearch: hc.DnsSearch ?? [],
      dnsOptions: hc.DnsOptions ?? [],
      extraHosts: hc.ExtraHosts ?? [],
      links: hc.Links ?? [],
    };
  }

  private networkRequest(c: Container): NetworkRequest {
    const req = this.networkRequestFor(c.id, c.name, c.rec.Config, c.rec.HostConfig);
    for (const [k, v] of Object.entries(c.rec.EndpointsConfig ?? {})) req.endpoints[k] = v;
    return req;
  }

  /** For the network service: containers by reference, and their network changes (connect/disconnect). */
  networkDirectory(): NetworkContainerDirectory {
    return {
      find: (ref) => {
        const c = this.containers.find(ref);
        if (!c) return undefined;
        return {
          id: c.id,
          name: c.name.replace(/^\//, ''),
          running: c.rec.State.Running && !c.rec.State.Restarting,
          networkMode: c.rec.HostConfig.NetworkMode ?? 'default',
          request: this.networkRequest(c),
          env: c.rec.Config.Env ?? [],
        };
      },
      networksChanged: async (id, change) => {
        const c = this.containers.find(id);
        if (!c) return;
        await this.lock.run(c.id, async () => {
          // A run prepared ahead has the old networks: drop it, but without
          // waiting here: the network service calls this holding its own lock,
          // which releasing the run's endpoint needs (compose v1 disconnects and
          // connects a created container before starting it). The container's
          // lock queues the discard ahead of any later start.
          if (c.run && !c.run.started) this.track(this.discardPrestarted(c));
          c.rec.EndpointsConfig = { ...change.endpoints };
          if (change.settings) c.rec.NetworkSettings = change.settings;
          else {
            const nets: Record<string, EndpointSettings> = {};
            for (const [k, v] of Object.entries(change.endpoints)) nets[k] = c.rec.NetworkSettings.Networks[k] ?? endpointSettings('', v);
            c.rec.NetworkSettings.Networks = nets;
          }
          if (change.hostsEntries && c.rec.HostsPath && c.rec.State.Running) {
            const prepared: PreparedNetwork = { namespace: { kind: 'new' }, settings: c.rec.NetworkSettings, hostsEntries: change.hostsEntries };
            await this.writeEtcFiles(c, prepared, { hostsOnly: true });
          }
          await this.dirs.save(c.rec);
        });
      },
    };
  }

  // ---------------------------------------------------------------- start

  async start(idOrName: string): Promise<void> {
    const c = this.get(idOrName);
    await this.lock.run(c.id, async () => {
      const st = c.rec.State;
      if (st.RemovalInProgress) throw conflict(`container is marked for removal and cannot be started`);
      if (st.Dead) throw conflict('container is marked for removal and cannot be started');
      if (st.Paused) throw conflict('cannot start a paused container, try unpause instead');
      if (st.Running && !st.Restarting) throw notModified();
      if (st.Restarting && c.restartTimer) {
        clearTimeout(c.restartTimer);
        c.restartTimer = undefined;
      }
      await this.startLocked(c);
    });
  }

  private async startLocked(c: Container): Promise<void> {
    const rec = c.rec;
    let run = c.run;
    const prestarted = !!run && !run.started && !!run.created && !run.cleanup;
    if (prestarted) {
      clearTimeout(run!.idleTimer);
    } else {
      await c.lastCleanup;
      run = new Run(this.bundleDir(rec.ID), this.runtimeFor(rec.HostConfig.Runtime));
      c.run = run;
    }
    const runtime = run!.runtime;
    try {
      trace(rec.ID, 'start-begin');
      if (!prestarted) await this.prepareRun(c, run!);
      trace(rec.ID, 'conmon-created');
      // Attaches made before start see the first byte of output.
      const socket = attachSocketPath(this.socketDir, rec.ID);
      await Promise.all([...c.pendingAttach].map((p) => p.connect(socket).catch(() => undefined)));
      c.pendingAttach.clear();
      const thisRun = run!;
      this.exits.watch(rec.ID, (code) => void this.onExit(c, thisRun, code));
      trace(rec.ID, 'attached');
      await runtime.start(rec.ID, run!.created!.pid);
      trace(rec.ID, 'runtime-started');
      run!.started = true;
    } catch (err) {
      await this.failStart(c, run!, err);
      return;
    }
    const st = rec.State;
    st.Running = true;
    st.Paused = false;
    st.Restarting = false;
    st.OOMKilled = false;
    st.Dead = false;
    st.Pid = run!.created!.pid;
    st.ExitCode = 0;
    st.Error = '';
    st.StartedAt = formatRfc3339Nano(nowNano());
    rec.HasBeenStartedBefore = true;
    rec.HasBeenManuallyStopped = false;
    c.restartCanceled = false;
    this.startHealth(c, run!);
    await this.dirs.save(rec);
    this.emit(rec, 'start');
    trace(rec.ID, 'started');
  }

  /**
   * Have the runtime create the container right after `create`, before the
   * start request arrives (docker run sends attach and wait first): start then
   * only lets the process run. A pre-created container nobody starts within a
   * while is discarded; so is one whose settings change before its start.
   */
  private async prestart(c: Container): Promise<void> {
    await this.lock.run(c.id, async () => {
      trace(c.id, 'prestart');
      if (c.run || c.rec.State.Running || c.rec.State.RemovalInProgress || !this.containers.find(c.id) || this.shuttingDown) return;
      const run = new Run(this.bundleDir(c.id), this.runtimeFor(c.rec.HostConfig.Runtime));
      c.run = run;
      try {
        await this.prepareRun(c, run);
      } catch (err) {
        trace(c.id, `prestart-failed ${errorMessage(err)}`);
        // The start will try again and report the error.
        if (run.created) await run.runtime.delete(c.id, true).catch(() => undefined);
        await this.cleanupRun(c, run).catch(() => undefined);
        if (c.run === run) c.run = undefined;
        delete c.rec.Monitor;
        return;
      }
      run.idleTimer = setTimeout(() => void this.discardPrestarted(c), PRESTART_IDLE_MS);
      run.idleTimer.unref();
    });
  }

  /** Drop a pre-created, not started run (timeout, update, network change, removal). */
  private async discardPrestarted(c: Container, locked = false): Promise<void> {
    const work = async (): Promise<void> => {
      const run = c.run;
      if (!run || run.started || run.cleanup) return;
      clearTimeout(run.idleTimer);
      c.run = undefined;
      delete c.rec.Monitor;
      for (const p of c.pendingAttach) p.abort();
      c.pendingAttach.clear();
      // cleanupRun kills the created init (runtime delete --force) before anything else.
      const cleanup = this.cleanupRun(c, run);
      c.lastCleanup = cleanup.catch(() => undefined);
      await cleanup.catch(() => undefined);
    };
    if (locked) await work();
    else await this.lock.run(c.id, work);
  }

  private async prepareRun(c: Container, run: Run): Promise<void> {
    const rec = c.rec;
    const hc = rec.HostConfig;
    const s = this.settings;
    await fs.rm(run.bundle, { recursive: true, force: true });
    await fs.mkdir(run.bundle, { recursive: true, mode: 0o700 });
    await this.exits.clear(rec.ID);
    await fs.rm(path.join(this.socketDir, rec.ID), { force: true });

    const rootfsPromise = this.deps.layers.mountRW(rec.ID).then((p) => {
      run.rootfs = p;
      run.rootfsMounted = true;
      return p;
    });

    // Network: container:<id> joins another container's namespace; host has none; others ask an attacher.
    const mode = hc.NetworkMode || 'default';
    const namespacePaths: Partial<Record<'network' | 'pid' | 'ipc' | 'uts' | 'cgroup', string>> = {};
    let shareFrom: Container | undefined;
    let prepared: PreparedNetwork | undefined;
    const netPromise = (async (): Promise<void> => {
      if (netMode.isContainer(mode)) {
        shareFrom = this.get(mode.slice('container:'.length));
        if (!shareFrom.rec.State.Running || !shareFrom.run?.created) throw conflict(`cannot join network of a non running container: ${shareFrom.id}`);
        namespacePaths.network = `/proc/${shareFrom.run.created.pid}/ns/net`;
        rec.NetworkSettings = { ...emptyNetworkSettings() };
        return;
      }
      const attacher = this.deps.networks.for(mode);
      const req = this.networkRequest(c);
      run.netAttacher = attacher;
      run.netReq = req;
      prepared = await attacher.prepare(req);
      run.net = prepared;
      if (prepared.namespace.kind === 'path') namespacePaths.network = prepared.namespace.path;
      rec.NetworkSettings = prepared.settings;
    })();
    for (const [kind, value] of [['ipc', hc.IpcMode], ['pid', hc.PidMode]] as const) {
      if (value?.startsWith('container:')) {
        const other = this.get(value.slice('container:'.length));
        if (!other.rec.State.Running || !other.run?.created) throw conflict(`cannot join ${kind === 'ipc' ? 'IPC' : 'PID'} of a non running container: ${other.id}`);
        namespacePaths[kind] = `/proc/${other.run.created.pid}/ns/${kind}`;
      }
    }
    // Wait for both even when one fails: the cleanup must see what the other took.
    const [rootfsResult, netResult] = await Promise.allSettled([rootfsPromise, netPromise]);
    if (rootfsResult.status === 'rejected') throw rootfsResult.reason;
    if (netResult.status === 'rejected') throw netResult.reason;
    const rootfs = rootfsResult.value;
    trace(rec.ID, 'rootfs+net');

    // Log.
    const dir = this.dirs.dir(rec.ID);
    const logFile = logFilePath(dir, rec.ID, c.log.Type);
    if (c.log.Type === 'local') await fs.mkdir(path.dirname(logFile), { recursive: true, mode: 0o700 });
    rec.LogPath = c.log.Type === 'json-file' ? logFile : '';

    // /etc files: own ones, or those of the container whose network is shared.
    let etcFiles: { resolvConf: string; hostname: string; hosts: string };
    if (shareFrom) {
      etcFiles = { resolvConf: shareFrom.rec.ResolvConfPath, hostname: shareFrom.rec.HostnamePath, hosts: shareFrom.rec.HostsPath };
      rec.ResolvConfPath = shareFrom.rec.ResolvConfPath;
      rec.HostnamePath = shareFrom.rec.HostnamePath;
      rec.HostsPath = shareFrom.rec.HostsPath;
    } else {
      etcFiles = await this.writeEtcFiles(c, prepared);
    }

    run.mountsActive = true;
    const [mounts] = await Promise.all([this.deps.mounts.activate(rec.ID, rec.MountPoints), ensureWorkingDir(rootfs, rec.Config.WorkingDir ?? '')]);

    const wantInit = hc.Init ?? s.init ?? false;
    const initPath = wantInit ? (s.initPath ?? firstExisting(['/usr/bin/tini-static', '/usr/bin/tini', '/usr/bin/docker-init', '/usr/local/bin/docker-init'])) : undefined;
    trace(rec.ID, 'mounts-etc');
    const { spec } = await generateSpec({
      config: rec.Config,
      hostConfig: hc,
      host: this.deps.host,
      rootfs,
      args: [rec.Path, ...rec.Args],
      mounts,
      etcFiles,
      namespacePaths,
      ...(prepared?.env?.length ? { linkedEnv: prepared.env } : {}),
      cgroupsPath: defaultCgroupsPath(rec.ID, s.cgroupDriver ?? 'cgroupfs', hc.CgroupParent || s.cgroupParent || '/berth'),
      ...(initPath ? { initPath } : {}),
      daemon: {
        ...(s.init !== undefined ? { init: s.init } : {}),
        ...(s.seccompProfile ? { seccompProfile: s.seccompProfile } : {}),
        ...(s.noNewPrivileges ? { noNewPrivileges: true } : {}),
        ...(s.defaultUlimits ? { defaultUlimits: s.defaultUlimits } : {}),
      },
    });
    if (prepared?.namespace.kind === 'new' && !spec.linux.namespaces.some((n) => n.type === 'network')) {
      spec.linux.namespaces.push({ type: 'network' });
    }
    trace(rec.ID, 'spec-generated');
    await fs.writeFile(path.join(run.bundle, 'config.json'), serializeSpec(spec));

    const terminal = !!rec.Config.Tty;
    const stdin = !!rec.Config.OpenStdin;
    // conmon closes the process's stdin when an attached client half-closes, unless told not to.
    const leaveStdinOpen = !(rec.Config.StdinOnce && !terminal);
    try {
    trace(rec.ID, 'spec-written');
      run.created = await createUnderConmon(this.conmonPath, {
        id: rec.ID,
        name: rec.Name,
        runtime: run.runtime,
        bundle: run.bundle,
        exitDir: this.exits.dir,
        socketDir: this.socketDir,
        terminal,
        stdin,
        leaveStdinOpen,
        log: conmonLogFor(c.log, logFile),
      });
    } catch (err) {
      if (err instanceof RuntimeCreateError) {
        const message = `failed to create task for container: failed to create shim task: OCI runtime create failed: ${err.message.replace(/\n+$/, '')}: unknown`;
        const { userError } = classifyStartError(message);
        throw userError ? invalidParameter(message) : systemError(message);
      }
      throw err;
    }
    run.initStartTime = processStartTime(run.created.pid);
    run.conmonStartTime = processStartTime(run.created.conmonPid) ?? '';
    if (run.netAttacher?.attach && run.netReq && prepared) {
      const updated = await run.netAttacher.attach(run.netReq, run.created.pid, prepared);
      if (updated) rec.NetworkSettings = updated;
    }
    rec.Monitor = {
      runtime: run.runtime.desc.name,
      runtimePath: run.runtime.desc.path,
      runtimeRoot: run.runtime.desc.root,
      conmonPid: run.created.conmonPid,
      conmonStartTime: run.conmonStartTime,
      bundle: run.bundle,
    };
    this.startRotator(c, run);
  }

  /** Health probes of a running container (HEALTHCHECK, --health-cmd). */
  private startHealth(c: Container, run: Run, resume = false): void {
    const hc = c.rec.Config.Healthcheck;
    const cmd = probeCommand(hc?.Test, c.rec.Config.Shell);
    if (!hc || !cmd) {
      delete c.rec.State.Health;
      return;
    }
    const startedAtMs = Number(nanoOf(c.rec.State.StartedAt) / 1_000_000n) || Date.now();
    let processSpec: Promise<OciSpec['process']> | undefined;
    const monitor = new HealthMonitor(hc, cmd, {
      id: c.id,
      runtime: run.runtime,
      // Probes start from the container's own process settings.
      process: () => (processSpec ??= fs.readFile(path.join(run.bundle, 'config.json'), 'utf8').then((t) => (JSON.parse(t) as OciSpec).process)),
      dir: run.bundle,
      startedAtMs,
      onResult: (state, changed) => {
        if (c.run !== run) return;
        c.rec.State.Health = state;
        void this.dirs.save(c.rec).catch(() => undefined);
        if (changed) this.emit(c.rec, `health_status: ${state.Status}`);
      },
    });
    if (resume && c.rec.State.Health) Object.assign(monitor.state, c.rec.State.Health);
    c.rec.State.Health = monitor.state;
    run.health = monitor;
    monitor.start();
  }

  private startRotator(c: Container, run: Run): void {
    if (c.log.maxFile > 1 && c.log.maxSize > 0 && (c.log.Type === 'json-file' || c.log.Type === 'local')) {
      const file = logFilePath(this.dirs.dir(c.id), c.id, c.log.Type);
      run.rotator = new LogRotator(file, c.log.maxSize, c.log.maxFile, () => reopenLog(run.bundle));
      void run.rotator.start().catch((err) => this.log.warn('log rotation not started', { container: c.id, err: errorMessage(err) }));
    }
  }


  private async hostResolvConf(): Promise<string> {
    const now = Date.now();
    if (this.hostResolv && now - this.hostResolv.at < 5000) return this.hostResolv.text;
    const text = await readHostResolvConf();
    this.hostResolv = { text, at: now };
    return text;
  }

  private async writeEtcFiles(c: Container, prepared: PreparedNetwork | undefined, opts: { hostsOnly?: boolean } = {}): Promise<{ resolvConf: string; hostname: string; hosts: string }> {
    const rec = c.rec;
    const hc = rec.HostConfig;
    const s = this.settings;
    const dir = this.dirs.dir(rec.ID);
    const hostNetwork = netMode.isHost(hc.NetworkMode);
    const files = { resolvConf: path.join(dir, 'resolv.conf'), hostname: path.join(dir, 'hostname'), hosts: path.join(dir, 'hosts') };
    const hostname = rec.Config.Hostname ?? '';
    const fqdn = rec.Config.Domainname ? `${hostname}.${rec.Config.Domainname}` : hostname;
    const own: HostsEntry[] = prepared?.hostsEntries ?? [];
    if (!prepared?.hostsEntries) {
      for (const ep of Object.values(rec.NetworkSettings.Networks)) {
        if (ep.IPAddress) own.push({ ip: ep.IPAddress, names: fqdn !== hostname ? [fqdn, hostname] : [hostname] });
        if (ep.GlobalIPv6Address) own.push({ ip: ep.GlobalIPv6Address, names: fqdn !== hostname ? [fqdn, hostname] : [hostname] });
      }
    }
    const hostsText = buildHosts({
      hostNetwork,
      hostText: hostNetwork ? await fs.readFile('/etc/hosts', 'utf8').catch(() => '') : '',
      extraHosts: hc.ExtraHosts ?? [],
      own,
      hostGateway: prepared?.hostGateway ?? s.hostGateway,
    });
    if (opts.hostsOnly) {
      // Rewrite in place: the file is bind-mounted into the running container.
      await fs.writeFile(files.hosts, hostsText, { mode: 0o644 });
      return files;
    }
    const resolvText = buildResolvConf({
      hostText: await this.hostResolvConf(),
      hostNetwork,
      dns: hc.Dns?.length ? hc.Dns : s.dns,
      dnsSearch: hc.DnsSearch?.length ? hc.DnsSearch : s.dnsSearch,
      dnsOptions: hc.DnsOptions?.length ? hc.DnsOptions : s.dnsOptions,
      ...(prepared?.resolv ? { override: prepared.resolv } : {}),
    });
    await Promise.all([
      fs.writeFile(files.hostname, buildHostname(hostNetwork ? os.hostname() : hostname), { mode: 0o644 }),
      fs.writeFile(files.hosts, hostsText, { mode: 0o644 }),
      fs.writeFile(files.resolvConf, resolvText, { mode: 0o644 }),
    ]);
    rec.ResolvConfPath = files.resolvConf;
    rec.HostnamePath = files.hostname;
    rec.HostsPath = files.hosts;
    return files;
  }

  /** A start that failed: record the error and exit code (127/126/128), release what the run took. */
  private async failStart(c: Container, run: Run, err: unknown): Promise<never> {
    const message = errorMessage(err);
    this.exits.unwatch(c.id);
    if (run.created) await run.runtime.delete(c.id, true).catch(() => undefined);
    await this.cleanupRun(c, run);
    c.run = undefined;
    for (const p of c.pendingAttach) p.abort();
    c.pendingAttach.clear();
    const rec = c.rec;
    const { exitCode } = classifyStartError(message);
    rec.State.Error = message;
    rec.State.ExitCode = exitCode;
    rec.State.Running = false;
    rec.State.Restarting = false;
    rec.State.Pid = 0;
    delete rec.Monitor;
    if (rec.HasBeenStartedBefore || rec.State.StartedAt !== ZERO_TIME) rec.State.FinishedAt = formatRfc3339Nano(nowNano());
    await this.dirs.save(rec).catch(() => undefined);
    for (const w of c.nextExit.splice(0)) w.resolve(exitCode);
    if (rec.HostConfig.AutoRemove) this.track(this.removeLocked(c, { removeVolumes: true }).catch(() => undefined));
    if (err instanceof EngineError) throw err;
    throw systemError(message);
  }

  // ---------------------------------------------------------------- exit

  private async onExit(c: Container, run: Run, exitCode: number, opts: { restoring?: boolean } = {}): Promise<void> {
    trace(c.id, 'exit-file');
    if (c.run !== run) return;
    const oom = existsSync(path.join(run.bundle, 'oom'));
    // An exit while berthd was away happened when conmon wrote the file, not now.
    const writtenMs = opts.restoring ? await this.exits.writtenAt(c.id) : undefined;
    await this.lock.run(c.id, async () => {
      if (c.run !== run) return;
      void run.rotator?.stop();
      run.health?.stop();
      const rec = c.rec;
      const st = rec.State;
      const finished = writtenMs !== undefined ? BigInt(Math.trunc(writtenMs * 1e6)) : nowNano();
      const startedNs = nanoOf(st.StartedAt);
      st.Running = false;
      st.Paused = false;
      st.Restarting = false;
      st.Pid = 0;
      st.ExitCode = exitCode;
      st.OOMKilled = oom;
      st.FinishedAt = formatRfc3339Nano(finished);
      if (oom) this.emit(rec, 'oom');
      const execDuration = startedNs > 0n ? String(Number((finished - startedNs) / 1_000_000_000n)) : '0';
      this.emit(rec, 'die', { exitCode: String(exitCode), execDuration });
      for (const execId of c.execs) this.onContainerExitExec?.(execId);
      c.run = undefined;
      delete rec.Monitor;
      const cleanup = this.cleanupRun(c, run);
      c.lastCleanup = cleanup.catch(() => undefined);
      rec.NetworkSettings = stoppedNetworkSettings(rec.NetworkSettings);

      // Restart policy (moby restartmanager): backoff doubling from 100 ms up to 1 min, reset after 10 s of running.
      const policy = rec.HostConfig.RestartPolicy;
      const ranSeconds = startedNs > 0n ? Number(finished - startedNs) / 1e9 : 0;
      const restart = !this.shuttingDown && !rec.HostConfig.AutoRemove && this.shouldRestart(c, policy, exitCode, ranSeconds);
      if (restart) {
        st.Restarting = true;
        st.Running = true;
      }
      await this.dirs.save(rec);
      run.exited.resolve(exitCode);
      trace(c.id, 'exit-resolved');
      for (const w of c.nextExit.splice(0)) w.resolve(exitCode);
      if (restart) {
        rec.RestartCount++;
        const delay = c.restartTimeoutMs;
        c.restartTimer = setTimeout(() => {
          c.restartTimer = undefined;
          this.track(
            this.lock
              .run(c.id, async () => {
                if (!c.rec.State.Restarting || c.restartCanceled) return;
                await this.startLocked(c);
                this.emit(c.rec, 'restart');
              })
              .catch((err) => this.log.warn('restart failed', { container: c.id, err: errorMessage(err) })),
          );
        }, delay);
      } else if (rec.HostConfig.AutoRemove && !opts.restoring) {
        await this.removeLocked(c, { removeVolumes: true });
      } else if (rec.HostConfig.AutoRemove && opts.restoring) {
        this.track(this.lock.run(c.id, () => this.removeLocked(c, { removeVolumes: true })).catch(() => undefined));
      }
    });
  }

  /** Set by the exec manager: a container's exit ends its execs. */
  onContainerExitExec: ((execId: string) => void) | undefined;

  private shouldRestart(c: Container, policy: RestartPolicy | null | undefined, exitCode: number, ranSeconds: number): boolean {
    const name = policy?.Name ?? '';
    if (name === '' || name === 'no' || c.restartCanceled) return false;
    if (ranSeconds >= 10) c.restartTimeoutMs = 0;
    if (c.restartTimeoutMs === 0) c.restartTimeoutMs = 100;
    else if (c.restartTimeoutMs < 60_000) c.restartTimeoutMs *= 2;
    if (c.restartTimeoutMs > 60_000) c.restartTimeoutMs = 60_000;
    if (name === 'always') return true;
    if (name === 'unless-stopped') return !c.rec.HasBeenManuallyStopped;
    if (name === 'on-failure') {
      const max = policy?.MaximumRetryCount ?? 0;
      return exitCode !== 0 && (max === 0 || c.rec.RestartCount < max);
    }
    return false;
  }

  /** Release what a run took: runtime state, network, mounts, the rootfs mount, the bundle. */
  private cleanupRun(c: Container, run: Run): Promise<void> {
    if (run.cleanup) return run.cleanup;
    run.cleanup = (async () => {
      const id = c.id;
      this.exits.unwatch(id);
      run.health?.stop();
      await run.rotator?.stop();
      const steps: Array<Promise<unknown>> = [];
      // A run created but never started still has its init waiting: delete --force kills it.
      if (run.created) steps.push(run.runtime.delete(id, !run.started).catch((err) => this.log.warn('runtime delete failed', { container: id, err: errorMessage(err) })));
      if (run.netAttacher) {
        const settings = c.rec.NetworkSettings;
        steps.push(run.netAttacher.release(id, settings).catch((err) => this.log.warn('network release failed', { container: id, err: errorMessage(err) })));
      }
      if (run.mountsActive) steps.push(this.deps.mounts.deactivate(id, c.rec.MountPoints).catch(() => undefined));
      await Promise.all(steps);
      if (run.rootfsMounted) {
        run.rootfsMounted = false;
        await this.deps.layers.unmountRW(id).catch((err) => this.log.warn('rootfs unmount failed', { container: id, err: errorMessage(err) }));
      }
      await Promise.all([
        fs.rm(run.bundle, { recursive: true, force: true }).catch(() => undefined),
        fs.rm(path.join(this.socketDir, id), { force: true }).catch(() => undefined),
        this.exits.clear(id).catch(() => undefined),
      ]);
    })();
    return run.cleanup;
  }

  // ---------------------------------------------------------------- signals, stop, kill

  private signalProcess(c: Container, signal: number): void {
    const run = c.run;
    if (!run?.created) throw conflict(`Container ${c.id} is not running`);
    const pid = run.created.pid;
    if (!sameProcess(pid, run.initStartTime)) return;
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ESRCH') throw systemError(`cannot kill container: ${c.id}: ${errorMessage(err)}`);
    }
  }

  private stopSignalOf(c: Container): number {
    const s = c.rec.Config.StopSignal;
    return s ? parseSignal(s) : 15;
  }

  /** Send a signal (moby killWithSignal): stop signal and SIGKILL mark the container as stopped by the user. */
  private async killWithSignal(c: Container, signal: number): Promise<void> {
    const st = c.rec.State;
    if (!st.Running) throw conflict(`Container ${c.id} is not running`);
    const stopSig = this.stopSignalOf(c);
    if (signal === stopSig || signal === 9) {
      c.restartCanceled = true;
      if (!this.shuttingDown) c.rec.HasBeenManuallyStopped = true;
    }
    if (st.Restarting) {
      if (c.restartCanceled) {
        if (c.restartTimer) clearTimeout(c.restartTimer);
        c.restartTimer = undefined;
        st.Restarting = false;
        st.Running = false;
        await this.dirs.save(c.rec);
        for (const w of c.nextExit.splice(0)) w.resolve(st.ExitCode);
      }
      return;
    }
    this.signalProcess(c, signal);
    this.emit(c.rec, 'kill', { signal: String(signal) });
    // A frozen process only gets the signal once thawed.
    if (st.Paused && (signal === stopSig || signal === 9)) {
      await c.run?.runtime.resume(c.id).catch(() => undefined);
      st.Paused = false;
      this.emit(c.rec, 'unpause');
    }
  }

  async kill(idOrName: string, signalName: string | undefined): Promise<void> {
    const c = this.get(idOrName);
    const signal = signalName ? parseSignal(signalName) : 9;
    if (!c.rec.State.Running) throw conflict(`Container ${c.id} is not running`);
    const exited = c.run?.exited.promise;
    await this.killWithSignal(c, signal);
    if (signal === 9 && exited) await exited;
  }

  /** docker stop: the stop signal, then SIGKILL after the timeout (-1: wait forever). */
  async stop(idOrName: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const c = this.get(idOrName);
    if (!c.rec.State.Running) throw notModified();
    await this.stopContainer(c, opts);
  }

  private async stopContainer(c: Container, opts: { timeout?: number; signal?: string }): Promise<void> {
    const signal = opts.signal ? parseSignal(opts.signal) : this.stopSignalOf(c);
    const timeout = opts.timeout ?? c.rec.Config.StopTimeout ?? 10;
    const run = c.run;
    c.restartCanceled = true;
    c.rec.HasBeenManuallyStopped = true;
    if (c.rec.State.Restarting || !run) {
      await this.killWithSignal(c, signal).catch(() => undefined);
      this.emit(c.rec, 'stop');
      return;
    }
    run.stopRequested = true;
    const exited = run.exited.promise;
    try {
      await this.killWithSignal(c, signal);
    } catch (err) {
      if (!c.rec.State.Running) return;
      throw err;
    }
    const done = timeout < 0 ? await exited.then(() => true) : await withTimeout(exited, timeout * 1000);
    if (!done) {
      await this.killWithSignal(c, 9).catch(() => undefined);
      await exited;
    }
    this.emit(c.rec, 'stop');
  }

  async restart(idOrName: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const c = this.get(idOrName);
    if (c.rec.State.Running) await this.stopContainer(c, opts);
    await c.lastCleanup;
    await this.lock.run(c.id, async () => {
      if (c.rec.State.Running && !c.rec.State.Restarting) return;
      if (c.restartTimer) {
        clearTimeout(c.restartTimer);
        c.restartTimer = undefined;
      }
      await this.startLocked(c);
    });
    this.emit(c.rec, 'restart');
  }

  async pause(idOrName: string): Promise<void> {
    const c = this.get(idOrName);
    await this.lock.run(c.id, async () => {
      const st = c.rec.State;
      if (!st.Running) throw conflict(`Container ${c.id} is not running`);
      if (st.Paused) throw conflict(`Container ${c.id} is already paused`);
      if (st.Restarting) throw conflict(`Container ${c.id} is restarting, wait until the container is running`);
      await c.run!.runtime.pause(c.id).catch((err) => {
        throw systemError(`cannot pause container ${c.id}: ${errorMessage(err)}`);
      });
      st.Paused = true;
      await this.dirs.save(c.rec);
      this.emit(c.rec, 'pause');
    });
  }

  async unpause(idOrName: string): Promise<void> {
    const c = this.get(idOrName);
    await this.lock.run(c.id, async () => {
      const st = c.rec.State;
      if (!st.Running || !st.Paused) throw conflict(`Container ${c.id} is not paused`);
      await c.run!.runtime.resume(c.id).catch((err) => {
        throw systemError(`cannot unpause container ${c.id}: ${errorMessage(err)}`);
      });
      st.Paused = false;
      await this.dirs.save(c.rec);
      this.emit(c.rec, 'unpause');
    });
  }

  // ---------------------------------------------------------------- wait

  /** Resolves with docker's wait response; rejects with 404 for an unknown container. */
  wait(idOrName: string, condition: WaitCondition): { result: Promise<WaitResult>; cancel(): void } {
    const c = this.get(idOrName);
    const toResult = (code: number): WaitResult => ({ StatusCode: code, Error: null });
    if (condition === 'removed') {
      return { result: c.removed.promise.then(toResult), cancel: () => undefined };
    }
    if (condition === 'not-running' && !c.rec.State.Running) {
      return { result: Promise.resolve(toResult(c.rec.State.ExitCode)), cancel: () => undefined };
    }
    const d = deferred<number>();
    c.nextExit.push(d);
    // A container removed meanwhile ends the wait too.
    void c.removed.promise.then((code) => d.resolve(code));
    return {
      result: d.promise.then(toResult),
      cancel: () => {
        const i = c.nextExit.indexOf(d);
        if (i >= 0) c.nextExit.splice(i, 1);
      },
    };
  }

  // ---------------------------------------------------------------- remove

  async remove(idOrName: string, opts: { force: boolean; removeVolumes: boolean; link: boolean }): Promise<void> {
    const c = this.get(idOrName);
    if (opts.link) throw invalidParameter('Conflict, cannot remove the default link name of the container');
    const st = c.rec.State;
    if (st.RemovalInProgress) throw conflict(`removal of container ${c.id} is already in progress`);
    if (st.Running && !opts.force) {
      if (st.Paused) throw conflict(`cannot remove container "${c.name}": container is paused and must be unpaused first`);
      if (st.Restarting) throw conflict(`cannot remove container "${c.name}": container is restarting: stop the container before removing or force remove`);
      throw conflict(`cannot remove container "${c.name}": container is running: stop the container before removing or force remove`);
    }
    if (st.Running) {
      c.restartCanceled = true;
      if (c.restartTimer) {
        clearTimeout(c.restartTimer);
        c.restartTimer = undefined;
      }
      if (st.Restarting) {
        st.Restarting = false;
        st.Running = false;
      } else {
        const exited = c.run?.exited.promise;
        await this.killWithSignal(c, 9).catch(() => undefined);
        if (exited) await exited;
      }
    }
    await this.lock.run(c.id, () => this.removeLocked(c, opts));
  }

  /** Forget the container now (name free, waiters answered); its files go in the background. */
  private async removeLocked(c: Container, opts: { removeVolumes: boolean }): Promise<void> {
    const rec = c.rec;
    if (rec.State.RemovalInProgress || !this.containers.find(c.id)) return;
    if (rec.State.Running && !rec.State.Restarting) throw conflict(`cannot remove container "${c.name}": container is running: stop the container before removing or force remove`);
    c.restartCanceled = true;
    if (c.restartTimer) clearTimeout(c.restartTimer);
    if (c.run && !c.run.started) void this.discardPrestarted(c, true);
    rec.State.RemovalInProgress = true;
    rec.State.Running = false;
    rec.State.Restarting = false;
    await this.dirs.save(rec);
    for (const p of c.pendingAttach) p.abort();
    c.pendingAttach.clear();
    this.containers.delete(c.id);
    // dockerd releases a container's volumes before it answers (and before
    // `--rm` ends), so a `volume rm` right after succeeds; the rest goes later.
    let volumesReleased = false;
    if (!c.run && rec.MountPoints.some((p) => p.Type === 'volume')) {
      await c.lastCleanup;
      await this.deps.mounts.release(c.id, rec.MountPoints, opts.removeVolumes).catch(() => undefined);
      volumesReleased = true;
    }
    this.emit(rec, 'destroy');
    for (const w of c.nextExit.splice(0)) w.resolve(rec.State.ExitCode);
    c.removed.resolve(rec.State.ExitCode);
    trace(c.id, 'removed');
    this.track(this.destroyOnDisk(c, volumesReleased ? undefined : opts.removeVolumes));
  }

  /** The container's files, run and (unless already done: `removeVolumes` undefined) volumes. */
  private async destroyOnDisk(c: Container, removeVolumes: boolean | undefined): Promise<void> {
    const id = c.id;
    try {
      await c.lastCleanup;
      if (c.run) await this.cleanupRun(c, c.run);
      if (removeVolumes !== undefined) await this.deps.mounts.release(id, c.rec.MountPoints, removeVolumes).catch(() => undefined);
      await this.deps.layers.removeRW(id).catch((err) => {
        if (!(err instanceof EngineError && err.kind === 'not-found')) throw err;
      });
      await removeLogFiles(logFilePath(this.dirs.dir(id), id, c.log.Type), c.log.maxFile);
      await this.dirs.remove(id);
      await fs.rm(this.bundleDir(id), { recursive: true, force: true });
    } catch (err) {
      this.log.error('failed to remove container files', { container: id, err: errorMessage(err) });
    }
  }

  /** The attacher serving a network mode, or undefined when no network of that name exists (yet). */
  private networkAttacherIfKnown(mode: string): NetworkAttacher | undefined {
    try {
      return this.deps.networks.for(mode);
    } catch (err) {
      if (isEngineError(err, 'not-found')) return undefined;
      throw err;
    }
  }

  // ---------------------------------------------------------------- rename, update

  async rename(idOrName: string, newName: string): Promise<void> {
    const c = this.get(idOrName);
    if (!newName) throw invalidParameter('Neither old nor new names may be empty');
    const canonical = newName.startsWith('/') ? newName : `/${newName}`;
    if (canonical === c.name) throw invalidParameter('Renaming a container with the same name as its current name');
    // moby's rename wraps what reserveName refuses (kind kept); the name it checks has its "/".
    const allocating = (err: unknown): never => {
      if (err instanceof EngineError) throw new EngineError(err.kind, `Error when allocating new name: ${err.message}`, { cause: err });
      throw err;
    };
    let name = canonical;
    try {
      name = normalizeName(canonical);
    } catch (err) {
      allocating(err);
    }
    await this.lock.run(c.id, async () => {
      const old = c.rec.Name;
      try {
        this.containers.reserveName(name, c.id);
      } catch (err) {
        allocating(err);
      }
      c.rec.Name = name;
      this.containers.releaseName(old, c.id);
      try {
        await this.dirs.save(c.rec);
      } catch (err) {
        c.rec.Name = old;
        this.containers.reserveName(old, c.id);
        this.containers.releaseName(name, c.id);
        throw err;
      }
      this.emit(c.rec, 'rename', { oldName: old });
    });
  }

  async update(idOrName: string, body: HostConfig & { RestartPolicy?: RestartPolicy }): Promise<{ Warnings: string[] }> {
    const c = this.get(idOrName);
    return this.lock.run(c.id, async () => {
      const hc = c.rec.HostConfig;
      const merged: HostConfig = { ...hc };
      const resourceKeys: Array<keyof Resources> = [
        'CpuShares', 'Memory', 'CgroupParent', 'BlkioWeight', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps',
        'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps', 'CpuPeriod', 'CpuQuota', 'CpuRealtimePeriod', 'CpuRealtimeRuntime',
        'CpusetCpus', 'CpusetMems', 'Devices', 'DeviceCgroupRules', 'DeviceRequests', 'KernelMemory', 'KernelMemoryTCP',
        'MemoryReservation', 'MemorySwap', 'MemorySwappiness', 'NanoCpus', 'OomKillDisable', 'PidsLimit', 'Ulimits',
        'CpuCount', 'CpuPercent', 'IOMaximumIOps', 'IOMaximumBandwidth',
      ];
      const given = body as Record<string, unknown>;
      for (const k of resourceKeys) {
        const v = given[k];
        if (v === undefined || v === null) continue;
        if (typeof v === 'number' && v === 0 && k !== 'CpuShares') continue;
        if (k === 'CgroupParent' && v !== '' && v !== hc.CgroupParent) throw invalidParameter('Cannot update container cgroup parent');
        (merged as Record<string, unknown>)[k] = v;
      }
      if (body.Memory && body.Memory > 0 && hc.Memory && body.MemorySwap === undefined && (hc.MemorySwap ?? 0) > 0 && body.Memory > (hc.MemorySwap ?? 0)) {
        throw invalidParameter('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
      }
      if (body.RestartPolicy && (body.RestartPolicy.Name !== undefined || body.RestartPolicy.MaximumRetryCount !== undefined)) {
        if (hc.AutoRemove && body.RestartPolicy.Name && body.RestartPolicy.Name !== 'no') {
          throw invalidParameter('Restart policy cannot be updated because AutoRemove is enabled for the container');
        }
        merged.RestartPolicy = { Name: body.RestartPolicy.Name ?? '', MaximumRetryCount: body.RestartPolicy.MaximumRetryCount ?? 0 };
      }
      const validated = validateHostConfig(merged, c.rec.Config, this.deps.host, { update: true, runtimes: this.knownRuntimes() });
      if (c.rec.State.Running && c.run?.created) {
        const { resources } = await buildResources(validated.hostConfig, this.deps.host);
        await c.run.runtime.update(c.id, resources).catch((err) => {
          throw systemError(`Cannot update container ${c.id}: ${errorMessage(err)}`);
        });
      }
      // A container the runtime created ahead of its start has the old settings baked in.
      if (c.run && !c.run.started) await this.discardPrestarted(c, true);
      c.rec.HostConfig = { ...validated.hostConfig };
      if (c.rec.HostConfig.Memory && c.rec.HostConfig.Memory > 0 && !c.rec.HostConfig.MemorySwap) c.rec.HostConfig.MemorySwap = c.rec.HostConfig.Memory * 2;
      await this.dirs.save(c.rec);
      this.emit(c.rec, 'update');
      return { Warnings: validated.warnings };
    });
  }

  // ---------------------------------------------------------------- resize

  async resize(idOrName: string, height: number, width: number): Promise<void> {
    const c = this.get(idOrName);
    if (!c.rec.State.Running || !c.run?.created) throw conflict(`Container ${c.id} is not running`);
    if (!c.rec.Config.Tty) return;
    await resizeTerminal(c.run.bundle, height, width).catch((err) => {
      throw systemError(`cannot resize container ${c.id}: ${errorMessage(err)}`);
    });
    this.emit(c.rec, 'resize', { height: String(height), width: String(width) });
  }

  // ---------------------------------------------------------------- attach

  /**
   * Attach a hijacked client. Returns once the attach ended. When the
   * container is not running yet, the attach waits for the next start and is
   * connected before the process runs.
   */
  async attach(idOrName: string, client: Duplex, initial: Buffer, req: AttachRequest): Promise<void> {
    const c = this.get(idOrName);
    const tty = !!c.rec.Config.Tty;
    const detachKeys = req.detachKeys ? parseDetachKeys(req.detachKeys) : DEFAULT_DETACH_KEYS;
    const multiplex = !tty && req.multiplexed;
    if (req.stdin && !c.rec.Config.OpenStdin) req.stdin = false;
    this.emit(c.rec, 'attach');
    if (req.logs) {
      for await (const entry of this.readLogEntries(c, { stdout: req.stdout, stderr: req.stderr, since: 0n, until: 0n, tail: -1, follow: false })) {
        client.write(multiplex ? frameEntry(entry) : entry.data);
      }
    }
    if (!req.stream) {
      client.end();
      return;
    }
    const opts = {
      stdin: req.stdin,
      stdout: req.stdout,
      stderr: req.stderr,
      tty,
      multiplex,
      closeStdin: !!c.rec.Config.StdinOnce && !tty,
      detachKeys,
    };
    const run = c.run;
    if (run?.created && !c.rec.State.Restarting) {
      let conn: ConmonAttachConnection;
      try {
        conn = await ConmonAttachConnection.connect(attachSocketPath(this.socketDir, c.id));
      } catch {
        client.end();
        return;
      }
      await bridgeAttach(client, initial, conn, opts);
      return;
    }
    // Not running: wait for the next start (docker start -a, docker run).
    await new Promise<void>((resolve) => {
      let settled = false;
      const pending: PendingAttach = {
        connect: async (socketPath: string) => {
          const conn = await ConmonAttachConnection.connect(socketPath).catch((err: unknown) => {
            settled = true;
            client.end();
            resolve();
            throw err;
          });
          settled = true;
          void bridgeAttach(client, initial, conn, opts).then(() => resolve());
        },
        abort: () => {
          if (settled) return;
          settled = true;
          client.end();
          resolve();
        },
      };
      c.pendingAttach.add(pending);
      const onGone = (): void => {
        if (settled) return;
        c.pendingAttach.delete(pending);
        settled = true;
        resolve();
      };
      client.once('close', onGone);
      // Keep what the client sends before the start; its half-close shows as readableEnded later.
      const collect = (d: Buffer): void => {
        initial = Buffer.concat([initial, d]);
      };
      client.on('data', collect);
      client.resume();
      const origConnect = pending.connect;
      pending.connect = async (socketPath: string) => {
        client.off('data', collect);
        client.pause();
        await origConnect(socketPath);
      };
    });
  }

  // ---------------------------------------------------------------- logs

  private readLogEntries(c: Container, o: Omit<ReadLogsOptions, 'stopped'>): AsyncGenerator<LogEntry> {
    const file = c.log.Type === 'json-file' || c.log.Type === 'local' ? logFilePath(this.dirs.dir(c.id), c.id, c.log.Type) : '';
    const running = c.run?.started ? c.run.exited.promise.then(() => undefined) : Promise.resolve();
    return readLogs(file, c.log.maxFile, {
      stdout: o.stdout,
      stderr: o.stderr,
      since: o.since,
      until: o.until,
      tail: o.tail,
      follow: o.follow && !!c.rec.State.Running,
      stopped: running,
      ...(o.cancelled ? { cancelled: o.cancelled } : {}),
    });
  }

  /** docker logs: entries plus what the API needs to frame them. */
  logs(idOrName: string, o: LogsOptions, cancelled: Promise<void>): { tty: boolean; details: string; entries: AsyncGenerator<LogEntry> } {
    const c = this.get(idOrName);
    if (!o.stdout && !o.stderr) throw invalidParameter('Bad parameters: you must choose at least one stream');
    if (c.log.Type === 'none' || c.log.Type === 'journald') throw new EngineError('not-implemented', 'configured logging driver does not support reading');
    const details = o.details ? logDetails(c.rec, c.log) : '';
    return { tty: !!c.rec.Config.Tty, details, entries: this.readLogEntries(c, { ...o, cancelled }) };
  }

  // ---------------------------------------------------------------- list, prune

  /** Records for `docker ps`, newest first, filtered (moby daemon/list.go). */
  list(opts: { all: boolean; limit: number; filters: Filters }): ContainerRecord[] {
    const f = opts.filters;
    f.validate(['ancestor', 'before', 'expose', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name', 'network', 'publish', 'since', 'status', 'volume']);
    for (const s of f.get('status')) {
      if (!['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'].includes(s)) throw invalidParameter(`invalid filter 'status=${s}'`);
    }
    for (const h of f.get('health')) {
      if (!['starting', 'healthy', 'unhealthy', 'none'].includes(h)) throw invalidParameter(`Unrecognised filter value for health: ${h}`);
    }
    const exited = f.get('exited').map((e) => {
      const n = Number(e);
      if (!Number.isInteger(n)) throw invalidParameter(`invalid filter 'exited=${e}'`);
      return n;
    });
    const isTask = f.boolValue('is-task');
    const sorted = this.containers.all().sort((a, b) => (nanoOf(b.rec.Created) > nanoOf(a.rec.Created) ? 1 : -1));
    let beforeNs: bigint | undefined;
    let sinceNs: bigint | undefined;
    // moby's idOrNameFilter answers with its container view's own error: "no such container X".
    const reference = (v: string): bigint => {
      try {
        return nanoOf(this.get(v).rec.Created);
      } catch (err) {
        if (isEngineError(err, 'not-found')) throw notFound(`no such container ${v}`);
        throw err;
      }
    };
    for (const v of f.get('before')) beforeNs = reference(v);
    for (const v of f.get('since')) sinceNs = reference(v);
    const all = opts.all || opts.limit > 0 || beforeNs !== undefined || sinceNs !== undefined || f.has('status') || f.has('exited');
    const out: ContainerRecord[] = [];
    for (const c of sorted) {
      const r = c.rec;
      const status = statusOf(r.State);
      if (!all && status !== 'running' && status !== 'paused' && status !== 'restarting') continue;
      const created = nanoOf(r.Created);
      if (beforeNs !== undefined && created >= beforeNs) continue;
      if (sinceNs !== undefined && created <= sinceNs) continue;
      if (f.has('id') && !f.get('id').some((v) => r.ID.startsWith(v))) continue;
      if (f.has('name') && !f.get('name').some((v) => matchName(r.Name, v))) continue;
      if (!f.matchLabels(r.Config.Labels ?? {})) continue;
      if (f.has('status') && !f.get('status').includes(status)) continue;
      if (exited.length && (status !== 'exited' || !exited.includes(r.State.ExitCode))) continue;
      if (f.has('health')) {
        const h = r.State.Health?.Status ?? 'none';
        if (!f.get('health').includes(h)) continue;
      }
      if (isTask !== undefined && isTask) continue;
      if (f.has('ancestor') && !f.get('ancestor').some((a) => this.isAncestor(r, a))) continue;
      if (f.has('volume') && !f.get('volume').some((v) => r.MountPoints.some((m) => m.Name === v || m.Source === v || m.Destination === v))) continue;
      if (f.has('network') && !f.get('network').some((n) => Object.entries(r.NetworkSettings.Networks).some(([name, ep]) => name === n || (ep.NetworkID ?? '').startsWith(n)))) continue;
      if (f.has('publish') && !f.get('publish').some((p) => portFilterMatch(Object.keys(r.HostConfig.PortBindings ?? {}), p, (r.HostConfig.PortBindings ?? {})))) continue;
      if (f.has('expose') && !f.get('expose').some((p) => portFilterMatch(Object.keys(r.Config.ExposedPorts ?? {}), p))) continue;
      out.push(r);
      if (opts.limit > 0 && out.length >= opts.limit) break;
    }
    return out;
  }

  private isAncestor(r: ContainerRecord, ancestor: string): boolean {
    if (r.Config.Image === ancestor) return true;
    try {
      const img = this.deps.images.resolveForContainer(ancestor);
      return img.id === r.Image;
    } catch {
      return r.Image.replace(/^sha256:/, '').startsWith(ancestor.replace(/^sha256:/, ''));
    }
  }

  async prune(filters: Filters): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    filters.validate(['label', 'label!', 'until']);
    const until = filters.get('until');
    const untilNs = until.length ? (await import('../common/time.js')).parseDockerTimestamp(until[0]!) : undefined;
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const c of this.containers.all()) {
      const r = c.rec;
      if (r.State.Running || r.State.RemovalInProgress) continue;
      if (untilNs !== undefined && nanoOf(r.Created) >= untilNs) continue;
      if (!filters.matchLabels(r.Config.Labels ?? {})) continue;
      if (filters.has('label!') && filters.get('label!').some((l) => labelMatches(r.Config.Labels ?? {}, l))) continue;
      const size = await this.deps.layers.rwSize(r.ID).catch(() => 0);
      try {
        await this.lock.run(c.id, () => this.removeLocked(c, { removeVolumes: false }));
        deleted.push(r.ID);
        reclaimed += size;
      } catch (err) {
        this.log.warn('prune: could not remove container', { container: r.ID, err: errorMessage(err) });
      }
    }
    return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }

  /** The generated OCI spec of a running container (exec reuses its process settings). */
  async runningSpec(idOrName: string): Promise<OciSpec> {
    const info = this.runningInfo(idOrName);
    return JSON.parse(await fs.readFile(path.join(info.bundle, 'config.json'), 'utf8')) as OciSpec;
  }

  /** Mount a container's rootfs for file access (cp, export, commit); call the returned release. */
  async mountRootfs(idOrName: string): Promise<{ rec: ContainerRecord; rootfs: string; release(): Promise<void> }> {
    const c = this.get(idOrName);
    const rootfs = await this.deps.layers.mountRW(c.id);
    let released = false;
    return {
      rec: c.rec,
      rootfs,
      release: async () => {
        if (released) return;
        released = true;
        await this.deps.layers.unmountRW(c.id).catch(() => undefined);
      },
    };
  }

  get layers(): RwLayerStore {
    return this.deps.layers;
  }
  get images(): ImageProvider {
    return this.deps.images;
  }
  get hostInfo(): SpecHostInfo {
    return this.deps.host;
  }
  get conmon(): string {
    return this.conmonPath;
  }
}

function withTimeout(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

function frameEntry(e: LogEntry): Buffer {
  const header = Buffer.alloc(8);
  header[0] = e.stream === 'stdout' ? 1 : 2;
  header.writeUInt32BE(e.data.length, 4);
  return Buffer.concat([header, e.data]);
}

/** moby's name filter: a regular expression on the name (with its slash), or its plain form. */
function matchName(name: string, pattern: string): boolean {
  try {
    return new RegExp(pattern).test(name);
  } catch {
    return name === pattern || name === `/${pattern}`;
  }
}

function labelMatches(labels: Record<string, string>, cond: string): boolean {
  const eq = cond.indexOf('=');
  if (eq < 0) return cond in labels;
  return labels[cond.slice(0, eq)] === cond.slice(eq + 1);
}

/** publish/expose filters: "80", "80/tcp", "8000-8080/tcp". */
function portFilterMatch(ports: string[], filter: string, bindings?: Record<string, Array<{ HostPort?: string }> | null>): boolean {
  const [range, proto = 'tcp'] = filter.split('/');
  const [lo, hi] = (range ?? '').split('-').map(Number);
  const inRange = (n: number): boolean => (hi !== undefined && !Number.isNaN(hi) ? n >= lo! && n <= hi : n === lo);
  for (const p of ports) {
    const [num, pp = 'tcp'] = p.split('/');
    if (pp !== proto) continue;
    if (bindings) {
      for (const b of bindings[p] ?? []) if (b.HostPort && inRange(Number(b.HostPort))) return true;
    }
    if (inRange(Number(num))) return true;
  }
  return false;
}

/** docker logs --details: the log-opt labels and env values as "k=v,k=v". */
function logDetails(rec: ContainerRecord, log: ResolvedLogConfig): string {
  const out: string[] = [];
  const labels = (log.Config.labels ?? '').split(',').filter(Boolean);
  for (const l of labels) {
    const v = rec.Config.Labels?.[l];
    if (v !== undefined) out.push(`${l}=${v}`);
  }
  const envKeys = (log.Config.env ?? '').split(',').filter(Boolean);
  for (const k of envKeys) {
    const e = (rec.Config.Env ?? []).find((x) => x.startsWith(`${k}=`));
    if (e) out.push(e);
  }
  return out.sort().join(',');
}

export { shortId };
