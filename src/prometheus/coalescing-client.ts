/**
 * A PrometheusClient decorator that sends identical concurrent calls once: while a call for a query (or series
 * match) is in flight, the same call joins it instead of reaching Prometheus again. Many HPAs over one workload,
 * several API versions, and retries after the aggregator's timeout all ask the same PromQL at the same moment.
 */
import { PrometheusError, type InstantQueryResult, type PrometheusClient } from './client.js';

interface Shared<T> {
  promise: Promise<T>;
  controller: AbortController;
  /** Callers still waiting; the shared call is aborted when the last one gives up. */
  waiting: number;
}

/**
 * Coalesces `query` calls with the same PromQL and no explicit evaluation time (both evaluate "now"), and `series`
 * calls with the same match, start and end. Each caller keeps its own AbortSignal: an aborted caller rejects at
 * once with an `aborted` PrometheusError while the others go on; the shared call is aborted only when every caller
 * has. Errors reach every caller. Settled calls are forgotten at once (no caching).
 */
export function coalesceCalls(client: PrometheusClient): PrometheusClient {
  const inFlight = new Map<string, Shared<unknown>>();

  const join = <T>(
    key: string,
    what: string,
    signal: AbortSignal | undefined,
    start: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> => {
    if (signal?.aborted === true) return Promise.reject(aborted(what));
    let shared = inFlight.get(key) as Shared<T> | undefined;
    if (shared === undefined) {
      const controller = new AbortController();
      const created: Shared<T> = {
        controller,
        waiting: 0,
        promise: start(controller.signal).finally(() => {
          if (inFlight.get(key) === created) inFlight.delete(key);
        }),
      };
      // NB: a shared call nobody waits for any more must not leave an unhandled rejection behind.
      created.promise.catch(() => undefined);
      inFlight.set(key, created);
      shared = created;
    }
    const current = shared;
    current.waiting++;
    if (signal === undefined) {
      return current.promise.finally(() => void current.waiting--);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        current.waiting--;
        if (current.waiting === 0) {
          current.controller.abort();
          if (inFlight.get(key) === current) inFlight.delete(key);
        }
        reject(aborted(what));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      current.promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          current.waiting--;
          resolve(value);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          current.waiting--;
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  };

  const seriesEach = client.seriesEach?.bind(client);
  return {
    // NB: a streamed series answer goes to its caller's callback, so it cannot be shared; relists never overlap.
    ...(seriesEach === undefined ? {} : { seriesEach }),
    query(promql, options = {}): Promise<InstantQueryResult> {
      if (options.time !== undefined) return client.query(promql, options);
      return join(`query\n${promql}`, `query ${JSON.stringify(promql)}`, options.signal, (signal) =>
        client.query(promql, { signal }),
      );
    },
    series(match, options) {
      const key = `series\n${match}\n${options.start.getTime()}\n${options.end?.getTime() ?? ''}`;
      return join(key, `series ${JSON.stringify(match)}`, options.signal, (signal) =>
        client.series(match, { ...options, signal }),
      );
    },
  };
}

function aborted(what: string): PrometheusError {
  return new PrometheusError('aborted', `${what}: aborted`);
}
