import { describe, it, expect } from '@jest/globals';
import {
  aroundNow,
  constantGauge,
  escapeLabelValue,
  linearCounter,
  openMetrics,
} from '../../../../src/cli/demo/openmetrics.js';
import type { MetricFamily } from '../../../../src/cli/demo/openmetrics.js';

describe('openMetrics', () => {
  it('writes a TYPE line per family, counter samples as <name>_total, and ends with # EOF', () => {
    const text = openMetrics([
      { name: 'x', type: 'counter', samples: [{ labels: { pod: 'a' }, value: 1.5, timestampSeconds: 100 }] },
      { name: 'q', type: 'gauge', samples: [{ labels: {}, value: 7, timestampSeconds: 100 }] },
    ]);
    expect(text).toBe(
      ['# TYPE x counter', 'x_total{pod="a"} 1.5 100', '# TYPE q gauge', 'q 7 100', '# EOF', ''].join('\n'),
    );
  });

  it('writes # HELP with backslashes and newlines escaped', () => {
    const text = openMetrics([{ name: 'g', type: 'gauge', help: 'a\\b\nc', samples: [] }]);
    expect(text.split('\n')[0]).toBe('# HELP g a\\\\b\\nc');
  });

  it.each([
    ['plain', 'plain'],
    ['quote " inside', 'quote \\" inside'],
    ['back\\slash', 'back\\\\slash'],
    ['new\nline', 'new\\nline'],
    ['all "\\\n', 'all \\"\\\\\\n'],
    ['unicode ü ✓', 'unicode ü ✓'],
  ])('escapes label value %j as %j', (value, escaped) => {
    expect(escapeLabelValue(value)).toBe(escaped);
    const text = openMetrics([
      { name: 'g', type: 'gauge', samples: [{ labels: { l: value }, value: 1, timestampSeconds: 1 }] },
    ]);
    expect(text).toContain(`g{l="${escaped}"} 1 1\n`);
  });

  it('sorts label names so one series always renders the same', () => {
    const text = openMetrics([
      {
        name: 'g',
        type: 'gauge',
        samples: [{ labels: { z: '1', a: '2', m: '3' }, value: 1, timestampSeconds: 1 }],
      },
    ]);
    expect(text).toContain('g{a="2",m="3",z="1"} 1 1\n');
  });

  it('groups samples by series in order of first appearance and sorts each series by time', () => {
    const family: MetricFamily = {
      name: 'g',
      type: 'gauge',
      samples: [
        { labels: { pod: 'b' }, value: 2, timestampSeconds: 30 },
        { labels: { pod: 'a' }, value: 1, timestampSeconds: 20 },
        { labels: { pod: 'b' }, value: 1, timestampSeconds: 10 },
        { labels: { pod: 'a' }, value: 0, timestampSeconds: 10 },
      ],
    };
    const samples = openMetrics([family]).split('\n').slice(1, -2);
    expect(samples).toEqual(['g{pod="b"} 1 10', 'g{pod="b"} 2 30', 'g{pod="a"} 0 10', 'g{pod="a"} 1 20']);
  });

  it.each([
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [-0.25, '-0.25'],
  ])('renders gauge value %p as %s', (value, rendered) => {
    const text = openMetrics([
      { name: 'g', type: 'gauge', samples: [{ labels: {}, value, timestampSeconds: 5 }] },
    ]);
    expect(text).toContain(`g ${rendered} 5\n`);
  });

  it.each<[string, MetricFamily[], RegExp]>([
    ['a counter named ..._total', [{ name: 'x_total', type: 'counter', samples: [] }], /without "_total"/],
    ['an invalid metric name', [{ name: '1x', type: 'gauge', samples: [] }], /invalid metric name/],
    [
      'a family given twice',
      [
        { name: 'g', type: 'gauge', samples: [] },
        { name: 'g', type: 'gauge', samples: [] },
      ],
      /given twice/,
    ],
    [
      'an invalid label name',
      [{ name: 'g', type: 'gauge', samples: [{ labels: { 'a-b': 'x' }, value: 1, timestampSeconds: 1 }] }],
      /invalid label name/,
    ],
    [
      'a reserved label name',
      [{ name: 'g', type: 'gauge', samples: [{ labels: { __name__: 'x' }, value: 1, timestampSeconds: 1 }] }],
      /invalid label name/,
    ],
    [
      'a negative counter value',
      [{ name: 'c', type: 'counter', samples: [{ labels: {}, value: -1, timestampSeconds: 1 }] }],
      />= 0/,
    ],
    [
      'a NaN counter value',
      [{ name: 'c', type: 'counter', samples: [{ labels: {}, value: NaN, timestampSeconds: 1 }] }],
      />= 0/,
    ],
    [
      'a non-finite timestamp',
      [{ name: 'g', type: 'gauge', samples: [{ labels: {}, value: 1, timestampSeconds: Infinity }] }],
      /not a finite number/,
    ],
    [
      'two samples of one series at the same time',
      [
        {
          name: 'g',
          type: 'gauge',
          samples: [
            { labels: { p: 'a' }, value: 1, timestampSeconds: 1 },
            { labels: { p: 'a' }, value: 2, timestampSeconds: 1 },
          ],
        },
      ],
      /two samples at timestamp 1/,
    ],
  ])('rejects %s', (_name, families, message) => {
    expect(() => openMetrics(families)).toThrow(message);
  });
});

describe('linearCounter', () => {
  it('grows by exactly ratePerSecond per second from start, one sample per step up to `to`', () => {
    const samples = linearCounter({
      ratePerSecond: 3.5,
      from: 1000,
      to: 1050,
      stepSeconds: 15,
      start: 10,
      labels: { pod: 'a' },
    });
    expect(samples).toEqual([
      { labels: { pod: 'a' }, value: 10, timestampSeconds: 1000 },
      { labels: { pod: 'a' }, value: 62.5, timestampSeconds: 1015 },
      { labels: { pod: 'a' }, value: 115, timestampSeconds: 1030 },
      { labels: { pod: 'a' }, value: 167.5, timestampSeconds: 1045 },
    ]);
  });

  it('keeps timestamps exact over a long window (no accumulated float drift)', () => {
    const samples = linearCounter({
      ratePerSecond: 0.1,
      from: 1_700_000_000,
      to: 1_700_003_600,
      stepSeconds: 0.1,
    });
    expect(samples).toHaveLength(36_001);
    expect(samples.at(-1)?.timestampSeconds).toBeCloseTo(1_700_003_600, 6);
  });

  it.each([
    [{ from: 10, to: 5, stepSeconds: 1 }],
    [{ from: 0, to: 5, stepSeconds: 0 }],
    [{ from: 0, to: NaN, stepSeconds: 1 }],
  ])('rejects the window %j', (window) => {
    expect(() => linearCounter({ ratePerSecond: 1, ...window })).toThrow(/invalid series window/);
  });
});

describe('constantGauge', () => {
  it('holds the value at every step', () => {
    const samples = constantGauge({ value: 42, from: 0, to: 30, stepSeconds: 15 });
    expect(samples.map((s) => [s.timestampSeconds, s.value])).toEqual([
      [0, 42],
      [15, 42],
      [30, 42],
    ]);
  });
});

describe('aroundNow', () => {
  it('spans whole seconds from before to after the given time', () => {
    expect(aroundNow(600, 3000, 1_700_000_000_900)).toEqual({ from: 1_699_999_400, to: 1_700_003_000 });
  });
});
