import { describe, expect, it } from '@jest/globals';
import { createNamer, describeNameVerdict, type NamerConfig } from '../../../src/rules/namer.js';

describe('Namer.explain: the metric name of a series, or why there is none', () => {
  const cases: Array<[string, NamerConfig, string, string]> = [
    ['named', { filters: [], matches: '^(.*)_total$' }, 'http_total', 'named http'],
    [
      'an is filter',
      { filters: [{ isNot: '^go_' }, { is: '_total$' }] },
      'http',
      'name does not match seriesFilters[1].is "_total$"',
    ],
    [
      'an isNot filter',
      { filters: [{ isNot: '^go_' }] },
      'go_gc',
      'name matches seriesFilters[0].isNot "^go_"',
    ],
    [
      'name.matches',
      { filters: [], matches: '^(.*)_total$' },
      'http',
      'name does not match name.matches "^(.*)_total$"',
    ],
    [
      'name.as',
      { filters: [], matches: '^(.*)_total$', as: '$1_x' },
      'http_total',
      'name.as "$1_x" expands to an empty metric name',
    ],
  ];
  it.each(cases)('%s', (_, config, series, reason) => {
    const namer = createNamer(config);
    expect(describeNameVerdict(namer.explain(series))).toBe(reason);
  });

  it.each(cases)('agrees with metricNameFor (%s)', (_, config, series) => {
    const namer = createNamer(config);
    const verdict = namer.explain(series);
    const name = namer.metricNameFor(series);
    if (verdict.kind === 'named') expect(name).toBe(verdict.metric);
    else expect(name === undefined || name === '').toBe(true);
  });
});
