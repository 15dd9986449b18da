// berth image import / berth import: POST /images/create?fromSrc= with a
// tarball from a file or stdin (or a URL the daemon fetches), --change and
// --message; prints the daemon's answer (the new image ID).
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { defineCommand, rangeArgs, StatusError } from '../../command.js';
import { apiClient, withDaemon } from '../../session.js';
import { parseNormalizedNamed } from '../../../image/reference.js';
import { showProgress } from './pull.js';

/** Go's *PathError text for a failed open: "open <path>: no such file or directory". */
export function openErrorText(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const reason: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
    ELOOP: 'too many levels of symbolic links',
  };
  return `open ${path}: ${(code && reason[code]) ?? (err instanceof Error ? err.message : String(err))}`;
}

/** Opens a file for reading as os.Open would (errors with Go's text). */
export async function openInput(path: string): Promise<Readable> {
  try {
    const handle = await open(path, 'r');
    // The handle's own stream: a stream on handle.fd alone leaves the
    // FileHandle unreferenced, and its collection closes the fd mid-read.
    return handle.createReadStream();
  } catch (err) {
    throw new StatusError(openErrorText(path, err), 1);
  }
}

export const imageImportCommand = defineCommand({
  name: 'import',
  usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  description: 'Import the contents from a tarball to create a filesystem image',
  flags: {
    change: { type: 'list', short: 'c', usage: 'Apply Dockerfile instruction to the created image' },
    message: { type: 'string', short: 'm', usage: 'Set commit message for imported image' },
    platform: { type: 'string', usage: 'Set platform if server is multi-platform capable' },
  },
  args: rangeArgs(1, 2),
  async run(ctx) {
    const [source, repository = ''] = ctx.args as [string, string?];
    let body: Readable | undefined;
    let fromSrc = source;
    if (source === '-') body = process.stdin;
    else if (!source.startsWith('https://') && !source.startsWith('http://')) {
      body = await openInput(source);
      fromSrc = '-';
    }
    if (repository !== '') {
      try {
        parseNormalizedNamed(repository);
      } catch (err) {
        throw new StatusError(err instanceof Error ? err.message : String(err), 1);
      }
    }
    const platform = ctx.flags.platform || (ctx.io.env.DOCKER_DEFAULT_PLATFORM ?? '');
    const query = {
      fromSrc,
      repo: repository,
      tag: '',
      message: ctx.flags.message,
      platform: platform ? platform.toLowerCase() : undefined,
      changes: ctx.flags.change,
    };
    const res = await withDaemon(() =>
      body ? apiClient(ctx).stream('POST', '/images/create', { query, stream: body }) : apiClient(ctx).stream('POST', '/images/create', { query }),
    );
    await showProgress(res.body, ctx.stdout, false);
    return 0;
  },
});
