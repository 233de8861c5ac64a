import { describe, expect, it } from '@jest/globals';
import { canonicalizeQuantity, formatMilli, milliValue, parseQuantity } from '../../../src/api/quantity.js';

describe('quantities: the canonical text the API server writes back (Quantity.String())', () => {
  it.each<[string | number, string]>([
    [80, '80'],
    [1000, '1k'],
    ['1000', '1k'],
    [1001, '1001'],
    [0.5, '500m'],
    ['0.1', '100m'],
    ['2000m', '2'],
    ['1500m', '1500m'],
    ['12345.678', '12345678m'],
    ['1.5Gi', '1536Mi'],
    ['1Ki', '1Ki'],
    ['0.5Ki', '512'],
    ['1.1Ki', '1126400m'],
    ['1024', '1024'],
    ['1e3', '1e3'],
    ['1.5e3', '1500'],
    ['1e4', '10e3'],
    ['1E', '1E'],
    ['1M', '1M'],
    ['0.0000000001', '1n'],
    ['-0.5', '-500m'],
    ['0', '0'],
    ['-0', '0'],
    ['+5', '5'],
    ['.5', '500m'],
    ['5.', '5'],
  ])('%j → %s', (input, canonical) => {
    expect(canonicalizeQuantity(input)).toBe(canonical);
  });

  it.each(['', 'abc', '1x', '1.2.3', 'Ki', '--1', '1 k'])('rejects %j', (input) => {
    expect(() => parseQuantity(input)).toThrow();
  });
});

describe('quantities: MilliValue() as the HPA reads values (ceil of value × 1000)', () => {
  it.each<[string, bigint]>([
    ['80500m', 80500n],
    ['120', 120000n],
    ['1k', 1000000n],
    ['3499999u', 3500n],
    ['1n', 1n],
    ['0', 0n],
    ['1Ki', 1024000n],
  ])('%s → %s', (input, milli) => {
    expect(milliValue(parseQuantity(input))).toBe(milli);
  });

  it.each<[bigint, string]>([
    [68000n, '68'],
    [83n, '83m'],
    [1500n, '1500m'],
    [2000000n, '2k'],
  ])('NewMilliQuantity(%s) prints %s', (milli, text) => {
    expect(formatMilli(milli)).toBe(text);
  });
});
