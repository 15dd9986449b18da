// Go's fmt package as text/template uses it: fmt.Sprint, fmt.Sprintln,
// fmt.Sprintf, and the %v rendering of values that {{.}} prints.
// Behaviour follows https://pkg.go.dev/fmt (verbs, flags, error strings such as
// "%!d(string=x)"), checked against docker CLI 28.2.2 (Go 1.24) output.

import {
  Float64,
  NilPointer,
  findMethod,
  fromUtf8,
  kindOf,
  numberValue,
  runeCount,
  sortedMapEntries,
  structEntries,
  typeName,
  utf8Bytes,
} from './values.js';

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  widPresent: boolean;
  wid: number;
  precPresent: boolean;
  prec: number;
}

function newFlags(): Flags {
  return {
    plus: false,
    minus: false,
    sharp: false,
    space: false,
    zero: false,
    plusV: false,
    sharpV: false,
    widPresent: false,
    wid: 0,
    precPresent: false,
    prec: 0,
  };
}

/** fmt.Sprint: operands formatted with %v, spaces between operands when neither is a string. */
export function sprint(args: readonly unknown[]): string {
  const p = new Printer();
  let prevString = false;
  args.forEach((arg, i) => {
    const isString = typeof arg === 'string';
    if (i > 0 && !isString && !prevString) p.buf += ' ';
    p.printArg(arg, 'v');
    prevString = isString;
  });
  return p.buf;
}

/** fmt.Sprintln: operands formatted with %v, always space-separated, newline appended. */
export function sprintln(args: readonly unknown[]): string {
  const p = new Printer();
  args.forEach((arg, i) => {
    if (i > 0) p.buf += ' ';
    p.printArg(arg, 'v');
  });
  return p.buf + '\n';
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: readonly unknown[]): string {
  return new Printer().doPrintf(format, args);
}

/** The %v text of one value, as fmt.Sprint(v) gives it. */
export function formatValue(v: unknown): string {
  const p = new Printer();
  p.printArg(v, 'v');
  return p.buf;
}

const TOO_LARGE = 1e6;

class Printer {
  buf = '';
  f: Flags = newFlags();
  reordered = false;
  goodArgNum = true;

  doPrintf(format: string, a: readonly unknown[]): string {
    const end = format.length;
    let argNum = 0;
    let afterIndex = false;
    this.reordered = false;
    let i = 0;
    while (i < end) {
      this.goodArgNum = true;
      const lasti = i;
      while (i < end && format[i] !== '%') i++;
      if (i > lasti) this.buf += format.slice(lasti, i);
      if (i >= end) break;
      i++; // skip %
      this.f = newFlags();
      flags: for (; i < end; i++) {
        switch (format[i]) {
          case '#':
            this.f.sharp = true;
            break;
          case '0':
            this.f.zero = !this.f.minus; // only pad with zeros on the left
            break;
          case '+':
            this.f.plus = true;
            break;
          case '-':
            this.f.minus = true;
            this.f.zero = false;
            break;
          case ' ':
            this.f.space = true;
            break;
          default:
            break flags;
        }
      }
      [argNum, i, afterIndex] = this.argNumber(argNum, format, i, a.length);
      if (i < end && format[i] === '*') {
        i++;
        let ok: boolean;
        [this.f.wid, ok, argNum] = intFromArg(a, argNum);
        this.f.widPresent = ok;
        if (!ok) this.buf += '%!(BADWIDTH)';
        if (this.f.wid < 0) {
          this.f.wid = -this.f.wid;
          this.f.minus = true;
          this.f.zero = false;
        }
        afterIndex = false;
      } else {
        [this.f.wid, this.f.widPresent, i] = parseNum(format, i, end);
        if (afterIndex && this.f.widPresent) this.goodArgNum = false;
      }
      if (i + 1 < end && format[i] === '.') {
        i++;
        if (afterIndex) this.goodArgNum = false;
        [argNum, i, afterIndex] = this.argNumber(argNum, format, i, a.length);
        if (i < end && format[i] === '*') {
          i++;
          let ok: boolean;
          [this.f.prec, ok, argNum] = intFromArg(a, argNum);
          this.f.precPresent = ok;
          if (this.f.prec < 0) {
            this.f.prec = 0;
            this.f.precPresent = false;
          }
          if (!this.f.precPresent) this.buf += '%!(BADPREC)';
          afterIndex = false;
        } else {
          [this.f.prec, this.f.precPresent, i] = parseNum(format, i, end);
          if (!this.f.precPresent) {
            this.f.prec = 0;
            this.f.precPresent = true;
          }
        }
      }
      if (!afterIndex) [argNum, i, afterIndex] = this.argNumber(argNum, format, i, a.length);
      if (i >= end) {
        this.buf += '%!(NOVERB)';
        break;
      }
      const verb = String.fromCodePoint(format.codePointAt(i)!);
      i += verb.length;
      if (verb === '%') {
        this.buf += '%';
      } else if (!this.goodArgNum) {
        this.buf += '%!' + verb + '(BADINDEX)';
      } else if (argNum >= a.length) {
        this.buf += '%!' + verb + '(MISSING)';
      } else {
        if (verb === 'v') {
          this.f.sharpV = this.f.sharp;
          this.f.sharp = false;
          this.f.plusV = this.f.plus;
          this.f.plus = false;
        }
        this.printArg(a[argNum], verb);
        argNum++;
      }
    }
    if (!this.reordered && argNum < a.length) {
      this.f = newFlags();
      this.buf += '%!(EXTRA ';
      a.slice(argNum).forEach((arg, j) => {
        if (j > 0) this.buf += ', ';
        if (arg === null || arg === undefined) this.buf += '<nil>';
        else {
          this.buf += typeName(arg) + '=';
          this.printArg(arg, 'v');
        }
      });
      this.buf += ')';
    }
    return this.buf;
  }

  argNumber(argNum: number, format: string, i: number, numArgs: number): [number, number, boolean] {
    if (format.length <= i || format[i] !== '[') return [argNum, i, false];
    this.reordered = true;
    const [index, wid, ok] = parseArgNumber(format.slice(i));
    if (ok && index >= 0 && index < numArgs) return [index, i + wid, true];
    this.goodArgNum = false;
    return [argNum, i + wid, ok];
  }

  printArg(arg: unknown, verb: string): void {
    if (arg === null || arg === undefined) {
      if (verb === 'T' || verb === 'v') this.pad('<nil>');
      else this.badVerb(verb, arg);
      return;
    }
    if (verb === 'T') {
      this.fmtS(typeName(arg));
      return;
    }
    this.printValue(arg, verb, 0);
  }

  printValue(v: unknown, verb: string, depth: number): void {
    if (depth > 0 && (v === null || v === undefined)) {
      if (verb === 'v') this.padString('<nil>');
      else this.badVerb(verb, v);
      return;
    }
    if (this.handleMethods(v, verb)) return;
    switch (kindOf(v)) {
      case 'invalid':
      case 'nil':
        if (depth === 0) this.buf += '<invalid reflect.Value>';
        else if (verb === 'v') this.padString('<nil>');
        else this.badVerb(verb, v);
        return;
      case 'nilptr':
        if (verb === 'v') this.padString('<nil>');
        else this.badVerb(verb, v);
        return;
      case 'bool':
        if (verb === 't' || verb === 'v') this.padString(v ? 'true' : 'false');
        else this.badVerb(verb, v);
        return;
      case 'int':
        this.fmtIntegerValue(v as number | bigint, verb);
        return;
      case 'float':
        this.fmtFloatValue(numberValue(v), verb);
        return;
      case 'string':
        this.fmtString(String(v), verb);
        return;
      case 'func':
        if (verb === 'v' || verb === 'p') this.padString('0x0');
        else this.badVerb(verb, v);
        return;
      case 'slice':
        this.fmtSlice(v as ArrayLike<unknown>, verb, depth);
        return;
      case 'map':
        this.fmtMap(v as object, verb, depth);
        return;
      case 'struct':
        this.fmtStruct(v as object, verb, depth);
        return;
    }
  }

  /** Error() and String() methods format the value for string-ish verbs, as fmt's handleMethods does. */
  handleMethods(v: unknown, verb: string): boolean {
    if (typeof v !== 'object' || v === null || v instanceof Float64 || v instanceof NilPointer) return false;
    if (this.f.sharpV) return false;
    if (v instanceof Date && (verb === 'v' || verb === 's' || verb === 'q')) {
      this.fmtString(goTimeString(v), verb);
      return true;
    }
    const method = findMethod(v, 'Error') ?? findMethod(v, 'String');
    if (!method || method.length !== 0) return false;
    switch (verb) {
      case 'v':
      case 's':
      case 'x':
      case 'X':
      case 'q': {
        let text: string;
        try {
          text = String(method.call(v));
        } catch (e) {
          // fmt recovers a panicking method and reports it in place
          this.buf += `%!${verb}(PANIC=${method.name || 'String'} method: ${e instanceof Error ? e.message : String(e)})`;
          return true;
        }
        this.fmtString(text, verb);
        return true;
      }
      default:
        return false;
    }
  }

  badVerb(verb: string, v: unknown): void {
    this.buf += '%!' + verb + '(';
    if (v === null || v === undefined) this.buf += '<nil>';
    else {
      this.buf += typeName(v) + '=';
      const saved = this.f;
      this.f = { ...saved, sharpV: false, plusV: false };
      this.printValue(v, 'v', 0);
      this.f = saved;
    }
    this.buf += ')';
  }

  // ---- padding ----

  writePadding(n: number): void {
    if (n <= 0) return;
    this.buf += (this.f.zero ? '0' : ' ').repeat(n);
  }

  pad(s: string): void {
    if (!this.f.widPresent || this.f.wid === 0) {
      this.buf += s;
      return;
    }
    const width = this.f.wid - runeCount(s);
    if (!this.f.minus) {
      this.writePadding(width);
      this.buf += s;
    } else {
      this.buf += s;
      this.writePadding(width);
    }
  }

  /** Padding for text that is not a number: Go pads with zeros only to the left. */
  padString(s: string): void {
    this.pad(s);
  }

  // ---- strings ----

  fmtString(s: string, verb: string): void {
    switch (verb) {
      case 'v':
        if (this.f.sharpV) this.fmtQ(s);
        else this.fmtS(s);
        return;
      case 's':
        this.fmtS(s);
        return;
      case 'x':
        this.fmtSbx(utf8Bytes(s), '0123456789abcdefx');
        return;
      case 'X':
        this.fmtSbx(utf8Bytes(s), '0123456789ABCDEFX');
        return;
      case 'q':
        this.fmtQ(s);
        return;
      default:
        this.badVerb(verb, s);
    }
  }

  fmtS(s: string): void {
    if (this.f.precPresent) s = truncateRunes(s, this.f.prec);
    this.pad(s);
  }

  fmtQ(s: string): void {
    if (this.f.precPresent) s = truncateRunes(s, this.f.prec);
    if (this.f.sharp && canBackquote(s)) this.pad('`' + s + '`');
    else this.pad(quoteWith(s, '"', this.f.plus));
  }

  fmtSbx(b: Uint8Array, digits: string): void {
    let length = b.length;
    if (this.f.precPresent && this.f.prec < length) length = this.f.prec;
    let width = 2 * length;
    if (width > 0) {
      if (this.f.space) {
        if (this.f.sharp) width *= 2;
        width += length - 1;
      } else if (this.f.sharp) width += 2;
    } else {
      if (this.f.widPresent) this.writePadding(this.f.wid);
      return;
    }
    if (this.f.widPresent && this.f.wid > width && !this.f.minus) this.writePadding(this.f.wid - width);
    let out = '';
    if (this.f.sharp) out += '0' + digits[16];
    for (let i = 0; i < length; i++) {
      if (this.f.space && i > 0) {
        out += ' ';
        if (this.f.sharp) out += '0' + digits[16];
      }
      const c = b[i]!;
      out += digits[c >> 4]! + digits[c & 0xf]!;
    }
    this.buf += out;
    if (this.f.widPresent && this.f.wid > width && this.f.minus) this.writePadding(this.f.wid - width);
  }

  // ---- integers ----

  fmtIntegerValue(v: number | bigint, verb: string): void {
    const n = typeof v === 'bigint' ? v : BigInt(v);
    switch (verb) {
      case 'v':
      case 'd':
        this.fmtInteger(n, 10, verb, '0123456789abcdefx');
        return;
      case 'b':
        this.fmtInteger(n, 2, verb, '0123456789abcdefx');
        return;
      case 'o':
      case 'O':
        this.fmtInteger(n, 8, verb, '0123456789abcdefx');
        return;
      case 'x':
        this.fmtInteger(n, 16, verb, '0123456789abcdefx');
        return;
      case 'X':
        this.fmtInteger(n, 16, verb, '0123456789ABCDEFX');
        return;
      case 'c':
        this.pad(runeString(n));
        return;
      case 'q':
        this.pad(quoteWith(runeString(n), "'", this.f.plus));
        return;
      case 'U':
        this.fmtUnicode(n);
        return;
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G':
        // JS has one number type: an integral number from berth's data may be
        // a Go float64, so float verbs format it as one (Go would print %!f(int=1)).
        this.fmtFloatValue(Number(n), verb);
        return;
      default:
        this.badVerb(verb, v);
    }
  }

  fmtInteger(n: bigint, base: number, verb: string, digits: string): void {
    const negative = n < 0n;
    let u = negative ? -n : n;
    let prec = 0;
    if (this.f.precPresent) {
      prec = this.f.prec;
      if (prec === 0 && u === 0n) {
        const oldZero = this.f.zero;
        this.f.zero = false;
        this.writePadding(this.f.wid);
        this.f.zero = oldZero;
        return;
      }
    } else if (this.f.zero && !this.f.minus && this.f.widPresent) {
      prec = this.f.wid;
      if (negative || this.f.plus || this.f.space) prec--;
    }
    let s = '';
    if (u === 0n) s = '0';
    const b = BigInt(base);
    while (u > 0n) {
      s = digits[Number(u % b)]! + s;
      u /= b;
    }
    while (s.length < prec) s = '0' + s;
    if (this.f.sharp) {
      switch (base) {
        case 2:
          s = '0b' + s;
          break;
        case 8:
          if (s[0] !== '0') s = '0' + s;
          break;
        case 16:
          s = '0' + digits[16] + s;
          break;
      }
    }
    if (verb === 'O') s = '0o' + s;
    if (negative) s = '-' + s;
    else if (this.f.plus) s = '+' + s;
    else if (this.f.space) s = ' ' + s;
    const oldZero = this.f.zero;
    this.f.zero = false;
    this.pad(s);
    this.f.zero = oldZero;
  }

  fmtUnicode(n: bigint): void {
    if (n < 0n) n += 1n << 64n; // Go formats the value as a uint64
    let hex = n.toString(16).toUpperCase();
    let prec = 4;
    if (this.f.precPresent && this.f.prec > 4) prec = this.f.prec;
    while (hex.length < prec) hex = '0' + hex;
    let s = 'U+' + hex;
    if (this.f.sharp && n >= 0n && n <= 0x10ffffn && isPrint(Number(n))) s += " '" + String.fromCodePoint(Number(n)) + "'";
    const oldZero = this.f.zero;
    this.f.zero = false;
    this.pad(s);
    this.f.zero = oldZero;
  }

  // ---- floats ----

  fmtFloatValue(v: number, verb: string): void {
    switch (verb) {
      case 'v':
        this.fmtFloat(v, 'g', -1);
        return;
      case 'g':
      case 'G':
      case 'x':
      case 'X':
        this.fmtFloat(v, verb, -1);
        return;
      case 'e':
      case 'E':
      case 'f':
        this.fmtFloat(v, verb, 6);
        return;
      case 'F':
        this.fmtFloat(v, 'f', 6);
        return;
      default:
        this.badVerb(verb, new Float64(v));
    }
  }

  fmtFloat(v: number, verb: string, prec: number): void {
    if (this.f.precPresent) prec = this.f.prec;
    let num = formatFloat(v, verb, prec);
    if (num[0] !== '-' && num[0] !== '+') num = '+' + num;
    if (this.f.space && num[0] === '+' && !this.f.plus) num = ' ' + num.slice(1);
    if (num[1] === 'I' || num[1] === 'N') {
      const oldZero = this.f.zero;
      this.f.zero = false;
      if (num[1] === 'N' && !this.f.space && !this.f.plus) num = num.slice(1);
      this.pad(num);
      this.f.zero = oldZero;
      return;
    }
    if (this.f.sharp && verb !== 'b') num = sharpFloat(num, verb, prec);
    if (this.f.plus || num[0] !== '+') {
      if (this.f.zero && !this.f.minus && this.f.widPresent && this.f.wid > num.length) {
        this.buf += num[0];
        this.writePadding(this.f.wid - num.length);
        this.buf += num.slice(1);
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }

  // ---- composites ----

  fmtSlice(v: ArrayLike<unknown>, verb: string, depth: number): void {
    if (v instanceof Uint8Array && (verb === 's' || verb === 'q' || verb === 'x' || verb === 'X')) {
      if (verb === 'x' || verb === 'X') this.fmtSbx(v, verb === 'x' ? '0123456789abcdefx' : '0123456789ABCDEFX');
      else this.fmtString(fromUtf8(v), verb);
      return;
    }
    if (this.f.sharpV) {
      this.buf += typeName(v) + '{';
      for (let i = 0; i < v.length; i++) {
        if (i > 0) this.buf += ', ';
        this.printValue(v[i], verb, depth + 1);
      }
      this.buf += '}';
      return;
    }
    this.buf += '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) this.buf += ' ';
      this.printValue(v[i], verb, depth + 1);
    }
    this.buf += ']';
  }

  fmtMap(v: object, verb: string, depth: number): void {
    const entries = sortedMapEntries(v);
    if (this.f.sharpV) {
      this.buf += typeName(v) + '{';
      entries.forEach(([k, val], i) => {
        if (i > 0) this.buf += ', ';
        this.printValue(k, verb, depth + 1);
        this.buf += ':';
        this.printValue(val, verb, depth + 1);
      });
      this.buf += '}';
      return;
    }
    this.buf += 'map[';
    entries.forEach(([k, val], i) => {
      if (i > 0) this.buf += ' ';
      this.printValue(k, verb, depth + 1);
      this.buf += ':';
      this.printValue(val, verb, depth + 1);
    });
    this.buf += ']';
  }

  fmtStruct(v: object, verb: string, depth: number): void {
    if (this.f.sharpV) this.buf += typeName(v);
    this.buf += '{';
    structEntries(v).forEach(([name, val], i) => {
      if (i > 0) this.buf += this.f.sharpV ? ', ' : ' ';
      if (this.f.plusV || this.f.sharpV) this.buf += name + ':';
      this.printValue(val, verb, depth + 1);
    });
    this.buf += '}';
  }
}

function parseNum(s: string, start: number, end: number): [number, boolean, number] {
  if (start >= end) return [0, false, end];
  let num = 0;
  let isnum = false;
  let i = start;
  for (; i < end && s[i]! >= '0' && s[i]! <= '9'; i++) {
    if (num > TOO_LARGE) return [0, false, end];
    num = num * 10 + (s.charCodeAt(i) - 48);
    isnum = true;
  }
  return [num, isnum, i];
}

function parseArgNumber(format: string): [number, number, boolean] {
  if (format.length < 3) return [0, 1, false];
  for (let i = 1; i < format.length; i++) {
    if (format[i] === ']') {
      const [width, ok, newi] = parseNum(format, 1, i);
      if (!ok || newi !== i) return [0, i + 1, false];
      return [width - 1, i + 1, true];
    }
  }
  return [0, 1, false];
}

function intFromArg(a: readonly unknown[], argNum: number): [number, boolean, number] {
  let num = 0;
  let isInt = false;
  let newArgNum = argNum;
  if (argNum < a.length) {
    const arg = a[argNum];
    if (kindOf(arg) === 'int') {
      num = Number(arg as number | bigint);
      isInt = true;
    }
    newArgNum = argNum + 1;
    if (num > TOO_LARGE || num < -TOO_LARGE) {
      num = 0;
      isInt = false;
    }
  }
  return [num, isInt, newArgNum];
}

function truncateRunes(s: string, n: number): string {
  let i = 0;
  let out = '';
  for (const ch of s) {
    if (i++ >= n) break;
    out += ch;
  }
  return out;
}

function runeString(n: bigint): string {
  if (n < 0n || n > 0x10ffffn || (n >= 0xd800n && n <= 0xdfffn)) return '\ufffd';
  return String.fromCodePoint(Number(n));
}

// ---- strconv.Quote ----

// Built on first use: V8 resolves \p{...} classes when a regex literal is
// created, ~1-2 ms each, which every CLI start would pay at module load.
let printable: RegExp | undefined;

/** unicode.IsPrint (Go's definition: letters, marks, numbers, punctuation, symbols and the ASCII space). */
export function isPrint(cp: number): boolean {
  if (cp < 0x20 || cp === 0x7f) return false;
  if (cp < 0x7f) return true;
  printable ??= new RegExp('^[\\p{L}\\p{M}\\p{N}\\p{P}\\p{S} ]$', 'u');
  return printable.test(String.fromCodePoint(cp));
}

/** strconv.Quote (quote '"') or strconv.QuoteRune (quote "'"); asciiOnly as QuoteToASCII. */
export function quoteWith(s: string, quote: string, asciiOnly = false): string {
  let out = quote;
  for (const ch of s) {
    let cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // a lone surrogate is invalid UTF-8 in Go
    const c = String.fromCodePoint(cp);
    if (c === quote || c === '\\') {
      out += '\\' + c;
      continue;
    }
    if (asciiOnly ? cp < 0x80 && isPrint(cp) : isPrint(cp)) {
      out += c;
      continue;
    }
    switch (c) {
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + quote;
}

function canBackquote(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0xfeff) return false;
    if (ch === '`') return false;
    if (cp < 0x20 && ch !== '\t') return false;
    if (cp === 0x7f) return false;
  }
  return true;
}

// ---- strconv.FormatFloat ----

/** Decimal digits of a float: value = 0.digits × 10^dp; no leading or trailing zeros. */
interface Decimal {
  digits: string;
  dp: number;
}

/** The shortest digits that read back as v (what strconv's shortest mode and JS both pick). */
function shortestDecimal(v: number): Decimal {
  if (v === 0) return { digits: '', dp: 0 };
  const [mant, exp] = Math.abs(v).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '').replace(/0+$/, '');
  return { digits, dp: Number(exp) + 1 };
}

/** The exact decimal expansion of a double. */
function exactDecimal(v: number): Decimal {
  v = Math.abs(v);
  if (v === 0) return { digits: '', dp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const bits = view.getBigUint64(0);
  const biasedExp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let exp2: number;
  if (biasedExp === 0) exp2 = -1074;
  else {
    mant |= 1n << 52n;
    exp2 = biasedExp - 1075;
  }
  let digits: string;
  let dp: number;
  if (exp2 >= 0) {
    digits = (mant << BigInt(exp2)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-exp2)).toString();
    dp = digits.length + exp2;
  }
  const trimmed = digits.replace(/0+$/, '');
  return { digits: trimmed, dp };
}

/** Round to nd digits, halfway cases to even (strconv's decimal rounding). */
function roundDecimal(d: Decimal, nd: number): Decimal {
  if (nd < 0 || nd >= d.digits.length) return d;
  const next = d.digits.charCodeAt(nd) - 48;
  let up: boolean;
  if (next === 5 && nd + 1 === d.digits.length) up = nd > 0 && (d.digits.charCodeAt(nd - 1) - 48) % 2 === 1;
  else up = next >= 5;
  if (!up) return { digits: d.digits.slice(0, nd).replace(/0+$/, ''), dp: d.dp };
  let i = nd - 1;
  while (i >= 0 && d.digits[i] === '9') i--;
  if (i < 0) return { digits: '1', dp: d.dp + 1 };
  return { digits: d.digits.slice(0, i) + String.fromCharCode(d.digits.charCodeAt(i) + 1), dp: d.dp };
}

/** strconv.FormatFloat(v, fmt, prec, 64) for fmt in e E f g G x X. */
export function formatFloat(v: number, fmt: string, prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  if (fmt === 'x' || fmt === 'X') return (neg ? '-' : '') + fmtX(Math.abs(v), prec, fmt);
  const shortest = prec < 0;
  let digs: Decimal;
  if (shortest) {
    digs = shortestDecimal(v);
    switch (fmt) {
      case 'e':
      case 'E':
        prec = Math.max(digs.digits.length - 1, 0);
        break;
      case 'f':
        prec = Math.max(digs.digits.length - digs.dp, 0);
        break;
      case 'g':
      case 'G':
        prec = digs.digits.length;
        break;
    }
  } else {
    const exact = exactDecimal(v);
    switch (fmt) {
      case 'e':
      case 'E':
        digs = roundDecimal(exact, prec + 1);
        break;
      case 'f':
        digs = roundDecimal(exact, exact.dp + prec);
        break;
      default:
        if (prec === 0) prec = 1;
        digs = roundDecimal(exact, prec);
        break;
    }
  }
  const sign = neg ? '-' : '';
  switch (fmt) {
    case 'e':
    case 'E':
      return sign + fmtE(digs, prec, fmt);
    case 'f':
      return sign + fmtF(digs, prec);
    default: {
      let eprec = prec;
      if (eprec > digs.digits.length && digs.digits.length >= digs.dp) eprec = digs.digits.length;
      if (shortest) eprec = 6;
      const exp = digs.dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (prec > digs.digits.length) prec = digs.digits.length;
        return sign + fmtE(digs, prec - 1, fmt === 'g' ? 'e' : 'E');
      }
      if (prec > digs.dp) prec = digs.digits.length;
      return sign + fmtF(digs, Math.max(prec - digs.dp, 0));
    }
  }
}

function fmtE(d: Decimal, prec: number, fmt: string): string {
  let s = d.digits.length === 0 ? '0' : d.digits[0]!;
  if (prec > 0) {
    s += '.';
    let i = 1;
    const m = Math.min(d.digits.length, prec + 1);
    if (i < m) {
      s += d.digits.slice(i, m);
      i = m;
    }
    for (; i <= prec; i++) s += '0';
  }
  s += fmt;
  let exp = d.dp - 1;
  if (d.digits.length === 0) exp = 0;
  if (exp < 0) {
    s += '-';
    exp = -exp;
  } else s += '+';
  s += exp < 10 ? '0' + exp : String(exp);
  return s;
}

function fmtF(d: Decimal, prec: number): string {
  let s = '';
  if (d.dp > 0) {
    const m = Math.min(d.digits.length, d.dp);
    s += d.digits.slice(0, m);
    for (let i = m; i < d.dp; i++) s += '0';
  } else s = '0';
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) {
      const j = d.dp + i - 1;
      s += j >= 0 && j < d.digits.length ? d.digits[j] : '0';
    }
  }
  return s;
}

/** The '#' flag on floats: keep a decimal point, and for %g keep trailing zeros. */
function sharpFloat(num: string, verb: string, prec: number): string {
  let digits = 0;
  if (verb === 'v' || verb === 'g' || verb === 'G' || verb === 'x') {
    digits = prec;
    if (digits === -1) digits = 6;
  }
  let tail = '';
  let body = num;
  const e = body.search(verb === 'x' || verb === 'X' ? /[pP]/ : /[eEpP]/);
  if (e >= 0) {
    tail = body.slice(e);
    body = body.slice(0, e);
  }
  let hasDecimalPoint = false;
  let sawNonzeroDigit = false;
  for (let i = 1; i < body.length; i++) {
    const c = body[i]!;
    if (c === '.') {
      hasDecimalPoint = true;
      continue;
    }
    if (c !== '0') sawNonzeroDigit = true;
    if (sawNonzeroDigit) digits--;
  }
  if (!hasDecimalPoint) {
    if (body.length === 2 && body[1] === '0') digits--;
    body += '.';
  }
  while (digits > 0) {
    body += '0';
    digits--;
  }
  return body + tail;
}

/** Hexadecimal float, -0x1.23abcp+20 (strconv's 'x' format). */
function fmtX(v: number, prec: number, fmt: string): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const bits = view.getBigUint64(0);
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  if (exp === 0) exp++;
  else mant |= 1n << 52n;
  exp -= 1023;
  if (mant === 0n) exp = 0;
  const top = 1n << 60n;
  mant <<= 60n - 52n;
  while (mant !== 0n && (mant & top) === 0n) {
    mant <<= 1n;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & (top - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      exp++;
    }
  }
  const hex = fmt === 'X' ? '0123456789ABCDEF' : '0123456789abcdef';
  let s = '0' + fmt + String((mant >> 60n) & 1n);
  mant = (mant << 4n) & ((1n << 64n) - 1n);
  if (prec < 0 && mant !== 0n) {
    s += '.';
    while (mant !== 0n) {
      s += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & ((1n << 64n) - 1n);
    }
  } else if (prec > 0) {
    s += '.';
    for (let i = 0; i < prec; i++) {
      s += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & ((1n << 64n) - 1n);
    }
  }
  s += fmt === 'X' ? 'P' : 'p';
  if (exp < 0) {
    s += '-';
    exp = -exp;
  } else s += '+';
  s += exp < 10 ? '0' + exp : String(exp);
  return s;
}

/** time.Time's String() for a UTC time: 2006-01-02 15:04:05.999999999 +0000 UTC */
export function goTimeString(d: Date): string {
  if (Number.isNaN(d.getTime())) return '0001-01-01 00:00:00 +0000 UTC';
  const iso = d.toISOString(); // 2024-01-02T03:04:05.120Z
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? '.' + frac : ''} +0000 UTC`;
}
