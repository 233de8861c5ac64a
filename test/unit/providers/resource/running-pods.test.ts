/**
 * The resource provider over the real watch-backed object lister (kube/object-lister.ts) fed with a recorded kind
 * PodList: pods are served only while their `status.phase` is Running, and their labels come from the cache.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createObjectLister, type WatchingObjectLister } from '../../../../src/kube/object-lister.js';
import { createStandaloneResourceMapper } from '../../../../src/kube/standalone.js';
import type { PrometheusClient } from '../../../../src/prometheus/client.js';
import { createResourceMetricsProvider } from '../../../../src/providers/resource/provider.js';
import { loadRules } from '../../../../src/rules/compile-rules.js';
import { FakeKubeClient, recorded } from '../../kube/fake-kube-client.js';

interface Pod {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; resourceVersion: string };
  status: { phase: string };
}

const POD_LIST = recorded('k8s-openapi-kind/v1-35/GET_api_v1_namespaces_kube-system_pods.PodList.json') as {
  metadata: { resourceVersion: string };
  items: Pod[];
};

const RULES = loadRules(
  `
resourceRules:
  cpu:
    containerQuery: sum(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)
    nodeQuery: sum(rate(node_cpu_seconds_total{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)
    resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}, node: {resource: node}}}
    containerLabel: container
  memory:
    containerQuery: sum(container_memory_working_set_bytes{<<.LabelMatchers>>}) by (<<.GroupBy>>)
    nodeQuery: sum(node_memory_working_set_bytes{<<.LabelMatchers>>}) by (<<.GroupBy>>)
    resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}, node: {resource: node}}}
    containerLabel: container
  window: 1m
`,
  'rules.yaml',
).resource!;

const listers: WatchingObjectLister[] = [];
afterEach(() => {
  for (const l of listers.splice(0)) l.stop();
});

/** Answers every pod named in the query with one container using 0.1 cores and 1 MiB. */
const prometheus: PrometheusClient = {
  query(query) {
    const names = /pod=~?"([^"]+)"/.exec(query)?.[1]?.split('|') ?? [];
    const value = query.includes('cpu') ? 0.1 : 1048576;
    return Promise.resolve({
      type: 'vector',
      samples: names.map((pod) => ({ labels: { pod, container: 'c' }, value, timestamp: new Date() })),
    });
  },
  series: () => Promise.reject(new Error('not used')),
};

function setUp() {
  const client = new FakeKubeClient();
  client.answers.set('/api/v1/pods', POD_LIST);
  const lister = createObjectLister(client, { backoff: { initialMs: 1, maxMs: 5 } });
  listers.push(lister);
  const provider = createResourceMetricsProvider({
    rules: RULES,
    mapper: createStandaloneResourceMapper(),
    lister,
    prometheus,
  });
  return { client, provider };
}

const signal = new AbortController().signal;

describe('resource metrics from the watch cache (SPEC 5.4: only running pods)', () => {
  it('serves every running pod of the recorded list with its labels, sorted by name', async () => {
    const { provider } = setUp();
    const values = await provider.getPodMetrics({ namespace: 'kube-system', selector: [], signal });
    const running = POD_LIST.items.filter((p) => p.status.phase === 'Running');
    expect(running.length).toBeGreaterThan(0);
    expect(values.map((v) => v.name)).toEqual(running.map((p) => p.metadata.name).sort());
    for (const value of values) {
      const pod = running.find((p) => p.metadata.name === value.name);
      expect(value.labels).toEqual(pod?.metadata.labels ?? {});
    }
  });

  it('stops serving a pod once a watch event says it is no longer Running', async () => {
    const { client, provider } = setUp();
    const [first] = await provider.getPodMetrics({ namespace: 'kube-system', selector: [], signal });
    if (first === undefined) throw new Error('no pod served');
    const pod = POD_LIST.items.find((p) => p.metadata.name === first.name)!;
    const deadline = Date.now() + 2000;
    while (client.watches.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    client.watches[0]!.send({
      type: 'MODIFIED',
      object: {
        ...pod,
        metadata: { ...pod.metadata, resourceVersion: '999999' },
        status: { ...pod.status, phase: 'Succeeded' },
      },
    });
    const values = await provider.getPodMetrics({ namespace: 'kube-system', selector: [], signal });
    expect(values.map((v) => v.name)).not.toContain(first.name);
    await expect(
      provider.getPodMetrics({ namespace: 'kube-system', name: first.name, selector: [], signal }),
    ).rejects.toMatchObject({
      code: 404,
      message: `podmetrics.metrics.k8s.io "kube-system/${first.name}" not found`,
    });
  });
});
