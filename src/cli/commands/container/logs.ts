// berth logs / berth container logs: GET /containers/{id}/logs, the output
// demultiplexed into stdout and stderr unless the container has a TTY
// (docker/cli logs.go); --since/--until converted on the client as docker's
// api/types/time.GetTimestamp does (durations, RFC 3339 variants, Unix times).
import { defineCommand, exactArgs, StatusError } from '../../command.js';
import { parseGoDuration } from '../../flags.js';
import { apiClient, withDaemon } from '../../session.js';
import { byteWriter, drained, StdcopyDemuxer } from '../../streams.js';
import { containerPath, inspectContainer } from './container-api.js';

interface Layout {
  /** Go's layout string, for error messages. */
  readonly text: string;
  readonly pattern: RegExp;
  readonly zoned: boolean;
}

const DIGITS = '(\\d{4})-(\\d{2})-(\\d{2})';
const ZONE = '(Z|[+-]\\d{2}:\\d{2})';

const LAYOUTS: Readonly<Record<string, Layout>> = {
  rfc3339NanoLocal: { text: '2006-01-02T15:04:05.999999999', pattern: new RegExp(`^${DIGITS}T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d+))?$`), zoned: false },
  rfc3339Nano: { text: '2006-01-02T15:04:05.999999999Z07:00', pattern: new RegExp(`^${DIGITS}T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d+))?${ZONE}$`), zoned: true },
  rfc3339Local: { text: '2006-01-02T15:04:05', pattern: new RegExp(`^${DIGITS}T(\\d{2}):(\\d{2}):(\\d{2})()$`), zoned: false },
  rfc3339: { text: '2006-01-02T15:04:05Z07:00', pattern: new RegExp(`^${DIGITS}T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d+))?${ZONE}$`), zoned: true },
  hourLocal: { text: '2006-01-02T15', pattern: new RegExp(`^${DIGITS}T(\\d{2})()()()$`), zoned: false },
  minuteLocal: { text: '2006-01-02T15:04', pattern: new RegExp(`^${DIGITS}T(\\d{2}):(\\d{2})()()$`), zoned: false },
  hourZoned: { text: '2006-01-02T15Z07:00', pattern: new RegExp(`^${DIGITS}T(\\d{2})()()()${ZONE}$`), zoned: true },
  minuteZoned: { text: '2006-01-02T15:04Z07:00', pattern: new RegExp(`^${DIGITS}T(\\d{2}):(\\d{2})()()${ZONE}$`), zoned: true },
  dateLocal: { text: '2006-01-02', pattern: new RegExp(`^${DIGITS}()()()()$`), zoned: false },
  dateZoned: { text: '2006-01-02Z07:00', pattern: new RegExp(`^${DIGITS}()()()()${ZONE}$`), zoned: true },
};

function chooseLayout(value: string): Layout {
  const inLocation = !/[zZ+]/.test(value) && (value.match(/-/g) ?? []).length !== 3;
  if (value.includes('.')) return inLocation ? LAYOUTS.rfc3339NanoLocal! : LAYOUTS.rfc3339Nano!;
  if (value.includes('T')) {
    let colons = (value.match(/:/g) ?? []).length;
    if (!inLocation && !/[zZ]/.test(value) && colons > 0) colons--;
    if (inLocation) return colons === 0 ? LAYOUTS.hourLocal! : colons === 1 ? LAYOUTS.minuteLocal! : LAYOUTS.rfc3339Local!;
    return colons === 0 ? LAYOUTS.hourZoned! : colons === 1 ? LAYOUTS.minuteZoned! : LAYOUTS.rfc3339!;
  }
  return inLocation ? LAYOUTS.dateLocal! : LAYOUTS.dateZoned!;
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
  const m = layout.pattern.exec(value);
  if (!m) {
    if (value.includes('-')) throw new Error(`parsing time ${JSON.stringify(value)} as ${JSON.stringify(layout.text)}: cannot parse ${JSON.stringify(value)} as ${JSON.stringify(layout.text)}`);
    if (!isUnixTimestamp(value)) throw new Error(`failed to parse value as time or duration: ${JSON.stringify(value)}`);
    return value;
  }
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] || '0')) as [number, number, number, number, number, number];
  const fraction = (m[7] ?? '').slice(0, 9).padEnd(9, '0');
  const zone = layout.zoned ? m[8]! : undefined;
  let ms: number;
  if (zone === undefined) {
    // time.ParseInLocation with the local zone's current offset (FixedZone(reference.Zone())).
    const offsetMinutes = -now.getTimezoneOffset();
    ms = Date.UTC(year, month - 1, day, hour, minute, second) - offsetMinutes * 60_000;
  } else {
    const offsetMinutes = zone === 'Z' || zone === 'z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    ms = Date.UTC(year, month - 1, day, hour, minute, second) - offsetMinutes * 60_000;
  }
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
