// Go's encoding/json as docker's `json` template function uses it
// (json.NewEncoder with SetEscapeHTML(false), trailing newline trimmed):
// maps with sorted keys, structs in field order, U+2028/U+2029 escaped,
// NaN/Inf unsupported (the function then yields "").

import {
  Float64,
  NilPointer,
  compareKeys,
  findMethod,
  kindOf,
  numberValue,
  objectMark,
  sortedMapEntries,
  structEntries,
} from './values.js';

class UnsupportedValue extends Error {}

/**
 * The JSON text Go's encoder writes for v, or undefined where Go's encoder
 * fails. `escapeHTML` as json.Marshal does (docker's json function turns it off).
 */
export function goJSON(v: unknown, options: { escapeHTML?: boolean } = {}): string | undefined {
  let text: string;
  try {
    text = encode(v, new Set());
  } catch (e) {
    if (e instanceof UnsupportedValue) return undefined;
    throw e;
  }
  // <, > and & occur in JSON text only inside strings
  if (options.escapeHTML) text = text.replace(/[<>&]/g, (c) => (c === '<' ? '\\u003c' : c === '>' ? '\\u003e' : '\\u0026'));
  return text;
}

function encode(v: unknown, seen: Set<object>): string {
  if (v === undefined || v === null || v instanceof NilPointer) return 'null';
  switch (typeof v) {
    case 'string':
      return encodeString(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'number':
      return encodeNumber(v, Number.isInteger(v));
    case 'function':
      throw new UnsupportedValue('json: unsupported type: func()');
    default:
      break;
  }
  if (v instanceof Float64) return encodeNumber(v.value, false);
  const obj = v as object;
  if (seen.has(obj)) throw new UnsupportedValue('json: unsupported value: encountered a cycle');
  seen.add(obj);
  try {
    const marshal = findMethod(obj, 'MarshalJSON');
    if (marshal && marshal.length === 0) return encode(marshal.call(obj), seen);
    if (obj instanceof Uint8Array) return encodeString(Buffer.from(obj).toString('base64'));
    if (Array.isArray(obj)) return '[' + obj.map((e) => encode(e, seen)).join(',') + ']';
    // time.Time marshals as RFC 3339 with nanoseconds, trailing zeros dropped
    if (obj instanceof Date) return encodeString(obj.toISOString().replace(/\.?0+Z$/, 'Z'));
    const kind = kindOf(obj);
    if (kind === 'map') {
      const parts: string[] = [];
      for (const [k, value] of mapEntriesForJSON(obj)) {
        const key = typeof k === 'string' ? k : String(numberValue(k));
        parts.push(encodeString(key) + ':' + encode(value, seen));
      }
      return '{' + parts.join(',') + '}';
    }
    const parts = structEntries(obj).map(([k, val]) => encodeString(k) + ':' + encode(val, seen));
    return '{' + parts.join(',') + '}';
  } finally {
    seen.delete(obj);
  }
}

function encodeNumber(n: number, integral: boolean): string {
  if (!Number.isFinite(n)) throw new UnsupportedValue('json: unsupported value');
  if (integral && Math.abs(n) < 1e21) return Object.is(n, -0) ? '0' : BigInt(n).toString();
  if (Object.is(n, -0)) return '-0';
  // Go's float encoding: %f unless |n| < 1e-6 or >= 1e21, then %e with a short
  // exponent — the same text as JS's Number#toString.
  return String(n);
}

/** A JSON string as Go writes it without HTML escaping. */
export function encodeString(s: string): string {
  // Lone surrogates cannot be UTF-8; Go would see U+FFFD there.
  const wellFormed = s.toWellFormed();
  return JSON.stringify(wellFormed).replace(/[\u2028\u2029]/g, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
}

/**
 * A map's entries in sorted key order. On a plain object, a function taking
 * no arguments is marshalled as its result: docker's formatter contexts
 * marshal their niladic methods that way (formatter.MarshalJSON).
 */
function mapEntriesForJSON(obj: object): [unknown, unknown][] {
  if (obj instanceof Map || objectMark(obj)) return sortedMapEntries(obj);
  const entries: [unknown, unknown][] = [];
  for (const k of Object.keys(obj)) {
    let value = (obj as Record<string, unknown>)[k];
    if (typeof value === 'function') {
      if (value.length !== 0) continue;
      value = (value as () => unknown).call(obj);
    }
    if (value !== undefined) entries.push([k, value]);
  }
  return entries.sort((a, b) => compareKeys(a[0], b[0]));
}
