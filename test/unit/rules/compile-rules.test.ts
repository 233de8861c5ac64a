import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';

import { createStandaloneResourceMapper } from '../../../src/kube/standalone.js';
import { loadRules } from '../../../src/rules/compile-rules.js';
import { ConfigError, type ConfigProblem } from '../../../src/rules/config-error.js';
import { renderQuery } from '../../../src/rules/query-builder.js';

const QUEUE_WORKER_RULES = readFileSync(
  new URL('../../../config/queue-worker.yaml', import.meta.url),
  'utf8',
);

const problemsOf = (text: string): readonly ConfigProblem[] => {
  try {
    loadRules(text, 'rules.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`expected the rules to be rejected:\n${text}`);
};

const onlyProblem = (text: string): ConfigProblem => {
  const problems = problemsOf(text);
  expect(problems).toHaveLength(1);
  return problems[0]!;
};

/** One rule under `rules:`, starting on line 2; `fields` replace or add rule-level keys (YAML flow values). */
const oneRule = (fields: Record<string, string>): string => {
  const all: Record<string, string> = {
    seriesQuery: `'{__name__=~"^x_.*"}'`,
    metricsQuery: `'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'`,
    ...fields,
  };
  return `rules:\n${Object.entries(all)
    .map(([k, v], i) => `${i === 0 ? '-' : ' '} ${k}: ${v}`)
    .join('\n')}\n`;
};

describe('loadRules: the queue-worker rules', () => {
  const rules = loadRules(QUEUE_WORKER_RULES, 'queue-worker.yaml');
  const mapping = createStandaloneResourceMapper();

  it('compiles four custom rules and no external ones', () => {
    expect(rules.custom.map((r) => [r.id, r.kind])).toEqual([
      ['rules[0]', 'custom'],
      ['rules[1]', 'custom'],
      ['rules[2]', 'custom'],
      ['rules[3]', 'custom'],
    ]);
    expect(rules.external).toEqual([]);
    expect(rules.resourceRules).toBeUndefined();
  });

  it.each([
    [0, 'qps', 'counter_qps'],
    [1, 'container_cpu_usage_seconds_total', 'counter_container_cpu_usage_seconds_total'],
    [2, 'queue_size', 'gauge_queue_size'],
    [3, 'queue_size', 'gauge_queue_size'],
  ])('rule %d serves series %s as %s (SPEC 3.1)', (index, series, metric) => {
    expect(rules.custom[index]!.namer.metricNameFor(series)).toBe(metric);
  });

  it.each([
    [0, ['kubernetes_namespace', 'kubernetes_pod_name', 'job', 'instance'], ['namespaces', 'pods']],
    [1, ['namespace', 'pod', 'container', 'job'], ['namespaces', 'pods']],
  ])('rule %d associates its series labels %j with %j (SPEC 3.2)', (index, labels, resources) => {
    expect(rules.custom[index]!.resources.resourcesForLabels(labels, mapping).map((r) => r.resource)).toEqual(
      resources,
    );
  });

  it('keeps the seriesQuery as written', () => {
    expect(rules.custom[1]!.seriesQuery).toBe(
      '{job="kubernetes-nodes-cadvisor",container!="POD",namespace!="",pod!=""}',
    );
  });
});

describe('loadRules: external rules', () => {
  it.each([
    ['namespaced defaults to true', '', true],
    ['namespaced: false', ', namespaced: false', false],
  ])('%s', (_what, extra, namespaced) => {
    const text = `externalRules:\n- seriesQuery: 'queue_depth'\n  resources: {overrides: {namespace: {resource: namespace}}${extra}}\n  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>})'\n`;
    const [rule] = loadRules(text, 'rules.yaml').external;
    expect([rule?.id, rule?.kind, rule?.namespaced]).toEqual(['externalRules[0]', 'external', namespaced]);
  });

  it('an external rule renders without a resource part', () => {
    const text =
      "externalRules:\n- seriesQuery: 'queue_depth'\n  resources: {template: '<<.Resource>>'}\n  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'\n";
    const [rule] = loadRules(text, 'rules.yaml').external;
    expect(
      renderQuery(rule!.metricsQuery, {
        series: 'queue_depth',
        metricSelector: [],
        namespace: { label: 'namespace', name: 'prod' },
      }),
    ).toBe('sum(queue_depth{namespace="prod"}) by ()');
  });
});

describe('loadRules: a namespaced external rule must map a label to namespaces (SPEC 3.3, 11)', () => {
  const external = (resources: string | undefined) =>
    [
      'externalRules:',
      "- seriesQuery: 'rabbitmq_queue_messages_ready'",
      ...(resources === undefined ? [] : [`  resources: ${resources}`]),
      "  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>})'",
    ].join('\n');

  it.each<[what: string, resources: string | undefined, line: number]>([
    ['no resources at all', undefined, 2],
    ['overrides for other resources only', '{overrides: {queue: {resource: service}}}', 3],
    [
      'an override naming namespaces in another group',
      '{overrides: {ns: {resource: namespaces, group: apps}}}',
      3,
    ],
    ['namespaced: true said explicitly', '{namespaced: true}', 3],
  ])('rejects %s at externalRules[i].resources, saying how to fix it', (_what, resources, line) => {
    const problem = onlyProblem(external(resources));
    expect(problem.path).toBe('externalRules[0].resources');
    expect(problem.line).toBe(line);
    expect(problem.message).toMatch(/maps no label to namespaces/);
    expect(problem.message).toMatch(/add a namespace override/);
    expect(problem.message).toMatch(/namespaced: false/);
  });

  it.each<[what: string, resources: string, label: string | undefined]>([
    ['namespaced: false', '{namespaced: false}', undefined],
    ['an override to namespace', '{overrides: {namespace: {resource: namespace}}}', 'namespace'],
    ['an override to namespaces', '{overrides: {ns: {resource: namespaces}}}', 'ns'],
    [
      'an override to Namespace in the core group',
      "{overrides: {k_ns: {resource: Namespace, group: ''}}}",
      'k_ns',
    ],
    ['a template', "{template: 'kubernetes_<<.Resource>>'}", 'kubernetes_namespace'],
  ])('accepts %s, without asking a cluster', (_what, resources, label) => {
    const [rule] = loadRules(external(resources), 'rules.yaml').external;
    const namespaces = createStandaloneResourceMapper().lookup('namespaces')!;
    expect(rule?.resources.labelForResource(namespaces, createStandaloneResourceMapper())).toBe(label);
  });

  it('does not apply to custom rules (they are asked for by resource)', () => {
    const text = "rules:\n- seriesQuery: 'x'\n  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>})'\n";
    expect(loadRules(text, 'rules.yaml').custom).toHaveLength(1);
  });
});

describe('loadRules: regexes and filters are checked with their YAML path (SPEC 3, 3.1)', () => {
  it.each<
    [
      what: string,
      fields: Record<string, string>,
      path: string,
      line: number,
      column: number,
      message: string,
    ]
  >([
    [
      'a filter with both is and isNot',
      { seriesFilters: '[{is: a, isNot: b}]' },
      'rules[0].seriesFilters[0]',
      4,
      19,
      'exactly one of "is" or "isNot"',
    ],
    [
      'a filter with neither',
      { seriesFilters: '[{}]' },
      'rules[0].seriesFilters[0]',
      4,
      19,
      'exactly one of "is" or "isNot"',
    ],
    [
      'a look-ahead in name.matches',
      { name: '{matches: "^(.*)(?=_total)"}' },
      'rules[0].name.matches',
      4,
      19,
      'look-ahead',
    ],
    [
      'a back-reference in an is filter',
      { seriesFilters: '[{is: a}, {is: "(a)\\\\1"}]' },
      'rules[0].seriesFilters[1].is',
      4,
      33,
      'back-reference',
    ],
    [
      'an unbalanced paren in an isNot filter',
      { seriesFilters: '[{isNot: "(a"}]' },
      'rules[0].seriesFilters[0].isNot',
      4,
      27,
      'missing closing )',
    ],
    [
      'two groups and no as, located at name',
      { name: '{matches: "(a)(b)"}' },
      'rules[0].name.as',
      4,
      9,
      '"as" is required',
    ],
    ['an empty seriesQuery', { seriesQuery: "' '" }, 'rules[0].seriesQuery', 2, 16, 'must not be empty'],
  ])('%s', (_what, fields, path, line, column, message) => {
    const problem = onlyProblem(oneRule(fields));
    expect(problem).toMatchObject({ path, line, column });
    expect(problem.message).toContain(message);
  });
});

describe('loadRules: templates are checked at load time (SPEC 3.3)', () => {
  it('a parse error in metricsQuery reports the YAML path and position and the template line:col', () => {
    const text = [
      'rules:',
      "- seriesQuery: 'x'",
      '  metricsQuery: |',
      '    sum(<<.Series>>{<<.LabelMatchers>>})',
      '      by (<<.GroupBy>)',
    ].join('\n');
    const problem = onlyProblem(text);
    expect(problem).toMatchObject({ path: 'rules[0].metricsQuery', line: 3 });
    expect(problem.message).toMatch(/^template: metricsQuery:2:\d+: /);
    expect(() => loadRules(text, 'rules.yaml')).toThrow(
      /^rules\.yaml:3:\d+: rules\[0\]\.metricsQuery: template: metricsQuery:2:/,
    );
  });

  it.each<[what: string, metricsQuery: string, message: RegExp]>([
    ['a misspelt field (<<.Serie>>)', "'sum(<<.Serie>>{<<.LabelMatchers>>})'", /Serie/],
    ['a field of a string', "'<<.Series.Name>>'", /Name/],
    ['an unknown function', "'<<lower .Series>>'", /lower/],
    ['define', `'<<define "x">>y<<end>><<.Series>>'`, /define/],
    ['an unclosed action', "'sum(<<.Series'", /^template: metricsQuery:1:\d+: /],
    ['an unclosed if', "'<<if .Series>>x'", /^template: metricsQuery:1:\d+: /],
    ['a rendering that is empty', "'<<if false>>x<<end>>'", /renders an empty query/],
  ])('%s is rejected', (_what, metricsQuery, message) => {
    const problem = onlyProblem(oneRule({ metricsQuery }));
    expect(problem.path).toBe('rules[0].metricsQuery');
    expect(problem.message).toMatch(message);
  });

  it.each<[what: string, resources: string, path: string, message: RegExp]>([
    [
      'a resources.template that does not parse',
      "{template: 'kube_<<.Resource'}",
      'rules[0].resources.template',
      /^template: resources\.template:1:\d+: /,
    ],
    [
      'a resources.template without .Resource',
      "{template: 'kube_<<.Group>>'}",
      'rules[0].resources.template',
      /must include <<\.Resource>>/,
    ],
    [
      'a resources.template with an unknown field',
      "{template: '<<.Kind>>'}",
      'rules[0].resources.template',
      /Kind/,
    ],
    [
      'an override with an empty resource',
      "{overrides: {pod: {resource: ''}}}",
      'rules[0].resources.overrides.pod.resource',
      /must not be empty/,
    ],
  ])('%s is rejected at its path', (_what, resources, path, message) => {
    const problem = onlyProblem(oneRule({ resources }));
    expect(problem.path).toBe(path);
    expect(problem.line).toBe(4);
    expect(problem.message).toMatch(message);
  });

  it('accepts everything SPEC 3.3 lists', () => {
    const metricsQuery =
      "'<<- $s := .Series ->><<range $i, $l := .GroupBySlice>><<if $i>>,<<end>><<$l>><<end>>" +
      '<<with .LabelValuesByName>><<index . "pod">><<end>><<printf "%s" $s>><<print (len .GroupBy)>>' +
      '<<if and (ne .GroupBy "") (not (eq .Series "")) (or true false) (lt 1 2) (le 1 1) (gt 2 1) (ge 2 2)>>ok<<end>>\'';
    expect(loadRules(oneRule({ metricsQuery }), 'rules.yaml').custom).toHaveLength(1);
  });
});

describe('loadRules: resourceRules are checked too', () => {
  const resourceRules = (cpu: string, window = '5m') =>
    [
      'resourceRules:',
      `  cpu: ${cpu}`,
      "  memory: {containerQuery: 'sum(x{<<.LabelMatchers>>}) by (<<.GroupBy>>)', nodeQuery: 'sum(y{<<.LabelMatchers>>})', resources: {overrides: {node: {resource: node}}}, containerLabel: container}",
      `  window: ${window}`,
    ].join('\n');
  const goodCpu =
    "{containerQuery: 'sum(x{<<.LabelMatchers>>}) by (<<.GroupBy>>)', nodeQuery: 'sum(y{<<.LabelMatchers>>})'}";

  it('keeps valid resourceRules', () => {
    expect(loadRules(resourceRules(goodCpu), 'rules.yaml').resourceRules?.window).toBe('5m');
  });

  it.each<[what: string, text: string, path: string, message: RegExp]>([
    [
      'a containerQuery that does not parse',
      resourceRules("{containerQuery: '<<.LabelMatchers', nodeQuery: x}"),
      'resourceRules.cpu.containerQuery',
      /^template: containerQuery:1:/,
    ],
    [
      'a nodeQuery with a misspelt field',
      resourceRules("{containerQuery: x, nodeQuery: '<<.LabelMatcher>>'}"),
      'resourceRules.cpu.nodeQuery',
      /LabelMatcher/,
    ],
    [
      'a bad resources.template',
      resourceRules("{containerQuery: x, nodeQuery: y, resources: {template: '<<.Group>>'}}"),
      'resourceRules.cpu.resources.template',
      /<<\.Resource>>/,
    ],
    [
      'a window that is not a duration',
      resourceRules(goodCpu, '5 minutes'),
      'resourceRules.window',
      /duration "5 minutes"/,
    ],
    ['a zero window', resourceRules(goodCpu, '0s'), 'resourceRules.window', /positive/],
  ])('%s', (_what, text, path, message) => {
    const problem = onlyProblem(text);
    expect(problem.path).toBe(path);
    expect(problem.line).toBeGreaterThan(1);
    expect(problem.message).toMatch(message);
  });
});

describe('loadRules: every problem is reported', () => {
  it('across rules and sections, in file order', () => {
    const text = [
      'rules:',
      "- seriesQuery: 'a'",
      "  metricsQuery: '<<.Serie>>'",
      "- seriesQuery: 'b'",
      "  name: {matches: '(?!x)'}",
      "  metricsQuery: '<<.Series>>'",
      'externalRules:',
      "- seriesQuery: 'c'",
      '  seriesFilters: [{is: a, isNot: b}]',
      "  metricsQuery: '<<.Series'",
    ].join('\n');
    expect(problemsOf(text).map((p) => [p.path, p.line])).toEqual([
      ['rules[0].metricsQuery', 3],
      ['rules[1].name.matches', 5],
      ['externalRules[0].seriesFilters[0]', 9],
      ['externalRules[0].resources', 8],
      ['externalRules[0].metricsQuery', 10],
    ]);
  });

  it('structural problems are reported before anything is compiled', () => {
    expect(
      problemsOf(oneRule({ resources: '{overides: {}}', metricsQuery: "'<<.Serie>>'" })).map((p) => p.path),
    ).toEqual(['rules[0].resources.overides']);
  });
});
