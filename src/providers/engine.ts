/**
 * The adapter's data side in one object: the relister and the three providers over one set of compiled rules,
 * which can be replaced while serving (hot reload). `serve`, `explain` and `hpa preview` all build one.
 */
import { notFound } from '../api/status.js';
import type { ObjectLister, ResourceMapper } from '../kube/contract.js';
import type { PrometheusClient } from '../prometheus/client.js';
import type { CompiledRules } from '../rules/compile-rules.js';
import type {
  CustomMetricsProvider,
  ExternalMetricsProvider,
  ResourceMetricsProvider,
  ServedApis,
} from './contract.js';
import { createCustomMetricsProvider } from './custom/provider.js';
import { createExternalMetricsProvider } from './external/provider.js';
import { createRelister, type RelistLogger, type Relister, type RelistOutcome } from './relister.js';
import { createResourceMetricsProvider } from './resource/provider.js';

export interface EngineOptions {
  prometheus: PrometheusClient;
  mapper: ResourceMapper;
  lister: ObjectLister;
  rules: CompiledRules;
  relistIntervalMs: number;
  maxAgeMs: number;
  logger: RelistLogger;
  /** Called with the PromQL of every metric query and the id of its rule. */
  logQuery?: (query: string, rule: string) => void;
  /** Called after every relist (self-metrics). */
  onRelist?: (outcome: RelistOutcome) => void;
}

export interface Engine {
  relister: Relister;
  customMetrics: CustomMetricsProvider;
  /** Always present; answers only while {@link ServedApis.external} is true. */
  externalMetrics: ExternalMetricsProvider;
  /** Always present; answers only while {@link ServedApis.resource} is true. */
  resourceMetrics: ResourceMetricsProvider;
  served: ServedApis;
  /** The rules in service. */
  rules(): CompiledRules;
  /**
   * Puts `rules` in service and relists at once; resolves when the new registries serve. Requests in flight
   * finish on the rules they started with. Never rejects (a failed relist keeps what it could, as any relist).
   */
  replaceRules(rules: CompiledRules): Promise<RelistOutcome>;
}

export function createEngine(options: EngineOptions): Engine {
  let rules = options.rules;
  const relister = createRelister({
    prometheus: options.prometheus,
    mapper: options.mapper,
    rules: () => rules,
    intervalMs: options.relistIntervalMs,
    maxAgeMs: options.maxAgeMs,
    logger: options.logger,
    ...(options.onRelist === undefined ? {} : { onRelist: options.onRelist }),
  });
  const logQuery = options.logQuery === undefined ? {} : { logQuery: options.logQuery };
  const customMetrics = createCustomMetricsProvider({
    registry: () => relister.customRegistry(),
    mapper: options.mapper,
    lister: options.lister,
    prometheus: options.prometheus,
    ...logQuery,
  });
  const externalMetrics = createExternalMetricsProvider({
    registry: () => relister.externalRegistry(),
    mapper: options.mapper,
    prometheus: options.prometheus,
    ...logQuery,
  });
  const resourceFor = (r: CompiledRules): ResourceMetricsProvider | undefined =>
    r.resource === undefined
      ? undefined
      : createResourceMetricsProvider({
          rules: r.resource,
          mapper: options.mapper,
          lister: options.lister,
          prometheus: options.prometheus,
          ...logQuery,
        });
  let resource = resourceFor(rules);
  const currentResource = (): ResourceMetricsProvider => {
    if (resource === undefined)
      throw notFound('metrics.k8s.io is not served: the rules have no resourceRules');
    return resource;
  };

  return {
    relister,
    customMetrics,
    externalMetrics,
    resourceMetrics: {
      getPodMetrics: (request) => currentResource().getPodMetrics(request),
      getNodeMetrics: (request) => currentResource().getNodeMetrics(request),
    },
    served: {
      external: () => rules.external.length > 0,
      resource: () => rules.resource !== undefined,
    },
    rules: () => rules,
    replaceRules(next) {
      rules = next;
      resource = resourceFor(next);
      return relister.relistOnce({ fresh: true });
    },
  };
}
