// berth diff / berth container diff: GET /containers/{id}/changes as
// "C /path" lines (docker/cli diff.go and formatter_diff.go).
import { defineCommand, exactArgs } from '../../command.js';
import { apiClient, withDaemon } from '../../session.js';
import { containerPath } from './container-api.js';

const KINDS = ['C', 'A', 'D'];

export const diffCommand = defineCommand({
  name: 'diff',
  usage: 'CONTAINER',
  description: "Inspect changes to files or directories on a container's filesystem",
  flags: {},
  args: exactArgs(1),
  async run(ctx) {
    const changes = await withDaemon(() =>
      apiClient(ctx).json<{ Kind: number; Path: string }[] | null>('GET', containerPath(ctx.args[0]!, '/changes')),
    );
    let out = '';
    for (const change of changes ?? []) out += `${KINDS[change.Kind] ?? ''} ${change.Path}\n`;
    ctx.stdout.write(out);
    return 0;
  },
});
