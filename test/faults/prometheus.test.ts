/**
 * Prometheus faults (issue 8, "Faults survived"): the built adapter against a real Prometheus behind the fault
 * proxy, which breaks every series call (so relists fail) and the queries of `queue_size`, while the queries of
 * `qps` pass. For each fault: the broken requests answer a Status error naming the problem within the Prometheus
 * timeout, the other requests and discovery stay fast, the last good registry keeps serving, the adapter recovers
 * by itself once the fault ends, stays alive, and the connections it opened to the proxy go back to a few.
 *
 * Covered elsewhere, not repeated: Prometheus gone (stopped) and an adapter started against a Prometheus that
 * never answers (test/e2e/failures.test.ts); SIGKILL and restart (prometheus-restart.test.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AdapterProcess } from '../../src/cli/demo/adapter-process.js';
import { startPrometheus, type PrometheusProcess } from '../../src/cli/demo/prometheus-process.js';
import { startStandaloneAdapter } from '../support/adapter.js';
import { countLines, expectStatusError, reportFault, timed, timeToRecover } from '../support/fault-checks.js';
import { startFaultProxy, type FaultMatch, type FaultMode, type FaultProxy } from '../support/fault-proxy.js';
import { getJson } from '../support/https.js';
import { POD, queueWorkerOpenMetrics } from '../support/queue-worker-data.js';
import { waitFor } from '../support/wait.js';

const TIMEOUT_MS = 2000;
const SLOW_MS = 3000;
const PATIENT_TIMEOUT_MS = 5000;
/** NB: functional deadlines, not benchmarks: an answer must come before its timeout plus this. */
const MARGIN_MS = 1500;
/** Discovery and unaffected requests: well under the aggregator's 5 s availability probe (SPEC 8). */
const FAST_MS = 2000;
/** Open client connections of both adapters once idle ones are closed: a leak would keep the broken ones. */
const FEW_SOCKETS = 4;

const BASE = '/apis/custom.metrics.k8s.io/v1beta2';
const metricPath = (metric: string, pod = '*') => `${BASE}/namespaces/default/pods/${pod}/${metric}`;
/** Five distinct queries, so coalescing does not merge them. */
const BROKEN = [
  metricPath('counter_queue_size'),
  metricPath('counter_queue_size', POD.a),
  metricPath('counter_queue_size', POD.b),
  metricPath('gauge_queue_size'),
  metricPath('gauge_queue_size', POD.c),
];
const HEALTHY = metricPath('counter_qps');
const FAULTED: FaultMatch = (r) =>
  r.path === '/api/v1/series' || (r.params.get('query') ?? '').includes('queue_size');

let prometheus: PrometheusProcess;
let proxy: FaultProxy;
let adapter: AdapterProcess;
/** The same, with a Prometheus timeout above the 3 s delay. */
let patient: AdapterProcess;
let relistFailures: () => number;
let relistSuccesses: () => number;

beforeAll(async () => {
  prometheus = await startPrometheus({
    dir: mkdtempSync(join(tmpdir(), 'pma-faults-prom-')),
    backfill: queueWorkerOpenMetrics(),
  });
  proxy = await startFaultProxy(prometheus.url);
  const flags = ['--metrics-relist-interval=2s', '--metrics-max-age=10m'];
  [adapter, patient] = await Promise.all([
    startStandaloneAdapter(proxy.url, [`--prometheus-timeout=${TIMEOUT_MS}ms`, ...flags]),
    startStandaloneAdapter(proxy.url, [`--prometheus-timeout=${PATIENT_TIMEOUT_MS}ms`, ...flags]),
  ]);
  relistFailures = countLines(adapter.child, 'relist failed for a seriesQuery');
  relistSuccesses = countLines(adapter.child, '"msg":"relist finished"', '"ok":true');
}, 60_000);

afterAll(async () => {
  await Promise.all([adapter?.child.stop(), patient?.child.stop()]);
  await proxy?.stop();
  await prometheus?.stop();
});

async function metricNames(of: AdapterProcess): Promise<string[]> {
  const res = await getJson(`${of.url}${BASE}`);
  return ((res.body as { resources?: { name: string }[] }).resources ?? []).map((r) => r.name);
}

interface Expected {
  code: number;
  reason: string;
  message: RegExp;
}

/**
 * Runs one fault through its whole course and returns what it measured: the slowest broken answer, the peak of
 * open connections, the time for queries and for relists to recover after the fault ends.
 */
async function survive(mode: FaultMode, expected: Expected) {
  expect((await getJson(`${adapter.url}${BROKEN[0]}`)).status).toBe(200);
  const failuresBefore = relistFailures();
  let peakSockets = proxy.openSockets();
  const sampler = setInterval(() => (peakSockets = Math.max(peakSockets, proxy.openSockets())), 50);
  try {
    await proxy.setMode(mode, FAULTED);
    const broken = Promise.all(
      BROKEN.map((path) => timed(() => getJson(`${adapter.url}${path}`, { timeoutMs: 30_000 }))),
    );
    // NB: while the broken requests are in flight (for the faults that hold them).
    await new Promise((r) => setTimeout(r, 200));
    const healthy = await timed(() => getJson(`${adapter.url}${HEALTHY}`));
    expect(healthy.value.status).toBe(200);
    expect(healthy.ms).toBeLessThan(FAST_MS);
    const discovery = await timed(() => getJson(`${adapter.url}${BASE}`));
    expect(discovery.value.status).toBe(200);
    expect(discovery.ms).toBeLessThan(FAST_MS);

    const answers = await broken;
    for (const { value, ms } of answers) {
      expectStatusError(value, expected.code, expected.reason, expected.message);
      expect(ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    }

    await waitFor(
      'a relist through the fault',
      () => (relistFailures() > failuresBefore ? true : undefined),
      10_000,
    );
    expect(await metricNames(adapter)).toEqual(
      expect.arrayContaining(['pods/counter_queue_size', 'pods/gauge_queue_size', 'pods/counter_qps']),
    );
    expect(adapter.child.hasExited()).toBe(false);

    const successesBefore = relistSuccesses();
    await proxy.setMode({ kind: 'pass' });
    const queryRecoveryMs = await timeToRecover(
      'the broken query',
      async () => (await getJson(`${adapter.url}${BROKEN[0]}`)).status === 200,
      10_000,
    );
    const relistRecoveryMs = await timeToRecover(
      'relisting',
      () => Promise.resolve(relistSuccesses() > successesBefore),
      10_000,
    );
    await waitFor(
      'the connections to the proxy to go back to a few',
      () => (proxy.openSockets() <= FEW_SOCKETS ? true : undefined),
      10_000,
    );
    const slowest = Math.max(...answers.map((a) => a.ms));
    process.stdout.write(
      `${mode.kind}: broken answers within ${slowest} ms, healthy ${healthy.ms} ms, discovery ${discovery.ms} ms, ` +
        `peak ${peakSockets} connections, queries recovered in ${queryRecoveryMs} ms, ` +
        `relist in ${relistRecoveryMs} ms\n`,
    );
    return { slowest, queryRecoveryMs, relistRecoveryMs, peakSockets };
  } finally {
    clearInterval(sampler);
    await proxy.setMode({ kind: 'pass' });
  }
}

const recovery = (m: { queryRecoveryMs: number; relistRecoveryMs: number }) =>
  `queries ${m.queryRecoveryMs} ms, relist ${m.relistRecoveryMs} ms`;

describe('Prometheus faults (the fault proxy breaks relists and the queries of one metric)', () => {
  it('accepts connections and never answers: 503 timed out, within the Prometheus timeout', async () => {
    const m = await survive(
      { kind: 'hang' },
      {
        code: 503,
        reason: 'ServiceUnavailable',
        message: /^timed out fetching the metric \w+_queue_size from Prometheus$/,
      },
    );
    reportFault(
      'Prometheus accepts connections, never answers',
      `503 "timed out fetching the metric …" after ${m.slowest} ms (timeout 2 s); last good metrics kept`,
      recovery(m),
    );
  }, 60_000);

  it('answers after 3 s: 503 with a 2 s timeout, the values with a 5 s timeout', async () => {
    const m = await survive(
      { kind: 'delay', ms: SLOW_MS },
      {
        code: 503,
        reason: 'ServiceUnavailable',
        message: /^timed out fetching the metric \w+_queue_size from Prometheus$/,
      },
    );
    // NB: the patient adapter's request is sent while the delay holds, so it is surely delayed too.
    await proxy.setMode({ kind: 'delay', ms: SLOW_MS }, FAULTED);
    let slow: Awaited<ReturnType<typeof timed<Awaited<ReturnType<typeof getJson>>>>>;
    try {
      slow = await timed(() => getJson(`${patient.url}${BROKEN[0]}`, { timeoutMs: 30_000 }));
    } finally {
      await proxy.setMode({ kind: 'pass' });
    }
    expect(slow.value.status).toBe(200);
    expect((slow.value.body as { items: unknown[] }).items.length).toBeGreaterThan(0);
    expect(slow.ms).toBeGreaterThanOrEqual(SLOW_MS - 100);
    expect(slow.ms).toBeLessThan(PATIENT_TIMEOUT_MS + MARGIN_MS);
    expect(patient.child.hasExited()).toBe(false);
    reportFault(
      'Prometheus answers after 3 s, --prometheus-timeout=2s',
      `503 "timed out fetching the metric …" after ${m.slowest} ms; last good metrics kept`,
      recovery(m),
    );
    reportFault(
      'Prometheus answers after 3 s, --prometheus-timeout=5s',
      `200 with the values after ${slow.ms} ms`,
      'n/a (no failure)',
    );
  }, 60_000);

  it('answers HTTP 503 (a gateway in front of it): 503 naming the metric', async () => {
    const m = await survive(
      { kind: 'status', code: 503 },
      {
        code: 503,
        reason: 'ServiceUnavailable',
        message: /^unable to fetch the metric \w+_queue_size from Prometheus$/,
      },
    );
    reportFault(
      'Prometheus answers HTTP 503',
      `503 "unable to fetch the metric … from Prometheus" in ${m.slowest} ms; last good metrics kept`,
      recovery(m),
    );
  }, 60_000);

  it('answers an HTML page with 200: 500 unusable answer', async () => {
    const m = await survive(
      { kind: 'html' },
      {
        code: 500,
        reason: 'InternalError',
        message: /^Prometheus gave an unusable answer for the metric \w+_queue_size$/,
      },
    );
    reportFault(
      'Prometheus answers an HTML page (200)',
      `500 "Prometheus gave an unusable answer for the metric …" in ${m.slowest} ms; last good metrics kept`,
      recovery(m),
    );
  }, 60_000);

  it('answers truncated JSON: 500 unusable answer', async () => {
    const m = await survive(
      { kind: 'truncated-json' },
      {
        code: 500,
        reason: 'InternalError',
        message: /^Prometheus gave an unusable answer for the metric \w+_queue_size$/,
      },
    );
    reportFault(
      'Prometheus answers truncated JSON',
      `500 "Prometheus gave an unusable answer for the metric …" in ${m.slowest} ms; last good metrics kept`,
      recovery(m),
    );
  }, 60_000);

  it('closes the connection in the middle of the body: 503 naming the metric', async () => {
    const m = await survive(
      { kind: 'close-mid-body' },
      {
        code: 503,
        reason: 'ServiceUnavailable',
        message: /^unable to fetch the metric \w+_queue_size from Prometheus$/,
      },
    );
    reportFault(
      'Prometheus closes the connection mid-body',
      `503 "unable to fetch the metric … from Prometheus" in ${m.slowest} ms; last good metrics kept`,
      recovery(m),
    );
  }, 60_000);
});
