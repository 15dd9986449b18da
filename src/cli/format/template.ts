// Go's text/template for berth's --format flags: parse once, execute against
// JS values (see values.ts for how JS values map onto Go's kinds).
// Semantics and error texts follow https://pkg.go.dev/text/template as of
// Go 1.24 (the Go docker CLI 28 is built with): break/continue, short-circuit
// and/or, else-with, range over integers.
//
// Deliberate differences from Go, forced by JS values:
// - integral JS numbers are ints for %v/%d/eq, but float verbs (%f %e %g)
//   format them and comparisons mix ints and floats by value (Go refuses both);
// - function-valued properties act as methods, called with the template's arguments;
// - strings are UTF-8 for len/index/slice/truncate, but a cut through a
//   multi-byte character yields U+FFFD where Go would emit the raw bytes;
// - complex constants (1i) parse but cannot be evaluated.

import { BUILTINS, DOCKER_FUNCTIONS, FuncError, jsFunction, type FuncMap, type ParamType, type TemplateFunction } from './functions.js';
import { formatValue } from './gofmt.js';
import {
  nodeString,
  parseTemplate as parseTrees,
  TemplateParseError,
  type ArgNode,
  type ChainNode,
  type CommandNode,
  type FieldNode,
  type IdentifierNode,
  type IfNode,
  type Node,
  type NumberNode,
  type PipeNode,
  type TemplateNode,
  type Tree,
  type VariableNode,
} from './template-parse.js';
import {
  Float64,
  NilPointer,
  findMethod,
  isTrue,
  kindOf,
  mapGet,
  objectMark,
  sortedMapEntries,
  structField,
  typeName,
} from './values.js';

export { FuncError, jsFunction, BUILTINS, DOCKER_FUNCTIONS };
export { HEADER_FUNCTIONS } from './functions.js';
export type { FuncMap, ParamType, TemplateFunction };
export { Float64, NilPointer, markMap, markStruct, markStructsDeep } from './values.js';

/** A template that failed to parse or to execute; `message` is Go's error text. */
export class TemplateError extends Error {
  /** For execution errors: what the template wrote before it failed. */
  partialOutput = '';

  constructor(
    message: string,
    readonly phase: 'parse' | 'exec',
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** What a missing map key yields (Go's Option("missingkey=...")). */
export type MissingKey = 'default' | 'invalid' | 'zero' | 'error';

export interface ParseOptions {
  /** Template name used in error messages; docker's is "" ("template: :1: ..."). */
  name?: string;
  /** Functions besides Go's builtins. Defaults to docker's (json, join, …). */
  funcs?: Readonly<Record<string, TemplateFunction | ((...args: never[]) => unknown)>>;
}

export interface ExecuteOptions {
  missingKey?: MissingKey;
  /** Functions replacing same-named ones for this execution (docker's HeaderFunctions). */
  funcs?: Readonly<Record<string, TemplateFunction | ((...args: never[]) => unknown)>>;
}

function normalizeFuncs(funcs: ParseOptions['funcs']): Record<string, TemplateFunction> {
  const out: Record<string, TemplateFunction> = {};
  for (const [name, f] of Object.entries(funcs ?? {})) out[name] = typeof f === 'function' ? jsFunction(f) : f;
  return out;
}

export class Template {
  private constructor(
    readonly name: string,
    private readonly trees: Map<string, Tree>,
    private readonly funcs: Record<string, TemplateFunction>,
  ) {}

  /** Parses Go template text. Throws TemplateError (phase 'parse') with Go's message. */
  static parse(text: string, options: ParseOptions = {}): Template {
    const name = options.name ?? '';
    const funcs = normalizeFuncs(options.funcs ?? DOCKER_FUNCTIONS);
    const trees = new Map<string, Tree>();
    try {
      parseTrees(name, text, trees, { hasFunction: (f) => Object.hasOwn(funcs, f) || Object.hasOwn(BUILTINS, f) });
    } catch (e) {
      if (e instanceof TemplateParseError) throw new TemplateError(e.message, 'parse');
      throw e;
    }
    return new Template(name, trees, funcs);
  }

  /** Runs the template with `data` as dot. Throws TemplateError (phase 'exec') with Go's message. */
  execute(data: unknown, options: ExecuteOptions = {}): string {
    const tree = this.trees.get(this.name);
    const funcs = { ...this.funcs, ...normalizeFuncs(options.funcs) };
    const state = new State(this, this.name, funcs, options.missingKey ?? 'default');
    if (!tree) state.errorf(`${JSON.stringify(this.name)} is an incomplete or empty template`);
    state.vars = [{ name: '$', value: data }];
    try {
      state.walk(data, tree!.root);
    } catch (e) {
      if (e instanceof TemplateError) e.partialOutput = state.out.join('');
      throw e;
    }
    return state.out.join('');
  }

  /** @internal */
  tree(name: string): Tree | undefined {
    return this.trees.get(name);
  }

  /** Names of the templates defined with {{define}} or {{block}} (and the main one). */
  definedTemplates(): string[] {
    return [...this.trees.keys()];
  }
}

/** Parses and runs a template in one go, with docker's functions. */
export function renderTemplate(text: string, data: unknown, options: ParseOptions & ExecuteOptions = {}): string {
  return Template.parse(text, options).execute(data, options);
}

// ---- execution ----

const MISSING = Symbol('missing'); // no final (piped) argument
type Final = unknown;

const enum Flow {
  Normal,
  Break,
  Continue,
}

// Go allows 100000 nested template calls (1000 on wasm); a JS stack holds fewer.
const MAX_EXEC_DEPTH = 1000;

class State {
  out: string[] = [];
  node: Node | null = null;
  vars: { name: string; value: unknown }[] = [];
  depth = 0;

  constructor(
    readonly tmpl: Template,
    readonly name: string,
    readonly funcs: Record<string, TemplateFunction>,
    readonly missingKey: MissingKey,
  ) {}

  at(node: Node): void {
    this.node = node;
  }

  errorf(message: string): never {
    if (!this.node) throw new TemplateError(`template: ${this.name}: ${message}`, 'exec');
    const n = this.node;
    const text = n.src.text.slice(0, n.pos);
    const lastNewline = text.lastIndexOf('\n');
    const lineNum = 1 + (text.match(/\n/g)?.length ?? 0);
    const col = Buffer.byteLength(text.slice(lastNewline + 1), 'utf8');
    const context = nodeString(n);
    throw new TemplateError(
      `template: ${n.src.parseName}:${lineNum}:${col}: executing ${JSON.stringify(this.name)} at <${context}>: ${message}`,
      'exec',
    );
  }

  // ---- variables ----

  varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!.value;
    this.errorf(`undefined variable: ${name}`);
  }

  setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  // ---- walking ----

  walk(dot: unknown, node: Node): Flow {
    this.at(node);
    switch (node.type) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return Flow.Normal;
      }
      case 'comment':
        return Flow.Normal;
      case 'break':
        return Flow.Break;
      case 'continue':
        return Flow.Continue;
      case 'if':
      case 'with':
        return this.walkIfOrWith(node, dot);
      case 'list':
        for (const n of node.nodes) {
          const flow = this.walk(dot, n);
          if (flow !== Flow.Normal) return flow;
        }
        return Flow.Normal;
      case 'range':
        this.walkRange(dot, node);
        return Flow.Normal;
      case 'template':
        this.walkTemplate(dot, node);
        return Flow.Normal;
      case 'text':
        this.out.push(node.text);
        return Flow.Normal;
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  walkIfOrWith(node: IfNode, dot: unknown): Flow {
    const mark = this.vars.length;
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (isTrue(val)) return this.walk(node.type === 'with' ? val : dot, node.list);
      if (node.elseList) return this.walk(dot, node.elseList);
      return Flow.Normal;
    } finally {
      this.vars.length = mark;
    }
  }

  walkRange(dot: unknown, r: IfNode): void {
    this.at(r);
    const outer = this.vars.length;
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.vars.length;
      const decl = r.pipe.decl;
      // returns false when {{break}} ends the loop
      const oneIteration = (index: unknown, elem: unknown): boolean => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar(decl[0]!.ident[0]!, decl.length > 1 ? index : elem);
          else this.vars[this.vars.length - 1]!.value = elem;
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]!.ident[0]!, elem);
          else this.vars[this.vars.length - 2]!.value = index;
        }
        try {
          return this.walk(elem, r.list) !== Flow.Break;
        } finally {
          this.vars.length = mark;
        }
      };
      let ran = false;
      switch (kindOf(val)) {
        case 'slice': {
          const arr = val as ArrayLike<unknown>;
          for (let i = 0; i < arr.length; i++) {
            ran = true;
            if (!oneIteration(i, arr[i])) break;
          }
          break;
        }
        case 'map':
          for (const [k, v] of sortedMapEntries(val as object)) {
            ran = true;
            if (!oneIteration(k, v)) break;
          }
          break;
        case 'int': {
          if (decl.length > 1) this.errorf(`can't use ${formatValue(val)} to iterate over more than one variable`);
          const n = Number(val as number | bigint);
          for (let i = 0; i < n; i++) {
            ran = true;
            if (!oneIteration(i, i)) break;
          }
          break;
        }
        case 'invalid':
        case 'nil':
          break; // a nil map or slice: like an empty one
        default:
          this.errorf(`range can't iterate over ${formatValue(val)}`);
      }
      if (!ran && r.elseList) this.walk(dot, r.elseList);
    } finally {
      this.vars.length = outer;
    }
  }

  walkTemplate(dot: unknown, t: TemplateNode): void {
    this.at(t);
    const tree = this.tmpl.tree(t.name);
    if (!tree) this.errorf(`template ${JSON.stringify(t.name)} not defined`);
    if (this.depth >= MAX_EXEC_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
    const newDot = t.pipe ? this.evalPipeline(dot, t.pipe) : undefined;
    const sub = new State(this.tmpl, t.name, this.funcs, this.missingKey);
    sub.out = this.out;
    sub.depth = this.depth + 1;
    sub.vars = [{ name: '$', value: newDot }];
    sub.walk(newDot, tree.root);
  }

  printValue(n: Node, v: unknown): void {
    this.at(n);
    if (v === undefined || v === null) {
      this.out.push('<no value>');
      return;
    }
    if (typeof v === 'function') this.errorf(`can't print ${nodeString(n)} of type ${typeName(v)}`);
    this.out.push(formatValue(v));
  }

  // ---- evaluation ----

  evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: unknown = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // A nil interface{} result is no value at all (Go digs into interface values).
      if (value === null) value = undefined;
    }
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0]!, value);
      else this.vars.push({ name: v.ident[0]!, value });
    }
    return value;
  }

  notAFunction(args: ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) this.errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
  }

  evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0]!;
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.errorf('nil is not a command');
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
  }

  idealConstant(c: NumberNode): unknown {
    this.at(c);
    if (c.isComplex) this.errorf(`complex constant ${c.text} is not supported`);
    const isHexInt = c.text.length > 2 && /^0[xX]/.test(c.text) && !/[pP]/.test(c.text);
    if (c.isFloat && !isHexInt && !c.text.startsWith("'") && /[.eEpP]/.test(c.text)) return new Float64(c.float);
    if (c.isInt) {
      if (c.int >= -(2n ** 63n) && c.int < 2n ** 63n) return Number.isSafeInteger(Number(c.int)) ? Number(c.int) : c.int;
      this.errorf(`${c.text} overflows int`);
    }
    if (c.isUint) this.errorf(`${c.text} overflows int`);
    return undefined;
  }

  evalFieldNode(dot: unknown, field: FieldNode, args: ArgNode[], final: Final): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  evalChainNode(dot: unknown, chain: ChainNode, args: ArgNode[] | null, final: Final): unknown {
    this.at(chain);
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, null, chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  evalVariableNode(dot: unknown, variable: VariableNode, args: ArgNode[] | null, final: Final): unknown {
    this.at(variable);
    const value = this.varValue(variable.ident[0]!);
    if (variable.ident.length === 1) {
      if (args) this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final);
  }

  evalFieldChain(dot: unknown, receiver: unknown, node: Node, ident: string[], args: ArgNode[] | null, final: Final): unknown {
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) receiver = this.evalField(dot, ident[i]!, node, null, MISSING, receiver);
    return this.evalField(dot, ident[n - 1]!, node, args, final, receiver);
  }

  evalField(dot: unknown, fieldName: string, node: Node, args: ArgNode[] | null, final: Final, receiver: unknown): unknown {
    if (receiver === undefined) {
      if (this.missingKey === 'error') this.errorf(`nil data; no entry for key ${JSON.stringify(fieldName)}`);
      return undefined;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${fieldName}`);
    if (receiver instanceof NilPointer) this.errorf(`nil pointer evaluating ${receiver.typeName}.${fieldName}`);
    if (typeof receiver === 'object') {
      const method = findMethod(receiver, fieldName);
      if (method) return this.evalCall(dot, jsMethod(method, receiver), false, node, fieldName, args, final);
    }
    const hasArgs = (args !== null && args.length > 1) || final !== MISSING;
    const kind = kindOf(receiver);
    if (kind === 'struct') {
      const f = structField(receiver as object, fieldName);
      if (f.found) {
        if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
        return f.value === null || f.value === undefined ? new NilPointer() : f.value;
      }
    } else if (kind === 'map' && (!(receiver instanceof Map) || [...receiver.keys()].every((k) => typeof k === 'string'))) {
      if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
      const got = mapGet(receiver as object, fieldName);
      if (got.found) return got.value;
      switch (this.missingKey) {
        case 'error':
          this.errorf(`map has no entry for key ${JSON.stringify(fieldName)}`);
        case 'zero': {
          const mark = objectMark(receiver as object);
          return mark?.kind === 'map' && mark.hasElemZero ? mark.elemZero : undefined;
        }
        default:
          return undefined;
      }
    }
    this.errorf(`can't evaluate field ${fieldName} in type ${typeName(receiver)}`);
  }

  evalFunction(dot: unknown, node: IdentifierNode, cmd: Node, args: ArgNode[] | null, final: Final): unknown {
    this.at(node);
    const name = node.ident;
    const fn = Object.hasOwn(this.funcs, name) ? this.funcs[name] : BUILTINS[name];
    if (!fn) this.errorf(`${JSON.stringify(name)} is not a defined function`);
    const isBuiltin = !Object.hasOwn(this.funcs, name);
    return this.evalCall(dot, fn, isBuiltin, cmd, name, args, final);
  }

  evalCall(dot: unknown, fn: TemplateFunction, isBuiltin: boolean, node: Node, name: string, allArgs: ArgNode[] | null, final: Final): unknown {
    const args = allArgs ? allArgs.slice(1) : [];
    let numIn = args.length;
    if (final !== MISSING) numIn++;
    let numFixed = args.length;
    if (fn.variadic) {
      numFixed = fn.params.length;
      if (numIn < numFixed) this.errorf(`wrong number of args for ${name}: want at least ${fn.params.length} got ${args.length}`);
    } else if (numIn !== fn.params.length) {
      this.errorf(`wrong number of args for ${name}: want ${fn.params.length} got ${numIn}`);
    }

    if (isBuiltin && (name === 'and' || name === 'or')) {
      let v: unknown;
      for (const arg of args) {
        v = this.evalArg(dot, 'value', arg);
        if (isTrue(v) === (name === 'or')) return v;
      }
      if (final !== MISSING) v = final;
      return v;
    }

    const argv: unknown[] = [];
    let i = 0;
    for (; i < numFixed && i < args.length; i++) argv.push(this.evalArg(dot, fn.params[i]!, args[i]!));
    if (fn.variadic) for (; i < args.length; i++) argv.push(this.evalArg(dot, fn.variadic, args[i]!));
    if (final !== MISSING) {
      let t: ParamType;
      if (fn.variadic) t = numIn - 1 < numFixed ? fn.params[numIn - 1]! : fn.variadic;
      else t = fn.params[fn.params.length - 1]!;
      argv.push(this.validateType(final, t));
    }
    try {
      return fn.call(argv);
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      this.at(node);
      const message = e instanceof Error ? e.message : String(e);
      this.errorf(`error calling ${name}: ${message}`);
    }
  }

  /** Evaluates an argument for a parameter of type `typ` (null: untyped, as for a chain's start). */
  evalArg(dot: unknown, typ: ParamType | null, n: ArgNode): unknown {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return this.validateType(dot, typ);
      case 'nil':
        if (typ === null || typ === 'value') return undefined;
        if (typ === 'any' || typ === '[]string') return null;
        this.errorf(`cannot assign nil to ${typ}`);
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, null, MISSING), typ);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), typ);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, null, MISSING), typ);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, null, MISSING), typ);
    }
    switch (typ) {
      case 'bool':
        if (n.type === 'bool') return n.value;
        this.errorf(`expected bool; found ${nodeString(n)}`);
      case 'float':
        if (n.type === 'number' && n.isFloat) return new Float64(n.float);
        this.errorf(`expected float; found ${nodeString(n)}`);
      case 'int':
        if (n.type === 'number' && n.isInt) return Number.isSafeInteger(Number(n.int)) ? Number(n.int) : n.int;
        this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'string':
        if (n.type === 'string') return n.text;
        this.errorf(`expected string; found ${nodeString(n)}`);
      case '[]string':
        this.errorf(`can't handle ${nodeString(n)} for arg of type []string`);
      default:
        // interface{}, reflect.Value, or untyped
        switch (n.type) {
          case 'bool':
            return n.value;
          case 'number':
            return this.idealConstant(n);
          case 'string':
            return n.text;
        }
    }
  }

  validateType(value: unknown, typ: ParamType | null): unknown {
    if (value === undefined) {
      if (typ === null || typ === 'value') return undefined;
      if (typ === 'any' || typ === '[]string') return null;
      this.errorf(`invalid value; expected ${typ}`);
    }
    const bad = (): never => this.errorf(`wrong type for value; expected ${typ}; got ${typeName(value)}`);
    switch (typ) {
      case null:
      case 'value':
      case 'any':
        return value;
      case 'string':
        return typeof value === 'string' ? value : bad();
      case 'bool':
        return typeof value === 'boolean' ? value : bad();
      case 'int':
        return kindOf(value) === 'int' ? value : bad();
      case 'float':
        return kindOf(value) === 'float' || kindOf(value) === 'int' ? value : bad();
      case '[]string':
        if (value === null) return null;
        return Array.isArray(value) && value.every((e) => typeof e === 'string') ? value : bad();
    }
  }
}

/** A JS function found on an object, called as a method with `fn.length` parameters. */
function jsMethod(fn: (...args: unknown[]) => unknown, receiver: object): TemplateFunction {
  return {
    params: new Array<ParamType>(fn.length).fill('any'),
    call: (args) => fn.apply(receiver, args),
  };
}

