import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { KubeApiError } from '../../../src/kube/contract.js';
import {
  createDiscoveryResourceMapper,
  parseGroupList,
  parseResourceList,
  type DiscoveryResourceMapper,
} from '../../../src/kube/discovery-mapper.js';
import { FakeKubeClient, recorded } from './fake-kube-client.js';

interface GroupList {
  kind: string;
  apiVersion: string;
  groups: Array<{ name: string; preferredVersion: { groupVersion: string } }>;
}

/** The recorded kind v1.35 `/apis`, narrowed to the named groups (whose documents are recorded too). */
function groupList(...names: string[]): GroupList {
  const all = recorded('k8s-openapi-kind/v1-35/GET_apis.APIGroupList.json') as GroupList;
  return { ...all, groups: all.groups.filter((g) => names.includes(g.name)) };
}

function groupEntry(name: string, version: string) {
  const gv = { groupVersion: `${name}/${version}`, version };
  return { name, versions: [gv], preferredVersion: gv };
}

/** A CRD's discovery document, in the real APIResourceList shape (SPEC quirk 7: no group/version on top-level). */
function crdDocument(groupVersion: string, name: string, kind: string, namespaced: boolean) {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: [
      {
        name,
        singularName: kind.toLowerCase(),
        namespaced,
        kind,
        verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
        storageVersionHash: 'dGVzdA==',
      },
      { name: `${name}/status`, singularName: '', namespaced, kind, verbs: ['get', 'patch', 'update'] },
    ],
  };
}

function recordedCluster(): FakeKubeClient {
  const client = new FakeKubeClient();
  client.answers.set('/api/v1', recorded('discovery/api__v1.json'));
  client.answers.set('/apis', groupList('apps', 'batch', 'autoscaling', 'networking.k8s.io'));
  client.answers.set('/apis/apps/v1', recorded('discovery/apis__apps__v1.json'));
  client.answers.set('/apis/batch/v1', recorded('discovery/apis__batch__v1.json'));
  client.answers.set('/apis/autoscaling/v2', recorded('discovery/apis__autoscaling__v2.json'));
  client.answers.set('/apis/networking.k8s.io/v1', recorded('discovery/apis__networking.k8s.io__v1.json'));
  return client;
}

const mappers: DiscoveryResourceMapper[] = [];
function mapperFor(client: FakeKubeClient, missRefreshMinIntervalMs = 60_000, concurrency?: number) {
  const mapper = createDiscoveryResourceMapper(client, {
    refreshIntervalMs: 60_000,
    missRefreshMinIntervalMs,
    ...(concurrency === undefined ? {} : { concurrency }),
  });
  mappers.push(mapper);
  return mapper;
}

afterEach(() => {
  for (const m of mappers.splice(0)) m.stop();
  jest.useRealTimers();
});

describe('createDiscoveryResourceMapper over recorded discovery documents (SPEC 8)', () => {
  it.each([
    ['pods', undefined, '', 'v1', 'pods', 'pod', 'Pod', true],
    ['pod', undefined, '', 'v1', 'pods', 'pod', 'Pod', true],
    ['Pod', undefined, '', 'v1', 'pods', 'pod', 'Pod', true],
    ['pods', '', '', 'v1', 'pods', 'pod', 'Pod', true],
    ['deployments.apps', undefined, 'apps', 'v1', 'deployments', 'deployment', 'Deployment', true],
    ['deployment.apps', undefined, 'apps', 'v1', 'deployments', 'deployment', 'Deployment', true],
    ['deployments', undefined, 'apps', 'v1', 'deployments', 'deployment', 'Deployment', true],
    ['Deployment', 'apps', 'apps', 'v1', 'deployments', 'deployment', 'Deployment', true],
    ['jobs.batch', undefined, 'batch', 'v1', 'jobs', 'job', 'Job', true],
    ['hpa', undefined, undefined, undefined, undefined, undefined, undefined, undefined],
    [
      'horizontalpodautoscalers.autoscaling',
      undefined,
      'autoscaling',
      'v2',
      'horizontalpodautoscalers',
      'horizontalpodautoscaler',
      'HorizontalPodAutoscaler',
      true,
    ],
    [
      'ingress.networking.k8s.io',
      undefined,
      'networking.k8s.io',
      'v1',
      'ingresses',
      'ingress',
      'Ingress',
      true,
    ],
    ['nodes', undefined, '', 'v1', 'nodes', 'node', 'Node', false],
    ['namespace', undefined, '', 'v1', 'namespaces', 'namespace', 'Namespace', false],
    [
      'persistentvolumes',
      undefined,
      '',
      'v1',
      'persistentvolumes',
      'persistentvolume',
      'PersistentVolume',
      false,
    ],
    [
      'ingressclasses',
      undefined,
      'networking.k8s.io',
      'v1',
      'ingressclasses',
      'ingressclass',
      'IngressClass',
      false,
    ],
  ])(
    'lookup(%s, %s) resolves with kubectl name forms and the scope discovery gives',
    async (name, group, ...want) => {
      const mapper = mapperFor(recordedCluster());
      await mapper.refresh();
      const [g, version, resource, singular, kind, namespaced] = want;
      const expected =
        g === undefined ? undefined : { group: g, version, resource, singular, kind, namespaced };
      expect(mapper.lookup(name, group)).toEqual(expected);
    },
  );

  it('keeps subresources out of the mapping (pods/status, deployments/scale)', async () => {
    const mapper = mapperFor(recordedCluster());
    await mapper.refresh();
    expect(mapper.all().filter((r) => r.resource.includes('/'))).toEqual([]);
    expect(mapper.lookup('pods/status')).toBeUndefined();
    expect(mapper.all().length).toBeGreaterThan(20);
  });

  it('uses the lower-cased kind as singular when the server sends an empty singularName (pre-1.21 servers)', async () => {
    const client = recordedCluster();
    const core = recorded('discovery/api__v1.json') as { resources: Array<{ singularName: string }> };
    for (const r of core.resources) r.singularName = '';
    client.answers.set('/api/v1', core);
    const mapper = mapperFor(client);
    await mapper.refresh();
    expect(mapper.lookup('pod')?.resource).toBe('pods');
    expect(mapper.lookup('persistentvolumeclaim')?.singular).toBe('persistentvolumeclaim');
  });

  it('never reports a cluster-scoped CRD as namespaced (SPEC 11)', async () => {
    const client = recordedCluster();
    client.answers.set('/apis', { ...groupList('apps'), groups: [groupEntry('example.com', 'v1')] });
    client.answers.set(
      '/apis/example.com/v1',
      crdDocument('example.com/v1', 'clusterthings', 'ClusterThing', false),
    );
    const mapper = mapperFor(client);
    await mapper.refresh();
    expect(mapper.lookup('clusterthings.example.com')).toMatchObject({
      namespaced: false,
      kind: 'ClusterThing',
    });
  });

  it('a group whose document fails keeps its previous resources; others are updated', async () => {
    const client = recordedCluster();
    const mapper = mapperFor(client);
    await mapper.refresh();
    client.answers.set('/apis/batch/v1', new KubeApiError('timeout', 'GET /apis/batch/v1 timed out'));
    const apps = recorded('discovery/apis__apps__v1.json') as { resources: Array<{ name: string }> };
    apps.resources = apps.resources.filter((r) => !r.name.startsWith('statefulsets'));
    client.answers.set('/apis/apps/v1', apps);
    await mapper.refresh();
    expect(mapper.lookup('jobs.batch')?.resource).toBe('jobs');
    expect(mapper.lookup('statefulsets.apps')).toBeUndefined();
  });

  it('a failed /apis rejects refresh() and keeps the last good mapping', async () => {
    const client = recordedCluster();
    const mapper = mapperFor(client);
    await mapper.refresh();
    const before = mapper.all();
    client.answers.set('/apis', new KubeApiError('unreachable', 'GET /apis failed: ECONNREFUSED'));
    client.answers.set('/api/v1', new KubeApiError('unreachable', 'GET /api/v1 failed: ECONNREFUSED'));
    await expect(mapper.refresh()).rejects.toThrow('ECONNREFUSED');
    expect(mapper.all()).toEqual(before);
    expect(mapper.lookup('deployments.apps')?.kind).toBe('Deployment');
  });

  it('a bad /api/v1 document is a bad_response; the groups still load', async () => {
    const client = recordedCluster();
    client.answers.set('/api/v1', { kind: 'Status' });
    const mapper = mapperFor(client);
    await expect(mapper.refresh()).rejects.toMatchObject({ kind: 'bad_response' });
    expect(mapper.lookup('pods')).toBeUndefined();
    expect(mapper.lookup('deployments')?.group).toBe('apps');
  });

  it('drops a group the server no longer lists (a deleted CRD)', async () => {
    const client = recordedCluster();
    const mapper = mapperFor(client);
    await mapper.refresh();
    client.answers.set('/apis', groupList('apps'));
    await mapper.refresh();
    expect(mapper.lookup('jobs.batch')).toBeUndefined();
    expect(mapper.lookup('deployments.apps')).toBeDefined();
  });

  it('does not read the metrics API groups (their entries are metrics, and one of them is this adapter)', async () => {
    const client = recordedCluster();
    client.answers.set('/apis', {
      ...groupList('apps'),
      groups: [
        groupEntry('apps', 'v1'),
        groupEntry('custom.metrics.k8s.io', 'v1beta2'),
        groupEntry('external.metrics.k8s.io', 'v1beta1'),
        groupEntry('metrics.k8s.io', 'v1beta1'),
      ],
    });
    const mapper = mapperFor(client);
    await mapper.refresh();
    expect(client.calls.map((c) => c.path).sort()).toEqual(['/api/v1', '/apis', '/apis/apps/v1']);
  });

  it('reads group documents with bounded concurrency', async () => {
    const client = recordedCluster();
    const names = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => `${n}.example.com`);
    client.answers.set('/apis', { ...groupList(), groups: names.map((n) => groupEntry(n, 'v1')) });
    let running = 0;
    let peak = 0;
    for (const n of names) {
      client.answers.set(`/apis/${n}/v1`, async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        return crdDocument(`${n}/v1`, 'things', 'Thing', true);
      });
    }
    const mapper = mapperFor(client, 60_000, 2);
    await mapper.refresh();
    expect(peak).toBe(2);
    expect(mapper.lookup('things.f.example.com')?.group).toBe('f.example.com');
  });

  it('concurrent refresh() calls share one round of requests', async () => {
    const client = recordedCluster();
    const mapper = mapperFor(client);
    await Promise.all([mapper.refresh(), mapper.refresh(), mapper.refresh()]);
    expect(client.lists('/apis')).toBe(1);
  });
});

describe('refresh on a miss (CRDs created later resolve without a restart)', () => {
  it('a miss starts a background refresh; the missing request still misses, later ones resolve', async () => {
    const client = recordedCluster();
    const mapper = mapperFor(client);
    await mapper.refresh();
    client.answers.set('/apis', { ...groupList('apps'), groups: [groupEntry('example.com', 'v1')] });
    client.answers.set('/apis/example.com/v1', crdDocument('example.com/v1', 'foobars', 'FooBar', true));
    expect(mapper.lookup('foobars.example.com')).toBeUndefined();
    await mapper.refresh();
    expect(client.lists('/apis')).toBe(2);
    expect(mapper.lookup('foobar.example.com')).toMatchObject({ resource: 'foobars', group: 'example.com' });
  });

  it('misses refresh at most once per missRefreshMinIntervalMs', async () => {
    jest.useFakeTimers();
    const client = recordedCluster();
    const mapper = mapperFor(client, 10_000);
    await mapper.refresh();
    for (let i = 0; i < 5; i++) mapper.lookup('nothings');
    await jest.advanceTimersByTimeAsync(0);
    expect(client.lists('/apis')).toBe(2);
    await jest.advanceTimersByTimeAsync(9_000);
    mapper.lookup('nothings');
    await jest.advanceTimersByTimeAsync(0);
    expect(client.lists('/apis')).toBe(2);
    await jest.advanceTimersByTimeAsync(1_000);
    mapper.lookup('nothings');
    await jest.advanceTimersByTimeAsync(0);
    expect(client.lists('/apis')).toBe(3);
  });

  it('lookup never throws, even while refreshes fail', async () => {
    const client = new FakeKubeClient();
    const mapper = mapperFor(client, 0);
    expect(mapper.lookup('pods')).toBeUndefined();
    await expect(mapper.refresh()).rejects.toBeInstanceOf(KubeApiError);
    expect(() => mapper.lookup('pods')).not.toThrow();
  });
});

describe('start() and stop()', () => {
  it('refreshes at once and then every refreshIntervalMs until stopped', async () => {
    jest.useFakeTimers();
    const client = recordedCluster();
    const mapper = createDiscoveryResourceMapper(client, { refreshIntervalMs: 30_000 });
    mapper.start();
    mapper.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(client.lists('/apis')).toBe(1);
    expect(mapper.lookup('pods')?.kind).toBe('Pod');
    await jest.advanceTimersByTimeAsync(60_000);
    expect(client.lists('/apis')).toBe(3);
    mapper.stop();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(client.lists('/apis')).toBe(3);
    expect(mapper.lookup('pods')?.kind).toBe('Pod');
  });
});

describe('document parsing', () => {
  it('parseGroupList takes each group’s preferred version, else its first', () => {
    const body = {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [
        {
          name: 'x.io',
          versions: [
            { groupVersion: 'x.io/v2', version: 'v2' },
            { groupVersion: 'x.io/v1', version: 'v1' },
          ],
        },
        groupEntry('apps', 'v1'),
        { name: 'broken' },
      ],
    };
    expect(parseGroupList(body)).toEqual([
      { group: 'x.io', groupVersion: 'x.io/v2', version: 'v2' },
      { group: 'apps', groupVersion: 'apps/v1', version: 'v1' },
    ]);
  });

  it('parseResourceList reads every top-level resource of the recorded core list', () => {
    const list = parseResourceList(recorded('discovery/api__v1.json'), '', 'v1', '/api/v1');
    const raw = recorded('discovery/api__v1.json') as { resources: Array<{ name: string }> };
    expect(list.map((r) => r.resource)).toEqual(
      raw.resources.map((r) => r.name).filter((n) => !n.includes('/')),
    );
  });
});
