import { describe, expect, it } from '@jest/globals';
import {
  decide,
  DEFAULT_TOLERANCE,
  MetricError,
  proposeReplicas,
  type DecisionInput,
  type MetricInput,
} from '../../../../src/cli/hpa/replica-calculator.js';

const ctx = (currentReplicas: number) => ({
  currentReplicas,
  readyPods: currentReplicas,
  tolerance: DEFAULT_TOLERANCE,
});
const pods = (values: number[], targetAverageMilli: number, missingPods = 0): MetricInput => ({
  kind: 'Pods',
  values: values.map(BigInt),
  missingPods,
  targetAverageMilli: BigInt(targetAverageMilli),
});

describe('replica calculator: Pods metrics (GetMetricReplicas / calcPlainMetricReplicas)', () => {
  it.each<[string, MetricInput, number, { replicas: number; usageMilli: bigint; withinTolerance: boolean }]>([
    [
      'ratio 1.05 is inside the tolerance band: no change',
      pods([1050, 1050, 1050, 1050], 1000),
      4,
      { replicas: 4, usageMilli: 1050n, withinTolerance: true },
    ],
    [
      'ratio 0.95 is inside the band too',
      pods([950, 950, 950, 950], 1000),
      4,
      { replicas: 4, usageMilli: 950n, withinTolerance: true },
    ],
    [
      'ratio 1.15 scales: ceil(1.15 × 4) = 5',
      pods([1150, 1150, 1150, 1150], 1000),
      4,
      { replicas: 5, usageMilli: 1150n, withinTolerance: false },
    ],
    [
      'ratio exactly 1.1 is just outside in float64, as in Go: ceil(1.1 × 2) = 3',
      pods([1100, 1100], 1000),
      2,
      { replicas: 3, usageMilli: 1100n, withinTolerance: false },
    ],
    [
      'queue-worker qps: average 68 of target 80 → ceil(0.85 × 3) = 3',
      pods([3500, 80500, 120000], 80000),
      3,
      { replicas: 3, usageMilli: 68000n, withinTolerance: false },
    ],
    [
      'the average is an integer division of milli-values: (0 + 0 + 250) / 3 = 83m → ceil(0.000083 × 3) = 1',
      pods([0, 0, 250], 1000000),
      3,
      { replicas: 1, usageMilli: 83n, withinTolerance: false },
    ],
    [
      'the multiplier is the number of pods with values, not the current replicas: ceil(2 × 2) = 4',
      pods([2000, 2000], 1000),
      5,
      { replicas: 4, usageMilli: 2000n, withinTolerance: false },
    ],
  ])('%s', (_name, input, current, expected) => {
    expect(proposeReplicas(input, ctx(current))).toMatchObject(expected);
  });

  it.each<[string, MetricInput, number, number]>([
    [
      'missing pods count as at target on a scale-down: (204 + 3 × 80) / 6 = 74 → 0.925, within the band → keep 6',
      pods([3500, 80500, 120000], 80000, 3),
      6,
      6,
    ],
    [
      'missing pods count as 0 on a scale-up: (300 + 300 + 0) / 3 = 200 → ceil(2 × 3) = 6',
      pods([300, 300], 100, 1),
      3,
      6,
    ],
    [
      'a scale-up that the missing pods turn into a scale-down keeps the current replicas',
      pods([150], 100, 1),
      2,
      2,
    ],
    [
      'a scale-down with missing pods: (10 + 10 + 100 + 100) / 4 = 55 → ceil(0.55 × 4) = 3',
      pods([10, 10], 100, 2),
      4,
      3,
    ],
  ])('%s', (_name, input, current, replicas) => {
    expect(proposeReplicas(input, ctx(current)).replicas).toBe(replicas);
  });

  it('fails without values, as the HPA does', () => {
    expect(() => proposeReplicas(pods([], 100), ctx(3))).toThrow(MetricError);
  });
});

describe('replica calculator: Object and External metrics', () => {
  it.each<[string, MetricInput, number, { replicas: number; usageMilli: bigint }]>([
    [
      'Object Value: ceil(15/10 × 3 ready pods) = 5',
      { kind: 'ObjectValue', values: [15000n], targetMilli: 10000n },
      3,
      { replicas: 5, usageMilli: 15000n },
    ],
    [
      'Object Value within the band keeps the current replicas',
      { kind: 'ObjectValue', values: [10500n], targetMilli: 10000n },
      3,
      { replicas: 3, usageMilli: 10500n },
    ],
    [
      'Object Value with 0 current replicas: ceil(ratio)',
      { kind: 'ObjectValue', values: [15000n], targetMilli: 10000n },
      0,
      { replicas: 2, usageMilli: 15000n },
    ],
    [
      'Object AverageValue: ceil(9 / 1) = 9, reported per pod as ceil(9 / 3) = 3',
      { kind: 'ObjectAverageValue', values: [9000n], targetAverageMilli: 1000n },
      3,
      { replicas: 9, usageMilli: 3000n },
    ],
    [
      'External Value sums the items: (10 + 20) / 10 → ceil(3 × 2) = 6',
      { kind: 'ExternalValue', values: [10000n, 20000n], targetMilli: 10000n },
      2,
      { replicas: 6, usageMilli: 30000n },
    ],
    [
      'External AverageValue: sum 10 over 4 replicas of target 2 → 1.25 → ceil(10 / 2) = 5',
      { kind: 'ExternalAverageValue', values: [5000n, 5000n], targetAverageMilli: 2000n },
      4,
      { replicas: 5, usageMilli: 2500n },
    ],
    [
      'External AverageValue within the band keeps the current replicas',
      { kind: 'ExternalAverageValue', values: [8200n], targetAverageMilli: 2000n },
      4,
      { replicas: 4, usageMilli: 2050n },
    ],
  ])('%s', (_name, input, current, expected) => {
    expect(proposeReplicas(input, ctx(current))).toMatchObject(expected);
  });

  it('External without items fails as the HPA does', () => {
    expect(() => proposeReplicas({ kind: 'ExternalValue', values: [], targetMilli: 1n }, ctx(2))).toThrow(
      'no metrics returned from external metrics API',
    );
  });
});

describe('replica calculator: the HPA decision (max across metrics, min/max and rate limits)', () => {
  const base = { currentReplicas: 3, minReplicas: 2, maxReplicas: 10 };
  it.each<[string, DecisionInput, { desiredReplicas: number | undefined; winner?: number; reason: string }]>([
    [
      'the largest proposal wins',
      { ...base, proposals: [{ replicas: 3 }, { replicas: 5 }] },
      { desiredReplicas: 5, winner: 1, reason: 'DesiredWithinRange' },
    ],
    [
      'on a tie the first metric wins',
      { ...base, proposals: [{ replicas: 4 }, { replicas: 4 }] },
      { desiredReplicas: 4, winner: 0, reason: 'DesiredWithinRange' },
    ],
    [
      'raised to minReplicas',
      { ...base, proposals: [{ replicas: 1 }] },
      { desiredReplicas: 2, winner: 0, reason: 'TooFewReplicas' },
    ],
    [
      'lowered to maxReplicas',
      { ...base, currentReplicas: 8, proposals: [{ replicas: 14 }] },
      { desiredReplicas: 10, winner: 0, reason: 'TooManyReplicas' },
    ],
    [
      'limited to max(2 × current, 4) per step without behavior',
      { ...base, maxReplicas: 20, proposals: [{ replicas: 14 }] },
      { desiredReplicas: 6, winner: 0, reason: 'ScaleUpLimit' },
    ],
    [
      'above maxReplicas now: maxReplicas, whatever the metrics say',
      { ...base, currentReplicas: 12, proposals: [{ replicas: 1 }] },
      { desiredReplicas: 10, reason: 'TooManyReplicas' },
    ],
    [
      'below minReplicas now: minReplicas',
      { ...base, currentReplicas: 1, proposals: [{ replicas: 9 }] },
      { desiredReplicas: 2, reason: 'TooFewReplicas' },
    ],
    [
      'scaled to zero by hand: scaling is disabled',
      { ...base, currentReplicas: 0, proposals: [{ replicas: 9 }] },
      { desiredReplicas: 0, reason: 'ScalingDisabled' },
    ],
    [
      'a failed metric does not stop a scale-up by another',
      { ...base, proposals: [{ error: 'boom' }, { replicas: 5 }] },
      { desiredReplicas: 5, winner: 1, reason: 'DesiredWithinRange' },
    ],
    [
      'a failed metric stops a scale-down',
      { ...base, proposals: [{ error: 'boom' }, { replicas: 2 }] },
      { desiredReplicas: undefined, reason: 'FailedGetMetrics' },
    ],
    [
      'all metrics failed',
      { ...base, proposals: [{ error: 'boom' }] },
      { desiredReplicas: undefined, reason: 'FailedGetMetrics' },
    ],
    [
      'behavior: a Pods policy limits the scale-up',
      {
        ...base,
        maxReplicas: 20,
        behavior: { scaleUp: { policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] } },
        proposals: [{ replicas: 10 }],
      },
      { desiredReplicas: 5, winner: 0, reason: 'ScaleUpLimit' },
    ],
    [
      'behavior: defaults apply to an unset scaleUp (max of +4 pods and +100%)',
      { ...base, maxReplicas: 20, behavior: {}, proposals: [{ replicas: 10 }] },
      { desiredReplicas: 7, winner: 0, reason: 'ScaleUpLimit' },
    ],
    [
      'behavior: a Disabled scaleDown keeps the current replicas',
      {
        ...base,
        currentReplicas: 5,
        minReplicas: 1,
        behavior: { scaleDown: { selectPolicy: 'Disabled' } },
        proposals: [{ replicas: 1 }],
      },
      { desiredReplicas: 5, winner: 0, reason: 'ScaleDownLimit' },
    ],
    [
      'behavior: a Pods policy limits the scale-down',
      {
        ...base,
        currentReplicas: 5,
        minReplicas: 1,
        behavior: { scaleDown: { policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } },
        proposals: [{ replicas: 1 }],
      },
      { desiredReplicas: 4, winner: 0, reason: 'ScaleDownLimit' },
    ],
  ])('%s', (_name, input, expected) => {
    expect(decide(input)).toMatchObject(expected);
  });

  it('reports the metrics proposal before limits', () => {
    expect(decide({ ...base, maxReplicas: 20, proposals: [{ replicas: 14 }] }).metricsProposal).toBe(14);
  });
});
