import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ConfigError, type ConfigProblem } from './config-error.js';
import type { RulesConfig } from './config.js';

/** Where each YAML path sits in the source, for errors found after the structural check. */
export type PositionOf = (path: string) => { line: number; column: number } | undefined;

export interface LoadedConfig {
  config: RulesConfig;
  positionOf: PositionOf;
}

type Schema =
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'object'; fields: Record<string, { schema: Schema; required?: boolean }> }
  | { kind: 'array'; of: Schema }
  | { kind: 'map'; of: Schema };

const str: Schema = { kind: 'string' };
const bool: Schema = { kind: 'bool' };
const obj = (fields: Record<string, Schema | { schema: Schema; required: true }>): Schema => ({
  kind: 'object',
  fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, 'schema' in v ? v : { schema: v }])),
});
const required = (schema: Schema) => ({ schema, required: true as const });

const resources = obj({
  overrides: { kind: 'map', of: obj({ group: str, resource: required(str) }) },
  template: str,
  namespaced: bool,
});
const discoveryRule = obj({
  seriesQuery: required(str),
  seriesFilters: { kind: 'array', of: obj({ is: str, isNot: str }) },
  resources,
  name: obj({ matches: str, as: str }),
  metricsQuery: required(str),
});
const resourceRule = obj({
  containerQuery: required(str),
  nodeQuery: required(str),
  resources,
  containerLabel: str,
});
const rootSchema = obj({
  rules: { kind: 'array', of: discoveryRule },
  externalRules: { kind: 'array', of: discoveryRule },
  resourceRules: obj({ cpu: required(resourceRule), memory: required(resourceRule), window: str }),
});

/**
 * Parses a rules file strictly (SPEC 3): unknown keys, wrong types, missing required fields and duplicate keys
 * are errors naming their YAML path, line and column. `null` sections (`externalRules:`) count as absent.
 * Only the structure is checked here; regexes and templates are checked by compile-rules.ts.
 * @throws ConfigError listing every problem found
 */
export function loadConfig(text: string, source: string): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const problems: ConfigProblem[] = [];
  const positions = new Map<string, { line: number; column: number }>();
  const at = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  for (const e of doc.errors) {
    const message =
      e.code === 'MULTIPLE_DOCS'
        ? 'the file must hold a single YAML document (found ---)'
        : firstLine(e.message);
    problems.push({ path: '', ...at(e.pos[0]), message: `invalid YAML: ${message}` });
  }
  if (problems.length > 0) throw new ConfigError(source, problems);

  // NB: `nullable` is false for list items and map values: `rules: [~]` or `overrides: {pod: }` hold nothing usable,
  // whereas a null field (`externalRules:`) simply counts as absent.
  const convert = (node: unknown, schema: Schema, path: string, nullable = true): unknown => {
    const n = node as Node | null | undefined;
    const pos = at(n?.range?.[0]);
    if (pos.line !== undefined) positions.set(path, pos);
    const fail = (message: string) => {
      problems.push({ path, ...pos, message });
      return undefined;
    };
    if (n === null || n === undefined || (isScalar(n) && n.value === null)) {
      return nullable ? undefined : fail(`must not be empty (expected ${EXPECTED[schema.kind]})`);
    }
    switch (schema.kind) {
      case 'string':
        if (!isScalar(n) || typeof n.value !== 'string') return fail(`must be a string, got ${describe(n)}`);
        return n.value;
      case 'bool':
        if (!isScalar(n) || typeof n.value !== 'boolean')
          return fail(`must be true or false, got ${describe(n)}`);
        return n.value;
      case 'array': {
        if (!isSeq(n)) return fail(`must be a list, got ${describe(n)}`);
        return n.items.map((item, i) => convert(item, schema.of, `${path}[${i}]`, false));
      }
      case 'map':
      case 'object': {
        if (!isMap(n)) return fail(`must be a mapping, got ${describe(n)}`);
        const out: Record<string, unknown> = {};
        for (const pair of n.items) {
          const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
          const keyPath = key === undefined ? path : path === '' ? key : `${path}.${key}`;
          if (key === undefined) {
            problems.push({
              path,
              ...at((pair.key as Node | null)?.range?.[0]),
              message: 'keys must be strings',
            });
            continue;
          }
          if (schema.kind === 'map') {
            out[key] = convert(pair.value, schema.of, keyPath, false);
            continue;
          }
          const field = schema.fields[key];
          if (field === undefined) {
            const hint = closest(key, Object.keys(schema.fields));
            problems.push({
              path: keyPath,
              ...at((pair.key as Node).range?.[0]),
              message: `unknown key${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; allowed: ${Object.keys(schema.fields).join(', ')}`,
            });
            continue;
          }
          const value = convert(pair.value, field.schema, keyPath);
          if (value !== undefined) out[key] = value;
        }
        if (schema.kind === 'object') {
          for (const [key, field] of Object.entries(schema.fields)) {
            if (
              field.required === true &&
              out[key] === undefined &&
              !problems.some((p) => p.path.startsWith(`${path === '' ? '' : `${path}.`}${key}`))
            ) {
              problems.push({ path: path === '' ? key : `${path}.${key}`, ...pos, message: 'is required' });
            }
          }
        }
        return out;
      }
    }
  };

  const root =
    doc.contents === null
      ? {}
      : (convert(doc.contents, rootSchema, '') as Record<string, unknown> | undefined);
  if (problems.length > 0) throw new ConfigError(source, problems);
  const raw = root ?? {};
  const config: RulesConfig = {
    rules: (raw.rules as RulesConfig['rules'] | undefined) ?? [],
    externalRules: (raw.externalRules as RulesConfig['externalRules'] | undefined) ?? [],
    ...(raw.resourceRules === undefined
      ? {}
      : { resourceRules: raw.resourceRules as RulesConfig['resourceRules'] }),
  };
  return { config, positionOf: (path) => positions.get(path) };
}

const EXPECTED: Record<Schema['kind'], string> = {
  string: 'a string',
  bool: 'true or false',
  object: 'a mapping',
  array: 'a list',
  map: 'a mapping',
};

function describe(n: Node): string {
  if (isMap(n)) return 'a mapping';
  if (isSeq(n)) return 'a list';
  if (isScalar(n)) return n.value === null ? 'null' : `${typeof n.value} ${JSON.stringify(n.value)}`;
  return 'an alias or tag';
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

/** The allowed key nearest to a misspelt one (edit distance ≤ 3), for "did you mean". */
function closest(key: string, allowed: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
