import { afterEach, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { createSelfMetrics, requestLabels } from '../../../src/server/metrics.js';
import { metricNotFound } from '../../../src/api/status.js';
import { FakeProvider, testApp } from './fake-provider.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** The value of the sample `name{labels}` in a text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const P = 'prometheus_metrics_adapter_';

describe('self-metrics on /metrics (SPEC 10)', () => {
  it('counts API requests by group, version, resource and code, with a latency histogram', async () => {
    const metrics = createSelfMetrics();
    ({ app } = testApp({ metrics }));
    const path = '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/counter_qps';
    expect((await app.inject(path)).statusCode).toBe(200);
    expect((await app.inject(path)).statusCode).toBe(200);
    await app.inject('/apis/custom.metrics.k8s.io/v1beta2');
    const response = await app.inject('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const labels = 'group="custom.metrics.k8s.io",version="v1beta2",resource="pods"';
    expect(sample(response.body, `${P}requests_total{${labels},code="200"}`)).toBe(2);
    expect(sample(response.body, `${P}request_duration_seconds_count{${labels}}`)).toBe(2);
    expect(
      sample(
        response.body,
        `${P}requests_total{group="custom.metrics.k8s.io",version="v1beta2",resource="",code="200"}`,
      ),
    ).toBe(1);
    expect(response.body).toContain('# TYPE process_resident_memory_bytes gauge');
  });

  it('request input cannot grow the label set: unknown groups, versions and resources count as other', async () => {
    const metrics = createSelfMetrics();
    const provider = new FakeProvider();
    // NB: as the real provider, an unknown resource is a 404.
    provider.bySelector = (request) => Promise.reject(metricNotFound(request.metric, request.resource));
    ({ app } = testApp({ metrics, provider }));
    for (let i = 0; i < 5; i++) {
      await app.inject(`/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/thing${i}/*/m`);
      await app.inject(`/apis/group${i}.example.com/v${i}/x`);
      await app.inject(`/random/${i}`);
    }
    const text = await metrics.render();
    const requestLines = text.split('\n').filter((l) => l.startsWith(`${P}requests_total{`));
    expect(requestLines.join('\n')).not.toMatch(/thing|group\d|\/random/);
    expect(requestLines.length).toBeLessThanOrEqual(3);
  });

  it('reports relists, registry size per rule, the age of the data and config reloads', async () => {
    let now = 1_000_000;
    const metrics = createSelfMetrics({ now: () => now });
    expect(await metrics.render()).toMatch(new RegExp(`^${P}data_age_seconds \\+Inf$`, 'm'));
    metrics.observeRelist({
      ok: true,
      durationMs: 250,
      seriesCount: 12,
      metricsPerRule: new Map([
        ['rules[0]', 3],
        ['rules[1]', 0],
      ]),
    });
    metrics.observePrometheusCall('series', 40, true);
    metrics.observePrometheusCall('query', 10, false);
    metrics.observeReload(false, new Date(now));
    now += 90_000;
    const text = await metrics.render();
    expect(sample(text, `${P}relists_total{outcome="success"}`)).toBe(1);
    expect(sample(text, `${P}relist_duration_seconds_sum`)).toBe(0.25);
    expect(sample(text, `${P}relist_series`)).toBe(12);
    expect(sample(text, `${P}registry_metrics{rule="rules[0]"}`)).toBe(3);
    expect(sample(text, `${P}registry_metrics{rule="rules[1]"}`)).toBe(0);
    expect(sample(text, `${P}data_age_seconds`)).toBe(90);
    expect(sample(text, `${P}prometheus_requests_total{endpoint="series",outcome="success"}`)).toBe(1);
    expect(sample(text, `${P}prometheus_requests_total{endpoint="query",outcome="error"}`)).toBe(1);
    expect(sample(text, `${P}config_reloads_total{outcome="failure"}`)).toBe(1);
    expect(sample(text, `${P}config_last_reload_successful`)).toBe(0);
    metrics.observeReload(true, new Date(now));
    const after = await metrics.render();
    expect(sample(after, `${P}config_last_reload_successful`)).toBe(1);
    expect(sample(after, `${P}config_last_reload_success_timestamp_seconds`)).toBe(now / 1000);
  });

  it('/metrics is absent without self-metrics', async () => {
    ({ app } = testApp());
    expect((await app.inject('/metrics')).statusCode).toBe(404);
  });

  it.each([
    [
      '/apis/custom.metrics.k8s.io/v1beta1/namespaces/ns/pods/p/m',
      'custom.metrics.k8s.io',
      'v1beta1',
      'pods',
    ],
    ['/apis/custom.metrics.k8s.io/v1beta2/nodes/n1/m?x=1', 'custom.metrics.k8s.io', 'v1beta2', 'nodes'],
    [
      '/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/metrics/m',
      'custom.metrics.k8s.io',
      'v1beta2',
      'namespaces',
    ],
    [
      '/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/queue_depth',
      'external.metrics.k8s.io',
      'v1beta1',
      'queue_depth',
    ],
    ['/apis/metrics.k8s.io/v1beta1/pods', 'metrics.k8s.io', 'v1beta1', 'pods'],
    ['/healthz', '', '', '/healthz'],
    ['/apis', '', '', '/apis'],
    ['/etc/passwd', '', '', 'other'],
  ])('labels %s', (url, group, version, resource) => {
    expect(requestLabels(url)).toEqual({ group, version, resource });
  });
});
