import { groupResourceString, type ResourceInfo } from '../../api/resources.js';
import type { CompiledRule } from '../../rules/compile-rules.js';
import { describeNameVerdict } from '../../rules/namer.js';
import type { ResourceMapper } from '../../kube/contract.js';
import type { CustomMetricInfo } from '../contract.js';
import type { SeriesSummary } from '../series-summary.js';

/** One servable (resource, metric) pair: all that serving needs (SPEC 4). */
export interface RegisteredMetric {
  readonly info: CustomMetricInfo;
  readonly resource: ResourceInfo;
  readonly seriesName: string;
  readonly rule: CompiledRule;
}

/** An immutable snapshot of the custom metrics: swapped atomically after each relist. */
export interface CustomMetricsRegistry {
  /** Sorted by `<resource>[.<group>]/<metric>`; the same array until the next relist. */
  readonly list: readonly CustomMetricInfo[];
  find(resource: ResourceInfo, metric: string): RegisteredMetric | undefined;
  readonly size: number;
}

export interface RegistryBuildResult {
  registry: CustomMetricsRegistry;
  /** One message per (resource, metric) claimed by two rules; the later rule wins (SPEC 4). */
  conflicts: string[];
}

const keyOf = (group: string, resource: string, metric: string) =>
  `${groupResourceString({ group, resource })}/${metric}`;

/** Builds the registry from the rules (in file order) and the relisted series. Pure. */
export function buildCustomRegistry(
  rules: readonly CompiledRule[],
  summaries: ReadonlyMap<string, SeriesSummary>,
  mapper: ResourceMapper,
): RegistryBuildResult {
  const entries = new Map<string, RegisteredMetric>();
  const conflicts = new Map<string, string>();
  for (const rule of rules) {
    const summary = summaries.get(rule.seriesQuery);
    if (summary === undefined) continue;
    for (const [seriesName, labels] of summary) {
      const metric = rule.namer.metricNameFor(seriesName);
      if (metric === undefined || metric === '') continue;
      for (const resource of rule.resources.resourcesForLabels(labels, mapper)) {
        const key = keyOf(resource.group, resource.resource, metric);
        const existing = entries.get(key);
        if (existing !== undefined && existing.rule !== rule) {
          conflicts.set(
            key,
            `metric ${metric} for ${groupResourceString(resource)} is produced by ` +
              `${existing.rule.id} and ${rule.id}; ${rule.id} (the later rule) wins`,
          );
        }
        entries.set(key, {
          info: {
            groupResource: { group: resource.group, resource: resource.resource },
            metric,
            namespaced: resource.namespaced,
          },
          resource,
          seriesName,
          rule,
        });
      }
    }
  }
  const sorted = [...entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const list = Object.freeze(sorted.map(([, e]) => e.info));
  return {
    registry: {
      list,
      size: list.length,
      find: (resource, metric) => entries.get(keyOf(resource.group, resource.resource, metric)),
    },
    conflicts: [...conflicts.values()],
  };
}

/** What a rule makes of one series name: a metric on some resources, or why nothing (see explainCustomRule). */
export type SeriesOutcome =
  | { readonly seriesName: string; readonly metric: string; readonly resources: readonly ResourceInfo[] }
  | { readonly seriesName: string; readonly rejected: string };

/**
 * The steps {@link buildCustomRegistry} takes for one rule, with the reason when a series name yields no metric:
 * its name (seriesFilters, `name.matches`, `name.as`), then its labels (the union over the series of that name,
 * as relisting keeps them: none maps to a resource the mapping knows). In the summary's order. Pure.
 */
export function explainCustomRule(
  rule: CompiledRule,
  summary: SeriesSummary,
  mapper: ResourceMapper,
): SeriesOutcome[] {
  return [...summary].map(([seriesName, labels]): SeriesOutcome => {
    const verdict = rule.namer.explain(seriesName);
    if (verdict.kind !== 'named') return { seriesName, rejected: describeNameVerdict(verdict) };
    const resources = rule.resources.resourcesForLabels(labels, mapper);
    return resources.length === 0
      ? { seriesName, rejected: 'no label maps to a resource' }
      : { seriesName, metric: verdict.metric, resources };
  });
}

export const EMPTY_CUSTOM_REGISTRY: CustomMetricsRegistry = Object.freeze({
  list: Object.freeze<CustomMetricInfo[]>([]),
  size: 0,
  find: () => undefined,
});
