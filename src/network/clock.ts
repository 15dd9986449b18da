// The few time helpers the network service needs: creation times as dockerd
// writes them (RFC 3339 with nanoseconds) and prune's `until` filter values
// (unix seconds, Go durations before now, RFC 3339 dates), as docker's
// timetypes.GetTimestamp reads them.
import { invalidParameter } from '../common/errors.js';

/** Go's zero time.Time as JSON. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

const originMs = Date.now();
const originHr = process.hrtime.bigint();

/** Now, as Go marshals a time.Time in UTC: 2026-01-02T03:04:05.123456789Z (trailing zeros trimmed). */
export function nowRfc3339Nano(): string {
  const ns = BigInt(originMs) * 1_000_000n + (process.hrtime.bigint() - originHr);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  const base = new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19);
  return frac ? `${base}.${frac}Z` : `${base}Z`;
}

/** Unix seconds of an RFC 3339 time; 0 for the zero time or garbage. */
export function secondsOf(time: string): number {
  if (!time || time === ZERO_TIME) return 0;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : ms / 1000;
}

const units: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** A filter timestamp as unix seconds: "1700000000[.5]", "10m", "1h30m", "2024-01-02", "2024-01-02T10:00:00Z". */
export function parseFilterTime(value: string, nowSeconds = Date.now() / 1000): number {
  const v = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let pos = 0;
  let total = 0;
  while (pos < v.length) {
    re.lastIndex = pos;
    const m = re.exec(v);
    if (!m) break;
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  if (v !== '' && pos === v.length) return nowSeconds - total;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00` : v);
  if (!Number.isNaN(ms)) return ms / 1000;
  throw invalidParameter(`failed to parse value as time or duration: "${value}"`);
}
