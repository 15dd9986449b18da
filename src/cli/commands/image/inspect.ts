// berth image inspect: GET /images/{name}/json; templates run against docker
// 28's image.InspectResponse (Go names: `.ID`), then, when that fails, against
// the raw JSON (`.Id`), as docker's inspector does.
import { defineCommand, minArgs } from '../../command.js';
import { goStruct, stringMap, stringSlice, type StructSchema } from '../../gotypes.js';
import { apiClient, daemonError } from '../../session.js';
import { inspectFormatFlag, pathEscape, runInspect } from '../../shared-options.js';
import { GoTime } from '../../units.js';

const HEALTHCHECK_SCHEMA: StructSchema = {
  name: 'container.HealthConfig',
  fields: [
    { go: 'Test', type: stringSlice, omitempty: true },
    { go: 'Interval', type: 'int', omitempty: true },
    { go: 'Timeout', type: 'int', omitempty: true },
    { go: 'StartPeriod', type: 'int', omitempty: true },
    { go: 'StartInterval', type: 'int', omitempty: true },
    { go: 'Retries', type: 'int', omitempty: true },
  ],
};

const EMPTY_STRUCT: StructSchema = { name: 'struct {}', fields: [] };
const emptyStructMap = { map: { struct: EMPTY_STRUCT }, typeName: 'map[string]struct {}' } as const;

/** dockerspec.DockerOCIImageConfig (ocispec.ImageConfig plus docker's extensions). */
const IMAGE_CONFIG_SCHEMA: StructSchema = {
  name: 'v1.DockerOCIImageConfig',
  fields: [
    { go: 'User', type: 'string', omitempty: true },
    { go: 'ExposedPorts', type: emptyStructMap, omitempty: true },
    { go: 'Env', type: stringSlice, omitempty: true },
    { go: 'Entrypoint', type: stringSlice, omitempty: true },
    { go: 'Cmd', type: stringSlice, omitempty: true },
    { go: 'Volumes', type: emptyStructMap, omitempty: true },
    { go: 'WorkingDir', type: 'string', omitempty: true },
    { go: 'Labels', type: stringMap, omitempty: true },
    { go: 'StopSignal', type: 'string', omitempty: true },
    { go: 'ArgsEscaped', type: 'bool', omitempty: true },
    { go: 'Healthcheck', type: { struct: HEALTHCHECK_SCHEMA, pointer: true }, omitempty: true },
    { go: 'OnBuild', type: stringSlice, omitempty: true },
    { go: 'Shell', type: stringSlice, omitempty: true },
  ],
};

const DRIVER_DATA_SCHEMA: StructSchema = {
  name: 'storage.DriverData',
  fields: [
    { go: 'Data', type: stringMap },
    { go: 'Name', type: 'string' },
  ],
};

const ROOTFS_SCHEMA: StructSchema = {
  name: 'image.RootFS',
  fields: [
    { go: 'Type', type: 'string', omitempty: true },
    { go: 'Layers', type: stringSlice, omitempty: true },
  ],
};

const METADATA_SCHEMA: StructSchema = { name: 'image.Metadata', fields: [{ go: 'LastTagTime', type: 'any' }] };

/** Metadata.LastTagTime as a time.Time (Go's zero time when absent). */
function withGoTimes(value: Record<string, unknown>): Record<string, unknown> {
  const metadata = value.Metadata as Record<string, unknown>;
  const text = typeof metadata.LastTagTime === 'string' ? metadata.LastTagTime : '0001-01-01T00:00:00Z';
  metadata.LastTagTime = new GoTime(text);
  return value;
}

/** docker 28.2's image.InspectResponse. */
const IMAGE_INSPECT_SCHEMA: StructSchema = {
  name: 'image.InspectResponse',
  fields: [
    { go: 'ID', json: 'Id', type: 'string' },
    { go: 'RepoTags', type: stringSlice },
    { go: 'RepoDigests', type: stringSlice },
    { go: 'Parent', type: 'string' },
    { go: 'Comment', type: 'string' },
    { go: 'Created', type: 'string', omitempty: true },
    { go: 'Container', type: 'string', omitempty: true },
    { go: 'ContainerConfig', type: 'any', omitempty: true },
    { go: 'DockerVersion', type: 'string' },
    { go: 'Author', type: 'string' },
    { go: 'Config', type: { struct: IMAGE_CONFIG_SCHEMA, pointer: true } },
    { go: 'Architecture', type: 'string' },
    { go: 'Variant', type: 'string', omitempty: true },
    { go: 'Os', type: 'string' },
    { go: 'OsVersion', type: 'string', omitempty: true },
    { go: 'Size', type: 'int' },
    { go: 'VirtualSize', type: 'int', omitempty: true },
    { go: 'GraphDriver', type: { struct: DRIVER_DATA_SCHEMA } },
    { go: 'RootFS', type: { struct: ROOTFS_SCHEMA } },
    { go: 'Metadata', type: { struct: METADATA_SCHEMA } },
    { go: 'Descriptor', type: 'any', omitempty: true },
    { go: 'Manifests', type: { slice: 'any' }, omitempty: true },
  ],
};

/** GET /images/{name}/json as an inspect element. */
export async function inspectImage(client: ReturnType<typeof apiClient>, reference: string): Promise<{ value: unknown; rawJSON: string }> {
  const res = await client.stream('GET', `/images/${pathEscape(reference)}/json`);
  const chunks: Buffer[] = [];
  for await (const chunk of res.body) chunks.push(chunk as Buffer);
  const rawJSON = Buffer.concat(chunks).toString('utf8');
  const json = JSON.parse(rawJSON) as Record<string, unknown>;
  return { value: withGoTimes(goStruct(IMAGE_INSPECT_SCHEMA, json)), rawJSON };
}

export const imageInspectCommand = defineCommand({
  name: 'inspect',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Display detailed information on one or more images',
  flags: {
    format: inspectFormatFlag,
    platform: { type: 'string', hidden: true, usage: 'Inspect a specific platform of the multi-platform image.' },
  },
  args: minArgs(1),
  async run(ctx) {
    const client = apiClient(ctx);
    await runInspect(ctx.stdout, ctx.args, ctx.flags.format, (ref) => inspectImage(client, ref), (err) => daemonError(err).status);
    return 0;
  },
});
