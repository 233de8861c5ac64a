import { isMap, LineCounter, parseDocument, stringify, type Document, type Node } from 'yaml';
import { loadRules } from '../rules/compile-rules.js';
import { ConfigError } from '../rules/config-error.js';
import { defaultRules } from '../rules/default-rules.js';

/** Raised when a values file cannot be turned into a rules file; the message says what to fix. */
export class ValuesError extends Error {
  override readonly name = 'ValuesError';
}

/** Where each rules-file section comes from in the chart values (SPEC 3). */
const SECTIONS: ReadonlyArray<[rulesKey: string, valuesKey: string]> = [
  ['rules', 'custom'],
  ['externalRules', 'external'],
  ['resourceRules', 'resource'],
];

/**
 * Turns a community prometheus-adapter chart values file into the rules file the chart would write
 * (`rules.custom` → `rules`, `rules.external` → `externalRules`, `rules.resource` → `resourceRules`; with
 * `rules.default: true`, the chart's default, upstream's default custom rules (rules/default-rules.ts with 5m and
 * no label prefix) come before `rules.custom`), and checks it with the same loader the adapter uses, so a bad
 * rule is reported here with its path and position in the values file (`rules.custom[0].metricsQuery`).
 * @throws ValuesError, or ConfigError (source: the values file) for rules that would not load
 */
export function valuesToRules(valuesText: string, source: string): string {
  const lineCounter = new LineCounter();
  const doc = parseDocument(valuesText, { uniqueKeys: true, lineCounter, prettyErrors: false });
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    const { line, col } = lineCounter.linePos(firstError.pos[0]);
    throw new ValuesError(`${source}:${line}:${col}: invalid YAML: ${firstError.message.split('\n')[0]}`);
  }
  const values: unknown = doc.toJS();
  const rules = isMap(doc.contents) ? (values as { rules?: unknown }).rules : undefined;
  if (rules === undefined || rules === null || typeof rules !== 'object' || Array.isArray(rules)) {
    throw new ValuesError(
      `${source}: no "rules" mapping found; expected rules.custom, rules.external or rules.resource`,
    );
  }
  const r = rules as Record<string, unknown>;
  if (r.default !== undefined && r.default !== null && typeof r.default !== 'boolean') {
    throw new ValuesError(`${source}: rules.default must be true or false, got ${JSON.stringify(r.default)}`);
  }
  if (typeof r.existing === 'string' && r.existing !== '') {
    throw new ValuesError(
      `${source}: rules.existing names a ConfigMap (${r.existing}); there are no rules in the values to convert`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const [rulesKey, valuesKey] of SECTIONS) {
    const section = r[valuesKey];
    if (section === undefined || section === null) continue;
    // NB: the chart's default `resource: {}` means "no resource rules", not an empty section that fails to load.
    if (valuesKey === 'resource' && typeof section === 'object' && Object.keys(section).length === 0)
      continue;
    out[rulesKey] = section;
  }
  // NB: as the chart's template: the default rules come first, then rules.custom; they use the chart's fixed
  // 5m interval and no label prefix. Resource rules still come only from rules.resource.
  // A rules.custom that is not a list is left alone, for the loader to report at its place.
  const defaults =
    r.default === true && (out.rules === undefined || Array.isArray(out.rules))
      ? defaultRules({ rateInterval: '5m', labelPrefix: '' }).rules
      : [];
  if (defaults.length > 0) out.rules = [...defaults, ...((out.rules as unknown[] | undefined) ?? [])];
  const text = stringify(out, { lineWidth: 0 });
  try {
    loadRules(text, `${source} (converted rules)`);
  } catch (e) {
    if (e instanceof ConfigError) throw inValuesFile(e, source, doc, lineCounter, defaults.length);
    throw e;
  }
  return text;
}

/** Re-locates problems found in the converted rules at their place in the values file. */
function inValuesFile(
  error: ConfigError,
  source: string,
  doc: Document,
  lineCounter: LineCounter,
  defaultCount: number,
): ConfigError {
  const problems = error.problems.map((p) => {
    const section = SECTIONS.find(
      ([rulesKey]) =>
        p.path === rulesKey || p.path.startsWith(`${rulesKey}.`) || p.path.startsWith(`${rulesKey}[`),
    );
    if (section === undefined) return { path: p.path, message: p.message };
    let rest = p.path.slice(section[0].length);
    if (section[0] === 'rules' && defaultCount > 0) {
      const index = /^\[(\d+)\]/.exec(rest);
      if (index !== null) {
        const i = Number(index[1]);
        if (i < defaultCount) return { path: 'rules.default', message: p.message };
        rest = `[${i - defaultCount}]${rest.slice(index[0].length)}`;
      }
    }
    const path = `rules.${section[1]}${rest}`;
    const segments = path.split(/\.|(?=\[)/).map((s) => (s.startsWith('[') ? Number(s.slice(1, -1)) : s));
    for (let n = segments.length; n > 0; n--) {
      const node = doc.getIn(segments.slice(0, n), true) as Node | undefined;
      const offset = node?.range?.[0];
      if (offset !== undefined) {
        const { line, col } = lineCounter.linePos(offset);
        return { path, line, column: col, message: p.message };
      }
    }
    return { path, message: p.message };
  });
  return new ConfigError(source, problems, { cause: error });
}
