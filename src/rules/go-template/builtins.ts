/**
 * Go text/template's predefined functions (funcs.go), less `call`. Argument values follow values.ts; a
 * function signals failure by throwing `FuncError`, which the evaluator reports as `error calling NAME: ...`.
 */
import { sprint, sprintf, sprintln } from './go-format.js';
import {
  NO_VALUE,
  kindOf,
  mapElemTypeName,
  mapKeyTypeName,
  numberOf,
  structField,
  structFields,
  typeName,
  utf8Bytes,
  utf8Decode,
  utf8Length,
  zeroValue,
  compareStrings,
} from './values.js';

/**
 * How an argument is passed, as in Go's signatures: `value` is a `reflect.Value` (no value stays no value),
 * `any` an `interface{}` (no value becomes nil), `string` a string (anything else is an error).
 */
export type ParamType = 'value' | 'any' | 'string';

/** A predefined function: its fixed parameters, its variadic parameter if any, and its body. */
export interface Builtin {
  readonly name: string;
  readonly params: readonly ParamType[];
  readonly variadic: ParamType | null;
  /** `and`/`or` are evaluated by the evaluator itself, argument by argument, and never reach `call`. */
  readonly call: (args: readonly unknown[]) => unknown;
}

/** A failed function call; the message is the Go error text. */
export class FuncError extends Error {
  override readonly name = 'FuncError';
}

/** Go's indirectInterface: a nil interface becomes "no value". */
function indirectInterface(v: unknown): unknown {
  return v === null || v === undefined ? NO_VALUE : v;
}

/** Go's truth of a value, for `if`, `with`, `and`, `or`, `not`. Returns undefined for a value with no truth. */
export function isTrue(v: unknown): boolean | undefined {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return false;
    case 'bool':
      return v as boolean;
    case 'int':
    case 'float':
      return numberOf(v) !== 0;
    case 'string':
      return (v as string).length > 0;
    case 'slice':
      return (v as unknown[]).length > 0;
    case 'map':
      return (v as Map<unknown, unknown>).size > 0;
    case 'struct':
      return true;
    case 'func':
      return undefined;
  }
}

function truth(v: unknown): boolean {
  return isTrue(v) ?? false;
}

function indexArg(index: unknown, cap: number): number {
  const k = kindOf(index);
  if (k === 'invalid') throw new FuncError('cannot index slice/array with nil');
  if (k !== 'int') throw new FuncError(`cannot index slice/array with type ${typeName(index)}`);
  const x = numberOf(index);
  if (x < 0 || x > cap) throw new FuncError(`index out of range: ${x}`);
  return x;
}

function assignableTo(v: unknown, type: string): boolean {
  switch (type) {
    case 'interface {}':
      return true;
    case 'string':
      return typeof v === 'string';
    case 'int':
      return kindOf(v) === 'int';
    case 'float64':
      return kindOf(v) === 'float';
    case 'bool':
      return typeof v === 'boolean';
    default:
      return typeName(v) === type;
  }
}

function index(args: readonly unknown[]): unknown {
  let item = indirectInterface(args[0]);
  if (item === NO_VALUE) throw new FuncError('index of untyped nil');
  for (let i = 1; i < args.length; i++) {
    const idx = indirectInterface(args[i]);
    if (item === null || item === undefined) throw new FuncError('index of nil pointer');
    switch (kindOf(item)) {
      case 'string': {
        const bytes = utf8Bytes(item as string);
        const x = indexArg(idx, bytes.length);
        if (x === bytes.length) throw new FuncError('reflect: string index out of range');
        item = bytes[x];
        break;
      }
      case 'slice': {
        const arr = item as unknown[];
        const x = indexArg(idx, arr.length);
        if (x === arr.length) throw new FuncError('reflect: slice index out of range');
        item = arr[x] ?? null;
        break;
      }
      case 'map': {
        const m = item as Map<unknown, unknown>;
        const keyType = mapKeyTypeName(m);
        let key = idx;
        if (key === NO_VALUE) {
          if (keyType !== 'interface {}') throw new FuncError(`value is nil; should be of type ${keyType}`);
          key = null;
        } else if (!assignableTo(key, keyType)) {
          throw new FuncError(`value has type ${typeName(key)}; should be ${keyType}`);
        }
        if (m.has(key)) item = m.get(key) ?? null;
        else {
          // NB: the zero value of the map's element type: "" for a map of strings (Go's map[string]string).
          item = zeroValue(mapElemTypeName(m));
        }
        break;
      }
      default:
        throw new FuncError(`can't index item of type ${typeName(item)}`);
    }
  }
  return item;
}

function slice(args: readonly unknown[]): unknown {
  const item = indirectInterface(args[0]);
  if (item === NO_VALUE) throw new FuncError('slice of untyped nil');
  const indexes = args.slice(1);
  if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  let bytes: Uint8Array | undefined;
  let len: number;
  switch (kindOf(item)) {
    case 'string':
      if (indexes.length === 3) throw new FuncError('cannot 3-index slice a string');
      bytes = utf8Bytes(item as string);
      len = bytes.length;
      break;
    case 'slice':
      len = (item as unknown[]).length;
      break;
    default:
      throw new FuncError(`can't slice item of type ${typeName(item)}`);
  }
  const idx = [0, len, len];
  indexes.forEach((index, i) => {
    idx[i] = indexArg(index, len);
  });
  const [i, j, k] = idx as [number, number, number];
  if (i > j) throw new FuncError(`invalid slice index: ${i} > ${j}`);
  if (indexes.length === 3 && j > k) throw new FuncError(`invalid slice index: ${j} > ${k}`);
  return bytes ? utf8Decode(bytes.subarray(i, j)) : (item as unknown[]).slice(i, j);
}

function length(args: readonly unknown[]): unknown {
  const item = args[0];
  if (item === null || item === undefined) throw new FuncError('len of nil pointer');
  switch (kindOf(item)) {
    case 'invalid':
      throw new FuncError('reflect: call of reflect.Value.Type on zero Value');
    case 'string':
      return utf8Length(item as string);
    case 'slice':
      return (item as unknown[]).length;
    case 'map':
      return (item as Map<unknown, unknown>).size;
    default:
      throw new FuncError(`len of type ${typeName(item)}`);
  }
}

type BasicKind = 'bool' | 'int' | 'float' | 'string' | 'invalid';

function basicKind(v: unknown): BasicKind {
  const k = kindOf(v);
  return k === 'bool' || k === 'int' || k === 'float' || k === 'string' ? k : 'invalid';
}

/** Go's == on interface values holding struct fields; throws like Go's runtime for uncomparable types. */
function fieldsEqual(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  if (ka === 'slice' || ka === 'map' || ka === 'func') {
    throw new FuncError(`runtime error: comparing uncomparable type ${typeName(a)}`);
  }
  if (ka !== kindOf(b)) return false;
  switch (ka) {
    case 'nil':
    case 'invalid':
      return true;
    case 'int':
    case 'float':
      return numberOf(a) === numberOf(b);
    case 'struct':
      return structsEqual(a as object, b as object);
    default:
      return a === b;
  }
}

function structsEqual(a: object, b: object): boolean {
  const fa = structFields(a);
  const fb = structFields(b);
  if (fa.length !== fb.length || fa.some((f, i) => f !== fb[i])) return false;
  return fa.every((f) => fieldsEqual(structField(a, f), structField(b, f)));
}

function eqOne(arg1: unknown, k1: BasicKind, arg: unknown): boolean {
  const k2 = basicKind(arg);
  if (k1 !== k2) {
    if (arg1 !== NO_VALUE && arg !== NO_VALUE) throw new FuncError('incompatible types for comparison');
    return false;
  }
  switch (k1) {
    case 'bool':
    case 'string':
      return arg1 === arg;
    case 'int':
    case 'float':
      return numberOf(arg1) === numberOf(arg);
    default: {
      const c1 = kindOf(arg1);
      const c2 = kindOf(arg);
      if (c1 !== c2 && c1 !== 'invalid' && c2 !== 'invalid') {
        throw new FuncError(
          `non-comparable types ${sprintf('%s', [arg1])}: ${typeName(arg1)}, ${typeName(arg)}: ${sprint([arg])}`,
        );
      }
      if (c1 === 'invalid' || c2 === 'invalid') return c1 === c2;
      if (c2 !== 'struct')
        throw new FuncError(`non-comparable type ${sprintf('%s', [arg])}: ${typeName(arg)}`);
      return structsEqual(arg1 as object, arg as object);
    }
  }
}

function eq(args: readonly unknown[]): boolean {
  const arg1 = indirectInterface(args[0]);
  if (args.length < 2) throw new FuncError('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (let i = 1; i < args.length; i++) {
    if (eqOne(arg1, k1, indirectInterface(args[i]))) return true;
  }
  return false;
}

function lt(args: readonly unknown[]): boolean {
  const a = indirectInterface(args[0]);
  const b = indirectInterface(args[1]);
  const k1 = basicKind(a);
  if (k1 === 'invalid') throw new FuncError('invalid type for comparison');
  const k2 = basicKind(b);
  if (k2 === 'invalid') throw new FuncError('invalid type for comparison');
  if (k1 !== k2) throw new FuncError('incompatible types for comparison');
  switch (k1) {
    case 'bool':
      throw new FuncError('invalid type for comparison');
    case 'string':
      return compareStrings(a as string, b as string) < 0;
    default:
      return numberOf(a) < numberOf(b);
  }
}

function le(args: readonly unknown[]): boolean {
  return lt(args) || eq(args);
}

const HTML_ESCAPES: Record<string, string> = {
  '\0': '\uFFFD',
  '"': '&#34;',
  "'": '&#39;',
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
};

/** Go's template.HTMLEscapeString. */
function htmlEscape(s: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const rep = HTML_ESCAPES[s.charAt(i)];
    if (rep === undefined) continue;
    out += s.slice(last, i) + rep;
    last = i + 1;
  }
  return last === 0 ? s : out + s.slice(last);
}

const JS_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '<': '\\u003C',
  '>': '\\u003E',
  '&': '\\u0026',
  '=': '\\u003D',
};

const UNICODE_PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go's template.JSEscapeString. */
function jsEscape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      const ch = s.charAt(i);
      const rep = JS_ESCAPES[ch];
      if (rep !== undefined) out += rep;
      else if (c < 0x20) out += '\\u00' + c.toString(16).toUpperCase().padStart(2, '0');
      else out += ch;
      continue;
    }
    const cp = s.codePointAt(i) ?? c;
    const ch = String.fromCodePoint(cp);
    if (cp > 0xffff) i++;
    out += UNICODE_PRINTABLE.test(ch) ? ch : '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
  }
  return out;
}

/** Go's url.QueryEscape. */
function queryEscape(s: string): string {
  let out = '';
  for (const b of utf8Bytes(s)) {
    const isAlnum = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
    if (isAlnum || b === 0x2d || b === 0x5f || b === 0x2e || b === 0x7e) out += String.fromCharCode(b);
    else if (b === 0x20) out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Go's evalArgs: Sprint of the arguments, where a nil argument prints as `<no value>`. */
function evalArgs(args: readonly unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === null || a === undefined || a === NO_VALUE ? '<no value>' : a)));
}

function define(
  name: string,
  params: readonly ParamType[],
  variadic: ParamType | null,
  call: (args: readonly unknown[]) => unknown,
): [string, Builtin] {
  return [name, { name, params, variadic, call }];
}

const shortCircuit = (): never => {
  throw new Error('and/or are evaluated by the evaluator');
};

/** The functions a template may call, by name. */
export const BUILTINS: ReadonlyMap<string, Builtin> = new Map([
  define('and', ['value'], 'value', shortCircuit),
  define('or', ['value'], 'value', shortCircuit),
  define('not', ['value'], null, (a) => !truth(indirectInterface(a[0]))),
  define('len', ['value'], null, length),
  define('index', ['value'], 'value', index),
  define('slice', ['value'], 'value', slice),
  define('print', [], 'any', sprint),
  define('printf', ['string'], 'any', (a) => sprintf(a[0] as string, a.slice(1))),
  define('println', [], 'any', sprintln),
  define('html', [], 'any', (a) => htmlEscape(evalArgs(a))),
  define('js', [], 'any', (a) => jsEscape(evalArgs(a))),
  define('urlquery', [], 'any', (a) => queryEscape(evalArgs(a))),
  define('eq', ['value'], 'value', eq),
  define('ne', ['value', 'value'], null, (a) => !eq(a)),
  define('lt', ['value', 'value'], null, lt),
  define('le', ['value', 'value'], null, le),
  define('gt', ['value', 'value'], null, (a) => !le(a)),
  define('ge', ['value', 'value'], null, (a) => !lt(a)),
]);
