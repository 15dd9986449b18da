// Build routes (Engine API v1.47, ../../../../shared/specs/engine-api/v1.47.yaml
// "Image" → /build and /build/prune): the legacy builder's JSON stream.
import type { Handler, Method, RouteGroup } from '../http/router.js';
import type { RequestContext, StreamWriter } from '../http/context.js';
import { errorMessage, invalidParameter } from '../../common/errors.js';
import type { JsonMessage } from '../../image/progress.js';
import { BuildError, defaultBuildRequest, type Builder, type BuildRequest, type RunHostConfig } from '../../build/builder/builder.js';

function parseJsonQuery<T>(ctx: RequestContext, name: string, check: (v: unknown) => v is T): T | undefined {
  const raw = ctx.queryString(name);
  if (raw === undefined || raw === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    throw invalidParameter(`invalid ${name} value: ${errorMessage(err)}`);
  }
  if (!check(v)) throw invalidParameter(`invalid ${name} value`);
  return v;
}

const isStringMap = (v: unknown): v is Record<string, string | null> =>
  !!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => x === null || typeof x === 'string');
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isUlimitList = (v: unknown): v is Array<{ Name: string; Soft: number; Hard: number }> =>
  Array.isArray(v) &&
  v.every((u) => !!u && typeof u === 'object' && typeof (u as { Name?: unknown }).Name === 'string' && typeof (u as { Soft?: unknown }).Soft === 'number' && typeof (u as { Hard?: unknown }).Hard === 'number');

/** The query of POST /build as dockerd reads it (api/server/router/build/build_routes.go). */
export function buildRequestFromQuery(ctx: RequestContext): BuildRequest {
  const req = defaultBuildRequest();
  req.dockerfile = ctx.queryString('dockerfile') || 'Dockerfile';
  req.tags = ctx.query.getAll('t').filter((t) => t !== '');
  req.buildArgs = parseJsonQuery(ctx, 'buildargs', isStringMap) ?? {};
  req.target = ctx.queryString('target') ?? '';
  req.noCache = ctx.queryBool('nocache');
  req.pull = ctx.queryBool('pull');
  req.rm = ctx.queryBoolOr('rm', true);
  req.forceRm = ctx.queryBool('forcerm');
  const labels = parseJsonQuery(ctx, 'labels', isStringMap) ?? {};
  req.labels = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, v ?? '']));
  req.networkMode = ctx.queryString('networkmode') ?? '';
  req.shmSize = ctx.queryInt('shmsize', 0) ?? 0;
  req.extraHosts = (ctx.queryString('extrahosts') ?? '').split(',').filter(Boolean);
  req.platform = ctx.queryString('platform') ?? '';
  req.quiet = ctx.queryBool('q');
  req.cacheFrom = parseJsonQuery(ctx, 'cachefrom', isStringList) ?? [];
  // The RUN containers' resources and security options, as dockerd's legacy builder gives them.
  const run: RunHostConfig = {};
  const int = (key: keyof RunHostConfig, name: string): void => {
    const v = ctx.queryInt(name, 0) ?? 0;
    if (v !== 0) (run as Record<string, unknown>)[key] = v;
  };
  const str = (key: keyof RunHostConfig, name: string): void => {
    const v = ctx.queryString(name) ?? '';
    if (v !== '') (run as Record<string, unknown>)[key] = v;
  };
  int('Memory', 'memory');
  int('MemorySwap', 'memswap');
  int('CpuShares', 'cpushares');
  int('CpuPeriod', 'cpuperiod');
  int('CpuQuota', 'cpuquota');
  str('CpusetCpus', 'cpusetcpus');
  str('CpusetMems', 'cpusetmems');
  str('CgroupParent', 'cgroupparent');
  const ulimits = parseJsonQuery(ctx, 'ulimits', isUlimitList);
  if (ulimits?.length) run.Ulimits = ulimits;
  const securityOpt = ctx.query.getAll('securityopt').filter((o) => o !== '');
  if (securityOpt.length) run.SecurityOpt = securityOpt;
  req.runHostConfig = run;
  if (ctx.queryBool('squash')) throw invalidParameter('squash is not supported by this daemon');
  const isolation = ctx.queryString('isolation') ?? '';
  if (isolation !== '' && isolation.toLowerCase() !== 'default') throw invalidParameter(`Unsupported isolation: "${isolation}"`);
  return req;
}

export class BuildRoutes implements RouteGroup {
  constructor(private readonly builder: Builder) {}

  routes(): Array<[Method, string, Handler]> {
    return [
      ['POST', '/build', (ctx) => this.build(ctx)],
      ['POST', '/build/prune', (ctx) => this.prune(ctx)],
    ];
  }

  private async build(ctx: RequestContext): Promise<void> {
    const remote = ctx.queryString('remote');
    if (remote) {
      throw invalidParameter(`error downloading remote context ${remote}: remote build contexts are not supported by this daemon; send the context as the request body`);
    }
    const version = ctx.queryString('version');
    if (version === '2') throw invalidParameter('BuildKit is not supported by this daemon: use the legacy builder (DOCKER_BUILDKIT=0)');
    const req = buildRequestFromQuery(ctx);
    const controller = new AbortController();
    let finished = false;
    ctx.onClose(() => {
      if (!finished) controller.abort();
    });
    // The response starts with the first message: errors before it (the
    // Dockerfile cannot be parsed, an unknown target) are HTTP errors, as in dockerd.
    let writer: StreamWriter | undefined;
    const send = async (msg: JsonMessage): Promise<void> => {
      if (controller.signal.aborted) return;
      writer ??= ctx.startStream('application/json');
      await writer.writeJson(msg);
    };
    try {
      await this.builder.build(ctx.bodyStream() as AsyncIterable<Uint8Array>, req, send, controller.signal);
    } catch (err) {
      if (!writer) {
        if (controller.signal.aborted) return;
        throw err;
      }
      const message = errorMessage(err);
      const code = err instanceof BuildError ? err.code : undefined;
      await writer.writeJson({ errorDetail: { ...(code !== undefined ? { code } : {}), message }, error: message });
    } finally {
      finished = true;
      writer?.end();
    }
  }

  private async prune(ctx: RequestContext): Promise<void> {
    const filters = ctx.filters();
    const all = ctx.queryBool('all');
    const result = await this.builder.prune(filters, all);
    ctx.json(200, { CachesDeleted: result.CachesDeleted.length ? result.CachesDeleted : null, SpaceReclaimed: result.SpaceReclaimed });
  }
}
