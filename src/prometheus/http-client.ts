import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { PrometheusDriver, type QueryResult } from 'prometheus-query';
import {
  PrometheusError,
  type InstantQueryResult,
  type PrometheusClient,
  type PromSample,
  type QueryOptions,
  type SeriesOptions,
} from './client.js';
import { SeriesStreamError, SeriesStreamParser } from './series-stream.js';

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
  /** Called with every answer's HTTP status and body (`--v` ≥ 8 logs them); must not throw. */
  onResponse?: (endpoint: string, status: number, body: unknown) => void;
  /** TLS and credentials given as data (from `--prometheus-auth-config`); files above take precedence. */
  inline?: {
    ca?: string;
    cert?: string;
    key?: string;
    insecureSkipVerify?: boolean;
    bearerToken?: string;
    basicAuth?: { username: string; password: string };
  };
  /** Per-call deadline; Prometheus gets a slightly shorter `timeout=` so it can answer with its own error first. */
  timeoutMs: number;
}

/** NB: GET URLs longer than this switch to POST automatically, so long pod lists never hit HTTP 414. */
const MAX_GET_QUERY_LENGTH = 4096;
const TOKEN_RECHECK_MS = 1000;

/** What one call saw; the interceptors fill it in, classification reads it. */
interface CallContext {
  signal: AbortSignal;
  /** Set when an HTTP answer arrived, whatever its status. */
  answer?: { status: number; body: unknown };
  /** Why a 2xx body is unusable, when it is. */
  problem?: string;
  /** For `seriesEach`: read the series answer as a stream, handing each label set here. */
  onSeries?: (labels: Record<string, string>) => void;
}

/** NB: error bodies of a streamed answer are read up to this size to classify the error. */
const MAX_ERROR_BODY_BYTES = 1 << 20;

/**
 * A PrometheusClient over prometheus-query (the only importer of that library). prometheus-query has no
 * per-call AbortSignal, no TLS options and drops query strings of the base URL, so a request interceptor adds
 * them; the per-call signal travels through AsyncLocalStorage, and so does a record of the HTTP answer, from which
 * failures are classified. Calls reject only with PrometheusError, whose message and cause never hold the token.
 */
export function createHttpPrometheusClient(options: HttpPrometheusClientOptions): PrometheusClient {
  // NB: timers take whole milliseconds (AbortSignal.timeout throws a RangeError otherwise), and durations such as
  // --prometheus-timeout=2500us are fractional.
  const timeoutMs = Math.max(1, Math.ceil(options.timeoutMs));
  const context = new AsyncLocalStorage<CallContext>();
  const baseParams = new URLSearchParams(options.url.search);
  const endpoint = `${options.url.origin}${options.url.pathname.replace(/\/+$/, '')}`;
  const inline = options.inline ?? {};
  const staticToken = inline.bearerToken;
  const token =
    options.tokenFile !== undefined
      ? tokenReader(options.tokenFile)
      : staticToken === undefined
        ? undefined
        : () => staticToken;
  const ca = options.caFile === undefined ? inline.ca : readFileSync(options.caFile);
  const cert = options.clientCertFile === undefined ? inline.cert : readFileSync(options.clientCertFile);
  const key = options.clientKeyFile === undefined ? inline.key : readFileSync(options.clientKeyFile);
  const httpsAgent = new https.Agent({
    keepAlive: true,
    // NB: explicit, so NODE_OPTIONS=--tls-min-v1.0 (which lowers Node's default) cannot bring back TLS 1.0/1.1.
    minVersion: 'TLSv1.2',
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(inline.insecureSkipVerify === true ? { rejectUnauthorized: false } : {}),
  });
  // NB: like Go's HTTP client, credentials in the URL (`https://user:pass@host`) become basic auth.
  const basicAuth =
    inline.basicAuth ??
    (options.url.username === ''
      ? undefined
      : {
          username: decodeURIComponent(options.url.username),
          password: decodeURIComponent(options.url.password),
        });
  const httpAgent = new http.Agent({ keepAlive: true });
  const headers = Object.fromEntries(options.headers ?? []);

  const makeDriver = (preferPost: boolean) =>
    new PrometheusDriver({
      endpoint,
      baseURL: '/api/v1/',
      headers,
      ...(basicAuth === undefined ? {} : { auth: basicAuth }),
      timeout: timeoutMs,
      preferPost,
      requestInterceptor: {
        onFulfilled: (config) => {
          const call = context.getStore();
          if (call !== undefined) config.signal = call.signal;
          if (call?.onSeries !== undefined) config.responseType = 'stream';
          config.httpAgent = httpAgent;
          config.httpsAgent = httpsAgent;
          // NB: axios follows no redirects for POST bodies reliably; Prometheus never redirects the API.
          config.maxRedirects = 0;
          // NB: instant-query answers are small and on the HPA's path: compressing them cost ~1.5 ms per request
          // (Prometheus' gzip plus ours) on a 50-pod query. Series answers, large and off the path, stay gzipped.
          if (config.url === 'query') config.headers.set('Accept-Encoding', 'identity');
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
        onFulfilled: async (response) => {
          const call = context.getStore();
          if (call?.onSeries !== undefined && response.config.responseType === 'stream') {
            const { skeleton, count, problem } = await readSeriesStream(
              response.data as Readable,
              call.onSeries,
            );
            options.onResponse?.(response.config.url ?? '', response.status, {
              ...asObject(skeleton),
              count,
            });
            call.answer = { status: response.status, body: skeleton };
            const shapeProblem = problem ?? problemOf(skeleton, 'series');
            if (shapeProblem !== undefined) call.problem = shapeProblem;
            // NB: prometheus-query reads `data`; the label sets were handed over already.
            response.data = { status: 'success', data: [] };
            return response;
          }
          const body: unknown = response.data;
          options.onResponse?.(response.config.url ?? '', response.status, body);
          const problem = problemOf(body, response.config.url);
          if (call !== undefined) {
            call.answer = { status: response.status, body };
            if (problem !== undefined) call.problem = problem;
          }
          if (problem === undefined) normalizeInfinities(body);
          return response;
        },
        onRejected: async (error: unknown) => {
          const response = (error as { response?: { status?: unknown; data?: unknown } } | null)?.response;
          if (response !== undefined && isReadable(response.data)) {
            response.data = await readErrorBody(response.data);
          }
          const call = context.getStore();
          const url = (error as { config?: { url?: string } } | null)?.config?.url ?? '';
          if (typeof response?.status === 'number') options.onResponse?.(url, response.status, response.data);
          // NB: axios rejects a 2xx answer only when its body could not be read (the connection closed mid-body):
          // a transport failure, not an unusable answer.
          if (call !== undefined && typeof response?.status === 'number' && !isSuccess(response.status)) {
            call.answer = { status: response.status, body: response.data };
          }
          throw error;
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
    onSeries?: (labels: Record<string, string>) => void,
  ): Promise<T> => {
    const deadline = AbortSignal.timeout(timeoutMs);
    const combined = signal === undefined ? deadline : AbortSignal.any([signal, deadline]);
    const seen: CallContext = { signal: combined, ...(onSeries === undefined ? {} : { onSeries }) };
    let result: T;
    try {
      result = await context.run(seen, run);
    } catch (e) {
      throw toPrometheusError(e, { what, seen, deadline, callerSignal: signal, timeoutMs });
    }
    // NB: prometheus-query turns some malformed bodies into garbage (Invalid Date, NaN) instead of failing.
    if (seen.problem !== undefined) throw new PrometheusError('bad_response', `${what}: ${seen.problem}`);
    return result;
  };

  return {
    async query(promql: string, queryOptions: QueryOptions = {}): Promise<InstantQueryResult> {
      const time = queryOptions.time ?? new Date();
      const result = await call(`query ${JSON.stringify(promql)}`, queryOptions.signal, () =>
        driverFor(encodeURIComponent(promql).length).instantQuery(promql, time, promTimeout),
      );
      return toInstantResult(result);
    },
    async seriesEach(
      match: string,
      seriesOptions: SeriesOptions,
      onSeries: (labels: Record<string, string>) => void,
    ): Promise<number> {
      const end = seriesOptions.end ?? new Date();
      let count = 0;
      await call(
        `series ${JSON.stringify(match)}`,
        seriesOptions.signal,
        () => driverFor(encodeURIComponent(match).length).series(match, seriesOptions.start, end),
        (labels) => {
          count++;
          onSeries(labels);
        },
      );
      return count;
    },
    async series(match: string, seriesOptions: SeriesOptions): Promise<Array<Record<string, string>>> {
      const end = seriesOptions.end ?? new Date();
      const metrics = await call(`series ${JSON.stringify(match)}`, seriesOptions.signal, () =>
        driverFor(encodeURIComponent(match).length).series(match, seriesOptions.start, end),
      );
      return metrics.map((m) => (m.name === undefined ? { ...m.labels } : { __name__: m.name, ...m.labels }));
    },
  };
}

type Json = Record<string, unknown>;

function isReadable(v: unknown): v is Readable {
  return typeof v === 'object' && v !== null && typeof (v as Partial<Readable>).pipe === 'function';
}

const asObject = (v: unknown): Json => (isObject(v) ? v : {});
const isSuccess = (status: number): boolean => status >= 200 && status < 300;

/** Streams a series answer through the incremental parser; a malformed answer is a `problem`, not a throw. */
async function readSeriesStream(
  stream: Readable,
  onSeries: (labels: Record<string, string>) => void,
): Promise<{ skeleton: unknown; count: number; problem?: string }> {
  const parser = new SeriesStreamParser(onSeries);
  try {
    for await (const chunk of stream) parser.write(chunk as Buffer);
    const { skeleton, count } = parser.end();
    return { skeleton, count };
  } catch (e) {
    // NB: an abort or a socket error is the transport's failure: rethrown for classification as such.
    if (!(e instanceof SeriesStreamError)) throw e;
    stream.destroy();
    return { skeleton: undefined, count: 0, problem: e.message };
  }
}

/** The (small) error body of a streamed answer, parsed as JSON when it is JSON. */
async function readErrorBody(stream: Readable): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_ERROR_BODY_BYTES) {
      stream.destroy();
      break;
    }
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isLabelSet = (v: unknown): boolean =>
  isObject(v) && Object.values(v).every((x) => typeof x === 'string');
/** Sample values as Prometheus writes them (Go's strconv.FormatFloat): `1.5`, `1e+21`, `NaN`, `+Inf`, `-Inf`. */
const SAMPLE_VALUE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]Inf)$/;
const isSamplePair = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.length === 2 &&
  typeof v[0] === 'number' &&
  Number.isFinite(v[0]) &&
  typeof v[1] === 'string' &&
  SAMPLE_VALUE.test(v[1]);

/**
 * Why a 2xx body from `endpoint` (`query` or `series`, relative to `/api/v1/`) is not a usable Prometheus answer,
 * or undefined when it is one.
 */
function problemOf(body: unknown, endpoint: string | undefined): string | undefined {
  if (!isObject(body) || body.status !== 'success') return 'the answer is not a Prometheus API response';
  const data = body.data;
  if (endpoint === 'series') {
    return Array.isArray(data) && data.every(isLabelSet)
      ? undefined
      : 'the answer is not a list of label sets';
  }
  if (!isObject(data)) return 'the answer has no data';
  switch (data.resultType) {
    case 'vector':
      return Array.isArray(data.result) &&
        data.result.every(
          (s) => isObject(s) && (s.metric === undefined || isLabelSet(s.metric)) && isSamplePair(s.value),
        )
        ? undefined
        : 'the answer is not a well-formed instant vector';
    case 'scalar':
      return isSamplePair(data.result) ? undefined : 'the answer is not a well-formed scalar';
    default:
      return `unsupported result type ${JSON.stringify(data.resultType)}; rules must produce an instant vector or a scalar`;
  }
}

/**
 * prometheus-query parses values with parseFloat, which turns "+Inf" into NaN; make them parse as ±Infinity.
 * `body` has passed problemOf.
 */
function normalizeInfinities(body: unknown): void {
  const data = (body as { data?: { resultType?: unknown; result?: unknown } }).data;
  const fix = (pair: unknown) => {
    if (!Array.isArray(pair)) return;
    if (pair[1] === '+Inf') pair[1] = 'Infinity';
    else if (pair[1] === '-Inf') pair[1] = '-Infinity';
  };
  if (data?.resultType === 'vector' && Array.isArray(data.result)) {
    for (const s of data.result as Array<{ value?: unknown }>) fix(s.value);
  } else if (data?.resultType === 'scalar') {
    fix(data.result);
  }
}

/** `result` comes from a body that passed problemOf, so only vectors and scalars arrive here. */
function toInstantResult(result: QueryResult): InstantQueryResult {
  if (String(result.resultType) === 'vector') {
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
  const pair = result.result as unknown as [number, string];
  return { type: 'scalar', value: Number.parseFloat(pair[1]), timestamp: new Date(pair[0] * 1000) };
}

interface Failure {
  what: string;
  seen: CallContext;
  deadline: AbortSignal;
  callerSignal: AbortSignal | undefined;
  timeoutMs: number;
}

/**
 * Classifies a failed call by what it saw (our signals, the HTTP answer the interceptors recorded) rather than by
 * prometheus-query's rejection objects, which mislabel answers: its `.then(...).catch(...)` turns a 2xx HTML page
 * into a "network_error", and a 5xx HTML page into a "client_error" without its status.
 */
function toPrometheusError(e: unknown, f: Failure): PrometheusError {
  if (e instanceof PrometheusError) return e;
  const cause = { cause: withoutRequest(e) };
  const timedOut = (e as { errorType?: unknown } | null)?.errorType === 'timeout_error';
  if (f.deadline.aborted || (timedOut && f.callerSignal?.aborted !== true))
    return new PrometheusError('timeout', `${f.what}: no answer within ${f.timeoutMs}ms`, undefined, cause);
  if (f.callerSignal?.aborted === true)
    return new PrometheusError('aborted', `${f.what}: aborted`, undefined, cause);
  const answer = f.seen.answer;
  if (answer === undefined) {
    const err = (isObject(e) ? e : {}) as { error?: unknown; code?: unknown; message?: unknown };
    const detail =
      typeof err.error === 'string'
        ? err.error
        : typeof err.message === 'string'
          ? err.message
          : 'network error';
    const code = typeof err.code === 'string' && !detail.includes(err.code) ? ` (${err.code})` : '';
    return new PrometheusError('unreachable', `${f.what}: ${detail}${code}`, undefined, cause);
  }
  if (answer.status >= 200 && answer.status < 300) {
    const problem = f.seen.problem ?? (e instanceof Error ? e.message : 'the answer is not usable');
    return new PrometheusError('bad_response', `${f.what}: ${problem}`, undefined, cause);
  }
  const body = answer.body;
  if (isObject(body) && body.status === 'error' && typeof body.errorType === 'string') {
    const detail = typeof body.error === 'string' ? `: ${body.error}` : '';
    return new PrometheusError(
      'query',
      `${f.what}: HTTP ${answer.status} ${body.errorType}${detail}`,
      answer.status,
      cause,
    );
  }
  return new PrometheusError('http', `${f.what}: HTTP ${answer.status}`, answer.status, cause);
}

/**
 * The cause to keep from a prometheus-query rejection. NB: axios errors hold the request config and the socket,
 * both with the Authorization header, so they are replaced by plain Errors with their message, code and cause.
 */
function withoutRequest(e: unknown): unknown {
  if (!isObject(e)) return e;
  if (e.isAxiosError === true && e instanceof Error) {
    const clean = new Error(
      e.message,
      e.cause === undefined ? undefined : { cause: withoutRequest(e.cause) },
    );
    clean.name = e.name;
    if (typeof e.code === 'string') Object.assign(clean, { code: e.code });
    return clean;
  }
  return 'original' in e ? { ...e, original: withoutRequest(e.original) } : e;
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
