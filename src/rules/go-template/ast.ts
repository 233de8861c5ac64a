/**
 * The parse tree of a template, shaped like Go's text/template/parse nodes. `pos` is the UTF-16 offset in the
 * source of the node's first token; it locates errors.
 */
import type { Builtin } from './builtins.js';
import type { GoFloat } from './values.js';

/** A node that can appear in a list: the template body or the body of if/range/with. */
export type Node = TextNode | ActionNode | IfNode | RangeNode | WithNode | BreakNode | ContinueNode;

/** A value-producing word of a command. */
export type Operand =
  | FieldNode
  | VariableNode
  | ChainNode
  | IdentifierNode
  | PipeNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode;

export interface ListNode {
  readonly type: 'list';
  readonly pos: number;
  readonly nodes: Node[];
}

export interface TextNode {
  readonly type: 'text';
  readonly pos: number;
  readonly text: string;
}

/** `{{pipeline}}`: prints the pipeline's value unless it declares variables. */
export interface ActionNode {
  readonly type: 'action';
  readonly pos: number;
  readonly pipe: PipeNode;
}

interface BranchNode {
  readonly pos: number;
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | null;
}

export interface IfNode extends BranchNode {
  readonly type: 'if';
}

export interface RangeNode extends BranchNode {
  readonly type: 'range';
}

export interface WithNode extends BranchNode {
  readonly type: 'with';
}

export interface BreakNode {
  readonly type: 'break';
  readonly pos: number;
}

export interface ContinueNode {
  readonly type: 'continue';
  readonly pos: number;
}

/** `$a, $b := cmd | cmd`. */
export interface PipeNode {
  readonly type: 'pipe';
  readonly pos: number;
  isAssign: boolean;
  readonly decl: VariableNode[];
  readonly cmds: CommandNode[];
}

export interface CommandNode {
  readonly type: 'command';
  readonly pos: number;
  readonly args: Operand[];
}

/** `.A.B`: `ident` is `['A', 'B']`. */
export interface FieldNode {
  readonly type: 'field';
  readonly pos: number;
  readonly ident: string[];
}

/** `$x.A.B`: `ident` is `['$x', 'A', 'B']`. */
export interface VariableNode {
  readonly type: 'variable';
  readonly pos: number;
  readonly ident: string[];
}

/** `(pipeline).A.B`. */
export interface ChainNode {
  readonly type: 'chain';
  readonly pos: number;
  readonly node: Operand;
  readonly field: string[];
}

/** A function name, resolved to its builtin when parsed. */
export interface IdentifierNode {
  readonly type: 'identifier';
  readonly pos: number;
  readonly ident: string;
  readonly fn: Builtin;
}

export interface DotNode {
  readonly type: 'dot';
  readonly pos: number;
}

export interface NilNode {
  readonly type: 'nil';
  readonly pos: number;
}

export interface BoolNode {
  readonly type: 'bool';
  readonly pos: number;
  readonly value: boolean;
}

/** A numeric constant as Go's `idealConstant` types it: a JS number for an int, `GoFloat` for a float64. */
export interface NumberNode {
  readonly type: 'number';
  readonly pos: number;
  readonly text: string;
  readonly value: number | GoFloat;
}

/** `quoted` is the source spelling, `text` the unquoted value. */
export interface StringNode {
  readonly type: 'string';
  readonly pos: number;
  readonly quoted: string;
  readonly text: string;
}

type AnyNode = Node | ListNode | Operand | CommandNode;

function listString(list: ListNode): string {
  return list.nodes.map(nodeString).join('');
}

/** The source-like rendering Go's `Node.String()` gives, used as the context of exec errors. */
export function nodeString(n: AnyNode): string {
  switch (n.type) {
    case 'list':
      return listString(n);
    case 'text':
      return n.text;
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'if':
    case 'range':
    case 'with': {
      const head = `{{${n.type} ${nodeString(n.pipe)}}}${listString(n.list)}`;
      return n.elseList ? `${head}{{else}}${listString(n.elseList)}{{end}}` : `${head}{{end}}`;
    }
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
    case 'pipe': {
      const decl = n.decl.length > 0 ? `${n.decl.map(nodeString).join(', ')} := ` : '';
      return decl + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.type === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'field':
      return n.ident.map((id) => '.' + id).join('');
    case 'variable':
      return n.ident.join('.');
    case 'chain': {
      const base = n.node.type === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return base + n.field.map((f) => '.' + f).join('');
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
  }
}
