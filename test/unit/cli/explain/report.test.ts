import { describe, expect, it } from '@jest/globals';
import { formatLabels, formatSampleValue } from '../../../../src/cli/explain/report.js';

describe('formatSampleValue: as Prometheus writes sample values', () => {
  it.each([
    [3.5, '3.5'],
    [120, '120'],
    [0, '0'],
    [-2.25, '-2.25'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ])('%p → %s', (value, text) => {
    expect(formatSampleValue(value)).toBe(text);
  });
});

describe('formatLabels', () => {
  it('writes the name before sorted, quoted labels', () => {
    expect(formatLabels({ pod: 'b', __name__: 'qps', job: 'x"y' })).toBe('qps{job="x\\"y",pod="b"}');
  });

  it('writes {} for no labels', () => {
    expect(formatLabels({})).toBe('{}');
  });
});
