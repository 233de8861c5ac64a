/**
 * Reading the current values of an HPA's metrics the way the HPA controller reads them (SPEC 7), behind one
 * interface with two implementations: over HTTP from a running adapter (or the kube-apiserver that proxies it),
 * and in-process from an engine over Prometheus.
 */
import { groupResourceString, type ResourceLookup } from '../../api/resources.js';

/** A milli-value of one pod (the HPA's `MilliValue()` of the quantity). */
export interface PodValue {
  pod: string;
  milli: bigint;
}

export interface ObjectReference {
  kind: string;
  name: string;
  apiVersion?: string;
}

/**
 * Where metric values come from. Calls reject with an Error whose message says what failed (the answer's status
 * and message for HTTP errors). Selectors are label selector strings (`a=b,c in (d)`), `""` for none.
 */
export interface MetricReader {
  /** False when `podSelector` cannot be applied (no Kubernetes API to list pods by label). */
  readonly appliesPodSelector: boolean;
  /** `GET .../namespaces/{ns}/pods/*\/{metric}?labelSelector=...`: the pods' values. */
  podsMetric(request: {
    namespace: string;
    metric: string;
    metricSelector: string;
    podSelector: string;
  }): Promise<PodValue[]>;
  /** `GET .../namespaces/{ns}/{resource}/{name}/{metric}`: exactly one value, or a rejection. */
  objectMetric(request: {
    namespace: string;
    object: ObjectReference;
    metric: string;
    metricSelector: string;
  }): Promise<bigint>;
  /** `GET external.metrics.k8s.io/v1beta1/namespaces/{ns}/{metric}?labelSelector=...`: every item's value. */
  externalMetric(request: { namespace: string; metric: string; metricSelector: string }): Promise<bigint[]>;
}

/** The group of an `apiVersion` (`apps/v1` → `apps`, `v1` → core ""). */
export function groupOf(apiVersion: string | undefined): string {
  if (apiVersion === undefined || !apiVersion.includes('/')) return '';
  return apiVersion.slice(0, apiVersion.indexOf('/'));
}

/**
 * The resource path segment of an Object metric's described object (`deployments.apps`, `services`), as the HPA's
 * REST mapping finds it; `namespaces` means the `namespaces/{name}/metrics/{metric}` form. Throws for a kind the
 * lookup does not know.
 */
export function objectResource(object: ObjectReference, resources: ResourceLookup): string {
  const group = groupOf(object.apiVersion);
  const info = resources.lookup(object.kind, group);
  if (info === undefined || info.kind !== object.kind) {
    throw new Error(
      `cannot map kind ${object.kind}${group === '' ? '' : ` of group ${group}`} to a resource: without a ` +
        'Kubernetes API only the common built-in kinds are known',
    );
  }
  return groupResourceString(info);
}
