// berth volume inspect: GET /volumes/{name}, printed and templated as
// docker's volume.Volume (docker keeps no raw JSON for volumes).
import { defineCommand, minArgs } from '../../command.js';
import { goStruct, stringMap, type StructSchema } from '../../gotypes.js';
import { apiClient, daemonError } from '../../session.js';
import { inspectFormatFlag, pathEscape, runInspect } from '../../shared-options.js';

const USAGE_SCHEMA: StructSchema = {
  name: 'volume.UsageData',
  fields: [
    { go: 'RefCount', type: 'int' },
    { go: 'Size', type: 'int' },
  ],
};

/** docker 28.2's volume.Volume (fields in the generated struct's order). */
const VOLUME_SCHEMA: StructSchema = {
  name: 'volume.Volume',
  fields: [
    { go: 'ClusterVolume', type: 'any', omitempty: true },
    { go: 'CreatedAt', type: 'string', omitempty: true },
    { go: 'Driver', type: 'string' },
    { go: 'Labels', type: stringMap },
    { go: 'Mountpoint', type: 'string' },
    { go: 'Name', type: 'string' },
    { go: 'Options', type: stringMap },
    { go: 'Scope', type: 'string' },
    { go: 'Status', type: { map: 'any' }, omitempty: true },
    { go: 'UsageData', type: { struct: USAGE_SCHEMA, pointer: true }, omitempty: true },
  ],
};

export const volumeInspectCommand = defineCommand({
  name: 'inspect',
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  description: 'Display detailed information on one or more volumes',
  flags: { format: inspectFormatFlag },
  args: minArgs(1),
  async run(ctx) {
    const client = apiClient(ctx);
    await runInspect(
      ctx.stdout,
      ctx.args,
      ctx.flags.format,
      async (name) => {
        const res = await client.stream('GET', `/volumes/${pathEscape(name)}`);
        const chunks: Buffer[] = [];
        for await (const chunk of res.body) chunks.push(chunk as Buffer);
        // docker marshals its own volume.Volume (no raw JSON): struct order, map keys sorted
        return { value: goStruct(VOLUME_SCHEMA, JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) };
      },
      (err) => daemonError(err).status,
    );
    return 0;
  },
});
