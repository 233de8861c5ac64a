/**
 * The metrics.k8s.io/v1beta1 routes (SPEC 5.4): `nodes`, `nodes/{name}`, `pods`, `namespaces/{ns}/pods` and
 * `namespaces/{ns}/pods/{name}`, answered as metrics-server answers them, so that `kubectl top` and the HPA's
 * resource metrics client read them.
 */
import type { FastifyPluginCallback } from 'fastify';
import { formatBinaryQuantity, formatDecimalQuantity } from '../api/quantity.js';
import { badRequest, notFound, type StatusError } from '../api/status.js';
import { formatGoDuration } from '../go-duration.js';
import type {
  NodeMetricsValue,
  PodMetricsValue,
  ResourceMetricsProvider,
  ResourceUsage,
} from '../providers/contract.js';
import { RESOURCE_METRICS_GROUP, RESOURCE_METRICS_VERSION } from './discovery.js';
import { formatTimestamp } from './metric-value-list.js';
import { rejectOtherMethods } from './method-not-allowed.js';
import { parseObjectSelector, pathSegment } from './request-params.js';
import { untilAborted } from './request-signal.js';

const API_VERSION = `${RESOURCE_METRICS_GROUP}/${RESOURCE_METRICS_VERSION}`;

/** Nano-cores beyond this are not exact in a double; such values are rendered with milli precision. */
const MAX_EXACT_NANO = Number.MAX_SAFE_INTEGER;

/**
 * Formats CPU cores as metrics-server does (`resource.NewScaledQuantity(nanoCores, -9)`): rounded to the nearest
 * nano-core, half away from zero, in canonical DecimalSI, so `0.25` → `250m`, `0.012345678` → `12345678n`,
 * `0.000012345` → `12345u`, `2` → `2`. NaN → `0`; values too large for nano precision (beyond 9e6 cores) are
 * rendered by {@link formatDecimalQuantity} (milli precision, clamped). Never throws.
 */
export function formatCpuQuantity(cores: number): string {
  if (Number.isNaN(cores)) return '0';
  if (!Number.isFinite(cores) || Math.abs(cores) * 1e9 > MAX_EXACT_NANO) return formatDecimalQuantity(cores);
  const magnitude = Math.round(Math.abs(cores) * 1e9);
  if (magnitude === 0) return '0';
  const sign = cores < 0 ? '-' : '';
  if (magnitude % 1_000_000 === 0) return formatDecimalQuantity((cores < 0 ? -magnitude : magnitude) / 1e9);
  return magnitude % 1000 === 0 ? `${sign}${magnitude / 1000}u` : `${sign}${magnitude}n`;
}

/** `usage` as metrics-server writes a ResourceList: keys sorted, CPU in DecimalSI, memory in BinarySI. */
function usage(value: ResourceUsage): { cpu: string; memory: string } {
  return { cpu: formatCpuQuantity(value.cpu), memory: formatBinaryQuantity(value.memory) };
}

interface ObjectMetaWire {
  name: string;
  namespace?: string;
  creationTimestamp: string;
  labels?: Record<string, string>;
}

function objectMeta(
  name: string,
  namespace: string | undefined,
  labels: Record<string, string>,
  created: string,
): ObjectMetaWire {
  return {
    name,
    ...(namespace === undefined ? {} : { namespace }),
    creationTimestamp: created,
    // NB: metav1.ObjectMeta omits empty labels.
    ...(Object.keys(labels).length === 0 ? {} : { labels }),
  };
}

/** A PodMetrics item (without `kind`/`apiVersion`, as in a list). `created` is the creationTimestamp: now. */
export function podMetricsItem(value: PodMetricsValue, created: Date) {
  return {
    metadata: objectMeta(value.name, value.namespace, value.labels, formatTimestamp(created)),
    timestamp: formatTimestamp(value.timestamp),
    window: formatGoDuration(value.windowSeconds * 1000),
    containers: value.containers.map((c) => ({ name: c.name, usage: usage(c.usage) })),
  };
}

/** A NodeMetrics item (without `kind`/`apiVersion`, as in a list). `created` is the creationTimestamp: now. */
export function nodeMetricsItem(value: NodeMetricsValue, created: Date) {
  return {
    metadata: objectMeta(value.name, undefined, value.labels, formatTimestamp(created)),
    timestamp: formatTimestamp(value.timestamp),
    window: formatGoDuration(value.windowSeconds * 1000),
    usage: usage(value.usage),
  };
}

const str = { type: 'string' } as const;
const usageSchema = { type: 'object', properties: { cpu: str, memory: str } } as const;
const metadataSchema = {
  type: 'object',
  properties: {
    name: str,
    namespace: str,
    creationTimestamp: str,
    labels: { type: 'object', additionalProperties: str },
  },
} as const;
const podItemProperties = {
  metadata: metadataSchema,
  timestamp: str,
  window: str,
  containers: {
    type: 'array',
    items: { type: 'object', properties: { name: str, usage: usageSchema } },
  },
} as const;
const nodeItemProperties = {
  metadata: metadataSchema,
  timestamp: str,
  window: str,
  usage: usageSchema,
} as const;

/** fast-json-stringify writes keys in the order of `properties` (NB: no `required`: it would write those first). */
function objectSchema(itemProperties: object): object {
  return { type: 'object', properties: { kind: str, apiVersion: str, ...itemProperties } };
}

function listSchema(itemProperties: object): object {
  return {
    type: 'object',
    properties: {
      kind: str,
      apiVersion: str,
      metadata: { type: 'object', properties: {} },
      items: { type: 'array', items: { type: 'object', properties: itemProperties } },
    },
  };
}

/** metrics-server's 404 for an object without metrics: `podmetrics.metrics.k8s.io "ns/name" not found`. */
function metricsNotFound(resource: 'podmetrics' | 'nodemetrics', name: string): StatusError {
  return notFound(`${resource}.${RESOURCE_METRICS_GROUP} ${JSON.stringify(name)} not found`);
}

interface Query {
  labelSelector?: string;
  fieldSelector?: string;
}

const querySchema = {
  type: 'object',
  properties: { labelSelector: str, fieldSelector: str },
} as const;

function paramsSchema(names: readonly string[]): object {
  return {
    type: 'object',
    properties: Object.fromEntries(names.map((name) => [name, str])),
    required: names,
  };
}

/** Parses the list options: `labelSelector` selects objects (400 when malformed); `fieldSelector` is refused. */
function selectorOf(query: Query) {
  if (query.fieldSelector !== undefined && query.fieldSelector !== '') {
    throw badRequest(
      `fieldSelector is not supported by this server (got ${JSON.stringify(query.fieldSelector)}); ` +
        'select by labelSelector, or ask for one object by name',
    );
  }
  return parseObjectSelector(query.labelSelector);
}

/** Routes of `metrics.k8s.io/v1beta1` for pods and nodes. */
export const resourceMetricsRoutes: FastifyPluginCallback<{ provider: ResourceMetricsProvider }> = (
  app,
  { provider },
  done,
) => {
  const prefix = `/apis/${API_VERSION}`;
  const podList = { querystring: querySchema, response: { 200: listSchema(podItemProperties) } };
  const nodeList = { querystring: querySchema, response: { 200: listSchema(nodeItemProperties) } };

  const pods = async (signal: AbortSignal, query: Query, namespace?: string) => {
    const selector = selectorOf(query);
    const scope = namespace === undefined ? {} : { namespace };
    const values = await untilAborted(provider.getPodMetrics({ ...scope, selector, signal }), signal);
    const created = new Date();
    return {
      kind: 'PodMetricsList',
      apiVersion: API_VERSION,
      metadata: {},
      items: values.map((v) => podMetricsItem(v, created)),
    };
  };

  app.get<{ Querystring: Query }>(`${prefix}/pods`, { schema: podList }, (request) =>
    pods(request.abortSignal, request.query),
  );
  rejectOtherMethods(app, `${prefix}/pods`);

  const namespacedPods = `${prefix}/namespaces/:namespace/pods`;
  app.get<{ Params: { namespace: string }; Querystring: Query }>(
    namespacedPods,
    { schema: { ...podList, params: paramsSchema(['namespace']) } },
    (request) => pods(request.abortSignal, request.query, pathSegment('namespace', request.params.namespace)),
  );
  rejectOtherMethods(app, namespacedPods);

  const onePod = `${prefix}/namespaces/:namespace/pods/:name`;
  app.get<{ Params: { namespace: string; name: string } }>(
    onePod,
    {
      schema: {
        params: paramsSchema(['namespace', 'name']),
        response: { 200: objectSchema(podItemProperties) },
      },
    },
    async (request) => {
      const namespace = pathSegment('namespace', request.params.namespace);
      const name = pathSegment('pod name', request.params.name);
      const signal = request.abortSignal;
      const values = await untilAborted(
        provider.getPodMetrics({ namespace, name, selector: [], signal }),
        signal,
      );
      const value = values.find((v) => v.namespace === namespace && v.name === name);
      // NB: the provider rejects with 404 when there is no value; this only guards against a provider that does not.
      if (value === undefined) throw metricsNotFound('podmetrics', `${namespace}/${name}`);
      return { kind: 'PodMetrics', apiVersion: API_VERSION, ...podMetricsItem(value, new Date()) };
    },
  );
  rejectOtherMethods(app, onePod);

  app.get<{ Querystring: Query }>(`${prefix}/nodes`, { schema: nodeList }, async (request) => {
    const selector = selectorOf(request.query);
    const signal = request.abortSignal;
    const values = await untilAborted(provider.getNodeMetrics({ selector, signal }), signal);
    const created = new Date();
    return {
      kind: 'NodeMetricsList',
      apiVersion: API_VERSION,
      metadata: {},
      items: values.map((v) => nodeMetricsItem(v, created)),
    };
  });
  rejectOtherMethods(app, `${prefix}/nodes`);

  const oneNode = `${prefix}/nodes/:name`;
  app.get<{ Params: { name: string } }>(
    oneNode,
    { schema: { params: paramsSchema(['name']), response: { 200: objectSchema(nodeItemProperties) } } },
    async (request) => {
      const name = pathSegment('node name', request.params.name);
      const signal = request.abortSignal;
      const values = await untilAborted(provider.getNodeMetrics({ name, selector: [], signal }), signal);
      const value = values.find((v) => v.name === name);
      if (value === undefined) throw metricsNotFound('nodemetrics', name);
      return { kind: 'NodeMetrics', apiVersion: API_VERSION, ...nodeMetricsItem(value, new Date()) };
    },
  );
  rejectOtherMethods(app, oneNode);
  done();
};
