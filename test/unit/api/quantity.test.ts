import { describe, it, expect } from '@jest/globals';

import { formatBinaryQuantity, formatDecimalQuantity } from '../../../src/api/quantity.js';

describe('formatDecimalQuantity', () => {
  it.each<[number, string]>([
    [0.5, '500m'],
    [1, '1'],
    [1.5, '1500m'],
    [0.001, '1m'],
    [1000, '1k'],
    [1001, '1001'],
    [1500, '1500'],
    [12345.678, '12345678m'],
    [1e6, '1M'],
    [1.5e6, '1500k'],
    [2.5e9, '2500M'],
    [-0.5, '-500m'],
    [0, '0'],
  ])('renders the SPEC 6 example %p as %s', (value, expected) => {
    expect(formatDecimalQuantity(value)).toBe(expected);
  });

  it.each<[number, string]>([
    [10, '10'],
    [100, '100'],
    [1e4, '10k'],
    [1e5, '100k'],
    [12e3, '12k'],
    [123456789, '123456789'],
    [0.01, '10m'],
    [0.1, '100m'],
    [0.25, '250m'],
    [80.5, '80500m'],
    [1234.5, '1234500m'],
    [1e9, '1G'],
    [1e12, '1T'],
    [1e15, '1P'],
    [9.1e15, '9100T'],
    [-1000, '-1k'],
    [-1500, '-1500'],
    [-2.5e9, '-2500M'],
  ])('moves trailing zeros into a multiple-of-3 exponent: %p → %s (SPEC 6)', (value, expected) => {
    expect(formatDecimalQuantity(value)).toBe(expected);
  });

  it.each<[number, string]>([
    [3.4999999999999996, '3500m'],
    [0.1 + 0.2, '300m'],
    [999.9999, '1k'],
    [0.0005, '1m'],
    [-0.0005, '-1m'],
    [0.0015, '2m'],
    [0.0025, '3m'],
    [-0.0025, '-3m'],
    [1.0005, '1001m'],
    [-1.0005, '-1001m'],
    [1234567.8915, '1234567892m'],
    [0.0004, '0'],
    [0.00049999, '0'],
    [-0.0004, '0'],
    [1e-7, '0'],
    [-1e-7, '0'],
    [1.2345e-7, '0'],
    [Number.MIN_VALUE, '0'],
    [-0, '0'],
  ])('rounds %p to the nearest milli, half away from zero (SPEC 6): %s', (value, expected) => {
    expect(formatDecimalQuantity(value)).toBe(expected);
  });

  it.each<[number, string]>([
    [2 ** 53, '9007199254740992'],
    [2 ** 53 + 2, '9007199254740994'],
    [9199999999999998, '9199999999999998'],
    [-9199999999999998, '-9199999999999998'],
    [1234567890123.4565, '1234567890123457m'],
    [123456789012.3455, '123456789012346m'],
  ])('keeps every digit of large values without float error: %p → %s', (value, expected) => {
    expect(formatDecimalQuantity(value)).toBe(expected);
  });

  it.each<[number, string]>([
    [Infinity, '9223372036854775807m'],
    [-Infinity, '-9223372036854775807m'],
    [9.2e15, '9223372036854775807m'],
    [-9.2e15, '-9223372036854775807m'],
    [1e18, '9223372036854775807m'],
    [-1e18, '-9223372036854775807m'],
    [Number.MAX_VALUE, '9223372036854775807m'],
    [-Number.MAX_VALUE, '-9223372036854775807m'],
  ])('clamps ±Inf and |v| ≥ 9.2e15 to ±int64 max milli-units (SPEC 6): %p → %s', (value, expected) => {
    expect(formatDecimalQuantity(value)).toBe(expected);
  });

  it('renders NaN as 0 (SPEC 6)', () => {
    expect(formatDecimalQuantity(NaN)).toBe('0');
  });

  it('never writes a decimal point, an exponent or "-0" (SPEC 6)', () => {
    const samples = [1 / 3, -2 / 3, Math.PI * 1e10, 1e-300, -1e-300, 6.02214076e14, 12.3456789];
    for (const value of samples) {
      expect(formatDecimalQuantity(value)).toMatch(/^(0|-?[1-9][0-9]*[munkMGTP]?)$/);
    }
  });
});

describe('formatBinaryQuantity', () => {
  it.each<[number, string]>([
    [1024, '1Ki'],
    [1048576, '1Mi'],
    [3072, '3Ki'],
    [1572864, '1536Ki'],
    [1024 * 1000, '1000Ki'],
    [123 * 2 ** 20, '123Mi'],
    [2 ** 30, '1Gi'],
    [5 * 2 ** 30, '5Gi'],
    [2 ** 40, '1Ti'],
    [2 ** 50, '1Pi'],
    [2 ** 60, '1Ei'],
    [7 * 2 ** 60, '7Ei'],
    [-1024, '-1Ki'],
  ])('uses the largest power of 1024 that divides %p exactly: %s (SPEC 6)', (value, expected) => {
    expect(formatBinaryQuantity(value)).toBe(expected);
  });

  it.each<[number, string]>([
    [0, '0'],
    [1, '1'],
    [1000, '1k'],
    [1023, '1023'],
    [1536, '1536'],
    [2000, '2k'],
    [1e6, '1M'],
    [1.5e6, '1500k'],
    [1e9, '1G'],
    [1025, '1025'],
    [-2000, '-2k'],
  ])('renders %p, not a multiple of 1024, as DecimalSI: %s (SPEC 6)', (value, expected) => {
    expect(formatBinaryQuantity(value)).toBe(expected);
  });

  it.each<[number, string]>([
    [1024.4, '1Ki'],
    [1023.5, '1Ki'],
    [1536.6, '1537'],
    [0.4, '0'],
    [0.5, '1'],
    [-0.5, '-1'],
    [-0.4, '0'],
    [-0, '0'],
  ])('rounds non-integer byte counts to the nearest integer first: %p → %s', (value, expected) => {
    expect(formatBinaryQuantity(value)).toBe(expected);
  });

  it.each<[number, string]>([
    [NaN, '0'],
    [Infinity, '9223372036854775807'],
    [-Infinity, '-9223372036854775807'],
    [2 ** 63, '9223372036854775807'],
    [Number.MAX_VALUE, '9223372036854775807'],
  ])('renders %p (NaN or beyond int64) as %s', (value, expected) => {
    expect(formatBinaryQuantity(value)).toBe(expected);
  });
});
