/** A PrometheusClient decorator that records every call and its answer, for `explain`. */
import type {
  InstantQueryResult,
  PrometheusClient,
  QueryOptions,
  SeriesOptions,
} from '../../prometheus/client.js';

/** How a recorded call ended: still running, answered, or failed (the error as thrown). */
export type RecordedOutcome<T> =
  { state: 'pending' } | { state: 'answered'; answer: T } | { state: 'failed'; error: unknown };

/** One instant query, as sent. */
export interface RecordedQuery {
  promql: string;
  /** The evaluation time the caller asked for; absent means "now" (Prometheus's default). */
  time?: Date;
  outcome: RecordedOutcome<InstantQueryResult>;
}

/** One `/api/v1/series` call, as sent. */
export interface RecordedSeries {
  match: string;
  start: Date;
  end?: Date;
  outcome: RecordedOutcome<Array<Record<string, string>>>;
}

export interface RecordingPrometheusClient extends PrometheusClient {
  /** The instant queries in the order they were sent; each entry's outcome is filled in when its call ends. */
  queries(): readonly RecordedQuery[];
  /** The series calls in the order they were sent. */
  seriesCalls(): readonly RecordedSeries[];
}

/**
 * Wraps `inner`: calls pass through unchanged (same arguments, same answers, same errors) and each is recorded
 * when it is sent. NB: records are kept for the life of the client, so it is meant for one-shot commands, not for
 * a serving adapter.
 */
export function createRecordingClient(inner: PrometheusClient): RecordingPrometheusClient {
  const queries: RecordedQuery[] = [];
  const series: RecordedSeries[] = [];

  const settle = async <T>(record: { outcome: RecordedOutcome<T> }, call: () => Promise<T>): Promise<T> => {
    try {
      const answer = await call();
      record.outcome = { state: 'answered', answer };
      return answer;
    } catch (error) {
      record.outcome = { state: 'failed', error };
      throw error;
    }
  };

  return {
    query(promql: string, options?: QueryOptions) {
      const record: RecordedQuery = {
        promql,
        ...(options?.time === undefined ? {} : { time: options.time }),
        outcome: { state: 'pending' },
      };
      queries.push(record);
      return settle(record, () => inner.query(promql, options));
    },
    series(match: string, options: SeriesOptions) {
      const record: RecordedSeries = {
        match,
        start: options.start,
        ...(options.end === undefined ? {} : { end: options.end }),
        outcome: { state: 'pending' },
      };
      series.push(record);
      return settle(record, () => inner.series(match, options));
    },
    queries: () => queries,
    seriesCalls: () => series,
  };
}
