/** A PrometheusClient decorator that reports every call's endpoint, latency and outcome (self-metrics). */
import type { PrometheusClient } from './client.js';

/** Called once per call when it settles; `endpoint` is `query` or `series`. Must not throw. */
export type CallObserver = (endpoint: 'query' | 'series', durationMs: number, ok: boolean) => void;

export function observeCalls(client: PrometheusClient, observe: CallObserver): PrometheusClient {
  const timed = async <T>(endpoint: 'query' | 'series', call: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      const result = await call();
      observe(endpoint, performance.now() - started, true);
      return result;
    } catch (e) {
      observe(endpoint, performance.now() - started, false);
      throw e;
    }
  };
  const seriesEach = client.seriesEach?.bind(client);
  return {
    query: (promql, options) => timed('query', () => client.query(promql, options)),
    series: (match, options) => timed('series', () => client.series(match, options)),
    ...(seriesEach === undefined
      ? {}
      : {
          seriesEach: (match, options, onSeries) =>
            timed('series', () => seriesEach(match, options, onSeries)),
        }),
  };
}
