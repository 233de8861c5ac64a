import { afterEach, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { metricNotFound, serviceUnavailable } from '../../../src/api/status.js';
import type {
  ExternalMetricInfo,
  ExternalMetricRequest,
  ExternalMetricValue,
  ExternalMetricsProvider,
} from '../../../src/providers/contract.js';
import { statusBody, testApp } from './fake-provider.js';

const BASE = '/apis/external.metrics.k8s.io/v1beta1';
const SAMPLE_TIME = new Date('2026-11-22T10:00:00.750Z');

/** An ExternalMetricsProvider that records requests and answers from a test-supplied function. */
class FakeExternalProvider implements ExternalMetricsProvider {
  metrics: readonly ExternalMetricInfo[] = [];
  readonly requests: ExternalMetricRequest[] = [];
  answer: (request: ExternalMetricRequest) => Promise<ExternalMetricValue[]> = (request) =>
    Promise.resolve([
      {
        metricName: request.metric,
        metricLabels: { namespace: request.namespace, queue: 'orders' },
        timestamp: SAMPLE_TIME,
        value: 120,
      },
    ]);

  listAllExternalMetrics(): readonly ExternalMetricInfo[] {
    return this.metrics;
  }

  getExternalMetric(request: ExternalMetricRequest): Promise<ExternalMetricValue[]> {
    this.requests.push(request);
    return this.answer(request);
  }
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function start(): FakeExternalProvider {
  const external = new FakeExternalProvider();
  ({ app } = testApp({ externalMetrics: external }));
  return external;
}

async function get(url: string, method: 'GET' | 'POST' = 'GET') {
  if (app === undefined) throw new Error('start() first');
  return app.inject({ method, url });
}

const valueAt = (value: number, metricLabels: Record<string, string> = {}): ExternalMetricValue => ({
  metricName: 'queue_messages_ready',
  metricLabels,
  timestamp: SAMPLE_TIME,
  value,
});

describe('external metric route (SPEC 5.3)', () => {
  it('answers an ExternalMetricValueList with the wire shape and key order client-go decodes', async () => {
    start();
    const response = await get(`${BASE}/namespaces/default/queue_messages_ready`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toBe(
      JSON.stringify({
        kind: 'ExternalMetricValueList',
        apiVersion: 'external.metrics.k8s.io/v1beta1',
        metadata: {},
        items: [
          {
            metricName: 'queue_messages_ready',
            metricLabels: { namespace: 'default', queue: 'orders' },
            timestamp: '2026-11-22T10:00:00Z',
            value: '120',
          },
        ],
      }),
    );
  });

  it.each<[what: string, url: string, expected: Omit<ExternalMetricRequest, 'signal'>]>([
    [
      'no labelSelector',
      'namespaces/default/queue_messages_ready',
      { namespace: 'default', metric: 'queue_messages_ready', metricSelector: [] },
    ],
    [
      'a labelSelector, parsed',
      `namespaces/shop/queue_messages_ready?labelSelector=${encodeURIComponent('queue in (orders,payments),vhost!=test')}`,
      {
        namespace: 'shop',
        metric: 'queue_messages_ready',
        metricSelector: [
          { key: 'queue', operator: 'In', values: ['orders', 'payments'] },
          { key: 'vhost', operator: 'NotEquals', values: ['test'] },
        ],
      },
    ],
    [
      'percent-encoded segments, decoded',
      'namespaces/team%2Da/queue%5Fmessages%5Fready',
      { namespace: 'team-a', metric: 'queue_messages_ready', metricSelector: [] },
    ],
  ])('hands the provider the request: %s', async (_what, url, expected) => {
    const provider = start();
    const response = await get(`${BASE}/${url}`);
    expect(response.statusCode).toBe(200);
    expect(provider.requests).toHaveLength(1);
    const { signal, ...rest } = provider.requests[0]!;
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(rest).toEqual(expected);
  });

  it.each<[what: string, value: number, rendered: string]>([
    ['NaN as 0 (upstream: -9223372036854775808m)', NaN, '0'],
    ['+Inf clamped to the largest milli value', Infinity, '9223372036854775807m'],
    ['-Inf clamped with its sign', -Infinity, '-9223372036854775807m'],
    ['1e20 clamped', 1e20, '9223372036854775807m'],
    ['-1e20 clamped', -1e20, '-9223372036854775807m'],
    ['a rate of 3.5/s rounded to the nearest milli', 3.4999999999999996, '3500m'],
    ['a fraction in milli-units', 0.25, '250m'],
    ['a large integer with an SI suffix', 2.5e9, '2500M'],
  ])('renders %s (SPEC 6)', async (_what, value, rendered) => {
    const provider = start();
    provider.answer = () => Promise.resolve([valueAt(value)]);
    const response = await get(`${BASE}/namespaces/default/queue_messages_ready`);
    expect(response.statusCode).toBe(200);
    expect((JSON.parse(response.body) as { items: Array<{ value: string }> }).items[0]?.value).toBe(rendered);
  });

  it('renders a scalar result (no labels) with metricLabels {} and several samples in provider order', async () => {
    const provider = start();
    provider.answer = () =>
      Promise.resolve([valueAt(1, {}), valueAt(2, { queue: 'b' }), valueAt(3, { queue: 'a' })]);
    const response = await get(`${BASE}/namespaces/default/queue_messages_ready`);
    const items = (JSON.parse(response.body) as { items: Array<Record<string, unknown>> }).items;
    expect(items.map((i) => [i.metricLabels, i.value])).toEqual([
      [{}, '1'],
      [{ queue: 'b' }, '2'],
      [{ queue: 'a' }, '3'],
    ]);
  });

  it('answers no samples with 200 and an empty list', async () => {
    const provider = start();
    provider.answer = () => Promise.resolve([]);
    const response = await get(`${BASE}/namespaces/default/queue_messages_ready`);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      kind: 'ExternalMetricValueList',
      apiVersion: 'external.metrics.k8s.io/v1beta1',
      metadata: {},
      items: [],
    });
  });
});

describe('external metric errors are Status bodies (SPEC 5.5)', () => {
  it.each<[what: string, selector: string, message: RegExp]>([
    ['">"', 'size>3', /^invalid labelSelector "size>3": operator ">" \(on label "size"\) is not supported/],
    ['"<"', 'size<3', /^invalid labelSelector "size<3": operator "<" \(on label "size"\) is not supported/],
    ['a malformed selector', 'queue in (', /^invalid labelSelector "queue in \("/],
  ])('answers 400 for %s without calling the provider', async (_what, selector, message) => {
    const provider = start();
    const response = await get(
      `${BASE}/namespaces/default/queue_messages_ready?labelSelector=${encodeURIComponent(selector)}`,
    );
    expect(response.statusCode).toBe(400);
    const body = JSON.parse(response.body) as { reason: string; message: string };
    expect(body.reason).toBe('BadRequest');
    expect(body.message).toMatch(message);
    expect(provider.requests).toEqual([]);
  });

  it('answers the provider 404 as a Status', async () => {
    const provider = start();
    provider.answer = (request) =>
      Promise.reject(metricNotFound(request.metric, 'namespaces', request.namespace));
    const response = await get(`${BASE}/namespaces/default/nope`);
    expect(response.statusCode).toBe(404);
    expect(response.body).toBe(
      statusBody(404, 'NotFound', 'the server could not find the metric nope for namespaces default'),
    );
  });

  it('answers a provider 503 as a Status with its short message', async () => {
    const provider = start();
    provider.answer = () =>
      Promise.reject(serviceUnavailable('unable to fetch the metric queue_messages_ready from Prometheus'));
    const response = await get(`${BASE}/namespaces/default/queue_messages_ready`);
    expect(response.statusCode).toBe(503);
    expect(response.body).toBe(
      statusBody(
        503,
        'ServiceUnavailable',
        'unable to fetch the metric queue_messages_ready from Prometheus',
      ),
    );
  });

  it('answers 400 for a segment holding "/" (%2F)', async () => {
    const provider = start();
    const response = await get(`${BASE}/namespaces/default/queue%2Fready`);
    expect(response.statusCode).toBe(400);
    expect(provider.requests).toEqual([]);
  });

  it('does not serve the cluster-scoped form (upstream has only the namespaced one)', async () => {
    const provider = start();
    const response = await get(`${BASE}/queue_messages_ready`);
    expect(response.statusCode).toBe(404);
    expect(response.body).toBe(
      statusBody(404, 'NotFound', 'the server could not find the requested resource'),
    );
    expect(provider.requests).toEqual([]);
  });

  it('answers 405 for other methods', async () => {
    start();
    const response = await get(`${BASE}/namespaces/default/queue_messages_ready`, 'POST');
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD');
  });

  it('has no external route without an external provider', async () => {
    ({ app } = testApp());
    const response = await get(`${BASE}/namespaces/default/queue_messages_ready`);
    expect(response.statusCode).toBe(404);
  });
});
