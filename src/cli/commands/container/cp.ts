// berth cp / berth container cp (docker/cli cp.go): one side is
// CONTAINER:PATH, the other a local path or "-" (a tar stream on stdin or
// stdout). Copies in go through PUT /containers/{id}/archive after a HEAD
// of the destination, copies out through GET /containers/{id}/archive.
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { ApiError, readAll } from '../../client/api-client.js';
import { defineCommand, exactArgs, StatusError } from '../../command.js';
import { apiClient, daemonError } from '../../session.js';
import { humanSizeWithPrecision } from '../../units.js';
import { containerPath } from './container-api.js';

interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** splitCpArg: "ctr:/path" → container and path; an absolute or ./-prefixed local path stays local. */
export function splitCpArg(arg: string): { container: string; path: string } {
  if (arg.startsWith('/')) return { container: '', path: arg };
  const colon = arg.indexOf(':');
  if (colon < 0 || arg.slice(0, colon).startsWith('.')) return { container: '', path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

function decodeStat(header: string | string[] | undefined): PathStat | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  try {
    return JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as PathStat;
  } catch {
    return undefined;
  }
}

/** Counts the bytes that pass, for docker's "Successfully copied" line. */
async function* counted(source: AsyncIterable<Uint8Array>, total: { bytes: number }): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    total.bytes += chunk.byteLength;
    yield Buffer.from(chunk);
  }
}

export const cpCommand = defineCommand({
  name: 'cp',
  usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  description: 'Copy files/folders between a container and the local filesystem',
  long:
    "Copy files/folders between a container and the local filesystem\n\nUse '-' as the source to read a tar archive from stdin\nand extract it to a directory destination in a container.\nUse '-' as the destination to stream a tar archive of a\ncontainer source to stdout.",
  flags: {
    archive: { type: 'bool', short: 'a', usage: 'Archive mode (copy all uid/gid information)' },
    'follow-link': { type: 'bool', short: 'L', usage: 'Always follow symbol link in SRC_PATH' },
    quiet: {
      type: 'bool',
      short: 'q',
      usage: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached',
    },
  },
  args: exactArgs(2),
  async run(ctx) {
    const [source, destination] = ctx.args as [string, string];
    if (source === '') throw new StatusError('source can not be empty', 1);
    if (destination === '') throw new StatusError('destination can not be empty', 1);
    const quiet = ctx.changed.has('quiet') ? ctx.flags.quiet : !process.stdout.isTTY;
    const src = splitCpArg(source);
    const dst = splitCpArg(destination);
    if (src.container !== '' && dst.container !== '') throw new StatusError('copying between containers is not supported', 1);
    if (src.container === '' && dst.container === '') throw new StatusError('must specify at least one container source', 1);
    const archive = await import('./cp-archive.js');
    const client = apiClient(ctx);
    // A HEAD answer has no body to tell a too-new API version from a missing path, and a
    // streamed upload cannot be retried: settle the version first, as docker's ping does.
    await client.negotiate().catch((err: unknown) => {
      throw daemonError(err);
    });
    const fail = (err: unknown): StatusError => (err instanceof ApiError ? daemonError(err) : new StatusError((err as Error).message, 1));

    const statPath = async (container: string, p: string): Promise<PathStat | undefined> => {
      try {
        const res = await client.raw('HEAD', containerPath(container, '/archive'), { query: { path: p } });
        await readAll(res.body);
        if (res.status >= 400) return undefined;
        return decodeStat(res.headers['x-docker-container-path-stat']);
      } catch {
        return undefined;
      }
    };

    if (src.container !== '') {
      // From the container.
      let dstPath = dst.path;
      let srcPath = src.path;
      try {
        if (dstPath !== '-') dstPath = archive.resolveLocalPath(dstPath);
        await archive.validateOutputPath(dstPath);
      } catch (err) {
        throw fail(err);
      }
      let rebaseName = '';
      if (ctx.flags['follow-link']) {
        const stat = await statPath(src.container, srcPath);
        if (stat && (stat.mode & archive.GO_MODE.symlink) !== 0) {
          let linkTarget = stat.linkTarget;
          if (!linkTarget.startsWith('/')) linkTarget = path.join(archive.splitPathDirEntry(srcPath).dir, linkTarget);
          ({ resolved: srcPath, rebaseName } = archive.getRebaseName(srcPath, linkTarget));
        }
      }
      let res;
      try {
        res = await client.stream('GET', containerPath(src.container, '/archive'), { query: { path: srcPath } });
      } catch (err) {
        throw fail(err);
      }
      if (dstPath === '-') {
        await pipeline(res.body, process.stdout, { end: false });
        return 0;
      }
      const stat = decodeStat(res.headers['x-docker-container-path-stat']);
      const srcInfo = { path: srcPath, exists: true, isDir: stat ? (stat.mode & archive.GO_MODE.dir) !== 0 : false, rebaseName };
      const total = { bytes: 0 };
      const { TarReader } = await import('../../../storage/tar/reader.js');
      try {
        const reader = new TarReader(counted(res.body, total));
        let members: AsyncIterable<import('../../../storage/tar/writer.js').TarMember> = (async function* () {
          for (let h = await reader.next(); h; h = await reader.next()) {
            yield { header: h, body: h.type === 'file' ? reader.body() : undefined };
          }
        })();
        if (rebaseName !== '') members = archive.rebaseArchiveEntries(members, archive.splitPathDirEntry(srcInfo.path).base, rebaseName);
        const dstInfo = await archive.copyInfoDestinationPath(path.normalize(dstPath) + (dstPath.endsWith('/') ? '/' : ''));
        const prepared = archive.prepareArchiveCopy(members, srcInfo, dstInfo);
        await archive.untar(prepared.members, prepared.dstDir);
      } catch (err) {
        throw fail(err);
      }
      if (!quiet) ctx.stderr.write(`Successfully copied ${humanSizeWithPrecision(total.bytes, 3)} to ${dstPath}\n`);
      return 0;
    }

    // Into the container.
    let srcPath = src.path;
    const dstPath = dst.path;
    if (srcPath !== '-') srcPath = archive.resolveLocalPath(srcPath);
    const dstInfo = { path: dstPath, exists: false, isDir: false, rebaseName: '' };
    let dstStat = await statPath(dst.container, dstPath);
    if (dstStat && (dstStat.mode & archive.GO_MODE.symlink) !== 0) {
      let linkTarget = dstStat.linkTarget;
      if (!linkTarget.startsWith('/')) linkTarget = path.join(archive.splitPathDirEntry(dstPath).dir, linkTarget);
      dstInfo.path = linkTarget;
      dstStat = await statPath(dst.container, linkTarget);
    }
    if (dstStat) {
      if ((dstStat.mode & archive.GO_MODE.device) !== 0 || (dstStat.mode & archive.GO_MODE.irregular) !== 0) {
        const reason = (dstStat.mode & archive.GO_MODE.device) !== 0 ? 'got a device' : 'got an irregular file';
        throw new StatusError(`destination "${dst.container}:${dstPath}" must be a directory or a regular file: ${reason}`, 1);
      }
      dstInfo.exists = true;
      dstInfo.isDir = (dstStat.mode & archive.GO_MODE.dir) !== 0;
    }
    let body: Readable;
    let resolvedDst: string;
    const total = { bytes: 0 };
    if (srcPath === '-') {
      if (!dstInfo.isDir) throw new StatusError(`destination "${dst.container}:${dstPath}" must be a directory`, 1);
      resolvedDst = dstInfo.path;
      body = process.stdin;
    } else {
      const { tarBytes } = await import('../../../storage/tar/writer.js');
      let prepared;
      try {
        const srcInfo = await archive.copyInfoSourcePath(srcPath, ctx.flags['follow-link']);
        prepared = archive.prepareArchiveCopy(archive.tarResource(srcInfo), srcInfo, dstInfo);
      } catch (err) {
        throw fail(err instanceof Error && 'code' in err ? new Error(`lstat ${srcPath}: no such file or directory`) : err);
      }
      resolvedDst = prepared.dstDir;
      body = Readable.from(counted(tarBytes(prepared.members), total));
    }
    try {
      await client.call('PUT', containerPath(dst.container, '/archive'), {
        query: { path: resolvedDst, noOverwriteDirNonDir: 'true', copyUIDGID: ctx.flags.archive ? 'true' : undefined },
        stream: body,
        contentType: 'application/x-tar',
      });
    } catch (err) {
      throw fail(err);
    }
    if (!quiet) ctx.stderr.write(`Successfully copied ${humanSizeWithPrecision(total.bytes, 3)} to ${dst.container}:${dstInfo.path}\n`);
    return 0;
  },
});
