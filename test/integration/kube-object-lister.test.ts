import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { parseLabelSelector } from '../../src/api/label-selector.js';
import type { ResourceInfo } from '../../src/api/resources.js';
import { StatusError } from '../../src/api/status.js';
import { KubeApiError } from '../../src/kube/contract.js';
import { createKubeClient, type ClusterKubeClient } from '../../src/kube/kube-client.js';
import { createObjectLister, type WatchingObjectLister } from '../../src/kube/object-lister.js';
import { sendStatus, startFakeKubeApi, type FakeKubeApi } from '../support/fake-kube-api.js';

const PODS: ResourceInfo = {
  group: '',
  version: 'v1',
  resource: 'pods',
  singular: 'pod',
  kind: 'Pod',
  namespaced: true,
};
const NODES: ResourceInfo = {
  group: '',
  version: 'v1',
  resource: 'nodes',
  singular: 'node',
  kind: 'Node',
  namespaced: false,
};

let fake: FakeKubeApi;
let kube: ClusterKubeClient;
let listers: WatchingObjectLister[] = [];

function lister(options: Parameters<typeof createObjectLister>[1] = {}): WatchingObjectLister {
  const created = createObjectLister(kube, { backoff: { initialMs: 10, maxMs: 100 }, ...options });
  listers.push(created);
  return created;
}

function names(l: WatchingObjectLister, namespace: string, selector: string) {
  return l.listNames(PODS, namespace, parseLabelSelector(selector), AbortSignal.timeout(5000));
}

/** Polls `probe` every 20 ms until it returns true; returns the elapsed ms. */
async function within(ms: number, probe: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

const podLists = () =>
  fake
    .requests()
    .filter((r) => r.method === 'GET' && r.path === '/api/v1/pods' && r.query.watch === undefined);
const podWatches = () => fake.requests().filter((r) => r.path === '/api/v1/pods' && r.query.watch === 'true');

beforeAll(async () => {
  fake = await startFakeKubeApi();
  kube = await createKubeClient({ kubeconfig: fake.kubeconfigPath });
});

afterEach(() => {
  for (const l of listers) l.stop();
  listers = [];
});

afterAll(async () => {
  kube.close();
  await fake.stop();
});

describe('object listing against the fake kube API (SPEC 5.2, 8)', () => {
  it('selects the recorded kube-system pods by label, and pages the LIST', async () => {
    const l = lister({ pageSize: 3 });
    const before = podLists().length;
    expect(await names(l, 'kube-system', 'k8s-app=kube-dns')).toEqual([
      'coredns-7d764666f9-bdk7p',
      'coredns-7d764666f9-dzkjp',
    ]);
    expect(await names(l, 'kube-system', 'tier=control-plane,component in (etcd,kube-apiserver)')).toEqual([
      'etcd-v1.35-control-plane',
      'kube-apiserver-v1.35-control-plane',
    ]);
    expect(await names(l, 'default', '')).toEqual([]);
    const lists = podLists().slice(before);
    expect(lists.length).toBe(3);
    expect(lists[1]?.query.continue).toBeDefined();
  });

  it('shows an added pod and drops a deleted one within a second, with no LIST per request', async () => {
    const l = lister();
    const before = podLists().length;
    expect(await names(l, 'queue', 'app=queue-worker')).toEqual([]);
    fake.addPod({ namespace: 'queue', name: 'queue-worker-1', labels: { app: 'queue-worker' } });
    fake.addPod({ namespace: 'queue', name: 'queue-worker-2', labels: { app: 'queue-worker' } });
    fake.addPod({ namespace: 'queue', name: 'other-1', labels: { app: 'other' } });
    const added = await within(1000, async () => (await names(l, 'queue', 'app=queue-worker')).length === 2);
    expect(await names(l, 'queue', 'app=queue-worker')).toEqual(['queue-worker-1', 'queue-worker-2']);
    fake.deletePod('queue', 'queue-worker-1');
    const deleted = await within(
      1000,
      async () => (await names(l, 'queue', 'app=queue-worker')).length === 1,
    );
    expect(await names(l, 'queue', 'app=queue-worker')).toEqual(['queue-worker-2']);
    expect(podLists().length - before).toBe(1);
    expect(Math.max(added, deleted)).toBeLessThan(1000);
  });

  it('resumes from the last resourceVersion after the server ends the watch, without re-listing', async () => {
    const l = lister();
    await names(l, 'resume', '');
    const lists = podLists().length;
    const watches = podWatches().length;
    fake.endWatches();
    fake.addPod({ namespace: 'resume', name: 'after-end', labels: { app: 'r' } });
    await within(2000, async () => (await names(l, 'resume', 'app=r')).length === 1);
    expect(podWatches().length).toBe(watches + 1);
    expect(podLists().length).toBe(lists);
  });

  it('re-lists when the resourceVersion has expired (410 after compaction)', async () => {
    const l = lister();
    await names(l, 'expire', '');
    await within(1000, () => Promise.resolve(fake.openWatches() > 0));
    const lists = podLists().length;
    fake.endWatches();
    fake.addPod({ namespace: 'expire', name: 'after-compaction', labels: { app: 'e' } });
    fake.compact();
    await within(2000, async () => (await names(l, 'expire', 'app=e')).length === 1);
    expect(podLists().length).toBe(lists + 1);
  });

  it('follows BOOKMARKs: the next watch starts at the bookmarked resourceVersion', async () => {
    const l = lister();
    await names(l, 'bookmarks', '');
    await within(1000, () => Promise.resolve(fake.openWatches() > 0));
    fake.advanceResourceVersion(100);
    fake.bookmark();
    const bookmarked = fake.resourceVersion();
    // NB: nothing observable marks the bookmark's arrival; localhost delivers it well within this pause.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const watches = podWatches().length;
    fake.endWatches();
    await within(1000, () => Promise.resolve(podWatches().length > watches));
    const resumed = podWatches().at(-1);
    expect(resumed?.query.allowWatchBookmarks).toBe('true');
    expect(resumed?.query.resourceVersion).toBe(bookmarked);
  });

  it('a LIST refused with 403 answers 503 at once, keeping the Status message in the cause', async () => {
    const message =
      'nodes is forbidden: User "system:serviceaccount:custom-metrics:adapter" cannot list resource "nodes" in API group "" at the cluster scope';
    fake.route('GET', '/api/v1/nodes', (_request, response) =>
      sendStatus(response, 403, 'Forbidden', message, { kind: 'nodes' }),
    );
    const l = lister();
    const started = Date.now();
    const error = await l.listNames(NODES, undefined, [], AbortSignal.timeout(5000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatusError);
    expect(error).toMatchObject({ code: 503, message: 'unable to list nodes from the Kubernetes API' });
    const cause = (error as StatusError).cause;
    expect(cause).toBeInstanceOf(KubeApiError);
    expect(cause).toMatchObject({ kind: 'http', status: 403 });
    expect((cause as Error).message).toContain(message);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a LIST that hangs answers 503 after syncTimeoutMs, never a hang', async () => {
    fake.route('GET', '/api/v1/namespaces', () => undefined);
    const l = lister({ syncTimeoutMs: 300 });
    const namespaces: ResourceInfo = {
      ...NODES,
      resource: 'namespaces',
      singular: 'namespace',
      kind: 'Namespace',
    };
    const started = Date.now();
    await expect(l.listNames(namespaces, undefined, [], AbortSignal.timeout(5000))).rejects.toMatchObject({
      code: 503,
    });
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
