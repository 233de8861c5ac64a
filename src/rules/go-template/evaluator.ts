/**
 * Executes a parsed template over data, a port of Go's text/template/exec.go: same variable stack, pipeline
 * and argument rules, truthiness, `range` iteration order and error messages.
 */
import type {
  ActionNode,
  ChainNode,
  CommandNode,
  IdentifierNode,
  ListNode,
  Node,
  Operand,
  PipeNode,
  RangeNode,
  VariableNode,
} from './ast.js';
import { nodeString } from './ast.js';
import { FuncError, isTrue } from './builtins.js';
import type { Builtin, ParamType } from './builtins.js';
import { TemplateError, lineColumn } from './errors.js';
import { quote, sprint } from './go-format.js';
import {
  NO_VALUE,
  kindOf,
  mapKeyTypeName,
  numberOf,
  sortedEntries,
  structField,
  typeName,
} from './values.js';

/** Go's missingVal: no value flows into the command from the previous stage of the pipeline. */
const MISSING: unique symbol = Symbol('missing');

const NORMAL = 0;
const BREAK = 1;
const CONTINUE = 2;
type Signal = typeof NORMAL | typeof BREAK | typeof CONTINUE;

type ErrorNode = Node | ListNode | Operand | CommandNode;

interface Variable {
  readonly name: string;
  value: unknown;
}

class State {
  out = '';
  readonly vars: Variable[] = [];
  private node: ErrorNode | null = null;

  constructor(
    private readonly name: string,
    private readonly source: string,
  ) {}

  private at(node: ErrorNode): void {
    this.node = node;
  }

  private errorf(problem: string, cause?: unknown): never {
    const node = this.node;
    const pos = node?.pos ?? 0;
    const { line, column } = lineColumn(this.source, pos);
    const context = node === null ? '' : `executing ${quote(this.name)} at <${nodeString(node)}>: `;
    throw new TemplateError(
      this.name,
      line,
      column,
      'exec',
      context + problem,
      cause === undefined ? undefined : { cause },
    );
  }

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v !== undefined && v.name === name) return v.value;
    }
    return this.errorf(`undefined variable: ${name}`);
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v !== undefined && v.name === name) {
        v.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: unknown): void {
    const v = this.vars[this.vars.length - n];
    if (v !== undefined) v.value = value;
  }

  walkList(dot: unknown, list: ListNode): Signal {
    for (const node of list.nodes) {
      const signal = this.walk(dot, node);
      if (signal !== NORMAL) return signal;
    }
    return NORMAL;
  }

  private walk(dot: unknown, node: Node): Signal {
    this.at(node);
    switch (node.type) {
      case 'text':
        this.out += node.text;
        return NORMAL;
      case 'action': {
        const value = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, value);
        return NORMAL;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const value = this.evalPipeline(dot, node.pipe);
        const truth = isTrue(value);
        if (truth === undefined) this.errorf(`if/with can't use ${sprint([value])}`);
        let signal: Signal = NORMAL;
        if (truth) signal = this.walkList(node.type === 'with' ? value : dot, node.list);
        else if (node.elseList !== null) signal = this.walkList(dot, node.elseList);
        this.vars.length = mark;
        return signal;
      }
      case 'range':
        return this.walkRange(dot, node);
      case 'break':
        return BREAK;
      case 'continue':
        return CONTINUE;
    }
  }

  private walkRange(dot: unknown, r: RangeNode): Signal {
    this.at(r);
    const mark = this.vars.length;
    const value = this.evalPipeline(dot, r.pipe);
    const bodyMark = this.vars.length;
    const decl = r.pipe.decl;
    const first = decl[0]?.ident[0] ?? '';
    const second = decl[1]?.ident[0] ?? '';
    const oneIteration = (index: unknown, elem: unknown): Signal => {
      if (decl.length > 0) {
        if (r.pipe.isAssign) this.setVar(first, decl.length > 1 ? index : elem);
        else this.setTopVar(1, elem);
      }
      if (decl.length > 1) {
        if (r.pipe.isAssign) this.setVar(second, elem);
        else this.setTopVar(2, index);
      }
      const signal = this.walkList(elem, r.list);
      this.vars.length = bodyMark;
      return signal;
    };
    let ran = false;
    switch (kindOf(value)) {
      case 'slice': {
        const items = value as unknown[];
        for (let i = 0; i < items.length; i++) {
          ran = true;
          const item = items[i];
          if (oneIteration(i, item === undefined ? null : item) === BREAK) break;
        }
        break;
      }
      case 'map':
        for (const [k, v] of sortedEntries(value as Map<unknown, unknown>)) {
          ran = true;
          if (oneIteration(k, v === undefined ? null : v) === BREAK) break;
        }
        break;
      case 'int': {
        if (decl.length > 1)
          this.errorf(`can't use ${sprint([value])} to iterate over more than one variable`);
        const n = numberOf(value);
        for (let i = 0; i < n; i++) {
          ran = true;
          if (oneIteration(i, i) === BREAK) break;
        }
        break;
      }
      case 'invalid':
        break;
      default:
        this.errorf(`range can't iterate over ${sprint([value])}`);
    }
    if (!ran && r.elseList !== null) this.walkList(dot, r.elseList);
    this.vars.length = mark;
    return NORMAL;
  }

  private printValue(node: ActionNode, value: unknown): void {
    if (typeof value === 'string') {
      this.out += value;
      return;
    }
    this.at(node);
    if (value === NO_VALUE || value === null || value === undefined) {
      this.out += '<no value>';
      return;
    }
    if (kindOf(value) === 'func') this.errorf(`can't print ${nodeString(node)} of type ${typeName(value)}`);
    this.out += sprint([value]);
  }

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: unknown = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // NB: Go unwraps interfaces after each command, so a nil interface becomes "no value".
      if (value === null || value === undefined) value = NO_VALUE;
    }
    for (const v of pipe.decl) {
      const name = v.ident[0] ?? '';
      if (pipe.isAssign) this.setVar(name, value);
      else this.vars.push({ name, value });
    }
    return value;
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: unknown): unknown {
    const first = cmd.args[0];
    if (first === undefined) return NO_VALUE;
    switch (first.type) {
      case 'field':
        this.at(first);
        return this.evalFieldChain(dot, first.ident, 0);
      case 'chain':
        return this.evalChainNode(dot, first);
      case 'identifier':
        this.at(first);
        return this.evalCall(dot, first.fn, cmd, cmd.args, 1, final);
      case 'pipe':
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(first);
    }
    this.at(first);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'number':
        return first.value;
      case 'string':
        return first.text;
      case 'nil':
        return this.errorf('nil is not a command');
    }
  }

  private evalFieldChain(receiver: unknown, ident: readonly string[], from: number): unknown {
    for (let i = from; i < ident.length; i++) receiver = this.evalField(ident[i] ?? '', receiver);
    return receiver;
  }

  private evalField(fieldName: string, receiver: unknown): unknown {
    if (receiver === NO_VALUE) return NO_VALUE;
    if (receiver === null || receiver === undefined)
      this.errorf(`nil pointer evaluating interface {}.${fieldName}`);
    if (receiver instanceof Map) {
      const m = receiver as Map<unknown, unknown>;
      if (m.has(fieldName)) {
        const v = m.get(fieldName);
        return v === undefined ? null : v;
      }
      // NB: a missing key is "no value" when a string can be a key of this map at all.
      const keyType = mapKeyTypeName(m);
      if (keyType === 'string' || keyType === 'interface {}') return NO_VALUE;
    } else if (kindOf(receiver) === 'struct' && Object.hasOwn(receiver, fieldName)) {
      return structField(receiver, fieldName);
    }
    return this.errorf(`can't evaluate field ${fieldName} in type ${typeName(receiver)}`);
  }

  private evalChainNode(dot: unknown, chain: ChainNode): unknown {
    this.at(chain);
    const receiver = this.evalArg(dot, null, chain.node);
    this.at(chain);
    return this.evalFieldChain(receiver, chain.field, 0);
  }

  private evalVariableNode(variable: VariableNode): unknown {
    this.at(variable);
    const value = this.varValue(variable.ident[0] ?? '');
    return variable.ident.length === 1 ? value : this.evalFieldChain(value, variable.ident, 1);
  }

  private evalCall(
    dot: unknown,
    fn: Builtin,
    node: CommandNode | IdentifierNode,
    args: readonly Operand[],
    from: number,
    final: unknown,
  ): unknown {
    if (fn.name === 'and' || fn.name === 'or') {
      const wantTrue = fn.name === 'or';
      let v: unknown = NO_VALUE;
      for (let i = from; i < args.length; i++) {
        v = this.evalArg(dot, 'value', args[i] as Operand);
        if ((isTrue(v) ?? false) === wantTrue) return v;
      }
      if (final !== MISSING) v = this.validateType(final, 'value');
      return v;
    }
    const argv: unknown[] = [];
    let i = from;
    for (; i < args.length; i++) {
      const k = i - from;
      const type = k < fn.params.length ? fn.params[k] : fn.variadic;
      argv.push(this.evalArg(dot, type ?? 'any', args[i] as Operand));
    }
    if (final !== MISSING) {
      const k = i - from;
      const type = k < fn.params.length ? fn.params[k] : fn.variadic;
      argv.push(this.validateType(final, type ?? 'any'));
    }
    try {
      return fn.call(argv);
    } catch (e) {
      if (!(e instanceof FuncError)) throw e;
      this.at(node);
      return this.errorf(`error calling ${fn.name}: ${e.message}`, e);
    }
  }

  /** Go's validateType: how a computed value is passed to a parameter (`null` = no parameter type). */
  private validateType(value: unknown, type: ParamType | null): unknown {
    if (value === NO_VALUE) {
      if (type === null || type === 'value') return NO_VALUE;
      if (type === 'any') return null;
      return this.errorf(`invalid value; expected ${type}`);
    }
    if (type === 'string' && typeof value !== 'string') {
      const got = value === null || value === undefined ? 'interface {}' : typeName(value);
      return this.errorf(`wrong type for value; expected string; got ${got}`);
    }
    return value;
  }

  private evalArg(dot: unknown, type: ParamType | null, n: Operand): unknown {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return this.validateType(dot, type);
      case 'nil':
        return type === 'any' ? null : NO_VALUE;
      case 'field':
        return this.validateType(this.evalFieldChain(dot, n.ident, 0), type);
      case 'variable':
        return this.validateType(this.evalVariableNode(n), type);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), type);
      case 'identifier':
        return this.validateType(this.evalCall(dot, n.fn, n, [], 0, MISSING), type);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n), type);
      case 'bool':
        return n.value;
      case 'number':
        return n.value;
      case 'string':
        return n.text;
    }
  }
}

/**
 * Executes a parsed template over `data` and returns the text it renders.
 * @throws TemplateError (phase `exec`) located at the node that failed
 */
export function execute(name: string, source: string, root: ListNode, data: unknown): string {
  const state = new State(name, source);
  const dot = data === null || data === undefined ? NO_VALUE : data;
  state.vars.push({ name: '$', value: dot });
  state.walkList(dot, root);
  return state.out;
}
