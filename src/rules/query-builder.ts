import type { Requirement } from '../api/label-selector.js';
import { internalError } from '../api/status.js';
import type { Template } from './go-template/index.js';
import { renderMatcher, selectorToMatcherParts, type MatcherPart } from './label-matchers.js';

/** What one request asks of a rule's `metricsQuery` (SPEC 3.3). */
export interface QueryRequest {
  series: string;
  metricSelector: readonly Requirement[];
  /** The namespace matcher, when the request has a namespace (and, for external rules, the rule is namespaced). */
  namespace?: { label: string; name: string };
  /**
   * The resource matcher: `="name"` for one name, `=~"a|b"` for several (request order), `=~".+"` for `any`
   * (standalone `*` requests: every object Prometheus knows). Absent for external rules.
   */
  objects?: { label: string; names: readonly string[] | 'any' };
  /** Extra group-by labels after the resource label (the container label of resource-metrics pod queries). */
  extraGroupBy?: readonly string[];
}

/** The data a `metricsQuery` template sees; field names are upstream's. */
export interface QueryTemplateData {
  Series: string;
  LabelMatchers: string;
  LabelValuesByName: Map<string, string>;
  GroupBy: string;
  GroupBySlice: string[];
}

/** Builds the template data for a request. */
export function queryTemplateData(request: QueryRequest): QueryTemplateData {
  const parts: MatcherPart[] = selectorToMatcherParts(request.metricSelector);
  if (request.namespace !== undefined)
    parts.push({ label: request.namespace.label, op: '=', values: [request.namespace.name] });
  const groupBy: string[] = [];
  if (request.objects !== undefined) {
    const { label, names } = request.objects;
    if (names === 'any') parts.push({ label, op: '=~', values: ['.+'] });
    else parts.push({ label, op: names.length === 1 ? '=' : '=~', values: names });
    groupBy.push(label);
  }
  groupBy.push(...(request.extraGroupBy ?? []));
  const valuesByName = new Map<string, string>();
  for (const p of parts) valuesByName.set(p.label, p.values.join('|'));
  return {
    Series: request.series,
    LabelMatchers: parts.map(renderMatcher).join(','),
    LabelValuesByName: valuesByName,
    GroupBy: groupBy.join(','),
    GroupBySlice: groupBy,
  };
}

/**
 * Renders a rule's `metricsQuery` for a request.
 * @throws StatusError 400 for a metric label selector using `>` / `<`; 500 when the template fails at execution
 * or renders an empty query
 */
export function renderQuery(template: Template, request: QueryRequest): string {
  // NB: built outside the try: a selector Prometheus cannot express is the client's error (400), not ours.
  const data = queryTemplateData(request);
  let query: string;
  try {
    query = template.execute(data);
  } catch (e) {
    throw internalError('unable to render the metrics query for this rule', e);
  }
  if (query.trim() === '') throw internalError('the metrics query template rendered an empty query');
  return query;
}
