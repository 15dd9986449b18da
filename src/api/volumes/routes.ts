// Volume routes (Engine API v1.47, ../../../../shared/specs/engine-api/v1.47.yaml
// "Volume"): list, create, inspect, update (swarm only), remove, prune.
import type { Handler, Method, RouteGroup } from '../http/router.js';
import type { RequestContext } from '../http/context.js';
import { invalidParameter, unavailable } from '../../common/errors.js';
import type { VolumeService } from '../../volume/service.js';

/** Go's json.Unmarshal type names for what a client may send instead of a string map. */
function goTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value === 'boolean' ? 'bool' : typeof value;
}

/** A map[string]string field of the create body, with encoding/json's complaint when it is not one. */
function stringMapField(body: Record<string, unknown>, field: string): Record<string, string> | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidParameter(`invalid JSON: json: cannot unmarshal ${goTypeOf(value)} into Go struct field CreateOptions.${field} of type map[string]string`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') {
      throw invalidParameter(`invalid JSON: json: cannot unmarshal ${goTypeOf(v)} into Go struct field CreateOptions.${field} of type string`);
    }
    out[k] = v;
  }
  return out;
}

function stringField(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') {
    throw invalidParameter(`invalid JSON: json: cannot unmarshal ${goTypeOf(value)} into Go struct field CreateOptions.${field} of type string`);
  }
  return value;
}

export class VolumeRoutes implements RouteGroup {
  constructor(private readonly volumes: VolumeService) {}

  routes(): Array<[Method, string, Handler]> {
    return [
      ['GET', '/volumes', (ctx) => this.list(ctx)],
      ['POST', '/volumes/create', (ctx) => this.create(ctx)],
      ['POST', '/volumes/prune', (ctx) => this.prune(ctx)],
      ['GET', '/volumes/{name:.*}', (ctx) => this.inspect(ctx)],
      ['PUT', '/volumes/{name:.*}', (ctx) => this.update(ctx)],
      ['DELETE', '/volumes/{name:.*}', (ctx) => this.remove(ctx)],
    ];
  }

  private list(ctx: RequestContext): void {
    ctx.json(200, this.volumes.list(ctx.filters()));
  }

  private async create(ctx: RequestContext): Promise<void> {
    // An empty body is not an error (moby httputils.ReadJSON): an anonymous volume.
    const raw = await ctx.readJson<unknown>();
    if (raw !== undefined && (raw === null || typeof raw !== 'object' || Array.isArray(raw))) {
      throw invalidParameter(`invalid JSON: json: cannot unmarshal ${goTypeOf(raw)} into Go value of type volume.CreateOptions`);
    }
    const body = (raw ?? {}) as Record<string, unknown>;
    if (body.ClusterVolumeSpec != null && ctx.versionAtLeast('1.42')) {
      throw unavailable('This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.');
    }
    const info = await this.volumes.create(stringField(body, 'Name'), stringField(body, 'Driver'), {
      driverOpts: stringMapField(body, 'DriverOpts'),
      labels: stringMapField(body, 'Labels'),
    });
    ctx.json(201, info);
  }

  private inspect(ctx: RequestContext): void {
    ctx.json(200, this.volumes.get(ctx.param('name')));
  }

  // Only cluster (swarm) volumes can be updated.
  private update(ctx: RequestContext): void {
    if (!ctx.versionAtLeast('1.42')) throw invalidParameter('volume update only supported in API version 1.42 and up');
    throw unavailable('This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.');
  }

  private async remove(ctx: RequestContext): Promise<void> {
    await this.volumes.remove(ctx.param('name'), { force: ctx.queryBool('force') });
    ctx.noContent();
  }

  private async prune(ctx: RequestContext): Promise<void> {
    ctx.json(200, await this.volumes.prune(ctx.filters(), ctx.versionAtLeast('1.42')));
  }
}
