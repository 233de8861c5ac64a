/**
 * Prometheus killed and restarted (issue 8, "Faults survived"): a real Prometheus is killed with SIGKILL while a
 * query and a relist are in flight, then a new one starts on the same port with the same data directory. Two
 * adapters watch it: one through the fault proxy (which holds the calls until Prometheus is dead, and counts the
 * connections), one connected directly (its own pooled connections die with Prometheus). Neither is restarted.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AdapterProcess } from '../../src/cli/demo/adapter-process.js';
import { startPrometheus, type PrometheusProcess } from '../../src/cli/demo/prometheus-process.js';
import { startStandaloneAdapter } from '../support/adapter.js';
import { countLines, expectStatusError, reportFault, timed, timeToRecover } from '../support/fault-checks.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { getJson } from '../support/https.js';
import { POD, queueWorkerOpenMetrics } from '../support/queue-worker-data.js';
import { waitFor } from '../support/wait.js';

const TIMEOUT_MS = 2000;
/** NB: functional deadlines, not benchmarks. */
const MARGIN_MS = 1500;
const FAST_MS = 2000;
const FEW_SOCKETS = 4;
const BASE = '/apis/custom.metrics.k8s.io/v1beta2';
const QUEUE = `${BASE}/namespaces/default/pods/*/counter_queue_size`;
const QPS = `${BASE}/namespaces/default/pods/*/counter_qps`;

const dir = mkdtempSync(join(tmpdir(), 'pma-faults-restart-'));
let prometheus: PrometheusProcess;
let proxy: FaultProxy;
let viaProxy: AdapterProcess;
let direct: AdapterProcess;
let relistFailures: () => number;

beforeAll(async () => {
  prometheus = await startPrometheus({ dir, backfill: queueWorkerOpenMetrics() });
  proxy = await startFaultProxy(prometheus.url);
  const flags = [
    `--prometheus-timeout=${TIMEOUT_MS}ms`,
    '--metrics-relist-interval=2s',
    '--metrics-max-age=10m',
  ];
  [viaProxy, direct] = await Promise.all([
    startStandaloneAdapter(proxy.url, flags),
    startStandaloneAdapter(prometheus.url, flags),
  ]);
  relistFailures = countLines(viaProxy.child, 'relist failed for a seriesQuery');
}, 60_000);

afterAll(async () => {
  await Promise.all([viaProxy?.child.stop(), direct?.child.stop()]);
  await proxy?.stop();
  await prometheus?.stop();
});

const valuesOf = (body: unknown) =>
  Object.fromEntries(
    (body as { items: Array<{ describedObject: { name: string }; value: string }> }).items.map((i) => [
      i.describedObject.name,
      i.value,
    ]),
  );

/** Polls `condition` every 10 ms (the relist is held only 1.8 s), for at most 10 s. */
async function waitUntil(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function metricNames(of: AdapterProcess): Promise<string[]> {
  const res = await getJson(`${of.url}${BASE}`);
  return ((res.body as { resources?: { name: string }[] }).resources ?? []).map((r) => r.name);
}

describe('Prometheus killed and restarted', () => {
  let expected: Record<string, string>;

  it('SIGKILL mid-query and mid-relist: 503 within the timeout, the last good registry keeps serving', async () => {
    const before = await getJson(`${viaProxy.url}${QPS}`);
    expect(before.status).toBe(200);
    expected = valuesOf(before.body);
    expect(expected[POD.a]).toBe('3500m');
    const failuresBefore = relistFailures();

    // NB: the proxy holds the next relist and then a query until Prometheus is dead, and forwards them (within
    // the adapter's timeout): to the adapter, Prometheus died with both in flight (the connection closes unanswered).
    await proxy.setMode(
      { kind: 'delay', ms: 1800 },
      (r) => r.path === '/api/v1/series' || (r.params.get('query') ?? '').includes('queue_size'),
    );
    const held = (path: string) => proxy.pending().some((r) => r.path === path);
    await waitUntil('a relist in flight', () => held('/api/v1/series'));
    const query = timed(() => getJson(`${viaProxy.url}${QUEUE}`, { timeoutMs: 30_000 }));
    await waitUntil('a query in flight', () => held('/api/v1/query'));
    process.kill(prometheus.pid ?? 0, 'SIGKILL');
    expect(await prometheus.exited).toMatchObject({ signal: 'SIGKILL' });

    const answer = await query;
    expectStatusError(
      answer.value,
      503,
      'ServiceUnavailable',
      /^unable to fetch the metric counter_queue_size from Prometheus$/,
    );
    expect(answer.ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    await waitFor(
      'the relist in flight to fail',
      () => (relistFailures() > failuresBefore ? true : undefined),
      10_000,
    );
    await proxy.setMode({ kind: 'pass' });

    for (const adapter of [viaProxy, direct]) {
      const dead = await timed(() => getJson(`${adapter.url}${QPS}`, { timeoutMs: 30_000 }));
      expectStatusError(
        dead.value,
        503,
        'ServiceUnavailable',
        /^unable to fetch the metric counter_qps from Prometheus$/,
      );
      expect(dead.ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      const discovery = await timed(() => metricNames(adapter));
      expect(discovery.value).toEqual(
        expect.arrayContaining(['pods/counter_qps', 'pods/counter_queue_size']),
      );
      expect(discovery.ms).toBeLessThan(FAST_MS);
      expect((await getJson(`${adapter.url}/healthz`)).status).toBe(200);
      expect(adapter.child.hasExited()).toBe(false);
    }
    reportFault(
      'Prometheus killed (SIGKILL) mid-query and mid-relist',
      `503 "unable to fetch the metric … from Prometheus" in ${answer.ms} ms; relist failed, last good ` +
        'metrics kept; discovery unaffected',
      'see the restart row',
    );
  }, 60_000);

  it('restarted on the same port with the same data: both adapters recover by themselves', async () => {
    const pids = [viaProxy.child.pid, direct.child.pid];
    const started = performance.now();
    prometheus = await startPrometheus({ dir, port: prometheus.port });
    const readyMs = Math.round(performance.now() - started);

    const recoveries: number[] = [];
    for (const adapter of [viaProxy, direct]) {
      recoveries.push(
        await timeToRecover(
          'the query after the restart',
          async () => {
            const res = await getJson(`${adapter.url}${QPS}`);
            return res.status === 200 && valuesOf(res.body)[POD.a] === expected[POD.a];
          },
          15_000,
        ),
      );
      expect((await getJson(`${adapter.url}${QUEUE}`)).status).toBe(200);
    }
    const relistOk = countLines(viaProxy.child, '"msg":"relist finished"', '"ok":true');
    const relistMs = await timeToRecover('relisting', () => Promise.resolve(relistOk() > 0), 10_000);
    expect([viaProxy.child.pid, direct.child.pid]).toEqual(pids);
    expect(viaProxy.child.hasExited() || direct.child.hasExited()).toBe(false);
    await waitFor(
      'the connections to the proxy to go back to a few',
      () => (proxy.openSockets() <= FEW_SOCKETS ? true : undefined),
      10_000,
    );
    process.stdout.write(
      `restart: Prometheus ready in ${readyMs} ms; queries recovered ${recoveries.join(' / ')} ms after ` +
        `(via proxy / direct), next good relist ${relistMs} ms after\n`,
    );
    reportFault(
      'Prometheus restarted (same port, same data)',
      '503 while it is down; answers again without an adapter restart, same values',
      `queries ${Math.max(...recoveries)} ms after Prometheus is ready (it took ${readyMs} ms to start); ` +
        `relist ${relistMs} ms`,
    );
  }, 60_000);
});
