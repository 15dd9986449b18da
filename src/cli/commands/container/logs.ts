// berth logs / berth container logs: GET /containers/{id}/logs, the output
// demultiplexed into stdout and stderr unless the container has a TTY
// (docker/cli logs.go); --since/--until converted on the client as docker's
// api/types/time.GetTimestamp does (durations, RFC 3339 variants, Unix times).
import { defineCommand, exactArgs, StatusError } from '../../command.js';
import { parseGoDuration } from '../../flags.js';
import { apiClient, withDaemon } from '../../session.js';
import { byteWriter, drained, StdcopyDemuxer } from '../../streams.js';
import { containerPath, inspectContainer } from './container-api.js';

const RFC3339_NANO_LOCAL = '2006-01-02T15:04:05.999999999';
const RFC3339_NANO = '2006-01-02T15:04:05.999999999Z07:00';
const RFC3339_LOCAL = '2006-01-02T15:04:05';
const RFC3339 = '2006-01-02T15:04:05Z07:00';

/** The layout GetTimestamp picks for a value. */
function chooseLayout(value: string): string {
  const inLocation = !/[zZ+]/.test(value) && (value.match(/-/g) ?? []).length !== 3;
  if (value.includes('.')) return inLocation ? RFC3339_NANO_LOCAL : RFC3339_NANO;
  if (value.includes('T')) {
    let colons = (value.match(/:/g) ?? []).length;
    if (!inLocation && !/[zZ]/.test(value) && colons > 0) colons--;
    if (inLocation) return colons === 0 ? '2006-01-02T15' : colons === 1 ? '2006-01-02T15:04' : RFC3339_LOCAL;
    return colons === 0 ? '2006-01-02T15Z07:00' : colons === 1 ? '2006-01-02T15:04Z07:00' : RFC3339;
  }
  return inLocation ? '2006-01-02' : '2006-01-02Z07:00';
}

interface ParsedTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  /** Offset east of UTC in minutes; undefined when the value had no zone. */
  offset?: number;
}

const STD_CHUNKS = ['2006', '01', '02', '15', '04', '05', '.999999999', 'Z07:00'];

/** Go's time.Parse for the layouts GetTimestamp uses, with its error texts. */
export function parseGoTime(layout: string, value: string): ParsedTime {
  const whole = value;
  const t: ParsedTime = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0, nanos: 0 };
  const quote = (s: string): string => JSON.stringify(s);
  const bad = (valueElem: string, layoutElem: string): Error =>
    new Error(`parsing time ${quote(whole)} as ${quote(layout)}: cannot parse ${quote(valueElem)} as ${quote(layoutElem)}`);
  const range = (what: string): Error => new Error(`parsing time ${quote(whole)}: ${what} out of range`);
  let rest = layout;
  let v = value;
  const num = (fixed: boolean, std: string): number => {
    const m = (fixed ? /^\d{2}/ : /^\d{1,2}/).exec(v);
    if (!m) throw bad(v, std);
    v = v.slice(m[0].length);
    return Number(m[0]);
  };
  while (rest !== '') {
    const std = STD_CHUNKS.find((c) => rest.startsWith(c));
    if (!std) {
      // A literal: the value must start with it.
      let literal = '';
      while (rest !== '' && !STD_CHUNKS.some((c) => rest.startsWith(c))) {
        literal += rest[0];
        rest = rest.slice(1);
      }
      if (!v.startsWith(literal)) throw bad(v, literal);
      v = v.slice(literal.length);
      continue;
    }
    rest = rest.slice(std.length);
    const before = v;
    switch (std) {
      case '2006':
        if (!/^\d{4}/.test(v)) throw bad(before, std);
        t.year = Number(v.slice(0, 4));
        v = v.slice(4);
        break;
      case '01':
        t.month = num(true, std);
        if (t.month < 1 || t.month > 12) throw range('month');
        break;
      case '02':
        t.day = num(true, std);
        break;
      case '15':
        t.hour = num(false, std);
        if (t.hour > 23) throw range('hour');
        break;
      case '04':
        t.minute = num(true, std);
        if (t.minute > 59) throw range('minute');
        break;
      case '05': {
        t.second = num(true, std);
        if (t.second > 59) throw range('second');
        break;
      }
      case '.999999999': {
        const m = /^[.,](\d+)/.exec(v);
        if (!m) break;
        t.nanos = Number(m[1]!.slice(0, 9).padEnd(9, '0'));
        v = v.slice(m[0].length);
        break;
      }
      case 'Z07:00': {
        if (v.startsWith('Z')) {
          t.offset = 0;
          v = v.slice(1);
          break;
        }
        const m = /^([+-])(\d{2}):(\d{2})/.exec(v);
        if (!m) throw bad(before, std);
        t.offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
        v = v.slice(m[0].length);
        break;
      }
    }
  }
  if (v !== '') throw new Error(`parsing time ${quote(whole)}: extra text: ${quote(v)}`);
  const daysIn = new Date(Date.UTC(t.year, t.month, 0)).getUTCDate();
  if (t.day < 1 || t.day > daysIn) throw range('day');
  return t;
}

/** `seconds[.nanoseconds]` (a Unix time as the API takes it). */
function isUnixTimestamp(value: string): boolean {
  const [s, n] = value.split('.', 2) as [string, string | undefined];
  if (!/^[+-]?\d+$/.test(s)) return false;
  return n === undefined || /^[+-]?\d+$/.test(n);
}

/**
 * GetTimestamp: a duration before `now` ("10m"), an RFC 3339-like time (a
 * local one when it has no zone) or a Unix time; returns what the API's
 * since/until take. Throws docker's message.
 */
export function getTimestamp(value: string, now: Date = new Date()): string {
  if (value !== '0') {
    try {
      const nanos = parseGoDuration(value);
      return String(Math.floor((now.getTime() - nanos / 1e6) / 1000));
    } catch {
      // not a duration
    }
  }
  const layout = chooseLayout(value);
  let t: ParsedTime;
  try {
    t = parseGoTime(layout, value);
  } catch (err) {
    // A value with a dash was meant as a date: its parse error is the answer.
    if (value.includes('-')) throw err;
    if (!isUnixTimestamp(value)) throw new Error(`failed to parse value as time or duration: ${JSON.stringify(value)}`);
    return value;
  }
  // Without a zone the local zone's current offset applies (FixedZone(reference.Zone())).
  const offsetMinutes = t.offset ?? -now.getTimezoneOffset();
  const ms = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) - offsetMinutes * 60_000;
  const fraction = String(t.nanos).padStart(9, '0');
  return `${Math.floor(ms / 1000)}.${fraction}`;
}

export const logsCommand = defineCommand({
  name: 'logs',
  usage: '[OPTIONS] CONTAINER',
  description: 'Fetch the logs of a container',
  flags: {
    details: { type: 'bool', usage: 'Show extra details provided to logs' },
    follow: { type: 'bool', short: 'f', usage: 'Follow log output' },
    since: { type: 'string', usage: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    tail: { type: 'string', short: 'n', default: 'all', usage: 'Number of lines to show from the end of the logs' },
    timestamps: { type: 'bool', short: 't', usage: 'Show timestamps' },
    until: { type: 'string', usage: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
  },
  args: exactArgs(1),
  async run(ctx) {
    const client = apiClient(ctx);
    const c = await withDaemon(() => inspectContainer(client, ctx.args[0]!));
    const convert = (name: 'since' | 'until'): string | undefined => {
      const value = ctx.flags[name];
      if (value === '') return undefined;
      try {
        return getTimestamp(value);
      } catch (err) {
        throw new StatusError(`invalid value for ${JSON.stringify(name)}: ${(err as Error).message}`, 1);
      }
    };
    const query = {
      stdout: '1',
      stderr: '1',
      since: convert('since'),
      until: convert('until'),
      timestamps: ctx.flags.timestamps ? '1' : undefined,
      details: ctx.flags.details ? '1' : undefined,
      follow: ctx.flags.follow ? '1' : undefined,
      tail: ctx.flags.tail,
    };
    const res = await withDaemon(() => client.stream('GET', containerPath(c.Id, '/logs'), { query }));
    const stdout = byteWriter(ctx.stdout);
    const stderr = byteWriter(ctx.stderr);
    if (c.Config.Tty) {
      for await (const chunk of res.body) stdout.write(chunk as Buffer);
    } else {
      const demuxer = new StdcopyDemuxer(stdout, stderr);
      try {
        for await (const chunk of res.body) demuxer.push(chunk as Buffer);
      } catch (err) {
        throw new StatusError((err as Error).message, 1);
      }
    }
    await drained(stdout);
    return 0;
  },
});
