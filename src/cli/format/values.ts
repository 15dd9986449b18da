// The value model the template engine sees: JS values classified the way Go's
// reflect would classify the values docker's templates run against.
//
//   undefined            → an invalid reflect.Value (a missing map key): prints "<no value>"
//   null                 → a nil interface value (JSON null)
//   NilPointer           → a typed nil pointer (a nil struct field): prints "<nil>"
//   string               → string
//   boolean              → bool
//   number               → int when integer-valued, float64 otherwise
//   Float64              → float64 even when integer-valued (template literals like 1.0)
//   bigint               → int
//   Array                → slice
//   Map, plain object    → map (sorted iteration, missing key → missingkey option)
//   class instance, or an object marked with markStruct → struct (missing field is an error)
//   function             → func (as a property: a method, called when evaluated)

const MARK = Symbol.for('berth.format.goKind');

/** How the engine treats an object: a Go struct or a Go map. */
export type ObjectMark =
  | { readonly kind: 'struct'; readonly typeName: string }
  | { readonly kind: 'map'; readonly typeName: string; readonly hasElemZero: boolean; readonly elemZero: unknown };

/**
 * Mark an object as a Go struct: `.Missing` is an execution error
 * ("can't evaluate field Missing in type <typeName>"), `%v` prints `{v1 v2}`
 * in property order, and `json` keeps property order. Returns the same object.
 */
export function markStruct<T extends object>(obj: T, typeName?: string): T {
  Object.defineProperty(obj, MARK, {
    value: { kind: 'struct', typeName: typeName ?? defaultStructName(obj) },
    enumerable: false,
    configurable: true,
  });
  return obj;
}

/**
 * Mark an object as a Go map (the default for plain objects). `elemZero` is
 * what `index` returns for a missing key (Go returns the element type's zero
 * value: "" for map[string]string; without it, a missing key is a nil
 * interface and prints "<no value>").
 */
export function markMap<T extends object>(obj: T, options: { typeName?: string; elemZero?: unknown } = {}): T {
  Object.defineProperty(obj, MARK, {
    value: {
      kind: 'map',
      typeName: options.typeName ?? 'map[string]interface {}',
      hasElemZero: 'elemZero' in options,
      elemZero: options.elemZero,
    },
    enumerable: false,
    configurable: true,
  });
  return obj;
}

/** The mark set on an object, if any. */
export function objectMark(obj: object): ObjectMark | undefined {
  return (obj as { [MARK]?: ObjectMark })[MARK];
}

/**
 * Mark every plain object inside `value` as a struct, except the values of
 * properties named in `mapKeys`, which are marked as maps (their own values are
 * walked too). Meant for API objects shown by `inspect --format`, where docker
 * executes against typed structs whose map-typed fields (Labels, Options…)
 * behave as maps.
 */
export function markStructsDeep<T>(
  value: T,
  options: { mapKeys?: ReadonlySet<string> | readonly string[]; stringMapKeys?: ReadonlySet<string> | readonly string[]; typeName?: string } = {},
): T {
  const mapKeys = new Set(options.mapKeys ?? []);
  const stringMapKeys = new Set(options.stringMapKeys ?? []);
  const walk = (v: unknown, asMap: 'no' | 'any' | 'string'): void => {
    if (Array.isArray(v)) {
      for (const e of v) walk(e, 'no');
      return;
    }
    if (!isPlainObject(v)) return;
    if (asMap === 'string') markMap(v, { typeName: 'map[string]string', elemZero: '' });
    else if (asMap === 'any') markMap(v);
    else markStruct(v, options.typeName ?? 'struct');
    for (const [k, child] of Object.entries(v)) {
      if (asMap !== 'no') walk(child, 'no');
      else walk(child, stringMapKeys.has(k) ? 'string' : mapKeys.has(k) ? 'any' : 'no');
    }
  };
  walk(value, 'no');
  return value;
}

/** A float64 whose value may be integral (`1.0` prints "1" but is not an int). */
export class Float64 {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
}

/** A typed nil pointer, as a nil struct field is in Go: prints "<nil>". */
export class NilPointer {
  constructor(readonly typeName: string = '*struct') {}
}
export const NIL_POINTER = new NilPointer();

export type GoKind =
  | 'invalid'
  | 'nil'
  | 'nilptr'
  | 'string'
  | 'bool'
  | 'int'
  | 'float'
  | 'slice'
  | 'map'
  | 'struct'
  | 'func';

export function kindOf(v: unknown): GoKind {
  if (v === undefined) return 'invalid';
  if (v === null) return 'nil';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      // whole numbers beyond int64 can only have been float64s
      return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'function':
      return 'func';
    case 'symbol':
      return 'string';
    default:
      break;
  }
  if (v instanceof Float64) return 'float';
  if (v instanceof NilPointer) return 'nilptr';
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return 'slice';
  if (v instanceof Map) return 'map';
  const mark = objectMark(v as object);
  if (mark) return mark.kind;
  return isPlainObject(v) ? 'map' : 'struct';
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function defaultStructName(obj: object): string {
  const proto = Object.getPrototypeOf(obj) as { constructor?: { name?: string } } | null;
  const name = proto?.constructor?.name;
  return name && proto !== Object.prototype ? name : 'struct';
}

/** Go's spelling of the value's type, for %T and error messages. */
export function typeName(v: unknown): string {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return '<nil>';
    case 'nilptr':
      return (v as NilPointer).typeName;
    case 'string':
      return 'string';
    case 'bool':
      return 'bool';
    case 'int':
      return 'int';
    case 'float':
      return 'float64';
    case 'func':
      return 'func()';
    case 'slice':
      if (v instanceof Uint8Array) return '[]uint8';
      return (v as unknown[]).length > 0 && (v as unknown[]).every((e) => typeof e === 'string') ? '[]string' : '[]interface {}';
    case 'map': {
      const mark = objectMark(v as object);
      return mark?.typeName ?? 'map[string]interface {}';
    }
    case 'struct': {
      const mark = objectMark(v as object);
      return mark?.typeName ?? defaultStructName(v as object);
    }
  }
}

/** The number inside an int/float value. */
export function numberValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Float64) return v.value;
  return NaN;
}

/** Go's truth: the zero value of its type is false (text/template isTrue). */
export function isTrue(v: unknown): boolean {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
    case 'nilptr':
      return false;
    case 'string':
      return (v as string).length > 0;
    case 'bool':
      return v as boolean;
    case 'int':
    case 'float':
      return typeof v === 'bigint' ? v !== 0n : numberValue(v) !== 0;
    case 'slice':
      return (v as ArrayLike<unknown>).length > 0;
    case 'map':
      return mapSize(v as object) > 0;
    case 'struct':
    case 'func':
      return true;
  }
}

// ---- objects: fields, methods, map entries ----

/** A property usable as a method: a function found on the object or its class. */
export function findMethod(obj: object, name: string): ((...args: unknown[]) => unknown) | undefined {
  if (obj instanceof Float64 || obj instanceof NilPointer) return undefined;
  let o: object | null = obj;
  while (o && o !== Object.prototype && o !== Function.prototype && o !== Array.prototype && o !== Map.prototype) {
    const desc = Object.getOwnPropertyDescriptor(o, name);
    if (desc) {
      if (typeof desc.value === 'function' && name !== 'constructor') return desc.value as (...args: unknown[]) => unknown;
      return undefined;
    }
    o = Object.getPrototypeOf(o) as object | null;
  }
  return undefined;
}

/** A struct field: an own property or an accessor on its class. */
export function structField(obj: object, name: string): { found: boolean; value?: unknown } {
  let o: object | null = obj;
  while (o && o !== Object.prototype) {
    const desc = Object.getOwnPropertyDescriptor(o, name);
    if (desc) {
      if (name === 'constructor' && o !== obj) return { found: false };
      return { found: true, value: (obj as Record<string, unknown>)[name] };
    }
    o = Object.getPrototypeOf(o) as object | null;
  }
  return { found: false };
}

/** The struct's fields in order: own enumerable data properties (functions are methods, not fields). */
export function structEntries(obj: object): [string, unknown][] {
  return Object.entries(obj).filter(([, v]) => typeof v !== 'function');
}

export function mapSize(obj: object): number {
  if (obj instanceof Map) return obj.size;
  return mapKeysOf(obj).length;
}

/** A map's keys: own enumerable properties, except undefined ones and functions (which are methods). */
function mapKeysOf(obj: object): string[] {
  return Object.keys(obj).filter((k) => {
    const v = (obj as Record<string, unknown>)[k];
    return v !== undefined && typeof v !== 'function';
  });
}

export function mapGet(obj: object, key: unknown): { found: boolean; value?: unknown } {
  if (obj instanceof Map) {
    if (obj.has(key)) return { found: true, value: obj.get(key) as unknown };
    return { found: false };
  }
  if (typeof key !== 'string') return { found: false };
  if (!Object.hasOwn(obj, key)) return { found: false };
  const value = (obj as Record<string, unknown>)[key];
  if (value === undefined) return { found: false };
  return { found: true, value };
}

/** The entries of a map in Go's sorted key order (fmtsort): numbers numerically, strings by bytes. */
export function sortedMapEntries(obj: object): [unknown, unknown][] {
  let entries: [unknown, unknown][];
  if (obj instanceof Map) entries = [...(obj.entries() as Iterable<[unknown, unknown]>)];
  else entries = mapKeysOf(obj).map((k) => [k, (obj as Record<string, unknown>)[k]]);
  return entries.sort((a, b) => compareKeys(a[0], b[0]));
}

export function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  const na = numberValue(a);
  const nb = numberValue(b);
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na < nb ? -1 : na > nb ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  return compareStrings(String(a), String(b));
}

/** Go compares strings bytewise: UTF-8 byte order is code point order, not UTF-16 order. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca < cb ? -1 : 1;
    if (ca > 0xffff) i++;
  }
  return a.length - b.length;
}

// ---- strings as Go sees them: UTF-8 bytes ----

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

export function fromUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}

export function byteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Number of runes (code points), as utf8.RuneCountInString counts. */
export function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
