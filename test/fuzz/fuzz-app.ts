/**
 * The adapter as `serve --standalone` assembles it, in process: buildApp over the real engine (relister, registries,
 * query builder, providers) with the queue-worker rules, the standalone mapper and lister, and a recording fake
 * Prometheus. External and resource rules are appended to the queue-worker rules so that every API group is served.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { createStandaloneObjectLister, createStandaloneResourceMapper } from '../../src/kube/standalone.js';
import { createEngine } from '../../src/providers/engine.js';
import { loadRules, type CompiledRules } from '../../src/rules/compile-rules.js';
import { QUEUE_WORKER_RULES } from '../support/adapter.js';
import { RecordingPrometheus } from './fake-prometheus.js';

/**
 * Appended to config/queue-worker.yaml: a namespaced and a cluster-wide external rule over the same series, and
 * resource rules over the cadvisor series.
 */
export const EXTRA_RULES = `
externalRules:
  - seriesQuery: '{job="kubernetes-pods",kubernetes_namespace!="",kubernetes_pod_name!=""}'
    resources:
      overrides:
        kubernetes_namespace:
          resource: namespace
    name:
      matches: (.*)
      as: external_\${1}
    metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>})
  - seriesQuery: '{job="kubernetes-pods",kubernetes_namespace!="",kubernetes_pod_name!=""}'
    resources:
      namespaced: false
    name:
      matches: (.*)
      as: cluster_\${1}
    metricsQuery: max(<<.Series>>{<<.LabelMatchers>>})
resourceRules:
  cpu:
    containerQuery: sum(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>,container!=""}[2m])) by (<<.GroupBy>>)
    nodeQuery: sum(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>,id='/'}[2m])) by (<<.GroupBy>>)
    resources:
      overrides:
        namespace: {resource: namespace}
        pod: {resource: pod}
        instance: {resource: node}
    containerLabel: container
  memory:
    containerQuery: sum(container_memory_working_set_bytes{<<.LabelMatchers>>,container!=""}) by (<<.GroupBy>>)
    nodeQuery: sum(container_memory_working_set_bytes{<<.LabelMatchers>>,id='/'}) by (<<.GroupBy>>)
    resources:
      overrides:
        namespace: {resource: namespace}
        pod: {resource: pod}
        instance: {resource: node}
    containerLabel: container
  window: 2m
`;

/** The labels a custom metric's rule maps to namespaces and pods (queue-worker rules 1 and 3 vs 2 and 4). */
export interface MetricLabels {
  namespace: string;
  pod: string;
}

const POD_RULE_LABELS: MetricLabels = { namespace: 'kubernetes_namespace', pod: 'kubernetes_pod_name' };
const CADVISOR_RULE_LABELS: MetricLabels = { namespace: 'namespace', pod: 'pod' };

/** Every custom metric the fake's series produce, with its rule's labels. */
export const CUSTOM_METRICS: ReadonlyMap<string, MetricLabels> = new Map(
  ['counter', 'gauge'].flatMap((prefix) => [
    ...['qps', 'queue_size', 'job:requests:rate5m'].map(
      (s) => [`${prefix}_${s}`, POD_RULE_LABELS] as [string, MetricLabels],
    ),
    ...['container_cpu_usage_seconds_total', 'container_memory_working_set_bytes'].map(
      (s) => [`${prefix}_${s}`, CADVISOR_RULE_LABELS] as [string, MetricLabels],
    ),
  ]),
);

/** External metrics: name → the namespace label when the rule is namespaced, else null. */
export const EXTERNAL_METRICS: ReadonlyMap<string, string | null> = new Map(
  ['qps', 'queue_size', 'job:requests:rate5m'].flatMap((s) => [
    [`external_${s}`, 'kubernetes_namespace'] as [string, string | null],
    [`cluster_${s}`, null] as [string, string | null],
  ]),
);

export interface FuzzApp {
  app: FastifyInstance;
  prometheus: RecordingPrometheus;
  rules: CompiledRules;
  close(): Promise<void>;
}

export const FUZZ_RULES_TEXT = readFileSync(QUEUE_WORKER_RULES, 'utf8') + EXTRA_RULES;

const SILENT = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Builds the app, relists once (the fake's series) and returns it ready to `inject`. */
export async function buildFuzzApp(options: { requestTimeoutMs?: number } = {}): Promise<FuzzApp> {
  const prometheus = new RecordingPrometheus();
  const rules = loadRules(FUZZ_RULES_TEXT, 'queue-worker.yaml+fuzz');
  const engine = createEngine({
    prometheus,
    mapper: createStandaloneResourceMapper(),
    lister: createStandaloneObjectLister(),
    rules,
    relistIntervalMs: 600_000,
    maxAgeMs: 600_000,
    logger: SILENT,
  });
  const outcome = await engine.relister.relistOnce();
  if (!outcome.ok || outcome.metricCount === 0) throw new Error('the fuzz app relisted no metrics');
  const app = buildApp({
    customMetrics: engine.customMetrics,
    externalMetrics: engine.externalMetrics,
    resourceMetrics: engine.resourceMetrics,
    served: engine.served,
    readiness: engine.relister,
    https: null,
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
  });
  await app.ready();
  return { app, prometheus, rules, close: () => app.close() };
}
