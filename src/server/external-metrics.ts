/**
 * The external.metrics.k8s.io/v1beta1 route (SPEC 5.3): `namespaces/{ns}/{metric}?labelSelector=...` parsed into a
 * provider request, provider values rendered as an ExternalMetricValueList. Upstream serves only the namespaced
 * form, and so do we.
 */
import type { FastifyPluginCallback } from 'fastify';
import type { Requirement } from '../api/label-selector.js';
import { formatDecimalQuantity } from '../api/quantity.js';
import type { ExternalMetricValue, ExternalMetricsProvider } from '../providers/contract.js';
import { formatTimestamp } from './metric-value-list.js';
import { rejectOtherMethods } from './method-not-allowed.js';
import { parseMatcherSelector, pathSegment } from './request-params.js';
import { untilAborted } from './request-signal.js';

export const EXTERNAL_METRICS_GROUP = 'external.metrics.k8s.io';
export const EXTERNAL_METRICS_VERSION = 'v1beta1';

/** One item of an ExternalMetricValueList, as client-go decodes it. */
export interface ExternalMetricValueWire {
  metricName: string;
  metricLabels: Record<string, string>;
  timestamp: string;
  window?: number;
  value: string;
}

export interface ExternalMetricValueList {
  kind: 'ExternalMetricValueList';
  apiVersion: `${typeof EXTERNAL_METRICS_GROUP}/${typeof EXTERNAL_METRICS_VERSION}`;
  metadata: Record<string, never>;
  items: ExternalMetricValueWire[];
}

/** Renders provider values: quantities per SPEC 6 (NaN → 0, ±Inf clamped), timestamps in whole seconds. */
export function toExternalMetricValueList(values: readonly ExternalMetricValue[]): ExternalMetricValueList {
  return {
    kind: 'ExternalMetricValueList',
    apiVersion: `${EXTERNAL_METRICS_GROUP}/${EXTERNAL_METRICS_VERSION}`,
    metadata: {},
    items: values.map((v) => ({
      metricName: v.metricName,
      metricLabels: v.metricLabels,
      timestamp: formatTimestamp(v.timestamp),
      value: formatDecimalQuantity(v.value),
    })),
  };
}

/**
 * Parses the `labelSelector` of an external metric request: it selects samples, so it becomes label matchers
 * (SPEC 3.3). Throws 400 for a malformed selector and for `>` / `<`.
 */
export function parseExternalSelector(text: string | undefined): Requirement[] {
  return parseMatcherSelector('labelSelector', text);
}

const stringSchema = { type: 'string' } as const;

/** NB: fast-json-stringify writes keys in the order of `properties` (client-go's field order); no `required`. */
const externalMetricValueListSchema = {
  type: 'object',
  properties: {
    kind: stringSchema,
    apiVersion: stringSchema,
    metadata: { type: 'object', properties: {} },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          metricName: stringSchema,
          metricLabels: { type: 'object', additionalProperties: stringSchema },
          timestamp: stringSchema,
          window: { type: 'integer' },
          value: stringSchema,
        },
      },
    },
  },
} as const;

const paramsSchema = {
  type: 'object',
  properties: { namespace: stringSchema, metric: stringSchema },
  required: ['namespace', 'metric'],
} as const;

const querySchema = { type: 'object', properties: { labelSelector: stringSchema } } as const;

/** The route of `/apis/external.metrics.k8s.io/v1beta1`. */
export const externalMetricsRoutes: FastifyPluginCallback<{ provider: ExternalMetricsProvider }> = (
  app,
  { provider },
  done,
) => {
  const url = `/apis/${EXTERNAL_METRICS_GROUP}/${EXTERNAL_METRICS_VERSION}/namespaces/:namespace/:metric`;
  app.get<{ Params: { namespace: string; metric: string }; Querystring: { labelSelector?: string } }>(
    url,
    {
      schema: {
        params: paramsSchema,
        querystring: querySchema,
        response: { 200: externalMetricValueListSchema },
      },
    },
    async (request) => {
      const namespace = pathSegment('namespace', request.params.namespace);
      const metric = pathSegment('metric name', request.params.metric);
      const metricSelector = parseExternalSelector(request.query.labelSelector);
      const signal = request.abortSignal;
      const values = await untilAborted(
        provider.getExternalMetric({ namespace, metric, metricSelector, signal }),
        signal,
      );
      return toExternalMetricValueList(values);
    },
  );
  rejectOtherMethods(app, url);
  done();
};
