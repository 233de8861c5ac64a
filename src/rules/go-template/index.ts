/**
 * A Go `text/template` engine for prometheus-adapter templates (`metricsQuery`, `resources.template`; SPEC 3.2,
 * 3.3): templates are parsed once into a tree and executed per request, with Go's semantics for everything
 * SPEC 3.3 lists. Anything else (`define`, `template`, `block`, `call`, unknown functions or keywords) is
 * rejected when the template is parsed.
 *
 * Data model: plain objects are Go structs (a missing field is an exec error), `Map`s are Go maps (a missing key
 * is "no value"; `index` on a missing key gives the zero value of the map's element type, `""` for a map of
 * strings), arrays are slices, integral numbers are ints and other numbers float64s, `null`/`undefined` are nil.
 * Strings are measured, indexed and sliced in UTF-8 bytes, as in Go. Printing follows Go's fmt `%v`.
 */
import { FuncError } from './builtins.js';
import type { Builtin } from './builtins.js';
import { execute } from './evaluator.js';
import { parse } from './parser.js';
import type { ListNode } from './ast.js';

export { TemplateError } from './errors.js';

export interface TemplateOptions {
  /** Name used in error messages; default `template`. */
  name?: string;
  /** Default `{{`. */
  leftDelim?: string;
  /** Default `}}`. */
  rightDelim?: string;
  /**
   * Extra functions, like Go's `Template.Funcs`: they take precedence over the predefined ones of the same name.
   * Arguments arrive as Go `interface{}` values (no value is `null`); a thrown error fails the call as
   * `error calling NAME: message`. Opt-in: without it, unknown functions stay parse errors (the rules rely on it).
   */
  functions?: Readonly<Record<string, (...args: unknown[]) => unknown>>;
}

/** A parsed template. Immutable; `execute` may be called any number of times, concurrently. */
export interface Template {
  readonly name: string;
  readonly source: string;
  /**
   * Renders the template over `data`.
   * @throws TemplateError (phase `exec`) when Go's text/template would fail executing it
   */
  execute(data: unknown): string;
}

class ParsedTemplate implements Template {
  constructor(
    readonly name: string,
    readonly source: string,
    private readonly root: ListNode,
  ) {}

  execute(data: unknown): string {
    return execute(this.name, this.source, this.root, data);
  }
}

/**
 * Parses a template.
 * @throws TemplateError (phase `parse`) with the 1-based line and column of the offending token
 */
export function parseTemplate(source: string, options: TemplateOptions = {}): Template {
  const name = options.name ?? 'template';
  // NB: like Go's Delims, an empty delimiter means the default.
  const leftDelim = options.leftDelim || '{{';
  const rightDelim = options.rightDelim || '}}';
  const functions = new Map<string, Builtin>();
  for (const [fnName, fn] of Object.entries(options.functions ?? {})) {
    functions.set(fnName, {
      name: fnName,
      params: [],
      variadic: 'any',
      call: (args) => {
        try {
          return fn(...args);
        } catch (e) {
          throw new FuncError(e instanceof Error ? e.message : String(e), { cause: e });
        }
      },
    });
  }
  return new ParsedTemplate(name, source, parse(source, name, leftDelim, rightDelim, functions));
}
