import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

import { valuesToRules, ValuesError } from '../../../src/cli/values-to-rules.js';
import { loadRules } from '../../../src/rules/compile-rules.js';
import { ConfigError } from '../../../src/rules/config-error.js';
import { defaultRules } from '../../../src/rules/default-rules.js';

const QUEUE_WORKER_VALUES = readFileSync('test/fixtures/queue-worker/values.yaml', 'utf8');
const QUEUE_WORKER_RULES = readFileSync(
  new URL('../../../config/queue-worker.yaml', import.meta.url),
  'utf8',
);

const failure = (text: string): unknown => {
  try {
    valuesToRules(text, 'values.yaml');
  } catch (error) {
    return error;
  }
  throw new Error(`expected the values to be rejected:\n${text}`);
};

const RULE = [
  '  - seriesQuery: \'{__name__="queue_depth"}\'',
  "    metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>})'",
].join('\n');
/** External rules are namespaced by default, so they must say which label holds the namespace. */
const EXTERNAL_RULE = [
  '  - seriesQuery: \'{__name__="queue_depth",namespace!=""}\'',
  '    resources: {overrides: {namespace: {resource: namespace}}}',
  "    metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>})'",
].join('\n');
const RESOURCE = [
  '  resource:',
  '    cpu:',
  "      containerQuery: 'sum(rate(c[1m])) by (<<.GroupBy>>)'",
  "      nodeQuery: 'sum(rate(n[1m])) by (<<.GroupBy>>)'",
  '      containerLabel: container',
  '    memory:',
  "      containerQuery: 'sum(m) by (<<.GroupBy>>)'",
  "      nodeQuery: 'sum(n) by (<<.GroupBy>>)'",
  '    window: 3m',
].join('\n');

describe('valuesToRules: the queue-worker values (SPEC 3)', () => {
  const text = valuesToRules(QUEUE_WORKER_VALUES, 'values.yaml');

  it('gives a rules file that loads with the four rules', () => {
    const rules = loadRules(text, 'rules.yaml');
    expect([rules.custom.length, rules.external.length, rules.resourceRules]).toEqual([4, 0, undefined]);
    expect(rules.custom.map((r) => r.namer.metricNameFor('qps'))).toEqual([
      'counter_qps',
      'counter_qps',
      'gauge_qps',
      'gauge_qps',
    ]);
  });

  it('holds rules.custom under rules and nothing else', () => {
    const values = parse(QUEUE_WORKER_VALUES) as { rules: { custom: unknown } };
    expect(parse(text)).toEqual({ rules: values.rules.custom });
  });

  it('matches config/queue-worker.yaml', () => {
    expect(parse(text)).toEqual(parse(QUEUE_WORKER_RULES));
  });
});

describe('valuesToRules: section mapping', () => {
  it.each<[what: string, values: string, keys: string[]]>([
    ['custom → rules', `rules:\n  custom:\n${RULE}\n`, ['rules']],
    ['external → externalRules', `rules:\n  external:\n${EXTERNAL_RULE}\n`, ['externalRules']],
    ['resource → resourceRules', `rules:\n${RESOURCE}\n`, ['resourceRules']],
    [
      'all three',
      `rules:\n  default: false\n  custom:\n${RULE}\n  external:\n${EXTERNAL_RULE}\n${RESOURCE}\n`,
      ['rules', 'externalRules', 'resourceRules'],
    ],
    [
      'an empty resource mapping (the chart default) is left out',
      `rules:\n  custom:\n${RULE}\n  resource: {}\n`,
      ['rules'],
    ],
    ['null sections are left out', 'rules:\n  custom:\n  external:\n  resource:\n', []],
    ['empty lists are kept', 'rules:\n  custom: []\n  external: []\n', ['rules', 'externalRules']],
  ])('%s', (_what, values, keys) => {
    const text = valuesToRules(values, 'values.yaml');
    expect(Object.keys((parse(text) as Record<string, unknown> | null) ?? {})).toEqual(keys);
    expect(() => loadRules(text, 'rules.yaml')).not.toThrow();
  });

  it('copies external rules and resource rules unchanged', () => {
    const values = `rules:\n  external:\n${EXTERNAL_RULE}\n${RESOURCE}\n`;
    const source = parse(values) as { rules: { external: unknown; resource: unknown } };
    expect(parse(valuesToRules(values, 'values.yaml'))).toEqual({
      externalRules: source.rules.external,
      resourceRules: source.rules.resource,
    });
  });
});

describe("valuesToRules: rules.default (the chart writes upstream's default rules)", () => {
  const DEFAULTS = defaultRules({ rateInterval: '5m', labelPrefix: '' }).rules;
  /** The community chart's own values.yaml for `rules`. */
  const CHART_DEFAULT =
    'rules:\n  default: true\n  custom: []\n  existing:\n  external: []\n  resource: {}\n';

  it("the chart's default values give the default custom rules with a 5m interval, and no resource rules", () => {
    const text = valuesToRules(CHART_DEFAULT, 'values.yaml');
    expect(parse(text)).toEqual({ rules: DEFAULTS, externalRules: [] });
    const rules = loadRules(text, 'rules.yaml');
    expect([rules.custom.length, rules.external.length]).toEqual([6, 0]);
    expect(text).toContain('[5m]');
    expect(rules.resourceRules).toBeUndefined();
  });

  it.each<[what: string, values: string]>([
    ['with rules.custom', `rules:\n  default: true\n  custom:\n${RULE}\n`],
    ['with rules.custom and rules.resource', `rules:\n  default: true\n  custom:\n${RULE}\n${RESOURCE}\n`],
  ])(
    'puts the default rules ahead of rules.custom (%s); resource rules come only from rules.resource',
    (_what, values) => {
      const source = parse(values) as { rules: { custom: unknown[]; resource?: unknown } };
      const converted = parse(valuesToRules(values, 'values.yaml')) as Record<string, unknown>;
      expect(converted).toEqual({
        rules: [...DEFAULTS, ...source.rules.custom],
        ...(source.rules.resource === undefined ? {} : { resourceRules: source.rules.resource }),
      });
    },
  );

  it('without rules.custom, rules holds the default rules alone', () => {
    expect(parse(valuesToRules('rules:\n  default: true\n', 'values.yaml'))).toEqual({ rules: DEFAULTS });
  });

  it.each(['false', 'null', '~'])('rules.default: %s adds nothing', (value) => {
    expect(parse(valuesToRules(`rules:\n  default: ${value}\n  custom:\n${RULE}\n`, 'values.yaml'))).toEqual({
      rules: (parse(`custom:\n${RULE}\n`) as { custom: unknown }).custom,
    });
  });

  it('a bad custom rule is still reported at rules.custom[i] and its line, not at its index among the defaults', () => {
    const error = failure(
      `rules:\n  default: true\n  custom:\n${RULE}\n  - seriesQuery: x\n    metricsQuery: '<<.Serie>>'\n`,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.objectContaining({ path: 'rules.custom[1].metricsQuery', line: 7 }),
    ]);
  });

  it('a rules.custom that is not a list is reported at rules.custom', () => {
    const error = failure('rules:\n  default: true\n  custom: {seriesQuery: x}\n');
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.objectContaining({ path: 'rules.custom', line: 3 }),
    ]);
  });
});

describe('valuesToRules: values it cannot convert', () => {
  it.each<[what: string, values: string, message: string]>([
    [
      'rules.default not a boolean',
      'rules:\n  default: "yes"\n',
      'rules.default must be true or false, got "yes"',
    ],
    ['no rules key', 'replicas: 2\n', 'no "rules" mapping found'],
    ['an empty file', '', 'no "rules" mapping found'],
    ['rules: null', 'rules:\n', 'no "rules" mapping found'],
    ['rules as a list', `rules:\n${RULE}\n`, 'no "rules" mapping found'],
    [
      'rules.existing names a ConfigMap',
      'rules:\n  existing: my-rules\n',
      'rules.existing names a ConfigMap (my-rules)',
    ],
    ['invalid YAML, with its position', 'rules:\n  custom: [\n', 'values.yaml:3:1: invalid YAML'],
    [
      'a duplicate key, with its position',
      'rules:\n  custom: []\n  custom: []\n',
      'values.yaml:3:3: invalid YAML',
    ],
  ])('%s', (_what, values, message) => {
    const error = failure(values);
    expect(error).toBeInstanceOf(ValuesError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).toMatch(/^values\.yaml[:]/);
  });

  it.each<[what: string, values: string, path: string, line: number]>([
    [
      'a bad template',
      `rules:\n  custom:\n${RULE}\n  - seriesQuery: x\n    metricsQuery: '<<.Serie>>'\n`,
      'rules.custom[1].metricsQuery',
      6,
    ],
    ['an unknown key', `rules:\n  external:\n${RULE}\n    nmae: {as: x}\n`, 'rules.external[0].nmae', 5],
    ['a missing metricsQuery', 'rules:\n  custom:\n  - seriesQuery: x\n', 'rules.custom[0].metricsQuery', 3],
    [
      'a bad regex in a filter',
      `rules:\n  custom:\n${RULE}\n    seriesFilters: [{isNot: '(?<=a)'}]\n`,
      'rules.custom[0].seriesFilters[0].isNot',
      5,
    ],
    ['a bad resource window', `rules:\n${RESOURCE.replace('3m', 'soon')}\n`, 'rules.resource.window', 10],
  ])(
    'a rule that would not load (%s) is reported at its place in the values file',
    (_what, values, path, line) => {
      const error = failure(values);
      expect(error).toBeInstanceOf(ConfigError);
      const [problem, ...others] = (error as ConfigError).problems;
      expect(others).toEqual([]);
      expect(problem).toMatchObject({ path, line });
      expect((error as ConfigError).message).toMatch(
        new RegExp(`^values\\.yaml:${line}:\\d+: ${path.replace(/[.[\]]/g, '\\$&')}: `),
      );
      expect((error as ConfigError).cause).toBeInstanceOf(ConfigError);
    },
  );
});
