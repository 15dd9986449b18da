// berth stop / berth container stop: POST /containers/{id}/stop for each
// container, concurrently; names printed as given (docker/cli stop.go).
import { defineCommand, minArgs, StatusError } from '../../command.js';
import { apiClient } from '../../session.js';
import { containerPath, forEachContainer } from './container-api.js';

/** The flags stop and restart share. */
export const stopFlags = {
  signal: { type: 'string', short: 's', usage: 'Signal to send to the container' },
  timeout: { type: 'int', short: 't', usage: 'Seconds to wait before killing the container' },
  time: { type: 'int', usage: 'Seconds to wait before killing the container (deprecated: use --timeout)', deprecated: 'use --timeout instead' },
} as const;

/** The ?signal=&t= query: t only when -t (or --time) was given. */
export function stopQuery(flags: { signal: string; timeout: number; time: number }, changed: ReadonlySet<string>): Record<string, string | undefined> {
  if (changed.has('timeout') && changed.has('time')) throw new StatusError('conflicting options: cannot specify both --timeout and --time', 1);
  let timeout: number | undefined;
  if (changed.has('timeout')) timeout = flags.timeout;
  else if (changed.has('time')) timeout = flags.time;
  return { signal: flags.signal || undefined, t: timeout === undefined ? undefined : String(timeout) };
}

export const stopCommand = defineCommand({
  name: 'stop',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Stop one or more running containers',
  flags: stopFlags,
  args: minArgs(1),
  async run(ctx) {
    const client = apiClient(ctx);
    const query = stopQuery(ctx.flags, ctx.changed);
    return forEachContainer(ctx, ctx.args, (name) => client.call('POST', containerPath(name, '/stop'), { query }));
  },
});
