import { describe, it, expect } from '@jest/globals';

import { parseLabelSelector, type Requirement } from '../../../src/api/label-selector.js';
import { StatusError } from '../../../src/api/status.js';
import { renderMatcher, selectorToMatcherParts } from '../../../src/rules/label-matchers.js';

const matchers = (requirements: readonly Requirement[]): string =>
  selectorToMatcherParts(requirements).map(renderMatcher).join(',');

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
};

describe('label selector → PromQL matchers (SPEC 3.3 table)', () => {
  it.each([
    ['k=v', 'k="v"'],
    ['k==v', 'k="v"'],
    ['k!=v', 'k!="v"'],
    ['k in (v)', 'k=~"v"'],
    ['k notin (v)', 'k!~"v"'],
    ['k in (a,b)', 'k=~"a|b"'],
    ['k notin (a,b)', 'k!~"a|b"'],
    ['k', 'k!=""'],
    ['!k', 'k=""'],
    ['k=', 'k=""'],
    ['k in (b,a,b)', 'k=~"a|b"'],
    ['k in (a.b,c-d)', 'k=~"a.b|c-d"'],
    ['b=2,a=1', 'a="1",b="2"'],
    ['app=web,tier in (front,back),!canary,env', 'app="web",canary="",env!="",tier=~"back|front"'],
  ])('%s → %s', (selector, expected) => {
    expect(matchers(parseLabelSelector(selector))).toBe(expected);
  });

  it.each([
    ['k>1', '>'],
    ['k<1', '<'],
  ])('%s is a 400 naming the operator as unsupported by Prometheus', (selector, operator) => {
    const error = thrown(() => selectorToMatcherParts(parseLabelSelector(selector)));
    expect(error).toBeInstanceOf(StatusError);
    expect((error as StatusError).code).toBe(400);
    expect((error as StatusError).reason).toBe('BadRequest');
    expect((error as StatusError).message).toContain(`"${operator}"`);
    expect((error as StatusError).message).toContain('not supported by Prometheus');
    expect((error as StatusError).message).toContain(selector);
  });
});

describe('selector keys that are not Prometheus label names (issue 8: hostile input)', () => {
  it.each([
    ['app.kubernetes.io/name=web', 'app.kubernetes.io/name'],
    ['example.com/tier', 'example.com/tier'],
    ['a-b!=c', 'a-b'],
    ['0=1', '0'],
    ['!9lives', '9lives'],
    ['a=1,b.c in (x)', 'b.c'],
  ])('%s is a 400 naming the key, never a query with text outside string literals', (selector, key) => {
    const error = thrown(() => selectorToMatcherParts(parseLabelSelector(selector)));
    expect(error).toBeInstanceOf(StatusError);
    expect((error as StatusError).code).toBe(400);
    expect((error as StatusError).reason).toBe('BadRequest');
    expect((error as StatusError).message).toContain(`"${key}" is not a Prometheus label name`);
  });

  it('accepts keys that are label names, underscores and upper case included', () => {
    expect(matchers(parseLabelSelector('A_b=1,x9,in=2'))).toBe('A_b="1",in="2",x9!=""');
    expect(matchers([{ key: '_private', operator: 'Equals', values: ['v'] }])).toBe('_private="v"');
  });
});

describe('requirements built by hand are normalized too (SPEC 3.3)', () => {
  it('sorts requirements by key, keeping the order of equal keys', () => {
    expect(
      matchers([
        { key: 'b', operator: 'Equals', values: ['1'] },
        { key: 'a', operator: 'NotEquals', values: ['x'] },
        { key: 'b', operator: 'Exists', values: [] },
      ]),
    ).toBe('a!="x",b="1",b!=""');
  });

  it('sorts and de-duplicates values', () => {
    expect(matchers([{ key: 'k', operator: 'In', values: ['c', 'a', 'c', 'b'] }])).toBe('k=~"a|b|c"');
  });

  it('does not change the requirements it is given', () => {
    const requirements: Requirement[] = [
      { key: 'b', operator: 'In', values: ['y', 'x'] },
      { key: 'a', operator: 'Equals', values: ['1'] },
    ];
    const copy = structuredClone(requirements);
    matchers(requirements);
    expect(requirements).toEqual(copy);
  });
});

describe("matcher values are quoted as Go's %q and not regex-escaped (SPEC 3.3)", () => {
  it.each([
    ['a"b', 'k="a\\"b"'],
    ['a\\b', 'k="a\\\\b"'],
    ['a\nb', 'k="a\\nb"'],
    ['a\tb', 'k="a\\tb"'],
    ['a\u0000b', 'k="a\\x00b"'],
    ['a\u007fb', 'k="a\\x7fb"'],
    ['é', 'k="é"'],
    ['a.b*', 'k="a.b*"'],
    ['', 'k=""'],
  ])('%j → %s', (value, expected) => {
    expect(renderMatcher({ label: 'k', op: '=', values: [value] })).toBe(expected);
  });

  it('joins several values with | before quoting', () => {
    expect(renderMatcher({ label: 'pod', op: '=~', values: ['a"', 'b'] })).toBe('pod=~"a\\"|b"');
  });

  it.each([
    ['a\ufffdb', 'k="a\\ufffdb"'],
    ['\ufffd\ufffd', 'k="\\ufffd\\ufffd"'],
    ['lone \ud800', 'k="lone \\ufffd"'],
  ])(
    'writes U+FFFD as an escape, which Prometheus rejects written as is (issue 8: hostile input): %j → %s',
    (value, expected) => {
      expect(renderMatcher({ label: 'k', op: '=', values: [value] })).toBe(expected);
    },
  );
});
