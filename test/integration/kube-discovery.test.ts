import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createDiscoveryResourceMapper,
  type DiscoveryResourceMapper,
} from '../../src/kube/discovery-mapper.js';
import { createKubeClient, type ClusterKubeClient } from '../../src/kube/kube-client.js';
import { startFakeKubeApi, type FakeKubeApi } from '../support/fake-kube-api.js';
import { waitFor } from '../support/wait.js';

let fake: FakeKubeApi;
let kube: ClusterKubeClient;
let mapper: DiscoveryResourceMapper;

beforeAll(async () => {
  fake = await startFakeKubeApi();
  kube = await createKubeClient({ kubeconfig: fake.kubeconfigPath });
  mapper = createDiscoveryResourceMapper(kube, { refreshIntervalMs: 600_000, missRefreshMinIntervalMs: 0 });
  await mapper.refresh();
});

afterAll(async () => {
  mapper.stop();
  kube.close();
  await fake.stop();
});

describe('discovery mapping of the recorded documents, over TLS with the kubeconfig (SPEC 8)', () => {
  it.each([
    ['pods', { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true }],
    ['pod', { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true }],
    ['deployments.apps', { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true }],
    ['deployment.apps', { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true }],
    ['statefulset', { group: 'apps', resource: 'statefulsets', kind: 'StatefulSet' }],
    ['jobs.batch', { group: 'batch', resource: 'jobs', namespaced: true }],
    ['horizontalpodautoscalers', { group: 'autoscaling', version: 'v2', namespaced: true }],
    ['nodes', { group: '', resource: 'nodes', kind: 'Node', namespaced: false }],
    ['namespaces', { group: '', resource: 'namespaces', kind: 'Namespace', namespaced: false }],
    ['ingressclasses.networking.k8s.io', { resource: 'ingressclasses', namespaced: false }],
  ])('%s resolves with the scope from discovery', (name, expected) => {
    expect(mapper.lookup(name)).toMatchObject(expected);
  });

  it('read /api/v1, /apis and each served group once, each with the token', () => {
    const paths = fake.requests().map((r) => r.path);
    expect(paths.filter((p) => p === '/api/v1')).toHaveLength(1);
    expect(paths.filter((p) => p === '/apis')).toHaveLength(1);
    expect(paths).toEqual(
      expect.arrayContaining(['/apis/apps/v1', '/apis/batch/v1', '/apis/autoscaling/v2']),
    );
    expect(fake.requests().every((r) => r.headers.authorization === `Bearer ${fake.token}`)).toBe(true);
  });

  it('a CRD group added to the cluster later resolves after a miss-triggered refresh, without a restart', async () => {
    expect(mapper.lookup('queuejobs.batch.example.com')).toBeUndefined();
    fake.addApiGroup({
      groupVersion: 'batch.example.com/v1alpha1',
      resources: [
        {
          name: 'queuejobs',
          singularName: 'queuejob',
          namespaced: true,
          kind: 'QueueJob',
          verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
          storageVersionHash: 'bXlxdWV1ZQ==',
        },
        {
          name: 'clusterqueues',
          singularName: 'clusterqueue',
          namespaced: false,
          kind: 'ClusterQueue',
          verbs: ['get', 'list', 'watch'],
        },
      ],
    });
    // NB: the lookup that misses still misses; its refresh serves the lookups after it.
    const found = await waitFor(
      'the CRD in the mapping',
      () => mapper.lookup('queuejob.batch.example.com'),
      5000,
    );
    expect(found).toEqual({
      group: 'batch.example.com',
      version: 'v1alpha1',
      resource: 'queuejobs',
      singular: 'queuejob',
      kind: 'QueueJob',
      namespaced: true,
    });
    expect(mapper.lookup('clusterqueues.batch.example.com')?.namespaced).toBe(false);
    expect(mapper.lookup('pods')?.kind).toBe('Pod');
  });
});
