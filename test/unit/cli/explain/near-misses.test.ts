import { describe, expect, it } from '@jest/globals';
import {
  editDistance,
  findNearMisses,
  similarity,
  type SeriesAnswer,
} from '../../../../src/cli/explain/near-misses.js';
import { createStandaloneResourceMapper } from '../../../../src/kube/standalone.js';
import { buildCustomRegistry } from '../../../../src/providers/custom/registry.js';
import { buildExternalRegistry } from '../../../../src/providers/external/registry.js';
import { summarizeSeries } from '../../../../src/providers/series-summary.js';
import { loadRules } from '../../../../src/rules/compile-rules.js';
import { loadConfig } from '../../../../src/rules/load-config.js';

describe('editDistance (optimal string alignment)', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['counter_qps', 'counter_qps', 0],
    ['counter_qsp', 'counter_qps', 1], // one transposition
    ['counter_qp', 'counter_qps', 1], // one insertion
    ['counter_xps', 'counter_qps', 1], // one substitution
    ['gauge_qps', 'counter_qps', 5],
    ['ca', 'abc', 3], // OSA does not edit a transposed pair again
  ])('%j → %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('similarity', () => {
  it.each([
    ['counter_qsp', 'counter_qps', 1],
    ['Counter_QPS', 'counter_qps', 0], // case is ignored, but the names differ
    ['qps', 'counter_qps', 8], // contained
    ['qs', 'counter_qs', 8], // contained, but too short to count: see below
  ])('%j ~ %j', (wanted, candidate, distance) => {
    if (wanted === 'qs') expect(similarity(wanted, candidate)).toBeUndefined();
    else expect(similarity(wanted, candidate)).toBe(distance);
  });

  it('is undefined for the same name and for names far apart', () => {
    expect(similarity('counter_qps', 'counter_qps')).toBeUndefined();
    expect(similarity('counter_qps', 'gauge_queue_size')).toBeUndefined();
  });

  it('allows one edit for short names and at most three for long ones', () => {
    expect(similarity('abcd', 'abxy')).toBeUndefined();
    expect(similarity('abcd', 'abxd')).toBe(1);
    expect(similarity('a_very_long_metric_name', 'a_vary_lung_metric_nome')).toBe(3);
    expect(similarity('a_very_long_metric_name', 'a_vary_lung_metrik_nome')).toBeUndefined();
  });
});

const RULES = `
rules:
  - seriesQuery: '{kubernetes_namespace!="",kubernetes_pod_name!=""}'
    seriesFilters:
      - isNot: ^internal_
    resources:
      overrides:
        kubernetes_namespace: {resource: namespace}
        kubernetes_pod_name: {resource: pod}
    name: {matches: (.*), as: 'counter_\${1}'}
    metricsQuery: sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)
  - seriesQuery: '{job="batch"}'
    name: {matches: (.*), as: 'counter_\${1}'}
    resources: {overrides: {kubernetes_namespace: {resource: namespace}}}
    metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)
  - seriesQuery: '{job="nothing"}'
    metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)
  - seriesQuery: '{job="broken"}'
    metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)
externalRules:
  - seriesQuery: '{queue!=""}'
    resources: {namespaced: false}
    name: {matches: ^broker_(.*)$, as: '\${1}'}
    metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>})
`;

const pod = (name: string) => ({ __name__: name, kubernetes_namespace: 'default', kubernetes_pod_name: 'p' });
const ANSWERS = new Map<string, SeriesAnswer>([
  [
    '{kubernetes_namespace!="",kubernetes_pod_name!=""}',
    { labelSets: [pod('qps'), pod('internal_qps'), pod('queue_size')] },
  ],
  ['{job="batch"}', { labelSets: [{ __name__: 'jobs', job: 'batch', kubernetes_namespace: 'default' }] }],
  ['{job="nothing"}', { labelSets: [] }],
  ['{job="broken"}', { error: 'connect ECONNREFUSED' }],
  ['{queue!=""}', { labelSets: [{ __name__: 'broker_messages', queue: 'orders' }] }],
]);

/** The registries and near-miss input as explain builds them, from the rules and answers above. */
function setup() {
  const rules = loadRules(RULES, 'rules.yaml');
  const { config } = loadConfig(RULES, 'rules.yaml');
  const mapper = createStandaloneResourceMapper();
  const summaries = new Map(
    [...ANSWERS].flatMap(([q, a]) => ('labelSets' in a ? [[q, summarizeSeries(a.labelSets)] as const] : [])),
  );
  const custom = buildCustomRegistry(rules.custom, summaries, mapper).registry;
  const external = buildExternalRegistry(rules.external, summaries).registry;
  const base = {
    customMetrics: custom.list,
    externalMetrics: external.list,
    series: ANSWERS,
    mapper,
  };
  return {
    custom: (metric: string, resource: string) => {
      const resolved = mapper.lookup(resource);
      return findNearMisses({
        ...base,
        metric,
        kind: 'custom',
        resource: { written: resource, ...(resolved === undefined ? {} : { resolved }) },
        rules: rules.custom.map((rule, i) => ({ rule, config: config.rules[i]! })),
      });
    },
    external: (metric: string) =>
      findNearMisses({
        ...base,
        metric,
        kind: 'external',
        rules: rules.external.map((rule, i) => ({ rule, config: config.externalRules[i]! })),
      }),
  };
}

describe('findNearMisses', () => {
  const { custom, external } = setup();

  it('names a misspelt metric by its closest served names, with where each is served', () => {
    const misses = custom('counter_qsp', 'pods');
    expect(misses.similarNames[0]).toEqual({
      metric: 'counter_qps',
      distance: 1,
      servedAt: [
        { api: 'custom', resource: 'namespaces', namespaced: false },
        { api: 'custom', resource: 'pods', namespaced: true },
      ],
    });
    expect(misses.sameName).toEqual([]);
    expect(misses.unknownResource).toBeUndefined();
  });

  it('lists the same metric served for other resources and why its series do not reach this one', () => {
    const misses = custom('counter_jobs', 'pods');
    expect(misses.sameName).toEqual([{ api: 'custom', resource: 'namespaces', namespaced: false }]);
    expect(misses.rejectedSeries).toEqual([
      {
        rule: 'rules[1]',
        seriesName: 'jobs',
        reason: 'its labels (job, kubernetes_namespace) map to namespaces, not to pods',
      },
    ]);
  });

  it('reports series that the name mapping gives this name but a seriesFilter turns away', () => {
    expect(custom('counter_internal_qps', 'pods').rejectedSeries).toEqual([
      {
        rule: 'rules[0]',
        seriesName: 'internal_qps',
        reason: 'seriesFilters[0] (isNot: "^internal_") matches it',
      },
    ]);
  });

  it('lists the rules whose seriesQuery found no series, and the ones that failed', () => {
    expect(custom('anything', 'pods').emptySeriesQueries).toEqual([
      { rule: 'rules[2]', seriesQuery: '{job="nothing"}' },
      { rule: 'rules[3]', seriesQuery: '{job="broken"}', error: 'connect ECONNREFUSED' },
    ]);
  });

  it('names the metric a series is served as when the series name was asked for', () => {
    expect(custom('qps', 'pods').seriesNamed).toEqual([
      { rule: 'rules[0]', seriesName: 'qps', servedAs: 'counter_qps' },
    ]);
  });

  it('says when the resource is unknown, with the known resources it resembles', () => {
    const misses = custom('counter_qps', 'podz');
    expect(misses.unknownResource).toEqual({ resource: 'podz', similar: ['pods'] });
    expect(misses.sameName).toEqual([
      { api: 'custom', resource: 'namespaces', namespaced: false },
      { api: 'custom', resource: 'pods', namespaced: true },
    ]);
    expect(misses.rejectedSeries).toEqual([]);
  });

  it('for external metrics: similar external names, and the same name served as a custom metric', () => {
    const misses = external('mesages');
    expect(misses.similarNames).toEqual([
      { metric: 'messages', distance: 1, servedAt: [{ api: 'external' }] },
    ]);
    expect(external('counter_qps').sameName).toEqual([
      { api: 'custom', resource: 'namespaces', namespaced: false },
      { api: 'custom', resource: 'pods', namespaced: true },
    ]);
    expect(external('broker_messages').seriesNamed).toEqual([
      { rule: 'externalRules[0]', seriesName: 'broker_messages', servedAs: 'messages' },
    ]);
  });

  it('does not list a place as a near miss of itself', () => {
    expect(external('messages').sameName).toEqual([]);
  });
});
