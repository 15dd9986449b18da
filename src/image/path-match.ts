// Go's path.Match, which docker's `reference` filter uses (reference.FamiliarMatch):
// `*` any run of non-'/' characters, `?` one non-'/' character, `[...]`
// classes with ranges and `^` negation, `\` escapes.
import { invalidParameter } from '../common/errors.js';

export class BadPatternError extends Error {
  constructor() {
    super('syntax error in pattern');
  }
}

/** True when `name` matches the whole of `pattern`; throws BadPatternError on a malformed pattern. */
export function goPathMatch(pattern: string, name: string): boolean {
  return matchAt(pattern, 0, name, 0);
}

function matchAt(p: string, pi: number, s: string, si: number): boolean {
  while (pi < p.length) {
    const c = p[pi]!;
    if (c === '*') {
      // Collapse consecutive stars; a star never crosses '/'.
      while (pi < p.length && p[pi] === '*') pi++;
      if (pi === p.length) return !s.slice(si).includes('/');
      for (let k = si; k <= s.length; k++) {
        if (k > si && s[k - 1] === '/') break;
        if (matchAt(p, pi, s, k)) return true;
      }
      validateRest(p, pi);
      return false;
    }
    if (si >= s.length) {
      validateRest(p, pi);
      return false;
    }
    if (c === '?') {
      if (s[si] === '/') return false;
      pi++;
      si++;
      continue;
    }
    if (c === '[') {
      const { matched, next } = matchClass(p, pi, s[si]!);
      if (!matched) return false;
      pi = next;
      si++;
      continue;
    }
    if (c === '\\') {
      pi++;
      if (pi >= p.length) throw new BadPatternError();
    }
    if (p[pi] !== s[si]) return false;
    pi++;
    si++;
  }
  return si === s.length;
}

function validateRest(p: string, pi: number): void {
  // Go reports ErrBadPattern for a malformed rest of the pattern even on mismatch.
  for (let i = pi; i < p.length; i++) {
    if (p[i] === '\\') {
      i++;
      if (i >= p.length) throw new BadPatternError();
    } else if (p[i] === '[') {
      i = matchClass(p, i, '\0').next - 1;
    }
  }
}

function matchClass(p: string, start: number, ch: string): { matched: boolean; next: number } {
  let i = start + 1;
  let negated = false;
  if (p[i] === '^') {
    negated = true;
    i++;
  }
  let matched = false;
  let first = true;
  for (;;) {
    if (i >= p.length) throw new BadPatternError();
    if (p[i] === ']' && !first) {
      i++;
      break;
    }
    first = false;
    let lo = p[i]!;
    if (lo === '\\') {
      i++;
      if (i >= p.length) throw new BadPatternError();
      lo = p[i]!;
    } else if (lo === '-' || lo === ']') {
      throw new BadPatternError();
    }
    i++;
    let hi = lo;
    if (p[i] === '-') {
      i++;
      if (i >= p.length) throw new BadPatternError();
      hi = p[i]!;
      if (hi === '\\') {
        i++;
        if (i >= p.length) throw new BadPatternError();
        hi = p[i]!;
      } else if (hi === ']' || hi === '-') {
        throw new BadPatternError();
      }
      i++;
    }
    if (lo <= ch && ch <= hi) matched = true;
  }
  return { matched: matched !== negated && ch !== '/', next: i };
}

/** Match, turning a bad pattern into docker's 400. */
export function matchReferencePattern(pattern: string, candidate: string): boolean {
  try {
    return goPathMatch(pattern, candidate);
  } catch (err) {
    if (err instanceof BadPatternError) throw invalidParameter(err.message);
    throw err;
  }
}
