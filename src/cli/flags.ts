// The docker CLI's flag grammar: spf13/pflag as docker/cli configures it,
// plus the value types docker/cli adds in its `opts` package (ListOpts,
// MapOpts, MemBytes, NanoCPUs...). Users' scripts parse docker's messages, so
// every error string here is the one pflag, Go's strconv/time or docker's opts
// produce, byte for byte; test/unit/cli/flags.test.ts records where each came
// from.

// ---------------------------------------------------------------------------
// Go's quoting (fmt %q): error messages quote the offending value this way.

const GO_PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function goEscape(ch: string, quote: string): string {
  if (ch === quote || ch === '\\') return `\\${ch}`;
  if (GO_PRINTABLE.test(ch)) return ch;
  const code = ch.codePointAt(0) ?? 0;
  switch (code) {
    case 7: return '\\a';
    case 8: return '\\b';
    case 12: return '\\f';
    case 10: return '\\n';
    case 13: return '\\r';
    case 9: return '\\t';
    case 11: return '\\v';
  }
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

/** Go's strconv.Quote (what `%q` prints for a string). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) out += goEscape(ch, '"');
  return `${out}"`;
}

/** Go's strconv.QuoteRune (what `%q` prints for a byte or rune). */
export function goQuoteRune(ch: string): string {
  return `'${goEscape(ch, "'")}'`;
}

// ---------------------------------------------------------------------------
// Go's strconv number parsing, with its error texts.

/** A value a flag rejected; the message is the reason pflag appends. */
export class FlagValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagValueError';
  }
}

function numError(fn: string, input: string, reason: 'invalid syntax' | 'value out of range'): FlagValueError {
  return new FlagValueError(`strconv.${fn}: parsing ${goQuote(input)}: ${reason}`);
}

const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean {
  if (TRUE_WORDS.has(s)) return true;
  if (FALSE_WORDS.has(s)) return false;
  throw numError('ParseBool', s, 'invalid syntax');
}

function isDigitOfBase(ch: string, hex: boolean): boolean {
  return (ch >= '0' && ch <= '9') || (hex && /^[a-fA-F]$/.test(ch));
}

// strconv's underscoreOK: with base 0, underscores may only separate digits
// (or follow a base prefix).
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'box'.includes((s[1] ?? '').toLowerCase())) {
    i = 2;
    saw = '0';
    hex = (s[1] ?? '').toLowerCase() === 'x';
  }
  for (; i < s.length; i++) {
    const ch = s[i] ?? '';
    if (isDigitOfBase(ch, hex)) {
      saw = '0';
      continue;
    }
    if (ch === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

function digitValue(ch: string): number {
  const c = ch.toLowerCase();
  if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48;
  if (c >= 'a' && c <= 'z') return c.charCodeAt(0) - 87;
  return 99;
}

// strconv.ParseUint(s, 0, bitSize), reporting errors under `fn` for `input`.
function parseUintBase0(s: string, bitSize: number, fn: string, input: string): bigint {
  if (s === '') throw numError(fn, input, 'invalid syntax');
  let base = 10;
  let digits = s;
  if (s[0] === '0') {
    const prefix = (s[1] ?? '').toLowerCase();
    if (s.length >= 3 && prefix === 'b') [base, digits] = [2, s.slice(2)];
    else if (s.length >= 3 && prefix === 'o') [base, digits] = [8, s.slice(2)];
    else if (s.length >= 3 && prefix === 'x') [base, digits] = [16, s.slice(2)];
    else [base, digits] = [8, s.slice(1)];
  }
  const max = (1n << BigInt(bitSize)) - 1n;
  let n = 0n;
  let underscores = false;
  for (const ch of digits) {
    if (ch === '_') {
      underscores = true;
      continue;
    }
    const d = digitValue(ch);
    if (d >= base) throw numError(fn, input, 'invalid syntax');
    n = n * BigInt(base) + BigInt(d);
    if (n > max) throw numError(fn, input, 'value out of range');
  }
  if (underscores && !underscoreOK(s)) throw numError(fn, input, 'invalid syntax');
  return n;
}

/** strconv.ParseInt(s, 0, bitSize): pflag's int flags accept 0x, 0o, 0b, leading-0 octal and `_`. */
export function parseGoInt(s: string, bitSize = 64): bigint {
  if (s === '') throw numError('ParseInt', s, 'invalid syntax');
  let negative = false;
  let body = s;
  if (s[0] === '+' || s[0] === '-') {
    negative = s[0] === '-';
    body = s.slice(1);
  }
  const magnitude = parseUintBase0(body, bitSize, 'ParseInt', s);
  const cutoff = 1n << BigInt(bitSize - 1);
  if (!negative && magnitude >= cutoff) throw numError('ParseInt', s, 'value out of range');
  if (negative && magnitude > cutoff) throw numError('ParseInt', s, 'value out of range');
  return negative ? -magnitude : magnitude;
}

/** strconv.ParseUint(s, 0, bitSize). */
export function parseGoUint(s: string, bitSize = 64): bigint {
  return parseUintBase0(s, bitSize, 'ParseUint', s);
}

const DECIMAL_FLOAT = /^[+-]?(?=\.?\d)(?:\d(?:_?\d)*)?(?:\.(?:\d(?:_?\d)*)?)?(?:[eE][+-]?\d(?:_?\d)*)?$/;
const HEX_FLOAT = /^([+-]?)0[xX](?=_?\.?[0-9a-fA-F])((?:_?[0-9a-fA-F])*)(?:\.((?:[0-9a-fA-F](?:_?[0-9a-fA-F])*)?))?[pP]([+-]?\d(?:_?\d)*)$/;

/** strconv.ParseFloat(s, 64). */
export function parseGoFloat(s: string): number {
  if (/^[+-]?(?:inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  let value: number;
  if (DECIMAL_FLOAT.test(s)) {
    value = Number(s.replaceAll('_', ''));
  } else {
    const hex = HEX_FLOAT.exec(s);
    if (!hex) throw numError('ParseFloat', s, 'invalid syntax');
    const intDigits = (hex[2] ?? '').replaceAll('_', '');
    const fracDigits = (hex[3] ?? '').replaceAll('_', '');
    const mantissa = Number.parseInt(`${intDigits}${fracDigits}` || '0', 16);
    const exponent = Number((hex[4] ?? '0').replaceAll('_', '')) - 4 * fracDigits.length;
    value = mantissa * 2 ** exponent * (hex[1] === '-' ? -1 : 1);
  }
  if (!Number.isFinite(value)) throw numError('ParseFloat', s, 'value out of range');
  return value;
}

// Go's %e/%g layout from a digit string and decimal-point position.
function goExponentForm(digits: string, decimalPoint: number, negative: boolean): string {
  const exp = decimalPoint - 1;
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const expText = Math.abs(exp).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${mantissa}e${exp < 0 ? '-' : '+'}${expText}`;
}

function goFixedForm(digits: string, decimalPoint: number, decimals: number, negative: boolean): string {
  let intPart: string;
  if (decimalPoint <= 0) intPart = '0';
  else intPart = digits.slice(0, decimalPoint).padEnd(decimalPoint, '0');
  let frac = '';
  for (let i = 0; i < decimals; i++) {
    const index = decimalPoint + i;
    frac += index >= 0 && index < digits.length ? digits[index] : '0';
  }
  return `${negative ? '-' : ''}${intPart}${decimals > 0 ? `.${frac}` : ''}`;
}

// Split |x| into significant digits (no trailing zeros) and decimal point position.
function decimalDigits(x: number, precision?: number): { digits: string; decimalPoint: number } {
  const text = precision === undefined ? Math.abs(x).toExponential() : Math.abs(x).toExponential(precision - 1);
  const [mantissa = '0', exponent = '0'] = text.split('e');
  const digits = mantissa.replace('.', '').replace(/0+$/, '') || '0';
  return { digits, decimalPoint: Number(exponent) + 1 };
}

/**
 * Go's `%g` (shortest when precision is undefined, as strconv.FormatFloat(x, 'g', -1, 64)).
 * Ties round as JavaScript's toExponential does (half up), Go rounds exact ties to even.
 */
export function formatGoFloat(x: number, precision?: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const negative = x < 0 || Object.is(x, -0);
  if (x === 0) return negative ? '-0' : '0';
  const { digits, decimalPoint } = decimalDigits(x, precision);
  let eprec = precision ?? 6;
  if (precision !== undefined && eprec > digits.length && digits.length >= decimalPoint) eprec = digits.length;
  const exp = decimalPoint - 1;
  if (exp < -4 || exp >= eprec) return goExponentForm(digits, decimalPoint, negative);
  const decimals = Math.max(digits.length - decimalPoint, 0);
  return goFixedForm(digits, decimalPoint, decimals, negative);
}

// ---------------------------------------------------------------------------
// Go's time.Duration: ParseDuration and String, in nanoseconds.

const DURATION_UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // U+00B5 micro sign
  ['\u03bcs', 1_000n], // U+03BC Greek mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);
const MAX_INT64 = (1n << 63n) - 1n;
const DURATION_LIMIT = 1n << 63n;

// The time package's own quote: non-ASCII and control bytes become \xHH.
function timeQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x80 || code < 0x20) {
      for (const byte of Buffer.from(ch, 'utf8')) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    } else {
      out += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
    }
  }
  return `${out}"`;
}

/** time.ParseDuration; returns nanoseconds. */
export function parseGoDuration(input: string): number {
  const invalid = (): FlagValueError => new FlagValueError(`time: invalid duration ${timeQuote(input)}`);
  let s = input;
  let negative = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    const first = s[0] ?? '';
    if (!(first === '.' || (first >= '0' && first <= '9'))) throw invalid();
    // Integer part; overflow past 1<<63 is an invalid duration.
    const intMatch = /^\d*/.exec(s)?.[0] ?? '';
    let whole = 0n;
    for (const ch of intMatch) {
      whole = whole * 10n + BigInt(ch.charCodeAt(0) - 48);
      if (whole > DURATION_LIMIT) throw invalid();
    }
    s = s.slice(intMatch.length);
    const hadInt = intMatch.length > 0;
    // Fraction part: digits past int64 precision are consumed and ignored.
    let fraction = 0n;
    let scale = 1;
    let hadFraction = false;
    if (s.startsWith('.')) {
      s = s.slice(1);
      const fracMatch = /^\d*/.exec(s)?.[0] ?? '';
      let overflow = false;
      for (const ch of fracMatch) {
        if (overflow) continue;
        if (fraction > MAX_INT64 / 10n) {
          overflow = true;
          continue;
        }
        const next = fraction * 10n + BigInt(ch.charCodeAt(0) - 48);
        if (next > DURATION_LIMIT) {
          overflow = true;
          continue;
        }
        fraction = next;
        scale *= 10;
      }
      s = s.slice(fracMatch.length);
      hadFraction = fracMatch.length > 0;
    }
    if (!hadInt && !hadFraction) throw invalid();
    let unitEnd = 0;
    while (unitEnd < s.length) {
      const ch = s[unitEnd] ?? '';
      if (ch === '.' || (ch >= '0' && ch <= '9')) break;
      unitEnd++;
    }
    if (unitEnd === 0) throw new FlagValueError(`time: missing unit in duration ${timeQuote(input)}`);
    const unitName = s.slice(0, unitEnd);
    s = s.slice(unitEnd);
    const unit = DURATION_UNITS.get(unitName);
    if (unit === undefined) {
      throw new FlagValueError(`time: unknown unit ${timeQuote(unitName)} in duration ${timeQuote(input)}`);
    }
    if (whole > DURATION_LIMIT / unit) throw invalid();
    let value = whole * unit;
    if (fraction > 0n) {
      // Go computes this part in float64; so do we.
      value += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (value > DURATION_LIMIT) throw invalid();
    }
    total += value;
    if (total > DURATION_LIMIT) throw invalid();
  }
  if (negative) return -Number(total);
  if (total > MAX_INT64) throw invalid();
  return Number(total);
}

function formatFraction(value: bigint, precision: number): { text: string; rest: bigint } {
  let text = '';
  let printed = false;
  let v = value;
  for (let i = 0; i < precision; i++) {
    const digit = v % 10n;
    printed = printed || digit !== 0n;
    if (printed) text = `${digit}${text}`;
    v /= 10n;
  }
  return { text: printed ? `.${text}` : '', rest: v };
}

/** time.Duration.String for a count of nanoseconds ("0s", "1.5s", "1m30s", "300ms"). */
export function formatGoDuration(nanoseconds: number): string {
  let u = BigInt(Math.trunc(nanoseconds));
  const negative = u < 0n;
  if (negative) u = -u;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u === 0n) return '0s';
    let unit: string;
    let precision: number;
    if (u < 1_000n) [unit, precision] = ['ns', 0];
    else if (u < 1_000_000n) [unit, precision] = ['\u00b5s', 3];
    else [unit, precision] = ['ms', 6];
    const { text, rest } = formatFraction(u, precision);
    out = `${rest}${text}${unit}`;
  } else {
    const { text, rest } = formatFraction(u, 9);
    const minutes = rest / 60n;
    out = `${rest % 60n}${text}s`;
    if (minutes > 0n) {
      out = `${minutes % 60n}m${out}`;
      const hours = minutes / 60n;
      if (hours > 0n) out = `${hours}h${out}`;
    }
  }
  return negative ? `-${out}` : out;
}

// ---------------------------------------------------------------------------
// docker/go-units sizes: RAMInBytes (MemBytes flags) and BytesSize (their help default).

const BINARY_UNITS: Readonly<Record<string, number>> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
const BINARY_ABBREVIATIONS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function int64FromFloat(x: number): number {
  // Go's int64(float64) truncates toward zero.
  return Math.trunc(x);
}

/** go-units RAMInBytes (v0.5): "512m", "1g", "1.5GiB", "32 kb"; units are powers of 1024. */
export function parseRamInBytes(size: string): number {
  let separator = -1;
  for (let i = size.length - 1; i >= 0; i--) {
    if ('0123456789. '.includes(size[i] ?? '')) {
      separator = i;
      break;
    }
  }
  if (separator === -1) throw new FlagValueError(`invalid size: '${size}'`);
  const number = size[separator] === ' ' ? size.slice(0, separator) : size.slice(0, separator + 1);
  let suffix = size.slice(separator + 1);
  let value = parseGoFloat(number);
  if (value < 0) throw new FlagValueError(`invalid size: '${size}'`);
  if (suffix === '') return int64FromFloat(value);
  const badSuffix = (): FlagValueError => new FlagValueError(`invalid suffix: '${suffix}'`);
  if (Buffer.byteLength(suffix) > 3) throw badSuffix();
  suffix = suffix.toLowerCase();
  if (suffix[0] === 'b') {
    if (suffix.length > 1) throw badSuffix();
    return int64FromFloat(value);
  }
  const multiplier = BINARY_UNITS[suffix[0] ?? ''];
  if (multiplier === undefined) throw badSuffix();
  value *= multiplier;
  if (suffix.length === 2 && suffix[1] !== 'b') throw badSuffix();
  if (suffix.length === 3 && suffix.slice(1) !== 'ib') throw badSuffix();
  return int64FromFloat(value);
}

/** go-units BytesSize: "%.4g" of the size in the largest binary unit below it ("64MiB", "1.5GiB"). */
export function formatBytesSize(size: number): string {
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < BINARY_ABBREVIATIONS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${formatGoFloat(value, 4)}${BINARY_ABBREVIATIONS[unit]}`;
}

// ---------------------------------------------------------------------------
// docker's NanoCPUs (`--cpus decimal`): a rational number (Go big.Rat syntax) times 1e9.

interface NatScan {
  value: bigint;
  base: number;
  fractionDigits: number;
  end: number;
}

// math/big's nat.scan with base 0: optional 0b/0o/0x prefix (a bare leading 0
// means octal only when fractions are not allowed), `_` between digits, and
// with fractionOk an optional '.' and fraction in the same base.
function scanNat(s: string, start: number, fractionOk: boolean): NatScan | undefined {
  let i = start;
  let base = 10;
  let prefixSeen = false;
  if (s[i] === '0') {
    const prefix = (s[i + 1] ?? '').toLowerCase();
    if (prefix === 'b' || prefix === 'o' || prefix === 'x') {
      base = prefix === 'b' ? 2 : prefix === 'o' ? 8 : 16;
      i += 2;
      prefixSeen = true;
    } else if (!fractionOk) {
      base = 8;
      prefixSeen = true;
      i += 1;
    }
  }
  let value = 0n;
  let digitCount = 0;
  let fractionDigits = 0;
  let inFraction = false;
  let previous = prefixSeen ? '0' : '^';
  const digitsStart = i;
  for (; i < s.length; i++) {
    const ch = s[i] ?? '';
    if (ch === '.' && fractionOk && !inFraction) {
      inFraction = true;
      previous = '.';
      continue;
    }
    if (ch === '_') {
      if (previous !== '0') return undefined;
      previous = '_';
      continue;
    }
    const d = digitValue(ch);
    if (d >= base) break;
    value = value * BigInt(base) + BigInt(d);
    digitCount++;
    if (inFraction) fractionDigits++;
    previous = '0';
  }
  if (previous === '_') return undefined;
  // "0x" alone, or a bare leading "0" consumed as octal prefix, still counts as the digit 0.
  if (digitCount === 0 && !(base === 8 && !fractionOk && prefixSeen && i === digitsStart)) return undefined;
  return { value, base, fractionDigits, end: i };
}

function scanInt(s: string): bigint | undefined {
  let start = 0;
  let negative = false;
  if (s[0] === '+' || s[0] === '-') {
    negative = s[0] === '-';
    start = 1;
  }
  const nat = scanNat(s, start, false);
  if (!nat || nat.end !== s.length) return undefined;
  return negative ? -nat.value : nat.value;
}

/** Go big.Rat.SetString, as numerator/denominator; undefined when Go reports failure. */
function parseBigRat(s: string): { numerator: bigint; denominator: bigint } | undefined {
  if (s === '') return undefined;
  const slash = s.indexOf('/');
  if (slash >= 0) {
    const numerator = scanInt(s.slice(0, slash));
    const denominatorText = s.slice(slash + 1);
    const denominator = scanNat(denominatorText, 0, false);
    if (numerator === undefined || !denominator || denominator.end !== denominatorText.length) return undefined;
    if (denominator.value === 0n) return undefined;
    return { numerator, denominator: denominator.value };
  }
  let i = 0;
  let negative = false;
  if (s[0] === '+' || s[0] === '-') {
    negative = s[0] === '-';
    i = 1;
  }
  const mantissa = scanNat(s, i, true);
  if (!mantissa) return undefined;
  i = mantissa.end;
  let numerator = mantissa.value;
  let denominator = BigInt(mantissa.base) ** BigInt(mantissa.fractionDigits);
  if (i < s.length) {
    const marker = s[i] ?? '';
    const binary = marker === 'p' || marker === 'P';
    if (!(binary || ((marker === 'e' || marker === 'E') && mantissa.base !== 16))) return undefined;
    const exponentText = s.slice(i + 1);
    if (!/^[+-]?\d(?:_?\d)*$/.test(exponentText)) return undefined;
    const exponent = BigInt(exponentText.replaceAll('_', ''));
    const factor = (binary ? 2n : 10n) ** (exponent < 0n ? -exponent : exponent);
    if (exponent < 0n) denominator *= factor;
    else numerator *= factor;
  }
  return { numerator: negative ? -numerator : numerator, denominator };
}

/** docker opts.ParseCPUs: "1.5" → 1500000000 (NanoCPUs). */
export function parseNanoCpus(value: string): number {
  const rat = parseBigRat(value);
  if (!rat) throw new FlagValueError(`failed to parse ${value} as a rational number`);
  const scaled = rat.numerator * 1_000_000_000n;
  if (scaled % rat.denominator !== 0n) throw new FlagValueError('value is too precise');
  return Number(BigInt.asIntN(64, scaled / rat.denominator));
}

/** docker NanoCPUs.String: big.Rat(n, 1e9).FloatString(3), "" for zero. */
export function formatNanoCpus(nanoCpus: number): string {
  if (nanoCpus === 0) return '';
  const n = BigInt(Math.trunc(nanoCpus));
  const magnitude = n < 0n ? -n : n;
  let whole = magnitude / 1_000_000_000n;
  let remainder = magnitude % 1_000_000_000n;
  // Three decimals, halves rounded away from zero.
  let thousandths = (remainder * 1000n) / 1_000_000_000n;
  remainder = (remainder * 1000n) % 1_000_000_000n;
  if (remainder * 2n >= 1_000_000_000n) {
    thousandths += 1n;
    if (thousandths >= 1000n) {
      whole += 1n;
      thousandths -= 1000n;
    }
  }
  return `${n < 0n ? '-' : ''}${whole}.${thousandths.toString().padStart(3, '0')}`;
}

// ---------------------------------------------------------------------------
// encoding/csv's first record, as pflag's StringSlice reads each value.

const CSV_BARE_QUOTE = 'bare " in non-quoted-field';
const CSV_QUOTE = 'extraneous or missing " in quoted-field';

/**
 * One CSV record (Go encoding/csv defaults). Only the first line's record is
 * returned, as csv.Reader.Read does; a quoted field may span lines.
 */
export function readCsvRecord(input: string): string[] {
  const text = input.replaceAll('\r\n', '\n');
  let pos = 0;
  let line = 1;
  let column = 1;
  // encoding/csv skips empty lines before the record.
  while (text[pos] === '\n') {
    pos++;
    line++;
  }
  if (pos >= text.length) throw new FlagValueError('EOF');
  const startLine = line;
  const fail = (col: number, reason: string): FlagValueError => {
    const where = startLine !== line ? `record on line ${startLine}; parse error on line ${line}` : `parse error on line ${line}`;
    return new FlagValueError(`${where}, column ${col}: ${reason}`);
  };
  const fields: string[] = [];
  for (;;) {
    if (text[pos] !== '"') {
      let end = pos;
      while (end < text.length && text[end] !== ',' && text[end] !== '\n') end++;
      const field = text.slice(pos, end);
      const quoteAt = field.indexOf('"');
      if (quoteAt >= 0) throw fail(column + Buffer.byteLength(field.slice(0, quoteAt)), CSV_BARE_QUOTE);
      fields.push(field);
      if (text[end] === ',') {
        column += Buffer.byteLength(field) + 1;
        pos = end + 1;
        continue;
      }
      return fields;
    }
    // Quoted field.
    pos++;
    column++;
    let field = '';
    for (;;) {
      const close = text.indexOf('"', pos);
      if (close < 0) {
        field += text.slice(pos);
        for (const ch of text.slice(pos)) {
          if (ch === '\n') {
            line++;
            column = 1;
          } else {
            column += Buffer.byteLength(ch);
          }
        }
        throw fail(column, CSV_QUOTE);
      }
      const chunk = text.slice(pos, close);
      field += chunk;
      for (const ch of chunk) {
        if (ch === '\n') {
          line++;
          column = 1;
        } else {
          column += Buffer.byteLength(ch);
        }
      }
      column++;
      pos = close + 1;
      const next = text[pos];
      if (next === '"') {
        field += '"';
        pos++;
        column++;
        continue;
      }
      if (next === ',') {
        fields.push(field);
        pos++;
        column++;
        break;
      }
      if (next === undefined || next === '\n') {
        fields.push(field);
        return fields;
      }
      throw fail(column - 1, CSV_QUOTE);
    }
  }
}

// encoding/csv's Writer for one record (pflag's slice String()).
function writeCsvRecord(fields: readonly string[]): string {
  return fields
    .map((field) => {
      const needsQuotes = field === '' ? false : /[",\r\n]/.test(field) || field[0] === ' ' || field[0] === '\t';
      return needsQuotes ? `"${field.replaceAll('"', '""')}"` : field;
    })
    .join(',');
}

// ---------------------------------------------------------------------------
// Flag specifications.

interface FlagSpecBase {
  /** One-letter shorthand (`-e`). */
  readonly short?: string;
  /** Help text; a `backquoted` word replaces the type name shown in help (pflag UnquoteUsage). */
  readonly usage: string;
  /** Parsed but not listed in help. */
  readonly hidden?: boolean;
  /** Hides the flag and prints "Flag --x has been deprecated, <message>" when used. */
  readonly deprecated?: string;
  /** Hides the shorthand in help and prints "Flag shorthand -x has been deprecated, <message>" when used. */
  readonly shortDeprecated?: string;
  /** The type word help shows (`-f, --filter filter`); defaults to the type's own word. */
  readonly typeName?: string;
  /**
   * What help prints as `(default <text>)`: a string is printed verbatim,
   * null prints nothing; when absent the type's rule decides, as pflag does.
   */
  readonly defaultText?: string | null;
}

export interface BoolFlagSpec extends FlagSpecBase {
  readonly type: 'bool';
  readonly default?: boolean;
}

export interface StringFlagSpec extends FlagSpecBase {
  readonly type: 'string';
  readonly default?: string;
  /** Returns the value to store, or throws; the message follows "flag: " in the error. */
  readonly validate?: (value: string) => string;
}

/** Integer types parse with strconv.Parse(U)Int base 0 and the Go type's range. */
export type IntegerFlagType = 'int' | 'int32' | 'int64' | 'uint' | 'uint16' | 'uint32' | 'uint64';

export interface NumberFlagSpec extends FlagSpecBase {
  /**
   * - `float`: pflag Float64.
   * - `decimal`: docker NanoCPUs (`--cpus 1.5`); the value is in billionths (1500000000).
   * - `duration`: Go duration (`1m30s`); the value is in nanoseconds.
   * - `bytes`: docker MemBytes (`512m`, powers of 1024); the value is in bytes.
   * - `swapBytes`: docker MemSwapBytes, `bytes` that also accepts -1 (unlimited).
   */
  readonly type: IntegerFlagType | 'float' | 'decimal' | 'duration' | 'bytes' | 'swapBytes';
  readonly default?: number;
}

export interface ListFlagSpec extends FlagSpecBase {
  /**
   * Repeatable flags, one string per occurrence:
   * - `list`: docker opts.ListOpts (`-e`, `-p`, `-v`, `--label`), help type "list".
   * - `stringArray`: pflag StringArray; the first use replaces the default.
   * - `stringSlice`: pflag StringSlice: each occurrence is also split as CSV (`--subnet a,b`), help type "strings".
   */
  readonly type: 'list' | 'stringArray' | 'stringSlice';
  readonly default?: readonly string[];
  /** Applied to each value (each CSV item for stringSlice); returns the value to store, or throws. */
  readonly validate?: (value: string) => string;
}

export interface MapFlagSpec extends FlagSpecBase {
  /** docker opts.MapOpts (`--sysctl k=v`, `--opt k=v`): "k=v" sets k, "k" sets k to "". */
  readonly type: 'map';
  readonly default?: Readonly<Record<string, string>>;
  /** Applied to the whole "k=v" before it is split; returns the text to store, or throws. */
  readonly validate?: (value: string) => string;
}

export type FlagSpec = BoolFlagSpec | StringFlagSpec | NumberFlagSpec | ListFlagSpec | MapFlagSpec;
export type FlagType = FlagSpec['type'];

/** Flags keyed by long name. */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export type FlagValue<S extends FlagSpec> = S extends { readonly type: 'bool' }
  ? boolean
  : S extends { readonly type: 'string' }
    ? string
    : S extends { readonly type: 'list' | 'stringArray' | 'stringSlice' }
      ? string[]
      : S extends { readonly type: 'map' }
        ? Map<string, string>
        : number;

export type FlagValues<F extends FlagSpecs> = { -readonly [K in keyof F]: FlagValue<F[K]> };

/** Identity function that keeps literal flag types, so values are typed per flag. */
export function defineFlags<const F extends FlagSpecs>(flags: F): F {
  return flags;
}

/** A flag error as pflag words it ("unknown flag: --foo"). */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

/** `-h` on a flag set that has no `h` shorthand (pflag's ErrHelp). */
export class HelpRequested extends Error {
  constructor() {
    super('pflag: help requested');
    this.name = 'HelpRequested';
  }
}

const INTEGER_BITS: Readonly<Record<IntegerFlagType, { bits: number; signed: boolean }>> = {
  int: { bits: 64, signed: true },
  int32: { bits: 32, signed: true },
  int64: { bits: 64, signed: true },
  uint: { bits: 64, signed: false },
  uint16: { bits: 16, signed: false },
  uint32: { bits: 32, signed: false },
  uint64: { bits: 64, signed: false },
};

function isIntegerType(type: FlagType): type is IntegerFlagType {
  return type in INTEGER_BITS;
}

type StoredValue = boolean | string | number | string[] | Map<string, string>;

function initialValue(spec: FlagSpec): StoredValue {
  switch (spec.type) {
    case 'bool':
      return spec.default ?? false;
    case 'string':
      return spec.default ?? '';
    case 'list':
    case 'stringArray':
    case 'stringSlice':
      return [...(spec.default ?? [])];
    case 'map':
      return new Map(Object.entries(spec.default ?? {}));
    default:
      return spec.default ?? 0;
  }
}

function parseNumber(spec: NumberFlagSpec, raw: string): number {
  const type = spec.type;
  if (isIntegerType(type)) {
    const { bits, signed } = INTEGER_BITS[type];
    return Number(signed ? parseGoInt(raw, bits) : parseGoUint(raw, bits));
  }
  switch (type) {
    case 'float':
      return parseGoFloat(raw);
    case 'decimal':
      return parseNanoCpus(raw);
    case 'duration':
      return parseGoDuration(raw);
    case 'bytes':
      return parseRamInBytes(raw);
    case 'swapBytes':
      return raw === '-1' ? -1 : parseRamInBytes(raw);
  }
}

function applyValidator(validate: ((value: string) => string) | undefined, value: string): string {
  return validate ? validate(value) : value;
}

interface FlagState {
  readonly name: string;
  readonly spec: FlagSpec;
  value: StoredValue;
  changed: boolean;
}

/** The name pflag puts in "invalid argument" errors: "-m, --memory" or "--rm". */
function errorFlagName(name: string, spec: FlagSpec): string {
  return spec.short && !spec.shortDeprecated ? `-${spec.short}, --${name}` : `--${name}`;
}

export interface FlagSetOptions {
  /** Receives pflag's deprecation notices (one line each, with newline). Docker prints them on stdout for commands, stderr for global flags. */
  readonly warn?: (line: string) => void;
}

export interface ParseOutcome {
  /** Positional arguments, including everything after `--` or (when not interspersed) after the first positional. */
  readonly args: string[];
  /** How many of args came before a `--`, or -1 when there was none (pflag ArgsLenAtDash). */
  readonly argsLenAtDash: number;
}

/**
 * A set of flags with state, like a pflag.FlagSet: parse() may run more than
 * once and values accumulate, which docker relies on when global flags and a
 * command's flags are parsed in separate passes.
 */
export class FlagSet<F extends FlagSpecs = FlagSpecs> {
  readonly specs: F;
  private readonly byName = new Map<string, FlagState>();
  private readonly byShort = new Map<string, FlagState>();
  private readonly warn: (line: string) => void;

  constructor(specs: F, options: FlagSetOptions = {}) {
    this.specs = specs;
    this.warn = options.warn ?? (() => undefined);
    for (const [name, spec] of Object.entries(specs)) {
      const state: FlagState = { name, spec, value: initialValue(spec), changed: false };
      this.byName.set(name, state);
      if (spec.short !== undefined) {
        if ([...spec.short].length !== 1) throw new Error(`"${spec.short}" shorthand is more than one ASCII character`);
        const used = this.byShort.get(spec.short);
        if (used) throw new Error(`unable to redefine '${spec.short}' shorthand: it's already used for "${used.name}" flag`);
        this.byShort.set(spec.short, state);
      }
    }
  }

  /** Current values (defaults until set). */
  get values(): FlagValues<F> {
    const out: Record<string, StoredValue> = {};
    for (const [name, state] of this.byName) out[name] = state.value;
    return out as FlagValues<F>;
  }

  /** Names of flags set on the command line, as pflag's Changed. */
  get changed(): Set<keyof F & string> {
    const out = new Set<keyof F & string>();
    for (const [name, state] of this.byName) if (state.changed) out.add(name as keyof F & string);
    return out;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  hasShorthand(letter: string): boolean {
    return this.byShort.has(letter);
  }

  /** Whether `--name` takes no value (pflag NoOptDefVal; only bool flags here). */
  isBoolFlag(name: string): boolean {
    return this.byName.get(name)?.spec.type === 'bool';
  }

  /** Whether `-x` takes no value. */
  isBoolShorthand(letter: string): boolean {
    return this.byShort.get(letter)?.spec.type === 'bool';
  }

  /** Sets a flag as if given on the command line (pflag FlagSet.Set). */
  set(name: string, raw: string): void {
    const state = this.byName.get(name);
    if (!state) throw new FlagError(`no such flag -${name}`);
    this.apply(state, raw);
  }

  parse(argv: readonly string[], options: { interspersed?: boolean } = {}): ParseOutcome {
    const interspersed = options.interspersed ?? true;
    const args: string[] = [];
    let argsLenAtDash = -1;
    let rest = [...argv];
    while (rest.length > 0) {
      const arg = rest[0] ?? '';
      rest = rest.slice(1);
      if (arg.length <= 1 || arg[0] !== '-') {
        args.push(arg);
        if (!interspersed) {
          args.push(...rest);
          break;
        }
        continue;
      }
      if (arg[1] === '-') {
        if (arg.length === 2) {
          // "--" ends the flags.
          argsLenAtDash = args.length;
          args.push(...rest);
          break;
        }
        rest = this.parseLong(arg, rest);
      } else {
        rest = this.parseShorthands(arg, rest);
      }
    }
    return { args, argsLenAtDash };
  }

  /** The Options block of help (pflag FlagUsagesWrapped), each line ending in a newline. */
  formatUsages(columns: number): string {
    return formatFlagUsages(this.specs, columns);
  }

  private parseLong(arg: string, rest: string[]): string[] {
    const body = arg.slice(2);
    if (body.length === 0 || body[0] === '-' || body[0] === '=') throw new FlagError(`bad flag syntax: ${arg}`);
    const equals = body.indexOf('=');
    const name = equals < 0 ? body : body.slice(0, equals);
    const state = this.byName.get(name);
    if (!state) {
      if (name === 'help') throw new HelpRequested();
      throw new FlagError(`unknown flag: --${name}`);
    }
    let value: string;
    let remaining = rest;
    if (equals >= 0) {
      value = body.slice(equals + 1);
    } else if (state.spec.type === 'bool') {
      value = 'true';
    } else if (rest.length > 0) {
      value = rest[0] ?? '';
      remaining = rest.slice(1);
    } else {
      throw new FlagError(`flag needs an argument: ${arg}`);
    }
    this.apply(state, value);
    return remaining;
  }

  private parseShorthands(arg: string, rest: string[]): string[] {
    let shorthands = arg.slice(1);
    let remaining = rest;
    // pflag hands the original rest to every letter; only the last can consume it.
    while (shorthands.length > 0) [shorthands, remaining] = this.parseOneShorthand(shorthands, rest);
    return remaining;
  }

  private parseOneShorthand(shorthands: string, rest: string[]): [string, string[]] {
    // pflag skips Go test flags (-test.v) silently; docker inherits that.
    if (shorthands.startsWith('test.')) return ['', rest];
    const letter = String.fromCodePoint(shorthands.codePointAt(0) ?? 0);
    let remainingLetters = shorthands.slice(letter.length);
    let remaining = rest;
    const state = this.byShort.get(letter);
    if (!state) {
      if (letter === 'h') throw new HelpRequested();
      throw new FlagError(`unknown shorthand flag: ${goQuoteRune(letter)} in -${shorthands}`);
    }
    let value: string;
    if (remainingLetters.length > 1 && remainingLetters[0] === '=') {
      value = remainingLetters.slice(1); // -e=VALUE
      remainingLetters = '';
    } else if (state.spec.type === 'bool') {
      value = 'true';
    } else if (remainingLetters.length > 0) {
      value = remainingLetters; // -eVALUE (and "-e=" gives "=")
      remainingLetters = '';
    } else if (rest.length > 0) {
      value = rest[0] ?? '';
      remaining = rest.slice(1);
    } else {
      throw new FlagError(`flag needs an argument: ${goQuoteRune(letter)} in -${shorthands}`);
    }
    if (state.spec.shortDeprecated) {
      this.warn(`Flag shorthand -${letter} has been deprecated, ${state.spec.shortDeprecated}\n`);
    }
    this.apply(state, value);
    return [remainingLetters, remaining];
  }

  private apply(state: FlagState, raw: string): void {
    try {
      state.value = this.convert(state, raw);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new FlagError(`invalid argument ${goQuote(raw)} for ${goQuote(errorFlagName(state.name, state.spec))} flag: ${reason}`);
    }
    state.changed = true;
    if (state.spec.deprecated) this.warn(`Flag --${state.name} has been deprecated, ${state.spec.deprecated}\n`);
  }

  private convert(state: FlagState, raw: string): StoredValue {
    const spec = state.spec;
    switch (spec.type) {
      case 'bool':
        return parseGoBool(raw);
      case 'string':
        return applyValidator(spec.validate, raw);
      case 'list': {
        const current = state.value as string[];
        return [...current, applyValidator(spec.validate, raw)];
      }
      case 'stringArray': {
        const item = applyValidator(spec.validate, raw);
        return state.changed ? [...(state.value as string[]), item] : [item];
      }
      case 'stringSlice': {
        const items = raw === '' ? [] : readCsvRecord(raw).map((item) => applyValidator(spec.validate, item));
        return state.changed ? [...(state.value as string[]), ...items] : items;
      }
      case 'map': {
        const text = applyValidator(spec.validate, raw);
        const map = new Map(state.value as Map<string, string>);
        const equals = text.indexOf('=');
        if (equals < 0) map.set(text, '');
        else map.set(text.slice(0, equals), text.slice(equals + 1));
        return map;
      }
      default:
        return parseNumber(spec, raw);
    }
  }
}

export interface ParsedFlags<F extends FlagSpecs> extends ParseOutcome {
  readonly values: FlagValues<F>;
  readonly changed: ReadonlySet<keyof F & string>;
}

/** Parses argv against a fresh flag set; throws FlagError with pflag's message. */
export function parseFlags<const F extends FlagSpecs>(
  specs: F,
  argv: readonly string[],
  options: FlagSetOptions & { interspersed?: boolean } = {},
): ParsedFlags<F> {
  const set = new FlagSet(specs, options);
  const outcome = set.parse(argv, options);
  return { ...outcome, values: set.values, changed: set.changed };
}

// ---------------------------------------------------------------------------
// Help: pflag's FlagUsagesWrapped.

const TYPE_WORDS: Readonly<Record<FlagType, string>> = {
  bool: '',
  string: 'string',
  int: 'int',
  int32: 'int32',
  int64: 'int', // pflag shows int64 as "int"
  uint: 'uint',
  uint16: 'uint16',
  uint32: 'uint32',
  uint64: 'uint', // and uint64 as "uint"
  float: 'float',
  decimal: 'decimal',
  duration: 'duration',
  bytes: 'bytes',
  swapBytes: 'bytes',
  list: 'list',
  stringArray: 'stringArray',
  stringSlice: 'strings',
  map: 'map',
};

/** pflag UnquoteUsage: the type word shown after the flag name, and the usage text. */
function unquoteUsage(spec: FlagSpec): { typeWord: string; usage: string } {
  const open = spec.usage.indexOf('`');
  if (open >= 0) {
    const close = spec.usage.indexOf('`', open + 1);
    if (close >= 0) {
      const typeWord = spec.usage.slice(open + 1, close);
      return { typeWord, usage: spec.usage.slice(0, open) + typeWord + spec.usage.slice(close + 1) };
    }
  }
  return { typeWord: spec.typeName ?? TYPE_WORDS[spec.type], usage: spec.usage };
}

// Go's fmt %v of a map[string]string: keys sorted.
function formatGoMap(map: ReadonlyMap<string, string> | Readonly<Record<string, string>>): string {
  const entries = map instanceof Map ? [...map.entries()] : Object.entries(map);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `map[${entries.map(([k, v]) => `${k}:${v}`).join(' ')}]`;
}

/** The text after "default " in help, or null when pflag would print no default. */
function defaultDisplay(spec: FlagSpec, typeWord: string): string | null {
  if (spec.defaultText !== undefined) return spec.defaultText;
  switch (spec.type) {
    case 'bool':
      return spec.default ? 'true' : null;
    case 'string': {
      const value = spec.default ?? '';
      if (value === '') return null;
      return typeWord === 'string' ? goQuote(value) : value;
    }
    case 'list': {
      // docker ListOpts.String(): "" when empty, else Go's %v of the slice.
      const values = spec.default ?? [];
      return values.length === 0 ? null : `[${values.join(' ')}]`;
    }
    case 'stringArray':
    case 'stringSlice': {
      const values = spec.default ?? [];
      return values.length === 0 ? null : `[${writeCsvRecord(values)}]`;
    }
    case 'map':
      // docker MapOpts prints "map[]" even when empty, and pflag shows it: `--sysctl map (default map[])`.
      return formatGoMap(spec.default ?? {});
    case 'uint16':
      // docker run's --blkio-weight shows "(default 0)" (docker 28.2.2 `docker run --help`).
      return String(spec.default ?? 0);
    case 'duration':
      // docker's duration flags show their default even when zero: `--health-interval duration ... (default 0s)`.
      return formatGoDuration(spec.default ?? 0);
    case 'float': {
      const value = spec.default ?? 0;
      return value === 0 ? null : formatGoFloat(value);
    }
    case 'decimal': {
      const value = spec.default ?? 0;
      return value === 0 ? null : formatNanoCpus(value);
    }
    case 'bytes':
    case 'swapBytes': {
      const value = spec.default ?? 0;
      return value === 0 ? null : formatBytesSize(value);
    }
    default: {
      const value = spec.default ?? 0;
      return value === 0 ? null : String(value);
    }
  }
}

// pflag's wrapN: split s at the last whitespace before i runes, or at the last
// newline before that; allow going `slop` over to avoid orphan words.
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\t'), head.lastIndexOf('\n'));
  if (w <= 0) return [s, ''];
  const newline = head.lastIndexOf('\n');
  if (newline > 0 && newline < w) return [s.slice(0, newline), s.slice(newline + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

// pflag's wrap: wrap s to width w with indent i; the first line is not indented.
function wrapText(indent: number, width: number, s: string): string {
  if (width === 0) return s.replaceAll('\n', `\n${' '.repeat(indent)}`);
  let i = indent;
  let room = width - i;
  let out = '';
  if (room < 24) {
    i = 16;
    room = width - i;
    out += `\n${' '.repeat(i)}`;
  }
  if (room < 24) return s.replaceAll('\n', out);
  const slop = 5;
  room -= slop;
  let [line, rest] = wrapN(room, slop, s);
  out += line.replaceAll('\n', `\n${' '.repeat(i)}`);
  while (rest !== '') {
    [line, rest] = wrapN(room, slop, rest);
    out += `\n${' '.repeat(i)}${line.replaceAll('\n', `\n${' '.repeat(i)}`)}`;
  }
  return out;
}

/**
 * Help's flag list, as pflag's FlagUsagesWrapped(columns) prints it: sorted
 * by name, hidden flags left out, usage wrapped at `columns` (0: no wrapping).
 */
export function formatFlagUsages(specs: FlagSpecs, columns: number): string {
  const names = Object.keys(specs).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const lines: { left: string; right: string }[] = [];
  let widest = 0;
  for (const name of names) {
    const spec = specs[name];
    if (!spec || spec.hidden || spec.deprecated) continue;
    let left = spec.short && !spec.shortDeprecated ? `  -${spec.short}, --${name}` : `      --${name}`;
    const { typeWord, usage } = unquoteUsage(spec);
    if (typeWord !== '') left += ` ${typeWord}`;
    widest = Math.max(widest, left.length + 1);
    const shownDefault = defaultDisplay(spec, typeWord);
    const right = shownDefault === null ? usage : `${usage} (default ${shownDefault})`;
    lines.push({ left, right });
  }
  let out = '';
  for (const { left, right } of lines) {
    // Go's Println puts a space either side of the padding: the text column is widest + 2.
    out += `${left} ${' '.repeat(widest - left.length)} ${wrapText(widest + 2, columns, right)}\n`;
  }
  return out;
}
