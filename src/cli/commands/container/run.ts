// berth run / berth container run, as docker/cli's run.go: create, attach
// (unless detached), register the wait, start, stream until the container's
// output ends, exit with its status. Daemon errors exit 125, or 126/127 when
// the command could not be invoked or found.
import { defineCommand, minArgs, StatusError } from '../../command.js';
import { readCliConfig } from '../../client/contexts.js';
import { apiClient, daemonError } from '../../session.js';
import { forwardSignals } from '../../signals.js';
import { byteWriter, drained, streamHijacked, type StreamOutcome } from '../../streams.js';
import { monitorTtySize, ttySize } from '../../tty.js';
import { containerPath, waitContainer } from './container-api.js';
import { runFlags } from './create-flags.js';
import { createContainer, CreateError, prepareCreate, reportError } from './create-flow.js';

/** runStartContainerErr: 127 when the command is not found, 126 when it cannot be invoked, else 125. */
export function startErrorExitCode(message: string): number {
  const text = message.replace(/^Error response from daemon: /, '');
  if (text.includes('executable file not found') || text.includes('no such file or directory') || text.includes('system cannot find the file specified')) {
    return 127;
  }
  if (text.includes('permission denied') || text.includes('is a directory')) return 126;
  return 125;
}

/** The detach keys: the flag, else config.json's detachKeys. */
export function detachKeysFor(flag: string, configDir: string): string {
  if (flag !== '') return flag;
  const configured = readCliConfig(configDir).detachKeys;
  return typeof configured === 'string' ? configured : '';
}

export const runCommand = defineCommand({
  name: 'run',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  flags: runFlags,
  args: minArgs(1),
  interspersed: false,
  async run(ctx) {
    const client = apiClient(ctx);
    const flags = ctx.flags;
    const { body } = prepareCreate(ctx, 'run', flags, client.hostDescription);

    if (!flags.detach) {
      if (body.Tty && body.AttachStdin && !process.stdin.isTTY) throw new StatusError('the input device is not a TTY', 1);
    } else {
      if (flags.attach.length !== 0) throw new StatusError('conflicting options: cannot specify both --attach and --detach', 1);
      body.AttachStdin = false;
      body.AttachStdout = false;
      body.AttachStderr = false;
      body.StdinOnce = false;
    }

    let id: string;
    try {
      id = await createContainer(ctx, client, body, {
        name: flags.name,
        platform: flags.platform || (ctx.io.env.DOCKER_DEFAULT_PLATFORM ?? ''),
        pull: flags.pull,
        quiet: flags.quiet,
        consoleSize: ttySize(),
      });
    } catch (err) {
      const message = err instanceof CreateError ? err.message : daemonError(err).status;
      reportError(ctx, 'run', message);
      throw new StatusError('', startErrorExitCode(message));
    }

    const cleanups: (() => void)[] = [];
    try {
      // With a TTY the terminal delivers keys (ctrl-c) to the container itself.
      if (flags['sig-proxy'] && !body.Tty) cleanups.push(forwardSignals(client, id));

      const stdout = byteWriter(ctx.stdout);
      const stderr = byteWriter(ctx.stderr);
      const attach = body.AttachStdin || body.AttachStdout || body.AttachStderr;
      let streaming: Promise<StreamOutcome> | undefined;
      if (attach) {
        const hijacked = await client
          .hijack('POST', containerPath(id, '/attach'), {
            query: {
              stream: 1,
              stdin: body.AttachStdin ? 1 : undefined,
              stdout: body.AttachStdout ? 1 : undefined,
              stderr: body.AttachStderr ? 1 : undefined,
              detachKeys: detachKeysFor(flags['detach-keys'], ctx.global.config) || undefined,
            },
          })
          .catch((err: unknown) => {
            throw daemonError(err);
          });
        streaming = streamHijacked({
          socket: hijacked.socket,
          head: hijacked.head,
          tty: body.Tty,
          stdin: body.AttachStdin ? process.stdin : undefined,
          stdout: body.AttachStdout ? stdout : undefined,
          // With a TTY, stderr arrives in the same stream as stdout.
          stderr: body.AttachStderr ? (body.Tty ? stdout : stderr) : undefined,
          detachKeys: detachKeysFor(flags['detach-keys'], ctx.global.config),
          warn: (message) => ctx.stderr.write(`WARN[0000] ${message}\n`),
        });
        streaming.catch(() => undefined);
      }

      // The wait must be registered before the start, or a quick exit would be missed:
      // like docker's client, go on once the daemon has answered the headers.
      const wait = waitContainer(client, id, flags.rm ? 'removed' : 'next-exit');
      await wait.registered;

      try {
        await client.call('POST', containerPath(id, '/start'));
      } catch (err) {
        const message = daemonError(err).status;
        reportError(ctx, 'run', message);
        if (flags.rm) await wait.result.catch(() => undefined);
        throw new StatusError('', startErrorExitCode(message));
      }

      if (attach && body.Tty && process.stdout.isTTY) {
        cleanups.push(await monitorTtySize({ client, id, isExec: false }));
      }

      if (streaming) {
        let outcome: StreamOutcome;
        try {
          outcome = await streaming;
        } catch (err) {
          throw new StatusError((err as Error).message, 1);
        }
        // The user typed the detach keys: the container keeps running.
        if (outcome.kind === 'detached') return 0;
      }

      if (!body.AttachStdout && !body.AttachStderr) {
        ctx.stdout.write(`${id}\n`);
        return 0;
      }

      let status: number;
      try {
        const result = await wait.result;
        status = result.Error?.Message ? 125 : result.StatusCode;
        if (result.Error?.Message) ctx.stderr.write(`${result.Error.Message}\n`);
      } catch (err) {
        ctx.stderr.write(`${daemonError(err).status}\n`);
        status = 125;
      }
      await drained(stdout);
      return status;
    } finally {
      for (const cleanup of cleanups) cleanup();
    }
  },
});
