import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startAdapterProcess,
  waitUntilReady,
  type AdapterProcess,
} from '../../src/cli/demo/adapter-process.js';
import { startPrometheus, type PrometheusProcess } from '../../src/cli/demo/prometheus-process.js';
import { ADAPTER_ENTRY } from './adapter.js';
import type { ManagedChild } from '../../src/cli/demo/child.js';
import { startAggregatorFront, type AggregatorFront, type FrontUser } from './aggregator-front.js';
import { startFakeKubeApi, type FakeKubeApi } from './fake-kube-api.js';
import { addFakeAuth, type ReviewSpec } from './fake-kube-auth.js';
import { makeCa, makeLeaf, type TestCert } from './pki.js';

export interface ClusterHarnessOptions {
  /** The rules file the adapter runs with. */
  rulesFile: string;
  /** OpenMetrics text backfilled into Prometheus. */
  backfill: string;
  /** Bearer token → user, accepted by the front (as the kube-apiserver would) and by the fake TokenReview. */
  users: Record<string, FrontUser>;
  /** The RBAC decision of the fake SubjectAccessReview. */
  allow: (spec: ReviewSpec) => boolean;
  /** The fake API's own token (default: a random one). */
  apiToken?: string;
  /** Groups the front proxies to the adapter (default custom.metrics.k8s.io). */
  groups?: string[];
  /** Adds objects and routes to the fake API before the adapter starts. */
  prepare?: (api: FakeKubeApi) => void;
  /** More adapter flags, after the harness's own. */
  adapterArgs?: string[];
  /** Called with the adapter process before it logs anything (e.g. to scan every log line), and the cluster's PKI. */
  onAdapterSpawn?: (child: ManagedChild, pki: ClusterPki) => void;
}

/** The certificates of the harness's cluster, for tests that connect to the adapter directly. */
export interface ClusterPki {
  /** The requestheader CA (allowed name `front-proxy-client`) and the front's client certificate from it. */
  frontProxyCa: TestCert;
  proxyClient: TestCert;
  /** The client CA: certificates from it authenticate as user = CN, groups = O. */
  clientCa: TestCert;
}

export interface ClusterHarness {
  api: FakeKubeApi;
  prometheus: PrometheusProcess;
  adapter: AdapterProcess;
  front: AggregatorFront;
  /** The reviews the fake API received. */
  auth: { reviews: ReviewSpec[]; tokenReviews: number };
  pki: ClusterPki;
  stop(): Promise<void>;
}

/**
 * A cluster as the adapter sees it, for end-to-end tests: the fake kube-apiserver (recorded responses, with the
 * authentication ConfigMap, TokenReview and SubjectAccessReview), a real Prometheus, the built adapter in cluster
 * mode, and the aggregator front that kubectl talks to (front-proxy certificate from the requestheader CA).
 */
export async function startClusterHarness(options: ClusterHarnessOptions): Promise<ClusterHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'pma-cluster-'));
  const frontProxyCa = await makeCa('front-proxy-ca');
  const proxyClient = await makeLeaf('front-proxy-client', frontProxyCa);
  const serving = await makeLeaf('localhost', await makeCa('front-serving-ca'), { usage: 'server' });
  const clientCa = await makeCa('kubernetes');
  const api = await startFakeKubeApi(options.apiToken === undefined ? {} : { token: options.apiToken });
  const stops: Array<() => Promise<unknown>> = [() => api.stop()];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    const auth = addFakeAuth(api, {
      requestheaderCa: frontProxyCa.cert,
      clientCa: clientCa.cert,
      tokens: options.users,
      allow: options.allow,
    });
    options.prepare?.(api);
    const prometheus = await startPrometheus({ dir: join(dir, 'prom'), backfill: options.backfill });
    stops.push(() => prometheus.stop());
    const adapter = await startAdapterProcess(
      ADAPTER_ENTRY,
      [
        `--config=${options.rulesFile}`,
        `--prometheus-url=${prometheus.url}`,
        `--lister-kubeconfig=${api.kubeconfigPath}`,
        '--bind-address=127.0.0.1',
        '--secure-port=0',
        `--cert-dir=${join(dir, 'cert')}`,
        ...(options.adapterArgs ?? []),
      ],
      {
        onSpawn: (child) => options.onAdapterSpawn?.(child, { frontProxyCa, proxyClient, clientCa }),
      },
    );
    stops.push(() => adapter.child.stop());
    await waitUntilReady(adapter.url);
    const front = await startAggregatorFront({
      adapterUrl: adapter.url,
      kubeApiUrl: api.url,
      kubeApiToken: api.token,
      proxyClient,
      serving,
      users: options.users,
      ...(options.groups === undefined ? {} : { groups: options.groups }),
    });
    stops.push(() => front.stop());
    return { api, prometheus, adapter, front, auth, pki: { frontProxyCa, proxyClient, clientCa }, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
