import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describeExit, spawnManaged } from './child.js';
import type { ExitInfo, ManagedChild } from './child.js';

/** Options of {@link startPrometheus}. */
export interface StartPrometheusOptions {
  /** Working directory: receives prometheus.yml, the backfill file, `data/` and the query log. Created if missing. */
  dir: string;
  /** `scrape_configs` entries, written as given. */
  scrapeConfigs?: object[];
  /** Global scrape and rule evaluation interval (default 15). */
  scrapeIntervalSeconds?: number;
  /** Sets `query_log_file` so every query Prometheus executes is logged (JSON lines with `params.query`). */
  queryLog?: boolean;
  /** OpenMetrics text loaded with `promtool tsdb create-blocks-from openmetrics` before Prometheus starts. */
  backfill?: string;
  /** Overall limit for backfill + start + ready (default 20 000). */
  timeoutMs?: number;
  /** Port on 127.0.0.1 to listen on (default: an ephemeral one), e.g. to restart on the port of a stopped one. */
  port?: number;
}

/** A running Prometheus server on 127.0.0.1. */
export interface PrometheusProcess {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** Its process id. */
  pid: number | undefined;
  /** Set when `queryLog` was requested. */
  queryLogPath?: string;
  /** Resolves when the process has exited (including after `stop()`); never rejects. */
  exited: Promise<ExitInfo>;
  /** Everything Prometheus logged so far (bounded). */
  logs(): string;
  /** SIGTERM, SIGKILL after 5 s; resolves once the process is gone. Idempotent; never throws. */
  stop(): Promise<void>;
}

const SETUP_HINT = 'run `bash .ci/setup` (installs Debian\'s "prometheus" package, which brings promtool)';
const LISTENING = /msg="Listening on" address=\S*:(\d+)/;
const PROBE_TIMEOUT_MS = 1000;
const PROBE_PERIOD_MS = 100;

function durationOf(seconds: number): string {
  if (!(seconds > 0)) throw new Error(`scrape interval must be > 0 seconds, got ${seconds}`);
  return Number.isInteger(seconds) ? `${seconds}s` : `${Math.max(1, Math.round(seconds * 1000))}ms`;
}

function isEnoent(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function lastLines(text: string, count = 20): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(Math.max(0, lines.length - count)).join('\n');
}

function runPromtool(args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    // NB: env is passed explicitly, as spawnManaged does, so both children see the same (possibly sandboxed) env.
    execFile(
      'promtool',
      args,
      { env: process.env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) {
          resolvePromise();
          return;
        }
        if (isEnoent(err)) {
          reject(new Error(`promtool is not on PATH: ${SETUP_HINT}`, { cause: err }));
          return;
        }
        reject(
          new Error(`promtool ${args.join(' ')} failed: ${err.message}\n${lastLines(`${stdout}${stderr}`)}`, {
            cause: err,
          }),
        );
      },
    );
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Starts a real Prometheus (`prometheus` from PATH) listening on an ephemeral port of 127.0.0.1, and resolves once
 * `/-/ready` answers 200. When `backfill` is given, the data is written as blocks into `<dir>/data` before the start
 * (blocks added to a running Prometheus only show up after about a minute).
 *
 * On any failure (not installed, bad config, no ready answer within `timeoutMs`) the process is killed and the
 * returned promise rejects with an Error whose message ends with the last lines of Prometheus' log. The process is
 * also killed if the calling Node process exits without calling `stop()`.
 */
export async function startPrometheus(opts: StartPrometheusOptions): Promise<PrometheusProcess> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  const dir = resolve(opts.dir);
  const dataDir = join(dir, 'data');
  const configPath = join(dir, 'prometheus.yml');
  const queryLogPath = opts.queryLog ? join(dir, 'query.log') : undefined;
  await mkdir(dataDir, { recursive: true });

  const interval = durationOf(opts.scrapeIntervalSeconds ?? 15);
  const config = {
    global: {
      scrape_interval: interval,
      // NB: Prometheus rejects a scrape timeout longer than the interval, and its default is 10s.
      scrape_timeout: (opts.scrapeIntervalSeconds ?? 15) < 10 ? interval : '10s',
      evaluation_interval: interval,
      ...(queryLogPath ? { query_log_file: queryLogPath } : {}),
    },
    scrape_configs: opts.scrapeConfigs ?? [],
  };
  // NB: JSON is valid YAML, so no YAML library is needed to write Prometheus' config.
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);

  if (opts.backfill !== undefined) {
    const backfillPath = join(dir, 'backfill.om');
    await writeFile(backfillPath, opts.backfill);
    await runPromtool(
      ['tsdb', 'create-blocks-from', 'openmetrics', backfillPath, dataDir],
      Math.max(1, deadline - Date.now()),
    );
  }

  let child: ManagedChild;
  try {
    child = await spawnManaged('prometheus', [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${opts.port ?? 0}`,
      // NB: retention counts back from the newest block; a long one keeps every backfilled block queryable.
      '--storage.tsdb.retention.time=30d',
    ]);
  } catch (err) {
    if (isEnoent(err)) throw new Error(`prometheus is not on PATH: ${SETUP_HINT}`, { cause: err });
    throw err;
  }

  const fail = async (reason: string): Promise<never> => {
    await child.stop(1000);
    throw new Error(`prometheus ${reason}; last log lines:\n${child.tail(20)}`);
  };

  const portFound = new Promise<number>((resolvePort) => {
    const check = (text: string): void => {
      const match = LISTENING.exec(text);
      if (match?.[1] !== undefined) resolvePort(Number(match[1]));
    };
    child.onLine(check);
    check(child.logs());
  });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    portFound.then((p) => ({ kind: 'port' as const, port: p })),
    child.exited.then((info) => ({ kind: 'exited' as const, info })),
    new Promise<{ kind: 'timeout' }>((r) => {
      timer = setTimeout(() => r({ kind: 'timeout' }), Math.max(0, deadline - Date.now()));
    }),
  ]);
  clearTimeout(timer);
  if (outcome.kind === 'exited') return fail(`exited during startup (${describeExit(outcome.info)})`);
  if (outcome.kind === 'timeout') return fail(`did not report its listening address within ${timeoutMs} ms`);

  const url = `http://127.0.0.1:${outcome.port}`;
  let lastProblem = 'no answer yet';
  for (;;) {
    if (child.hasExited()) return fail(`exited during startup (${describeExit(await child.exited)})`);
    try {
      const res = await fetch(`${url}/-/ready`, {
        signal: AbortSignal.timeout(Math.max(1, Math.min(PROBE_TIMEOUT_MS, deadline - Date.now()))),
      });
      await res.arrayBuffer();
      if (res.status === 200) break;
      lastProblem = `/-/ready answered ${res.status}`;
    } catch (err) {
      lastProblem = `/-/ready: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (Date.now() >= deadline) return fail(`was not ready within ${timeoutMs} ms (${lastProblem})`);
    await sleep(PROBE_PERIOD_MS);
  }

  return {
    url,
    port: outcome.port,
    pid: child.pid,
    ...(queryLogPath ? { queryLogPath } : {}),
    exited: child.exited,
    logs: () => child.logs(),
    stop: () => child.stop(5000),
  };
}
