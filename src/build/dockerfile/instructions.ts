// Second stage of Dockerfile parsing: turn each AstNode into a typed
// instruction, checking arguments and flags with docker's messages
// (BuildKit's frontend/dockerfile/instructions, which the classic builder
// vendors). Values stay as written: quotes, escapes and $variables are
// resolved later by expand.ts, at build time, as docker does.

import { type AstNode, type Heredoc, heredocData, parseHeredocWord } from './ast.js';
import { InstructionReason } from './errors.js';
import { goQuote, goTrimSpace, parseGoDuration, parseGoInt, withSuggestion } from './go-compat.js';

export interface InstructionBase {
  /** The keyword as written (`copy` or `COPY`). */
  keyword: string;
  /**
   * The instruction as docker echoes it in `Step 3/8 : COPY . /app`: the
   * logical line with continuations joined, comment lines dropped, heredoc
   * bodies left out, surrounding blanks trimmed.
   */
  original: string;
  /** 1-based first source line. */
  startLine: number;
  /** 1-based last source line (heredoc terminator included). */
  endLine: number;
  /** Comment lines directly above the instruction. */
  comments: string[];
}

export interface KeyValuePair {
  /** As written: quotes and $variables are resolved by expandInstruction. */
  key: string;
  value: string;
  /** Legacy `ENV key value` / `LABEL key value` form. */
  noDelim: boolean;
}

export interface FromInstruction extends InstructionBase {
  kind: 'FROM';
  /** The image or stage reference as written (expanded with the global ARGs at build time). */
  image: string;
  /** `AS name`, lower-cased; '' when unnamed. */
  stageName: string;
  /** `--platform=`; '' when absent. */
  platform: string;
}

export interface RunMount {
  type: 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
  from: string;
  source: string;
  target: string;
  readOnly: boolean;
  /** tmpfs `size=`, in bytes; 0 when not set. */
  sizeLimit: number;
  /** cache `id=` (also secret/ssh id). */
  cacheId: string;
  sharing: '' | 'shared' | 'private' | 'locked';
  required: boolean;
  /** secret `env=`: undefined when not given. */
  env?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface RunInstruction extends InstructionBase {
  kind: 'RUN';
  /** Shell form: one element, the command text; exec form: the argv. */
  cmdLine: string[];
  /** True for shell form (the command is run with the SHELL). */
  prependShell: boolean;
  heredocs: Heredoc[];
  /** Raw `--mount=` values; parsed (after expansion) by expandInstruction. */
  mountSpecs: string[];
  /** Filled by expandInstruction. */
  mounts?: RunMount[];
  /** `--network=`: default, none or host. */
  network: string;
  /** `--security=`: sandbox or insecure. */
  security: string;
  /** Names of the flags given. */
  flagsUsed: string[];
}

export interface CmdInstruction extends InstructionBase {
  kind: 'CMD';
  cmdLine: string[];
  prependShell: boolean;
}

export interface EntrypointInstruction extends InstructionBase {
  kind: 'ENTRYPOINT';
  cmdLine: string[];
  prependShell: boolean;
}

export interface ShellInstruction extends InstructionBase {
  kind: 'SHELL';
  shell: string[];
}

export interface LabelInstruction extends InstructionBase {
  kind: 'LABEL';
  labels: KeyValuePair[];
}

export interface EnvInstruction extends InstructionBase {
  kind: 'ENV';
  env: KeyValuePair[];
}

export interface ArgDefinition {
  /** As written (expanded at build time). */
  key: string;
  /** The default as written; undefined for `ARG name`. */
  value?: string;
  /** Text of a `# name description` comment above, else ''. */
  comment: string;
}

export interface ArgInstruction extends InstructionBase {
  kind: 'ARG';
  args: ArgDefinition[];
}

export interface ExposeInstruction extends InstructionBase {
  kind: 'EXPOSE';
  /** As written, sorted as docker sorts them (string order); expanded into words at build time. */
  ports: string[];
}

export interface HeredocSource {
  /** The file name created in the destination: the heredoc delimiter. */
  path: string;
  /** The body, with `<<-` tab stripping applied. */
  data: string;
  /** Whether the body is subject to variable expansion (unquoted delimiter). */
  expand: boolean;
}

interface CopyLike extends InstructionBase {
  /** Source paths as written (heredoc sources are in sourceContents). */
  sources: string[];
  sourceContents: HeredocSource[];
  dest: string;
  /** The JSON form was used. */
  json: boolean;
  chown: string;
  chmod: string;
  link: boolean;
  /** `--exclude=` patterns, in order. */
  excludes: string[];
}

export interface CopyInstruction extends CopyLike {
  kind: 'COPY';
  /** `--from=` stage name, index or image; '' when absent. */
  from: string;
  parents: boolean;
}

export interface AddInstruction extends CopyLike {
  kind: 'ADD';
  keepGitDir: boolean;
  checksum: string;
  /** `--unpack`; undefined when not given (docker then decides by source kind). */
  unpack?: boolean;
}

export interface VolumeInstruction extends InstructionBase {
  kind: 'VOLUME';
  volumes: string[];
}

export interface UserInstruction extends InstructionBase {
  kind: 'USER';
  user: string;
}

export interface WorkdirInstruction extends InstructionBase {
  kind: 'WORKDIR';
  path: string;
}

export interface OnbuildInstruction extends InstructionBase {
  kind: 'ONBUILD';
  /** The trigger text stored in the image (ONBUILD removed, heredoc bodies appended). */
  expression: string;
  /** The trigger keyword, upper-cased. */
  trigger: string;
}

export interface StopsignalInstruction extends InstructionBase {
  kind: 'STOPSIGNAL';
  signal: string;
}

export interface HealthcheckInstruction extends InstructionBase {
  kind: 'HEALTHCHECK';
  /** ["NONE"], ["CMD", ...argv] or ["CMD-SHELL", command]. */
  test: string[];
  /** Durations in nanoseconds; 0 means "inherit / default". */
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

export interface MaintainerInstruction extends InstructionBase {
  kind: 'MAINTAINER';
  maintainer: string;
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CmdInstruction
  | EntrypointInstruction
  | ShellInstruction
  | LabelInstruction
  | EnvInstruction
  | ArgInstruction
  | ExposeInstruction
  | CopyInstruction
  | AddInstruction
  | VolumeInstruction
  | UserInstruction
  | WorkdirInstruction
  | OnbuildInstruction
  | StopsignalInstruction
  | HealthcheckInstruction
  | MaintainerInstruction;

/** Every instruction except FROM: what a stage contains. */
export type Command = Exclude<Instruction, FromInstruction>;

/** The instruction keywords docker knows, upper-cased. */
export const instructionNames: readonly string[] = [
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
];

// ---------------------------------------------------------------------------
// Flags (BuildKit's BFlags)

type FlagType = 'bool' | 'string' | 'strings';

interface FlagValue {
  type: FlagType;
  value: string;
  values: string[];
  used: boolean;
}

class Flags {
  private readonly defs = new Map<string, FlagValue>();
  constructor(private readonly args: readonly string[]) {}

  bool(name: string): FlagValue {
    return this.add(name, 'bool', 'false');
  }
  string(name: string, def = ''): FlagValue {
    return this.add(name, 'string', def);
  }
  strings(name: string): FlagValue {
    return this.add(name, 'strings', '');
  }
  private add(name: string, type: FlagType, value: string): FlagValue {
    const flag: FlagValue = { type, value, values: [], used: false };
    this.defs.set(name, flag);
    return flag;
  }

  used(): string[] {
    return [...this.defs].filter(([, f]) => f.used).map(([name]) => name);
  }

  /** Checks the given flags against the defined ones, with docker's messages. */
  parse(): void {
    for (const arg of this.args) {
      if (!arg.startsWith('--')) throw new InstructionReason(`arg should start with -- : ${arg}`);
      if (arg === '--') return;
      const body = arg.slice(2);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      const value = eq < 0 ? '' : body.slice(eq + 1);
      const hasValue = eq >= 0;
      const flag = this.defs.get(name);
      if (!flag) throw new InstructionReason(withSuggestion(`unknown flag: ${name}`, name, [...this.defs.keys()], true));
      if (flag.used && flag.type !== 'strings') throw new InstructionReason(`duplicate flag specified: ${name}`);
      flag.used = true;
      switch (flag.type) {
        case 'bool': {
          if (hasValue && value === '') throw new InstructionReason(`missing a value on flag: ${name}`);
          const lower = value.toLowerCase();
          if (lower === 'true' || lower === '') flag.value = 'true';
          else if (lower === 'false') flag.value = 'false';
          else throw new InstructionReason(`expecting boolean value for flag ${name}, not: ${value}`);
          break;
        }
        case 'string':
          if (!hasValue) throw new InstructionReason(`missing a value on flag: ${name}`);
          flag.value = value;
          break;
        case 'strings':
          if (!hasValue) throw new InstructionReason(`missing a value on flag: ${name}`);
          flag.values.push(value);
          break;
      }
    }
  }
}

// ---------------------------------------------------------------------------

const fail = (reason: string): never => {
  throw new InstructionReason(reason);
};
const atLeastOne = (cmd: string): never => fail(`${cmd} requires at least one argument`);
const exactlyOne = (cmd: string): never => fail(`${cmd} requires exactly one argument`);
const noDestination = (cmd: string): never =>
  fail(`${cmd} requires at least two arguments, but only one was provided. Destination could not be determined`);
const blankNames = (cmd: string): never => fail(`${cmd} names can not be blank`);

function base(node: AstNode): InstructionBase {
  return {
    keyword: node.keyword,
    original: goTrimSpace(node.original),
    startLine: node.startLine,
    endLine: node.endLine,
    comments: [...node.comments],
  };
}

/** The shell form is one string: docker joins the arguments with a space. */
function jsonArgs(node: AstNode, args: readonly string[] = node.args): string[] {
  if (args.length === 0) return [];
  return node.json ? [...args] : [args.join(' ')];
}

function kvps(node: AstNode, cmd: string): KeyValuePair[] {
  if (node.pairs.length === 0) atLeastOne(cmd);
  for (const pair of node.pairs) if (pair.key === '') blankNames(cmd);
  return node.pairs.map((p) => ({ key: p.key, value: p.value, noDelim: p.noDelim }));
}

/** `# name text` comments above an ARG or FROM document the name. */
function commentFor(comments: readonly string[], name: string): string {
  if (name === '') return '';
  for (const line of comments) if (line.startsWith(name + ' ')) return line.slice(name.length + 1);
  return '';
}

const stageNameRe = /^[a-z][a-z0-9-_.]*$/;

/**
 * Types one parsed node. Throws InstructionReason with docker's message;
 * parser.ts adds "dockerfile parse error on line N: ".
 */
export function parseInstruction(node: AstNode): Instruction {
  const flags = new Flags(node.flags);
  const b = base(node);
  switch (node.command) {
    case 'env': {
      flags.parse();
      return { ...b, kind: 'ENV', env: kvps(node, 'ENV') };
    }
    case 'maintainer': {
      if (node.args.length !== 1) exactlyOne('MAINTAINER');
      flags.parse();
      return { ...b, kind: 'MAINTAINER', maintainer: node.args[0]! };
    }
    case 'label': {
      flags.parse();
      return { ...b, kind: 'LABEL', labels: kvps(node, 'LABEL') };
    }
    case 'add': {
      if (node.args.length < 2) noDestination('ADD');
      const excludes = flags.strings('exclude');
      const chown = flags.string('chown');
      const chmod = flags.string('chmod');
      const link = flags.bool('link');
      const keepGitDir = flags.bool('keep-git-dir');
      const checksum = flags.string('checksum');
      const unpack = flags.bool('unpack');
      flags.parse();
      return {
        ...b,
        kind: 'ADD',
        ...sourcesAndDest(node, 'ADD'),
        json: node.json,
        chown: chown.value,
        chmod: chmod.value,
        link: link.value === 'true',
        excludes: excludes.values,
        keepGitDir: keepGitDir.value === 'true',
        checksum: checksum.value,
        ...(unpack.used ? { unpack: unpack.value === 'true' } : {}),
      };
    }
    case 'copy': {
      if (node.args.length < 2) noDestination('COPY');
      const excludes = flags.strings('exclude');
      const parents = flags.bool('parents');
      const chown = flags.string('chown');
      const from = flags.string('from');
      const chmod = flags.string('chmod');
      const link = flags.bool('link');
      flags.parse();
      return {
        ...b,
        kind: 'COPY',
        ...sourcesAndDest(node, 'COPY'),
        json: node.json,
        chown: chown.value,
        chmod: chmod.value,
        link: link.value === 'true',
        excludes: excludes.values,
        from: from.value,
        parents: parents.value === 'true',
      };
    }
    case 'from': {
      const args = node.args;
      let stageName = '';
      if (args.length === 3 && args[1]!.toLowerCase() === 'as') {
        stageName = args[2]!.toLowerCase();
        if (!stageNameRe.test(stageName)) {
          fail(`invalid name for build stage: ${goQuote(args[2]!)}, name can't start with a number or contain symbols`);
        }
      } else if (args.length !== 1) {
        fail('FROM requires either one or three arguments');
      }
      const platform = flags.string('platform');
      flags.parse();
      return { ...b, kind: 'FROM', image: args[0]!, stageName, platform: platform.value };
    }
    case 'onbuild': {
      if (node.args.length === 0) atLeastOne('ONBUILD');
      flags.parse();
      const trigger = goTrimSpace(node.args[0]!).toUpperCase();
      if (trigger === 'ONBUILD') fail('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (trigger === 'MAINTAINER' || trigger === 'FROM') fail(`${trigger} isn't allowed as an ONBUILD trigger`);
      // Go's \s is ASCII-only: [\t\n\f\r ].
      let expression = node.original.replace(/^[\t\n\f\r ]*ONBUILD[\t\n\f\r ]*/i, '');
      for (const heredoc of node.heredocs) expression += '\n' + heredoc.content + heredoc.name;
      return { ...b, kind: 'ONBUILD', expression, trigger };
    }
    case 'workdir': {
      if (node.args.length !== 1) exactlyOne('WORKDIR');
      flags.parse();
      return { ...b, kind: 'WORKDIR', path: node.args[0]! };
    }
    case 'run': {
      const mount = flags.strings('mount');
      const network = flags.string('network', 'default');
      const security = flags.string('security', 'sandbox');
      flags.parse();
      const flagsUsed = flags.used();
      for (const spec of mount.values) checkMountSpecSyntax(spec);
      if (!['default', 'none', 'host'].includes(network.value)) fail(`invalid network mode ${goQuote(network.value)}`);
      if (!['sandbox', 'insecure'].includes(security.value)) fail(`security ${goQuote(security.value)} is not valid`);
      return {
        ...b,
        kind: 'RUN',
        cmdLine: jsonArgs(node),
        prependShell: !node.json,
        heredocs: node.heredocs,
        mountSpecs: mount.values,
        network: network.value,
        security: security.value,
        flagsUsed,
      };
    }
    case 'cmd': {
      flags.parse();
      return { ...b, kind: 'CMD', cmdLine: jsonArgs(node), prependShell: !node.json };
    }
    case 'entrypoint': {
      flags.parse();
      return { ...b, kind: 'ENTRYPOINT', cmdLine: jsonArgs(node), prependShell: !node.json };
    }
    case 'healthcheck':
      return parseHealthcheck(node, flags, b);
    case 'expose': {
      if (node.args.length === 0) atLeastOne('EXPOSE');
      flags.parse();
      return { ...b, kind: 'EXPOSE', ports: [...node.args].sort(goStringCompare) };
    }
    case 'user': {
      if (node.args.length !== 1) exactlyOne('USER');
      flags.parse();
      return { ...b, kind: 'USER', user: node.args[0]! };
    }
    case 'volume': {
      if (node.args.length === 0) atLeastOne('VOLUME');
      flags.parse();
      const volumes = node.args.map((v) => goTrimSpace(v));
      if (volumes.some((v) => v === '')) fail('VOLUME specified can not be an empty string');
      return { ...b, kind: 'VOLUME', volumes };
    }
    case 'stopsignal': {
      // Docker does not check STOPSIGNAL's flags at all.
      if (node.args.length !== 1) exactlyOne('STOPSIGNAL');
      return { ...b, kind: 'STOPSIGNAL', signal: node.args[0]! };
    }
    case 'arg': {
      // Docker does not check ARG's flags at all.
      if (node.args.length < 1) atLeastOne('ARG');
      const args = node.args.map((word): ArgDefinition => {
        const eq = word.indexOf('=');
        if (eq < 0) return { key: word, comment: commentFor(node.comments, word) };
        const key = word.slice(0, eq);
        if (key === '') blankNames('ARG');
        return { key, value: word.slice(eq + 1), comment: commentFor(node.comments, key) };
      });
      return { ...b, kind: 'ARG', args };
    }
    case 'shell': {
      flags.parse();
      const shell = jsonArgs(node);
      if (shell.length === 0) atLeastOne('SHELL');
      if (!node.json) fail('SHELL requires the arguments to be in JSON form');
      return { ...b, kind: 'SHELL', shell };
    }
    default:
      return fail(withSuggestion(`unknown instruction: ${node.keyword}`, node.keyword, instructionNames, false));
  }
}

/** Go's sort.Strings order: byte-wise on UTF-8, which is code point order. */
function goStringCompare(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function sourcesAndDest(node: AstNode, cmd: string): { sources: string[]; sourceContents: HeredocSource[]; dest: string } {
  const srcs = node.args.slice(0, -1);
  const dest = node.args[node.args.length - 1]!;
  if (parseHeredocWord(dest)) fail(`${cmd} cannot accept a heredoc as a destination`);
  const byName = new Map<string, Heredoc>();
  for (const heredoc of node.heredocs) byName.set(heredoc.name, heredoc);
  const sources: string[] = [];
  const sourceContents: HeredocSource[] = [];
  for (const src of srcs) {
    const word = parseHeredocWord(src);
    if (word) {
      const body = byName.get(word.name);
      const data = body ? heredocData({ ...body, chomp: word.chomp }) : '';
      sourceContents.push({ path: word.name, data, expand: word.expand });
    } else {
      sources.push(src);
    }
  }
  return { sources, sourceContents, dest };
}

function parseDurationFlag(name: string, value: string): number {
  if (value === '') return 0;
  let ns: number;
  try {
    ns = parseGoDuration(value);
  } catch (err) {
    return fail((err as Error).message);
  }
  if (ns === 0) return 0;
  if (ns < 1_000_000) fail(`Interval ${goQuote(name)} cannot be less than 1ms`);
  return ns;
}

function parseHealthcheck(node: AstNode, flags: Flags, b: InstructionBase): HealthcheckInstruction {
  if (node.args.length === 0) atLeastOne('HEALTHCHECK');
  const typ = node.args[0]!.toUpperCase();
  const args = node.args.slice(1);
  const none = { interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  if (typ === 'NONE') {
    // Docker ignores flags given with NONE.
    if (args.length !== 0) fail('HEALTHCHECK NONE takes no arguments');
    return { ...b, kind: 'HEALTHCHECK', test: ['NONE'], ...none };
  }
  const interval = flags.string('interval');
  const timeout = flags.string('timeout');
  const startPeriod = flags.string('start-period');
  const startInterval = flags.string('start-interval');
  const retries = flags.string('retries');
  flags.parse();
  if (typ !== 'CMD') fail(`Unknown type ${goQuote(typ)} in HEALTHCHECK (try CMD)`);
  const cmd = jsonArgs(node, args);
  if (cmd.length === 0) fail('Missing command after HEALTHCHECK CMD');
  const test = [node.json ? 'CMD' : 'CMD-SHELL', ...cmd];
  const result: HealthcheckInstruction = {
    ...b,
    kind: 'HEALTHCHECK',
    test,
    interval: parseDurationFlag('interval', interval.value),
    timeout: parseDurationFlag('timeout', timeout.value),
    startPeriod: parseDurationFlag('start-period', startPeriod.value),
    startInterval: parseDurationFlag('start-interval', startInterval.value),
    retries: 0,
  };
  if (retries.value !== '') {
    let n: number;
    try {
      n = parseGoInt(retries.value, 32);
    } catch (err) {
      return fail((err as Error).message);
    }
    if (n < 0) fail(`--retries cannot be negative (${n})`);
    result.retries = n;
  }
  return result;
}

/**
 * What BuildKit checks of a --mount value before expansion: that it is
 * valid CSV and that `from=` holds no variable.
 */
function checkMountSpecSyntax(spec: string): void {
  let fields: string[];
  try {
    fields = splitCsvRecord(spec);
  } catch (err) {
    return fail(`failed to parse csv mounts: ${(err as Error).message}`);
  }
  for (const field of fields) {
    const eq = field.indexOf('=');
    if (eq < 0) continue;
    if (field.slice(0, eq).toLowerCase() !== 'from') continue;
    const value = field.slice(eq + 1);
    const dollar = value.indexOf('$');
    if (dollar !== -1 && dollar !== value.length - 1) {
      fail("'from' doesn't support variable expansion, define alias stage instead");
    }
  }
}

/** One CSV record as Go's encoding/csv reads it (`,` separated, `"` quoting, `""` for a quote). */
export function splitCsvRecord(line: string): string[] {
  const fields: string[] = [];
  let pos = 0;
  for (;;) {
    if (line[pos] === '"') {
      let field = '';
      pos++;
      for (;;) {
        const q = line.indexOf('"', pos);
        if (q < 0) throw new Error(`parse error on line 1, column ${line.length + 1}: extraneous or missing " in quoted-field`);
        field += line.slice(pos, q);
        pos = q + 1;
        if (line[pos] === '"') {
          field += '"';
          pos++;
          continue;
        }
        if (pos < line.length && line[pos] !== ',') {
          throw new Error(`parse error on line 1, column ${pos + 1}: extraneous or missing " in quoted-field`);
        }
        break;
      }
      fields.push(field);
    } else {
      const comma = line.indexOf(',', pos);
      const field = comma < 0 ? line.slice(pos) : line.slice(pos, comma);
      const bare = field.indexOf('"');
      if (bare >= 0) throw new Error(`parse error on line 1, column ${pos + bare + 1}: bare " in non-quoted field`);
      fields.push(field);
      pos = comma < 0 ? line.length : comma;
    }
    if (pos >= line.length) break;
    pos++; // the comma
    if (pos === line.length) {
      fields.push('');
      break;
    }
  }
  return fields;
}
