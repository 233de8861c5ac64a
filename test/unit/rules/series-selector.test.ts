import { describe, expect, it } from '@jest/globals';
import { formatMatcher, parseSeriesSelector } from '../../../src/rules/series-selector.js';

const parsed = (text: string) => parseSeriesSelector(text).matchers.map(formatMatcher);

describe('parseSeriesSelector: the seriesQuery language (PromQL series selectors)', () => {
  it.each([
    ['{job="a",ns!=""}', ['job="a"', 'ns!=""']],
    ['up', ['__name__="up"']],
    ['up{job=~"a|b"}', ['__name__="up"', 'job=~"a|b"']],
    ['  up { job = "a" , } ', ['__name__="up"', 'job="a"']],
    ["{job='a',x!~`b\\.c`}", ['job="a"', 'x!~"b\\\\.c"']],
    ['{job="a\\"b\\n"}', ['job="a\\"b\\n"']],
    ['{job="\\x41\\u00e9"}', ['job="Aé"']],
    ['{"my.metric", "a.b"="c"}', ['__name__="my.metric"', 'a.b="c"']],
    ['ns:rule_name:rate5m{}', ['__name__="ns:rule_name:rate5m"']],
  ])('%s', (text, expected) => {
    expect(parsed(text)).toEqual(expected);
  });

  it.each([
    ['{job="a"', /missing closing }/],
    ['up[5m]', /unexpected text after the selector/],
    ['rate(up[5m])', /unexpected text after the selector/],
    ['{job=a}', /expected a quoted value/],
    ['{job>"a"}', /expected one of =, !=, =~, !~/],
    ['{}', /at least one matcher that does not match the empty value/],
    ['{job=""}', /at least one matcher that does not match the empty value/],
    ['{job=~".*"}', /at least one matcher that does not match the empty value/],
    ['{job=~"(?=a)"}', /look-ahead/],
    ['{job="a\\q"}', /unknown escape \\q/],
    ['', /expected a metric name or \{/],
  ])('refuses %s as Prometheus does', (text, message) => {
    expect(() => parseSeriesSelector(text)).toThrow(message);
  });

  it('matches regexes fully anchored, as Prometheus does', () => {
    const selector = parseSeriesSelector('{job=~"kube.*",x!~"a|b"}');
    const [job, x] = selector.matchers;
    expect(selector.matches(job!, 'kubernetes-pods')).toBe(true);
    expect(selector.matches(job!, 'my-kubernetes')).toBe(false);
    expect(selector.matches(x!, 'a')).toBe(false);
    expect(selector.matches(x!, 'ab')).toBe(true);
    expect(selector.matches(x!, '')).toBe(true);
  });
});
