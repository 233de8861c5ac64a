import { describe, expect, it } from '@jest/globals';
import { coalesceCalls } from '../../../src/prometheus/coalescing-client.js';
import {
  PrometheusError,
  type InstantQueryResult,
  type PrometheusClient,
  type QueryOptions,
} from '../../../src/prometheus/client.js';

const RESULT: InstantQueryResult = { type: 'vector', samples: [] };

/** A backend whose calls stay pending until released; counts the calls that reach it. */
function pendingBackend() {
  const calls: Array<{
    promql: string;
    signal?: AbortSignal;
    release: () => void;
    fail: (e: Error) => void;
  }> = [];
  const client: PrometheusClient = {
    query: (promql: string, options: QueryOptions = {}) =>
      new Promise((resolve, reject) => {
        const call = {
          promql,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          release: () => resolve(RESULT),
          fail: reject,
        };
        calls.push(call);
        options.signal?.addEventListener('abort', () => reject(new PrometheusError('aborted', 'aborted')));
      }),
    series: (match) =>
      new Promise((resolve, reject) => {
        calls.push({ promql: match, release: () => resolve([{ __name__: 'up' }]), fail: reject });
      }),
  };
  return { client, calls };
}

describe('coalescing identical concurrent Prometheus calls (issue 7)', () => {
  it('sends 50 identical concurrent queries to Prometheus once; every caller gets the answer', async () => {
    const { client, calls } = pendingBackend();
    const coalesced = coalesceCalls(client);
    const answers = Array.from({ length: 50 }, () => coalesced.query('sum(rate(qps[2m]))'));
    expect(calls).toHaveLength(1);
    calls[0]?.release();
    expect(await Promise.all(answers)).toEqual(Array.from({ length: 50 }, () => RESULT));
  });

  it('different queries, and the same query after the first settled, are separate calls', async () => {
    const { client, calls } = pendingBackend();
    const coalesced = coalesceCalls(client);
    const a = coalesced.query('a');
    const b = coalesced.query('b');
    expect(calls.map((c) => c.promql)).toEqual(['a', 'b']);
    calls.forEach((c) => c.release());
    await Promise.all([a, b]);
    const again = coalesced.query('a');
    expect(calls).toHaveLength(3);
    calls[2]?.release();
    await again;
  });

  it('a query with an explicit evaluation time is never coalesced', () => {
    const { client, calls } = pendingBackend();
    const coalesced = coalesceCalls(client);
    const time = new Date('2026-11-22T10:00:00Z');
    void coalesced.query('a', { time });
    void coalesced.query('a', { time });
    expect(calls).toHaveLength(2);
  });

  it('an error reaches every caller', async () => {
    const { client, calls } = pendingBackend();
    const coalesced = coalesceCalls(client);
    const answers = [coalesced.query('a'), coalesced.query('a')];
    calls[0]?.fail(new PrometheusError('unreachable', 'connect ECONNREFUSED'));
    for (const answer of answers) await expect(answer).rejects.toThrow('connect ECONNREFUSED');
  });

  it('one caller giving up does not abort the others; the last one giving up aborts the backend call', async () => {
    const { client, calls } = pendingBackend();
    const coalesced = coalesceCalls(client);
    const first = new AbortController();
    const second = new AbortController();
    const a = coalesced.query('a', { signal: first.signal });
    const b = coalesced.query('a', { signal: second.signal });
    expect(calls).toHaveLength(1);
    first.abort();
    await expect(a).rejects.toMatchObject({ kind: 'aborted' });
    expect(calls[0]?.signal?.aborted).toBe(false);
    second.abort();
    await expect(b).rejects.toMatchObject({ kind: 'aborted' });
    expect(calls[0]?.signal?.aborted).toBe(true);
    // A new caller starts a new call rather than joining the aborted one.
    void coalesced.query('a');
    expect(calls).toHaveLength(2);
  });

  it('coalesces series calls with the same match and window', async () => {
    const { client, calls } = pendingBackend();
    const coalesced = coalesceCalls(client);
    const start = new Date('2026-11-22T10:00:00Z');
    const answers = [coalesced.series('{job="a"}', { start }), coalesced.series('{job="a"}', { start })];
    void coalesced.series('{job="a"}', { start: new Date(start.getTime() + 1) });
    expect(calls).toHaveLength(2);
    calls[0]?.release();
    expect(await Promise.all(answers)).toEqual([[{ __name__: 'up' }], [{ __name__: 'up' }]]);
  });
});
