// Exec routes (moby api/server/router/container/exec.go): create an exec in a
// running container, start it (hijacked unless detached), resize its TTY,
// inspect it (the CLI reads ExitCode there after the stream ends).
import type { Handler, Method, RouteGroup } from '../http/router.js';
import type { RequestContext } from '../http/context.js';
import { invalidParameter } from '../../common/errors.js';
import type { ExecCreateRequest, ExecManager, ExecStartRequest } from '../../runtime/exec.js';
import { MULTIPLEXED_STREAM, RAW_STREAM } from '../containers/routes.js';

export type ExecBackend = Pick<ExecManager, 'create' | 'checkStart' | 'start' | 'resize' | 'inspect'>;

export class ExecRoutes implements RouteGroup {
  constructor(private readonly execs: ExecBackend) {}

  routes(): Array<[Method, string, Handler]> {
    return [
      ['POST', '/containers/{id}/exec', (ctx) => this.create(ctx)],
      ['POST', '/exec/{id}/start', (ctx) => this.start(ctx)],
      ['POST', '/exec/{id}/resize', (ctx) => this.resize(ctx)],
      ['GET', '/exec/{id}/json', (ctx) => this.inspect(ctx)],
    ];
  }

  private async create(ctx: RequestContext): Promise<void> {
    const body = (await ctx.readJson<ExecCreateRequest>()) ?? {};
    ctx.json(201, this.execs.create(ctx.param('id'), body));
  }

  private async start(ctx: RequestContext): Promise<void> {
    const body = (await ctx.readJson<ExecStartRequest>()) ?? {};
    const id = ctx.param('id');
    const { tty: createdTty } = this.execs.checkStart(id);
    if (body.Detach) {
      await this.execs.start(id, body);
      ctx.send(200, '', 'application/json');
      return;
    }
    const tty = body.Tty ?? createdTty;
    const contentMultiplexed = !tty && ctx.versionAtLeast('1.42');
    const hijacked = ctx.hijack(contentMultiplexed ? MULTIPLEXED_STREAM : RAW_STREAM);
    await this.execs.start(id, body, { socket: hijacked.socket, initial: hijacked.initial, multiplexed: !tty });
  }

  private async resize(ctx: RequestContext): Promise<void> {
    const h = ctx.queryInt('h', 0) ?? 0;
    const w = ctx.queryInt('w', 0) ?? 0;
    if (h < 0 || w < 0) throw invalidParameter('invalid resize parameters');
    await this.execs.resize(ctx.param('id'), h, w);
    ctx.send(200, '');
  }

  private inspect(ctx: RequestContext): void {
    ctx.json(200, this.execs.inspect(ctx.param('id')));
  }
}
