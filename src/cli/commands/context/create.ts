// berth context create / update: contexts in docker's store, from a
// --docker endpoint, another context (--from, or the current one), with an
// optional description.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { defineCommand, exactArgs, StatusError } from '../../command.js';
import type { ContextMeta } from '../../client/contexts.js';
import {
  dockerEndpointFlag,
  dockerEndpointFromConfig,
  contextExists,
  getMetadata,
  currentContextName,
  parseDockerConfig,
  resetTlsFiles,
  storeFor,
  tlsFileNames,
  validateContextName,
} from './store.js';

const ENDPOINT_HELP =
  'Docker endpoint config:\n\nNAME                DESCRIPTION\nfrom                Copy named context\'s Docker endpoint configuration\nhost                Docker endpoint on which to connect\nca                  Trust certs signed only by this CA\ncert                Path to TLS certificate file\nkey                 Path to TLS key file\nskip-tls-verify     Skip TLS certificate validation';

/** Metadata with a description (docker omits an empty one). */
function withDescription(meta: ContextMeta['Metadata'], description: string): ContextMeta['Metadata'] {
  const out: ContextMeta['Metadata'] = { ...meta };
  if (description !== '') out.Description = description;
  return out;
}

export const contextCreateCommand = defineCommand({
  name: 'create',
  usage: '[OPTIONS] CONTEXT',
  description: 'Create a context',
  long: `Create a context\n\n${ENDPOINT_HELP}\n\nExample:\n\n$ berth context create my-context --description "some description" --docker "host=tcp://myserver:2376,ca=~/ca-file,cert=~/cert-file,key=~/key-file"`,
  flags: {
    description: { type: 'string', usage: 'Description of the context' },
    docker: dockerEndpointFlag,
    from: { type: 'string', usage: 'create context from a named context' },
  },
  args: exactArgs(1),
  async run(ctx) {
    const name = ctx.args[0]!;
    validateContextName(name);
    if (contextExists(ctx.global, name)) throw new StatusError(`context ${JSON.stringify(name)} already exists`, 1);
    const store = storeFor(ctx.global);
    const dockerGiven = ctx.changed.has('docker');
    if (dockerGiven && ctx.flags.from === '') {
      const ep = await dockerEndpointFromConfig(ctx.global, parseDockerConfig(ctx.flags.docker));
      await store.create({
        Name: name,
        Metadata: withDescription({}, ctx.flags.description),
        Endpoints: { docker: { Host: ep.Host, SkipTLSVerify: ep.SkipTLSVerify } },
      });
      await resetTlsFiles(ctx.global, name, ep.tls);
    } else {
      if (dockerGiven) throw new StatusError('cannot use --docker flag when --from is set', 1);
      const fromName = ctx.flags.from !== '' ? ctx.flags.from : currentContextName(ctx.global);
      const from = getMetadata(ctx.global, fromName);
      await store.create({ Name: name, Metadata: withDescription(from.Metadata ?? {}, ctx.flags.description), Endpoints: from.Endpoints });
      // copy the TLS material too
      const files = tlsFileNames(ctx.global, fromName);
      if (files.length > 0) {
        const tls: Record<string, Buffer> = {};
        for (const f of files) tls[f] = await fs.readFile(path.join(store.tlsDir(fromName), f));
        await resetTlsFiles(ctx.global, name, tls);
      }
    }
    ctx.stdout.write(`${name}\n`);
    ctx.stderr.write(`Successfully created context ${JSON.stringify(name)}\n`);
    return 0;
  },
});

export const contextUpdateCommand = defineCommand({
  name: 'update',
  usage: '[OPTIONS] CONTEXT',
  description: 'Update a context',
  long: `Update a context\n\n${ENDPOINT_HELP}\n\nExample:\n\n$ berth context update my-context --description "some description" --docker "host=tcp://myserver:2376,ca=~/ca-file,cert=~/cert-file,key=~/key-file"`,
  flags: {
    description: { type: 'string', usage: 'Description of the context' },
    docker: dockerEndpointFlag,
  },
  args: exactArgs(1),
  async run(ctx) {
    const name = ctx.args[0]!;
    validateContextName(name);
    const meta = getMetadata(ctx.global, name);
    const updated: ContextMeta = { Name: meta.Name, Metadata: withDescription(meta.Metadata ?? {}, ctx.flags.description), Endpoints: { ...meta.Endpoints } };
    let tls: Awaited<ReturnType<typeof dockerEndpointFromConfig>>['tls'] | null = null;
    if (ctx.changed.has('docker')) {
      const ep = await dockerEndpointFromConfig(ctx.global, parseDockerConfig(ctx.flags.docker));
      updated.Endpoints.docker = { Host: ep.Host, SkipTLSVerify: ep.SkipTLSVerify };
      tls = ep.tls;
    }
    await storeFor(ctx.global).create(updated);
    if (tls !== null) await resetTlsFiles(ctx.global, name, tls);
    ctx.stdout.write(`${name}\n`);
    ctx.stderr.write(`Successfully updated context ${JSON.stringify(name)}\n`);
    return 0;
  },
});
