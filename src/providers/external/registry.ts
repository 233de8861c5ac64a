import type { CompiledRule } from '../../rules/compile-rules.js';
import { describeNameVerdict } from '../../rules/namer.js';
import type { ExternalMetricInfo } from '../contract.js';
import type { SeriesSummary } from '../series-summary.js';

/** One servable external metric: all that serving needs (SPEC 4). */
export interface RegisteredExternalMetric {
  readonly info: ExternalMetricInfo;
  readonly seriesName: string;
  readonly rule: CompiledRule;
}

/** An immutable snapshot of the external metrics: swapped atomically after each relist. */
export interface ExternalMetricsRegistry {
  /** Sorted by metric name; the same array until the next relist. */
  readonly list: readonly ExternalMetricInfo[];
  find(metric: string): RegisteredExternalMetric | undefined;
  readonly size: number;
}

export interface ExternalRegistryBuildResult {
  registry: ExternalMetricsRegistry;
  /** One message per metric name claimed by two rules, by metric name; the later rule wins (SPEC 4). */
  conflicts: string[];
}

/**
 * Builds the external registry from the external rules (in file order) and the relisted series: every series name
 * a rule keeps is served under the name its namer gives it, without a resource (SPEC 3, 5.3). Pure.
 */
export function buildExternalRegistry(
  rules: readonly CompiledRule[],
  summaries: ReadonlyMap<string, SeriesSummary>,
): ExternalRegistryBuildResult {
  const entries = new Map<string, RegisteredExternalMetric>();
  const conflicts = new Map<string, string>();
  for (const rule of rules) {
    const summary = summaries.get(rule.seriesQuery);
    if (summary === undefined) continue;
    for (const seriesName of summary.keys()) {
      const metric = rule.namer.metricNameFor(seriesName);
      if (metric === undefined || metric === '') continue;
      const existing = entries.get(metric);
      if (existing !== undefined && existing.rule !== rule) {
        conflicts.set(
          metric,
          `external metric ${metric} is produced by ${existing.rule.id} and ${rule.id}; ` +
            `${rule.id} (the later rule) wins`,
        );
      }
      entries.set(metric, { info: { metric }, seriesName, rule });
    }
  }
  const byName = <T>([a]: [string, T], [b]: [string, T]) => (a < b ? -1 : a > b ? 1 : 0);
  const list = Object.freeze([...entries.entries()].sort(byName).map(([, e]) => e.info));
  return {
    registry: { list, size: list.length, find: (metric) => entries.get(metric) },
    conflicts: [...conflicts.entries()].sort(byName).map(([, message]) => message),
  };
}

/**
 * The steps {@link buildExternalRegistry} takes for one rule, with the reason when a series name yields no metric
 * (seriesFilters, `name.matches`, `name.as`). In the summary's order. Pure.
 */
export function explainExternalRule(
  rule: CompiledRule,
  summary: SeriesSummary,
): Array<
  | { readonly seriesName: string; readonly metric: string }
  | { readonly seriesName: string; readonly rejected: string }
> {
  return [...summary.keys()].map((seriesName) => {
    const verdict = rule.namer.explain(seriesName);
    return verdict.kind === 'named'
      ? { seriesName, metric: verdict.metric }
      : { seriesName, rejected: describeNameVerdict(verdict) };
  });
}

export const EMPTY_EXTERNAL_REGISTRY: ExternalMetricsRegistry = Object.freeze({
  list: Object.freeze<ExternalMetricInfo[]>([]),
  size: 0,
  find: () => undefined,
});
