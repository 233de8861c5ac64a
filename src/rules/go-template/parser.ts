/**
 * The template parser, a port of Go's text/template/parse/parse.go with the same grammar, variable scoping and
 * error messages, restricted to what the engine supports: `define`, `template`, `block`, `call` and unknown
 * functions are parse errors. Errors that Go only reports when the offending action executes but that do not
 * depend on the data (wrong number of arguments, `{{nil}}`, arguments given to a non-function, a number that
 * overflows int) are reported here too, so that a bad template is rejected when it is loaded.
 */
import type {
  ChainNode,
  CommandNode,
  IdentifierNode,
  ListNode,
  Node,
  NumberNode,
  Operand,
  PipeNode,
  StringNode,
  VariableNode,
} from './ast.js';
import { nodeString } from './ast.js';
import { BUILTINS } from './builtins.js';
import type { Builtin } from './builtins.js';
import { TemplateError, lineColumn } from './errors.js';
import { quote } from './go-format.js';
import { lex, tokenString } from './lexer.js';
import type { Token, TokenType } from './lexer.js';
import { GoFloat, utf8Bytes, utf8Decode } from './values.js';

interface EndNode {
  readonly type: 'end';
  readonly pos: number;
}

interface ElseNode {
  readonly type: 'else';
  readonly pos: number;
}

type ListItem = Node | EndNode | ElseNode;

// ---------------------------------------------------------------------------------------------------------
// strconv: Unquote, UnquoteChar, ParseInt, ParseUint, ParseFloat

const SYNTAX = 'invalid syntax';

function unhex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 0x5c,
};

/** Go's strconv.UnquoteChar over UTF-16: appends the character's UTF-8 bytes and returns the rest's offset. */
function unquoteChar(s: string, i: number, quoteChar: number, out: number[]): number {
  if (i >= s.length) throw new Error(SYNTAX);
  const c = s.charCodeAt(i);
  if (c === quoteChar) throw new Error(SYNTAX);
  if (c !== 0x5c) {
    const cp = s.codePointAt(i) ?? c;
    out.push(...utf8Bytes(String.fromCodePoint(cp)));
    return i + (cp > 0xffff ? 2 : 1);
  }
  if (i + 1 >= s.length) throw new Error(SYNTAX);
  const e = s.charAt(i + 1);
  i += 2;
  const simpleValue = SIMPLE_ESCAPES[e];
  if (simpleValue !== undefined) {
    out.push(simpleValue);
    return i;
  }
  switch (e) {
    case 'x':
    case 'u':
    case 'U': {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      if (i + n > s.length) throw new Error(SYNTAX);
      let v = 0;
      for (let j = 0; j < n; j++) {
        const x = unhex(s.charCodeAt(i + j));
        if (x < 0) throw new Error(SYNTAX);
        v = v * 16 + x;
      }
      i += n;
      if (e === 'x') out.push(v);
      else {
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw new Error(SYNTAX);
        out.push(...utf8Bytes(String.fromCodePoint(v)));
      }
      return i;
    }
    case "'":
    case '"':
      if (e.charCodeAt(0) !== quoteChar) throw new Error(SYNTAX);
      out.push(e.charCodeAt(0));
      return i;
  }
  if (e >= '0' && e <= '7') {
    let v = e.charCodeAt(0) - 0x30;
    if (i + 2 > s.length) throw new Error(SYNTAX);
    for (let j = 0; j < 2; j++) {
      const x = s.charCodeAt(i + j) - 0x30;
      if (x < 0 || x > 7) throw new Error(SYNTAX);
      v = (v << 3) | x;
    }
    if (v > 255) throw new Error(SYNTAX);
    out.push(v);
    return i + 2;
  }
  throw new Error(SYNTAX);
}

/** Go's strconv.Unquote for the string tokens the lexer produces. */
function unquote(s: string): string {
  if (s.startsWith('`')) {
    if (s.length < 2 || !s.endsWith('`')) throw new Error(SYNTAX);
    return s.slice(1, -1).replaceAll('\r', '');
  }
  if (s.length < 2 || !s.startsWith('"') || !s.endsWith('"')) throw new Error(SYNTAX);
  const body = s.slice(1, -1);
  if (!body.includes('\\') && !body.includes('"') && !body.includes('\n')) return body;
  const out: number[] = [];
  let i = 0;
  while (i < body.length) {
    if (body.charCodeAt(i) === 0x0a) throw new Error(SYNTAX);
    i = unquoteChar(body, i, 0x22, out);
  }
  return utf8Decode(Uint8Array.from(out));
}

function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  const p = s[1]?.toLowerCase();
  if (s.length >= 2 && s[0] === '0' && (p === 'b' || p === 'o' || p === 'x')) {
    i = 2;
    saw = '0';
    hex = p === 'x';
  }
  for (; i < s.length; i++) {
    const c = s[i] ?? '';
    const lc = c.toLowerCase();
    if ((c >= '0' && c <= '9') || (hex && lc >= 'a' && lc <= 'f')) {
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

const UINT64_MAX = (1n << 64n) - 1n;

/** Go's strconv.ParseUint(s, 0, 64); undefined on a syntax or range error. */
function parseUint(s0: string): bigint | undefined {
  if (s0 === '') return undefined;
  let s = s0;
  let base = 10;
  if (s[0] === '0') {
    const p = s[1]?.toLowerCase();
    if (s.length >= 3 && p === 'b') base = 2;
    else if (s.length >= 3 && p === 'o') base = 8;
    else if (s.length >= 3 && p === 'x') base = 16;
    else base = 8;
    s = s.slice(base === 8 && p !== 'o' ? 1 : 2);
  }
  let n = 0n;
  let underscores = false;
  for (const ch of s) {
    if (ch === '_') {
      underscores = true;
      continue;
    }
    const d = unhex(ch.charCodeAt(0));
    const lc = ch.toLowerCase();
    const digit = d >= 0 ? d : lc >= 'a' && lc <= 'z' ? lc.charCodeAt(0) - 0x61 + 10 : -1;
    if (digit < 0 || digit >= base) return undefined;
    n = n * BigInt(base) + BigInt(digit);
    if (n > UINT64_MAX) return undefined;
  }
  if (underscores && !underscoreOK(s0)) return undefined;
  return n;
}

/** Go's strconv.ParseInt(s, 0, 64); undefined on a syntax or range error. */
function parseInt64(s: string): bigint | undefined {
  if (s === '') return undefined;
  let neg = false;
  if (s[0] === '+') s = s.slice(1);
  else if (s[0] === '-') {
    neg = true;
    s = s.slice(1);
  }
  const u = parseUint(s);
  if (u === undefined) return undefined;
  const cutoff = 1n << 63n;
  if (!neg && u >= cutoff) return undefined;
  if (neg && u > cutoff) return undefined;
  return neg ? -u : u;
}

/** Go's strconv.ParseFloat(s, 64) for decimal and hexadecimal literals; undefined on error or overflow. */
function parseFloat64(s: string): number | undefined {
  let i = 0;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') {
    neg = s[i] === '-';
    i++;
  }
  let base = 10;
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X')) {
    base = 16;
    i += 2;
  }
  let mant = '';
  let sawDot = false;
  let sawDigits = false;
  let fracDigits = 0;
  let underscores = false;
  for (; i < s.length; i++) {
    const c = s[i] ?? '';
    if (c === '_') {
      underscores = true;
      continue;
    }
    if (c === '.') {
      if (sawDot) break;
      sawDot = true;
      continue;
    }
    const d = unhex(c.charCodeAt(0));
    if (d < 0 || d >= base) break;
    sawDigits = true;
    mant += c;
    if (sawDot) fracDigits++;
  }
  if (!sawDigits) return undefined;
  let exp = 0;
  if (i < s.length && s[i]?.toLowerCase() === (base === 16 ? 'p' : 'e')) {
    i++;
    let esign = 1;
    if (s[i] === '+' || s[i] === '-') {
      if (s[i] === '-') esign = -1;
      i++;
    }
    if (i >= s.length || !(s[i]! >= '0' && s[i]! <= '9')) return undefined;
    let e = 0;
    for (; i < s.length && ((s[i]! >= '0' && s[i]! <= '9') || s[i] === '_'); i++) {
      if (s[i] === '_') {
        underscores = true;
        continue;
      }
      if (e < 100000) e = e * 10 + (s.charCodeAt(i) - 0x30);
    }
    exp = esign * e;
  } else if (base === 16) return undefined;
  if (i !== s.length) return undefined;
  if (underscores && !underscoreOK(s)) return undefined;
  let v: number;
  if (base === 10) v = Number(`${mant}e${exp - fracDigits}`);
  else v = Number(BigInt('0x' + mant)) * 2 ** (exp - 4 * fracDigits);
  if (!Number.isFinite(v)) return undefined;
  return neg ? -v : v;
}

// ---------------------------------------------------------------------------------------------------------

/** A parse failure at a source offset; the parser turns it into a TemplateError. */
class ParseFailure extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;
  private furthest = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private actionStart: number | null = null;

  constructor(
    private readonly source: string,
    private readonly templateName: string,
    leftDelim: string,
    rightDelim: string,
    private readonly functions: ReadonlyMap<string, Builtin>,
  ) {
    this.tokens = lex(source, leftDelim, rightDelim);
  }

  // --- token stream -----------------------------------------------------------------------------------

  private at(i: number): Token {
    const t = this.tokens[Math.min(i, this.tokens.length - 1)];
    if (t === undefined) throw new Error('empty token stream');
    if (i > this.furthest) this.furthest = Math.min(i, this.tokens.length - 1);
    return t;
  }

  private next(): Token {
    return this.at(this.i++);
  }

  private backup(): void {
    this.i--;
  }

  private peek(): Token {
    return this.at(this.i);
  }

  private nextNonSpace(): Token {
    let t = this.next();
    while (t.type === 'space') t = this.next();
    return t;
  }

  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }

  // --- errors -----------------------------------------------------------------------------------------

  private errorAt(pos: number, message: string): never {
    throw new ParseFailure(message, pos);
  }

  /** An error at the most recently read token, as Go reports it. */
  private errorf(message: string): never {
    return this.errorAt(this.at(this.furthest).pos, message);
  }

  private lineOf(pos: number): number {
    return lineColumn(this.source, pos).line;
  }

  private unexpected(token: Token, context: string): never {
    if (token.type === 'error') {
      let extra = '';
      if (this.actionStart !== null && this.lineOf(this.actionStart) !== this.lineOf(token.pos)) {
        extra = ` in action started at ${this.templateName}:${this.lineOf(this.actionStart)}`;
        if (token.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      return this.errorAt(token.pos, token.val + extra);
    }
    return this.errorAt(token.pos, `unexpected ${tokenString(token)} in ${context}`);
  }

  private expect(type: TokenType, context: string): Token {
    const token = this.nextNonSpace();
    if (token.type !== type) this.unexpected(token, context);
    return token;
  }

  // --- grammar ----------------------------------------------------------------------------------------

  parse(): ListNode {
    const root: ListNode = { type: 'list', pos: this.peek().pos, nodes: [] };
    while (this.peek().type !== 'eof') {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') this.errorAt(n.pos, `unexpected {{${n.type}}}`);
      root.nodes.push(n);
    }
    return root;
  }

  private itemList(): [ListNode, ListItem] {
    const list: ListNode = { type: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') return [list, n];
      list.nodes.push(n);
    }
    return this.errorf('unexpected EOF');
  }

  private textOrAction(): ListItem {
    const token = this.nextNonSpace();
    switch (token.type) {
      case 'text':
        return { type: 'text', pos: token.pos, text: token.val };
      case 'leftDelim':
        this.actionStart = token.pos;
        try {
          return this.action();
        } finally {
          this.actionStart = null;
        }
      default:
        return this.unexpected(token, 'input');
    }
  }

  private action(): ListItem {
    const token = this.nextNonSpace();
    switch (token.type) {
      case 'block':
      case 'define':
      case 'template':
        return this.errorAt(token.pos, `{{${token.val}}} is not supported`);
      case 'break':
      case 'continue':
        return this.loopControl(token);
      case 'else':
        return this.elseControl(token);
      case 'end':
        this.expect('rightDelim', 'end');
        return { type: 'end', pos: token.pos };
      case 'if':
      case 'range':
      case 'with':
        return this.control(token.type);
    }
    this.backup();
    const start = this.peek();
    return { type: 'action', pos: start.pos, pipe: this.pipeline('command', 'rightDelim') };
  }

  private loopControl(keyword: Token): ListItem {
    const token = this.nextNonSpace();
    if (token.type !== 'rightDelim') this.unexpected(token, `{{${keyword.val}}}`);
    if (this.rangeDepth === 0) this.errorAt(keyword.pos, `{{${keyword.val}}} outside {{range}}`);
    return keyword.type === 'break'
      ? { type: 'break', pos: keyword.pos }
      : { type: 'continue', pos: keyword.pos };
  }

  private elseControl(keyword: Token): ElseNode {
    const peek = this.peekNonSpace();
    // "{{else if ...}}" and "{{else with ...}}" are "{{else}}{{if ...}}": leave the keyword to the caller.
    if (peek.type !== 'if' && peek.type !== 'with') this.expect('rightDelim', 'else');
    return { type: 'else', pos: keyword.pos };
  }

  private control(context: 'if' | 'range' | 'with'): Node {
    const varsLen = this.vars.length;
    const pipe = this.pipeline(context, 'rightDelim');
    if (context === 'range') this.rangeDepth++;
    const [list, next] = this.itemList();
    if (context === 'range') this.rangeDepth--;
    let elseList: ListNode | null = null;
    if (next.type === 'else') {
      const peek = this.peek();
      if ((context === 'if' || context === 'with') && peek.type === context) {
        this.next();
        elseList = { type: 'list', pos: next.pos, nodes: [this.control(context)] };
      } else {
        const [els, end] = this.itemList();
        if (end.type !== 'end') this.errorAt(end.pos, `expected end; found {{${end.type}}}`);
        elseList = els;
      }
    }
    this.vars.length = varsLen;
    return { type: context, pos: pipe.pos, pipe, list, elseList };
  }

  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const pipe: PipeNode = {
      type: 'pipe',
      pos: this.peekNonSpace().pos,
      isAssign: false,
      decl: [],
      cmds: [],
    };
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') break;
      const vIndex = this.i;
      this.next();
      const next = this.peekNonSpace();
      if (next.type === 'assign' || next.type === 'declare') {
        pipe.isAssign = next.type === 'assign';
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        break;
      }
      if (next.type === 'char' && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const t = this.peekNonSpace().type;
          if (t === 'variable' || t === 'rightDelim' || t === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      this.i = vIndex;
      break;
    }
    for (;;) {
      const token = this.nextNonSpace();
      if (token.type === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (token.type) {
        case 'bool':
        case 'charConstant':
        case 'complex':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(token, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.forEach((c, i) => {
      const first = c.args[0];
      if (i > 0 && first !== undefined) {
        switch (first.type) {
          case 'bool':
          case 'dot':
          case 'nil':
          case 'number':
          case 'string':
            this.errorAt(first.pos, `non executable command in pipeline stage ${i + 1}`);
        }
      }
      this.checkCommand(c, i > 0);
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand !== null) cmd.args.push(operand);
      const token = this.next();
      if (token.type === 'space') continue;
      if (token.type === 'rightDelim' || token.type === 'rightParen') this.backup();
      else if (token.type !== 'pipe') this.unexpected(token, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): Operand | null {
    const node = this.term();
    if (node === null) return null;
    if (this.peek().type !== 'field') return node;
    const fieldPos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
    switch (node.type) {
      case 'field':
        return { type: 'field', pos: node.pos, ident: [...node.ident, ...fields] };
      case 'variable':
        return { type: 'variable', pos: node.pos, ident: [...node.ident, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        return this.errorAt(fieldPos, `unexpected . after term ${quote(nodeString(node))}`);
      default: {
        const chain: ChainNode = { type: 'chain', pos: node.pos, node, field: fields };
        return chain;
      }
    }
  }

  private term(): Operand | null {
    const token = this.nextNonSpace();
    switch (token.type) {
      case 'identifier': {
        const fn = this.functions.get(token.val) ?? BUILTINS.get(token.val);
        if (fn === undefined) return this.errorAt(token.pos, `function ${quote(token.val)} not defined`);
        const node: IdentifierNode = { type: 'identifier', pos: token.pos, ident: token.val, fn };
        return node;
      }
      case 'dot':
        return { type: 'dot', pos: token.pos };
      case 'nil':
        return { type: 'nil', pos: token.pos };
      case 'variable':
        return this.useVar(token);
      case 'field':
        return { type: 'field', pos: token.pos, ident: token.val.slice(1).split('.') };
      case 'bool':
        return { type: 'bool', pos: token.pos, value: token.val === 'true' };
      case 'charConstant':
      case 'complex':
      case 'number':
        return this.number(token);
      case 'leftParen':
        return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string':
      case 'rawString': {
        let text: string;
        try {
          text = unquote(token.val);
        } catch (e) {
          return this.errorAt(token.pos, (e as Error).message);
        }
        const node: StringNode = { type: 'string', pos: token.pos, quoted: token.val, text };
        return node;
      }
    }
    this.backup();
    return null;
  }

  private useVar(token: Token): VariableNode {
    if (!this.vars.includes(token.val)) this.errorAt(token.pos, `undefined variable ${quote(token.val)}`);
    return { type: 'variable', pos: token.pos, ident: [token.val] };
  }

  /** Go's newNumber followed by the typing its idealConstant applies when the constant is used. */
  private number(token: Token): NumberNode {
    const text = token.val;
    const fail = (message: string): never => this.errorAt(token.pos, message);
    if (token.type === 'charConstant') {
      const out: number[] = [];
      let tail: number;
      try {
        tail = unquoteChar(text, 1, 0x27, out);
      } catch (e) {
        return fail((e as Error).message);
      }
      if (text.slice(tail) !== "'") return fail(`malformed character constant: ${text}`);
      const decoded =
        out.length === 1 ? (out[0] ?? 0) : (utf8Decode(Uint8Array.from(out)).codePointAt(0) ?? 0);
      return { type: 'number', pos: token.pos, text, value: decoded };
    }
    if (token.type === 'complex' || (text.endsWith('i') && parseFloat64(text.slice(0, -1)) !== undefined)) {
      return fail(`complex constant ${text} is not supported`);
    }
    const u = parseUint(text);
    const i = parseInt64(text);
    const isHexInt = /^0[xX]/.test(text) && !/[pP]/.test(text);
    if (i !== undefined || u !== undefined) {
      const isFloatSyntax = /[.eEpP]/.test(text) && !isHexInt;
      if (isFloatSyntax) return { type: 'number', pos: token.pos, text, value: new GoFloat(Number(i ?? u)) };
      if (i === undefined) return fail(`${text} overflows int`);
      return { type: 'number', pos: token.pos, text, value: Number(i) };
    }
    const f = parseFloat64(text);
    if (f === undefined) return fail(`illegal number syntax: ${quote(text)}`);
    if (!/[.eEpP]/.test(text)) return fail(`integer overflow: ${quote(text)}`);
    return { type: 'number', pos: token.pos, text, value: new GoFloat(f) };
  }

  // --- checks Go makes when executing, made here once ---------------------------------------------------

  private checkCommand(cmd: CommandNode, hasFinal: boolean): void {
    const [first, ...args] = cmd.args;
    if (first === undefined) return;
    const hasArgs = args.length > 0 || hasFinal;
    switch (first.type) {
      case 'identifier':
        this.checkCall(first.fn, first.pos, args, hasFinal);
        break;
      case 'field':
      case 'chain': {
        const fields = first.type === 'field' ? first.ident : first.field;
        if (hasArgs)
          this.errorAt(
            first.pos,
            `${fields[fields.length - 1]} has arguments but cannot be invoked as function`,
          );
        break;
      }
      case 'variable':
        if (hasArgs && first.ident.length > 1) {
          this.errorAt(
            first.pos,
            `${first.ident[first.ident.length - 1]} has arguments but cannot be invoked as function`,
          );
        }
        if (hasArgs) this.errorAt(first.pos, `can't give argument to non-function ${nodeString(first)}`);
        break;
      default:
        if (hasArgs) this.errorAt(first.pos, `can't give argument to non-function ${nodeString(first)}`);
        if (first.type === 'nil') this.errorAt(first.pos, 'nil is not a command');
    }
    if (first.type === 'chain') this.checkOperand(first.node);
    args.forEach((a) => this.checkOperand(a));
  }

  /** An operand in argument position; a function there is called with no arguments. */
  private checkOperand(node: Operand): void {
    if (node.type === 'identifier') this.checkCall(node.fn, node.pos, [], false);
    else if (node.type === 'chain') this.checkOperand(node.node);
  }

  private checkCall(fn: Builtin, pos: number, args: Operand[], hasFinal: boolean): void {
    const numIn = args.length + (hasFinal ? 1 : 0);
    const numFixed = fn.params.length;
    if (fn.variadic !== null) {
      if (numIn < numFixed) {
        this.errorAt(
          pos,
          `wrong number of args for ${fn.name}: want at least ${numFixed} got ${args.length}`,
        );
      }
    } else if (numIn !== numFixed) {
      this.errorAt(pos, `wrong number of args for ${fn.name}: want ${numFixed} got ${numIn}`);
    }
    fn.params.forEach((type, i) => {
      const arg = args[i];
      if (type !== 'string' || arg === undefined) return;
      if (arg.type === 'nil') this.errorAt(arg.pos, 'cannot assign nil to string');
      if (arg.type === 'bool' || arg.type === 'number') {
        this.errorAt(arg.pos, `expected string; found ${nodeString(arg)}`);
      }
    });
    if (fn.name === 'eq' && numIn < 2) this.errorAt(pos, `error calling eq: missing argument for comparison`);
  }

  toError(e: ParseFailure): TemplateError {
    const { line, column } = lineColumn(this.source, e.pos);
    return new TemplateError(this.templateName, line, column, 'parse', e.message, { cause: e });
  }
}

/**
 * Parses a template into its tree.
 * @throws TemplateError (phase `parse`) with the line and column of the offending token
 */
export function parse(
  source: string,
  name: string,
  leftDelim: string,
  rightDelim: string,
  functions: ReadonlyMap<string, Builtin> = new Map(),
): ListNode {
  const parser = new Parser(source, name, leftDelim, rightDelim, functions);
  try {
    return parser.parse();
  } catch (e) {
    if (e instanceof ParseFailure) throw parser.toError(e);
    throw e;
  }
}
