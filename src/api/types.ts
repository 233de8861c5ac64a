/** Wire types of the Kubernetes metrics APIs, exactly as clients decode them. */

export const CUSTOM_METRICS_GROUP = 'custom.metrics.k8s.io';
export const CUSTOM_METRICS_VERSIONS = ['v1beta2', 'v1beta1'] as const;
export type CustomMetricsVersion = (typeof CUSTOM_METRICS_VERSIONS)[number];

export interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

export interface APIGroup {
  kind?: 'APIGroup';
  apiVersion?: 'v1';
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

export interface APIGroupList {
  kind: 'APIGroupList';
  apiVersion: 'v1';
  groups: APIGroup[];
}

export interface APIResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
}

export interface APIResourceList {
  kind: 'APIResourceList';
  apiVersion: 'v1';
  groupVersion: string;
  resources: APIResource[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** metav1.LabelSelector; both fields omitted when empty. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** core/v1 ObjectReference as the custom metrics API fills it. `apiVersion` is `group/version` ("/v1" for core). */
export interface DescribedObject {
  kind: string;
  namespace?: string;
  name: string;
  apiVersion: string;
}

export interface MetricValueV1Beta2 {
  describedObject: DescribedObject;
  metric: { name: string; selector: LabelSelector | null };
  timestamp: string;
  windowSeconds?: number;
  value: string;
}

export interface MetricValueV1Beta1 {
  describedObject: DescribedObject;
  metricName: string;
  timestamp: string;
  window?: number;
  value: string;
  selector: LabelSelector | null;
}

export interface MetricValueList<V extends CustomMetricsVersion> {
  kind: 'MetricValueList';
  apiVersion: `custom.metrics.k8s.io/${V}`;
  metadata: Record<string, never>;
  items: V extends 'v1beta2' ? MetricValueV1Beta2[] : MetricValueV1Beta1[];
}
