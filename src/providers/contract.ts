/**
 * The provider contract: what the HTTP layer needs from whatever supplies metric values. Modelled on
 * kubernetes-sigs/custom-metrics-apiserver's CustomMetricsProvider. The server knows nothing else.
 */
import type { Requirement } from '../api/label-selector.js';

/** A group-resource as written in API paths: resource plural lower-case, group "" for core. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** One discoverable custom metric: served as `<resource>[.<group>]/<metric>` in discovery. */
export interface CustomMetricInfo {
  groupResource: GroupResource;
  metric: string;
  namespaced: boolean;
}

/** A metric value for one object; the server renders `value` as a quantity and `timestamp` as RFC 3339. */
export interface CustomMetricValue {
  describedObject: { kind: string; apiVersion: string; namespace?: string; name: string };
  metric: string;
  timestamp: Date;
  value: number;
  windowSeconds?: number;
}

interface CustomMetricRequestBase {
  /** The resource exactly as written in the path: `pods`, `pod`, `deployments.apps`, `deployment.apps`. */
  resource: string;
  /** Absent for cluster-scoped requests. For `namespaces/{ns}/metrics/{m}` the namespace object is the target. */
  namespace?: string;
  metric: string;
  /** Parsed `metricLabelSelector`; added to `.LabelMatchers`. */
  metricSelector: Requirement[];
  /** Aborted when the client goes away or the request times out. */
  signal: AbortSignal;
}

export interface CustomMetricByNameRequest extends CustomMetricRequestBase {
  name: string;
}

export interface CustomMetricBySelectorRequest extends CustomMetricRequestBase {
  /** Parsed `labelSelector` selecting the objects (empty = all objects). */
  objectSelector: Requirement[];
}

/**
 * Custom metrics, answered from the relisted registry.
 * getMetric* reject with a StatusError (api/status.ts): 404 for unknown metrics or no values, 400 for bad
 * requests, 503/500 for backend failures with details in `cause`.
 */
export interface CustomMetricsProvider {
  /** Every metric currently served, sorted for discovery. Never throws; answers from memory. */
  listAllMetrics(): readonly CustomMetricInfo[];
  getMetricByName(request: CustomMetricByNameRequest): Promise<CustomMetricValue>;
  getMetricBySelector(request: CustomMetricBySelectorRequest): Promise<CustomMetricValue[]>;
}

/** Readiness as SPEC 10 defines it: the config is loaded and the first relist has finished (success or failure). */
export interface Readiness {
  isReady(): boolean;
}
