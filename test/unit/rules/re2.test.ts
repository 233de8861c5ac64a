import { describe, it, expect } from '@jest/globals';

import { compileRE2, RegexSyntaxError } from '../../../src/rules/re2.js';

const rejection = (pattern: string): RegexSyntaxError => {
  try {
    compileRE2(pattern);
  } catch (error) {
    expect(error).toBeInstanceOf(RegexSyntaxError);
    return error as RegexSyntaxError;
  }
  throw new Error(`expected ${JSON.stringify(pattern)} to be rejected`);
};

describe('compileRE2: RE2-only syntax means what it means in Go (SPEC 3)', () => {
  it.each<[construct: string, pattern: string, matches: string[], doesNotMatch: string[]]>([
    ['leading (?i) applies to the whole pattern', '(?i)^abc$', ['abc', 'ABC', 'aBc'], ['abd']],
    ['(?s) lets . match a newline', '(?s)^a.b$', ['a\nb'], []],
    ['. does not match a newline by default', '^a.b$', ['axb'], ['a\nb']],
    ['\\z is the end of the text', 'abc\\z', ['abc', 'xabc'], ['abc\n', 'abcd']],
    ['\\A is the start of the text', '\\Aabc', ['abc', 'abcd'], ['xabc']],
    ['$ without (?m) is the end of the text', 'abc$', ['xabc'], ['abc\nx']],
    ['\\Q...\\E quotes metacharacters', '^\\Q.*\\E$', ['.*'], ['ab', 'a']],
    ['\\Q without \\E quotes to the end', '^a\\Q(+', ['a(+'], ['aa']],
    ['a quantifier after \\Q...\\E repeats its last character', '^\\Qab\\E*$', ['a', 'ab', 'abbb'], ['abab']],
    ['\\Q...\\E with a hyphen in unicode mode', '^\\Q-\\E\\pL$', ['-a'], ['a-']],
    ['[[:alpha:]]', '^[[:alpha:]]+$', ['abcXYZ'], ['ab1', '_']],
    ['[[:digit:][:upper:]]', '^[[:digit:][:upper:]]+$', ['A1Z9'], ['a']],
    ['[[:punct:]]', '^[[:punct:]]$', ['!', '[', '`', '~', '/'], ['a', ' ']],
    ['[[:space:]]', '^[[:space:]]$', [' ', '\t', '\v'], ['x']],
    ['\\x{41}', '^\\x{41}$', ['A'], ['a']],
    ['\\x{1F600} beyond the BMP is one character', '^\\x{1F600}$', ['\u{1F600}'], ['x']],
    ['\\x41', '^\\x41$', ['A'], ['x41']],
    ['octal \\101', '^\\101$', ['A'], ['101']],
    ['\\pL', '^\\pL+$', ['héllo', 'ABC'], ['a1', '_']],
    ['\\PL', '^\\PL$', ['1', '_'], ['a']],
    ['\\p{Lu}', '^\\p{Lu}$', ['A', 'É'], ['a']],
    ['\\p{Greek} is a script', '^\\p{Greek}+$', ['αβγ'], ['abc']],
    ['\\p{^Greek} is its negation', '^\\p{^Greek}$', ['a'], ['α']],
    ['\\pL inside a class', '^[\\pL_]+$', ['a_b'], ['a-b']],
    ['{2,3} bounded repeat', '^a{2,3}$', ['aa', 'aaa'], ['a', 'aaaa']],
    ['{2} exact repeat', '^a{2}$', ['aa'], ['a', 'aaa']],
    ['{2,} open repeat', '^a{2,}$', ['aa', 'aaaaa'], ['a']],
    ['a { that does not start a repeat is a literal', '^a{$', ['a{'], ['a', 'aa']],
    ['{,3} is a literal, as in Go', '^x{,3}$', ['x{,3}'], ['x', 'xxx']],
    ['a lone } is a literal', '^a}$', ['a}'], ['a']],
    ['a lone } is a literal in unicode mode too', '^\\pL}$', ['a}'], ['a']],
    ['a lone ] is a literal', '^a]$', ['a]'], ['a']],
    ['] first in a class is a literal', '^[]a]+$', [']', 'a]a'], ['b']],
    ['] first in a negated class is a literal', '^[^]a]$', ['b'], [']', 'a']],
    ['an escaped hyphen in a class is a literal', '^[a\\-z]+$', ['a-z', 'z'], ['b']],
    ['escaped punctuation in unicode mode', '^\\pL\\:\\#\\@\\_$', ['a:#@_'], ['a']],
    ['escaped metacharacters', '^\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\$', ['.*+?()[]{}|^$\\'], ['a']],
    ['\\d \\w \\s', '^\\d\\w\\s$', ['1a '], ['aa ']],
    ['\\b word boundary', '\\bqps\\b', ['qps', 'a qps b'], ['qpsx']],
    ['alternation', '^(?:foo|bar)_total$', ['foo_total', 'bar_total'], ['baz_total']],
  ])('%s: %s', (_construct, pattern, matches, doesNotMatch) => {
    const re = compileRE2(pattern);
    for (const s of matches) expect([s, re.test(s)]).toEqual([s, true]);
    for (const s of doesNotMatch) expect([s, re.test(s)]).toEqual([s, false]);
  });

  it.each([
    ['(?P<name>x)', '(?P<name>[a-z]+)_total', 'http_total', 'http'],
    ['(?<name>x)', '(?<name>[a-z]+)_total', 'http_total', 'http'],
  ])('named group %s is available by name', (_construct, pattern, input, expected) => {
    expect(compileRE2(pattern).exec(input)?.groups?.name).toBe(expected);
  });

  it.each([
    ['lazy *? takes as little as it can', '^(a*?)(a*)$', 'aaa', ['', 'aaa']],
    ['lazy +?', '^(a+?)(a*)$', 'aaa', ['a', 'aa']],
    ['lazy ??', '^(a??)(a*)$', 'aaa', ['', 'aaa']],
    ['lazy {1,2}?', '^(a{1,2}?)(a*)$', 'aaa', ['a', 'aa']],
    ['greedy * takes all it can', '^(a*)(a*)$', 'aaa', ['aaa', '']],
    ['leftmost-first alternation, as in Go', '(a|ab)(c|bcd)', 'abcd', ['a', 'bcd']],
  ])('%s', (_behaviour, pattern, input, groups) => {
    expect(compileRE2(pattern).exec(input)?.slice(1)).toEqual(groups);
  });
});

describe('compileRE2: constructs RE2 does not accept are rejected with a message naming them (SPEC 3)', () => {
  it.each([
    ['a(?=b)', 'look-ahead'],
    ['a(?!b)', 'look-ahead'],
    ['(?<=a)b', 'look-behind'],
    ['(?<!a)b', 'look-behind'],
    ['(a)\\1', 'back-reference \\1'],
    ['(a)\\9', 'back-reference \\9'],
    ['(?<a>x)\\k<a>', 'named back-reference \\k'],
    ['(?>a+)b', 'atomic groups'],
    ['a*+', 'possessive'],
    ['a++', 'possessive'],
    ['a**', 'invalid nested repetition operator *'],
    ['a*?*', 'invalid nested repetition operator *'],
    ['a{2}{3}', 'invalid nested repetition operator {3}'],
    ['*a', 'missing argument to repetition operator *'],
    ['(+a)', 'missing argument to repetition operator +'],
    ['a|?', 'missing argument to repetition operator ?'],
    ['\\y', 'unknown escape \\y'],
    ['[\\y]', 'unknown escape \\y'],
    ['\\Z', 'unknown escape \\Z'],
    ['\\é', 'unknown escape \\é'],
    ['[\\b]', 'unknown escape \\b'],
    ['a(?i:x)', 'inline flags are only supported at the start'],
    ['a(?i)b', 'inline flags are only supported at the start'],
    ['(?i:x)', 'inline flags are only supported at the start'],
    ['(?U)a+', 'ungreedy flag (?U)'],
    ['(?#comment)', 'unknown group syntax'],
    ['(?P=name)', 'unknown group syntax'],
    ['(a', 'missing closing )'],
    ['((a)', 'missing closing )'],
    ['a)', 'unexpected )'],
    ['[a', 'missing closing ]'],
    ['[]', 'missing closing ]'],
    ['a\\', 'trailing backslash'],
    ['a{1001}', 'repeat count exceeds 1000'],
    ['a{2,1001}', 'repeat count exceeds 1000'],
    ['a{1001,}', 'repeat count exceeds 1000'],
    ['a{3,2}', 'invalid repeat count'],
    ['[[:foo:]]', 'unknown POSIX class [:foo:]'],
    ['\\x{110000}', 'invalid \\x{...} escape'],
    ['\\xZZ', 'invalid \\x escape'],
    ['\\p{', 'unterminated \\p{...}'],
  ])('%s → %s', (pattern, message) => {
    const error = rejection(pattern);
    expect(error.message).toContain(message);
    expect(error.message).toContain(JSON.stringify(pattern));
  });

  it('accepts a repeat of exactly 1000', () => {
    expect(compileRE2('^a{1000}$').test('a'.repeat(1000))).toBe(true);
  });

  it.each([
    ['(a)\\1', 3],
    ['abc(?=x)', 3],
    ['ab\\y', 2],
  ])('%s reports the offset of the construct (%d)', (pattern, offset) => {
    expect(rejection(pattern).message).toContain(`at offset ${offset}:`);
  });

  it('reports what JavaScript itself refuses as a RegexSyntaxError with the cause', () => {
    const error = rejection('[z-a]');
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });
});

describe('compileRE2: matches are unanchored searches (SPEC 3)', () => {
  it.each([
    ['_total', 'http_requests_total', true],
    ['requests', 'http_requests_total', true],
    ['^requests', 'http_requests_total', false],
    ['requests$', 'http_requests_total', false],
    ['^http_requests_total$', 'http_requests_total', true],
    ['', 'anything', true],
  ])('%s in %s → %s', (pattern, input, expected) => {
    expect(compileRE2(pattern).test(input)).toBe(expected);
  });

  it('is stateless across calls (no global or sticky flag)', () => {
    const re = compileRE2('a');
    expect([re.test('a'), re.test('a'), re.test('a')]).toEqual([true, true, true]);
    expect(re.flags).not.toMatch(/[gy]/);
  });
});
