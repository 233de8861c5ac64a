import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

import { ConfigError, type ConfigProblem } from '../../../src/rules/config-error.js';
import { loadConfig } from '../../../src/rules/load-config.js';

const QUEUE_WORKER_RULES = readFileSync(
  new URL('../../../config/queue-worker.yaml', import.meta.url),
  'utf8',
);
const QUEUE_WORKER_VALUES = readFileSync('test/fixtures/queue-worker/values.yaml', 'utf8');

const problemsOf = (text: string): readonly ConfigProblem[] => {
  try {
    loadConfig(text, 'rules.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`expected the config to be rejected:\n${text}`);
};

const onlyProblem = (text: string): ConfigProblem => {
  const problems = problemsOf(text);
  expect(problems).toHaveLength(1);
  return problems[0]!;
};

/** A valid rule as YAML lines, indented to sit under `rules:`; extra lines are appended at rule level. */
const rule = (...extra: string[]): string =>
  [
    '- seriesQuery: \'{__name__=~"^x_.*"}\'',
    "  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'",
    ...extra.map((line) => `  ${line}`),
  ].join('\n');

describe('loadConfig: the queue-worker rules (SPEC 3)', () => {
  it('config/queue-worker.yaml holds exactly rules.custom of the queue-worker values', () => {
    const values = parse(QUEUE_WORKER_VALUES) as { rules: { custom: unknown } };
    const { config } = loadConfig(QUEUE_WORKER_RULES, 'queue-worker.yaml');
    expect(config).toEqual({ rules: values.rules.custom, externalRules: [] });
  });

  it('loads the four rules with their overrides, names and queries', () => {
    const { config } = loadConfig(QUEUE_WORKER_RULES, 'queue-worker.yaml');
    expect(config.rules).toHaveLength(4);
    expect(config.rules.map((r) => r.name?.as)).toEqual([
      'counter_${1}',
      'counter_${1}',
      'gauge_${1}',
      'gauge_${1}',
    ]);
    expect(config.rules[0]).toEqual({
      seriesQuery: '{job="kubernetes-pods",kubernetes_namespace!="",kubernetes_pod_name!=""}',
      resources: {
        overrides: {
          kubernetes_namespace: { resource: 'namespace' },
          kubernetes_pod_name: { resource: 'pod' },
        },
      },
      name: { matches: '(.*)', as: 'counter_${1}' },
      metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)',
    });
  });

  it('positionOf gives the line and column of each value', () => {
    const { positionOf } = loadConfig(QUEUE_WORKER_RULES, 'queue-worker.yaml');
    const lines = QUEUE_WORKER_RULES.split('\n');
    const where = (needle: string, nth = 0) => {
      const hits = lines.flatMap((l, i) =>
        l.includes(needle) ? [{ line: i + 1, column: l.indexOf(needle) + 1 }] : [],
      );
      return hits[nth];
    };
    expect(positionOf('rules[1].name.as')).toEqual(where('counter_${1}', 1));
    expect(positionOf('rules[2].metricsQuery')).toEqual(where('avg(avg_over_time', 0));
    expect(positionOf('rules[0].nope')).toBeUndefined();
  });
});

describe('loadConfig: sections that are empty or absent', () => {
  it.each([
    ['an empty file', ''],
    ['a file with only comments', '# nothing here\n'],
    ['null sections', 'rules:\nexternalRules:\n'],
    ['empty lists', 'rules: []\nexternalRules: []\n'],
  ])('%s gives no rules', (_what, text) => {
    expect(loadConfig(text, 'rules.yaml').config).toEqual({ rules: [], externalRules: [] });
  });

  it('externalRules: with no value counts as absent next to custom rules', () => {
    const { config } = loadConfig(`rules:\n${rule()}\nexternalRules:\n`, 'rules.yaml');
    expect([config.rules.length, config.externalRules]).toEqual([1, []]);
  });

  it('keeps resourceRules when present', () => {
    const text = [
      'resourceRules:',
      '  cpu: {containerQuery: a, nodeQuery: b, containerLabel: container}',
      '  memory: {containerQuery: c, nodeQuery: d, resources: {template: "<<.Resource>>"}}',
      '  window: 5m',
    ].join('\n');
    expect(loadConfig(text, 'rules.yaml').config.resourceRules).toEqual({
      cpu: { containerQuery: 'a', nodeQuery: 'b', containerLabel: 'container' },
      memory: { containerQuery: 'c', nodeQuery: 'd', resources: { template: '<<.Resource>>' } },
      window: '5m',
    });
  });
});

describe('loadConfig: unknown keys are errors naming their path, line and column (SPEC 3)', () => {
  it.each<
    [where: string, text: string, path: string, line: number, column: number, hint: string | undefined]
  >([
    ['top level', `rule:\n${rule()}\n`, 'rule', 1, 1, 'rules'],
    ['top level, far from any key', 'whatever: 1\n', 'whatever', 1, 1, undefined],
    ['in a rule', `rules:\n${rule('seriesQuerry: x')}\n`, 'rules[0].seriesQuerry', 4, 3, 'seriesQuery'],
    [
      'in resources',
      `rules:\n${rule('resources:', '  overides: {pod: {resource: pod}}')}\n`,
      'rules[0].resources.overides',
      5,
      5,
      'overrides',
    ],
    [
      'in an override',
      `rules:\n${rule('resources:', '  overrides:', '    pod: {resourse: pod}')}\n`,
      'rules[0].resources.overrides.pod.resourse',
      6,
      13,
      'resource',
    ],
    ['in name', `rules:\n${rule('name: {match: "(.*)"}')}\n`, 'rules[0].name.match', 4, 10, 'matches'],
    [
      'in a filter (case differs)',
      `rules:\n${rule('seriesFilters: [{isnot: x}]')}\n`,
      'rules[0].seriesFilters[0].isnot',
      4,
      20,
      'isNot',
    ],
    [
      'in the second external rule',
      `externalRules:\n${rule()}\n${rule('foo: 1')}\n`,
      'externalRules[1].foo',
      6,
      3,
      undefined,
    ],
    [
      'in resourceRules',
      'resourceRules:\n  cpu: {containerQuerry: a, nodeQuery: b}\n  memory: {containerQuery: a, nodeQuery: b}\n',
      'resourceRules.cpu.containerQuerry',
      2,
      9,
      'containerQuery',
    ],
  ])('%s', (_where, text, path, line, column, hint) => {
    const problem = problemsOf(text).find((p) => p.message.startsWith('unknown key'));
    expect(problem).toMatchObject({ path, line, column });
    if (hint === undefined) expect(problem?.message).not.toContain('did you mean');
    else expect(problem?.message).toContain(`did you mean "${hint}"?`);
  });

  it('lists the allowed keys', () => {
    expect(onlyProblem(`rules:\n${rule('resources: {overides: {}}')}\n`).message).toContain(
      'allowed: overrides, template, namespaced',
    );
  });

  it('formats each problem as source:line:column: path: message', () => {
    const text = `rules:\n${rule('resources:', '  overides: {}')}\n`;
    expect(() => loadConfig(text, 'cfg/rules.yaml')).toThrow(
      /^cfg\/rules\.yaml:5:5: rules\[0\]\.resources\.overides: unknown key \(did you mean "overrides"\?\)/,
    );
  });

  it('reports every problem, not only the first', () => {
    const text = `rules:\n${rule('nam: {}')}\n${rule('serie: x')}\nextra: 1\n`;
    expect(problemsOf(text).map((p) => p.path)).toEqual(['rules[0].nam', 'rules[1].serie', 'extra']);
  });
});

describe('loadConfig: wrong types (SPEC 3)', () => {
  it.each<[what: string, text: string, path: string, message: string]>([
    ['the document is a list', '- a\n', '', 'must be a mapping, got a list'],
    ['rules is a mapping', 'rules: {}\n', 'rules', 'must be a list, got a mapping'],
    ['a rule is a string', 'rules: [x]\n', 'rules[0]', 'must be a mapping, got string "x"'],
    ['a rule is null', 'rules: [~]\n', 'rules[0]', 'must not be empty (expected a mapping)'],
    ['a rule is an empty list item', 'rules:\n-\n', 'rules[0]', 'must not be empty (expected a mapping)'],
    [
      'seriesQuery is a number',
      'rules:\n- {seriesQuery: 5, metricsQuery: x}\n',
      'rules[0].seriesQuery',
      'must be a string, got number 5',
    ],
    [
      'metricsQuery is a list',
      'rules:\n- {seriesQuery: x, metricsQuery: [a]}\n',
      'rules[0].metricsQuery',
      'must be a string, got a list',
    ],
    [
      'seriesFilters is a mapping',
      `rules:\n${rule('seriesFilters: {is: a}')}\n`,
      'rules[0].seriesFilters',
      'must be a list, got a mapping',
    ],
    [
      'a filter is null',
      `rules:\n${rule('seriesFilters: [~]')}\n`,
      'rules[0].seriesFilters[0]',
      'must not be empty',
    ],
    [
      'is is a boolean',
      `rules:\n${rule('seriesFilters: [{is: true}]')}\n`,
      'rules[0].seriesFilters[0].is',
      'must be a string, got boolean true',
    ],
    [
      'overrides is a list',
      `rules:\n${rule('resources: {overrides: [a]}')}\n`,
      'rules[0].resources.overrides',
      'must be a mapping, got a list',
    ],
    [
      'an override is a string',
      `rules:\n${rule('resources: {overrides: {pod: pod}}')}\n`,
      'rules[0].resources.overrides.pod',
      'must be a mapping, got string "pod"',
    ],
    [
      'an override is empty',
      `rules:\n${rule('resources: {overrides: {pod: }}')}\n`,
      'rules[0].resources.overrides.pod',
      'must not be empty',
    ],
    [
      'an override lacks resource',
      `rules:\n${rule('resources: {overrides: {pod: {group: ""}}}')}\n`,
      'rules[0].resources.overrides.pod.resource',
      'is required',
    ],
    [
      'namespaced is a string',
      `rules:\n${rule('resources: {namespaced: "yes"}')}\n`,
      'rules[0].resources.namespaced',
      'must be true or false, got string "yes"',
    ],
    [
      'namespaced is yes (YAML 1.2: a string)',
      `rules:\n${rule('resources: {namespaced: yes}')}\n`,
      'rules[0].resources.namespaced',
      'must be true or false, got string "yes"',
    ],
    [
      'name is a string',
      `rules:\n${rule('name: x')}\n`,
      'rules[0].name',
      'must be a mapping, got string "x"',
    ],
    [
      'as is a number',
      `rules:\n${rule('name: {as: 1}')}\n`,
      'rules[0].name.as',
      'must be a string, got number 1',
    ],
    [
      'window is a number',
      'resourceRules: {cpu: {containerQuery: a, nodeQuery: b}, memory: {containerQuery: a, nodeQuery: b}, window: 5}\n',
      'resourceRules.window',
      'must be a string, got number 5',
    ],
  ])('%s', (_what, text, path, message) => {
    expect(onlyProblem(text)).toMatchObject({ path, message: expect.stringContaining(message) });
  });

  it('gives the position of the offending value', () => {
    expect(onlyProblem(`rules:\n${rule('name: {as: 1}')}\n`)).toMatchObject({ line: 4, column: 14 });
  });
});

describe('loadConfig: required fields (SPEC 3)', () => {
  it.each<[what: string, text: string, paths: string[]]>([
    ['seriesQuery missing', 'rules:\n- metricsQuery: x\n', ['rules[0].seriesQuery']],
    ['metricsQuery missing', 'rules:\n- seriesQuery: x\n', ['rules[0].metricsQuery']],
    ['both missing', 'rules:\n- name: {as: x}\n', ['rules[0].seriesQuery', 'rules[0].metricsQuery']],
    ['seriesQuery null', 'rules:\n- seriesQuery:\n  metricsQuery: x\n', ['rules[0].seriesQuery']],
    ['in an external rule', 'externalRules:\n- seriesQuery: x\n', ['externalRules[0].metricsQuery']],
    [
      'memory missing from resourceRules',
      'resourceRules: {cpu: {containerQuery: a, nodeQuery: b}}\n',
      ['resourceRules.memory'],
    ],
    [
      'nodeQuery missing',
      'resourceRules: {cpu: {containerQuery: a}, memory: {containerQuery: a, nodeQuery: b}}\n',
      ['resourceRules.cpu.nodeQuery'],
    ],
  ])('%s', (_what, text, paths) => {
    const problems = problemsOf(text);
    expect(problems.map((p) => [p.path, p.message])).toEqual(paths.map((p) => [p, 'is required']));
  });

  it('locates a missing field at the rule that lacks it', () => {
    expect(onlyProblem(`rules:\n${rule()}\n- seriesQuery: x\n`)).toMatchObject({
      path: 'rules[1].metricsQuery',
      line: 4,
      column: 3,
    });
  });

  it('a field of the wrong type is not also reported as missing', () => {
    expect(problemsOf('rules:\n- {seriesQuery: 5, metricsQuery: x}\n').map((p) => p.path)).toEqual([
      'rules[0].seriesQuery',
    ]);
  });
});

describe('loadConfig: invalid YAML is reported with its position', () => {
  it.each<[what: string, text: string, line: number, column: number, message: string]>([
    ['a duplicate top-level key', `rules:\n${rule()}\nrules: []\n`, 4, 1, 'Map keys must be unique'],
    ['a duplicate key in a rule', `rules:\n${rule("seriesQuery: 'y'")}\n`, 4, 3, 'Map keys must be unique'],
    [
      'a duplicate override label',
      `rules:\n${rule('resources: {overrides: {pod: {resource: pod}, pod: {resource: pod}}}')}\n`,
      4,
      49,
      'Map keys must be unique',
    ],
    ['an unterminated quote', "rules:\n- seriesQuery: 'x\n", 3, 1, 'Missing closing'],
    ['a bad indentation', 'rules:\n- a: 1\n b: 2\n', 3, 1, 'Sequence item without - indicator'],
    ['an unterminated flow list', 'rules: [a\n', 2, 1, 'Flow sequence'],
    ['two documents', 'rules: []\n---\nrules: []\n', 2, 1, 'single YAML document'],
  ])('%s', (_what, text, line, column, message) => {
    const problem = problemsOf(text)[0]!;
    expect(problem).toMatchObject({ path: '', line, column });
    expect(problem.message).toMatch(/^invalid YAML: /);
    expect(problem.message).toContain(message);
  });

  it('says where in the message', () => {
    expect(() => loadConfig("rules:\n- seriesQuery: 'x\n", 'rules.yaml')).toThrow(
      /^rules\.yaml:3:1: invalid YAML: /,
    );
  });
});
