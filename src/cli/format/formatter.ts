// docker's --format conventions (docker/cli cli/command/formatter/formatter.go
// and cli/command/inspect/inspector.go):
//
// - listing commands: "" or "table" pick the command's default; "table <tmpl>"
//   renders a header row plus one row per item through the table writer;
//   "json" renders {{json .}} per item; anything else renders the template
//   per item, each followed by a newline. Literal "\t" and "\n" in the format
//   become tab and newline, and surrounding spaces are trimmed.
// - inspect: "" prints the objects as an indented JSON array, "json" as a
//   compact one, anything else renders the template per object.

import { HEADER_FUNCTIONS } from './functions.js';
import { goJSON } from './gojson.js';
import { isEastAsianLocale } from './runewidth.js';
import { DOCKER_TABLE, TabWriter, type TabWriterOptions } from './tabwriter.js';
import { Template, TemplateError, type ParseOptions } from './template.js';
import { markMap } from './values.js';

export const TABLE_FORMAT_KEY = 'table';
export const RAW_FORMAT_KEY = 'raw';
export const PRETTY_FORMAT_KEY = 'pretty';
export const JSON_FORMAT_KEY = 'json';
export const DEFAULT_QUIET_FORMAT = '{{.ID}}';
export const JSON_FORMAT = '{{json .}}';

/**
 * A --format failure as docker reports it: `message` is what docker prints
 * ("template parsing error: template: :1: ..."), `exitCode` its exit status.
 */
export class FormatError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    override readonly cause?: TemplateError,
  ) {
    super(message);
    this.name = 'FormatError';
  }
}

/** formatter.Format.IsTable: any format starting with "table". */
export function isTableFormat(format: string): boolean {
  return format.startsWith(TABLE_FORMAT_KEY);
}

/**
 * The format a listing command uses for its --format value, as docker's
 * New<Thing>Format functions choose it: "" and "table" → the default table,
 * "raw" → the command's raw format (when it has one), anything else as given.
 * (--quiet handling differs per command and stays with the caller.)
 */
export function chooseFormat(source: string, defaults: { table: string; raw?: string }): string {
  if (source === '' || source === TABLE_FORMAT_KEY) return defaults.table;
  if (source === RAW_FORMAT_KEY && defaults.raw !== undefined) return defaults.raw;
  return source;
}

/** formatter.Context.preFormat: the template text a format value stands for. */
export function templateText(format: string): string {
  let text = format;
  if (isTableFormat(format)) text = text.slice(TABLE_FORMAT_KEY.length);
  else if (format === JSON_FORMAT_KEY) text = JSON_FORMAT;
  text = trimSpaces(text);
  return text.replace(/\\[tn]/g, (m) => (m === '\\t' ? '\t' : '\n'));
}

/** strings.Trim(s, " "): spaces only, not tabs or newlines. */
function trimSpaces(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s[a] === ' ') a++;
  while (b > a && s[b - 1] === ' ') b--;
  return s.slice(a, b);
}

export interface ListFormatOptions {
  /** Header text per field, e.g. { ID: 'CONTAINER ID', Image: 'IMAGE' } (docker's SubHeaderContext). */
  header?: Readonly<Record<string, string>>;
  /** Table writer settings; docker's tables use minwidth 10, tabwidth 1, padding 3, ' ' (and the locale's widths). */
  table?: TabWriterOptions;
  /** Template parse options (functions); docker's functions by default. */
  parse?: ParseOptions;
}

function parseOrThrow(text: string, options: ParseOptions | undefined, exitCode: number): Template {
  try {
    return Template.parse(text, options);
  } catch (e) {
    if (e instanceof TemplateError) throw new FormatError(`template parsing error: ${e.message}`, exitCode, e);
    throw e;
  }
}

/**
 * Renders a listing as docker's formatter.Context.Write does. `format` is the
 * resolved format (see chooseFormat). Returns the whole output; nothing is
 * printed when a row fails (FormatError, exit status 1).
 */
export function formatList(items: Iterable<unknown>, format: string, options: ListFormatOptions = {}): string {
  const tmpl = parseOrThrow(templateText(format), options.parse, 1);
  let body = '';
  for (const item of items) {
    try {
      body += tmpl.execute(item) + '\n';
    } catch (e) {
      if (e instanceof TemplateError) throw new FormatError(`template parsing error: ${e.message}`, 1, e);
      throw e;
    }
  }
  if (!isTableFormat(format)) return body;
  // docker's go-runewidth reads the locale once at start; so do we, per call
  const tw = new TabWriter(options.table ?? { ...DOCKER_TABLE, eastAsian: isEastAsianLocale() });
  tw.write(renderHeader(tmpl, options.header ?? {}));
  tw.write('\n');
  tw.write(body);
  return tw.flush();
}

/**
 * A listing command's output in one call: `format` is the --format value,
 * `defaultFormat` the command's default table ("table {{.ID}}\t…"), `rawFormat`
 * what `--format raw` means for the command, if anything.
 */
export function renderList(
  items: Iterable<unknown>,
  options: ListFormatOptions & { format: string; defaultFormat: string; rawFormat?: string },
): string {
  const defaults = options.rawFormat === undefined ? { table: options.defaultFormat } : { table: options.defaultFormat, raw: options.rawFormat };
  return formatList(items, chooseFormat(options.format, defaults), options);
}

/** The methods docker's header context (formatter.SubHeaderContext) has besides its keys. */
const HEADER_CONTEXT_METHODS = {
  /** `{{.Label "com.example.name"}}` heads its column with "name". */
  Label(name: string): string {
    const parts = String(name).split('.');
    return parts[parts.length - 1]!.replace(/[-_]/g, ' ');
  },
};

/** The header context: a map[string]string of field → header text, with a Label method. */
export function headerContext(header: Readonly<Record<string, string>>): object {
  const ctx = Object.assign(Object.create(HEADER_CONTEXT_METHODS) as object, header);
  return markMap(ctx, { typeName: 'formatter.SubHeaderContext', elemZero: '' });
}

/**
 * The header row: the table template run against the header context with
 * docker's HeaderFunctions. Like docker, an execution error is ignored and
 * whatever was written before it is the header.
 */
export function renderHeader(tmpl: Template, header: Readonly<Record<string, string>>): string {
  try {
    return tmpl.execute(headerContext(header), { funcs: HEADER_FUNCTIONS });
  } catch (e) {
    if (e instanceof TemplateError) return e.partialOutput;
    throw e;
  }
}

// ---- inspect ----

export interface InspectElement {
  /** The object as berth models it (marked structs and maps, methods). */
  value: unknown;
  /** The object's JSON as the API returned it, when there is one. */
  rawJSON?: string;
}

export interface InspectResult {
  /** What docker writes to stdout. */
  output: string;
  /** One message per element that failed; docker prints them joined by newlines and exits 1. */
  errors: string[];
}

/**
 * Renders `inspect` output as docker's inspect.Inspect does. A template that
 * does not parse throws FormatError with exit status 64. When rendering an
 * element fails and its raw JSON is known, docker retries with the decoded
 * JSON (plain maps, missingkey=error), and reports that attempt's error.
 */
export function formatInspect(elements: readonly InspectElement[], format: string, options: { parse?: ParseOptions } = {}): InspectResult {
  if (format === '' || format === JSON_FORMAT_KEY) {
    if (elements.length === 0) return { output: '[]\n', errors: [] };
    // raw JSON is re-indented as is (json.Indent); typed values are marshalled (json.MarshalIndent, HTML escaped)
    const parts = elements.map((el) => el.rawJSON ?? goJSON(el.value, { escapeHTML: true }) ?? 'null');
    const array = '[' + parts.join(',') + ']';
    return { output: (format === '' ? indentJSON(array, '', '    ') : compactJSON(array)) + '\n', errors: [] };
  }
  const tmpl = parseOrThrow(format, options.parse, 64);
  let output = '';
  const errors: string[] = [];
  for (const el of elements) {
    try {
      output += tmpl.execute(el.value) + '\n';
      continue;
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      if (el.rawJSON === undefined) {
        errors.push(`template parsing error: ${e.message}`);
        continue;
      }
    }
    let raw: unknown;
    try {
      raw = JSON.parse(el.rawJSON);
    } catch (e) {
      errors.push(`unable to read inspect data: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    try {
      output += tmpl.execute(raw, { missingKey: 'error' }) + '\n';
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      errors.push(`template parsing error: ${e.message}`);
    }
  }
  if (output === '') output = '\n';
  return { output, errors };
}

/** Go's json.Indent: re-indents JSON text, keeping its tokens as they are. */
export function indentJSON(text: string, prefix: string, indent: string): string {
  let out = '';
  let depth = 0;
  let needIndent = false;
  const newline = (): string => '\n' + prefix + indent.repeat(depth);
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (needIndent && c !== ']' && c !== '}') {
      needIndent = false;
      depth++;
      out += newline();
    }
    if (c === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end - 1;
      continue;
    }
    switch (c) {
      case '{':
      case '[':
        needIndent = true; // empty objects and arrays stay {} and []
        out += c;
        break;
      case ',':
        out += c + newline();
        break;
      case ':':
        out += ': ';
        break;
      case '}':
      case ']':
        if (needIndent) needIndent = false;
        else {
          depth--;
          out += newline();
        }
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

/** Go's json.Compact: JSON text without insignificant whitespace. */
export function compactJSON(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (c === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end - 1;
      continue;
    }
    out += c;
  }
  return out;
}

function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === '"') return i + 1;
    else i++;
  }
  return text.length;
}
