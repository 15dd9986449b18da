// berth context export / import: a context as docker's tar archive
// (meta.json, tls/<endpoint>/<file>), to a file or stdout, and back.
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { defineCommand, exactArgs, rangeArgs, StatusError } from '../../command.js';
import type { ContextMeta } from '../../client/contexts.js';
import { readAllStdin } from '../../shared-options.js';
import { contextExists, getMetadata, resetTlsFiles, storeFor, tlsFileNames, validateContextName } from './store.js';
import { DEFAULT_CONTEXT } from '../../client/contexts.js';

async function exportArchive(meta: ContextMeta, tls: Array<[string, Buffer]>): Promise<Buffer> {
  const tar = (await import('tar-stream')).default;
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  const metaBytes = Buffer.from(JSON.stringify(meta));
  pack.entry({ name: 'meta.json', mode: 0o644, size: metaBytes.length }, metaBytes);
  pack.entry({ name: 'tls', mode: 0o700, type: 'directory' });
  if (tls.length > 0) {
    pack.entry({ name: 'tls/docker', mode: 0o700, type: 'directory' });
    for (const [file, data] of tls) pack.entry({ name: `tls/docker/${file}`, mode: 0o600, size: data.length }, data);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export const contextExportCommand = defineCommand({
  name: 'export',
  usage: '[OPTIONS] CONTEXT [FILE|-]',
  description: 'Export a context to a tar archive FILE or a tar stream on STDOUT.',
  flags: {},
  args: rangeArgs(1, 2),
  async run(ctx) {
    const name = ctx.args[0]!;
    if (name !== DEFAULT_CONTEXT) validateContextName(name);
    const dest = ctx.args[1] ?? `${name}.dockercontext`;
    const meta = getMetadata(ctx.global, name);
    const store = storeFor(ctx.global);
    const tls: Array<[string, Buffer]> = [];
    for (const file of tlsFileNames(ctx.global, name)) tls.push([file, await fs.readFile(path.join(store.tlsDir(name), file))]);
    const archive = await exportArchive(meta, tls);
    if (dest === '-') {
      if (process.stdout.isTTY) throw new StatusError('cowardly refusing to export to a terminal, specify a file path', 1);
      await new Promise<void>((resolve) => process.stdout.write(archive, () => resolve()));
      return 0;
    }
    try {
      await fs.writeFile(dest, archive, { flag: 'wx', mode: 0o600 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new StatusError(`open ${dest}: ${code === 'EEXIST' ? 'file exists' : code === 'ENOENT' ? 'no such file or directory' : String(err)}`, 1);
    }
    ctx.stderr.write(`Written file ${JSON.stringify(dest)}\n`);
    return 0;
  },
});

export const contextImportCommand = defineCommand({
  name: 'import',
  usage: 'CONTEXT FILE|-',
  description: 'Import a context from a tar or zip file',
  flags: {},
  args: exactArgs(2),
  async run(ctx) {
    const [name, source] = ctx.args as [string, string];
    validateContextName(name);
    if (contextExists(ctx.global, name)) throw new StatusError(`context ${JSON.stringify(name)} already exists`, 1);
    let input: Readable | Buffer;
    if (source === '-') input = await readAllStdin();
    else {
      try {
        await fs.access(source);
      } catch {
        throw new StatusError(`open ${source}: no such file or directory`, 1);
      }
      input = createReadStream(source);
    }
    const tar = (await import('tar-stream')).default;
    const extract = tar.extract();
    let meta: ContextMeta | undefined;
    const tls: Record<string, Buffer> = {};
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
      stream.on('end', () => {
        const data = Buffer.concat(chunks);
        if (header.name === 'meta.json') meta = JSON.parse(data.toString('utf8')) as ContextMeta;
        const m = /^tls\/docker\/([^/]+)$/.exec(header.name);
        if (m && header.type === 'file') tls[m[1]!] = data;
        next();
      });
      stream.resume();
    });
    await new Promise<void>((resolve, reject) => {
      extract.on('finish', () => resolve());
      extract.on('error', reject);
      if (Buffer.isBuffer(input)) extract.end(input);
      else input.pipe(extract);
    }).catch((err: unknown) => {
      throw new StatusError(err instanceof Error ? err.message : String(err), 1);
    });
    if (!meta) throw new StatusError('invalid context: no metadata found', 1);
    await storeFor(ctx.global).create({ Name: name, Metadata: meta.Metadata ?? {}, Endpoints: meta.Endpoints ?? {} });
    await resetTlsFiles(ctx.global, name, Object.keys(tls).length > 0 ? tls : undefined);
    ctx.stdout.write(`${name}\n`);
    ctx.stderr.write(`Successfully imported context ${JSON.stringify(name)}\n`);
    return 0;
  },
});
