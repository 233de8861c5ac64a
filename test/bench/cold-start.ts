import { QUEUE_WORKER_RULES } from '../support/adapter.js';
import { nodeNoopMs, startBenchAdapter } from './processes.js';
import { answersFor, seriesQueries } from './relist.js';
import type { Figure } from './report.js';
import { startSeriesServer } from './series-server.js';
import { median } from './stats.js';
import { clusterSeries } from './synthetic-series.js';

/**
 * Spawn to the first /readyz 200 of the adapter (standalone, queue-worker rules, 100 synthetic series, an existing
 * serving certificate), median of `runs`, interleaved with `node -e 0` runs. NB: no warm-up start; the suite runs
 * this last, after other adapter starts have warmed the file caches.
 */
export async function measureColdStart(runs: number, certDir: string): Promise<Figure[]> {
  const data = answersFor(seriesQueries(QUEUE_WORKER_RULES), () => clusterSeries(100));
  const server = await startSeriesServer(data.answers);
  const adapterMs: number[] = [];
  const nodeMs: number[] = [];
  try {
    for (let i = 0; i <= runs; i++) {
      const { adapter, spawnToReadyMs } = await startBenchAdapter(
        server.url,
        QUEUE_WORKER_RULES,
        certDir,
        [],
      );
      await adapter.child.stop();
      const noop = await nodeNoopMs();
      if (i === 0) continue;
      adapterMs.push(spawnToReadyMs);
      nodeMs.push(noop);
    }
  } finally {
    await server.close();
  }
  return [
    {
      group: 'cold start: spawn to /readyz 200 (standalone, queue-worker rules, 100 series)',
      name: `median of ${runs} runs`,
      unit: 'ms',
      value: median(adapterMs),
      baseline: median(nodeMs),
      baselineName: 'node -e 0',
      target: { text: '<= 1500 ms', on: 'value', max: 1500 },
      note: `adapter min ${Math.min(...adapterMs).toFixed(0)} ms, max ${Math.max(...adapterMs).toFixed(0)} ms`,
    },
  ];
}
