import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { insecureGet } from '../../src/cli/demo/insecure-https.js';
import { startAdapterProcess, type AdapterProcess } from '../../src/cli/demo/adapter-process.js';
import { ADAPTER_ENTRY } from '../support/adapter.js';
import { waitFor } from '../support/wait.js';

/** Peak resident set size of a live process (`VmHWM` of /proc/PID/status), MiB. */
export function peakRssMiB(pid: number | undefined): number {
  if (pid === undefined) throw new Error('the process has no pid');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kb) / 1024;
}

export interface StartedAdapter {
  adapter: AdapterProcess;
  /** From just before the spawn to the first /readyz 200. */
  spawnToReadyMs: number;
}

/**
 * Starts the built adapter (standalone, self-signed cert in `certDir`) and polls /readyz every 10 ms until it
 * answers 200, within `readyTimeoutMs`. On failure the adapter is stopped and the error names what happened.
 */
export async function startBenchAdapter(
  prometheusUrl: string,
  config: string,
  certDir: string,
  extraArgs: readonly string[],
  readyTimeoutMs = 60_000,
): Promise<StartedAdapter> {
  const t0 = performance.now();
  const adapter = await startAdapterProcess(
    ADAPTER_ENTRY,
    [
      '--standalone',
      `--config=${config}`,
      `--prometheus-url=${prometheusUrl}`,
      '--secure-port=0',
      `--cert-dir=${certDir}`,
      ...extraArgs,
    ],
    { listenTimeoutMs: readyTimeoutMs },
  );
  const deadline = t0 + readyTimeoutMs;
  let last = 'no answer yet';
  for (;;) {
    if (adapter.child.hasExited()) {
      throw new Error(`adapter exited before it was ready; its last log lines:\n${adapter.child.tail(20)}`);
    }
    try {
      const res = await insecureGet(`${adapter.url}/readyz`, { timeoutMs: 2000 });
      if (res.status === 200) return { adapter, spawnToReadyMs: performance.now() - t0 };
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (performance.now() > deadline) {
      await adapter.child.stop(2000);
      throw new Error(`adapter was not ready within ${readyTimeoutMs / 1000} s (/readyz: ${last})`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The fields of the adapter's `relist finished` log line (SPEC: logged at every relist). */
export interface RelistLine {
  ok: boolean;
  durationMs: number;
  seriesCount: number;
  metricCount: number;
}

/** The first `relist finished` line the adapter logged (waits up to 5 s for it to arrive through the pipe). */
export function firstRelist(adapter: AdapterProcess): Promise<RelistLine> {
  return waitFor(
    '"relist finished" in the adapter log',
    () => {
      for (const line of adapter.child.logs().split('\n')) {
        if (!line.includes('"relist finished"')) continue;
        return JSON.parse(line) as RelistLine;
      }
      return undefined;
    },
    5000,
  );
}

/** The PromQL of every `query` line the adapter logged at --v=6, in order. */
export function loggedQueries(adapter: AdapterProcess): string[] {
  return adapter.child
    .logs()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"msg":"query"'))
    .map((line) => (JSON.parse(line) as { query: string }).query);
}

function runNode(args: readonly string[], timeoutMs: number): Promise<{ wallMs: number; stdout: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { timeout: timeoutMs, maxBuffer: 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`node ${args[0] ?? ''} failed: ${err.message}\n${stderr}`, { cause: err }));
        else resolve({ wallMs: performance.now() - t0, stdout });
      },
    );
  });
}

/** Spawn-to-exit time of `node -e 0`, ms: the floor of any Node process start. */
export async function nodeNoopMs(): Promise<number> {
  return (await runNode(['-e', '0'], 30_000)).wallMs;
}

// NB: at most four fetches at a time, like the adapter's relist; the parsed answers stay referenced until the end.
const FETCH_PARSE = `
const urls = process.argv.slice(1);
const t0 = performance.now();
const kept = [];
let next = 0;
const worker = async () => {
  while (next < urls.length) {
    const res = await fetch(urls[next++]);
    kept.push(JSON.parse(await res.text()));
  }
};
await Promise.all(Array.from({ length: Math.min(4, urls.length) }, worker));
const ms = performance.now() - t0;
const hwm = /^VmHWM:\\s+(\\d+) kB$/m.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1];
console.log(JSON.stringify({ ms, peakRssMiB: Number(hwm) / 1024, series: kept.reduce((n, a) => n + a.data.length, 0) }));
`;

export interface FetchParseResult {
  /** fetch + JSON.parse of every URL, measured inside the process. */
  ms: number;
  /** Spawn to exit. */
  wallMs: number;
  peakRssMiB: number;
  series: number;
}

/** The relist baseline: a fresh Node process that fetches and JSON.parses `urls` (four at a time). */
export async function fetchParse(urls: readonly string[], timeoutMs: number): Promise<FetchParseResult> {
  // NB: CommonJS eval (for require) wrapped in an async function, since -e has no top-level await there.
  const script = `(async () => {${FETCH_PARSE}})().catch((e) => { console.error(e); process.exit(1); });`;
  const { wallMs, stdout } = await runNode(['-e', script, ...urls], timeoutMs);
  const parsed = JSON.parse(stdout) as Omit<FetchParseResult, 'wallMs'>;
  return { ...parsed, wallMs };
}
