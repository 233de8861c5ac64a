import { afterEach, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { notFound, serviceUnavailable } from '../../../src/api/status.js';
import type {
  NodeMetricsValue,
  PodMetricsValue,
  ResourceMetricsProvider,
} from '../../../src/providers/contract.js';
import { formatCpuQuantity } from '../../../src/server/resource-metrics.js';
import { statusBody, testApp } from './fake-provider.js';

const BASE = '/apis/metrics.k8s.io/v1beta1';
const SAMPLE_TIME = new Date('2026-11-22T10:00:00.750Z');

const POD: PodMetricsValue = {
  namespace: 'default',
  name: 'web-1',
  labels: { app: 'web', 'pod-template-hash': '6b8f7c9d4' },
  timestamp: SAMPLE_TIME,
  windowSeconds: 300,
  containers: [
    { name: 'app', usage: { cpu: 0.25, memory: 268435456 } },
    { name: 'sidecar', usage: { cpu: 0.000012345678, memory: 1536 } },
  ],
};
const BARE_POD: PodMetricsValue = {
  namespace: 'kube-system',
  name: 'coredns-1',
  labels: {},
  timestamp: SAMPLE_TIME,
  windowSeconds: 90.5,
  containers: [{ name: 'coredns', usage: { cpu: 0.0021, memory: 15704064 } }],
};
const NODE: NodeMetricsValue = {
  name: 'node-a',
  labels: { 'kubernetes.io/hostname': 'node-a' },
  timestamp: SAMPLE_TIME,
  windowSeconds: 300,
  usage: { cpu: 1.5, memory: 8589934592 },
};

type PodRequest = Parameters<ResourceMetricsProvider['getPodMetrics']>[0];
type NodeRequest = Parameters<ResourceMetricsProvider['getNodeMetrics']>[0];

class FakeResourceProvider implements ResourceMetricsProvider {
  readonly podRequests: Array<Omit<PodRequest, 'signal'>> = [];
  readonly nodeRequests: Array<Omit<NodeRequest, 'signal'>> = [];
  pods: (request: PodRequest) => Promise<PodMetricsValue[]> = () => Promise.resolve([POD, BARE_POD]);
  nodes: (request: NodeRequest) => Promise<NodeMetricsValue[]> = () => Promise.resolve([NODE]);

  getPodMetrics(request: PodRequest): Promise<PodMetricsValue[]> {
    const { signal, ...rest } = request;
    expect(signal).toBeInstanceOf(AbortSignal);
    this.podRequests.push(rest);
    return this.pods(request);
  }

  getNodeMetrics(request: NodeRequest): Promise<NodeMetricsValue[]> {
    const { signal, ...rest } = request;
    expect(signal).toBeInstanceOf(AbortSignal);
    this.nodeRequests.push(rest);
    return this.nodes(request);
  }
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function start(): FakeResourceProvider {
  const resourceMetrics = new FakeResourceProvider();
  ({ app } = testApp({ resourceMetrics }));
  return resourceMetrics;
}

const CREATED = '"creationTimestamp":"<now>"';

/**
 * GETs `url` and returns the raw body with every creationTimestamp replaced by `<now>`, after checking that each
 * one is the time of the request in whole seconds (metrics-server stamps objects with the time they are served).
 */
async function get(url: string): Promise<{ status: number; body: string; contentType: unknown }> {
  if (app === undefined) throw new Error('start() first');
  const before = Math.floor(Date.now() / 1000) * 1000;
  const res = await app.inject(url);
  const after = Date.now();
  const body = res.body.replace(/"creationTimestamp":"([^"]+)"/g, (_m, stamp: string) => {
    expect(stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const time = Date.parse(stamp);
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(after);
    return CREATED;
  });
  return { status: res.statusCode, body, contentType: res.headers['content-type'] };
}

const WEB_1_ITEM =
  `{"metadata":{"name":"web-1","namespace":"default",${CREATED},"labels":{"app":"web","pod-template-hash":"6b8f7c9d4"}},` +
  '"timestamp":"2026-11-22T10:00:00Z","window":"5m0s","containers":[' +
  '{"name":"app","usage":{"cpu":"250m","memory":"256Mi"}},' +
  '{"name":"sidecar","usage":{"cpu":"12346n","memory":"1536"}}]}';
const COREDNS_ITEM =
  `{"metadata":{"name":"coredns-1","namespace":"kube-system",${CREATED}},` +
  '"timestamp":"2026-11-22T10:00:00Z","window":"1m30.5s","containers":[' +
  '{"name":"coredns","usage":{"cpu":"2100u","memory":"15336Ki"}}]}';
const NODE_ITEM =
  `{"metadata":{"name":"node-a",${CREATED},"labels":{"kubernetes.io/hostname":"node-a"}},` +
  '"timestamp":"2026-11-22T10:00:00Z","window":"5m0s","usage":{"cpu":"1500m","memory":"8Gi"}}';

describe('metrics.k8s.io/v1beta1 routes: metrics-server JSON (SPEC 5.4)', () => {
  it('GET pods of a namespace: a PodMetricsList, items without kind, CPU DecimalSI and memory BinarySI', async () => {
    const provider = start();
    const res = await get(`${BASE}/namespaces/default/pods`);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('application/json; charset=utf-8');
    expect(res.body).toBe(
      `{"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":[${WEB_1_ITEM},${COREDNS_ITEM}]}`,
    );
    expect(provider.podRequests).toEqual([{ namespace: 'default', selector: [] }]);
  });

  it('GET pods of every namespace asks the provider without a namespace', async () => {
    const provider = start();
    const res = await get(`${BASE}/pods`);
    expect(res.status).toBe(200);
    expect(provider.podRequests).toEqual([{ selector: [] }]);
  });

  it('GET one pod: the PodMetrics object itself', async () => {
    const provider = start();
    provider.pods = () => Promise.resolve([POD]);
    const res = await get(`${BASE}/namespaces/default/pods/web-1`);
    expect(res.status).toBe(200);
    expect(res.body).toBe(
      `{"kind":"PodMetrics","apiVersion":"metrics.k8s.io/v1beta1",${WEB_1_ITEM.slice(1)}`,
    );
    expect(provider.podRequests).toEqual([{ namespace: 'default', name: 'web-1', selector: [] }]);
  });

  it('GET nodes: a NodeMetricsList with usage directly on each item', async () => {
    start();
    const res = await get(`${BASE}/nodes`);
    expect(res.status).toBe(200);
    expect(res.body).toBe(
      `{"kind":"NodeMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":[${NODE_ITEM}]}`,
    );
  });

  it('GET one node: the NodeMetrics object itself', async () => {
    const provider = start();
    const res = await get(`${BASE}/nodes/node-a`);
    expect(res.status).toBe(200);
    expect(res.body).toBe(
      `{"kind":"NodeMetrics","apiVersion":"metrics.k8s.io/v1beta1",${NODE_ITEM.slice(1)}`,
    );
    expect(provider.nodeRequests).toEqual([{ name: 'node-a', selector: [] }]);
  });

  it('an empty list is a 200 with no items (metrics-server answers so when nothing is selected)', async () => {
    const provider = start();
    provider.pods = () => Promise.resolve([]);
    const res = await get(`${BASE}/namespaces/empty/pods`);
    expect(res.status).toBe(200);
    expect(res.body).toBe(
      '{"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":[]}',
    );
  });
});

describe('metrics.k8s.io/v1beta1 request parameters', () => {
  it.each<[path: string, pods: boolean]>([
    ['pods', true],
    ['namespaces/default/pods', true],
    ['nodes', false],
  ])('passes the parsed labelSelector of %s to the provider', async (path, pods) => {
    const provider = start();
    const res = await get(`${BASE}/${path}?labelSelector=${encodeURIComponent('app=web,tier in (a,b)')}`);
    expect(res.status).toBe(200);
    const request = pods ? provider.podRequests[0] : provider.nodeRequests[0];
    expect(request?.selector).toEqual([
      { key: 'app', operator: 'Equals', values: ['web'] },
      { key: 'tier', operator: 'In', values: ['a', 'b'] },
    ]);
  });

  it('answers 400 with a Status for a malformed labelSelector', async () => {
    const provider = start();
    const res = await get(`${BASE}/pods?labelSelector=${encodeURIComponent('app in (')}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    expect((JSON.parse(res.body) as { message: string }).message).toMatch(
      /^invalid labelSelector "app in \("/,
    );
    expect(provider.podRequests).toEqual([]);
  });

  it('refuses a fieldSelector with 400 rather than ignoring it', async () => {
    start();
    const res = await get(`${BASE}/pods?fieldSelector=${encodeURIComponent('metadata.name=web-1')}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ reason: 'BadRequest', code: 400 });
  });

  it('decodes an encoded path segment', async () => {
    const provider = start();
    await get(`${BASE}/namespaces/default/pods/web%2D1`);
    expect(provider.podRequests).toEqual([{ namespace: 'default', name: 'web-1', selector: [] }]);
  });

  it('answers 405 to other methods', async () => {
    start();
    const res = await app!.inject({ method: 'POST', url: `${BASE}/pods` });
    expect(res.statusCode).toBe(405);
  });
});

describe('metrics.k8s.io/v1beta1 errors are Status bodies (SPEC 5.5)', () => {
  it('passes the provider 404 through', async () => {
    const provider = start();
    provider.pods = () => Promise.reject(notFound('podmetrics.metrics.k8s.io "default/x" not found'));
    const res = await get(`${BASE}/namespaces/default/pods/x`);
    expect(res.status).toBe(404);
    expect(res.body).toBe(statusBody(404, 'NotFound', 'podmetrics.metrics.k8s.io "default/x" not found'));
  });

  it('answers 404 when the provider returns no value for the named node', async () => {
    const provider = start();
    provider.nodes = () => Promise.resolve([]);
    const res = await get(`${BASE}/nodes/node-z`);
    expect(res.body).toBe(statusBody(404, 'NotFound', 'nodemetrics.metrics.k8s.io "node-z" not found'));
  });

  it('passes a 503 through with its short message', async () => {
    const provider = start();
    provider.nodes = () =>
      Promise.reject(
        serviceUnavailable('unable to fetch the metric node cpu from Prometheus', new Error('x')),
      );
    const res = await get(`${BASE}/nodes`);
    expect(res.status).toBe(503);
    expect(res.body).toBe(
      statusBody(503, 'ServiceUnavailable', 'unable to fetch the metric node cpu from Prometheus'),
    );
  });

  it('serves no metrics.k8s.io route without a resource metrics provider', async () => {
    ({ app } = testApp());
    const res = await get(`${BASE}/pods`);
    expect(res.status).toBe(404);
  });
});

describe('formatCpuQuantity: cores as metrics-server renders nano-cores (SPEC 6)', () => {
  it.each<[cores: number, text: string]>([
    [0, '0'],
    [0.25, '250m'],
    [1, '1'],
    [2.5, '2500m'],
    [3.4999999999999996, '3500m'],
    [0.012345678, '12345678n'],
    [0.012345, '12345u'],
    [0.0000123456789, '12346n'],
    [0.0000000004, '0'],
    [0.0000000005, '1n'],
    [1.000000001, '1000000001n'],
    [1000, '1k'],
    [-0.25, '-250m'],
    [-0.000001, '-1u'],
    [Number.NaN, '0'],
    [Number.POSITIVE_INFINITY, '9223372036854775807m'],
    [1e7, '10M'],
  ])('%p cores → %s', (cores, text) => {
    expect(formatCpuQuantity(cores)).toBe(text);
  });
});
