import {
  aroundNow,
  constantGauge,
  linearCounter,
  openMetrics,
  type MetricFamily,
} from '../../src/cli/demo/openmetrics.js';

/**
 * Deterministic data for the queue-worker scenario, stamped around now (the adapter queries at now): three pods
 * of Deployment `example` in `default` with known qps rates and queue sizes, a pod of another namespace, and
 * cadvisor-style container series. Values are chosen so the rendered quantities are exact.
 */
export const POD = {
  a: 'example-6b8f7c9d4-a1b2c',
  b: 'example-6b8f7c9d4-d3e4f',
  c: 'example-6b8f7c9d4-g5h6i',
  other: 'batch-5c4f8-zz9yx',
} as const;

/** qps rates per second. `qps` is exposed as an untyped-by-suffix counter, as the queue-worker rules expect. */
export const QPS = { [POD.a]: 3.5, [POD.b]: 80.5, [POD.c]: 120, [POD.other]: 1 } as const;
/** queue_size: constant for a and b; growing 0.25/s for c. */
export const QUEUE = { [POD.a]: 40, [POD.b]: 1500 } as const;
export const QUEUE_GROWTH_C = 0.25;
export const CPU_RATE = { app: 0.25, POD: 0.01 } as const;
export const MEMORY_BYTES = 268435456;

export function queueWorkerOpenMetrics(nowMs = Date.now()): string {
  const window = { ...aroundNow(15 * 60, 60 * 60, nowMs), stepSeconds: 15 };
  const podLabels = (ns: string, pod: string) => ({
    job: 'kubernetes-pods',
    kubernetes_namespace: ns,
    kubernetes_pod_name: pod,
  });
  const cadvisor = (container: string) => ({
    job: 'kubernetes-nodes-cadvisor',
    namespace: 'default',
    pod: POD.a,
    container,
  });
  const families: MetricFamily[] = [
    {
      // NB: typed gauge so the series keeps the name `qps` (an OpenMetrics counter would be `qps_total`).
      name: 'qps',
      type: 'gauge',
      samples: [
        ...[POD.a, POD.b, POD.c].flatMap((pod) =>
          linearCounter({
            ...window,
            ratePerSecond: QPS[pod],
            start: 1000,
            labels: podLabels('default', pod),
          }),
        ),
        ...linearCounter({
          ...window,
          ratePerSecond: QPS[POD.other],
          labels: podLabels('staging', POD.other),
        }),
      ],
    },
    {
      name: 'queue_size',
      type: 'gauge',
      samples: [
        ...constantGauge({ ...window, value: QUEUE[POD.a], labels: podLabels('default', POD.a) }),
        ...constantGauge({ ...window, value: QUEUE[POD.b], labels: podLabels('default', POD.b) }),
        ...linearCounter({ ...window, ratePerSecond: QUEUE_GROWTH_C, labels: podLabels('default', POD.c) }),
      ],
    },
    {
      name: 'container_cpu_usage_seconds',
      type: 'counter',
      samples: [
        ...linearCounter({ ...window, ratePerSecond: CPU_RATE.app, labels: cadvisor('app') }),
        ...linearCounter({ ...window, ratePerSecond: CPU_RATE.POD, labels: cadvisor('POD') }),
      ],
    },
    {
      name: 'container_memory_working_set_bytes',
      type: 'gauge',
      samples: constantGauge({ ...window, value: MEMORY_BYTES, labels: cadvisor('app') }),
    },
  ];
  return openMetrics(families);
}
