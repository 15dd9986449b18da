// What every command that talks to the daemon shares: the API client for the
// resolved endpoint, and docker's way of reporting daemon errors.
import { ApiClient, ApiError, ConnectionError } from './client/api-client.js';
import { resolveEndpoint, type ResolvedEndpoint } from './client/contexts.js';
import { StatusError, type CommandContext, type GlobalOptions } from './command.js';
import type { FlagSpecs } from './flags.js';

const clients = new WeakMap<GlobalOptions, { client: ApiClient; endpoint: ResolvedEndpoint }>();

export function endpointFor(global: GlobalOptions): ResolvedEndpoint {
  return resolveEndpoint({
    hosts: [...global.hosts],
    context: global.context || undefined,
    tls: global.tls,
    tlsVerify: global.tlsVerify,
    // Explicit TLS file flags only; resolveEndpoint applies docker's defaults.
    tlsCaCert: global.changed.has('tlscacert') ? global.tlsCaCert : undefined,
    tlsCert: global.changed.has('tlscert') ? global.tlsCert : undefined,
    tlsKey: global.changed.has('tlskey') ? global.tlsKey : undefined,
    configDir: global.config,
  });
}

/** The API client for this invocation (one per process, kept alive across calls). */
export function apiClient(ctx: CommandContext<FlagSpecs>): ApiClient {
  let entry = clients.get(ctx.global);
  if (!entry) {
    const endpoint = endpointFor(ctx.global);
    const version = ctx.io.env.DOCKER_API_VERSION || undefined;
    entry = { client: new ApiClient({ host: endpoint.host, tls: endpoint.tls, version }), endpoint };
    clients.set(ctx.global, entry);
  }
  return entry.client;
}

/**
 * docker's rendering of an error from the daemon: `Error response from daemon: <msg>`,
 * exit 1 (commands that exit 125 on daemon errors, like run, wrap it themselves).
 */
export function daemonError(err: unknown, exitCode = 1): StatusError {
  if (err instanceof StatusError) return err;
  if (err instanceof ApiError) return new StatusError(`Error response from daemon: ${err.message}`, exitCode);
  if (err instanceof ConnectionError) return new StatusError(err.message, exitCode);
  return new StatusError(err instanceof Error ? err.message : String(err), exitCode);
}

/** Run `fn`, turning any API or connection error into docker's status error. */
export async function withDaemon<T>(fn: () => Promise<T>, exitCode = 1): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw daemonError(err, exitCode);
  }
}
