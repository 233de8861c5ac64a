/**
 * API discovery (SPEC 5.1): `/apis`, `/apis/custom.metrics.k8s.io` and the APIResourceList of each version. The
 * aggregator probes the resource list with a 5 s timeout, so it is served from a pre-serialized body.
 */
import type { FastifyPluginCallback } from 'fastify';
import {
  CUSTOM_METRICS_GROUP,
  CUSTOM_METRICS_VERSIONS,
  type APIGroup,
  type APIGroupList,
  type CustomMetricsVersion,
  type GroupVersionForDiscovery,
} from '../api/types.js';
import type { CustomMetricInfo, CustomMetricsProvider } from '../providers/contract.js';
import { rejectOtherMethods } from './method-not-allowed.js';

/**
 * The metric advertised when the provider serves none. NB: an empty APIResourceList breaks every kubectl and
 * client-go discovery call in the cluster. Requests for it reach the provider, which answers 404 like any other
 * unknown metric.
 */
export const NO_METRICS_PLACEHOLDER_METRIC = 'prometheus_metrics_adapter_no_metrics_discovered';

/** The discovery entry name of {@link NO_METRICS_PLACEHOLDER_METRIC} (namespaces are cluster-scoped). */
export const NO_METRICS_PLACEHOLDER_RESOURCE = `namespaces/${NO_METRICS_PLACEHOLDER_METRIC}`;

/** `<resource>[.<group>]/<metric>`: the APIResourceList name of a custom metric. */
export function customMetricResourceName(info: CustomMetricInfo): string {
  const { group, resource } = info.groupResource;
  return `${group === '' ? resource : `${resource}.${group}`}/${info.metric}`;
}

function groupVersion(version: string): GroupVersionForDiscovery {
  return { groupVersion: `${CUSTOM_METRICS_GROUP}/${version}`, version };
}

const customMetricsGroup: APIGroup = {
  name: CUSTOM_METRICS_GROUP,
  versions: CUSTOM_METRICS_VERSIONS.map(groupVersion),
  preferredVersion: groupVersion('v1beta2'),
};

const groupVersionSchema = {
  type: 'object',
  properties: { groupVersion: { type: 'string' }, version: { type: 'string' } },
  required: ['groupVersion', 'version'],
} as const;

const groupProperties = {
  name: { type: 'string' },
  versions: { type: 'array', items: groupVersionSchema },
  preferredVersion: groupVersionSchema,
} as const;

const apiGroupListSchema = {
  type: 'object',
  properties: {
    kind: { type: 'string' },
    apiVersion: { type: 'string' },
    groups: { type: 'array', items: { type: 'object', properties: groupProperties } },
  },
} as const;

const apiGroupSchema = {
  type: 'object',
  properties: { kind: { type: 'string' }, apiVersion: { type: 'string' }, ...groupProperties },
} as const;

/** Documents the shape; the handler sends a pre-serialized string, which fastify does not re-serialize. */
const apiResourceListSchema = {
  type: 'object',
  properties: {
    kind: { type: 'string' },
    apiVersion: { type: 'string' },
    groupVersion: { type: 'string' },
    resources: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          singularName: { type: 'string' },
          namespaced: { type: 'boolean' },
          kind: { type: 'string' },
          verbs: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const;

function resourceEntry(name: string, namespaced: boolean): string {
  return `{"name":${JSON.stringify(name)},"singularName":"","namespaced":${namespaced},"kind":"MetricValueList","verbs":["get"]}`;
}

/** The `resources` array of the APIResourceList, sorted by name, never empty. */
function serializeResources(metrics: readonly CustomMetricInfo[]): string {
  if (metrics.length === 0) return `[${resourceEntry(NO_METRICS_PLACEHOLDER_RESOURCE, false)}]`;
  const entries = metrics.map((info) => ({
    name: customMetricResourceName(info),
    namespaced: info.namespaced,
  }));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return `[${entries.map((entry) => resourceEntry(entry.name, entry.namespaced)).join(',')}]`;
}

/**
 * Returns the serialized APIResourceList of a version, rebuilt only when the provider returns a different array.
 * NB: the provider hands out the same array until a relist changes it, so `===` is the cache key.
 */
export function createResourceListCache(
  provider: CustomMetricsProvider,
): (version: CustomMetricsVersion) => string {
  let cachedFor: readonly CustomMetricInfo[] | undefined;
  let bodies = new Map<CustomMetricsVersion, string>();
  let resources = '';
  return (version) => {
    const metrics = provider.listAllMetrics();
    if (metrics !== cachedFor) {
      resources = serializeResources(metrics);
      bodies = new Map();
      cachedFor = metrics;
    }
    let body = bodies.get(version);
    if (body === undefined) {
      const gv = JSON.stringify(`${CUSTOM_METRICS_GROUP}/${version}`);
      body = `{"kind":"APIResourceList","apiVersion":"v1","groupVersion":${gv},"resources":${resources}}`;
      bodies.set(version, body);
    }
    return body;
  };
}

/** Discovery routes for custom.metrics.k8s.io. */
export const discoveryRoutes: FastifyPluginCallback<{ provider: CustomMetricsProvider }> = (
  app,
  { provider },
  done,
) => {
  const groupList: APIGroupList = { kind: 'APIGroupList', apiVersion: 'v1', groups: [customMetricsGroup] };
  const group: APIGroup = { kind: 'APIGroup', apiVersion: 'v1', ...customMetricsGroup };

  app.get('/apis', { schema: { response: { 200: apiGroupListSchema } } }, () => groupList);
  rejectOtherMethods(app, '/apis');

  app.get(`/apis/${CUSTOM_METRICS_GROUP}`, { schema: { response: { 200: apiGroupSchema } } }, () => group);
  rejectOtherMethods(app, `/apis/${CUSTOM_METRICS_GROUP}`);

  const resourceList = createResourceListCache(provider);
  for (const version of CUSTOM_METRICS_VERSIONS) {
    const url = `/apis/${CUSTOM_METRICS_GROUP}/${version}`;
    app.get(url, { schema: { response: { 200: apiResourceListSchema } } }, (_request, reply) =>
      reply.type('application/json; charset=utf-8').send(resourceList(version)),
    );
    rejectOtherMethods(app, url);
  }
  done();
};
