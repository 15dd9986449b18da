// berth export / berth container export: GET /containers/{id}/export to
// stdout or -o FILE; never to a terminal (docker/cli export.go).
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

import { defineCommand, exactArgs, StatusError } from '../../command.js';
import { apiClient, withDaemon } from '../../session.js';
import { containerPath } from './container-api.js';

export const exportCommand = defineCommand({
  name: 'export',
  usage: '[OPTIONS] CONTAINER',
  description: "Export a container's filesystem as a tar archive",
  flags: {
    output: { type: 'string', short: 'o', usage: 'Write to a file, instead of STDOUT' },
  },
  args: exactArgs(1),
  async run(ctx) {
    const output = ctx.flags.output;
    if (output === '' && process.stdout.isTTY) {
      throw new StatusError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
    }
    const res = await withDaemon(() => apiClient(ctx).stream('GET', containerPath(ctx.args[0]!, '/export')));
    if (output === '') {
      await pipeline(res.body, process.stdout, { end: false });
      return 0;
    }
    try {
      await pipeline(res.body, createWriteStream(output));
    } catch (err) {
      throw new StatusError(`failed to export container: ${(err as Error).message}`, 1);
    }
    return 0;
  },
});
