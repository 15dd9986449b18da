// Template functions: Go's text/template builtins (https://pkg.go.dev/text/template#hdr-Functions)
// and docker's additions (docker/cli templates/templates.go: json, split, join,
// title, lower, upper, pad, truncate, plus the HeaderFunctions variants used to
// render table headers). Error texts are Go's; the executor prefixes them with
// "error calling <name>: ".

import { goJSON } from './gojson.js';
import { isPrint, sprint, sprintf, sprintln } from './gofmt.js';
import {
  NilPointer,
  byteLength,
  compareStrings,
  fromUtf8,
  isTrue,
  kindOf,
  mapGet,
  mapSize,
  numberValue,
  objectMark,
  structEntries,
  typeName,
  utf8Bytes,
} from './values.js';

/**
 * Parameter types, as Go's reflection-based calls check them:
 * 'value' is reflect.Value (anything, missing values pass as missing),
 * 'any' is interface{} (a missing value becomes nil).
 */
export type ParamType = 'value' | 'any' | 'string' | 'int' | 'bool' | 'float' | '[]string';

export interface TemplateFunction {
  readonly params: readonly ParamType[];
  /** Element type of a trailing ...parameter. */
  readonly variadic?: ParamType;
  readonly call: (args: unknown[]) => unknown;
}

/** An error a function returns; execution stops with "error calling <name>: <message>". */
export class FuncError extends Error {}

export type FuncMap = Readonly<Record<string, TemplateFunction>>;

/** Wraps a plain JS function as a template function taking `fn.length` interface{} arguments. */
export function jsFunction(fn: (...args: never[]) => unknown): TemplateFunction {
  return { params: new Array<ParamType>(fn.length).fill('any'), call: (args) => (fn as (...a: unknown[]) => unknown)(...args) };
}

// ---- comparisons ----

type BasicKind = 'bool' | 'int' | 'float' | 'string';

function basicKind(v: unknown): BasicKind | undefined {
  const k = kindOf(v);
  return k === 'bool' || k === 'int' || k === 'float' || k === 'string' ? k : undefined;
}

const errBadComparisonType = 'invalid type for comparison';
const errBadComparison = 'incompatible types for comparison';
const errNoComparison = 'missing argument for comparison';

/** JS has one number type, so ints and floats compare by value (Go refuses to mix them). */
function numericKinds(k1: BasicKind | undefined, k2: BasicKind | undefined): boolean {
  return (k1 === 'int' || k1 === 'float') && (k2 === 'int' || k2 === 'float');
}

function numLess(a: unknown, b: unknown): boolean {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    if (kindOf(a) === 'int' && kindOf(b) === 'int') return BigInt(a as number | bigint) < BigInt(b as number | bigint);
  }
  return numberValue(a) < numberValue(b);
}

function numEqual(a: unknown, b: unknown): boolean {
  if (kindOf(a) === 'int' && kindOf(b) === 'int') return BigInt(a as number | bigint) === BigInt(b as number | bigint);
  return numberValue(a) === numberValue(b);
}

function isNilValue(v: unknown): boolean {
  return v === undefined || v === null || v instanceof NilPointer;
}

function comparable(v: unknown): boolean {
  const k = kindOf(v);
  if (k === 'slice' || k === 'map' || k === 'func') return false;
  if (k === 'struct') return structEntries(v as object).every(([, f]) => comparable(f));
  return true;
}

function deepEqual(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  if (ka !== kindOf(b)) return false;
  if (ka === 'int' || ka === 'float') return numEqual(a, b);
  if (ka === 'struct') {
    const ea = structEntries(a as object);
    const eb = structEntries(b as object);
    return ea.length === eb.length && ea.every(([k, v], i) => eb[i]![0] === k && deepEqual(v, eb[i]![1]));
  }
  return a === b;
}

export function eq(arg1: unknown, ...rest: unknown[]): boolean {
  if (arg1 === null) arg1 = undefined;
  if (rest.length === 0) throw new FuncError(errNoComparison);
  const k1 = basicKind(arg1);
  for (let arg of rest) {
    if (arg === null) arg = undefined;
    const k2 = basicKind(arg);
    let truth = false;
    if (k1 !== k2) {
      if (numericKinds(k1, k2)) truth = numEqual(arg1, arg);
      else if (arg1 !== undefined && arg !== undefined) throw new FuncError(errBadComparison);
    } else if (k1 === 'int' || k1 === 'float') truth = numEqual(arg1, arg);
    else if (k1 !== undefined) truth = arg1 === arg;
    else {
      if (isNilValue(arg1) || isNilValue(arg)) truth = isNilValue(arg1) === isNilValue(arg);
      else {
        if (kindOf(arg1) !== kindOf(arg) || typeName(arg1) !== typeName(arg))
          throw new FuncError(`non-comparable types ${sprint([arg1])}: ${typeName(arg1)}, ${typeName(arg)}: ${sprint([arg])}`);
        if (!comparable(arg)) throw new FuncError(`non-comparable type ${sprint([arg])}: ${typeName(arg)}`);
        truth = deepEqual(arg1, arg);
      }
    }
    if (truth) return true;
  }
  return false;
}

export function lt(arg1: unknown, arg2: unknown): boolean {
  const k1 = basicKind(arg1 ?? undefined);
  if (!k1) throw new FuncError(errBadComparisonType);
  const k2 = basicKind(arg2 ?? undefined);
  if (!k2) throw new FuncError(errBadComparisonType);
  if (k1 !== k2) {
    if (numericKinds(k1, k2)) return numLess(arg1, arg2);
    throw new FuncError(errBadComparison);
  }
  switch (k1) {
    case 'bool':
      throw new FuncError(errBadComparisonType);
    case 'string':
      return compareStrings(arg1 as string, arg2 as string) < 0;
    default:
      return numLess(arg1, arg2);
  }
}

function le(a: unknown, b: unknown): boolean {
  return lt(a, b) || eq(a, b);
}

// ---- indexing ----

/** index, slice and len look through pointers, so their messages name the pointed-to type. */
function derefTypeName(v: unknown): string {
  return typeName(v).replace(/^\*/, '');
}

function indexArg(index: unknown, cap: number): number {
  if (index === undefined || index === null) throw new FuncError('cannot index slice/array with nil');
  if (kindOf(index) !== 'int') throw new FuncError(`cannot index slice/array with type ${typeName(index)}`);
  const x = Number(index as number | bigint);
  if (x < 0 || x > cap) throw new FuncError(`index out of range: ${String(index)}`);
  return x;
}

function indexItem(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new FuncError('index of untyped nil');
  for (let index of indexes) {
    if (index === null) index = undefined;
    if (item === null || item === undefined || item instanceof NilPointer) throw new FuncError('index of nil pointer');
    const k = kindOf(item);
    if (k === 'string') {
      const bytes = utf8Bytes(item as string);
      const x = indexArg(index, bytes.length);
      if (x >= bytes.length) throw new FuncError('reflect: string index out of range');
      item = bytes[x];
    } else if (k === 'slice') {
      const arr = item as ArrayLike<unknown>;
      const x = indexArg(index, arr.length);
      if (x >= arr.length) throw new FuncError('reflect: slice index out of range');
      item = arr[x];
    } else if (k === 'map') {
      const mapObj = item as object;
      const keyType = mapObj instanceof Map ? undefined : 'string';
      if (index === undefined) throw new FuncError(`value is nil; should be of type ${keyType ?? 'interface {}'}`);
      if (keyType === 'string' && typeof index !== 'string')
        throw new FuncError(`value has type ${typeName(index)}; should be string`);
      const got = mapGet(mapObj, index);
      if (got.found) item = got.value;
      else {
        const mark = objectMark(mapObj);
        item = mark?.kind === 'map' && mark.hasElemZero ? mark.elemZero : null;
      }
    } else {
      throw new FuncError(`can't index item of type ${derefTypeName(item)}`);
    }
  }
  return item;
}

function sliceItem(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new FuncError('slice of untyped nil');
  if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  const k = kindOf(item);
  let len: number;
  let bytes: Uint8Array | undefined;
  if (k === 'string') {
    if (indexes.length === 3) throw new FuncError('cannot 3-index slice a string');
    bytes = utf8Bytes(item as string);
    len = bytes.length;
  } else if (k === 'slice') len = (item as ArrayLike<unknown>).length;
  else throw new FuncError(`can't slice item of type ${derefTypeName(item)}`);
  const idx = [0, len, len];
  indexes.forEach((index, i) => {
    idx[i] = indexArg(index === null ? undefined : index, len);
  });
  if (idx[0]! > idx[1]!) throw new FuncError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!) throw new FuncError(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (bytes) return fromUtf8(bytes.subarray(idx[0], idx[1]));
  return Array.prototype.slice.call(item as ArrayLike<unknown>, idx[0], idx[1]);
}

function length(item: unknown): number {
  if (item === undefined) throw new FuncError('reflect: call of reflect.Value.Type on zero Value');
  if (item === null || item instanceof NilPointer) throw new FuncError('len of nil pointer');
  switch (kindOf(item)) {
    case 'string':
      return byteLength(item as string);
    case 'slice':
      return (item as ArrayLike<unknown>).length;
    case 'map':
      return mapSize(item as object);
    default:
      throw new FuncError(`len of type ${derefTypeName(item)}`);
  }
}

// ---- escaping ----

/** text/template evalArgs: one string argument as is, else fmt.Sprint with missing values as "<no value>". */
function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === undefined || a === null ? '<no value>' : a)));
}

export function htmlEscape(s: string): string {
  return s.replace(/["'&<>\0]/g, (c) => {
    switch (c) {
      case '"':
        return '&#34;';
      case "'":
        return '&#39;';
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      default:
        return '\uFFFD';
    }
  });
}

export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '\\':
        out += '\\\\';
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case '<':
        out += '\\u003C';
        continue;
      case '>':
        out += '\\u003E';
        continue;
      case '&':
        out += '\\u0026';
        continue;
      case '=':
        out += '\\u003D';
        continue;
    }
    if (cp < 0x20) out += '\\u00' + cp.toString(16).toUpperCase().padStart(2, '0');
    else if (cp < 0x80 || isPrint(cp)) out += ch;
    else out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
  }
  return out;
}

/** url.QueryEscape */
export function urlQueryEscape(s: string): string {
  let out = '';
  for (const b of utf8Bytes(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

// ---- strings (Go's strings package) ----

/** Greek letters with ypogegrammeni whose simple uppercase is a single titlecase letter. */
function greekIotaUpper(cp: number): number | undefined {
  if ((cp >= 0x1f80 && cp <= 0x1f87) || (cp >= 0x1f90 && cp <= 0x1f97) || (cp >= 0x1fa0 && cp <= 0x1fa7)) return cp + 8;
  if (cp === 0x1fb3) return 0x1fbc;
  if (cp === 0x1fc3) return 0x1fcc;
  if (cp === 0x1ff3) return 0x1ffc;
  return undefined;
}

/** unicode.ToUpper: the simple (one rune to one rune) mapping. */
function upperRune(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x80) return ch.toUpperCase();
  const greek = greekIotaUpper(cp);
  if (greek !== undefined) return String.fromCodePoint(greek);
  const u = ch.toUpperCase();
  return [...u].length === 1 ? u : ch;
}

/** unicode.ToLower: the simple mapping. */
function lowerRune(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x80) return ch.toLowerCase();
  if (cp === 0x130) return 'i';
  const l = ch.toLowerCase();
  return [...l].length === 1 ? l : ch;
}

const TITLE_DIGRAPHS: Record<number, number> = {
  0x1c4: 0x1c5,
  0x1c5: 0x1c5,
  0x1c6: 0x1c5,
  0x1c7: 0x1c8,
  0x1c8: 0x1c8,
  0x1c9: 0x1c8,
  0x1ca: 0x1cb,
  0x1cb: 0x1cb,
  0x1cc: 0x1cb,
  0x1f1: 0x1f2,
  0x1f2: 0x1f2,
  0x1f3: 0x1f2,
};

function titleRune(ch: string): string {
  const t = TITLE_DIGRAPHS[ch.codePointAt(0)!];
  return t !== undefined ? String.fromCodePoint(t) : upperRune(ch);
}

export function goToUpper(s: string): string {
  let out = '';
  for (const ch of s.toWellFormed()) out += upperRune(ch);
  return out;
}

export function goToLower(s: string): string {
  let out = '';
  for (const ch of s.toWellFormed()) out += lowerRune(ch);
  return out;
}

function isTitleSeparator(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if (cp <= 0x7f) return !/[0-9A-Za-z_]/.test(ch);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return /\s/u.test(ch) || cp === 0x85;
}

/** strings.Title: the first letter of each word in title case. */
export function goTitle(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s.toWellFormed()) {
    out += isTitleSeparator(prev) ? titleRune(ch) : ch;
    prev = ch;
  }
  return out;
}

/** strings.Split */
export function goSplit(s: string, sep: string): string[] {
  if (sep === '') return [...s];
  return s.split(sep);
}

/** docker's padWithSpace: spaces around a non-empty string. */
function padWithSpace(source: string, prefix: number, suffix: number): string {
  if (source === '') return source;
  if (prefix < 0 || suffix < 0) throw new FuncError('strings: negative Repeat count');
  return ' '.repeat(prefix) + source + ' '.repeat(suffix);
}

/** docker's truncateWithLength: cuts the string's UTF-8 bytes. */
function truncateWithLength(source: string, len: number): string {
  const bytes = utf8Bytes(source);
  if (bytes.length < len) return source;
  if (len < 0) throw new FuncError(`runtime error: slice bounds out of range [:${len}]`);
  return fromUtf8(bytes.subarray(0, len));
}

// ---- the function tables ----

const v = (params: ParamType[], call: (args: unknown[]) => unknown, variadic?: ParamType): TemplateFunction =>
  variadic ? { params, variadic, call } : { params, call };

/** Go's predefined functions. `and`/`or` short-circuit in the executor; these entries give their signatures. */
export const BUILTINS: FuncMap = {
  and: v(['value'], (a) => a.find((x) => !isTrue(x)) ?? a[a.length - 1], 'value'),
  or: v(['value'], (a) => a.find((x) => isTrue(x)) ?? a[a.length - 1], 'value'),
  not: v(['value'], ([a]) => !isTrue(a)),
  len: v(['value'], ([a]) => length(a)),
  index: v(['value'], ([item, ...idx]) => indexItem(item, ...idx), 'value'),
  slice: v(['value'], ([item, ...idx]) => sliceItem(item, ...idx), 'value'),
  call: v(['value'], ([fn, ...args]) => callFunction(fn, args), 'value'),
  html: v([], (a) => htmlEscape(evalArgs(a)), 'any'),
  js: v([], (a) => jsEscape(evalArgs(a)), 'any'),
  urlquery: v([], (a) => urlQueryEscape(evalArgs(a)), 'any'),
  print: v([], (a) => sprint(a), 'any'),
  printf: v(['string'], ([format, ...a]) => sprintf(format as string, a), 'any'),
  println: v([], (a) => sprintln(a), 'any'),
  eq: v(['value'], ([a, ...rest]) => eq(a, ...rest), 'value'),
  ne: v(['value', 'value'], ([a, b]) => !eq(a, b)),
  lt: v(['value', 'value'], ([a, b]) => lt(a, b)),
  le: v(['value', 'value'], ([a, b]) => le(a, b)),
  gt: v(['value', 'value'], ([a, b]) => !le(a, b)),
  ge: v(['value', 'value'], ([a, b]) => !lt(a, b)),
};

function callFunction(fn: unknown, args: unknown[]): unknown {
  if (fn === undefined || fn === null) throw new FuncError('call of nil');
  if (typeof fn !== 'function') throw new FuncError(`non-function of type ${typeName(fn)}`);
  if (args.length !== fn.length) throw new FuncError(`wrong number of args: got ${args.length} want ${fn.length}`);
  try {
    return (fn as (...a: unknown[]) => unknown)(...args);
  } catch (e) {
    throw new FuncError(e instanceof Error ? e.message : String(e));
  }
}

/** docker/cli templates.basicFunctions */
export const DOCKER_FUNCTIONS: FuncMap = {
  json: v(['any'], ([x]) => goJSON(x) ?? ''),
  split: v(['string', 'string'], ([s, sep]) => goSplit(s as string, sep as string)),
  join: v(['[]string', 'string'], ([elems, sep]) => ((elems as string[] | null) ?? []).join(sep as string)),
  title: v(['string'], ([s]) => goTitle(s as string)),
  lower: v(['string'], ([s]) => goToLower(s as string)),
  upper: v(['string'], ([s]) => goToUpper(s as string)),
  pad: v(['string', 'int', 'int'], ([s, p, q]) => padWithSpace(s as string, Number(p), Number(q))),
  truncate: v(['string', 'int'], ([s, n]) => truncateWithLength(s as string, Number(n))),
};

/**
 * docker/cli templates.HeaderFunctions: replace the basic functions while a
 * table's header row renders, so that the header text stays intact (pad is
 * not replaced, to keep alignment with the columns).
 */
export const HEADER_FUNCTIONS: FuncMap = {
  json: v(['string'], ([s]) => s),
  split: v(['string', 'string'], ([s]) => s),
  join: v(['string', 'string'], ([s]) => s),
  title: v(['string'], ([s]) => s),
  lower: v(['string'], ([s]) => s),
  upper: v(['string'], ([s]) => s),
  truncate: v(['string', 'int'], ([s]) => s),
};


