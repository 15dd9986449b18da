// berth container inspect, and the top-level `berth inspect` that finds any
// object by name or ID (container, image, volume, network, then the swarm
// kinds), as docker/cli's container/inspect.go and system/inspect.go do.
// Templates first run against the object as docker's Go types see it (Go
// field names such as .ID, structs that refuse unknown fields), then, when
// that fails, against the raw JSON, as docker's inspector does.
import { ApiError, readAll, type ApiClient } from '../../client/api-client.js';
import { defineCommand, minArgs, StatusError } from '../../command.js';
import { markMap, markStruct } from '../../format/index.js';
import { apiClient, daemonError } from '../../session.js';
import { inspectFormatFlag, pathEscape, runInspect, type InspectedObject } from '../../shared-options.js';
import { inspectImage } from '../image/inspect.js';

/** JSON keys whose values are Go maps (map[string]string when marked "string"). */
const MAP_FIELDS: Readonly<Record<string, 'any' | 'string'>> = {
  Labels: 'string',
  Options: 'string',
  DriverOpts: 'string',
  Sysctls: 'string',
  Tmpfs: 'string',
  StorageOpt: 'string',
  Annotations: 'string',
  Data: 'string',
  ExposedPorts: 'any',
  Volumes: 'any',
  Ports: 'any',
  PortBindings: 'any',
  Networks: 'any',
  Containers: 'any',
  Status: 'any',
  UsageData: 'any',
};

/** Go field names that differ from the JSON names, per struct (by the key holding it). */
const GO_ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '': { ID: 'Id' },
  HostConfig: {
    DNS: 'Dns',
    DNSOptions: 'DnsOptions',
    DNSSearch: 'DnsSearch',
    CPUShares: 'CpuShares',
    NanoCPUs: 'NanoCpus',
    CPUPeriod: 'CpuPeriod',
    CPUQuota: 'CpuQuota',
    CPURealtimePeriod: 'CpuRealtimePeriod',
    CPURealtimeRuntime: 'CpuRealtimeRuntime',
    CPUCount: 'CpuCount',
    CPUPercent: 'CpuPercent',
  },
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Marks decoded inspect JSON as docker's Go value: objects become structs
 * (unknown fields are errors, fields print in order), known map fields maps,
 * with the Go names of renamed fields (`.ID`) as extra, hidden fields.
 */
export function goInspectValue(json: unknown, key = ''): unknown {
  if (Array.isArray(json)) return json.map((e) => goInspectValue(e, ''));
  if (!isPlainObject(json)) return json;
  const mapKind = key === 'Config' ? undefined : MAP_FIELDS[key];
  if (mapKind) {
    for (const [k, v] of Object.entries(json)) json[k] = goInspectValue(v, '');
    return mapKind === 'string' ? markMap(json, { typeName: 'map[string]string', elemZero: '' }) : markMap(json);
  }
  for (const [k, v] of Object.entries(json)) {
    // LogConfig.Config is a map[string]string; every other Config a struct.
    if (key === 'LogConfig' && k === 'Config' && isPlainObject(v)) {
      json[k] = markMap(v, { typeName: 'map[string]string', elemZero: '' });
      continue;
    }
    json[k] = goInspectValue(v, k);
  }
  const aliases = GO_ALIASES[key] ?? {};
  for (const [goName, jsonName] of Object.entries(aliases)) {
    if (Object.hasOwn(json, jsonName) && !Object.hasOwn(json, goName)) {
      Object.defineProperty(json, goName, { value: json[jsonName], enumerable: false });
    }
  }
  return markStruct(json, 'struct');
}

async function fetchRaw(client: ApiClient, path: string, query?: Record<string, string | undefined>): Promise<string> {
  const res = await client.stream('GET', path, { query });
  return (await readAll(res.body)).toString('utf8');
}

function inspected(rawJSON: string): InspectedObject {
  return { value: goInspectValue(JSON.parse(rawJSON) as unknown), rawJSON };
}

export async function inspectContainerRaw(client: ApiClient, ref: string, size: boolean): Promise<InspectedObject> {
  return inspected(await fetchRaw(client, `/containers/${pathEscape(ref)}/json`, { size: size ? '1' : undefined }));
}

export const containerInspectCommand = defineCommand({
  name: 'inspect',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Display detailed information on one or more containers',
  flags: {
    format: inspectFormatFlag,
    size: { type: 'bool', short: 's', usage: 'Display total file sizes' },
  },
  args: minArgs(1),
  async run(ctx) {
    const client = apiClient(ctx);
    await runInspect(ctx.stdout, ctx.args, ctx.flags.format, (ref) => inspectContainerRaw(client, ref, ctx.flags.size), (err) => daemonError(err).status);
    return 0;
  },
});

// ---------------------------------------------------------------------------
// `inspect` for any object.

const OBJECT_TYPES = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'] as const;
type ObjectType = (typeof OBJECT_TYPES)[number];

/** The order docker tries kinds in when no --type is given. */
const AUTODETECT_ORDER: readonly ObjectType[] = ['container', 'image', 'volume', 'network', 'node', 'service', 'task', 'plugin', 'secret', 'config'];
const SWARM_TYPES = new Set<ObjectType>(['node', 'service', 'task', 'secret', 'config']);

function objectPath(type: ObjectType, ref: string): string {
  const name = pathEscape(ref);
  switch (type) {
    case 'container':
      return `/containers/${name}/json`;
    case 'image':
      return `/images/${name}/json`;
    case 'volume':
      return `/volumes/${name}`;
    case 'network':
      return `/networks/${name}`;
    case 'plugin':
      return `/plugins/${name}/json`;
    default:
      return `/${type}s/${name}`;
  }
}

/** isErrSkippable: not found, or a swarm endpoint on a daemon outside a swarm. */
function skippable(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  return err.status === 404 || err.status === 503 || err.status === 501;
}

export const inspectCommand = defineCommand({
  name: 'inspect',
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  description: 'Return low-level information on Docker objects',
  flags: {
    format: inspectFormatFlag,
    size: { type: 'bool', short: 's', usage: 'Display total file sizes if the type is container' },
    type: { type: 'string', usage: 'Only inspect objects of the given type' },
  },
  args: minArgs(1),
  async run(ctx) {
    const type = ctx.flags.type;
    if (type !== '' && !(OBJECT_TYPES as readonly string[]).includes(type)) {
      throw new StatusError(`unknown type: ${JSON.stringify(type)}: must be one of ${OBJECT_TYPES.map((t) => JSON.stringify(t)).join(', ')}`, 1);
    }
    const client = apiClient(ctx);
    const kinds = type === '' ? AUTODETECT_ORDER : [type as ObjectType];
    const fetch = async (ref: string): Promise<InspectedObject> => {
      let lastError: unknown;
      for (const kind of kinds) {
        try {
          if (kind === 'image') return await inspectImage(client, ref);
          const query = kind === 'container' && ctx.flags.size ? { size: '1' } : undefined;
          return inspected(await fetchRaw(client, objectPath(kind, ref), query));
        } catch (err) {
          lastError = err;
          // With --type, the daemon's error is the answer; without, try the next kind.
          if (type !== '' || !skippable(err)) {
            if (type === '' && SWARM_TYPES.has(kind)) continue;
            throw err;
          }
        }
      }
      if (type !== '') throw lastError;
      throw new Error(`Error: No such object: ${ref}`);
    };
    await runInspect(ctx.stdout, ctx.args, ctx.flags.format, fetch, (err) => (err instanceof ApiError ? daemonError(err).status : (err as Error).message));
    return 0;
  },
});
