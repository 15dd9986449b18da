// Times as the Engine API writes and reads them: Go's RFC 3339 with
// nanoseconds (trailing zeros trimmed) in JSON, Go's zero time for "never",
// and docker's filter/query timestamps (unix seconds with a fraction, RFC 3339
// dates, or durations before now such as "10m" or "1h30m").
import { invalidParameter } from './errors.js';

/** Go's zero time.Time as JSON: what dockerd writes for a time that never happened. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

const originMs = Date.now();
const originHr = process.hrtime.bigint();

/**
 * Wall-clock time in nanoseconds. Date.now() has millisecond resolution; the
 * sub-millisecond part comes from the monotonic clock so that events and log
 * lines written in the same millisecond still order.
 */
export function nowNano(): bigint {
  const elapsed = process.hrtime.bigint() - originHr;
  return BigInt(originMs) * 1_000_000n + elapsed;
}

/** Go's time.Time.MarshalJSON in UTC: 2024-05-01T10:00:00.123456789Z, fraction without trailing zeros. */
export function formatRfc3339Nano(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = (((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  const base = new Date(ms).toISOString().slice(0, 19);
  return frac ? `${base}.${frac}Z` : `${base}Z`;
}

/** Parse an RFC 3339 time with up to nanosecond precision; undefined when it is not one. */
export function parseRfc3339Nano(text: string): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = BigInt((m[2] ?? '').padEnd(9, '0') || '0');
  return BigInt(ms) * 1_000_000n + frac;
}

/** Nanoseconds of an RFC 3339 JSON time; 0 for the zero time or garbage. */
export function nanoOf(text: string | undefined): bigint {
  if (!text || text === ZERO_TIME) return 0n;
  return parseRfc3339Nano(text) ?? 0n;
}

const durationUnits: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Go's time.ParseDuration, in seconds; undefined when `text` is not a duration. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let pos = 0;
  let sign = 1;
  if (text.startsWith('-') || text.startsWith('+')) {
    sign = text[0] === '-' ? -1 : 1;
    pos = 1;
  }
  if (pos >= text.length) return undefined;
  let total = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * durationUnits[m[2]!]!;
    pos = re.lastIndex;
  }
  return sign * total;
}

/**
 * docker's timetypes.GetTimestamp + ParseTimestamps: the value as unix
 * nanoseconds. Accepts "1700000000", "1700000000.123456789", RFC 3339 dates
 * (with or without time and zone) and durations before `nowNs` ("10m").
 */
export function parseDockerTimestamp(value: string, nowNs: bigint = nowNano()): bigint {
  const v = value.trim();
  const dur = parseGoDuration(v);
  if (dur !== undefined && !/^\d+$/.test(v)) return nowNs - BigInt(Math.round(dur * 1e9));
  const num = /^(-?\d+)(?:\.(\d{0,9}))?$/.exec(v);
  if (num) {
    const sec = BigInt(num[1]!);
    const frac = BigInt((num[2] ?? '').padEnd(9, '0') || '0');
    return sec * 1_000_000_000n + (sec < 0n ? -frac : frac);
  }
  const exact = parseRfc3339Nano(v);
  if (exact !== undefined) return exact;
  // Dates without a zone are local time in docker; "2006-01-02", "2006-01-02T15:04", "2006-01-02T15:04:05".
  const loose = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(v);
  if (loose) {
    const ms = Date.parse(v.includes('T') ? v : `${v}T00:00:00`);
    if (!Number.isNaN(ms)) return BigInt(ms) * 1_000_000n;
  }
  throw invalidParameter(`failed to parse value as time or duration: "${value}"`);
}
