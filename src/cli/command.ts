// The berth command tree: how docker/cli drives cobra. Global flags are parsed
// first, up to the first command word; cobra then walks subcommands
// (TraverseChildren), parses the command's own flags, answers --help, checks
// the argument count and runs the command. Help, usage lines and every error
// are laid out as docker 28 prints them, with the binary's name substituted.
// Grammar and help only: command modules do the work.

import {
  FlagError,
  FlagSet,
  HelpRequested,
  formatFlagUsages,
  type BoolFlagSpec,
  type FlagSpec,
  type FlagSpecs,
  type FlagValues,
} from './flags.js';

// Builtins through process.getBuiltinModule, not an ESM import: every CLI
// start loads this module, and import facades cost (see docs/cli.md).
const { homedir } = process.getBuiltinModule('node:os');
const { join } = process.getBuiltinModule('node:path');

export interface TextWriter {
  write(chunk: string): unknown;
}

export interface CliIO {
  readonly stdout: TextWriter;
  readonly stderr: TextWriter;
  /** Environment (for global flag defaults); process.env in main. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Width of the terminal on stdin, if stdin is one. Docker wraps help at
   * that width less one, or at 79 columns when stdin is not a terminal.
   */
  readonly terminalWidth?: number;
}

// ---------------------------------------------------------------------------
// Argument-count rules, as docker/cli's cli.NoArgs, RequiresMinArgs, ...

export type ArgsRule =
  | { readonly kind: 'any' }
  | { readonly kind: 'none' }
  | { readonly kind: 'exact'; readonly count: number }
  | { readonly kind: 'min'; readonly count: number }
  | { readonly kind: 'max'; readonly count: number }
  | { readonly kind: 'range'; readonly min: number; readonly max: number };

export const anyArgs: ArgsRule = { kind: 'any' };
export const noArgs: ArgsRule = { kind: 'none' };
export const exactArgs = (count: number): ArgsRule => ({ kind: 'exact', count });
export const minArgs = (count: number): ArgsRule => ({ kind: 'min', count });
export const maxArgs = (count: number): ArgsRule => ({ kind: 'max', count });
export const rangeArgs = (min: number, max: number): ArgsRule => ({ kind: 'range', min, max });

// ---------------------------------------------------------------------------
// Global options.

/** docker's global flags (cli/flags/options.go), with its environment-derived defaults. */
export function defaultGlobalFlags(binName: string, env: Readonly<Record<string, string | undefined>>) {
  const configDir = env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
  const certPath = env.DOCKER_CERT_PATH || configDir;
  return {
    config: { type: 'string', default: configDir, usage: 'Location of client config files' },
    context: {
      type: 'string',
      short: 'c',
      usage: `Name of the context to use to connect to the daemon (overrides DOCKER_HOST env var and default context set with "${binName} context use")`,
    },
    debug: { type: 'bool', short: 'D', usage: 'Enable debug mode' },
    host: { type: 'list', short: 'H', usage: 'Daemon socket to connect to' },
    'log-level': {
      type: 'string',
      short: 'l',
      default: 'info',
      usage: 'Set the logging level ("debug", "info", "warn", "error", "fatal")',
    },
    tls: { type: 'bool', default: Boolean(env.DOCKER_TLS), usage: 'Use TLS; implied by --tlsverify' },
    tlscacert: { type: 'string', default: join(certPath, 'ca.pem'), usage: 'Trust certs signed only by this CA' },
    tlscert: { type: 'string', default: join(certPath, 'cert.pem'), usage: 'Path to TLS certificate file' },
    tlskey: { type: 'string', default: join(certPath, 'key.pem'), usage: 'Path to TLS key file' },
    tlsverify: { type: 'bool', default: Boolean(env.DOCKER_TLS_VERIFY), usage: 'Use TLS and verify the remote' },
  } as const satisfies FlagSpecs;
}

export type GlobalFlagSpecs = ReturnType<typeof defaultGlobalFlags>;

/** The global flags' values after parsing. */
export interface GlobalOptions {
  readonly config: string;
  readonly context: string;
  readonly debug: boolean;
  readonly hosts: readonly string[];
  readonly logLevel: string;
  readonly tls: boolean;
  readonly tlsVerify: boolean;
  readonly tlsCaCert: string;
  readonly tlsCert: string;
  readonly tlsKey: string;
  /** Long names of global flags given on the command line. */
  readonly changed: ReadonlySet<string>;
}

// ---------------------------------------------------------------------------
// Command specifications.

export interface CommandContext<F extends FlagSpecs> {
  /** Every flag's value: defaults unless set. */
  readonly flags: FlagValues<F>;
  /** Flags given on the command line (pflag Changed): docker treats set-to-default differently from unset. */
  readonly changed: ReadonlySet<keyof F & string>;
  readonly args: readonly string[];
  /** Number of args before a `--`, or -1 (pflag ArgsLenAtDash). */
  readonly argsLenAtDash: number;
  readonly global: GlobalOptions;
  readonly stdout: TextWriter;
  readonly stderr: TextWriter;
  readonly io: CliIO;
  /** The binary's name ("berth"). */
  readonly binName: string;
  /** The command as invoked: "berth ps" or "berth container ls". */
  readonly commandPath: string;
  /** "berth ps [OPTIONS]": what error messages show after "Usage:  ". */
  readonly useLine: string;
}

export interface CommandSpec<F extends FlagSpecs = FlagSpecs> {
  readonly name: string;
  /** Other names under the same parent (`ls` → `list`). */
  readonly aliases?: readonly string[];
  /** The use line after the name: "[OPTIONS] IMAGE [COMMAND] [ARG...]". */
  readonly usage: string;
  /** One line, shown in command lists and (without `long`) on the command's help. */
  readonly description: string;
  /** Replaces `description` on the command's own help. */
  readonly long?: string;
  readonly example?: string;
  readonly flags: F;
  readonly args: ArgsRule;
  /**
   * Whether flags may follow positional arguments (default true). docker run,
   * create and exec set false: flags after the image belong to the container.
   */
  readonly interspersed?: boolean;
  readonly hidden?: boolean;
  /** Returns the exit code. Throw StatusError for docker's status errors; other errors print their message and exit 1. */
  run(ctx: CommandContext<F>): number | Promise<number>;
}

/** A management command (`image`, `container`): only subcommands. */
export interface GroupSpec {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly description: string;
  readonly long?: string;
  readonly example?: string;
  readonly hidden?: boolean;
}

/**
 * A command registered without loading its module: what listings and the
 * tree walk need (name, aliases, one-line description, hidden), and how to
 * load the rest (flags, help, run) once the command is the one invoked.
 * Startup cost is then that of the invoked command's imports only.
 * `registry.loadAll()` checks that these fields match the loaded spec.
 */
export interface LazyCommand {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly description: string;
  readonly hidden?: boolean;
  /** `async () => (await import('./ls.js')).imageLsCommand` */
  readonly load: () => Promise<CommandSpec>;
}

export interface RootSpec {
  /** The binary's name, "berth". */
  readonly name: string;
  readonly description: string;
  /** What -v/--version prints (a newline is added), e.g. "berth version 0.1.0, build abc". */
  readonly version: string;
  /** The root help's closing paragraph (docker's "For more help on how to use Docker, ..."). */
  readonly additionalHelp?: string;
  /** Replaces docker's global flags (same names); defaults to defaultGlobalFlags(name, io.env). */
  readonly globalFlags?: (env: Readonly<Record<string, string | undefined>>) => GlobalFlagSpecs;
}

export interface Placement {
  /** Path of the parent group, e.g. ["image"]; top level when absent. */
  readonly parent?: readonly string[];
  /** Listed under the root's "Common Commands" in this order (docker's category-top). */
  readonly common?: number;
}

/** docker's cli.StatusError: print `status` (when not empty) and exit with `exitCode`. */
export class StatusError extends Error {
  readonly status: string;
  readonly exitCode: number;
  constructor(status: string, exitCode: number) {
    super(status);
    this.name = 'StatusError';
    this.status = status;
    this.exitCode = exitCode;
  }
}

/** Identity function that keeps literal flag types, so run(ctx) sees typed flags. */
export function defineCommand<const F extends FlagSpecs>(spec: CommandSpec<F>): CommandSpec<F> {
  return spec;
}

// ---------------------------------------------------------------------------
// The tree.

type NodeKind = 'root' | 'group' | 'command' | 'help';

/**
 * What only a command's own help, flag parsing and run need. Filled in when
 * a lazily registered command is loaded; shared (by reference) between a
 * command and its top-level shortcuts, so loading either fills both.
 */
interface NodeDetail {
  long: string | undefined;
  example: string | undefined;
  /** The use line after the name. */
  usage: string;
  flags: FlagSpecs;
  command: CommandSpec | undefined;
  /** Set until a lazily registered command is loaded. */
  load: (() => Promise<CommandSpec>) | undefined;
}

interface CommandNode {
  readonly kind: NodeKind;
  readonly name: string;
  readonly aliases: readonly string[];
  readonly parent: CommandNode | undefined;
  readonly description: string;
  readonly hidden: boolean;
  readonly detail: NodeDetail;
  readonly children: CommandNode[];
  /** For a top-level shortcut (`ps`), the command it stands for (`container ls`). */
  readonly canonical: CommandNode | undefined;
  /** On a command: its top-level shortcuts. */
  readonly shortcuts: CommandNode[];
  readonly common: number | undefined;
}

// cobra's help flag as docker's root sets it: persistent, hidden, `-h` deprecated.
const IMPLICIT_HELP: BoolFlagSpec = { type: 'bool', short: 'h', shortDeprecated: 'use --help', hidden: true, usage: 'Print usage' };
const IMPLICIT_HELP_NO_SHORTHAND: BoolFlagSpec = { type: 'bool', hidden: true, usage: 'Print usage' };
const VERSION_FLAG: BoolFlagSpec = { type: 'bool', short: 'v', usage: 'Print version information and quit' };

/**
 * A command's flags plus the inherited help flag. A command that declares
 * its own `help` keeps it (docker run lists "--help  Print usage" because
 * `-h` is its --hostname); otherwise `-h` stays help's deprecated shorthand
 * unless the command uses the letter.
 */
function withHelpFlag(flags: FlagSpecs): FlagSpecs {
  if ('help' in flags) return flags;
  const letterTaken = Object.values(flags).some((spec: FlagSpec) => spec.short === 'h');
  return { ...flags, help: letterTaken ? IMPLICIT_HELP_NO_SHORTHAND : IMPLICIT_HELP };
}

function byName(a: CommandNode, b: CommandNode): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function goTrimSpace(s: string): string {
  return s.replace(/^[\s\u0085]+|[\s\u0085]+$/gu, '');
}

function pluralize(word: string, count: number): string {
  return count === 1 ? word : `${word}s`;
}

export class CommandRegistry {
  readonly binName: string;
  private readonly rootSpec: RootSpec;
  private readonly root: CommandNode;

  constructor(root: RootSpec) {
    this.rootSpec = root;
    this.binName = root.name;
    this.root = {
      kind: 'root',
      name: root.name,
      aliases: [],
      parent: undefined,
      description: root.description,
      hidden: false,
      detail: fixedDetail('[OPTIONS] COMMAND [ARG...]'),
      children: [],
      canonical: undefined,
      shortcuts: [],
      common: undefined,
    };
    // cobra's help command: found by name, never listed.
    this.attach(this.root, {
      kind: 'help',
      name: 'help',
      aliases: [],
      parent: this.root,
      description: 'Help about the command',
      hidden: true,
      detail: fixedDetail('[command]'),
      children: [],
      canonical: undefined,
      shortcuts: [],
      common: undefined,
    });
  }

  /** Registers a command under `placement.parent` (top level by default). */
  add(spec: CommandSpec, placement: Placement = {}): this {
    const parent = this.resolveGroup(placement.parent ?? []);
    this.attach(parent, {
      kind: 'command',
      name: spec.name,
      aliases: spec.aliases ?? [],
      parent,
      description: spec.description,
      hidden: spec.hidden ?? false,
      detail: { ...specDetail(spec), load: undefined },
      children: [],
      canonical: undefined,
      shortcuts: [],
      common: placement.common,
    });
    return this;
  }

  /**
   * Registers a command whose module is imported only when it is invoked
   * (or its help shown): `berth ps` then loads ps's code and nothing else.
   */
  addLazy(command: LazyCommand, placement: Placement = {}): this {
    const parent = this.resolveGroup(placement.parent ?? []);
    this.attach(parent, {
      kind: 'command',
      name: command.name,
      aliases: command.aliases ?? [],
      parent,
      description: command.description,
      hidden: command.hidden ?? false,
      detail: { long: undefined, example: undefined, usage: '', flags: {}, command: undefined, load: command.load },
      children: [],
      canonical: undefined,
      shortcuts: [],
      common: placement.common,
    });
    return this;
  }

  /** Registers a management command (`image`, `container`); add its commands with `parent: [name]`. */
  addGroup(spec: GroupSpec, placement: Placement = {}): this {
    const parent = this.resolveGroup(placement.parent ?? []);
    this.attach(parent, {
      kind: 'group',
      name: spec.name,
      aliases: spec.aliases ?? [],
      parent,
      description: spec.description,
      hidden: spec.hidden ?? false,
      detail: { ...fixedDetail(''), long: spec.long, example: spec.example },
      children: [],
      canonical: undefined,
      shortcuts: [],
      common: placement.common,
    });
    return this;
  }

  /**
   * Another name for a nested command, as docker's `ps` is `container ls`
   * and `rmi` is `image rm` (top level), or `builder build` is `image build`
   * (under a group, with `parent`): same flags and behaviour (a lazy command
   * is loaded once for all its names), its own command path, and listed in
   * the command's Aliases in registration order.
   */
  shortcut(
    name: string,
    target: readonly string[],
    placement: { readonly common?: number; readonly hidden?: boolean; readonly parent?: readonly string[] } = {},
  ): this {
    const canonical = this.resolve(target);
    if (!canonical || canonical.kind !== 'command') {
      throw new Error(`shortcut ${name}: no command ${target.join(' ')}`);
    }
    // Top level, or under another group as docker files `builder build` (= `image build`).
    const parent = this.resolveGroup(placement.parent ?? []);
    const node: CommandNode = {
      ...canonical,
      name,
      aliases: [],
      parent,
      hidden: placement.hidden ?? canonical.hidden,
      canonical,
      shortcuts: [],
      common: placement.common,
    };
    this.attach(parent, node);
    canonical.shortcuts.push(node);
    return this;
  }

  /** Runs argv (without the binary's name) as docker would; resolves to the exit code. */
  async dispatch(argv: readonly string[], io: CliIO): Promise<number> {
    return new Dispatch(this, this.root, this.rootSpec, io).run(argv);
  }

  /** The help text `berth <path...> --help` prints (a lazy command must have been loaded: see `load`). */
  helpText(path: readonly string[], io: Pick<CliIO, 'env' | 'terminalWidth'> = { env: {} }): string {
    const node = this.resolve(path);
    if (!node) throw new Error(`no command ${path.join(' ')}`);
    if (node.detail.load) throw new Error(`command ${path.join(' ')} is not loaded yet`);
    const dispatch = new Dispatch(this, this.root, this.rootSpec, { ...io, stdout: nullWriter, stderr: nullWriter });
    return dispatch.helpText(node);
  }

  /** Loads the lazily registered command at `path`, if it is one. */
  async load(path: readonly string[]): Promise<void> {
    const node = this.resolve(path);
    if (!node) throw new Error(`no command ${path.join(' ')}`);
    await loadDetail(node);
  }

  /**
   * Loads every lazily registered command and checks that what was
   * registered (name, aliases, description, hidden) is what its spec says:
   * listings show the registered fields, the command's own help the spec's.
   */
  async loadAll(): Promise<void> {
    const problems: string[] = [];
    const visit = async (node: CommandNode, path: string): Promise<void> => {
      if (node.kind === 'command' && !node.canonical) {
        const lazy = node.detail.load !== undefined;
        await loadDetail(node);
        const spec = node.detail.command;
        if (lazy && spec) {
          const registered = JSON.stringify([node.name, node.aliases, node.description, node.hidden]);
          const declared = JSON.stringify([spec.name, spec.aliases ?? [], spec.description, spec.hidden ?? false]);
          if (registered !== declared) problems.push(`${path}: registered ${registered}, spec ${declared}`);
        }
      }
      for (const child of node.children) await visit(child, `${path} ${child.name}`);
    };
    await visit(this.root, this.root.name);
    if (problems.length > 0) throw new Error(`lazy command registrations differ from their specs:\n${problems.join('\n')}`);
  }

  private resolve(path: readonly string[]): CommandNode | undefined {
    let node: CommandNode | undefined = this.root;
    for (const name of path) {
      node = node ? findChild(node, name) : undefined;
    }
    return node;
  }

  private resolveGroup(path: readonly string[]): CommandNode {
    const node = this.resolve(path);
    if (!node || (node.kind !== 'group' && node.kind !== 'root')) throw new Error(`no command group ${path.join(' ')}`);
    return node;
  }

  private attach(parent: CommandNode, node: CommandNode): void {
    for (const name of [node.name, ...node.aliases]) {
      if (findChild(parent, name)) throw new Error(`command ${name} already registered under ${parent.name}`);
    }
    // Kept sorted by inserting in place: sorting after each of the ~100
    // registrations was a visible part of every start.
    const children = parent.children;
    let at = children.length;
    while (at > 0 && byName(children[at - 1]!, node) > 0) at--;
    children.splice(at, 0, node);
  }
}

function fixedDetail(usage: string): NodeDetail {
  return { long: undefined, example: undefined, usage, flags: {}, command: undefined, load: undefined };
}

function specDetail(spec: CommandSpec): Omit<NodeDetail, 'load'> {
  return { long: spec.long, example: spec.example, usage: spec.usage, flags: spec.flags, command: spec };
}

/** Imports a lazily registered command's module and fills its node (and its shortcuts, which share the detail). */
async function loadDetail(node: CommandNode): Promise<void> {
  const load = node.detail.load;
  if (!load) return;
  const spec = await load();
  Object.assign(node.detail, specDetail(spec), { load: undefined });
}

const nullWriter: TextWriter = { write: () => undefined };

function findChild(node: CommandNode, word: string): CommandNode | undefined {
  return node.children.find((child) => child.name === word || child.aliases.includes(word));
}

/** Convenience: `registry.dispatch(argv, io)`. */
export function dispatch(registry: CommandRegistry, argv: readonly string[], io: CliIO): Promise<number> {
  return registry.dispatch(argv, io);
}

// ---------------------------------------------------------------------------
// One invocation.

class Dispatch {
  private readonly root: CommandNode;
  private readonly rootSpec: RootSpec;
  private readonly io: CliIO;
  private readonly bin: string;
  private readonly globalSpecs: FlagSpecs;
  private readonly globalSet: FlagSet;

  constructor(registry: CommandRegistry, root: CommandNode, rootSpec: RootSpec, io: CliIO) {
    this.root = root;
    this.rootSpec = rootSpec;
    this.io = io;
    this.bin = registry.binName;
    const globals = rootSpec.globalFlags ? rootSpec.globalFlags(io.env) : defaultGlobalFlags(this.bin, io.env);
    this.globalSpecs = { ...globals, version: VERSION_FLAG, help: IMPLICIT_HELP };
    // Global flags are parsed by a flag set of docker's own, whose notices go to stderr.
    this.globalSet = new FlagSet(this.globalSpecs, { warn: (line) => io.stderr.write(line) });
  }

  async run(argv: readonly string[]): Promise<number> {
    let remaining: string[];
    try {
      // Stop at the first command word: what follows belongs to it.
      remaining = this.globalSet.parse(argv, { interspersed: false }).args;
    } catch (err) {
      return this.flagFailure(this.root, err);
    }
    let help = this.globalSet.values.help === true;

    // cobra's Traverse: flags between command words belong to the command they follow.
    let node = this.root;
    let set = this.globalSet;
    let args = remaining;
    for (;;) {
      const step = this.traverse(node, set, args);
      if (step.kind === 'stop') break;
      try {
        set.parse(step.flags);
      } catch (err) {
        return this.flagFailure(node, err);
      }
      if (set.changed.has('help')) help = set.values.help === true;
      node = step.next;
      await loadDetail(node);
      set = new FlagSet(withHelpFlag(node.detail.flags), { warn: (line) => this.io.stdout.write(line) });
      args = step.rest;
    }

    let outcome;
    try {
      outcome = set.parse(args, { interspersed: node.detail.command?.interspersed ?? true });
    } catch (err) {
      if (!(err instanceof HelpRequested)) return this.flagFailure(node, err);
      help = true;
      outcome = { args: [], argsLenAtDash: -1 };
    }
    if (set.changed.has('help')) help = set.values.help === true;
    if (help) {
      this.io.stdout.write(this.helpText(node));
      return 0;
    }

    switch (node.kind) {
      case 'root':
        return this.runRoot(outcome.args);
      case 'group':
        return this.runGroup(node, outcome.args);
      case 'help':
        return await this.runHelp(outcome.args);
      case 'command':
        return this.runCommand(node, set, outcome.args, outcome.argsLenAtDash);
    }
  }

  private traverse(
    node: CommandNode,
    set: FlagSet,
    args: readonly string[],
  ): { kind: 'stop' } | { kind: 'descend'; next: CommandNode; flags: string[]; rest: string[] } {
    const flags: string[] = [];
    let expectValue = false;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] ?? '';
      if (arg.startsWith('--') && !arg.includes('=')) {
        expectValue = !set.isBoolFlag(arg.slice(2));
        flags.push(arg);
        continue;
      }
      if (arg.startsWith('-') && !arg.includes('=') && arg.length === 2 && !set.isBoolShorthand(arg.slice(1))) {
        expectValue = true;
        flags.push(arg);
        continue;
      }
      if (expectValue) {
        expectValue = false;
        flags.push(arg);
        continue;
      }
      if ((arg.length >= 3 && arg.startsWith('--')) || (arg.length >= 2 && arg[0] === '-' && arg[1] !== '-')) {
        flags.push(arg);
        continue;
      }
      const next = findChild(node, arg);
      if (!next) return { kind: 'stop' };
      return { kind: 'descend', next, flags, rest: args.slice(i + 1) };
    }
    return { kind: 'stop' };
  }

  private runRoot(args: readonly string[]): number {
    if (this.globalSet.values.version === true) {
      this.io.stdout.write(`${this.rootSpec.version}\n`);
      return 0;
    }
    if (args.length === 0) {
      this.io.stderr.write(this.helpText(this.root));
      return 0;
    }
    this.io.stderr.write(`${this.bin}: unknown command: ${this.bin} ${args[0]}\n\nRun '${this.bin} --help' for more information\n`);
    return 1;
  }

  private runGroup(node: CommandNode, args: readonly string[]): number {
    if (args.length === 0) {
      this.io.stderr.write(this.helpText(node));
      return 0;
    }
    const path = this.pathOf(node);
    this.io.stderr.write(
      `${this.bin}: unknown command: ${path} ${args[0]}\n\nUsage:  ${this.useLine(node)}\n\nRun '${path} --help' for more information\n`,
    );
    return 1;
  }

  private async runHelp(topic: readonly string[]): Promise<number> {
    let node = this.root;
    let i = 0;
    for (; i < topic.length; i++) {
      const next = findChild(node, topic[i] ?? '');
      if (!next) break;
      node = next;
    }
    if (i < topic.length) {
      this.io.stderr.write(`unknown help topic: ${topic.slice(i).join(' ')}\n`);
      return 1;
    }
    await loadDetail(node);
    this.io.stdout.write(this.helpText(node));
    return 0;
  }

  private async runCommand(node: CommandNode, set: FlagSet, args: string[], argsLenAtDash: number): Promise<number> {
    const spec = node.detail.command;
    if (!spec) return 1;
    const argsError = this.checkArgs(node, spec.args, args);
    if (argsError !== undefined) {
      this.io.stderr.write(`${argsError}\n`);
      return 1;
    }
    // The inherited help flag is the framework's, unless the command declared its own.
    const values = set.values;
    const changed = set.changed;
    if (!('help' in spec.flags)) {
      delete values.help;
      changed.delete('help');
    }
    const ctx: CommandContext<FlagSpecs> = {
      flags: values,
      changed,
      args,
      argsLenAtDash,
      global: this.globalOptions(),
      stdout: this.io.stdout,
      stderr: this.io.stderr,
      io: this.io,
      binName: this.bin,
      commandPath: this.pathOf(node),
      useLine: this.useLine(node),
    };
    try {
      return await spec.run(ctx);
    } catch (err) {
      return this.reportFailure(err);
    }
  }

  private reportFailure(err: unknown): number {
    if (err instanceof StatusError) {
      if (err.status !== '') this.io.stderr.write(`${err.status}\n`);
      return err.exitCode === 0 ? 1 : err.exitCode;
    }
    this.io.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }

  private globalOptions(): GlobalOptions {
    const values = this.globalSet.values;
    const str = (name: string): string => {
      const v = values[name];
      return typeof v === 'string' ? v : '';
    };
    const hosts = values.host;
    const changed = this.globalSet.changed;
    changed.delete('help');
    changed.delete('version');
    return {
      config: str('config'),
      context: str('context'),
      debug: values.debug === true,
      hosts: Array.isArray(hosts) ? hosts : [],
      logLevel: str('log-level'),
      tls: values.tls === true,
      tlsVerify: values.tlsverify === true,
      tlsCaCert: str('tlscacert'),
      tlsCert: str('tlscert'),
      tlsKey: str('tlskey'),
      changed,
    };
  }

  // docker's FlagErrorFunc: the error, the usage line, a pointer to --help; exit 125.
  private flagFailure(node: CommandNode, err: unknown): number {
    if (!(err instanceof FlagError)) throw err;
    const path = this.pathOf(node);
    this.io.stderr.write(`${err.message}\n\nUsage:  ${this.useLine(node)}\n\nRun '${path} --help' for more information\n`);
    return 125;
  }

  // docker/cli cli/required.go, docker 28.2.2 wording (including "SRun" in RequiresMaxArgs).
  private checkArgs(node: CommandNode, rule: ArgsRule, args: readonly string[]): string | undefined {
    const path = this.pathOf(node);
    const usage = `\n\nUsage:  ${this.useLine(node)}\n\n`;
    const prefix = `${this.bin}: '${path}'`;
    const n = args.length;
    switch (rule.kind) {
      case 'any':
        return undefined;
      case 'none':
        return n === 0 ? undefined : `${prefix} accepts no arguments${usage}Run '${path} --help' for more information`;
      case 'exact':
        return n === rule.count
          ? undefined
          : `${prefix} requires ${rule.count} ${pluralize('argument', rule.count)}${usage}Run '${path} --help' for more information`;
      case 'min':
        return n >= rule.count
          ? undefined
          : `${prefix} requires at least ${rule.count} ${pluralize('argument', rule.count)}${usage}See '${path} --help' for more information`;
      case 'max':
        return n <= rule.count
          ? undefined
          : `${prefix} requires at most ${rule.count} ${pluralize('argument', rule.count)}${usage}SRun '${path} --help' for more information`;
      case 'range':
        return n >= rule.min && n <= rule.max
          ? undefined
          : `${prefix} requires at least ${rule.min} and at most ${rule.max} ${pluralize('argument', rule.max)}${usage}Run '${path} --help' for more information`;
    }
  }

  // -------------------------------------------------------------------------
  // Help, as docker/cli's usage template lays it out.

  pathOf(node: CommandNode): string {
    const names: string[] = [];
    for (let n: CommandNode | undefined = node; n; n = n.parent) names.unshift(n.name);
    return names.join(' ');
  }

  useLine(node: CommandNode): string {
    const head = node.parent ? `${this.pathOf(node.parent)} ${node.name}` : node.name;
    return node.detail.usage === '' ? head : `${head} ${node.detail.usage}`;
  }

  private flagsOf(node: CommandNode): FlagSpecs {
    return node.kind === 'root' ? this.globalSpecs : withHelpFlag(node.detail.flags);
  }

  private hasAvailableFlags(node: CommandNode): boolean {
    return Object.values(this.flagsOf(node)).some((spec) => !spec.hidden && !spec.deprecated);
  }

  // docker's commandAliases: the canonical path, its aliases, its top-level shortcuts.
  private aliasesLine(node: CommandNode): string | undefined {
    const canonical = node.canonical ?? node;
    if (canonical.aliases.length === 0 && canonical.shortcuts.length === 0) return undefined;
    const parentPath = canonical.parent ? `${this.pathOf(canonical.parent)} ` : '';
    return [
      this.pathOf(canonical),
      ...canonical.aliases.map((alias) => `${parentPath}${alias}`),
      ...canonical.shortcuts.map((shortcut) => this.pathOf(shortcut)),
    ].join(', ');
  }

  private namePadding(node: CommandNode): number {
    // cobra: the longest sibling name (hidden ones included), at least 11.
    const siblings = node.parent?.children ?? [];
    return Math.max(11, ...siblings.map((sibling) => sibling.name.length));
  }

  private listLine(node: CommandNode): string {
    return `\n  ${node.name.padEnd(this.namePadding(node))} ${node.description}`;
  }

  helpText(node: CommandNode): string {
    const available = node.children.filter((child) => !child.hidden && child.kind !== 'help');
    const isRoot = node.kind === 'root';
    const common = isRoot
      ? available.filter((child) => child.common !== undefined).sort((a, b) => (a.common ?? 0) - (b.common ?? 0))
      : [];
    const management = available.filter((child) => child.kind === 'group');
    const operations = available.filter((child) => child.kind !== 'group' && !(isRoot && child.common !== undefined));
    const hasSubCommands = node.children.length > 0;

    let out = 'Usage:  ';
    if (hasSubCommands) out += `${this.pathOf(node)}${this.hasAvailableFlags(node) ? ' [OPTIONS]' : ''} COMMAND`;
    else out += this.useLine(node);
    out += `\n\n${goTrimSpace(node.detail.long ?? node.description)}`;
    const aliases = this.aliasesLine(node);
    if (aliases !== undefined) out += `\n\nAliases:\n  ${aliases}`;
    if (node.detail.example) out += `\n\nExamples:\n${node.detail.example}`;
    const columns = (this.io.terminalWidth ?? 80) - 1;
    if (!isRoot && this.hasAvailableFlags(node)) {
      out += `\n\nOptions:\n${formatFlagUsages(this.flagsOf(node), columns).trimEnd()}`;
    }
    if (common.length > 0) out += `\n\nCommon Commands:${common.map((c) => this.listLine(c)).join('')}`;
    if (management.length > 0) out += `\n\nManagement Commands:${management.map((c) => this.listLine(c)).join('')}`;
    if (operations.length > 0) out += `\n\nCommands:${operations.map((c) => this.listLine(c)).join('')}`;
    if (isRoot && this.hasAvailableFlags(node)) {
      out += `\n\nGlobal Options:\n${formatFlagUsages(this.flagsOf(node), columns).trimEnd()}`;
    }
    if (hasSubCommands) out += `\n\nRun '${this.pathOf(node)} COMMAND --help' for more information on a command.`;
    if (isRoot && this.rootSpec.additionalHelp) out += `\n\n${this.rootSpec.additionalHelp}`;
    return `${out}\n`;
  }
}
