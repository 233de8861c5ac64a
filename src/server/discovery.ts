/**
 * API discovery (SPEC 5.1): `/apis`, the APIGroup of each group served, and the APIResourceList of each version:
 * custom.metrics.k8s.io always, external.metrics.k8s.io with an external provider, metrics.k8s.io with a resource
 * provider. The aggregator probes the resource lists with a 5 s timeout, so the metric lists are served from
 * pre-serialized bodies.
 */
import type { FastifyPluginCallback, RouteHandlerMethod } from 'fastify';
import {
  CUSTOM_METRICS_GROUP,
  CUSTOM_METRICS_VERSIONS,
  type APIGroup,
  type APIGroupList,
  type CustomMetricsVersion,
  type GroupVersionForDiscovery,
} from '../api/types.js';
import type {
  CustomMetricInfo,
  CustomMetricsProvider,
  ExternalMetricInfo,
  ExternalMetricsProvider,
  ServedApis,
} from '../providers/contract.js';
import { EXTERNAL_METRICS_GROUP, EXTERNAL_METRICS_VERSION } from './external-metrics.js';
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

/** The resource metrics group (`kubectl top`), served as metrics-server serves it. */
export const RESOURCE_METRICS_GROUP = 'metrics.k8s.io';
export const RESOURCE_METRICS_VERSION = 'v1beta1';

function groupVersion(group: string, version: string): GroupVersionForDiscovery {
  return { groupVersion: `${group}/${version}`, version };
}

const customMetricsGroup: APIGroup = {
  name: CUSTOM_METRICS_GROUP,
  versions: CUSTOM_METRICS_VERSIONS.map((version) => groupVersion(CUSTOM_METRICS_GROUP, version)),
  preferredVersion: groupVersion(CUSTOM_METRICS_GROUP, 'v1beta2'),
};

function singleVersionGroup(group: string, version: string): APIGroup {
  return {
    name: group,
    versions: [groupVersion(group, version)],
    preferredVersion: groupVersion(group, version),
  };
}

const externalMetricsGroup = singleVersionGroup(EXTERNAL_METRICS_GROUP, EXTERNAL_METRICS_VERSION);
const resourceMetricsGroup = singleVersionGroup(RESOURCE_METRICS_GROUP, RESOURCE_METRICS_VERSION);

/** The metrics.k8s.io/v1beta1 APIResourceList exactly as metrics-server serves it (`kubectl top` reads it). */
export const RESOURCE_METRICS_RESOURCE_LIST = JSON.stringify({
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: `${RESOURCE_METRICS_GROUP}/${RESOURCE_METRICS_VERSION}`,
  resources: [
    { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
    { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
  ],
});

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

function resourceEntry(name: string, namespaced: boolean, kind = 'MetricValueList'): string {
  return `{"name":${JSON.stringify(name)},"singularName":"","namespaced":${namespaced},"kind":"${kind}","verbs":["get"]}`;
}

const compareNames = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The `resources` array of the APIResourceList, sorted by name, never empty. */
function serializeResources(metrics: readonly CustomMetricInfo[]): string {
  if (metrics.length === 0) return `[${resourceEntry(NO_METRICS_PLACEHOLDER_RESOURCE, false)}]`;
  const entries = metrics.map((info) => ({
    name: customMetricResourceName(info),
    namespaced: info.namespaced,
  }));
  entries.sort((a, b) => compareNames(a.name, b.name));
  return `[${entries.map((entry) => resourceEntry(entry.name, entry.namespaced)).join(',')}]`;
}

/**
 * The external.metrics.k8s.io/v1beta1 APIResourceList: one entry per metric (always namespaced, as upstream),
 * sorted, never empty ({@link NO_METRICS_PLACEHOLDER_METRIC} when there is none).
 */
function serializeExternalResourceList(metrics: readonly ExternalMetricInfo[]): string {
  const names = metrics.length === 0 ? [NO_METRICS_PLACEHOLDER_METRIC] : metrics.map((m) => m.metric);
  names.sort(compareNames);
  const resources = names.map((name) => resourceEntry(name, true, 'ExternalMetricValueList')).join(',');
  const gv = JSON.stringify(`${EXTERNAL_METRICS_GROUP}/${EXTERNAL_METRICS_VERSION}`);
  return `{"kind":"APIResourceList","apiVersion":"v1","groupVersion":${gv},"resources":[${resources}]}`;
}

/**
 * Returns the serialized external APIResourceList, rebuilt only when the provider returns a different array
 * (the provider hands out the same array until a relist changes it).
 */
export function createExternalResourceListCache(provider: ExternalMetricsProvider): () => string {
  let cachedFor: readonly ExternalMetricInfo[] | undefined;
  let body = '';
  return () => {
    const metrics = provider.listAllExternalMetrics();
    if (metrics !== cachedFor) {
      body = serializeExternalResourceList(metrics);
      cachedFor = metrics;
    }
    return body;
  };
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

export interface DiscoveryOptions {
  provider: CustomMetricsProvider;
  /** Serves external.metrics.k8s.io's resource list from this provider while `served.external()`. */
  external?: ExternalMetricsProvider;
  /** Which optional groups are listed and served, asked on every request. */
  served: ServedApis;
}

/** Discovery routes for custom.metrics.k8s.io and, when served, external.metrics.k8s.io and metrics.k8s.io. */
export const discoveryRoutes: FastifyPluginCallback<DiscoveryOptions> = (app, options, done) => {
  const { served } = options;
  const always = () => true;
  const optional = [
    { group: customMetricsGroup, isServed: always },
    ...(options.external === undefined ? [] : [{ group: externalMetricsGroup, isServed: served.external }]),
    { group: resourceMetricsGroup, isServed: served.resource },
  ];
  const groupLists = new Map<string, APIGroupList>();
  app.get('/apis', { schema: { response: { 200: apiGroupListSchema } } }, () => {
    const groups = optional.filter((g) => g.isServed()).map((g) => g.group);
    const key = groups.map((g) => g.name).join(',');
    let list = groupLists.get(key);
    if (list === undefined) {
      list = { kind: 'APIGroupList', apiVersion: 'v1', groups };
      groupLists.set(key, list);
    }
    return list;
  });
  rejectOtherMethods(app, '/apis');

  // NB: a group not served right now answers as an unknown path, like a route that was never registered.
  const get = (url: string, isServed: () => boolean, schema: object, handler: RouteHandlerMethod) => {
    app.get(url, { schema: { response: { 200: schema } } }, function (request, reply) {
      if (!isServed()) return reply.callNotFound();
      return handler.call(this, request, reply);
    });
    rejectOtherMethods(app, url);
  };

  for (const { group: g, isServed } of optional) {
    const group: APIGroup = { kind: 'APIGroup', apiVersion: 'v1', ...g };
    get(`/apis/${g.name}`, isServed, apiGroupSchema, () => group);
  }

  // NB: sent as bytes encoded once per relist: re-encoding a 6 MB list (50k metrics) on every request showed in p99.
  const serveList = (url: string, isServed: () => boolean, body: () => string) => {
    let encodedFor: string | undefined;
    let bytes = Buffer.alloc(0);
    get(url, isServed, apiResourceListSchema, (_request, reply) => {
      const text = body();
      if (text !== encodedFor) {
        bytes = Buffer.from(text, 'utf8');
        encodedFor = text;
      }
      return reply.type('application/json; charset=utf-8').send(bytes);
    });
  };

  const resourceList = createResourceListCache(options.provider);
  for (const version of CUSTOM_METRICS_VERSIONS) {
    serveList(`/apis/${CUSTOM_METRICS_GROUP}/${version}`, always, () => resourceList(version));
  }
  if (options.external !== undefined) {
    serveList(
      `/apis/${EXTERNAL_METRICS_GROUP}/${EXTERNAL_METRICS_VERSION}`,
      served.external,
      createExternalResourceListCache(options.external),
    );
  }
  serveList(
    `/apis/${RESOURCE_METRICS_GROUP}/${RESOURCE_METRICS_VERSION}`,
    served.resource,
    () => RESOURCE_METRICS_RESOURCE_LIST,
  );
  done();
};
