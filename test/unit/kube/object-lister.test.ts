import { afterEach, describe, expect, it } from '@jest/globals';
import { parseLabelSelector } from '../../../src/api/label-selector.js';
import type { ResourceInfo } from '../../../src/api/resources.js';
import { StatusError } from '../../../src/api/status.js';
import { KubeApiError } from '../../../src/kube/contract.js';
import { createObjectLister, type WatchingObjectLister } from '../../../src/kube/object-lister.js';
import { FakeKubeClient, type ScriptedWatch } from './fake-kube-client.js';

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
const DEPLOYMENTS: ResourceInfo = {
  group: 'apps',
  version: 'v1',
  resource: 'deployments',
  singular: 'deployment',
  kind: 'Deployment',
  namespaced: true,
};

function item(namespace: string | undefined, name: string, labels?: Record<string, string>, rv = '1') {
  return {
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      uid: `uid-${name}`,
      resourceVersion: rv,
      ...(labels === undefined ? {} : { labels }),
    },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  };
}

function list(resourceVersion: string, items: unknown[], continueToken?: string) {
  return {
    kind: 'List',
    apiVersion: 'v1',
    metadata: { resourceVersion, ...(continueToken === undefined ? {} : { continue: continueToken }) },
    items,
  };
}

function event(type: string, namespace: string, name: string, rv: string, labels?: Record<string, string>) {
  return { type, object: { kind: 'Pod', apiVersion: 'v1', ...item(namespace, name, labels, rv) } };
}

const WORKERS = [
  item('default', 'worker-b', { app: 'worker', tier: 'back' }),
  item('default', 'worker-a', { app: 'worker', tier: 'back' }),
  item('default', 'web-1', { app: 'web' }),
  item('default', 'loner'),
  item('other', 'worker-a', { app: 'worker' }),
];

const listers: WatchingObjectLister[] = [];
function listerFor(client: FakeKubeClient, options: Parameters<typeof createObjectLister>[1] = {}) {
  const lister = createObjectLister(client, { backoff: { initialMs: 1, maxMs: 5 }, ...options });
  listers.push(lister);
  return lister;
}

afterEach(() => {
  for (const l of listers.splice(0)) l.stop();
});

const signal = () => new AbortController().signal;

async function waitUntil(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function openWatch(client: FakeKubeClient, count = 1): Promise<ScriptedWatch> {
  await waitUntil(() => client.watches.length >= count);
  const watch = client.watches.at(-1);
  if (watch === undefined) throw new Error('no watch');
  return watch;
}

async function names(
  lister: WatchingObjectLister,
  namespace: string | undefined,
  selector: string,
  r = PODS,
) {
  return lister.listNames(r, namespace, parseLabelSelector(selector), signal());
}

describe('createObjectLister: selection from the watch-backed cache (SPEC 5.2)', () => {
  it.each([
    ['', ['loner', 'web-1', 'worker-a', 'worker-b']],
    ['app=worker', ['worker-a', 'worker-b']],
    ['app in (web,worker)', ['web-1', 'worker-a', 'worker-b']],
    ['app!=worker', ['loner', 'web-1']],
    ['!app', ['loner']],
    ['app,tier notin (front)', ['web-1', 'worker-a', 'worker-b']],
    ['app=worker,tier=front', []],
  ])('selector %j in namespace default answers %j, sorted', async (selector, expected) => {
    const client = new FakeKubeClient();
    client.answers.set('/api/v1/pods', list('10', WORKERS));
    expect(await names(listerFor(client), 'default', selector)).toEqual(expected);
  });

  it('lists once per resource, all namespaces, paged; later requests never LIST (no LIST per request)', async () => {
    const client = new FakeKubeClient();
    client.answers.set('/api/v1/pods', list('10', WORKERS));
    const lister = listerFor(client);
    await Promise.all([names(lister, 'default', 'app=worker'), names(lister, 'other', '')]);
    for (let i = 0; i < 5; i++) await names(lister, 'default', 'app=web');
    expect(client.lists('/api/v1/pods')).toBe(1);
    expect(client.calls[0]).toEqual({ path: '/api/v1/pods', query: { limit: '500' } });
    const watch = await openWatch(client);
    expect(watch.query).toMatchObject({ resourceVersion: '10', allowWatchBookmarks: 'true' });
    expect(Number(watch.query.timeoutSeconds)).toBeGreaterThanOrEqual(300);
    expect(Number(watch.query.timeoutSeconds)).toBeLessThan(600);
  });

  it('follows continue tokens of a paged LIST', async () => {
    const client = new FakeKubeClient();
    client.answers.set('/api/v1/pods', (query?: Record<string, string>) =>
      query?.continue === undefined
        ? list('10', WORKERS.slice(0, 2), 'page-2')
        : query.continue === 'page-2'
          ? list('10', WORKERS.slice(2, 4), 'page-3')
          : list('10', WORKERS.slice(4)),
    );
    const lister = listerFor(client, { pageSize: 2 });
    expect(await names(lister, 'default', '')).toEqual(['loner', 'web-1', 'worker-a', 'worker-b']);
    expect(await names(lister, 'other', '')).toEqual(['worker-a']);
    expect(client.calls.filter((c) => c.query?.watch === undefined).map((c) => c.query)).toEqual([
      { limit: '2' },
      { limit: '2', continue: 'page-2' },
      { limit: '2', continue: 'page-3' },
    ]);
  });

  it('lists a grouped resource at /apis/<group>/<version>/<resource>', async () => {
    const client = new FakeKubeClient();
    client.answers.set(
      '/apis/apps/v1/deployments',
      list('3', [item('default', 'queue-worker', { app: 'q' })]),
    );
    expect(await names(listerFor(client), 'default', 'app=q', DEPLOYMENTS)).toEqual(['queue-worker']);
  });

  it('answers cluster-scoped resources when namespace is undefined', async () => {
    const client = new FakeKubeClient();
    client.answers.set(
      '/api/v1/nodes',
      list('7', [item(undefined, 'node-b'), item(undefined, 'node-a', { zone: 'z1' })]),
    );
    const lister = listerFor(client);
    expect(await names(lister, undefined, '', NODES)).toEqual(['node-a', 'node-b']);
    expect(await names(lister, undefined, 'zone=z1', NODES)).toEqual(['node-a']);
  });
});

describe('keeping the cache current from the watch', () => {
  it('applies ADDED, MODIFIED and DELETED at once', async () => {
    const client = new FakeKubeClient();
    client.answers.set('/api/v1/pods', list('10', WORKERS));
    const lister = listerFor(client);
    await names(lister, 'default', '');
    const watch = await openWatch(client);
    watch.send(event('ADDED', 'default', 'worker-c', '11', { app: 'worker' }));
    watch.send(event('MODIFIED', 'default', 'web-1', '12', { app: 'worker' }));
    watch.send(event('DELETED', 'default', 'worker-a', '13', { app: 'worker', tier: 'back' }));
    expect(await names(lister, 'default', 'app=worker')).toEqual(['web-1', 'worker-b', 'worker-c']);
    expect(await names(lister, 'other', 'app=worker')).toEqual(['worker-a']);
  });

  it('resumes an ended watch from the last resourceVersion (a BOOKMARK moves it) without re-listing', async () => {
    const client = new FakeKubeClient();
    client.answers.set('/api/v1/pods', list('10', WORKERS));
    const lister = listerFor(client);
    await names(lister, 'default', '');
    const first = await openWatch(client);
    first.send(event('ADDED', 'default', 'worker-c', '11'));
    first.send({
      type: 'BOOKMARK',
      object: {
        kind: 'Pod',
        apiVersion: 'v1',
        metadata: { resourceVersion: '25' },
        spec: { containers: null },
        status: {},
      },
    });
    first.end();
    const second = await openWatch(client);
    expect(second.query.resourceVersion).toBe('25');
    expect(client.lists('/api/v1/pods')).toBe(1);
  });

  it.each([
    [
      'an ERROR event with a 410 Expired Status',
      (w: ScriptedWatch) =>
        w.send({
          type: 'ERROR',
          object: {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message: 'too old resource version: 10 (20)',
            reason: 'Expired',
            code: 410,
          },
        }),
    ],
    [
      'an HTTP 410 answer',
      (w: ScriptedWatch) => w.fail(new KubeApiError('http', 'watch /api/v1/pods: HTTP 410: Gone', 410)),
    ],
  ])('re-lists and re-watches after %s', async (_what, expire) => {
    const client = new FakeKubeClient();
    client.answers.set('/api/v1/pods', list('10', WORKERS));
    const lister = listerFor(client);
    await names(lister, 'default', '');
    const first = await openWatch(client);
    client.answers.set('/api/v1/pods', list('30', [item('default', 'fresh', { app: 'worker' })]));
    expire(first);
    const second = await openWatch(client);
    expect(second.query.resourceVersion).toBe('30');
    expect(client.lists('/api/v1/pods')).toBe(2);
    expect(await names(lister, 'default', '')).toEqual(['fresh']);
  });

  it('retries a failed watch with backoff from the same resourceVersion, keeping the cache', async () => {
    const client = new FakeKubeClient();
    client.answers.set('/api/v1/pods', list('10', WORKERS));
    const lister = listerFor(client);
    await names(lister, 'default', '');
    const first = await openWatch(client);
    first.send(event('ADDED', 'default', 'worker-c', '11', { app: 'worker' }));
    first.fail(new KubeApiError('unreachable', 'watch /api/v1/pods failed: socket hang up'));
    const second = await openWatch(client);
    expect(second.query.resourceVersion).toBe('11');
    expect(client.lists('/api/v1/pods')).toBe(1);
    expect(await names(lister, 'default', 'app=worker')).toEqual(['worker-a', 'worker-b', 'worker-c']);
  });
});

describe('before the first LIST', () => {
  it('a request waits at most syncTimeoutMs, then gets 503 "unable to list pods from the Kubernetes API"', async () => {
    const client = new FakeKubeClient();
    client.answers.set('/api/v1/pods', () => new Promise(() => undefined));
    const lister = listerFor(client, { syncTimeoutMs: 50 });
    const started = Date.now();
    const error = await names(lister, 'default', '').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatusError);
    expect(error).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
    expect((error as Error).message).toBe('unable to list pods from the Kubernetes API');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a failed LIST fails waiting requests at once with 503 (cause kept), and a later retry serves', async () => {
    const client = new FakeKubeClient();
    const denied = new KubeApiError('http', 'GET /apis/apps/v1/deployments: HTTP 403: forbidden', 403);
    let attempts = 0;
    client.answers.set('/apis/apps/v1/deployments', () =>
      ++attempts === 1 ? denied : list('5', [item('a', 'd1')]),
    );
    const lister = listerFor(client, { syncTimeoutMs: 5000 });
    const started = Date.now();
    const error = (await names(lister, 'a', '', DEPLOYMENTS).catch((e: unknown) => e)) as StatusError;
    expect(error).toMatchObject({
      code: 503,
      message: 'unable to list deployments.apps from the Kubernetes API',
    });
    expect(error.cause).toBe(denied);
    expect(Date.now() - started).toBeLessThan(1000);
    await waitUntil(() => attempts >= 2);
    expect(await names(lister, 'a', '', DEPLOYMENTS)).toEqual(['d1']);
  });

  it("a request whose signal aborts gets the signal's reason", async () => {
    const client = new FakeKubeClient();
    client.answers.set('/api/v1/pods', () => new Promise(() => undefined));
    const lister = listerFor(client);
    const controller = new AbortController();
    const pending = lister.listNames(PODS, 'default', [], controller.signal);
    const reason = new StatusError(504, 'Timeout', 'the request did not complete within 30s');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});

describe('stop()', () => {
  it('ends the watches and answers 503 afterwards', async () => {
    const client = new FakeKubeClient();
    client.answers.set('/api/v1/pods', list('10', WORKERS));
    const lister = listerFor(client);
    await names(lister, 'default', '');
    const watch = await openWatch(client);
    lister.stop();
    expect(watch.signal.aborted).toBe(true);
    await expect(names(lister, 'default', '', NODES)).rejects.toMatchObject({ code: 503 });
  });
});
