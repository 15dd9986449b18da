// berth exec / berth container exec (docker/cli exec.go): inspect the
// container first (so a missing one is reported before anything is
// created), create the exec, then either start it detached or attach to it
// over a hijacked connection and exit with the process's exit code.
import { defineCommand, minArgs, StatusError } from '../../command.js';
import { ConnectionError } from '../../client/api-client.js';
import { apiClient, daemonError } from '../../session.js';
import { byteWriter, drained, streamHijacked } from '../../streams.js';
import { monitorTtySize, ttySize } from '../../tty.js';
import { inspectContainer, containerPath } from './container-api.js';
import { KeyValueFileError, readKeyValueStrings } from './env-file.js';
import { validateEnv } from './option-values.js';
import { detachKeysFor } from './run.js';

/** container.ExecOptions as docker 28's client sends it. */
export interface ExecCreateBody {
  User: string;
  Privileged: boolean;
  Tty: boolean;
  ConsoleSize?: [number, number];
  AttachStdin: boolean;
  AttachStderr: boolean;
  AttachStdout: boolean;
  Detach: boolean;
  DetachKeys: string;
  Env: string[] | null;
  WorkingDir: string;
  Cmd: string[];
}

export const execCommand = defineCommand({
  name: 'exec',
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  description: 'Execute a command in a running container',
  flags: {
    detach: { type: 'bool', short: 'd', usage: 'Detached mode: run command in the background' },
    'detach-keys': { type: 'string', usage: 'Override the key sequence for detaching a container' },
    env: { type: 'list', short: 'e', usage: 'Set environment variables', validate: validateEnv },
    'env-file': { type: 'list', usage: 'Read in a file of environment variables' },
    interactive: { type: 'bool', short: 'i', usage: 'Keep STDIN open even if not attached' },
    privileged: { type: 'bool', usage: 'Give extended privileges to the command' },
    tty: { type: 'bool', short: 't', usage: 'Allocate a pseudo-TTY' },
    user: { type: 'string', short: 'u', usage: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    workdir: { type: 'string', short: 'w', usage: 'Working directory inside the container' },
  },
  args: minArgs(2),
  interspersed: false,
  async run(ctx) {
    const flags = ctx.flags;
    const env = ctx.io.env;
    const client = apiClient(ctx);
    const container = ctx.args[0]!;

    let envList: string[];
    try {
      const overrides = flags.env.map((value) => {
        if (value.includes('=')) return value;
        const fromCli = env[value];
        return fromCli === undefined ? value : `${value}=${fromCli}`;
      });
      envList = readKeyValueStrings(flags['env-file'], overrides, (name) => env[name]);
    } catch (err) {
      if (err instanceof KeyValueFileError) throw new StatusError(err.message, 1);
      throw err;
    }
    const body: ExecCreateBody = {
      User: flags.user,
      Privileged: flags.privileged,
      Tty: flags.tty,
      AttachStdin: !flags.detach && flags.interactive,
      AttachStderr: !flags.detach,
      AttachStdout: !flags.detach,
      Detach: false,
      DetachKeys: detachKeysFor(flags['detach-keys'], ctx.global.config),
      Env: envList.length > 0 ? envList : null,
      WorkingDir: flags.workdir,
      Cmd: ctx.args.slice(1),
    };

    try {
      await inspectContainer(client, container);
    } catch (err) {
      throw daemonError(err);
    }
    if (!flags.detach && body.Tty && body.AttachStdin && !process.stdin.isTTY) {
      throw new StatusError('the input device is not a TTY', 1);
    }
    if (body.Tty) body.ConsoleSize = ttySize();
    const ordered: Record<string, unknown> = {
      User: body.User,
      Privileged: body.Privileged,
      Tty: body.Tty,
      ...(body.ConsoleSize ? { ConsoleSize: body.ConsoleSize } : {}),
      AttachStdin: body.AttachStdin,
      AttachStderr: body.AttachStderr,
      AttachStdout: body.AttachStdout,
      Detach: body.Detach,
      DetachKeys: body.DetachKeys,
      Env: body.Env,
      WorkingDir: body.WorkingDir,
      Cmd: body.Cmd,
    };
    let execId: string;
    try {
      const created = await client.json<{ Id: string }>('POST', containerPath(container, '/exec'), { body: ordered });
      execId = created.Id;
    } catch (err) {
      throw daemonError(err);
    }
    if (execId === '') throw new StatusError('exec ID empty', 1);

    const startBody: Record<string, unknown> = { Detach: flags.detach, Tty: body.Tty };
    if (body.ConsoleSize) startBody.ConsoleSize = body.ConsoleSize;
    if (flags.detach) {
      try {
        await client.call('POST', `/exec/${execId}/start`, { body: startBody });
      } catch (err) {
        throw daemonError(err);
      }
      return 0;
    }

    const hijacked = await client.hijack('POST', `/exec/${execId}/start`, { body: startBody }).catch((err: unknown) => {
      throw daemonError(err);
    });
    const stdout = byteWriter(ctx.stdout);
    const stderr = byteWriter(ctx.stderr);
    const streaming = streamHijacked({
      socket: hijacked.socket,
      head: hijacked.head,
      tty: body.Tty,
      stdin: body.AttachStdin ? process.stdin : undefined,
      stdout,
      stderr: body.Tty ? stdout : stderr,
      detachKeys: body.DetachKeys,
      warn: (message) => ctx.stderr.write(`WARN[0000] ${message}\n`),
    });
    streaming.catch(() => undefined);
    let stopResize: (() => void) | undefined;
    if (body.Tty && process.stdin.isTTY) stopResize = await monitorTtySize({ client, id: execId, isExec: true });
    try {
      const outcome = await streaming;
      if (outcome.kind === 'detached') throw new StatusError('read escape sequence', 1);
    } catch (err) {
      if (err instanceof StatusError) throw err;
      throw new StatusError((err as Error).message, 1);
    } finally {
      stopResize?.();
    }
    await drained(stdout);
    try {
      const inspect = await client.json<{ ExitCode: number | null }>('GET', `/exec/${execId}/json`);
      return inspect.ExitCode ?? 0;
    } catch (err) {
      if (err instanceof ConnectionError) return 255;
      throw daemonError(err);
    }
  },
});
