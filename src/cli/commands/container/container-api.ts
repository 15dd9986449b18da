// What the container commands share: the API shapes they read, the wait
// request (registered before a start), and docker's way of acting on several
// containers at once (each ID printed as given when it worked, the errors
// printed together at the end, exit 1).
import type { ApiClient } from '../../client/api-client.js';
import { ApiError, readAll } from '../../client/api-client.js';
import { StatusError, type CommandContext } from '../../command.js';
import type { FlagSpecs } from '../../flags.js';
import { daemonError } from '../../session.js';
import { pathEscape } from '../../shared-options.js';

/** An entry of GET /containers/json (container.Summary). */
export interface ContainerSummary {
  Id: string;
  Names?: string[] | null;
  Image: string;
  ImageID?: string;
  Command: string;
  Created: number;
  Ports?: PortSummary[] | null;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels?: Record<string, string> | null;
  State: string;
  Status: string;
  HostConfig?: { NetworkMode?: string; Annotations?: Record<string, string> };
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
  Mounts?: MountPointSummary[] | null;
}

export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface MountPointSummary {
  Type?: string;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode?: string;
  RW?: boolean;
  Propagation?: string;
}

/** The parts of GET /containers/{id}/json the CLI reads itself. */
export interface ContainerInspect {
  Id: string;
  Name: string;
  Created?: string;
  State: {
    Status: string;
    Running: boolean;
    Paused: boolean;
    Restarting: boolean;
    ExitCode: number;
    StartedAt?: string;
    FinishedAt?: string;
  };
  Config: { Tty: boolean; OpenStdin: boolean; AttachStdin?: boolean };
  HostConfig?: { AutoRemove?: boolean };
  NetworkSettings?: { Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> | null };
  [key: string]: unknown;
}

export async function inspectContainer(client: ApiClient, id: string): Promise<ContainerInspect> {
  return client.json<ContainerInspect>('GET', `/containers/${pathEscape(id)}/json`);
}

/** The answer of POST /containers/{id}/wait. */
export interface WaitResult {
  StatusCode: number;
  Error?: { Message: string } | null;
}

export interface PendingWait {
  /** Resolves with the container's exit; rejects with the daemon's error. */
  readonly result: Promise<WaitResult>;
  /** Resolves once the daemon answered the request's headers (the wait is registered). */
  readonly registered: Promise<void>;
}

/**
 * POST /containers/{id}/wait?condition=...: dockerd answers the headers as
 * soon as the wait is registered and the body when the condition is met.
 */
export function waitContainer(client: ApiClient, id: string, condition?: 'not-running' | 'next-exit' | 'removed'): PendingWait {
  let markRegistered: () => void = () => undefined;
  const registered = new Promise<void>((resolve) => {
    markRegistered = resolve;
  });
  const result = (async (): Promise<WaitResult> => {
    try {
      const res = await client.raw('POST', `/containers/${pathEscape(id)}/wait`, { query: { condition } });
      markRegistered();
      const body = await readAll(res.body);
      if (res.status >= 400) {
        let message = body.toString('utf8').trim();
        try {
          const parsed = JSON.parse(message) as { message?: string };
          if (typeof parsed.message === 'string') message = parsed.message;
        } catch {
          // plain text
        }
        throw new ApiError(res.status, message);
      }
      const text = body.toString('utf8').trim();
      if (text === '') throw new Error('unexpected EOF');
      return JSON.parse(text) as WaitResult;
    } finally {
      markRegistered();
    }
  })();
  result.catch(() => undefined);
  return { result, registered };
}

/**
 * docker's pattern for `stop a b c`: the operations run concurrently, each
 * name is printed (in argument order) when it worked, and the errors are
 * printed together at the end with exit status 1.
 */
export async function forEachContainer(
  ctx: CommandContext<FlagSpecs>,
  names: readonly string[],
  operation: (name: string) => Promise<void>,
  options: { print?: (name: string) => string | undefined } = {},
): Promise<number> {
  const outcomes = names.map((name) =>
    operation(name).then(
      () => undefined,
      (err: unknown) => err,
    ),
  );
  const errors: string[] = [];
  for (const [i, outcome] of outcomes.entries()) {
    const err = await outcome;
    const name = names[i]!;
    if (err === undefined) {
      const line = options.print ? options.print(name) : name;
      if (line !== undefined) ctx.stdout.write(`${line}\n`);
    } else {
      errors.push(daemonError(err).status);
    }
  }
  if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
  return 0;
}

/** The container path for an ID or name. */
export function containerPath(id: string, suffix = ''): string {
  return `/containers/${pathEscape(id)}${suffix}`;
}
