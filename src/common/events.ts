// The daemon's event bus: what `GET /events` streams. Every concern publishes
// (containers, images, networks, volumes, the daemon) and the API subscribes.
// Shape: ../shared/specs/engine-api/v1.47.yaml, definitions/EventMessage.
// dockerd keeps the last events in memory so `docker events --since` can
// replay them (moby daemon/events: 256 of them); so does this bus.
import type { Filters } from '../api/http/filters.js';
import { nowNano } from './time.js';

export type EventType = 'builder' | 'config' | 'container' | 'daemon' | 'image' | 'network' | 'node' | 'plugin' | 'secret' | 'service' | 'volume';

export interface EventActor {
  ID: string;
  Attributes: Record<string, string>;
}

export interface EventMessage {
  Type: EventType;
  Action: string;
  Actor: EventActor;
  scope: 'local' | 'swarm';
  /** Unix seconds. */
  time: number;
  /** Unix nanoseconds (a bigint: nanoseconds since 1970 exceed 2^53). */
  timeNano: bigint;
}

/** What a publisher gives: the bus fills in scope and the times. */
export interface EventInput {
  Type: EventType;
  Action: string;
  Actor: EventActor;
  scope?: 'local' | 'swarm';
  timeNano?: bigint;
}

export type EventListener = (ev: EventMessage) => void;

export interface EventPublisher {
  publish(ev: EventInput): EventMessage;
}

/** Keys `GET /events` accepts in `filters`. */
export const EVENT_FILTER_KEYS = ['config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume'] as const;

/** The JSON dockerd writes for one event (timeNano as a JSON integer, not a string). */
export function eventJson(ev: EventMessage): string {
  const { timeNano, ...rest } = ev;
  // Legacy fields (status/id/from) that dockerd still adds for container and image events.
  const legacy: Record<string, string> = {};
  if (ev.Type === 'container' || ev.Type === 'image') {
    legacy.status = ev.Action;
    legacy.id = ev.Actor.ID;
    const from = ev.Type === 'container' ? ev.Actor.Attributes.image : undefined;
    if (from) legacy.from = from;
  }
  const body = JSON.stringify({ ...legacy, ...rest, timeNano: 0 });
  return body.replace(/"timeNano":0}$/, `"timeNano":${timeNano.toString()}}`);
}

function stripTag(image: string): string {
  const at = image.indexOf('@');
  if (at >= 0) return image.slice(0, at);
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? image.slice(0, colon) : image;
}

/** moby's Filters.FuzzyMatch: absent key, an exact value, or a value that is a prefix of `source`. */
function fuzzyMatch(filters: Filters, key: string, source: string | undefined): boolean {
  if (!filters.has(key)) return true;
  const values = filters.get(key);
  if (values.length === 0) return true;
  if (source === undefined) return false;
  return values.some((v) => v === source || source.startsWith(v));
}

function exactMatch(filters: Filters, key: string, source: string | undefined): boolean {
  if (!filters.has(key)) return true;
  const values = filters.get(key);
  if (values.length === 0) return true;
  return source !== undefined && values.includes(source);
}

function fuzzyName(filters: Filters, ev: EventMessage, type: EventType): boolean {
  if (!filters.has(type)) return true;
  // The filter applies to events of that type only (moby daemon/events/filter.go).
  if (ev.Type !== type) return false;
  return fuzzyMatch(filters, type, ev.Actor.ID) || fuzzyMatch(filters, type, ev.Actor.Attributes.name);
}

/** moby daemon/events Filter.Include. */
export function eventMatches(filters: Filters, ev: EventMessage): boolean {
  const actionFilter = filters.get('event');
  const fuzzyActions = actionFilter.some((a) => a === 'health_status' || a === 'exec_create' || a === 'exec_start');
  const actionOk = fuzzyActions
    ? fuzzyMatch(filters, 'event', ev.Action) || actionFilter.some((a) => ev.Action.startsWith(`${a}:`))
    : exactMatch(filters, 'event', ev.Action);
  if (!actionOk) return false;
  if (!exactMatch(filters, 'type', ev.Type)) return false;
  if (!exactMatch(filters, 'scope', ev.scope)) return false;
  for (const t of ['daemon', 'container', 'plugin', 'volume', 'network', 'node', 'service', 'secret', 'config'] as const) {
    if (!fuzzyName(filters, ev, t)) return false;
  }
  if (filters.has('image')) {
    const nameAttr = ev.Type === 'image' ? 'name' : 'image';
    const name = ev.Actor.Attributes[nameAttr] ?? '';
    const ok =
      exactMatch(filters, 'image', ev.Actor.ID) ||
      exactMatch(filters, 'image', name) ||
      exactMatch(filters, 'image', stripTag(ev.Actor.ID)) ||
      exactMatch(filters, 'image', stripTag(name));
    if (!ok) return false;
  }
  return filters.matchLabels(ev.Actor.Attributes);
}

export class EventBus implements EventPublisher {
  private readonly recent: EventMessage[] = [];
  private readonly listeners = new Set<EventListener>();
  private lastNano = 0n;

  constructor(private readonly keep = 256) {}

  publish(input: EventInput): EventMessage {
    let ns = input.timeNano ?? nowNano();
    // Strictly increasing times keep --since/--until replays in publishing order.
    if (ns <= this.lastNano) ns = this.lastNano + 1n;
    this.lastNano = ns;
    const ev: EventMessage = {
      Type: input.Type,
      Action: input.Action,
      Actor: { ID: input.Actor.ID, Attributes: { ...input.Actor.Attributes } },
      scope: input.scope ?? 'local',
      time: Number(ns / 1_000_000_000n),
      timeNano: ns,
    };
    this.recent.push(ev);
    if (this.recent.length > this.keep) this.recent.splice(0, this.recent.length - this.keep);
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch {
        // A failing subscriber must not stop the others or the publisher.
      }
    }
    return ev;
  }

  /** Events kept in memory with since <= timeNano <= until. */
  replay(sinceNano: bigint | undefined, untilNano: bigint | undefined): EventMessage[] {
    return this.recent.filter((e) => (sinceNano === undefined || e.timeNano >= sinceNano) && (untilNano === undefined || e.timeNano <= untilNano));
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
