/**
 * HorizontalPodAutoscaler autoscaling/v2beta1 and autoscaling/v2beta2 → autoscaling/v2, field by field as the
 * API server converts them (k8s pkg/apis/autoscaling/v2beta1/conversion.go through the internal type to v2).
 * Pure: no I/O. Input is one parsed manifest; problems are SchemaErrors naming the field path.
 */
import {
  check,
  isObject,
  SchemaError,
  V2_BEHAVIOR,
  V2_HPA,
  V2BETA1_HPA,
  V2BETA2_HPA,
  type JsonObject,
  type PathSegment,
} from './schema.js';

export const V2 = 'autoscaling/v2';
export const HPA_KIND = 'HorizontalPodAutoscaler';
const CONVERTIBLE = new Set(['autoscaling/v2beta1', 'autoscaling/v2beta2']);

/** Annotations older API versions used to round-trip newer fields; internal → v2 drops them. */
export const ROUND_TRIP_ANNOTATIONS = [
  'autoscaling.alpha.kubernetes.io/metrics',
  'autoscaling.alpha.kubernetes.io/current-metrics',
  'autoscaling.alpha.kubernetes.io/conditions',
] as const;
/** Where v2beta1 clients keep `spec.behavior`, which v2beta1 has no field for. */
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';

export type Conversion =
  /** The manifest in autoscaling/v2; `notes` say what besides the field mapping changed. */
  | { action: 'converted'; from: string; manifest: JsonObject; notes: string[] }
  /** Left as it is: already v2 (`reason` undefined) or not a convertible HPA (`reason` says what it is). */
  | { action: 'unchanged'; reason: string | undefined };

/**
 * Converts one manifest. v2beta1/v2beta2 HPAs are checked strictly against their version's schema first; a `List`
 * (as `kubectl get -o yaml` prints) has its HPA items converted. Throws a SchemaError for a malformed HPA.
 */
export function convertManifest(value: unknown): Conversion {
  if (!isObject(value)) return { action: 'unchanged', reason: 'it is not a mapping' };
  const { apiVersion, kind } = value;
  if (kind === HPA_KIND && typeof apiVersion === 'string' && CONVERTIBLE.has(apiVersion)) {
    const { manifest, notes } = hpaToV2(value, []);
    return { action: 'converted', from: apiVersion, manifest, notes };
  }
  if (kind === HPA_KIND && apiVersion === V2) return { action: 'unchanged', reason: undefined };
  if ((kind === 'List' && apiVersion === 'v1') || kind === 'HorizontalPodAutoscalerList') {
    return convertList(value);
  }
  return {
    action: 'unchanged',
    reason: `${typeof kind === 'string' ? kind : 'its kind'} (${typeof apiVersion === 'string' ? apiVersion : 'no apiVersion'}) is not an autoscaling/v2beta1 or autoscaling/v2beta2 HorizontalPodAutoscaler`,
  };
}

/**
 * A HorizontalPodAutoscaler of any version as a checked autoscaling/v2 object, or `undefined` when `value` is not
 * an autoscaling/v2beta1, v2beta2 or v2 HorizontalPodAutoscaler. Throws a SchemaError for a malformed HPA.
 */
export function hpaAsV2(
  value: unknown,
  path: readonly PathSegment[] = [],
): { manifest: JsonObject; from: string } | undefined {
  if (!isObject(value) || value.kind !== HPA_KIND || typeof value.apiVersion !== 'string') return undefined;
  if (CONVERTIBLE.has(value.apiVersion))
    return { manifest: hpaToV2(value, path).manifest, from: value.apiVersion };
  if (value.apiVersion !== V2) return undefined;
  const manifest = check(value, V2_HPA, path) as JsonObject;
  checkMetricSources(manifest, path);
  return { manifest, from: V2 };
}

function convertList(list: JsonObject): Conversion {
  if (!Array.isArray(list.items)) return { action: 'unchanged', reason: 'a List without items' };
  const notes: string[] = [];
  let converted = 0;
  const items = list.items.map((item: unknown, i) => {
    if (
      !isObject(item) ||
      item.kind !== HPA_KIND ||
      typeof item.apiVersion !== 'string' ||
      !CONVERTIBLE.has(item.apiVersion)
    ) {
      return item;
    }
    converted++;
    const result = hpaToV2(item, ['items', i]);
    notes.push(...result.notes.map((n) => `items[${i}]: ${n}`));
    return result.manifest;
  });
  if (converted === 0)
    return {
      action: 'unchanged',
      reason: 'a List without autoscaling/v2beta1 or v2beta2 HorizontalPodAutoscalers',
    };
  const manifest: JsonObject = {};
  for (const [key, value] of Object.entries(list)) {
    manifest[key] = key === 'items' ? items : key === 'apiVersion' && list.kind !== 'List' ? V2 : value;
  }
  return { action: 'converted', from: String(list.apiVersion), manifest, notes };
}

function hpaToV2(hpa: JsonObject, path: readonly PathSegment[]): { manifest: JsonObject; notes: string[] } {
  const v2beta1 = hpa.apiVersion === 'autoscaling/v2beta1';
  const checked = check(hpa, v2beta1 ? V2BETA1_HPA : V2BETA2_HPA, path) as JsonObject;
  checkMetricSources(checked, path);
  const notes: string[] = [];
  let behavior: JsonObject | undefined;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(checked)) {
    if (key === 'apiVersion') out[key] = V2;
    else if (key === 'metadata') {
      const metadata = convertMetadata(value as JsonObject, v2beta1, [...path, 'metadata'], notes);
      behavior = metadata.behavior;
      out[key] = metadata.metadata;
    } else if (key === 'spec' && v2beta1) out[key] = convertSpec(value as JsonObject);
    else if (key === 'status' && v2beta1) out[key] = convertStatus(value as JsonObject);
    else out[key] = value;
  }
  if (behavior !== undefined) out.spec = { ...(isObject(out.spec) ? out.spec : {}), behavior };
  return { manifest: out, notes };
}

function convertMetadata(
  metadata: JsonObject,
  v2beta1: boolean,
  path: readonly PathSegment[],
  notes: string[],
): { metadata: JsonObject; behavior?: JsonObject } {
  if (metadata.annotations === undefined || metadata.annotations === null) return { metadata };
  const annotations = check(metadata.annotations, { kind: 'map', of: { kind: 'string' } }, [
    ...path,
    'annotations',
  ]) as Record<string, string>;
  const kept: Record<string, string> = { ...annotations };
  for (const name of ROUND_TRIP_ANNOTATIONS) {
    if (name in kept) {
      delete kept[name];
      notes.push(
        `dropped annotation ${name} (round-trip data of an older API version; the API server drops it too)`,
      );
    }
  }
  let behavior: JsonObject | undefined;
  const encoded = kept[BEHAVIOR_ANNOTATION];
  if (v2beta1 && encoded !== undefined) {
    delete kept[BEHAVIOR_ANNOTATION];
    try {
      behavior = check(JSON.parse(encoded) as unknown, V2_BEHAVIOR, ['spec', 'behavior']) as JsonObject;
      notes.push(`moved annotation ${BEHAVIOR_ANNOTATION} to spec.behavior`);
    } catch (e) {
      if (!(e instanceof SyntaxError) && !(e instanceof SchemaError)) throw e;
      // NB: the API server moves only well-formed behavior data from the annotation and drops the rest.
      notes.push(`dropped annotation ${BEHAVIOR_ANNOTATION}: it is not a valid behavior (${e.message})`);
    }
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (key !== 'annotations') out[key] = value;
    else if (Object.keys(kept).length > 0) out[key] = kept;
  }
  return behavior === undefined ? { metadata: out } : { metadata: out, behavior };
}

const SOURCE_OF_TYPE: Readonly<Record<string, string>> = {
  Object: 'object',
  Pods: 'pods',
  Resource: 'resource',
  ContainerResource: 'containerResource',
  External: 'external',
};

/** What validation requires of each metric: a known `type` and exactly its source. */
function checkMetricSources(hpa: JsonObject, path: readonly PathSegment[]): void {
  const lists: Array<[unknown, PathSegment[]]> = [
    [isObject(hpa.spec) ? hpa.spec.metrics : undefined, [...path, 'spec', 'metrics']],
    [isObject(hpa.status) ? hpa.status.currentMetrics : undefined, [...path, 'status', 'currentMetrics']],
  ];
  for (const [list, listPath] of lists) {
    if (!Array.isArray(list)) continue;
    list.forEach((metric: JsonObject, i) => {
      const type = metric.type as string;
      const source = SOURCE_OF_TYPE[type];
      if (source === undefined) {
        throw new SchemaError(
          [...listPath, i, 'type'],
          `unsupported metric type ${JSON.stringify(type)}; must be one of ${Object.keys(SOURCE_OF_TYPE).join(', ')}`,
        );
      }
      if (metric[source] === undefined) {
        throw new SchemaError([...listPath, i, source], `required when type is ${type}`);
      }
      for (const other of Object.values(SOURCE_OF_TYPE)) {
        if (other !== source && metric[other] !== undefined) {
          throw new SchemaError([...listPath, i, other], `must not be set when type is ${type}`);
        }
      }
    });
  }
}

interface ObjectReference {
  kind: string;
  name: string;
  apiVersion?: string;
}

/** Builds an object with the given keys in order, leaving out undefined values (Go's omitempty). */
function fields(entries: Record<string, unknown>): JsonObject {
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined));
}

const metricIdentifier = (name: string, selector: unknown) => fields({ name, selector });

function convertSpec(spec: JsonObject): JsonObject {
  return mapEntries(spec, (key, value) =>
    key === 'metrics' ? (value as JsonObject[]).map((m) => mapEntries(m, convertMetricSource)) : value,
  );
}

function convertStatus(status: JsonObject): JsonObject {
  return mapEntries(status, (key, value) =>
    key === 'currentMetrics' ? (value as JsonObject[]).map((m) => mapEntries(m, convertMetricStatus)) : value,
  );
}

function mapEntries(object: JsonObject, fn: (key: string, value: unknown) => unknown): JsonObject {
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, fn(k, v)]));
}

/** Convert_v2beta1_*MetricSource_To_autoscaling_*MetricSource. */
function convertMetricSource(key: string, value: unknown): unknown {
  const s = value as Record<string, unknown>;
  switch (key) {
    case 'object': {
      // NB: Value is always &in.TargetValue, also next to an AverageValue target.
      const averageValue = s.averageValue as string | undefined;
      return {
        describedObject: s.target as ObjectReference,
        target: fields({
          type: averageValue === undefined ? 'Value' : 'AverageValue',
          value: s.targetValue,
          averageValue,
        }),
        metric: metricIdentifier(s.metricName as string, s.selector),
      };
    }
    case 'pods':
      return {
        metric: metricIdentifier(s.metricName as string, s.selector),
        target: { type: 'AverageValue', averageValue: s.targetAverageValue },
      };
    case 'resource':
    case 'containerResource': {
      const utilization = s.targetAverageUtilization;
      return fields({
        name: s.name,
        target: fields({
          type: utilization === undefined ? 'AverageValue' : 'Utilization',
          averageValue: s.targetAverageValue,
          averageUtilization: utilization,
        }),
        container: s.container,
      });
    }
    case 'external':
      return {
        metric: metricIdentifier(s.metricName as string, s.metricSelector),
        target: fields({
          type: s.targetValue === undefined ? 'AverageValue' : 'Value',
          value: s.targetValue,
          averageValue: s.targetAverageValue,
        }),
      };
    default:
      return value;
  }
}

/** Convert_v2beta1_*MetricStatus_To_autoscaling_*MetricStatus. */
function convertMetricStatus(key: string, value: unknown): unknown {
  const s = value as Record<string, unknown>;
  switch (key) {
    case 'object':
      return {
        metric: metricIdentifier(s.metricName as string, s.selector),
        current: fields({ value: s.currentValue, averageValue: s.averageValue }),
        describedObject: s.target as ObjectReference,
      };
    case 'pods':
      return {
        metric: metricIdentifier(s.metricName as string, s.selector),
        current: { averageValue: s.currentAverageValue },
      };
    case 'resource':
    case 'containerResource':
      return fields({
        name: s.name,
        current: fields({
          averageValue: s.currentAverageValue,
          averageUtilization: s.currentAverageUtilization,
        }),
        container: s.container,
      });
    case 'external':
      return {
        metric: metricIdentifier(s.metricName as string, s.metricSelector),
        current: fields({ value: s.currentValue, averageValue: s.currentAverageValue }),
      };
    default:
      return value;
  }
}
