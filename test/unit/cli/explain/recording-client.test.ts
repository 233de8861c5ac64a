import { describe, expect, it } from '@jest/globals';
import { createRecordingClient } from '../../../../src/cli/explain/recording-client.js';
import {
  PrometheusError,
  type InstantQueryResult,
  type PrometheusClient,
  type QueryOptions,
  type SeriesOptions,
} from '../../../../src/prometheus/client.js';

const T = new Date('2024-05-01T12:00:00Z');
const VECTOR: InstantQueryResult = {
  type: 'vector',
  samples: [{ labels: { pod: 'a' }, value: 3.5, timestamp: T }],
};

/** A fake whose answers the test releases by hand, recording the arguments it got. */
function fakeClient() {
  const got: Array<{ call: string; arg: string; options: QueryOptions | SeriesOptions | undefined }> = [];
  const release: Array<() => void> = [];
  const client: PrometheusClient = {
    query(promql, options) {
      got.push({ call: 'query', arg: promql, options });
      if (promql === 'bad') return Promise.reject(new PrometheusError('query', 'parse error', 400));
      return new Promise((resolve) => release.push(() => resolve(VECTOR)));
    },
    series(match, options) {
      got.push({ call: 'series', arg: match, options });
      return Promise.resolve([{ __name__: 'qps', pod: 'a' }]);
    },
  };
  return { client, got, release };
}

describe('createRecordingClient', () => {
  it('passes queries through unchanged and records each with its answer, in the order sent', async () => {
    const { client, got, release } = fakeClient();
    const recorder = createRecordingClient(client);
    const signal = new AbortController().signal;
    const first = recorder.query('up', { signal, time: T });
    const second = recorder.query('sum(qps)');
    expect(recorder.queries().map((q) => [q.promql, q.outcome.state])).toEqual([
      ['up', 'pending'],
      ['sum(qps)', 'pending'],
    ]);
    release[1]!();
    release[0]!();
    expect(await first).toBe(VECTOR);
    expect(await second).toBe(VECTOR);
    expect(got).toEqual([
      { call: 'query', arg: 'up', options: { signal, time: T } },
      { call: 'query', arg: 'sum(qps)', options: undefined },
    ]);
    expect(recorder.queries()).toEqual([
      { promql: 'up', time: T, outcome: { state: 'answered', answer: VECTOR } },
      { promql: 'sum(qps)', outcome: { state: 'answered', answer: VECTOR } },
    ]);
  });

  it('rethrows the same error and records it', async () => {
    const recorder = createRecordingClient(fakeClient().client);
    const error = await recorder.query('bad').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrometheusError);
    expect(recorder.queries()).toEqual([{ promql: 'bad', outcome: { state: 'failed', error } }]);
  });

  it('records series calls apart from queries', async () => {
    const { client, got } = fakeClient();
    const recorder = createRecordingClient(client);
    const end = new Date(T.getTime() + 60_000);
    const answer = await recorder.series('{job="x"}', { start: T, end });
    expect(answer).toEqual([{ __name__: 'qps', pod: 'a' }]);
    expect(got).toEqual([{ call: 'series', arg: '{job="x"}', options: { start: T, end } }]);
    expect(recorder.seriesCalls()).toEqual([
      { match: '{job="x"}', start: T, end, outcome: { state: 'answered', answer } },
    ]);
    expect(recorder.queries()).toEqual([]);
  });
});
