import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aroundNow, linearCounter, openMetrics } from '../../src/cli/demo/openmetrics.js';
import { startPrometheus, type PrometheusProcess } from '../../src/cli/demo/prometheus-process.js';
import { PrometheusError } from '../../src/prometheus/client.js';
import {
  createHttpPrometheusClient,
  type HttpPrometheusClientOptions,
} from '../../src/prometheus/http-client.js';

/** Pod names as a Deployment makes them; 500 of them make a ~15 KB matcher. */
const PODS = Array.from({ length: 500 }, (_, i) => `queue-worker-7d9c5b6f4-${String(i).padStart(5, '0')}`);
/** Each pod's counter grows at its own rate, so a mix-up of labels and values shows. */
const rateOf = (i: number): number => 1 + i / 4;

let prom: PrometheusProcess | undefined;
let dir: string | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'prom-client-'));
  const window = aroundNow(600, 900);
  const backfill = openMetrics([
    {
      name: 'requests',
      type: 'counter',
      samples: PODS.flatMap((pod, i) =>
        linearCounter({
          ...window,
          stepSeconds: 15,
          ratePerSecond: rateOf(i),
          labels: { namespace: 'default', pod },
        }),
      ),
    },
  ]);
  prom = await startPrometheus({ dir, backfill, timeoutMs: 60_000 });
}, 90_000);

afterAll(async () => {
  await prom?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function client(options: Partial<HttpPrometheusClientOptions> = {}) {
  if (prom === undefined) throw new Error('prometheus did not start');
  return createHttpPrometheusClient({ url: new URL(prom.url), verb: 'GET', timeoutMs: 5000, ...options });
}

async function failure(call: Promise<unknown>): Promise<PrometheusError> {
  let result: unknown;
  try {
    result = await call;
  } catch (e) {
    expect(e).toBeInstanceOf(PrometheusError);
    return e as PrometheusError;
  }
  throw new Error(`expected a PrometheusError, got the answer ${JSON.stringify(result)}`);
}

const close = (actual: number, expected: number) => Math.abs(actual / expected - 1) < 1e-9;

describe('HTTP Prometheus client against a real Prometheus', () => {
  it('a GET query with a 500-pod =~ matcher succeeds (no 414) and maps every value to its pod (SPEC 9)', async () => {
    const query = `sum(rate(requests_total{namespace="default",pod=~"${PODS.join('|')}"}[2m])) by (pod)`;
    expect(encodeURIComponent(query).length).toBeGreaterThan(10_000);
    const result = await client({ verb: 'GET' }).query(query);
    if (result.type !== 'vector') throw new Error(`expected a vector, got ${result.type}`);
    expect(result.samples).toHaveLength(PODS.length);
    for (const sample of result.samples) {
      expect(Object.keys(sample.labels)).toEqual(['pod']);
      const i = PODS.indexOf(sample.labels.pod ?? '');
      expect(i).toBeGreaterThanOrEqual(0);
      expect(close(sample.value, rateOf(i))).toBe(true);
    }
  });

  it.each(['GET', 'POST'] as const)(
    'verb %s with a query string on the base URL: vector samples carry __name__, all labels and the evaluation time',
    async (verb) => {
      const time = new Date(Math.floor(Date.now() / 1000) * 1000 - 30_000);
      const c = createHttpPrometheusClient({
        url: new URL(`${prom?.url ?? ''}/?tenant=a`),
        verb,
        timeoutMs: 5000,
      });
      const result = await c.query(`requests_total{pod="${PODS[3] ?? ''}"}`, { time });
      expect(result).toEqual({
        type: 'vector',
        samples: [
          {
            labels: { __name__: 'requests_total', namespace: 'default', pod: PODS[3] },
            value: expect.any(Number),
            timestamp: time,
          },
        ],
      });
    },
  );

  it.each<[string, number]>([
    ['1/0', Infinity],
    ['-1/0', -Infinity],
    ['0/0', NaN],
  ])('scalar and vector results of %s are %p (SPEC 6)', async (expr, value) => {
    const c = client();
    const scalar = await c.query(expr);
    expect(scalar).toEqual({ type: 'scalar', value, timestamp: expect.any(Date) });
    const vector = await c.query(`vector(${expr})`);
    expect(vector).toEqual({
      type: 'vector',
      samples: [{ labels: {}, value, timestamp: expect.any(Date) }],
    });
  });

  it('series() returns the label sets with __name__ of the series matched since start (SPEC 4)', async () => {
    const series = await client().series('requests_total{pod=~"queue-worker-7d9c5b6f4-0000[0-2]"}', {
      start: new Date(Date.now() - 10 * 60_000),
    });
    const sorted = [...series].sort((a, b) => (a.pod ?? '').localeCompare(b.pod ?? ''));
    expect(sorted).toEqual(
      PODS.slice(0, 3).map((pod) => ({ __name__: 'requests_total', namespace: 'default', pod })),
    );
  });

  it('series() with a 500-pod matcher succeeds (sent as POST)', async () => {
    const series = await client({ verb: 'GET' }).series(`requests_total{pod=~"${PODS.join('|')}"}`, {
      start: new Date(Date.now() - 10 * 60_000),
    });
    expect(series).toHaveLength(PODS.length);
  });

  it('a syntax error fails as "query" with Prometheus\' HTTP 400 and its message', async () => {
    const error = await failure(client().query('sum(requests_total'));
    expect(error.kind).toBe('query');
    expect(error.httpStatus).toBe(400);
    expect(error.message).toMatch(/^query "sum\(requests_total": HTTP 400 bad_data: .*parse error/);
  });

  it('a wrong path prefix fails as "http" with the 404 of Prometheus\' web server', async () => {
    const error = await failure(
      createHttpPrometheusClient({
        url: new URL(`${prom?.url ?? ''}/no-such-prefix`),
        verb: 'GET',
        timeoutMs: 5000,
      }).query('up'),
    );
    expect({ kind: error.kind, httpStatus: error.httpStatus }).toEqual({ kind: 'http', httpStatus: 404 });
  });
});
