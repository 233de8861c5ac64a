import { join } from 'node:path';
import { aroundNow, linearCounter, openMetrics, type Sample } from '../../src/cli/demo/openmetrics.js';
import { startPrometheus } from '../../src/cli/demo/prometheus-process.js';
import { QUEUE_WORKER_RULES } from '../support/adapter.js';
import { getJson } from '../support/https.js';
import { runLoad, type LoadResult } from './load.js';
import { loggedQueries, startBenchAdapter } from './processes.js';
import type { Figure } from './report.js';
import { percentile } from './stats.js';

export interface RequestPathSizes {
  pods: readonly number[];
  concurrency: readonly number[];
  durationMs: number;
  warmUpMs: number;
}

const GROUP = 'request path: pods/*/counter_qps, adapter (HTTPS) vs the same PromQL sent to Prometheus';
const namespaceOf = (pods: number) => `bench-${pods}`;

/** queue-worker-like `qps` series (job kubernetes-pods, relabelled namespace/pod) for `pods` pods per namespace. */
function backfill(podCounts: readonly number[]): string {
  const window = { ...aroundNow(10 * 60, 60 * 60), stepSeconds: 15 };
  const samples: Sample[] = podCounts.flatMap((n) =>
    Array.from({ length: n }, (_, i) =>
      linearCounter({
        ...window,
        ratePerSecond: 1 + (i % 10),
        start: 1000,
        labels: {
          job: 'kubernetes-pods',
          kubernetes_namespace: namespaceOf(n),
          kubernetes_pod_name: `worker-${n}-${String(i).padStart(4, '0')}`,
        },
      }),
    ).flat(),
  );
  return openMetrics([{ name: 'qps', type: 'gauge', samples }]);
}

/** How many instant queries Prometheus has answered so far, from its own /metrics. */
async function queriesAnswered(prometheusUrl: string): Promise<number> {
  const res = await fetch(`${prometheusUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('prometheus_http_requests_total{') && line.includes('handler="/api/v1/query"')) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

function note(label: string, r: LoadResult): string | undefined {
  return r.errors === 0 ? undefined : `${label}: ${r.errors} failed requests (first: ${r.firstError ?? '?'})`;
}

/**
 * Latency and throughput of the queue-worker counter_qps Pods query through the adapter against the same PromQL
 * sent straight to Prometheus (GET /api/v1/query, as the adapter sends it: its --v=6 query log is read first).
 */
export async function measureRequestPath(
  sizes: RequestPathSizes,
  work: string,
  certDir: string,
): Promise<Figure[]> {
  const prometheus = await startPrometheus({
    dir: join(work, 'prometheus'),
    backfill: backfill(sizes.pods),
    timeoutMs: 120_000,
  });
  try {
    const path = (n: number) =>
      `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${namespaceOf(n)}/pods/%2A/counter_qps`;

    // The PromQL the adapter sends, from its own query log.
    const promql = new Map<number, string>();
    const logging = await startBenchAdapter(prometheus.url, QUEUE_WORKER_RULES, certDir, ['--v=6']);
    try {
      for (const n of sizes.pods) {
        const before = loggedQueries(logging.adapter).length;
        const res = await getJson(`${logging.adapter.url}${path(n)}`, { timeoutMs: 10_000 });
        const items = (res.body as { items?: unknown[] } | undefined)?.items?.length;
        if (res.status !== 200 || items !== n) {
          throw new Error(
            `adapter answered ${res.status} with ${items ?? 'no'} items for ${n} pods: ${res.text.slice(0, 300)}`,
          );
        }
        const query = loggedQueries(logging.adapter)[before];
        if (query === undefined) throw new Error(`the adapter logged no query at --v=6 for ${path(n)}`);
        promql.set(n, query);
      }
    } finally {
      await logging.adapter.child.stop();
    }

    const { adapter } = await startBenchAdapter(prometheus.url, QUEUE_WORKER_RULES, certDir, [
      '--metrics-relist-interval=1h',
    ]);
    const figures: Figure[] = [];
    try {
      for (const n of sizes.pods) {
        const query = promql.get(n) ?? '';
        const direct = () =>
          `${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${Date.now() / 1000}`;
        const check = await fetch(direct(), { signal: AbortSignal.timeout(10_000) });
        const result = ((await check.json()) as { data?: { result?: unknown[] } }).data?.result?.length;
        if (result !== n)
          throw new Error(`Prometheus answered ${result ?? 'no'} series for ${n} pods to ${query}`);

        for (const c of sizes.concurrency) {
          const load = { concurrency: c, durationMs: sizes.durationMs };
          const d = await runLoad({ ...load, url: direct }, sizes.warmUpMs);
          const before = await queriesAnswered(prometheus.url);
          const a = await runLoad({ ...load, url: () => `${adapter.url}${path(n)}` }, sizes.warmUpMs);
          const reached = (await queriesAnswered(prometheus.url)) - before;
          const coalesced = `${a.sentWithWarmUp} adapter requests (warm-up included) reached Prometheus as ${reached} queries`;
          const notes = [coalesced, note('adapter', a), note('direct', d)]
            .filter((x) => x !== undefined)
            .join('; ');
          const common = { group: GROUP, baselineName: 'direct' };
          const name = `${n} pods, ${c} client${c === 1 ? '' : 's'}`;
          figures.push(
            {
              ...common,
              name: `${name}: p50`,
              unit: 'ms',
              note: notes,
              value: percentile(a.latenciesMs, 50),
              baseline: percentile(d.latenciesMs, 50),
              target: { text: '<= 1.25x direct', on: 'ratio', max: 1.25 },
            },
            {
              ...common,
              name: `${name}: p99`,
              unit: 'ms',
              value: percentile(a.latenciesMs, 99),
              baseline: percentile(d.latenciesMs, 99),
            },
            {
              ...common,
              name: `${name}: throughput`,
              unit: 'req/s',
              value: a.throughput,
              baseline: d.throughput,
              target: { text: '>= 0.8x direct', on: 'ratio', min: 0.8 },
            },
          );
        }
      }
    } finally {
      await adapter.child.stop();
    }
    return figures;
  } finally {
    await prometheus.stop();
  }
}
