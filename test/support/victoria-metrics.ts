import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { describeExit, spawnManaged, type ExitInfo, type ManagedChild } from '../../src/cli/demo/child.js';

/** Options of {@link startVictoriaMetrics}; the same shape as startPrometheus' where they overlap. */
export interface StartVictoriaMetricsOptions {
  /** Working directory: receives the storage in `data/`. Created if missing. */
  dir: string;
  /**
   * OpenMetrics text (timestamps in seconds, as `openMetrics()` writes it for promtool), imported through
   * `/api/v1/import/prometheus` once the server is up and flushed so that it is searchable when the promise resolves.
   */
  backfill?: string;
  /** Overall limit for start + import + ready (default 20 000). */
  timeoutMs?: number;
}

/** A running single-node VictoriaMetrics on 127.0.0.1, with the PrometheusProcess API the suites use. */
export interface VictoriaMetricsProcess {
  /** `http://127.0.0.1:PORT`; the Prometheus API is under `/api/v1/`. */
  url: string;
  port: number;
  pid: number | undefined;
  /** Resolves when the process has exited (including after `stop()`); never rejects. */
  exited: Promise<ExitInfo>;
  /** Everything VictoriaMetrics logged so far (bounded). */
  logs(): string;
  /** SIGTERM, SIGKILL after 5 s; resolves once the process is gone. Idempotent; never throws. */
  stop(): Promise<void>;
}

const SETUP_HINT = 'run `bash .ci/setup` (installs Debian\'s "victoria-metrics" package)';
const PROBE_TIMEOUT_MS = 1000;
const PROBE_PERIOD_MS = 100;
const PORT_ATTEMPTS = 3;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A port that was free a moment ago. NB: VictoriaMetrics does not log the port it got for `:0`, so we choose. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

/**
 * Converts OpenMetrics text (timestamps in seconds) into the Prometheus text format VictoriaMetrics imports
 * (timestamps in milliseconds). Comments, `# EOF` and blank lines are dropped. Throws, naming the line, on a
 * sample without a timestamp: a backfill needs them.
 */
export function openMetricsToPrometheusText(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    // NB: label values may hold spaces, so value and timestamp are read after the closing brace.
    const close = line.lastIndexOf('}');
    const nameEnd = close >= 0 ? close + 1 : line.indexOf(' ');
    const [value, timestamp, ...rest] = line.slice(nameEnd).trim().split(/\s+/);
    const seconds = Number(timestamp);
    if (nameEnd <= 0 || value === undefined || timestamp === undefined || rest.length > 0) {
      throw new Error(`backfill line is not "name{labels} value timestamp": ${line}`);
    }
    if (!Number.isFinite(seconds)) throw new Error(`backfill line has a bad timestamp: ${line}`);
    out.push(`${line.slice(0, nameEnd)} ${value} ${Math.round(seconds * 1000)}`);
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** Label sets of the import, as `/api/v1/series` answers them, keyed for counting. */
function seriesKeys(promText: string): Set<string> {
  const keys = new Set<string>();
  for (const line of promText.split('\n')) {
    const close = line.lastIndexOf('}');
    const end = close >= 0 ? close + 1 : line.indexOf(' ');
    if (end > 0) keys.add(line.slice(0, end));
  }
  return keys;
}

/** Time range `[min, max]` in ms of the import's samples. */
function timeRange(promText: string): { start: number; end: number } {
  let start = Infinity;
  let end = -Infinity;
  for (const line of promText.split('\n')) {
    const ms = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line === '' || !Number.isFinite(ms)) continue;
    start = Math.min(start, ms);
    end = Math.max(end, ms);
  }
  return { start, end };
}

async function request(url: string, deadline: number, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    ...init,
    signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
  });
}

/**
 * Starts a real single-node VictoriaMetrics (`victoria-metrics` from PATH) on a free port of 127.0.0.1 with its
 * storage in `<dir>/data`, waits until `/health` answers, imports `backfill`, forces a flush and resolves once
 * every imported series is listed by `/api/v1/series`.
 *
 * Flags: `-search.latencyOffset=0s` (by default the newest 30 s are hidden from queries) and `-search.disableCache`
 * (the rollup cache would otherwise answer from before the import), so imported data is queryable at once and
 * at "now", as backfilled Prometheus data is.
 *
 * On any failure the process is killed and the promise rejects with the last lines of its log.
 */
export async function startVictoriaMetrics(
  opts: StartVictoriaMetricsOptions,
): Promise<VictoriaMetricsProcess> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  const dataDir = join(resolve(opts.dir), 'data');
  await mkdir(dataDir, { recursive: true });
  const promText = opts.backfill === undefined ? '' : openMetricsToPrometheusText(opts.backfill);

  let child: ManagedChild | undefined;
  let port = 0;
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort();
    let started: ManagedChild;
    try {
      started = await spawnManaged('victoria-metrics', [
        `-httpListenAddr=127.0.0.1:${port}`,
        `-storageDataPath=${dataDir}`,
        '-retentionPeriod=100y',
        '-search.latencyOffset=0s',
        '-search.disableCache',
        '-loggerLevel=WARN',
      ]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error(`victoria-metrics is not on PATH: ${SETUP_HINT}`, { cause: err });
      }
      throw err;
    }
    const up = await waitHealthy(started, `http://127.0.0.1:${port}`, deadline);
    if (up === 'ok') {
      child = started;
      break;
    }
    await started.stop(1000);
    // NB: the port can be taken between freePort() and the bind; that is the only failure worth a retry.
    if (up === 'exited' && /address already in use/.test(started.logs()) && attempt < PORT_ATTEMPTS) continue;
    throw new Error(
      `victoria-metrics ${up === 'exited' ? `exited during startup (${describeExit(await started.exited)})` : `was not healthy within ${timeoutMs} ms`}; last log lines:\n${started.tail(20)}`,
    );
  }

  const running = child;
  const url = `http://127.0.0.1:${port}`;
  const fail = async (reason: string, cause?: unknown): Promise<never> => {
    await running.stop(1000);
    throw new Error(`victoria-metrics ${reason}; last log lines:\n${running.tail(20)}`, { cause });
  };

  if (promText !== '') {
    try {
      const res = await request(`${url}/api/v1/import/prometheus`, deadline, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: promText,
      });
      const answer = await res.text();
      if (res.status !== 204 && res.status !== 200) {
        return fail(`rejected the backfill import with HTTP ${res.status}: ${answer.slice(0, 500)}`);
      }
      const flushed = await request(`${url}/internal/force_flush`, deadline);
      await flushed.arrayBuffer();
      if (flushed.status !== 200) return fail(`answered /internal/force_flush with HTTP ${flushed.status}`);
    } catch (err) {
      return fail(`could not import the backfill: ${messageOf(err)}`, err);
    }
    const expected = seriesKeys(promText).size;
    const { start, end } = timeRange(promText);
    const query = new URLSearchParams({
      'match[]': '{__name__=~".+"}',
      start: String(start / 1000),
      end: String(end / 1000),
    });
    let seen = -1;
    for (;;) {
      if (running.hasExited()) return fail(`exited after the import (${describeExit(await running.exited)})`);
      try {
        const res = await request(`${url}/api/v1/series?${query.toString()}`, deadline);
        const body = (await res.json()) as { data?: unknown };
        seen = Array.isArray(body.data) ? body.data.length : -1;
        if (seen === expected) break;
      } catch (err) {
        if (Date.now() >= deadline) return fail(`did not list the imported series: ${messageOf(err)}`, err);
      }
      if (Date.now() >= deadline) {
        return fail(`listed ${seen} of the ${expected} imported series within ${timeoutMs} ms`);
      }
      await sleep(PROBE_PERIOD_MS);
    }
  }

  return {
    url,
    port,
    pid: running.pid,
    exited: running.exited,
    logs: () => running.logs(),
    stop: () => running.stop(5000),
  };
}

async function waitHealthy(
  child: ManagedChild,
  url: string,
  deadline: number,
): Promise<'ok' | 'exited' | 'timeout'> {
  for (;;) {
    if (child.hasExited()) return 'exited';
    try {
      const res = await fetch(`${url}/health`, {
        signal: AbortSignal.timeout(Math.max(1, Math.min(PROBE_TIMEOUT_MS, deadline - Date.now()))),
      });
      await res.arrayBuffer();
      if (res.status === 200) return 'ok';
    } catch {
      // NB: not listening yet.
    }
    if (Date.now() >= deadline) return 'timeout';
    await sleep(PROBE_PERIOD_MS);
  }
}
