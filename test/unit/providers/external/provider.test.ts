import { describe, expect, it } from '@jest/globals';
import { parseLabelSelector } from '../../../../src/api/label-selector.js';
import { StatusError } from '../../../../src/api/status.js';
import {
  createStandaloneResourceMapper,
  createStaticResourceMapper,
} from '../../../../src/kube/standalone.js';
import {
  PrometheusError,
  type InstantQueryResult,
  type PrometheusClient,
  type PrometheusErrorKind,
} from '../../../../src/prometheus/client.js';
import { createExternalMetricsProvider } from '../../../../src/providers/external/provider.js';
import { buildExternalRegistry } from '../../../../src/providers/external/registry.js';
import { summarizeSeries } from '../../../../src/providers/series-summary.js';
import { loadRules } from '../../../../src/rules/compile-rules.js';

const READY = 'rabbitmq_queue_messages_ready';

/** One rule per way of mapping (or not) the namespace label. */
const RULES = loadRules(
  [
    'externalRules:',
    `- seriesQuery: '${READY}'`,
    '  resources: {overrides: {namespace: {resource: namespace}}}',
    "  name: {as: 'queue_messages_ready'}",
    "  metricsQuery: '<<.Series>>{<<.LabelMatchers>>}'",
    `- seriesQuery: '${READY}'`,
    '  resources: {namespaced: false}',
    "  name: {as: 'all_queues_messages_ready'}",
    "  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (queue)'",
    `- seriesQuery: '${READY}'`,
    "  resources: {template: 'kubernetes_<<.Resource>>'}",
    "  name: {as: 'templated_messages_ready'}",
    "  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'",
    `- seriesQuery: '${READY}'`,
    '  resources: {overrides: {namespace: {resource: namespace}}}',
    "  name: {as: 'messages_ready_scalar'}",
    "  metricsQuery: 'scalar(sum(<<.Series>>{<<.LabelMatchers>>}))'",
  ].join('\n'),
  'rules.yaml',
);

const { registry } = buildExternalRegistry(
  RULES.external,
  new Map([[READY, summarizeSeries([{ __name__: READY, namespace: 'default', queue: 'orders' }])]]),
);

const at = new Date('2026-11-22T10:00:00.750Z');
const signal = new AbortController().signal;

function provider(
  answer: (q: string) => InstantQueryResult | Error = () => ({ type: 'vector', samples: [] }),
) {
  const queries: string[] = [];
  const signals: Array<AbortSignal | undefined> = [];
  const prometheus: PrometheusClient = {
    query(q, options) {
      queries.push(q);
      signals.push(options?.signal);
      const a = answer(q);
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
    series: () => Promise.reject(new Error('not used')),
  };
  const logged: Array<[string, string]> = [];
  const p = createExternalMetricsProvider({
    registry: () => registry,
    mapper: createStandaloneResourceMapper(),
    prometheus,
    logQuery: (query, rule) => void logged.push([query, rule]),
  });
  return { p, queries, signals, logged };
}

const request = (metric: string, selector = '', namespace = 'default') => ({
  namespace,
  metric,
  metricSelector: selector === '' ? [] : parseLabelSelector(selector),
  signal,
});

describe('external metrics: the PromQL sent (SPEC 3.3)', () => {
  it.each<[what: string, metric: string, selector: string, promql: string]>([
    [
      'a namespaced rule adds <namespace label>="<ns>" after the selector',
      'queue_messages_ready',
      '',
      'rabbitmq_queue_messages_ready{namespace="default"}',
    ],
    [
      'the labelSelector becomes matchers, sorted by key, before the namespace',
      'queue_messages_ready',
      'vhost!=test,queue=orders',
      'rabbitmq_queue_messages_ready{queue="orders",vhost!="test",namespace="default"}',
    ],
    [
      'set-based requirements use the SPEC 3.3 table (values sorted)',
      'queue_messages_ready',
      'queue in (payments,orders),!paused,durable,vhost notin (test)',
      'rabbitmq_queue_messages_ready{durable!="",paused="",queue=~"orders|payments",vhost!~"test",namespace="default"}',
    ],
    [
      'namespaced: false leaves the request namespace out, .GroupBy stays empty of resources',
      'all_queues_messages_ready',
      'queue=orders',
      'sum(rabbitmq_queue_messages_ready{queue="orders"}) by (queue)',
    ],
    [
      'namespaced: false with no selector renders empty matchers',
      'all_queues_messages_ready',
      '',
      'sum(rabbitmq_queue_messages_ready{}) by (queue)',
    ],
    [
      'the namespace label may come from the template; .GroupBy is empty',
      'templated_messages_ready',
      '',
      'sum(rabbitmq_queue_messages_ready{kubernetes_namespace="default"}) by ()',
    ],
  ])('%s', async (_what, metric, selector, promql) => {
    const { p, queries, logged } = provider();
    await p.getExternalMetric(request(metric, selector));
    expect(queries).toEqual([promql]);
    expect(logged).toHaveLength(1);
    expect(logged[0]?.[0]).toBe(promql);
  });

  it('passes the request signal to Prometheus', async () => {
    const { p, signals } = provider();
    await p.getExternalMetric(request('queue_messages_ready'));
    expect(signals).toEqual([signal]);
  });

  it('the request namespace goes into the matcher as a quoted value', async () => {
    const { p, queries } = provider();
    await p.getExternalMetric(request('queue_messages_ready', '', 'team-"a"'));
    expect(queries).toEqual(['rabbitmq_queue_messages_ready{namespace="team-\\"a\\""}']);
  });

  it.each(['size>3', 'size<3'])('refuses %s with 400 before asking Prometheus', async (selector) => {
    const { p, queries } = provider();
    const err = (await p
      .getExternalMetric(request('queue_messages_ready', selector))
      .catch((e: unknown) => e)) as StatusError;
    expect(err).toBeInstanceOf(StatusError);
    expect(err.code).toBe(400);
    expect(queries).toEqual([]);
  });
});

describe('external metrics: values (SPEC 5.3)', () => {
  it('answers one item per sample with all its labels but __name__, its timestamp and raw value', async () => {
    const { p } = provider(() => ({
      type: 'vector',
      samples: [
        { labels: { __name__: READY, namespace: 'default', queue: 'orders' }, value: 120, timestamp: at },
        { labels: { __name__: READY, namespace: 'default', queue: 'payments' }, value: 30.5, timestamp: at },
      ],
    }));
    expect(await p.getExternalMetric(request('queue_messages_ready'))).toEqual([
      {
        metricName: 'queue_messages_ready',
        metricLabels: { namespace: 'default', queue: 'orders' },
        timestamp: at,
        value: 120,
      },
      {
        metricName: 'queue_messages_ready',
        metricLabels: { namespace: 'default', queue: 'payments' },
        timestamp: at,
        value: 30.5,
      },
    ]);
  });

  it('answers a scalar result as one item without labels', async () => {
    const { p, queries } = provider(() => ({ type: 'scalar', value: 150, timestamp: at }));
    expect(await p.getExternalMetric(request('messages_ready_scalar'))).toEqual([
      { metricName: 'messages_ready_scalar', metricLabels: {}, timestamp: at, value: 150 },
    ]);
    expect(queries).toEqual(['scalar(sum(rabbitmq_queue_messages_ready{namespace="default"}))']);
  });

  it('answers no samples with an empty list, not an error (the HPA reports it)', async () => {
    const { p } = provider();
    expect(await p.getExternalMetric(request('queue_messages_ready'))).toEqual([]);
  });

  it('passes NaN, ±Inf and huge values through unchanged; the server renders them (SPEC 6)', async () => {
    const values = [NaN, Infinity, -Infinity, 1e20];
    const { p } = provider(() => ({
      type: 'vector',
      samples: values.map((value, i) => ({ labels: { queue: `q${i}` }, value, timestamp: at })),
    }));
    const items = await p.getExternalMetric(request('queue_messages_ready'));
    expect(items.map((i) => i.value)).toEqual(values);
  });

  it('answers 404 naming the metric and namespace for a metric no external rule serves', async () => {
    const { p, queries } = provider();
    const err = (await p
      .getExternalMetric(request('rabbitmq_queue_messages_ready'))
      .catch((e: unknown) => e)) as StatusError;
    expect(err).toBeInstanceOf(StatusError);
    expect([err.code, err.reason, err.message]).toEqual([
      404,
      'NotFound',
      'the server could not find the metric rabbitmq_queue_messages_ready for namespaces default',
    ]);
    expect(queries).toEqual([]);
  });

  it('sees a new registry at once after a relist swap', async () => {
    let current = buildExternalRegistry(RULES.external, new Map()).registry;
    const p = createExternalMetricsProvider({
      registry: () => current,
      mapper: createStandaloneResourceMapper(),
      prometheus: {
        query: () => Promise.resolve({ type: 'vector', samples: [] }),
        series: () => Promise.reject(new Error('not used')),
      },
    });
    expect(p.listAllExternalMetrics()).toEqual([]);
    await expect(p.getExternalMetric(request('queue_messages_ready'))).rejects.toMatchObject({ code: 404 });
    current = registry;
    expect(p.listAllExternalMetrics()).toBe(registry.list);
    await expect(p.getExternalMetric(request('queue_messages_ready'))).resolves.toEqual([]);
  });

  it('answers 500 with a hint, not a broken query, when the resource mapping lost namespaces', async () => {
    const p = createExternalMetricsProvider({
      registry: () => registry,
      mapper: createStaticResourceMapper([]),
      prometheus: {
        query: () => Promise.reject(new Error('must not be asked')),
        series: () => Promise.reject(new Error('not used')),
      },
    });
    const err = (await p
      .getExternalMetric(request('queue_messages_ready'))
      .catch((e: unknown) => e)) as StatusError;
    expect(err.code).toBe(500);
    expect(err.message).toContain('externalRules[0] maps no label to namespaces');
  });

  it.each<[PrometheusErrorKind, number]>([
    ['timeout', 503],
    ['aborted', 503],
    ['unreachable', 503],
    ['http', 503],
    ['query', 500],
    ['bad_response', 500],
  ])('maps a Prometheus %s failure to %i without leaking details', async (kind, code) => {
    const { p } = provider(
      () => new PrometheusError(kind, 'query "x" at http://secret-host:9090/api/v1/query failed'),
    );
    const err = (await p
      .getExternalMetric(request('queue_messages_ready'))
      .catch((e: unknown) => e)) as StatusError;
    expect(err).toBeInstanceOf(StatusError);
    expect(err.code).toBe(code);
    expect(err.message).toContain('queue_messages_ready');
    expect(err.message).not.toContain('secret-host');
    expect(err.cause).toBeInstanceOf(PrometheusError);
  });
});
