import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeApiError, type WatchEvent } from '../../src/kube/contract.js';
import { createKubeClient, KubeConfigError, type ClusterKubeClient } from '../../src/kube/kube-client.js';
import {
  sendJson,
  sendStatus,
  startFakeKubeApi,
  statusBody,
  type FakeKubeApi,
} from '../support/fake-kube-api.js';

let fake: FakeKubeApi;
const clients: ClusterKubeClient[] = [];

async function client(options: Parameters<typeof createKubeClient>[0] = {}): Promise<ClusterKubeClient> {
  const created = await createKubeClient({ kubeconfig: fake.kubeconfigPath, ...options });
  clients.push(created);
  return created;
}

async function rejection(promise: Promise<unknown>): Promise<KubeApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof KubeApiError)) throw new Error(`expected a KubeApiError, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  fake = await startFakeKubeApi();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await fake.stop();
});

describe('createKubeClient against the fake kube API over TLS', () => {
  it('reads /version with the kubeconfig: CA-verified TLS and the bearer token', async () => {
    const kube = await client();
    const version = (await kube.getJson('/version')) as { gitVersion: string };
    expect(version.gitVersion).toBe('v1.32.3');
    const seen = fake.requests().filter((r) => r.path === '/version');
    expect(seen.at(-1)?.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(seen.at(-1)?.headers['user-agent']).toBe('prometheus-metrics-adapter');
  });

  it('sends query parameters and reuses one keep-alive connection', async () => {
    const kube = await client();
    const list = (await kube.getJson('/api/v1/namespaces/kube-system/pods', {
      query: { labelSelector: 'k8s-app=kube-dns' },
    })) as { items: unknown[] };
    expect(list.items).toHaveLength(2);
    await kube.getJson('/version');
    const last = fake.requests().slice(-2);
    expect(last[0]?.query).toEqual({ labelSelector: 'k8s-app=kube-dns' });
    expect(last[1]?.headers.connection).toBe('keep-alive');
  });

  it('POSTs a JSON body and returns the JSON answer (201)', async () => {
    fake.route('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', (request, response) => {
      sendJson(response, 201, { echoed: request.json, contentType: request.headers['content-type'] });
    });
    const kube = await client();
    const answer = await kube.postJson('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      spec: { user: 'a' },
    });
    expect(answer).toEqual({ echoed: { spec: { user: 'a' } }, contentType: 'application/json' });
  });

  it.each([
    [401, 'Unauthorized', 'Unauthorized'],
    [
      403,
      'Forbidden',
      'pods is forbidden: User "system:serviceaccount:custom-metrics:adapter" cannot list resource "pods" in API group "" at the cluster scope',
    ],
  ])('a %i Status body becomes KubeApiError http with its message', async (code, reason, message) => {
    fake.route('GET', `/status/${code}`, (_request, response) => sendStatus(response, code, reason, message));
    const error = await rejection((await client()).getJson(`/status/${code}`));
    expect(error.kind).toBe('http');
    expect(error.status).toBe(code);
    expect(error.message).toContain(message);
  });

  it('a wrong token gets the real 401 Status, and the token never appears in the error', async () => {
    const wrong = 'not-the-token-0123456789';
    const kube = await client({ kubeconfig: await fake.writeKubeconfig(wrong) });
    const error = await rejection(kube.getJson('/api/v1/pods'));
    expect(error).toMatchObject({ kind: 'http', status: 401 });
    expect(error.message).toBe('GET /api/v1/pods: HTTP 401: Unauthorized');
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(wrong);
  });

  it('an unknown path gets the real-shaped 404 Status', async () => {
    const error = await rejection((await client()).getJson('/apis/nope.example.com/v1'));
    expect(error).toMatchObject({ kind: 'http', status: 404 });
    expect(error.message).toContain('the server could not find the requested resource');
  });

  it('a hanging route rejects with a timeout KubeApiError within the timeout, never a hang', async () => {
    fake.route('GET', '/hang', () => undefined);
    const kube = await client({ timeoutMs: 300 });
    const started = Date.now();
    const error = await rejection(kube.getJson('/hang'));
    expect(error.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("the caller's signal aborts a call in flight (aborted)", async () => {
    fake.route('GET', '/hang-abort', () => undefined);
    const kube = await client();
    const error = await rejection(kube.getJson('/hang-abort', { signal: AbortSignal.timeout(100) }));
    expect(error.kind).toBe('aborted');
  });

  it('a body that is not JSON is a bad_response', async () => {
    fake.route('GET', '/not-json', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('hello');
    });
    const error = await rejection((await client()).getJson('/not-json'));
    expect(error.kind).toBe('bad_response');
  });

  it('a server that is not listening is unreachable', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const config = JSON.parse(await readFile(fake.kubeconfigPath, 'utf8')) as {
      clusters: Array<{ cluster: { server: string } }>;
    };
    const cluster = config.clusters[0];
    if (cluster) cluster.cluster.server = `https://127.0.0.1:${port}`;
    const path = `${fake.kubeconfigPath}.closed.json`;
    await writeFile(path, JSON.stringify(config));
    const error = await rejection((await client({ kubeconfig: path })).getJson('/version'));
    expect(error.kind).toBe('unreachable');
  });

  it('paces calls by the client rate limit (qps 10, burst 1)', async () => {
    const kube = await client({ qps: 10, burst: 1 });
    const started = Date.now();
    await Promise.all([kube.getJson('/version'), kube.getJson('/version'), kube.getJson('/version')]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
  });

  it('without a kubeconfig outside a cluster, a KubeConfigError says so', async () => {
    const saved = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      await expect(createKubeClient({})).rejects.toThrow(/not running in a cluster/);
    } finally {
      if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
    }
  });

  it('a kubeconfig that does not exist is a KubeConfigError naming the file', async () => {
    await expect(createKubeClient({ kubeconfig: '/nonexistent/kubeconfig' })).rejects.toThrow(
      KubeConfigError,
    );
    await expect(createKubeClient({ kubeconfig: '/nonexistent/kubeconfig' })).rejects.toThrow(
      '/nonexistent/kubeconfig',
    );
  });
});

describe('KubeClient.watch against the fake kube API', () => {
  it('streams ADDED and DELETED events of the pod store, then resolves when the server ends the watch', async () => {
    const kube = await client();
    const events: WatchEvent[] = [];
    const list = (await kube.getJson('/api/v1/namespaces/watch-a/pods')) as {
      metadata: { resourceVersion: string };
    };
    const done = kube.watch(
      '/api/v1/namespaces/watch-a/pods',
      { resourceVersion: list.metadata.resourceVersion },
      (event) => events.push(event),
      new AbortController().signal,
    );
    await waitUntil(() => fake.openWatches() > 0);
    fake.addPod({ namespace: 'watch-a', name: 'p1', labels: { app: 'a' } });
    fake.deletePod('watch-a', 'p1');
    await waitUntil(() => events.length === 2);
    fake.endWatches();
    await done;
    expect(events.map((e) => [e.type, (e.object as { metadata: { name: string } }).metadata.name])).toEqual([
      ['ADDED', 'p1'],
      ['DELETED', 'p1'],
    ]);
    expect(fake.requests().at(-1)?.query).toMatchObject({ watch: 'true' });
  });

  it('resolves when the caller aborts', async () => {
    const kube = await client();
    const controller = new AbortController();
    const done = kube.watch('/api/v1/pods', { resourceVersion: '0' }, () => undefined, controller.signal);
    await waitUntil(() => fake.openWatches() > 0);
    controller.abort();
    await expect(done).resolves.toBeUndefined();
  });

  it('rejects with timeout when the stream is idle longer than watchIdleTimeoutMs', async () => {
    const kube = await client({ watchIdleTimeoutMs: 200 });
    const list = (await kube.getJson('/api/v1/namespaces/idle/pods')) as {
      metadata: { resourceVersion: string };
    };
    const error = await rejection(
      kube.watch(
        '/api/v1/namespaces/idle/pods',
        { resourceVersion: list.metadata.resourceVersion },
        () => undefined,
        new AbortController().signal,
      ),
    );
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('received nothing for 200 ms');
  });

  it('rejects with timeout when the watch response does not start within timeoutMs', async () => {
    fake.route('GET', '/api/v1/namespaces/hang/pods', () => undefined);
    const kube = await client({ timeoutMs: 200 });
    const error = await rejection(
      kube.watch('/api/v1/namespaces/hang/pods', {}, () => undefined, new AbortController().signal),
    );
    expect(error.kind).toBe('timeout');
  });

  it('a 403 on the watch is KubeApiError http with the Status message', async () => {
    fake.route('GET', '/api/v1/namespaces/denied/pods', (_request, response) =>
      sendJson(response, 403, statusBody(403, 'Forbidden', 'pods is forbidden: nope', { kind: 'pods' })),
    );
    const error = await rejection(
      (await client()).watch(
        '/api/v1/namespaces/denied/pods',
        {},
        () => undefined,
        new AbortController().signal,
      ),
    );
    expect(error).toMatchObject({ kind: 'http', status: 403 });
    expect(error.message).toContain('pods is forbidden: nope');
  });

  it('an error thrown by onEvent ends the watch and is rethrown as is', async () => {
    const kube = await client();
    const boom = new Error('handler failed');
    const done = kube.watch(
      '/api/v1/namespaces/kube-system/pods',
      { resourceVersion: '0' },
      () => {
        throw boom;
      },
      new AbortController().signal,
    );
    await expect(done).rejects.toBe(boom);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
