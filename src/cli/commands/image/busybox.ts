// berth image busybox: berth's own command (no docker equivalent). The daemon
// builds a small base image from the busybox-static binary on its host
// (POST /berth/images/busybox, see src/api/images/routes.ts) and tags it;
// the image ID is printed. install.sh and the tests get their base image so,
// since no public registry may be reachable.
import { defineCommand, noArgs } from '../../command.js';
import { apiClient, withDaemon } from '../../session.js';

export const imageBusyboxCommand = defineCommand({
  name: 'busybox',
  usage: '[OPTIONS]',
  description: 'Create a busybox base image from the host (berth extension)',
  long:
    "Create a small base image from the busybox-static binary on the daemon's host\n" +
    "and tag it (busybox:latest unless --tag is given), without any registry.\n" +
    'The image ID is printed. This is how berth installs and tests get a base image\n' +
    'when no registry is reachable. The image is built the same way every time, so\n' +
    'its ID only changes when the host busybox binary does.',
  example: '  $ berth image busybox\n  $ berth image busybox --tag base:1\n  $ berth run --rm busybox echo hello',
  flags: {
    tag: { type: 'string', short: 't', default: 'busybox:latest', usage: 'Name and tag for the image' },
  },
  args: noArgs,
  async run(ctx) {
    const answer = await withDaemon(() =>
      apiClient(ctx).json<{ Id: string }>('POST', '/berth/images/busybox', { query: { tag: ctx.flags.tag } }),
    );
    ctx.stdout.write(`${answer?.Id ?? ''}\n`);
    return 0;
  },
});
