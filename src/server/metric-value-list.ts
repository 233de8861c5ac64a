/**
 * The `MetricValueList` wire format of custom.metrics.k8s.io v1beta2 and v1beta1 (SPEC 5.2): rendering of provider
 * values and the response schemas whose property order fixes the key order on the wire.
 */
import { toLabelSelector, type Requirement } from '../api/label-selector.js';
import { formatDecimalQuantity } from '../api/quantity.js';
import {
  CUSTOM_METRICS_GROUP,
  type CustomMetricsVersion,
  type DescribedObject,
  type LabelSelector,
  type MetricValueList,
  type MetricValueV1Beta1,
  type MetricValueV1Beta2,
} from '../api/types.js';
import type { CustomMetricValue } from '../providers/contract.js';

let lastSeconds = Number.NaN;
let lastText = '';

/** RFC 3339 in UTC with whole seconds (`2026-11-22T10:00:00Z`), truncating like Go's `metav1.Time`. */
export function formatTimestamp(date: Date): string {
  const seconds = Math.floor(date.getTime() / 1000);
  // NB: every item of a list carries the same evaluation time; formatting it once per second saves a Date each.
  if (seconds !== lastSeconds) {
    lastText = new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
    lastSeconds = seconds;
  }
  return lastText;
}

function describedObject(value: CustomMetricValue): DescribedObject {
  const { kind, namespace, name, apiVersion } = value.describedObject;
  return namespace === undefined ? { kind, name, apiVersion } : { kind, namespace, name, apiVersion };
}

function toV1Beta2(value: CustomMetricValue, selector: LabelSelector | null): MetricValueV1Beta2 {
  const item: MetricValueV1Beta2 = {
    describedObject: describedObject(value),
    metric: { name: value.metric, selector },
    timestamp: formatTimestamp(value.timestamp),
    value: formatDecimalQuantity(value.value),
  };
  if (value.windowSeconds !== undefined) item.windowSeconds = value.windowSeconds;
  return item;
}

function toV1Beta1(value: CustomMetricValue, selector: LabelSelector | null): MetricValueV1Beta1 {
  const item: MetricValueV1Beta1 = {
    describedObject: describedObject(value),
    metricName: value.metric,
    timestamp: formatTimestamp(value.timestamp),
    value: formatDecimalQuantity(value.value),
    selector,
  };
  if (value.windowSeconds !== undefined) item.window = value.windowSeconds;
  return item;
}

/**
 * Renders provider values as the `MetricValueList` of `version`; `metricSelector` is the parsed
 * `metricLabelSelector` of the request, echoed in every item. Key order is applied by the response schema.
 */
export function toMetricValueList<V extends CustomMetricsVersion>(
  version: V,
  values: readonly CustomMetricValue[],
  metricSelector: readonly Requirement[],
): MetricValueList<V> {
  const selector = toLabelSelector(metricSelector);
  const items =
    version === 'v1beta2'
      ? values.map((v) => toV1Beta2(v, selector))
      : values.map((v) => toV1Beta1(v, selector));
  return {
    kind: 'MetricValueList',
    apiVersion: `${CUSTOM_METRICS_GROUP}/${version}`,
    metadata: {},
    items: items as MetricValueList<V>['items'],
  };
}

const stringSchema = { type: 'string' } as const;

const labelSelectorSchema = {
  type: ['object', 'null'],
  properties: {
    matchLabels: { type: 'object', additionalProperties: stringSchema },
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          key: stringSchema,
          operator: stringSchema,
          values: { type: 'array', items: stringSchema },
        },
      },
    },
  },
} as const;

const describedObjectSchema = {
  type: 'object',
  properties: { kind: stringSchema, namespace: stringSchema, name: stringSchema, apiVersion: stringSchema },
} as const;

const itemSchemas = {
  v1beta2: {
    type: 'object',
    properties: {
      describedObject: describedObjectSchema,
      metric: { type: 'object', properties: { name: stringSchema, selector: labelSelectorSchema } },
      timestamp: stringSchema,
      windowSeconds: { type: 'integer' },
      value: stringSchema,
    },
  },
  v1beta1: {
    type: 'object',
    properties: {
      describedObject: describedObjectSchema,
      metricName: stringSchema,
      timestamp: stringSchema,
      window: { type: 'integer' },
      value: stringSchema,
      selector: labelSelectorSchema,
    },
  },
} as const;

/**
 * The 200 response schema of the custom metric routes of `version`: fast-json-stringify writes keys in the order
 * of `properties`. NB: no `required` lists, because fast-json-stringify writes required keys first.
 */
export function metricValueListSchema(version: CustomMetricsVersion): object {
  return {
    type: 'object',
    properties: {
      kind: stringSchema,
      apiVersion: stringSchema,
      metadata: { type: 'object', properties: {} },
      items: { type: 'array', items: itemSchemas[version] },
    },
  };
}
