/** Path segments and selector query parameters of the metrics APIs, checked and parsed into provider terms. */
import { SelectorError, parseLabelSelector, type Requirement } from '../api/label-selector.js';
import { badRequest } from '../api/status.js';

/**
 * Returns a decoded path segment, or throws 400 when it is empty or holds a `/` (written `%2F`): no Kubernetes
 * name, resource or metric contains one, and upstream would have routed it as two segments.
 */
export function pathSegment(what: string, value: string): string {
  if (value === '') throw badRequest(`invalid path: the ${what} is empty`);
  if (value.includes('/'))
    throw badRequest(`invalid path: the ${what} ${JSON.stringify(value)} contains "/"`);
  return value;
}

function parseSelectorParam(param: string, text: string | undefined): Requirement[] {
  if (text === undefined || text === '') return [];
  try {
    return parseLabelSelector(text);
  } catch (error) {
    if (error instanceof SelectorError) {
      throw badRequest(`invalid ${param} ${JSON.stringify(text)}: ${error.message}`, error);
    }
    throw error;
  }
}

/** Parses `labelSelector` (which objects): the full Kubernetes grammar, `>` and `<` included. Throws 400. */
export function parseObjectSelector(text: string | undefined): Requirement[] {
  return parseSelectorParam('labelSelector', text);
}

const PROMETHEUS_UNSUPPORTED = { GreaterThan: '>', LessThan: '<' } as const;

/**
 * Parses a selector parameter whose requirements become Prometheus label matchers (SPEC 3.3). Throws 400 for a
 * malformed selector and for `>` / `<`, which label matchers cannot express.
 */
export function parseMatcherSelector(param: string, text: string | undefined): Requirement[] {
  const requirements = parseSelectorParam(param, text);
  for (const requirement of requirements) {
    if (requirement.operator === 'GreaterThan' || requirement.operator === 'LessThan') {
      const symbol = PROMETHEUS_UNSUPPORTED[requirement.operator];
      throw badRequest(
        `invalid ${param} ${JSON.stringify(text)}: operator "${symbol}" (on label "${requirement.key}") ` +
          'is not supported by Prometheus label matchers; use =, ==, !=, in, notin, <label> or !<label>',
      );
    }
  }
  return requirements;
}

/** Parses `metricLabelSelector` (added to the query's label matchers). Throws 400 as {@link parseMatcherSelector}. */
export function parseMetricSelector(text: string | undefined): Requirement[] {
  return parseMatcherSelector('metricLabelSelector', text);
}
