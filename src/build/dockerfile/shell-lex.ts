// The shell-word lexer docker applies to Dockerfile instruction arguments:
// quote removal, escapes and $VAR / ${VAR...} substitution, optionally split
// into words. Behaviour follows BuildKit's frontend/dockerfile/shell (the
// classic builder vendors the same package): see the envVarTest/wordsTest
// tables reproduced in test/unit/build/shell-lex.test.ts.
//
// Supported substitutions (exactly BuildKit's set): $v ${v} ${v:-w} ${v-w}
// ${v:+w} ${v+w} ${v:?msg} ${v?msg} ${v#p} ${v##p} ${v%p} ${v%%p}
// ${v/p/r} ${v//p/r}. `${v:=w}` and other modifiers are errors.

import { invalidParameter, type EngineError } from '../../common/errors.js';
import { goQuote, isGoSpace } from './go-compat.js';

/** Variables visible to an expansion: a map, a record, or docker's "k=v" list (last wins). */
export type EnvSource = ReadonlyMap<string, string> | Readonly<Record<string, string>> | readonly string[];

export interface EnvGetter {
  /** The value, or undefined when the variable is not set at all. */
  get(name: string): string | undefined;
}

export function envGetter(source: EnvSource | EnvGetter): EnvGetter {
  if (isEnvGetter(source)) return source;
  if (source instanceof Map) return { get: (name) => source.get(name) };
  if (Array.isArray(source)) {
    const map = new Map<string, string>();
    for (const entry of source as readonly string[]) {
      const eq = entry.indexOf('=');
      if (eq < 0) map.set(entry, '');
      else map.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
    return { get: (name) => map.get(name) };
  }
  const record = source as Readonly<Record<string, string>>;
  return { get: (name) => (Object.hasOwn(record, name) ? record[name] : undefined) };
}

function isEnvGetter(value: unknown): value is EnvGetter {
  return typeof value === 'object' && value !== null && !(value instanceof Map) && !Array.isArray(value) &&
    typeof (value as { get?: unknown }).get === 'function';
}

export interface ShellLexOptions {
  /** The Dockerfile's escape token: `\` (default) or `` ` ``. */
  escapeToken?: string;
  /** Keep quote characters in the output (heredoc detection uses this). */
  rawQuotes?: boolean;
  /** Keep escape characters in the output. */
  rawEscapes?: boolean;
  /** Treat quotes as ordinary characters (heredoc bodies are expanded this way). */
  skipProcessQuotes?: boolean;
  /** Leave references to unset variables as written instead of expanding to "". */
  skipUnsetEnv?: boolean;
}

export interface ProcessWordResult {
  /** The expanded text with quotes removed, spacing kept (docker's ProcessWord). */
  result: string;
  /** The expanded text split into words after substitution (docker's ProcessWords). */
  words: string[];
  /** Variables referenced and found. */
  matched: Set<string>;
  /** Variables referenced but not set. */
  unmatched: Set<string>;
}

/** Thrown for malformed input; the message is docker's (`failed to process "x": ...`). */
export class ShellLexError extends Error {
  readonly detail: string;
  constructor(source: string, detail: string) {
    super(`failed to process ${goQuote(source)}: ${detail}`);
    this.name = 'ShellLexError';
    this.detail = detail;
  }
  toEngineError(): EngineError {
    return invalidParameter(this.message, this);
  }
}

class InnerError extends Error {}

const EOF = undefined;
type Char = string | undefined;

/** Accumulates words the way BuildKit's wordsStruct does (an empty quoted word is dropped). */
class WordCollector {
  private buf = '';
  private inWord = false;
  readonly words: string[] = [];
  addChar(ch: string): void {
    if (isGoSpace(ch)) {
      if (this.inWord && this.buf.length !== 0) {
        this.words.push(this.buf);
        this.buf = '';
        this.inWord = false;
      }
    } else {
      this.addRawChar(ch);
    }
  }
  addRawChar(ch: string): void {
    this.buf += ch;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }
  addRawString(s: string): void {
    this.buf += s;
    this.inWord = true;
  }
  finish(): string[] {
    if (this.buf.length > 0) {
      this.words.push(this.buf);
      this.buf = '';
      this.inWord = false;
    }
    return this.words;
  }
}

export class ShellLex {
  readonly escapeToken: string;
  readonly rawQuotes: boolean;
  readonly rawEscapes: boolean;
  readonly skipProcessQuotes: boolean;
  readonly skipUnsetEnv: boolean;

  constructor(options: ShellLexOptions = {}) {
    this.escapeToken = options.escapeToken ?? '\\';
    this.rawQuotes = options.rawQuotes ?? false;
    this.rawEscapes = options.rawEscapes ?? false;
    this.skipProcessQuotes = options.skipProcessQuotes ?? false;
    this.skipUnsetEnv = options.skipUnsetEnv ?? false;
  }

  /** docker's ProcessWord: expand and remove quotes, keep the spacing. */
  processWord(word: string, env: EnvSource | EnvGetter): string {
    return this.process(word, env).result;
  }

  /** docker's ProcessWords: expand, then split into words honouring quotes. */
  processWords(word: string, env: EnvSource | EnvGetter): string[] {
    return this.process(word, env).words;
  }

  process(word: string, env: EnvSource | EnvGetter): ProcessWordResult {
    const run = new LexRun(this, [...word], envGetter(env));
    try {
      const { result, words } = run.processStopOn(EOF, this.rawEscapes);
      return { result, words, matched: run.matched, unmatched: run.unmatched };
    } catch (err) {
      if (err instanceof InnerError) throw new ShellLexError(word, err.message);
      throw err;
    }
  }
}

class LexRun {
  private pos = 0;
  private rawEscapes: boolean;
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();

  constructor(
    private readonly lex: ShellLex,
    private readonly chars: string[],
    private readonly env: EnvGetter,
  ) {
    this.rawEscapes = lex.rawEscapes;
  }

  private peek(): Char {
    return this.chars[this.pos];
  }

  private next(): Char {
    const ch = this.chars[this.pos];
    if (ch !== EOF) this.pos++;
    return ch;
  }

  processStopOn(stopChar: Char, rawEscapes: boolean): { result: string; words: string[] } {
    const savedRaw = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      let result = '';
      const words = new WordCollector();
      for (;;) {
        const ch = this.peek();
        if (ch === EOF) break;
        if (stopChar !== EOF && ch === stopChar) {
          this.next();
          return { result, words: words.finish() };
        }
        if (ch === '$' || (!this.lex.skipProcessQuotes && (ch === "'" || ch === '"'))) {
          const text = ch === '$' ? this.processDollar() : ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
          result += text;
          if (ch === '$') words.addString(text);
          else words.addRawString(text);
          continue;
        }
        let c = this.next()!;
        if (c === this.lex.escapeToken) {
          if (this.rawEscapes) {
            words.addRawChar(c);
            result += c;
          }
          // An escape token escapes the next character, except at the very end.
          const escaped = this.next();
          if (escaped === EOF) break;
          c = escaped;
          words.addRawChar(c);
        } else {
          words.addChar(c);
        }
        result += c;
      }
      if (stopChar !== EOF) throw new InnerError(`unexpected end of statement while looking for matching ${stopChar}`);
      return { result, words: words.finish() };
    } finally {
      this.rawEscapes = savedRaw;
    }
  }

  private processSingleQuote(): string {
    // Everything up to the next ' is literal; a ' cannot be escaped inside.
    let result = '';
    const open = this.next()!;
    if (this.lex.rawQuotes) result += open;
    for (;;) {
      const ch = this.next();
      if (ch === EOF) throw new InnerError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.lex.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  private processDoubleQuote(): string {
    // Literal except $ substitutions; the escape token escapes only " $ and itself.
    let result = '';
    const open = this.next()!;
    if (this.lex.rawQuotes) result += open;
    for (;;) {
      const peeked = this.peek();
      if (peeked === EOF) throw new InnerError('unexpected end of statement while looking for matching double-quote');
      if (peeked === '"') {
        this.next();
        if (this.lex.rawQuotes) result += '"';
        return result;
      }
      if (peeked === '$') {
        result += this.processDollar();
        continue;
      }
      let ch = this.next()!;
      if (ch === this.lex.escapeToken) {
        if (this.rawEscapes) result += ch;
        const after = this.peek();
        if (after === EOF) continue;
        if (after === '"' || after === '$' || after === this.lex.escapeToken) ch = this.next()!;
      }
      result += ch;
    }
  }

  private processDollar(): string {
    this.next(); // the $
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return '$' + name;
      return value ?? '';
    }
    this.next(); // the {
    const first = this.peek();
    if (first === EOF) throw new InnerError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new InnerError('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.next();
    // Go turns scanner.EOF (-1) into U+FFFD when formatting it.
    let modifier = ch ?? '\ufffd';
    let nullIsUnset = false;
    if (ch === '}') {
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}}`;
      return value ?? '';
    }
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.next();
      modifier += ch ?? '\ufffd';
    } else if (ch === '/') {
      return this.processReplace(name);
    } else if (!(ch === '+' || ch === '-' || ch === '?' || ch === '#' || ch === '%')) {
      throw new InnerError(`unsupported modifier (${modifier}) in substitution`);
    }
    const patternModifier = ch === '#' || ch === '%';
    if (nullIsUnset && patternModifier) throw new InnerError(`unsupported modifier (${modifier}) in substitution`);
    let word: string;
    try {
      word = this.processStopOn('}', patternModifier).result;
    } catch (err) {
      if (err instanceof InnerError && this.peek() === EOF) throw new InnerError("syntax error: missing '}'");
      throw err;
    }
    const value = this.getEnv(name);
    if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}${modifier}${word}}`;
    const unset = value === undefined || (nullIsUnset && value === '');
    switch (ch) {
      case '-':
        return unset ? word : value!;
      case '+':
        return unset ? '' : word;
      case '?':
        if (value === undefined) throw new InnerError(`${name}: ${word !== '' ? word : 'is not allowed to be unset'}`);
        if (nullIsUnset && value === '') throw new InnerError(`${name}: ${word !== '' ? word : 'is not allowed to be empty'}`);
        return value;
      case '%':
      case '#': {
        // %/# remove the shortest match, %%/## the longest.
        let greedy = false;
        if (word.startsWith(ch)) {
          greedy = true;
          word = word.slice(1);
        }
        return ch === '%' ? trimSuffix(word, value ?? '', greedy) : trimPrefix(word, value ?? '', greedy);
      }
      default:
        throw new InnerError(`unsupported modifier (${modifier}) in substitution`);
    }
  }

  private processReplace(name: string): string {
    const replaceAll = this.peek() === '/';
    if (replaceAll) this.next();
    let pattern: string;
    try {
      pattern = this.processStopOn('/', true).result;
    } catch (err) {
      if (err instanceof InnerError && this.peek() === EOF) throw new InnerError("syntax error: missing '/' in ${}");
      throw err;
    }
    let replacement: string;
    try {
      replacement = this.processStopOn('}', true).result;
    } catch (err) {
      if (err instanceof InnerError && this.peek() === EOF) throw new InnerError("syntax error: missing '}'");
      throw err;
    }
    const value = this.getEnv(name);
    if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}/${pattern}/${replacement}}`;
    const re = shellPatternToRegExp(pattern, true, false);
    const subject = value ?? '';
    if (replaceAll) return goReplaceAll(re, subject, replacement);
    const m = re.exec(subject);
    if (!m) return subject;
    return subject.slice(0, m.index) + replacement + subject.slice(m.index + m[0].length);
  }

  private processName(): string {
    // A name is letters, digits and _; a leading digit run is a positional
    // parameter; a single special parameter character is a name on its own.
    let name = '';
    for (;;) {
      const ch = this.peek();
      if (ch === EOF) break;
      if (name === '' && isDigit(ch)) {
        while (this.peek() !== EOF && isDigit(this.peek()!)) name += this.next()!;
        return name;
      }
      if (name === '' && '@*#?-$!0'.includes(ch)) {
        this.next();
        return ch;
      }
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
      name += this.next()!;
    }
    return name;
  }

  private getEnv(name: string): string | undefined {
    const value = this.env.get(name);
    if (value === undefined) this.unmatched.add(name);
    else this.matched.add(name);
    return value;
  }
}

const letterRe = /^\p{L}$/u;
const digitRe = /^\p{Nd}$/u;
const isLetter = (ch: string): boolean => letterRe.test(ch);
const isDigit = (ch: string): boolean => digitRe.test(ch);

/**
 * BuildKit's convertShellPatternToRegex: `*` any string (shortest unless
 * greedy), `?` one character, `\` escapes `*` `?` `\`; `\}` and `\/` drop
 * the backslash; no bracket expressions. Throws InnerError for a bad escape.
 */
function shellPatternToRegExp(pattern: string, greedy: boolean, anchored: boolean): RegExp {
  const chars = [...pattern];
  let out = anchored ? '^' : '';
  const anyChar = '[^\\n]';
  for (let i = 0; i < chars.length; i++) {
    const tok = chars[i]!;
    if (tok === '*') {
      out += greedy ? anyChar + '*' : anyChar + '*?';
    } else if (tok === '?') {
      out += anyChar;
    } else if (tok === '\\') {
      const nextChar = chars[i + 1];
      if (nextChar === '}' || nextChar === '/') continue;
      i++;
      if (nextChar !== '*' && nextChar !== '?' && nextChar !== '\\') {
        throw new InnerError(
          `invalid pattern (${pattern}) in substitution: invalid escape '\\${nextChar ?? '\ufffd'}'`,
        );
      }
      out += '\\' + nextChar;
    } else if (/^[\^$.+()[\]{}|/]$/.test(tok)) {
      out += '\\' + tok;
    } else {
      out += tok;
    }
  }
  return new RegExp(out, 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const re = shellPatternToRegExp(pattern, greedy, true);
  const m = re.exec(value);
  return m ? value.slice(m.index + m[0].length) : value;
}

/** Reverse a pattern rune-wise, keeping each `\x` escape pair in order. */
function reversePattern(pattern: string): string {
  const runes = [...pattern];
  const out: string[] = new Array<string>(runes.length);
  const last = runes.length - 1;
  for (let i = 0; i <= last; ) {
    const tok = runes[i]!;
    const outIdx = last - i;
    if (tok === '\\' && i !== last) {
      out[outIdx - 1] = tok;
      out[outIdx] = runes[i + 1]!;
      i += 2;
    } else {
      out[outIdx] = tok;
      i++;
    }
  }
  return out.join('');
}

const reverseString = (s: string): string => [...s].reverse().join('');

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  // A regular expression cannot find the shortest rightmost match, so search
  // the reversed value with the reversed pattern instead.
  return reverseString(trimPrefix(reversePattern(pattern), reverseString(value), greedy));
}

/** Go's Regexp.ReplaceAllString with a literal replacement (empty matches next to a match are skipped). */
function goReplaceAll(re: RegExp, input: string, replacement: string): string {
  const global = new RegExp(re.source, 'gu');
  let out = '';
  let copyFrom = 0;
  let lastMatchEnd = -1;
  let searchFrom = 0;
  while (searchFrom <= input.length) {
    global.lastIndex = searchFrom;
    const m = global.exec(input);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    if (start === end && start === lastMatchEnd) {
      searchFrom = start + codePointWidth(input, start);
      continue;
    }
    out += input.slice(copyFrom, start) + replacement;
    copyFrom = end;
    lastMatchEnd = end;
    searchFrom = start === end ? start + codePointWidth(input, start) : end;
  }
  return out + input.slice(copyFrom);
}

function codePointWidth(s: string, index: number): number {
  if (index >= s.length) return 1;
  const code = s.codePointAt(index)!;
  return code > 0xffff ? 2 : 1;
}

/** Convenience: docker's ProcessWord with the given escape token. */
export function processWord(word: string, env: EnvSource | EnvGetter, escapeToken = '\\'): string {
  return new ShellLex({ escapeToken }).processWord(word, env);
}

/** Convenience: docker's ProcessWords with the given escape token. */
export function processWords(word: string, env: EnvSource | EnvGetter, escapeToken = '\\'): string[] {
  return new ShellLex({ escapeToken }).processWords(word, env);
}
