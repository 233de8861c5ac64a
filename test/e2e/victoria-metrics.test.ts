/**
 * The queue-worker scenario end to end against VictoriaMetrics (single node) instead of Prometheus: the built
 * adapter in standalone mode with the queue-worker rules serves the same values, since VictoriaMetrics answers the
 * Prometheus HTTP API (`/api/v1/series`, `/api/v1/query`) and MetricsQL accepts these PromQL rules unchanged.
 *
 * NB: VictoriaMetrics' rate() does not extrapolate to the window edges as Prometheus' does; on these linear
 * counters both give the exact rate, so the quantities asserted are the same as in queue-worker.test.ts.
 * gauge_queue_size of the growing pod depends on which samples fall in the 2m window (each backend picks its own
 * edges), so, as there, only its shape is asserted. VictoriaMetrics has no query log, so the PromQL sent is read
 * from the adapter's own `--v=6` log.
 */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AdapterProcess } from '../../src/cli/demo/adapter-process.js';
import { startStandaloneAdapter } from '../support/adapter.js';
import { getJson } from '../support/https.js';
import { POD, queueWorkerOpenMetrics } from '../support/queue-worker-data.js';
import { startVictoriaMetrics, type VictoriaMetricsProcess } from '../support/victoria-metrics.js';

let dir: string;
let vm: VictoriaMetricsProcess;
let adapter: AdapterProcess;
const BASE = '/apis/custom.metrics.k8s.io';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pma-e2e-vm-'));
  vm = await startVictoriaMetrics({ dir, backfill: queueWorkerOpenMetrics() });
  adapter = await startStandaloneAdapter(vm.url, ['--metrics-relist-interval=1m', '--v=6']);
}, 60_000);

afterAll(async () => {
  await adapter?.child.stop();
  await vm?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Item {
  describedObject: { kind: string; namespace?: string; name: string; apiVersion: string };
  metric?: { name: string; selector: unknown };
  metricName?: string;
  timestamp: string;
  value: string;
}
interface List {
  kind: string;
  apiVersion: string;
  items: Item[];
}

async function get(path: string) {
  return getJson(`${adapter.url}${path}`, { timeoutMs: 15_000 });
}

async function values(path: string): Promise<Record<string, string>> {
  const res = await get(path);
  expect(res.status).toBe(200);
  return Object.fromEntries((res.body as List).items.map((i) => [i.describedObject.name, i.value]));
}

const SERIES = [
  'container_cpu_usage_seconds_total',
  'container_memory_working_set_bytes',
  'qps',
  'queue_size',
];

describe('discovery from VictoriaMetrics series (SPEC 4, 5.1)', () => {
  it.each(['v1beta2', 'v1beta1'])(
    'lists every queue-worker metric for pods and namespaces in %s',
    async (version) => {
      const res = await get(`${BASE}/${version}`);
      expect(res.status).toBe(200);
      const expected = ['namespaces', 'pods']
        .flatMap((r) => SERIES.flatMap((s) => [`${r}/counter_${s}`, `${r}/gauge_${s}`]))
        .sort();
      expect((res.body as { resources: Array<{ name: string }> }).resources.map((r) => r.name)).toEqual(
        expected,
      );
    },
  );
});

describe('custom metric values from VictoriaMetrics (SPEC 3.3, 5.2, 6)', () => {
  it('serves counter_qps for every pod of the namespace (v1beta2), exact rendered quantities', async () => {
    const res = await get(`${BASE}/v1beta2/namespaces/default/pods/%2A/counter_qps`);
    expect(res.status).toBe(200);
    const list = res.body as List;
    expect(list.kind).toBe('MetricValueList');
    expect(list.apiVersion).toBe('custom.metrics.k8s.io/v1beta2');
    expect(Object.fromEntries(list.items.map((i) => [i.describedObject.name, i.value]))).toEqual({
      [POD.a]: '3500m',
      [POD.b]: '80500m',
      [POD.c]: '120',
    });
    const first = list.items[0]!;
    expect(first.describedObject).toEqual({
      kind: 'Pod',
      namespace: 'default',
      name: POD.a,
      apiVersion: '/v1',
    });
    expect(first.metric).toEqual({ name: 'counter_qps', selector: null });
    expect(Math.abs(Date.parse(first.timestamp) - Date.now())).toBeLessThan(60_000);
  });

  it('serves the same values in v1beta1', async () => {
    const res = await get(`${BASE}/v1beta1/namespaces/default/pods/*/counter_qps`);
    const list = res.body as List;
    expect(list.apiVersion).toBe('custom.metrics.k8s.io/v1beta1');
    expect(list.items.map((i) => i.value)).toEqual(['3500m', '80500m', '120']);
    expect(list.items[0]!.metricName).toBe('counter_qps');
  });

  it('serves one pod (an Object metric) as exactly one item', async () => {
    expect(await values(`${BASE}/v1beta2/namespaces/default/pods/${POD.b}/counter_qps`)).toEqual({
      [POD.b]: '80500m',
    });
  });

  it('serves counter_queue_size (the rate of the backlog) and gauge_queue_size (its 2m average)', async () => {
    expect(await values(`${BASE}/v1beta2/namespaces/default/pods/*/counter_queue_size`)).toEqual({
      [POD.a]: '0',
      [POD.b]: '0',
      [POD.c]: '250m',
    });
    const gauges = await values(`${BASE}/v1beta2/namespaces/default/pods/*/gauge_queue_size`);
    expect(gauges[POD.a]).toBe('40');
    expect(gauges[POD.b]).toBe('1500');
    expect(gauges[POD.c]).toMatch(/^\d+m?$/);
  });

  it('keeps namespaces apart: staging has only its own pod', async () => {
    expect(await values(`${BASE}/v1beta2/namespaces/staging/pods/*/counter_qps`)).toEqual({
      [POD.other]: '1',
    });
  });

  it('serves the cadvisor-derived metrics', async () => {
    expect(
      await values(`${BASE}/v1beta2/namespaces/default/pods/*/counter_container_cpu_usage_seconds_total`),
    ).toEqual({ [POD.a]: '260m' });
    expect(
      await values(`${BASE}/v1beta2/namespaces/default/pods/*/gauge_container_memory_working_set_bytes`),
    ).toEqual({ [POD.a]: '268435456' });
  });

  it('serves the namespace object itself through namespaces/{ns}/metrics/{metric}', async () => {
    const res = await get(`${BASE}/v1beta2/namespaces/default/metrics/counter_qps`);
    expect(res.status).toBe(200);
    const list = res.body as List;
    expect(list.items).toHaveLength(1);
    expect(list.items[0]!.describedObject).toEqual({ kind: 'Namespace', name: 'default', apiVersion: '/v1' });
    expect(list.items[0]!.value).toBe('204');
  });

  it('applies metricLabelSelector', async () => {
    const selector = encodeURIComponent('job=kubernetes-pods');
    const res = await get(
      `${BASE}/v1beta2/namespaces/default/pods/*/counter_qps?metricLabelSelector=${selector}`,
    );
    expect(res.status).toBe(200);
    expect((res.body as List).items).toHaveLength(3);
  });

  it('sent VictoriaMetrics exactly the PromQL of SPEC 3.3', () => {
    const queries = adapter.child
      .logs()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; query?: string })
      .filter((l) => l.msg === 'query')
      .map((l) => l.query);
    expect(queries).toContain(
      `sum(rate(qps{kubernetes_namespace="default",kubernetes_pod_name="${POD.b}"}[2m])) by (kubernetes_pod_name)`,
    );
    expect(queries).toContain(
      'sum(rate(qps{job="kubernetes-pods",kubernetes_namespace="default",kubernetes_pod_name=~".+"}[2m])) by (kubernetes_pod_name)',
    );
  });
});

describe('errors are Status bodies (SPEC 5.5)', () => {
  it('answers 404 NotFound for an unknown metric', async () => {
    const res = await get(`${BASE}/v1beta2/namespaces/default/pods/*/no_such_metric`);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({
      kind: 'Status',
      message: 'the server could not find the metric no_such_metric for pods',
      reason: 'NotFound',
      code: 404,
    });
  });

  it('answers 404 when no pod in the namespace has a value', async () => {
    const res = await get(`${BASE}/v1beta2/namespaces/empty/pods/*/counter_qps`);
    expect(res.status).toBe(404);
    expect((res.body as { message: string }).message).toContain('counter_qps');
  });
});
