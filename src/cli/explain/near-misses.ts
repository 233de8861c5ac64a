/**
 * Why a requested metric is not served, told as near misses: where else the name is served, which served names
 * look like it, which rules found no series, and which series would have had the name but were turned away.
 */
import { groupResourceString, type ResourceInfo } from '../../api/resources.js';
import type { ResourceMapper } from '../../kube/contract.js';
import type { CustomMetricInfo, ExternalMetricInfo } from '../../providers/contract.js';
import type { CompiledRule } from '../../rules/compile-rules.js';
import type { DiscoveryRuleConfig, SeriesFilter } from '../../rules/config.js';
import { createNamer } from '../../rules/namer.js';
import { compileRE2 } from '../../rules/re2.js';

/** What one seriesQuery answered in the relist: its label sets, or why it failed. */
export type SeriesAnswer = { labelSets: ReadonlyArray<Readonly<Record<string, string>>> } | { error: string };

/** A compiled rule with its configuration as written (the namer does not keep `matches` and `as`). */
export interface RuleWithConfig {
  rule: CompiledRule;
  config: DiscoveryRuleConfig;
}

export interface NearMissInput {
  metric: string;
  /** The API asked: custom metrics of a resource, or external metrics. */
  kind: 'custom' | 'external';
  /** Custom requests: the resource as written in the path, and what the resource mapping made of it. */
  resource?: { written: string; resolved?: ResourceInfo };
  /** The registries after the relist. */
  customMetrics: readonly CustomMetricInfo[];
  externalMetrics: readonly ExternalMetricInfo[];
  /** The rules of the requested kind, in file order. */
  rules: readonly RuleWithConfig[];
  /** seriesQuery → its answer in the relist. */
  series: ReadonlyMap<string, SeriesAnswer>;
  mapper: ResourceMapper;
}

/** Where a metric name is served: a resource of custom.metrics.k8s.io, or external.metrics.k8s.io. */
export type ServedAt = { api: 'custom'; resource: string; namespaced: boolean } | { api: 'external' };

export interface NearMisses {
  /** Set when the mapping does not know the requested resource; `similar` are known resources like it. */
  unknownResource?: { resource: string; similar: string[] };
  /** Where the exact requested name is served other than the requested place. */
  sameName: ServedAt[];
  /** Served names close to the requested one (edit distance, or one containing the other), closest first. */
  similarNames: Array<{ metric: string; distance: number; servedAt: ServedAt[] }>;
  /** Series named exactly as the requested metric, which a rule serves under another name. */
  seriesNamed: Array<{ rule: string; seriesName: string; servedAs: string }>;
  /** Rules whose seriesQuery found no series (or failed) in the relist. */
  emptySeriesQueries: Array<{ rule: string; seriesQuery: string; error?: string }>;
  /** Series whose name the rule's name mapping turns into the requested metric, but which are not served as it. */
  rejectedSeries: Array<{ rule: string; seriesName: string; reason: string }>;
}

/** At most this many similar names are reported. */
const MAX_SIMILAR = 10;

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and transpositions of adjacent
 * characters each cost 1 (so the typo `qsp` for `qps` is 1). Never throws.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * Whether `candidate` looks like `wanted`: within an edit distance that grows with the length (1 up to 5
 * characters, then a third of the length, at most 3), or one contains the other (at least 3 characters).
 */
export function similarity(wanted: string, candidate: string): number | undefined {
  if (wanted === candidate) return undefined;
  const distance = editDistance(wanted.toLowerCase(), candidate.toLowerCase());
  const limit = Math.min(3, Math.max(1, Math.floor(wanted.length / 3)));
  if (distance <= limit) return distance;
  const [shorter, longer] = wanted.length <= candidate.length ? [wanted, candidate] : [candidate, wanted];
  if (shorter.length >= 3 && longer.includes(shorter)) return distance;
  return undefined;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Where each metric name is served, from the registries. */
function servedAtByName(input: NearMissInput): Map<string, ServedAt[]> {
  const byName = new Map<string, ServedAt[]>();
  const add = (metric: string, at: ServedAt) => {
    const list = byName.get(metric) ?? [];
    list.push(at);
    byName.set(metric, list);
  };
  for (const m of input.customMetrics) {
    add(m.metric, {
      api: 'custom',
      resource: groupResourceString(m.groupResource),
      namespaced: m.namespaced,
    });
  }
  for (const m of input.externalMetrics) add(m.metric, { api: 'external' });
  return byName;
}

function isRequestedPlace(input: NearMissInput, at: ServedAt): boolean {
  if (at.api !== input.kind) return false;
  if (at.api === 'external') return true;
  const resolved = input.resource?.resolved;
  return resolved !== undefined && at.resource === groupResourceString(resolved);
}

/** Why `seriesFilters` reject `seriesName`: the first filter that does. */
function filterReason(filters: readonly SeriesFilter[], seriesName: string): string {
  for (const [j, filter] of filters.entries()) {
    if (filter.is !== undefined && !compileRE2(filter.is).test(seriesName)) {
      return `seriesFilters[${j}] (is: ${JSON.stringify(filter.is)}) does not match it`;
    }
    if (filter.isNot !== undefined && compileRE2(filter.isNot).test(seriesName)) {
      return `seriesFilters[${j}] (isNot: ${JSON.stringify(filter.isNot)}) matches it`;
    }
  }
  return 'the rule does not keep it';
}

/** Series names of one answer with the union of their label names, sorted by name. */
function labelsBySeriesName(
  labelSets: ReadonlyArray<Readonly<Record<string, string>>>,
): Array<[string, string[]]> {
  const byName = new Map<string, Set<string>>();
  for (const labels of labelSets) {
    const name = labels.__name__;
    if (name === undefined) continue;
    const set = byName.get(name) ?? new Set<string>();
    for (const label of Object.keys(labels)) if (label !== '__name__') set.add(label);
    byName.set(name, set);
  }
  return [...byName.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([name, labels]) => [name, [...labels].sort(compare)]);
}

/**
 * Collects the near misses of a metric that is not served where it was asked for. Pure; never throws on input
 * that loadRules accepted.
 */
export function findNearMisses(input: NearMissInput): NearMisses {
  const { metric } = input;
  const servedAt = servedAtByName(input);
  const misses: NearMisses = {
    sameName: (servedAt.get(metric) ?? []).filter((at) => !isRequestedPlace(input, at)),
    similarNames: [],
    seriesNamed: [],
    emptySeriesQueries: [],
    rejectedSeries: [],
  };

  const resource = input.resource;
  if (resource !== undefined && resource.resolved === undefined) {
    const similar = input.mapper
      .all()
      .map((r) => groupResourceString(r))
      .filter((name) => similarity(resource.written.toLowerCase(), name) !== undefined)
      .sort(compare);
    misses.unknownResource = { resource: resource.written, similar };
  }

  misses.similarNames = [...servedAt.entries()]
    .flatMap(([name, at]) => {
      const distance = similarity(metric, name);
      return distance === undefined ? [] : [{ metric: name, distance, servedAt: at }];
    })
    .sort((a, b) => a.distance - b.distance || compare(a.metric, b.metric))
    .slice(0, MAX_SIMILAR);

  for (const { rule, config } of input.rules) {
    const answer = input.series.get(rule.seriesQuery);
    if (answer === undefined || 'error' in answer || answer.labelSets.length === 0) {
      misses.emptySeriesQueries.push({
        rule: rule.id,
        seriesQuery: rule.seriesQuery,
        ...(answer !== undefined && 'error' in answer ? { error: answer.error } : {}),
      });
      continue;
    }
    // NB: the same name mapping without the filters tells which series the filters turned away.
    const unfiltered = createNamer({
      filters: [],
      ...(config.name?.matches === undefined ? {} : { matches: config.name.matches }),
      ...(config.name?.as === undefined ? {} : { as: config.name.as }),
    });
    for (const [seriesName, labels] of labelsBySeriesName(answer.labelSets)) {
      const served = rule.namer.metricNameFor(seriesName);
      if (seriesName === metric && served !== undefined && served !== '' && served !== metric) {
        misses.seriesNamed.push({ rule: rule.id, seriesName, servedAs: served });
      }
      if (unfiltered.metricNameFor(seriesName) !== metric) continue;
      if (served === undefined) {
        misses.rejectedSeries.push({
          rule: rule.id,
          seriesName,
          reason: filterReason(config.seriesFilters ?? [], seriesName),
        });
        continue;
      }
      const wanted = resource?.resolved;
      if (input.kind !== 'custom' || wanted === undefined) continue;
      const resources = rule.resources.resourcesForLabels(labels, input.mapper);
      const key = groupResourceString(wanted);
      if (resources.some((r) => groupResourceString(r) === key)) continue;
      const mapped = resources.map((r) => groupResourceString(r)).sort(compare);
      misses.rejectedSeries.push({
        rule: rule.id,
        seriesName,
        reason:
          `its labels (${labels.join(', ')}) map to ${mapped.length === 0 ? 'no resource' : mapped.join(', ')}, ` +
          `not to ${key}`,
      });
    }
  }
  return misses;
}
