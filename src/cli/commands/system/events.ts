// berth events / berth system events: GET /events streamed until --until (or
// forever), each event printed as docker prints it
// (`2024-01-01T00:00:00.000000000Z container start <id> (image=..., name=...)`)
// or through --format against docker's events.Message.
import { defineCommand, noArgs, StatusError } from '../../command.js';
import { JSON_FORMAT, JSON_FORMAT_KEY, Template, TemplateError } from '../../format/index.js';
import { parseGoDuration } from '../../flags.js';
import { goStruct, goStructOf, stringMap, type StructSchema } from '../../gotypes.js';
import { jsonValues, rfc3339NanoFixed } from '../../progress.js';
import { apiClient, withDaemon } from '../../session.js';
import { FORMAT_HELP_INSPECT, filterFlag, filtersJSON, parseFilters } from '../../shared-options.js';

const ACTOR_SCHEMA: StructSchema = {
  name: 'events.Actor',
  fields: [
    { go: 'ID', type: 'string' },
    { go: 'Attributes', type: stringMap },
  ],
};

/** docker's events.Message. */
const MESSAGE_SCHEMA: StructSchema = {
  name: '*events.Message',
  fields: [
    { go: 'Status', json: 'status', type: 'string', omitempty: true },
    { go: 'ID', json: 'id', type: 'string', omitempty: true },
    { go: 'From', json: 'from', type: 'string', omitempty: true },
    { go: 'Type', type: 'string' },
    { go: 'Action', type: 'string' },
    { go: 'Actor', type: { struct: ACTOR_SCHEMA } },
    { go: 'Scope', json: 'scope', type: 'string', omitempty: true },
    { go: 'Time', json: 'time', type: 'int', omitempty: true },
    { go: 'TimeNano', json: 'timeNano', type: 'any', omitempty: true },
  ],
};

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Go's time layouts docker's GetTimestamp tries, as regular expressions (local time unless a zone is given). */
function parseDate(value: string): { seconds: bigint; nanos: number } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?(Z|z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  let ms: number;
  if (zone === undefined) ms = new Date(...fields).getTime();
  else {
    ms = Date.UTC(...fields);
    if (zone !== 'Z' && zone !== 'z') {
      const sign = zone[0] === '-' ? -1 : 1;
      ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
    }
  }
  if (Number.isNaN(ms)) return undefined;
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: Number(frac.padEnd(9, '0') || '0') };
}

/** docker's timetypes.GetTimestamp: what --since/--until send to the daemon. */
export function getTimestamp(value: string, now: Date = new Date()): string {
  if (value !== '0') {
    try {
      const ns = parseGoDuration(value);
      return String(Math.floor((now.getTime() - ns / 1e6) / 1000));
    } catch {
      // not a duration
    }
  }
  const date = parseDate(value);
  if (date) return `${date.seconds}.${pad(date.nanos, 9)}`;
  if (value.includes('-')) throw new StatusError(`parsing time ${JSON.stringify(value)}: cannot parse ${JSON.stringify(value)} as a date`, 1);
  const [sec = '', frac] = value.split('.', 2) as [string, string?];
  if (!/^-?\d+$/.test(sec) || (frac !== undefined && !/^\d+$/.test(frac))) {
    throw new StatusError(`failed to parse value as time or duration: ${JSON.stringify(value)}`, 1);
  }
  return value;
}

/** The default line: time, type, action, actor and its attributes (sorted). */
export function prettyEvent(event: Record<string, unknown>): string {
  let out = '';
  const timeNano = event.timeNano;
  if (typeof timeNano === 'bigint' && timeNano !== 0n) out += `${rfc3339NanoFixed(timeNano)} `;
  else if (typeof event.time === 'number' && event.time !== 0) out += `${rfc3339NanoFixed(BigInt(event.time) * 1_000_000_000n)} `;
  const actor = (event.Actor ?? {}) as { ID?: string; Attributes?: Record<string, string> | null };
  out += `${String(event.Type ?? '')} ${String(event.Action ?? '')} ${actor.ID ?? ''}`;
  const attrs = Object.keys(actor.Attributes ?? {}).sort();
  if (attrs.length > 0) out += ` (${attrs.map((k) => `${k}=${actor.Attributes![k]}`).join(', ')})`;
  return `${out}\n`;
}

/** JSON.parse keeping timeNano exact (it exceeds 2^53). */
function parseEvent(text: string): Record<string, unknown> {
  const reviver = (key: string, value: unknown, context?: { source?: string }): unknown =>
    key === 'timeNano' && typeof value === 'number' && context?.source ? BigInt(context.source) : value;
  return JSON.parse(text, reviver as (key: string, value: unknown) => unknown) as Record<string, unknown>;
}

export const eventsCommand = defineCommand({
  name: 'events',
  usage: '[OPTIONS]',
  description: 'Get real time events from the server',
  flags: {
    filter: filterFlag('Filter output based on conditions provided'),
    format: { type: 'string', usage: FORMAT_HELP_INSPECT },
    since: { type: 'string', usage: 'Show all events created since timestamp' },
    until: { type: 'string', usage: 'Stream events until this timestamp' },
  },
  args: noArgs,
  async run(ctx) {
    let tmpl: Template | undefined;
    if (ctx.flags.format !== '') {
      try {
        tmpl = Template.parse(ctx.flags.format === JSON_FORMAT_KEY ? JSON_FORMAT : ctx.flags.format);
        tmpl.execute(goStructOf(MESSAGE_SCHEMA, {}));
      } catch (err) {
        if (err instanceof TemplateError) throw new StatusError(`Error parsing format: ${err.message}`, 64);
        throw err;
      }
    }
    const now = new Date();
    const since = ctx.flags.since !== '' ? getTimestamp(ctx.flags.since, now) : undefined;
    const until = ctx.flags.until !== '' ? getTimestamp(ctx.flags.until, now) : undefined;
    const res = await withDaemon(() =>
      apiClient(ctx).stream('GET', '/events', { query: { filters: filtersJSON(parseFilters(ctx.flags.filter)), since, until } }),
    );
    for await (const text of jsonValues(res.body)) {
      const event = parseEvent(text);
      if (!tmpl) {
        ctx.stdout.write(prettyEvent(event));
        continue;
      }
      try {
        ctx.stdout.write(`${tmpl.execute(goStruct(MESSAGE_SCHEMA, event))}\n`);
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        ctx.stdout.write(`${err.partialOutput}\n`);
        throw new StatusError(err.message, 1);
      }
    }
    return 0;
  },
});
