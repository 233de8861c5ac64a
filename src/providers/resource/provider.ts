/**
 * Resource metrics (`metrics.k8s.io/v1beta1`, SPEC 5.4) from `resourceRules`, as upstream's resource provider
 * computes them and metrics-server's API serves them: CPU in cores and memory in bytes per container of each
 * running pod, and per node.
 */
import type { ResourceInfo } from '../../api/resources.js';
import { internalError, notFound, type StatusError } from '../../api/status.js';
import type { ListedObject, ObjectLister, ResourceMapper } from '../../kube/contract.js';
import type { PrometheusClient, PromSample } from '../../prometheus/client.js';
import type { CompiledResourceRule, CompiledResourceRules } from '../../rules/compile-rules.js';
import { renderQuery, type QueryRequest } from '../../rules/query-builder.js';
import type {
  NodeMetricsValue,
  PodMetricsValue,
  ResourceMetricsProvider,
  ResourceUsage,
} from '../contract.js';
import { prometheusFailure } from '../prometheus-failure.js';
import { runBounded } from './bounded.js';

export interface ResourceProviderDeps {
  rules: CompiledResourceRules;
  mapper: ResourceMapper;
  /** Running pods and nodes with their labels; the standalone lister answers `'any'`. */
  lister: ObjectLister;
  prometheus: PrometheusClient;
  /** Logs the PromQL of each query at debug level (`--v` ≥ 6). */
  logQuery?: (query: string, rule: string) => void;
  /** Prometheus queries in flight at once for one request (default {@link DEFAULT_QUERY_CONCURRENCY}). */
  concurrency?: number;
  /** The evaluation time of a request's queries (default: now). */
  now?: () => Date;
}

/** How many Prometheus queries one request runs at once (an all-namespaces request runs two per namespace). */
export const DEFAULT_QUERY_CONCURRENCY = 4;

/** metrics-server's phase for pods that have metrics. */
const RUNNING = 'Running';

type ResourceKind = 'cpu' | 'memory';
const KINDS: readonly ResourceKind[] = ['cpu', 'memory'];

/** One query's answer: samples by object key (`namespace/name` for pods, the name for nodes). */
type SamplesByKey = Map<string, PromSample[]>;

/**
 * `pods "name" not found`, as metrics-server answers for a pod the API does not have (kubectl prints it as is).
 */
function objectNotFound(resource: 'pods' | 'nodes', name: string): StatusError {
  return notFound(`${resource} ${JSON.stringify(name)} not found`);
}

/** `podmetrics.metrics.k8s.io "ns/name" not found`: metrics-server's answer for an object without metrics. */
function metricsNotFound(resource: 'podmetrics' | 'nodemetrics', name: string): StatusError {
  return notFound(`${resource}.metrics.k8s.io ${JSON.stringify(name)} not found`);
}

function earliest(a: Date | undefined, b: Date): Date {
  return a === undefined || b < a ? b : a;
}

const podKey = (namespace: string, name: string) => `${namespace}/${name}`;

/**
 * Creates the resource metrics provider (SPEC 5.4). Per request it lists the objects (only pods in phase
 * `Running`; in standalone mode every pod or node Prometheus has, and a labelSelector is a 400), then runs the CPU
 * and memory queries at one evaluation time: for pods one pair per namespace, with `.LabelMatchers` = namespace +
 * pod names and `.GroupBy` = pod label + containerLabel; for nodes one pair with the node names and `.GroupBy` =
 * node label. At most `concurrency` queries are in flight; the first failure aborts the others and rejects the
 * request (503/500), never an empty list.
 *
 * Assembly follows upstream prometheus-adapter: a pod with neither CPU nor memory samples is left out; a container
 * with only one of them reports 0 for the other; a node needs both; several samples for one container (or node)
 * keep the last (the first for nodes); the timestamp is the earliest sample's. Containers are sorted by name, pods
 * by namespace then name, nodes by name. Samples without a container name are left out when a containerLabel is
 * set (NB: cadvisor's pod-level cgroup has `container=""`; upstream reports it as a container, counting the pod
 * twice in `kubectl top`).
 */
export function createResourceMetricsProvider(deps: ResourceProviderDeps): ResourceMetricsProvider {
  const { rules } = deps;
  const limit = Math.max(1, deps.concurrency ?? DEFAULT_QUERY_CONCURRENCY);
  const now = deps.now ?? (() => new Date());
  const windowSeconds = rules.windowMs / 1000;

  const coreResource = (resource: 'pods' | 'namespaces' | 'nodes'): ResourceInfo => {
    const info = deps.mapper.lookup(resource, '');
    if (info === undefined) throw internalError(`the resource mapping does not know core ${resource}`);
    return info;
  };

  const labelFor = (rule: CompiledResourceRule, resource: ResourceInfo): string => {
    const label = rule.resources.labelForResource(resource, deps.mapper);
    if (label === undefined) {
      throw internalError(
        `${rule.id} maps no label to ${resource.resource}; add an override such as ` +
          `{${resource.singular}: {resource: ${resource.singular}}} to its resources`,
      );
    }
    return label;
  };

  /** Runs one rendered query and files its samples by key; rejects with the StatusError to answer. */
  const run = async (
    rule: CompiledResourceRule,
    what: string,
    template: 'containerQuery' | 'nodeQuery',
    request: QueryRequest,
    keyOf: (sample: PromSample) => string | undefined,
    time: Date,
    signal: AbortSignal,
  ): Promise<SamplesByKey> => {
    const promql = renderQuery(rule[template], request);
    deps.logQuery?.(promql, rule.id);
    let result;
    try {
      result = await deps.prometheus.query(promql, { signal, time });
    } catch (e) {
      throw prometheusFailure(what, e);
    }
    if (result.type !== 'vector') {
      throw internalError(
        `the ${template} of ${rule.id} returned a ${result.type}; it must return an instant vector grouped by ` +
          (request.objects?.label ?? 'the object label'),
      );
    }
    const byKey: SamplesByKey = new Map();
    for (const sample of result.samples) {
      const key = keyOf(sample);
      if (key === undefined) continue;
      const list = byKey.get(key);
      if (list === undefined) byKey.set(key, [sample]);
      else list.push(sample);
    }
    return byKey;
  };

  /** The selection of one pod query: a namespace (or all) and the pod names (or every pod Prometheus has). */
  interface PodQuery {
    namespace?: string;
    names: readonly string[] | 'any';
  }

  const queryPods = async (
    queries: readonly PodQuery[],
    signal: AbortSignal,
  ): Promise<Record<ResourceKind, SamplesByKey>> => {
    const pods = coreResource('pods');
    const namespaces = coreResource('namespaces');
    const labels = Object.fromEntries(
      KINDS.map((kind) => [
        kind,
        { pod: labelFor(rules[kind], pods), namespace: labelFor(rules[kind], namespaces) },
      ]),
    ) as Record<ResourceKind, { pod: string; namespace: string }>;
    const time = now();
    const tasks = queries.flatMap((q) =>
      KINDS.map((kind) => (taskSignal: AbortSignal) => {
        const rule = rules[kind];
        const { pod: podLabel, namespace: namespaceLabel } = labels[kind];
        const containerGroupBy = rule.containerLabel === '' ? [] : [rule.containerLabel];
        // NB: a standalone all-namespaces query cannot be split by namespace, so it groups by the namespace label
        // too; otherwise pods of the same name in two namespaces would be merged.
        const extraGroupBy =
          q.namespace === undefined ? [namespaceLabel, ...containerGroupBy] : containerGroupBy;
        const request: QueryRequest = {
          series: '',
          metricSelector: [],
          ...(q.namespace === undefined ? {} : { namespace: { label: namespaceLabel, name: q.namespace } }),
          objects: { label: podLabel, names: q.names },
          extraGroupBy,
        };
        const keyOf = (sample: PromSample) => {
          const name = sample.labels[podLabel];
          const namespace = q.namespace ?? sample.labels[namespaceLabel];
          if (name === undefined || name === '' || namespace === undefined || namespace === '')
            return undefined;
          return podKey(namespace, name);
        };
        return run(rule, `pod ${kind}`, 'containerQuery', request, keyOf, time, taskSignal).then(
          (samples) => ({ kind, samples }),
        );
      }),
    );
    const results = await runBounded(tasks, limit, signal);
    const merged: Record<ResourceKind, SamplesByKey> = { cpu: new Map(), memory: new Map() };
    for (const { kind, samples } of results) {
      for (const [key, list] of samples) merged[kind].set(key, list);
    }
    return merged;
  };

  const podValue = (
    namespace: string,
    name: string,
    labels: Readonly<Record<string, string>>,
    samples: Record<ResourceKind, SamplesByKey>,
  ): PodMetricsValue | undefined => {
    const key = podKey(namespace, name);
    const cpu = samples.cpu.get(key);
    const memory = samples.memory.get(key);
    if (cpu === undefined && memory === undefined) return undefined;
    const containers = new Map<string, ResourceUsage>();
    let timestamp: Date | undefined;
    for (const kind of KINDS) {
      const containerLabel = rules[kind].containerLabel;
      for (const sample of (kind === 'cpu' ? cpu : memory) ?? []) {
        const container = containerLabel === '' ? '' : (sample.labels[containerLabel] ?? '');
        if (containerLabel !== '' && container === '') continue;
        let usage = containers.get(container);
        if (usage === undefined) {
          usage = { cpu: 0, memory: 0 };
          containers.set(container, usage);
        }
        usage[kind] = sample.value;
        timestamp = earliest(timestamp, sample.timestamp);
      }
    }
    if (timestamp === undefined) return undefined;
    const names = [...containers.keys()].sort();
    return {
      namespace,
      name,
      labels: { ...labels },
      timestamp,
      windowSeconds,
      containers: names.map((container) => ({ name: container, usage: containers.get(container)! })),
    };
  };

  const getPodMetrics: ResourceMetricsProvider['getPodMetrics'] = async (request) => {
    const { namespace, name, selector, signal } = request;
    const listed = await deps.lister.listObjects(coreResource('pods'), namespace, selector, signal);
    if (listed === 'any') {
      const names = name === undefined ? 'any' : [name];
      const samples = await queryPods([{ ...(namespace === undefined ? {} : { namespace }), names }], signal);
      const keys = new Set([...samples.cpu.keys(), ...samples.memory.keys()]);
      const values: PodMetricsValue[] = [];
      for (const key of [...keys].sort(compareKeys)) {
        const slash = key.indexOf('/');
        const value = podValue(key.slice(0, slash), key.slice(slash + 1), {}, samples);
        if (value !== undefined) values.push(value);
      }
      if (name !== undefined && values.length === 0) {
        throw metricsNotFound('podmetrics', `${namespace ?? ''}/${name}`);
      }
      return values;
    }

    let pods: readonly ListedObject[];
    if (name !== undefined) {
      const pod = listed.find((p) => p.name === name);
      if (pod === undefined) throw objectNotFound('pods', name);
      if (pod.phase !== RUNNING) throw metricsNotFound('podmetrics', `${pod.namespace}/${name}`);
      pods = [pod];
    } else {
      pods = listed.filter((p) => p.phase === RUNNING);
    }
    if (pods.length === 0) return [];
    const byNamespace = new Map<string, string[]>();
    for (const pod of pods) {
      const names = byNamespace.get(pod.namespace);
      if (names === undefined) byNamespace.set(pod.namespace, [pod.name]);
      else names.push(pod.name);
    }
    const samples = await queryPods(
      [...byNamespace].map(([ns, names]) => ({ namespace: ns, names })),
      signal,
    );
    const values: PodMetricsValue[] = [];
    for (const pod of [...pods].sort(compareObjects)) {
      const value = podValue(pod.namespace, pod.name, pod.labels, samples);
      if (value !== undefined) values.push(value);
    }
    if (name !== undefined && values.length === 0) {
      throw metricsNotFound('podmetrics', `${pods[0]!.namespace}/${name}`);
    }
    return values;
  };

  const getNodeMetrics: ResourceMetricsProvider['getNodeMetrics'] = async (request) => {
    const { name, selector, signal } = request;
    const nodes = coreResource('nodes');
    const listed = await deps.lister.listObjects(nodes, undefined, selector, signal);
    let selected: readonly ListedObject[] | 'any';
    if (listed === 'any') selected = 'any';
    else if (name !== undefined) {
      const node = listed.find((n) => n.name === name);
      if (node === undefined) throw objectNotFound('nodes', name);
      selected = [node];
    } else selected = listed;
    if (selected !== 'any' && selected.length === 0) return [];
    const names = selected === 'any' ? (name === undefined ? 'any' : [name]) : selected.map((n) => n.name);
    const nodeLabels = { cpu: labelFor(rules.cpu, nodes), memory: labelFor(rules.memory, nodes) };
    const time = now();
    const tasks = KINDS.map((kind) => (taskSignal: AbortSignal) => {
      const rule = rules[kind];
      const label = nodeLabels[kind];
      const keyOf = (sample: PromSample) => {
        const node = sample.labels[label];
        return node === undefined || node === '' ? undefined : node;
      };
      const query: QueryRequest = { series: '', metricSelector: [], objects: { label, names } };
      return run(rule, `node ${kind}`, 'nodeQuery', query, keyOf, time, taskSignal);
    });
    const [cpu, memory] = (await runBounded(tasks, limit, signal)) as [SamplesByKey, SamplesByKey];
    const objects: ReadonlyArray<{ name: string; labels: Readonly<Record<string, string>> }> =
      selected === 'any'
        ? [...cpu.keys()].sort(compareStrings).map((node) => ({ name: node, labels: {} }))
        : [...selected].sort(compareObjects);
    const values: NodeMetricsValue[] = [];
    for (const node of objects) {
      const cpuSample = cpu.get(node.name)?.[0];
      const memorySample = memory.get(node.name)?.[0];
      if (cpuSample === undefined || memorySample === undefined) continue;
      values.push({
        name: node.name,
        labels: { ...node.labels },
        timestamp: earliest(cpuSample.timestamp, memorySample.timestamp),
        windowSeconds,
        usage: { cpu: cpuSample.value, memory: memorySample.value },
      });
    }
    if (name !== undefined && values.length === 0) throw metricsNotFound('nodemetrics', name);
    return values;
  };

  return { getPodMetrics, getNodeMetrics };
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `namespace/name` keys by namespace, then name (a namespace never contains `/`). */
function compareKeys(a: string, b: string): number {
  const [na = '', ...ra] = a.split('/');
  const [nb = '', ...rb] = b.split('/');
  return compareStrings(na, nb) || compareStrings(ra.join('/'), rb.join('/'));
}

function compareObjects(a: { namespace?: string; name: string }, b: { namespace?: string; name: string }) {
  return compareStrings(a.namespace ?? '', b.namespace ?? '') || compareStrings(a.name, b.name);
}
