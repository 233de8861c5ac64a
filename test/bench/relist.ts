import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadRules } from '../../src/rules/compile-rules.js';
import {
  fetchParse,
  firstRelist,
  peakRssMiB,
  startBenchAdapter,
  type FetchParseResult,
} from './processes.js';
import type { Figure } from './report.js';
import { startSeriesServer } from './series-server.js';
import { clusterSeries, seriesAnswer, type Labels } from './synthetic-series.js';

export const RULE_SETS = [
  { name: 'queue-worker rules', path: resolve('config/queue-worker.yaml') },
  { name: 'upstream default rules', path: resolve('config/default-rules.yaml') },
] as const;

/** The distinct seriesQueries of a rules file, as the adapter's relist sends them. */
export function seriesQueries(path: string): string[] {
  const rules = loadRules(readFileSync(path, 'utf8'), path);
  return [...new Set([...rules.custom, ...rules.external].map((r) => r.seriesQuery))];
}

/** Pre-generated `/api/v1/series` answers of `series` for each of `queries`. */
export function answersFor(queries: readonly string[], series: () => Iterable<Labels>) {
  const answers = new Map<string, Buffer>();
  let count = 0;
  for (const q of queries) {
    const a = seriesAnswer(series(), q);
    answers.set(q, a.body);
    count += a.count;
  }
  const bytes = [...answers.values()].reduce((n, b) => n + b.length, 0);
  return { answers, count, bytes };
}

const RELIST_TIMEOUT_MS = 5 * 60_000;
const MIB = 2 ** 20;

function formatCount(n: number): string {
  return n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n);
}

/**
 * One adapter start per (rule set, size) against a synthetic series server: the first relist's duration (from the
 * adapter's `relist finished` log line), its peak RSS, and spawn-to-ready; against a fresh Node process that only
 * fetches and parses the same answers.
 */
export async function measureRelist(sizes: readonly number[], certDir: string): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const rules of RULE_SETS) {
    const queries = seriesQueries(rules.path);
    for (const size of sizes) {
      const group = `relist: ${rules.name}, ${formatCount(size)} series (synthetic /api/v1/series server)`;
      const data = answersFor(queries, () => clusterSeries(size));
      const server = await startSeriesServer(data.answers);
      const facts = [
        `${data.count} series answered to ${queries.length} seriesQueries, ${(data.bytes / MIB).toFixed(1)} MiB of JSON`,
      ];
      let relist = { ms: Number.NaN, rssMiB: Number.NaN, readyMs: Number.NaN };
      let base: FetchParseResult = { ms: Number.NaN, wallMs: Number.NaN, peakRssMiB: Number.NaN, series: 0 };
      try {
        try {
          const started = await startBenchAdapter(
            server.url,
            rules.path,
            certDir,
            // NB: the default 10s Prometheus timeout would cut the large answers short; the relist itself is measured.
            ['--metrics-relist-interval=1h', '--prometheus-timeout=5m'],
            RELIST_TIMEOUT_MS,
          );
          try {
            const line = await firstRelist(started.adapter);
            const rssMiB = peakRssMiB(started.adapter.child.pid);
            relist = { ms: line.ok ? line.durationMs : Number.NaN, rssMiB, readyMs: started.spawnToReadyMs };
            facts.push(
              `adapter: ${line.seriesCount} series relisted, ${line.metricCount} metrics${line.ok ? '' : ', relist FAILED'}`,
            );
          } finally {
            await started.adapter.child.stop();
          }
        } catch (e) {
          facts.push(
            `adapter: ${(e instanceof Error ? e.message : String(e)).split('\n').slice(0, 3).join(' | ')}`,
          );
        }
        const urls = queries.map((q) => `${server.url}/api/v1/series?match[]=${encodeURIComponent(q)}`);
        base = await fetchParse(urls, RELIST_TIMEOUT_MS);
      } finally {
        await server.close();
      }
      const note = facts.join('; ');
      const big = size >= 1_000_000;
      figures.push(
        {
          group,
          name: 'first relist wall time',
          unit: 'ms',
          value: relist.ms,
          baseline: base.ms,
          baselineName: 'fetch+JSON.parse',
          ...(big ? { target: { text: '<= 15000 ms', on: 'value', max: 15_000 } } : {}),
          note,
        },
        {
          group,
          name: 'adapter peak RSS (VmHWM)',
          unit: 'MiB',
          value: relist.rssMiB,
          baseline: base.peakRssMiB,
          baselineName: 'fetch+JSON.parse process',
          ...(big ? { target: { text: '<= 400 MiB', on: 'value', max: 400 } } : {}),
        },
        {
          group,
          name: 'spawn to ready',
          unit: 'ms',
          value: relist.readyMs,
          baseline: base.wallMs,
          baselineName: 'fetch+JSON.parse process, spawn to exit',
        },
      );
    }
  }
  return figures;
}
