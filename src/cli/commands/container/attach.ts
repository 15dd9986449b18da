// berth attach / berth container attach (docker/cli attach.go): the
// container must be running; stdin only when it was created with -i; the
// exit status is the container's; the detach keys end it with "read escape
// sequence".
import { defineCommand, exactArgs, StatusError } from '../../command.js';
import { apiClient, daemonError } from '../../session.js';
import { forwardSignals } from '../../signals.js';
import { drained, byteWriter } from '../../streams.js';
import { ESCAPE_SEQUENCE_MESSAGE } from '../../tty.js';
import { attachStreams, exitStatusOf, nudgeTtySize } from './attach-flow.js';
import { inspectContainer, waitContainer, type ContainerInspect } from './container-api.js';
import { detachKeysFor } from './run.js';

function checkState(c: ContainerInspect): void {
  if (!c.State.Running) throw new StatusError('You cannot attach to a stopped container, start it first', 1);
  if (c.State.Paused) throw new StatusError('You cannot attach to a paused container, unpause it first', 1);
  if (c.State.Restarting) throw new StatusError('You cannot attach to a restarting container, wait until it is running', 1);
}

export const attachCommand = defineCommand({
  name: 'attach',
  usage: '[OPTIONS] CONTAINER',
  description: 'Attach local standard input, output, and error streams to a running container',
  flags: {
    'detach-keys': { type: 'string', usage: 'Override the key sequence for detaching a container' },
    'no-stdin': { type: 'bool', usage: 'Do not attach STDIN' },
    'sig-proxy': { type: 'bool', default: true, usage: 'Proxy all received signals to the process' },
  },
  args: exactArgs(1),
  async run(ctx) {
    const client = apiClient(ctx);
    const name = ctx.args[0]!;
    const wait = waitContainer(client, name);
    let c: ContainerInspect;
    try {
      c = await inspectContainer(client, name);
    } catch (err) {
      throw daemonError(err);
    }
    checkState(c);
    const attachStdin = !ctx.flags['no-stdin'];
    if (attachStdin && c.Config.Tty && !process.stdin.isTTY) throw new StatusError('the input device is not a TTY', 1);
    const detachKeys = detachKeysFor(ctx.flags['detach-keys'], ctx.global.config);
    const cleanups: (() => void)[] = [];
    try {
      if (ctx.flags['sig-proxy'] && !c.Config.Tty) cleanups.push(forwardSignals(client, c.Id));
      const streaming = await attachStreams(ctx, client, name, {
        stdin: attachStdin && c.Config.OpenStdin,
        stdout: true,
        stderr: true,
        detachKeys,
        tty: c.Config.Tty,
      });
      // The container may have stopped between the check and the attach.
      try {
        checkState(await inspectContainer(client, name));
      } catch (err) {
        throw daemonError(err);
      }
      if (c.Config.Tty && process.stdout.isTTY) cleanups.push(await nudgeTtySize(client, c.Id));
      let outcome;
      try {
        outcome = await streaming;
      } catch (err) {
        throw new StatusError((err as Error).message, 1);
      }
      if (outcome.kind === 'detached') throw new StatusError(ESCAPE_SEQUENCE_MESSAGE, 1);
      await drained(byteWriter(ctx.stdout));
      const status = await exitStatusOf(wait);
      return status === 0 ? 0 : status;
    } finally {
      for (const cleanup of cleanups) cleanup();
    }
  },
});
