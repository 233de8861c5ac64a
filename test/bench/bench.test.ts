/**
 * The benchmark suite (issue 7): the built adapter (dist/main.js) as a child process, each figure next to a
 * baseline measured in the same run. Skipped unless BENCH is set: BENCH=quick (tiny sizes, a smoke test that only
 * checks every figure was produced) or BENCH=full (manual). Prints a table and writes bench-results/<mode>.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadServingCert } from '../../src/server/serving-cert.js';
import { measureColdStart } from './cold-start.js';
import { measureDiscovery } from './discovery.js';
import { measureRelist } from './relist.js';
import {
  formatTable,
  machineFacts,
  ratioOf,
  verdict,
  writeReport,
  type BenchMode,
  type Figure,
} from './report.js';
import { measureRequestPath } from './request-path.js';

const SIZES = {
  quick: {
    requestPath: { pods: [5, 50], concurrency: [1, 16, 64], durationMs: 1000, warmUpMs: 100 },
    relistSeries: [1000],
    discovery: { metrics: 1000, requests: 30 },
    coldStartRuns: 3,
    timeoutMs: 60_000,
  },
  full: {
    requestPath: { pods: [50, 500], concurrency: [1, 16, 64], durationMs: 10_000, warmUpMs: 1000 },
    relistSeries: [10_000, 100_000, 1_000_000],
    discovery: { metrics: 50_000, requests: 200 },
    coldStartRuns: 10,
    timeoutMs: 40 * 60_000,
  },
} as const;

const env = process.env.BENCH;
if (env !== undefined && env !== 'quick' && env !== 'full') {
  throw new Error(
    `BENCH must be "quick" or "full" (or unset to skip the benchmarks), got ${JSON.stringify(env)}`,
  );
}
const mode: BenchMode = env ?? 'quick';
const sizes = SIZES[mode];

const METHOD = [
  'The adapter is the built dist/main.js, spawned per measurement in --standalone mode (HTTPS, self-signed ' +
    'certificate created before the run); the load clients run in the benchmark process on the same machine.',
  'Request path: real Prometheus backfilled with queue-worker-like qps series; the adapter is read over HTTPS with ' +
    "keep-alive, Prometheus over HTTP with keep-alive (GET /api/v1/query with the PromQL from the adapter's --v=6 " +
    `query log); each concurrency level runs ${sizes.requestPath.durationMs / 1000} s after a warm-up.`,
  'Relist and discovery: /api/v1/series is answered by a synthetic HTTP server in the benchmark process that serves ' +
    'pre-generated bodies (filtered by the seriesQuery matchers), not by Prometheus. Relist time is the durationMs of ' +
    'the adapter\'s first "relist finished" log line (--metrics-relist-interval=1h, --prometheus-timeout=5m).',
  'Peak RSS is VmHWM of /proc/PID/status. Baselines are measured in the same run, right after the figure.',
];

function unproduced(figures: readonly Figure[]): string[] {
  return figures
    .filter((f) => !Number.isFinite(f.value) || (f.baseline !== undefined && !Number.isFinite(f.baseline)))
    .map((f) => `${f.group} / ${f.name}${f.note === undefined ? '' : ` (${f.note})`}`);
}

(env === undefined ? describe.skip : describe)(`benchmarks (BENCH=${mode})`, () => {
  const figures: Figure[] = [];
  const started = new Date();
  const atStart = machineFacts();
  let work = '';
  let certDir = '';

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pma-bench-'));
    certDir = join(work, 'cert');
    await loadServingCert({ certDir });
  });

  afterAll(() => {
    const table = formatTable(figures);
    const atEnd = machineFacts();
    const path = writeReport(
      {
        mode,
        startedAt: started.toISOString(),
        durationS: Math.round((Date.now() - started.getTime()) / 1000),
        machine: { atStart, atEnd },
        method: METHOD,
        figures: figures.map((f) => {
          const v = verdict(f);
          return {
            ...f,
            ...(f.baseline === undefined ? {} : { ratio: ratioOf(f) ?? null }),
            ...(v === undefined ? {} : { verdict: v }),
          };
        }),
      },
      table,
    );
    const m = atStart;
    process.stdout.write(
      `\nprometheus-metrics-adapter benchmarks, BENCH=${mode}: ${m.cores} cores (${m.cpuModel}), node ${m.node}, ` +
        `${m.prometheus}, load average ${m.loadAverage1m} at start and ${atEnd.loadAverage1m} at end\n` +
        `${METHOD.map((x) => `- ${x}`).join('\n')}\n\n${table}\n\nwritten: ${path}\n`,
    );
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  // NB: quick mode only checks that every figure was produced; full mode records failures (e.g. out of memory)
  // as n/a with a note, since those are results too.
  const record = (produced: Figure[], expected: number) => {
    figures.push(...produced);
    expect(produced).toHaveLength(expected);
    if (mode === 'quick') expect(unproduced(produced)).toEqual([]);
  };
  const { requestPath } = sizes;

  it(
    'request path: adapter vs direct PromQL',
    async () => {
      const produced = await measureRequestPath(requestPath, work, certDir);
      record(produced, requestPath.pods.length * requestPath.concurrency.length * 3);
    },
    sizes.timeoutMs,
  );

  it(
    'relist: wall time and peak RSS',
    async () => record(await measureRelist(sizes.relistSeries, certDir), sizes.relistSeries.length * 2 * 3),
    sizes.timeoutMs,
  );

  it(
    'discovery: latency and size',
    async () => record(await measureDiscovery(sizes.discovery.metrics, sizes.discovery.requests, certDir), 3),
    sizes.timeoutMs,
  );

  it(
    'cold start to ready',
    async () => record(await measureColdStart(sizes.coldStartRuns, certDir), 1),
    sizes.timeoutMs,
  );
});
