// Attaching the local streams to a container: what `attach`, `start -a`
// and `run` share beyond the raw stream copy (streams.ts): the attach
// request, the TTY size kept in step, docker's exit status.
import type { ApiClient } from '../../client/api-client.js';
import { StatusError, type CommandContext } from '../../command.js';
import type { FlagSpecs } from '../../flags.js';
import { daemonError } from '../../session.js';
import { byteWriter, streamHijacked, type StreamOutcome } from '../../streams.js';
import { monitorTtySize, resizeTtyTo, ttySize } from '../../tty.js';
import { containerPath, type PendingWait } from './container-api.js';

export interface AttachRequest {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly detachKeys: string;
  readonly tty: boolean;
}

/** POST /containers/{id}/attach (hijacked), then the streams copied until the output ends or the user detaches. */
export async function attachStreams(ctx: CommandContext<FlagSpecs>, client: ApiClient, id: string, request: AttachRequest): Promise<Promise<StreamOutcome>> {
  const hijacked = await client
    .hijack('POST', containerPath(id, '/attach'), {
      query: {
        stream: 1,
        stdin: request.stdin ? 1 : undefined,
        stdout: request.stdout ? 1 : undefined,
        stderr: request.stderr ? 1 : undefined,
        detachKeys: request.detachKeys || undefined,
      },
    })
    .catch((err: unknown) => {
      throw daemonError(err);
    });
  const stdout = byteWriter(ctx.stdout);
  const stderr = byteWriter(ctx.stderr);
  const streaming = streamHijacked({
    socket: hijacked.socket,
    head: hijacked.head,
    tty: request.tty,
    stdin: request.stdin ? process.stdin : undefined,
    stdout: request.stdout ? stdout : undefined,
    stderr: request.stderr ? (request.tty ? stdout : stderr) : undefined,
    detachKeys: request.detachKeys,
    warn: (message) => ctx.stderr.write(`WARN[0000] ${message}\n`),
  });
  streaming.catch(() => undefined);
  return streaming;
}

/** attach's resizeTTY: one size off first, so a re-attached shell redraws, then the real size. */
export async function nudgeTtySize(client: ApiClient, id: string): Promise<() => void> {
  const [h, w] = ttySize();
  await resizeTtyTo({ client, id, isExec: false }, h + 1, w + 1).catch(() => undefined);
  return monitorTtySize({ client, id, isExec: false });
}

/** getExitStatus: the wait's answer as docker's exit status. */
export async function exitStatusOf(wait: PendingWait): Promise<number> {
  try {
    const result = await wait.result;
    if (result.Error?.Message) throw new StatusError(result.Error.Message, 1);
    return result.StatusCode;
  } catch (err) {
    throw daemonError(err);
  }
}

/** logrus's line for an error the docker CLI only logs. */
export function logError(ctx: CommandContext<FlagSpecs>, message: string): void {
  if (process.stderr.isTTY) ctx.stderr.write(`ERRO[0000] ${message}\n`);
  else ctx.stderr.write(`time="${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}" level=error msg="${message.replace(/"/g, '\\"')}"\n`);
}
