// berthd: parse flags and daemon.json, take the data-root lock, wire the
// engine's services to the API router, listen, and handle signals.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createLogger, parseLogLevel, type Logger } from '../common/log.js';
import { FileLock } from '../common/flock.js';
import { ApiServer } from '../api/http/server.js';
import { Router } from '../api/http/router.js';
import { SystemRoutes } from '../api/system/routes.js';
import { berthVersion } from '../common/version.js';
import { API_VERSION_MAX } from '../api/http/version.js';
import { applyConfigFile, defaultUnixSocket, isLoopbackTcp, reloadableKeys, type DaemonConfig } from './config.js';
import { parseDaemonArgs } from './flags.js';
import { readHostInfo } from './host-info.js';
import { DaemonSystem, loadEngineId } from './system.js';
import { EventBus } from '../common/events.js';
import { EventRoutes } from '../api/system/events.js';
import { ContainerRoutes } from '../api/containers/routes.js';
import { ExecRoutes } from '../api/exec/routes.js';
import { ContainerService, type RuntimeSettings } from '../runtime/service.js';
import { ContainerFiles } from '../runtime/files.js';
import { containerSummaries } from '../runtime/listing.js';
import { Filters } from '../api/http/filters.js';
import { ExecManager } from '../runtime/exec.js';
import { NetworkAttachers } from '../runtime/network.js';
import { detectHostInfo } from '../runtime/spec/host.js';
import { LayerStore } from '../storage/store.js';
import { ImageService } from '../image/service.js';
import { Distribution } from '../image/distribution.js';
import { ImageRoutes } from '../api/images/routes.js';
import { RegistryService } from '../registry/service.js';
import { NetworkService } from '../network/service.js';
import { NetworkRoutes } from '../api/networks/routes.js';
import { VolumeService } from '../volume/service.js';
import { VolumeMountResolver } from '../volume/resolver.js';
import { VolumeRoutes } from '../api/volumes/routes.js';
import { Builder } from '../build/builder/builder.js';
import { BuildRoutes } from '../api/build/routes.js';

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseDaemonArgs(argv);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 125;
  }
  if (parsed.help) {
    process.stdout.write(parsed.help);
    return 0;
  }
  if (parsed.version) {
    process.stdout.write(`berthd version ${berthVersion}, API ${API_VERSION_MAX}\n`);
    return 0;
  }
  let config: DaemonConfig;
  try {
    config = parsed.build();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  const { logger, sink } = createLogger(config.debug ? 'debug' : config.logLevel, config.logFile);

  if (config.hosts.length === 0) config.hosts = [defaultUnixSocket];
  for (const h of config.hosts) {
    if (h.startsWith('tcp://') && !config.tls && !config.tlsVerify && !isLoopbackTcp(h)) {
      if (!config.insecureTcp) {
        logger.error(`refusing to listen on ${h} without TLS: use --tlsverify, or --insecure-tcp to accept that anyone on the network can control this host`);
        return 1;
      }
      logger.warn(`Binding to ${h} without TLS: anyone who can reach this address has root on this host`);
    }
  }

  await fs.mkdir(config.dataRoot, { recursive: true, mode: 0o711 });
  await fs.mkdir(config.execRoot, { recursive: true, mode: 0o700 });
  const lock = FileLock.tryAcquire(path.join(config.dataRoot, 'berthd.lock'));
  if (!lock) {
    process.stderr.write(`berthd: another berthd is already running with data root ${config.dataRoot} (lock ${path.join(config.dataRoot, 'berthd.lock')} is held)\n`);
    return 1;
  }
  lock.writePid(process.pid);
  await fs.mkdir(path.dirname(config.pidfile), { recursive: true });
  await fs.writeFile(config.pidfile, `${process.pid}`);

  let current = config;
  const host = readHostInfo();
  const engineId = await loadEngineId(config.dataRoot);
  const startedAt = new Date();

  const commonHeaders = {
    'Api-Version': API_VERSION_MAX,
    'Docker-Experimental': String(config.experimental),
    Ostype: 'linux',
    Server: `Berth/${berthVersion} (linux)`,
  };
  const router = new Router(logger, commonHeaders);
  const engine = await wireEngine({ config, logger, router });
  router.addGroup(
    new SystemRoutes(new DaemonSystem(() => current, host, engineId, engine.infoSources, startedAt)),
  );

  const server = new ApiServer(router, logger);
  try {
    for (const h of config.hosts) {
      await server.listen({
        address: h,
        socketGroup: config.group,
        tls: config.tls || config.tlsVerify ? { verify: config.tlsVerify, ca: config.tlsCaCert, cert: config.tlsCert, key: config.tlsKey } : undefined,
      });
    }
  } catch (err) {
    logger.error(`failed to listen: ${err instanceof Error ? err.message : String(err)}`);
    await engine.shutdown();
    lock.release();
    return 1;
  }
  logger.info('Daemon has completed initialization', { version: berthVersion, root: config.dataRoot });

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info(`Processing signal '${signal}'`);
    // Containers outlive berthd (live restore): a shutdown step that hangs must not keep it alive.
    setTimeout(() => {
      logger.error('shutdown did not finish within 30s; exiting');
      process.exit(1);
    }, 30_000).unref();
    server.closeIdle();
    await server.close();
    await engine.shutdown();
    await fs.rm(config.pidfile, { force: true });
    lock.release();
    logger.info('Daemon shutdown complete');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('terminated'));
  process.on('SIGINT', () => void shutdown('interrupt'));
  process.on('SIGHUP', () => {
    try {
      current = applyConfigFile(current, config.configFile, false, reloadableKeys);
      sink.level = current.debug ? 'debug' : parseLogLevel(current.logLevel);
      engine.reload(current);
      logger.info('Reloaded configuration', { file: config.configFile });
    } catch (err) {
      logger.error(`Error reloading configuration: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  return -1; // keep running
}

interface WireInput {
  config: DaemonConfig;
  logger: Logger;
  router: Router;
}

// The services the daemon wires; filled in as each concern lands.
async function wireEngine(input: WireInput): Promise<{
  infoSources: ConstructorParameters<typeof DaemonSystem>[3];
  shutdown(): Promise<void>;
  reload(config: DaemonConfig): void;
}> {
  const { config, logger, router } = input;
  // Layers (src/storage) and images (src/image): the image service re-asserts
  // its layer ownership and collects what a crash left at open.
  const layers = new LayerStore({ root: path.join(config.dataRoot, 'storage'), driver: (config.storageDriver as 'overlay2' | 'vfs' | undefined) ?? 'auto', logger });
  await layers.open();
  const images = await ImageService.open({ dataRoot: config.dataRoot, layers, logger });
  const registry = new RegistryService({ insecureRegistries: config.insecureRegistries, mirrors: config.registryMirrors });
  const distribution = new Distribution(images, {
    registry,
    maxConcurrentDownloads: config.maxConcurrentDownloads,
    maxConcurrentUploads: config.maxConcurrentUploads,
  });
  router.addGroup(new ImageRoutes(images, distribution, { login: (auth) => registry.login(undefined, auth) }));
  // Volumes (src/volume) under <data-root>/volumes. The container runtime
  // plugs them in with `new VolumeMountResolver({ volumes, daemonRoot:
  // config.dataRoot, rootfs: layers })` as its MountResolver, calls its
  // restore() once containers are loaded, and gives the event bus here.
  const volumes = await VolumeService.open({ dataRoot: config.dataRoot, logger });
  router.addGroup(new VolumeRoutes(volumes));
  // Networks (src/network): bridges, namespaces, published ports, embedded
  // DNS, the daemon's nftables table. The container runtime registers
  // `networks` as a NetworkAttacher in front of its built-in ones (it serves
  // `default`, `bridge` and user-defined networks), calls
  // networks.setContainerDirectory(...) for connect/disconnect and --link,
  // and the event bus goes in as `events`.
  const networks = new NetworkService({
    dataRoot: config.dataRoot,
    execRoot: config.execRoot,
    bridge: config.bridge,
    bip: config.bip,
    defaultAddressPools: config.defaultAddressPools,
    iptables: config.iptables,
    dns: config.dns,
    logger,
  });
  await networks.open();
  router.addGroup(new NetworkRoutes(networks));

  // Events (src/common/events.ts): one bus that every service publishes to; GET /events serves it.
  const events = new EventBus();
  images.setEventSink((action, id, attributes) => events.publish({ Type: 'image', Action: action, Actor: { ID: id, Attributes: attributes } }));
  networks.setEventPublisher(events);
  volumes.setEventSink(events);
  router.addGroup(new EventRoutes(events));

  // Containers (src/runtime): conmon and the OCI runtime; volumes and networks plug in as its MountResolver and NetworkAttacher.
  let runtimeConfig = config;
  const hostInfo = await detectHostInfo();
  const attachers = new NetworkAttachers();
  attachers.register(networks);
  const mountResolver = new VolumeMountResolver({ volumes, daemonRoot: config.dataRoot, rootfs: layers });
  const containers = new ContainerService({
    settings: () => runtimeSettings(runtimeConfig),
    logger,
    events,
    images,
    layers,
    host: hostInfo,
    networks: attachers,
    mounts: mountResolver,
  });
  networks.setContainerDirectory(containers.networkDirectory());
  await containers.init();
  router.addGroup(new ContainerRoutes(containers, new ContainerFiles(containers)));
  router.addGroup(new ExecRoutes(new ExecManager(containers)));
  // The Dockerfile builder (src/build/builder): POST /build, POST /build/prune.
  const builder = await Builder.open({
    images,
    containers,
    layers,
    dataRoot: config.dataRoot,
    logger,
    pull: async (ref, platform, out) => {
      const { ref: named, allTags } = Distribution.pullReference(ref, undefined);
      await distribution.pull(named, allTags, undefined, platform, out);
    },
  });
  router.addGroup(new BuildRoutes(builder));
  return {
    infoSources: {
      containerCounts: () => containers.counts(),
      imageCount: () => images.imageCount,
      storageDriver: () => ({ name: layers.driverName, status: layers.status() }),
      warnings: () => [],
      imageDiskUsage: () => images.diskUsage(),
      containerDiskUsage: () => containerSummaries(containers, { all: true, limit: 0, filters: Filters.parse(undefined), size: true }),
      volumeDiskUsage: () => volumes.diskUsage(),
      buildCacheDiskUsage: () => builder.diskUsage(),
    },
    shutdown: async () => {
      await containers.shutdown().catch(() => undefined);
      await networks.shutdown().catch((err: unknown) => logger.warn(`network shutdown: ${err instanceof Error ? err.message : String(err)}`));
      await volumes.close().catch(() => undefined);
      await registry.close().catch(() => undefined);
      await layers.close().catch(() => undefined);
    },
    reload: (next: DaemonConfig) => {
      runtimeConfig = next;
    },
  };
}

/** The runtime's settings from dockerd-style configuration. */
function runtimeSettings(c: DaemonConfig): RuntimeSettings {
  const bip = c.bip?.split('/')[0];
  return {
    dataRoot: c.dataRoot,
    execRoot: c.execRoot,
    runtimes: c.runtimes,
    defaultRuntime: c.defaultRuntime,
    logDriver: c.logDriver,
    logOpts: c.logOpts,
    dns: c.dns,
    dnsSearch: c.dnsSearch,
    dnsOptions: c.dnsOptions,
    defaultShmSize: c.defaultShmSize,
    ...(c.cgroupParent ? { cgroupParent: c.cgroupParent } : {}),
    defaultUlimits: Object.values(c.defaultUlimits),
    hostGateway: bip ?? '172.17.0.1',
  };
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`berthd: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
