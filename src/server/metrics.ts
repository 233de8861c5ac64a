/**
 * The adapter's own metrics (SPEC 10), in the Prometheus text format on `/metrics`: API requests, Prometheus
 * calls, relists, registry size per rule, config reloads and the age of the data served. The only importer of
 * prom-client; the other layers report through the plain callbacks of {@link SelfMetrics}.
 */
import type { FastifyInstance, FastifyPluginCallback } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { rejectOtherMethods } from './method-not-allowed.js';

const PREFIX = 'prometheus_metrics_adapter_';
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const RELIST_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Paths outside /apis that get their own `resource` label value; any other path counts as `other`. */
const PLAIN_PATHS = new Set(['/healthz', '/livez', '/readyz', '/metrics', '/apis']);
/** Label values the path may give; anything else is `other`, so request input cannot grow the label set. */
const GROUPS = new Set(['custom.metrics.k8s.io', 'external.metrics.k8s.io', 'metrics.k8s.io']);
const VERSIONS = new Set(['v1beta1', 'v1beta2']);

/** One relist as the self-metrics see it. */
export interface RelistObservation {
  ok: boolean;
  durationMs: number;
  seriesCount: number;
  /** Metrics served per rule id (`rules[0]`, `externalRules[1]`) after the relist. */
  metricsPerRule: ReadonlyMap<string, number>;
}

export interface SelfMetrics {
  readonly registry: Registry;
  /** One call to Prometheus: `endpoint` is `query` or `series`. */
  observePrometheusCall(endpoint: string, durationMs: number, ok: boolean): void;
  observeRelist(relist: RelistObservation): void;
  observeReload(ok: boolean, at: Date): void;
  /** Counts one answered API request (installed as a hook by {@link installRequestMetrics}). */
  observeRequest(url: string, statusCode: number, durationMs: number): void;
  /** The text served on /metrics. */
  render(): Promise<string>;
  readonly contentType: string;
}

/** Creates the metrics on a registry of their own (with the process and Node.js default metrics). */
export function createSelfMetrics(options: { now?: () => number } = {}): SelfMetrics {
  const now = options.now ?? Date.now;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: `${PREFIX}requests_total`,
    help: 'API requests answered, by group, version, resource (the path segment) and HTTP status code.',
    labelNames: ['group', 'version', 'resource', 'code'],
    registers: [registry],
  });
  const requestLatency = new Histogram({
    name: `${PREFIX}request_duration_seconds`,
    help: 'API request latency, by group, version and resource.',
    labelNames: ['group', 'version', 'resource'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const promCalls = new Counter({
    name: `${PREFIX}prometheus_requests_total`,
    help: 'Calls to Prometheus, by endpoint (query, series) and outcome (success, error).',
    labelNames: ['endpoint', 'outcome'],
    registers: [registry],
  });
  const promLatency = new Histogram({
    name: `${PREFIX}prometheus_request_duration_seconds`,
    help: 'Latency of calls to Prometheus, by endpoint.',
    labelNames: ['endpoint'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const relists = new Counter({
    name: `${PREFIX}relists_total`,
    help: 'Relists, by outcome (success; error when a seriesQuery failed and kept its last good result).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const relistLatency = new Histogram({
    name: `${PREFIX}relist_duration_seconds`,
    help: 'Time a relist takes, all seriesQueries included.',
    buckets: RELIST_BUCKETS,
    registers: [registry],
  });
  const relistSeries = new Gauge({
    name: `${PREFIX}relist_series`,
    help: 'Series returned by the seriesQueries of the last relist.',
    registers: [registry],
  });
  const registryMetrics = new Gauge({
    name: `${PREFIX}registry_metrics`,
    help: 'Metrics served per rule after the last relist (rule: rules[N] or externalRules[N]).',
    labelNames: ['rule'],
    registers: [registry],
  });
  let lastGoodRelist: number | undefined;
  new Gauge({
    name: `${PREFIX}data_age_seconds`,
    help: 'Seconds since the last relist that succeeded: the age of the metric list served; +Inf before one.',
    registers: [registry],
    collect() {
      this.set(lastGoodRelist === undefined ? Infinity : (now() - lastGoodRelist) / 1000);
    },
  });
  const reloads = new Counter({
    name: `${PREFIX}config_reloads_total`,
    help: 'Rules file reloads, by outcome (success, failure: the previous rules kept serving).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const lastReloadOk = new Gauge({
    name: `${PREFIX}config_last_reload_successful`,
    help: '1 when the last rules file reload succeeded (or none was attempted), 0 when it failed.',
    registers: [registry],
  });
  lastReloadOk.set(1);
  const lastReloadTime = new Gauge({
    name: `${PREFIX}config_last_reload_success_timestamp_seconds`,
    help: 'Unix time of the last successful rules file load (the start counts as one).',
    registers: [registry],
  });
  lastReloadTime.set(Math.floor(now() / 1000));

  // NB: the resource label comes from the request path, which anyone can vary; only resources that were once
  // answered 2xx get their own value, so the label set stays bounded.
  const knownResources = new Set<string>(['']);

  return {
    registry,
    contentType: registry.contentType,
    observePrometheusCall(endpoint, durationMs, ok) {
      promCalls.inc({ endpoint, outcome: ok ? 'success' : 'error' });
      promLatency.observe({ endpoint }, durationMs / 1000);
    },
    observeRelist(relist) {
      relists.inc({ outcome: relist.ok ? 'success' : 'error' });
      relistLatency.observe(relist.durationMs / 1000);
      relistSeries.set(relist.seriesCount);
      registryMetrics.reset();
      for (const [rule, count] of relist.metricsPerRule) registryMetrics.set({ rule }, count);
      if (relist.ok) lastGoodRelist = now();
    },
    observeReload(ok, at) {
      reloads.inc({ outcome: ok ? 'success' : 'failure' });
      lastReloadOk.set(ok ? 1 : 0);
      if (ok) lastReloadTime.set(Math.floor(at.getTime() / 1000));
    },
    observeRequest(url, statusCode, durationMs) {
      const labels = requestLabels(url);
      if (statusCode >= 200 && statusCode < 300) knownResources.add(labels.resource);
      else if (!knownResources.has(labels.resource)) labels.resource = 'other';
      requests.inc({ ...labels, code: String(statusCode) });
      requestLatency.observe(labels, durationMs / 1000);
    },
    render: () => registry.metrics(),
  };
}

/**
 * group/version/resource of a request path: `/apis/<group>/<version>/[namespaces/<ns>/]<resource>/...`; the
 * namespace metrics route (`namespaces/<ns>/metrics/<m>`) counts as `namespaces`. Paths outside the API groups
 * have an empty group and version and the path (or `other`) as resource.
 */
export function requestLabels(url: string): { group: string; version: string; resource: string } {
  const path = url.split('?', 1)[0] ?? '';
  const parts = path.split('/').filter((p) => p !== '');
  if (parts[0] !== 'apis' || parts.length < 2) {
    return { group: '', version: '', resource: PLAIN_PATHS.has(path) ? path : 'other' };
  }
  const known = (value: string | undefined, values: Set<string>) =>
    value === undefined ? '' : values.has(value) ? value : 'other';
  const group = known(parts[1], GROUPS);
  const version = known(parts[2], VERSIONS);
  let rest = parts.slice(3);
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    rest = rest[2] === 'metrics' ? ['namespaces'] : rest.slice(2);
  }
  return { group, version, resource: rest[0] ?? '' };
}

/** Counts every answered request (after the response is sent) in `metrics`. */
export function installRequestMetrics(app: FastifyInstance, metrics: SelfMetrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.url, reply.statusCode, reply.elapsedTime);
    done();
  });
}

/** `GET /metrics`: the Prometheus text format. */
export const metricsRoute: FastifyPluginCallback<{ metrics: SelfMetrics }> = (app, { metrics }, done) => {
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.render()),
  );
  rejectOtherMethods(app, '/metrics');
  done();
};
