/**
 * The custom.metrics.k8s.io routes (SPEC 5.2), both versions: path and query parsed into provider requests, provider
 * values rendered as a MetricValueList. `*` as the object name (`%2A` on the wire) asks for every object matching
 * `labelSelector`.
 */
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import {
  CUSTOM_METRICS_GROUP,
  CUSTOM_METRICS_VERSIONS,
  type CustomMetricsVersion,
  type MetricValueList,
} from '../api/types.js';
import type { CustomMetricValue, CustomMetricsProvider } from '../providers/contract.js';
import { rejectOtherMethods } from './method-not-allowed.js';
import { metricValueListSchema, toMetricValueList } from './metric-value-list.js';
import { parseMetricSelector, parseObjectSelector, pathSegment } from './request-params.js';
import { untilAborted } from './request-signal.js';

interface Query {
  labelSelector?: string;
  metricLabelSelector?: string;
}

/** What a path names, before the query is parsed. `namespace` is absent for cluster-scoped objects. */
interface Target {
  resource: string;
  namespace?: string;
  name: string;
  metric: string;
}

const querySchema = {
  type: 'object',
  properties: { labelSelector: { type: 'string' }, metricLabelSelector: { type: 'string' } },
} as const;

function paramsSchema(names: readonly string[]): object {
  return {
    type: 'object',
    properties: Object.fromEntries(names.map((name) => [name, { type: 'string' }])),
    required: names,
  };
}

async function answer<V extends CustomMetricsVersion>(
  provider: CustomMetricsProvider,
  version: V,
  target: Target,
  query: Query,
  signal: AbortSignal,
): Promise<MetricValueList<V>> {
  const metricSelector = parseMetricSelector(query.metricLabelSelector);
  const { resource, namespace, name, metric } = target;
  const scope = namespace === undefined ? {} : { namespace };
  let values: CustomMetricValue[];
  if (name === '*') {
    const objectSelector = parseObjectSelector(query.labelSelector);
    const request = { resource, ...scope, metric, metricSelector, objectSelector, signal };
    values = await untilAborted(provider.getMetricBySelector(request), signal);
  } else {
    const request = { resource, ...scope, name, metric, metricSelector, signal };
    values = [await untilAborted(provider.getMetricByName(request), signal)];
  }
  return toMetricValueList(version, values, metricSelector);
}

/** Routes for every custom metrics version under `/apis/custom.metrics.k8s.io/<version>`. */
export const customMetricsRoutes: FastifyPluginCallback<{ provider: CustomMetricsProvider }> = (
  app,
  { provider },
  done,
) => {
  for (const version of CUSTOM_METRICS_VERSIONS) {
    const prefix = `/apis/${CUSTOM_METRICS_GROUP}/${version}`;
    const respond = (request: FastifyRequest<{ Querystring: Query }>, target: Target) =>
      answer(provider, version, target, request.query, request.abortSignal);
    const schema = (params: readonly string[]) => ({
      params: paramsSchema(params),
      querystring: querySchema,
      response: { 200: metricValueListSchema(version) },
    });

    const namespaced = `${prefix}/namespaces/:namespace/:resource/:name/:metric`;
    app.get<{
      Params: { namespace: string; resource: string; name: string; metric: string };
      Querystring: Query;
    }>(namespaced, { schema: schema(['namespace', 'resource', 'name', 'metric']) }, (request) => {
      const { params } = request;
      return respond(request, {
        resource: pathSegment('resource', params.resource),
        namespace: pathSegment('namespace', params.namespace),
        name: pathSegment('object name', params.name),
        metric: pathSegment('metric name', params.metric),
      });
    });
    rejectOtherMethods(app, namespaced);

    // NB: the namespace object itself, as upstream serves it: resource "namespaces", name = the namespace, and no
    // namespace (namespaces are cluster-scoped).
    const namespaceObject = `${prefix}/namespaces/:namespace/metrics/:metric`;
    app.get<{ Params: { namespace: string; metric: string }; Querystring: Query }>(
      namespaceObject,
      { schema: schema(['namespace', 'metric']) },
      (request) => {
        const { params } = request;
        return respond(request, {
          resource: 'namespaces',
          name: pathSegment('namespace', params.namespace),
          metric: pathSegment('metric name', params.metric),
        });
      },
    );
    rejectOtherMethods(app, namespaceObject);

    const clusterScoped = `${prefix}/:resource/:name/:metric`;
    app.get<{ Params: { resource: string; name: string; metric: string }; Querystring: Query }>(
      clusterScoped,
      { schema: schema(['resource', 'name', 'metric']) },
      (request) => {
        const { params } = request;
        return respond(request, {
          resource: pathSegment('resource', params.resource),
          name: pathSegment('object name', params.name),
          metric: pathSegment('metric name', params.metric),
        });
      },
    );
    rejectOtherMethods(app, clusterScoped);
  }
  done();
};
