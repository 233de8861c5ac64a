/**
 * External metrics end to end (SPEC 3, 5.3, 6): a real Prometheus backfilled with a RabbitMQ exporter's queue
 * backlog and the queue-worker pods' queue sizes, the built adapter in standalone mode with external rules written
 * here, read over HTTPS like the HPA reads an `External` metric.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import type { AdapterProcess } from '../../src/cli/demo/adapter-process.js';
import { startPrometheus, type PrometheusProcess } from '../../src/cli/demo/prometheus-process.js';
import { startStandaloneAdapter } from '../support/adapter.js';
import { getJson } from '../support/https.js';
import { kubectlGetRaw } from '../support/kubectl.js';
import { joinOpenMetrics, queueBrokerOpenMetrics, READY } from '../support/queue-broker-data.js';
import { POD, QUEUE, queueWorkerOpenMetrics } from '../support/queue-worker-data.js';

const RULES = `
externalRules:
# The broker's queues, in the namespace the exporter labels them with.
- seriesQuery: '{__name__=~"^rabbitmq_queue_.*",namespace!=""}'
  resources:
    overrides:
      namespace: {resource: namespace}
  name: {matches: '^rabbitmq_(.*)$', as: '\${1}'}
  metricsQuery: '<<.Series>>{<<.LabelMatchers>>}'
# The same backlog whatever namespace asks (namespaced: false).
- seriesQuery: 'rabbitmq_queue_messages_ready'
  resources: {namespaced: false}
  name: {matches: '^rabbitmq_queue_messages_ready$', as: 'all_namespaces_queue_messages_ready'}
  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (queue)'
# A scalar total.
- seriesQuery: 'rabbitmq_queue_messages_ready'
  resources: {overrides: {namespace: {resource: namespace}}}
  name: {matches: '^rabbitmq_queue_messages_ready$', as: 'queue_messages_ready_total'}
  metricsQuery: 'scalar(sum(<<.Series>>{<<.LabelMatchers>>}))'
# The queue-worker pods' backlog; the namespace label comes from the template (kubernetes_namespace).
- seriesQuery: '{__name__="queue_size",kubernetes_namespace!=""}'
  resources: {template: 'kubernetes_<<.Resource>>'}
  name: {matches: '^queue_size$', as: 'queue_worker_backlog'}
  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (kubernetes_pod_name)'
`;

const BASE = '/apis/external.metrics.k8s.io/v1beta1';
const MAX_MILLI = '9223372036854775807m';

let prometheus: PrometheusProcess;
let adapter: AdapterProcess;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pma-e2e-external-'));
  const config = join(dir, 'rules.yaml');
  writeFileSync(config, RULES);
  const now = Date.now();
  prometheus = await startPrometheus({
    dir,
    backfill: joinOpenMetrics(queueWorkerOpenMetrics(now), queueBrokerOpenMetrics(now)),
    queryLog: true,
  });
  adapter = await startStandaloneAdapter(prometheus.url, ['--metrics-relist-interval=1m', '--v=6'], {
    config,
  });
}, 60_000);

afterAll(async () => {
  await adapter?.child.stop();
  await prometheus?.stop();
});

interface Item {
  metricName: string;
  metricLabels: Record<string, string>;
  timestamp: string;
  value: string;
}
interface List {
  kind: string;
  apiVersion: string;
  metadata: object;
  items: Item[];
}

async function get(path: string) {
  return getJson(`${adapter.url}${path}`, { timeoutMs: 15_000 });
}

async function list(path: string): Promise<List> {
  const res = await get(path);
  expect(res.status).toBe(200);
  return res.body as List;
}

/** `queue` label → value, for answers whose items differ by queue. */
async function byQueue(path: string): Promise<Record<string, string>> {
  const entries = (await list(path)).items.map((i): [string, string] => [
    i.metricLabels.queue ?? '',
    i.value,
  ]);
  return Object.fromEntries(entries);
}

const selector = (text: string) => `?labelSelector=${encodeURIComponent(text)}`;

/** `resource.Quantity.MilliValue()` of the canonical strings the adapter writes (integers, or a suffix). */
function milliValue(quantity: string): number {
  const m = /^(-?\d+)(m|k|M|G|T|P|E)?$/.exec(quantity);
  if (m === null) throw new Error(`not a canonical quantity: ${quantity}`);
  const exponent = { m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 }[m[2] ?? ''] ?? 0;
  return Number(m[1]) * 10 ** (exponent + 3);
}

describe('discovery (SPEC 5.1)', () => {
  it('lists every external metric, namespaced, sorted', async () => {
    const res = await get(BASE);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'external.metrics.k8s.io/v1beta1',
      resources: [
        'all_namespaces_queue_messages_ready',
        'queue_consumer_utilisation',
        'queue_messages_ready',
        'queue_messages_ready_total',
        'queue_worker_backlog',
      ].map((name) => ({
        name,
        singularName: '',
        namespaced: true,
        kind: 'ExternalMetricValueList',
        verbs: ['get'],
      })),
    });
  });

  it('advertises external.metrics.k8s.io v1beta1 next to custom.metrics.k8s.io', async () => {
    const res = await get('/apis');
    const groups = (res.body as { groups: Array<{ name: string; preferredVersion: { version: string } }> })
      .groups;
    expect(groups.map((g) => [g.name, g.preferredVersion.version])).toEqual([
      ['custom.metrics.k8s.io', 'v1beta2'],
      ['external.metrics.k8s.io', 'v1beta1'],
    ]);
  });
});

describe("a queue broker's backlog as an external metric (SPEC 5.3)", () => {
  it('serves every queue of the namespace, one item per sample with all its labels', async () => {
    const body = await list(`${BASE}/namespaces/default/queue_messages_ready`);
    expect(body.kind).toBe('ExternalMetricValueList');
    expect(body.apiVersion).toBe('external.metrics.k8s.io/v1beta1');
    expect(body.metadata).toEqual({});
    const items = [...body.items].sort((a, b) => a.metricLabels.queue!.localeCompare(b.metricLabels.queue!));
    expect(items.map(({ timestamp: _t, ...rest }) => rest)).toEqual([
      {
        metricName: 'queue_messages_ready',
        metricLabels: { job: 'rabbitmq', namespace: 'default', queue: 'orders' },
        value: String(READY.orders.value),
      },
      {
        metricName: 'queue_messages_ready',
        metricLabels: { job: 'rabbitmq', namespace: 'default', queue: 'payments' },
        value: String(READY.payments.value),
      },
    ]);
    expect(Object.keys(body.items[0]!)).toEqual(['metricName', 'metricLabels', 'timestamp', 'value']);
    const timestamp = body.items[0]!.timestamp;
    expect(timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(Date.parse(timestamp) - Date.now())).toBeLessThan(60_000);
  });

  it('selects samples with the labelSelector (queue=orders)', async () => {
    expect(
      await byQueue(`${BASE}/namespaces/default/queue_messages_ready${selector('queue=orders')}`),
    ).toEqual({
      orders: '120',
    });
  });

  it('keeps namespaces apart for a namespaced rule', async () => {
    expect(await byQueue(`${BASE}/namespaces/billing/queue_messages_ready`)).toEqual({ invoices: '7' });
    expect((await list(`${BASE}/namespaces/empty/queue_messages_ready`)).items).toEqual([]);
  });

  it.each(['default', 'billing', 'empty'])(
    'does not match the request namespace (%s) for namespaced: false',
    async (namespace) => {
      expect(await byQueue(`${BASE}/namespaces/${namespace}/all_namespaces_queue_messages_ready`)).toEqual({
        orders: '120',
        payments: '30',
        invoices: '7',
      });
    },
  );

  it('applies the labelSelector for namespaced: false as well', async () => {
    expect(
      await byQueue(
        `${BASE}/namespaces/billing/all_namespaces_queue_messages_ready${selector('queue=orders')}`,
      ),
    ).toEqual({ orders: '120' });
  });

  it('serves a scalar result as one item without labels', async () => {
    const body = await list(`${BASE}/namespaces/default/queue_messages_ready_total`);
    expect(body.items.map(({ timestamp: _t, ...rest }) => rest)).toEqual([
      { metricName: 'queue_messages_ready_total', metricLabels: {}, value: '150' },
    ]);
  });

  it('renders NaN as 0 and clamps huge and infinite values (SPEC 6)', async () => {
    expect(await byQueue(`${BASE}/namespaces/default/queue_consumer_utilisation`)).toEqual({
      orders: '0',
      payments: MAX_MILLI,
      refunds: `-${MAX_MILLI}`,
    });
  });

  it('answers with an empty list when nothing matches (the HPA reports it)', async () => {
    expect(
      (await list(`${BASE}/namespaces/default/queue_messages_ready${selector('queue=nope')}`)).items,
    ).toEqual([]);
  });
});

describe("the queue-worker HPA's backlog as an External metric (SPEC 7)", () => {
  const hpa = parse(readFileSync('test/fixtures/queue-worker/hpa-queue-size-v2beta1.yaml', 'utf8')) as {
    spec: {
      minReplicas: number;
      maxReplicas: number;
      metrics: Array<{ pods: { targetAverageValue: number } }>;
    };
  };

  it('gives the HPA the summed backlog of the selected pods and the replica count it leads to', async () => {
    // As the HPA asks for `external: {metric: {name, selector: {matchExpressions: [{key: kubernetes_pod_name,
    // operator: In, values: [a, b]}]}}, target: {type: AverageValue}}`: the selector serialized by client-go.
    const body = await list(
      `${BASE}/namespaces/default/queue_worker_backlog${selector(`kubernetes_pod_name in (${POD.a},${POD.b})`)}`,
    );
    expect(Object.fromEntries(body.items.map((i) => [i.metricLabels.kubernetes_pod_name, i.value]))).toEqual({
      [POD.a]: String(QUEUE[POD.a]),
      [POD.b]: String(QUEUE[POD.b]),
    });
    // The HPA sums MilliValue() over the items and divides by the target average per pod.
    const usageMilli = body.items.reduce((sum, i) => sum + milliValue(i.value), 0);
    expect(usageMilli).toBe(1_540_000);
    const targetMilli = hpa.spec.metrics[0]!.pods.targetAverageValue * 1000;
    const desired = Math.ceil(usageMilli / targetMilli);
    expect(desired).toBe(154);
    expect(Math.min(hpa.spec.maxReplicas, Math.max(hpa.spec.minReplicas, desired))).toBe(10);
  });

  it('without a selector, every pod of the namespace counts', async () => {
    const body = await list(`${BASE}/namespaces/default/queue_worker_backlog`);
    expect(body.items.map((i) => i.metricLabels.kubernetes_pod_name).sort()).toEqual([POD.a, POD.b, POD.c]);
  });
});

describe('errors are Status bodies (SPEC 5.5)', () => {
  it('answers 404 NotFound for a metric no external rule serves', async () => {
    const res = await get(`${BASE}/namespaces/default/rabbitmq_queue_messages_ready`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server could not find the metric rabbitmq_queue_messages_ready for namespaces default',
      reason: 'NotFound',
      code: 404,
    });
  });

  it.each(['messages>3', 'queue in ('])('answers 400 BadRequest for the labelSelector %s', async (text) => {
    const res = await get(`${BASE}/namespaces/default/queue_messages_ready${selector(text)}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    expect((res.body as { message: string }).message).toContain('labelSelector');
  });
});

describe('Prometheus received the PromQL of SPEC 3.3', () => {
  it('with the selector first, then the namespace only for namespaced rules, and no group-by', () => {
    const queries = readFileSync(prometheus.queryLogPath!, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => (JSON.parse(l) as { params: { query: string } }).params.query);
    for (const query of [
      'rabbitmq_queue_messages_ready{namespace="default"}',
      'rabbitmq_queue_messages_ready{queue="orders",namespace="default"}',
      'rabbitmq_queue_messages_ready{namespace="billing"}',
      'sum(rabbitmq_queue_messages_ready{}) by (queue)',
      'sum(rabbitmq_queue_messages_ready{queue="orders"}) by (queue)',
      'scalar(sum(rabbitmq_queue_messages_ready{namespace="default"}))',
      'rabbitmq_queue_consumer_utilisation{namespace="default"}',
      `sum(queue_size{kubernetes_pod_name=~"${POD.a}|${POD.b}",kubernetes_namespace="default"}) by (kubernetes_pod_name)`,
      'sum(queue_size{kubernetes_namespace="default"}) by (kubernetes_pod_name)',
    ]) {
      expect(queries).toContain(query);
    }
    expect(queries.filter((q) => q.includes('namespace="billing"'))).toEqual([
      'rabbitmq_queue_messages_ready{namespace="billing"}',
    ]);
  });
});

describe('the real kubectl reads the external metrics API', () => {
  it('get --raw discovery and values', async () => {
    const discovery = await kubectlGetRaw(adapter.url, BASE);
    expect(discovery.stderr).toBe('');
    expect(discovery.code).toBe(0);
    expect(
      (JSON.parse(discovery.stdout) as { resources: Array<{ name: string }> }).resources.map((r) => r.name),
    ).toContain('queue_messages_ready');
    const res = await kubectlGetRaw(
      adapter.url,
      `${BASE}/namespaces/default/queue_messages_ready${selector('queue=payments')}`,
    );
    expect(res.code).toBe(0);
    expect((JSON.parse(res.stdout) as List).items.map((i) => i.value)).toEqual(['30']);
  });
});
