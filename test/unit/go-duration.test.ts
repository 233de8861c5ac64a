import { describe, it, expect } from '@jest/globals';
import { formatGoDuration, parseGoDuration } from '../../src/go-duration.js';

describe('parseGoDuration (Go time.ParseDuration syntax, SPEC 2)', () => {
  it.each<[string, number]>([
    ['0', 0],
    ['-0', 0],
    ['+0', 0],
    ['300ms', 300],
    ['30s', 30_000],
    ['1m', 60_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['2h45m30.5s', 9_930_500],
    ['1m30s500ms', 90_500],
    ['0s', 0],
    ['.5s', 500],
    ['5.s', 5_000],
    ['1.1s', 1_100],
    ['1ns', 0.000001],
    ['1500ns', 0.0015],
    ['1us', 0.001],
    ['1\u00b5s', 0.001],
    ['1\u03bcs', 0.001],
    ['2.5ms', 2.5],
    ['-1.5h', -5_400_000],
    ['+30s', 30_000],
    ['100h', 360_000_000],
  ])('parses %j as %p ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each<[string, string]>([
    ['', 'invalid duration "": expected numbers with units, e.g. 30s, 1m or 1h30m'],
    ['-', 'invalid duration "-"'],
    ['abc', 'invalid duration "abc"'],
    ['.s', 'invalid duration ".s"'],
    [' 30s', 'invalid duration " 30s"'],
    ['1', 'missing unit in duration "1": add one of ns, us, µs, ms, s, m or h, e.g. "1s"'],
    ['30', 'missing unit in duration "30"'],
    ['1h30', 'missing unit in duration "1h30"'],
    ['1.2.3s', 'missing unit in duration "1.2.3s"'],
    ['1x', 'unknown unit "x" in duration "1x": use ns, us, µs, ms, s, m or h'],
    ['1d', 'unknown unit "d" in duration "1d"'],
    ['1e3s', 'unknown unit "e" in duration "1e3s"'],
    ['30 s', 'unknown unit " s" in duration "30 s"'],
    ['1S', 'unknown unit "S"'],
    ['3000000h', 'duration "3000000h" is out of range'],
  ])('rejects %j naming the text', (text, message) => {
    expect(() => parseGoDuration(text)).toThrow(message);
  });

  it('accepts the largest Go duration and rejects one nanosecond more', () => {
    expect(parseGoDuration('9223372036854775807ns')).toBeCloseTo(9_223_372_036_854.775, 2);
    expect(() => parseGoDuration('9223372036854775808ns')).toThrow('out of range');
    expect(parseGoDuration('-9223372036854775808ns')).toBeLessThan(0);
  });
});

describe('formatGoDuration (Go Duration.String)', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [500, '500ms'],
    [1, '1ms'],
    [1.5, '1.5ms'],
    [0.0015, '1.5\u00b5s'],
    [0.001, '1\u00b5s'],
    [0.000001, '1ns'],
    [0.000999, '999ns'],
    [1_000, '1s'],
    [1_500, '1.5s'],
    [30_000, '30s'],
    [60_000, '1m0s'],
    [600_000, '10m0s'],
    [90_500, '1m30.5s'],
    [3_600_000, '1h0m0s'],
    [5_400_000, '1h30m0s'],
    [9_930_500, '2h45m30.5s'],
    [2_147_483_647, '596h31m23.647s'],
    [-1_500, '-1.5s'],
    [-5_400_000, '-1h30m0s'],
  ])('formats %p ms as %j', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });

  it.each(['300ms', '1.5s', '10m0s', '1h30m0s', '2h45m30.5s', '1.5µs', '7ns', '-3m0.25s'])(
    'round-trips %j through parse and format',
    (text) => {
      expect(formatGoDuration(parseGoDuration(text))).toBe(text);
    },
  );

  it.each([NaN, Infinity, -Infinity])('rejects %p', (ms) => {
    expect(() => formatGoDuration(ms)).toThrow(RangeError);
  });
});
