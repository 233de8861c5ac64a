import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { lintRules, type Finding, type LintOptions } from '../../../../src/cli/check/lint.js';
import { createStandaloneResourceMapper } from '../../../../src/kube/standalone.js';

const OPTIONS: LintOptions = {
  mapper: createStandaloneResourceMapper(),
  scrapeIntervalMs: 60_000,
  maxAgeMs: 600_000,
};

const lint = (text: string, options: Partial<LintOptions> = {}) =>
  lintRules(text, 'rules.yaml', { ...OPTIONS, ...options }).findings;

/** A rules file with one custom rule; `fields` replaces or adds fields of a rule that has no finding. */
function oneRule(fields: Record<string, string> = {}, section = 'rules'): string {
  const base: Record<string, string> = {
    seriesQuery: `'{job="app",namespace!="",pod!=""}'`,
    resources: '{overrides: {namespace: {resource: namespace}, pod: {resource: pod}}}',
    metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)',
    ...fields,
  };
  const body = Object.entries(base)
    .filter(([, v]) => v !== '')
    .map(([k, v], i) => `${i === 0 ? '  - ' : '    '}${k}: ${v}`)
    .join('\n');
  return `${section}:\n${body}\n`;
}

const brief = (f: Finding) => [f.severity, f.code, f.path];

describe('lintRules: the sample configs are clean', () => {
  it.each(['config/queue-worker.yaml', 'config/default-rules.yaml'])('%s has no findings', (file) => {
    expect(lintRules(readFileSync(file, 'utf8'), file, OPTIONS).findings).toEqual([]);
  });

  it('the base rule of these tests has no findings', () => {
    expect(lint(oneRule())).toEqual([]);
  });
});

describe('lintRules: loader errors (invalid-config), with YAML path and line:column', () => {
  it('an unknown key', () => {
    expect(lint(oneRule({ resources: '{overides: {pod: {resource: pod}}}' }))).toEqual([
      {
        severity: 'error',
        code: 'invalid-config',
        rule: 'rules[0]',
        ruleIndex: 0,
        path: 'rules[0].resources.overides',
        line: 3,
        column: 17,
        message: 'unknown key (did you mean "overrides"?); allowed: overrides, template, namespaced',
      },
    ]);
  });

  it('a regex RE2 refuses', () => {
    const findings = lint(oneRule({ name: `{matches: '(?=x)'}` }));
    expect(findings.map(brief)).toEqual([['error', 'invalid-config', 'rules[0].name.matches']]);
    expect(findings[0]!.message).toMatch(/look-ahead is not supported by RE2/);
  });

  it('a template that does not parse, with the template position', () => {
    const findings = lint(
      oneRule({ metricsQuery: `'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy)'` }),
    );
    expect(findings.map(brief)).toEqual([['error', 'invalid-config', 'rules[0].metricsQuery']]);
    expect(findings[0]!.message).toMatch(/metricsQuery:1:\d+/);
    expect(findings[0]).toMatchObject({ line: 4, column: 19 });
  });
});

describe('lintRules: seriesQuery', () => {
  it('invalid-series-query: not a series selector', () => {
    const findings = lint(oneRule({ seriesQuery: `'rate(up[5m])'` }));
    expect(findings.map(brief)).toEqual([['error', 'invalid-series-query', 'rules[0].seriesQuery']]);
    expect(findings[0]).toMatchObject({ line: 2, column: 18 });
  });

  it('invalid-series-query: no matcher excludes the empty value', () => {
    const findings = lint(oneRule({ seriesQuery: `'{pod=""}'` }));
    expect(findings.map(brief)).toContainEqual(['error', 'invalid-series-query', 'rules[0].seriesQuery']);
  });

  it('never-matches: contradicting matchers', () => {
    const findings = lint(oneRule({ seriesQuery: `'{job="a",job="b",pod!=""}'` }));
    expect(findings.map(brief)).toEqual([['warning', 'never-matches', 'rules[0].seriesQuery']]);
    expect(findings[0]!.message).toBe(
      'the seriesQuery can never select a series: no value of label job satisfies job="a", job="b"',
    );
  });
});

describe('lintRules: names (never-matches)', () => {
  it('name.matches never matches the name the seriesQuery pins', () => {
    const findings = lint(
      oneRule({ seriesQuery: `'http_requests_total{pod!=""}'`, name: `{matches: "^(.*)_seconds_total$"}` }),
    );
    expect(findings.map(brief)).toEqual([['warning', 'never-matches', 'rules[0].name.matches']]);
    expect(findings[0]!.message).toContain('selects only the series name http_requests_total');
    expect(findings[0]!.message).toContain('name does not match name.matches "^(.*)_seconds_total$"');
  });

  it('a seriesFilter rejects every name the seriesQuery pins', () => {
    const findings = lint(
      oneRule({ seriesQuery: `'{__name__=~"go_a|go_b",pod!=""}'`, seriesFilters: `[{isNot: "^go_"}]` }),
    );
    expect(findings.map(brief)).toEqual([['warning', 'never-matches', 'rules[0].seriesFilters[0]']]);
    expect(findings[0]!.message).toContain('series names go_a, go_b');
  });

  it('name.as expands to nothing for the pinned name', () => {
    const findings = lint(
      oneRule({ seriesQuery: `'a_total{pod!=""}'`, name: `{matches: "^(.*)_total$", as: "$1_x"}` }),
    );
    expect(findings.map(brief)).toEqual([['warning', 'never-matches', 'rules[0].name.as']]);
  });

  it('no warning when one pinned name yields a metric', () => {
    expect(
      lint(oneRule({ seriesQuery: `'{__name__=~"a|b_total",pod!=""}'`, name: `{matches: "^(.*)_total$"}` })),
    ).toEqual([]);
  });
});

describe('lintRules: resources', () => {
  it('never-matches: a custom rule maps no label to a resource', () => {
    const findings = lint(oneRule({ resources: '' }));
    expect(findings.map(brief)).toEqual([['warning', 'never-matches', 'rules[0].resources']]);
    expect(findings[0]).toMatchObject({ line: 2, column: 5 });
  });

  it('an external rule needs no resource', () => {
    expect(lint(oneRule({ resources: '{namespaced: false}' }, 'externalRules'))).toEqual([]);
  });

  it('override-never-applies: the seriesQuery requires the label to be empty', () => {
    const findings = lint(oneRule({ seriesQuery: `'{job="a",pod=""}'` }));
    expect(findings.map(brief)).toEqual([
      ['warning', 'override-never-applies', 'rules[0].resources.overrides.pod'],
    ]);
  });

  it('override-never-applies on every override: the rule can never produce a metric', () => {
    const findings = lint(oneRule({ seriesQuery: `'{job="a",pod="",namespace=""}'` }));
    expect(findings.map(brief)).toEqual([
      ['warning', 'never-matches', 'rules[0].resources'],
      ['warning', 'override-never-applies', 'rules[0].resources.overrides.namespace'],
      ['warning', 'override-never-applies', 'rules[0].resources.overrides.pod'],
    ]);
  });

  it('unknown-resource: an override the resource table does not know', () => {
    const findings = lint(
      oneRule({ resources: '{overrides: {namespace: {resource: namespace}, pod: {resource: podz}}}' }),
    );
    expect(findings.map(brief)).toEqual([
      ['warning', 'unknown-resource', 'rules[0].resources.overrides.pod.resource'],
    ]);
    expect(findings[0]!.message).toMatch(/^podz is not in the built-in resource table/);
  });

  it('resolves group-qualified and singular overrides', () => {
    expect(
      lint(
        oneRule({
          resources:
            '{overrides: {d: {resource: deployment.apps}, i: {group: networking.k8s.io, resource: ingress}}}',
        }),
      ),
    ).toEqual([]);
  });
});

describe('lintRules: duplicate-metric (names fixed)', () => {
  const two = (a: Record<string, string>, b: Record<string, string>, section = 'rules') =>
    `${oneRule(a, section)}${oneRule(b, section).split('\n').slice(1).join('\n')}`;

  it('two rules pin the same name for the same resource', () => {
    const findings = lint(
      two({ seriesQuery: `'x{pod!=""}'` }, { seriesQuery: `'{__name__=~"x|y",pod!=""}'` }),
    );
    expect(findings.map(brief)).toEqual([['warning', 'duplicate-metric', 'rules[1].name']]);
    expect(findings[0]!.message).toBe(
      'rules[0] and rules[1] both produce metric x for namespaces, pods (when both find series); rules[1] (the later rule) wins',
    );
  });

  it('two rules with the same constant name.as', () => {
    const findings = lint(two({ name: '{as: requests}' }, { name: '{as: requests}' }));
    expect(findings.map(brief)).toEqual([['warning', 'duplicate-metric', 'rules[1].name']]);
  });

  it('no duplicate when the resources differ', () => {
    expect(
      lint(
        two(
          { seriesQuery: `'x{pod!=""}'`, resources: '{overrides: {pod: {resource: pod}}}' },
          { seriesQuery: `'x{node!=""}'`, resources: '{overrides: {node: {resource: node}}}' },
        ),
      ),
    ).toEqual([]);
  });

  it('no duplicate when a name depends on the series', () => {
    expect(lint(two({ name: '{as: "a_$0"}' }, { name: '{as: "a_$0"}' }))).toEqual([]);
  });

  it('external rules: the same name is a duplicate whatever the resources', () => {
    const findings = lint(
      two(
        { seriesQuery: `'x{pod!=""}'`, resources: '{namespaced: false}' },
        { seriesQuery: `'x{node!=""}'`, resources: '{namespaced: false}' },
        'externalRules',
      ),
    );
    expect(findings.map(brief)).toEqual([['warning', 'duplicate-metric', 'externalRules[1].name']]);
    expect(findings[0]).toMatchObject({ rule: 'externalRules[1]', ruleIndex: 1 });
  });
});

describe('lintRules: queries', () => {
  it('no-label-matchers: a metricsQuery without <<.LabelMatchers>>', () => {
    const findings = lint(oneRule({ metricsQuery: 'sum(rate(<<.Series>>[2m])) by (<<.GroupBy>>)' }));
    expect(findings.map(brief)).toEqual([['warning', 'no-label-matchers', 'rules[0].metricsQuery']]);
  });

  it('no-label-matchers: also for external rules', () => {
    const findings = lint(
      oneRule({ resources: '{namespaced: false}', metricsQuery: 'sum(<<.Series>>)' }, 'externalRules'),
    );
    expect(findings.map(brief)).toEqual([['warning', 'no-label-matchers', 'externalRules[0].metricsQuery']]);
  });

  it('no warning for a query that uses .LabelValuesByName or <<.LabelMatchers>> with trim markers', () => {
    expect(
      lint(
        oneRule({ metricsQuery: `'sum(<<.Series>>{pod=~"<<index .LabelValuesByName "pod">>"}) by (pod)'` }),
      ),
    ).toEqual([]);
    expect(
      lint(oneRule({ metricsQuery: `'sum(<<.Series>>{ <<- .LabelMatchers ->> }) by (<<.GroupBy>>)'` })),
    ).toEqual([]);
  });

  it('short-range: a range shorter than twice the scrape interval', () => {
    const findings = lint(
      oneRule({ metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)' }),
    );
    expect(findings.map(brief)).toEqual([['warning', 'short-range', 'rules[0].metricsQuery']]);
    expect(findings[0]!.message).toMatch(
      /^the range \[1m\] is shorter than twice the scrape interval \(2 × 1m = 2m\)/,
    );
  });

  it('short-range follows --scrape-interval', () => {
    const text = oneRule({
      metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)',
    });
    expect(lint(text, { scrapeIntervalMs: 15_000 })).toEqual([]);
    expect(lint(oneRule(), { scrapeIntervalMs: 90_000 }).map(brief)).toEqual([
      ['warning', 'short-range', 'rules[0].metricsQuery'],
    ]);
  });

  it('resourceRules: containerQuery and nodeQuery are checked too', () => {
    const text = `resourceRules:
  cpu:
    containerQuery: sum(rate(c[1m])) by (<<.GroupBy>>)
    nodeQuery: sum(rate(c{<<.LabelMatchers>>}[5m])) by (<<.GroupBy>>)
    resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}, node: {resource: node}}}
  memory:
    containerQuery: sum(m{<<.LabelMatchers>>}) by (<<.GroupBy>>)
    nodeQuery: sum(m{<<.LabelMatchers>>}) by (<<.GroupBy>>)
    resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}, node: {resource: node}}}
  window: 5m
`;
    expect(lint(text).map((f) => [...brief(f), f.rule])).toEqual([
      ['warning', 'no-label-matchers', 'resourceRules.cpu.containerQuery', 'resourceRules.cpu'],
      ['warning', 'short-range', 'resourceRules.cpu.containerQuery', 'resourceRules.cpu'],
    ]);
  });
});

describe('lintRules: flags', () => {
  it('short-max-age: --metrics-max-age shorter than twice the scrape interval', () => {
    expect(lint(oneRule(), { maxAgeMs: 60_000 })).toEqual([
      {
        severity: 'warning',
        code: 'short-max-age',
        path: '--metrics-max-age',
        message:
          '1m is shorter than twice the scrape interval (2 × 1m): a series can drop out of discovery between two ' +
          'scrapes, and its metrics disappear until the next relist',
      },
    ]);
  });
});
