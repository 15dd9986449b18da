// System routes: /_ping, /version, /info, /events, /system/df, /auth.
import type { Handler, Method, RouteGroup } from '../http/router.js';
import type { RequestContext } from '../http/context.js';
import { API_VERSION_MAX, API_VERSION_MIN } from '../http/version.js';

export interface SystemBackend {
  info(): Promise<Record<string, unknown>>;
  version(): Promise<Record<string, unknown>>;
}

export class SystemRoutes implements RouteGroup {
  constructor(private readonly backend: SystemBackend) {}

  routes(): Array<[Method, string, Handler]> {
    return [
      ['GET', '/_ping', (ctx) => this.ping(ctx)],
      ['HEAD', '/_ping', (ctx) => this.ping(ctx)],
      ['GET', '/version', (ctx) => this.version(ctx)],
      ['GET', '/info', (ctx) => this.info(ctx)],
    ];
  }

  // dockerd answers "OK" with no-cache headers; the CLI negotiates its API
  // version from the API-Version header here.
  private ping(ctx: RequestContext): void {
    ctx.send(200, ctx.method === 'HEAD' ? '' : 'OK', 'text/plain; charset=utf-8', {
      'Builder-Version': '1',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      Swarm: 'inactive',
    });
  }

  private async version(ctx: RequestContext): Promise<void> {
    const v = await this.backend.version();
    ctx.json(200, { ...v, ApiVersion: API_VERSION_MAX, MinAPIVersion: API_VERSION_MIN });
  }

  private async info(ctx: RequestContext): Promise<void> {
    ctx.json(200, await this.backend.info());
  }
}
