import type { Requirement } from '../api/label-selector.js';
import { badRequest } from '../api/status.js';
import { quote as goQuote } from './go-template/go-format.js';

/** One PromQL label matcher, kept apart so that `.LabelValuesByName` can be built from the same parts. */
export interface MatcherPart {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  /** The values (joined by `|` when several). */
  values: readonly string[];
}

/** A label name as PromQL accepts it unquoted in a matcher. */
const PROMETHEUS_LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Converts label-selector requirements into matcher parts (SPEC 3.3 table), sorted by key (stable) with each
 * requirement's values sorted and de-duplicated, whatever order the caller built them in. Values are not
 * regex-escaped, matching upstream. `>` and `<` have no PromQL equivalent, and keys that are not Prometheus label
 * names cannot be written as matchers.
 * @throws StatusError 400 for `>` / `<` and for a key that is not a Prometheus label name
 */
export function selectorToMatcherParts(requirements: readonly Requirement[]): MatcherPart[] {
  const byKey = [...requirements].sort((a, b) => compareStrings(a.key, b.key));
  return byKey.map((requirement): MatcherPart => {
    const r = { ...requirement, values: [...new Set(requirement.values)].sort(compareStrings) };
    // NB: the key is written into the query unquoted: a Kubernetes key such as `app.kubernetes.io/name` or `0`
    // would be request text outside string literals, which Prometheus rejects (a 500 instead of a 400).
    if (!PROMETHEUS_LABEL_NAME.test(r.key)) {
      throw badRequest(
        `metric label selector key "${r.key}" is not a Prometheus label name: Prometheus label names are ` +
          'letters, digits and "_", not starting with a digit (no ".", "/" or "-")',
      );
    }
    switch (r.operator) {
      case 'Equals':
      case 'DoubleEquals':
        return { label: r.key, op: '=', values: r.values };
      case 'NotEquals':
        return { label: r.key, op: '!=', values: r.values };
      case 'In':
        return { label: r.key, op: '=~', values: r.values };
      case 'NotIn':
        return { label: r.key, op: '!~', values: r.values };
      case 'Exists':
        return { label: r.key, op: '!=', values: [''] };
      case 'DoesNotExist':
        return { label: r.key, op: '=', values: [''] };
      case 'GreaterThan':
      case 'LessThan':
        throw badRequest(
          `metric label selector "${r.key}${r.operator === 'GreaterThan' ? '>' : '<'}${r.values.join('')}": ` +
            'the operators ">" and "<" are not supported by Prometheus; use =, !=, in, notin, exists or !',
        );
    }
  });
}

/**
 * `label="v"` or `label=~"a|b"`, values quoted as Go's %q, except U+FFFD, written `\ufffd`: Prometheus' lexer reads
 * a literal U+FFFD as an invalid UTF-8 rune and rejects the query.
 */
export function renderMatcher(part: MatcherPart): string {
  return `${part.label}${part.op}${goQuote(part.values.join('|')).replaceAll('\ufffd', '\\ufffd')}`;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
