// berth info / berth system info: docker 28's layout (docker/cli
// cli/command/system/info.go behaviour): a Client section, then the Server's
// figures from GET /info, daemon warnings on stderr; --format runs against
// docker's dockerInfo struct (system.Info embedded, ClientInfo beside it).
import { defineCommand, noArgs, StatusError, type TextWriter } from '../../command.js';
import { ApiError, ConnectionError } from '../../client/api-client.js';
import { readCliConfig } from '../../client/contexts.js';
import { JSON_FORMAT, JSON_FORMAT_KEY, Template, TemplateError, markStruct } from '../../format/index.js';
import { goStruct, goStructOf, stringMap, stringSlice, type FieldSchema, type StructSchema } from '../../gotypes.js';
import { apiClient, daemonError, endpointFor } from '../../session.js';
import { inspectFormatFlag } from '../../shared-options.js';
import { bytesSize } from '../../units.js';
import { CLIENT_VERSION_FIELDS, clientVersionFields } from './client-info.js';

const COMMIT_SCHEMA: StructSchema = {
  name: 'system.Commit',
  fields: [
    { go: 'ID', type: 'string' },
    { go: 'Expected', type: 'string', omitempty: true },
  ],
};

const PLUGINS_INFO_SCHEMA: StructSchema = {
  name: 'system.PluginsInfo',
  fields: [
    { go: 'Volume', type: stringSlice },
    { go: 'Network', type: stringSlice },
    { go: 'Authorization', type: stringSlice },
    { go: 'Log', type: stringSlice },
  ],
};

// The field order docker 28.2's client marshals (IndexInfo and ServiceConfig as it prints them).
const INDEX_INFO_SCHEMA: StructSchema = {
  name: 'registry.IndexInfo',
  fields: [
    { go: 'Mirrors', type: stringSlice },
    { go: 'Name', type: 'string' },
    { go: 'Official', type: 'bool' },
    { go: 'Secure', type: 'bool' },
  ],
};

const SERVICE_CONFIG_SCHEMA: StructSchema = {
  name: 'registry.ServiceConfig',
  fields: [
    { go: 'IndexConfigs', type: { map: { struct: INDEX_INFO_SCHEMA, pointer: true }, typeName: 'map[string]*registry.IndexInfo' } },
    { go: 'InsecureRegistryCIDRs', type: stringSlice },
    { go: 'Mirrors', type: stringSlice },
  ],
};

const RUNTIME_SCHEMA: StructSchema = {
  name: 'system.RuntimeWithStatus',
  fields: [
    { go: 'Path', json: 'path', type: 'string', omitempty: true },
    { go: 'Args', json: 'runtimeArgs', type: stringSlice, omitempty: true },
    { go: 'Shim', json: 'shim', type: 'any', omitempty: true },
    { go: 'Status', json: 'status', type: stringMap, omitempty: true },
  ],
};

const SWARM_INFO_SCHEMA: StructSchema = {
  name: 'swarm.Info',
  fields: [
    { go: 'NodeID', type: 'string' },
    { go: 'NodeAddr', type: 'string' },
    { go: 'LocalNodeState', type: 'string' },
    { go: 'ControlAvailable', type: 'bool' },
    { go: 'Error', type: 'string' },
    { go: 'RemoteManagers', type: { slice: 'any' } },
    { go: 'Nodes', type: 'int', omitempty: true },
    { go: 'Managers', type: 'int', omitempty: true },
    { go: 'Cluster', type: 'any', omitempty: true },
    { go: 'Warnings', type: stringSlice, omitempty: true },
  ],
};

const ADDRESS_POOL_SCHEMA: StructSchema = {
  name: 'system.NetworkAddressPool',
  fields: [
    { go: 'Base', type: 'string' },
    { go: 'Size', type: 'int' },
  ],
};

/** docker 28.2's system.Info fields (api/types/system/info.go). */
const SERVER_INFO_FIELDS: readonly FieldSchema[] = [
  { go: 'ID', type: 'string' },
  { go: 'Containers', type: 'int' },
  { go: 'ContainersRunning', type: 'int' },
  { go: 'ContainersPaused', type: 'int' },
  { go: 'ContainersStopped', type: 'int' },
  { go: 'Images', type: 'int' },
  { go: 'Driver', type: 'string' },
  { go: 'DriverStatus', type: { slice: stringSlice } },
  { go: 'SystemStatus', type: { slice: stringSlice }, omitempty: true },
  { go: 'Plugins', type: { struct: PLUGINS_INFO_SCHEMA } },
  { go: 'MemoryLimit', type: 'bool' },
  { go: 'SwapLimit', type: 'bool' },
  { go: 'KernelMemory', type: 'bool', omitempty: true },
  { go: 'KernelMemoryTCP', type: 'bool', omitempty: true },
  { go: 'CPUCfsPeriod', json: 'CpuCfsPeriod', type: 'bool' },
  { go: 'CPUCfsQuota', json: 'CpuCfsQuota', type: 'bool' },
  { go: 'CPUShares', type: 'bool' },
  { go: 'CPUSet', type: 'bool' },
  { go: 'PidsLimit', type: 'bool' },
  { go: 'IPv4Forwarding', type: 'bool' },
  { go: 'Debug', type: 'bool' },
  { go: 'NFd', type: 'int' },
  { go: 'OomKillDisable', type: 'bool' },
  { go: 'NGoroutines', type: 'int' },
  { go: 'SystemTime', type: 'string' },
  { go: 'LoggingDriver', type: 'string' },
  { go: 'CgroupDriver', type: 'string' },
  { go: 'CgroupVersion', type: 'string', omitempty: true },
  { go: 'NEventsListener', type: 'int' },
  { go: 'KernelVersion', type: 'string' },
  { go: 'OperatingSystem', type: 'string' },
  { go: 'OSVersion', type: 'string' },
  { go: 'OSType', type: 'string' },
  { go: 'Architecture', type: 'string' },
  { go: 'IndexServerAddress', type: 'string' },
  { go: 'RegistryConfig', type: { struct: SERVICE_CONFIG_SCHEMA, pointer: true } },
  { go: 'NCPU', type: 'int' },
  { go: 'MemTotal', type: 'int' },
  { go: 'GenericResources', type: { slice: 'any' } },
  { go: 'DockerRootDir', type: 'string' },
  { go: 'HTTPProxy', json: 'HttpProxy', type: 'string' },
  { go: 'HTTPSProxy', json: 'HttpsProxy', type: 'string' },
  { go: 'NoProxy', type: 'string' },
  { go: 'Name', type: 'string' },
  { go: 'Labels', type: stringSlice },
  { go: 'ExperimentalBuild', type: 'bool' },
  { go: 'ServerVersion', type: 'string' },
  { go: 'Runtimes', type: { map: { struct: RUNTIME_SCHEMA }, typeName: 'map[string]system.RuntimeWithStatus' } },
  { go: 'DefaultRuntime', type: 'string' },
  { go: 'Swarm', type: { struct: SWARM_INFO_SCHEMA } },
  { go: 'LiveRestoreEnabled', type: 'bool' },
  { go: 'Isolation', type: 'string' },
  { go: 'InitBinary', type: 'string' },
  { go: 'ContainerdCommit', type: { struct: COMMIT_SCHEMA } },
  { go: 'RuncCommit', type: { struct: COMMIT_SCHEMA } },
  { go: 'InitCommit', type: { struct: COMMIT_SCHEMA } },
  { go: 'SecurityOptions', type: stringSlice },
  { go: 'ProductLicense', type: 'string', omitempty: true },
  { go: 'DefaultAddressPools', type: { slice: { struct: ADDRESS_POOL_SCHEMA } }, omitempty: true },
  { go: 'FirewallBackend', type: 'any', omitempty: true },
  { go: 'CDISpecDirs', type: stringSlice },
  { go: 'Containerd', type: 'any', omitempty: true },
  { go: 'Warnings', type: stringSlice },
];

const CLIENT_INFO_SCHEMA: StructSchema = {
  name: '*system.clientInfo',
  fields: [{ go: 'Debug', type: 'bool' }, ...CLIENT_VERSION_FIELDS, { go: 'Plugins', type: { slice: 'any' } }, { go: 'Warnings', type: stringSlice }],
};

const DOCKER_INFO_SCHEMA: StructSchema = {
  name: 'system.dockerInfo',
  fields: [
    ...SERVER_INFO_FIELDS,
    { go: 'ServerErrors', type: stringSlice, omitempty: true },
    { go: 'ClientInfo', type: { struct: CLIENT_INFO_SCHEMA, pointer: true }, omitempty: true },
    { go: 'ClientErrors', type: stringSlice, omitempty: true },
  ],
};

// docker's needsServerInfo: a template naming only client fields is answered without the daemon.
function needsServerInfo(format: string, clientInfo: unknown): boolean {
  if (format === '' || !/\.[a-zA-Z]/.test(format)) return true;
  let tmpl: Template;
  try {
    tmpl = Template.parse(format);
  } catch {
    return true;
  }
  try {
    tmpl.execute(markStruct({ ClientInfo: clientInfo, ClientErrors: [] as string[] }, 'system.sparseInfo'));
    return false;
  } catch {
    return true;
  }
}

export const infoCommand = defineCommand({
  name: 'info',
  usage: '[OPTIONS]',
  description: 'Display system-wide information',
  flags: { format: inspectFormatFlag },
  args: noArgs,
  async run(ctx) {
    const format = ctx.flags.format;
    const endpoint = endpointFor(ctx.global);
    const clientInfo = goStructOf(CLIENT_INFO_SCHEMA, {
      ...(await clientVersionFields(endpoint.contextName)),
      Debug: ctx.global.debug,
      Plugins: format === '' ? null : [],
    });

    let server: Record<string, unknown> | undefined;
    let serverError: unknown;
    if (needsServerInfo(format, clientInfo)) {
      try {
        server = (await apiClient(ctx).json<Record<string, unknown>>('GET', '/info')) ?? {};
      } catch (err) {
        if (!(err instanceof ApiError) && !(err instanceof ConnectionError)) throw err;
        serverError = err;
      }
    }

    if (format === '') {
      writeClientSection(ctx.stdout, clientInfo);
      ctx.stdout.write('\nServer:\n');
      if (serverError !== undefined) throw daemonError(serverError);
      const errors: string[] = [];
      if (server) errors.push(...writeServerSection(ctx.stdout, ctx.stderr, server, ctx.global.debug, indexUsername(ctx.global.config)));
      if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
      return 0;
    }

    if (serverError !== undefined) ctx.stderr.write(`${daemonError(serverError).status}\n`);
    const data = goStruct(DOCKER_INFO_SCHEMA, { ...(server ?? {}), ClientInfo: clientInfo });
    let tmpl: Template;
    try {
      tmpl = Template.parse(format === JSON_FORMAT_KEY ? JSON_FORMAT : format);
    } catch (err) {
      if (err instanceof TemplateError) throw new StatusError(`template parsing error: ${err.message}`, 64);
      throw err;
    }
    try {
      ctx.stdout.write(`${tmpl.execute(data)}\n`);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      ctx.stdout.write(`${err.partialOutput}\n`);
      throw new StatusError(err.message, 1);
    }
    return serverError === undefined ? 0 : 1;
  },
});

/** The Docker Hub username config.json holds (docker prints it as "Username:"). */
function indexUsername(configDir: string): string {
  const auths = readCliConfig(configDir).auths;
  if (typeof auths !== 'object' || auths === null) return '';
  const entry = (auths as Record<string, unknown>)['https://index.docker.io/v1/'];
  if (typeof entry !== 'object' || entry === null) return '';
  const fields = entry as Record<string, unknown>;
  if (typeof fields.username === 'string' && fields.username !== '') return fields.username;
  if (typeof fields.auth !== 'string') return '';
  const decoded = Buffer.from(fields.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? '' : decoded.slice(0, colon);
}

// Go's fmt.Println: operands separated by spaces.
function println(out: TextWriter, ...values: unknown[]): void {
  out.write(`${values.map((v) => (v === null || v === undefined ? '<nil>' : String(v))).join(' ')}\n`);
}

function printlnNonEmpty(out: TextWriter, label: string, value: unknown): void {
  if (typeof value === 'string' && value !== '') println(out, label, value);
}

function writeClientSection(out: TextWriter, client: Record<string, unknown>): void {
  out.write('Client:\n');
  printlnNonEmpty(out, ' Version:   ', client.Version);
  println(out, ' Context:   ', client.Context);
  println(out, ' Debug Mode:', client.Debug);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => String(x)) : [];
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** docker's system.DecodeSecurityOptions. */
function decodeSecurityOptions(options: readonly string[]): Array<{ name: string; profile?: string }> {
  return options.map((opt) => {
    let name = '';
    let profile: string | undefined;
    for (const kv of opt.split(',')) {
      const eq = kv.indexOf('=');
      if (eq < 0) throw new Error(`invalid security option ${JSON.stringify(opt)}`);
      const key = kv.slice(0, eq);
      const value = kv.slice(eq + 1);
      if (key === 'name') name = value;
      else if (key === 'profile') profile = value;
    }
    if (name === '') throw new Error('invalid security option "' + opt + '"');
    return { name, profile };
  });
}

function writeServerSection(
  out: TextWriter,
  err: TextWriter,
  info: Record<string, unknown>,
  clientDebug: boolean,
  username: string,
): string[] {
  const errors: string[] = [];
  const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
  println(out, ' Containers:', num(info.Containers));
  println(out, '  Running:', num(info.ContainersRunning));
  println(out, '  Paused:', num(info.ContainersPaused));
  println(out, '  Stopped:', num(info.ContainersStopped));
  println(out, ' Images:', num(info.Images));
  printlnNonEmpty(out, ' Server Version:', info.ServerVersion);
  printlnNonEmpty(out, ' Storage Driver:', info.Driver);
  for (const pair of Array.isArray(info.DriverStatus) ? info.DriverStatus : []) {
    const [k, v] = strings(pair);
    out.write(`  ${k ?? ''}: ${v ?? ''}\n`);
  }
  for (const pair of Array.isArray(info.SystemStatus) ? info.SystemStatus : []) {
    const [k, v] = strings(pair);
    out.write(` ${k ?? ''}: ${v ?? ''}\n`);
  }
  printlnNonEmpty(out, ' Logging Driver:', info.LoggingDriver);
  printlnNonEmpty(out, ' Cgroup Driver:', info.CgroupDriver);
  printlnNonEmpty(out, ' Cgroup Version:', info.CgroupVersion);

  const plugins = record(info.Plugins);
  println(out, ' Plugins:');
  println(out, '  Volume:', strings(plugins.Volume).join(' '));
  println(out, '  Network:', strings(plugins.Network).join(' '));
  if (strings(plugins.Authorization).length > 0) println(out, '  Authorization:', strings(plugins.Authorization).join(' '));
  println(out, '  Log:', strings(plugins.Log).join(' '));
  const cdi = strings(info.CDISpecDirs);
  if (cdi.length > 0) {
    println(out, ' CDI spec directories:');
    for (const dir of cdi) out.write(`  ${dir}\n`);
  }

  const swarm = record(info.Swarm);
  println(out, ' Swarm:', String(swarm.LocalNodeState ?? ''));
  if (swarm.LocalNodeState !== 'inactive' && swarm.LocalNodeState !== 'locked' && swarm.LocalNodeState !== undefined) {
    println(out, '  NodeID:', String(swarm.NodeID ?? ''));
    if (swarm.Error) println(out, '  Error:', String(swarm.Error));
    println(out, '  Is Manager:', swarm.ControlAvailable === true);
    println(out, '  Node Address:', String(swarm.NodeAddr ?? ''));
  }

  const runtimes = Object.keys(record(info.Runtimes)).sort();
  if (runtimes.length > 0) {
    println(out, ' Runtimes:', runtimes.join(' '));
    println(out, ' Default Runtime:', String(info.DefaultRuntime ?? ''));
  }

  if (info.OSType === 'linux') {
    println(out, ' Init Binary:', String(info.InitBinary ?? ''));
    println(out, ' containerd version:', String(record(info.ContainerdCommit).ID ?? ''));
    println(out, ' runc version:', String(record(info.RuncCommit).ID ?? ''));
    println(out, ' init version:', String(record(info.InitCommit).ID ?? ''));
    const security = strings(info.SecurityOptions);
    if (security.length > 0) {
      try {
        const decoded = decodeSecurityOptions(security);
        println(out, ' Security Options:');
        for (const so of decoded) {
          println(out, `  ${so.name}`);
          if (so.profile !== undefined) println(out, '   Profile:', so.profile);
        }
      } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e));
      }
    }
  }
  if (info.OSType === 'windows') println(out, ' Default Isolation:', String(info.Isolation ?? ''));

  printlnNonEmpty(out, ' Kernel Version:', info.KernelVersion);
  printlnNonEmpty(out, ' Operating System:', info.OperatingSystem);
  printlnNonEmpty(out, ' OSType:', info.OSType);
  printlnNonEmpty(out, ' Architecture:', info.Architecture);
  println(out, ' CPUs:', num(info.NCPU));
  println(out, ' Total Memory:', bytesSize(num(info.MemTotal)));
  printlnNonEmpty(out, ' Name:', info.Name);
  printlnNonEmpty(out, ' ID:', info.ID);
  println(out, ' Docker Root Dir:', String(info.DockerRootDir ?? ''));
  println(out, ' Debug Mode:', info.Debug === true);
  if (info.Debug === true || clientDebug) {
    println(out, '  File Descriptors:', num(info.NFd));
    println(out, '  Goroutines:', num(info.NGoroutines));
    println(out, '  System Time:', String(info.SystemTime ?? ''));
    println(out, '  EventsListeners:', num(info.NEventsListener));
  }
  printlnNonEmpty(out, ' HTTP Proxy:', info.HttpProxy);
  printlnNonEmpty(out, ' HTTPS Proxy:', info.HttpsProxy);
  printlnNonEmpty(out, ' No Proxy:', info.NoProxy);
  printlnNonEmpty(out, ' Username:', username);
  const labels = strings(info.Labels);
  if (labels.length > 0) {
    println(out, ' Labels:');
    for (const label of labels) println(out, `  ${label}`);
  }
  println(out, ' Experimental:', info.ExperimentalBuild === true);

  const registry = record(info.RegistryConfig);
  const indexConfigs = record(registry.IndexConfigs);
  const cidrs = strings(registry.InsecureRegistryCIDRs);
  if (info.RegistryConfig && (cidrs.length > 0 || Object.keys(indexConfigs).length > 0)) {
    println(out, ' Insecure Registries:');
    for (const index of Object.values(indexConfigs)) {
      const cfg = record(index);
      if (cfg.Secure !== true) println(out, `  ${String(cfg.Name ?? '')}`);
    }
    for (const cidr of cidrs) out.write(`  ${cidr}\n`);
  }
  const mirrors = strings(registry.Mirrors);
  if (mirrors.length > 0) {
    println(out, ' Registry Mirrors:');
    for (const mirror of mirrors) println(out, `  ${mirror}`);
  }
  println(out, ' Live Restore Enabled:', info.LiveRestoreEnabled === true);
  if (typeof info.ProductLicense === 'string' && info.ProductLicense !== '') println(out, ' Product License:', info.ProductLicense);
  const pools = Array.isArray(info.DefaultAddressPools) ? info.DefaultAddressPools : [];
  if (pools.length > 0) {
    println(out, ' Default Address Pools:');
    for (const pool of pools) {
      const p = record(pool);
      out.write(`   Base: ${String(p.Base ?? '')}, Size: ${num(p.Size)}\n`);
    }
  }
  out.write('\n');
  for (const warning of strings(info.Warnings)) println(err, warning);
  return errors;
}
