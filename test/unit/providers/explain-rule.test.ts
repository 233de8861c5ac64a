import { describe, expect, it } from '@jest/globals';
import { createStandaloneResourceMapper } from '../../../src/kube/standalone.js';
import { buildCustomRegistry, explainCustomRule } from '../../../src/providers/custom/registry.js';
import { buildExternalRegistry, explainExternalRule } from '../../../src/providers/external/registry.js';
import { summarizeSeries } from '../../../src/providers/series-summary.js';
import { loadRules } from '../../../src/rules/compile-rules.js';

const mapper = createStandaloneResourceMapper();
const QUERY = '{job="x",namespace!=""}';
const rules = loadRules(
  `
rules:
  - seriesQuery: '${QUERY}'
    seriesFilters: [{isNot: "^go_"}]
    resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}}}
    name: {matches: "^(.*)_total$"}
    metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)
externalRules:
  - seriesQuery: '${QUERY}'
    name: {matches: "^(.*)_total$"}
    resources: {namespaced: false}
    metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>})
`,
  'test.yaml',
);
const summary = summarizeSeries([
  { __name__: 'http_total', job: 'x', namespace: 'a', pod: 'p' },
  { __name__: 'go_gc_total', job: 'x', namespace: 'a', pod: 'p' },
  { __name__: 'queue', job: 'x', namespace: 'a', pod: 'p' },
  { __name__: 'jobs_total', job: 'x', node: 'n' },
]);

describe('explainCustomRule: what the registry keeps of each series name, and why not', () => {
  it('names the reason for every series name the registry leaves out', () => {
    expect(explainCustomRule(rules.custom[0]!, summary, mapper)).toEqual([
      {
        seriesName: 'http_total',
        metric: 'http',
        resources: [mapper.lookup('namespaces', '')!, mapper.lookup('pods', '')!],
      },
      { seriesName: 'go_gc_total', rejected: 'name matches seriesFilters[0].isNot "^go_"' },
      { seriesName: 'queue', rejected: 'name does not match name.matches "^(.*)_total$"' },
      { seriesName: 'jobs_total', rejected: 'no label maps to a resource' },
    ]);
  });

  it('agrees with buildCustomRegistry on what is served', () => {
    const { registry } = buildCustomRegistry(rules.custom, new Map([[QUERY, summary]]), mapper);
    const explained = explainCustomRule(rules.custom[0]!, summary, mapper).flatMap((o) =>
      'metric' in o ? o.resources.map((r) => `${r.resource}/${o.metric}`) : [],
    );
    expect(registry.list.map((m) => `${m.groupResource.resource}/${m.metric}`)).toEqual(explained.sort());
  });
});

describe('explainExternalRule', () => {
  it('names the reason for every series name the external registry leaves out, and agrees with it', () => {
    const explained = explainExternalRule(rules.external[0]!, summary);
    expect(explained).toEqual([
      { seriesName: 'http_total', metric: 'http' },
      { seriesName: 'go_gc_total', metric: 'go_gc' },
      { seriesName: 'queue', rejected: 'name does not match name.matches "^(.*)_total$"' },
      { seriesName: 'jobs_total', metric: 'jobs' },
    ]);
    const { registry } = buildExternalRegistry(rules.external, new Map([[QUERY, summary]]));
    expect(registry.list.map((m) => m.metric)).toEqual(['go_gc', 'http', 'jobs']);
  });
});
