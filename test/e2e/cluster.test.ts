/**
 * Cluster mode end to end (issue 3): the built adapter against a fake kube-apiserver replaying recorded responses
 * and a real Prometheus, reached like the HPA reaches it — through an aggregator front that authenticates the
 * caller and proxies with a front-proxy client certificate — with the real kubectl.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AdapterProcess } from '../../src/cli/demo/adapter-process.js';
import { QUEUE_WORKER_RULES } from '../support/adapter.js';
import type { AggregatorFront } from '../support/aggregator-front.js';
import { startClusterHarness, type ClusterHarness } from '../support/cluster-harness.js';
import type { FakeKubeApi } from '../support/fake-kube-api.js';
import { getJson } from '../support/https.js';
import { kubectlGetRaw } from '../support/kubectl.js';
import { POD, queueWorkerOpenMetrics } from '../support/queue-worker-data.js';
import { expectNoLeaks, scanLogs, type LogScan } from '../support/secret-scan.js';
import { waitFor } from '../support/wait.js';

const HPA = {
  username: 'system:serviceaccount:kube-system:horizontal-pod-autoscaler',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
};
const BOB = { username: 'bob', groups: ['system:authenticated'] };
const SELECTED = `labelSelector=${encodeURIComponent('app=example')}`;
const BASE = '/apis/custom.metrics.k8s.io';

let cluster: ClusterHarness;
let api: FakeKubeApi;
let adapter: AdapterProcess;
let front: AggregatorFront;
let auth: ClusterHarness['auth'];
let scan: LogScan;
const API_TOKEN = `cluster-e2e-${randomUUID()}`;

beforeAll(async () => {
  cluster = await startClusterHarness({
    rulesFile: QUEUE_WORKER_RULES,
    backfill: queueWorkerOpenMetrics(),
    users: { 'hpa-token': HPA, 'bob-token': BOB },
    apiToken: API_TOKEN,
    onAdapterSpawn: (child, pki) => {
      scan = scanLogs(child, {
        secrets: [API_TOKEN, 'hpa-token', 'bob-token'],
        pems: [pki.proxyClient.key, pki.proxyClient.cert, pki.frontProxyCa.key, pki.clientCa.key],
      });
    },
    // Like RBAC's system:discovery for every authenticated user, plus the HPA's access to custom metrics.
    allow: (spec) =>
      spec.nonResourceAttributes !== undefined ||
      (spec.user === HPA.username && spec.resourceAttributes?.group === 'custom.metrics.k8s.io'),
    // The Deployment's pods carry app=example; a third pod in the namespace has metrics too but another label.
    prepare: (fake) => {
      fake.addPod({
        namespace: 'default',
        name: POD.a,
        labels: { app: 'example', 'pod-template-hash': '6b8f7c9d4' },
      });
      fake.addPod({
        namespace: 'default',
        name: POD.b,
        labels: { app: 'example', 'pod-template-hash': '6b8f7c9d4' },
      });
      fake.addPod({ namespace: 'default', name: POD.c, labels: { app: 'other' } });
    },
  });
  ({ api, adapter, front, auth } = cluster);
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

const valuesOf = (stdout: string) =>
  Object.fromEntries(
    (JSON.parse(stdout) as { items: Array<{ describedObject: { name: string }; value: string }> }).items.map(
      (i) => [i.describedObject.name, i.value],
    ),
  );

describe("the HPA's request sequence through the aggregator (SPEC 7, 8)", () => {
  it('discovers the preferred version, then reads both queue-worker metrics for exactly the selected pods', async () => {
    const group = await kubectlGetRaw(front.url, BASE, 'hpa-token');
    expect(group.stderr).toBe('');
    expect(group.code).toBe(0);
    expect(
      (JSON.parse(group.stdout) as { preferredVersion: { version: string } }).preferredVersion.version,
    ).toBe('v1beta2');

    const qps = await kubectlGetRaw(
      front.url,
      `${BASE}/v1beta2/namespaces/default/pods/*/counter_qps?${SELECTED}`,
      'hpa-token',
    );
    expect(qps.stderr).toBe('');
    expect(valuesOf(qps.stdout)).toEqual({ [POD.a]: '3500m', [POD.b]: '80500m' });
    const queue = await kubectlGetRaw(
      front.url,
      `${BASE}/v1beta2/namespaces/default/pods/*/counter_queue_size?${SELECTED}`,
      'hpa-token',
    );
    expect(valuesOf(queue.stdout)).toEqual({ [POD.a]: '0', [POD.b]: '0' });
  });

  it('was proxied with the front-proxy identity and authorized by SubjectAccessReview with the HPA attributes', () => {
    const proxied = front.proxied().find((p) => p.path.includes('counter_qps'));
    expect(proxied?.headers['x-remote-user']).toBe(HPA.username);
    expect(proxied?.headers.authorization).toBeUndefined();
    expect(auth.reviews).toContainEqual(
      expect.objectContaining({
        user: HPA.username,
        groups: expect.arrayContaining(HPA.groups),
        resourceAttributes: expect.objectContaining({
          namespace: 'default',
          verb: 'get',
          group: 'custom.metrics.k8s.io',
          resource: 'pods',
          subresource: 'counter_qps',
          name: '*',
        }),
      }),
    );
  });

  it('answers from the watch cache: no LIST of pods per request', async () => {
    const lists = () =>
      api
        .requests()
        .filter((r) => r.method === 'GET' && r.path === '/api/v1/pods' && r.query.watch !== 'true');
    const before = lists().length;
    for (let i = 0; i < 5; i++) {
      expect(
        (
          await kubectlGetRaw(
            front.url,
            `${BASE}/v1beta1/namespaces/default/pods/*/counter_qps?${SELECTED}`,
            'hpa-token',
          )
        ).code,
      ).toBe(0);
    }
    expect(lists().length).toBe(before);
  });

  it('drops a pod deleted from the Kubernetes API from the answers within seconds', async () => {
    api.deletePod('default', POD.b);
    const values = await waitFor(
      'the deleted pod to disappear',
      async () => {
        const res = await kubectlGetRaw(
          front.url,
          `${BASE}/v1beta2/namespaces/default/pods/*/counter_qps?${SELECTED}`,
          'hpa-token',
        );
        const v = valuesOf(res.stdout);
        return POD.b in v ? undefined : v;
      },
      5000,
    );
    expect(values).toEqual({ [POD.a]: '3500m' });
  });
});

describe('authentication and authorization (SPEC 8)', () => {
  it('answers 403 naming the user and the attribute when the SubjectAccessReview denies', async () => {
    const res = await kubectlGetRaw(
      front.url,
      `${BASE}/v1beta2/namespaces/default/pods/*/counter_qps`,
      'bob-token',
    );
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      'User "bob" cannot get resource "pods/counter_qps" in API group "custom.metrics.k8s.io"',
    );
  });

  it('ignores identity headers on a connection without a front-proxy certificate (401)', async () => {
    const res = await getJson(`${adapter.url}${BASE}/v1beta2/namespaces/default/pods/*/counter_qps`, {
      headers: { 'x-remote-user': HPA.username, 'x-remote-group': 'system:masters' },
    });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  it('authenticates a bearer token with TokenReview', async () => {
    const before = auth.tokenReviews;
    const res = await getJson(`${adapter.url}${BASE}/v1beta2/namespaces/default/pods/${POD.a}/counter_qps`, {
      headers: { authorization: 'Bearer hpa-token' },
    });
    expect(res.status).toBe(200);
    expect(auth.tokenReviews).toBe(before + 1);
    const unknown = await getJson(`${adapter.url}${BASE}/v1beta2`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(unknown.status).toBe(401);
  });

  it('serves the health probes without authentication', async () => {
    for (const path of ['/healthz', '/livez', '/readyz'])
      expect((await getJson(`${adapter.url}${path}`)).status).toBe(200);
  });
});

describe('logs', () => {
  it("hold no token (the kube API's or the users') and no key or certificate", () => {
    expect(scan.lines()).toBeGreaterThan(0);
    expectNoLeaks(scan);
  });
});
