import { describe, expect, it } from '@jest/globals';
import { analyzeSelector, literalAlternatives } from '../../../src/rules/selector-analysis.js';
import { parseSeriesSelector } from '../../../src/rules/series-selector.js';

const analyze = (text: string) => analyzeSelector(parseSeriesSelector(text));

describe('analyzeSelector: matchers that contradict', () => {
  it.each([
    ['{job="a",job="b"}', 'no value of label job satisfies job="a", job="b"'],
    ['{job="a",job!="a"}', 'no value of label job satisfies job="a", job!="a"'],
    ['{job="a",pod="",pod!=""}', 'no value of label pod satisfies pod="", pod!=""'],
    ['{job=~"a|b",job="c"}', 'no value of label job satisfies job=~"a|b", job="c"'],
    ['{job="abc",job=~"b.*"}', 'no value of label job satisfies job="abc", job=~"b.*"'],
    ['{job="a",job!~"a|b"}', 'no value of label job satisfies job="a", job!~"a|b"'],
    ['{job=~"x.+",job!~"x.+"}', 'no value of label job satisfies job=~"x.+", job!~"x.+"'],
    ['up{__name__="down"}', 'no metric name satisfies __name__="up", __name__="down"'],
    ['{job="a",pod!~".+",pod!=""}', 'no value of label pod satisfies pod!~".+", pod!=""'],
  ])('%s', (text, message) => {
    expect(analyze(text).contradictions).toEqual([message]);
  });

  it.each([
    '{job="a",job=~"a|b"}',
    '{job=~"kube.*",job!~"kube-system.*"}',
    '{job!="a",job!="b",x!=""}',
    '{__name__=~"^container_.*",container!="POD",namespace!="",pod!=""}',
  ])('%s can select series (or is not decided)', (text) => {
    expect(analyze(text).contradictions).toEqual([]);
  });
});

describe('analyzeSelector: names and empty labels', () => {
  it.each([
    ['up{job="a"}', ['up']],
    ['{__name__=~"b|a",job="a"}', ['a', 'b']],
    ['{__name__=~"a|b",__name__!="a"}', ['b']],
    ['{__name__=~"(?:x_total|y)"}', ['x_total', 'y']],
    ['{__name__=~"^a$|^b$"}', ['a', 'b']],
  ])('%s selects only the names %j', (text, names) => {
    expect(analyze(text).names).toEqual(names);
  });

  it.each(['{job="a"}', '{__name__=~"a.*"}', '{__name__!="a",job="b"}'])('%s: the names are open', (text) => {
    expect(analyze(text).names).toBeUndefined();
  });

  it('knows the labels required to be empty', () => {
    expect([...analyze('{job="a",pod="",ns=~"",x!~".+",y!=""}').requiredEmpty].sort()).toEqual([
      'ns',
      'pod',
      'x',
    ]);
  });
});

describe('literalAlternatives', () => {
  it.each([
    ['a|b', ['a', 'b']],
    ['', ['']],
    ['a\\.b|c\\|d', ['a.b', 'c|d']],
    ['(a|b)', ['a', 'b']],
    ['a.b', undefined],
    ['a+', undefined],
    ['[ab]', undefined],
    ['(a)|(b)', undefined],
    ['a\\d', undefined],
  ])('%s → %j', (pattern, expected) => {
    expect(literalAlternatives(pattern)).toEqual(expected);
  });
});
