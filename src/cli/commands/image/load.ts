// berth image load / berth load: POST /images/load with a tarball from -i or
// stdin; the daemon's messages ("Loaded image: ...") printed as docker does.
import type { Readable } from 'node:stream';
import { defineCommand, noArgs, StatusError } from '../../command.js';
import { readAll } from '../../client/api-client.js';
import { apiClient, withDaemon } from '../../session.js';
import { openInput } from './import.js';
import { showProgress } from './pull.js';

export const imageLoadCommand = defineCommand({
  name: 'load',
  usage: '[OPTIONS]',
  description: 'Load an image from a tar archive or STDIN',
  flags: {
    input: { type: 'string', short: 'i', usage: 'Read from tar archive file, instead of STDIN' },
    platform: { type: 'string', hidden: true, usage: 'Load only the given platform variant' },
    quiet: { type: 'bool', short: 'q', usage: 'Suppress the load output' },
  },
  args: noArgs,
  async run(ctx) {
    let input: Readable = process.stdin;
    if (ctx.flags.input !== '') input = await openInput(ctx.flags.input);
    else if (process.stdin.isTTY) throw new StatusError('requested load from stdin, but stdin is empty', 1);
    const quiet = ctx.flags.quiet || process.stdout.isTTY !== true;
    const res = await withDaemon(() =>
      apiClient(ctx).stream('POST', '/images/load', { query: { quiet: quiet ? '1' : undefined }, stream: input, contentType: 'application/x-tar' }),
    );
    const contentType = String(res.headers['content-type'] ?? '');
    if (contentType === 'application/json') await showProgress(res.body, ctx.stdout, false);
    else ctx.stdout.write((await readAll(res.body)).toString('utf8'));
    return 0;
  },
});
