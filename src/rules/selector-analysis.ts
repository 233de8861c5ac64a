/**
 * What can be decided about a seriesQuery without Prometheus: matchers that contradict each other, the metric
 * names it can select when they are finitely many, and the labels it requires to be empty. Pure.
 *
 * Decided: a label's values are finite when one of its matchers is `=` or a regex that is a plain alternation of
 * literals (`=~"a|b"`, `=~""`), or `!~".+"` (only the empty value); those values are then tested against every
 * matcher of the label. Otherwise only an `=~` and `!~` with the same regex count as a contradiction: the
 * intersection of two general regexes is not decided.
 */
import { formatMatcher, type LabelMatcher, type SeriesSelector } from './series-selector.js';

export interface SelectorAnalysis {
  /** One message per label that no value can satisfy; empty when the selector may select series. */
  readonly contradictions: readonly string[];
  /** The only metric names the selector can select, sorted, when they are finitely many. */
  readonly names?: readonly string[];
  /** Labels the selector requires to be empty, i.e. absent. */
  readonly requiredEmpty: ReadonlySet<string>;
}

export function analyzeSelector(selector: SeriesSelector): SelectorAnalysis {
  const byLabel = new Map<string, LabelMatcher[]>();
  for (const m of selector.matchers) byLabel.set(m.label, [...(byLabel.get(m.label) ?? []), m]);
  const contradictions: string[] = [];
  const requiredEmpty = new Set<string>();
  let names: string[] | undefined;
  for (const [label, matchers] of byLabel) {
    let finite: string[] | undefined;
    for (const m of matchers) {
      const values = finiteValues(m);
      if (values !== undefined)
        finite = finite === undefined ? values : finite.filter((v) => values.includes(v));
    }
    const what = label === '__name__' ? 'no metric name' : `no value of label ${label}`;
    const listed = matchers.map(formatMatcher).join(', ');
    if (finite !== undefined) {
      const survivors = [...new Set(finite)].filter((v) => matchers.every((m) => selector.matches(m, v)));
      if (survivors.length === 0) contradictions.push(`${what} satisfies ${listed}`);
      if (survivors.length === 1 && survivors[0] === '') requiredEmpty.add(label);
      if (label === '__name__') names = survivors.sort();
      continue;
    }
    const positive = new Set(matchers.filter((m) => m.op === '=~').map((m) => m.value));
    const clash = matchers.find((m) => m.op === '!~' && positive.has(m.value));
    if (clash !== undefined) contradictions.push(`${what} satisfies ${listed}`);
  }
  return { contradictions, ...(names === undefined ? {} : { names }), requiredEmpty };
}

/** The values a matcher admits, when they are finitely many and this can tell. */
function finiteValues(m: LabelMatcher): string[] | undefined {
  if (m.op === '=') return [m.value];
  if (m.op === '!~' && (m.value === '.+' || m.value === '(.+)')) return [''];
  if (m.op === '=~') return literalAlternatives(m.value);
  return undefined;
}

/**
 * `a|b\.c` → [`a`, `b.c`]: the literals of a regex that is nothing but an alternation of literals (optionally
 * anchored, as `^a$|^b$`, or wrapped in one group), else undefined.
 */
export function literalAlternatives(pattern: string): string[] | undefined {
  let p = pattern;
  const group = /^\((?:\?:)?(.*)\)$/s.exec(p);
  if (group !== null && !/[()]/.test(group[1]!)) p = group[1]!;
  const out: string[] = [];
  let current = '';
  for (let i = 0; i <= p.length; i++) {
    const c = p[i];
    if (c === undefined || c === '|') {
      out.push(current);
      current = '';
      continue;
    }
    if (c === '\\') {
      const e = p[i + 1];
      if (e === undefined || !/[!-/:-@[-`{-~]/.test(e)) return undefined;
      current += e;
      i++;
      continue;
    }
    if (c === '^' && current === '' && (i === 0 || p[i - 1] === '|')) continue;
    if (c === '$' && (p[i + 1] === undefined || p[i + 1] === '|')) continue;
    if ('.+*?()[]{}^$'.includes(c)) return undefined;
    current += c;
  }
  return out;
}
