/**
 * A small strict schema language for Kubernetes manifests, and the checker that applies it: unknown fields,
 * wrong types, missing required fields and bad quantities are errors naming the field path. Checking also
 * normalizes: quantities become canonical text (what the API server writes back) and `null` optional fields are
 * dropped (Go's `omitempty` pointers).
 */
import { canonicalizeQuantity, QuantityError } from '../../api/quantity.js';

export type Schema =
  | { kind: 'string' }
  | { kind: 'int32' }
  | { kind: 'int64' }
  | { kind: 'boolean' }
  | { kind: 'quantity' }
  /** Kept as written (metadata, which the API server owns). Must be a mapping. */
  | { kind: 'mapping' }
  | { kind: 'object'; fields: Readonly<Record<string, Schema>>; required?: readonly string[] }
  | { kind: 'array'; of: Schema }
  | { kind: 'map'; of: Schema };

export type PathSegment = string | number;

/** A problem at a field path of one manifest. */
export class SchemaError extends Error {
  override readonly name = 'SchemaError';
  constructor(
    readonly path: readonly PathSegment[],
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(`${formatPath(path)}: ${problem}`, options);
  }
}

/** `["spec", "metrics", 0, "pods"]` → `spec.metrics[0].pods`. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? segment : `.${segment}`;
  }
  return text === '' ? '(document)' : text;
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks `value` against `schema` and returns its normalized copy (key order kept). Throws a SchemaError for the
 * first problem found, naming its path.
 */
export function check(value: unknown, schema: Schema, path: readonly PathSegment[] = []): unknown {
  switch (schema.kind) {
    case 'string':
      if (typeof value !== 'string') throw new SchemaError(path, `must be a string, not ${describe(value)}`);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean')
        throw new SchemaError(path, `must be true or false, not ${describe(value)}`);
      return value;
    case 'int32':
    case 'int64': {
      const [low, high] = schema.kind === 'int32' ? [-(2 ** 31), 2 ** 31 - 1] : [-(2 ** 63), 2 ** 63 - 1];
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw new SchemaError(path, `must be an integer, not ${describe(value)}`);
      }
      if (value < low || value > high)
        throw new SchemaError(path, `${value} is out of range for ${schema.kind}`);
      return value;
    }
    case 'quantity':
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new SchemaError(path, `must be a quantity such as 80, 500m or 1Gi, not ${describe(value)}`);
      }
      try {
        return canonicalizeQuantity(value);
      } catch (e) {
        if (e instanceof QuantityError)
          throw new SchemaError(path, `invalid quantity ${JSON.stringify(value)}: ${e.message}`, {
            cause: e,
          });
        throw e;
      }
    case 'mapping':
      if (!isObject(value)) throw new SchemaError(path, `must be a mapping, not ${describe(value)}`);
      return value;
    case 'array': {
      if (!Array.isArray(value)) throw new SchemaError(path, `must be a list, not ${describe(value)}`);
      return value.map((item, i) => check(item, schema.of, [...path, i]));
    }
    case 'map': {
      if (!isObject(value)) throw new SchemaError(path, `must be a mapping, not ${describe(value)}`);
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, check(v, schema.of, [...path, k])]),
      );
    }
    case 'object': {
      if (!isObject(value)) throw new SchemaError(path, `must be a mapping, not ${describe(value)}`);
      const out: JsonObject = {};
      for (const [key, field] of Object.entries(value)) {
        const fieldSchema = schema.fields[key];
        if (fieldSchema === undefined) {
          const known = Object.keys(schema.fields).join(', ');
          throw new SchemaError([...path, key], `unknown field (known fields here: ${known})`);
        }
        if (field === null) continue;
        out[key] = check(field, fieldSchema, [...path, key]);
      }
      for (const key of schema.required ?? []) {
        if (out[key] === undefined) throw new SchemaError([...path, key], 'required field is missing');
      }
      return out;
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

const string: Schema = { kind: 'string' };
const int32: Schema = { kind: 'int32' };
const int64: Schema = { kind: 'int64' };
const quantity: Schema = { kind: 'quantity' };
const mapping: Schema = { kind: 'mapping' };
const object = (fields: Record<string, Schema>, required: readonly string[] = []): Schema => ({
  kind: 'object',
  fields,
  required,
});
const array = (of: Schema): Schema => ({ kind: 'array', of });

export const LABEL_SELECTOR: Schema = object({
  matchLabels: { kind: 'map', of: string },
  matchExpressions: array(
    object({ key: string, operator: string, values: array(string) }, ['key', 'operator']),
  ),
});

const CROSS_VERSION_OBJECT_REFERENCE = object({ kind: string, name: string, apiVersion: string }, [
  'kind',
  'name',
]);
const CONDITION = object(
  { type: string, status: string, lastTransitionTime: string, reason: string, message: string },
  ['type', 'status'],
);
const STATUS_COMMON = {
  observedGeneration: int64,
  lastScaleTime: string,
  currentReplicas: int32,
  desiredReplicas: int32,
  conditions: array(CONDITION),
};
const manifest = (spec: Schema, status: Schema): Schema =>
  object({ apiVersion: string, kind: string, metadata: mapping, spec, status });

/** autoscaling/v2beta1, field for field (k8s.io/api/autoscaling/v2beta1). */
export const V2BETA1_HPA: Schema = manifest(
  object(
    {
      scaleTargetRef: CROSS_VERSION_OBJECT_REFERENCE,
      minReplicas: int32,
      maxReplicas: int32,
      metrics: array(
        object(
          {
            type: string,
            object: object(
              {
                target: CROSS_VERSION_OBJECT_REFERENCE,
                metricName: string,
                targetValue: quantity,
                selector: LABEL_SELECTOR,
                averageValue: quantity,
              },
              ['target', 'metricName', 'targetValue'],
            ),
            pods: object({ metricName: string, targetAverageValue: quantity, selector: LABEL_SELECTOR }, [
              'metricName',
              'targetAverageValue',
            ]),
            resource: object(
              { name: string, targetAverageUtilization: int32, targetAverageValue: quantity },
              ['name'],
            ),
            containerResource: object(
              {
                name: string,
                targetAverageUtilization: int32,
                targetAverageValue: quantity,
                container: string,
              },
              ['name', 'container'],
            ),
            external: object(
              {
                metricName: string,
                metricSelector: LABEL_SELECTOR,
                targetValue: quantity,
                targetAverageValue: quantity,
              },
              ['metricName'],
            ),
          },
          ['type'],
        ),
      ),
    },
    ['scaleTargetRef', 'maxReplicas'],
  ),
  object({
    ...STATUS_COMMON,
    currentMetrics: array(
      object(
        {
          type: string,
          object: object(
            {
              target: CROSS_VERSION_OBJECT_REFERENCE,
              metricName: string,
              currentValue: quantity,
              selector: LABEL_SELECTOR,
              averageValue: quantity,
            },
            ['target', 'metricName', 'currentValue'],
          ),
          pods: object({ metricName: string, currentAverageValue: quantity, selector: LABEL_SELECTOR }, [
            'metricName',
            'currentAverageValue',
          ]),
          resource: object(
            { name: string, currentAverageUtilization: int32, currentAverageValue: quantity },
            ['name', 'currentAverageValue'],
          ),
          containerResource: object(
            {
              name: string,
              currentAverageUtilization: int32,
              currentAverageValue: quantity,
              container: string,
            },
            ['name', 'currentAverageValue', 'container'],
          ),
          external: object(
            {
              metricName: string,
              metricSelector: LABEL_SELECTOR,
              currentValue: quantity,
              currentAverageValue: quantity,
            },
            ['metricName', 'currentValue'],
          ),
        },
        ['type'],
      ),
    ),
  }),
);

const METRIC_IDENTIFIER = object({ name: string, selector: LABEL_SELECTOR }, ['name']);
const METRIC_TARGET = object(
  { type: string, value: quantity, averageValue: quantity, averageUtilization: int32 },
  ['type'],
);
const METRIC_VALUE_STATUS = object({ value: quantity, averageValue: quantity, averageUtilization: int32 });

function v2Shaped(withTolerance: boolean): { spec: Schema; status: Schema; behavior: Schema } {
  const rules = object({
    stabilizationWindowSeconds: int32,
    selectPolicy: string,
    policies: array(
      object({ type: string, value: int32, periodSeconds: int32 }, ['type', 'value', 'periodSeconds']),
    ),
    ...(withTolerance ? { tolerance: quantity } : {}),
  });
  const behavior = object({ scaleUp: rules, scaleDown: rules });
  const spec = object(
    {
      scaleTargetRef: CROSS_VERSION_OBJECT_REFERENCE,
      minReplicas: int32,
      maxReplicas: int32,
      metrics: array(
        object(
          {
            type: string,
            object: object(
              {
                describedObject: CROSS_VERSION_OBJECT_REFERENCE,
                target: METRIC_TARGET,
                metric: METRIC_IDENTIFIER,
              },
              ['describedObject', 'target', 'metric'],
            ),
            pods: object({ metric: METRIC_IDENTIFIER, target: METRIC_TARGET }, ['metric', 'target']),
            resource: object({ name: string, target: METRIC_TARGET }, ['name', 'target']),
            containerResource: object({ name: string, target: METRIC_TARGET, container: string }, [
              'name',
              'target',
              'container',
            ]),
            external: object({ metric: METRIC_IDENTIFIER, target: METRIC_TARGET }, ['metric', 'target']),
          },
          ['type'],
        ),
      ),
      behavior,
    },
    ['scaleTargetRef', 'maxReplicas'],
  );
  const status = object({
    ...STATUS_COMMON,
    currentMetrics: array(
      object(
        {
          type: string,
          object: object(
            {
              metric: METRIC_IDENTIFIER,
              current: METRIC_VALUE_STATUS,
              describedObject: CROSS_VERSION_OBJECT_REFERENCE,
            },
            ['metric', 'current', 'describedObject'],
          ),
          pods: object({ metric: METRIC_IDENTIFIER, current: METRIC_VALUE_STATUS }, ['metric', 'current']),
          resource: object({ name: string, current: METRIC_VALUE_STATUS }, ['name', 'current']),
          containerResource: object({ name: string, current: METRIC_VALUE_STATUS, container: string }, [
            'name',
            'current',
            'container',
          ]),
          external: object({ metric: METRIC_IDENTIFIER, current: METRIC_VALUE_STATUS }, [
            'metric',
            'current',
          ]),
        },
        ['type'],
      ),
    ),
  });
  return { spec, status, behavior };
}

const V2BETA2 = v2Shaped(false);
const V2 = v2Shaped(true);

/** autoscaling/v2beta2, field for field. */
export const V2BETA2_HPA: Schema = manifest(V2BETA2.spec, V2BETA2.status);
/** autoscaling/v2, field for field (with 1.33's `tolerance` in the scaling rules). */
export const V2_HPA: Schema = manifest(V2.spec, V2.status);
/** autoscaling/v2 HorizontalPodAutoscalerBehavior (also what v2beta1's behavior annotation holds). */
export const V2_BEHAVIOR: Schema = V2.behavior;
