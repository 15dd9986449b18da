// Lexer for Go's text/template syntax (https://pkg.go.dev/text/template):
// text and {{actions}}, trim markers "{{- " and " -}}", comments {{/* */}},
// and the tokens inside actions. Error texts are Go's.

import { quoteWith } from './gofmt.js';

export const enum Tok {
  Error,
  EOF,
  Text,
  LeftDelim,
  RightDelim,
  Space,
  Identifier,
  Field,
  Variable,
  Dot,
  Bool,
  Nil,
  Number,
  CharConstant,
  Complex,
  String,
  RawString,
  Char,
  Pipe,
  Declare,
  Assign,
  LeftParen,
  RightParen,
  // keywords
  Block,
  Break,
  Continue,
  Define,
  Else,
  End,
  If,
  Range,
  Template,
  With,
}

export interface Token {
  typ: Tok;
  val: string;
  /** Offset in the template text (UTF-16 index). */
  pos: number;
  line: number;
}

const KEYWORDS: Record<string, Tok> = {
  block: Tok.Block,
  break: Tok.Break,
  continue: Tok.Continue,
  define: Tok.Define,
  else: Tok.Else,
  end: Tok.End,
  if: Tok.If,
  range: Tok.Range,
  nil: Tok.Nil,
  template: Tok.Template,
  with: Tok.With,
};

/** Go lexes these as keywords; they print as <word> in messages. */
export function isKeyword(t: Tok): boolean {
  return t >= Tok.Block || t === Tok.Dot || t === Tok.Nil;
}

/** How Go prints a token in "unexpected X in Y" messages. */
export function tokenString(t: Token): string {
  if (t.typ === Tok.EOF) return 'EOF';
  if (t.typ === Tok.Error) return t.val;
  if (isKeyword(t.typ)) return `<${t.val}>`;
  const runes = [...t.val];
  if (runes.length > 10) return goQuote(runes.slice(0, 10).join('')) + '...';
  return goQuote(t.val);
}

/** %q of a string (strconv.Quote). */
function goQuote(s: string): string {
  return quoteWith(s, '"');
}

const LEFT = '{{';
const RIGHT = '}}';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isAlphaNumeric(c: string | undefined): boolean {
  if (c === undefined) return false;
  const cp = c.charCodeAt(0);
  if (cp < 0x80) return (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || cp === 0x5f;
  return /^[\p{L}\p{Nd}]$/u.test(c);
}

function isAsciiPrint(c: string): boolean {
  const cp = c.codePointAt(0)!;
  return cp >= 0x20 && cp < 0x7f;
}

/** %#U of a rune: U+0021 '!' */
function runeU(c: string): string {
  const cp = c.codePointAt(0)!;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(c) ? `U+${hex} '${c}'` : `U+${hex}`;
}

export interface LexOptions {
  breakOK: boolean;
  continueOK: boolean;
}

/** Splits the whole template into tokens up front (Go lexes lazily; the result is the same). */
export function lex(input: string, options: LexOptions): Token[] {
  const l = new Lexer(input, options);
  l.run();
  return l.items;
}

type StateFn = ((l: Lexer) => StateFn) | null;

class Lexer {
  items: Token[] = [];
  pos = 0;
  start = 0;
  line = 1;
  startLine = 1;
  parenDepth = 0;
  insideAction = false;

  constructor(
    readonly input: string,
    readonly options: LexOptions,
  ) {}

  run(): void {
    let state: StateFn = lexText;
    while (state) state = state(this);
  }

  next(): string | undefined {
    if (this.pos >= this.input.length) {
      this.pos = this.input.length + 1; // so that backup() returns to the end
      return undefined;
    }
    const cp = this.input.codePointAt(this.pos)!;
    const c = String.fromCodePoint(cp);
    this.pos += c.length;
    if (c === '\n') this.line++;
    return c;
  }

  peek(): string | undefined {
    if (this.pos >= this.input.length) return undefined;
    return String.fromCodePoint(this.input.codePointAt(this.pos)!);
  }

  backup(): void {
    if (this.pos > this.input.length) {
      this.pos = this.input.length;
      return;
    }
    if (this.pos <= 0) return;
    let n = 1;
    const lo = this.input.charCodeAt(this.pos - 1);
    if (lo >= 0xdc00 && lo <= 0xdfff && this.pos >= 2) {
      const hi = this.input.charCodeAt(this.pos - 2);
      if (hi >= 0xd800 && hi <= 0xdbff) n = 2;
    }
    this.pos -= n;
    if (this.input[this.pos] === '\n') this.line--;
  }

  emit(typ: Tok): void {
    this.items.push({ typ, val: this.input.slice(this.start, this.pos), pos: this.start, line: this.startLine });
    this.start = this.pos;
    this.startLine = this.line;
  }

  ignore(): void {
    this.line += countNewlines(this.input.slice(this.start, this.pos));
    this.start = this.pos;
    this.startLine = this.line;
  }

  accept(valid: string): boolean {
    const c = this.next();
    if (c !== undefined && valid.includes(c)) return true;
    this.backup();
    return false;
  }

  acceptRun(valid: string): void {
    for (;;) {
      const c = this.next();
      if (c === undefined || !valid.includes(c)) break;
    }
    this.backup();
  }

  errorf(message: string): StateFn {
    this.items.push({ typ: Tok.Error, val: message, pos: this.start, line: this.startLine });
    return null; // no further tokens
  }

  atRightDelim(): { delim: boolean; trimSpaces: boolean } {
    if (this.input.startsWith(RIGHT, this.pos)) return { delim: true, trimSpaces: false };
    if (hasRightTrimMarker(this.input, this.pos) && this.input.startsWith(RIGHT, this.pos + 2))
      return { delim: true, trimSpaces: true };
    return { delim: false, trimSpaces: false };
  }

  atTerminator(): boolean {
    const r = this.peek();
    if (isSpace(r)) return true;
    switch (r) {
      case undefined:
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(':
        return true;
    }
    return this.input.startsWith(RIGHT, this.pos);
  }

  scanNumber(): boolean {
    this.accept('+-');
    let digits = '0123456789_';
    if (this.accept('0')) {
      if (this.accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (this.accept('oO')) digits = '01234567_';
      else if (this.accept('bB')) digits = '01_';
    }
    this.acceptRun(digits);
    if (this.accept('.')) this.acceptRun(digits);
    if (digits.length === 11 && this.accept('eE')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    if (digits.length === 23 && this.accept('pP')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    this.accept('i');
    if (isAlphaNumeric(this.peek())) {
      this.next();
      return false;
    }
    return true;
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

function hasLeftTrimMarker(s: string, at: number): boolean {
  return s[at] === '-' && isSpace(s[at + 1]);
}

function hasRightTrimMarker(s: string, at: number): boolean {
  return isSpace(s[at]) && s[at + 1] === '-';
}

/** Length of the leading run of spaces. */
function leftTrimLength(s: string, at: number): number {
  let i = at;
  while (i < s.length && isSpace(s[i])) i++;
  return i - at;
}

function lexText(l: Lexer): StateFn {
  const x = l.input.indexOf(LEFT, l.pos);
  if (x >= 0) {
    let textEnd = x;
    if (hasLeftTrimMarker(l.input, x + LEFT.length)) {
      while (textEnd > l.pos && isSpace(l.input[textEnd - 1])) textEnd--;
    }
    l.pos = textEnd;
    l.line += countNewlines(l.input.slice(l.start, textEnd));
    if (textEnd > l.start) {
      l.items.push({ typ: Tok.Text, val: l.input.slice(l.start, textEnd), pos: l.start, line: l.startLine });
    }
    // skip the trimmed spaces
    l.line += countNewlines(l.input.slice(textEnd, x));
    l.pos = x;
    l.start = x;
    l.startLine = l.line;
    return lexLeftDelim;
  }
  l.pos = l.input.length;
  if (l.pos > l.start) {
    l.line += countNewlines(l.input.slice(l.start, l.pos));
    l.items.push({ typ: Tok.Text, val: l.input.slice(l.start, l.pos), pos: l.start, line: l.startLine });
    l.start = l.pos;
    l.startLine = l.line;
  }
  l.emit(Tok.EOF);
  return null;
}

function lexLeftDelim(l: Lexer): StateFn {
  l.pos += LEFT.length;
  const trimSpace = hasLeftTrimMarker(l.input, l.pos);
  const afterMarker = trimSpace ? 2 : 0;
  if (l.input.startsWith('/*', l.pos + afterMarker)) {
    l.pos += afterMarker;
    l.ignore();
    return lexComment;
  }
  l.emit(Tok.LeftDelim);
  l.pos += afterMarker;
  l.ignore();
  l.parenDepth = 0;
  return lexInsideAction;
}

function lexComment(l: Lexer): StateFn {
  l.pos += 2;
  const x = l.input.indexOf('*/', l.pos);
  if (x < 0) return l.errorf('unclosed comment');
  l.pos = x + 2;
  const { delim, trimSpaces } = l.atRightDelim();
  if (!delim) return l.errorf('comment ends before closing delimiter');
  if (trimSpaces) l.pos += 2;
  l.pos += RIGHT.length;
  if (trimSpaces) l.pos += leftTrimLength(l.input, l.pos);
  l.ignore();
  return lexText;
}

function lexRightDelim(l: Lexer): StateFn {
  const { trimSpaces } = l.atRightDelim();
  if (trimSpaces) {
    l.pos += 2;
    l.ignore();
  }
  l.pos += RIGHT.length;
  l.emit(Tok.RightDelim);
  if (trimSpaces) {
    l.pos += leftTrimLength(l.input, l.pos);
    l.ignore();
  }
  return lexText;
}

function lexInsideAction(l: Lexer): StateFn {
  const { delim } = l.atRightDelim();
  if (delim) {
    if (l.parenDepth === 0) return lexRightDelim;
    return l.errorf('unclosed left paren');
  }
  const r = l.next();
  if (r === undefined) return l.errorf('unclosed action');
  if (isSpace(r)) {
    l.backup();
    return lexSpace;
  }
  switch (r) {
    case '=':
      l.emit(Tok.Assign);
      return lexInsideAction;
    case ':':
      if (l.next() !== '=') return l.errorf('expected :=');
      l.emit(Tok.Declare);
      return lexInsideAction;
    case '|':
      l.emit(Tok.Pipe);
      return lexInsideAction;
    case '"':
      return lexQuote;
    case '`':
      return lexRawQuote;
    case '$':
      return lexVariable;
    case "'":
      return lexChar;
    case '.':
      if (l.pos < l.input.length) {
        const c = l.input[l.pos]!;
        if (c < '0' || c > '9') return lexField;
      }
      l.backup();
      return lexNumber;
    case '(':
      l.emit(Tok.LeftParen);
      l.parenDepth++;
      return lexInsideAction;
    case ')':
      l.parenDepth--;
      if (l.parenDepth < 0) return l.errorf('unexpected right paren');
      l.emit(Tok.RightParen);
      return lexInsideAction;
  }
  if (r === '+' || r === '-' || (r >= '0' && r <= '9')) {
    l.backup();
    return lexNumber;
  }
  if (isAlphaNumeric(r)) {
    l.backup();
    return lexIdentifier;
  }
  if (isAsciiPrint(r)) {
    l.emit(Tok.Char);
    return lexInsideAction;
  }
  return l.errorf(`unrecognized character in action: ${runeU(r)}`);
}

function lexSpace(l: Lexer): StateFn {
  let numSpaces = 0;
  for (;;) {
    const r = l.peek();
    if (!isSpace(r)) break;
    l.next();
    numSpaces++;
  }
  // A space followed by "-}}" belongs to the trim marker.
  if (hasRightTrimMarker(l.input, l.pos - 1) && l.input.startsWith(RIGHT, l.pos - 1 + 2)) {
    l.backup();
    if (numSpaces === 1) return lexInsideAction;
  }
  l.emit(Tok.Space);
  return lexInsideAction;
}

function lexIdentifier(l: Lexer): StateFn {
  for (;;) {
    const r = l.next();
    if (isAlphaNumeric(r)) continue;
    l.backup();
    const word = l.input.slice(l.start, l.pos);
    if (!l.atTerminator()) return l.errorf(`bad character ${runeU(r ?? '\0')}`);
    const kw = KEYWORDS[word];
    if (kw !== undefined && Object.hasOwn(KEYWORDS, word)) {
      if ((kw === Tok.Break && !l.options.breakOK) || (kw === Tok.Continue && !l.options.continueOK)) l.emit(Tok.Identifier);
      else l.emit(kw);
    } else if (word === 'true' || word === 'false') l.emit(Tok.Bool);
    else l.emit(Tok.Identifier);
    return lexInsideAction;
  }
}

function lexField(l: Lexer): StateFn {
  return lexFieldOrVariable(l, Tok.Field);
}

function lexVariable(l: Lexer): StateFn {
  if (l.atTerminator()) {
    l.emit(Tok.Variable);
    return lexInsideAction;
  }
  return lexFieldOrVariable(l, Tok.Variable);
}

function lexFieldOrVariable(l: Lexer, typ: Tok): StateFn {
  if (l.atTerminator()) {
    l.emit(typ === Tok.Variable ? Tok.Variable : Tok.Dot);
    return lexInsideAction;
  }
  let r: string | undefined;
  for (;;) {
    r = l.next();
    if (!isAlphaNumeric(r)) {
      l.backup();
      break;
    }
  }
  if (!l.atTerminator()) return l.errorf(`bad character ${runeU(r ?? '\0')}`);
  l.emit(typ);
  return lexInsideAction;
}

function lexChar(l: Lexer): StateFn {
  for (;;) {
    let r = l.next();
    if (r === '\\') {
      r = l.next();
      if (r !== undefined && r !== '\n') continue;
    }
    if (r === undefined || r === '\n') return l.errorf('unterminated character constant');
    if (r === "'") break;
  }
  l.emit(Tok.CharConstant);
  return lexInsideAction;
}

function lexNumber(l: Lexer): StateFn {
  if (!l.scanNumber()) return l.errorf(`bad number syntax: ${goQuote(l.input.slice(l.start, l.pos))}`);
  const sign = l.peek();
  if (sign === '+' || sign === '-') {
    if (!l.scanNumber() || l.input[l.pos - 1] !== 'i')
      return l.errorf(`bad number syntax: ${goQuote(l.input.slice(l.start, l.pos))}`);
    l.emit(Tok.Complex);
  } else l.emit(Tok.Number);
  return lexInsideAction;
}

function lexQuote(l: Lexer): StateFn {
  for (;;) {
    let r = l.next();
    if (r === '\\') {
      r = l.next();
      if (r !== undefined && r !== '\n') continue;
    }
    if (r === undefined || r === '\n') return l.errorf('unterminated quoted string');
    if (r === '"') break;
  }
  l.emit(Tok.String);
  return lexInsideAction;
}

function lexRawQuote(l: Lexer): StateFn {
  for (;;) {
    const r = l.next();
    if (r === undefined) return l.errorf('unterminated raw quoted string');
    if (r === '`') break;
  }
  l.emit(Tok.RawString);
  return lexInsideAction;
}
