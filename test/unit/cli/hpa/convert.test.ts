import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { parse, parseAllDocuments } from 'yaml';
import { hpaCommand } from '../../../../src/cli/hpa/command.js';
import { convertManifest, hpaAsV2 } from '../../../../src/cli/hpa/convert.js';
import type { JsonObject } from '../../../../src/cli/hpa/schema.js';

async function run(argv: string[], stdin = '') {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const code = await hpaCommand(argv, {
    stdout: sink((t) => (stdout += t)),
    stderr: sink((t) => (stderr += t)),
    stdin: Readable.from([stdin]),
  });
  return { code, stdout, stderr };
}

/** The v2 manifest `convertManifest` makes of `value`, failing the test when it is not converted. */
function toV2(value: unknown): JsonObject {
  const result = convertManifest(value);
  if (result.action !== 'converted') throw new Error(`not converted: ${JSON.stringify(result)}`);
  return result.manifest;
}

function validV2(manifest: unknown): void {
  new HorizontalPodAutoscaler(
    manifest as ConstructorParameters<typeof HorizontalPodAutoscaler>[0],
  ).validate();
}

const v2beta1 = (metrics: unknown[], extra: JsonObject = {}) => ({
  apiVersion: 'autoscaling/v2beta1',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'h' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'example' },
    maxReplicas: 10,
    metrics,
  },
  ...extra,
});

describe('hpa convert: the queue-worker fixtures against their golden v2 files', () => {
  it.each([
    ['hpa-qps-and-queue-v2beta1.yaml', 'hpa-qps-and-queue.v2.yaml'],
    ['hpa-queue-size-v2beta1.yaml', 'hpa-queue-size.v2.yaml'],
  ])('%s converts to %s, a valid autoscaling/v2 HPA', async (input, golden) => {
    const { code, stdout, stderr } = await run(['convert', '-f', `test/fixtures/queue-worker/${input}`]);
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toBe(readFileSync(`test/fixtures/hpa/${golden}`, 'utf8'));
    const manifest = parse(stdout) as JsonObject;
    expect(manifest.apiVersion).toBe('autoscaling/v2');
    validV2(manifest);
  });

  it('keeps metadata, scaleTargetRef and min/max replicas, and maps targetAverageValue with canonical quantities', () => {
    const manifest = toV2(
      parse(readFileSync('test/fixtures/queue-worker/hpa-qps-and-queue-v2beta1.yaml', 'utf8')),
    );
    expect(manifest).toEqual({
      kind: 'HorizontalPodAutoscaler',
      apiVersion: 'autoscaling/v2',
      metadata: { name: 'example-hpa', labels: { app: 'example' } },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'example' },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          {
            type: 'Pods',
            pods: { metric: { name: 'counter_qps' }, target: { type: 'AverageValue', averageValue: '80' } },
          },
          {
            type: 'Pods',
            pods: {
              metric: { name: 'counter_queue_size' },
              target: { type: 'AverageValue', averageValue: '1k' },
            },
          },
        ],
      },
    });
  });
});

describe('hpa convert: every v2beta1 metric source (Convert_v2beta1_*MetricSource)', () => {
  const selector = {
    matchLabels: { verb: 'GET' },
    matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }],
  };
  it.each<[string, unknown, unknown]>([
    [
      'Pods: metricName + selector → metric, targetAverageValue → AverageValue',
      { type: 'Pods', pods: { metricName: 'counter_qps', targetAverageValue: '500m', selector } },
      {
        type: 'Pods',
        pods: {
          metric: { name: 'counter_qps', selector },
          target: { type: 'AverageValue', averageValue: '500m' },
        },
      },
    ],
    [
      'Object: target → describedObject, targetValue → Value',
      {
        type: 'Object',
        object: {
          target: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'main' },
          metricName: 'requests',
          targetValue: 2000,
          selector,
        },
      },
      {
        type: 'Object',
        object: {
          describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'main' },
          target: { type: 'Value', value: '2k' },
          metric: { name: 'requests', selector },
        },
      },
    ],
    [
      'Object with averageValue → AverageValue, and value keeps targetValue (as the API server does)',
      {
        type: 'Object',
        object: {
          target: { kind: 'Service', name: 's' },
          metricName: 'rps',
          targetValue: '10',
          averageValue: 0.5,
        },
      },
      {
        type: 'Object',
        object: {
          describedObject: { kind: 'Service', name: 's' },
          target: { type: 'AverageValue', value: '10', averageValue: '500m' },
          metric: { name: 'rps' },
        },
      },
    ],
    [
      'Resource: targetAverageUtilization → Utilization',
      { type: 'Resource', resource: { name: 'cpu', targetAverageUtilization: 50 } },
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
      },
    ],
    [
      'Resource: targetAverageValue → AverageValue (BinarySI canonical)',
      { type: 'Resource', resource: { name: 'memory', targetAverageValue: '1.5Gi' } },
      {
        type: 'Resource',
        resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1536Mi' } },
      },
    ],
    [
      'Resource with both: Utilization keeps the averageValue too',
      {
        type: 'Resource',
        resource: { name: 'cpu', targetAverageUtilization: 60, targetAverageValue: '250m' },
      },
      {
        type: 'Resource',
        resource: {
          name: 'cpu',
          target: { type: 'Utilization', averageValue: '250m', averageUtilization: 60 },
        },
      },
    ],
    [
      'ContainerResource: like Resource, with its container',
      {
        type: 'ContainerResource',
        containerResource: { name: 'cpu', container: 'app', targetAverageUtilization: 70 },
      },
      {
        type: 'ContainerResource',
        containerResource: {
          name: 'cpu',
          target: { type: 'Utilization', averageUtilization: 70 },
          container: 'app',
        },
      },
    ],
    [
      'External: metricName + metricSelector → metric, targetValue → Value',
      {
        type: 'External',
        external: { metricName: 'queue_messages', metricSelector: selector, targetValue: 30 },
      },
      {
        type: 'External',
        external: { metric: { name: 'queue_messages', selector }, target: { type: 'Value', value: '30' } },
      },
    ],
    [
      'External: targetAverageValue → AverageValue',
      { type: 'External', external: { metricName: 'queue_lag', targetAverageValue: '1000' } },
      {
        type: 'External',
        external: { metric: { name: 'queue_lag' }, target: { type: 'AverageValue', averageValue: '1k' } },
      },
    ],
  ])('%s', (_name, metric, expected) => {
    const manifest = toV2(v2beta1([metric]));
    expect((manifest.spec as { metrics: unknown[] }).metrics).toEqual([expected]);
    validV2(manifest);
  });

  it('converts status.currentMetrics of every source (Convert_v2beta1_*MetricStatus)', () => {
    const manifest = toV2(
      v2beta1([], {
        status: {
          currentReplicas: 3,
          desiredReplicas: 4,
          conditions: [{ type: 'AbleToScale', status: 'True' }],
          currentMetrics: [
            { type: 'Pods', pods: { metricName: 'qps', currentAverageValue: '68000m' } },
            {
              type: 'Object',
              object: {
                target: { kind: 'Service', name: 's' },
                metricName: 'rps',
                currentValue: 5,
                averageValue: 1,
              },
            },
            {
              type: 'Resource',
              resource: { name: 'cpu', currentAverageUtilization: 40, currentAverageValue: '200m' },
            },
            {
              type: 'ContainerResource',
              containerResource: { name: 'cpu', container: 'app', currentAverageValue: '100m' },
            },
            { type: 'External', external: { metricName: 'q', currentValue: 7, currentAverageValue: '2' } },
          ],
        },
      }),
    );
    expect(manifest.status).toEqual({
      currentReplicas: 3,
      desiredReplicas: 4,
      conditions: [{ type: 'AbleToScale', status: 'True' }],
      currentMetrics: [
        { type: 'Pods', pods: { metric: { name: 'qps' }, current: { averageValue: '68' } } },
        {
          type: 'Object',
          object: {
            metric: { name: 'rps' },
            current: { value: '5', averageValue: '1' },
            describedObject: { kind: 'Service', name: 's' },
          },
        },
        {
          type: 'Resource',
          resource: { name: 'cpu', current: { averageValue: '200m', averageUtilization: 40 } },
        },
        {
          type: 'ContainerResource',
          containerResource: { name: 'cpu', current: { averageValue: '100m' }, container: 'app' },
        },
        { type: 'External', external: { metric: { name: 'q' }, current: { value: '7', averageValue: '2' } } },
      ],
    });
    validV2(manifest);
  });

  it('moves the behavior annotation to spec.behavior and drops the round-trip annotations', () => {
    const result = convertManifest(
      v2beta1([], {
        metadata: {
          name: 'h',
          annotations: {
            'autoscaling.alpha.kubernetes.io/behavior': '{"scaleDown":{"stabilizationWindowSeconds":60}}',
            'autoscaling.alpha.kubernetes.io/conditions': '[]',
            team: 'a',
          },
        },
      }),
    );
    expect(result).toMatchObject({
      action: 'converted',
      manifest: {
        metadata: { name: 'h', annotations: { team: 'a' } },
        spec: { behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } },
      },
    });
    expect(result.action === 'converted' && result.notes).toEqual([
      'dropped annotation autoscaling.alpha.kubernetes.io/conditions (round-trip data of an older API version; the API server drops it too)',
      'moved annotation autoscaling.alpha.kubernetes.io/behavior to spec.behavior',
    ]);
  });

  it('drops a malformed behavior annotation with a note, and an emptied annotations map', () => {
    const result = convertManifest(
      v2beta1([], {
        metadata: { name: 'h', annotations: { 'autoscaling.alpha.kubernetes.io/behavior': '{"up":' } },
      }),
    );
    if (result.action !== 'converted') throw new Error('not converted');
    expect(result.manifest.metadata).toEqual({ name: 'h' });
    expect((result.manifest.spec as JsonObject).behavior).toBeUndefined();
    expect(result.notes[0]).toMatch(
      /^dropped annotation autoscaling.alpha.kubernetes.io\/behavior: it is not a valid behavior/,
    );
  });
});

describe('hpa convert: autoscaling/v2beta2', () => {
  it('changes the apiVersion, keeps behavior and metrics, canonicalizes quantities and drops nulls', () => {
    const manifest = toV2({
      apiVersion: 'autoscaling/v2beta2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h', namespace: 'prod' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'example' },
        minReplicas: 1,
        maxReplicas: 5,
        behavior: {
          scaleUp: { selectPolicy: 'Max', policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] },
        },
        metrics: [
          {
            type: 'Pods',
            pods: {
              metric: { name: 'counter_qps', selector: null },
              target: { type: 'AverageValue', averageValue: 1000 },
            },
          },
          {
            type: 'External',
            external: { metric: { name: 'q' }, target: { type: 'Value', value: '0.25' } },
          },
        ],
      },
    });
    expect(manifest).toEqual({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h', namespace: 'prod' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'example' },
        minReplicas: 1,
        maxReplicas: 5,
        behavior: {
          scaleUp: { selectPolicy: 'Max', policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] },
        },
        metrics: [
          {
            type: 'Pods',
            pods: { metric: { name: 'counter_qps' }, target: { type: 'AverageValue', averageValue: '1k' } },
          },
          { type: 'External', external: { metric: { name: 'q' }, target: { type: 'Value', value: '250m' } } },
        ],
      },
    });
    validV2(manifest);
  });

  it('leaves autoscaling/v2 alone, and reads it strictly for preview', () => {
    const v2 = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h' },
      spec: {},
    };
    expect(convertManifest(v2)).toEqual({ action: 'unchanged', reason: undefined });
    expect(() => hpaAsV2(v2)).toThrow('spec.scaleTargetRef: required field is missing');
  });

  it('converts the HPAs of a kubectl List and keeps its other items', () => {
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } };
    const result = convertManifest({ apiVersion: 'v1', kind: 'List', items: [deployment, v2beta1([])] });
    expect(result).toMatchObject({
      action: 'converted',
      manifest: { apiVersion: 'v1', kind: 'List', items: [deployment, { apiVersion: 'autoscaling/v2' }] },
    });
  });
});

describe('hpa convert: errors name the document, line and field path', () => {
  it.each<[string, unknown, string]>([
    [
      'an unknown field',
      v2beta1([{ type: 'Pods', pods: { metricName: 'x', targetAverageValue: 1, targetValue: 2 } }]),
      'spec.metrics[0].pods.targetValue: unknown field (known fields here: metricName, targetAverageValue, selector)',
    ],
    [
      'a v2 field in v2beta1',
      {
        ...v2beta1([]),
        spec: { scaleTargetRef: { kind: 'Deployment', name: 'x' }, maxReplicas: 3, behavior: {} },
      },
      'spec.behavior: unknown field (known fields here: scaleTargetRef, minReplicas, maxReplicas, metrics)',
    ],
    [
      'a missing required field',
      v2beta1([{ type: 'Pods', pods: { metricName: 'x' } }]),
      'spec.metrics[0].pods.targetAverageValue: required field is missing',
    ],
    [
      'a bad quantity',
      v2beta1([{ type: 'Pods', pods: { metricName: 'x', targetAverageValue: '1x' } }]),
      `spec.metrics[0].pods.targetAverageValue: invalid quantity "1x": unable to parse quantity's suffix "x"`,
    ],
    [
      'a string for an integer',
      { ...v2beta1([]), spec: { scaleTargetRef: { kind: 'D', name: 'x' }, maxReplicas: '3' } },
      'spec.maxReplicas: must be an integer, not string "3"',
    ],
    [
      'an unknown metric type',
      v2beta1([{ type: 'Custom' }]),
      'spec.metrics[0].type: unsupported metric type "Custom"; must be one of Object, Pods, Resource, ContainerResource, External',
    ],
    [
      'a source that does not match its type',
      v2beta1([{ type: 'Pods', resource: { name: 'cpu' } }]),
      'spec.metrics[0].pods: required when type is Pods',
    ],
    [
      'two sources',
      v2beta1([{ type: 'Resource', resource: { name: 'cpu' }, external: { metricName: 'q' } }]),
      'spec.metrics[0].external: must not be set when type is Resource',
    ],
  ])('%s', (_name, value, message) => {
    expect(() => convertManifest(value)).toThrow(message);
  });

  it('the command reports every bad document with file, index and line, prints nothing and exits 1', async () => {
    const text = [
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ok}\n',
      'apiVersion: autoscaling/v2beta1\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\nspec:\n  scaleTargetRef: {kind: Deployment, name: x}\n  maxReplicas: 3\n  minReplica: 1\n',
      'apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: b}\nspec:\n  scaleTargetRef: {kind: Deployment, name: x}\n',
    ].join('---\n');
    const { code, stdout, stderr } = await run(['convert', '-f', '-'], text);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      'error: -: document 2 (line 11): spec.minReplica: unknown field (known fields here: scaleTargetRef, minReplicas, maxReplicas, metrics)\n',
    );
    expect(stderr).toContain('error: -: document 3 (line 17): spec.maxReplicas: required field is missing\n');
  });

  it('reports invalid YAML with its document and line', async () => {
    const { code, stderr } = await run(['convert', '-f', '-'], 'a: 1\n---\nb: [\n');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: -: document 2 \(line \d\): invalid YAML: /);
  });

  it('rejects bad usage with exit code 2', async () => {
    expect((await run(['convert'])).code).toBe(2);
    expect((await run(['convert', '-f', 'x', '--adapter', 'https://a'])).stderr).toContain(
      '--adapter applies to hpa preview only',
    );
    expect((await run(['frobnicate'])).stderr).toContain('unknown hpa command "frobnicate"');
  });
});

describe('hpa convert: multi-document streams', () => {
  it('converts HPAs, passes other documents through verbatim with a warning, v2 HPAs without one', async () => {
    const deployment =
      '# the app\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n    name: example   # four spaces, kept\n';
    const v2 =
      'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: already}\nspec: {scaleTargetRef: {kind: Deployment, name: example}, maxReplicas: 3}\n';
    const input = `${deployment}---\n${readFileSync('test/fixtures/queue-worker/hpa-queue-size-v2beta1.yaml', 'utf8')}---\n${v2}--- \n`;
    const { code, stdout, stderr } = await run(['convert', '-f', '-'], input);
    expect(code).toBe(0);
    expect(stdout).toBe(
      `${deployment}---\n${readFileSync('test/fixtures/hpa/hpa-queue-size.v2.yaml', 'utf8')}---\n${v2}`,
    );
    expect(stderr).toBe(
      'warning: -: document 1: passed through unchanged: Deployment (apps/v1) is not an autoscaling/v2beta1 or autoscaling/v2beta2 HorizontalPodAutoscaler\n',
    );
    expect(parseAllDocuments(stdout).map((d) => (d.toJS() as JsonObject).apiVersion)).toEqual([
      'apps/v1',
      'autoscaling/v2',
      'autoscaling/v2',
    ]);
  });

  it('reads several files in order, and standard input with -f -', async () => {
    const { code, stdout } = await run(
      ['convert', '-f', 'test/fixtures/queue-worker/hpa-qps-and-queue-v2beta1.yaml', '-f', '-'],
      readFileSync('test/fixtures/queue-worker/hpa-queue-size-v2beta1.yaml', 'utf8'),
    );
    expect(code).toBe(0);
    expect(stdout).toBe(
      `${readFileSync('test/fixtures/hpa/hpa-qps-and-queue.v2.yaml', 'utf8')}---\n${readFileSync('test/fixtures/hpa/hpa-queue-size.v2.yaml', 'utf8')}`,
    );
  });
});
