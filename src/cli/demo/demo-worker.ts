import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { escapeLabelValue, formatNumber, linearCounter, constantGauge } from './openmetrics.js';
import type { MetricFamily } from './openmetrics.js';

/** One simulated queue-worker pod. */
export interface DemoPod {
  namespace: string;
  name: string;
  /** How fast its `qps` counter grows, per second. */
  qpsPerSecond: number;
  /** The value of its `queue_size` gauge. */
  queueSize: number;
}

/** A pod given by name (unique among the worker's pods) or by namespace and name. */
export type DemoPodRef = string | { namespace: string; name: string };

/** A running demo worker. */
export interface DemoWorker {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** When every pod's `qps` counter was 0 (unix ms). */
  startedAtMs: number;
  /** Changes a pod's load from now on; the counter keeps its value and grows at the new rate. Throws for an unknown pod. */
  setLoad(pod: DemoPodRef, qpsPerSecond: number, queueSize: number): void;
  /** How many times `/metrics` has been served. */
  scrapeCount(): number;
  /** The pods with their current load (a snapshot). */
  pods(): DemoPod[];
  /** Closes the server and its open connections. Idempotent; never throws. */
  stop(): Promise<void>;
}

interface PodState {
  namespace: string;
  name: string;
  base: number;
  sinceMs: number;
  qpsPerSecond: number;
  queueSize: number;
}

/** Prometheus text exposition format 0.0.4. */
export const TEXT_FORMAT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function counterValue(pod: PodState, nowMs: number): number {
  return pod.base + (pod.qpsPerSecond * (nowMs - pod.sinceMs)) / 1000;
}

function labelsOf(pod: PodState): string {
  return `{kubernetes_namespace="${escapeLabelValue(pod.namespace)}",kubernetes_pod_name="${escapeLabelValue(pod.name)}"}`;
}

/**
 * Renders the worker's exposition at `nowMs`, every sample stamped `nowMs`. NB: with the time the value was computed
 * rather than the scrape's start, rates are exact however late the answer is (a loaded machine gave 3501m for 3.5/s).
 */
function exposition(pods: readonly PodState[], nowMs: number): string {
  const lines = [
    // NB: named `qps`, not `qps_total`: the queue-worker rules serve the series name as is (`counter_${1}`), and
    // the classic text format, unlike OpenMetrics, allows a counter without the suffix.
    '# HELP qps Requests handled since the pod started.',
    '# TYPE qps counter',
    ...pods.map((pod) => `qps${labelsOf(pod)} ${formatNumber(counterValue(pod, nowMs))} ${nowMs}`),
    '# HELP queue_size Items waiting in the pod queue.',
    '# TYPE queue_size gauge',
    ...pods.map((pod) => `queue_size${labelsOf(pod)} ${formatNumber(pod.queueSize)} ${nowMs}`),
  ];
  return `${lines.join('\n')}\n`;
}

function checkLoad(qpsPerSecond: number, queueSize: number): void {
  if (!(qpsPerSecond >= 0) || !Number.isFinite(qpsPerSecond)) {
    throw new Error(`qpsPerSecond must be a finite number >= 0, got ${qpsPerSecond}`);
  }
  if (!Number.isFinite(queueSize)) throw new Error(`queueSize must be a finite number, got ${queueSize}`);
}

/**
 * Starts an HTTP server on 127.0.0.1 (`port`, default ephemeral) that plays a set of queue-worker pods:
 * `GET /metrics` answers, in the Prometheus text format 0.0.4, a counter `qps` growing at each pod's
 * `qpsPerSecond` (computed from the time of the scrape) and a gauge `queue_size`, both labelled
 * `kubernetes_namespace` and `kubernetes_pod_name`. Scrape it with {@link demoScrapeConfig}.
 */
export async function startDemoWorker(opts: {
  pods: DemoPod[];
  port?: number;
  /** When the counters were 0 (unix ms, default now); earlier makes them start with the history of a longer run. */
  startedAtMs?: number;
}): Promise<DemoWorker> {
  const startMs = opts.startedAtMs ?? Date.now();
  const pods: PodState[] = opts.pods.map((pod) => {
    checkLoad(pod.qpsPerSecond, pod.queueSize);
    return { ...pod, base: 0, sinceMs: startMs };
  });
  const keys = new Set(pods.map((p) => `${p.namespace}/${p.name}`));
  if (keys.size !== pods.length) throw new Error('demo worker: a pod is listed twice');

  let scrapes = 0;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      scrapes++;
      res.writeHead(200, { 'content-type': TEXT_FORMAT_CONTENT_TYPE });
      res.end(exposition(pods, Date.now()));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('not found: the demo worker serves GET /metrics\n');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    startedAtMs: startMs,
    setLoad(ref, qpsPerSecond, queueSize) {
      checkLoad(qpsPerSecond, queueSize);
      const matches = pods.filter((p) =>
        typeof ref === 'string' ? p.name === ref : p.name === ref.name && p.namespace === ref.namespace,
      );
      const pod = matches[0];
      if (!pod || matches.length > 1) {
        throw new Error(
          `demo worker: ${matches.length > 1 ? 'ambiguous' : 'unknown'} pod ${JSON.stringify(ref)}`,
        );
      }
      const now = Date.now();
      pod.base = counterValue(pod, now);
      pod.sinceMs = now;
      pod.qpsPerSecond = qpsPerSecond;
      pod.queueSize = queueSize;
    },
    scrapeCount: () => scrapes,
    pods: () =>
      pods.map(({ namespace, name, qpsPerSecond, queueSize }) => ({
        namespace,
        name,
        qpsPerSecond,
        queueSize,
      })),
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        // NB: Prometheus keeps its scrape connection alive; without closing it, close() would wait for it.
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}

/**
 * The series Prometheus would hold had it scraped `worker` with {@link demoScrapeConfig} every `stepSeconds` from
 * its `startedAtMs` up to `untilSeconds` (unix seconds), at the pods' current load: for backfilling, so that `[2m]`
 * rates are exact as soon as Prometheus starts instead of about two minutes later. Only valid while `setLoad` has
 * not been called. The labels match the live scrapes (`job`, `instance`), so backfill and scrapes form one series.
 */
export function demoWorkerHistory(
  worker: DemoWorker,
  opts: { untilSeconds: number; stepSeconds: number },
): MetricFamily[] {
  const window = { from: worker.startedAtMs / 1000, to: opts.untilSeconds, stepSeconds: opts.stepSeconds };
  const scrapeLabels = { job: demoScrapeConfig(worker.url).job_name, instance: new URL(worker.url).host };
  const pods = worker.pods();
  const labelsOf = (pod: DemoPod): Record<string, string> => ({
    ...scrapeLabels,
    kubernetes_namespace: pod.namespace,
    kubernetes_pod_name: pod.name,
  });
  return [
    {
      // NB: typed gauge because an OpenMetrics counter is always written `<name>_total`, and the live series is
      // `qps`; the TSDB keeps no type, so the backfilled samples join the scraped counter as one series.
      name: 'qps',
      type: 'gauge',
      samples: pods.flatMap((pod) =>
        linearCounter({ ...window, ratePerSecond: pod.qpsPerSecond, labels: labelsOf(pod) }),
      ),
    },
    {
      name: 'queue_size',
      type: 'gauge',
      samples: pods.flatMap((pod) =>
        constantGauge({ ...window, value: pod.queueSize, labels: labelsOf(pod) }),
      ),
    },
  ];
}

/** The Prometheus scrape config for a demo worker: job `kubernetes-pods`, `honor_labels: true`, as in a cluster. */
export function demoScrapeConfig(workerUrl: string): {
  job_name: string;
  honor_labels: boolean;
  scheme: string;
  metrics_path: string;
  static_configs: Array<{ targets: string[] }>;
} {
  const url = new URL(workerUrl);
  return {
    job_name: 'kubernetes-pods',
    honor_labels: true,
    scheme: url.protocol.replace(/:$/, ''),
    metrics_path: '/metrics',
    static_configs: [{ targets: [url.host] }],
  };
}
