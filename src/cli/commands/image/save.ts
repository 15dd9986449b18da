// berth image save / berth save: GET /images/get?names=... to a file (written
// beside it, then renamed, as docker does) or to stdout when it is not a
// terminal.
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { defineCommand, minArgs, StatusError } from '../../command.js';
import { apiClient, withDaemon } from '../../session.js';

/** Go's os.Stat error text ("stat /x: no such file or directory"). */
function statErrorText(p: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = { ENOENT: 'no such file or directory', EACCES: 'permission denied', ENOTDIR: 'not a directory' };
  return `stat ${p}: ${(code && reasons[code]) ?? (err instanceof Error ? err.message : String(err))}`;
}

/** docker 28's command.ValidateOutputPath. */
export async function validateOutputPath(output: string): Promise<void> {
  const dir = path.dirname(path.normalize(output));
  if (dir !== '' && dir !== '.') {
    try {
      await fs.stat(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`invalid output path: ${statErrorText(dir, err)}`);
    }
  }
  let st;
  try {
    st = await fs.stat(output);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new Error(statErrorText(output, err));
  }
  if (st.isDirectory()) throw new Error('cannot write to a directory');
  // docker's ValidateOutputPathFileMode
  if (st.isSymbolicLink()) throw new Error('cannot write to a symbolic link directly');
  if (st.isFIFO()) throw new Error('cannot write to a named pipe (FIFO)');
  if (st.isSocket()) throw new Error('cannot write to a socket');
  if (st.isCharacterDevice()) throw new Error('cannot write to a character device file');
  if (st.isBlockDevice()) throw new Error('cannot write to a block device file');
}

/** docker's command.CopyToFile: a temporary file in the same directory, renamed over the target. */
export async function copyToFile(output: string, body: NodeJS.ReadableStream): Promise<void> {
  const dir = path.dirname(output);
  const tmp = path.join(dir, `.docker_temp_${randomBytes(5).toString('hex')}`);
  try {
    await pipeline(body, createWriteStream(tmp, { mode: 0o600 }));
    await fs.rename(tmp, output);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

export const imageSaveCommand = defineCommand({
  name: 'save',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  flags: {
    output: { type: 'string', short: 'o', usage: 'Write to a file, instead of STDOUT' },
    platform: { type: 'string', hidden: true, usage: 'Save only the given platform variant' },
  },
  args: minArgs(1),
  async run(ctx) {
    const output = ctx.flags.output;
    if (output === '' && process.stdout.isTTY) {
      throw new StatusError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
    }
    try {
      await validateOutputPath(output);
    } catch (err) {
      throw new StatusError(`failed to save image: ${err instanceof Error ? err.message : String(err)}`, 1);
    }
    const res = await withDaemon(() => apiClient(ctx).stream('GET', '/images/get', { query: { names: [...ctx.args] } }));
    if (output === '') await pipeline(res.body, process.stdout, { end: false });
    else await copyToFile(output, res.body);
    return 0;
  },
});
