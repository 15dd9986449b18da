// berth commit / berth container commit: POST /commit with the container,
// the repository and tag, the message, author and --change instructions
// (docker/cli commit.go and the client's ContainerCommit).
import { defineCommand, rangeArgs, StatusError } from '../../command.js';
import { apiClient, withDaemon } from '../../session.js';
import { parseNormalizedNamed, tagNameOnly } from '../../../image/reference.js';

export const commitCommand = defineCommand({
  name: 'commit',
  usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  description: "Create a new image from a container's changes",
  flags: {
    author: { type: 'string', short: 'a', usage: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    change: { type: 'list', short: 'c', usage: 'Apply Dockerfile instruction to the created image' },
    message: { type: 'string', short: 'm', usage: 'Commit message' },
    pause: { type: 'bool', short: 'p', default: true, usage: 'Pause container during commit' },
  },
  args: rangeArgs(1, 2),
  async run(ctx) {
    let repo = '';
    let tag = '';
    const reference = ctx.args[1] ?? '';
    if (reference !== '') {
      let ref;
      try {
        ref = parseNormalizedNamed(reference);
      } catch (err) {
        throw new StatusError((err as Error).message, 1);
      }
      if (ref.digest !== undefined) throw new StatusError('refusing to create a tag with a digest reference', 1);
      ref = tagNameOnly(ref);
      tag = ref.tag ?? '';
      repo = ref.name;
    }
    const response = await withDaemon(() =>
      apiClient(ctx).json<{ Id: string }>('POST', '/commit', {
        query: {
          container: ctx.args[0]!,
          repo,
          tag,
          comment: ctx.flags.message,
          author: ctx.flags.author,
          changes: ctx.flags.change.length > 0 ? ctx.flags.change : undefined,
          pause: ctx.flags.pause ? undefined : '0',
        },
      }),
    );
    ctx.stdout.write(`${response.Id}\n`);
    return 0;
  },
});
