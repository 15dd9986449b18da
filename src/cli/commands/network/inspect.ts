// berth network inspect: GET /networks/{id}; templates run against docker's
// network.Inspect (Go names: `.ID`), then against the raw JSON.
import { defineCommand, minArgs } from '../../command.js';
import { goStruct, stringMap, type StructSchema } from '../../gotypes.js';
import { apiClient, daemonError } from '../../session.js';
import { inspectFormatFlag, pathEscape, runInspect } from '../../shared-options.js';
import { GoTime } from '../../units.js';

const IPAM_CONFIG_SCHEMA: StructSchema = {
  name: 'network.IPAMConfig',
  fields: [
    { go: 'Subnet', type: 'string', omitempty: true },
    { go: 'IPRange', type: 'string', omitempty: true },
    { go: 'Gateway', type: 'string', omitempty: true },
    { go: 'AuxAddress', json: 'AuxiliaryAddresses', type: stringMap, omitempty: true },
  ],
};

const IPAM_SCHEMA: StructSchema = {
  name: 'network.IPAM',
  fields: [
    { go: 'Driver', type: 'string' },
    { go: 'Options', type: stringMap },
    { go: 'Config', type: { slice: { struct: IPAM_CONFIG_SCHEMA } } },
  ],
};

const ENDPOINT_RESOURCE_SCHEMA: StructSchema = {
  name: 'network.EndpointResource',
  fields: [
    { go: 'Name', type: 'string' },
    { go: 'EndpointID', type: 'string' },
    { go: 'MacAddress', type: 'string' },
    { go: 'IPv4Address', type: 'string' },
    { go: 'IPv6Address', type: 'string' },
  ],
};

/** docker 28.2's network.Inspect. */
const NETWORK_INSPECT_SCHEMA: StructSchema = {
  name: 'network.Inspect',
  fields: [
    { go: 'Name', type: 'string' },
    { go: 'ID', json: 'Id', type: 'string' },
    { go: 'Created', type: 'any' },
    { go: 'Scope', type: 'string' },
    { go: 'Driver', type: 'string' },
    { go: 'EnableIPv4', type: 'bool' },
    { go: 'EnableIPv6', type: 'bool' },
    { go: 'IPAM', type: { struct: IPAM_SCHEMA } },
    { go: 'Internal', type: 'bool' },
    { go: 'Attachable', type: 'bool' },
    { go: 'Ingress', type: 'bool' },
    { go: 'ConfigFrom', type: { struct: { name: 'network.ConfigReference', fields: [{ go: 'Network', type: 'string' }] } } },
    { go: 'ConfigOnly', type: 'bool' },
    { go: 'Containers', type: { map: { struct: ENDPOINT_RESOURCE_SCHEMA }, typeName: 'map[string]network.EndpointResource' } },
    { go: 'Options', type: stringMap },
    { go: 'Labels', type: stringMap },
    { go: 'Peers', type: { slice: 'any' }, omitempty: true },
    { go: 'Services', type: { map: 'any' }, omitempty: true },
  ],
};

export async function inspectNetwork(
  client: ReturnType<typeof apiClient>,
  reference: string,
  verbose: boolean,
): Promise<{ value: unknown; rawJSON: string }> {
  const res = await client.stream('GET', `/networks/${pathEscape(reference)}`, { query: { verbose: verbose ? 'true' : undefined } });
  const chunks: Buffer[] = [];
  for await (const chunk of res.body) chunks.push(chunk as Buffer);
  const rawJSON = Buffer.concat(chunks).toString('utf8');
  const value = goStruct(NETWORK_INSPECT_SCHEMA, JSON.parse(rawJSON) as Record<string, unknown>);
  value.Created = new GoTime(typeof value.Created === 'string' ? value.Created : '0001-01-01T00:00:00Z');
  return { value, rawJSON };
}

export const networkInspectCommand = defineCommand({
  name: 'inspect',
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  description: 'Display detailed information on one or more networks',
  flags: {
    format: inspectFormatFlag,
    verbose: { type: 'bool', short: 'v', usage: 'Verbose output for diagnostics' },
  },
  args: minArgs(1),
  async run(ctx) {
    const client = apiClient(ctx);
    await runInspect(ctx.stdout, ctx.args, ctx.flags.format, (ref) => inspectNetwork(client, ref, ctx.flags.verbose), (err) => daemonError(err).status);
    return 0;
  },
});
