import { describe, it, expect } from '@jest/globals';
import { stringify } from 'yaml';

import type { ResourceInfo } from '../../../src/api/resources.js';
import { createStandaloneResourceMapper } from '../../../src/kube/standalone.js';
import { buildCustomRegistry } from '../../../src/providers/custom/registry.js';
import { summarizeSeries, type SeriesSummary } from '../../../src/providers/series-summary.js';
import { loadRules, type CompiledRules } from '../../../src/rules/compile-rules.js';
import {
  defaultRules,
  DefaultRulesOptionError,
  type DefaultRulesOptions,
} from '../../../src/rules/default-rules.js';
import { parseTemplate } from '../../../src/rules/go-template/index.js';
import { renderQuery } from '../../../src/rules/query-builder.js';
import { createResourceConverter } from '../../../src/rules/resource-converter.js';

const mapper = createStandaloneResourceMapper();
const resource = (name: string): ResourceInfo => mapper.lookup(name)!;
const POD_NAMES = ['queue-worker-7d9f8-abcde', 'queue-worker-7d9f8-fghij'];

type Labels = Record<string, string>;

/** Series as a kube-prometheus style setup scrapes them: kubelet's cadvisor, an app, kube-state-metrics, node-exporter. */
const cadvisor = (name: string, extra: Labels = {}): Labels => ({
  __name__: name,
  container: 'worker',
  endpoint: 'https-metrics',
  id: '/kubepods/burstable/pod1234/abcd',
  image: 'registry.example/queue-worker:1.4.2',
  instance: '10.0.0.5:10250',
  job: 'kubelet',
  metrics_path: '/metrics/cadvisor',
  name: 'k8s_worker_queue-worker-7d9f8-abcde_default',
  namespace: 'default',
  node: 'node-1',
  pod: 'queue-worker-7d9f8-abcde',
  service: 'kubelet',
  ...extra,
});
const app = (name: string, extra: Labels = {}): Labels => ({
  __name__: name,
  container: 'worker',
  endpoint: 'metrics',
  instance: '10.244.1.17:8080',
  job: 'queue-worker',
  namespace: 'default',
  pod: 'queue-worker-7d9f8-abcde',
  service: 'queue-worker',
  ...extra,
});
/** The legacy kubernetes-pods scrape job, whose relabelling writes `kubernetes_`-prefixed labels. */
const prefixed = (name: string, extra: Labels = {}): Labels => ({
  __name__: name,
  instance: '10.244.1.17:8080',
  job: 'kubernetes-pods',
  kubernetes_namespace: 'default',
  kubernetes_pod: 'queue-worker-7d9f8-abcde',
  ...extra,
});

const SERIES: Labels[] = [
  cadvisor('container_cpu_usage_seconds_total', { cpu: 'total' }),
  cadvisor('container_cpu_cfs_throttled_seconds_total'),
  cadvisor('container_memory_working_set_bytes'),
  cadvisor('container_spec_memory_limit_bytes'),
  cadvisor('container_fs_reads_total', { device: '/dev/sda' }),
  // NB: network series belong to the pod sandbox in older kubelets, to no container in newer ones.
  cadvisor('container_network_receive_bytes_total', { container: '', interface: 'eth0' }),
  cadvisor('container_memory_working_set_bytes', {
    container: 'POD',
    id: '/kubepods/burstable/pod1234/pause',
  }),
  cadvisor('container_memory_rss', { container: 'POD' }),
  // The root cgroup: no namespace or pod; what the resource rules' nodeQuery reads.
  {
    __name__: 'container_cpu_usage_seconds_total',
    id: '/',
    instance: 'node-1',
    job: 'kubelet',
    cpu: 'total',
  },
  app('http_requests_total', { code: '200', method: 'GET' }),
  app('process_cpu_seconds_total'),
  app('queue_size'),
  app('http_request_duration_seconds_count'),
  {
    __name__: 'kube_deployment_spec_replicas',
    deployment: 'queue-worker',
    instance: '10.244.0.9:8080',
    job: 'kube-state-metrics',
    namespace: 'default',
  },
  { __name__: 'node_cpu_seconds_total', cpu: '0', instance: 'node-1', job: 'node-exporter', mode: 'idle' },
  prefixed('http_requests_total'),
  prefixed('process_cpu_seconds_total'),
  prefixed('queue_size'),
  prefixed('worker_busy_seconds_total'),
  // NB: Prometheus never returns an empty label; the helpers use '' to drop one.
].map((labels) => Object.fromEntries(Object.entries(labels).filter(([, value]) => value !== '')));

/** What Prometheus's `/api/v1/series?match[]=` returns for the simple selectors the default rules use. */
function selectSeries(selector: string, series: readonly Labels[]): Labels[] {
  const body = /^\{(.*)\}$/.exec(selector)?.[1];
  if (body === undefined) throw new Error(`unsupported selector ${selector}`);
  const matchers = [...body.matchAll(/([a-zA-Z_]\w*)(=~|!~|!=|=)("(?:[^"\\]|\\.)*")(?:,|$)/g)].map(
    ([, label, op, quoted]) => {
      const value = JSON.parse(quoted!) as string;
      const re = new RegExp(`^(?:${value})$`);
      return (labels: Labels) => {
        const actual = labels[label!] ?? '';
        switch (op) {
          case '=':
            return actual === value;
          case '!=':
            return actual !== value;
          case '=~':
            return re.test(actual);
          default:
            return !re.test(actual);
        }
      };
    },
  );
  if (matchers.length !== body.split(',').length) throw new Error(`unsupported selector ${selector}`);
  return series.filter((labels) => matchers.every((m) => m(labels)));
}

function compile(options?: DefaultRulesOptions): CompiledRules {
  return loadRules(stringify(defaultRules(options), { lineWidth: 0 }), 'default rules');
}

function registryFor(rules: CompiledRules) {
  const summaries = new Map<string, SeriesSummary>(
    rules.custom.map((r) => [r.seriesQuery, summarizeSeries(selectSeries(r.seriesQuery, SERIES))]),
  );
  return buildCustomRegistry(rules.custom, summaries, mapper);
}

/** The query the custom-metrics provider sends for `namespaces/default/pods/<a|b>/<metric>`. */
function podQuery(rules: CompiledRules, metric: string, names: readonly string[] = POD_NAMES) {
  const entry = registryFor(rules).registry.find(resource('pods'), metric);
  if (entry === undefined) throw new Error(`no pods/${metric}`);
  const { rule, seriesName } = entry;
  return renderQuery(rule.metricsQuery, {
    series: seriesName,
    metricSelector: [],
    namespace: { label: rule.resources.labelForResource(resource('namespaces'), mapper)!, name: 'default' },
    objects: { label: rule.resources.labelForResource(resource('pods'), mapper)!, names },
  });
}

describe('defaultRules: the generated file (upstream config-gen, SPEC 3)', () => {
  it.each<[string, DefaultRulesOptions | undefined]>([
    ['defaults', undefined],
    ['--rate-interval=2m --label-prefix=kubernetes_', { rateInterval: '2m', labelPrefix: 'kubernetes_' }],
    ['an interval of 1.5s', { rateInterval: '1.5s' }],
    ['an interval of a day', { rateInterval: '24h' }],
  ])('loads with the strict loader (%s): six custom rules and resource rules', (_what, options) => {
    const rules = compile(options);
    expect([rules.custom.length, rules.external.length]).toEqual([6, 0]);
    expect(rules.resourceRules?.cpu.containerLabel).toBe('container');
  });

  it('uses one seriesQuery for the cadvisor rules and one for the others, so a relist asks Prometheus twice', () => {
    expect(new Set(defaultRules().rules.map((r) => r.seriesQuery))).toEqual(
      new Set([
        '{__name__=~"^container_.*",container!="POD",namespace!="",pod!=""}',
        '{namespace!="",__name__!~"^container_.*"}',
      ]),
    );
    expect(new Set(defaultRules({ labelPrefix: 'kubernetes_' }).rules.map((r) => r.seriesQuery))).toEqual(
      new Set([
        '{__name__=~"^container_.*",container!="POD",namespace!="",pod!=""}',
        '{kubernetes_namespace!="",__name__!~"^container_.*"}',
      ]),
    );
  });

  it('returns a fresh object on each call', () => {
    const first = defaultRules();
    first.rules[0]!.resources!.overrides!.pod!.resource = 'changed';
    expect(defaultRules().rules[0]!.resources!.overrides!.pod!.resource).toBe('pod');
  });
});

describe('defaultRules against realistic series (SPEC 3.1, 3.2)', () => {
  it('serves counters as rates under the stripped name and gauges under their own, on the resources their labels name', () => {
    const { registry, conflicts } = registryFor(compile());
    expect(conflicts).toEqual([]);
    const metrics = (name: string) =>
      ['pods', 'namespaces', 'services', 'jobs.batch', 'deployments.apps'].flatMap((r) =>
        registry.find(resource(r), name) === undefined ? [] : [r],
      );
    const produced = Object.fromEntries(
      [...new Set(registry.list.map((m) => m.metric))].sort().map((m) => [m, metrics(m)]),
    );
    const cadvisorResources = ['pods', 'namespaces'];
    // NB: as upstream, the template `<<.Resource>>` also reads `service` and `job` labels as resources.
    const appResources = ['pods', 'namespaces', 'services', 'jobs.batch'];
    expect(produced).toEqual({
      cpu_cfs_throttled: cadvisorResources,
      cpu_usage: cadvisorResources,
      fs_reads: cadvisorResources,
      http_request_duration_seconds_count: appResources,
      http_requests: appResources,
      kube_deployment_spec_replicas: ['namespaces', 'jobs.batch', 'deployments.apps'],
      memory_working_set_bytes: cadvisorResources,
      network_receive_bytes: cadvisorResources,
      process_cpu: appResources,
      queue_size: appResources,
      spec_memory_limit_bytes: cadvisorResources,
    });
    expect(
      registry.list.find((m) => m.metric === 'queue_size' && m.groupResource.resource === 'namespaces'),
    ).toMatchObject({ namespaced: false });
    expect(
      registry.list.find((m) => m.metric === 'queue_size' && m.groupResource.resource === 'pods'),
    ).toMatchObject({ namespaced: true });
  });

  it.each<[metric: string, series: string]>([
    ['cpu_usage', 'container_cpu_usage_seconds_total'],
    ['network_receive_bytes', 'container_network_receive_bytes_total'],
    ['memory_working_set_bytes', 'container_memory_working_set_bytes'],
    ['http_requests', 'http_requests_total'],
    ['process_cpu', 'process_cpu_seconds_total'],
    ['queue_size', 'queue_size'],
  ])('serves %s from the series %s', (metric, series) => {
    expect(registryFor(compile()).registry.find(resource('pods'), metric)?.seriesName).toBe(series);
  });

  it('leaves out series no rule keeps: node-exporter (no namespace), the root cgroup, and `*_total` names under other rules', () => {
    const names = registryFor(compile()).registry.list.map((m) => m.metric);
    expect(names).not.toContain('node_cpu');
    expect(names.filter((n) => n.endsWith('_total') || n.startsWith('container_'))).toEqual([]);
  });

  it('with --label-prefix=kubernetes_ reads kubernetes_namespace / kubernetes_pod and still serves cadvisor series', () => {
    const { registry, conflicts } = registryFor(compile({ labelPrefix: 'kubernetes_' }));
    expect(conflicts).toEqual([]);
    const pods = registry.list.filter((m) => m.groupResource.resource === 'pods').map((m) => m.metric);
    expect(pods.sort()).toEqual([
      'cpu_cfs_throttled',
      'cpu_usage',
      'fs_reads',
      'http_requests',
      'memory_working_set_bytes',
      'network_receive_bytes',
      'process_cpu',
      'queue_size',
      'spec_memory_limit_bytes',
      'worker_busy',
    ]);
    expect(registry.find(resource('pods'), 'http_requests')?.seriesName).toBe('http_requests_total');
    // the unprefixed `job` and `service` labels are no longer resources
    expect(registry.find(resource('services'), 'http_requests')).toBeUndefined();
    expect(registry.find(resource('jobs'), 'http_requests')).toBeUndefined();
  });
});

describe('defaultRules: rendered queries for a pod request (SPEC 3.3)', () => {
  const pods = 'pod=~"queue-worker-7d9f8-abcde|queue-worker-7d9f8-fghij"';
  it.each<[metric: string, query: string]>([
    [
      'cpu_usage',
      `sum(rate(container_cpu_usage_seconds_total{namespace="default",${pods},container!="POD"}[5m])) by (pod)`,
    ],
    [
      'network_receive_bytes',
      `sum(rate(container_network_receive_bytes_total{namespace="default",${pods},container!="POD"}[5m])) by (pod)`,
    ],
    [
      'memory_working_set_bytes',
      `sum(container_memory_working_set_bytes{namespace="default",${pods},container!="POD"}) by (pod)`,
    ],
    ['http_requests', `sum(rate(http_requests_total{namespace="default",${pods}}[5m])) by (pod)`],
    ['process_cpu', `sum(rate(process_cpu_seconds_total{namespace="default",${pods}}[5m])) by (pod)`],
    ['queue_size', `sum(queue_size{namespace="default",${pods}}) by (pod)`],
  ])('default options: %s', (metric, query) => {
    expect(podQuery(compile(), metric)).toBe(query);
  });

  const prefixedPods = 'kubernetes_pod=~"queue-worker-7d9f8-abcde|queue-worker-7d9f8-fghij"';
  it.each<[metric: string, query: string]>([
    [
      'cpu_usage',
      `sum(rate(container_cpu_usage_seconds_total{namespace="default",${pods},container!="POD"}[2m])) by (pod)`,
    ],
    [
      'memory_working_set_bytes',
      `sum(container_memory_working_set_bytes{namespace="default",${pods},container!="POD"}) by (pod)`,
    ],
    [
      'http_requests',
      `sum(rate(http_requests_total{kubernetes_namespace="default",${prefixedPods}}[2m])) by (kubernetes_pod)`,
    ],
    [
      'worker_busy',
      `sum(rate(worker_busy_seconds_total{kubernetes_namespace="default",${prefixedPods}}[2m])) by (kubernetes_pod)`,
    ],
    ['queue_size', `sum(queue_size{kubernetes_namespace="default",${prefixedPods}}) by (kubernetes_pod)`],
  ])('--rate-interval=2m --label-prefix=kubernetes_: %s', (metric, query) => {
    expect(podQuery(compile({ rateInterval: '2m', labelPrefix: 'kubernetes_' }), metric)).toBe(query);
  });

  it('one pod is matched with =', () => {
    expect(podQuery(compile(), 'queue_size', ['queue-worker-7d9f8-abcde'])).toBe(
      'sum(queue_size{namespace="default",pod="queue-worker-7d9f8-abcde"}) by (pod)',
    );
  });
});

describe('defaultRules: resource rules (SPEC 5.4)', () => {
  const render = (query: string, objects: { label: string; names: string[] }, namespace?: string) =>
    renderQuery(parseTemplate(query, { name: 'q', leftDelim: '<<', rightDelim: '>>' }), {
      series: '',
      metricSelector: [],
      ...(namespace === undefined ? {} : { namespace: { label: 'namespace', name: namespace } }),
      objects,
      ...(objects.label === 'pod' ? { extraGroupBy: ['container'] } : {}),
    });

  it.each<[interval: string, rendered: string]>([
    ['(default)', '5m'],
    ['2m', '2m'],
    ['90s', '1m30s'],
    ['1h30m', '1h30m'],
    ['24h', '24h'],
    ['1.5s', '1s500ms'],
  ])('--rate-interval=%s is written %s in the rates and as the window', (interval, rendered) => {
    const rules = compile(interval === '(default)' ? {} : { rateInterval: interval });
    const { cpu, memory, window } = rules.resourceRules!;
    expect(window).toBe(rendered);
    expect(render(cpu.containerQuery, { label: 'pod', names: ['a', 'b'] }, 'default')).toBe(
      `sum(rate(container_cpu_usage_seconds_total{namespace="default",pod=~"a|b"}[${rendered}])) by (pod,container)`,
    );
    expect(render(cpu.nodeQuery, { label: 'instance', names: ['node-1'] })).toBe(
      `sum(rate(container_cpu_usage_seconds_total{instance="node-1",id='/'}[${rendered}])) by (instance)`,
    );
    expect(render(memory.containerQuery, { label: 'pod', names: ['a'] }, 'default')).toBe(
      'sum(container_memory_working_set_bytes{namespace="default",pod="a"}) by (pod,container)',
    );
    expect(render(memory.nodeQuery, { label: 'instance', names: ['node-1', 'node-2'] })).toBe(
      `sum(container_memory_working_set_bytes{instance=~"node-1|node-2",id='/'}) by (instance)`,
    );
  });

  it.each(['cpu', 'memory'] as const)('%s maps namespace, pod and instance (→ node) labels', (kind) => {
    const converter = createResourceConverter(compile().resourceRules![kind].resources);
    expect(
      converter
        .resourcesForLabels(['namespace', 'pod', 'instance', 'container', 'id'], mapper)
        .map((r) => r.resource),
    ).toEqual(['namespaces', 'pods', 'nodes']);
  });

  it('keeps containerLabel `container` with a label prefix: cadvisor labels are never prefixed', () => {
    const { cpu, memory } = compile({ labelPrefix: 'kubernetes_' }).resourceRules!;
    expect([cpu.containerLabel, memory.containerLabel]).toEqual(['container', 'container']);
  });
});

describe('defaultRules: invalid options', () => {
  it.each<[what: string, options: DefaultRulesOptions, option: string, message: string]>([
    ['a bare number', { rateInterval: '5' }, 'rateInterval', 'missing unit'],
    ['not a duration', { rateInterval: 'soon' }, 'rateInterval', 'invalid duration "soon"'],
    ['zero', { rateInterval: '0s' }, 'rateInterval', 'positive whole number of milliseconds'],
    ['negative', { rateInterval: '-5m' }, 'rateInterval', 'positive whole number of milliseconds'],
    [
      'below a millisecond',
      { rateInterval: '1500us' },
      'rateInterval',
      'positive whole number of milliseconds',
    ],
    ['a prefix with a dash', { labelPrefix: 'kube-' }, 'labelPrefix', 'invalid label prefix "kube-"'],
    ['a prefix starting with a digit', { labelPrefix: '1_' }, 'labelPrefix', 'invalid label prefix'],
    [
      'a prefix with template delimiters',
      { labelPrefix: '<<.Group>>' },
      'labelPrefix',
      'invalid label prefix',
    ],
  ])('%s is rejected, naming the option', (_what, options, option, message) => {
    let error: unknown;
    try {
      defaultRules(options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DefaultRulesOptionError);
    expect(error).toMatchObject({ option });
    expect((error as Error).message).toContain(message);
  });
});
