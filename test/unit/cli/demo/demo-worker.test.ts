import { describe, it, expect, afterEach } from '@jest/globals';
import {
  demoScrapeConfig,
  demoWorkerHistory,
  startDemoWorker,
  TEXT_FORMAT_CONTENT_TYPE,
} from '../../../../src/cli/demo/demo-worker.js';
import type { DemoWorker } from '../../../../src/cli/demo/demo-worker.js';
import { openMetrics } from '../../../../src/cli/demo/openmetrics.js';

const PODS = [
  { namespace: 'default', name: 'w-a', qpsPerSecond: 1000, queueSize: 12 },
  { namespace: 'other', name: 'w-b', qpsPerSecond: 0, queueSize: 3 },
];

/** Parses `name{labels} value [timestamp]` lines of the text format into `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [, series = '', value = ''] = /^(.*?) (\S+)(?: \d+)?$/.exec(line) ?? [];
    result.set(series, Number(value));
  }
  return result;
}

async function scrape(worker: DemoWorker): Promise<{ type: string | null; text: string }> {
  const res = await fetch(`${worker.url}/metrics`, { signal: AbortSignal.timeout(5000) });
  expect(res.status).toBe(200);
  return { type: res.headers.get('content-type'), text: await res.text() };
}

const A = '{kubernetes_namespace="default",kubernetes_pod_name="w-a"}';
const B = '{kubernetes_namespace="other",kubernetes_pod_name="w-b"}';

describe('startDemoWorker', () => {
  let worker: DemoWorker | undefined;
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });

  it('serves a counter literally named qps and a gauge queue_size per pod in text format 0.0.4', async () => {
    worker = await startDemoWorker({ pods: PODS });
    const { type, text } = await scrape(worker);
    expect(type).toBe(TEXT_FORMAT_CONTENT_TYPE);
    expect(text).toContain('# TYPE qps counter\n');
    expect(text).toContain('# TYPE queue_size gauge\n');
    expect(text).not.toContain('qps_total');
    const values = samples(text);
    expect([...values.keys()].sort()).toEqual(
      [`qps${A}`, `qps${B}`, `queue_size${A}`, `queue_size${B}`].sort(),
    );
    expect(values.get(`queue_size${A}`)).toBe(12);
    expect(values.get(`qps${B}`)).toBe(0);
  });

  it('grows the counter at qpsPerSecond between scrapes', async () => {
    worker = await startDemoWorker({ pods: PODS });
    const t0 = Date.now();
    const first = samples((await scrape(worker)).text).get(`qps${A}`) ?? NaN;
    await new Promise((r) => setTimeout(r, 300));
    const second = samples((await scrape(worker)).text).get(`qps${A}`) ?? NaN;
    const elapsed = (Date.now() - t0) / 1000;
    expect(second).toBeGreaterThan(first);
    // 1000/s over the measured interval; both scrapes lie inside it, so the growth cannot exceed it.
    expect(second - first).toBeLessThanOrEqual(1000 * elapsed + 1e-6);
    expect(second - first).toBeGreaterThanOrEqual(1000 * 0.29);
  });

  it('setLoad keeps the counter monotonic, changes its rate and the queue size', async () => {
    worker = await startDemoWorker({ pods: PODS });
    const before = samples((await scrape(worker)).text).get(`qps${A}`) ?? NaN;
    worker.setLoad('w-a', 0, 99);
    const frozen = samples((await scrape(worker)).text);
    expect(frozen.get(`qps${A}`)).toBeGreaterThanOrEqual(before);
    expect(frozen.get(`queue_size${A}`)).toBe(99);
    await new Promise((r) => setTimeout(r, 50));
    expect(samples((await scrape(worker)).text).get(`qps${A}`)).toBe(frozen.get(`qps${A}`));
    worker.setLoad({ namespace: 'other', name: 'w-b' }, 2, 4);
    expect(worker.pods().find((p) => p.name === 'w-b')).toEqual({
      namespace: 'other',
      name: 'w-b',
      qpsPerSecond: 2,
      queueSize: 4,
    });
    expect(() => worker?.setLoad('nope', 1, 1)).toThrow(/unknown pod/);
    expect(() => worker?.setLoad('w-a', -1, 1)).toThrow(/qpsPerSecond/);
  });

  it('answers 404 off /metrics and stops even with a keep-alive connection open', async () => {
    worker = await startDemoWorker({ pods: PODS });
    const res = await fetch(`${worker.url}/other`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(404);
    await res.text();
    const url = worker.url;
    await worker.stop();
    await expect(fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  });

  it('rejects a pod listed twice', async () => {
    await expect(startDemoWorker({ pods: [PODS[0]!, PODS[0]!] })).rejects.toThrow(/listed twice/);
  });
});

describe('demoWorkerHistory', () => {
  let worker: DemoWorker | undefined;
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });

  it('backfills the series a scrape would produce: same name and labels (job, instance), counter from 0 at startedAtMs', async () => {
    const t0 = Math.floor(Date.now() / 1000) - 60;
    worker = await startDemoWorker({ pods: [PODS[0]!], startedAtMs: t0 * 1000 });
    const text = openMetrics(demoWorkerHistory(worker, { untilSeconds: t0 + 30, stepSeconds: 15 }));
    const labels = `{instance="127.0.0.1:${worker.port}",job="kubernetes-pods",kubernetes_namespace="default",kubernetes_pod_name="w-a"}`;
    expect(text).toContain(
      `qps${labels} 0 ${t0}\nqps${labels} 15000 ${t0 + 15}\nqps${labels} 30000 ${t0 + 30}\n`,
    );
    expect(text).toContain(`queue_size${labels} 12 ${t0 + 30}\n`);
    expect(text).not.toContain('qps_total');

    // The live counter continues the history: 1000/s for the ~60 s since t0.
    const live = samples((await scrape(worker)).text).get(`qps${A}`) ?? NaN;
    expect(live).toBeGreaterThanOrEqual(1000 * 60);
    expect(live).toBeLessThan(1000 * 62);
  });
});

describe('demoScrapeConfig', () => {
  it('scrapes the worker as job kubernetes-pods with honor_labels', () => {
    expect(demoScrapeConfig('http://127.0.0.1:4321')).toEqual({
      job_name: 'kubernetes-pods',
      honor_labels: true,
      scheme: 'http',
      metrics_path: '/metrics',
      static_configs: [{ targets: ['127.0.0.1:4321'] }],
    });
  });
});
