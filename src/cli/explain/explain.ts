/**
 * `explain` without the process side: builds the adapter's engine in standalone mode over a recording Prometheus
 * client, relists once, and answers the path with the real server (`app.inject`, no listening), so the PromQL and
 * the body reported are exactly what the adapter sends and serves.
 */
import { formatLabelSelector, type Requirement } from '../../api/label-selector.js';
import { SILENT_LOGGER } from '../../api/logger.js';
import { groupResourceString, type ResourceInfo } from '../../api/resources.js';
import { StatusError } from '../../api/status.js';
import { buildApp } from '../../app.js';
import type { ResourceMapper } from '../../kube/contract.js';
import { createStandaloneObjectLister, createStandaloneResourceMapper } from '../../kube/standalone.js';
import type { PrometheusClient } from '../../prometheus/client.js';
import { createEngine, type Engine } from '../../providers/engine.js';
import { loadRules, type CompiledRule, type CompiledRules } from '../../rules/compile-rules.js';
import { loadConfig, type LoadedConfig } from '../../rules/load-config.js';
import { parseExternalSelector } from '../../server/external-metrics.js';
import { parseMetricSelector, parseObjectSelector } from '../../server/request-params.js';
import { findNearMisses, type SeriesAnswer } from './near-misses.js';
import { parseApiPath, type ApiPath } from './parse-path.js';
import { createRecordingClient, type RecordedQuery } from './recording-client.js';
import {
  formatLabels,
  formatSampleValue,
  type Explanation,
  type QuerySummary,
  type RequestSummary,
  type RuleSummary,
  type SelectorSummary,
} from './report.js';

export interface ExplainOptions {
  /** The API path, with its query, as the user wrote it. */
  path: string;
  rulesText: string;
  /** The rules file name, for messages and the rule's location. */
  rulesFile: string;
  prometheus: PrometheusClient;
  /** Shown in the report. */
  prometheusUrl: string;
  /** Relist look-back (`--metrics-max-age`). */
  maxAgeMs: number;
}

/**
 * Explains how the adapter answers `options.path`.
 * @throws ApiPathError for a path that is not a metric path; ConfigError for an invalid rules file
 */
export async function explain(options: ExplainOptions): Promise<Explanation> {
  const parsed = parseApiPath(options.path);
  const rules = loadRules(options.rulesText, options.rulesFile);
  const loaded = loadConfig(options.rulesText, options.rulesFile);
  const prometheus = createRecordingClient(options.prometheus);
  const mapper = createStandaloneResourceMapper();
  const logged: Array<{ promql: string; rule: string }> = [];
  const engine = createEngine({
    prometheus,
    mapper,
    lister: createStandaloneObjectLister(),
    rules,
    relistIntervalMs: options.maxAgeMs,
    maxAgeMs: options.maxAgeMs,
    logger: SILENT_LOGGER,
    logQuery: (promql, rule) => logged.push({ promql, rule }),
  });
  await engine.relister.relistOnce();

  const seriesAnswers = new Map<string, SeriesAnswer>();
  let seriesCount = 0;
  const failures: Explanation['relist']['failures'] = [];
  for (const call of prometheus.seriesCalls()) {
    if (call.outcome.state === 'answered') {
      seriesAnswers.set(call.match, { labelSets: call.outcome.answer });
      seriesCount += call.outcome.answer.length;
    } else {
      const error = call.outcome.state === 'failed' ? errorText(call.outcome.error) : 'no answer';
      seriesAnswers.set(call.match, { error });
      failures.push({ seriesQuery: call.match, error });
    }
  }

  const resolution = resolveRule(parsed, engine, rules, loaded, mapper, seriesAnswers, options.rulesFile);
  if (resolution.notServed !== undefined && failures.length > 0) {
    resolution.notServed.reason +=
      `; NB: the relist failed for ${failures.length} seriesQuer${failures.length === 1 ? 'y' : 'ies'}, ` +
      'so metrics may be missing from the registry';
  }
  const sentBefore = prometheus.queries().length;
  const app = buildApp({
    customMetrics: engine.customMetrics,
    externalMetrics: engine.externalMetrics,
    resourceMetrics: engine.resourceMetrics,
    served: engine.served,
    readiness: engine.relister,
    https: null,
    logger: false,
  });
  let status: number;
  let body: unknown;
  try {
    const response = await app.inject({ method: 'GET', url: parsed.url });
    status = response.statusCode;
    body = parseBody(response.body);
  } finally {
    await app.close();
  }
  const queries = prometheus
    .queries()
    .slice(sentBefore)
    .map((q) => summarizeQuery(q, takeRule(logged, q.promql)));
  const items = (body as { items?: unknown } | null)?.items;
  const served = status === 200 && (!Array.isArray(items) || items.length > 0);

  return {
    path: options.path,
    prometheus: options.prometheusUrl,
    request: summarizeRequest(parsed, mapper),
    relist: {
      seriesQueries: new Set([...rules.custom, ...rules.external].map((r) => r.seriesQuery)).size,
      series: seriesCount,
      failures,
    },
    ...resolution,
    queries,
    response: { status, body },
    exitCode: served ? 0 : 1,
  };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The rule id logged for `promql`, consumed so that a repeated query gets the next one. */
function takeRule(logged: Array<{ promql: string; rule: string }>, promql: string): string | undefined {
  const i = logged.findIndex((l) => l.promql === promql);
  if (i < 0) return undefined;
  const [entry] = logged.splice(i, 1);
  return entry?.rule;
}

function summarizeQuery(q: RecordedQuery, rule: string | undefined): QuerySummary {
  const summary: QuerySummary = {
    promql: q.promql,
    ...(rule === undefined ? {} : { rule }),
    ...(q.time === undefined ? {} : { time: q.time.toISOString() }),
  };
  const { outcome } = q;
  if (outcome.state === 'failed') return { ...summary, error: errorText(outcome.error) };
  if (outcome.state === 'pending') return { ...summary, error: 'no answer' };
  const result = outcome.answer;
  if (result.type === 'scalar') {
    return {
      ...summary,
      result: {
        type: 'scalar',
        value: formatSampleValue(result.value),
        timestamp: result.timestamp.toISOString(),
      },
    };
  }
  // NB: sorted by labels: Prometheus does not promise an order, and the report should not change between runs.
  const samples = result.samples
    .map((s) => ({
      labels: { ...s.labels },
      value: formatSampleValue(s.value),
      timestamp: s.timestamp.toISOString(),
      key: formatLabels(s.labels),
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ key: _key, ...s }) => s);
  return { ...summary, result: { type: 'vector', samples } };
}

function summarizeSelector(
  text: string | undefined,
  parse: (text: string) => Requirement[],
): SelectorSummary | undefined {
  if (text === undefined) return undefined;
  try {
    return { text, parsed: formatLabelSelector(parse(text)) };
  } catch (e) {
    if (e instanceof StatusError) return { text, error: e.message };
    throw e;
  }
}

function resourceSummary(info: ResourceInfo | undefined): RequestSummary['resolvedResource'] {
  if (info === undefined) return null;
  const { group, version, resource, kind, namespaced } = info;
  return { group, version, resource, kind, namespaced };
}

function summarizeRequest(p: ApiPath, mapper: ResourceMapper): RequestSummary {
  const base = { api: p.api, groupVersion: p.groupVersion };
  const optional = <K extends string, V>(key: K, value: V | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
  if (p.api === 'custom') {
    return {
      ...base,
      resource: p.resource,
      resolvedResource: resourceSummary(mapper.lookup(p.resource)),
      ...optional('namespace', p.namespace),
      name: p.name,
      metric: p.metric,
      // NB: the route reads labelSelector only for `*`.
      ...optional(
        'labelSelector',
        p.name === '*' ? summarizeSelector(p.labelSelector, parseObjectSelector) : undefined,
      ),
      ...optional('metricLabelSelector', summarizeSelector(p.metricLabelSelector, parseMetricSelector)),
    };
  }
  if (p.api === 'external') {
    return {
      ...base,
      namespace: p.namespace,
      metric: p.metric,
      ...optional('labelSelector', summarizeSelector(p.labelSelector, parseExternalSelector)),
    };
  }
  return {
    ...base,
    resource: p.resource,
    resolvedResource: resourceSummary(mapper.lookup(p.resource, '')),
    ...optional('namespace', p.namespace),
    ...optional('name', p.name),
    ...optional('labelSelector', summarizeSelector(p.labelSelector, parseObjectSelector)),
    ...optional('fieldSelector', p.fieldSelector),
  };
}

function ruleIndex(rule: CompiledRule): number {
  return Number(/\[(\d+)\]$/.exec(rule.id)?.[1] ?? -1);
}

function discoveryRuleSummary(
  rule: CompiledRule,
  seriesName: string,
  loaded: LoadedConfig,
  file: string,
): RuleSummary {
  const index = ruleIndex(rule);
  const config = (rule.kind === 'custom' ? loaded.config.rules : loaded.config.externalRules)[index];
  const line = loaded.positionOf(rule.id)?.line;
  return {
    kind: rule.kind,
    id: rule.id,
    index,
    file,
    ...(line === undefined ? {} : { line }),
    seriesQuery: rule.seriesQuery,
    ...(config?.seriesFilters === undefined ? {} : { seriesFilters: config.seriesFilters }),
    ...(config?.name === undefined ? {} : { name: config.name }),
    ...(config?.resources === undefined ? {} : { resources: config.resources }),
    metricsQuery: config?.metricsQuery ?? '',
    seriesName,
  };
}

function withConfigs(rules: readonly CompiledRule[], loaded: LoadedConfig) {
  return rules.flatMap((rule) => {
    const configs = rule.kind === 'custom' ? loaded.config.rules : loaded.config.externalRules;
    const config = configs[ruleIndex(rule)];
    return config === undefined ? [] : [{ rule, config }];
  });
}

/** The rule that serves the request, or why none does, as the registries stand after the relist. */
function resolveRule(
  p: ApiPath,
  engine: Engine,
  rules: CompiledRules,
  loaded: LoadedConfig,
  mapper: ResourceMapper,
  series: ReadonlyMap<string, SeriesAnswer>,
  file: string,
): Pick<Explanation, 'rule' | 'notServed'> {
  const custom = engine.relister.customRegistry();
  const external = engine.relister.externalRegistry();
  const nearMissBase = { customMetrics: custom.list, externalMetrics: external.list, series, mapper };

  if (p.api === 'resource') {
    const config = loaded.config.resourceRules;
    if (rules.resource === undefined || config === undefined) {
      return {
        rule: null,
        notServed: { reason: 'the rules have no resourceRules, so metrics.k8s.io is not served' },
      };
    }
    const line = loaded.positionOf('resourceRules')?.line;
    return {
      rule: {
        kind: 'resource',
        id: 'resourceRules',
        file,
        ...(line === undefined ? {} : { line }),
        ...(config.window === undefined ? {} : { window: config.window }),
        cpu: config.cpu,
        memory: config.memory,
      },
    };
  }

  if (p.api === 'external') {
    const entry = external.find(p.metric);
    if (entry !== undefined)
      return { rule: discoveryRuleSummary(entry.rule, entry.seriesName, loaded, file) };
    const reason =
      rules.external.length === 0
        ? 'the rules have no externalRules, so external.metrics.k8s.io is not served'
        : `the external metric ${p.metric} is not in the registry: no externalRule produced it from the ` +
          `series Prometheus has (${external.size} external metrics are served)`;
    return {
      rule: null,
      notServed: {
        reason,
        nearMisses: findNearMisses({
          ...nearMissBase,
          metric: p.metric,
          kind: 'external',
          rules: withConfigs(rules.external, loaded),
        }),
      },
    };
  }

  const resolved = mapper.lookup(p.resource);
  const entry = resolved === undefined ? undefined : custom.find(resolved, p.metric);
  if (entry !== undefined) return { rule: discoveryRuleSummary(entry.rule, entry.seriesName, loaded, file) };
  const reason =
    resolved === undefined
      ? `the adapter does not know the resource ${p.resource}, so no metric is served for it`
      : `the metric ${p.metric} for ${groupResourceString(resolved)} is not in the registry: no rule produced ` +
        `it from the series Prometheus has (${custom.size} custom metrics are served)`;
  return {
    rule: null,
    notServed: {
      reason,
      nearMisses: findNearMisses({
        ...nearMissBase,
        metric: p.metric,
        kind: 'custom',
        resource: { written: p.resource, ...(resolved === undefined ? {} : { resolved }) },
        rules: withConfigs(rules.custom, loaded),
      }),
    },
  };
}
