// berth context inspect: each context's metadata, endpoints, TLS files and
// where they are stored, as docker prints them.
import { defineCommand, anyArgs } from '../../command.js';
import { DEFAULT_CONTEXT } from '../../client/contexts.js';
import { markStructsDeep } from '../../format/index.js';
import { inspectFormatFlag, runInspect } from '../../shared-options.js';
import { currentContextName, getMetadata, metaDir, tlsFileNames, tlsRoot } from './store.js';

export const contextInspectCommand = defineCommand({
  name: 'inspect',
  usage: '[OPTIONS] [CONTEXT] [CONTEXT...]',
  description: 'Display detailed information on one or more contexts',
  flags: { format: inspectFormatFlag },
  args: anyArgs,
  async run(ctx) {
    const names = ctx.args.length > 0 ? ctx.args : [currentContextName(ctx.global)];
    await runInspect(
      ctx.stdout,
      names,
      ctx.flags.format,
      async (name) => {
        const meta = getMetadata(ctx.global, name);
        const files = tlsFileNames(ctx.global, name);
        const inMemory = name === DEFAULT_CONTEXT;
        const object = {
          Name: meta.Name,
          Metadata: meta.Metadata ?? {},
          Endpoints: meta.Endpoints,
          TLSMaterial: files.length > 0 ? { docker: files } : {},
          Storage: {
            MetadataPath: inMemory ? '<IN MEMORY>' : metaDir(ctx.global.config, name),
            TLSPath: inMemory ? '<IN MEMORY>' : tlsRoot(ctx.global.config, name),
          },
        };
        // json.Marshal: struct field order, HTML characters escaped
        const rawJSON = JSON.stringify(object).replace(/[<>&]/g, (c) => (c === '<' ? '\\u003c' : c === '>' ? '\\u003e' : '\\u0026'));
        return { value: markStructsDeep(JSON.parse(rawJSON) as unknown, { mapKeys: ['Metadata', 'Endpoints', 'TLSMaterial'] }), rawJSON };
      },
      (err) => (err instanceof Error ? err.message : String(err)),
    );
    return 0;
  },
});
