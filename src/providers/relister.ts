import type { StructuredLogger } from '../api/logger.js';
import type { ResourceMapper } from '../kube/contract.js';
import type { PrometheusClient } from '../prometheus/client.js';
import type { CompiledRules } from '../rules/compile-rules.js';
import type { Readiness } from './contract.js';
import { buildCustomRegistry, EMPTY_CUSTOM_REGISTRY, type CustomMetricsRegistry } from './custom/registry.js';
import {
  buildExternalRegistry,
  EMPTY_EXTERNAL_REGISTRY,
  type ExternalMetricsRegistry,
} from './external/registry.js';
import { relistSeries, type SeriesSummary } from './series-summary.js';

/** The structured logger subset the relister uses. */
export type RelistLogger = Pick<StructuredLogger, 'info' | 'warn' | 'error'>;

export interface RelisterOptions {
  prometheus: PrometheusClient;
  mapper: ResourceMapper;
  /** The rules to relist for, or a getter read at the start of every relist (hot reload). */
  rules: CompiledRules | (() => CompiledRules);
  intervalMs: number;
  maxAgeMs: number;
  logger: RelistLogger;
  /** Called after every relist, failed or not (self-metrics). Must not throw. */
  onRelist?: (outcome: RelistOutcome) => void;
}

export interface RelistOutcome {
  ok: boolean;
  seriesCount: number;
  /** Custom metrics served: (resource, metric) pairs. */
  metricCount: number;
  /** External metrics served. */
  externalMetricCount: number;
  /** Metrics served per rule id (`rules[N]`, `externalRules[N]`); rules serving none are listed with 0. */
  metricsPerRule: ReadonlyMap<string, number>;
  durationMs: number;
}

/**
 * Owns the custom and external registries and refreshes both from one set of series answers (SPEC 4): the first
 * relist at `start()`, then every `intervalMs`. `relistOnce()` can be called directly (tests, reloads). Relists
 * never overlap; a failed seriesQuery keeps its previous result, so a failed relist keeps the last good registries
 * in service.
 */
export interface Relister extends Readiness {
  customRegistry(): CustomMetricsRegistry;
  externalRegistry(): ExternalMetricsRegistry;
  /**
   * Relists now, or joins the relist in progress. With `fresh`, a relist in progress (which may have read older
   * rules) is followed by a new one, whose outcome is returned.
   */
  relistOnce(options?: { fresh?: boolean }): Promise<RelistOutcome>;
  start(): Promise<RelistOutcome>;
  stop(): void;
}

export function createRelister(options: RelisterOptions): Relister {
  let custom = EMPTY_CUSTOM_REGISTRY;
  let external = EMPTY_EXTERNAL_REGISTRY;
  let summaries: ReadonlyMap<string, SeriesSummary> = new Map();
  let firstDone = false;
  let running: Promise<RelistOutcome> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const { logger } = options;
  const currentRules =
    typeof options.rules === 'function' ? options.rules : () => options.rules as CompiledRules;

  const run = async (): Promise<RelistOutcome> => {
    const started = performance.now();
    const rules = currentRules();
    const queries = [...rules.custom, ...rules.external].map((r) => r.seriesQuery);
    const result = await relistSeries(options.prometheus, queries, {
      maxAgeMs: options.maxAgeMs,
      previous: summaries,
    });
    summaries = result.summaries;
    for (const [query, error] of result.failures) {
      logger.error(
        { seriesQuery: query, err: error },
        'relist failed for a seriesQuery; its last good result stays in service',
      );
    }
    const built = buildCustomRegistry(rules.custom, summaries, options.mapper);
    const builtExternal = buildExternalRegistry(rules.external, summaries);
    for (const conflict of [...built.conflicts, ...builtExternal.conflicts]) logger.warn({}, conflict);
    custom = built.registry;
    external = builtExternal.registry;
    firstDone = true;
    const outcome: RelistOutcome = {
      ok: result.failures.size === 0,
      seriesCount: result.seriesCount,
      metricCount: custom.size,
      externalMetricCount: external.size,
      metricsPerRule: countPerRule(rules, custom, external, options.mapper),
      durationMs: Math.round(performance.now() - started),
    };
    const { metricsPerRule: _perRule, ...logged } = outcome;
    logger.info({ ...logged, seriesQueries: new Set(queries).size }, 'relist finished');
    options.onRelist?.(outcome);
    return outcome;
  };

  const relistOnce = (relistOptions?: { fresh?: boolean }): Promise<RelistOutcome> => {
    if (relistOptions?.fresh === true && running !== undefined) {
      return running.then(() => relistOnce());
    }
    running ??= run()
      .catch((e: unknown): RelistOutcome => {
        // NB: relistSeries never throws; this guards the registry build so the last good registry stays.
        logger.error({ err: e }, 'relist failed; the last good registry stays in service');
        firstDone = true;
        const outcome: RelistOutcome = {
          ok: false,
          seriesCount: 0,
          metricCount: custom.size,
          externalMetricCount: external.size,
          metricsPerRule: countPerRule(currentRules(), custom, external, options.mapper),
          durationMs: 0,
        };
        options.onRelist?.(outcome);
        return outcome;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  return {
    customRegistry: () => custom,
    externalRegistry: () => external,
    isReady: () => firstDone,
    relistOnce,
    async start() {
      const first = await relistOnce();
      timer = setInterval(() => void relistOnce(), options.intervalMs);
      timer.unref();
      return first;
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}

function countPerRule(
  rules: CompiledRules,
  custom: CustomMetricsRegistry,
  external: ExternalMetricsRegistry,
  mapper: ResourceMapper,
): Map<string, number> {
  const counts = new Map<string, number>([...rules.custom, ...rules.external].map((r) => [r.id, 0]));
  const add = (id: string | undefined) => {
    if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  };
  for (const info of custom.list) {
    const resource = mapper.lookup(info.groupResource.resource, info.groupResource.group);
    add(resource === undefined ? undefined : custom.find(resource, info.metric)?.rule.id);
  }
  for (const info of external.list) add(external.find(info.metric)?.rule.id);
  return counts;
}
