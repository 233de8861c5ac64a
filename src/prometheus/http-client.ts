import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { PrometheusDriver, type QueryResult } from 'prometheus-query';
import {
  PrometheusError,
  type InstantQueryResult,
  type PrometheusClient,
  type PromSample,
  type QueryOptions,
  type SeriesOptions,
} from './client.js';

export interface HttpPrometheusClientOptions {
  /** Base URL; its path is kept (`/prom` → `/prom/api/v1/...`) and so is its query string, for GET and POST. */
  url: URL;
  verb: 'GET' | 'POST';
  headers?: ReadonlyArray<readonly [string, string]>;
  /** Bearer token file; trimmed, and re-read when it changes (projected service-account tokens rotate). */
  tokenFile?: string;
  caFile?: string;
  clientCertFile?: string;
  clientKeyFile?: string;
  /** Per-call deadline; Prometheus gets a slightly shorter `timeout=` so it can answer with its own error first. */
  timeoutMs: number;
}

/** NB: GET URLs longer than this switch to POST automatically, so long pod lists never hit HTTP 414. */
const MAX_GET_QUERY_LENGTH = 4096;
const TOKEN_RECHECK_MS = 1000;

interface CallContext {
  signal: AbortSignal;
}

/**
 * A PrometheusClient over prometheus-query (the only importer of that library). prometheus-query has no
 * per-call AbortSignal, no TLS options and drops query strings of the base URL, so a request interceptor adds
 * them; the per-call signal travels through AsyncLocalStorage.
 */
export function createHttpPrometheusClient(options: HttpPrometheusClientOptions): PrometheusClient {
  const context = new AsyncLocalStorage<CallContext>();
  const baseParams = new URLSearchParams(options.url.search);
  const endpoint = `${options.url.origin}${options.url.pathname.replace(/\/+$/, '')}`;
  const token = options.tokenFile === undefined ? undefined : tokenReader(options.tokenFile);
  const httpsAgent = new https.Agent({
    keepAlive: true,
    ...(options.caFile === undefined ? {} : { ca: readFileSync(options.caFile) }),
    ...(options.clientCertFile === undefined ? {} : { cert: readFileSync(options.clientCertFile) }),
    ...(options.clientKeyFile === undefined ? {} : { key: readFileSync(options.clientKeyFile) }),
  });
  const httpAgent = new http.Agent({ keepAlive: true });
  const headers = Object.fromEntries(options.headers ?? []);

  const makeDriver = (preferPost: boolean) =>
    new PrometheusDriver({
      endpoint,
      baseURL: '/api/v1/',
      headers,
      timeout: options.timeoutMs,
      preferPost,
      requestInterceptor: {
        onFulfilled: (config) => {
          const call = context.getStore();
          if (call !== undefined) config.signal = call.signal;
          config.httpAgent = httpAgent;
          config.httpsAgent = httpsAgent;
          // NB: axios follows no redirects for POST bodies reliably; Prometheus never redirects the API.
          config.maxRedirects = 0;
          if (baseParams.size > 0) {
            const params = config.params instanceof URLSearchParams ? config.params : new URLSearchParams();
            for (const [k, v] of baseParams) params.append(k, v);
            config.params = params;
          }
          if (token !== undefined) config.headers.set('Authorization', `Bearer ${token()}`);
          return config;
        },
      },
      responseInterceptor: {
        onFulfilled: (response) => {
          normalizeInfinities(response.data);
          return response;
        },
      },
    });
  const getDriver = makeDriver(false);
  const postDriver = makeDriver(true);
  const driverFor = (size: number) =>
    options.verb === 'POST' || size > MAX_GET_QUERY_LENGTH ? postDriver : getDriver;
  const promTimeout = `${Math.max(1, Math.floor(options.timeoutMs * 0.9))}ms`;

  const call = async <T>(
    what: string,
    signal: AbortSignal | undefined,
    run: () => Promise<T>,
  ): Promise<T> => {
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const combined = signal === undefined ? deadline : AbortSignal.any([signal, deadline]);
    try {
      return await context.run({ signal: combined }, run);
    } catch (e) {
      throw toPrometheusError(e, what, deadline, signal, options.timeoutMs);
    }
  };

  return {
    async query(promql: string, queryOptions: QueryOptions = {}): Promise<InstantQueryResult> {
      const time = queryOptions.time ?? new Date();
      const result = await call(`query ${JSON.stringify(promql)}`, queryOptions.signal, () =>
        driverFor(encodeURIComponent(promql).length).instantQuery(promql, time, promTimeout),
      );
      return toInstantResult(result);
    },
    async series(match: string, seriesOptions: SeriesOptions): Promise<Array<Record<string, string>>> {
      const end = seriesOptions.end ?? new Date();
      const metrics = await call(`series ${JSON.stringify(match)}`, seriesOptions.signal, () =>
        driverFor(encodeURIComponent(match).length).series(match, seriesOptions.start, end),
      );
      if (!Array.isArray(metrics))
        throw new PrometheusError('bad_response', 'series: the answer is not a list');
      return metrics.map((m) => (m.name === undefined ? { ...m.labels } : { __name__: m.name, ...m.labels }));
    },
  };
}

/** prometheus-query parses values with parseFloat, which turns "+Inf" into NaN; make them parse as ±Infinity. */
function normalizeInfinities(body: unknown): void {
  const data = (body as { data?: { resultType?: unknown; result?: unknown } } | undefined)?.data;
  if (data === undefined || data === null) return;
  const fix = (pair: unknown) => {
    if (!Array.isArray(pair)) return;
    if (pair[1] === '+Inf') pair[1] = 'Infinity';
    else if (pair[1] === '-Inf') pair[1] = '-Infinity';
  };
  if (data.resultType === 'vector' && Array.isArray(data.result)) {
    for (const s of data.result as Array<{ value?: unknown }>) fix(s?.value);
  } else if (data.resultType === 'scalar') {
    fix(data.result);
  }
}

function toInstantResult(result: QueryResult): InstantQueryResult {
  if (result === null || typeof result !== 'object') {
    throw new PrometheusError('bad_response', 'query: the answer has no data');
  }
  const type = String(result.resultType);
  if (type === 'vector') {
    const samples: PromSample[] = (
      result.result as Array<{
        metric: { name?: string; labels?: Record<string, string> } | null;
        value: { time: Date; value: number };
      }>
    ).map((s) => ({
      labels: {
        ...(s.metric?.name === undefined ? {} : { __name__: s.metric.name }),
        ...(s.metric?.labels ?? {}),
      },
      value: s.value.value,
      timestamp: s.value.time,
    }));
    return { type: 'vector', samples };
  }
  if (type === 'scalar') {
    const pair = result.result as unknown as [number, string];
    return { type: 'scalar', value: Number.parseFloat(pair[1]), timestamp: new Date(pair[0] * 1000) };
  }
  throw new PrometheusError(
    'bad_response',
    `query: unsupported result type "${type}"; rules must produce an instant vector or a scalar`,
  );
}

/** prometheus-query rejects with plain objects ({ errorType, error, httpStatus, ... }); classify them. */
function toPrometheusError(
  e: unknown,
  what: string,
  deadline: AbortSignal,
  callerSignal: AbortSignal | undefined,
  timeoutMs: number,
): PrometheusError {
  if (e instanceof PrometheusError) return e;
  if (deadline.aborted)
    return new PrometheusError('timeout', `${what}: no answer within ${timeoutMs}ms`, undefined, {
      cause: e,
    });
  if (callerSignal?.aborted === true)
    return new PrometheusError('aborted', `${what}: aborted`, undefined, { cause: e });
  const err = (typeof e === 'object' && e !== null ? e : {}) as {
    errorType?: string;
    error?: string;
    httpStatus?: number;
    code?: string;
    prometheus?: unknown;
  };
  switch (err.errorType) {
    case 'timeout_error':
      return new PrometheusError('timeout', `${what}: timed out (${err.error ?? 'timeout'})`, undefined, {
        cause: e,
      });
    case 'network_error':
    case 'ssl_error':
      return new PrometheusError(
        'unreachable',
        `${what}: ${err.error ?? 'network error'}${err.code === undefined ? '' : ` (${err.code})`}`,
        undefined,
        { cause: e },
      );
    case 'http_error':
      return err.prometheus !== undefined && typeof err.prometheus === 'object'
        ? new PrometheusError(
            'query',
            `${what}: HTTP ${err.httpStatus}: ${err.error ?? ''}`,
            err.httpStatus,
            { cause: e },
          )
        : new PrometheusError('http', `${what}: HTTP ${err.httpStatus}`, err.httpStatus, { cause: e });
    case 'client_error':
      return new PrometheusError(
        'bad_response',
        `${what}: the answer is not a Prometheus API response`,
        undefined,
        { cause: e },
      );
    default:
      return new PrometheusError(
        'bad_response',
        `${what}: ${e instanceof Error ? e.message : 'unexpected answer'}`,
        undefined,
        { cause: e },
      );
  }
}

/** Reads a token file, trimmed, re-reading it when its mtime or size changes (checked at most once a second). */
function tokenReader(path: string): () => string {
  let value = '';
  let stamp = '';
  let checkedAt = 0;
  const refresh = () => {
    const st = statSync(path);
    const next = `${st.mtimeMs}:${st.size}`;
    if (next !== stamp) {
      value = readFileSync(path, 'utf8').trim();
      stamp = next;
    }
  };
  refresh();
  return () => {
    const now = Date.now();
    if (now - checkedAt >= TOKEN_RECHECK_MS) {
      checkedAt = now;
      try {
        refresh();
      } catch {
        // NB: keep the last good token while the kubelet swaps the projected file; the next check retries.
      }
    }
    return value;
  };
}
