import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { GENERATED_CERT_FILE, GENERATED_KEY_FILE } from '../../src/server/serving-cert.js';
import { QUEUE_WORKER_RULES } from '../support/adapter.js';
import { getJson } from '../support/https.js';
import { runLoad } from './load.js';
import { firstRelist, startBenchAdapter } from './processes.js';
import { answersFor, seriesQueries } from './relist.js';
import type { Figure } from './report.js';
import { startSeriesServer } from './series-server.js';
import { percentile } from './stats.js';
import { manyNamesSeries } from './synthetic-series.js';

/** A plain node:https server answering `body` to every request, with the adapter's certificate. */
async function staticHttps(
  body: Buffer,
  certDir: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = https.createServer(
    {
      cert: readFileSync(join(certDir, GENERATED_CERT_FILE)),
      key: readFileSync(join(certDir, GENERATED_KEY_FILE)),
    },
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * GET /apis/custom.metrics.k8s.io/v1beta2 with `metrics` metrics (queue-worker rules: 4 metrics per series name),
 * one client on a keep-alive connection, against the same bytes from a plain node:https server.
 */
export async function measureDiscovery(
  metrics: number,
  requests: number,
  certDir: string,
): Promise<Figure[]> {
  const group = `discovery: GET /apis/custom.metrics.k8s.io/v1beta2, ${metrics} metrics (synthetic series)`;
  const data = answersFor(seriesQueries(QUEUE_WORKER_RULES), () => manyNamesSeries(metrics / 4));
  const server = await startSeriesServer(data.answers);
  try {
    const { adapter } = await startBenchAdapter(server.url, QUEUE_WORKER_RULES, certDir, [
      '--metrics-relist-interval=1h',
    ]);
    try {
      const relist = await firstRelist(adapter);
      const url = `${adapter.url}/apis/custom.metrics.k8s.io/v1beta2`;
      const first = await getJson(url, { timeoutMs: 30_000 });
      const served = (first.body as { resources?: unknown[] } | undefined)?.resources?.length;
      if (first.status !== 200 || served !== metrics) {
        throw new Error(
          `discovery answered ${first.status} with ${served ?? 'no'} resources, expected ${metrics} (relist: ${JSON.stringify(relist)})`,
        );
      }
      const bytes = Buffer.byteLength(first.text);
      const a = await runLoad({ url: () => url, concurrency: 1, requests });
      const plain = await staticHttps(Buffer.from(first.text), certDir);
      const s = await runLoad({ url: () => plain.url, concurrency: 1, requests }).finally(() =>
        plain.close(),
      );
      const failures = [a, s].filter((r) => r.errors > 0).map((r) => r.firstError);
      const common = {
        group,
        baselineName: 'same bytes, plain node:https',
        ...(failures.length === 0 ? {} : { note: `failed requests: ${failures.join('; ')}` }),
      };
      const big = metrics >= 50_000;
      return [
        {
          ...common,
          name: `p50 (${a.completed} sequential requests)`,
          unit: 'ms',
          value: percentile(a.latenciesMs, 50),
          baseline: percentile(s.latenciesMs, 50),
        },
        {
          ...common,
          name: `p99 (${a.completed} sequential requests)`,
          unit: 'ms',
          value: percentile(a.latenciesMs, 99),
          baseline: percentile(s.latenciesMs, 99),
          ...(big ? { target: { text: '<= 100 ms', on: 'value', max: 100 } } : {}),
        },
        {
          group,
          name: 'response size',
          unit: 'bytes',
          value: bytes,
          note: `${(bytes / metrics).toFixed(0)} bytes per metric`,
        },
      ];
    } finally {
      await adapter.child.stop();
    }
  } finally {
    await server.close();
  }
}
