// System routes: /_ping, /version, /info, /events, /system/df, /auth.
import type { Handler, Method, RouteGroup } from '../http/router.js';
import type { RequestContext } from '../http/context.js';
import { API_VERSION_MAX, API_VERSION_MIN } from '../http/version.js';
import { invalidParameter } from '../../common/errors.js';

export interface SystemBackend {
  info(): Promise<Record<string, unknown>>;
  version(): Promise<Record<string, unknown>>;
  diskUsage(want: ReadonlySet<DiskUsageType>): Promise<DiskUsage>;
}

export const DISK_USAGE_TYPES = ['container', 'image', 'volume', 'build-cache'] as const;
export type DiskUsageType = (typeof DISK_USAGE_TYPES)[number];

/** GET /system/df's answer; a part not asked for is null, as moby's nil slices encode. */
export interface DiskUsage {
  LayersSize: number;
  Images: unknown[] | null;
  Containers: unknown[] | null;
  Volumes: unknown[] | null;
  BuildCache: unknown[] | null;
}

export class SystemRoutes implements RouteGroup {
  constructor(private readonly backend: SystemBackend) {}

  routes(): Array<[Method, string, Handler]> {
    return [
      ['GET', '/_ping', (ctx) => this.ping(ctx)],
      ['HEAD', '/_ping', (ctx) => this.ping(ctx)],
      ['GET', '/version', (ctx) => this.version(ctx)],
      ['GET', '/info', (ctx) => this.info(ctx)],
      ['GET', '/system/df', (ctx) => this.diskUsage(ctx)],
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

  // `type` (API 1.42+) narrows the answer; none means everything.
  private async diskUsage(ctx: RequestContext): Promise<void> {
    const asked = ctx.versionAtLeast('1.42') ? ctx.query.getAll('type') : [];
    const want = new Set<DiskUsageType>();
    for (const t of asked) {
      if (!(DISK_USAGE_TYPES as readonly string[]).includes(t)) throw invalidParameter(`unknown object type: ${t}`);
      want.add(t as DiskUsageType);
    }
    if (want.size === 0) for (const t of DISK_USAGE_TYPES) want.add(t);
    const du = await this.backend.diskUsage(want);
    const body: Record<string, unknown> = { ...du };
    // Before 1.42 clients read the build cache's total from BuilderSize.
    if (!ctx.versionAtLeast('1.42')) {
      body.BuilderSize = (du.BuildCache ?? []).reduce((n: number, r) => n + (typeof (r as { Size?: unknown }).Size === 'number' ? (r as { Size: number }).Size : 0), 0);
    }
    ctx.json(200, body);
  }
}
