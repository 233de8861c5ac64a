/**
 * `kubectl top pods` and `kubectl top nodes` (the real kubectl) against the built adapter in cluster mode, reached
 * through the test aggregator front like the kube-apiserver proxies metrics.k8s.io, with a real Prometheus holding
 * backfilled cadvisor- and node_exporter-style data, the community chart's resource rules, and the fake
 * kube-apiserver for pods, nodes, discovery and authentication (SPEC 5.4, issue 4).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AggregatorFront } from '../support/aggregator-front.js';
import { startClusterHarness, type ClusterHarness } from '../support/cluster-harness.js';
import { sendJson, type FakeKubeApi } from '../support/fake-kube-api.js';
import { kubectl, kubectlGetRaw } from '../support/kubectl.js';
import {
  busyCores,
  CHART_RESOURCE_RULES,
  GONE_NODE,
  GONE_POD,
  nodeObject,
  resourceMetricsOpenMetrics,
  TOP_NODES,
  TOP_PODS,
  type TopPod,
} from '../support/resource-metrics-data.js';

/** kubectl authenticates to the front with this token; the fake API accepts the same one for core requests. */
const ADMIN_TOKEN = 'admin-token';
const ADMIN = { username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] };
const BOB = { username: 'bob', groups: ['system:authenticated'] };
const Mi = 1024 * 1024;

let cluster: ClusterHarness;
let front: AggregatorFront;

/** Serves the nodes of {@link TOP_NODES} at `/api/v1/nodes` (LIST, and a WATCH that stays open without events). */
function serveNodes(fake: FakeKubeApi): void {
  fake.route('GET', '/api/v1/nodes', (request, response) => {
    const rv = fake.resourceVersion();
    if (request.query.get('watch') === 'true') {
      response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      response.flushHeaders();
      return;
    }
    const items = TOP_NODES.map((n) => nodeObject(n, rv)).map(
      ({ kind: _k, apiVersion: _a, ...item }) => item,
    );
    sendJson(response, 200, { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: rv }, items });
  });
  fake.route('GET', /^\/api\/v1\/nodes\/[^/]+$/, (request, response) => {
    const name = decodeURIComponent(request.path.slice('/api/v1/nodes/'.length));
    const node = TOP_NODES.find((n) => n.name === name);
    if (node === undefined) {
      sendJson(response, 404, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `nodes "${name}" not found`,
        reason: 'NotFound',
        details: { name, kind: 'nodes' },
        code: 404,
      });
    } else sendJson(response, 200, nodeObject(node, fake.resourceVersion()));
  });
}

beforeAll(async () => {
  const rules = join(mkdtempSync(join(tmpdir(), 'pma-top-')), 'rules.yaml');
  writeFileSync(rules, CHART_RESOURCE_RULES);
  cluster = await startClusterHarness({
    rulesFile: rules,
    backfill: resourceMetricsOpenMetrics(),
    apiToken: ADMIN_TOKEN,
    users: { [ADMIN_TOKEN]: ADMIN, 'bob-token': BOB },
    // Like the chart's system:aggregated-metrics-reader bound to the admin; bob only has discovery.
    allow: (spec) =>
      spec.nonResourceAttributes !== undefined ||
      (spec.user === ADMIN.username && spec.resourceAttributes?.group === 'metrics.k8s.io'),
    groups: ['custom.metrics.k8s.io', 'metrics.k8s.io'],
    prepare: (fake) => {
      serveNodes(fake);
      for (const pod of TOP_PODS)
        fake.addPod({ namespace: pod.namespace, name: pod.name, labels: pod.labels });
    },
  });
  front = cluster.front;
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Runs the real `kubectl top ...` against the front; never rejects. */
function kubectlTop(args: string[], token = ADMIN_TOKEN) {
  return kubectl(front.url, ['top', ...args], token);
}

/** The rows of kubectl's table output, split on whitespace, without the header. */
function rows(stdout: string): string[][] {
  const [, ...lines] = stdout.trimEnd().split('\n');
  return lines.map((line) => line.trim().split(/\s+/));
}

/** How kubectl prints a CPU and a memory total: milli-cores and whole MiB. */
const cpuText = (cores: number) => `${Math.round(cores * 1000)}m`;
const memText = (bytes: number) => `${Math.floor(bytes / Mi)}Mi`;
const podTotals = (pod: TopPod) => {
  const usages = Object.values(pod.containers);
  return [
    pod.name,
    cpuText(usages.reduce((s, u) => s + u.cpu, 0)),
    memText(usages.reduce((s, u) => s + u.memory, 0)),
  ];
};
const inNamespace = (ns: string) => TOP_PODS.filter((p) => p.namespace === ns);

describe('kubectl top pods (SPEC 5.4)', () => {
  it('prints the CPU and memory of the running pods of a namespace, summed over containers, sorted by name', async () => {
    const res = await kubectlTop(['pods', '-n', 'default']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*\n/);
    const expected = inNamespace('default')
      .map(podTotals)
      .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
    expect(rows(res.stdout)).toEqual(expected);
    // The pod Prometheus still has but the API does not is not served.
    expect(res.stdout).not.toContain(GONE_POD.name);
  });

  it('prints every container with --containers', async () => {
    const res = await kubectlTop(['pods', '-n', 'default', '--containers', '-l', 'app=web']);
    expect(res.stderr).toBe('');
    const expected = inNamespace('default')
      .filter((p) => p.labels.app === 'web')
      .flatMap((pod) =>
        Object.entries(pod.containers).map(([name, u]) => [
          pod.name,
          name,
          cpuText(u.cpu),
          memText(u.memory),
        ]),
      );
    expect(rows(res.stdout)).toEqual(expected);
  });

  it('selects pods by label and across all namespaces, sorted by namespace then name', async () => {
    const res = await kubectlTop(['pods', '-A']);
    expect(res.stderr).toBe('');
    expect(rows(res.stdout)).toEqual(
      [...TOP_PODS]
        .sort((a, b) => (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1))
        .map((pod) => [pod.namespace, ...podTotals(pod)]),
    );
    const selected = await kubectlTop(['pods', '-n', 'default', '-l', 'app=batch']);
    expect(rows(selected.stdout)).toEqual(
      inNamespace('default')
        .filter((p) => p.labels.app === 'batch')
        .map(podTotals),
    );
  });

  it('prints one pod by name, and says which pod has no metrics', async () => {
    const pod = TOP_PODS[1]!;
    const res = await kubectlTop(['pod', pod.name, '-n', pod.namespace]);
    expect(res.stderr).toBe('');
    expect(rows(res.stdout)).toEqual([podTotals(pod)]);

    const missing = await kubectlTop(['pod', GONE_POD.name, '-n', GONE_POD.namespace]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(`pods "${GONE_POD.name}" not found`);
  });

  it('answers the raw PodMetrics JSON as metrics-server does (window from the rules)', async () => {
    const pod = TOP_PODS[0]!;
    const res = await kubectlGetRaw(
      front.url,
      `/apis/metrics.k8s.io/v1beta1/namespaces/${pod.namespace}/pods/${pod.name}`,
      ADMIN_TOKEN,
    );
    expect(res.stderr).toBe('');
    const body = JSON.parse(res.stdout) as {
      metadata: { creationTimestamp: string };
      timestamp: string;
    };
    const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
    expect(body.metadata.creationTimestamp).toMatch(rfc3339);
    expect(body.timestamp).toMatch(rfc3339);
    expect(body).toEqual({
      kind: 'PodMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {
        name: pod.name,
        namespace: pod.namespace,
        creationTimestamp: body.metadata.creationTimestamp,
        labels: pod.labels,
      },
      timestamp: body.timestamp,
      window: '3m0s',
      containers: [
        { name: 'app', usage: { cpu: '250m', memory: '256Mi' } },
        { name: 'proxy', usage: { cpu: '10m', memory: '32Mi' } },
      ],
    });
  });

  it('is forbidden to a user RBAC does not allow (list pods in metrics.k8s.io, as metrics-server)', async () => {
    // NB: `get --raw`, because the fake kube API itself only knows the admin's token.
    const res = await kubectlGetRaw(
      front.url,
      '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods',
      'bob-token',
    );
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('User "bob" cannot list resource "pods" in API group "metrics.k8s.io"');
  });
});

describe('kubectl top nodes (SPEC 5.4)', () => {
  const nodeRow = (node: (typeof TOP_NODES)[number]) => {
    const cpu = busyCores(node);
    const memory = node.memTotal - node.memAvailable;
    const allocatableCpu = Number(node.allocatable.cpu);
    const allocatableMemory = Number(node.allocatable.memory.replace('Gi', '')) * 1024 * Mi;
    return [
      node.name,
      cpuText(cpu),
      `${Math.floor((cpu / allocatableCpu) * 100)}%`,
      memText(memory),
      `${Math.floor((memory / allocatableMemory) * 100)}%`,
    ];
  };

  it('prints the CPU and memory of every node with the share of its allocatable resources', async () => {
    const res = await kubectlTop(['nodes']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^NAME\s+CPU\(cores\)\s+CPU/);
    expect(rows(res.stdout)).toEqual(TOP_NODES.map(nodeRow));
    expect(res.stdout).not.toContain(GONE_NODE.name);
  });

  it('prints one node by name', async () => {
    const node = TOP_NODES[1]!;
    const res = await kubectlTop(['node', node.name]);
    expect(res.stderr).toBe('');
    expect(rows(res.stdout)).toEqual([nodeRow(node)]);
  });
});
