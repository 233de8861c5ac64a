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

/**
 * Converts label-selector requirements into matcher parts (SPEC 3.3 table), sorted by key (stable) with each
 * requirement's values sorted and de-duplicated, whatever order the caller built them in. Values are not
 * regex-escaped, matching upstream. `>` and `<` have no PromQL equivalent.
 * @throws StatusError 400 for `>` / `<`
 */
export function selectorToMatcherParts(requirements: readonly Requirement[]): MatcherPart[] {
  const byKey = [...requirements].sort((a, b) => compareStrings(a.key, b.key));
  return byKey.map((requirement): MatcherPart => {
    const r = { ...requirement, values: [...new Set(requirement.values)].sort(compareStrings) };
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

/** `label="v"` or `label=~"a|b"`, values quoted as Go's %q. */
export function renderMatcher(part: MatcherPart): string {
  return `${part.label}${part.op}${goQuote(part.values.join('|'))}`;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
