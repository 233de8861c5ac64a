import { describe, it, expect } from '@jest/globals';

import { captureGroupCount, createNamer, goExpand, type NamerConfig } from '../../../src/rules/namer.js';
import { compileRE2 } from '../../../src/rules/re2.js';

const expand = (pattern: string, input: string, template: string): string => {
  const match = compileRE2(pattern).exec(input);
  if (match === null) throw new Error(`${pattern} does not match ${input}`);
  return goExpand(template, match);
};

describe("goExpand follows Go's Regexp.Expand (SPEC 3.1)", () => {
  // (?P<word>[a-z]+)_(\d+) over "abc_42": $0 = "abc_42", $1 = $word = "abc", $2 = "42".
  const pattern = '(?P<word>[a-z]+)_(\\d+)';
  it.each([
    ['$1', 'abc'],
    ['${1}', 'abc'],
    ['$2', '42'],
    ['${word}', 'abc'],
    ['$word', 'abc'],
    ['$0', 'abc_42'],
    ['${0}', 'abc_42'],
    ['$$', '$'],
    ['a$$1', 'a$1'],
    ['$$$1', '$abc'],
    ['$1_total', ''],
    ['${1}_total', 'abc_total'],
    ['counter_${1}', 'counter_abc'],
    ['$1-$2', 'abc-42'],
    ['$1.$2', 'abc.42'],
    ['x$', 'x$'],
    ['$', '$'],
    ['${unclosed', '${unclosed'],
    ['${1', '${1'],
    ['${}', '${}'],
    ['$-', '$-'],
    ['${1-}', '${1-}'],
    ['$3', ''],
    ['${99}', ''],
    ['${nope}', ''],
    ['$01', ''],
    ['plain', 'plain'],
    ['', ''],
  ])('%s → %j', (template, expected) => {
    expect(expand(pattern, 'abc_42', template)).toBe(expected);
  });

  it('a group that did not take part in the match expands to ""', () => {
    expect(expand('(a)|(b)', 'b', '[$1][$2]')).toBe('[][b]');
  });

  it('a name with non-ASCII letters is one name, as in Go', () => {
    expect(expand('(?P<x>a)', 'a', '$xé|${x}é')).toBe('|aé');
  });

  it('only the match is used: text outside it is dropped', () => {
    expect(expand('_(.*)_', 'pre_mid_post', '$0|$1')).toBe('_mid_|mid');
  });
});

describe('captureGroupCount', () => {
  it.each([
    ['.*', 0],
    ['(?:a)(?:b)', 0],
    ['(.*)', 1],
    ['(?P<x>a)', 1],
    ['(a)(b(c))', 3],
    ['\\(not a group\\)', 0],
    ['[(]', 0],
  ])('%s has %d', (pattern, count) => {
    expect(captureGroupCount(compileRE2(pattern))).toBe(count);
  });
});

describe('createNamer: the metric name of a series (SPEC 3.1)', () => {
  it.each<
    [behaviour: string, config: Omit<NamerConfig, 'filters'>, series: string, expected: string | undefined]
  >([
    [
      'queue-worker example: (.*) as counter_${1}',
      { matches: '(.*)', as: 'counter_${1}' },
      'qps',
      'counter_qps',
    ],
    ['matches defaults to .* and as to $0', {}, 'http_requests_total', 'http_requests_total'],
    ['an empty matches is .*', { matches: '' }, 'http_requests_total', 'http_requests_total'],
    ['as defaults to $1 with one group', { matches: '^(.*)_total$' }, 'http_requests_total', 'http_requests'],
    [
      'as defaults to $1 with one named group',
      { matches: '^(?P<n>.*)_total$' },
      'http_requests_total',
      'http_requests',
    ],
    [
      'as defaults to $0 with no group',
      { matches: '^http_.*' },
      'http_requests_total',
      'http_requests_total',
    ],
    ['an empty as is the default', { matches: '^(.*)_total$', as: '' }, 'a_total', 'a'],
    [
      'an unanchored _total with the default as keeps only the match',
      { matches: '_total' },
      'http_requests_total',
      '_total',
    ],
    [
      'text outside an anchored match is dropped',
      { matches: '^container_(.*)_seconds_total$', as: '${1}' },
      'container_cpu_usage_seconds_total',
      'cpu_usage',
    ],
    ['the first match is used', { matches: '[a-z]+', as: '$0' }, '1_abc_def', 'abc'],
    [
      '$1_total names a group that does not exist',
      { matches: '^(.*)_count$', as: '$1_total' },
      'x_count',
      '',
    ],
    ['${1}_total appends _total', { matches: '^(.*)_count$', as: '${1}_total' }, 'x_count', 'x_total'],
    [
      'as may use named groups',
      { matches: '^(?P<base>.*)_seconds_total$', as: '${base}_per_second' },
      'cpu_seconds_total',
      'cpu_per_second',
    ],
    [
      'two groups with an explicit as',
      { matches: '^(\\w+?)_(\\w+)$', as: '${2}_$$_${1}' },
      'a_b_c',
      'b_c_$_a',
    ],
    ['matches acts as an is filter', { matches: '^http_', as: 'x' }, 'grpc_requests_total', undefined],
  ])('%s', (_behaviour, config, series, expected) => {
    expect(createNamer({ filters: [], ...config }).metricNameFor(series)).toBe(expected);
  });

  it('rejects a matches with two groups and no as, saying as is required', () => {
    expect(() => createNamer({ filters: [], matches: '^(.*)_(.*)$' })).toThrow(
      /"as" is required.*2 capture groups/,
    );
  });

  it('accepts a matches with two groups when as is given', () => {
    expect(createNamer({ filters: [], matches: '^(.*)_(.*)$', as: '$2' }).metricNameFor('a_b')).toBe('b');
  });

  it('rejects an invalid matches regex', () => {
    expect(() => createNamer({ filters: [], matches: '(?=x)' })).toThrow(/look-ahead/);
  });
});

describe('createNamer: series filters (SPEC 3.1)', () => {
  it.each<[behaviour: string, filters: NamerConfig['filters'], series: string, kept: boolean]>([
    ['no filters keep everything', [], 'anything', true],
    ['is keeps a series where the regex is found', [{ is: '^http_' }], 'http_requests_total', true],
    ['is drops a series where it is not found', [{ is: '^http_' }], 'grpc_requests_total', false],
    ['is is an unanchored search', [{ is: 'requests' }], 'http_requests_total', true],
    ['isNot drops a series where the regex is found', [{ isNot: '_bucket$' }], 'latency_bucket', false],
    ['isNot keeps a series where it is not found', [{ isNot: '_bucket$' }], 'latency_sum', true],
    [
      'every filter must hold (both hold)',
      [{ is: '^http_' }, { isNot: '_bucket$' }],
      'http_latency_sum',
      true,
    ],
    [
      'every filter must hold (is fails)',
      [{ is: '^http_' }, { isNot: '_bucket$' }],
      'grpc_latency_sum',
      false,
    ],
    [
      'every filter must hold (isNot fails)',
      [{ is: '^http_' }, { isNot: '_bucket$' }],
      'http_latency_bucket',
      false,
    ],
    ['two is filters', [{ is: 'a' }, { is: 'b' }], 'ab', true],
    ['two is filters, one fails', [{ is: 'a' }, { is: 'b' }], 'aa', false],
  ])('%s', (_behaviour, filters, series, kept) => {
    const name = createNamer({ filters }).metricNameFor(series);
    expect(name).toBe(kept ? series : undefined);
  });

  it('filters apply together with matches', () => {
    const namer = createNamer({ filters: [{ isNot: '^go_' }], matches: '^(.*)_total$' });
    expect([
      namer.metricNameFor('go_gc_total'),
      namer.metricNameFor('http_total'),
      namer.metricNameFor('http'),
    ]).toEqual([undefined, 'http', undefined]);
  });

  it.each([
    ['both is and isNot', { is: 'a', isNot: 'b' }],
    ['neither is nor isNot', {}],
  ])('rejects a filter with %s', (_what, filter) => {
    expect(() => createNamer({ filters: [filter] })).toThrow('exactly one of "is" or "isNot"');
  });

  it('rejects an invalid filter regex', () => {
    expect(() => createNamer({ filters: [{ isNot: '(a)\\1' }] })).toThrow(/back-reference/);
  });
});
