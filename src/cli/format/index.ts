// --format rendering for every berth command, byte for byte as docker's.
//
// Listing commands (ps, images, network ls, …):
//
//   const format = chooseFormat(opts.format, { table: 'table {{.ID}}\t{{.Image}}…' });
//   process.stdout.write(formatList(items, format, { header: { ID: 'CONTAINER ID', Image: 'IMAGE' } }));
//
//   Items are what docker's formatter contexts are: objects whose fields (or
//   methods, e.g. Label(name)) the template reads. Mark them as the struct
//   docker uses, `markStruct(item, '*formatter.ContainerContext')`, so that a
//   misspelt field fails with docker's message; plain objects behave as Go maps
//   (a missing key prints "<no value>"). `--format json` needs no template:
//   plain objects marshal with sorted keys and their niladic functions called,
//   as docker's contexts do. FormatError carries docker's message and exit
//   status; --quiet stays with the command (docker uses DEFAULT_QUIET_FORMAT).
//
// inspect --format: formatInspect(elements, format) with each element's value
// (markStructsDeep helps) and raw JSON; it returns stdout and per-object errors.
//
// Anything else (version, info, …): Template.parse(text, { name }) and
// template.execute(data), with TabWriter / tabwrite for aligned output.

export {
  Float64,
  FuncError,
  NilPointer,
  Template,
  TemplateError,
  markMap,
  markStruct,
  markStructsDeep,
  renderTemplate,
  BUILTINS,
  DOCKER_FUNCTIONS,
  HEADER_FUNCTIONS,
  type ExecuteOptions,
  type FuncMap,
  type MissingKey,
  type ParamType,
  type ParseOptions,
  type TemplateFunction,
} from './template.js';
export {
  DEFAULT_QUIET_FORMAT,
  FormatError,
  JSON_FORMAT,
  JSON_FORMAT_KEY,
  PRETTY_FORMAT_KEY,
  RAW_FORMAT_KEY,
  TABLE_FORMAT_KEY,
  chooseFormat,
  compactJSON,
  formatInspect,
  formatList,
  headerContext,
  indentJSON,
  isTableFormat,
  renderHeader,
  renderList,
  templateText,
  type InspectElement,
  type InspectResult,
  type ListFormatOptions,
} from './formatter.js';
export { DOCKER_TABLE, TabWriter, tabwrite, type TabWriterOptions } from './tabwriter.js';
export { isEastAsianLocale, runeWidth, stringWidth } from './runewidth.js';
export { formatValue, sprint, sprintf, sprintln } from './gofmt.js';
export { goJSON } from './gojson.js';
