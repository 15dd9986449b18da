// What many docker commands share: the --format and --filter flags with
// docker's help texts, filters as the API takes them, the "[y/N]" prompt,
// and the `json` template function as docker's listing contexts marshal.
import { DOCKER_FUNCTIONS, FormatError, formatInspect, formatList, goJSON, runeWidth, Template, TemplateError, type TemplateFunction } from './format/index.js';
import { FlagValueError, type ListFlagSpec, type StringFlagSpec } from './flags.js';
import { StatusError, type TextWriter } from './command.js';

/** docker's flagsHelper.FormatHelp (listings). */
export const FORMAT_HELP_TABLE =
  "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

/** docker's flagsHelper.InspectFormatHelp (inspect, version, info). */
export const FORMAT_HELP_INSPECT =
  "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

export const formatFlag = (usage: string = FORMAT_HELP_TABLE): StringFlagSpec => ({ type: 'string', usage });
export const inspectFormatFlag: StringFlagSpec = { type: 'string', short: 'f', usage: FORMAT_HELP_INSPECT };

/** docker's opts.FilterOpt: `-f name=value`, help type "filter". */
export function filterFlag(usage: string, short: string | null = 'f'): ListFlagSpec {
  const spec: ListFlagSpec = {
    type: 'list',
    typeName: 'filter',
    usage,
    defaultText: null,
    validate: (value: string): string => {
      if (value !== '' && !value.includes('=')) throw new FlagValueError('bad format of filter (expected name=value)');
      return value;
    },
  };
  return short === null ? spec : { ...spec, short };
}

/** A set of filters: name → values, as docker's filters.Args. */
export type Filters = Map<string, Set<string>>;

/** Parse `-f name=value` flags; names are lower-cased and trimmed as docker's ParseFlag does. */
export function parseFilters(values: readonly string[]): Filters {
  const filters: Filters = new Map();
  for (const raw of values) {
    if (raw === '') continue;
    const i = raw.indexOf('=');
    const name = raw.slice(0, i).trim().toLowerCase();
    const value = raw.slice(i + 1).trim();
    addFilter(filters, name, value);
  }
  return filters;
}

export function addFilter(filters: Filters, name: string, value: string): void {
  let set = filters.get(name);
  if (!set) filters.set(name, (set = new Set()));
  set.add(value);
}

/** filters.ToJSON: `{"name":{"value":true}}` with sorted keys; undefined when empty (the parameter is then left out). */
export function filtersJSON(filters: Filters): string | undefined {
  if (filters.size === 0) return undefined;
  const names = [...filters.keys()].sort();
  const parts = names.map((name) => {
    const values = [...(filters.get(name) ?? [])].sort();
    return `${JSON.stringify(name)}:{${values.map((v) => `${JSON.stringify(v)}:true`).join(',')}}`;
  });
  return `{${parts.join(',')}}`;
}

// ---------------------------------------------------------------------------
// `json` for listing rows: docker's formatter contexts marshal themselves with
// json.Marshal (HTML characters escaped: "<none>" → "\u003cnone\u003e").

const HTML_ESCAPED_JSON = Symbol.for('berth.cli.htmlEscapedJSON');

/** Marks a listing row so `{{json .}}` escapes HTML characters as docker's contexts do. */
export function markEscapedJSON<T extends object>(row: T): T {
  Object.defineProperty(row, HTML_ESCAPED_JSON, { value: true, enumerable: false });
  return row;
}

const jsonFunction: TemplateFunction = {
  params: ['any'],
  call: ([value]) => {
    const escape = typeof value === 'object' && value !== null && (value as { [HTML_ESCAPED_JSON]?: boolean })[HTML_ESCAPED_JSON] === true;
    return goJSON(value, { escapeHTML: escape }) ?? '';
  },
};

/** docker's template functions, with `json` marshalling listing rows as docker does. */
export const LISTING_FUNCTIONS = { ...DOCKER_FUNCTIONS, json: jsonFunction };

// ---------------------------------------------------------------------------
// stdin

/** Reads one line from stdin (without its newline); undefined at end of input. */
export function readLine(stream: NodeJS.ReadStream = process.stdin): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buffered = '';
    const finish = (line: string | undefined): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onEnd);
      stream.pause();
      resolve(line);
    };
    const onData = (chunk: Buffer | string): void => {
      buffered += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      const nl = buffered.indexOf('\n');
      if (nl >= 0) finish(buffered.slice(0, nl).replace(/\r$/, ''));
    };
    const onEnd = (): void => finish(buffered === '' ? undefined : buffered);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onEnd);
    stream.resume();
  });
}

/** docker's command.PromptForConfirmation: prints "<message> [y/N] " on stdout; true for y/Y. */
export async function promptForConfirmation(out: TextWriter, message: string): Promise<boolean> {
  out.write(`${message} [y/N] `);
  const answer = await readLine();
  return answer !== undefined && answer.trim().toLowerCase() === 'y';
}

/** Reads all of stdin. */
export async function readAllStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------
// inspect

/** One object an inspect command fetched: its Go view and the JSON the daemon sent. */
export interface InspectedObject {
  value: unknown;
  /** The daemon's JSON, when docker keeps it (then printed as is, and templates fall back to it). */
  rawJSON?: string;
}

/**
 * docker's inspect.Inspect: fetch each reference, render them with the format
 * ("" an indented JSON array, "json" a compact one, else a template per
 * object); errors (the daemon's and the template's) are printed together at
 * the end, exit 1. A template that does not parse exits 64.
 */
export async function runInspect(
  out: TextWriter,
  references: readonly string[],
  format: string,
  fetch: (reference: string) => Promise<InspectedObject>,
  errorText: (err: unknown) => string,
): Promise<void> {
  const isJSON = format === '' || format === 'json';
  if (!isJSON) {
    try {
      Template.parse(format);
    } catch (err) {
      if (err instanceof TemplateError) throw new StatusError(`template parsing error: ${err.message}`, 64);
      throw err;
    }
  }
  const errors: string[] = [];
  const found: InspectedObject[] = [];
  let output = '';
  for (const reference of references) {
    let object: InspectedObject;
    try {
      object = await fetch(reference);
    } catch (err) {
      errors.push(errorText(err));
      continue;
    }
    if (isJSON) {
      found.push(object);
      continue;
    }
    try {
      const result = formatInspect([object], format);
      if (result.errors.length > 0) errors.push(...result.errors);
      else output += result.output;
    } catch (err) {
      if (err instanceof FormatError) throw new StatusError(err.message, err.exitCode);
      throw err;
    }
  }
  if (isJSON) output = formatInspect(found, format).output;
  else if (output === '') output = '\n';
  out.write(output);
  if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
}

/** A name inside a URL path as Go's client escapes it: '/', ':' and '@' stay as they are. */
export function pathEscape(name: string): string {
  return encodeURIComponent(name).replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%40/gi, '@');
}

/**
 * docker's formatter.Ellipsis: cut `s` to `maxDisplayWidth` display columns,
 * the last one an ellipsis, when it is wider.
 */
export function ellipsis(s: string, maxDisplayWidth: number): string {
  if (maxDisplayWidth <= 0) return '';
  const runes = [...s];
  if (maxDisplayWidth === 1) return runes[0] ?? '';
  if (Buffer.byteLength(s) === runes.length) {
    if (runes.length <= maxDisplayWidth) return s;
    return runes.slice(0, maxDisplayWidth - 1).join('') + '…';
  }
  const display: number[] = [];
  let width = 0;
  for (const r of runes) {
    width += runeWidth(r.codePointAt(0) ?? 0);
    display.push(width);
  }
  if (width <= maxDisplayWidth) return s;
  for (let i = 0; i + 1 < display.length; i++) {
    if (display[i]! <= maxDisplayWidth - 1 && display[i + 1]! > maxDisplayWidth - 1) return runes.slice(0, i + 1).join('') + '…';
  }
  return s;
}

/** formatList with docker's listing functions; a bad template becomes docker's status error. */
export function listing(rows: Iterable<unknown>, format: string, header: Readonly<Record<string, string>>): string {
  try {
    return formatList(rows, format, { header, parse: { funcs: LISTING_FUNCTIONS } });
  } catch (err) {
    if (err instanceof FormatError) throw new StatusError(err.message, err.exitCode);
    throw err;
  }
}

/** fvbommel/sortorder.NaturalLess: digit runs compare as numbers ("n2" < "n10"). */
export function naturalLess(a: string, b: string): boolean {
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a[i];
    const cb = b[j];
    const da = isDigit(ca);
    const db = isDigit(cb);
    if (da !== db) return da; // digits before other characters
    if (!da) {
      if (ca !== cb) return ca! < cb!;
      i++;
      j++;
      continue;
    }
    // compare digit runs: skip leading zeros, then by length, then lexically
    let ia = i;
    while (ia < a.length && a[ia] === '0') ia++;
    let jb = j;
    while (jb < b.length && b[jb] === '0') jb++;
    let ea = ia;
    while (isDigit(a[ea])) ea++;
    let eb = jb;
    while (isDigit(b[eb])) eb++;
    const na = a.slice(ia, ea);
    const nb = b.slice(jb, eb);
    if (na.length !== nb.length) return na.length < nb.length;
    if (na !== nb) return na < nb;
    // equal values: the one whose number starts earlier (fewer zeros) first
    if (ia !== jb) return ia < jb;
    i = ea;
    j = eb;
  }
  return a.length < b.length;
}

export function naturalCompare(a: string, b: string): number {
  return naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0;
}

/** docker's command.PruneFilters: the filters given, plus config.json's `pruneFilters` (CLI label filters win). */
export function pruneFilters(filters: Filters, config: Record<string, unknown>): Filters {
  const configured = Array.isArray(config.pruneFilters) ? config.pruneFilters : [];
  for (const entry of configured) {
    if (typeof entry !== 'string') continue;
    const eq = entry.indexOf('=');
    if (eq < 0) continue;
    const key = entry.slice(0, eq);
    const value = entry.slice(eq + 1);
    if (key === 'label' && filters.get('label!')?.has(value)) continue;
    if (key === 'label!' && filters.get('label')?.has(value)) continue;
    addFilter(filters, key, value);
  }
  return filters;
}

/** docker's opts.ConvertKVStringsToMap: "k=v" → k: v, "k" → k: "". */
export function kvStringsToMap(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq < 0) out[value] = '';
    else out[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return sortedRecord(out);
}

/** Labels as docker's listings show them: "k=v" joined by commas (sorted, where Go's map order is random). */
export function joinLabels(labels: Readonly<Record<string, string>> | null | undefined): string {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** A map as Go's encoder writes it: keys sorted (the daemon may keep the order it gets). */
export function sortedRecord(entries: Iterable<[string, string]> | Readonly<Record<string, string>>): Record<string, string> {
  const list = Symbol.iterator in entries ? [...(entries as Iterable<[string, string]>)] : Object.entries(entries);
  const out: Record<string, string> = {};
  for (const [k, v] of list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = v;
  return out;
}
