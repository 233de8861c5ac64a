import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';

import { parseLabelSelector } from '../../../src/api/label-selector.js';
import { StatusError } from '../../../src/api/status.js';
import { createStandaloneResourceMapper } from '../../../src/kube/standalone.js';
import { loadRules, type CompiledRule } from '../../../src/rules/compile-rules.js';
import { parseTemplate, TemplateError } from '../../../src/rules/go-template/index.js';
import { queryTemplateData, renderQuery, type QueryRequest } from '../../../src/rules/query-builder.js';

const QUEUE_WORKER_RULES = readFileSync(
  new URL('../../../config/queue-worker.yaml', import.meta.url),
  'utf8',
);
const mapping = createStandaloneResourceMapper();
const template = (source: string) =>
  parseTemplate(source, { name: 'metricsQuery', leftDelim: '<<', rightDelim: '>>' });
const render = (source: string, request: QueryRequest) => renderQuery(template(source), request);

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
};

const POD_REQUEST: QueryRequest = {
  series: 'qps',
  metricSelector: [],
  namespace: { label: 'kubernetes_namespace', name: 'default' },
  objects: { label: 'kubernetes_pod_name', names: ['a', 'b'] },
};

describe('.LabelMatchers (SPEC 3.3)', () => {
  it.each<[behaviour: string, request: Omit<QueryRequest, 'series'>, expected: string]>([
    [
      'namespace then several objects as a regex, in request order',
      {
        metricSelector: [],
        namespace: { label: 'ns', name: 'default' },
        objects: { label: 'pod', names: ['b', 'a', 'c'] },
      },
      'ns="default",pod=~"b|a|c"',
    ],
    [
      'one object is an equality',
      {
        metricSelector: [],
        namespace: { label: 'ns', name: 'default' },
        objects: { label: 'pod', names: ['a'] },
      },
      'ns="default",pod="a"',
    ],
    [
      'cluster-scoped: no namespace matcher',
      { metricSelector: [], objects: { label: 'node', names: ['n1'] } },
      'node="n1"',
    ],
    [
      'the namespace object itself',
      { metricSelector: [], objects: { label: 'namespace', names: ['default'] } },
      'namespace="default"',
    ],
    [
      'any object (standalone *)',
      {
        metricSelector: [],
        namespace: { label: 'ns', name: 'default' },
        objects: { label: 'pod', names: 'any' },
      },
      'ns="default",pod=~".+"',
    ],
    [
      'selector requirements sorted by key, then namespace, then resource label',
      {
        metricSelector: parseLabelSelector('zone=b,app in (y,x),!canary'),
        namespace: { label: 'ns', name: 'default' },
        objects: { label: 'pod', names: ['p'] },
      },
      'app=~"x|y",canary="",zone="b",ns="default",pod="p"',
    ],
    [
      'hand-built requirements are sorted by key too',
      {
        metricSelector: [
          { key: 'z', operator: 'Equals', values: ['1'] },
          { key: 'a', operator: 'Exists', values: [] },
        ],
        objects: { label: 'pod', names: ['p'] },
      },
      'a!="",z="1",pod="p"',
    ],
    [
      'external, namespaced: selector then namespace',
      { metricSelector: parseLabelSelector('queue=jobs'), namespace: { label: 'namespace', name: 'prod' } },
      'queue="jobs",namespace="prod"',
    ],
    [
      'external, not namespaced: the selector only',
      { metricSelector: parseLabelSelector('queue=jobs') },
      'queue="jobs"',
    ],
    ['nothing at all', { metricSelector: [] }, ''],
    [
      'names are quoted, not regex-escaped',
      { metricSelector: [], objects: { label: 'pod', names: ['a.b', 'c"d'] } },
      'pod=~"a.b|c\\"d"',
    ],
  ])('%s', (_behaviour, request, expected) => {
    expect(queryTemplateData({ series: 's', ...request }).LabelMatchers).toBe(expected);
  });

  it('is a 400 for > and < in the metric label selector', () => {
    const error = thrown(() =>
      queryTemplateData({ ...POD_REQUEST, metricSelector: parseLabelSelector('size>3') }),
    );
    expect(error).toBeInstanceOf(StatusError);
    expect((error as StatusError).code).toBe(400);
  });
});

describe('.Series, .LabelValuesByName, .GroupBy, .GroupBySlice (SPEC 3.3)', () => {
  it('builds every field for a pods request', () => {
    const data = queryTemplateData({
      ...POD_REQUEST,
      metricSelector: parseLabelSelector('code in (500,503),!debug'),
    });
    expect(data).toEqual({
      Series: 'qps',
      LabelMatchers: 'code=~"500|503",debug="",kubernetes_namespace="default",kubernetes_pod_name=~"a|b"',
      LabelValuesByName: new Map([
        ['code', '500|503'],
        ['debug', ''],
        ['kubernetes_namespace', 'default'],
        ['kubernetes_pod_name', 'a|b'],
      ]),
      GroupBy: 'kubernetes_pod_name',
      GroupBySlice: ['kubernetes_pod_name'],
    });
  });

  it('puts extra group-by labels after the resource label', () => {
    const data = queryTemplateData({ ...POD_REQUEST, extraGroupBy: ['container'] });
    expect([data.GroupBy, data.GroupBySlice]).toEqual([
      'kubernetes_pod_name,container',
      ['kubernetes_pod_name', 'container'],
    ]);
  });

  it('external rules have an empty .GroupBy', () => {
    const data = queryTemplateData({
      series: 'queue_depth',
      metricSelector: [],
      namespace: { label: 'namespace', name: 'x' },
    });
    expect([data.GroupBy, data.GroupBySlice]).toEqual(['', []]);
  });

  it.each<[source: string, expected: string]>([
    ['<<.Series>>', 'qps'],
    ['<<.GroupBySlice>>', '[kubernetes_pod_name]'],
    ['<<.LabelValuesByName>>', 'map[kubernetes_namespace:default kubernetes_pod_name:a|b]'],
    ['<<index .LabelValuesByName "kubernetes_pod_name">>', 'a|b'],
    ['<<.LabelValuesByName.kubernetes_namespace>>', 'default'],
    ['[<<index .LabelValuesByName "missing">>]', '[]'],
    ['<<range $i, $v := .GroupBySlice>><<$i>>=<<$v>> <<end>>', '0=kubernetes_pod_name '],
    ['<<len .GroupBySlice>>', '1'],
    [
      '<<range $k, $v := .LabelValuesByName>><<$k>>~<<$v>>;<<end>>',
      'kubernetes_namespace~default;kubernetes_pod_name~a|b;',
    ],
    ['<<if eq .GroupBy "">>none<<else>>by (<<.GroupBy>>)<<end>>', 'by (kubernetes_pod_name)'],
    ['<<- " x " ->>', ' x '],
    [
      '<<printf "%s{%s}" .Series .LabelMatchers>>',
      'qps{kubernetes_namespace="default",kubernetes_pod_name=~"a|b"}',
    ],
  ])('%s → %s', (source, expected) => {
    expect(render(source, POD_REQUEST)).toBe(expected);
  });

  it('.GroupBySlice with two labels prints as [a b]', () => {
    expect(render('<<.GroupBySlice>>', { ...POD_REQUEST, extraGroupBy: ['container'] })).toBe(
      '[kubernetes_pod_name container]',
    );
  });
});

describe('the queue-worker rules render byte-identical queries (SPEC 3.3)', () => {
  const rules = loadRules(QUEUE_WORKER_RULES, 'queue-worker.yaml').custom;
  const pods = mapping.lookup('pods')!;
  const namespaces = mapping.lookup('namespaces')!;
  const requestFor = (rule: CompiledRule, series: string): QueryRequest => ({
    series,
    metricSelector: [],
    namespace: { label: rule.resources.labelForResource(namespaces, mapping)!, name: 'default' },
    objects: { label: rule.resources.labelForResource(pods, mapping)!, names: ['a', 'b'] },
  });

  it.each<[index: number, series: string, expected: string]>([
    [
      0,
      'qps',
      'sum(rate(qps{kubernetes_namespace="default",kubernetes_pod_name=~"a|b"}[2m])) by (kubernetes_pod_name)',
    ],
    [
      1,
      'container_network_receive_bytes_total',
      'sum(rate(container_network_receive_bytes_total{namespace="default",pod=~"a|b"}[2m])) by (pod)',
    ],
    [
      2,
      'queue_size',
      'avg(avg_over_time(queue_size{kubernetes_namespace="default",kubernetes_pod_name=~"a|b"}[2m])) by (kubernetes_pod_name)',
    ],
    [
      3,
      'container_memory_working_set_bytes',
      'avg(avg_over_time(container_memory_working_set_bytes{namespace="default",pod=~"a|b"}[2m])) by (pod)',
    ],
  ])('rule %d, pods a and b in default, series %s', (index, series, expected) => {
    const rule = rules[index]!;
    expect(renderQuery(rule.metricsQuery, requestFor(rule, series))).toBe(expected);
  });

  it('rule 1 for one pod uses an equality matcher', () => {
    const rule = rules[0]!;
    expect(
      renderQuery(rule.metricsQuery, {
        ...requestFor(rule, 'qps'),
        objects: { label: 'kubernetes_pod_name', names: ['a'] },
      }),
    ).toBe(
      'sum(rate(qps{kubernetes_namespace="default",kubernetes_pod_name="a"}[2m])) by (kubernetes_pod_name)',
    );
  });
});

describe('renderQuery errors are 500s (SPEC 3.3)', () => {
  it.each([
    ['an empty rendering', '<<if false>>x<<end>>'],
    ['a blank rendering', '  <<- "" >>\n'],
  ])('%s', (_what, source) => {
    const error = thrown(() => render(source, POD_REQUEST));
    expect(error).toBeInstanceOf(StatusError);
    expect((error as StatusError).code).toBe(500);
    expect((error as StatusError).message).toContain('empty query');
  });

  it('a template failing at execution, with the TemplateError as the cause', () => {
    const error = thrown(() => render('<<.Nope>>', POD_REQUEST));
    expect(error).toBeInstanceOf(StatusError);
    expect((error as StatusError).code).toBe(500);
    expect((error as StatusError).cause).toBeInstanceOf(TemplateError);
  });

  it('a > selector stays a 400, not a 500', () => {
    const error = thrown(() =>
      render('<<.Series>>', { ...POD_REQUEST, metricSelector: parseLabelSelector('k<1') }),
    );
    expect((error as StatusError).code).toBe(400);
  });
});
