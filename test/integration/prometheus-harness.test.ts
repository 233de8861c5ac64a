import { describe, it, expect, afterEach } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoScrapeConfig, startDemoWorker } from '../../src/cli/demo/demo-worker.js';
import { aroundNow, constantGauge, linearCounter, openMetrics } from '../../src/cli/demo/openmetrics.js';
import { startPrometheus } from '../../src/cli/demo/prometheus-process.js';
import { DEMO_PODS } from '../../src/cli/demo/run-demo.js';
import type { PrometheusProcess } from '../../src/cli/demo/prometheus-process.js';
import { refused, waitFor } from '../support/wait.js';

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

async function promQuery(prom: PrometheusProcess, query: string): Promise<VectorSample[]> {
  const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(query)}`, {
    signal: AbortSignal.timeout(5000),
  });
  const body = (await res.json()) as { status: string; data: { result: VectorSample[] } };
  expect(body.status).toBe('success');
  return body.data.result;
}

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of live processes whose command line mentions `text` (Linux /proc). */
async function processesMentioning(text: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const found: number[] = [];
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(Number(pid));
  }
  return found;
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'prom-harness-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('startPrometheus', () => {
  it('serves backfilled data: rate() of a 3.5/s linear counter is 3.5 within 1e-9 relative, and logs queries', async () => {
    const window = aroundNow(600, 3000);
    const pods = ['a', 'b'];
    const backfill = openMetrics([
      {
        name: 'x',
        type: 'counter',
        samples: pods.flatMap((pod) =>
          linearCounter({ ...window, stepSeconds: 15, ratePerSecond: 3.5, start: 100, labels: { pod } }),
        ),
      },
      {
        name: 'g',
        type: 'gauge',
        samples: pods.flatMap((pod, i) =>
          constantGauge({ ...window, stepSeconds: 15, value: 7 + i, labels: { pod } }),
        ),
      },
    ]);
    const dir = await tempDir();
    const prom = await startPrometheus({ dir, backfill, queryLog: true });
    cleanups.push(() => prom.stop());
    expect(await processesMentioning(dir)).toEqual([prom.pid]);
    expect(prom.url).toBe(`http://127.0.0.1:${prom.port}`);

    const rates = await promQuery(prom, 'rate(x_total[2m])');
    expect(rates.map((s) => s.metric.pod).sort()).toEqual(pods);
    for (const sample of rates) expect(Math.abs(Number(sample.value[1]) / 3.5 - 1)).toBeLessThan(1e-9);

    const gauges = await promQuery(prom, 'g');
    expect(Object.fromEntries(gauges.map((s) => [s.metric.pod, s.value[1]]))).toEqual({ a: '7', b: '8' });

    expect(prom.queryLogPath).toBeDefined();
    const queries = (await readFile(prom.queryLogPath ?? '', 'utf8'))
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { params: { query: string } }).params.query);
    expect(queries).toContain('rate(x_total[2m])');

    await prom.stop();
    expect(isAlive(prom.pid)).toBe(false);
    expect(await refused(`${prom.url}/-/ready`)).toBe(true);
    expect(await prom.exited).toEqual({ code: 0, signal: null });
  });

  it('scrapes the demo worker: the qps series of every pod appears in /api/v1/series within 15 s', async () => {
    const worker = await startDemoWorker({ pods: DEMO_PODS.map((p) => ({ ...p })) });
    cleanups.push(() => worker.stop());
    const prom = await startPrometheus({
      dir: await tempDir(),
      scrapeConfigs: [demoScrapeConfig(worker.url)],
      scrapeIntervalSeconds: 1,
    });
    cleanups.push(() => prom.stop());

    const series = await waitFor(
      'qps series',
      async () => {
        const res = await fetch(
          `${prom.url}/api/v1/series?match[]=${encodeURIComponent('{__name__=~"qps|queue_size"}')}`,
          {
            signal: AbortSignal.timeout(5000),
          },
        );
        const body = (await res.json()) as { data: Array<Record<string, string>> };
        return body.data.length >= 2 * DEMO_PODS.length ? body.data : undefined;
      },
      15_000,
    );
    const qps = series.filter((s) => s.__name__ === 'qps');
    expect(qps.map((s) => s.kubernetes_pod_name).sort()).toEqual(DEMO_PODS.map((p) => p.name).sort());
    for (const s of series) {
      expect(s.job).toBe('kubernetes-pods');
      expect(s.kubernetes_namespace).toBe('default');
    }
  });

  it('fails with the last lines of its log when the config is invalid, leaving no process behind', async () => {
    const dir = await tempDir();
    const attempt = startPrometheus({ dir, scrapeConfigs: [{ job_name: 'j', no_such_field: true }] });
    await expect(attempt).rejects.toThrow(/exited during startup[\s\S]*no_such_field/);
    expect(await processesMentioning(dir)).toEqual([]);
  });

  it('kills the process and reports its log when it is not up within timeoutMs', async () => {
    const dir = await tempDir();
    await expect(startPrometheus({ dir, timeoutMs: 1 })).rejects.toThrow(/within 1 ms; last log lines:/);
    expect(await processesMentioning(dir)).toEqual([]);
  });

  it('says to run .ci/setup when prometheus is not on PATH', async () => {
    const dir = await tempDir();
    const path = process.env.PATH;
    process.env.PATH = join(dir, 'empty-bin');
    try {
      await expect(startPrometheus({ dir })).rejects.toThrow(
        /prometheus is not on PATH: run `bash \.ci\/setup`/,
      );
      await expect(startPrometheus({ dir, backfill: openMetrics([]) })).rejects.toThrow(
        /promtool is not on PATH: run `bash \.ci\/setup`/,
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
