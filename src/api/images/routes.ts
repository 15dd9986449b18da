// Image routes (Engine API v1.47, ../../../../shared/specs/engine-api/v1.47.yaml "Image"):
// list, inspect, history, tag, remove, prune, create (pull and import),
// push, save, load, search, distribution inspect, /auth; and one berth
// extension, POST /berth/images/busybox.
import type { Readable } from 'node:stream';
import type { Handler, Method, RouteGroup } from '../http/router.js';
import type { RequestContext, StreamWriter } from '../http/context.js';
import { invalidParameter, unavailable, errorMessage } from '../../common/errors.js';
import type { ImageService } from '../../image/service.js';
import { importImage, fetchImportSource } from '../../image/import.js';
import { loadImages, saveImages } from '../../image/archive.js';
import { Distribution } from '../../image/distribution.js';
import { errorMessage as jsonError, statusMessage, type JsonMessage } from '../../image/progress.js';
import type { AuthConfig } from '../../registry/auth-config.js';

/** What POST /auth needs (the registry service's login). */
export interface LoginBackend {
  login(authConfig: AuthConfig): Promise<{ Status: string; IdentityToken?: string }>;
}

/**
 * A JSON message stream that starts the HTTP response on its first message:
 * an error before any output is still a proper HTTP error (as dockerd's
 * "if !output.Flushed() return err"), after it an errorDetail message.
 */
class LazyJsonStream {
  private writer: StreamWriter | undefined;
  constructor(private readonly ctx: RequestContext) {}
  get started(): boolean {
    return this.writer !== undefined;
  }
  send = async (msg: JsonMessage): Promise<void> => {
    this.writer ??= this.ctx.startStream('application/json');
    await this.writer.writeJson(msg);
  };
  async fail(err: unknown): Promise<void> {
    if (!this.writer) throw err;
    await this.writer.writeJson(jsonError(errorMessage(err)));
  }
  end(): void {
    this.writer?.end();
  }
}

export class ImageRoutes implements RouteGroup {
  constructor(
    private readonly images: ImageService,
    private readonly distribution: Distribution | undefined,
    private readonly login: LoginBackend | undefined,
  ) {}

  routes(): Array<[Method, string, Handler]> {
    return [
      ['GET', '/images/json', (ctx) => this.list(ctx)],
      ['POST', '/images/create', (ctx) => this.create(ctx)],
      ['GET', '/images/get', (ctx) => this.save(ctx, ctx.query.getAll('names'))],
      ['POST', '/images/load', (ctx) => this.load(ctx)],
      ['GET', '/images/search', (ctx) => this.search(ctx)],
      ['POST', '/images/prune', (ctx) => this.prune(ctx)],
      ['GET', '/images/{name:.*}/json', (ctx) => this.inspect(ctx)],
      ['GET', '/images/{name:.*}/history', (ctx) => this.history(ctx)],
      ['GET', '/images/{name:.*}/get', (ctx) => this.save(ctx, [ctx.param('name')])],
      ['POST', '/images/{name:.*}/push', (ctx) => this.push(ctx)],
      ['POST', '/images/{name:.*}/tag', (ctx) => this.tag(ctx)],
      ['DELETE', '/images/{name:.*}', (ctx) => this.remove(ctx)],
      ['GET', '/distribution/{name:.*}/json', (ctx) => this.distributionInspect(ctx)],
      ['POST', '/auth', (ctx) => this.auth(ctx)],
      // berth extension (not in the Docker Engine API): create busybox:latest
      // (or ?tag=) from the host's static busybox. The berth CLI calls it.
      ['POST', '/berth/images/busybox', (ctx) => this.busybox(ctx)],
    ];
  }

  private list(ctx: RequestContext): void {
    const images = this.images.list({
      all: ctx.queryBool('all'),
      filters: ctx.filters(),
      sharedSize: ctx.queryBool('shared-size'),
    });
    // API < 1.44 still had VirtualSize (= Size).
    if (!ctx.versionAtLeast('1.44')) for (const i of images) i.VirtualSize = i.Size;
    // API < 1.43 showed untagged images as <none>:<none>.
    if (!ctx.versionAtLeast('1.43')) {
      for (const i of images) {
        if (i.RepoTags.length === 0 && i.RepoDigests.length === 0) {
          i.RepoTags = ['<none>:<none>'];
          i.RepoDigests = ['<none>@<none>'];
        }
      }
    }
    ctx.json(200, images);
  }

  private async inspect(ctx: RequestContext): Promise<void> {
    ctx.json(200, await this.images.inspect(ctx.param('name'), { containerConfig: !ctx.versionAtLeast('1.45'), virtualSize: !ctx.versionAtLeast('1.44') }));
  }

  private history(ctx: RequestContext): void {
    ctx.json(200, this.images.history(ctx.param('name')));
  }

  private async tag(ctx: RequestContext): Promise<void> {
    await this.images.tag(ctx.param('name'), ctx.queryString('repo') ?? '', ctx.queryString('tag'));
    ctx.send(201, '');
  }

  private async remove(ctx: RequestContext): Promise<void> {
    const name = ctx.param('name');
    if (name.trim() === '') throw invalidParameter('image name cannot be blank');
    ctx.json(200, await this.images.remove(name, ctx.queryBool('force'), !ctx.queryBool('noprune')));
  }

  private async prune(ctx: RequestContext): Promise<void> {
    ctx.json(200, await this.images.prune(ctx.filters()));
  }

  private async create(ctx: RequestContext): Promise<void> {
    const fromImage = ctx.queryString('fromImage');
    const fromSrc = ctx.queryString('fromSrc');
    const stream = new LazyJsonStream(ctx);
    try {
      if (fromImage) {
        if (!this.distribution) throw unavailable('pulling images is not available: no registry client');
        const { ref, allTags } = Distribution.pullReference(fromImage, ctx.queryString('tag'));
        await this.distribution.pull(ref, allTags, ctx.header('x-registry-auth'), ctx.queryString('platform') || undefined, stream.send);
      } else if (fromSrc !== undefined) {
        const source = fromSrc === '-' || fromSrc === '' ? (ctx.bodyStream() as Readable) : await fetchImportSource(fromSrc);
        const changes = ctx.query.getAll('changes');
        const id = await importImage(this.images, {
          source,
          repo: ctx.queryString('repo'),
          tag: ctx.queryString('tag'),
          message: ctx.queryString('message'),
          sourceName: fromSrc,
          changes,
          platform: ctx.queryString('platform') || undefined,
        });
        await stream.send(statusMessage(undefined, id));
      } else {
        throw invalidParameter('either fromImage or fromSrc must be given');
      }
    } catch (err) {
      await stream.fail(err);
    } finally {
      stream.end();
    }
  }

  private async push(ctx: RequestContext): Promise<void> {
    if (!this.distribution) throw unavailable('pushing images is not available: no registry client');
    const stream = new LazyJsonStream(ctx);
    try {
      await this.distribution.push(ctx.param('name'), ctx.queryString('tag'), ctx.header('x-registry-auth'), stream.send);
    } catch (err) {
      await stream.fail(err);
    } finally {
      stream.end();
    }
  }

  private async save(ctx: RequestContext, names: string[]): Promise<void> {
    if (names.length === 0) throw invalidParameter('no images specified');
    const archive = await saveImages(this.images, names);
    const writer = ctx.startStream('application/x-tar');
    try {
      for await (const chunk of archive) {
        if (writer.isClosed) break;
        await writer.write(chunk);
      }
      writer.end();
    } catch (err) {
      // Too late for a status: cut the stream so the client sees a truncated archive.
      writer.raw.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private async load(ctx: RequestContext): Promise<void> {
    const quiet = ctx.queryBool('quiet');
    const writer = ctx.startStream('application/json');
    try {
      const result = await loadImages(this.images, ctx.bodyStream() as Readable, (m) => writer.writeJson(m), quiet);
      for (const line of result.messages) await writer.writeJson({ stream: line + '\n' });
    } catch (err) {
      await writer.writeJson(jsonError(errorMessage(err)));
    } finally {
      writer.end();
    }
  }

  private search(ctx: RequestContext): void {
    const term = ctx.queryString('term') ?? '';
    throw unavailable(`cannot search "${term}": berth has no registry index to search (Docker Hub is not reachable from this daemon)`);
  }

  private async distributionInspect(ctx: RequestContext): Promise<void> {
    if (!this.distribution) throw unavailable('no registry client');
    ctx.json(200, await this.distribution.inspectRemote(ctx.param('name'), ctx.header('x-registry-auth')));
  }

  private async auth(ctx: RequestContext): Promise<void> {
    if (!this.login) throw unavailable('no registry client');
    const body = (await ctx.readJson<AuthConfig>()) ?? {};
    ctx.json(200, await this.login.login(body));
  }

  private async busybox(ctx: RequestContext): Promise<void> {
    const result = await this.images.ensureBusybox(ctx.queryString('tag') || 'busybox:latest');
    ctx.json(result.created ? 201 : 200, { Id: result.id, Created: result.created });
  }
}
