// Small pieces of Go's standard library whose exact behaviour shows in
// docker's messages and parsing: unicode.IsSpace, strconv.Quote,
// time.ParseDuration, strconv.ParseInt/ParseUint, and BuildKit's
// "did you mean" suggestions (util/suggest, Levenshtein distance < 3).

/** Go's unicode.IsSpace. JS `\s` differs (it includes U+FEFF). */
export function isGoSpace(ch: string): boolean {
  switch (ch) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case '\u0085':
    case '\u00a0':
    case '\u1680':
    case '\u2028':
    case '\u2029':
    case '\u202f':
    case '\u205f':
    case '\u3000':
      return true;
    default: {
      const code = ch.codePointAt(0) ?? 0;
      return code >= 0x2000 && code <= 0x200a;
    }
  }
}

/** Go's strings.TrimLeftFunc(s, unicode.IsSpace). */
export function goTrimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length && isGoSpace(s[i]!)) i++;
  return s.slice(i);
}

/** Go's strings.TrimSpace. */
export function goTrimSpace(s: string): string {
  let end = s.length;
  while (end > 0 && isGoSpace(s[end - 1]!)) end--;
  return goTrimLeftSpace(s.slice(0, end));
}

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Go's strconv.Quote (the `%q` and `%#v` verbs on strings). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (printable.test(ch)) out += ch;
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\v') out += '\\v';
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0');
    else if (code < 0x10000) out += '\\u' + code.toString(16).padStart(4, '0');
    else out += '\\U' + code.toString(16).padStart(8, '0');
  }
  return out + '"';
}

/** The time package's own quoting (ASCII only, other bytes as \xNN). */
function timeQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x80 || code < 0x20) {
      for (const byte of Buffer.from(ch, 'utf8')) out += '\\x' + byte.toString(16).padStart(2, '0');
    } else {
      if (ch === '"' || ch === '\\') out += '\\';
      out += ch;
    }
  }
  return out + '"';
}

const durationUnits: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1000n],
  ['\u00b5s', 1000n],
  ['\u03bcs', 1000n],
  ['ms', 1000000n],
  ['s', 1000000000n],
  ['m', 60000000000n],
  ['h', 3600000000000n],
]);

const maxInt64 = (1n << 63n) - 1n;

/**
 * Go's time.ParseDuration, in nanoseconds. Throws Error with Go's message
 * (`time: invalid duration "x"`, `time: missing unit in duration "30"`...).
 */
export function parseGoDuration(orig: string): number {
  const invalid = (): Error => new Error('time: invalid duration ' + timeQuote(orig));
  let s = orig;
  let negative = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0n;
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) throw invalid();
    let i = 0;
    while (isDigit(s[i])) i++;
    const intPart = s.slice(0, i);
    s = s.slice(i);
    let fracPart = '';
    let hasFrac = false;
    if (s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      while (isDigit(s[j])) j++;
      fracPart = s.slice(0, j);
      hasFrac = j > 0;
      s = s.slice(j);
    }
    if (intPart === '' && !hasFrac) throw invalid();
    let u = 0;
    while (u < s.length && !(s[u] === '.' || isDigit(s[u]))) u++;
    if (u === 0) throw new Error('time: missing unit in duration ' + timeQuote(orig));
    const unitName = s.slice(0, u);
    s = s.slice(u);
    const unit = durationUnits.get(unitName);
    if (unit === undefined) {
      throw new Error('time: unknown unit ' + timeQuote(unitName) + ' in duration ' + timeQuote(orig));
    }
    const whole = intPart === '' ? 0n : BigInt(intPart);
    if (whole > maxInt64 / unit) throw invalid();
    let value = whole * unit;
    if (fracPart !== '') {
      // Go truncates the fraction's contribution (float64 scaled), close enough
      // to exact decimal arithmetic for every practical value.
      const scale = 10n ** BigInt(fracPart.length);
      value += (BigInt(fracPart) * unit) / scale;
    }
    total += value;
    if (total > maxInt64) throw invalid();
  }
  return Number(negative ? -total : total);
}

/** Go's strconv.ParseInt(s, 10, bitSize), with its error wording. */
export function parseGoInt(s: string, bitSize: 32 | 64): number {
  const syntax = (): Error => new Error(`strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax`);
  const m = /^([+-]?)([0-9]+)$/.exec(s);
  if (!m) throw syntax();
  const value = BigInt(m[1] === '-' ? '-' + m[2] : m[2]!);
  const limit = 1n << BigInt(bitSize - 1);
  if (value >= limit || value < -limit) {
    throw new Error(`strconv.ParseInt: parsing ${goQuote(s)}: value out of range`);
  }
  return Number(value);
}

/** Go's strconv.ParseUint(s, base, 32) for base 8 or 10. */
export function parseGoUint32(s: string, base: 8 | 10): number {
  const digits = base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!digits.test(s)) throw new Error(`strconv.ParseUint: parsing ${goQuote(s)}: invalid syntax`);
  const value = BigInt(base === 8 ? '0o' + s : s);
  if (value > 0xffffffffn) throw new Error(`strconv.ParseUint: parsing ${goQuote(s)}: value out of range`);
  return Number(value);
}

/** Go's strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  switch (s) {
    case '1':
    case 't':
    case 'T':
    case 'TRUE':
    case 'true':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'FALSE':
    case 'false':
    case 'False':
      return false;
    default:
      return undefined;
  }
}

/** Levenshtein distance over code points (unit costs, as agext/levenshtein with nil params). */
export function levenshtein(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[y.length]!;
}

/**
 * BuildKit's suggest.WrapError: appends " (did you mean X?)" when an option
 * is within distance 2 of value. Docker walks a Go map, so ties are in random
 * order there; here the options are walked in the order given.
 */
export function withSuggestion(message: string, value: string, options: readonly string[], caseSensitive: boolean): string {
  const wanted = caseSensitive ? value : value.toLowerCase();
  let match = '';
  let best = 3;
  for (const option of options) {
    const candidate = caseSensitive ? option : option.toLowerCase();
    if (candidate === wanted) return message;
    const distance = levenshtein(wanted, candidate);
    if (distance < best) {
      best = distance;
      match = caseSensitive ? candidate : matchCase(candidate, value);
    }
  }
  return match === '' ? message : `${message} (did you mean ${match}?)`;
}

function matchCase(candidate: string, original: string): string {
  if (original === original.toLowerCase()) return candidate.toLowerCase();
  if (original === original.toUpperCase()) return candidate.toUpperCase();
  return candidate;
}
