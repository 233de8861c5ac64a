import { describe, expect, it } from '@jest/globals';
import { ApiPathError, parseApiPath } from '../../../../src/cli/explain/parse-path.js';

const CM = '/apis/custom.metrics.k8s.io';

describe('parseApiPath: the paths the routes serve', () => {
  it.each([
    [
      `${CM}/v1beta2/namespaces/default/pods/*/counter_qps`,
      {
        api: 'custom',
        version: 'v1beta2',
        form: 'namespaced',
        resource: 'pods',
        namespace: 'default',
        name: '*',
        metric: 'counter_qps',
      },
    ],
    [
      `${CM}/v1beta1/namespaces/default/pods/%2A/counter_qps?labelSelector=app%3Dexample&metricLabelSelector=job+in+(a)`,
      {
        api: 'custom',
        version: 'v1beta1',
        name: '*',
        labelSelector: 'app=example',
        metricLabelSelector: 'job in (a)',
        url: `${CM}/v1beta1/namespaces/default/pods/*/counter_qps?labelSelector=app%3Dexample&metricLabelSelector=job+in+%28a%29`,
      },
    ],
    [
      `${CM}/v1beta2/namespaces/default/deployments.apps/web/http_requests`,
      { form: 'namespaced', resource: 'deployments.apps', name: 'web', metric: 'http_requests' },
    ],
    [
      `${CM}/v1beta2/namespaces/default/metrics/counter_qps`,
      { form: 'namespace-object', resource: 'namespaces', name: 'default', metric: 'counter_qps' },
    ],
    [
      `${CM}/v1beta2/nodes/node-1/node_load`,
      { form: 'cluster', resource: 'nodes', name: 'node-1', metric: 'node_load' },
    ],
    [
      '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth?labelSelector=queue%3Dorders',
      {
        api: 'external',
        groupVersion: 'external.metrics.k8s.io/v1beta1',
        namespace: 'default',
        metric: 'queue_depth',
        labelSelector: 'queue=orders',
      },
    ],
    ['/apis/metrics.k8s.io/v1beta1/nodes', { api: 'resource', resource: 'nodes' }],
    ['/apis/metrics.k8s.io/v1beta1/nodes/n1', { api: 'resource', resource: 'nodes', name: 'n1' }],
    [
      '/apis/metrics.k8s.io/v1beta1/pods?labelSelector=app',
      { api: 'resource', resource: 'pods', labelSelector: 'app' },
    ],
    [
      '/apis/metrics.k8s.io/v1beta1/namespaces/kube-system/pods/dns',
      { api: 'resource', resource: 'pods', namespace: 'kube-system', name: 'dns' },
    ],
    [
      `https://adapter.example:6443${CM}/v1beta2/namespaces/default/pods/a/m/`,
      { api: 'custom', name: 'a', metric: 'm', url: `${CM}/v1beta2/namespaces/default/pods/a/m` },
    ],
  ])('%s', (path, expected) => {
    expect(parseApiPath(path)).toMatchObject(expected);
  });

  it('has no namespace for the namespace object, cluster-scoped objects and all nodes', () => {
    expect(parseApiPath(`${CM}/v1beta2/namespaces/default/metrics/m`)).not.toHaveProperty('namespace');
    expect(parseApiPath(`${CM}/v1beta2/nodes/n1/m`)).not.toHaveProperty('namespace');
    expect(parseApiPath('/apis/metrics.k8s.io/v1beta1/nodes')).not.toHaveProperty('name');
  });

  it('keeps query parameters the routes do not read out of the parsed request', () => {
    expect(parseApiPath(`${CM}/v1beta2/namespaces/default/pods/a/m?watch=1`)).not.toHaveProperty(
      'labelSelector',
    );
  });
});

describe('parseApiPath: not a metric path (usage error)', () => {
  it.each([
    ['apis/custom.metrics.k8s.io/v1beta2/pods/a/m', 'must start with "/"'],
    [`${CM}/v1beta2`, 'it is the discovery path of the group'],
    [`${CM}/v1/namespaces/default/pods/a/m`, 'has the versions v1beta2 and v1beta1'],
    [`${CM}/v1beta2/namespaces/default/pods/a`, 'wrong number of segments'],
    [`${CM}/v1beta2/namespaces//pods/a/m`, 'it has an empty segment'],
    [`${CM}/v1beta2/pods/%E0%A4%A/m`, 'invalid percent-encoding'],
    ['/apis/external.metrics.k8s.io/v1beta1/queue_depth', 'expected namespaces/{namespace}/{metric}'],
    ['/apis/metrics.k8s.io/v1beta1/namespaces/default', 'expected nodes[/{name}]'],
    ['/apis/apps/v1/deployments', 'the group apps is not a metrics API'],
    ['/api/v1/pods', 'does not start with /apis/{group}/{version}'],
  ])('%s', (path, message) => {
    expect(() => parseApiPath(path)).toThrow(ApiPathError);
    expect(() => parseApiPath(path)).toThrow(message);
  });
});
