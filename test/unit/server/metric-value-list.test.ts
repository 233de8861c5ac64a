import { describe, expect, it } from '@jest/globals';
import { formatTimestamp, toMetricValueList } from '../../../src/server/metric-value-list.js';
import type { Requirement } from '../../../src/api/label-selector.js';

describe('formatTimestamp: RFC 3339, UTC, whole seconds (SPEC 5.2)', () => {
  it.each([
    ['2026-11-22T10:00:00.000Z', '2026-11-22T10:00:00Z'],
    ['2026-11-22T10:00:00.999Z', '2026-11-22T10:00:00Z'],
    ['2026-11-22T12:00:05.5+02:00', '2026-11-22T10:00:05Z'],
    ['1969-12-31T23:59:59.500Z', '1969-12-31T23:59:59Z'],
  ])('%s → %s', (input, expected) => {
    expect(formatTimestamp(new Date(input))).toBe(expected);
  });
});

describe('toMetricValueList', () => {
  const value = {
    describedObject: { kind: 'Pod', namespace: 'default', name: 'worker-1', apiVersion: '/v1' },
    metric: 'counter_qps',
    timestamp: new Date('2026-11-22T10:00:00Z'),
    value: 3.4999999999999996,
  };

  it('renders values as DecimalSI quantities rounded to the milli (SPEC 6)', () => {
    const list = toMetricValueList('v1beta2', [value], []);
    expect(list.items[0]?.value).toBe('3500m');
  });

  it('echoes the metric selector: = in matchLabels, != as NotIn, existence as expressions', () => {
    const selector: Requirement[] = [
      { key: 'code', operator: 'NotEquals', values: ['200'] },
      { key: 'method', operator: 'DoubleEquals', values: ['GET'] },
      { key: 'shard', operator: 'Exists', values: [] },
    ];
    const list = toMetricValueList('v1beta1', [value], selector);
    expect(list.items[0]?.selector).toEqual({
      matchLabels: { method: 'GET' },
      matchExpressions: [
        { key: 'code', operator: 'NotIn', values: ['200'] },
        { key: 'shard', operator: 'Exists' },
      ],
    });
  });

  it('has kind, apiVersion and an empty metadata, which the HPA decoder needs', () => {
    const list = toMetricValueList('v1beta1', [], []);
    expect(list).toEqual({
      kind: 'MetricValueList',
      apiVersion: 'custom.metrics.k8s.io/v1beta1',
      metadata: {},
      items: [],
    });
  });
});
