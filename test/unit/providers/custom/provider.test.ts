import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parseLabelSelector } from '../../../../src/api/label-selector.js';
import { StatusError } from '../../../../src/api/status.js';
import {
  createStandaloneObjectLister,
  createStandaloneResourceMapper,
} from '../../../../src/kube/standalone.js';
import type { InstantQueryResult, PrometheusClient } from '../../../../src/prometheus/client.js';
import { PrometheusError, type PrometheusErrorKind } from '../../../../src/prometheus/client.js';
import { createCustomMetricsProvider } from '../../../../src/providers/custom/provider.js';
import { buildCustomRegistry } from '../../../../src/providers/custom/registry.js';
import { summarizeSeries } from '../../../../src/providers/series-summary.js';
import { loadRules } from '../../../../src/rules/compile-rules.js';

const rules = loadRules(readFileSync('config/queue-worker.yaml', 'utf8'), 'config/queue-worker.yaml');
const mapper = createStandaloneResourceMapper();
const PODS_QUERY = '{job="kubernetes-pods",kubernetes_namespace!="",kubernetes_pod_name!=""}';
const CADVISOR_QUERY = '{job="kubernetes-nodes-cadvisor",container!="POD",namespace!="",pod!=""}';

const summaries = new Map([
  [
    PODS_QUERY,
    summarizeSeries([
      {
        __name__: 'qps',
        job: 'kubernetes-pods',
        kubernetes_namespace: 'default',
        kubernetes_pod_name: 'w-1',
      },
      {
        __name__: 'qps',
        job: 'kubernetes-pods',
        kubernetes_namespace: 'default',
        kubernetes_pod_name: 'w-2',
      },
      {
        __name__: 'queue_size',
        job: 'kubernetes-pods',
        kubernetes_namespace: 'default',
        kubernetes_pod_name: 'w-1',
      },
    ]),
  ],
  [
    CADVISOR_QUERY,
    summarizeSeries([
      {
        __name__: 'container_cpu_usage_seconds_total',
        job: 'kubernetes-nodes-cadvisor',
        container: 'app',
        namespace: 'default',
        pod: 'w-1',
      },
    ]),
  ],
]);

function fakePrometheus(answer: (q: string) => InstantQueryResult | Error) {
  const queries: string[] = [];
  const client: PrometheusClient = {
    query(q) {
      queries.push(q);
      const a = answer(q);
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
    series: () => Promise.reject(new Error('not used')),
  };
  return { client, queries };
}

const at = new Date('2026-11-22T10:00:00.000Z');
const vector = (byPod: Record<string, number>, label = 'kubernetes_pod_name'): InstantQueryResult => ({
  type: 'vector',
  samples: Object.entries(byPod).map(([pod, value]) => ({ labels: { [label]: pod }, value, timestamp: at })),
});

function provider(answer: (q: string) => InstantQueryResult | Error) {
  const { registry, conflicts } = buildCustomRegistry(rules.custom, summaries, mapper);
  const prom = fakePrometheus(answer);
  const p = createCustomMetricsProvider({
    registry: () => registry,
    mapper,
    lister: createStandaloneObjectLister(),
    prometheus: prom.client,
  });
  return { p, queries: prom.queries, conflicts };
}

const signal = new AbortController().signal;

describe('custom metrics registry (SPEC 3.1, 3.2, 4)', () => {
  it('names every queue-worker metric for pods and namespaces, sorted, without conflicts', () => {
    const { p, conflicts } = provider(() => vector({}));
    expect(conflicts).toEqual([]);
    expect(p.listAllMetrics().map((m) => `${m.groupResource.resource}/${m.metric}:${m.namespaced}`)).toEqual([
      'namespaces/counter_container_cpu_usage_seconds_total:false',
      'namespaces/counter_qps:false',
      'namespaces/counter_queue_size:false',
      'namespaces/gauge_container_cpu_usage_seconds_total:false',
      'namespaces/gauge_qps:false',
      'namespaces/gauge_queue_size:false',
      'pods/counter_container_cpu_usage_seconds_total:true',
      'pods/counter_qps:true',
      'pods/counter_queue_size:true',
      'pods/gauge_container_cpu_usage_seconds_total:true',
      'pods/gauge_qps:true',
      'pods/gauge_queue_size:true',
    ]);
  });

  it('lets the later rule win when two rules produce the same (resource, metric), and reports it', () => {
    const twice = loadRules(
      readFileSync('config/queue-worker.yaml', 'utf8').replace('as: gauge_${1}', 'as: counter_${1}'),
      'x.yaml',
    );
    const { registry, conflicts } = buildCustomRegistry(twice.custom, summaries, mapper);
    const entry = registry.find(mapper.lookup('pods')!, 'counter_qps');
    expect(entry?.rule.id).toBe('rules[2]');
    expect(conflicts).toContain(
      'metric counter_qps for pods is produced by rules[0] and rules[2]; rules[2] (the later rule) wins',
    );
  });
});

describe('custom metrics provider (SPEC 5.2)', () => {
  it('answers a * request for pods in a namespace with every pod Prometheus has, in name order (standalone)', async () => {
    const { p, queries } = provider(() => vector({ 'w-2': 2.5, 'w-1': 3.4999999999999996 }));
    const items = await p.getMetricBySelector({
      resource: 'pods',
      namespace: 'default',
      metric: 'counter_qps',
      metricSelector: [],
      objectSelector: [],
      signal,
    });
    expect(queries).toEqual([
      'sum(rate(qps{kubernetes_namespace="default",kubernetes_pod_name=~".+"}[2m])) by (kubernetes_pod_name)',
    ]);
    expect(items).toEqual([
      {
        describedObject: { kind: 'Pod', namespace: 'default', name: 'w-1', apiVersion: '/v1' },
        metric: 'counter_qps',
        timestamp: at,
        value: 3.4999999999999996,
      },
      {
        describedObject: { kind: 'Pod', namespace: 'default', name: 'w-2', apiVersion: '/v1' },
        metric: 'counter_qps',
        timestamp: at,
        value: 2.5,
      },
    ]);
  });

  it('answers one object with exactly one item, the resource written singular', async () => {
    const { p, queries } = provider(() => vector({ 'w-1': 7 }));
    const item = await p.getMetricByName({
      resource: 'pod',
      namespace: 'default',
      name: 'w-1',
      metric: 'gauge_queue_size',
      metricSelector: parseLabelSelector('queue in (high,low),tier!=batch'),
      signal,
    });
    expect(queries).toEqual([
      'avg(avg_over_time(queue_size{queue=~"high|low",tier!="batch",kubernetes_namespace="default",kubernetes_pod_name="w-1"}[2m])) by (kubernetes_pod_name)',
    ]);
    expect(item.value).toBe(7);
    expect(item.describedObject).toEqual({
      kind: 'Pod',
      namespace: 'default',
      name: 'w-1',
      apiVersion: '/v1',
    });
  });

  it('serves the namespace object itself (namespaces/{ns}/metrics/{m})', async () => {
    const { p, queries } = provider(() => vector({ default: 12 }, 'kubernetes_namespace'));
    const item = await p.getMetricByName({
      resource: 'namespaces',
      name: 'default',
      metric: 'counter_qps',
      metricSelector: [],
      signal,
    });
    expect(queries).toEqual(['sum(rate(qps{kubernetes_namespace="default"}[2m])) by (kubernetes_namespace)']);
    expect(item.describedObject).toEqual({ kind: 'Namespace', name: 'default', apiVersion: '/v1' });
  });

  it.each([
    ['an unknown metric', 'pods', 'nope', 'the server could not find the metric nope for pods'],
    [
      'an unknown resource',
      'widgets',
      'counter_qps',
      'the server could not find the metric counter_qps for widgets',
    ],
    [
      'a metric of another resource',
      'services',
      'counter_qps',
      'the server could not find the metric counter_qps for services',
    ],
  ])('answers 404 for %s', async (_what, resource, metric, message) => {
    const { p } = provider(() => vector({}));
    const err = await p
      .getMetricBySelector({
        resource,
        namespace: 'default',
        metric,
        metricSelector: [],
        objectSelector: [],
        signal,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).code).toBe(404);
    expect((err as StatusError).message).toBe(message);
  });

  it('answers 404 naming the metric and namespace when Prometheus has no value', async () => {
    const { p } = provider(() => vector({}));
    const err = (await p
      .getMetricBySelector({
        resource: 'pods',
        namespace: 'prod',
        metric: 'counter_qps',
        metricSelector: [],
        objectSelector: [],
        signal,
      })
      .catch((e: unknown) => e)) as StatusError;
    expect(err.code).toBe(404);
    expect(err.message).toContain(
      'the server could not find the metric counter_qps for pods in namespace prod',
    );
  });

  it('refuses a labelSelector on objects in standalone mode with 400 saying why', async () => {
    const { p, queries } = provider(() => vector({ 'w-1': 1 }));
    const err = (await p
      .getMetricBySelector({
        resource: 'pods',
        namespace: 'default',
        metric: 'counter_qps',
        metricSelector: [],
        objectSelector: parseLabelSelector('app=example'),
        signal,
      })
      .catch((e: unknown) => e)) as StatusError;
    expect(err.code).toBe(400);
    expect(err.message).toMatch(/needs the Kubernetes API.*--standalone/);
    expect(queries).toEqual([]);
  });

  it.each([
    ['timeout', 503],
    ['unreachable', 503],
    ['http', 503],
    ['query', 500],
    ['bad_response', 500],
  ] as Array<[PrometheusErrorKind, number]>)(
    'maps a Prometheus %s failure to %i without leaking details',
    async (kind, code) => {
      const { p } = provider(
        () => new PrometheusError(kind, 'query "x" at http://secret-host:9090/api/v1/query failed'),
      );
      const err = (await p
        .getMetricByName({
          resource: 'pods',
          namespace: 'default',
          name: 'w-1',
          metric: 'counter_qps',
          metricSelector: [],
          signal,
        })
        .catch((e: unknown) => e)) as StatusError;
      expect(err).toBeInstanceOf(StatusError);
      expect(err.code).toBe(code);
      expect(err.message).not.toContain('secret-host');
      expect(err.cause).toBeInstanceOf(PrometheusError);
    },
  );

  it('refuses metricLabelSelector operators Prometheus cannot express with 400', async () => {
    const { p } = provider(() => vector({}));
    const err = (await p
      .getMetricByName({
        resource: 'pods',
        namespace: 'default',
        name: 'w-1',
        metric: 'counter_qps',
        metricSelector: parseLabelSelector('size>3'),
        signal,
      })
      .catch((e: unknown) => e)) as StatusError;
    expect(err.code).toBe(400);
  });
});
