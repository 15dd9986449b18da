// docker/go-units as the docker CLI prints sizes and durations
// (size.go: HumanSize, HumanSizeWithPrecision, BytesSize; duration.go:
// HumanDuration), plus the time texts docker's formatters build from them
// ("2 hours ago", Go's time.Time String()).

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'] as const;
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] as const;

/**
 * Go's `%.<precision>g`. JavaScript's toExponential rounds exact ties away
 * from zero where Go's strconv rounds them to even (1.125 → "1.12"), so ties
 * are detected on the exact decimal expansion and settled Go's way.
 */
export function formatG(value: number, precision: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const p = Math.max(1, precision);
  const negative = value < 0;
  let { digits, exponent } = roundedDigits(Math.abs(value), p);
  digits = digits.replace(/0+$/, '') || '0';
  // %g: exponent form when exp < -4 || exp >= precision (digits are not padded with zeros)
  let out: string;
  if (exponent < -4 || exponent >= p) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  } else if (exponent >= 0) {
    const intPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const frac = digits.slice(exponent + 1);
    out = frac ? `${intPart}.${frac}` : intPart;
  } else {
    out = `0.${'0'.repeat(-exponent - 1)}${digits}`;
  }
  return negative ? `-${out}` : out;
}

// The first `p` significant digits of x (a positive finite number), rounded
// half to even on its exact value, and the decimal exponent of the first digit.
function roundedDigits(x: number, p: number): { digits: string; exponent: number } {
  // toExponential(99) gives enough digits to see whether the rest is exactly a half.
  const exact = x.toExponential(Math.min(100, 99));
  const [mant = '0', exp = '0'] = exact.split('e');
  const all = mant.replace('.', '');
  let exponent = Number(exp);
  const head = all.slice(0, p);
  const rest = all.slice(p);
  let roundUp: boolean;
  if (rest === '' || /^0*$/.test(rest)) roundUp = false;
  else if (rest[0]! > '5') roundUp = true;
  else if (rest[0]! < '5') roundUp = false;
  else if (/^50*$/.test(rest)) roundUp = Number(head[head.length - 1] ?? '0') % 2 === 1;
  else roundUp = true;
  if (!roundUp) return { digits: head, exponent };
  let n = BigInt(head) + 1n;
  let digits = n.toString();
  if (digits.length > p) {
    exponent += 1;
    n /= 10n;
    digits = n.toString();
  }
  return { digits, exponent };
}

function sizeAndUnit(size: number, base: number, units: readonly string[]): [number, string] {
  let i = 0;
  const limit = units.length - 1;
  while (size >= base && i < limit) {
    size /= base;
    i++;
  }
  return [size, units[i]!];
}

/** go-units HumanSizeWithPrecision: decimal units, `precision` significant digits ("4.26MB"). */
export function humanSizeWithPrecision(size: number, precision: number): string {
  const [value, unit] = sizeAndUnit(size, 1000, DECIMAL_UNITS);
  return `${formatG(value, precision)}${unit}`;
}

/** go-units HumanSize: decimal units, 4 significant digits. */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/** go-units BytesSize: binary units, 4 significant digits ("23.54GiB"). */
export function bytesSize(size: number): string {
  const [value, unit] = sizeAndUnit(size, 1024, BINARY_UNITS);
  return `${formatG(value, 4)}${unit}`;
}

/** go-units HumanDuration, for a duration in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

/** What docker's listings print for a creation time: HumanDuration(now - t) + " ago". */
export function timeAgo(when: Date, now: Date = new Date()): string {
  return `${humanDuration(now.getTime() - when.getTime())} ago`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** The local time zone's abbreviation for a date, as Go prints it (UTC, CET, or -0300 style when unknown). */
function zoneName(d: Date, offsetMinutes: number): string {
  const tz = process.env.TZ;
  if (offsetMinutes === 0 && (tz === undefined || tz === '' || tz === 'UTC' || tz === 'Etc/UTC' || tz === ':UTC')) return 'UTC';
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
    if (part && /^[A-Z]{2,5}$/.test(part.value) && !part.value.startsWith('GMT')) return part.value;
  } catch {
    // fall back to the numeric zone
  }
  if (offsetMinutes === 0) return 'UTC';
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return abs % 60 === 0 ? `${sign}${pad(Math.trunc(abs / 60))}` : `${sign}${pad(Math.trunc(abs / 60))}${pad(abs % 60)}`;
}

/**
 * Go's time.Time String() in local time: "2024-01-02 15:04:05 +0100 CET"
 * (`nanos`, when given, adds Go's trimmed fraction).
 */
export function goLocalTimeString(d: Date, nanos?: number): string {
  const offset = -d.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const frac = nanos ? `.${String(nanos).padStart(9, '0').replace(/0+$/, '')}` : '';
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${frac} ` +
    `${sign}${pad(Math.trunc(abs / 60))}${pad(abs % 60)} ${zoneName(d, offset)}`
  );
}

/** Go's time.RFC3339 layout in local time ("2024-01-02T15:04:05+01:00", "…Z" in UTC). */
export function goRfc3339Local(d: Date): string {
  const offset = -d.getTimezoneOffset();
  const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${zone}`;
}

/**
 * Seconds and nanoseconds of an RFC 3339 JSON time as the API writes it
 * (nanosecond precision kept, which Date cannot hold).
 */
export function parseApiTime(text: string): { date: Date; nanos: number } | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const nanos = Number((m[2] ?? '').padEnd(9, '0') || '0');
  return { date: new Date(ms + Math.trunc(nanos / 1e6)), nanos };
}

/**
 * A time.Time from API JSON: templates print it as Go's String()
 * ("2024-01-02 15:04:05.123 +0000 UTC", in the zone it was written with) and
 * `json` writes the text it came as.
 */
export class GoTime {
  constructor(readonly text: string) {}

  String(): string {
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(this.text);
    if (!m) return this.text;
    const frac = (m[3] ?? '').replace(/0+$/, '');
    const zone = m[4] === 'Z' ? '+0000 UTC' : `${m[4]!.replace(':', '')} ${m[4]!.replace(':', '')}`;
    return `${m[1]} ${m[2]}${frac ? `.${frac}` : ''} ${zone}`;
  }

  MarshalJSON(): string {
    return this.text;
  }
}
Object.defineProperty(GoTime, 'name', { value: 'time.Time' });
