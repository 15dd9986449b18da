// .dockerignore reading and matching with docker's semantics: the file
// format of moby/patternmatcher/ignorefile and the matcher of
// moby/patternmatcher (used by the docker CLI, the classic builder and
// BuildKit alike). Tested against moby's own test tables in
// test/unit/build/dockerignore.test.ts.
//
// Pattern language: Go's filepath.Match (`*` and `?` never cross `/`,
// `[...]`/`[^...]` classes, `\` escapes) plus `**` for any number of
// directories; other regex characters are literal. A pattern also matches
// everything below a matched directory. `!pattern` re-includes; later
// patterns win.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '../common/errors.js';
import { cleanPath } from '../common/go-path.js';

// ---------------------------------------------------------------------------
// Go's path helpers (slash-separated, as on Linux)

/** Go's filepath.Dir. */
function dirName(p: string): string {
  const slash = p.lastIndexOf('/');
  return cleanPath(slash < 0 ? '' : p.slice(0, slash + 1));
}

const goSpace = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;
const trimSpace = (s: string): string => s.replace(goSpace, '');

/** Go's path/filepath.ErrBadPattern, which docker reports as is. */
export class BadPatternError extends Error {
  constructor() {
    super('syntax error in pattern');
    this.name = 'BadPatternError';
  }
}

// ---------------------------------------------------------------------------
// The ignore file

/**
 * Parses .dockerignore content (ignorefile.ReadAll): a UTF-8 BOM is
 * dropped; lines starting with `#` in the first column are comments;
 * blanks around each pattern are trimmed; empty lines skipped; each pattern
 * (after an optional `!`) is cleaned like a path and a leading `/` dropped.
 */
export function parseIgnoreFile(content: string): string[] {
  const patterns: string[] = [];
  const lines = content.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((rawLine, i) => {
    let line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (i === 0 && line.startsWith('\ufeff')) line = line.slice(1);
    if (line.startsWith('#')) return;
    let pattern = trimSpace(line);
    if (pattern === '') return;
    const invert = pattern.startsWith('!');
    if (invert) pattern = trimSpace(pattern.slice(1));
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    patterns.push(invert ? '!' + pattern : pattern);
  });
  return patterns;
}

export interface IgnoreFile {
  /** The file read, or undefined when there is none. */
  path: string | undefined;
  patterns: string[];
}

/**
 * Reads the ignore file that applies to a build: `<Dockerfile>.dockerignore`
 * next to the Dockerfile when it exists (BuildKit's Dockerfile-specific
 * ignore file), else `.dockerignore` at the context root. dockerfilePath is
 * absolute or relative to the working directory, as `docker build -f` takes
 * it; it defaults to `<contextDir>/Dockerfile`; `-` (stdin) has no own file.
 */
export async function readIgnoreFile(contextDir: string, dockerfilePath?: string): Promise<IgnoreFile> {
  const candidates: string[] = [];
  if (dockerfilePath !== '-') {
    const dockerfile = path.resolve(dockerfilePath ?? path.join(contextDir, 'Dockerfile'));
    candidates.push(dockerfile + '.dockerignore');
  }
  candidates.push(path.join(path.resolve(contextDir), '.dockerignore'));
  for (const candidate of candidates) {
    let content: string;
    try {
      content = await readFile(candidate, 'utf8');
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw err;
    }
    return { path: candidate, patterns: parseIgnoreFile(content) };
  }
  return { path: undefined, patterns: [] };
}

/**
 * The docker CLI never leaves the Dockerfile or .dockerignore out of the
 * context it sends: if the patterns would exclude them, exceptions are
 * appended (cli/command/image/build TrimBuildFilesFromExcludes).
 */
export function keepBuildFiles(patterns: readonly string[], dockerfileRelPath: string, dockerfileFromStdin = false): string[] {
  // Docker ignores pattern errors here (they surface when the context is walked).
  const excluded = (file: string, list: readonly string[]): boolean => {
    try {
      return matchesOrParentMatches(file, list);
    } catch {
      return false;
    }
  };
  const result = [...patterns];
  if (excluded('.dockerignore', result)) result.push('!.dockerignore');
  const dockerfile = dockerfileRelPath.replaceAll('\\', '/');
  if (excluded(dockerfile, result) && !dockerfileFromStdin) result.push('!' + dockerfile);
  return result;
}

// ---------------------------------------------------------------------------
// Patterns

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

/** One cleaned pattern of a matcher. */
export class Pattern {
  /** The pattern after cleaning, without its `!`. */
  readonly cleaned: string;
  /** True for a `!` exception. */
  readonly exclusion: boolean;
  /** The cleaned pattern's path elements. */
  readonly dirs: string[];
  private compiled: { type: MatchType; regexp?: RegExp; bad?: boolean } | undefined;

  constructor(cleaned: string, exclusion: boolean) {
    this.cleaned = cleaned;
    this.exclusion = exclusion;
    this.dirs = cleaned.split('/');
  }

  toString(): string {
    return this.cleaned;
  }

  /** Whether path (slash-separated, relative) matches this pattern exactly. */
  match(file: string): boolean {
    const c = (this.compiled ??= compilePattern(this.cleaned));
    if (c.bad) throw new BadPatternError();
    switch (c.type) {
      case 'exact':
        return file === this.cleaned;
      case 'prefix':
        return file.startsWith(this.cleaned.slice(0, -2));
      case 'suffix': {
        const suffix = this.cleaned.slice(2);
        if (file.endsWith(suffix)) return true;
        // `**/foo` also matches "foo" itself.
        return suffix.startsWith('/') && file === suffix.slice(1);
      }
      case 'regexp':
        return c.regexp!.test(file);
    }
  }
}

/**
 * Turns a cleaned pattern into a matcher, choosing as moby does between an
 * exact comparison, a prefix (`dir/**`), a suffix (`**` + literal) and a
 * regular expression.
 */
function compilePattern(pattern: string): { type: MatchType; regexp?: RegExp; bad?: boolean } {
  const chars = [...pattern];
  let re = '^';
  let type: MatchType = 'exact';
  let first = true;
  for (let i = 0; i < chars.length; i++, first = false) {
    const ch = chars[i]!;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i++;
        // `**/` is the same as `**`.
        if (chars[i + 1] === '/') i++;
        if (i + 1 >= chars.length) {
          // `**` at the end matches everything, as in .gitignore.
          if (type === 'exact') type = 'prefix';
          else {
            re += '[^\\n]*';
            type = 'regexp';
          }
        } else {
          // Any number of directories, none included.
          re += '(?:[^\\n]*/)?';
          type = 'regexp';
        }
        if (first) type = 'suffix';
      } else {
        re += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      type = 'regexp';
    } else if (ch === '\\') {
      if (i + 1 < chars.length) {
        i++;
        re += escapeRegExpChar(chars[i]!);
        type = 'regexp';
      } else {
        re += '\\\\';
      }
    } else if (ch === '[') {
      const end = parseClass(chars, i);
      if (end.bad) return { type: 'regexp', bad: true };
      re += end.source;
      i = end.end;
      type = 'regexp';
    } else {
      re += escapeRegExpChar(ch);
    }
  }
  if (type !== 'regexp') return { type };
  try {
    return { type, regexp: new RegExp(re + '$', 'u') };
  } catch {
    return { type, bad: true };
  }
}

function escapeRegExpChar(ch: string): string {
  return /^[\\^$.*+?()[\]{}|/]$/.test(ch) ? '\\' + ch : ch;
}

function classChar(ch: string): string {
  return /^[\\\]^[-]$/.test(ch) ? '\\' + ch : ch;
}

/**
 * A `[...]` class starting at chars[start]: `[^...]` negates, ranges
 * `a-z`, `\` escapes. A range whose ends are out of order is a bad pattern
 * at match time (Go's regexp rejects it), as in docker.
 */
function parseClass(chars: string[], start: number): { source: string; end: number; bad?: boolean } {
  let i = start + 1;
  let source = '[';
  if (chars[i] === '^') {
    source += '^';
    i++;
  }
  let ranges = 0;
  for (;;) {
    if (chars[i] === ']' && ranges > 0) return { source: source + ']', end: i };
    const lo = classMember(chars, i);
    if (!lo) return { source, end: i, bad: true };
    i = lo.next;
    if (chars[i] === '-') {
      const hi = classMember(chars, i + 1);
      if (!hi) return { source, end: i, bad: true };
      if (hi.ch.codePointAt(0)! < lo.ch.codePointAt(0)!) return { source, end: i, bad: true };
      source += classChar(lo.ch) + '-' + classChar(hi.ch);
      i = hi.next;
    } else {
      source += classChar(lo.ch);
    }
    ranges++;
  }
}

function classMember(chars: string[], i: number): { ch: string; next: number } | undefined {
  let ch = chars[i];
  if (ch === undefined || ch === '-' || ch === ']') return undefined;
  if (ch === '\\') {
    i++;
    ch = chars[i];
    if (ch === undefined) return undefined;
  }
  if (i + 1 >= chars.length) return undefined;
  return { ch, next: i + 1 };
}

/** Go's filepath.Match syntax check: a pattern docker refuses up front. */
function validatePattern(pattern: string): boolean {
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '\\') {
      if (i + 1 >= chars.length) return false;
      i++;
    } else if (ch === '[') {
      let j = i + 1;
      if (chars[j] === '^') j++;
      let ranges = 0;
      for (;;) {
        if (chars[j] === ']' && ranges > 0) break;
        const lo = classMember(chars, j);
        if (!lo) return false;
        j = lo.next;
        if (chars[j] === '-') {
          const hi = classMember(chars, j + 1);
          if (!hi) return false;
          j = hi.next;
        }
        ranges++;
      }
      i = j;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// The matcher

/** Per-pattern results for a directory, passed down to its children. */
export interface MatchInfo {
  readonly parentMatched: readonly boolean[];
}

export class PatternMatcher {
  readonly patterns: Pattern[] = [];
  /** True when any pattern is a `!` exception. */
  readonly hasExclusions: boolean;

  /**
   * Cleans and checks the patterns (patternmatcher.New). Throws
   * `illegal exclusion pattern: "!"` or BadPatternError.
   */
  constructor(patterns: readonly string[]) {
    let exclusions = false;
    for (const raw of patterns) {
      let p = trimSpace(raw);
      if (p === '') continue;
      p = cleanPath(p);
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw new Error('illegal exclusion pattern: "!"');
        exclusion = true;
        exclusions = true;
        p = p.slice(1);
      }
      if (!validatePattern(p)) throw new BadPatternError();
      this.patterns.push(new Pattern(p, exclusion));
    }
    this.hasExclusions = exclusions;
  }

  /**
   * Whether file is excluded: it or one of its parent directories matches
   * a pattern, and no later exception re-includes it
   * (MatchesOrParentMatches). file is slash-separated, relative.
   */
  matchesOrParentMatches(file: string): boolean {
    let matched = false;
    const parent = dirName(file);
    const parentDirs = parent.split('/');
    for (const pattern of this.patterns) {
      // An inclusion that already matched, or an exception with nothing to undo, changes nothing.
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      if (!match && parent !== '.') {
        for (let i = 0; i < parentDirs.length && !match; i++) {
          match = pattern.match(parentDirs.slice(0, i + 1).join('/'));
        }
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /** Whether file itself matches, parents not considered (MatchesExact). */
  matchesExact(file: string): boolean {
    let matched = false;
    for (const pattern of this.patterns) {
      if (pattern.exclusion !== matched) continue;
      if (pattern.match(file)) matched = !pattern.exclusion;
    }
    return matched;
  }

  /**
   * docker's older (deprecated, still used by the CLI for the build files)
   * Matches: it checks only the parent prefix as deep as each pattern.
   */
  matchesLegacy(file: string): boolean {
    let matched = false;
    const parent = dirName(file);
    const parentDirs = parent.split('/');
    for (const pattern of this.patterns) {
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      if (!match && parent !== '.' && pattern.dirs.length <= parentDirs.length) {
        match = pattern.match(parentDirs.slice(0, pattern.dirs.length).join('/'));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /**
   * The walker's form (MatchesUsingParentResults): pass the MatchInfo
   * returned for the parent directory (or none at the top) and keep the
   * returned one for the children of a directory.
   */
  matchesUsingParentResults(file: string, parentInfo?: MatchInfo): { matched: boolean; info: MatchInfo } {
    const parentMatched = parentInfo?.parentMatched ?? [];
    if (parentMatched.length !== 0 && parentMatched.length !== this.patterns.length) {
      throw new Error('wrong number of values in parentMatched');
    }
    let matched = false;
    const results: boolean[] = new Array<boolean>(this.patterns.length).fill(false);
    this.patterns.forEach((pattern, i) => {
      let match = parentMatched.length !== 0 ? parentMatched[i]! : false;
      if (!match) {
        if (pattern.exclusion !== matched) return;
        match = pattern.match(file);
        if (!match && parentMatched.length === 0) {
          const parent = dirName(file);
          if (parent !== '.') {
            const dirs = parent.split('/');
            for (let j = 0; j < dirs.length && !match; j++) match = pattern.match(dirs.slice(0, j + 1).join('/'));
          }
        }
      }
      results[i] = match;
      if (match) matched = !pattern.exclusion;
    });
    return { matched, info: { parentMatched: results } };
  }

  /**
   * For a context walker: an excluded directory must still be walked when
   * an exception may re-include something inside it, i.e. some `!pattern`
   * starts with `dir/` (moby's archive walker). Otherwise it can be skipped
   * whole.
   */
  excludedDirNeedsWalk(dir: string): boolean {
    if (!this.hasExclusions) return false;
    const dirSlash = dir + '/';
    return this.patterns.some((p) => p.exclusion && (p.cleaned + '/').startsWith(dirSlash));
  }
}

/**
 * patternmatcher.MatchesOrParentMatches: whether file is excluded by
 * patterns. The context root (".") is never excluded.
 */
export function matchesOrParentMatches(file: string, patterns: readonly string[]): boolean {
  const matcher = new PatternMatcher(patterns);
  const cleaned = cleanPath(file);
  if (cleaned === '.') return false;
  return matcher.matchesOrParentMatches(cleaned);
}

/** patternmatcher.Matches (the legacy parent check). The context root is never excluded. */
export function matches(file: string, patterns: readonly string[]): boolean {
  const matcher = new PatternMatcher(patterns);
  const cleaned = cleanPath(file);
  if (cleaned === '.') return false;
  return matcher.matchesLegacy(cleaned);
}
