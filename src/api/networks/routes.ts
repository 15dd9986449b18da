// Network routes: GET /networks, GET/DELETE /networks/{id}, POST
// /networks/create, /networks/{id}/connect, /networks/{id}/disconnect,
// /networks/prune (../shared/specs/engine-api/v1.47.yaml, paths /networks*).
import type { Handler, Method, RouteGroup } from '../http/router.js';
import type { RequestContext } from '../http/context.js';
import type { Filters } from '../http/filters.js';
import { invalidParameter } from '../../common/errors.js';
import type { NetworkCreateRequest, NetworkResource } from '../../network/types.js';
import type { EndpointSettings } from '../../runtime/network-contract.js';

export interface NetworkBackend {
  list(filters: Filters): NetworkResource[];
  inspect(ref: string, opts: { scope?: string }): NetworkResource;
  create(body: NetworkCreateRequest): Promise<{ Id: string; Warning: string }>;
  remove(ref: string): Promise<void>;
  prune(filters: Filters): Promise<{ NetworksDeleted: string[] | null }>;
  connect(networkRef: string, containerRef: string, config: EndpointSettings | null | undefined): Promise<void>;
  disconnect(networkRef: string, containerRef: string, force: boolean): Promise<void>;
}

/** moby httputils.CheckForJSON: a body must say it is JSON. */
function checkJson(ctx: RequestContext): void {
  const ct = ctx.header('content-type');
  if (ct === undefined || ct === '') return;
  const media = ct.split(';')[0]!.trim().toLowerCase();
  if (media !== 'application/json') throw invalidParameter(`unsupported Content-Type header (${ct}): must be 'application/json'`);
}

async function jsonObject(ctx: RequestContext): Promise<Record<string, unknown>> {
  checkJson(ctx);
  const body = await ctx.readJson<unknown>();
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidParameter('invalid JSON: expected an object');
  return body as Record<string, unknown>;
}

export class NetworkRoutes implements RouteGroup {
  constructor(private readonly backend: NetworkBackend) {}

  routes(): Array<[Method, string, Handler]> {
    return [
      ['GET', '/networks', (ctx) => this.list(ctx)],
      ['POST', '/networks/create', (ctx) => this.create(ctx)],
      ['POST', '/networks/prune', (ctx) => this.prune(ctx)],
      ['GET', '/networks/{id}', (ctx) => this.inspect(ctx)],
      ['DELETE', '/networks/{id}', (ctx) => this.remove(ctx)],
      ['POST', '/networks/{id}/connect', (ctx) => this.connect(ctx)],
      ['POST', '/networks/{id}/disconnect', (ctx) => this.disconnect(ctx)],
    ];
  }

  private list(ctx: RequestContext): void {
    ctx.json(200, this.backend.list(ctx.filters()));
  }

  private inspect(ctx: RequestContext): void {
    // `verbose` adds swarm services in dockerd; a local network has none.
    ctx.json(200, this.backend.inspect(ctx.param('id'), { scope: ctx.queryString('scope') || undefined }));
  }

  private async create(ctx: RequestContext): Promise<void> {
    const body = await jsonObject(ctx);
    ctx.json(201, await this.backend.create(body as NetworkCreateRequest));
  }

  private async remove(ctx: RequestContext): Promise<void> {
    await this.backend.remove(ctx.param('id'));
    ctx.noContent();
  }

  private async prune(ctx: RequestContext): Promise<void> {
    ctx.json(200, await this.backend.prune(ctx.filters()));
  }

  private async connect(ctx: RequestContext): Promise<void> {
    const body = await jsonObject(ctx);
    const container = typeof body.Container === 'string' ? body.Container : '';
    if (!container) throw invalidParameter('container is required');
    const cfg = body.EndpointConfig;
    if (cfg !== undefined && cfg !== null && (typeof cfg !== 'object' || Array.isArray(cfg))) throw invalidParameter('invalid EndpointConfig');
    await this.backend.connect(ctx.param('id'), container, cfg as EndpointSettings | null | undefined);
    ctx.send(200, '');
  }

  private async disconnect(ctx: RequestContext): Promise<void> {
    const body = await jsonObject(ctx);
    const container = typeof body.Container === 'string' ? body.Container : '';
    if (!container) throw invalidParameter('container is required');
    await this.backend.disconnect(ctx.param('id'), container, body.Force === true);
    ctx.send(200, '');
  }
}
