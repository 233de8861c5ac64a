import {
  aroundNow,
  constantGauge,
  linearCounter,
  openMetrics,
  type MetricFamily,
  type Sample,
} from '../../src/cli/demo/openmetrics.js';

/**
 * Deterministic cadvisor- and node_exporter-style data for `kubectl top`, stamped around now: CPU counters growing
 * at exact rates (cores) and constant working-set gauges (bytes), chosen so that kubectl's rendering is exact.
 */

export interface TopPod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** container → usage */
  containers: Record<string, { cpu: number; memory: number }>;
}

const Mi = 1024 * 1024;
const Gi = 1024 * Mi;

/** Pods the Kubernetes API has (all Running) and Prometheus has series for. */
export const TOP_PODS: readonly TopPod[] = [
  {
    namespace: 'default',
    name: 'web-7d4b9c8f6-abcde',
    labels: { app: 'web', 'pod-template-hash': '7d4b9c8f6' },
    containers: { app: { cpu: 0.25, memory: 256 * Mi }, proxy: { cpu: 0.01, memory: 32 * Mi } },
  },
  {
    namespace: 'default',
    name: 'web-7d4b9c8f6-fghij',
    labels: { app: 'web', 'pod-template-hash': '7d4b9c8f6' },
    containers: { app: { cpu: 0.5, memory: 512 * Mi }, proxy: { cpu: 0.02, memory: 32 * Mi } },
  },
  {
    namespace: 'default',
    name: 'batch-5c4f8-zz9yx',
    labels: { app: 'batch' },
    containers: { worker: { cpu: 1.5, memory: 1 * Gi } },
  },
  {
    namespace: 'kube-system',
    name: 'coredns-7d764666f9-bdk7p',
    labels: { 'k8s-app': 'kube-dns' },
    containers: { coredns: { cpu: 0.003, memory: 15 * Mi } },
  },
];

/** A pod Prometheus still has series for but the API no longer has (it terminated): never served in cluster mode. */
export const GONE_POD: TopPod = {
  namespace: 'default',
  name: 'web-7d4b9c8f6-old00',
  labels: {},
  containers: { app: { cpu: 2, memory: 2 * Gi } },
};

export interface TopNode {
  name: string;
  labels: Record<string, string>;
  allocatable: { cpu: string; memory: string };
  /** cpu → mode → cores spent in that mode */
  cpuModes: Record<string, Record<string, number>>;
  memTotal: number;
  memAvailable: number;
}

/** Nodes the Kubernetes API has; busy CPU = every mode but idle, iowait and steal (the chart's node rule). */
export const TOP_NODES: readonly TopNode[] = [
  {
    name: 'kind-control-plane',
    labels: { 'kubernetes.io/hostname': 'kind-control-plane', 'node-role.kubernetes.io/control-plane': '' },
    allocatable: { cpu: '2', memory: '8Gi' },
    cpuModes: { '0': { user: 0.3, system: 0.1, idle: 0.55, iowait: 0.05 } },
    memTotal: 8 * Gi,
    memAvailable: 6 * Gi,
  },
  {
    name: 'kind-worker',
    labels: { 'kubernetes.io/hostname': 'kind-worker' },
    allocatable: { cpu: '4', memory: '16Gi' },
    cpuModes: {
      '0': { user: 0.5, system: 0.25, idle: 0.25 },
      '1': { user: 0.25, idle: 0.75 },
    },
    memTotal: 16 * Gi,
    memAvailable: 13 * Gi,
  },
];

/** A node Prometheus has series for but the API does not (it was removed): never served in cluster mode. */
export const GONE_NODE: TopNode = {
  name: 'kind-worker2',
  labels: {},
  allocatable: { cpu: '1', memory: '1Gi' },
  cpuModes: { '0': { user: 1 } },
  memTotal: 2 * Gi,
  memAvailable: 1 * Gi,
};

/** Busy cores of a node as the chart's node rule computes them. */
export function busyCores(node: TopNode): number {
  let sum = 0;
  for (const modes of Object.values(node.cpuModes))
    for (const [mode, cores] of Object.entries(modes))
      if (!['idle', 'iowait', 'steal'].includes(mode)) sum += cores;
  return sum;
}

/**
 * The rules.resource example of the community chart's values.yaml (prometheus-community/prometheus-adapter), as a
 * rules file: cadvisor's container series for pods (without the pod-level `container=""` series), node_exporter's
 * series with a `node` label for nodes.
 */
export const CHART_RESOURCE_RULES = `resourceRules:
  cpu:
    containerQuery: |
      sum by (<<.GroupBy>>) (
        rate(container_cpu_usage_seconds_total{container!="",<<.LabelMatchers>>}[3m])
      )
    nodeQuery: |
      sum by (<<.GroupBy>>) (
        rate(node_cpu_seconds_total{mode!="idle",mode!="iowait",mode!="steal",<<.LabelMatchers>>}[3m])
      )
    resources:
      overrides:
        node:
          resource: node
        namespace:
          resource: namespace
        pod:
          resource: pod
    containerLabel: container
  memory:
    containerQuery: |
      sum by (<<.GroupBy>>) (
        avg_over_time(container_memory_working_set_bytes{container!="",<<.LabelMatchers>>}[3m])
      )
    nodeQuery: |
      sum by (<<.GroupBy>>) (
        avg_over_time(node_memory_MemTotal_bytes{<<.LabelMatchers>>}[3m])
        -
        avg_over_time(node_memory_MemAvailable_bytes{<<.LabelMatchers>>}[3m])
      )
    resources:
      overrides:
        node:
          resource: node
        namespace:
          resource: namespace
        pod:
          resource: pod
    containerLabel: container
  window: 3m
`;

/** OpenMetrics text for {@link TOP_PODS}, {@link GONE_POD}, {@link TOP_NODES} and {@link GONE_NODE}. */
export function resourceMetricsOpenMetrics(nowMs = Date.now()): string {
  const window = { ...aroundNow(15 * 60, 60 * 60, nowMs), stepSeconds: 15 };
  const cpu: Sample[] = [];
  const memory: Sample[] = [];
  for (const pod of [...TOP_PODS, GONE_POD]) {
    const base = { job: 'kubelet', namespace: pod.namespace, pod: pod.name, node: 'kind-worker' };
    let podCpu = 0;
    let podMemory = 0;
    for (const [container, usage] of Object.entries(pod.containers)) {
      const labels = { ...base, container, id: `/kubepods/${pod.name}/${container}` };
      cpu.push(...linearCounter({ ...window, ratePerSecond: usage.cpu, labels }));
      memory.push(...constantGauge({ ...window, value: usage.memory, labels }));
      podCpu += usage.cpu;
      podMemory += usage.memory;
    }
    // NB: cadvisor's pod-level cgroup, `container=""`: the rules leave it out, or every pod would count twice.
    const podLevel = { ...base, container: '', id: `/kubepods/${pod.name}` };
    cpu.push(...linearCounter({ ...window, ratePerSecond: podCpu, labels: podLevel }));
    memory.push(...constantGauge({ ...window, value: podMemory, labels: podLevel }));
  }
  const nodeCpu: Sample[] = [];
  const memTotal: Sample[] = [];
  const memAvailable: Sample[] = [];
  for (const node of [...TOP_NODES, GONE_NODE]) {
    const base = { job: 'node-exporter', node: node.name, instance: `${node.name}:9100` };
    for (const [cpuId, modes] of Object.entries(node.cpuModes))
      for (const [mode, cores] of Object.entries(modes))
        nodeCpu.push(
          ...linearCounter({ ...window, ratePerSecond: cores, labels: { ...base, cpu: cpuId, mode } }),
        );
    memTotal.push(...constantGauge({ ...window, value: node.memTotal, labels: base }));
    memAvailable.push(...constantGauge({ ...window, value: node.memAvailable, labels: base }));
  }
  const families: MetricFamily[] = [
    { name: 'container_cpu_usage_seconds', type: 'counter', samples: cpu },
    { name: 'container_memory_working_set_bytes', type: 'gauge', samples: memory },
    { name: 'node_cpu_seconds', type: 'counter', samples: nodeCpu },
    { name: 'node_memory_MemTotal_bytes', type: 'gauge', samples: memTotal },
    { name: 'node_memory_MemAvailable_bytes', type: 'gauge', samples: memAvailable },
  ];
  return openMetrics(families);
}

/**
 * A core/v1 Node as the API serves it, reduced to what the adapter and `kubectl top nodes` read (metadata with
 * labels, allocatable and capacity). NB: no Node was recorded in test/fixtures/kube; the shape follows the API.
 */
export function nodeObject(node: TopNode, resourceVersion: string): Record<string, unknown> {
  const resources = { ...node.allocatable, 'ephemeral-storage': '100Gi', pods: '110' };
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: {
      name: node.name,
      uid: `00000000-0000-4000-8000-${node.name
        .replace(/[^a-z0-9]/g, '')
        .slice(0, 12)
        .padEnd(12, '0')}`,
      resourceVersion,
      creationTimestamp: '2026-11-22T09:00:00Z',
      labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', ...node.labels },
    },
    spec: { podCIDR: '10.244.0.0/24', providerID: `kind://docker/kind/${node.name}` },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ],
      nodeInfo: { kubeletVersion: 'v1.35.0', operatingSystem: 'linux', architecture: 'amd64' },
    },
  };
}
