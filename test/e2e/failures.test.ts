/**
 * Bad input and dead dependencies, against the built adapter process: clear startup errors, Status errors within
 * the timeout, and discovery that keeps serving.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { AdapterProcess } from '../../src/cli/demo/adapter-process.js';
import { startPrometheus, type PrometheusProcess } from '../../src/cli/demo/prometheus-process.js';
import { runAdapterToExit, startStandaloneAdapter } from '../support/adapter.js';
import { getJson } from '../support/https.js';
import { POD, queueWorkerOpenMetrics } from '../support/queue-worker-data.js';

const dir = mkdtempSync(join(tmpdir(), 'pma-failures-'));
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const runAdapter = (args: string[]) => runAdapterToExit(args, 20_000);

describe('startup errors say what to fix', () => {
  it('refuses an invalid rules file, naming the file, line, column and YAML path', async () => {
    const config = join(dir, 'bad-rules.yaml');
    writeFileSync(
      config,
      [
        'rules:',
        '- seriesQuery: \'{job="kubernetes-pods"}\'',
        '  resources:',
        '    overides:',
        '      kubernetes_pod_name: {resource: pod}',
        '  metricsQuery: "sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>"',
        '',
      ].join('\n'),
    );
    const res = await runAdapter(['--standalone', `--config=${config}`, '--secure-port=0']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      `${config}:4:5: rules[0].resources.overides: unknown key (did you mean "overrides"?)`,
    );
  });

  it('refuses a template that does not parse, with the template line and column', async () => {
    const config = join(dir, 'bad-template.yaml');
    writeFileSync(
      config,
      [
        'rules:',
        '- seriesQuery: \'{job="x"}\'',
        '  metricsQuery: "sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy)"',
        '',
      ].join('\n'),
    );
    const res = await runAdapter(['--standalone', `--config=${config}`, '--secure-port=0']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      new RegExp(
        `${config.replace(/[.]/g, '\\.')}:3:\\d+: rules\\[0\\]\\.metricsQuery: template: metricsQuery:1:\\d+: `,
      ),
    );
  });

  it('refuses a missing rules file and unknown flags in one line', async () => {
    const missing = await runAdapter(['--standalone', `--config=${join(dir, 'nope.yaml')}`]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('nope.yaml');
    const unknown = await runAdapter(['--standalone', '--config=x.yaml', '--prometheus-urll=http://x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--prometheus-urll');
    expect(unknown.stderr).toContain('--prometheus-url');
  });

  it("accepts the chart's leading /adapter argument and prints --help", async () => {
    const res = await runAdapter(['/adapter', '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('--metrics-relist-interval');
  });
});

describe('Prometheus unreachable (SPEC 5.5, 9)', () => {
  let prometheus: PrometheusProcess;
  let adapter: AdapterProcess;

  it('keeps serving discovery and answers 503 within the timeout once Prometheus is gone', async () => {
    prometheus = await startPrometheus({ dir: join(dir, 'prom'), backfill: queueWorkerOpenMetrics() });
    cleanups.push(() => prometheus.stop());
    adapter = await startStandaloneAdapter(prometheus.url, [
      '--prometheus-timeout=2s',
      '--metrics-relist-interval=2s',
    ]);
    cleanups.push(() => adapter.child.stop());
    const before = await getJson(
      `${adapter.url}/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/counter_qps`,
    );
    expect(before.status).toBe(200);

    await prometheus.stop();
    const started = Date.now();
    const res = await getJson(
      `${adapter.url}/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/${POD.a}/counter_qps`,
      {
        timeoutMs: 10_000,
      },
    );
    expect(Date.now() - started).toBeLessThan(4000);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'ServiceUnavailable',
      code: 503,
    });
    expect((res.body as { message: string }).message).not.toContain('127.0.0.1');

    // Relists now fail; the last good registry keeps serving discovery.
    await new Promise((r) => setTimeout(r, 4500));
    const discovery = await getJson(`${adapter.url}/apis/custom.metrics.k8s.io/v1beta2`);
    expect(discovery.status).toBe(200);
    expect((discovery.body as { resources: Array<{ name: string }> }).resources.map((r) => r.name)).toContain(
      'pods/counter_qps',
    );
    expect(adapter.child.logs()).toContain('last good result stays in service');
  }, 60_000);

  it('answers 503 within the timeout when Prometheus accepts connections and never answers', async () => {
    const sockets = new Set<Socket>();
    const hung: Server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => hung.close(r));
    });
    const port = (hung.address() as { port: number }).port;
    const stuck = await startStandaloneAdapter(`http://127.0.0.1:${port}`, ['--prometheus-timeout=1s']);
    cleanups.push(() => stuck.child.stop());
    // Ready after the first relist, even though it failed (SPEC 10); discovery is never empty.
    const discovery = await getJson(`${stuck.url}/apis/custom.metrics.k8s.io/v1beta2`);
    expect(discovery.status).toBe(200);
    expect((discovery.body as { resources: unknown[] }).resources.length).toBeGreaterThan(0);
    const started = Date.now();
    const res = await getJson(
      `${stuck.url}/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/counter_qps`,
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.status).toBeGreaterThanOrEqual(404);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure' });
  }, 60_000);
});
