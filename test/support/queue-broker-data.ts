import { aroundNow, constantGauge, openMetrics, type MetricFamily } from '../../src/cli/demo/openmetrics.js';

/**
 * Deterministic data for the external-metrics scenario, stamped around now: a RabbitMQ exporter's queue backlog
 * (`rabbitmq_queue_messages_ready`) for queues of two namespaces, and a ratio that the exporter reports as NaN, a
 * huge value and -Inf (`rabbitmq_queue_consumer_utilisation`), for SPEC 6.
 */
export const READY = {
  orders: { namespace: 'default', value: 120 },
  payments: { namespace: 'default', value: 30 },
  invoices: { namespace: 'billing', value: 7 },
} as const;

export const UTILISATION = { orders: NaN, payments: 1e20, refunds: -Infinity } as const;

export function queueBrokerOpenMetrics(nowMs = Date.now()): string {
  const window = { ...aroundNow(15 * 60, 60 * 60, nowMs), stepSeconds: 15 };
  const labels = (namespace: string, queue: string) => ({ job: 'rabbitmq', namespace, queue });
  const families: MetricFamily[] = [
    {
      name: 'rabbitmq_queue_messages_ready',
      type: 'gauge',
      samples: Object.entries(READY).flatMap(([queue, { namespace, value }]) =>
        constantGauge({ ...window, value, labels: labels(namespace, queue) }),
      ),
    },
    {
      name: 'rabbitmq_queue_consumer_utilisation',
      type: 'gauge',
      samples: Object.entries(UTILISATION).flatMap(([queue, value]) =>
        constantGauge({ ...window, value, labels: labels('default', queue) }),
      ),
    },
  ];
  return openMetrics(families);
}

/** Joins OpenMetrics documents with distinct families into one (a single `# EOF` at the end), for one backfill. */
export function joinOpenMetrics(...documents: string[]): string {
  return `${documents.map((d) => d.replace(/# EOF\n?$/, '')).join('')}# EOF\n`;
}
