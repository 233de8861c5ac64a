import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { APIService } from 'kubernetes-models/apiregistration.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ClusterRole, ClusterRoleBinding, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Certificate, Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';

import { loadConfig } from '../../../src/rules/load-config.js';
import { loadRules } from '../../../src/rules/compile-rules.js';
import { renderChart } from '../../support/helm-render.js';
import type { K8sObject } from '../../support/helm-render.js';

const CHART = 'charts/prometheus-metrics-adapter';
const queueWorkerValues = parseYaml(readFileSync('test/fixtures/queue-worker/values.yaml', 'utf8')) as Record<
  string,
  unknown
>;

/** kubernetes-models class per apiVersion/kind (cert-manager's from its CRD schemas). */
const MODELS: Record<string, new (obj: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'apiregistration.k8s.io/v1/APIService': APIService,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'cert-manager.io/v1/Certificate': Certificate,
  'cert-manager.io/v1/Issuer': Issuer,
};
const communityValues = parseYaml(
  readFileSync('test/fixtures/community-chart/values-5.x.yaml', 'utf8'),
) as Record<string, unknown>;

const TLS = { enable: true, ca: 'CA PEM', key: 'KEY PEM', certificate: 'CERT PEM' };
const SCENARIOS: [string, unknown][] = [
  ['the queue-worker values', queueWorkerValues],
  ['the community defaults (empty values)', {}],
  ['rules.external', { rules: { external: [externalRule()] } }],
  ['rules.resource', { rules: { resource: resourceRules() } }],
  ['tls.enable', { tls: TLS }],
  ['certManager.enabled', { certManager: { enabled: true } }],
  [
    'certManager.enabled with revision history limits',
    { certManager: { enabled: true, certRevisionHistoryLimit: 2 } },
  ],
  ['rules.existing', { rules: { existing: 'my-rules' } }],
  ['the community chart 5.x values.yaml, whole', communityValues],
  ['every optional key set', everyOptionalKey()],
];

/** Values setting the keys whose templates render only when set. */
function everyOptionalKey(): unknown {
  return {
    deploymentAnnotations: { 'example.com/owner': 'team-queue' },
    podAnnotations: { 'example.com/scrape': 'true' },
    podLabels: { team: 'queue' },
    customLabels: { tier: 'platform' },
    customAnnotations: { 'example.com/managed': 'yes' },
    dnsPolicy: 'ClusterFirstWithHostNet',
    hostNetwork: { enabled: true },
    dnsConfig: { options: [{ name: 'ndots', value: '2' }] },
    priorityClassName: 'system-cluster-critical',
    image: { pullSecrets: ['regcred', { name: 'other-regcred' }] },
    service: { clusterIP: '10.96.0.42', annotations: { 'example.com/svc': 'x' } },
    serviceAccount: { customLabels: { sa: 'adapter' }, annotations: { 'eks.amazonaws.com/role-arn': 'arn' } },
    rbac: { useAuthReaderClusterRole: true },
    env: [{ name: 'TZ', value: 'UTC' }],
    extraVolumes: [{ name: 'ca', configMap: { name: 'prometheus-ca' } }],
    extraVolumeMounts: [{ name: 'ca', mountPath: '/etc/prometheus-ca', readOnly: true }],
    extraContainers: [{ name: 'sidecar', image: 'busybox:1.36', args: ['sleep', 'infinity'] }],
    startupProbe: { httpGet: { path: '/livez', port: 'https', scheme: 'HTTPS' }, failureThreshold: 30 },
    tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    affinity: { nodeAffinity: {} },
    resources: { requests: { cpu: '100m', memory: '128Mi' } },
    podDisruptionBudget: { maxUnavailable: 1 },
    extraManifests: [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'extra', namespace: '{{ .Release.Namespace }}' },
      },
    ],
  };
}

function externalRule(): unknown {
  return {
    seriesQuery: '{__name__="queue_depth"}',
    resources: { overrides: { namespace: { resource: 'namespace' } } },
    name: { matches: '^(.*)$', as: '$1' },
    metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>})',
  };
}

function resourceRules(): unknown {
  const resources = {
    overrides: { node: { resource: 'node' }, namespace: { resource: 'namespace' }, pod: { resource: 'pod' } },
  };
  return {
    cpu: {
      containerQuery:
        'sum(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>}[3m])) by (<<.GroupBy>>)',
      nodeQuery: 'sum(rate(node_cpu_seconds_total{mode!="idle",<<.LabelMatchers>>}[3m])) by (<<.GroupBy>>)',
      resources,
      containerLabel: 'container',
    },
    memory: {
      containerQuery: 'sum(container_memory_working_set_bytes{<<.LabelMatchers>>}) by (<<.GroupBy>>)',
      nodeQuery: 'sum(node_memory_MemTotal_bytes{<<.LabelMatchers>>}) by (<<.GroupBy>>)',
      resources,
      containerLabel: 'container',
    },
    window: '3m',
  };
}

function render(values: unknown): K8sObject[] {
  return renderChart(CHART, { values, releaseName: 'prometheus-adapter', namespace: 'monitoring' }).objects;
}

function find(objects: K8sObject[], kind: string, name?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

function one<T = K8sObject>(objects: K8sObject[], kind: string, name?: string): T {
  const found = find(objects, kind, name);
  expect(found).toHaveLength(1);
  return found[0] as T;
}

interface Container {
  args: string[];
  securityContext: Record<string, unknown>;
  livenessProbe: { httpGet: { path: string; scheme: string } };
  readinessProbe: { httpGet: { path: string; scheme: string } };
  lifecycle: { preStop: { sleep: { seconds: number } } };
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  volumes: {
    name: string;
    emptyDir?: unknown;
    configMap?: { name: string };
    secret?: { secretName: string };
  }[];
  topologySpreadConstraints?: {
    topologyKey: string;
    labelSelector: { matchLabels: Record<string, string> };
  }[];
}
interface DeploymentShape {
  spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { spec: PodSpec } };
}

function deployment(objects: K8sObject[]): DeploymentShape {
  return one<DeploymentShape>(objects, 'Deployment');
}

function container(objects: K8sObject[]): Container {
  const c = deployment(objects).spec.template.spec.containers[0];
  if (c === undefined) throw new Error('no container');
  return c;
}

function apiServices(objects: K8sObject[]): Record<string, number> {
  return Object.fromEntries(
    find(objects, 'APIService').map((o) => [
      o.metadata.name,
      (o.spec as { versionPriority: number }).versionPriority,
    ]),
  );
}

function configYaml(objects: K8sObject[]): string {
  const data = one(objects, 'ConfigMap').data as Record<string, string>;
  const text = data['config.yaml'];
  if (text === undefined) throw new Error('no config.yaml');
  return text;
}

describe('helm chart: every rendered object is a valid Kubernetes object', () => {
  it.each(SCENARIOS)('with %s', (_name, values) => {
    const objects = render(values);
    expect(find(objects, 'Deployment')).toHaveLength(1);
    for (const obj of objects) {
      const key = `${obj.apiVersion}/${obj.kind}`;
      const Model = MODELS[key];
      if (Model === undefined) throw new Error(`no kubernetes-models class for ${key}`);
      expect(() => new Model(obj as never).validate()).not.toThrow();
    }
  });

  it('the validation is not vacuous: a Deployment with a string replica count is rejected', () => {
    const d = structuredClone(one(render(queueWorkerValues), 'Deployment'));
    (d.spec as { replicas: unknown }).replicas = 'two';
    expect(() => new Deployment(d as never).validate()).toThrow();
  });

  it('the cert-manager validation is not vacuous: a Certificate without issuerRef is rejected', () => {
    const cert = structuredClone(
      one(
        render({ certManager: { enabled: true } }),
        'Certificate',
        'prometheus-adapter-prometheus-metrics-adapter-tls',
      ),
    );
    delete (cert.spec as { issuerRef?: unknown }).issuerRef;
    expect(() => new Certificate(cert as never).validate()).toThrow();
  });
});

describe('helm chart: the queue-worker values (community prometheus-adapter 5.x values, unchanged)', () => {
  const objects = render(queueWorkerValues);

  it('passes exactly the upstream chart arguments, with --prometheus-url = url:port + path', () => {
    expect(container(objects).args).toEqual([
      '/adapter',
      '--secure-port=6443',
      '--cert-dir=/tmp/cert',
      '--prometheus-url=http://prometheus-for-adapter-server.kube-system.svc:80',
      '--metrics-relist-interval=1m',
      '--v=4',
      '--config=/etc/adapter/config.yaml',
    ]);
  });

  it("writes a config.yaml the adapter's loader accepts, with the queue-worker's four rules", () => {
    const text = configYaml(objects);
    const compiled = loadRules(text, 'configmap');
    expect(compiled.custom).toHaveLength(4);
    expect(compiled.external).toHaveLength(0);
    expect(loadConfig(text, 'configmap').config).toEqual(
      loadConfig(readFileSync('config/queue-worker.yaml', 'utf8'), 'config/queue-worker.yaml').config,
    );
  });

  it('runs 2 replicas with a PodDisruptionBudget of minAvailable 1 selecting the pods', () => {
    const d = deployment(objects);
    expect(d.spec.replicas).toBe(2);
    const pdb = one<{ spec: { minAvailable: number; selector: unknown } }>(objects, 'PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector).toEqual(d.spec.selector);
  });

  it('runs non-root (uid 10001) on a read-only root filesystem with /tmp as an emptyDir, without capabilities', () => {
    const c = container(objects);
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 10001,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    const volumes = deployment(objects).spec.template.spec.volumes;
    expect(volumes).toContainEqual({ name: 'tmp', emptyDir: {} });
  });

  it('probes /livez and /readyz over HTTPS and sleeps in preStop so endpoints drain', () => {
    const c = container(objects);
    expect(c.livenessProbe.httpGet).toMatchObject({ path: '/livez', scheme: 'HTTPS' });
    expect(c.readinessProbe.httpGet).toMatchObject({ path: '/readyz', scheme: 'HTTPS' });
    expect(c.lifecycle.preStop.sleep.seconds).toBeGreaterThanOrEqual(5);
  });

  it('spreads the replicas across nodes, selecting its own pods', () => {
    const d = deployment(objects);
    const spread = d.spec.template.spec.topologySpreadConstraints ?? [];
    expect(spread).toHaveLength(1);
    expect(spread[0]?.topologyKey).toBe('kubernetes.io/hostname');
    expect(spread[0]?.labelSelector.matchLabels).toEqual(d.spec.selector.matchLabels);
  });

  it('registers custom.metrics.k8s.io v1beta2 preferred over v1beta1, and no external or resource API', () => {
    const services = apiServices(objects);
    expect(Object.keys(services).sort()).toEqual([
      'v1beta1.custom.metrics.k8s.io',
      'v1beta2.custom.metrics.k8s.io',
    ]);
    expect(services['v1beta2.custom.metrics.k8s.io']).toBeGreaterThan(
      services['v1beta1.custom.metrics.k8s.io'] ?? 0,
    );
  });

  it('binds auth-delegator, the auth reader in kube-system, and the resource reader to its service account', () => {
    const sa = one(objects, 'ServiceAccount').metadata.name;
    const subject = { kind: 'ServiceAccount', name: sa, namespace: 'monitoring' };
    const bindings = [...find(objects, 'ClusterRoleBinding'), ...find(objects, 'RoleBinding')] as unknown as {
      metadata: { namespace?: string };
      roleRef: { kind: string; name: string };
      subjects: unknown[];
    }[];
    const byRole = (name: string) => bindings.find((b) => b.roleRef.name === name);
    expect(byRole('system:auth-delegator')?.subjects).toEqual([subject]);
    const reader = byRole('extension-apiserver-authentication-reader');
    expect(reader?.metadata.namespace).toBe('kube-system');
    expect(reader?.roleRef.kind).toBe('Role');
    expect(reader?.subjects).toEqual([subject]);
    expect(byRole('prometheus-adapter-prometheus-metrics-adapter-resource-reader')?.subjects).toEqual([
      subject,
    ]);
  });

  it('lets the resource reader get/list/watch pods, nodes, namespaces and the resources the rules map', () => {
    const role = one<{ rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }>(
      objects,
      'ClusterRole',
      'prometheus-adapter-prometheus-metrics-adapter-resource-reader',
    );
    const core = role.rules.find((r) => r.apiGroups.includes(''));
    expect(core?.verbs).toEqual(['get', 'list', 'watch']);
    expect(core?.resources).toEqual(expect.arrayContaining(['pods', 'nodes', 'namespaces']));
  });

  it("grants the HPA controller's service account get/list on custom.metrics.k8s.io", () => {
    const binding = one<{ roleRef: { name: string }; subjects: unknown[] }>(
      objects,
      'ClusterRoleBinding',
      'prometheus-adapter-prometheus-metrics-adapter-hpa-controller',
    );
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'horizontal-pod-autoscaler', namespace: 'kube-system' },
    ]);
    const role = one<{ rules: { apiGroups: string[]; verbs: string[] }[] }>(
      objects,
      'ClusterRole',
      binding.roleRef.name,
    );
    expect(role.rules).toEqual([
      expect.objectContaining({ apiGroups: ['custom.metrics.k8s.io'], verbs: ['get', 'list'] }),
    ]);
  });
});

describe('helm chart: values switch APIServices and config', () => {
  it('community defaults: rules.default includes files/default-rules.yaml rules and registers custom only', () => {
    const objects = render({});
    const defaults = loadConfig(readFileSync(`${CHART}/files/default-rules.yaml`, 'utf8'), 'defaults').config;
    const config = loadConfig(configYaml(objects), 'configmap').config;
    expect(config.rules).toEqual(defaults.rules);
    expect(Object.keys(apiServices(objects)).sort()).toEqual([
      'v1beta1.custom.metrics.k8s.io',
      'v1beta2.custom.metrics.k8s.io',
    ]);
  });

  it('rules.external: writes externalRules and registers external.metrics.k8s.io with HPA access to it', () => {
    const objects = render({ rules: { default: false, external: [externalRule()] } });
    const compiled = loadRules(configYaml(objects), 'configmap');
    expect(compiled.external).toHaveLength(1);
    expect(compiled.custom).toHaveLength(0);
    expect(Object.keys(apiServices(objects))).toEqual(['v1beta1.external.metrics.k8s.io']);
    const role = one<{ rules: { apiGroups: string[] }[] }>(
      objects,
      'ClusterRole',
      'prometheus-adapter-prometheus-metrics-adapter-server-resources',
    );
    expect(role.rules.map((r) => r.apiGroups[0])).toContain('external.metrics.k8s.io');
  });

  it('rules.resource: writes resourceRules and registers metrics.k8s.io', () => {
    const objects = render({ rules: { resource: resourceRules() } });
    const compiled = loadRules(configYaml(objects), 'configmap');
    expect(compiled.resource).toBeDefined();
    expect(apiServices(objects)).toHaveProperty(['v1beta1.metrics.k8s.io'], 100);
  });

  it('rules.existing: renders no ConfigMap and mounts the named one', () => {
    const objects = render({ rules: { existing: 'my-rules' } });
    expect(find(objects, 'ConfigMap')).toEqual([]);
    expect(deployment(objects).spec.template.spec.volumes).toContainEqual({
      name: 'config',
      configMap: { name: 'my-rules' },
    });
  });

  it('tls.enable: serves the given certificate and pins the APIServices to its CA', () => {
    const objects = render({ tls: TLS });
    const args = container(objects).args;
    expect(args).toEqual(
      expect.arrayContaining([
        '--tls-cert-file=/var/run/serving-cert/tls.crt',
        '--tls-private-key-file=/var/run/serving-cert/tls.key',
      ]),
    );
    const secret = one<{ data: Record<string, string> }>(objects, 'Secret');
    expect(Buffer.from(secret.data['tls.crt'] ?? '', 'base64').toString()).toBe('CERT PEM');
    for (const api of find(objects, 'APIService')) {
      const spec = api.spec as { caBundle?: string; insecureSkipTLSVerify?: boolean };
      expect(Buffer.from(spec.caBundle ?? '', 'base64').toString()).toBe('CA PEM');
      expect(spec.insecureSkipTLSVerify).toBeUndefined();
    }
  });

  it('certManager.enabled: issues the serving certificate and injects its CA into the APIServices', () => {
    const objects = render({ certManager: { enabled: true } });
    const cert = one<{ spec: { secretName: string; dnsNames: string[] } }>(
      objects,
      'Certificate',
      'prometheus-adapter-prometheus-metrics-adapter-tls',
    );
    expect(cert.spec.dnsNames).toContain('prometheus-adapter-prometheus-metrics-adapter.monitoring.svc');
    const volumes = deployment(objects).spec.template.spec.volumes;
    expect(volumes).toContainEqual({
      name: 'volume-serving-cert',
      secret: { secretName: cert.spec.secretName },
    });
    for (const api of find(objects, 'APIService')) {
      expect((api.metadata as { annotations?: Record<string, string> }).annotations).toEqual({
        'cert-manager.io/inject-ca-from': 'monitoring/prometheus-adapter-prometheus-metrics-adapter-tls',
      });
    }
  });

  it('the resource reader covers a non-core resource a rule maps, under its group, in the plural', () => {
    const rule = {
      seriesQuery: '{deployment!=""}',
      resources: { overrides: { deployment: { group: 'apps', resource: 'deployment' } } },
      metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>})',
    };
    const objects = render({ rules: { default: false, custom: [rule] } });
    const role = one<{ rules: { apiGroups: string[]; resources: string[] }[] }>(
      objects,
      'ClusterRole',
      'prometheus-adapter-prometheus-metrics-adapter-resource-reader',
    );
    expect(role.rules.find((r) => r.apiGroups[0] === 'apps')?.resources).toEqual(['deployments']);
  });

  it('prometheus.path and extraArguments are appended as upstream does', () => {
    const objects = render({
      prometheus: { url: 'http://thanos.monitoring.svc', port: 9090, path: '/prom' },
      extraArguments: ['--prometheus-verb=POST'],
    });
    const args = container(objects).args;
    expect(args).toContain('--prometheus-url=http://thanos.monitoring.svc:9090/prom');
    expect(args.at(-1)).toBe('--prometheus-verb=POST');
  });
});

/** Leaf key paths of a values tree with their values; arrays and empty maps are leaves. */
function leaves(v: unknown, path = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
    for (const [k, x] of Object.entries(v)) {
      for (const [p, y] of leaves(x, path === '' ? k : `${path}.${k}`)) out.set(p, y);
    }
  } else {
    out.set(path, v);
  }
  return out;
}

describe('helm chart: the community chart 5.x values.yaml', () => {
  const ours = leaves(parseYaml(readFileSync(`${CHART}/values.yaml`, 'utf8')));
  const theirs = leaves(communityValues);

  it('every key of it is a key of ours', () => {
    expect([...theirs.keys()].filter((k) => !ours.has(k))).toEqual([]);
  });

  it('our defaults differ from it only where documented as "differs", or where it leaves a key empty', () => {
    const differing = [...theirs]
      .filter(([k, v]) => JSON.stringify(ours.get(k)) !== JSON.stringify(v))
      .filter(([, v]) => v !== null)
      .map(([k]) => k)
      .sort();
    expect(differing).toEqual([
      'image.repository',
      'livenessProbe.httpGet.path',
      'podDisruptionBudget.enabled',
      'podDisruptionBudget.maxUnavailable',
      'readinessProbe.httpGet.path',
      'replicas',
      'topologySpreadConstraints',
    ]);
  });

  it('given whole, renders what upstream does (one replica, no PDB, /healthz probes, no spread), with our image', () => {
    const objects = render(communityValues);
    const d = deployment(objects);
    expect(d.spec.replicas).toBe(1);
    expect(find(objects, 'PodDisruptionBudget')).toEqual([]);
    expect(container(objects).livenessProbe.httpGet.path).toBe('/healthz');
    expect(d.spec.template.spec.topologySpreadConstraints).toBeUndefined();
    expect(container(objects).args).toContain('--prometheus-url=http://prometheus.default.svc:9090');
    expect(container(objects)).toHaveProperty(
      'image',
      'ghcr.io/prometheus-metrics-adapter/prometheus-metrics-adapter:0.1.0',
    );
  });
});

describe('helm chart: optional keys', () => {
  it("an image repository other than upstream's default (a mirror) is used as given", () => {
    expect(
      container(render({ image: { repository: 'mirror.example.com/pma', tag: '1.2.3' } })),
    ).toHaveProperty('image', 'mirror.example.com/pma:1.2.3');
  });

  const objects = render(everyOptionalKey());

  it('prometheus.url and extraManifests are run through tpl, as upstream', () => {
    const templated = render({
      prometheus: { url: 'http://{{ .Release.Name }}-prometheus.{{ .Release.Namespace }}.svc' },
    });
    expect(container(templated).args).toContain(
      '--prometheus-url=http://prometheus-adapter-prometheus.monitoring.svc:9090',
    );
    expect(one(objects, 'ConfigMap', 'extra').metadata).toEqual({ name: 'extra', namespace: 'monitoring' });
  });

  it('deploymentAnnotations and customAnnotations annotate the Deployment; podAnnotations the pods', () => {
    const d = one<{
      metadata: { annotations: Record<string, string> };
      spec: {
        template: { metadata: { annotations: Record<string, string>; labels: Record<string, string> } };
      };
    }>(objects, 'Deployment');
    expect(d.metadata.annotations).toEqual({
      'example.com/owner': 'team-queue',
      'example.com/managed': 'yes',
    });
    expect(d.spec.template.metadata.annotations).toHaveProperty(['example.com/scrape'], 'true');
    expect(d.spec.template.metadata.labels).toMatchObject({ team: 'queue', tier: 'platform' });
  });

  it('pull secrets may be names or {name} objects; dnsPolicy, hostNetwork and clusterIP pass through', () => {
    const spec = one<{ spec: { template: { spec: Record<string, unknown> } } }>(objects, 'Deployment').spec
      .template.spec;
    expect(spec.imagePullSecrets).toEqual([{ name: 'regcred' }, { name: 'other-regcred' }]);
    expect(spec).toMatchObject({
      dnsPolicy: 'ClusterFirstWithHostNet',
      hostNetwork: true,
      priorityClassName: 'system-cluster-critical',
    });
    expect(one<{ spec: { clusterIP: string } }>(objects, 'Service').spec.clusterIP).toBe('10.96.0.42');
  });

  it('serviceAccount.customLabels label the ServiceAccount', () => {
    expect(one(objects, 'ServiceAccount').metadata).toMatchObject({
      labels: { sa: 'adapter', tier: 'platform' },
    });
  });

  it('rbac.useAuthReaderClusterRole binds a ClusterRole of its own in kube-system instead of the built-in Role', () => {
    const role = one<{ rules: unknown[] }>(
      objects,
      'ClusterRole',
      'prometheus-adapter-prometheus-metrics-adapter-auth-reader',
    );
    expect(role.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['extension-apiserver-authentication'],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
    const binding = one<{ metadata: { namespace: string }; roleRef: unknown }>(objects, 'RoleBinding');
    expect(binding.metadata.namespace).toBe('kube-system');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'prometheus-adapter-prometheus-metrics-adapter-auth-reader',
    });
  });

  it('an explicit podDisruptionBudget.maxUnavailable wins over the minAvailable default (Kubernetes takes one)', () => {
    expect(one(objects, 'PodDisruptionBudget').spec).toMatchObject({ maxUnavailable: 1 });
    expect(one(objects, 'PodDisruptionBudget').spec).not.toHaveProperty('minAvailable');
  });

  it('no PDB over a single replica by default: minAvailable 1 would block every node drain', () => {
    expect(find(render({ replicas: 1 }), 'PodDisruptionBudget')).toEqual([]);
    expect(one(render({ replicas: 3 }), 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: 1 });
  });

  it('certManager revision history limits render only when set', () => {
    const name = 'prometheus-adapter-prometheus-metrics-adapter-tls';
    expect(one(render({ certManager: { enabled: true } }), 'Certificate', name).spec).not.toHaveProperty(
      'revisionHistoryLimit',
    );
    expect(
      one(render({ certManager: { enabled: true, certRevisionHistoryLimit: 3 } }), 'Certificate', name).spec,
    ).toHaveProperty('revisionHistoryLimit', 3);
  });

  it('psp.create fails the install with the reason: PodSecurityPolicy no longer exists', () => {
    expect(() => render({ psp: { create: true } })).toThrow(
      /psp\.create: PodSecurityPolicy was removed in Kubernetes 1\.25/,
    );
  });

  it.each([
    ['pod', 'pods'],
    ['pods', 'pods'],
    ['Deployment', 'deployments'],
    ['ingress', 'ingresses'],
    ['ingresses', 'ingresses'],
    ['networkpolicy', 'networkpolicies'],
    ['networkpolicies', 'networkpolicies'],
    ['endpoints', 'endpoints'],
    ['statefulset', 'statefulsets'],
  ])('the resource reader grants a rule resource %s as %s', (resource, plural) => {
    const rule = {
      seriesQuery: '{x!=""}',
      resources: { overrides: { x: { group: 'example.com', resource } } },
      metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>})',
    };
    const role = one<{ rules: { apiGroups: string[]; resources: string[] }[] }>(
      render({ rules: { default: false, custom: [rule] } }),
      'ClusterRole',
      'prometheus-adapter-prometheus-metrics-adapter-resource-reader',
    );
    expect(role.rules.find((r) => r.apiGroups[0] === 'example.com')?.resources).toEqual([plural]);
  });
});

describe('helm chart files', () => {
  it('files/default-rules.yaml is identical to config/default-rules.yaml', () => {
    expect(readFileSync(`${CHART}/files/default-rules.yaml`, 'utf8')).toBe(
      readFileSync('config/default-rules.yaml', 'utf8'),
    );
  });
});
