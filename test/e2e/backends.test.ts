/**
 * Backends that scale out put the Prometheus API under a path prefix and select the tenant by a header: Grafana
 * Mimir and Cortex serve it under `/prometheus` and read `X-Scope-OrgID`. A recording reverse proxy stands in for
 * such a gateway in front of a real Prometheus, and the built adapter is pointed at it with
 * `--prometheus-url=<proxy>/prometheus --prometheus-header=X-Scope-OrgID=team-a`.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AdapterProcess } from '../../src/cli/demo/adapter-process.js';
import { startPrometheus, type PrometheusProcess } from '../../src/cli/demo/prometheus-process.js';
import { startStandaloneAdapter } from '../support/adapter.js';
import { getJson } from '../support/https.js';
import { POD, queueWorkerOpenMetrics } from '../support/queue-worker-data.js';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy.js';

const BASE = '/apis/custom.metrics.k8s.io/v1beta2';
/** Enough `in` values that the rendered query is longer than the 4096 characters a GET may carry. */
const OTHER_JOBS = Array.from({ length: 300 }, (_, i) => `other-job-${String(i).padStart(5, '0')}`);

let dir: string;
let prometheus: PrometheusProcess;
let proxy: RecordingProxy;
let adapter: AdapterProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pma-e2e-backends-'));
  prometheus = await startPrometheus({ dir, backfill: queueWorkerOpenMetrics(), queryLog: true });
  proxy = await startRecordingProxy(prometheus.url, { prefix: '/prometheus' });
  adapter = await startStandaloneAdapter(proxy.url, [
    '--metrics-relist-interval=1m',
    '--prometheus-header=X-Scope-OrgID=team-a',
  ]);
}, 60_000);

afterAll(async () => {
  await adapter?.child.stop();
  await proxy?.stop();
  await prometheus?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function values(path: string): Promise<Record<string, string>> {
  const res = await getJson(`${adapter.url}${path}`, { timeoutMs: 15_000 });
  expect(res.status).toBe(200);
  const items = (res.body as { items: Array<{ describedObject: { name: string }; value: string }> }).items;
  return Object.fromEntries(items.map((i) => [i.describedObject.name, i.value]));
}

describe('a Mimir/Cortex-style gateway: path prefix and tenant header', () => {
  it('serves the custom metrics through the prefix', async () => {
    expect(await values(`${BASE}/namespaces/default/pods/*/counter_qps`)).toEqual({
      [POD.a]: '3500m',
      [POD.b]: '80500m',
      [POD.c]: '120',
    });
    expect(await values(`${BASE}/namespaces/default/pods/${POD.a}/gauge_queue_size`)).toEqual({
      [POD.a]: '40',
    });
  });

  it('serves a query too long for a GET (sent as POST) through the prefix', async () => {
    const selector = encodeURIComponent(`job in (kubernetes-pods,${OTHER_JOBS.join(',')})`);
    expect(
      await values(`${BASE}/namespaces/default/pods/*/counter_qps?metricLabelSelector=${selector}`),
    ).toEqual({
      [POD.a]: '3500m',
      [POD.b]: '80500m',
      [POD.c]: '120',
    });
  });

  it('sent every series and query call under /prometheus/api/v1/ with X-Scope-OrgID: team-a', () => {
    const requests = proxy.requests();
    const calls = requests.map((r) => `${r.method} ${r.path}`);
    expect(calls).toContain('GET /prometheus/api/v1/series');
    expect(calls).toContain('GET /prometheus/api/v1/query');
    expect(calls).toContain('POST /prometheus/api/v1/query');
    for (const request of requests) {
      expect({ call: `${request.method} ${request.path}`, tenant: request.headers['x-scope-orgid'] }).toEqual(
        {
          call: expect.stringMatching(/^(GET|POST) \/prometheus\/api\/v1\/(series|query)$/),
          tenant: 'team-a',
        },
      );
    }
  });

  it('the long query reached Prometheus whole', () => {
    const longQuery = readQueries().find((q) => q.includes(OTHER_JOBS.at(-1)!));
    expect(longQuery).toBe(
      `sum(rate(qps{job=~"kubernetes-pods|${OTHER_JOBS.join('|')}",kubernetes_namespace="default",kubernetes_pod_name=~".+"}[2m])) by (kubernetes_pod_name)`,
    );
  });
});

function readQueries(): string[] {
  return readFileSync(prometheus.queryLogPath!, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { params: { query: string } }).params.query);
}
