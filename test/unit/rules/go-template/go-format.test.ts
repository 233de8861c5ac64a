import { describe, expect, it } from '@jest/globals';

import {
  formatFloat,
  quote,
  quoteRune,
  sprint,
  sprintf,
  sprintln,
} from '../../../../src/rules/go-template/go-format.js';
import { GoFloat } from '../../../../src/rules/go-template/values.js';

describe('sprintf (Go fmt.Sprintf; expected values produced by Go)', () => {
  it.each([
    ['%v', [42], '42'],
    ['%d', [-42], '-42'],
    ['%+d|% d|%5d|%-5d|%05d|%.3d|%.0d', [7, 7, 7, 7, -7, 7, 0], '+7| 7|    7|7    |-0007|007|'],
    ['%x %X %o %O %b %#x %#o %#b', [255, 255, 8, 8, 5, 255, 8, 5], 'ff FF 10 0o10 101 0xff 010 0b101'],
    ['%c %q %U %#U', [128512, 97, 65, 233], "😀 'a' U+0041 U+00E9 'é'"],
    [
      '%s|%10s|%-10s|%.2s|%q|%+q|%#q|%x|% X',
      ['héllo', 'hi', 'hi', 'héllo', 'a"b\\c\n', 'é', 'a`b', 'hi', 'hi'],
      'héllo|        hi|hi        |hé|"a\\"b\\\\c\\n"|"\\u00e9"|"a`b"|6869|68 69',
    ],
    ['%q', ['\u0000\u0007\t  ﻿😀'], '"\\x00\\a\\t\\u00a0\\u2028\\ufeff😀"'],
    ['%t %v %5t|', [true, false, true], 'true false  true|'],
    ['%v %v %v %v %v', [1.5, 1e21, 1e-7, 100000, 1234567], '1.5 1e+21 1e-07 100000 1234567'],
    [
      '%f %.2f %8.3f %-8.3f| %+.1f %08.3f',
      [3.14159, 2.675, 3.14159, 3.14159, 2.5, -3.14159],
      '3.141590 2.67    3.142 3.142   | +2.5 -003.142',
    ],
    [
      '%e %E %.0e %.3e',
      [1234.5678, 0.000123, 50000000000, -1.5],
      '1.234568e+03 1.230000E-04 %!e(int=50000000000) -1.500e+00',
    ],
    [
      '%g %G %.3g %.10g %#g %#.3g',
      [1234.5678, 1e-10, 100000.5, 0.3333333333333333, 1.5, 2],
      '1234.5678 1E-10 1e+05 0.3333333333 1.50000 %!g(int=002)',
    ],
    ['%x %X %.3x', [1.5, -0.1, 3], '0x1.8p+00 -0X1.999999999999AP-04 003'],
    ['%.0f %.0f %.0f %.1f %.2f', [0.5, 1.5, 2.5, 0.25, 1.005], '0 2 2 0.2 1.00'],
    [
      '%v %d %s',
      [
        [1, 'a', null],
        [1, 2],
        ['a', 'b'],
      ],
      '[1 a <nil>] [1 2] [a b]',
    ],
    ['%v|%+v|%#v', [{ A: 1, B: 'x' }, { A: 1, B: 'x' }, ['a', 'b']], '{1 x}|{A:1 B:x}|[]string{"a", "b"}'],
    [
      '%v %#v %d',
      [
        new Map([
          ['b', 2],
          ['a', 1],
        ]),
        new Map([['k', 'v']]),
        new Map([['k', 'v']]),
      ],
      'map[a:1 b:2] map[string]string{"k":"v"} map[%!d(string=k):%!d(string=v)]',
    ],
    ['%v %d %s %#v', [null, null, null, null], '<nil> %!d(<nil>) %!s(<nil>) <nil>'],
    ['%d %s', ['x', 1], '%!d(string=x) %!s(int=1)'],
    ['%d', [], '%!d(MISSING)'],
    ['%d', [1, 2, 'x'], '1%!(EXTRA int=2, string=x)'],
    ['%[2]d %[1]d', [1, 2], '2 1'],
    ['%[3]d', [1], '%!d(BADINDEX)'],
    ['%*d|%-*d|%.*f', [5, 1, 5, 1, 2, 3.14159], '    1|1    |3.14'],
    ['%!', [], '%!!(MISSING)'],
    ['%', [], '%!(NOVERB)'],
    ['%z', [1], '%!z(int=1)'],
    ['100%%', [], '100%'],
    ['%T %T %T %T %T', [1, 1.5, 'a', [1], null], 'int float64 string []interface {} <nil>'],
    ['%6.2v|%-8v|%08v', [3.14159, 'ab', -1.5], '   3.1|ab      |-00001.5'],
    ['%v %v %v', [NaN, Infinity, -Infinity], 'NaN +Inf -Inf'],
    ['%5.1f|%05.1f|%+v', [NaN, -Infinity, Infinity], '  NaN| -Inf|+Inf'],
  ])('%j with %j', (format, args, expected) => {
    expect(sprintf(format, args)).toBe(expected);
  });

  it('prints a float64 with an integral value as a float', () => {
    expect(sprintf('%v %d %T', [new GoFloat(3), new GoFloat(3), new GoFloat(3)])).toBe(
      '3 %!d(float64=3) float64',
    );
  });
});

describe('sprint and sprintln', () => {
  it('adds spaces between operands when neither is a string (Sprint)', () => {
    expect(sprint([1, 2, 'a', 'b', 3, null])).toBe('1 2ab3 <nil>');
  });

  it('adds spaces between all operands and a newline (Sprintln)', () => {
    expect(sprintln([1, 'a', null])).toBe('1 a <nil>\n');
  });
});

describe('quote (strconv.Quote, used by %q; SPEC 3.3 label values)', () => {
  it.each([
    ['plain', 'abc', '"abc"'],
    ['quote and backslash', 'a"b\\c', '"a\\"b\\\\c"'],
    ['control characters', '\n\t\r\x00\x07\x7f', '"\\n\\t\\r\\x00\\a\\x7f"'],
    ['printable unicode kept', 'é😀', '"é😀"'],
    ['non-printable unicode escaped', '\u00a0\u2028\ufeff', '"\\u00a0\\u2028\\ufeff"'],
  ])('%s', (_name, input, expected) => {
    expect(quote(input)).toBe(expected);
  });

  it('quotes runes (QuoteRune)', () => {
    expect([quoteRune(0x61), quoteRune(0x27), quoteRune(0x0a), quoteRune(0xe9, true), quoteRune(-1)]).toEqual(
      ["'a'", "'\\''", "'\\n'", "'\\u00e9'", "'�'"],
    );
  });
});

describe('formatFloat (strconv.FormatFloat)', () => {
  it.each([
    [1.5, 'g', -1, '1.5'],
    [1e21, 'g', -1, '1e+21'],
    [1e-7, 'g', -1, '1e-07'],
    [123456789, 'g', -1, '1.23456789e+08'],
    [0.1, 'f', 20, '0.10000000000000000555'],
    [2.5, 'f', 0, '2'],
    [3.5, 'f', 0, '4'],
    [5e-324, 'e', -1, '5e-324'],
    [1.7976931348623157e308, 'g', 3, '1.8e+308'],
    [1.5, 'x', -1, '0x1.8p+00'],
    [1, 'b', -1, '4503599627370496p-52'],
    [-0, 'g', -1, '-0'],
  ])('%s %s %s', (value, fmt, prec, expected) => {
    expect(formatFloat(value, fmt, prec)).toBe(expected);
  });
});
