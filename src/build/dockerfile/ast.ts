// First stage of Dockerfile parsing: split the text into instructions
// (BuildKit's frontend/dockerfile/parser). Handles the BOM, parser
// directives, comments, line continuations with the escape token, heredoc
// bodies, and each instruction's argument splitting; it does not know what
// the arguments mean (instructions.ts does) and does no variable expansion.
//
// Behaviour notes (each checked against BuildKit and tested):
//  - a line is a comment when its first non-blank character is `#`; a `#`
//    anywhere else is literal;
//  - directives (`# syntax=`, `# escape=`, `# check=`, any case) count only
//    until the first line that is not one (an instruction, a comment, an
//    unknown directive, or an empty line);
//  - the escape token at the end of a line (optionally followed by blanks)
//    continues it, unless it is itself escaped; the first line's leading
//    blanks are dropped, continuation lines keep theirs; comment lines and
//    empty lines inside a continuation are skipped (empty ones draw the
//    NoEmptyContinuation warning);
//  - heredoc bodies follow the instruction line for RUN, COPY and ADD (also
//    under ONBUILD) in shell form, one body per `<<WORD` in order.

import { goQuote, goTrimLeftSpace, goTrimSpace, isGoSpace } from './go-compat.js';
import { lineError } from './errors.js';
import { ShellLex } from './shell-lex.js';

export type DirectiveName = 'syntax' | 'escape' | 'check';

export interface ParserDirective {
  /** Lower-cased directive name. */
  name: DirectiveName;
  value: string;
  /** 1-based source line. */
  line: number;
}

export interface Heredoc {
  /** The delimiter word with quotes removed (`<<"EOF"` gives EOF). */
  name: string;
  /** The file descriptor written before `<<` (`2<<EOF`), 0 when absent. */
  fileDescriptor: number;
  /** False when any part of the delimiter was quoted: the body is then taken literally. */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from the body lines and the terminator. */
  chomp: boolean;
  /** The body exactly as written, each line with its line ending. */
  content: string;
}

export interface KeyValueWord {
  /** Key as written (quotes and escapes still in; expansion removes them). */
  key: string;
  /** Value as written (quotes and escapes still in). */
  value: string;
  /** True for the legacy `ENV key value` form (no `=`). */
  noDelim: boolean;
}

/** One instruction as split by the parser (BuildKit's parser.Node). */
export interface AstNode {
  /** The instruction keyword as written (case kept). */
  keyword: string;
  /** The keyword lower-cased. */
  command: string;
  /** `--name=value` words before the arguments, quotes removed. */
  flags: string[];
  /** The argument text after the flags. */
  rest: string;
  /** The arguments as split by this instruction's line parser. */
  args: string[];
  /** ENV and LABEL: the key/value pairs. */
  pairs: KeyValueWord[];
  /** The arguments were a JSON array (exec form). */
  json: boolean;
  /** The logical line: continuations joined, comment lines dropped, heredoc bodies not included. */
  original: string;
  startLine: number;
  endLine: number;
  heredocs: Heredoc[];
  /** Comment lines directly above, `#` and surrounding blanks removed. */
  comments: string[];
  /** ONBUILD: the trigger instruction. */
  subcommand?: AstNode;
}

export interface ParseWarning {
  /** The BuildKit lint rule name. */
  rule: 'NoEmptyContinuation';
  /** BuildKit's one-line text: "Empty continuation line found in: RUN ..." */
  short: string;
  detail: string;
  url: string;
  /** 1-based last line of the instruction. */
  line: number;
}

export interface AstResult {
  nodes: AstNode[];
  directives: ParserDirective[];
  escapeToken: string;
  warnings: ParseWarning[];
}

const validDirectives = new Set<string>(['syntax', 'escape', 'check']);
const directiveRe = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const heredocRe = /^(\d*)<<(-?)([^<]*)$/;
// Go's reWhitespace: `[\t\v\f\r ]+`
const whitespaceRe = /[\t\v\f\r ]+/;
/** bufio.Scanner's default limit: a line of 64 KiB or more fails. */
const maxLineBytes = 64 * 1024;

const heredocCommands = new Set(['add', 'copy', 'run']);

class DirectiveState {
  escapeToken = '\\';
  continuationRe = continuationRegExp('\\');
  done = false;
  readonly seen = new Set<string>();
  readonly directives: ParserDirective[] = [];

  /** Looks at a line while directives are still allowed. */
  consider(token: string, line: number): void {
    if (this.done) return;
    const m = directiveRe.exec(token);
    if (!m) {
      this.done = true;
      return;
    }
    const name = m[1]!.toLowerCase();
    if (!validDirectives.has(name)) {
      this.done = true;
      return;
    }
    if (this.seen.has(name)) throw lineError(`only one ${name} parser directive can be used`, line);
    this.seen.add(name);
    const value = m[2]!;
    if (name === 'escape') {
      if (value !== '`' && value !== '\\') {
        throw lineError(`invalid escape token '${value}' does not match \` or \\`, line);
      }
      this.escapeToken = value;
      this.continuationRe = continuationRegExp(value);
    }
    this.directives.push({ name: name as DirectiveName, value, line });
  }
}

/** The escape token as the last non-blank character continues a line, unless it is escaped itself. */
function continuationRegExp(token: string): RegExp {
  const t = token === '\\' ? '\\\\' : token;
  return new RegExp(`([^${t}])${t}[ \\t]*$|^${t}[ \\t]*$`);
}

function trimNewline(s: string): string {
  let end = s.length;
  while (end > 0 && (s[end - 1] === '\n' || s[end - 1] === '\r')) end--;
  return s.slice(0, end);
}

function isComment(line: string): boolean {
  return goTrimLeftSpace(line).startsWith('#');
}

function isEmptyContinuationLine(line: string): boolean {
  return goTrimLeftSpace(trimNewline(line)).length === 0;
}

/** Splits into lines keeping each line's "\n", as BuildKit's scanner does. */
function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      lines.push(text.slice(start));
      break;
    }
    lines.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
  return lines;
}

/** Go's regexp.Split(s, 2) with reWhitespace: the text before the first blank run, and the rest. */
function splitFirstWhitespace(s: string): [string, string | undefined] {
  const m = whitespaceRe.exec(s);
  if (!m) return [s, undefined];
  return [s.slice(0, m.index), s.slice(m.index + m[0].length)];
}

/** Go's reWhitespace.Split(s, -1). */
function splitAllWhitespace(s: string): string[] {
  return s.split(/[\t\v\f\r ]+/);
}

/**
 * Parses the Dockerfile text into instruction nodes. Throws a
 * DockerfileParseError for the errors docker reports at this stage.
 */
export function parseAst(text: string): AstResult {
  const d = new DirectiveState();
  const lines = splitLines(text);
  const nodes: AstNode[] = [];
  const warnings: ParseWarning[] = [];
  let comments: string[] = [];
  let index = 0;
  let currentLine = 0;

  const nextLine = (): string | undefined => {
    if (index >= lines.length) return undefined;
    let raw = lines[index++]!;
    if (index === 1 && raw.startsWith('\ufeff')) raw = raw.slice(1);
    if (Buffer.byteLength(trimNewline(raw)) >= maxLineBytes) {
      throw lineError(`dockerfile line greater than max allowed size of ${maxLineBytes - 1}`, currentLine + 1);
    }
    return raw;
  };

  const processLine = (raw: string, stripLeft: boolean, lineNo: number): string => {
    let token = trimNewline(raw);
    if (stripLeft) token = goTrimLeftSpace(token);
    d.consider(token, lineNo);
    return isComment(token) ? '' : token;
  };

  const trimContinuation = (line: string): [string, boolean] => {
    if (d.continuationRe.test(line)) return [line.replace(d.continuationRe, '$1'), false];
    return [line, true];
  };

  for (;;) {
    const raw = nextLine();
    if (raw === undefined) break;
    if (isComment(raw)) {
      const comment = goTrimSpace(raw.slice(1));
      if (comment === '') comments = [];
      else comments.push(comment);
    }
    const processed = processLine(raw, true, currentLine + 1);
    currentLine++;
    const startLine = currentLine;
    let [line, isEndOfLine] = trimContinuation(processed);
    if (isEndOfLine && line === '') continue;

    let hasEmptyContinuationLine = false;
    while (!isEndOfLine) {
      const rawContinuation = nextLine();
      if (rawContinuation === undefined) break;
      const processedContinuation = processLine(rawContinuation, false, currentLine + 1);
      currentLine++;
      if (isComment(rawContinuation)) continue;
      if (isEmptyContinuationLine(processedContinuation)) {
        hasEmptyContinuationLine = true;
        continue;
      }
      const [part, end] = trimContinuation(processedContinuation);
      line += part;
      isEndOfLine = end;
    }

    if (hasEmptyContinuationLine) {
      warnings.push({
        rule: 'NoEmptyContinuation',
        short: 'Empty continuation line found in: ' + line,
        detail: 'Empty continuation lines will become errors in a future release',
        url: 'https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/',
        line: currentLine,
      });
    }

    let node: AstNode;
    try {
      node = nodeFromLine(line, d.escapeToken, comments);
    } catch (err) {
      if (err instanceof LineReason) throw lineError(err.message, startLine, currentLine);
      throw err;
    }

    if (canContainHeredoc(node) && line.includes('<<')) {
      let heredocs: Heredoc[];
      try {
        heredocs = heredocsFromLine(line);
      } catch (err) {
        throw lineError(err instanceof Error ? err.message : String(err), startLine, currentLine);
      }
      for (const heredoc of heredocs) {
        let terminated = false;
        for (;;) {
          const body = nextLine();
          if (body === undefined) break;
          currentLine++;
          let candidate = trimNewline(body);
          if (heredoc.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === heredoc.name) {
            terminated = true;
            break;
          }
          heredoc.content += body;
        }
        if (!terminated) throw lineError('unterminated heredoc', startLine, currentLine);
      }
      const target = node.command === 'onbuild' && node.subcommand ? node.subcommand : node;
      target.heredocs = heredocs;
      node.heredocs = heredocs;
    }

    node.startLine = startLine;
    node.endLine = currentLine;
    nodes.push(node);
    comments = [];
  }

  if (nodes.length === 0) throw lineError('file with no instructions', Math.max(currentLine, 1));
  return { nodes, directives: d.directives, escapeToken: d.escapeToken, warnings };
}

/** Error raised inside line parsing; parseAst attaches the lines. */
class LineReason extends Error {}

function canContainHeredoc(node: AstNode): boolean {
  const target = node.command === 'onbuild' && node.subcommand ? node.subcommand : node;
  return heredocCommands.has(target.command) && !target.json;
}

function nodeFromLine(line: string, escapeToken: string, comments: string[]): AstNode {
  const [keyword, flags, rest] = splitCommand(line);
  const command = keyword.toLowerCase();
  const node: AstNode = {
    keyword,
    command,
    flags,
    rest,
    args: [],
    pairs: [],
    json: false,
    original: line,
    startLine: 0,
    endLine: 0,
    heredocs: [],
    comments: [...comments],
  };
  switch (command) {
    case 'add':
    case 'copy':
    case 'volume':
      parseMaybeJSONToList(node, rest);
      break;
    case 'cmd':
    case 'entrypoint':
    case 'run':
    case 'shell':
      parseMaybeJSON(node, rest);
      break;
    case 'arg':
      node.args = parseWords(rest, escapeToken);
      break;
    case 'env':
      node.pairs = parseNameVal(rest, 'ENV', escapeToken);
      node.args = node.pairs.flatMap((p) => [p.key, p.value]);
      break;
    case 'label':
      node.pairs = parseNameVal(rest, 'LABEL', escapeToken);
      node.args = node.pairs.flatMap((p) => [p.key, p.value]);
      break;
    case 'expose':
    case 'from':
      node.args = rest === '' ? [] : splitAllWhitespace(rest);
      break;
    case 'healthcheck':
      parseHealthConfig(node, rest);
      break;
    case 'maintainer':
    case 'stopsignal':
    case 'user':
    case 'workdir':
      node.args = rest === '' ? [] : [rest];
      break;
    case 'onbuild':
      if (rest !== '') {
        node.subcommand = nodeFromLine(rest, escapeToken, []);
        node.args = [node.subcommand.keyword, ...node.subcommand.args];
      }
      break;
    default:
      // Unknown instructions are kept; typing them reports the error.
      break;
  }
  return node;
}

/** BuildKit's splitCommand: keyword, leading `--flags`, and the rest. */
function splitCommand(line: string): [string, string[], string] {
  const [keyword, after] = splitFirstWhitespace(goTrimSpace(line));
  if (after === undefined) return [keyword, [], ''];
  const [rest, flags] = extractBuilderFlags(after);
  return [keyword, flags, goTrimSpace(rest)];
}

/**
 * Collects the words starting with `--` at the front of the arguments; a
 * bare `--` ends them. Quotes are removed and `\` escapes the next
 * character (always backslash here, whatever the escape directive says).
 */
function extractBuilderFlags(line: string): [string, string[]] {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    const ch = pos < line.length ? line[pos]! : '';
    if (phase === 'spaces') {
      if (pos === line.length) break;
      if (isGoSpace(ch)) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') return [line.slice(pos), words];
      phase = 'word';
    }
    if (pos === line.length) {
      if (word !== '--' && (blankOK || word.length > 0)) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isGoSpace(ch)) {
        phase = 'spaces';
        if (word === '--') return [line.slice(pos), words];
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      let c = ch;
      if (c === '\\') {
        if (pos + 1 === line.length) continue;
        pos++;
        c = line[pos]!;
      }
      word += c;
      continue;
    }
    // inside quotes
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    let c = ch;
    if (c === '\\') {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      pos++;
      c = line[pos]!;
    }
    word += c;
  }
  return ['', words];
}

/**
 * Splits on blanks honouring quotes, keeping quotes and escapes in the
 * words (expansion removes them later). An escape token at the very end is
 * dropped.
 */
export function parseWords(rest: string, escapeToken: string): string[] {
  const chars = [...rest];
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= chars.length; pos++) {
    let ch = pos < chars.length ? chars[pos]! : '';
    if (phase === 'spaces') {
      if (pos === chars.length) break;
      if (isGoSpace(ch)) continue;
      phase = 'word';
    }
    if (pos === chars.length) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isGoSpace(ch)) {
        phase = 'spaces';
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escapeToken) {
        if (pos + 1 === chars.length) continue;
        // An escape outside quotes keeps itself and the next character, even a quote.
        word += ch;
        pos++;
        ch = chars[pos]!;
      }
      word += ch;
      continue;
    }
    if (ch === quote) phase = 'word';
    // The escape token escapes inside double quotes only.
    if (ch === escapeToken && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      pos++;
      word += ch;
      ch = chars[pos]!;
    }
    word += ch;
  }
  return words;
}

function parseNameVal(rest: string, key: string, escapeToken: string): KeyValueWord[] {
  const words = parseWords(rest, escapeToken);
  if (words.length === 0) return [];
  // The legacy form `KEY name value` is recognised by the first word lacking "=".
  if (!words[0]!.includes('=')) {
    const [name, value] = splitFirstWhitespace(rest);
    if (value === undefined) throw new LineReason(`${key} must have two arguments`);
    return [{ key: name, value, noDelim: true }];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) throw new LineReason(`Syntax error - can't find = in ${goQuote(word)}. Must be of the form: name=value`);
    return { key: word.slice(0, eq), value: word.slice(eq + 1), noDelim: false };
  });
}

const notStringArray = 'when using JSON array syntax, arrays must be comprised of strings only';

/** The exec form: a JSON array of strings. Anything that fails to parse is shell form. */
function parseJSON(rest: string): string[] | undefined {
  const trimmed = goTrimLeftSpace(rest);
  if (!trimmed.startsWith('[')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  const items: string[] = [];
  for (const item of value) {
    if (typeof item !== 'string') throw new LineReason(notStringArray);
    items.push(item);
  }
  return items;
}

function parseMaybeJSON(node: AstNode, rest: string): void {
  if (rest === '') return;
  const items = parseJSON(rest);
  if (items !== undefined) {
    node.args = items;
    node.json = true;
    return;
  }
  node.args = [rest];
}

function parseMaybeJSONToList(node: AstNode, rest: string): void {
  const items = parseJSON(rest);
  if (items !== undefined) {
    node.args = items;
    node.json = true;
    return;
  }
  node.args = rest === '' ? [] : splitAllWhitespace(rest);
}

function parseHealthConfig(node: AstNode, rest: string): void {
  // The first word is the type (CMD or NONE); the remainder is like CMD's.
  let sep = 0;
  while (sep < rest.length && !isGoSpace(rest[sep]!)) sep++;
  let next = sep;
  while (next < rest.length && isGoSpace(rest[next]!)) next++;
  if (sep === 0) return;
  const typ = rest.slice(0, sep);
  const cmd: AstNode = { ...node, args: [], json: false };
  parseMaybeJSON(cmd, rest.slice(next));
  node.args = [typ, ...cmd.args];
  node.json = cmd.json;
}

/**
 * Finds the heredocs a line opens: every shell word of the form
 * `[n]<<[-]WORD`, in order (BuildKit lexes the whole line, keyword included).
 */
function heredocsFromLine(line: string): Heredoc[] {
  const lex = new ShellLex({ rawQuotes: true, rawEscapes: true, skipUnsetEnv: true });
  let words: string[];
  try {
    words = lex.processWords(line, []);
  } catch {
    words = [];
  }
  const docs: Heredoc[] = [];
  for (const word of words) {
    const heredoc = parseHeredocWord(word);
    if (heredoc) docs.push(heredoc);
  }
  return docs;
}

/**
 * BuildKit's ParseHeredoc: recognises `<<EOF`, `<<-EOF`, `2<<EOF`,
 * `<<"EOF"`, `<<'EOF'`; returns undefined for any other word.
 */
export function parseHeredocWord(src: string): Heredoc | undefined {
  const m = heredocRe.exec(src);
  if (!m) return undefined;
  const rest = m[3]!;
  if (rest === '') return undefined;
  // Lex the delimiter with and without quote removal: if the quote counts
  // differ, part of it was quoted and the body must not be expanded.
  const plain = new ShellLex({ skipUnsetEnv: true }).processWords(rest, []);
  if (plain.length !== 1) return undefined;
  const raw = new ShellLex({ skipUnsetEnv: true, rawQuotes: true }).processWords(rest, []);
  if (raw.length !== plain.length) {
    throw new LineReason(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  }
  const quoteCount = (s: string): number => [...s].filter((c) => c === '"' || c === "'").length;
  return {
    name: plain[0]!,
    fileDescriptor: m[1] === '' ? 0 : Number(m[1]),
    expand: quoteCount(plain[0]!) === quoteCount(raw[0]!),
    chomp: m[2] === '-',
    content: '',
  };
}

/** The heredoc body with `<<-` applied (leading tabs removed from every line). */
export function heredocData(heredoc: Heredoc): string {
  // Go's (?m)^ starts a line only after "\n", unlike JS's /m.
  return heredoc.chomp ? heredoc.content.replace(/(^|\n)\t+/g, '$1') : heredoc.content;
}
