import { afterEach, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { StatusError, metricNotFound, serviceUnavailable } from '../../../src/api/status.js';
import type {
  CustomMetricByNameRequest,
  CustomMetricBySelectorRequest,
} from '../../../src/providers/contract.js';
import { FakeProvider, SAMPLE_TIME, statusBody, testApp } from './fake-provider.js';

const VERSIONS = ['v1beta2', 'v1beta1'] as const;
const prefix = (version: string) => `/apis/custom.metrics.k8s.io/${version}`;

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function start(): FakeProvider {
  const provider = new FakeProvider();
  ({ app } = testApp({ provider }));
  return provider;
}

async function get(url: string) {
  if (app === undefined) throw new Error('start() first');
  return app.inject(url);
}

/** The request without its AbortSignal, which is checked apart. */
function withoutSignal(request: CustomMetricByNameRequest | CustomMetricBySelectorRequest | undefined) {
  if (request === undefined) throw new Error('the provider was not called');
  const { signal, ...rest } = request;
  expect(signal).toBeInstanceOf(AbortSignal);
  return rest;
}

describe('custom metric routes (SPEC 5.2)', () => {
  describe.each(VERSIONS)('%s', (version) => {
    it.each([
      [
        'one namespaced object',
        'namespaces/default/pods/worker-1/counter_qps',
        {
          resource: 'pods',
          namespace: 'default',
          name: 'worker-1',
          metric: 'counter_qps',
          metricSelector: [],
        },
      ],
      [
        'one namespaced object of a grouped, singular resource',
        'namespaces/shop/deployment.apps/web/http_requests',
        {
          resource: 'deployment.apps',
          namespace: 'shop',
          name: 'web',
          metric: 'http_requests',
          metricSelector: [],
        },
      ],
      [
        'one cluster-scoped object (no namespace)',
        'nodes/node-1/node_load',
        { resource: 'nodes', name: 'node-1', metric: 'node_load', metricSelector: [] },
      ],
      [
        'the namespace object itself (resource namespaces, name = namespace, no namespace)',
        'namespaces/default/metrics/queue_length',
        { resource: 'namespaces', name: 'default', metric: 'queue_length', metricSelector: [] },
      ],
      [
        'percent-encoded segments, decoded',
        'namespaces/default/pods/worker%2D1/counter%5Fqps',
        {
          resource: 'pods',
          namespace: 'default',
          name: 'worker-1',
          metric: 'counter_qps',
          metricSelector: [],
        },
      ],
    ])('%s → getMetricByName', async (_what, path, expected) => {
      const provider = start();
      const response = await get(`${prefix(version)}/${path}`);
      expect(response.statusCode).toBe(200);
      expect(provider.bySelectorRequests).toHaveLength(0);
      expect(provider.byNameRequests).toHaveLength(1);
      expect(withoutSignal(provider.byNameRequests[0])).toStrictEqual(expected);
      expect((JSON.parse(response.body) as { items: unknown[] }).items).toHaveLength(1);
    });

    it.each([
      [
        'namespaced `*`',
        'namespaces/default/pods/*/counter_qps',
        {
          resource: 'pods',
          namespace: 'default',
          metric: 'counter_qps',
          metricSelector: [],
          objectSelector: [],
        },
      ],
      [
        'namespaced `%2A`',
        'namespaces/default/pods/%2A/counter_qps',
        {
          resource: 'pods',
          namespace: 'default',
          metric: 'counter_qps',
          metricSelector: [],
          objectSelector: [],
        },
      ],
      [
        'cluster-scoped `*`',
        'nodes/*/node_load',
        { resource: 'nodes', metric: 'node_load', metricSelector: [], objectSelector: [] },
      ],
      [
        'cluster-scoped `%2a`',
        'nodes/%2a/node_load',
        { resource: 'nodes', metric: 'node_load', metricSelector: [], objectSelector: [] },
      ],
    ])('%s → getMetricBySelector', async (_what, path, expected) => {
      const provider = start();
      const response = await get(`${prefix(version)}/${path}`);
      expect(response.statusCode).toBe(200);
      expect(provider.byNameRequests).toHaveLength(0);
      expect(provider.bySelectorRequests).toHaveLength(1);
      expect(withoutSignal(provider.bySelectorRequests[0])).toStrictEqual(expected);
      expect((JSON.parse(response.body) as { items: unknown[] }).items).toHaveLength(2);
    });
  });

  it('answers the v1beta2 MetricValueList exactly as SPEC 5.2 shows it (key order included)', async () => {
    start();
    const response = await get(`${prefix('v1beta2')}/namespaces/default/pods/worker-1/counter_qps`);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toBe(
      '{"kind":"MetricValueList","apiVersion":"custom.metrics.k8s.io/v1beta2","metadata":{},"items":[' +
        '{"describedObject":{"kind":"Pod","namespace":"default","name":"worker-1","apiVersion":"/v1"},' +
        '"metric":{"name":"counter_qps","selector":null},"timestamp":"2026-11-22T10:00:00Z","value":"80500m"}]}',
    );
  });

  it('answers the v1beta1 MetricValueList with metricName and a trailing selector', async () => {
    start();
    const response = await get(`${prefix('v1beta1')}/namespaces/default/pods/worker-1/counter_qps`);
    expect(response.body).toBe(
      '{"kind":"MetricValueList","apiVersion":"custom.metrics.k8s.io/v1beta1","metadata":{},"items":[' +
        '{"describedObject":{"kind":"Pod","namespace":"default","name":"worker-1","apiVersion":"/v1"},' +
        '"metricName":"counter_qps","timestamp":"2026-11-22T10:00:00Z","value":"80500m","selector":null}]}',
    );
  });

  it.each([
    ['v1beta2', '"timestamp":"2026-11-22T10:00:00Z","windowSeconds":60,"value":"1500m"'],
    ['v1beta1', '"timestamp":"2026-11-22T10:00:00Z","window":60,"value":"1500m"'],
  ])('%s carries the window when the provider knows it', async (version, expected) => {
    const provider = start();
    provider.byName = (request) =>
      Promise.resolve({
        describedObject: { kind: 'Deployment', namespace: 'shop', name: request.name, apiVersion: 'apps/v1' },
        metric: request.metric,
        timestamp: SAMPLE_TIME,
        value: 1.5,
        windowSeconds: 60,
      });
    const response = await get(`${prefix(version)}/namespaces/shop/deployments.apps/web/http_requests`);
    expect(response.body).toContain(
      '{"describedObject":{"kind":"Deployment","namespace":"shop","name":"web","apiVersion":"apps/v1"}',
    );
    expect(response.body).toContain(expected);
  });

  it('leaves namespace out of describedObject for cluster-scoped objects', async () => {
    const provider = start();
    provider.byName = (request) =>
      Promise.resolve({
        describedObject: { kind: 'Node', name: request.name, apiVersion: '/v1' },
        metric: request.metric,
        timestamp: SAMPLE_TIME,
        value: 2,
      });
    const response = await get(`${prefix('v1beta2')}/nodes/node-1/node_load`);
    expect(response.body).toContain('"describedObject":{"kind":"Node","name":"node-1","apiVersion":"/v1"}');
  });

  it('parses labelSelector for `*` requests and hands the requirements to the provider', async () => {
    const provider = start();
    const selector = encodeURIComponent('app=worker,tier in (back,front)');
    const response = await get(
      `${prefix('v1beta2')}/namespaces/default/pods/*/counter_qps?labelSelector=${selector}`,
    );
    expect(response.statusCode).toBe(200);
    expect(provider.bySelectorRequests[0]?.objectSelector).toStrictEqual([
      { key: 'app', operator: 'Equals', values: ['worker'] },
      { key: 'tier', operator: 'In', values: ['back', 'front'] },
    ]);
  });

  it('accepts > and < in labelSelector: objects may be selected by them', async () => {
    const provider = start();
    const response = await get(
      `${prefix('v1beta2')}/nodes/*/node_load?labelSelector=${encodeURIComponent('gen>3')}`,
    );
    expect(response.statusCode).toBe(200);
    expect(provider.bySelectorRequests[0]?.objectSelector).toStrictEqual([
      { key: 'gen', operator: 'GreaterThan', values: ['3'] },
    ]);
  });

  it('ignores labelSelector on a request for one object, like Kubernetes', async () => {
    const provider = start();
    const response = await get(
      `${prefix('v1beta2')}/namespaces/default/pods/worker-1/counter_qps?labelSelector=%28%28`,
    );
    expect(response.statusCode).toBe(200);
    expect(provider.byNameRequests).toHaveLength(1);
  });

  it('ignores unknown query parameters, like Kubernetes', async () => {
    const provider = start();
    const response = await get(
      `${prefix('v1beta2')}/namespaces/default/pods/worker-1/counter_qps?pretty=true&x=1`,
    );
    expect(response.statusCode).toBe(200);
    expect(provider.byNameRequests).toHaveLength(1);
  });

  it.each(VERSIONS)(
    'metricLabelSelector reaches the provider and is echoed as a LabelSelector in %s items',
    async (version) => {
      const provider = start();
      const selector = encodeURIComponent('method=GET,status in (500,503)');
      const response = await get(
        `${prefix(version)}/namespaces/default/pods/*/counter_qps?metricLabelSelector=${selector}`,
      );
      expect(response.statusCode).toBe(200);
      expect(provider.bySelectorRequests[0]?.metricSelector).toStrictEqual([
        { key: 'method', operator: 'Equals', values: ['GET'] },
        { key: 'status', operator: 'In', values: ['500', '503'] },
      ]);
      const echoed =
        '{"matchLabels":{"method":"GET"},"matchExpressions":[{"key":"status","operator":"In","values":["500","503"]}]}';
      const inItem =
        version === 'v1beta2'
          ? `"metric":{"name":"counter_qps","selector":${echoed}},"timestamp"`
          : `"value":"80500m","selector":${echoed}}`;
      expect(response.body.split(inItem)).toHaveLength(3);
    },
  );

  it.each([
    ['labelSelector', 'namespaces/default/pods/*/counter_qps', 'app in (a'],
    ['metricLabelSelector', 'namespaces/default/pods/worker-1/counter_qps', 'method in (GET'],
  ])('a malformed %s answers 400 BadRequest naming the parameter', async (param, path, selector) => {
    const provider = start();
    const response = await get(`${prefix('v1beta2')}/${path}?${param}=${encodeURIComponent(selector)}`);
    expect(response.statusCode).toBe(400);
    const body = JSON.parse(response.body) as { kind: string; reason: string; code: number; message: string };
    expect(body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
    const expectedStart = `invalid ${param} ${JSON.stringify(selector)}: `;
    expect(body.message.startsWith(expectedStart)).toBe(true);
    expect(body.message.length).toBeGreaterThan(expectedStart.length);
    expect(provider.byNameRequests.length + provider.bySelectorRequests.length).toBe(0);
  });

  it.each([
    ['>', 'status>499'],
    ['<', 'status<500'],
  ])(
    'metricLabelSelector with %s answers 400: Prometheus matchers cannot compare',
    async (operator, selector) => {
      const provider = start();
      const response = await get(
        `${prefix('v1beta2')}/namespaces/default/pods/*/counter_qps?metricLabelSelector=${encodeURIComponent(selector)}`,
      );
      expect(response.statusCode).toBe(400);
      expect(response.body).toBe(
        statusBody(
          400,
          'BadRequest',
          `invalid metricLabelSelector "${selector}": operator "${operator}" (on label "status") is not supported by ` +
            'Prometheus label matchers; use =, ==, !=, in, notin, <label> or !<label>',
        ),
      );
      expect(provider.bySelectorRequests).toHaveLength(0);
    },
  );

  it('a repeated selector parameter answers 400 BadRequest', async () => {
    start();
    const response = await get(`${prefix('v1beta2')}/nodes/*/node_load?labelSelector=a&labelSelector=b`);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
  });

  it.each([
    [
      'a name holding an encoded "/"',
      'namespaces/default/pods/a%2Fb/counter_qps',
      'the object name "a/b" contains "/"',
    ],
    ['an empty namespace', 'namespaces//pods/worker-1/counter_qps', 'the namespace is empty'],
  ])('%s answers 400 BadRequest', async (_what, path, message) => {
    const provider = start();
    const response = await get(`${prefix('v1beta2')}/${path}`);
    expect(response.statusCode).toBe(400);
    expect(response.body).toBe(statusBody(400, 'BadRequest', `invalid path: ${message}`));
    expect(provider.byNameRequests).toHaveLength(0);
  });

  it('passes a provider 404 StatusError through unchanged', async () => {
    const provider = start();
    provider.byName = (request) => Promise.reject(metricNotFound(request.metric, 'pods', request.name));
    const response = await get(`${prefix('v1beta2')}/namespaces/default/pods/worker-1/nope`);
    expect(response.statusCode).toBe(404);
    expect(response.body).toBe(
      statusBody(404, 'NotFound', 'the server could not find the metric nope for pods worker-1'),
    );
  });

  it('sends a 503 StatusError message but never its cause', async () => {
    const provider = start();
    provider.bySelector = () =>
      Promise.reject(
        serviceUnavailable(
          'Prometheus is unavailable',
          new Error('connect ECONNREFUSED http://prom.internal:9090'),
        ),
      );
    const response = await get(`${prefix('v1beta1')}/namespaces/default/pods/*/counter_qps`);
    expect(response.statusCode).toBe(503);
    expect(response.body).toBe(statusBody(503, 'ServiceUnavailable', 'Prometheus is unavailable'));
  });

  it('turns a plain Error from the provider into 500 with the generic message only', async () => {
    const provider = start();
    provider.byName = () => Promise.reject(new Error('token abc123 rejected by http://prom.internal:9090'));
    const response = await get(`${prefix('v1beta2')}/namespaces/default/pods/worker-1/counter_qps`);
    expect(response.statusCode).toBe(500);
    expect(response.body).toBe(
      statusBody(500, 'InternalError', 'Internal error occurred: see the adapter log'),
    );
  });

  it('turns a provider that throws synchronously into 500 as well', async () => {
    const provider = start();
    provider.byName = () => {
      throw new TypeError('cannot read properties of undefined');
    };
    const response = await get(`${prefix('v1beta2')}/namespaces/default/pods/worker-1/counter_qps`);
    expect(response.statusCode).toBe(500);
    expect(response.body).toBe(
      statusBody(500, 'InternalError', 'Internal error occurred: see the adapter log'),
    );
  });

  it('keeps a StatusError with an unusual code as it is', async () => {
    const provider = start();
    provider.byName = () => Promise.reject(new StatusError(403, 'Forbidden', 'no'));
    const response = await get(`${prefix('v1beta2')}/namespaces/default/pods/worker-1/counter_qps`);
    expect(response.body).toBe(statusBody(403, 'Forbidden', 'no'));
  });
});
