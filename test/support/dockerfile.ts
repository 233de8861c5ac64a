/**
 * A minimal reader of the project's Dockerfile, enough for tests to assert its shape: logical instructions
 * (continuations joined, comments dropped), build stages, ARG defaults, and the `/adapter` entry script that the
 * final stage writes.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const DOCKERFILE_PATH = resolve('Dockerfile');

export interface Instruction {
  /** Upper-cased keyword, e.g. `COPY`. */
  keyword: string;
  /** Everything after the keyword, continuations joined with a single space. */
  args: string;
  /** 1-based line of the keyword. */
  line: number;
}

export interface Stage {
  /** The FROM image reference as written (ARGs not expanded). */
  from: string;
  /** `AS name`, if any. */
  name?: string;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  /** Instructions before the first FROM (global ARGs, parser directives are dropped as comments). */
  preamble: Instruction[];
  stages: Stage[];
}

/** Parses Dockerfile text into instructions grouped by stage. Comment lines inside continuations are skipped, as by docker. */
export function parseDockerfile(text: string): ParsedDockerfile {
  const instructions: Instruction[] = [];
  let pending: { parts: string[]; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && pending === undefined)) return;
    const continues = trimmed.endsWith('\\');
    const part = continues ? trimmed.slice(0, -1).trim() : trimmed;
    pending ??= { parts: [], line: index + 1 };
    if (part !== '') pending.parts.push(part);
    if (continues) return;
    const joined = pending.parts.join(' ');
    const space = joined.search(/\s/);
    instructions.push({
      keyword: (space < 0 ? joined : joined.slice(0, space)).toUpperCase(),
      args: space < 0 ? '' : joined.slice(space + 1).trim(),
      line: pending.line,
    });
    pending = undefined;
  });
  const preamble: Instruction[] = [];
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [from = '', as, name] = instruction.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      stages.push({
        from,
        ...(as?.toUpperCase() === 'AS' && name !== undefined ? { name } : {}),
        instructions: [],
      });
    } else if (stages.length === 0) preamble.push(instruction);
    else stages[stages.length - 1]!.instructions.push(instruction);
  }
  return { preamble, stages };
}

/** Reads and parses the project's Dockerfile. */
export function readDockerfile(): { text: string; parsed: ParsedDockerfile } {
  const text = readFileSync(DOCKERFILE_PATH, 'utf8');
  return { text, parsed: parseDockerfile(text) };
}

/** `ARG NAME=default` values of a list of instructions. */
export function argDefaults(instructions: readonly Instruction[]): Map<string, string> {
  const args = new Map<string, string>();
  for (const { keyword, args: text } of instructions) {
    const match = keyword === 'ARG' ? /^([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/.exec(text) : null;
    if (match !== null) args.set(match[1]!, match[2]!);
  }
  return args;
}

/** Expands `${NAME}` and `$NAME` from `args`; an unknown name is an error, not an empty string. */
export function expandArgs(text: string, args: ReadonlyMap<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, braced, bare) => {
    const name = (braced ?? bare) as string;
    const value = args.get(name);
    if (value === undefined) throw new Error(`the Dockerfile uses $${name}, which has no ARG default`);
    return value;
  });
}

/**
 * The lines of the `/adapter` entry script, taken from the final stage's
 * `RUN printf '%s\n' 'line' 'line' ... >/adapter`. Throws when the Dockerfile no longer writes it that way.
 */
export function entryScriptLines(parsed: ParsedDockerfile): string[] {
  const final = parsed.stages[parsed.stages.length - 1];
  const run = final?.instructions.find((i) => i.keyword === 'RUN' && /> ?\/adapter\b/.test(i.args));
  const match = run === undefined ? null : /^printf '%s\\n' ((?:'[^']*' )+)> ?\/adapter\b/.exec(run.args);
  if (match === null) throw new Error("the final stage no longer writes /adapter with `printf '%s\\n' ...`");
  return [...match[1]!.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
}
