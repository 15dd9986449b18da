// Container routes (moby api/server/router/container): decode the request,
// call the runtime, encode docker's response. Shapes and status codes:
// ../shared/specs/engine-api/v1.47.yaml, paths /containers/*, /commit.
import type { Handler, Method, RouteGroup } from '../http/router.js';
import type { RequestContext } from '../http/context.js';
import { EngineError, invalidParameter, notImplemented } from '../../common/errors.js';
import { parseDockerTimestamp } from '../../common/time.js';
import type { ContainerCreateRequest, HostConfig, RestartPolicy } from '../../runtime/container-config.js';
import type { ContainerConfig } from '../../common/container-config.js';
import type { ContainerService, WaitCondition } from '../../runtime/service.js';
import type { ContainerFiles } from '../../runtime/files.js';
import { inspectView } from '../../runtime/views.js';
import { containerSizes, containerSummaries } from '../../runtime/listing.js';
import { emptyStats, sampleStats, type StatsJson } from '../../runtime/stats.js';
import { top } from '../../runtime/top.js';
import { formatEntry } from '../../runtime/logs.js';
import { frame, StreamId } from '../http/stdcopy.js';
import { networkMode } from '../../runtime/container-config.js';

/** What the handlers need from the runtime (the ContainerService and its helpers satisfy it). */
export type ContainerBackend = Pick<
  ContainerService,
  | 'create' | 'start' | 'stop' | 'kill' | 'restart' | 'pause' | 'unpause' | 'wait' | 'remove' | 'rename' | 'update' | 'resize'
  | 'attach' | 'logs' | 'list' | 'prune' | 'record' | 'get' | 'execIdsOf' | 'runningInfo' | 'layers' | 'images'
>;

export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';
export const RAW_STREAM = 'application/vnd.docker.raw-stream';

function optionalInt(ctx: RequestContext, name: string): number | undefined {
  const v = ctx.queryString(name);
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw invalidParameter(`invalid value for ${name}: ${v}`);
  return n;
}

export class ContainerRoutes implements RouteGroup {
  constructor(
    private readonly containers: ContainerBackend,
    private readonly files: ContainerFiles,
  ) {}

  routes(): Array<[Method, string, Handler]> {
    return [
      ['GET', '/containers/json', (ctx) => this.list(ctx)],
      ['POST', '/containers/create', (ctx) => this.create(ctx)],
      ['POST', '/containers/prune', (ctx) => this.prune(ctx)],
      ['GET', '/containers/{id}/json', (ctx) => this.inspect(ctx)],
      ['GET', '/containers/{id}/top', (ctx) => this.top(ctx)],
      ['GET', '/containers/{id}/logs', (ctx) => this.logs(ctx)],
      ['GET', '/containers/{id}/changes', (ctx) => this.changes(ctx)],
      ['GET', '/containers/{id}/export', (ctx) => this.export(ctx)],
      ['GET', '/containers/{id}/stats', (ctx) => this.stats(ctx)],
      ['POST', '/containers/{id}/resize', (ctx) => this.resize(ctx)],
      ['POST', '/containers/{id}/start', (ctx) => this.start(ctx)],
      ['POST', '/containers/{id}/stop', (ctx) => this.stop(ctx)],
      ['POST', '/containers/{id}/restart', (ctx) => this.restart(ctx)],
      ['POST', '/containers/{id}/kill', (ctx) => this.kill(ctx)],
      ['POST', '/containers/{id}/update', (ctx) => this.update(ctx)],
      ['POST', '/containers/{id}/rename', (ctx) => this.rename(ctx)],
      ['POST', '/containers/{id}/pause', (ctx) => this.pause(ctx)],
      ['POST', '/containers/{id}/unpause', (ctx) => this.unpause(ctx)],
      ['POST', '/containers/{id}/attach', (ctx) => this.attach(ctx)],
      ['GET', '/containers/{id}/attach/ws', () => { throw notImplemented('attach over websocket is not supported'); }],
      ['POST', '/containers/{id}/wait', (ctx) => this.wait(ctx)],
      ['DELETE', '/containers/{id}', (ctx) => this.remove(ctx)],
      ['HEAD', '/containers/{id}/archive', (ctx) => this.archiveHead(ctx)],
      ['GET', '/containers/{id}/archive', (ctx) => this.archiveGet(ctx)],
      ['PUT', '/containers/{id}/archive', (ctx) => this.archivePut(ctx)],
      ['POST', '/commit', (ctx) => this.commit(ctx)],
    ];
  }

  private async list(ctx: RequestContext): Promise<void> {
    const opts = { all: ctx.queryBool('all'), limit: ctx.queryInt('limit', 0) ?? 0, filters: ctx.filters(), size: ctx.queryBool('size') };
    ctx.json(200, await containerSummaries(this.containers, opts));
  }

  private async create(ctx: RequestContext): Promise<void> {
    const body = (await ctx.readJson<ContainerCreateRequest>()) ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw invalidParameter('invalid JSON: expected an object');
    const name = ctx.queryString('name');
    const platform = ctx.queryString('platform');
    const result = await this.containers.create(body, { ...(name ? { name } : {}), ...(platform ? { platform } : {}) });
    ctx.json(201, result);
  }

  private async prune(ctx: RequestContext): Promise<void> {
    ctx.json(200, await this.containers.prune(ctx.filters()));
  }

  private async inspect(ctx: RequestContext): Promise<void> {
    const rec = this.containers.record(ctx.param('id'));
    const size = ctx.queryBool('size');
    const sizes = size ? await containerSizes(this.containers, rec.ID, rec.Image) : undefined;
    const graph = await this.containers.layers.metadata(rec.ID).catch(() => null);
    const view = inspectView(rec, { execIds: this.containers.execIdsOf(rec.ID), graphDriverData: graph, ...(sizes ?? {}) });
    if (!ctx.versionAtLeast('1.45')) addLegacyAliases(view, rec.ID, rec.Config.Hostname ?? '');
    ctx.json(200, view);
  }

  private async top(ctx: RequestContext): Promise<void> {
    const info = this.containers.runningInfo(ctx.param('id'));
    ctx.json(200, await top(info.pid, ctx.queryString('ps_args') ?? '-ef'));
  }

  private async logs(ctx: RequestContext): Promise<void> {
    const follow = ctx.queryBool('follow');
    const tailRaw = ctx.queryString('tail') ?? 'all';
    let tail = -1;
    if (tailRaw !== 'all' && tailRaw !== '') {
      const n = Number(tailRaw);
      tail = Number.isInteger(n) && n >= 0 ? n : -1;
    }
    const since = ctx.queryString('since');
    const until = ctx.queryString('until');
    let closeResolve!: () => void;
    const cancelled = new Promise<void>((r) => { closeResolve = r; });
    const { tty, details, entries } = this.containers.logs(
      ctx.param('id'),
      {
        stdout: ctx.queryBool('stdout'),
        stderr: ctx.queryBool('stderr'),
        since: since && since !== '0' ? parseDockerTimestamp(since) : 0n,
        until: until && until !== '0' ? parseDockerTimestamp(until) : 0n,
        tail,
        follow,
        timestamps: ctx.queryBool('timestamps'),
        details: ctx.queryBool('details'),
      },
      cancelled,
    );
    const multiplexed = !tty && ctx.versionAtLeast('1.42');
    const out = ctx.startStream(multiplexed ? MULTIPLEXED_STREAM : RAW_STREAM);
    ctx.onClose(() => closeResolve());
    const timestamps = ctx.queryBool('timestamps');
    try {
      for await (const e of entries) {
        if (out.isClosed) break;
        const bytes = formatEntry(e, timestamps, details);
        await out.write(tty ? bytes : frame(e.stream === 'stdout' ? StreamId.Stdout : StreamId.Stderr, bytes));
      }
    } finally {
      closeResolve();
      out.end();
    }
  }

  private async changes(ctx: RequestContext): Promise<void> {
    ctx.json(200, await this.files.changes(ctx.param('id')));
  }

  private async export(ctx: RequestContext): Promise<void> {
    const tar = await this.files.export(ctx.param('id'));
    const out = ctx.startStream('application/x-tar');
    try {
      for await (const chunk of tar) {
        if (out.isClosed) {
          tar.destroy();
          break;
        }
        await out.write(chunk as Buffer);
      }
    } finally {
      out.end();
    }
  }

  private async stats(ctx: RequestContext): Promise<void> {
    const rec = this.containers.record(ctx.param('id'));
    const stream = ctx.queryBoolOr('stream', true);
    const oneShot = ctx.queryBool('one-shot');
    if (oneShot && stream) throw invalidParameter('cannot have stream=true and one-shot=true');
    const hostNet = networkMode.isHost(rec.HostConfig.NetworkMode);
    const sample = async (): Promise<StatsJson> => {
      const r = this.containers.record(rec.ID);
      if (!r.State.Running || r.State.Restarting) return emptyStats(r.Name, r.ID);
      const info = this.containers.runningInfo(r.ID);
      return sampleStats(info.pid, r.Name, r.ID, hostNet);
    };
    if (!stream) {
      let s = await sample();
      if (!oneShot && rec.State.Running) {
        // docker's non-streamed stats carry a previous sample one second earlier, for CPU %.
        const pre = s;
        await new Promise((r) => setTimeout(r, 1000));
        s = await sample();
        s.precpu_stats = pre.cpu_stats;
        s.preread = pre.read;
      }
      ctx.json(200, s);
      return;
    }
    const out = ctx.startStream('application/json');
    let previous: StatsJson | undefined;
    let closed = false;
    ctx.onClose(() => { closed = true; });
    while (!closed && !out.isClosed) {
      const s = await sample().catch(() => emptyStats(rec.Name, rec.ID));
      if (previous) {
        s.precpu_stats = previous.cpu_stats;
        s.preread = previous.read;
      }
      previous = s;
      await out.writeJson(s);
      const r = this.containers.get(rec.ID);
      if (!r.rec.State.Running) break;
      await new Promise((res) => setTimeout(res, 1000));
    }
    out.end();
  }

  private async resize(ctx: RequestContext): Promise<void> {
    const h = optionalInt(ctx, 'h') ?? 0;
    const w = optionalInt(ctx, 'w') ?? 0;
    if (h < 0 || w < 0) throw invalidParameter('invalid resize parameters');
    await this.containers.resize(ctx.param('id'), h, w);
    ctx.send(200, '');
  }

  private async start(ctx: RequestContext): Promise<void> {
    if (ctx.queryString('checkpoint')) throw notImplemented('checkpoint is not supported');
    await this.containers.start(ctx.param('id'));
    ctx.noContent();
  }

  private stopOptions(ctx: RequestContext): { timeout?: number; signal?: string } {
    const t = optionalInt(ctx, 't');
    const signal = ctx.queryString('signal');
    return { ...(t !== undefined ? { timeout: t } : {}), ...(signal ? { signal } : {}) };
  }

  private async stop(ctx: RequestContext): Promise<void> {
    await this.containers.stop(ctx.param('id'), this.stopOptions(ctx));
    ctx.noContent();
  }

  private async restart(ctx: RequestContext): Promise<void> {
    await this.containers.restart(ctx.param('id'), this.stopOptions(ctx));
    ctx.noContent();
  }

  private async kill(ctx: RequestContext): Promise<void> {
    const id = ctx.param('id');
    try {
      await this.containers.kill(id, ctx.queryString('signal') || undefined);
    } catch (err) {
      // moby's postContainersKill wraps every failure (status kept): "cannot kill container: NAME: ...".
      if (err instanceof EngineError) throw new EngineError(err.kind, `cannot kill container: ${id}: ${err.message}`, { cause: err });
      throw err;
    }
    ctx.noContent();
  }

  private async update(ctx: RequestContext): Promise<void> {
    const body = (await ctx.readJson<HostConfig & { RestartPolicy?: RestartPolicy }>()) ?? {};
    ctx.json(200, await this.containers.update(ctx.param('id'), body));
  }

  private async rename(ctx: RequestContext): Promise<void> {
    await this.containers.rename(ctx.param('id'), ctx.queryString('name') ?? '');
    ctx.noContent();
  }

  private async pause(ctx: RequestContext): Promise<void> {
    await this.containers.pause(ctx.param('id'));
    ctx.noContent();
  }

  private async unpause(ctx: RequestContext): Promise<void> {
    await this.containers.unpause(ctx.param('id'));
    ctx.noContent();
  }

  private async attach(ctx: RequestContext): Promise<void> {
    const rec = this.containers.record(ctx.param('id'));
    const tty = !!rec.Config.Tty;
    const contentMultiplexed = !tty && ctx.versionAtLeast('1.42');
    const detachKeys = ctx.queryString('detachKeys');
    if (detachKeys) {
      const { parseDetachKeys } = await import('../../runtime/attach.js');
      parseDetachKeys(detachKeys);
    }
    const hijacked = ctx.hijack(contentMultiplexed ? MULTIPLEXED_STREAM : RAW_STREAM);
    await this.containers.attach(rec.ID, hijacked.socket, hijacked.initial, {
      stream: ctx.queryBool('stream'),
      logs: ctx.queryBool('logs'),
      stdin: ctx.queryBool('stdin') && hijacked.upgraded,
      stdout: ctx.queryBool('stdout'),
      stderr: ctx.queryBool('stderr'),
      ...(detachKeys ? { detachKeys } : {}),
      // Non-TTY output is framed whatever the version; 1.42 only changed the content type.
      multiplexed: !tty,
    });
  }

  private async wait(ctx: RequestContext): Promise<void> {
    const raw = ctx.queryString('condition') ?? '';
    if (!['', 'not-running', 'next-exit', 'removed'].includes(raw)) throw invalidParameter(`invalid condition: "${raw}"`);
    const condition = (raw || 'not-running') as WaitCondition;
    const w = this.containers.wait(ctx.param('id'), condition);
    // Headers go out at once (the CLI starts the container meanwhile); the body when it is done.
    const out = ctx.startStream('application/json');
    ctx.onClose(() => w.cancel());
    const result = await w.result;
    await out.writeJson(result);
    out.end();
  }

  private async remove(ctx: RequestContext): Promise<void> {
    await this.containers.remove(ctx.param('id'), { force: ctx.queryBool('force'), removeVolumes: ctx.queryBool('v'), link: ctx.queryBool('link') });
    ctx.noContent();
  }

  private pathParam(ctx: RequestContext): string {
    const p = ctx.queryString('path');
    if (!p) throw invalidParameter('bad parameter: path cannot be empty');
    return p;
  }

  private async archiveHead(ctx: RequestContext): Promise<void> {
    const stat = await this.files.stat(ctx.param('id'), this.pathParam(ctx));
    ctx.send(200, '', 'text/plain; charset=utf-8', { 'X-Docker-Container-Path-Stat': Buffer.from(JSON.stringify(stat)).toString('base64') });
  }

  private async archiveGet(ctx: RequestContext): Promise<void> {
    const { stat, tar } = await this.files.get(ctx.param('id'), this.pathParam(ctx));
    const out = ctx.startStream('application/x-tar', 200, { 'X-Docker-Container-Path-Stat': Buffer.from(JSON.stringify(stat)).toString('base64') });
    try {
      for await (const chunk of tar) {
        if (out.isClosed) {
          tar.destroy();
          break;
        }
        await out.write(chunk as Buffer);
      }
    } finally {
      out.end();
    }
  }

  private async archivePut(ctx: RequestContext): Promise<void> {
    await this.files.put(ctx.param('id'), this.pathParam(ctx), ctx.bodyStream() as AsyncIterable<Uint8Array>, {
      noOverwriteDirNonDir: ctx.queryBool('noOverwriteDirNonDir'),
      copyUIDGID: ctx.queryBool('copyUIDGID'),
    });
    ctx.send(200, '');
  }

  private async commit(ctx: RequestContext): Promise<void> {
    const container = ctx.queryString('container');
    if (!container) throw invalidParameter('No container name or ID supplied');
    const config = await ctx.readJson<ContainerConfig>();
    const changes = ctx.query.getAll('changes').flatMap((c) => c.split('\n')).filter((c) => c.trim() !== '');
    const repo = ctx.queryString('repo');
    const tag = ctx.queryString('tag');
    const comment = ctx.queryString('comment');
    const author = ctx.queryString('author');
    const result = await this.files.commit(container, {
      ...(repo ? { repo } : {}),
      ...(tag ? { tag } : {}),
      ...(comment ? { comment } : {}),
      ...(author ? { author } : {}),
      pause: ctx.queryBoolOr('pause', true),
      changes,
      ...(config ? { config } : {}),
    });
    ctx.json(201, result);
  }
}

/**
 * Before API 1.45, Aliases on a user-defined network also held the short ID
 * and the hostname (DNSNames took that role later); moby adds them back for
 * older clients, as here.
 */
export function addLegacyAliases(view: Record<string, unknown>, id: string, hostname: string): void {
  const settings = view.NetworkSettings as { Networks?: Record<string, { Aliases?: string[] | null }> } | undefined;
  for (const [name, ep] of Object.entries(settings?.Networks ?? {})) {
    if (['bridge', 'host', 'none', 'default'].includes(name) || name.startsWith('container:')) continue;
    const aliases = [...(ep.Aliases ?? []), id.slice(0, 12)];
    if (hostname) aliases.push(hostname);
    ep.Aliases = [...new Set(aliases)];
  }
}
