import { describe, expect, it } from '@jest/globals';
import { parseLabelSelector } from '../../../../src/api/label-selector.js';
import type { ResourceInfo } from '../../../../src/api/resources.js';
import { StatusError } from '../../../../src/api/status.js';
import type { ListedObject, ObjectLister } from '../../../../src/kube/contract.js';
import {
  createStandaloneObjectLister,
  createStandaloneResourceMapper,
} from '../../../../src/kube/standalone.js';
import {
  PrometheusError,
  type InstantQueryResult,
  type PrometheusClient,
  type PromSample,
  type QueryOptions,
} from '../../../../src/prometheus/client.js';
import type { ResourceMetricsProvider } from '../../../../src/providers/contract.js';
import { createResourceMetricsProvider } from '../../../../src/providers/resource/provider.js';
import { loadRules } from '../../../../src/rules/compile-rules.js';

/** Upstream config-gen's resource rules (prometheus-adapter v0.12), with a 5m window. */
const RULES_YAML = `
resourceRules:
  cpu:
    containerQuery: sum(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>}[5m])) by (<<.GroupBy>>)
    nodeQuery: sum(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>,id='/'}[5m])) by (<<.GroupBy>>)
    resources:
      overrides:
        namespace: {resource: namespace}
        pod: {resource: pod}
        instance: {resource: node}
    containerLabel: container
  memory:
    containerQuery: sum(container_memory_working_set_bytes{<<.LabelMatchers>>}) by (<<.GroupBy>>)
    nodeQuery: sum(container_memory_working_set_bytes{<<.LabelMatchers>>,id='/'}) by (<<.GroupBy>>)
    resources:
      overrides:
        namespace: {resource: namespace}
        pod: {resource: pod}
        instance: {resource: node}
    containerLabel: container
  window: 5m
`;

function compiled(yaml = RULES_YAML) {
  const rules = loadRules(yaml, 'rules.yaml').resource;
  if (rules === undefined) throw new Error('no resource rules');
  return rules;
}

const mapper = createStandaloneResourceMapper();
const T0 = new Date('2026-11-22T10:00:00.000Z');
const T1 = new Date('2026-11-22T10:00:05.000Z');
const NOW = new Date('2026-11-22T10:00:30.000Z');

const sample = (labels: Record<string, string>, value: number, timestamp = T1): PromSample => ({
  labels,
  value,
  timestamp,
});
const vector = (...samples: PromSample[]): InstantQueryResult => ({ type: 'vector', samples });

type Answer = InstantQueryResult | Error | Promise<InstantQueryResult>;

function fakePrometheus(answer: (query: string) => Answer) {
  const calls: Array<{ query: string; options: QueryOptions | undefined }> = [];
  const client: PrometheusClient = {
    query(query, options) {
      calls.push({ query, options });
      const a = answer(query);
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
    series: () => Promise.reject(new Error('not used')),
  };
  return { client, calls, queries: () => calls.map((c) => c.query) };
}

/** A cluster lister over fixed objects: filters by namespace and selector as the watch cache does. */
function fakeLister(objects: Record<'pods' | 'nodes', ListedObject[]>) {
  const requests: Array<{ resource: string; namespace: string | undefined; selector: string }> = [];
  const lister: ObjectLister = {
    listNames: () => Promise.reject(new Error('not used')),
    listObjects(resource: ResourceInfo, namespace, selector) {
      requests.push({
        resource: resource.resource,
        namespace,
        selector: selector.map((r) => r.key).join(','),
      });
      const all = objects[resource.resource as 'pods' | 'nodes'];
      const selected = all
        .filter((o) => namespace === undefined || o.namespace === namespace)
        .filter((o) => selector.every((r) => r.operator !== 'Equals' || o.labels[r.key] === r.values[0]))
        .sort((a, b) => (a.namespace + '/' + a.name < b.namespace + '/' + b.name ? -1 : 1));
      return Promise.resolve(selected);
    },
  };
  return { lister, requests };
}

const pod = (namespace: string, name: string, phase = 'Running', labels: Record<string, string> = {}) => ({
  namespace,
  name,
  labels,
  phase,
});
const node = (name: string, labels: Record<string, string> = {}) => ({ namespace: '', name, labels });

const CLUSTER = {
  pods: [
    pod('default', 'web-2', 'Running', { app: 'web' }),
    pod('default', 'web-1', 'Running', { app: 'web' }),
    pod('default', 'done-1', 'Succeeded', { app: 'web' }),
    pod('default', 'pending-1', 'Pending', { app: 'web' }),
    pod('kube-system', 'coredns-1', 'Running', { k8s: 'dns' }),
    pod('apps', 'api-1', 'Running'),
  ],
  nodes: [node('node-b', { zone: 'b' }), node('node-a', { zone: 'a' }), node('node-c')],
};

function provider(
  answer: (query: string) => Answer,
  options: { lister?: ObjectLister; rules?: string; concurrency?: number } = {},
) {
  const prom = fakePrometheus(answer);
  const p: ResourceMetricsProvider = createResourceMetricsProvider({
    rules: compiled(options.rules),
    mapper,
    lister: options.lister ?? fakeLister(CLUSTER).lister,
    prometheus: prom.client,
    now: () => NOW,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
  return { p, prom };
}

const signal = new AbortController().signal;
const isCpu = (q: string) => q.includes('container_cpu_usage_seconds_total');

/** Answers per-namespace pod queries from cadvisor-like samples (namespace, pod, container → cpu, memory). */
function cadvisor(data: Array<[ns: string, pod: string, container: string, cpu?: number, memory?: number]>) {
  return (query: string): InstantQueryResult => {
    const ns = /namespace="([^"]+)"/.exec(query)?.[1];
    const cpu = isCpu(query);
    return vector(
      ...data.flatMap(([namespace, podName, container, cores, bytes]) => {
        const value = cpu ? cores : bytes;
        if (value === undefined || (ns !== undefined && ns !== namespace)) return [];
        return [sample({ namespace, pod: podName, container }, value)];
      }),
    );
  };
}

describe('pod metrics (SPEC 5.4)', () => {
  it('renders containerQuery with the namespace and the running pods, grouped by pod and container (SPEC 3.3)', async () => {
    const { p, prom } = provider(cadvisor([]));
    await p.getPodMetrics({ namespace: 'default', selector: [], signal });
    expect(prom.queries()).toEqual([
      'sum(rate(container_cpu_usage_seconds_total{namespace="default",pod=~"web-1|web-2"}[5m])) by (pod,container)',
      'sum(container_memory_working_set_bytes{namespace="default",pod=~"web-1|web-2"}) by (pod,container)',
    ]);
    expect(prom.calls.map((c) => c.options?.time)).toEqual([NOW, NOW]);
  });

  it('groups samples by container, zero-fills a missing resource like upstream, and drops unnamed containers', async () => {
    const { p } = provider(
      cadvisor([
        ['default', 'web-1', 'sidecar', 0.001, 1048576],
        ['default', 'web-1', 'app', 0.25, 268435456],
        ['default', 'web-1', '', 0.251, 269484032],
        ['default', 'web-2', 'app', 0.5],
        ['default', 'web-2', 'log', undefined, 2048],
      ]),
    );
    const values = await p.getPodMetrics({ namespace: 'default', selector: [], signal });
    expect(values).toEqual([
      {
        namespace: 'default',
        name: 'web-1',
        labels: { app: 'web' },
        timestamp: T1,
        windowSeconds: 300,
        containers: [
          { name: 'app', usage: { cpu: 0.25, memory: 268435456 } },
          { name: 'sidecar', usage: { cpu: 0.001, memory: 1048576 } },
        ],
      },
      {
        namespace: 'default',
        name: 'web-2',
        labels: { app: 'web' },
        timestamp: T1,
        windowSeconds: 300,
        containers: [
          { name: 'app', usage: { cpu: 0.5, memory: 0 } },
          { name: 'log', usage: { cpu: 0, memory: 2048 } },
        ],
      },
    ]);
  });

  it('leaves out a running pod without any sample, and reports the earliest sample time', async () => {
    const { p } = provider((query) =>
      vector(sample({ pod: 'web-1', container: 'app' }, isCpu(query) ? 0.1 : 1024, isCpu(query) ? T1 : T0)),
    );
    const values = await p.getPodMetrics({ namespace: 'default', selector: [], signal });
    expect(values.map((v) => [v.name, v.timestamp])).toEqual([['web-1', T0]]);
  });

  it('serves only running pods: Succeeded and Pending pods are neither queried nor returned', async () => {
    const { p, prom } = provider(
      cadvisor([
        ['default', 'done-1', 'app', 1, 1],
        ['default', 'web-1', 'app', 1, 1],
      ]),
    );
    const values = await p.getPodMetrics({ namespace: 'default', selector: [], signal });
    expect(values.map((v) => v.name)).toEqual(['web-1']);
    expect(prom.queries().every((q) => !q.includes('done-1') && !q.includes('pending-1'))).toBe(true);
  });

  it('runs one query pair per namespace for all namespaces and sorts by namespace then name', async () => {
    const { p, prom } = provider(
      cadvisor([
        ['kube-system', 'coredns-1', 'coredns', 0.002, 15728640],
        ['default', 'web-2', 'app', 0.5, 1024],
        ['default', 'web-1', 'app', 0.25, 1024],
        ['apps', 'api-1', 'api', 1, 1024],
      ]),
    );
    const values = await p.getPodMetrics({ selector: [], signal });
    expect(values.map((v) => `${v.namespace}/${v.name}`)).toEqual([
      'apps/api-1',
      'default/web-1',
      'default/web-2',
      'kube-system/coredns-1',
    ]);
    expect([...prom.queries()].sort()).toEqual(
      [
        'sum(container_memory_working_set_bytes{namespace="apps",pod="api-1"}) by (pod,container)',
        'sum(container_memory_working_set_bytes{namespace="default",pod=~"web-1|web-2"}) by (pod,container)',
        'sum(container_memory_working_set_bytes{namespace="kube-system",pod="coredns-1"}) by (pod,container)',
        'sum(rate(container_cpu_usage_seconds_total{namespace="apps",pod="api-1"}[5m])) by (pod,container)',
        'sum(rate(container_cpu_usage_seconds_total{namespace="default",pod=~"web-1|web-2"}[5m])) by (pod,container)',
        'sum(rate(container_cpu_usage_seconds_total{namespace="kube-system",pod="coredns-1"}[5m])) by (pod,container)',
      ].sort(),
    );
  });

  it('keeps at most `concurrency` queries in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const many = {
      pods: Array.from({ length: 12 }, (_, i) => pod(`ns-${i}`, 'p')),
      nodes: [],
    };
    const { p, prom } = provider(
      () => {
        inFlight++;
        most = Math.max(most, inFlight);
        return new Promise<InstantQueryResult>((resolve) =>
          setTimeout(() => {
            inFlight--;
            resolve(vector());
          }, 2),
        );
      },
      { lister: fakeLister(many).lister, concurrency: 3 },
    );
    await p.getPodMetrics({ selector: [], signal });
    expect(prom.calls).toHaveLength(24);
    expect(most).toBe(3);
  });

  it('passes the labelSelector to the lister and returns the pods it selects with their labels', async () => {
    const { lister, requests } = fakeLister(CLUSTER);
    const { p } = provider(cadvisor([['kube-system', 'coredns-1', 'coredns', 0.002, 15728640]]), { lister });
    const values = await p.getPodMetrics({ selector: parseLabelSelector('k8s=dns'), signal });
    expect(requests).toEqual([{ resource: 'pods', namespace: undefined, selector: 'k8s' }]);
    expect(values.map((v) => [v.name, v.labels])).toEqual([['coredns-1', { k8s: 'dns' }]]);
  });

  it('answers an empty list without querying Prometheus when no running pod is selected', async () => {
    const { p, prom } = provider(cadvisor([]));
    expect(await p.getPodMetrics({ namespace: 'empty', selector: [], signal })).toEqual([]);
    expect(prom.calls).toHaveLength(0);
  });

  it('queries one pod by name and answers only it', async () => {
    const { p, prom } = provider(cadvisor([['default', 'web-1', 'app', 0.25, 1024]]));
    const values = await p.getPodMetrics({ namespace: 'default', name: 'web-1', selector: [], signal });
    expect(values.map((v) => v.name)).toEqual(['web-1']);
    expect(prom.queries()[0]).toBe(
      'sum(rate(container_cpu_usage_seconds_total{namespace="default",pod="web-1"}[5m])) by (pod,container)',
    );
  });

  it.each<[what: string, name: string, code: number, message: string]>([
    ['a pod the API does not have', 'gone', 404, 'pods "gone" not found'],
    ['a pod that is not running', 'done-1', 404, 'podmetrics.metrics.k8s.io "default/done-1" not found'],
    ['a running pod without samples', 'web-2', 404, 'podmetrics.metrics.k8s.io "default/web-2" not found'],
  ])('answers 404 like metrics-server for %s', async (_what, name, code, message) => {
    const { p } = provider(cadvisor([['default', 'web-1', 'app', 0.25, 1024]]));
    const error = await p
      .getPodMetrics({ namespace: 'default', name, selector: [], signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatusError);
    expect(error).toMatchObject({ code, message });
  });
});

describe('failures are errors, never an empty list (SPEC 5.4, 5.5)', () => {
  it.each<[kind: PrometheusError['kind'], code: number, message: string]>([
    ['unreachable', 503, 'unable to fetch the metric pod memory from Prometheus'],
    ['timeout', 503, 'timed out fetching the metric pod memory from Prometheus'],
    ['query', 500, 'Prometheus rejected the query for the metric pod memory; see the adapter log'],
  ])('a %s failure of one namespace query fails the request with %d', async (kind, code, message) => {
    const { p } = provider((query) =>
      !isCpu(query) && query.includes('kube-system')
        ? new PrometheusError(kind, 'detail for the log')
        : vector(sample({ pod: 'web-1', container: 'app' }, 1)),
    );
    const error = await p.getPodMetrics({ selector: [], signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatusError);
    expect(error).toMatchObject({ code, message });
    expect((error as StatusError).cause).toBeInstanceOf(PrometheusError);
  });

  it('aborts the queries still running and starts no more after the first failure', async () => {
    const signals: AbortSignal[] = [];
    const many = { pods: Array.from({ length: 10 }, (_, i) => pod(`ns-${i}`, 'p')), nodes: [] };
    const prom: PrometheusClient = {
      query(query, options) {
        signals.push(options!.signal!);
        if (query.includes('ns-0"') && isCpu(query))
          return Promise.reject(new PrometheusError('http', 'HTTP 502'));
        return new Promise((_resolve, reject) =>
          options!.signal!.addEventListener('abort', () => reject(new PrometheusError('aborted', 'x'))),
        );
      },
      series: () => Promise.reject(new Error('not used')),
    };
    const p = createResourceMetricsProvider({
      rules: compiled(),
      mapper,
      lister: fakeLister(many).lister,
      prometheus: prom,
    });
    await expect(p.getPodMetrics({ selector: [], signal })).rejects.toMatchObject({ code: 503 });
    expect(signals).toHaveLength(4);
    expect(signals.every((s) => s.aborted)).toBe(true);
  });

  it('a query that returns a scalar is a 500 naming the rule', async () => {
    const { p } = provider(() => ({ type: 'scalar', value: 1, timestamp: T1 }));
    await expect(p.getPodMetrics({ namespace: 'default', selector: [], signal })).rejects.toMatchObject({
      code: 500,
      message: expect.stringContaining('the containerQuery of resourceRules.cpu returned a scalar'),
    });
  });

  it('a rule that maps no label to pods is a 500 saying how to fix it', async () => {
    const rules = RULES_YAML.replace(/ {8}pod: \{resource: pod\}\n/g, '');
    const { p } = provider(() => vector(), { rules });
    await expect(p.getPodMetrics({ namespace: 'default', selector: [], signal })).rejects.toMatchObject({
      code: 500,
      message:
        'resourceRules.cpu maps no label to pods; add an override such as {pod: {resource: pod}} to its resources',
    });
  });
});

describe('node metrics (SPEC 5.4)', () => {
  const nodeAnswer = (query: string) =>
    isCpu(query)
      ? vector(
          sample({ instance: 'node-b' }, 1.5, T0),
          sample({ instance: 'node-a' }, 0.012345678),
          sample({ instance: 'node-c' }, 2),
        )
      : vector(sample({ instance: 'node-a' }, 8589934592), sample({ instance: 'node-b' }, 4294967296));

  it('renders nodeQuery with the node names grouped by the node label, and needs both resources per node', async () => {
    const { p, prom } = provider(nodeAnswer);
    const values = await p.getNodeMetrics({ selector: [], signal });
    expect(prom.queries()).toEqual([
      'sum(rate(container_cpu_usage_seconds_total{instance=~"node-a|node-b|node-c",id=\'/\'}[5m])) by (instance)',
      'sum(container_memory_working_set_bytes{instance=~"node-a|node-b|node-c",id=\'/\'}) by (instance)',
    ]);
    expect(values).toEqual([
      {
        name: 'node-a',
        labels: { zone: 'a' },
        timestamp: T1,
        windowSeconds: 300,
        usage: { cpu: 0.012345678, memory: 8589934592 },
      },
      {
        name: 'node-b',
        labels: { zone: 'b' },
        timestamp: T0,
        windowSeconds: 300,
        usage: { cpu: 1.5, memory: 4294967296 },
      },
    ]);
  });

  it.each<[what: string, name: string, message: string]>([
    ['a node the API does not have', 'node-z', 'nodes "node-z" not found'],
    ['a node without memory samples', 'node-c', 'nodemetrics.metrics.k8s.io "node-c" not found'],
  ])('answers 404 like metrics-server for %s', async (_what, name, message) => {
    const { p } = provider(nodeAnswer);
    await expect(p.getNodeMetrics({ name, selector: [], signal })).rejects.toMatchObject({
      code: 404,
      message,
    });
  });

  it('queries one node by name', async () => {
    const { p, prom } = provider(nodeAnswer);
    const values = await p.getNodeMetrics({ name: 'node-b', selector: [], signal });
    expect(values.map((v) => v.name)).toEqual(['node-b']);
    expect(prom.queries()[1]).toBe(
      'sum(container_memory_working_set_bytes{instance="node-b",id=\'/\'}) by (instance)',
    );
  });

  it('fails with 503 when a node query fails', async () => {
    const { p } = provider((query) =>
      isCpu(query) ? new PrometheusError('unreachable', 'ECONNREFUSED') : vector(),
    );
    await expect(p.getNodeMetrics({ selector: [], signal })).rejects.toMatchObject({
      code: 503,
      message: 'unable to fetch the metric node cpu from Prometheus',
    });
  });
});

describe('standalone mode: every pod or node Prometheus has (SPEC 5.4)', () => {
  const lister = createStandaloneObjectLister();

  it('queries every pod of a namespace', async () => {
    const { p, prom } = provider(cadvisor([['default', 'x', 'app', 0.25, 1024]]), { lister });
    const values = await p.getPodMetrics({ namespace: 'default', selector: [], signal });
    expect(prom.queries()[0]).toBe(
      'sum(rate(container_cpu_usage_seconds_total{namespace="default",pod=~".+"}[5m])) by (pod,container)',
    );
    expect(values.map((v) => [v.namespace, v.name, v.labels])).toEqual([['default', 'x', {}]]);
  });

  it('queries all namespaces at once, grouped by the namespace label too, sorted by namespace then name', async () => {
    const { p, prom } = provider(
      cadvisor([
        ['b', 'same', 'app', 0.25, 1024],
        ['a', 'same', 'app', 0.5, 2048],
        ['a', 'other', 'app', 1, 4096],
      ]),
      { lister },
    );
    const values = await p.getPodMetrics({ selector: [], signal });
    expect(prom.queries()).toEqual([
      'sum(rate(container_cpu_usage_seconds_total{pod=~".+"}[5m])) by (pod,namespace,container)',
      'sum(container_memory_working_set_bytes{pod=~".+"}) by (pod,namespace,container)',
    ]);
    expect(values.map((v) => [v.namespace, v.name, v.containers[0]?.usage])).toEqual([
      ['a', 'other', { cpu: 1, memory: 4096 }],
      ['a', 'same', { cpu: 0.5, memory: 2048 }],
      ['b', 'same', { cpu: 0.25, memory: 1024 }],
    ]);
  });

  it('answers 404 for a named pod Prometheus has no samples for', async () => {
    const { p } = provider(cadvisor([]), { lister });
    await expect(
      p.getPodMetrics({ namespace: 'default', name: 'x', selector: [], signal }),
    ).rejects.toMatchObject({ code: 404, message: 'podmetrics.metrics.k8s.io "default/x" not found' });
  });

  it('queries every node', async () => {
    const { p, prom } = provider(
      (query) => vector(sample({ instance: 'n2' }, isCpu(query) ? 1 : 2), sample({ instance: 'n1' }, 3)),
      { lister },
    );
    const values = await p.getNodeMetrics({ selector: [], signal });
    expect(prom.queries()[0]).toBe(
      'sum(rate(container_cpu_usage_seconds_total{instance=~".+",id=\'/\'}[5m])) by (instance)',
    );
    expect(values.map((v) => [v.name, v.usage])).toEqual([
      ['n1', { cpu: 3, memory: 3 }],
      ['n2', { cpu: 1, memory: 2 }],
    ]);
  });

  it('refuses a labelSelector with 400, like custom metrics', async () => {
    const { p, prom } = provider(() => vector(), { lister });
    await expect(p.getPodMetrics({ selector: parseLabelSelector('app=web'), signal })).rejects.toMatchObject({
      code: 400,
    });
    await expect(p.getNodeMetrics({ selector: parseLabelSelector('zone=a'), signal })).rejects.toMatchObject({
      code: 400,
    });
    expect(prom.calls).toHaveLength(0);
  });
});

describe('resourceRules options', () => {
  it('reports window 0 when the file has none (upstream has no default)', async () => {
    const { p } = provider(cadvisor([['default', 'web-1', 'app', 1, 1]]), {
      rules: RULES_YAML.replace('  window: 5m\n', ''),
    });
    const [value] = await p.getPodMetrics({ namespace: 'default', selector: [], signal });
    expect(value?.windowSeconds).toBe(0);
  });

  it('without a containerLabel does not group by container and puts every sample in container ""', async () => {
    const { p, prom } = provider(cadvisor([['default', 'web-1', 'app', 1, 1]]), {
      rules: RULES_YAML.replaceAll('    containerLabel: container\n', ''),
    });
    const [value] = await p.getPodMetrics({ namespace: 'default', selector: [], signal });
    expect(prom.queries()[0]).toMatch(/by \(pod\)$/);
    expect(value?.containers).toEqual([{ name: '', usage: { cpu: 1, memory: 1 } }]);
  });
});
