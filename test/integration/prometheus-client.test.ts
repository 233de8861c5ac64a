import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aroundNow, linearCounter, openMetrics } from '../../src/cli/demo/openmetrics.js';
import { PrometheusError } from '../../src/prometheus/client.js';
import {
  createHttpPrometheusClient,
  type HttpPrometheusClientOptions,
} from '../../src/prometheus/http-client.js';
import { BACKENDS, startBackend, type Backend, type BackendKind } from '../support/backends.js';

/** Pod names as a Deployment makes them; 500 of them make a ~15 KB matcher. */
const PODS = Array.from({ length: 500 }, (_, i) => `queue-worker-7d9c5b6f4-${String(i).padStart(5, '0')}`);
/** Each pod's counter grows at its own rate, so a mix-up of labels and values shows. */
const rateOf = (i: number): number => 1 + i / 4;

function backfill(): string {
  const window = aroundNow(600, 900);
  return openMetrics([
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
}

const vectorOf = (value: number) => ({
  type: 'vector',
  samples: [{ labels: {}, value, timestamp: expect.any(Date) }],
});

/**
 * Where the backends legitimately differ. The adapter-level contract (the error kind, a 4xx status, values mapped to
 * their labels) is asserted for both by the tests; these are only the backend's own answers.
 */
const BEHAVIOUR: Record<
  BackendKind,
  {
    /** What an instant query of a constant expression such as `1/0` answers. */
    constant: (value: number) => unknown;
    /** What `vector(<constant>)` answers. */
    vector: (value: number) => unknown;
    syntaxError: { httpStatus: number; message: RegExp };
    wrongPrefixStatus: number;
  }
> = {
  prometheus: {
    constant: (value) => ({ type: 'scalar', value, timestamp: expect.any(Date) }),
    vector: vectorOf,
    syntaxError: {
      httpStatus: 400,
      message: /^query "sum\(requests_total": HTTP 400 bad_data: .*parse error/,
    },
    wrongPrefixStatus: 404,
  },
  // NB: VictoriaMetrics (1.79) has no scalar result type (a constant is a one-sample vector without labels) and
  // drops NaN samples from answers (`0/0` is an empty vector); it reports parse errors as HTTP 422 with errorType
  // "422", and unknown paths as 400 "unsupported path requested" in plain text. It also refuses queries longer than
  // -search.maxQueryLen (16 KiB by default) with a 422; the 500-pod query below is about 14.6 KB.
  'victoria-metrics': {
    constant: (value) => (Number.isNaN(value) ? { type: 'vector', samples: [] } : vectorOf(value)),
    vector: (value) => (Number.isNaN(value) ? { type: 'vector', samples: [] } : vectorOf(value)),
    syntaxError: {
      httpStatus: 422,
      message: /^query "sum\(requests_total": HTTP 422 422: .*unexpected token/,
    },
    wrongPrefixStatus: 400,
  },
};

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

describe.each(BACKENDS)('HTTP Prometheus client against a real %s', (kind) => {
  const behaviour = BEHAVIOUR[kind];
  let backend: Backend | undefined;
  let dir: string | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'prom-client-'));
    backend = await startBackend(kind, { dir, backfill: backfill(), timeoutMs: 60_000 });
  }, 90_000);

  afterAll(async () => {
    await backend?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  function baseUrl(): string {
    if (backend === undefined) throw new Error(`${kind} did not start`);
    return backend.url;
  }

  function client(options: Partial<HttpPrometheusClientOptions> = {}) {
    return createHttpPrometheusClient({ url: new URL(baseUrl()), verb: 'GET', timeoutMs: 5000, ...options });
  }

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
      const c = createHttpPrometheusClient({ url: new URL(`${baseUrl()}/?tenant=a`), verb, timeoutMs: 5000 });
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
  ])(
    'constant and vector results of %s are %p where the backend keeps them (SPEC 6)',
    async (expr, value) => {
      const c = client();
      expect(await c.query(expr)).toEqual(behaviour.constant(value));
      expect(await c.query(`vector(${expr})`)).toEqual(behaviour.vector(value));
    },
  );

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

  it('seriesEach() streams the same label sets as series() for a 500-pod matcher (relisting without holding the answer)', async () => {
    const c = client({ verb: 'GET' });
    const match = `requests_total{pod=~"${PODS.join('|')}"}`;
    const start = new Date(Date.now() - 10 * 60_000);
    const streamed: Array<Record<string, string>> = [];
    const count = await c.seriesEach?.(match, { start }, (labels) => streamed.push(labels));
    const byPod = (a: Record<string, string>, b: Record<string, string>) =>
      (a.pod ?? '').localeCompare(b.pod ?? '');
    expect(count).toBe(PODS.length);
    expect(streamed.sort(byPod)).toEqual((await c.series(match, { start })).sort(byPod));
  });

  it('a syntax error fails as "query" with the backend\'s HTTP status and its message', async () => {
    const error = await failure(client().query('sum(requests_total'));
    expect(error.kind).toBe('query');
    expect(error.httpStatus).toBe(behaviour.syntaxError.httpStatus);
    expect(error.message).toMatch(behaviour.syntaxError.message);
  });

  it('a wrong path prefix fails as "http" with the 4xx of the backend\'s web server', async () => {
    const error = await failure(
      createHttpPrometheusClient({
        url: new URL(`${baseUrl()}/no-such-prefix`),
        verb: 'GET',
        timeoutMs: 5000,
      }).query('up'),
    );
    expect({ kind: error.kind, httpStatus: error.httpStatus }).toEqual({
      kind: 'http',
      httpStatus: behaviour.wrongPrefixStatus,
    });
  });
});
