import { describe, it, expect } from '@jest/globals';

import type { LabelSelector } from '../../../src/api/types.js';
import {
  formatLabelSelector,
  matchesLabels,
  parseLabelSelector,
  SelectorError,
  toLabelSelector,
  validateLabelKey,
  validateLabelValue,
  type Requirement,
} from '../../../src/api/label-selector.js';

const req = (key: string, operator: Requirement['operator'], ...values: string[]): Requirement => ({
  key,
  operator,
  values,
});

const parseError = (text: string): SelectorError => {
  try {
    parseLabelSelector(text);
  } catch (error) {
    expect(error).toBeInstanceOf(SelectorError);
    return error as SelectorError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
};

describe('parseLabelSelector: valid selectors', () => {
  it.each<[string, Requirement[]]>([
    ['', []],
    ['   ', []],
    ['k=v', [req('k', 'Equals', 'v')]],
    ['k==v', [req('k', 'DoubleEquals', 'v')]],
    ['k!=v', [req('k', 'NotEquals', 'v')]],
    ['k in (a,b)', [req('k', 'In', 'a', 'b')]],
    ['k notin (a,b)', [req('k', 'NotIn', 'a', 'b')]],
    ['k', [req('k', 'Exists')]],
    ['!k', [req('k', 'DoesNotExist')]],
    ['k>1', [req('k', 'GreaterThan', '1')]],
    ['k<1', [req('k', 'LessThan', '1')]],
    ['k>007', [req('k', 'GreaterThan', '007')]],
    ['k<9223372036854775807', [req('k', 'LessThan', '9223372036854775807')]],
    ['k=', [req('k', 'Equals', '')]],
    ['k==', [req('k', 'DoubleEquals', '')]],
    ['k!=', [req('k', 'NotEquals', '')]],
    ['k=,j=v', [req('j', 'Equals', 'v'), req('k', 'Equals', '')]],
  ])('parses the form %p', (text, expected) => {
    expect(parseLabelSelector(text)).toEqual(expected);
  });

  it.each<[string, Requirement[]]>([
    [' k = v ', [req('k', 'Equals', 'v')]],
    ['\tk\t==\tv\t', [req('k', 'DoubleEquals', 'v')]],
    ['k != v', [req('k', 'NotEquals', 'v')]],
    ['k in(a,b)', [req('k', 'In', 'a', 'b')]],
    ['k in ( a , b )', [req('k', 'In', 'a', 'b')]],
    ['k\nnotin\r\n(a)', [req('k', 'NotIn', 'a')]],
    [' !k ', [req('k', 'DoesNotExist')]],
    ['! k', [req('k', 'DoesNotExist')]],
    ['k > 1', [req('k', 'GreaterThan', '1')]],
    ['a = b , c', [req('a', 'Equals', 'b'), req('c', 'Exists')]],
  ])('allows whitespace between tokens: %p', (text, expected) => {
    expect(parseLabelSelector(text)).toEqual(expected);
  });

  it.each<[string, Requirement[]]>([
    ['app.kubernetes.io/name=x', [req('app.kubernetes.io/name', 'Equals', 'x')]],
    ['example.com/My_Key.v-1=Val_1.x-y', [req('example.com/My_Key.v-1', 'Equals', 'Val_1.x-y')]],
    ['a1', [req('a1', 'Exists')]],
    ['X', [req('X', 'Exists')]],
    ['k=V', [req('k', 'Equals', 'V')]],
    [`${'a'.repeat(63)}=${'b'.repeat(63)}`, [req('a'.repeat(63), 'Equals', 'b'.repeat(63))]],
    [`${'p'.repeat(253)}/n`, [req(`${'p'.repeat(253)}/n`, 'Exists')]],
    ['in in (in,notin)', [req('in', 'In', 'in', 'notin')]],
    ['notin=in', [req('notin', 'Equals', 'in')]],
    ['!in', [req('in', 'DoesNotExist')]],
  ])('accepts qualified keys, label values and keywords used as names: %p', (text, expected) => {
    expect(parseLabelSelector(text)).toEqual(expected);
  });

  it.each<[string, Requirement[]]>([
    ['z=1,a in (y,x),m', [req('a', 'In', 'x', 'y'), req('m', 'Exists'), req('z', 'Equals', '1')]],
    ['b=2,a=1,b!=3', [req('a', 'Equals', '1'), req('b', 'Equals', '2'), req('b', 'NotEquals', '3')]],
    ['b!=3,a=1,b=2', [req('a', 'Equals', '1'), req('b', 'NotEquals', '3'), req('b', 'Equals', '2')]],
    ['!b,a', [req('a', 'Exists'), req('b', 'DoesNotExist')]],
  ])('sorts requirements by key, keeping the given order for equal keys: %p', (text, expected) => {
    expect(parseLabelSelector(text)).toEqual(expected);
  });

  it.each<[string, Requirement[]]>([
    ['k in (b,a,b,a)', [req('k', 'In', 'a', 'b')]],
    ['k notin (z,Z,a,1)', [req('k', 'NotIn', '1', 'Z', 'a', 'z')]],
    ['k in (a,)', [req('k', 'In', '', 'a')]],
    ['k in (,a)', [req('k', 'In', '', 'a')]],
    ['k in (,)', [req('k', 'In', '')]],
    ['k in (a,,b)', [req('k', 'In', '', 'a', 'b')]],
  ])(
    'sorts and de-duplicates values; an empty list item is the empty value (as Go): %p',
    (text, expected) => {
      expect(parseLabelSelector(text)).toEqual(expected);
    },
  );
});

describe('parseLabelSelector: invalid selectors', () => {
  it.each<[string, string]>([
    ['k in', "unable to parse requirement: found end of string, expected: '(' at position 4"],
    [
      'k in (',
      "unable to parse requirement: found end of string, expected: ',', ')' or identifier at position 6",
    ],
    ['k in (a', "unable to parse requirement: found end of string, expected: ',' or ')' at position 7"],
    ['k in (a b)', "unable to parse requirement: found 'b', expected: ',' or ')' at position 8"],
    ['k in (a,=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier at position 8"],
    ['k in ()', "values for 'in' must not be empty at position 2"],
    ['k notin ( )', "values for 'notin' must not be empty at position 2"],
    ['k notin a', "unable to parse requirement: found 'a', expected: '(' at position 8"],
    ['=v', "found '=', expected: !, identifier, or 'end of string' at position 0"],
    ['k=v=w', "found '=', expected: ',' or 'end of string' at position 3"],
    ['k=v w', "found 'w', expected: ',' or 'end of string' at position 4"],
    ['k===v', "unable to parse requirement: found '=', expected: identifier at position 3"],
    ['k=(', "unable to parse requirement: found '(', expected: identifier at position 2"],
    ['k = (a)', "unable to parse requirement: found '(', expected: identifier at position 4"],
    ['in (a)', "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, >, < at position 3"],
    ['k!', "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, >, < at position 1"],
    ['k v', "unable to parse requirement: found 'v', expected: in, notin, =, ==, !=, >, < at position 2"],
    ['k<=1', "unable to parse requirement: found '=', expected: identifier at position 2"],
    ['!', 'unable to parse requirement: found end of string, expected: identifier at position 1'],
    ['!!k', "unable to parse requirement: found '!', expected: identifier at position 1"],
    ['!k=v', "found '=', expected: ',' or 'end of string' at position 2"],
    [',', "found ',', expected: !, identifier, or 'end of string' at position 0"],
    ['a=b,', "found end of string, expected: identifier after ',' at position 4"],
    ['a=b,,c', "found ',', expected: identifier after ',' at position 4"],
    [',a=b', "found ',', expected: !, identifier, or 'end of string' at position 0"],
    ['(a)', "found '(', expected: !, identifier, or 'end of string' at position 0"],
  ])('rejects the malformed selector %p', (text, message) => {
    expect(parseError(text).message).toBe(message);
  });

  it.each<[string, string]>([
    ['k>a', `invalid value "a" for '>': the value must be an integer at position 2`],
    ['k<1.5', `invalid value "1.5" for '<': the value must be an integer at position 2`],
    ['k>', `invalid value "" for '>': the value must be an integer at position 2`],
    [
      'k>9223372036854775808',
      `invalid value "9223372036854775808" for '>': the value must be an integer at position 2`,
    ],
  ])('rejects a non-int64 value for > and <: %p', (text, message) => {
    expect(parseError(text).message).toBe(message);
  });

  it.each<[string, RegExp]>([
    ['-x', /^invalid label key "-x": name part must consist of alphanumeric .* at position 0$/],
    ['x-=v', /^invalid label key "x-": name part must consist .* at position 0$/],
    ['k@y', /^invalid label key "k@y": name part must consist/],
    ['/k', /^invalid label key "\/k": prefix part must be non-empty at position 0$/],
    ['p/', /^invalid label key "p\/": name part must be non-empty; name part must consist/],
    [
      'a/b/c',
      /^invalid label key "a\/b\/c": a qualified name must consist .* 'example.com\/MyName'\) at position 0$/,
    ],
    ['Example.com/k', /^invalid label key "Example.com\/k": prefix part a lowercase RFC 1123 subdomain/],
    ['exa_mple.com/k', /^invalid label key "exa_mple.com\/k": prefix part a lowercase RFC 1123 subdomain/],
    [`${'p'.repeat(254)}/k`, /prefix part must be no more than 253 characters at position 0$/],
    [
      `${'k'.repeat(64)}`,
      /^invalid label key "k{64}": name part must be no more than 63 characters at position 0$/,
    ],
    ['  -x in (a)', /^invalid label key "-x": .* at position 2$/],
    ['!-x', /^invalid label key "-x": .* at position 1$/],
  ])('rejects the invalid label key in %p', (text, message) => {
    expect(parseError(text).message).toMatch(message);
  });

  it.each<[string, RegExp]>([
    [
      `k=${'v'.repeat(64)}`,
      /^invalid label value "v{64}" for key "k": must be no more than 63 characters at position 2$/,
    ],
    [
      'k=-v',
      /^invalid label value "-v" for key "k": a valid label must be an empty string or consist .* at position 2$/,
    ],
    ['k=v_', /^invalid label value "v_" for key "k": a valid label must be/],
    ['k in (a, b/c)', /^invalid label value "b\/c" for key "k": .* at position 9$/],
    ['k!=a:b', /^invalid label value "a:b" for key "k"/],
    ['k>-1', /^invalid label value "-1" for key "k"/],
    ['k=ü', /^invalid label value "ü" for key "k"/],
  ])('rejects the invalid label value in %p', (text, message) => {
    expect(parseError(text).message).toMatch(message);
  });
});

describe('validateLabelKey / validateLabelValue', () => {
  it.each(['a', 'A-b_c.d', '9', 'a.b/c', 'k8s.io/x', `${'a'.repeat(63)}`])('accepts the key %p', (key) => {
    expect(validateLabelKey(key)).toBeUndefined();
  });

  it.each(['', '-a', 'a-', '_a', 'a b', '/a', 'a/', 'A.io/x', `${'a'.repeat(64)}`])(
    'rejects the key %p',
    (key) => {
      expect(validateLabelKey(key)).toEqual(expect.any(String));
    },
  );

  it.each(['', 'a', 'A-b_c.d', '1', `${'v'.repeat(63)}`])('accepts the value %p', (value) => {
    expect(validateLabelValue(value)).toBeUndefined();
  });

  it.each(['-', 'a-', '.a', 'a/b', 'a b', `${'v'.repeat(64)}`])('rejects the value %p', (value) => {
    expect(validateLabelValue(value)).toEqual(expect.any(String));
  });
});

describe('toLabelSelector (metav1.ParseToLabelSelector)', () => {
  it.each<[string, LabelSelector | null]>([
    ['', null],
    ['app=web', { matchLabels: { app: 'web' } }],
    ['app==web,tier=db', { matchLabels: { app: 'web', tier: 'db' } }],
    ['k=', { matchLabels: { k: '' } }],
    ['k!=v', { matchExpressions: [{ key: 'k', operator: 'NotIn', values: ['v'] }] }],
    ['k in (b,a)', { matchExpressions: [{ key: 'k', operator: 'In', values: ['a', 'b'] }] }],
    ['k notin (a)', { matchExpressions: [{ key: 'k', operator: 'NotIn', values: ['a'] }] }],
    ['k', { matchExpressions: [{ key: 'k', operator: 'Exists' }] }],
    ['!k', { matchExpressions: [{ key: 'k', operator: 'DoesNotExist' }] }],
    [
      'z=1,!y,x in (a)',
      {
        matchLabels: { z: '1' },
        matchExpressions: [
          { key: 'x', operator: 'In', values: ['a'] },
          { key: 'y', operator: 'DoesNotExist' },
        ],
      },
    ],
    ['a=1,a=1', { matchLabels: { a: '1' } }],
    ['a=1,a=2', { matchLabels: { a: '1' }, matchExpressions: [{ key: 'a', operator: 'In', values: ['2'] }] }],
  ])('maps %p to matchLabels / matchExpressions, omitting empty fields', (text, expected) => {
    expect(toLabelSelector(parseLabelSelector(text))).toStrictEqual(expected);
  });

  it.each(['k>1', 'a=b,k<1'])('rejects %p: > and < cannot be expressed as a LabelSelector', (text) => {
    expect(() => toLabelSelector(parseLabelSelector(text))).toThrow(SelectorError);
    expect(() => toLabelSelector(parseLabelSelector(text))).toThrow(/isn't supported in label selectors/);
  });

  it('rejects a hand-built equality requirement without exactly one value', () => {
    expect(() => toLabelSelector([req('k', 'Equals', 'a', 'b')])).toThrow(/needs exactly one value/);
  });
});

describe('formatLabelSelector', () => {
  it.each<[Requirement[], string]>([
    [[], ''],
    [[req('a', 'Equals', 'b'), req('c', 'In', 'y', 'x'), req('d', 'DoesNotExist')], 'a=b,c in (x,y),!d'],
    [[req('k', 'DoubleEquals', 'v'), req('k', 'NotEquals', '')], 'k==v,k!='],
    [[req('k', 'NotIn', 'a'), req('e', 'Exists')], 'k notin (a),e'],
    [[req('n', 'GreaterThan', '1'), req('n', 'LessThan', '9')], 'n>1,n<9'],
  ])('renders %j as %p', (requirements, expected) => {
    expect(formatLabelSelector(requirements)).toBe(expected);
  });

  it.each([
    '',
    'k=v',
    ' b in (y, x) , a ',
    '!k,j==1,i!=2,h notin (q,p,q),g>3,f<4,e=',
    'app.kubernetes.io/name=x,k in (a,)',
    'in in (in)',
  ])('round-trips %p through parse → format → parse', (text) => {
    const parsed = parseLabelSelector(text);
    expect(parseLabelSelector(formatLabelSelector(parsed))).toEqual(parsed);
  });
});

describe('matchesLabels (Requirement.Matches)', () => {
  const labels = { app: 'web', tier: 'db', n: '10', word: 'ten' };
  it.each<[string, boolean]>([
    ['', true],
    ['app=web', true],
    ['app==api', false],
    ['missing=', false],
    ['app!=api', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['app in (api,web)', true],
    ['app in (api)', false],
    ['missing in (x)', false],
    ['app notin (api)', true],
    ['app notin (web)', false],
    ['missing notin (x)', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['n>9', true],
    ['n>10', false],
    ['n<11', true],
    ['n<010', false],
    ['word>1', false],
    ['missing>1', false],
    ['app=web,tier=db,n>1', true],
    ['app=web,tier=web', false],
  ])('%p matches %p', (text, expected) => {
    expect(matchesLabels(parseLabelSelector(text), labels)).toBe(expected);
  });
});
