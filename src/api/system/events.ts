// GET /events: replay what the bus kept since `since`, then stream new events
// until `until` or until the client goes away (moby api/server/router/system
// getEvents). Each event is one JSON object followed by a newline.
import type { Handler, Method, RouteGroup } from '../http/router.js';
import type { RequestContext } from '../http/context.js';
import { EVENT_FILTER_KEYS, eventJson, eventMatches, type EventBus, type EventMessage } from '../../common/events.js';
import { invalidParameter } from '../../common/errors.js';
import { nowNano, parseDockerTimestamp } from '../../common/time.js';

export class EventRoutes implements RouteGroup {
  constructor(private readonly bus: EventBus) {}

  routes(): Array<[Method, string, Handler]> {
    return [['GET', '/events', (ctx) => this.events(ctx)]];
  }

  private async events(ctx: RequestContext): Promise<void> {
    const now = nowNano();
    const sinceRaw = ctx.queryString('since');
    const untilRaw = ctx.queryString('until');
    const since = sinceRaw ? parseDockerTimestamp(sinceRaw, now) : undefined;
    const until = untilRaw ? parseDockerTimestamp(untilRaw, now) : undefined;
    if (since !== undefined && until !== undefined && since > until) {
      throw invalidParameter('`since` time cannot be after `until` time');
    }
    const filters = ctx.filters();
    filters.validate(EVENT_FILTER_KEYS);

    const out = ctx.startStream('application/json');
    const send = (ev: EventMessage): void => {
      if (eventMatches(filters, ev)) void out.write(eventJson(ev) + '\n');
    };
    // Subscribe before replaying so nothing published in between is lost.
    const pending: EventMessage[] = [];
    let replaying = true;
    const unsubscribe = this.bus.subscribe((ev) => {
      if (replaying) pending.push(ev);
      else if (until === undefined || ev.timeNano <= until) send(ev);
    });
    let lastReplayed = 0n;
    if (since !== undefined) {
      for (const ev of this.bus.replay(since, until)) {
        send(ev);
        lastReplayed = ev.timeNano;
      }
    }
    replaying = false;
    for (const ev of pending) if (ev.timeNano > lastReplayed && (until === undefined || ev.timeNano <= until)) send(ev);

    const finish = (): void => {
      unsubscribe();
      out.end();
    };
    if (until !== undefined && until <= nowNano()) return finish();
    let timer: NodeJS.Timeout | undefined;
    if (until !== undefined) {
      const ms = Number((until - nowNano()) / 1_000_000n);
      timer = setTimeout(finish, Math.max(0, ms));
    }
    ctx.onClose(() => {
      if (timer) clearTimeout(timer);
      unsubscribe();
    });
  }
}
