import { describe, expect, it } from '@jest/globals';
import {
  findRangeSelectors,
  formatPromDuration,
  parsePromDuration,
} from '../../../src/rules/promql-ranges.js';

describe('findRangeSelectors', () => {
  it.each([
    ['sum(rate(x{a="b"}[2m])) by (a)', [['2m', 120_000]]],
    [
      'rate(x[1h30m]) / rate(y[ 90s ])',
      [
        ['1h30m', 5_400_000],
        ['90s', 90_000],
      ],
    ],
    [
      'max_over_time(rate(x[1m])[1h:5m])',
      [
        ['1m', 60_000],
        ['1h:5m', 3_600_000],
      ],
    ],
    ['sum(x{a=~"[1m]"})', []],
    ['sum(x{a=\'[1m]\', b="\\"[1m]"})', []],
    ['sum(x) # rate(y[1m])', []],
    ['x[<no value>]', []],
    ['sum(x)', []],
  ])('%s', (query, expected) => {
    expect(findRangeSelectors(query).map((r) => [r.text, r.rangeMs])).toEqual(expected);
  });
});

describe('PromQL durations', () => {
  it.each([
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['1y', 31_536_000_000],
    ['5', undefined],
    ['1.5m', undefined],
  ])('parses %s', (text, ms) => {
    expect(parsePromDuration(text)).toBe(ms);
  });

  it.each([
    [120_000, '2m'],
    [90_000, '1m30s'],
    [1500, '1s500ms'],
    [86_400_000, '1d'],
    [0, '0s'],
  ])('formats %d as %s', (ms, text) => {
    expect(formatPromDuration(ms)).toBe(text);
  });
});
