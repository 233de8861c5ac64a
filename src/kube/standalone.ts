import type { Requirement } from '../api/label-selector.js';
import type { ResourceInfo } from '../api/resources.js';
import { badRequest } from '../api/status.js';
import type { ObjectLister, ResourceMapper } from './contract.js';

type Row = [
  group: string,
  version: string,
  resource: string,
  singular: string,
  kind: string,
  namespaced: boolean,
];

/** The common built-in resources, as a v1.3x cluster's discovery lists them. */
const BUILTIN: readonly Row[] = [
  ['', 'v1', 'pods', 'pod', 'Pod', true],
  ['', 'v1', 'namespaces', 'namespace', 'Namespace', false],
  ['', 'v1', 'nodes', 'node', 'Node', false],
  ['', 'v1', 'services', 'service', 'Service', true],
  ['', 'v1', 'endpoints', 'endpoints', 'Endpoints', true],
  ['', 'v1', 'persistentvolumeclaims', 'persistentvolumeclaim', 'PersistentVolumeClaim', true],
  ['', 'v1', 'persistentvolumes', 'persistentvolume', 'PersistentVolume', false],
  ['', 'v1', 'replicationcontrollers', 'replicationcontroller', 'ReplicationController', true],
  ['', 'v1', 'configmaps', 'configmap', 'ConfigMap', true],
  ['', 'v1', 'secrets', 'secret', 'Secret', true],
  ['', 'v1', 'serviceaccounts', 'serviceaccount', 'ServiceAccount', true],
  ['apps', 'v1', 'deployments', 'deployment', 'Deployment', true],
  ['apps', 'v1', 'statefulsets', 'statefulset', 'StatefulSet', true],
  ['apps', 'v1', 'daemonsets', 'daemonset', 'DaemonSet', true],
  ['apps', 'v1', 'replicasets', 'replicaset', 'ReplicaSet', true],
  ['batch', 'v1', 'jobs', 'job', 'Job', true],
  ['batch', 'v1', 'cronjobs', 'cronjob', 'CronJob', true],
  [
    'autoscaling',
    'v2',
    'horizontalpodautoscalers',
    'horizontalpodautoscaler',
    'HorizontalPodAutoscaler',
    true,
  ],
  ['networking.k8s.io', 'v1', 'ingresses', 'ingress', 'Ingress', true],
  ['policy', 'v1', 'poddisruptionbudgets', 'poddisruptionbudget', 'PodDisruptionBudget', true],
];

/** A ResourceMapper over a fixed list, with kubectl's name forms. Also the core of the cluster mapper. */
export function createStaticResourceMapper(resources: readonly ResourceInfo[]): ResourceMapper {
  const byName = new Map<string, ResourceInfo[]>();
  const index = (name: string, r: ResourceInfo) => {
    const key = name.toLowerCase();
    const list = byName.get(key) ?? [];
    if (!list.includes(r)) list.push(r);
    byName.set(key, list);
  };
  for (const r of resources) {
    index(r.resource, r);
    index(r.singular, r);
    index(r.kind, r);
  }
  return {
    all: () => resources,
    lookup(resource, group) {
      let name = resource;
      let g = group;
      if (g === undefined && name.includes('.')) {
        const dot = name.indexOf('.');
        g = name.slice(dot + 1);
        name = name.slice(0, dot);
      }
      const candidates = byName.get(name.toLowerCase());
      if (candidates === undefined) return undefined;
      if (g !== undefined) return candidates.find((r) => r.group === g);
      return candidates.find((r) => r.group === '') ?? candidates[0];
    },
  };
}

/** The standalone resource mapping: a built-in table of common resources; no Kubernetes API is contacted. */
export function createStandaloneResourceMapper(): ResourceMapper {
  return createStaticResourceMapper(
    BUILTIN.map(([group, version, resource, singular, kind, namespaced]) => ({
      group,
      version,
      resource,
      singular,
      kind,
      namespaced,
    })),
  );
}

/**
 * Standalone object selection: without the Kubernetes API every object Prometheus knows is served, and a
 * `labelSelector` cannot be honoured, so it is refused rather than ignored (ignoring it would change what an
 * HPA averages).
 */
export function createStandaloneObjectLister(): ObjectLister {
  const every = (resource: ResourceInfo, selector: readonly Requirement[]): Promise<'any'> => {
    if (selector.length > 0) {
      return Promise.reject(
        badRequest(
          `selecting ${resource.resource} by label (labelSelector) needs the Kubernetes API, but the adapter runs ` +
            'with --standalone; drop the labelSelector to get every object Prometheus knows, or run the adapter ' +
            'against a cluster',
        ),
      );
    }
    return Promise.resolve('any');
  };
  return {
    listNames: (resource, _namespace, selector) => every(resource, selector),
    listObjects: (resource, _namespace, selector) => every(resource, selector),
  };
}
