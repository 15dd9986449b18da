// Build-time resolution of instruction arguments: variable expansion with
// the stage's environment, as docker applies it just before running each
// instruction, plus RUN --mount parsing and the RUN heredoc forms.
//
// Which fields docker expands (BuildKit's Expand methods and the classic
// builder's dispatchers): ENV and LABEL keys and values; ARG names and
// defaults; ADD/COPY sources, destination, --chown, --chmod, --from and
// ADD's --checksum, plus heredoc bodies with an unquoted delimiter; WORKDIR;
// USER; VOLUME; STOPSIGNAL; EXPOSE (the only one split into several words:
// EXPOSE $PORTS with PORTS="80 443" gives two ports); RUN --mount values;
// FROM's image and --platform (with the global ARGs only: the caller picks
// the environment). RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK/ONBUILD/MAINTAINER
// are left alone: the shell expands RUN's text when it runs.

import { heredocData, parseHeredocWord } from './ast.js';
import { InstructionReason, locatedError } from './errors.js';
import { goQuote, parseGoBool, parseGoUint32, withSuggestion } from './go-compat.js';
import {
  splitCsvRecord,
  type ExposeInstruction,
  type HeredocSource,
  type Instruction,
  type KeyValuePair,
  type RunInstruction,
  type RunMount,
} from './instructions.js';
import { type EnvGetter, type EnvSource, ShellLex, ShellLexError, envGetter } from './shell-lex.js';

export type WordExpander = (word: string) => string;

/** docker's ProcessWord bound to an environment and escape token. */
export function wordExpander(env: EnvSource | EnvGetter, escapeToken = '\\'): WordExpander {
  const lex = new ShellLex({ escapeToken });
  const getter = envGetter(env);
  return (word) => lex.processWord(word, getter);
}

/**
 * Expands a heredoc body (COPY/ADD <<EOF with an unquoted delimiter): `$`
 * substitutions and `\` escapes, quotes kept as written.
 */
export function expandHeredocBody(body: string, env: EnvSource | EnvGetter): string {
  return new ShellLex({ skipProcessQuotes: true }).processWord(body, env);
}

/**
 * Returns a copy of the instruction with the fields docker expands resolved
 * against env. Errors (bad substitution, bad --mount) are
 * DockerfileParseErrors located at the instruction, with docker's message.
 */
export function expandInstruction<T extends Instruction>(instr: T, env: EnvSource | EnvGetter, escapeToken = '\\'): T {
  const getter = envGetter(env);
  const lex = new ShellLex({ escapeToken });
  const word: WordExpander = (w) => lex.processWord(w, getter);
  try {
    return expandWith(instr, word, (w) => lex.processWords(w, getter), getter) as T;
  } catch (err) {
    if (err instanceof ShellLexError || err instanceof InstructionReason) {
      throw locatedError(err.message, instr.startLine, instr.endLine);
    }
    throw err;
  }
}

function expandWith(
  instr: Instruction,
  word: WordExpander,
  words: (w: string) => string[],
  env: EnvGetter,
): Instruction {
  const pairs = (list: KeyValuePair[]): KeyValuePair[] =>
    list.map((p) => ({ key: word(p.key), value: word(p.value), noDelim: p.noDelim }));
  const contents = (list: HeredocSource[]): HeredocSource[] =>
    list.map((c) => (c.expand ? { ...c, data: expandHeredocBody(c.data, env) } : { ...c }));
  switch (instr.kind) {
    case 'ENV':
      return { ...instr, env: pairs(instr.env) };
    case 'LABEL':
      return { ...instr, labels: pairs(instr.labels) };
    case 'ARG':
      return {
        ...instr,
        args: instr.args.map((a) => ({ ...a, key: word(a.key), ...(a.value !== undefined ? { value: word(a.value) } : {}) })),
      };
    case 'COPY':
      return {
        ...instr,
        chown: word(instr.chown),
        chmod: word(instr.chmod),
        from: word(instr.from),
        sources: instr.sources.map(word),
        dest: word(instr.dest),
        sourceContents: contents(instr.sourceContents),
      };
    case 'ADD':
      return {
        ...instr,
        chown: word(instr.chown),
        chmod: word(instr.chmod),
        checksum: word(instr.checksum),
        sources: instr.sources.map(word),
        dest: word(instr.dest),
        sourceContents: contents(instr.sourceContents),
      };
    case 'WORKDIR':
      return { ...instr, path: word(instr.path) };
    case 'USER':
      return { ...instr, user: word(instr.user) };
    case 'VOLUME':
      return { ...instr, volumes: instr.volumes.map(word) };
    case 'STOPSIGNAL':
      return { ...instr, signal: word(instr.signal) };
    case 'EXPOSE':
      return { ...instr, ports: instr.ports.flatMap(words) } satisfies ExposeInstruction;
    case 'RUN':
      return { ...instr, mounts: instr.mountSpecs.map((spec) => parseRunMount(spec, word)) };
    case 'FROM':
      return { ...instr, image: word(instr.image), platform: word(instr.platform) };
    default:
      return { ...instr };
  }
}

// ---------------------------------------------------------------------------
// RUN --mount (BuildKit's instructions/commands_runmount.go)

const mountTypes = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'] as const;
const sharingModes = ['shared', 'private', 'locked'] as const;
const mountKeys = [
  'type', 'from', 'source', 'target', 'readonly', 'id', 'sharing', 'required', 'size', 'mode', 'uid', 'gid',
  'src', 'dst', 'destination', 'ro', 'rw', 'readwrite', 'env',
];

const reason = (message: string): never => {
  throw new InstructionReason(message);
};

/**
 * Parses one --mount value (CSV of key=value fields), expanding each value
 * with expand. Throws InstructionReason with BuildKit's messages.
 */
export function parseRunMount(spec: string, expand: WordExpander = (w) => w): RunMount {
  let fields: string[];
  try {
    fields = splitCsvRecord(spec);
  } catch (err) {
    return reason(`failed to parse csv mounts: ${(err as Error).message}`);
  }
  const m: RunMount = {
    type: 'bind',
    from: '',
    source: '',
    target: '',
    readOnly: false,
    sizeLimit: 0,
    cacheId: '',
    sharing: '',
    required: false,
  };
  let roAuto = true;
  const bool = (key: string, value: string): boolean => {
    const parsed = parseGoBool(value);
    return parsed ?? reason(`invalid value for ${key}: ${value}`);
  };
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      switch (key) {
        case 'readonly':
        case 'ro':
          m.readOnly = true;
          roAuto = false;
          continue;
        case 'readwrite':
        case 'rw':
          m.readOnly = false;
          roAuto = false;
          continue;
        case 'required':
          if (m.type === 'secret' || m.type === 'ssh') {
            m.required = true;
            continue;
          }
          return reason(`unexpected key '${key}' for mount type '${m.type}'`);
        default:
          return reason(`invalid field '${field}' must be a key=value pair`);
      }
    }
    const value = expand(field.slice(eq + 1));
    switch (key) {
      case 'type': {
        const t = value.toLowerCase();
        if (!(mountTypes as readonly string[]).includes(t)) {
          reason(withSuggestion(`unsupported mount type ${goQuote(value)}`, value, mountTypes, true));
        }
        m.type = t as RunMount['type'];
        break;
      }
      case 'from':
        m.from = value;
        break;
      case 'source':
      case 'src':
        m.source = value;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.target = value;
        break;
      case 'readonly':
      case 'ro':
        m.readOnly = bool(key, value);
        roAuto = false;
        break;
      case 'readwrite':
      case 'rw':
        m.readOnly = !bool(key, value);
        roAuto = false;
        break;
      case 'required':
        if (m.type !== 'secret' && m.type !== 'ssh') reason(`unexpected key '${key}' for mount type '${m.type}'`);
        m.required = bool(key, value);
        break;
      case 'size': {
        if (m.type !== 'tmpfs') reason(`unexpected key '${key}' for mount type '${m.type}'`);
        const size = ramInBytes(value);
        if (size === undefined) reason(`invalid value for ${key}: ${value}`);
        m.sizeLimit = size!;
        break;
      }
      case 'id':
        m.cacheId = value;
        break;
      case 'sharing': {
        const s = value.toLowerCase();
        if (!(sharingModes as readonly string[]).includes(s)) {
          reason(withSuggestion(`unsupported sharing value ${goQuote(value)}`, value, sharingModes, true));
        }
        m.sharing = s as RunMount['sharing'];
        break;
      }
      case 'mode':
        m.mode = uint(value, 8, 'mode');
        break;
      case 'uid':
        m.uid = uint(value, 10, 'uid');
        break;
      case 'gid':
        m.gid = uint(value, 10, 'gid');
        break;
      case 'env':
        m.env = value;
        break;
      default:
        reason(withSuggestion(`unexpected key '${key}' in '${field}'`, key, mountKeys, true));
    }
  }
  const fileInfoAllowed = m.type === 'secret' || m.type === 'ssh' || m.type === 'cache';
  if (!fileInfoAllowed) {
    if (m.mode !== undefined) reason(`mode not allowed for ${goQuote(m.type)} type mounts`);
    if (m.uid !== undefined) reason(`uid not allowed for ${goQuote(m.type)} type mounts`);
    if (m.gid !== undefined) reason(`gid not allowed for ${goQuote(m.type)} type mounts`);
  }
  if (roAuto) m.readOnly = !(m.type === 'cache' || m.type === 'tmpfs');
  if (m.type === 'secret') {
    if (m.from !== '') reason('secret mount should not have a from');
    if (m.sharing !== '') reason('secret mount should not define sharing');
    if (m.source === '' && m.target === '' && m.cacheId === '') reason('invalid secret mount. one of source, target required');
    if (m.source !== '' && m.cacheId !== '') reason("both source and id can't be set");
  }
  if (m.sharing !== '' && m.type !== 'cache') reason(`invalid cache sharing set for ${m.type} mount`);
  return m;
}

function uint(value: string, base: 8 | 10, name: string): number {
  try {
    return parseGoUint32(value, base);
  } catch {
    return reason(`invalid value ${value} for ${name}`);
  }
}

/** docker/go-units RAMInBytes: "64m", "1.5GiB", "100" (binary multiples); undefined when invalid. */
export function ramInBytes(size: string): number | undefined {
  const m = /^([0-9.]+) ?([a-zA-Z]*)$/.exec(size);
  if (!m) return undefined;
  const num = Number(m[1]);
  if (!/^(\d+\.?\d*|\.\d+)$/.test(m[1]!) || Number.isNaN(num)) return undefined;
  const suffix = m[2]!.toLowerCase();
  if (suffix === '' || suffix === 'b') return Math.trunc(num);
  if (suffix.length > 3) return undefined;
  const power = 'kmgtp'.indexOf(suffix[0]!);
  if (power < 0) return undefined;
  if (suffix.length === 2 && suffix[1] !== 'b') return undefined;
  if (suffix.length === 3 && suffix.slice(1) !== 'ib') return undefined;
  return Math.trunc(num * 1024 ** (power + 1));
}

// ---------------------------------------------------------------------------
// RUN with heredocs (BuildKit's dispatchRun)

export type RunHeredocPlan =
  /** No heredoc: run cmdLine as usual. */
  | { kind: 'plain' }
  /**
   * `RUN <<EOF` whose body starts with `#!`: BuildKit writes the body to an
   * executable file (mode 0755, named after the delimiter, under /dev/pipes/)
   * and runs that file directly instead of the shell.
   */
  | { kind: 'script-file'; name: string; data: string }
  /** `RUN <<EOF` without a shebang: the body is the shell command (`sh -c body`). */
  | { kind: 'shell-script'; script: string }
  /** Heredocs inside a longer command (`RUN cat <<EOF > /f`): the line and bodies go to the shell as one script. */
  | { kind: 'shell-command'; command: string };

/** How the builder should run a RUN that has heredocs. */
export function runHeredocPlan(run: RunInstruction): RunHeredocPlan {
  if (run.heredocs.length === 0) return { kind: 'plain' };
  const first = run.heredocs[0]!;
  const line = run.cmdLine[0] ?? '';
  if (parseHeredocWord(line)) {
    // The whole command is one heredoc word: run its body (BuildKit ignores any more bodies).
    if (first.content.startsWith('#!')) return { kind: 'script-file', name: first.name, data: heredocData(first) };
    return { kind: 'shell-script', script: heredocData(first) };
  }
  let command = line;
  for (const heredoc of run.heredocs) command += '\n' + heredoc.content + heredoc.name;
  return { kind: 'shell-command', command };
}
