import { describe, expect, it } from '@jest/globals';
import { StatusError } from '../../../src/api/status.js';
import { parseMetricSelector, parseObjectSelector, pathSegment } from '../../../src/server/request-params.js';

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (error) {
    if (error instanceof StatusError) return error;
    throw error;
  }
  throw new Error('expected a StatusError');
}

describe('pathSegment', () => {
  it('returns an ordinary segment unchanged', () => {
    expect(pathSegment('object name', 'worker-1')).toBe('worker-1');
  });

  it.each([
    ['', 'invalid path: the metric name is empty'],
    ['a/b', 'invalid path: the metric name "a/b" contains "/"'],
  ])('rejects %p with 400', (value, message) => {
    const status = statusOf(() => pathSegment('metric name', value));
    expect(status.code).toBe(400);
    expect(status.message).toBe(message);
  });
});

describe('selector query parameters', () => {
  it.each([undefined, ''])('an absent or empty selector (%p) is the empty selector', (text) => {
    expect(parseObjectSelector(text)).toEqual([]);
    expect(parseMetricSelector(text)).toEqual([]);
  });

  it('labelSelector keeps > and < (Kubernetes object selectors support them)', () => {
    expect(parseObjectSelector('gen>3')).toEqual([{ key: 'gen', operator: 'GreaterThan', values: ['3'] }]);
  });

  it.each([
    ['status>499', '>'],
    ['a=b,status<500', '<'],
  ])('metricLabelSelector %s is rejected: "%s" is not supported by Prometheus', (text, operator) => {
    const status = statusOf(() => parseMetricSelector(text));
    expect(status.code).toBe(400);
    expect(status.reason).toBe('BadRequest');
    expect(status.message).toContain(
      `operator "${operator}" (on label "status") is not supported by Prometheus`,
    );
  });

  it.each([
    ['labelSelector', parseObjectSelector],
    ['metricLabelSelector', parseMetricSelector],
  ])('a malformed %s is 400 naming the parameter, with the parser error as cause', (param, parse) => {
    const status = statusOf(() => parse('a in (b'));
    expect(status.code).toBe(400);
    expect(status.message.startsWith(`invalid ${param} "a in (b": `)).toBe(true);
    expect(status.cause).toBeInstanceOf(Error);
  });
});
