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

/** Which of the optional API groups are served right now (they follow the rules, which may be reloaded). */
export interface ServedApis {
  /** external.metrics.k8s.io: there are `externalRules`. */
  readonly external: () => boolean;
  /** metrics.k8s.io: there are `resourceRules`. */
  readonly resource: () => boolean;
}

/** One discoverable external metric (`external.metrics.k8s.io/v1beta1`), served as `<metric>`. */
export interface ExternalMetricInfo {
  metric: string;
}

/** One sample of an external metric: the HPA sums every item of the list (SPEC 5.3). */
export interface ExternalMetricValue {
  metricName: string;
  /** All labels of the Prometheus sample (without `__name__`). */
  metricLabels: Record<string, string>;
  timestamp: Date;
  value: number;
}

export interface ExternalMetricRequest {
  namespace: string;
  metric: string;
  /** Parsed `labelSelector` of the request: selects samples (added to `.LabelMatchers`). */
  metricSelector: Requirement[];
  signal: AbortSignal;
}

/**
 * External metrics, answered from the relisted external rules. `getExternalMetric` rejects with a StatusError
 * (404 for an unknown metric, 400 for a bad selector, 503/500 for backend failures); an empty result is a 200
 * with no items (the HPA reports it).
 */
export interface ExternalMetricsProvider {
  /** Every external metric currently served, sorted. Never throws; answers from memory. */
  listAllExternalMetrics(): readonly ExternalMetricInfo[];
  getExternalMetric(request: ExternalMetricRequest): Promise<ExternalMetricValue[]>;
}

/** CPU in cores and memory in bytes; rendered as DecimalSI / BinarySI quantities by the server (SPEC 5.4, 6). */
export interface ResourceUsage {
  cpu: number;
  memory: number;
}

export interface PodMetricsValue {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  timestamp: Date;
  windowSeconds: number;
  containers: Array<{ name: string; usage: ResourceUsage }>;
}

export interface NodeMetricsValue {
  name: string;
  labels: Record<string, string>;
  timestamp: Date;
  windowSeconds: number;
  usage: ResourceUsage;
}

/**
 * Resource metrics (`metrics.k8s.io/v1beta1`, only with `resourceRules`), as metrics-server serves them: only
 * running pods, results sorted by namespace then name. Rejects with a StatusError (404 for one named object
 * without metrics, 503/500 for backend failures: a failed query is an error, never an empty list).
 */
export interface ResourceMetricsProvider {
  getPodMetrics(request: {
    /** Absent: all namespaces. */
    namespace?: string;
    /** One pod (then `namespace` is set). */
    name?: string;
    selector: Requirement[];
    signal: AbortSignal;
  }): Promise<PodMetricsValue[]>;
  getNodeMetrics(request: {
    name?: string;
    selector: Requirement[];
    signal: AbortSignal;
  }): Promise<NodeMetricsValue[]>;
}
