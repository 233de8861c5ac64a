/** The Prometheus HTTP API as the adapter uses it. Implementations: http-client.ts; tests use fakes. */

/** One sample of an instant vector. */
export interface PromSample {
  /** All labels of the sample, including `__name__` when present. */
  labels: Readonly<Record<string, string>>;
  /** NaN and ±Infinity are passed through as numbers; rendering decides what they become (SPEC 6). */
  value: number;
  timestamp: Date;
}

export type InstantQueryResult =
  { type: 'vector'; samples: PromSample[] } | { type: 'scalar'; value: number; timestamp: Date };

export interface QueryOptions {
  /** Aborts the call (client gone, request deadline). The client's own timeout applies as well. */
  signal?: AbortSignal;
  /** Evaluation time; defaults to now. */
  time?: Date;
}

export interface SeriesOptions {
  start: Date;
  end?: Date;
  signal?: AbortSignal;
}

/**
 * A Prometheus-API server (Prometheus, Thanos, Mimir, VictoriaMetrics). Every call has a timeout; concurrent calls
 * are independent (one hung connection never blocks another). Calls reject with PrometheusError.
 */
export interface PrometheusClient {
  query(promql: string, options?: QueryOptions): Promise<InstantQueryResult>;
  /** `/api/v1/series`: the label sets (with `__name__`) of the series selected by `match`. */
  series(match: string, options: SeriesOptions): Promise<Array<Record<string, string>>>;
  /**
   * `/api/v1/series` read as it arrives: `onSeries` gets each label set in turn and the whole answer is never held
   * (relisting millions of series); resolves with the count. Optional: callers fall back to `series`.
   */
  seriesEach?(
    match: string,
    options: SeriesOptions,
    onSeries: (labels: Record<string, string>) => void,
  ): Promise<number>;
}

export type PrometheusErrorKind =
  /** our timeout elapsed */
  | 'timeout'
  /** the caller aborted */
  | 'aborted'
  /** connection refused/reset, DNS, TLS */
  | 'unreachable'
  /** an HTTP error status with a Prometheus error body (bad query, execution error) */
  | 'query'
  /** an HTTP error status without a Prometheus body (proxy errors, 5xx pages) */
  | 'http'
  /** a 2xx answer that is not a Prometheus API answer (HTML, truncated JSON, wrong shape) */
  | 'bad_response';

/** A failed Prometheus call. The message is for logs: it may contain the URL, never a token. */
export class PrometheusError extends Error {
  override readonly name = 'PrometheusError';
  constructor(
    readonly kind: PrometheusErrorKind,
    message: string,
    readonly httpStatus?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
