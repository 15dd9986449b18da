// berth start / berth container start (docker/cli start.go): without -a or
// -i, each container is started in turn; with them, one container is
// attached first, the wait registered, then started, and the exit status is
// the container's.
import { defineCommand, minArgs, StatusError } from '../../command.js';
import { apiClient, daemonError } from '../../session.js';
import { forwardSignals } from '../../signals.js';
import { byteWriter, drained } from '../../streams.js';
import { monitorTtySize } from '../../tty.js';
import { attachStreams, exitStatusOf } from './attach-flow.js';
import { containerPath, inspectContainer, waitContainer } from './container-api.js';
import { detachKeysFor } from './run.js';

export const startCommand = defineCommand({
  name: 'start',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Start one or more stopped containers',
  flags: {
    attach: { type: 'bool', short: 'a', usage: 'Attach STDOUT/STDERR and forward signals' },
    checkpoint: { type: 'string', usage: 'Restore from this checkpoint' },
    'checkpoint-dir': { type: 'string', usage: 'Use a custom checkpoint storage directory' },
    'detach-keys': { type: 'string', usage: 'Override the key sequence for detaching a container' },
    interactive: { type: 'bool', short: 'i', usage: "Attach container's STDIN" },
  },
  args: minArgs(1),
  async run(ctx) {
    const client = apiClient(ctx);
    const flags = ctx.flags;
    if (flags.attach || flags.interactive) {
      if (ctx.args.length > 1) throw new StatusError('you cannot start and attach multiple containers at once', 1);
      let c;
      try {
        c = await inspectContainer(client, ctx.args[0]!);
      } catch (err) {
        throw daemonError(err);
      }
      const cleanups: (() => void)[] = [];
      try {
        if (!c.Config.Tty) cleanups.push(forwardSignals(client, c.Id));
        const streaming = await attachStreams(ctx, client, c.Id, {
          stdin: flags.interactive && c.Config.OpenStdin,
          stdout: true,
          stderr: true,
          detachKeys: detachKeysFor(flags['detach-keys'], ctx.global.config),
          tty: c.Config.Tty,
        });
        const wait = waitContainer(client, c.Id, c.HostConfig?.AutoRemove ? 'removed' : 'next-exit');
        await wait.registered;
        try {
          await client.call('POST', containerPath(c.Id, '/start'), {
            query: { checkpoint: flags.checkpoint || undefined, 'checkpoint-dir': flags['checkpoint-dir'] || undefined },
          });
        } catch (err) {
          if (c.HostConfig?.AutoRemove) await wait.result.catch(() => undefined);
          throw daemonError(err);
        }
        if (c.Config.Tty && process.stdout.isTTY) cleanups.push(await monitorTtySize({ client, id: c.Id, isExec: false }));
        let outcome;
        try {
          outcome = await streaming;
        } catch (err) {
          throw new StatusError((err as Error).message, 1);
        }
        if (outcome.kind === 'detached') return 0;
        await drained(byteWriter(ctx.stdout));
        return exitStatusOf(wait);
      } finally {
        for (const cleanup of cleanups) cleanup();
      }
    }
    if (flags.checkpoint !== '') {
      const name = ctx.args[0]!;
      await client
        .call('POST', containerPath(name, '/start'), {
          query: { checkpoint: flags.checkpoint, 'checkpoint-dir': flags['checkpoint-dir'] || undefined },
        })
        .catch((err: unknown) => {
          throw daemonError(err);
        });
      return 0;
    }
    const failed: string[] = [];
    for (const name of ctx.args) {
      try {
        await client.call('POST', containerPath(name, '/start'));
        ctx.stdout.write(`${name}\n`);
      } catch (err) {
        ctx.stderr.write(`${daemonError(err).status}\n`);
        failed.push(name);
      }
    }
    if (failed.length > 0) throw new StatusError(`Error: failed to start containers: ${failed.join(', ')}`, 1);
    return 0;
  },
});
