import { formatLabelSelector, type Requirement } from '../../api/label-selector.js';

/** metav1.LabelSelector as manifests write it (already checked against the schema). */
export interface ManifestLabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

const OPERATORS: Readonly<Record<string, Requirement['operator']>> = {
  In: 'In',
  NotIn: 'NotIn',
  Exists: 'Exists',
  DoesNotExist: 'DoesNotExist',
};

/**
 * `metav1.LabelSelectorAsSelector(selector).String()`: the selector text the HPA sends as `labelSelector`
 * (`app=example,tier in (a,b)`), requirements sorted by key. `undefined` or empty selects everything: `""`.
 * Throws an Error naming a bad operator or value count.
 */
export function labelSelectorString(selector: ManifestLabelSelector | undefined): string {
  if (selector === undefined) return '';
  const requirements: Requirement[] = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({
    key,
    operator: 'Equals',
    values: [value],
  }));
  for (const [i, { key, operator, values = [] }] of (selector.matchExpressions ?? []).entries()) {
    const op = OPERATORS[operator];
    if (op === undefined) {
      throw new Error(
        `matchExpressions[${i}].operator: ${JSON.stringify(operator)} is not In, NotIn, Exists or DoesNotExist`,
      );
    }
    const needsValues = op === 'In' || op === 'NotIn';
    if (needsValues !== values.length > 0) {
      throw new Error(
        `matchExpressions[${i}].values: ${needsValues ? 'must be non-empty' : 'must be empty'} for operator ${operator}`,
      );
    }
    requirements.push({ key, operator: op, values: [...new Set(values)].sort() });
  }
  return formatLabelSelector(requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
}
