/**
 * A PrometheusClient for the fuzz suite that records every PromQL query and series match it receives and answers
 * plausible vectors: one sample per object the query names (`label="name"`), a few for `label=~".+"`, with values
 * derived from the query text (so a case replays identically). Its `mode` makes it fail the way a real backend
 * fails, with error messages that carry its URL, a query and stack-like text, which must never reach a client.
 */
import type {
  InstantQueryResult,
  PrometheusClient,
  PromSample,
  QueryOptions,
  SeriesOptions,
} from '../../src/prometheus/client.js';
import { PrometheusError } from '../../src/prometheus/client.js';
import { matchersOf, scanPromQL } from './promql-literals.js';

/** The URL the fake pretends to be; it appears in its error messages and must never appear in a response. */
export const FAKE_PROMETHEUS_URL = 'http://prometheus.fuzz.invalid:9090/prom';

/**
 * healthy: answers vectors. Transient failures (SPEC 5.5: 503, or 504 at the request deadline): timeout,
 * unreachable, http, hang (never answers until the request is aborted). A broken backend or client (500 with a
 * short message): reject (Prometheus rejects the query), garbage (unusable answer), scalar (wrong result type),
 * bug (the client throws a plain TypeError).
 */
export type BackendMode =
  'healthy' | 'timeout' | 'unreachable' | 'http' | 'hang' | 'reject' | 'garbage' | 'scalar' | 'bug';

export const TRANSIENT_FAILURES: readonly BackendMode[] = ['timeout', 'unreachable', 'http', 'hang'];
export const BROKEN_BACKENDS: readonly BackendMode[] = ['reject', 'garbage', 'scalar', 'bug'];

const POD_LABELS = { job: 'kubernetes-pods' };
const CADVISOR_LABELS = { job: 'kubernetes-nodes-cadvisor', container: 'app' };

/** The pods every series exists for, in namespaces `default` and `staging`. */
export const FAKE_PODS = ['worker-1', 'worker-2', 'batch-1'] as const;

/** Series names answered for the queue-worker seriesQueries; `job:requests:rate5m` is a recording-rule name. */
const POD_SERIES = ['qps', 'queue_size', 'job:requests:rate5m'];
const CADVISOR_SERIES = ['container_cpu_usage_seconds_total', 'container_memory_working_set_bytes'];

function seriesFor(match: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  const pods = [
    ['default', 'worker-1'],
    ['default', 'worker-2'],
    ['staging', 'batch-1'],
  ] as const;
  if (match.includes('"kubernetes-pods"')) {
    for (const __name__ of POD_SERIES)
      for (const [ns, pod] of pods)
        out.push({ __name__, ...POD_LABELS, kubernetes_namespace: ns, kubernetes_pod_name: pod });
  }
  if (match.includes('"kubernetes-nodes-cadvisor"')) {
    for (const __name__ of CADVISOR_SERIES)
      for (const [ns, pod] of pods)
        out.push({ __name__, ...CADVISOR_LABELS, namespace: ns, pod, instance: 'node-1' });
  }
  return out;
}

/** FNV-1a, to derive answers from the query text. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const ODD_VALUES = [NaN, Infinity, -Infinity, 1e300, -0.5, 0, 3.4999999999999996, 9.3e15];

function valueFor(seed: number): number {
  return seed % 11 === 0 ? ODD_VALUES[(seed >>> 4) % ODD_VALUES.length]! : (seed % 100_000) / 1000;
}

function groupByOf(query: string): string[] {
  const by = /\bby \(([^)]*)\)/.exec(query);
  return by === null ? [] : by[1]!.split(',').filter((l) => l !== '');
}

/** A vector for `query`: samples for the objects its matchers name, grouped as its `by (...)` says. */
function answer(query: string, now: Date): InstantQueryResult {
  let matchers;
  try {
    matchers = matchersOf(scanPromQL(query));
  } catch (e) {
    throw new PrometheusError('query', `bad_data: ${String(e)}`, 400, { cause: e });
  }
  const seed = hash(query);
  const groupBy = groupByOf(query);
  const base: Record<string, string> = {};
  for (const m of matchers) if (m.op === '=' && m.value !== '') base[m.label] = m.value;
  // NB: one query in seven has no data at all (the adapter answers 404).
  if (seed % 7 === 0) return { type: 'vector', samples: [] };
  const objectLabel = groupBy[0];
  const objectMatcher = matchers.findLast((m) => m.label === objectLabel);
  let names: string[] = [];
  if (objectMatcher?.op === '=') names = [objectMatcher.value];
  else if (objectMatcher?.op === '=~') {
    names = objectMatcher.value === '.+' ? [...FAKE_PODS] : objectMatcher.value.split('|');
  }
  const samples: PromSample[] = [];
  const labelSets =
    objectLabel === undefined ? [base] : names.map((name) => ({ ...base, [objectLabel]: name }));
  labelSets.forEach((labels, i) => {
    const full = { ...labels };
    for (const extra of groupBy.slice(1))
      full[extra] = base[extra] ?? (extra.includes('namespace') ? 'default' : 'app');
    samples.push({ labels: full, value: valueFor(seed + i * 7919), timestamp: now });
  });
  return { type: 'vector', samples };
}

function waitForAbort(signal: AbortSignal | undefined, query: string): Promise<never> {
  return new Promise((_resolve, reject) => {
    const fail = () =>
      reject(
        new PrometheusError('aborted', `GET ${FAKE_PROMETHEUS_URL}/api/v1/query?query=${query} aborted`),
      );
    if (signal === undefined) return;
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

/** The recording fake. Relisting (`series`) always answers; `mode` applies to `query` only. */
export class RecordingPrometheus implements PrometheusClient {
  mode: BackendMode = 'healthy';
  readonly queries: string[] = [];
  readonly seriesMatches: string[] = [];
  now = new Date();

  query(promql: string, options?: QueryOptions): Promise<InstantQueryResult> {
    this.queries.push(promql);
    const where = `${FAKE_PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(promql)}`;
    const stackBait = `\n    at fetchQuery (/work/main/src/prometheus/http-client.ts:42:7)\n    at node_modules/undici/lib/fetch.js:1:1`;
    switch (this.mode) {
      case 'healthy':
        return new Promise((resolve) => resolve(answer(promql, this.now)));
      case 'timeout':
        return Promise.reject(new PrometheusError('timeout', `GET ${where} timed out after 10000ms`));
      case 'unreachable':
        return Promise.reject(
          new PrometheusError(
            'unreachable',
            `GET ${where}: connect ECONNREFUSED prometheus.fuzz.invalid:9090`,
            undefined,
            {
              cause: new Error(`connect ECONNREFUSED prometheus.fuzz.invalid:9090${stackBait}`),
            },
          ),
        );
      case 'http':
        return Promise.reject(
          new PrometheusError(
            'http',
            `GET ${where}: HTTP 502 <html>Error: Bad Gateway${stackBait}</html>`,
            502,
          ),
        );
      case 'hang':
        return waitForAbort(options?.signal, where);
      case 'reject':
        return Promise.reject(
          new PrometheusError('query', `GET ${where}: bad_data: 1:12: parse error: ${promql}`, 400),
        );
      case 'garbage':
        return Promise.reject(
          new PrometheusError('bad_response', `GET ${where}: Error: Unexpected token < in JSON${stackBait}`),
        );
      case 'scalar':
        return Promise.resolve({ type: 'scalar', value: 1, timestamp: this.now });
      case 'bug':
        return Promise.reject(
          new TypeError(`Cannot read properties of undefined (reading 'data') at ${where}${stackBait}`),
        );
    }
  }

  series(match: string, _options: SeriesOptions): Promise<Array<Record<string, string>>> {
    this.seriesMatches.push(match);
    return Promise.resolve(seriesFor(match));
  }

  /** The queries received since `mark` (a length of {@link queries} taken before a request). */
  queriesSince(mark: number): string[] {
    return this.queries.slice(mark);
  }
}
