// berth image rm / berth rmi: DELETE /images/{name} per image, printing what
// the daemon untagged and deleted; with -f, images that do not exist are
// reported on stderr without failing (docker/cli image/remove.go behaviour).
import { defineCommand, minArgs, StatusError } from '../../command.js';
import { ApiError } from '../../client/api-client.js';
import { apiClient, daemonError } from '../../session.js';
import { pathEscape } from '../../shared-options.js';

interface DeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export const imageRmCommand = defineCommand({
  name: 'rm',
  aliases: ['remove'],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Remove one or more images',
  flags: {
    force: { type: 'bool', short: 'f', usage: 'Force removal of the image' },
    'no-prune': { type: 'bool', usage: 'Do not delete untagged parents' },
    platform: { type: 'stringSlice', hidden: true, usage: 'Remove only the given platform variant' },
  },
  args: minArgs(1),
  async run(ctx) {
    const client = apiClient(ctx);
    const errors: string[] = [];
    let fatal = false;
    for (const image of ctx.args) {
      let items: DeleteItem[];
      try {
        items =
          (await client.json<DeleteItem[]>('DELETE', `/images/${pathEscape(image)}`, {
            query: { force: ctx.flags.force ? '1' : undefined, noprune: ctx.flags['no-prune'] ? '1' : undefined },
          })) ?? [];
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) fatal = true;
        errors.push(daemonError(err).status);
        continue;
      }
      for (const item of items) ctx.stdout.write(item.Deleted ? `Deleted: ${item.Deleted}\n` : `Untagged: ${item.Untagged ?? ''}\n`);
    }
    if (errors.length > 0) {
      const text = errors.join('\n');
      if (!ctx.flags.force || fatal) throw new StatusError(text, 1);
      ctx.stderr.write(`${text}\n`);
    }
    return 0;
  },
});
