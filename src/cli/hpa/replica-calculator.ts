/**
 * The HorizontalPodAutoscaler's arithmetic, as kube-controller-manager does it (k8s
 * pkg/controller/podautoscaler/replica_calculator.go and horizontal.go), on values already read. Pure.
 *
 * Per metric (milli-values as int64, ratios as float64, exactly like the Go code):
 * - Pods (GetMetricReplicas → calcPlainMetricReplicas): average = sum / count (integer division) over the pods
 *   that have a value; ratio = average / target. Without missing pods: within tolerance keep the current
 *   replicas, else ceil(ratio × pods with a value). With missing pods (current replicas without a value): they
 *   count as at target when scaling down and as 0 when scaling up, the ratio is recomputed, and the current
 *   replicas are kept when that lands within tolerance or flips the direction; else ceil(new ratio × all pods).
 * - Object Value / External Value (GetObjectMetricReplicas, GetExternalMetricReplicas): ratio = value / target
 *   (External: the sum of all items); within tolerance keep the current replicas, else ceil(ratio × ready pods);
 *   with 0 current replicas ceil(ratio).
 * - Object AverageValue / External AverageValue (GetObjectPerPodMetricReplicas, GetExternalPerPodMetricReplicas):
 *   ratio = value / (target × current replicas); outside tolerance ceil(value / target), else the current replicas.
 *
 * Per HPA (reconcileAutoscaler, computeReplicasForMetrics, normalizeDesiredReplicas[WithBehaviors]): the largest
 * proposal wins (the first metric to reach it); then it is clamped to min/max replicas and to the scale-up rate
 * (without `behavior`: max(2 × current, 4); with it: its policies, with no scaling history).
 */

export const DEFAULT_TOLERANCE = 0.1;

export type MetricInput =
  | {
      kind: 'Pods';
      /** Milli-values of the pods that have one. */
      values: readonly bigint[];
      /** Pods that exist (current replicas) but have no value. */
      missingPods: number;
      targetAverageMilli: bigint;
    }
  | { kind: 'ObjectValue' | 'ExternalValue'; values: readonly bigint[]; targetMilli: bigint }
  | {
      kind: 'ObjectAverageValue' | 'ExternalAverageValue';
      values: readonly bigint[];
      targetAverageMilli: bigint;
    };

export interface ReplicaContext {
  /** The scale target's replicas (the HPA's specReplicas and statusReplicas alike). */
  currentReplicas: number;
  /** Ready pods of the scale target, for Value targets. */
  readyPods: number;
  tolerance: number;
}

export interface MetricProposal {
  replicas: number;
  /** The current value as the HPA reports it in status, in milli-units. */
  usageMilli: bigint;
  /** The usage ratio the decision was made on (before missing pods were filled in). */
  ratio: number;
  /** |1 − ratio| ≤ tolerance. */
  withinTolerance: boolean;
}

/** A metric the HPA could not use (its own words where it has them). */
export class MetricError extends Error {
  override readonly name = 'MetricError';
}

export function proposeReplicas(input: MetricInput, ctx: ReplicaContext): MetricProposal {
  const { currentReplicas, tolerance } = ctx;
  const within = (ratio: number) => Math.abs(1.0 - ratio) <= tolerance;
  switch (input.kind) {
    case 'Pods': {
      if (input.values.length === 0) throw new MetricError('no metrics returned from custom metrics API');
      const target = input.targetAverageMilli;
      const { ratio, usage } = usageRatio(input.values, target);
      if (input.missingPods === 0) {
        return {
          replicas: within(ratio) ? currentReplicas : Math.ceil(ratio * input.values.length),
          usageMilli: usage,
          ratio,
          withinTolerance: within(ratio),
        };
      }
      // NB: on a scale-down missing pods count as using exactly the target, on a scale-up as using nothing.
      const fill = ratio < 1.0 ? target : 0n;
      const all = [...input.values, ...Array<bigint>(input.missingPods).fill(fill)];
      const newRatio = usageRatio(all, target).ratio;
      const keep = { replicas: currentReplicas, usageMilli: usage, ratio, withinTolerance: within(ratio) };
      if (within(newRatio) || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0)) return keep;
      const replicas = Math.ceil(newRatio * all.length);
      if ((newRatio < 1.0 && replicas > currentReplicas) || (newRatio > 1.0 && replicas < currentReplicas)) {
        return keep;
      }
      return { ...keep, replicas };
    }
    case 'ObjectValue':
    case 'ExternalValue': {
      const usage = sum(input.values, input.kind);
      const ratio = Number(usage) / Number(input.targetMilli);
      let replicas: number;
      if (currentReplicas !== 0)
        replicas = within(ratio) ? currentReplicas : Math.ceil(ratio * ctx.readyPods);
      else replicas = Math.ceil(ratio);
      return { replicas, usageMilli: usage, ratio, withinTolerance: within(ratio) };
    }
    case 'ObjectAverageValue':
    case 'ExternalAverageValue': {
      const usage = sum(input.values, input.kind);
      const target = Number(input.targetAverageMilli);
      const ratio = Number(usage) / (target * currentReplicas);
      const replicas = within(ratio) ? currentReplicas : Math.ceil(Number(usage) / target);
      return {
        replicas,
        usageMilli: BigInt(Math.ceil(Number(usage) / currentReplicas)),
        ratio,
        withinTolerance: within(ratio),
      };
    }
  }
}

/** metricsclient.GetMetricUsageRatio: the integer average over the values, and its ratio to the target. */
function usageRatio(values: readonly bigint[], target: bigint): { ratio: number; usage: bigint } {
  const usage = values.reduce((a, b) => a + b, 0n) / BigInt(values.length);
  return { ratio: Number(usage) / Number(target), usage };
}

function sum(values: readonly bigint[], kind: string): bigint {
  if (values.length === 0) {
    throw new MetricError(
      kind.startsWith('External')
        ? 'no metrics returned from external metrics API'
        : 'expected exactly one metric value, got none',
    );
  }
  return values.reduce((a, b) => a + b, 0n);
}

/** autoscaling/v2 HPAScalingRules (as far as a decision without history needs them). */
export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: string;
  policies?: ReadonlyArray<{ type: string; value: number; periodSeconds: number }>;
}

export interface DecisionInput {
  currentReplicas: number;
  /** Defaults to 1, as the controller does. */
  minReplicas?: number;
  maxReplicas: number;
  behavior?: { scaleUp?: ScalingRules; scaleDown?: ScalingRules };
  /** Per metric, in spec order: its proposal, or why it has none. */
  proposals: ReadonlyArray<{ replicas: number } | { error: string }>;
}

export interface Decision {
  /** What the HPA would set now; `undefined` when it would not act (the reason says why). */
  desiredReplicas: number | undefined;
  /** Index of the metric whose proposal was taken (the largest, first on ties). */
  winner: number | undefined;
  /** The largest metric proposal before limits. */
  metricsProposal: number | undefined;
  /** The controller's condition reason: DesiredWithinRange, TooFewReplicas, TooManyReplicas, ScaleUpLimit, ... */
  reason: string;
  message: string;
}

const SCALE_UP_DEFAULT: Required<ScalingRules> = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};
const SCALE_DOWN_DEFAULT: Required<ScalingRules> = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};
const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);

/** What the HPA would do on a reconcile with no history (no stabilization window holds anything back). */
export function decide(input: DecisionInput): Decision {
  const { currentReplicas: current, maxReplicas: max } = input;
  const min = input.minReplicas ?? 1;
  const none = { winner: undefined, metricsProposal: undefined };
  if (current === 0 && min !== 0) {
    return {
      ...none,
      desiredReplicas: 0,
      reason: 'ScalingDisabled',
      message: 'scaling is disabled since the replica count of the target is zero',
    };
  }
  if (current > max) {
    return {
      ...none,
      desiredReplicas: max,
      reason: 'TooManyReplicas',
      message: 'current number of replicas above maxReplicas',
    };
  }
  if (current < min) {
    return {
      ...none,
      desiredReplicas: min,
      reason: 'TooFewReplicas',
      message: 'current number of replicas below minReplicas',
    };
  }
  let replicas = 0;
  let winner: number | undefined;
  let invalid = 0;
  let firstError: string | undefined;
  input.proposals.forEach((p, i) => {
    if ('error' in p) {
      invalid++;
      firstError ??= p.error;
    } else if (replicas === 0 || p.replicas > replicas) {
      replicas = p.replicas;
      winner = i;
    }
  });
  if (invalid >= input.proposals.length || (invalid > 0 && replicas < current)) {
    return {
      ...none,
      desiredReplicas: undefined,
      reason: 'FailedGetMetrics',
      message:
        invalid >= input.proposals.length
          ? `no metric could be computed: ${firstError ?? 'the HPA has no metrics'}`
          : `a metric failed and the others would scale down, so the HPA does not scale: ${firstError ?? ''}`,
    };
  }
  const limited =
    input.behavior === undefined
      ? limitWithoutBehavior(current, replicas, min, max)
      : limitWithBehavior(current, replicas, min, max, input.behavior);
  return { ...limited, winner, metricsProposal: replicas };
}

function limitWithoutBehavior(
  current: number,
  desired: number,
  min: number,
  max: number,
): Pick<Decision, 'desiredReplicas' | 'reason' | 'message'> {
  const scaleUpLimit = Math.max(2 * current, 4);
  const [maximum, reason, message] =
    max > scaleUpLimit
      ? [
          scaleUpLimit,
          'ScaleUpLimit',
          'the desired replica count is increasing faster than the maximum scale rate',
        ]
      : [max, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
  if (desired < min) {
    return {
      desiredReplicas: min,
      reason: 'TooFewReplicas',
      message: 'the desired replica count is less than the minimum replica count',
    };
  }
  if (desired > maximum) return { desiredReplicas: maximum, reason, message };
  return withinRange(desired);
}

function limitWithBehavior(
  current: number,
  desired: number,
  min: number,
  max: number,
  behavior: NonNullable<DecisionInput['behavior']>,
): Pick<Decision, 'desiredReplicas' | 'reason' | 'message'> {
  if (desired > current) {
    const rules = withDefaults(behavior.scaleUp, SCALE_UP_DEFAULT);
    const limit = Math.max(scaleLimit(current, rules, 'up'), current);
    const [maximum, reason, message] =
      max > limit
        ? [
            limit,
            'ScaleUpLimit',
            'the desired replica count is increasing faster than the maximum scale rate',
          ]
        : [max, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
    if (desired > maximum) return { desiredReplicas: maximum, reason, message };
  } else if (desired < current) {
    const rules = withDefaults(behavior.scaleDown, SCALE_DOWN_DEFAULT);
    const limit = Math.min(scaleLimit(current, rules, 'down'), current);
    const [minimum, reason, message] =
      min < limit
        ? [
            limit,
            'ScaleDownLimit',
            'the desired replica count is decreasing faster than the maximum scale rate',
          ]
        : [min, 'TooFewReplicas', 'the desired replica count is less than the minimum replica count'];
    if (desired < minimum) return { desiredReplicas: minimum, reason, message };
  }
  return withinRange(desired);
}

function withinRange(desired: number): Pick<Decision, 'desiredReplicas' | 'reason' | 'message'> {
  return {
    desiredReplicas: desired,
    reason: 'DesiredWithinRange',
    message: 'the desired count is within the acceptable range',
  };
}

function withDefaults(
  rules: ScalingRules | undefined,
  defaults: Required<ScalingRules>,
): Required<ScalingRules> {
  return {
    stabilizationWindowSeconds: rules?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: rules?.selectPolicy ?? defaults.selectPolicy,
    policies: rules?.policies ?? defaults.policies,
  };
}

/** calculateScaleUpLimitWithScalingRules / calculateScaleDownLimitWithBehaviors with no scale events. */
function scaleLimit(current: number, rules: Required<ScalingRules>, direction: 'up' | 'down'): number {
  if (rules.selectPolicy === 'Disabled') return current;
  // NB: 'Min' picks the smallest change: the lowest limit going up, the highest going down.
  const smallestChange = rules.selectPolicy === 'Min';
  const pickHigher = direction === 'up' ? !smallestChange : smallestChange;
  let result = pickHigher ? INT32_MIN : INT32_MAX;
  for (const policy of rules.policies) {
    let proposed: number;
    if (policy.type === 'Pods')
      proposed = direction === 'up' ? current + policy.value : current - policy.value;
    else if (policy.type === 'Percent') {
      proposed =
        direction === 'up'
          ? Math.ceil(current * (1 + policy.value / 100))
          : Math.trunc(current * (1 - policy.value / 100));
    } else continue;
    result = pickHigher ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}
