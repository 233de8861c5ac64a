import { afterEach, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import {
  NO_METRICS_PLACEHOLDER_METRIC,
  NO_METRICS_PLACEHOLDER_RESOURCE,
} from '../../../src/server/discovery.js';
import { metricNotFound } from '../../../src/api/status.js';
import type {
  CustomMetricInfo,
  ExternalMetricInfo,
  ExternalMetricsProvider,
  ResourceMetricsProvider,
} from '../../../src/providers/contract.js';
import { statusBody, testApp } from './fake-provider.js';

const GROUP = 'custom.metrics.k8s.io';

const METRICS: CustomMetricInfo[] = [
  { groupResource: { group: '', resource: 'pods' }, metric: 'counter_qps', namespaced: true },
  { groupResource: { group: 'apps', resource: 'deployments' }, metric: 'counter_qps', namespaced: true },
  { groupResource: { group: '', resource: 'nodes' }, metric: 'node_load', namespaced: false },
  { groupResource: { group: '', resource: 'namespaces' }, metric: 'counter_qps', namespaced: false },
];

function entry(name: string, namespaced: boolean): object {
  return { name, singularName: '', namespaced, kind: 'MetricValueList', verbs: ['get'] };
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('discovery (SPEC 5.1)', () => {
  it('GET /apis lists custom.metrics.k8s.io with v1beta2 preferred and v1beta1 also listed', async () => {
    ({ app } = testApp());
    const response = await app.inject('/apis');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toBe(
      JSON.stringify({
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [
          {
            name: GROUP,
            versions: [
              { groupVersion: `${GROUP}/v1beta2`, version: 'v1beta2' },
              { groupVersion: `${GROUP}/v1beta1`, version: 'v1beta1' },
            ],
            preferredVersion: { groupVersion: `${GROUP}/v1beta2`, version: 'v1beta2' },
          },
        ],
      }),
    );
  });

  it('GET /apis/custom.metrics.k8s.io answers the APIGroup', async () => {
    ({ app } = testApp());
    const response = await app.inject(`/apis/${GROUP}`);
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(
      JSON.stringify({
        kind: 'APIGroup',
        apiVersion: 'v1',
        name: GROUP,
        versions: [
          { groupVersion: `${GROUP}/v1beta2`, version: 'v1beta2' },
          { groupVersion: `${GROUP}/v1beta1`, version: 'v1beta1' },
        ],
        preferredVersion: { groupVersion: `${GROUP}/v1beta2`, version: 'v1beta2' },
      }),
    );
  });

  it.each(['v1beta2', 'v1beta1'])(
    'GET /apis/custom.metrics.k8s.io/%s lists <resource>[.<group>]/<metric> entries sorted by name',
    async (version) => {
      let provider;
      ({ app, provider } = testApp());
      provider.metrics = METRICS;
      const response = await app.inject(`/apis/${GROUP}/${version}`);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toBe(
        JSON.stringify({
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion: `${GROUP}/${version}`,
          resources: [
            entry('deployments.apps/counter_qps', true),
            entry('namespaces/counter_qps', false),
            entry('nodes/node_load', false),
            entry('pods/counter_qps', true),
          ],
        }),
      );
    },
  );

  it.each(['v1beta2', 'v1beta1'])(
    'an empty %s resource list is never served: one placeholder entry',
    async (version) => {
      ({ app } = testApp());
      const response = await app.inject(`/apis/${GROUP}/${version}`);
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body)).toEqual({
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: `${GROUP}/${version}`,
        resources: [entry(`namespaces/${NO_METRICS_PLACEHOLDER_METRIC}`, false)],
      });
      expect(NO_METRICS_PLACEHOLDER_RESOURCE).toBe(`namespaces/${NO_METRICS_PLACEHOLDER_METRIC}`);
    },
  );

  it('the placeholder metric falls through to the provider and its 404', async () => {
    let provider;
    ({ app, provider } = testApp());
    provider.byName = (request) => Promise.reject(metricNotFound(request.metric, 'namespaces', request.name));
    const response = await app.inject(
      `/apis/${GROUP}/v1beta2/namespaces/default/metrics/${NO_METRICS_PLACEHOLDER_METRIC}`,
    );
    expect(response.statusCode).toBe(404);
    expect(provider.byNameRequests).toHaveLength(1);
    expect(response.body).toBe(
      statusBody(
        404,
        'NotFound',
        `the server could not find the metric ${NO_METRICS_PLACEHOLDER_METRIC} for namespaces default`,
      ),
    );
  });

  it('caches the serialized list per provider array: same array, same body; a new array is re-serialized', async () => {
    let provider;
    ({ app, provider } = testApp());
    const metrics = [...METRICS];
    provider.metrics = metrics;
    const first = await app.inject(`/apis/${GROUP}/v1beta2`);
    metrics.pop();
    const sameArray = await app.inject(`/apis/${GROUP}/v1beta2`);
    expect(sameArray.body).toBe(first.body);
    provider.metrics = [...metrics];
    const newArray = await app.inject(`/apis/${GROUP}/v1beta2`);
    expect(newArray.body).not.toBe(first.body);
    expect(newArray.body).not.toContain('"namespaces/counter_qps"');
    expect(provider.listCalls).toBe(3);
  });

  it('answers 50 000 metrics well within the aggregator 5 s budget, sorted', async () => {
    let provider;
    ({ app, provider } = testApp());
    provider.metrics = Array.from({ length: 50_000 }, (_, i) => ({
      groupResource: { group: '', resource: 'pods' },
      metric: `metric_${String(49_999 - i).padStart(5, '0')}`,
      namespaced: true,
    }));
    const started = performance.now();
    const response = await app.inject(`/apis/${GROUP}/v1beta2`);
    const elapsed = performance.now() - started;
    const again = performance.now();
    await app.inject(`/apis/${GROUP}/v1beta1`);
    await app.inject(`/apis/${GROUP}/v1beta2`);
    const cachedElapsed = performance.now() - again;
    const body = JSON.parse(response.body) as { resources: { name: string }[] };
    expect(body.resources).toHaveLength(50_000);
    expect(body.resources[0]?.name).toBe('pods/metric_00000');
    expect(body.resources[49_999]?.name).toBe('pods/metric_49999');
    expect(elapsed).toBeLessThan(1500);
    expect(cachedElapsed).toBeLessThan(1000);
  });

  it.each(['/openapi/v2', '/openapi/v3'])('GET %s answers 404 Status', async (url) => {
    ({ app } = testApp());
    const response = await app.inject(url);
    expect(response.statusCode).toBe(404);
    expect(response.body).toBe(
      statusBody(404, 'NotFound', 'the server could not find the requested resource'),
    );
  });
});

/** Only the discovery side of an external provider: listAllExternalMetrics, counted. */
class ExternalListing implements ExternalMetricsProvider {
  metrics: readonly ExternalMetricInfo[] = [];
  listCalls = 0;
  listAllExternalMetrics(): readonly ExternalMetricInfo[] {
    this.listCalls += 1;
    return this.metrics;
  }
  getExternalMetric(request: { metric: string; namespace: string }): Promise<never> {
    return Promise.reject(metricNotFound(request.metric, 'namespaces', request.namespace));
  }
}

/** Resource metrics are only listed in discovery here; the provider is never called. */
const RESOURCE_PROVIDER: ResourceMetricsProvider = {
  getPodMetrics: () => Promise.reject(new Error('not used')),
  getNodeMetrics: () => Promise.reject(new Error('not used')),
};

const EXTERNAL = 'external.metrics.k8s.io';
const RESOURCE = 'metrics.k8s.io';
const single = (group: string, version: string) => ({
  name: group,
  versions: [{ groupVersion: `${group}/${version}`, version }],
  preferredVersion: { groupVersion: `${group}/${version}`, version },
});
const externalEntry = (name: string) => ({
  name,
  singularName: '',
  namespaced: true,
  kind: 'ExternalMetricValueList',
  verbs: ['get'],
});

describe('discovery of external.metrics.k8s.io and metrics.k8s.io (SPEC 5.1)', () => {
  it.each<[what: string, external: boolean, resource: boolean, groups: string[]]>([
    ['custom only', false, false, [GROUP]],
    ['with an external provider', true, false, [GROUP, EXTERNAL]],
    ['with a resource provider', false, true, [GROUP, RESOURCE]],
    ['with both', true, true, [GROUP, EXTERNAL, RESOURCE]],
  ])('GET /apis lists the groups served: %s', async (_what, external, resource, groups) => {
    ({ app } = testApp({
      ...(external ? { externalMetrics: new ExternalListing() } : {}),
      ...(resource ? { resourceMetrics: RESOURCE_PROVIDER } : {}),
    }));
    const response = await app.inject('/apis');
    const body = JSON.parse(response.body) as { groups: Array<{ name: string }> };
    expect(body.groups.map((g) => g.name)).toEqual(groups);
    if (external) expect(body.groups[1]).toEqual(single(EXTERNAL, 'v1beta1'));
    if (resource) expect(body.groups.at(-1)).toEqual(single(RESOURCE, 'v1beta1'));
  });

  it.each([
    [EXTERNAL, 'external'],
    [RESOURCE, 'resource'],
  ])('GET /apis/%s answers its APIGroup, v1beta1 preferred', async (group, which) => {
    ({ app } = testApp(
      which === 'external'
        ? { externalMetrics: new ExternalListing() }
        : { resourceMetrics: RESOURCE_PROVIDER },
    ));
    const response = await app.inject(`/apis/${group}`);
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(
      JSON.stringify({ kind: 'APIGroup', apiVersion: 'v1', ...single(group, 'v1beta1') }),
    );
  });

  it.each([
    `/apis/${EXTERNAL}`,
    `/apis/${EXTERNAL}/v1beta1`,
    `/apis/${RESOURCE}`,
    `/apis/${RESOURCE}/v1beta1`,
  ])('%s is not served without its provider', async (url) => {
    ({ app } = testApp());
    expect((await app.inject(url)).statusCode).toBe(404);
  });

  it('GET /apis/external.metrics.k8s.io/v1beta1 lists each metric, namespaced, sorted by name', async () => {
    const external = new ExternalListing();
    external.metrics = [{ metric: 'queue_messages_ready' }, { metric: 'consumer_utilisation' }];
    ({ app } = testApp({ externalMetrics: external }));
    const response = await app.inject(`/apis/${EXTERNAL}/v1beta1`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toBe(
      JSON.stringify({
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: `${EXTERNAL}/v1beta1`,
        resources: [externalEntry('consumer_utilisation'), externalEntry('queue_messages_ready')],
      }),
    );
  });

  it('an empty external resource list is never served: one placeholder, whose requests answer 404', async () => {
    ({ app } = testApp({ externalMetrics: new ExternalListing() }));
    const response = await app.inject(`/apis/${EXTERNAL}/v1beta1`);
    expect((JSON.parse(response.body) as { resources: unknown[] }).resources).toEqual([
      externalEntry(NO_METRICS_PLACEHOLDER_METRIC),
    ]);
    const value = await app.inject(
      `/apis/${EXTERNAL}/v1beta1/namespaces/default/${NO_METRICS_PLACEHOLDER_METRIC}`,
    );
    expect(value.statusCode).toBe(404);
  });

  it('caches the external list per provider array: same array, same body; a new array is re-serialized', async () => {
    const external = new ExternalListing();
    const metrics = [{ metric: 'b' }, { metric: 'a' }];
    external.metrics = metrics;
    ({ app } = testApp({ externalMetrics: external }));
    const first = await app.inject(`/apis/${EXTERNAL}/v1beta1`);
    metrics.pop();
    const sameArray = await app.inject(`/apis/${EXTERNAL}/v1beta1`);
    expect(sameArray.body).toBe(first.body);
    external.metrics = [...metrics];
    const newArray = await app.inject(`/apis/${EXTERNAL}/v1beta1`);
    expect(
      (JSON.parse(newArray.body) as { resources: Array<{ name: string }> }).resources.map((r) => r.name),
    ).toEqual(['b']);
    expect(external.listCalls).toBe(3);
  });

  it('answers 50 000 external metrics well within the aggregator 5 s budget, sorted', async () => {
    const external = new ExternalListing();
    external.metrics = Array.from({ length: 50_000 }, (_, i) => ({
      metric: `metric_${String(49_999 - i).padStart(5, '0')}`,
    }));
    ({ app } = testApp({ externalMetrics: external }));
    const started = performance.now();
    const response = await app.inject(`/apis/${EXTERNAL}/v1beta1`);
    const elapsed = performance.now() - started;
    const body = JSON.parse(response.body) as { resources: { name: string }[] };
    expect(body.resources).toHaveLength(50_000);
    expect(body.resources[0]?.name).toBe('metric_00000');
    expect(body.resources[49_999]?.name).toBe('metric_49999');
    expect(elapsed).toBeLessThan(1500);
  });

  it('GET /apis/metrics.k8s.io/v1beta1 is the APIResourceList metrics-server serves', async () => {
    ({ app } = testApp({ resourceMetrics: RESOURCE_PROVIDER }));
    const response = await app.inject(`/apis/${RESOURCE}/v1beta1`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toBe(
      JSON.stringify({
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: 'metrics.k8s.io/v1beta1',
        resources: [
          { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
          { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
        ],
      }),
    );
  });
});
