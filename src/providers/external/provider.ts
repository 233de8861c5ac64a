import { internalError, metricNotFound } from '../../api/status.js';
import type { ResourceMapper } from '../../kube/contract.js';
import type { InstantQueryResult, PrometheusClient } from '../../prometheus/client.js';
import { renderQuery, type QueryRequest } from '../../rules/query-builder.js';
import type {
  ExternalMetricInfo,
  ExternalMetricRequest,
  ExternalMetricsProvider,
  ExternalMetricValue,
} from '../contract.js';
import { prometheusFailure } from '../prometheus-failure.js';
import type { ExternalMetricsRegistry, RegisteredExternalMetric } from './registry.js';

export interface ExternalProviderDeps {
  /** The current registry; read on every call, so a relist swap is seen at once. */
  registry: () => ExternalMetricsRegistry;
  /** Resolves the `namespaces` resource, whose label a namespaced rule matches against the request namespace. */
  mapper: ResourceMapper;
  prometheus: PrometheusClient;
  /** Logs the PromQL of each query at debug level (`--v` ≥ 6). */
  logQuery?: (query: string, rule: string) => void;
}

/**
 * The external metrics provider over the relisted registry (SPEC 5.3). One instant query per request: the request's
 * `labelSelector` becomes `.LabelMatchers` requirements, followed by `<namespace label>="<ns>"` when the rule is
 * namespaced; `.GroupBy` is empty (SPEC 3.3). Every sample of the answer is one item; a scalar answer is one item
 * without labels; no samples is an empty list, not an error.
 */
export function createExternalMetricsProvider(deps: ExternalProviderDeps): ExternalMetricsProvider {
  const namespaceMatcher = (
    entry: RegisteredExternalMetric,
    namespace: string,
  ): QueryRequest['namespace'] | undefined => {
    const { rule } = entry;
    if (!rule.namespaced) return undefined;
    const nsInfo = deps.mapper.lookup('namespaces', '');
    const label = nsInfo === undefined ? undefined : rule.resources.labelForResource(nsInfo, deps.mapper);
    if (label === undefined) {
      // NB: loadRules rejects such rules; this guards a resource mapping that lost `namespaces`.
      throw internalError(
        `${rule.id} maps no label to namespaces, so the external metric ${entry.info.metric} cannot be asked ` +
          'for in a namespace; add a namespace override to its resources or set namespaced: false',
      );
    }
    return { label, name: namespace };
  };

  return {
    listAllExternalMetrics(): readonly ExternalMetricInfo[] {
      return deps.registry().list;
    },

    async getExternalMetric(request: ExternalMetricRequest): Promise<ExternalMetricValue[]> {
      const entry = deps.registry().find(request.metric);
      if (entry === undefined) throw metricNotFound(request.metric, 'namespaces', request.namespace);
      const namespace = namespaceMatcher(entry, request.namespace);
      const promql = renderQuery(entry.rule.metricsQuery, {
        series: entry.seriesName,
        metricSelector: request.metricSelector,
        ...(namespace === undefined ? {} : { namespace }),
      });
      deps.logQuery?.(promql, entry.rule.id);
      let result: InstantQueryResult;
      try {
        result = await deps.prometheus.query(promql, { signal: request.signal });
      } catch (e) {
        throw prometheusFailure(request.metric, e);
      }
      if (result.type === 'scalar') {
        return [
          { metricName: request.metric, metricLabels: {}, timestamp: result.timestamp, value: result.value },
        ];
      }
      return result.samples.map((sample) => ({
        metricName: request.metric,
        metricLabels: withoutName(sample.labels),
        timestamp: sample.timestamp,
        value: sample.value,
      }));
    },
  };
}

function withoutName(labels: Readonly<Record<string, string>>): Record<string, string> {
  const { __name__: _name, ...rest } = labels;
  return rest;
}
