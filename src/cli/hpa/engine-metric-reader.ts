/**
 * MetricReader in-process: asks the adapter's engine (rules over Prometheus) directly, with no HTTP in between.
 * Values go through the same quantity rendering the adapter answers with, so they equal what the HPA would read.
 */
import { parseLabelSelector } from '../../api/label-selector.js';
import type { ResourceLookup } from '../../api/resources.js';
import { StatusError } from '../../api/status.js';
import type { CustomMetricsProvider, ExternalMetricsProvider } from '../../providers/contract.js';
import { objectResource, type MetricReader } from './metric-reader.js';
import { formatDecimalQuantity, milliValue, parseQuantity } from '../../api/quantity.js';

export interface EngineMetricReaderOptions {
  customMetrics: CustomMetricsProvider;
  externalMetrics: ExternalMetricsProvider;
  resources: ResourceLookup;
  /** Per call. */
  timeoutMs: number;
}

/**
 * NB: built over the standalone object lister, which cannot select pods by label: `podsMetric` reads every pod
 * that has a value in the namespace (`appliesPodSelector` is false).
 */
export function createEngineMetricReader(options: EngineMetricReaderOptions): MetricReader {
  const signal = () => AbortSignal.timeout(options.timeoutMs);
  const asMilli = (value: number) => milliValue(parseQuantity(formatDecimalQuantity(value)));
  return {
    appliesPodSelector: false,
    async podsMetric({ namespace, metric, metricSelector }) {
      const values = await explain(
        options.customMetrics.getMetricBySelector({
          resource: 'pods',
          namespace,
          metric,
          metricSelector: parseLabelSelector(metricSelector),
          objectSelector: [],
          signal: signal(),
        }),
      );
      return values.map((v) => ({ pod: v.describedObject.name, milli: asMilli(v.value) }));
    },
    async objectMetric({ namespace, object, metric, metricSelector }) {
      const resource = objectResource(object, options.resources);
      const value = await explain(
        options.customMetrics.getMetricByName({
          resource,
          ...(resource === 'namespaces' ? {} : { namespace }),
          name: object.name,
          metric,
          metricSelector: parseLabelSelector(metricSelector),
          signal: signal(),
        }),
      );
      return asMilli(value.value);
    },
    async externalMetric({ namespace, metric, metricSelector }) {
      const values = await explain(
        options.externalMetrics.getExternalMetric({
          namespace,
          metric,
          metricSelector: parseLabelSelector(metricSelector),
          signal: signal(),
        }),
      );
      return values.map((v) => asMilli(v.value));
    },
  };
}

/** Provider rejections as the adapter would answer them: `404 NotFound: message`, with the detail as cause. */
async function explain<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (e) {
    if (e instanceof StatusError) {
      const detail = e.cause instanceof Error ? ` (${e.cause.message})` : '';
      throw new Error(`${e.code} ${e.reason}: ${e.message}${detail}`, { cause: e });
    }
    throw e;
  }
}
