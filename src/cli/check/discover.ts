/**
 * The Prometheus half of `check`: runs each rule's seriesQuery as relisting does and shows what the registries
 * build from the answers, rule by rule, with the series they leave out and why.
 */
import { groupResourceString } from '../../api/resources.js';
import type { ResourceMapper } from '../../kube/contract.js';
import type { PrometheusClient } from '../../prometheus/client.js';
import { buildCustomRegistry, explainCustomRule } from '../../providers/custom/registry.js';
import { buildExternalRegistry, explainExternalRule } from '../../providers/external/registry.js';
import { summarizeSeries, type SeriesSummary } from '../../providers/series-summary.js';
import type { CompiledRule, CompiledRules } from '../../rules/compile-rules.js';

/** One metric a rule produces. */
export interface DiscoveredMetric {
  /** The discovery name: `pods/counter_qps`, `deployments.apps/x`; the metric name alone for external metrics. */
  readonly name: string;
  readonly metric: string;
  /** The group-resource (`pods`, `deployments.apps`); undefined for external metrics. */
  readonly resource?: string;
  readonly namespaced: boolean;
  /** The Prometheus series name it is served from. */
  readonly seriesName: string;
  /** The later rule that produces the same metric and so serves it instead. */
  readonly overriddenBy?: string;
}

/** Series names a rule leaves out for one reason. */
export interface RejectedGroup {
  readonly reason: string;
  readonly seriesNames: number;
  readonly series: number;
  /** The first few series names (sorted), each with its labels when the reason is about labels. */
  readonly examples: readonly string[];
}

export interface RuleDiscovery {
  readonly id: string;
  readonly kind: 'custom' | 'external';
  readonly seriesQuery: string;
  /** Prometheus' error for the seriesQuery; the counts are then 0. */
  readonly error?: string;
  readonly series: number;
  readonly seriesNames: number;
  /** Sorted by name. */
  readonly metrics: readonly DiscoveredMetric[];
  /** Sorted by reason. */
  readonly rejected: readonly RejectedGroup[];
}

/** A (resource, metric) pair, or an external metric, produced by more than one rule. */
export interface Conflict {
  /** As in {@link DiscoveredMetric.name}. */
  readonly name: string;
  readonly kind: 'custom' | 'external';
  /** In file order; the last one serves the metric. */
  readonly rules: readonly string[];
}

export interface Discovery {
  readonly rules: readonly RuleDiscovery[];
  /** Sorted by kind, then name. */
  readonly conflicts: readonly Conflict[];
  /** What the adapter would serve: (resource, metric) pairs and external metrics. */
  readonly customMetrics: number;
  readonly externalMetrics: number;
}

export interface DiscoverOptions {
  readonly prometheus: PrometheusClient;
  readonly rules: CompiledRules;
  readonly mapper: ResourceMapper;
  /** Series seen within this window count (`start=now-maxAge`), as in relisting. */
  readonly maxAgeMs: number;
  readonly now?: Date;
  /** How many example series names to show per rejection reason (default 3). */
  readonly examples?: number;
}

interface QueryAnswer {
  summary: SeriesSummary;
  /** Series per series name. */
  counts: ReadonlyMap<string, number>;
  total: number;
  error?: string;
}

/**
 * Fetches each distinct seriesQuery once, one at a time, and explains every rule. Never throws for Prometheus
 * failures: a failed seriesQuery is reported in its rules' `error`.
 */
export async function discover(options: DiscoverOptions): Promise<Discovery> {
  const now = options.now ?? new Date();
  const start = new Date(now.getTime() - options.maxAgeMs);
  const { custom, external } = options.rules;
  const answers = new Map<string, QueryAnswer>();
  for (const query of new Set([...custom, ...external].map((r) => r.seriesQuery))) {
    try {
      const series = await options.prometheus.series(query, { start, end: now });
      const counts = new Map<string, number>();
      for (const labels of series) {
        const name = labels.__name__;
        if (name !== undefined) counts.set(name, (counts.get(name) ?? 0) + 1);
      }
      answers.set(query, { summary: summarizeSeries(series), counts, total: series.length });
    } catch (e) {
      answers.set(query, {
        summary: new Map(),
        counts: new Map(),
        total: 0,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }
  const summaries = new Map([...answers].map(([q, a]) => [q, a.summary]));
  const fullCustom = buildCustomRegistry(custom, summaries, options.mapper).registry;
  const fullExternal = buildExternalRegistry(external, summaries).registry;
  const examples = options.examples ?? 3;

  const explainRule = (rule: CompiledRule): RuleDiscovery => {
    const answer = answers.get(rule.seriesQuery)!;
    const own = new Map([[rule.seriesQuery, answer.summary]]);
    let metrics: DiscoveredMetric[];
    let rejected: Array<{ seriesName: string; reason: string }>;
    if (rule.kind === 'custom') {
      const registry = buildCustomRegistry([rule], own, options.mapper).registry;
      metrics = registry.list.map((info) => {
        const { group, resource: plural } = info.groupResource;
        // NB: the registry holds only resources the mapping resolved, so the lookup finds them again.
        const entry = registry.find(options.mapper.lookup(plural, group)!, info.metric)!;
        const winner = fullCustom.find(entry.resource, info.metric)?.rule.id;
        const resource = groupResourceString(info.groupResource);
        return {
          name: `${resource}/${info.metric}`,
          metric: info.metric,
          resource,
          namespaced: info.namespaced,
          seriesName: entry.seriesName,
          ...(winner !== undefined && winner !== rule.id ? { overriddenBy: winner } : {}),
        };
      });
      rejected = explainCustomRule(rule, answer.summary, options.mapper).flatMap((o) =>
        'rejected' in o ? [{ seriesName: o.seriesName, reason: o.rejected }] : [],
      );
    } else {
      const registry = buildExternalRegistry([rule], own).registry;
      metrics = registry.list.map((info) => {
        const winner = fullExternal.find(info.metric)?.rule.id;
        return {
          name: info.metric,
          metric: info.metric,
          namespaced: rule.namespaced,
          seriesName: registry.find(info.metric)!.seriesName,
          ...(winner !== undefined && winner !== rule.id ? { overriddenBy: winner } : {}),
        };
      });
      rejected = explainExternalRule(rule, answer.summary).flatMap((o) =>
        'rejected' in o ? [{ seriesName: o.seriesName, reason: o.rejected }] : [],
      );
    }
    const byReason = new Map<string, string[]>();
    for (const r of rejected) byReason.set(r.reason, [...(byReason.get(r.reason) ?? []), r.seriesName]);
    return {
      id: rule.id,
      kind: rule.kind,
      seriesQuery: rule.seriesQuery,
      ...(answer.error === undefined ? {} : { error: answer.error }),
      series: answer.total,
      seriesNames: answer.summary.size,
      metrics: metrics.sort((a, b) => compare(a.name, b.name)),
      rejected: [...byReason]
        .sort(([a], [b]) => compare(a, b))
        .map(([reason, names]) => {
          const sorted = names.sort(compare);
          return {
            reason,
            seriesNames: names.length,
            series: names.reduce((n, name) => n + (answer.counts.get(name) ?? 0), 0),
            examples: sorted.slice(0, examples).map((name) => {
              if (!reason.startsWith('no label')) return name;
              const labels = [...(answer.summary.get(name) ?? [])].sort(compare);
              return `${name} {${labels.join(', ')}}`;
            }),
          };
        }),
    };
  };

  const rules = [...custom, ...external].map(explainRule);
  const producers = new Map<string, Conflict>();
  for (const rule of rules) {
    for (const m of rule.metrics) {
      const key = `${rule.kind}\u0000${m.name}`;
      const seen = producers.get(key);
      producers.set(key, { name: m.name, kind: rule.kind, rules: [...(seen?.rules ?? []), rule.id] });
    }
  }
  const conflicts = [...producers.values()]
    .filter((c) => c.rules.length > 1)
    .sort((a, b) => compare(a.kind, b.kind) || compare(a.name, b.name));
  return { rules, conflicts, customMetrics: fullCustom.size, externalMetrics: fullExternal.size };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
