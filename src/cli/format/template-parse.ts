// Parser for Go's text/template (https://pkg.go.dev/text/template): builds the
// node tree the executor walks. Node String() forms and error texts follow Go,
// since execution errors quote nodes ("executing \"\" at <.Nope>: ...").

import { Tok, lex, tokenString, type Token } from './template-lex.js';

export class TemplateParseError extends Error {}

/** A template's source, shared by its nodes for error positions. */
export interface Source {
  parseName: string;
  text: string;
}

interface NodeBase {
  pos: number;
  src: Source;
}

export interface TextNode extends NodeBase {
  type: 'text';
  text: string;
}
export interface CommentNode extends NodeBase {
  type: 'comment';
  text: string;
}
export interface ListNode extends NodeBase {
  type: 'list';
  nodes: Node[];
}
export interface ActionNode extends NodeBase {
  type: 'action';
  line: number;
  pipe: PipeNode;
}
export interface IfNode extends NodeBase {
  type: 'if' | 'with' | 'range';
  line: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | null;
}
export interface TemplateNode extends NodeBase {
  type: 'template';
  line: number;
  name: string;
  pipe: PipeNode | null;
}
export interface BreakNode extends NodeBase {
  type: 'break' | 'continue';
  line: number;
}
export interface PipeNode extends NodeBase {
  type: 'pipe';
  line: number;
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}
export interface CommandNode extends NodeBase {
  type: 'command';
  args: ArgNode[];
}
export interface FieldNode extends NodeBase {
  type: 'field';
  ident: string[];
}
export interface VariableNode extends NodeBase {
  type: 'variable';
  ident: string[];
}
export interface ChainNode extends NodeBase {
  type: 'chain';
  node: ArgNode;
  field: string[];
}
export interface IdentifierNode extends NodeBase {
  type: 'identifier';
  ident: string;
}
export interface DotNode extends NodeBase {
  type: 'dot';
}
export interface NilNode extends NodeBase {
  type: 'nil';
}
export interface BoolNode extends NodeBase {
  type: 'bool';
  value: boolean;
}
export interface NumberNode extends NodeBase {
  type: 'number';
  text: string;
  isInt: boolean;
  isUint: boolean;
  isFloat: boolean;
  isComplex: boolean;
  int: bigint;
  float: number;
}
export interface StringNode extends NodeBase {
  type: 'string';
  quoted: string;
  text: string;
}
interface EndNode extends NodeBase {
  type: 'end';
}
interface ElseNode extends NodeBase {
  type: 'else';
  line: number;
}

export type ArgNode =
  | FieldNode
  | VariableNode
  | ChainNode
  | IdentifierNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;
export type Node = TextNode | CommentNode | ListNode | ActionNode | IfNode | TemplateNode | BreakNode | ArgNode | CommandNode;
type ParsedNode = Node | EndNode | ElseNode;

/** Go's Node.String(): the node as template source. */
export function nodeString(n: ParsedNode): string {
  switch (n.type) {
    case 'text':
      return n.text;
    case 'comment':
      return n.text;
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'action':
      return '{{' + nodeString(n.pipe) + '}}';
    case 'if':
    case 'with':
    case 'range': {
      let s = `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}`;
      if (n.elseList) s += '{{else}}' + nodeString(n.elseList);
      return s + '{{end}}';
    }
    case 'template':
      return n.pipe ? `{{template ${JSON.stringify(n.name)} ${nodeString(n.pipe)}}}` : `{{template ${JSON.stringify(n.name)}}}`;
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
    case 'pipe': {
      let s = '';
      if (n.decl.length > 0) s = n.decl.map(nodeString).join(', ') + (n.isAssign ? ' = ' : ' := ');
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.type === 'pipe' ? '(' + nodeString(a) + ')' : nodeString(a))).join(' ');
    case 'field':
      return n.ident.map((i) => '.' + i).join('');
    case 'variable':
      return n.ident.join('.');
    case 'chain': {
      const inner = n.node.type === 'pipe' ? '(' + nodeString(n.node) + ')' : nodeString(n.node);
      return inner + n.field.map((f) => '.' + f).join('');
    }
    case 'identifier':
      return n.ident;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return n.value ? 'true' : 'false';
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'end':
      return '{{end}}';
    case 'else':
      return '{{else}}';
  }
}

export interface Tree {
  name: string;
  root: ListNode;
  src: Source;
}

export interface ParseOptions {
  /** Names of the functions the template may call (builtins and added ones). */
  hasFunction: (name: string) => boolean;
}

/**
 * Parses `text` into the tree named `name` plus any {{define}}d and {{block}}
 * trees, all added to `trees`.
 */
export function parseTemplate(name: string, text: string, trees: Map<string, Tree>, options: ParseOptions): void {
  const src: Source = { parseName: name, text };
  const tokens = lex(text, { breakOK: !options.hasFunction('break'), continueOK: !options.hasFunction('continue') });
  const p = new Parser(name, src, tokens, trees, options);
  p.parse();
}

class Parser {
  i = 0;
  furthest = 0;
  vars: string[] = ['$'];
  rangeDepth = 0;
  /** Line of the action being parsed, for "unclosed action started at" notes. */
  actionLine = 0;
  root: ListNode | null = null;

  constructor(
    public name: string,
    readonly src: Source,
    readonly tokens: Token[],
    readonly trees: Map<string, Tree>,
    readonly options: ParseOptions,
  ) {}

  // ---- token stream ----

  next(): Token {
    const t = this.tokens[Math.min(this.i, this.tokens.length - 1)]!;
    this.i++;
    this.furthest = Math.max(this.furthest, this.i);
    return t;
  }

  backup(n = 1): void {
    this.i -= n;
  }

  peek(): Token {
    const t = this.next();
    this.backup();
    return t;
  }

  nextNonSpace(): Token {
    let t: Token;
    do t = this.next();
    while (t.typ === Tok.Space);
    return t;
  }

  /** Skips spaces and returns the next token without consuming it. */
  peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }

  errorf(message: string): never {
    const last = this.tokens[Math.min(this.furthest, this.tokens.length) - 1] ?? this.tokens[0]!;
    throw new TemplateParseError(`template: ${this.src.parseName}:${last.line}: ${message}`);
  }

  expect(expected: Tok, context: string): Token {
    const t = this.nextNonSpace();
    if (t.typ !== expected) this.unexpected(t, context);
    return t;
  }

  unexpected(t: Token, context: string): never {
    if (t.typ === Tok.Error) {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== t.line) {
        extra = ` in action started at ${this.src.parseName}:${this.actionLine}`;
        if (t.val.endsWith(' action')) extra = extra.slice(' in action'.length); // not "action in action"
      }
      this.errorf(t.val + extra);
    }
    this.errorf(`unexpected ${tokenString(t)} in ${context}`);
  }

  // ---- grammar ----

  parse(): void {
    this.root = this.newList(this.peek().pos);
    while (this.peek().typ !== Tok.EOF) {
      if (this.peek().typ === Tok.LeftDelim) {
        const save = this.i;
        this.next();
        if (this.nextNonSpace().typ === Tok.Define) {
          const def = new Parser('definition', this.src, this.tokens, this.trees, this.options);
          def.i = this.i;
          def.furthest = this.furthest;
          def.parseDefinition();
          this.i = def.i;
          this.furthest = Math.max(this.furthest, def.furthest);
          continue;
        }
        this.i = save;
      }
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') this.errorf(`unexpected ${nodeString(n)}`);
      this.root.nodes.push(n);
    }
    this.add(this.root);
  }

  add(root: ListNode): void {
    const existing = this.trees.get(this.name);
    if (!existing || isEmptyTree(existing.root)) {
      this.trees.set(this.name, { name: this.name, root, src: this.src });
      return;
    }
    if (!isEmptyTree(root)) this.errorf(`template: multiple definition of template ${JSON.stringify(this.name)}`);
  }

  parseDefinition(): void {
    const context = 'define clause';
    const nameTok = this.nextNonSpace();
    if (nameTok.typ !== Tok.String && nameTok.typ !== Tok.RawString) this.unexpected(nameTok, context);
    this.name = this.unquote(nameTok.val);
    this.expect(Tok.RightDelim, context);
    const [list, end] = this.itemList();
    if (end.type !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.add(list);
  }

  itemList(): [ListNode, EndNode | ElseNode] {
    const list = this.newList(this.peekNonSpace().pos);
    while (this.peekNonSpace().typ !== Tok.EOF) {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') return [list, n];
      list.nodes.push(n);
    }
    this.errorf('unexpected EOF');
  }

  textOrAction(): ParsedNode {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case Tok.Text:
        return { type: 'text', pos: t.pos, src: this.src, text: t.val };
      case Tok.LeftDelim:
        this.actionLine = t.line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      default:
        this.unexpected(t, 'input');
    }
  }

  action(): ParsedNode {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case Tok.Block:
        return this.blockControl();
      case Tok.Break:
        return this.breakControl(t, 'break');
      case Tok.Continue:
        return this.breakControl(t, 'continue');
      case Tok.Else:
        return this.elseControl();
      case Tok.End:
        return { type: 'end', pos: this.expect(Tok.RightDelim, 'end').pos, src: this.src };
      case Tok.If:
        return this.control('if');
      case Tok.Range:
        return this.control('range');
      case Tok.Template:
        return this.templateControl();
      case Tok.With:
        return this.control('with');
    }
    this.backup();
    const start = this.peek();
    return { type: 'action', pos: start.pos, line: start.line, src: this.src, pipe: this.pipeline('command', Tok.RightDelim) };
  }

  breakControl(t: Token, word: 'break' | 'continue'): BreakNode {
    const next = this.nextNonSpace();
    if (next.typ !== Tok.RightDelim) this.unexpected(next, `{{${word}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${word}}} outside {{range}}`);
    return { type: word, pos: t.pos, line: t.line, src: this.src };
  }

  elseControl(): ElseNode {
    const peek = this.peekNonSpace();
    // "{{else if ...}}" and "{{else with ...}}" act as "{{else}}{{if ...}}...{{end}}".
    if (peek.typ === Tok.If || peek.typ === Tok.With) return { type: 'else', pos: peek.pos, line: peek.line, src: this.src };
    const t = this.expect(Tok.RightDelim, 'else');
    return { type: 'else', pos: t.pos, line: t.line, src: this.src };
  }

  control(context: 'if' | 'range' | 'with'): IfNode {
    const varsMark = this.vars.length;
    try {
      const pipe = this.pipeline(context, Tok.RightDelim);
      if (context === 'range') this.rangeDepth++;
      let [list, next] = this.itemList();
      if (context === 'range') this.rangeDepth--;
      let elseList: ListNode | null = null;
      if (next.type === 'else') {
        if (context === 'if' && this.peek().typ === Tok.If) {
          this.next();
          elseList = this.newList(next.pos);
          elseList.nodes.push(this.control('if'));
        } else if (context === 'with' && this.peek().typ === Tok.With) {
          this.next();
          elseList = this.newList(next.pos);
          elseList.nodes.push(this.control('with'));
        } else {
          [elseList, next] = this.itemList();
          if (next.type !== 'end') this.errorf(`expected end; found ${nodeString(next)}`);
        }
      }
      return { type: context, pos: pipe.pos, line: pipe.line, src: this.src, pipe, list, elseList };
    } finally {
      this.vars.length = varsMark;
    }
  }

  blockControl(): TemplateNode {
    const context = 'block clause';
    const t = this.nextNonSpace();
    const name = this.parseTemplateName(t, context);
    const pipe = this.pipeline(context, Tok.RightDelim);
    const block = new Parser(name, this.src, this.tokens, this.trees, this.options);
    block.i = this.i;
    block.furthest = this.furthest;
    const [list, end] = block.itemList();
    if (end.type !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    block.add(list);
    this.i = block.i;
    this.furthest = Math.max(this.furthest, block.furthest);
    return { type: 'template', pos: t.pos, line: t.line, src: this.src, name, pipe };
  }

  templateControl(): TemplateNode {
    const context = 'template clause';
    const t = this.nextNonSpace();
    const name = this.parseTemplateName(t, context);
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().typ !== Tok.RightDelim) {
      this.backup();
      pipe = this.pipeline(context, Tok.RightDelim);
    }
    return { type: 'template', pos: t.pos, line: t.line, src: this.src, name, pipe };
  }

  parseTemplateName(t: Token, context: string): string {
    if (t.typ === Tok.String || t.typ === Tok.RawString) return this.unquote(t.val);
    this.unexpected(t, context);
  }

  pipeline(context: string, end: Tok): PipeNode {
    const start = this.peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: start.pos, line: start.line, src: this.src, isAssign: false, decl: [], cmds: [] };
    decls: for (;;) {
      const v = this.peekNonSpace();
      if (v.typ !== Tok.Variable) break;
      const save = this.i;
      this.nextNonSpace();
      const tokenAfterVariable = this.peek();
      const next = this.peekNonSpace();
      if (next.typ === Tok.Assign || next.typ === Tok.Declare) {
        pipe.isAssign = next.typ === Tok.Assign;
        this.nextNonSpace();
        pipe.decl.push(this.newVariable(v.pos, v.val));
        this.vars.push(v.val);
      } else if (next.typ === Tok.Char && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push(this.newVariable(v.pos, v.val));
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const after = this.peekNonSpace().typ;
          if (after === Tok.Variable || after === Tok.RightDelim || after === Tok.RightParen) continue decls;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      } else if (tokenAfterVariable.typ === Tok.Space) {
        this.i = save;
      } else {
        this.i = save;
      }
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      switch (t.typ) {
        case end:
          this.checkPipeline(pipe, context);
          return pipe;
        case Tok.Bool:
        case Tok.CharConstant:
        case Tok.Complex:
        case Tok.Dot:
        case Tok.Field:
        case Tok.Identifier:
        case Tok.Number:
        case Tok.Nil:
        case Tok.RawString:
        case Tok.String:
        case Tok.Variable:
        case Tok.LeftParen:
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      switch (c.args[0]!.type) {
        case 'bool':
        case 'dot':
        case 'nil':
        case 'number':
        case 'string':
          this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, src: this.src, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.typ === Tok.Space) continue;
      if (t.typ === Tok.RightDelim || t.typ === Tok.RightParen) this.backup();
      else if (t.typ === Tok.Pipe) {
        // consumed; the next command starts after it
      } else this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  operand(): ArgNode | null {
    let node = this.term();
    if (!node) return null;
    if (this.peek().typ === Tok.Field) {
      const chainPos = this.peek().pos;
      const fields: string[] = [];
      while (this.peek().typ === Tok.Field) fields.push(this.next().val.slice(1));
      switch (node.type) {
        case 'field':
          node = { type: 'field', pos: chainPos, src: this.src, ident: [...node.ident, ...fields] };
          break;
        case 'variable':
          node = { type: 'variable', pos: chainPos, src: this.src, ident: [...node.ident, ...fields] };
          break;
        case 'bool':
        case 'string':
        case 'number':
        case 'nil':
        case 'dot':
          this.errorf(`unexpected . after term ${JSON.stringify(nodeString(node))}`);
        default:
          node = { type: 'chain', pos: chainPos, src: this.src, node, field: fields };
      }
    }
    return node;
  }

  term(): ArgNode | null {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case Tok.Identifier:
        if (!this.options.hasFunction(t.val)) this.errorf(`function ${JSON.stringify(t.val)} not defined`);
        return { type: 'identifier', pos: t.pos, src: this.src, ident: t.val };
      case Tok.Dot:
        return { type: 'dot', pos: t.pos, src: this.src };
      case Tok.Nil:
        return { type: 'nil', pos: t.pos, src: this.src };
      case Tok.Variable:
        return this.useVar(t.pos, t.val);
      case Tok.Field:
        return { type: 'field', pos: t.pos, src: this.src, ident: t.val.slice(1).split('.') };
      case Tok.Bool:
        return { type: 'bool', pos: t.pos, src: this.src, value: t.val === 'true' };
      case Tok.CharConstant:
      case Tok.Complex:
      case Tok.Number:
        return this.newNumber(t);
      case Tok.LeftParen:
        return this.pipeline('parenthesized pipeline', Tok.RightParen);
      case Tok.String:
      case Tok.RawString:
        return { type: 'string', pos: t.pos, src: this.src, quoted: t.val, text: this.unquote(t.val) };
    }
    this.backup();
    return null;
  }

  useVar(pos: number, name: string): VariableNode {
    const v = this.newVariable(pos, name);
    if (this.vars.includes(v.ident[0]!)) return v;
    this.errorf(`undefined variable ${JSON.stringify(v.ident[0])}`);
  }

  newVariable(pos: number, name: string): VariableNode {
    return { type: 'variable', pos, src: this.src, ident: name.split('.') };
  }

  newList(pos: number): ListNode {
    return { type: 'list', pos, src: this.src, nodes: [] };
  }

  unquote(quoted: string): string {
    const s = unquoteGo(quoted);
    if (s === undefined) this.errorf('invalid syntax');
    return s;
  }

  newNumber(t: Token): NumberNode {
    const n: NumberNode = {
      type: 'number',
      pos: t.pos,
      src: this.src,
      text: t.val,
      isInt: false,
      isUint: false,
      isFloat: false,
      isComplex: false,
      int: 0n,
      float: 0,
    };
    const text = t.val;
    if (t.typ === Tok.CharConstant) {
      const s = unquoteGo(text);
      const cps = s === undefined ? [] : [...s];
      if (s === undefined || cps.length !== 1) this.errorf(`malformed character constant: ${text}`);
      const r = cps[0]!.codePointAt(0)!;
      n.int = BigInt(r);
      n.float = r;
      n.isInt = n.isUint = n.isFloat = true;
      return n;
    }
    if (t.typ === Tok.Complex || text.endsWith('i')) {
      // Complex constants parse, but berth does not evaluate them (see executor).
      n.isComplex = true;
      return n;
    }
    const i = parseGoInt(text);
    if (i !== undefined) {
      if (i >= -(2n ** 63n) && i < 2n ** 63n) {
        n.isInt = true;
        n.int = i;
      }
      if (i >= 0n && i < 2n ** 64n) {
        n.isUint = true;
        if (!n.isInt) n.int = i;
      }
    }
    if (n.isInt || n.isUint) {
      n.isFloat = true;
      n.float = Number(n.int);
    } else {
      const f = parseGoFloat(text);
      if (f !== undefined) {
        if (!/[.eEpP]/.test(text)) this.errorf(`integer overflow: ${JSON.stringify(text)}`);
        n.isFloat = true;
        n.float = f;
        if (Number.isInteger(f) && Math.abs(f) < 2 ** 63) {
          n.isInt = true;
          n.int = BigInt(f);
        }
        if (Number.isInteger(f) && f >= 0 && f < 2 ** 64) {
          n.isUint = true;
          if (!n.isInt) n.int = BigInt(f);
        }
      }
    }
    if (!n.isInt && !n.isUint && !n.isFloat) this.errorf(`illegal number syntax: ${JSON.stringify(text)}`);
    return n;
  }
}

function isEmptyTree(n: Node): boolean {
  switch (n.type) {
    case 'list':
      return n.nodes.every(isEmptyTree);
    case 'text':
      return n.text.trim() === '';
    case 'comment':
      return true;
    default:
      return false;
  }
}

// ---- Go literal syntax ----

function underscoreOK(s: string): boolean {
  // Underscores must separate digits (or follow a base prefix), as in Go source.
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && /[bBoOxX]/.test(s[1]!)) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** strconv.ParseInt(text, 0, ...) without the range check: undefined when not an integer literal. */
export function parseGoInt(text: string): bigint | undefined {
  let s = text;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '') return undefined;
  let base = 10;
  let digits = s;
  if (s[0] === '0' && s.length > 1) {
    const p = s[1]!.toLowerCase();
    if (p === 'x') base = 16;
    else if (p === 'o') base = 8;
    else if (p === 'b') base = 2;
    if (base !== 10) digits = s.slice(2);
    else {
      base = 8;
      digits = s.slice(1);
    }
  }
  if (digits.includes('_')) {
    if (!underscoreOK(text)) return undefined;
    digits = digits.replace(/_/g, '');
  }
  if (digits === '') return undefined;
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[base as 2 | 8 | 10 | 16];
  if (!valid.test(digits)) return undefined;
  const prefix = { 2: '0b', 8: '0o', 10: '', 16: '0x' }[base as 2 | 8 | 10 | 16];
  const v = BigInt(prefix + digits);
  return neg ? -v : v;
}

/** strconv.ParseFloat(text, 64) for the literals the lexer produces. */
export function parseGoFloat(text: string): number | undefined {
  let s = text;
  if (s.includes('_')) {
    if (!underscoreOK(s)) return undefined;
    s = s.replace(/_/g, '');
  }
  let sign = 1;
  if (s[0] === '+' || s[0] === '-') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  const hex = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?[0-9]+)$/.exec(s);
  if (hex) {
    const intPart = hex[1] ?? '';
    const frac = hex[2] ?? '';
    if (intPart === '' && frac === '') return undefined;
    const mant = BigInt('0x' + (intPart + frac || '0'));
    const exp = Number(hex[3]) - 4 * frac.length;
    return sign * Number(mant) * 2 ** exp;
  }
  if (!/^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(s)) return undefined;
  const v = Number(s);
  return Number.isNaN(v) ? undefined : sign * v;
}

/** strconv.Unquote for "...", `...` and '...' literals; undefined on bad syntax. */
export function unquoteGo(q: string): string | undefined {
  if (q.length < 2) return undefined;
  const quote = q[0];
  if (quote !== q[q.length - 1]) return undefined;
  const body = q.slice(1, -1);
  if (quote === '`') {
    if (body.includes('`')) return undefined;
    return body.replace(/\r/g, '');
  }
  if (quote !== '"' && quote !== "'") return undefined;
  const bytes: number[] = [];
  const pushString = (s: string): void => {
    for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
  };
  for (let i = 0; i < body.length; ) {
    const c = body[i]!;
    if (c === quote && quote === '"') return undefined;
    if (c === '\n') return undefined;
    if (c !== '\\') {
      const cp = body.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      pushString(ch);
      i += ch.length;
      continue;
    }
    const e = body[i + 1];
    i += 2;
    switch (e) {
      case 'a':
        bytes.push(7);
        break;
      case 'b':
        bytes.push(8);
        break;
      case 'f':
        bytes.push(12);
        break;
      case 'n':
        bytes.push(10);
        break;
      case 'r':
        bytes.push(13);
        break;
      case 't':
        bytes.push(9);
        break;
      case 'v':
        bytes.push(11);
        break;
      case '\\':
        bytes.push(92);
        break;
      case "'":
      case '"':
        if (e !== quote) return undefined;
        bytes.push(e.charCodeAt(0));
        break;
      case 'x': {
        const h = body.slice(i, i + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) return undefined;
        bytes.push(parseInt(h, 16));
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        const n = e === 'u' ? 4 : 8;
        const h = body.slice(i, i + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) return undefined;
        const cp = parseInt(h, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
        pushString(String.fromCodePoint(cp));
        i += n;
        break;
      }
      default: {
        if (e !== undefined && e >= '0' && e <= '7') {
          const o = body.slice(i - 1, i + 2);
          if (!/^[0-7]{3}$/.test(o)) return undefined;
          const v = parseInt(o, 8);
          if (v > 255) return undefined;
          bytes.push(v);
          i += 2;
          break;
        }
        return undefined;
      }
    }
  }
  const out = Buffer.from(bytes).toString('utf8');
  if (quote === "'" && [...out].length !== 1) return undefined;
  return out;
}
