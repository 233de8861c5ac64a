import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startAdapterProcess, waitUntilReady } from './adapter-process.js';
import { describeExit } from './child.js';
import type { ExitInfo, ManagedChild } from './child.js';
import { demoScrapeConfig, demoWorkerHistory, startDemoWorker } from './demo-worker.js';
import type { DemoPod, DemoWorker } from './demo-worker.js';
import { insecureGet } from './insecure-https.js';
import { openMetrics } from './openmetrics.js';
import { startPrometheus } from './prometheus-process.js';
import type { PrometheusProcess } from './prometheus-process.js';

/** Options of {@link runDemo}. */
export interface RunDemoOptions {
  /** Path of the adapter's entry point (dist/main.js), run with the current Node executable. */
  adapterEntry: string;
  /** Rules file passed as `--config`. */
  config: string;
  /** Scratch directory, wiped at start (default `.demo` under the current directory). */
  workDir?: string;
  /** Where the demo prints (default stdout). */
  out?: NodeJS.WritableStream;
  /** Ends the demo like SIGINT does. */
  signal?: AbortSignal;
  /** How often the table is reprinted (default 15 000 ms). */
  refreshIntervalMs?: number;
  /** How long to wait for `counter_qps` of every pod (default 60 000 ms). */
  metricsTimeoutMs?: number;
}

/** The demo's pods, all in namespace `default`. */
export const DEMO_PODS: readonly DemoPod[] = [
  { namespace: 'default', name: 'queue-worker-7d4b9c-a', qpsPerSecond: 3.5, queueSize: 12 },
  { namespace: 'default', name: 'queue-worker-7d4b9c-b', qpsPerSecond: 12.25, queueSize: 40 },
  { namespace: 'default', name: 'queue-worker-7d4b9c-c', qpsPerSecond: 0.75, queueSize: 3 },
];

const NAMESPACE = 'default';
const GROUP_VERSION = '/apis/custom.metrics.k8s.io/v1beta2';
const TABLE_METRICS = ['counter_qps', 'counter_queue_size', 'gauge_queue_size'] as const;
const WORKDIR_MARKER = '.prometheus-metrics-adapter-demo';
const HISTORY_SECONDS = 600;
const ADAPTER_LISTEN_TIMEOUT_MS = 30_000;
const ADAPTER_READY_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 5000;
// NB: kubectl sends a bearer token; the demo's requests look the same to the adapter.
const REQUEST_HEADERS = { authorization: 'Bearer x', accept: 'application/json' };

class DemoStopped extends Error {}

/** Resolves after `ms`, or at once when `signal` is aborted (so no timer outlives the demo). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolveSleep) => {
    if (signal?.aborted) {
      resolveSleep();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolveSleep();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function metricPath(metric: string): string {
  return `${GROUP_VERSION}/namespaces/${NAMESPACE}/pods/*/${metric}`;
}

/** Wipes `dir` unless it holds something that is not ours (no marker file and not empty). */
async function prepareWorkDir(dir: string): Promise<void> {
  const entries: string[] = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw new Error(`cannot read the demo directory ${dir}: ${err.message}`, { cause: err });
  });
  if (entries.length > 0 && !entries.includes(WORKDIR_MARKER)) {
    // NB: the directory is wiped recursively; refuse anything the demo did not create itself.
    throw new Error(
      `refusing to wipe ${dir}: it is not empty and was not created by the demo; pick another workDir`,
    );
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, WORKDIR_MARKER),
    'scratch directory of `prometheus-metrics-adapter demo`, wiped at start\n',
  );
}

interface MetricValueItem {
  describedObject?: { name?: unknown };
  value?: unknown;
}

/** Pod name → value string from a MetricValueList body; empty when the body is not one. */
function valuesByPod(text: string): Map<string, string> {
  const result = new Map<string, string>();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return result;
  }
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return result;
  for (const item of items as MetricValueItem[]) {
    const name = item.describedObject?.name;
    if (typeof name === 'string' && typeof item.value === 'string') result.set(name, item.value);
  }
  return result;
}

/** A short reason for a non-200 answer: the Status message when there is one. */
function describeAnswer(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown } | null;
    if (typeof body?.message === 'string') return `${status}: ${body.message}`;
  } catch {
    // not JSON: fall through to the raw text
  }
  return `${status}: ${text.slice(0, 200).trim()}`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text}  ` : text.padEnd(width + 2);
}

/**
 * The demo behind `node dist/main.js demo`: starts a demo worker (three queue-worker pods), a real Prometheus
 * scraping it every second and the adapter (`--standalone`), waits until `counter_qps` is served for every pod,
 * prints the discovery list, a table of values exactly as the API returns them and the equivalent `kubectl get --raw`
 * commands, then reprints the table every `refreshIntervalMs` while varying the load.
 *
 * Resolves after SIGINT/SIGTERM (or `signal`) once everything it started is stopped. Rejects, after cleaning up,
 * when a step fails or a child exits unexpectedly (its last log lines are printed first).
 */
export async function runDemo(opts: RunDemoOptions): Promise<void> {
  const out = opts.out ?? process.stdout;
  const say = (text = ''): void => {
    out.write(`${text}\n`);
  };
  const refreshIntervalMs = opts.refreshIntervalMs ?? 15_000;
  const metricsTimeoutMs = opts.metricsTimeoutMs ?? 60_000;
  const workDir = resolve(opts.workDir ?? '.demo');

  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (opts.signal?.aborted) stop.abort();
  opts.signal?.addEventListener('abort', onSignal, { once: true });
  const stopped = new Promise<never>((_, reject) => {
    const fire = (): void => reject(new DemoStopped('stopped'));
    if (stop.signal.aborted) fire();
    else stop.signal.addEventListener('abort', fire, { once: true });
  });
  stopped.catch(() => undefined);

  // NB: aborted when runDemo ends for any reason, so that no poll loop or timer keeps running after it.
  const lifetime = new AbortController();
  let shuttingDown = false;
  let deathReported = false;
  let rejectDeath: (err: Error) => void = () => undefined;
  const death = new Promise<never>((_, reject) => {
    rejectDeath = reject;
  });
  death.catch(() => undefined);
  const watch = (name: string, exited: Promise<ExitInfo>, logs: () => string): void => {
    void exited.then(async (info) => {
      // NB: Ctrl-C reaches the whole process group, so a child may exit just before our own SIGINT handler runs.
      await sleep(200);
      if (shuttingDown || stop.signal.aborted) return;
      const lines = logs().trimEnd().split('\n');
      say(`\n${name} exited unexpectedly (${describeExit(info)}); its last log lines:`);
      say(lines.slice(Math.max(0, lines.length - 30)).join('\n'));
      deathReported = true;
      rejectDeath(new Error(`${name} exited unexpectedly (${describeExit(info)})`));
    });
  };
  const guard = <T>(step: Promise<T>): Promise<T> => Promise.race([step, death, stopped]);

  let worker: DemoWorker | undefined;
  let promStart: Promise<PrometheusProcess> | undefined;
  let adapter: ManagedChild | undefined;
  try {
    await prepareWorkDir(workDir);
    const nowSeconds = Math.floor(Date.now() / 1000);
    worker = await startDemoWorker({
      pods: DEMO_PODS.map((pod) => ({ ...pod })),
      startedAtMs: (nowSeconds - HISTORY_SECONDS) * 1000,
    });
    say(`demo worker: ${DEMO_PODS.length} queue-worker pods at ${worker.url}/metrics`);
    // NB: without history a [2m] rate only reaches the true load two minutes after the first scrape.
    const backfill = openMetrics(demoWorkerHistory(worker, { untilSeconds: nowSeconds - 1, stepSeconds: 5 }));

    promStart = startPrometheus({
      dir: join(workDir, 'prometheus'),
      scrapeConfigs: [demoScrapeConfig(worker.url)],
      scrapeIntervalSeconds: 1,
      queryLog: true,
      backfill,
    });
    const prom = await guard(promStart);
    watch('prometheus', prom.exited, () => prom.logs());
    say(
      `prometheus:  ${prom.url} (${HISTORY_SECONDS / 60} min of history backfilled, then scrapes the worker every second;` +
        ` queries logged to ${prom.queryLogPath})`,
    );

    const started = await guard(
      startAdapterProcess(
        opts.adapterEntry,
        [
          '--standalone',
          `--config=${opts.config}`,
          `--prometheus-url=${prom.url}`,
          '--secure-port=0',
          `--cert-dir=${join(workDir, 'cert')}`,
          '--metrics-relist-interval=5s',
          '--v=0',
        ],
        { listenTimeoutMs: ADAPTER_LISTEN_TIMEOUT_MS, onSpawn: (child) => (adapter = child) },
      ),
    );
    watch('adapter', started.child.exited, () => started.child.logs());
    const base = started.url;
    say(`adapter:     ${base} (pid ${started.child.pid}; its logs are shown only if it fails)`);

    await guard(waitUntilReady(base, ADAPTER_READY_TIMEOUT_MS, lifetime.signal));
    await guard(waitForMetrics(base, worker, metricsTimeoutMs, say, lifetime.signal));

    const discovery = await guard(insecureGet(`${base}${GROUP_VERSION}`, requestOptions()));
    say(`\nGET ${GROUP_VERSION} lists:`);
    say(formatDiscovery(discovery.status, discovery.text));

    say(`\ncustom metrics per pod (values exactly as the API serves them):`);
    say(await guard(renderTable(base, worker)));

    say('\nTry it with kubectl:');
    const flags = `--server=${base} --insecure-skip-tls-verify --token=x`;
    say(`  kubectl get --raw '${GROUP_VERSION}' ${flags}`);
    for (const metric of TABLE_METRICS.slice(0, 2))
      say(`  kubectl get --raw '${metricPath(metric)}' ${flags}`);
    say(
      `  kubectl get --raw '${GROUP_VERSION}/namespaces/${NAMESPACE}/pods/${DEMO_PODS[0]?.name}/counter_qps' ${flags}`,
    );
    say(`\nThe table is refreshed every ${Math.round(refreshIntervalMs / 1000)} s; press Ctrl-C to stop.`);

    // NB: the load changes right after a table is printed, so the next table shows its effect.
    for (let tick = 1; ; tick++) {
      varyLoad(worker, tick);
      await guard(sleep(refreshIntervalMs, lifetime.signal));
      say();
      say(await guard(renderTable(base, worker)));
    }
  } catch (err) {
    if (err instanceof DemoStopped) {
      say('\nstopping the demo...');
      return;
    }
    if (!deathReported && adapter && !adapter.hasExited())
      say(`\nthe adapter's last log lines:\n${adapter.tail(30)}`);
    throw err;
  } finally {
    shuttingDown = true;
    lifetime.abort();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    opts.signal?.removeEventListener('abort', onSignal);
    await adapter?.stop();
    // NB: a stop during Prometheus' startup leaves it starting; it is stopped once up (or has cleaned up itself).
    await (await promStart?.catch(() => undefined))?.stop();
    await worker?.stop();
  }
}

function requestOptions(): { timeoutMs: number; headers: Record<string, string> } {
  return { timeoutMs: REQUEST_TIMEOUT_MS, headers: REQUEST_HEADERS };
}

async function waitForMetrics(
  base: string,
  worker: DemoWorker,
  timeoutMs: number,
  say: (text: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const start = Date.now();
  const wanted = DEMO_PODS.map((pod) => pod.name);
  say(
    `waiting until Prometheus scrapes the worker and the adapter serves counter_qps for all ${wanted.length} pods`,
  );
  let last = '';
  let lastReport = start;
  while (!signal.aborted) {
    try {
      const res = await insecureGet(`${base}${metricPath('counter_qps')}`, { ...requestOptions(), signal });
      if (res.status === 200) {
        const values = valuesByPod(res.text);
        const missing = wanted.filter((name) => !values.has(name));
        // NB: between the end of the backfilled history and the first scrape (Prometheus applies new targets after
        // 5 s) a [2m] rate sags below the true load; once live samples follow the history it is exact again.
        if (missing.length === 0 && worker.scrapeCount() >= 2) {
          say(`  ready after ${Math.round((Date.now() - start) / 1000)} s`);
          return;
        }
        last =
          missing.length > 0
            ? `no value yet for ${missing.join(', ')}`
            : 'waiting for the first scrape of the worker';
      } else {
        last = describeAnswer(res.status, res.text);
      }
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    const elapsed = Date.now() - start;
    if (elapsed >= timeoutMs) {
      throw new Error(
        `counter_qps was not served for every pod within ${timeoutMs / 1000} s (last answer ${last})`,
      );
    }
    if (Date.now() - lastReport >= 5000) {
      lastReport = Date.now();
      say(`  ... ${Math.round(elapsed / 1000)} s: ${last}`);
    }
    await sleep(1000, signal);
  }
}

function formatDiscovery(status: number, text: string): string {
  if (status !== 200) return `  (${describeAnswer(status, text)})`;
  try {
    const body = JSON.parse(text) as { resources?: Array<{ name?: unknown }> };
    const names = (body.resources ?? []).map((r) => r.name).filter((n): n is string => typeof n === 'string');
    return names.map((name) => `  ${name}`).join('\n');
  } catch (err) {
    return `  (not JSON: ${err instanceof Error ? err.message : String(err)})`;
  }
}

async function renderTable(base: string, worker: DemoWorker): Promise<string> {
  const columns = await Promise.all(
    TABLE_METRICS.map(async (metric) => {
      try {
        const res = await insecureGet(`${base}${metricPath(metric)}`, requestOptions());
        if (res.status !== 200) return { values: new Map<string, string>(), problem: `${res.status}` };
        return { values: valuesByPod(res.text), problem: '-' };
      } catch {
        return { values: new Map<string, string>(), problem: 'error' };
      }
    }),
  );
  const load = new Map(worker.pods().map((pod) => [pod.name, pod]));
  const header = ['POD', ...TABLE_METRICS, 'DEMO LOAD NOW'];
  const rows = DEMO_PODS.map((pod) => {
    const current = load.get(pod.name);
    return [
      pod.name,
      ...columns.map((column) => column.values.get(pod.name) ?? column.problem),
      current ? `${current.qpsPerSecond}/s, queue ${current.queueSize}` : '',
    ];
  });
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : pad(cell, widths[i] ?? 0)))
      .join('')
      .trimEnd();
  return [
    `${new Date().toISOString().slice(11, 19)} UTC (rates are over [2m], so they follow a load change within 2 min)`,
    line(header),
    ...rows.map(line),
  ].join('\n');
}

/** Moves each pod's load along its own slow wave, so the served values change over time. */
function varyLoad(worker: DemoWorker, tick: number): void {
  DEMO_PODS.forEach((pod, i) => {
    const wave = Math.sin(tick / 3 + (i * 2 * Math.PI) / DEMO_PODS.length);
    const qps = Math.round(pod.qpsPerSecond * (1 + 0.5 * wave) * 4) / 4;
    const queue = Math.max(0, Math.round(pod.queueSize * (1 + 0.6 * wave)));
    worker.setLoad({ namespace: pod.namespace, name: pod.name }, qps, queue);
  });
}
