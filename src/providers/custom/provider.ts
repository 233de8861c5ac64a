import { formatLabelSelector, type Requirement } from '../../api/label-selector.js';
import { apiVersionOf, groupResourceString, type ResourceInfo } from '../../api/resources.js';
import { internalError, metricNotFound, notFound } from '../../api/status.js';
import type { ObjectLister, ResourceMapper } from '../../kube/contract.js';
import type { PrometheusClient, PromSample } from '../../prometheus/client.js';
import { renderQuery } from '../../rules/query-builder.js';
import type {
  CustomMetricByNameRequest,
  CustomMetricBySelectorRequest,
  CustomMetricInfo,
  CustomMetricsProvider,
  CustomMetricValue,
} from '../contract.js';
import { prometheusFailure } from '../prometheus-failure.js';
import type { CustomMetricsRegistry, RegisteredMetric } from './registry.js';

export interface CustomProviderDeps {
  /** The current registry; read on every call, so a relist swap is seen at once. */
  registry: () => CustomMetricsRegistry;
  mapper: ResourceMapper;
  lister: ObjectLister;
  prometheus: PrometheusClient;
  /** Logs the PromQL of each query at debug level (`--v` ≥ 6). */
  logQuery?: (query: string, rule: string) => void;
}

/** The custom metrics provider over the relisted registry (SPEC 5.2). */
export function createCustomMetricsProvider(deps: CustomProviderDeps): CustomMetricsProvider {
  const resolve = (
    resource: string,
    metric: string,
    name?: string,
  ): { res: ResourceInfo; entry: RegisteredMetric } => {
    const res = deps.mapper.lookup(resource);
    if (res === undefined) throw metricNotFound(metric, resource, name);
    const entry = deps.registry().find(res, metric);
    if (entry === undefined) throw metricNotFound(metric, groupResourceString(res), name);
    return { res, entry };
  };

  const checkScope = (res: ResourceInfo, metric: string, namespace: string | undefined, name?: string) => {
    if (res.namespaced && namespace === undefined) {
      throw notFound(
        `${groupResourceString(res)} is namespaced: ask for the metric ${metric} under /namespaces/{namespace}/`,
      );
    }
    if (!res.namespaced && namespace !== undefined) {
      throw metricNotFound(metric, `${groupResourceString(res)} in namespace ${namespace}`, name);
    }
  };

  const query = async (
    entry: RegisteredMetric,
    res: ResourceInfo,
    namespace: string | undefined,
    names: readonly string[] | 'any',
    metricSelector: readonly Requirement[],
    signal: AbortSignal,
  ): Promise<{ label: string; samples: PromSample[] }> => {
    const rule = entry.rule;
    const label = rule.resources.labelForResource(res, deps.mapper);
    if (label === undefined) {
      throw internalError(
        `the rule serving ${entry.info.metric} has no label for ${groupResourceString(res)}`,
      );
    }
    let namespaceMatcher: { label: string; name: string } | undefined;
    if (namespace !== undefined) {
      const nsInfo = deps.mapper.lookup('namespaces', '');
      const nsLabel = nsInfo === undefined ? undefined : rule.resources.labelForResource(nsInfo, deps.mapper);
      if (nsLabel === undefined) {
        throw internalError(
          `${rule.id} maps no label to namespaces, so ${entry.info.metric} cannot be asked for in a namespace; ` +
            'add a namespace override to its resources',
        );
      }
      namespaceMatcher = { label: nsLabel, name: namespace };
    }
    const promql = renderQuery(rule.metricsQuery, {
      series: entry.seriesName,
      metricSelector,
      ...(namespaceMatcher === undefined ? {} : { namespace: namespaceMatcher }),
      objects: { label, names },
    });
    deps.logQuery?.(promql, rule.id);
    let result;
    try {
      result = await deps.prometheus.query(promql, { signal });
    } catch (e) {
      throw prometheusFailure(entry.info.metric, e);
    }
    if (result.type !== 'vector') {
      throw internalError(
        `the metrics query of ${rule.id} returned a ${result.type}; it must return an instant vector grouped by ${label}`,
      );
    }
    return { label, samples: result.samples };
  };

  const valueFor = (
    entry: RegisteredMetric,
    res: ResourceInfo,
    namespace: string | undefined,
    name: string,
    sample: PromSample,
  ): CustomMetricValue => ({
    describedObject: {
      kind: res.kind,
      ...(namespace === undefined ? {} : { namespace }),
      name,
      apiVersion: apiVersionOf(res),
    },
    metric: entry.info.metric,
    timestamp: sample.timestamp,
    value: sample.value,
  });

  return {
    listAllMetrics(): readonly CustomMetricInfo[] {
      return deps.registry().list;
    },

    async getMetricByName(request: CustomMetricByNameRequest): Promise<CustomMetricValue> {
      const { res, entry } = resolve(request.resource, request.metric, request.name);
      checkScope(res, request.metric, request.namespace, request.name);
      const { label, samples } = await query(
        entry,
        res,
        request.namespace,
        [request.name],
        request.metricSelector,
        request.signal,
      );
      // NB: when a query keeps more labels than the resource label, several samples can name one object; like
      // upstream, the last one wins, so an Object metric always gets exactly one item.
      const sample = samples.findLast((s) => s.labels[label] === request.name);
      if (sample === undefined) throw metricNotFound(request.metric, groupResourceString(res), request.name);
      return valueFor(entry, res, request.namespace, request.name, sample);
    },

    async getMetricBySelector(request: CustomMetricBySelectorRequest): Promise<CustomMetricValue[]> {
      const { res, entry } = resolve(request.resource, request.metric);
      checkScope(res, request.metric, request.namespace);
      const names = await deps.lister.listNames(
        res,
        request.namespace,
        request.objectSelector,
        request.signal,
      );
      const where = request.namespace === undefined ? '' : ` in namespace ${request.namespace}`;
      const selectorText =
        request.objectSelector.length === 0 ? '' : ` matching ${formatLabelSelector(request.objectSelector)}`;
      if (names !== 'any' && names.length === 0) {
        throw notFound(
          `no ${res.resource}${where}${selectorText}, so there is no value of the metric ${request.metric}`,
        );
      }
      const { label, samples } = await query(
        entry,
        res,
        request.namespace,
        names,
        request.metricSelector,
        request.signal,
      );
      const byName = new Map<string, PromSample>();
      for (const s of samples) {
        const name = s.labels[label];
        if (name !== undefined && name !== '') byName.set(name, s);
      }
      const order = names === 'any' ? [...byName.keys()].sort() : names;
      const items: CustomMetricValue[] = [];
      for (const name of order) {
        const sample = byName.get(name);
        if (sample !== undefined) items.push(valueFor(entry, res, request.namespace, name, sample));
      }
      if (items.length === 0) {
        throw notFound(
          `the server could not find the metric ${request.metric} for ${groupResourceString(res)}${where}${selectorText}: ` +
            (names === 'any'
              ? 'Prometheus has no value for any of them'
              : `none of the ${names.length} objects has a value in Prometheus`),
        );
      }
      return items;
    },
  };
}
