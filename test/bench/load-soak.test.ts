/**
 * Load and soak (issue 8): the built adapter under 200 concurrent clients against a real Prometheus with injected
 * latency, and the relist loop run for many cycles. Skipped unless LOAD is set: LOAD=quick (seconds, a smoke run)
 * or LOAD=full (`npm run load`: 60 s of load, 300 relists). Prints the figures and writes bench-results/load-<mode>.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { startPrometheus } from '../../src/cli/demo/prometheus-process.js';
import type { AdapterProcess } from '../../src/cli/demo/adapter-process.js';
import { startStandaloneAdapter, QUEUE_WORKER_RULES } from '../support/adapter.js';
import { POD, queueWorkerOpenMetrics } from '../support/queue-worker-data.js';
import { startRecordingProxy } from '../support/recording-proxy.js';
import { waitFor } from '../support/wait.js';
import { runLoad } from './load.js';
import { answersFor, seriesQueries } from './relist.js';
import { startSeriesServer } from './series-server.js';
import { percentile } from './stats.js';
import { clusterSeries } from './synthetic-series.js';

const MODE = process.env.LOAD;
if (MODE !== undefined && MODE !== 'quick' && MODE !== 'full') {
  throw new Error(`LOAD must be quick or full, got ${JSON.stringify(MODE)}`);
}
const SIZES = {
  quick: { clients: 200, durationMs: 5000, latencyMs: 50, soakSeries: 10_000, soakCycles: 20 },
  full: { clients: 200, durationMs: 60_000, latencyMs: 50, soakSeries: 100_000, soakCycles: 300 },
} as const;
const size = SIZES[MODE ?? 'quick'];
const results: Record<string, unknown> = {};
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  if (MODE === undefined) return;
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(join('bench-results', `load-${MODE}.json`), `${JSON.stringify(results, null, 2)}\n`);
});

/** Resident set size of a live process now (`VmRSS`), MiB. */
function rssMiB(adapter: AdapterProcess): number {
  const status = readFileSync(`/proc/${adapter.child.pid ?? 0}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? Number.NaN) / 1024;
}

const round = (n: number, digits = 1) => Number(n.toFixed(digits));
const report = (title: string, figures: Record<string, unknown>) => {
  results[title] = figures;
  process.stdout.write(`${title}\n${JSON.stringify(figures, null, 2)}\n`);
};

const describeIf = MODE === undefined ? describe.skip : describe;
if (MODE === undefined)
  process.stdout.write('load-soak.test.ts: skipped, set LOAD=quick or LOAD=full to run\n');

describeIf(`load and soak (LOAD=${MODE ?? ''})`, () => {
  it(
    `${size.clients} concurrent clients for ${size.durationMs / 1000} s against Prometheus with ${size.latencyMs} ms injected latency: no errors, bounded memory`,
    async () => {
      const prometheus = await startPrometheus({
        dir: mkdtempSync(join(tmpdir(), 'pma-load-')),
        backfill: queueWorkerOpenMetrics(),
      });
      cleanups.push(() => prometheus.stop());
      const slow = await startRecordingProxy(prometheus.url, { queryDelayMs: size.latencyMs });
      cleanups.push(() => slow.stop());
      const adapter = await startStandaloneAdapter(slow.url, ['--metrics-relist-interval=1m']);
      cleanups.push(() => adapter.child.stop());

      // NB: a mix of distinct queries (each pod, every pod, another metric, discovery), so coalescing does not
      // turn the run into one query.
      const base = `${adapter.url}/apis/custom.metrics.k8s.io/v1beta2`;
      const paths = [
        ...[POD.a, POD.b, POD.c].map((pod) => `/namespaces/default/pods/${pod}/counter_qps`),
        '/namespaces/default/pods/*/counter_qps',
        '/namespaces/default/pods/*/gauge_queue_size',
        '/namespaces/staging/pods/*/counter_qps',
        '',
      ];
      let next = 0;
      const rss: number[] = [rssMiB(adapter)];
      const sampler = setInterval(() => rss.push(rssMiB(adapter)), 1000);
      const result = await runLoad(
        {
          url: () => `${base}${paths[next++ % paths.length]}`,
          concurrency: size.clients,
          durationMs: size.durationMs,
        },
        1000,
      ).finally(() => clearInterval(sampler));
      rss.push(rssMiB(adapter));
      const queries = slow.requests().filter((r) => r.path.startsWith('/api/v1/query')).length;
      report('load', {
        clients: size.clients,
        durationSeconds: size.durationMs / 1000,
        injectedLatencyMs: size.latencyMs,
        completed: result.completed,
        errors: result.errors,
        firstError: result.firstError ?? null,
        throughputPerSecond: round(result.throughput),
        p50Ms: round(percentile(result.latenciesMs, 50)),
        p99Ms: round(percentile(result.latenciesMs, 99)),
        maxMs: round(Math.max(...result.latenciesMs)),
        prometheusQueries: queries,
        rssStartMiB: round(rss[0] ?? Number.NaN),
        rssMaxMiB: round(Math.max(...rss)),
        rssEndMiB: round(rss.at(-1) ?? Number.NaN),
      });
      expect(result.errors).toBe(0);
      expect(result.completed).toBeGreaterThan(0);
      expect(adapter.child.hasExited()).toBe(false);
    },
    size.durationMs + 120_000,
  );

  it(
    `the relist loop over ${size.soakCycles} cycles of ${size.soakSeries} series: no growth in memory`,
    async () => {
      const queries = seriesQueries(QUEUE_WORKER_RULES);
      const { answers } = answersFor(queries, () => clusterSeries(size.soakSeries));
      const server = await startSeriesServer(answers);
      cleanups.push(() => server.close());
      const adapter = await startStandaloneAdapter(server.url, [
        '--metrics-relist-interval=200ms',
        '--metrics-max-age=1m',
      ]);
      cleanups.push(() => adapter.child.stop());
      const relists = () =>
        adapter.child
          .logs()
          .split('\n')
          .filter((l) => l.includes('"msg":"relist finished"')).length;
      const rssAt = new Map<number, number>();
      const cycles = [10, Math.floor(size.soakCycles / 2), size.soakCycles];
      for (const cycle of cycles) {
        await waitFor(
          `relist ${cycle}`,
          () => (relists() >= cycle ? true : undefined),
          size.soakCycles * 2000,
        );
        // NB: a full GC is not forced; RSS at the same point of the cycle is compared.
        rssAt.set(cycle, rssMiB(adapter));
      }
      const failed = adapter.child
        .logs()
        .split('\n')
        .filter((l) => l.includes('"msg":"relist failed')).length;
      const first = rssAt.get(cycles[0]!) ?? Number.NaN;
      const last = rssAt.get(size.soakCycles) ?? Number.NaN;
      report('soak', {
        seriesPerRelist: size.soakSeries,
        cycles: size.soakCycles,
        failedRelists: failed,
        rssMiBAtCycle: Object.fromEntries([...rssAt].map(([c, m]) => [c, round(m)])),
        growthMiB: round(last - first),
      });
      expect(failed).toBe(0);
      expect(adapter.child.hasExited()).toBe(false);
      // NB: not a timing assertion: memory after many cycles stays within the noise of the first ones.
      expect(last - first).toBeLessThan(Math.max(32, first * 0.25));
    },
    size.soakCycles * 2000 + 120_000,
  );
});
