/**
 * `explain` end to end: the built binary against a real Prometheus backfilled with the queue-worker data and the
 * queue-worker rules. The text report of counter_qps is a golden file; timestamps, the Prometheus port and the
 * floating-point noise of rate() are replaced by placeholders first, so that it does not change between runs.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startPrometheus, type PrometheusProcess } from '../../src/cli/demo/prometheus-process.js';
import type { Explanation } from '../../src/cli/explain/report.js';
import { ADAPTER_ENTRY } from '../support/adapter.js';
import { POD, queueWorkerOpenMetrics } from '../support/queue-worker-data.js';

const run = promisify(execFile);
const GOLDEN = resolve('test/fixtures/explain/counter_qps.txt');
const BASE = '/apis/custom.metrics.k8s.io';
const CONFIG = 'config/queue-worker.yaml';

let prometheus: PrometheusProcess;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pma-e2e-explain-'));
  prometheus = await startPrometheus({ dir, backfill: queueWorkerOpenMetrics() });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
});

async function explain(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = [
    ADAPTER_ENTRY,
    'explain',
    `--config=${CONFIG}`,
    `--prometheus-url=${prometheus.url}`,
    ...args,
  ];
  try {
    const { stdout, stderr } = await run(process.execPath, argv, { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Placeholders for what changes between runs: times, the port, and rate()'s last-digit noise (3.4999999999999996). */
function normalize(text: string): string {
  return text
    .split(prometheus.url)
    .join('http://127.0.0.1:<PORT>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<TIMESTAMP>')
    .replace(/\b\d+\.\d{12,}\b/g, (n) => String(Number(Number(n).toPrecision(12))));
}

describe('explain a served metric', () => {
  it('prints the parsed path, rules[0], the PromQL, the samples and the MetricValueList (golden)', async () => {
    const res = await explain(`${BASE}/v1beta2/namespaces/default/pods/*/counter_qps`);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const actual = normalize(res.stdout);
    // NB: UPDATE_GOLDEN=1 rewrites the golden file from this run; review the diff before committing it.
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, actual);
    expect(actual).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('--output json parses and has every part of the explanation', async () => {
    const res = await explain(
      '--output=json',
      `${BASE}/v1beta1/namespaces/default/pods/${POD.b}/counter_qps`,
    );
    expect(res.code).toBe(0);
    const e = JSON.parse(res.stdout) as Explanation;
    expect(e.request).toMatchObject({
      api: 'custom',
      groupVersion: 'custom.metrics.k8s.io/v1beta1',
      resource: 'pods',
      resolvedResource: { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true },
      namespace: 'default',
      name: POD.b,
      metric: 'counter_qps',
    });
    expect(e.rule).toMatchObject({
      kind: 'custom',
      id: 'rules[0]',
      index: 0,
      line: 4,
      seriesQuery: '{job="kubernetes-pods",kubernetes_namespace!="",kubernetes_pod_name!=""}',
      name: { matches: '(.*)', as: 'counter_${1}' },
      seriesName: 'qps',
    });
    expect(e.queries).toHaveLength(1);
    expect(e.queries[0]).toMatchObject({
      promql: `sum(rate(qps{kubernetes_namespace="default",kubernetes_pod_name="${POD.b}"}[2m])) by (kubernetes_pod_name)`,
      rule: 'rules[0]',
      result: { type: 'vector', samples: [{ labels: { kubernetes_pod_name: POD.b } }] },
    });
    expect(e.response.status).toBe(200);
    expect(e.response.body).toMatchObject({
      kind: 'MetricValueList',
      apiVersion: 'custom.metrics.k8s.io/v1beta1',
      items: [{ metricName: 'counter_qps', value: '80500m', describedObject: { name: POD.b } }],
    });
    expect(e.exitCode).toBe(0);
    expect(e.notServed).toBeUndefined();
  });

  it('explains the namespace object itself (namespaces/{ns}/metrics/{metric})', async () => {
    const res = await explain('-o', 'json', `${BASE}/v1beta2/namespaces/default/metrics/counter_qps`);
    expect(res.code).toBe(0);
    const e = JSON.parse(res.stdout) as Explanation;
    expect(e.request).toMatchObject({ resource: 'namespaces', name: 'default', metric: 'counter_qps' });
    expect(e.request.namespace).toBeUndefined();
    expect(e.queries.map((q) => q.promql)).toEqual([
      'sum(rate(qps{kubernetes_namespace="default"}[2m])) by (kubernetes_namespace)',
    ]);
    expect(e.response.body).toMatchObject({ items: [{ value: '204' }] });
  });
});

describe('explain a metric that is not served', () => {
  it('a misspelt metric exits 1 with the 404 and names the near miss', async () => {
    const res = await explain(`${BASE}/v1beta2/namespaces/default/pods/*/counter_qsp`);
    expect(res.code).toBe(1);
    const text = normalize(res.stdout);
    expect(text).toContain('none: the metric counter_qsp for pods is not in the registry');
    expect(text).toContain(
      'similar names:\n      counter_qps (edit distance 1): namespaces (cluster-scoped), pods',
    );
    expect(text).toContain('PromQL\n  none sent');
    expect(text).toContain('HTTP 404 NotFound: the server could not find the metric counter_qsp for pods');
  });

  it('names the series when asked for the series name instead of the metric name (json)', async () => {
    const res = await explain('--output', 'json', `${BASE}/v1beta2/namespaces/default/pods/*/qps`);
    expect(res.code).toBe(1);
    const e = JSON.parse(res.stdout) as Explanation;
    expect(e.rule).toBeNull();
    expect(e.notServed?.nearMisses?.seriesNamed).toEqual([
      { rule: 'rules[0]', seriesName: 'qps', servedAs: 'counter_qps' },
      { rule: 'rules[2]', seriesName: 'qps', servedAs: 'gauge_qps' },
    ]);
    expect(e.response).toMatchObject({ status: 404, body: { kind: 'Status', code: 404 } });
  });
});

describe('selectors', () => {
  it('a labelSelector is parsed and shown, and the standalone 400 is the answer (exit 1)', async () => {
    const res = await explain(
      `${BASE}/v1beta2/namespaces/default/pods/*/counter_qps?labelSelector=app%3Dexample`,
    );
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(
      'object               * (every object selected by labelSelector: app=example)',
    );
    expect(res.stdout).toContain('rules[0] (index 0 of rules');
    expect(res.stdout).toContain(
      'HTTP 400 BadRequest: selecting pods by label (labelSelector) needs the Kubernetes API',
    );
  });

  it('a metricLabelSelector becomes label matchers of the PromQL sent', async () => {
    const res = await explain(
      '--output=json',
      `${BASE}/v1beta2/namespaces/default/pods/*/counter_qps?metricLabelSelector=${encodeURIComponent('job in (kubernetes-pods)')}`,
    );
    expect(res.code).toBe(0);
    const e = JSON.parse(res.stdout) as Explanation;
    expect(e.request.metricLabelSelector).toEqual({
      text: 'job in (kubernetes-pods)',
      parsed: 'job in (kubernetes-pods)',
    });
    expect(e.queries[0]?.promql).toBe(
      'sum(rate(qps{job=~"kubernetes-pods",kubernetes_namespace="default",kubernetes_pod_name=~".+"}[2m])) by (kubernetes_pod_name)',
    );
    expect((e.response.body as { items: unknown[] }).items).toHaveLength(3);
  });
});

describe('usage errors exit 2', () => {
  it.each([
    [['/apis/custom.metrics.k8s.io/v1beta2'], 'is not a metric path (it is the discovery path of the group)'],
    [['--output=yaml', `${BASE}/v1beta2/namespaces/default/pods/*/counter_qps`], 'invalid --output "yaml"'],
    [[], 'the API path is missing'],
  ])('%j', async (args, message) => {
    const res = await explain(...args);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(message);
  });

  it('without --config', async () => {
    const { code, stderr } = await run(process.execPath, [ADAPTER_ENTRY, 'explain', '/apis/x'], {
      timeout: 20_000,
    }).then(
      (r) => ({ code: 0, stderr: r.stderr }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(code).toBe(2);
    expect(stderr).toContain('--config is required');
  });
});
