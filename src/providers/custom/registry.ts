import { groupResourceString, type ResourceInfo } from '../../api/resources.js';
import type { CompiledRule } from '../../rules/compile-rules.js';
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

export const EMPTY_CUSTOM_REGISTRY: CustomMetricsRegistry = Object.freeze({
  list: Object.freeze<CustomMetricInfo[]>([]),
  size: 0,
  find: () => undefined,
});
