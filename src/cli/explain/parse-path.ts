/**
 * Splits a metrics API path into what the adapter's routes read from it (server/custom-metrics.ts,
 * external-metrics.ts, resource-metrics.ts), so that `explain` can say how the path was understood. The answer
 * itself always comes from the real routes.
 */
import { CUSTOM_METRICS_GROUP, CUSTOM_METRICS_VERSIONS, type CustomMetricsVersion } from '../../api/types.js';

/** A path `explain` cannot take: a usage error. */
export class ApiPathError extends Error {
  override readonly name = 'ApiPathError';
}

export const EXTERNAL_GROUP = 'external.metrics.k8s.io';
export const RESOURCE_GROUP = 'metrics.k8s.io';

interface PathBase {
  /** The path with its segments percent-encoded canonically and the query re-encoded: what is requested. */
  url: string;
  /** `group/version`. */
  groupVersion: string;
}

/** A custom.metrics.k8s.io path. `name` is `*` for every object selected by `labelSelector`. */
export interface CustomPath extends PathBase {
  api: 'custom';
  version: CustomMetricsVersion;
  /**
   * `namespaced`: namespaces/{ns}/{resource}/{name}/{metric}; `namespace-object`: namespaces/{ns}/metrics/{metric}
   * (the namespace object itself: resource `namespaces`, name = the namespace, no namespace); `cluster`:
   * {resource}/{name}/{metric}.
   */
  form: 'namespaced' | 'namespace-object' | 'cluster';
  resource: string;
  namespace?: string;
  name: string;
  metric: string;
  labelSelector?: string;
  metricLabelSelector?: string;
}

/** An external.metrics.k8s.io path: namespaces/{ns}/{metric}; `labelSelector` selects samples. */
export interface ExternalPath extends PathBase {
  api: 'external';
  namespace: string;
  metric: string;
  labelSelector?: string;
}

/** A metrics.k8s.io path: nodes[/{name}], pods, namespaces/{ns}/pods[/{name}]. */
export interface ResourcePath extends PathBase {
  api: 'resource';
  resource: 'pods' | 'nodes';
  namespace?: string;
  name?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export type ApiPath = CustomPath | ExternalPath | ResourcePath;

const USAGE_PATHS =
  `/apis/${CUSTOM_METRICS_GROUP}/{v1beta2|v1beta1}/namespaces/{namespace}/{resource}/{name|*}/{metric}, ` +
  `/apis/${CUSTOM_METRICS_GROUP}/{version}/namespaces/{namespace}/metrics/{metric}, ` +
  `/apis/${CUSTOM_METRICS_GROUP}/{version}/{resource}/{name|*}/{metric}, ` +
  `/apis/${EXTERNAL_GROUP}/v1beta1/namespaces/{namespace}/{metric}, ` +
  `/apis/${RESOURCE_GROUP}/v1beta1/{nodes[/{name}]|pods|namespaces/{namespace}/pods[/{name}]}`;

/**
 * Parses a metrics API path with its optional query (`?labelSelector=...&metricLabelSelector=...`). A full URL is
 * accepted and its origin ignored. Segments are percent-decoded as the router decodes them; selectors are kept as
 * text (the routes parse them).
 * @throws ApiPathError when the path is not one of the metric paths the adapter serves
 */
export function parseApiPath(input: string): ApiPath {
  let text = input.trim();
  const origin = /^https?:\/\/[^/]*/i.exec(text);
  if (origin !== null) text = text.slice(origin[0].length);
  const hash = text.indexOf('#');
  if (hash >= 0) text = text.slice(0, hash);
  const q = text.indexOf('?');
  const rawPath = q < 0 ? text : text.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : text.slice(q + 1));
  if (!rawPath.startsWith('/')) {
    throw new ApiPathError(`the API path must start with "/", got ${JSON.stringify(input)}`);
  }
  const segments = rawPath
    .slice(1)
    .replace(/\/$/, '')
    .split('/')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch (e) {
        throw new ApiPathError(`invalid percent-encoding in the path segment ${JSON.stringify(s)}`, {
          cause: e,
        });
      }
    });
  const notMetricPath = (why: string) =>
    new ApiPathError(
      `${JSON.stringify(rawPath)} is not a metric path (${why}); expected one of ${USAGE_PATHS}`,
    );
  if (segments.some((s) => s === '')) throw notMetricPath('it has an empty segment');
  const [apis, group, version, ...rest] = segments;
  if (apis !== 'apis' || group === undefined || version === undefined) {
    throw notMetricPath('it does not start with /apis/{group}/{version}');
  }
  const query = params.toString();
  const url = `/${segments.map(encodeURIComponent).join('/')}${query === '' ? '' : `?${query}`}`;
  const base = { url, groupVersion: `${group}/${version}` };
  const param = (name: string) => {
    const value = params.get(name);
    return value === null ? {} : { [name]: value };
  };

  if (group === CUSTOM_METRICS_GROUP) {
    if (!(CUSTOM_METRICS_VERSIONS as readonly string[]).includes(version)) {
      throw notMetricPath(`${group} has the versions ${CUSTOM_METRICS_VERSIONS.join(' and ')}`);
    }
    const common = {
      ...base,
      api: 'custom' as const,
      version: version as CustomMetricsVersion,
      ...param('labelSelector'),
      ...param('metricLabelSelector'),
    };
    if (rest.length === 5 && rest[0] === 'namespaces') {
      const [, namespace, resource, name, metric] = rest as [string, string, string, string, string];
      return { ...common, form: 'namespaced', resource, namespace, name, metric };
    }
    if (rest.length === 4 && rest[0] === 'namespaces' && rest[2] === 'metrics') {
      const [, namespace, , metric] = rest as [string, string, string, string];
      return { ...common, form: 'namespace-object', resource: 'namespaces', name: namespace, metric };
    }
    if (rest.length === 3) {
      const [resource, name, metric] = rest as [string, string, string];
      return { ...common, form: 'cluster', resource, name, metric };
    }
    throw notMetricPath(
      rest.length === 0 ? 'it is the discovery path of the group' : 'wrong number of segments',
    );
  }

  if (group === EXTERNAL_GROUP) {
    if (version !== 'v1beta1') throw notMetricPath(`${group} has the version v1beta1`);
    if (rest.length === 3 && rest[0] === 'namespaces') {
      const [, namespace, metric] = rest as [string, string, string];
      return { ...base, api: 'external', namespace, metric, ...param('labelSelector') };
    }
    throw notMetricPath(
      rest.length === 0
        ? 'it is the discovery path of the group'
        : 'expected namespaces/{namespace}/{metric}',
    );
  }

  if (group === RESOURCE_GROUP) {
    if (version !== 'v1beta1') throw notMetricPath(`${group} has the version v1beta1`);
    const selectors = { ...param('labelSelector'), ...param('fieldSelector') };
    const common = { ...base, api: 'resource' as const, ...selectors };
    const [first, second, third, fourth, ...extra] = rest;
    if (first === 'nodes' && third === undefined) {
      return { ...common, resource: 'nodes', ...(second === undefined ? {} : { name: second }) };
    }
    if (first === 'pods' && second === undefined) return { ...common, resource: 'pods' };
    if (first === 'namespaces' && second !== undefined && third === 'pods' && extra.length === 0) {
      return {
        ...common,
        resource: 'pods',
        namespace: second,
        ...(fourth === undefined ? {} : { name: fourth }),
      };
    }
    throw notMetricPath(
      rest.length === 0
        ? 'it is the discovery path of the group'
        : 'expected nodes[/{name}], pods or namespaces/{namespace}/pods[/{name}]',
    );
  }

  throw notMetricPath(`the group ${group} is not a metrics API`);
}
