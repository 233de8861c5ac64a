/**
 * How JavaScript values stand in for Go values inside the template engine.
 *
 * - `NO_VALUE` is Go's invalid `reflect.Value`: a missing map key, nil template data, the result of a pipeline
 *   that produced a nil interface. It prints as `<no value>`.
 * - `null`/`undefined` are a nil interface (a struct field, slice element or map value holding nil).
 * - numbers are Go `int` when integral and within int64 range, `float64` otherwise; `GoFloat` marks a float64
 *   whose value is integral (the template literal `1.0`), so that `eq 1.0 1` fails like Go.
 * - arrays are slices, `Map`s are maps, other objects are structs whose fields are their own properties.
 */

/** Go's invalid reflect.Value: "no value". */
export const NO_VALUE: unique symbol = Symbol('no value');

/** A Go float64 that must not be mistaken for an int although its value is integral. */
export class GoFloat {
  constructor(readonly value: number) {}
}

/** The Go kinds the engine distinguishes. `nil` is a nil interface, `invalid` is `NO_VALUE`. */
export type Kind =
  'invalid' | 'nil' | 'bool' | 'int' | 'float' | 'string' | 'slice' | 'map' | 'struct' | 'func';

const INT64_LIMIT = 2 ** 63;

/** Whether a JS number stands for a Go int (integral and inside int64's range). */
export function isGoInt(n: number): boolean {
  return Number.isInteger(n) && n < INT64_LIMIT && n >= -INT64_LIMIT;
}

/** The Go kind of a value. */
export function kindOf(v: unknown): Kind {
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return isGoInt(v) ? 'int' : 'float';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'undefined':
      return 'nil';
    case 'symbol':
      return v === NO_VALUE ? 'invalid' : 'func';
    case 'function':
      return 'func';
    default:
      if (v === null) return 'nil';
      if (Array.isArray(v)) return 'slice';
      if (v instanceof Map) return 'map';
      if (v instanceof GoFloat) return 'float';
      return 'struct';
  }
}

/** The numeric value of an int or float kind. */
export function numberOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof GoFloat) return v.value;
  return NaN;
}

/** The own fields of a struct, in key order. */
export function structFields(v: object): string[] {
  return Object.keys(v);
}

/** Reads a struct field; a field holding `undefined` is a nil interface. */
export function structField(v: object, name: string): unknown {
  const value: unknown = (v as Record<string, unknown>)[name];
  return value === undefined ? null : value;
}

/** Collections of strings are typed as Go's `[]string`/`map[string]string`, all others hold `interface {}`. */
function elementTypeName(values: Iterable<unknown>): string {
  for (const v of values) if (typeof v !== 'string') return 'interface {}';
  return 'string';
}

/**
 * The Go type name of a value, as Go's fmt and error messages print it. A slice or map whose elements (keys)
 * are all strings, or that is empty, is `[]string`/`map[string]string`; otherwise its elements are `interface {}`.
 */
export function typeName(v: unknown): string {
  switch (kindOf(v)) {
    case 'invalid':
      return 'reflect.Value';
    case 'nil':
      return 'interface {}';
    case 'bool':
      return 'bool';
    case 'int':
      return 'int';
    case 'float':
      return 'float64';
    case 'string':
      return 'string';
    case 'slice':
      return `[]${elementTypeName(v as unknown[])}`;
    case 'map': {
      const m = v as Map<unknown, unknown>;
      return `map[${mapKeyTypeName(m)}]${mapElemTypeName(m)}`;
    }
    case 'struct': {
      const fields = structFields(v as object);
      if (fields.length === 0) return 'struct {}';
      const parts = fields.map((f) => {
        const fv = structField(v as object, f);
        return `${f} ${kindOf(fv) === 'nil' ? 'interface {}' : typeName(fv)}`;
      });
      return `struct { ${parts.join('; ')} }`;
    }
    case 'func':
      return 'func()';
  }
}

/** The key type of a map: `string` when empty or all keys are strings. */
export function mapKeyTypeName(m: Map<unknown, unknown>): string {
  return elementTypeName(m.keys());
}

/** The element type of a map: `string` when empty or all values are strings. */
export function mapElemTypeName(m: Map<unknown, unknown>): string {
  return elementTypeName(m.values());
}

/** The zero value of a Go type name produced by `typeName`; `NO_VALUE` stands for a nil interface. */
export function zeroValue(type: string): unknown {
  switch (type) {
    case 'string':
      return '';
    case 'int':
      return 0;
    case 'float64':
      return new GoFloat(0);
    case 'bool':
      return false;
    default:
      return null;
  }
}

/** Compares two strings by Unicode code point, like Go compares UTF-8 bytes. */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // NB: UTF-16 order differs from code point order only when one side is a surrogate.
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
      return x - y;
    }
  }
  return a.length - b.length;
}

const KIND_ORDER: Record<Kind, number> = {
  invalid: 0,
  nil: 1,
  bool: 2,
  int: 3,
  float: 4,
  string: 5,
  slice: 6,
  map: 7,
  struct: 8,
  func: 9,
};

function compareKeys(a: unknown, b: unknown): number {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka !== kb) return KIND_ORDER[ka] - KIND_ORDER[kb];
  switch (ka) {
    case 'string':
      return compareStrings(a as string, b as string);
    case 'int':
    case 'float': {
      const x = numberOf(a);
      const y = numberOf(b);
      // NB: Go's fmtsort puts NaN first.
      if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1;
      if (Number.isNaN(y)) return 1;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'bool':
      return (a ? 1 : 0) - (b ? 1 : 0);
    default:
      return 0;
  }
}

/** A map's entries in Go's fmtsort order (used by printing and `range`). */
export function sortedEntries(m: Map<unknown, unknown>): [unknown, unknown][] {
  const entries = [...m.entries()];
  if (entries.length > 1) entries.sort((x, y) => compareKeys(x[0], y[0]));
  return entries;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The UTF-8 bytes of a string (Go strings are bytes). */
export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Decodes UTF-8 bytes; invalid sequences become U+FFFD. */
export function utf8Decode(b: Uint8Array): string {
  return decoder.decode(b);
}

/** The length of a string in UTF-8 bytes, as Go's `len`. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}
