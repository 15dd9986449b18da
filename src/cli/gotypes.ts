// API objects as the docker CLI's Go types see them, for --format templates:
// the template reads Go field names (`.Server.APIVersion`), while `{{json .}}`
// prints the JSON names (`ApiVersion`) in the struct's field order, with
// omitempty honoured and fields the type does not have dropped. A schema
// lists a type's fields; goValue() turns decoded API JSON into such a value.
import { NilPointer, markMap, markStruct } from './format/index.js';

export type GoType =
  | 'string'
  | 'bool'
  | 'int'
  | 'float'
  /** interface{}: the decoded JSON as is (maps as Go maps). */
  | 'any'
  | { readonly struct: StructSchema; readonly pointer?: boolean }
  | { readonly slice: GoType }
  | { readonly map: GoType; readonly typeName?: string };

export interface FieldSchema {
  /** The Go field name (what templates use). */
  readonly go: string;
  /** The JSON name, when it differs from the Go name. */
  readonly json?: string;
  readonly type: GoType;
  readonly omitempty?: boolean;
}

export interface StructSchema {
  /** Go's type name for error messages: "types.Version". */
  readonly name: string;
  readonly fields: readonly FieldSchema[];
}

export const stringSlice: GoType = { slice: 'string' };
export const stringMap: GoType = { map: 'string', typeName: 'map[string]string' };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go's zero value of a type, as goValue represents it. */
function zeroOf(type: GoType): unknown {
  if (type === 'string') return '';
  if (type === 'bool') return false;
  if (type === 'int' || type === 'float') return 0;
  if (type === 'any') return null;
  if ('struct' in type) return type.pointer ? new NilPointer(`*${type.struct.name}`) : goValue(type, {});
  return NIL_COLLECTION;
}

// A nil slice or map: templates see it empty ([] / map[]), JSON writes null.
const NIL_COLLECTION = Symbol('nil');
const NIL_FIELDS = Symbol('nilFields');

// A nil collection inside a slice or map stays a plain null.
function nested(v: unknown): unknown {
  return v === NIL_COLLECTION ? null : v;
}

function emptyCollection(type: GoType): unknown {
  if (typeof type === 'object' && 'map' in type) return markMap({}, { typeName: type.typeName ?? 'map[string]interface {}', elemZero: zeroOf(type.map) });
  return [];
}

/** Whether Go's omitempty leaves the value out. */
function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value instanceof NilPointer) return true;
  if (value === '' || value === false || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (value instanceof Map) return value.size === 0;
  // a map (structs are never empty to omitempty)
  if (isObject(value) && !(NIL_FIELDS in value)) return Object.keys(value).length === 0;
  return false;
}

/** Converts decoded JSON to the Go value of `type` (JSON names matched case-insensitively, as encoding/json does). */
export function goValue(type: GoType, json: unknown): unknown {
  if (type === 'string') return typeof json === 'string' ? json : '';
  if (type === 'bool') return typeof json === 'boolean' ? json : false;
  if (type === 'int' || type === 'float') return typeof json === 'number' ? json : 0;
  if (type === 'any') return json === undefined ? null : json;
  if ('slice' in type) return Array.isArray(json) ? json.map((e) => nested(goValue(type.slice, e))) : NIL_COLLECTION;
  if ('map' in type) {
    if (!isObject(json)) return NIL_COLLECTION;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(json)) out[k] = nested(goValue(type.map, v));
    return markMap(out, { typeName: type.typeName ?? 'map[string]interface {}', elemZero: zeroOf(type.map) });
  }
  if (json instanceof NilPointer) return json;
  if (type.pointer && !isObject(json)) return new NilPointer(`*${type.struct.name}`);
  // already a Go value (built by goStruct/goStructOf)
  if (isObject(json) && NIL_FIELDS in json) return json;
  return goStruct(type.struct, isObject(json) ? json : {});
}

/** The struct value for `schema` from a JSON object; `{{json .}}` on it prints Go's encoding. */
export function goStruct(schema: StructSchema, json: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const lower = new Map<string, string>();
  for (const k of Object.keys(json)) if (!lower.has(k.toLowerCase())) lower.set(k.toLowerCase(), k);
  const fields: Record<string, unknown> = {};
  for (const field of schema.fields) {
    const jsonName = field.json ?? field.go;
    const key = Object.hasOwn(json, jsonName) ? jsonName : lower.get(jsonName.toLowerCase());
    fields[field.go] = key === undefined ? zeroOf(field.type) : goValue(field.type, json[key]);
  }
  return goStructOf(schema, fields);
}

/** The object Go's encoder would write for a struct value: JSON names, field order, omitempty. */
export function marshalStruct(schema: StructSchema, value: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const nils = (value as { [NIL_FIELDS]?: Set<string> })[NIL_FIELDS];
  for (const field of schema.fields) {
    let v = value[field.go];
    if (nils?.has(field.go) && isEmpty(v)) v = null;
    if (field.omitempty && isEmpty(v)) continue;
    out[field.json ?? field.go] = v ?? null;
  }
  return markStruct(out, schema.name);
}

/** A struct value built in code (not from JSON), with the same JSON behaviour. */
export function goStructOf(schema: StructSchema, fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const nils = new Set<string>();
  for (const field of schema.fields) {
    let v = Object.hasOwn(fields, field.go) ? fields[field.go] : zeroOf(field.type);
    if (v === NIL_COLLECTION || ((v === null || v === undefined) && typeof field.type === 'object' && !('struct' in field.type))) {
      nils.add(field.go);
      v = emptyCollection(field.type);
    }
    out[field.go] = v;
  }
  Object.defineProperty(out, NIL_FIELDS, { enumerable: false, value: nils });
  Object.defineProperty(out, 'MarshalJSON', { enumerable: false, value: () => marshalStruct(schema, out) });
  return markStruct(out, schema.name);
}
