import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { hpaAsV2 } from '../../../../src/cli/hpa/convert.js';
import type { MetricReader } from '../../../../src/cli/hpa/metric-reader.js';
import { previewHpa, type PreviewInput } from '../../../../src/cli/hpa/preview.js';
import { formatPreviewJson, formatPreviewText } from '../../../../src/cli/hpa/preview-format.js';

/** Answers from fixed tables, and records what it was asked (the HPA controller's requests). */
function fakeReader() {
  const calls: string[] = [];
  const reader: MetricReader = {
    appliesPodSelector: true,
    podsMetric({ namespace, metric, metricSelector, podSelector }) {
      calls.push(
        `pods ${namespace} ${metric} labelSelector=${podSelector} metricLabelSelector=${metricSelector}`,
      );
      if (metric === 'broken')
        return Promise.reject(new Error('GET ...: 503 ServiceUnavailable: Prometheus is down'));
      return Promise.resolve([
        { pod: 'p-1', milli: 1500n },
        { pod: 'p-2', milli: 2500n },
      ]);
    },
    objectMetric({ object, metric }) {
      calls.push(`object ${object.kind}/${object.name} ${metric}`);
      return Promise.resolve(30000n);
    },
    externalMetric({ metric, metricSelector }) {
      calls.push(`external ${metric} labelSelector=${metricSelector}`);
      return Promise.resolve([4000n, 6000n]);
    },
  };
  return { reader, calls };
}

const HPA = `
apiVersion: autoscaling/v2beta1
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 20
  metrics:
  - type: Pods
    pods: {metricName: requests, targetAverageValue: 1, selector: {matchLabels: {verb: GET}}}
  - type: Object
    object: {target: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: main}, metricName: hits, targetValue: 10}
  - type: External
    external: {metricName: queue, metricSelector: {matchExpressions: [{key: q, operator: In, values: [b, a]}]}, targetAverageValue: 2}
  - type: Resource
    resource: {name: cpu, targetAverageUtilization: 50}
`;

async function preview(yaml: string, current: number, reader: MetricReader) {
  const { parse } = await import('yaml');
  const hpa = hpaAsV2(parse(yaml));
  if (hpa === undefined) throw new Error('not an HPA');
  const input: PreviewInput = {
    hpa: hpa.manifest,
    from: hpa.from,
    namespace: 'shop',
    podSelector: { value: 'app=web', source: '--selector' },
    currentReplicas: { value: current, source: '--current-replicas' },
    tolerance: 0.1,
  };
  return previewHpa(input, reader);
}

describe('hpa preview: one HPA with every metric type', () => {
  it('sends the requests the HPA sends: pod selector, metric selectors as selector text', async () => {
    const { reader, calls } = fakeReader();
    await preview(HPA, 3, reader);
    expect(calls).toEqual([
      'pods shop requests labelSelector=app=web metricLabelSelector=verb=GET',
      'object Ingress/main hits',
      'external queue labelSelector=q in (a,b)',
    ]);
  });

  it('proposes per metric, skips resource metrics, and picks the largest (golden text)', async () => {
    const result = await preview(HPA, 3, fakeReader().reader);
    // Pods: (1.5 + 2.5) / 2 = 2 of 1 → ceil(2 × 2 pods) = 4, with 1 of 3 replicas missing a value:
    //   scale-up → counted as 0 → (1.5 + 2.5 + 0) / 3 = 1.333 → ceil(1.333 × 3) = 4.
    // Object Value: 30 of 10 → ceil(3 × 3 ready pods) = 9. External AverageValue: (4 + 6) = 10 of 2 per pod → 5.
    expect(result.metrics.map((m) => m.proposedReplicas)).toEqual([4, 9, 5, undefined]);
    expect(result.winner).toBe(1);
    expect(result.decision).toMatchObject({ desiredReplicas: 6, metricsProposal: 9, reason: 'ScaleUpLimit' });
    expect(formatPreviewText([result])).toBe(
      readFileSync('test/fixtures/hpa/preview-every-type.txt', 'utf8'),
    );
  });

  it('shows a failed read on its row; a failure next to a scale-down means the HPA does not act', async () => {
    const broken = `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 20
  metrics:
  - type: Pods
    pods: {metric: {name: broken}, target: {type: AverageValue, averageValue: 1}}
  - type: External
    external: {metric: {name: queue}, target: {type: AverageValue, averageValue: 2}}
`;
    const result = await preview(broken, 20, fakeReader().reader);
    expect(result.metrics[0]).toMatchObject({
      name: 'broken',
      error: 'GET ...: 503 ServiceUnavailable: Prometheus is down',
    });
    expect(result.decision).toMatchObject({ desiredReplicas: undefined, reason: 'FailedGetMetrics' });
    const text = formatPreviewText([result]);
    expect(text).toContain('  broken: GET ...: 503 ServiceUnavailable: Prometheus is down\n');
    expect(text).toContain('  desired replicas:  unchanged (the HPA would not act)\n');
  });

  it('prints JSON with the same content', async () => {
    const result = await preview(HPA, 3, fakeReader().reader);
    const parsed = JSON.parse(formatPreviewJson([result])) as { hpas: Array<Record<string, unknown>> };
    expect(parsed.hpas[0]).toMatchObject({
      namespace: 'shop',
      name: 'web',
      from: 'autoscaling/v2beta1',
      winner: 1,
      decision: { desiredReplicas: 6, reason: 'ScaleUpLimit' },
    });
  });
});
