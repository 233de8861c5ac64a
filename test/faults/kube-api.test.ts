/**
 * Kubernetes API faults (issue 8, "Faults survived"), cluster mode only: the built adapter against the fake
 * kube-apiserver (test/support/fake-kube-api.ts) reached through the TCP fault proxy, and a real Prometheus.
 * Requests authenticate with a bearer token (TokenReview) and are authorized by SubjectAccessReview, both cached
 * 10 s; `*` requests select pods from the watch cache.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  startAdapterProcess,
  waitUntilReady,
  type AdapterProcess,
} from '../../src/cli/demo/adapter-process.js';
import { startPrometheus, type PrometheusProcess } from '../../src/cli/demo/prometheus-process.js';
import { DEFAULT_KUBE_TIMEOUT_MS } from '../../src/kube/kube-client.js';
import { ADAPTER_ENTRY, QUEUE_WORKER_RULES, runAdapterToExit } from '../support/adapter.js';
import { expectStatusError, reportFault, timed, timeToRecover } from '../support/fault-checks.js';
import { startTcpFaultProxy, type TcpFaultProxy } from '../support/fault-proxy.js';
import { startFakeKubeApi, type FakeKubeApi } from '../support/fake-kube-api.js';
import { addFakeAuth } from '../support/fake-kube-auth.js';
import { getJson } from '../support/https.js';
import { makeCa } from '../support/pki.js';
import { expectNoLeaks, scanLogs, type LogScan } from '../support/secret-scan.js';
import { POD, queueWorkerOpenMetrics } from '../support/queue-worker-data.js';

/** NB: functional deadlines, not benchmarks. */
const MARGIN_MS = 5000;
/** Starting node and loading the modules takes 2 s on a quiet machine, more with the suite running beside. */
const BOOT_MARGIN_MS = 10_000;
const FAST_MS = 2000;
const FEW_SOCKETS = 4;
/** How long the adapter reuses a TokenReview or SubjectAccessReview answer (src/kube: upstream's default). */
const REVIEW_TTL_MS = 10_000;
/** The adapter's request deadline: --prometheus-timeout (10 s by default) + 5 s. */
const REQUEST_TIMEOUT_MS = 15_000;
const BASE = '/apis/custom.metrics.k8s.io/v1beta2';
const SELECTED = `${BASE}/namespaces/default/pods/*/counter_qps?labelSelector=${encodeURIComponent('app=example')}`;
const onePod = (pod: string) => `${BASE}/namespaces/default/pods/${pod}/counter_qps`;
const HPA = {
  username: 'system:serviceaccount:kube-system:horizontal-pod-autoscaler',
  groups: ['system:serviceaccounts', 'system:authenticated'],
};
const USERS = { 'hpa-token': HPA, 'other-token': HPA, 'third-token': HPA };
const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

const dir = mkdtempSync(join(tmpdir(), 'pma-faults-kube-'));
let api: FakeKubeApi;
let prometheus: PrometheusProcess;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  api = await startFakeKubeApi();
  cleanups.push(() => api.stop());
  addFakeAuth(api, {
    requestheaderCa: (await makeCa('front-proxy-ca')).cert,
    clientCa: (await makeCa('kubernetes')).cert,
    tokens: USERS,
    allow: (spec) => spec.nonResourceAttributes !== undefined || spec.user === HPA.username,
  });
  for (const name of [POD.a, POD.b]) api.addPod({ namespace: 'default', name, labels: { app: 'example' } });
  prometheus = await startPrometheus({ dir: join(dir, 'prom'), backfill: queueWorkerOpenMetrics() });
  cleanups.push(() => prometheus.stop());
}, 60_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A TCP fault proxy in front of the fake API and a kubeconfig pointing at it (same CA: its SAN is the IP). */
async function proxiedKubeconfig(): Promise<{ proxy: TcpFaultProxy; kubeconfig: string }> {
  const proxy = await startTcpFaultProxy(api.url);
  cleanups.push(() => proxy.stop());
  const config = JSON.parse(readFileSync(api.kubeconfigPath, 'utf8')) as {
    clusters: Array<{ cluster: { server: string } }>;
  };
  for (const c of config.clusters) c.cluster.server = `https://127.0.0.1:${proxy.port}`;
  const kubeconfig = join(dir, `kubeconfig-${proxy.port}.json`);
  writeFileSync(kubeconfig, JSON.stringify(config), { mode: 0o600 });
  return { proxy, kubeconfig };
}

const adapterArgs = (kubeconfig: string, name: string) => [
  `--config=${QUEUE_WORKER_RULES}`,
  `--prometheus-url=${prometheus.url}`,
  `--lister-kubeconfig=${kubeconfig}`,
  '--bind-address=127.0.0.1',
  '--secure-port=0',
  `--cert-dir=${join(dir, `cert-${name}`)}`,
];

const runToExit = (args: string[]) => runAdapterToExit(args, 60_000);

const valuesOf = (body: unknown) =>
  Object.fromEntries(
    (body as { items: Array<{ describedObject: { name: string }; value: string }> }).items.map((i) => [
      i.describedObject.name,
      i.value,
    ]),
  );

describe('adapter started against an unusable Kubernetes API', () => {
  it('hanging: startup fails with an error naming the discovery call, within the kube client timeout', async () => {
    const { proxy, kubeconfig } = await proxiedKubeconfig();
    await proxy.setMode({ kind: 'hang' });
    const res = await runToExit(adapterArgs(kubeconfig, 'hang'));
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      /^error: cannot read the API discovery documents from https:\/\/127\.0\.0\.1:\d+\/: GET \S+ timed out after 10000 ms; check --lister-kubeconfig/,
    );
    expect(res.ms).toBeLessThan(DEFAULT_KUBE_TIMEOUT_MS + BOOT_MARGIN_MS);
    await proxy.setMode({ kind: 'pass' });
    reportFault(
      'Kubernetes API hangs at startup',
      `exits 2 after ${res.ms} ms: "cannot read the API discovery documents from …: GET … timed out after 10000 ms"`,
      'n/a (restarted by the kubelet)',
    );
  }, 40_000);

  it('refusing connections: startup fails at once with an error naming the discovery call', async () => {
    const { proxy, kubeconfig } = await proxiedKubeconfig();
    await proxy.setMode({ kind: 'refuse' });
    const res = await runToExit(adapterArgs(kubeconfig, 'refuse'));
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      /^error: cannot read the API discovery documents from https:\/\/127\.0\.0\.1:\d+\/: GET \S+ failed: connect ECONNREFUSED/,
    );
    expect(res.ms).toBeLessThan(DEFAULT_KUBE_TIMEOUT_MS);
    reportFault(
      'Kubernetes API refuses connections at startup',
      `exits 2 after ${res.ms} ms: "cannot read the API discovery documents from …: … ECONNREFUSED"`,
      'n/a (restarted by the kubelet)',
    );
  }, 40_000);
});

describe('running adapter whose Kubernetes API fails', () => {
  let proxy: TcpFaultProxy;
  let adapter: AdapterProcess;
  let scan: LogScan;

  beforeAll(async () => {
    const proxied = await proxiedKubeconfig();
    proxy = proxied.proxy;
    adapter = await startAdapterProcess(ADAPTER_ENTRY, adapterArgs(proxied.kubeconfig, 'running'), {
      onSpawn: (child) => (scan = scanLogs(child, { secrets: [api.token, ...Object.keys(USERS)] })),
    });
    cleanups.push(() => adapter.child.stop());
    await waitUntilReady(adapter.url);
  }, 60_000);

  /** The HPA's request and discovery, answered 200 within FAST_MS (from the caches while the API is down). */
  async function expectCachedAnswers(token: string): Promise<number> {
    const selected = await timed(() => getJson(`${adapter.url}${SELECTED}`, as(token)));
    expect(selected.value.status).toBe(200);
    expect(Object.keys(valuesOf(selected.value.body))).toContain(POD.a);
    expect(selected.ms).toBeLessThan(FAST_MS);
    const discovery = await timed(() => getJson(`${adapter.url}${BASE}`, as(token)));
    expect(discovery.value.status).toBe(200);
    expect(discovery.ms).toBeLessThan(FAST_MS);
    return Math.max(selected.ms, discovery.ms);
  }

  it('hangs: requests answered before keep answering, past the cache TTL too; never-seen ones 503, at once once known down', async () => {
    expect(valuesOf((await getJson(`${adapter.url}${SELECTED}`, as('hpa-token'))).body)).toEqual({
      [POD.a]: '3500m',
      [POD.b]: '80500m',
    });
    expect((await getJson(`${adapter.url}${BASE}`, as('hpa-token'))).status).toBe(200);
    const reviewedAt = Date.now();

    await proxy.setMode({ kind: 'hang' });
    try {
      const cachedMs = await expectCachedAnswers('hpa-token');
      const uncached = Promise.all([
        // A new SubjectAccessReview (another object name), and a new TokenReview (another token).
        timed(() => getJson(`${adapter.url}${onePod(POD.a)}`, { ...as('hpa-token'), timeoutMs: 30_000 })),
        timed(() => getJson(`${adapter.url}${SELECTED}`, { ...as('other-token'), timeoutMs: 30_000 })),
      ]);
      await new Promise((r) => setTimeout(r, 1000));
      await expectCachedAnswers('hpa-token');
      const [authz, authn] = await uncached;
      expectStatusError(
        authz.value,
        503,
        'ServiceUnavailable',
        /^cannot authorize the request: the Kubernetes SubjectAccessReview API is unavailable$/,
      );
      expectStatusError(
        authn.value,
        503,
        'ServiceUnavailable',
        /^cannot authenticate the request: the Kubernetes TokenReview API is unavailable$/,
      );
      for (const { ms } of [authz, authn]) expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS);
      expect(adapter.child.hasExited()).toBe(false);

      // Past the TTL of the reviews answered before the hang, the API known to be down: their last answers serve.
      const pastTtl = reviewedAt + REVIEW_TTL_MS + 500 - Date.now();
      if (pastTtl > 0) await new Promise((r) => setTimeout(r, pastTtl));
      const staleMs = await expectCachedAnswers('hpa-token');
      // The API known to be down, tokens never seen fail at once, but for one probe per second (which waits).
      const newcomers = await Promise.all(
        [1, 2, 3, 4, 5].map((i) =>
          timed(() => getJson(`${adapter.url}${BASE}`, { ...as(`newcomer-token-${i}`), timeoutMs: 30_000 })),
        ),
      );
      for (const { value } of newcomers) {
        expectStatusError(
          value,
          503,
          'ServiceUnavailable',
          /^cannot authenticate the request: the Kubernetes TokenReview API is unavailable$/,
        );
      }
      const fastFailures = newcomers.filter((n) => n.ms < FAST_MS);
      expect(fastFailures.length).toBeGreaterThanOrEqual(newcomers.length - 1);
      const fastMs = Math.max(...fastFailures.map((n) => n.ms));

      await proxy.setMode({ kind: 'pass' });
      const recoveryMs = await timeToRecover(
        'reviews after the API is back',
        async () =>
          (await getJson(`${adapter.url}${onePod(POD.a)}`, as('hpa-token'))).status === 200 &&
          (await getJson(`${adapter.url}${SELECTED}`, as('other-token'))).status === 200,
        20_000,
      );
      await waitForFewSockets(proxy);
      process.stdout.write(
        `kube API hang: cached answers within ${cachedMs} ms; reviews failed after ${authz.ms} / ${authn.ms} ms; ` +
          `recovered in ${recoveryMs} ms; ${proxy.openSockets()} connections open after\n`,
      );
      reportFault(
        'Kubernetes API hangs (adapter running)',
        `requests whose TokenReview/SubjectAccessReview were answered before keep answering 200 in ≤ ${cachedMs} ms ` +
          `(${staleMs} ms once past the 10 s cache TTL: the last answers), pods from the watch cache; never-seen ` +
          `ones 503 "cannot authorize the request: the Kubernetes SubjectAccessReview API is unavailable" after ` +
          `${Math.max(authz.ms, authn.ms)} ms until a review has failed, then in ≤ ${fastMs} ms (one probe a second waits)`,
        `${recoveryMs} ms`,
      );
    } finally {
      await proxy.setMode({ kind: 'pass' });
    }
  }, 60_000);

  it('refuses connections: cached requests keep answering; the watch catches up once it is back', async () => {
    expect((await getJson(`${adapter.url}${SELECTED}`, as('third-token'))).status).toBe(200);
    expect((await getJson(`${adapter.url}${BASE}`, as('third-token'))).status).toBe(200);
    await proxy.setMode({ kind: 'refuse' });
    try {
      // NB: changed while the watch is down: seen only once the lister has re-watched (or re-listed).
      api.deletePod('default', POD.b);
      const cachedMs = await expectCachedAnswers('third-token');
      const authz = await timed(() => getJson(`${adapter.url}${onePod(POD.b)}`, as('third-token')));
      expectStatusError(
        authz.value,
        503,
        'ServiceUnavailable',
        /^cannot authorize the request: the Kubernetes SubjectAccessReview API is unavailable$/,
      );
      expect(authz.ms).toBeLessThan(FAST_MS);
      await new Promise((r) => setTimeout(r, 3000));
      expect(adapter.child.hasExited()).toBe(false);

      await proxy.setMode({ kind: 'pass' });
      const recoveryMs = await timeToRecover(
        'the watch cache',
        async () => {
          const res = await getJson(`${adapter.url}${SELECTED}`, as('third-token'));
          return res.status === 200 && !(POD.b in valuesOf(res.body));
        },
        40_000,
      );
      await waitForFewSockets(proxy);
      reportFault(
        'Kubernetes API refuses connections (adapter running)',
        `cached requests keep answering 200 in ≤ ${cachedMs} ms; the others 503 "… API is unavailable" in ` +
          `${authz.ms} ms`,
        `${recoveryMs} ms until the watch cache has the change made during the outage`,
      );
    } finally {
      await proxy.setMode({ kind: 'pass' });
    }
  }, 90_000);

  it("logged the review failures without a token (the adapter's or the users')", () => {
    for (const what of ['TokenReview', 'SubjectAccessReview'])
      expect(adapter.child.logs()).toContain(`"msg":"${what} failed"`);
    expectNoLeaks(scan);
  });
});

async function waitForFewSockets(proxy: TcpFaultProxy): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (proxy.openSockets() > FEW_SOCKETS) {
    if (Date.now() > deadline) {
      throw new Error(`${proxy.openSockets()} connections to the kube API still open after the fault`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
