/**
 * The subcommands' argv → flags: one tokenizer driven by a per-command spec, and validators for the kinds of
 * values several subcommands take. Everything here throws {@link UsageError} for bad input.
 */
import { withoutUrlPassword } from '../api/redacted-url.js';
import { parseGoDuration } from '../go-duration.js';

/** Bad command-line usage: the subcommands print it with their usage line and exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What one subcommand accepts. Flags are named as written canonically, e.g. `--config`. */
export interface ArgsSpec<V extends string, B extends string> {
  /** Flags that take a value, as `--flag=value` or `--flag value`; each may be given more than once. */
  readonly values: readonly V[];
  /** Flags that stand alone (on) or take `=true` / `=false`; never a separate value. */
  readonly booleans?: readonly B[];
  /** Other spellings of a flag, e.g. `{ '-o': '--output' }`. */
  readonly aliases?: Readonly<Record<string, NoInfer<V | B>>>;
  /** Whether arguments that are not flags are collected; otherwise each is an "unexpected argument". */
  readonly positionals?: boolean;
}

/** The tokens of argv: `help` when `--help` or `-h` came before any error (what follows it is not read). */
export type ParsedArgs<V extends string, B extends string> =
  | { readonly help: true }
  | {
      readonly help: false;
      /** Every value of each flag, in the order given; empty when the flag is absent. */
      readonly values: Readonly<Record<V, readonly string[]>>;
      /** The last setting of each boolean flag; `undefined` when absent. */
      readonly booleans: Readonly<Record<B, boolean | undefined>>;
      readonly positionals: readonly string[];
    };

/**
 * Splits `argv` (the arguments after the subcommand) into flags by `spec`. A flag's value may look like a flag
 * (`--config --strict` sets `--config` to `--strict`); `-` alone is a positional (standard input, by convention).
 * @throws UsageError naming the argument: "unknown flag X", "X needs a value", "unexpected argument "x"",
 *   "X takes true or false, got "v"".
 */
export function tokenizeArgs<const V extends string, const B extends string = never>(
  argv: readonly string[],
  spec: ArgsSpec<V, B>,
): ParsedArgs<V, B> {
  const isValueFlag = (flag: string): flag is V => (spec.values as readonly string[]).includes(flag);
  const isBooleanFlag = (flag: string): flag is B =>
    (spec.booleans as readonly string[] | undefined)?.includes(flag) ?? false;
  const values = recordOf(spec.values, (): string[] => []);
  const booleans = recordOf(spec.booleans ?? [], (): boolean | undefined => undefined);
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { help: true };
    if (!arg.startsWith('-') || arg === '-') {
      if (spec.positionals !== true) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const written = eq < 0 ? arg : arg.slice(0, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const flag = spec.aliases?.[written] ?? written;
    if (isBooleanFlag(flag)) {
      const text = inline ?? 'true';
      if (text !== 'true' && text !== 'false') {
        throw new UsageError(`${written} takes true or false, got ${JSON.stringify(text)}`);
      }
      booleans[flag] = text === 'true';
    } else if (isValueFlag(flag)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${written} needs a value`);
      values[flag].push(value);
    } else {
      throw new UsageError(`unknown flag ${written}`);
    }
  }
  return { help: false, values, booleans, positionals };
}

function recordOf<K extends string, T>(keys: readonly K[], value: () => T): Record<K, T> {
  return Object.fromEntries(keys.map((key) => [key, value()])) as Record<K, T>;
}

export type OutputFormat = 'text' | 'json';

/**
 * `--output`'s value. `invalid` words the error when a command has its own wording.
 * @throws UsageError unless `text` is `text` or `json`.
 */
export function parseOutputFormat(
  flag: string,
  text: string,
  invalid: (flag: string, text: string) => string = (f, t) =>
    `${f} must be text or json, got ${JSON.stringify(t)}`,
): OutputFormat {
  if (text !== 'text' && text !== 'json') throw new UsageError(invalid(flag, text));
  return text;
}

/**
 * A Go duration (`30s`, `1m30s`) that must be more than zero, in milliseconds.
 * @throws UsageError naming the flag when `text` is not a duration or is zero or negative.
 */
export function parsePositiveDuration(flag: string, text: string): number {
  let ms: number;
  try {
    ms = parseGoDuration(text);
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`, { cause: e });
  }
  if (!(ms > 0)) throw new UsageError(`${flag} must be a positive duration, got ${JSON.stringify(text)}`);
  return ms;
}

/**
 * An absolute http or https URL.
 * @throws UsageError naming the flag when `text` is not a URL or has another scheme.
 */
export function parseHttpUrl(flag: string, text: string): URL {
  let url: URL;
  // NB: without the password the URL may carry, and without the cause (Node's URL error holds the input).
  const shown = JSON.stringify(withoutUrlPassword(text));
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${flag} must be an http or https URL, got ${shown}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${flag} must be an http or https URL, got ${shown}`);
  }
  return url;
}

/**
 * `KEY=VALUE` split at the first `=`; the value may be empty, the key may not.
 * @throws UsageError naming the flag when there is no `=` or nothing before it.
 */
export function parseKeyValue(flag: string, text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`${flag} must be KEY=VALUE, got ${JSON.stringify(text)}`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** Why a file could not be read, in words (`no such file`, `permission denied`, `is a directory`), else the message. */
export function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}
