/**
 * The queue-worker scenario end to end: a real Prometheus (and then VictoriaMetrics) with backfilled data, the built
 * adapter in standalone mode with the queue-worker rules, read over HTTPS and with the real kubectl, in both API
 * versions.
 *
 * NB: VictoriaMetrics' rate() does not extrapolate to the window edges as Prometheus' does; on these linear counters
 * both give the exact rate, so the same quantities are asserted. gauge_queue_size of the growing pod depends on
 * which samples fall in the 2m window (each backend picks its own edges), so only its shape is asserted.
 * VictoriaMetrics has no query log: the PromQL sent is read from the adapter's own log for both backends, and for
 * Prometheus also from Prometheus' query log.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AdapterProcess } from '../../src/cli/demo/adapter-process.js';
import { startPrometheus } from '../../src/cli/demo/prometheus-process.js';
import { startStandaloneAdapter } from '../support/adapter.js';
import { BACKENDS, startBackend, type Backend, type BackendKind } from '../support/backends.js';
import { getJson } from '../support/https.js';
import { kubectlGetRaw } from '../support/kubectl.js';
import { POD, queueWorkerOpenMetrics } from '../support/queue-worker-data.js';

let backend: Backend;
/** Prometheus' query log, when the backend is Prometheus. */
let queryLogPath: string | undefined;
let adapter: AdapterProcess;
const BASE = '/apis/custom.metrics.k8s.io';

async function start(kind: BackendKind): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pma-e2e-'));
  if (kind === 'prometheus') {
    const prometheus = await startPrometheus({ dir, backfill: queueWorkerOpenMetrics(), queryLog: true });
    queryLogPath = prometheus.queryLogPath;
    backend = { kind, url: prometheus.url, logs: () => prometheus.logs(), stop: () => prometheus.stop() };
  } else {
    queryLogPath = undefined;
    backend = await startBackend(kind, { dir, backfill: queueWorkerOpenMetrics() });
  }
  adapter = await startStandaloneAdapter(backend.url, ['--metrics-relist-interval=1m', '--v=8']);
}

/** The PromQL queries the adapter logged (`--v` ≥ 6) as sent. */
function adapterQueries(): string[] {
  return adapter.child
    .logs()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; query?: string })
    .filter((l) => l.msg === 'query' && l.query !== undefined)
    .map((l) => l.query!);
}

interface Item {
  describedObject: { kind: string; namespace?: string; name: string; apiVersion: string };
  metric?: { name: string; selector: unknown };
  metricName?: string;
  timestamp: string;
  value: string;
  selector?: unknown;
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

describe.each(BACKENDS)('the queue-worker scenario against %s', (kind) => {
  beforeAll(() => start(kind), 60_000);

  afterAll(async () => {
    await adapter?.child.stop();
    await backend?.stop();
  });

  describe('discovery (SPEC 5.1)', () => {
    it.each(['v1beta2', 'v1beta1'])(
      'lists every queue-worker metric for pods and namespaces in %s, sorted',
      async (version) => {
        const res = await get(`${BASE}/${version}`);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        const body = res.body as {
          kind: string;
          apiVersion: string;
          groupVersion: string;
          resources: Array<Record<string, unknown>>;
        };
        expect(body.kind).toBe('APIResourceList');
        expect(body.groupVersion).toBe(`custom.metrics.k8s.io/${version}`);
        const expected = ['namespaces', 'pods']
          .flatMap((r) => SERIES.flatMap((s) => [`${r}/counter_${s}`, `${r}/gauge_${s}`]))
          .sort();
        expect(body.resources.map((r) => r.name)).toEqual(expected);
        expect(body.resources.find((r) => r.name === 'pods/counter_qps')).toEqual({
          name: 'pods/counter_qps',
          singularName: '',
          namespaced: true,
          kind: 'MetricValueList',
          verbs: ['get'],
        });
        expect(body.resources.find((r) => r.name === 'namespaces/counter_qps')?.namespaced).toBe(false);
      },
    );

    it('advertises the group with v1beta2 preferred', async () => {
      const res = await get('/apis');
      const group = (
        res.body as {
          groups: Array<{ name: string; preferredVersion: { version: string }; versions: unknown[] }>;
        }
      ).groups.find((g) => g.name === 'custom.metrics.k8s.io');
      expect(group?.preferredVersion.version).toBe('v1beta2');
      expect(group?.versions).toEqual([
        { groupVersion: 'custom.metrics.k8s.io/v1beta2', version: 'v1beta2' },
        { groupVersion: 'custom.metrics.k8s.io/v1beta1', version: 'v1beta1' },
      ]);
    });
  });

  describe('custom metric values (SPEC 3.3, 5.2, 6)', () => {
    it('serves counter_qps for every pod of the namespace (v1beta2), exact rendered quantities', async () => {
      const res = await get(`${BASE}/v1beta2/namespaces/default/pods/%2A/counter_qps`);
      expect(res.status).toBe(200);
      const list = res.body as List;
      expect(list.kind).toBe('MetricValueList');
      expect(list.apiVersion).toBe('custom.metrics.k8s.io/v1beta2');
      expect(list.metadata).toEqual({});
      expect(Object.fromEntries(list.items.map((i) => [i.describedObject.name, i.value]))).toEqual({
        [POD.a]: '3500m',
        [POD.b]: '80500m',
        [POD.c]: '120',
      });
      const first = list.items[0]!;
      expect(Object.keys(first)).toEqual(['describedObject', 'metric', 'timestamp', 'value']);
      expect(first.describedObject).toEqual({
        kind: 'Pod',
        namespace: 'default',
        name: POD.a,
        apiVersion: '/v1',
      });
      expect(first.metric).toEqual({ name: 'counter_qps', selector: null });
      expect(first.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(Math.abs(Date.parse(first.timestamp) - Date.now())).toBeLessThan(60_000);
    });

    it('serves the same values in v1beta1 with its item shape', async () => {
      const res = await get(`${BASE}/v1beta1/namespaces/default/pods/*/counter_qps`);
      const list = res.body as List;
      expect(list.apiVersion).toBe('custom.metrics.k8s.io/v1beta1');
      expect(list.items.map((i) => i.value)).toEqual(['3500m', '80500m', '120']);
      expect(Object.keys(list.items[0]!)).toEqual([
        'describedObject',
        'metricName',
        'timestamp',
        'value',
        'selector',
      ]);
      expect(list.items[0]!.metricName).toBe('counter_qps');
      expect(list.items[0]!.selector).toBeNull();
    });

    it.each(['v1beta2', 'v1beta1'])(
      'serves one pod (an Object metric) as exactly one item in %s',
      async (version) => {
        const res = await get(`${BASE}/${version}/namespaces/default/pods/${POD.b}/counter_qps`);
        expect(res.status).toBe(200);
        const list = res.body as List;
        expect(list.items).toHaveLength(1);
        expect(list.items[0]!.value).toBe('80500m');
        expect(list.items[0]!.describedObject.name).toBe(POD.b);
      },
    );

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
      expect(await values(`${BASE}/v1beta1/namespaces/default/pods/${POD.a}/gauge_queue_size`)).toEqual({
        [POD.a]: '40',
      });
    });

    it('keeps namespaces apart: staging has only its own pod', async () => {
      expect(await values(`${BASE}/v1beta2/namespaces/staging/pods/*/counter_qps`)).toEqual({
        [POD.other]: '1',
      });
    });

    it('serves the cadvisor-derived metrics (rate of container CPU includes the POD container, like upstream)', async () => {
      expect(
        await values(`${BASE}/v1beta2/namespaces/default/pods/*/counter_container_cpu_usage_seconds_total`),
      ).toEqual({
        [POD.a]: '260m',
      });
      expect(
        await values(`${BASE}/v1beta2/namespaces/default/pods/*/gauge_container_memory_working_set_bytes`),
      ).toEqual({
        [POD.a]: '268435456',
      });
    });

    it('serves the namespace object itself through namespaces/{ns}/metrics/{metric}', async () => {
      const res = await get(`${BASE}/v1beta2/namespaces/default/metrics/counter_qps`);
      expect(res.status).toBe(200);
      const list = res.body as List;
      expect(list.items).toHaveLength(1);
      expect(list.items[0]!.describedObject).toEqual({
        kind: 'Namespace',
        name: 'default',
        apiVersion: '/v1',
      });
      expect(list.items[0]!.value).toBe('204');
    });

    it('applies metricLabelSelector and echoes it as a LabelSelector', async () => {
      const res = await get(
        `${BASE}/v1beta2/namespaces/default/pods/*/counter_qps?metricLabelSelector=${encodeURIComponent('job=kubernetes-pods')}`,
      );
      expect(res.status).toBe(200);
      const list = res.body as List;
      expect(list.items).toHaveLength(3);
      expect(list.items[0]!.metric).toEqual({
        name: 'counter_qps',
        selector: { matchLabels: { job: 'kubernetes-pods' } },
      });
    });

    it('sent the backend exactly the PromQL of SPEC 3.3', () => {
      const expected = [
        `sum(rate(qps{kubernetes_namespace="default",kubernetes_pod_name="${POD.b}"}[2m])) by (kubernetes_pod_name)`,
        'sum(rate(qps{job="kubernetes-pods",kubernetes_namespace="default",kubernetes_pod_name=~".+"}[2m])) by (kubernetes_pod_name)',
      ];
      expect(adapterQueries()).toEqual(expect.arrayContaining(expected));
      if (queryLogPath !== undefined) {
        const received = readFileSync(queryLogPath, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => (JSON.parse(l) as { params: { query: string } }).params.query);
        expect(received).toEqual(expect.arrayContaining(expected));
      }
    });
  });

  describe('logging verbosity (SPEC 2: --v)', () => {
    it('logs every PromQL query at --v >= 6 and every response body at --v >= 8, as JSON lines', () => {
      const lines = adapter.child
        .logs()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map(
          (l) =>
            JSON.parse(l) as {
              msg?: string;
              query?: string;
              status?: number;
              component?: string;
              reqId?: string;
            },
        );
      const query = lines.find(
        (l) =>
          l.msg === 'query' &&
          l.query ===
            `sum(rate(qps{kubernetes_namespace="default",kubernetes_pod_name="${POD.b}"}[2m])) by (kubernetes_pod_name)`,
      );
      expect(query).toMatchObject({ component: 'prometheus', reqId: expect.any(String) });
      // The query line carries the id of the request that caused it, as does that request's own line.
      expect(lines).toContainEqual(
        expect.objectContaining({ msg: 'request completed', reqId: query?.reqId, statusCode: 200 }),
      );
      expect(lines).toContainEqual(
        expect.objectContaining({ msg: 'response', component: 'prometheus', status: 200 }),
      );
    });
  });

  describe('errors are Status bodies (SPEC 5.5)', () => {
    it('answers 404 NotFound for an unknown metric', async () => {
      const res = await get(`${BASE}/v1beta2/namespaces/default/pods/*/no_such_metric`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'the server could not find the metric no_such_metric for pods',
        reason: 'NotFound',
        code: 404,
      });
    });

    it('answers 400 BadRequest for a malformed selector, naming the parameter', async () => {
      const res = await get(
        `${BASE}/v1beta2/namespaces/default/pods/*/counter_qps?metricLabelSelector=${encodeURIComponent('app in (')}`,
      );
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
      expect((res.body as { message: string }).message).toContain('metricLabelSelector');
    });

    it('answers 400 for an object labelSelector in standalone mode, explaining that it needs the Kubernetes API', async () => {
      const res = await get(
        `${BASE}/v1beta2/namespaces/default/pods/*/counter_qps?labelSelector=app%3Dexample`,
      );
      expect(res.status).toBe(400);
      expect((res.body as { message: string }).message).toMatch(/needs the Kubernetes API/);
    });

    it('answers 404 when no pod in the namespace has a value', async () => {
      const res = await get(`${BASE}/v1beta2/namespaces/empty/pods/*/counter_qps`);
      expect(res.status).toBe(404);
      expect((res.body as { message: string }).message).toContain('counter_qps');
    });
  });

  describe('the real kubectl reads the adapter', () => {
    it.each(['v1beta2', 'v1beta1'])('get --raw discovery and values (%s)', async (version) => {
      const discovery = await kubectlGetRaw(adapter.url, `${BASE}/${version}`);
      expect(discovery.stderr).toBe('');
      expect(discovery.code).toBe(0);
      expect(
        (JSON.parse(discovery.stdout) as { resources: Array<{ name: string }> }).resources.map((r) => r.name),
      ).toContain('pods/counter_qps');
      const res = await kubectlGetRaw(
        adapter.url,
        `${BASE}/${version}/namespaces/default/pods/*/counter_queue_size`,
      );
      expect(res.code).toBe(0);
      const list = JSON.parse(res.stdout) as List;
      expect(list.items.map((i) => [i.describedObject.name, i.value])).toEqual([
        [POD.a, '0'],
        [POD.b, '0'],
        [POD.c, '250m'],
      ]);
    });

    it('kubectl shows a Status error as a server error', async () => {
      const res = await kubectlGetRaw(
        adapter.url,
        `${BASE}/v1beta2/namespaces/default/pods/*/no_such_metric`,
      );
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain('the server could not find the metric no_such_metric for pods');
    });
  });
});
