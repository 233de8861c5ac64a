import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  startAdapterProcess,
  waitUntilReady,
  type AdapterProcess,
} from '../../src/cli/demo/adapter-process.js';

/** The built adapter: end-to-end tests run the real binary (`npm test` builds it before jest). */
export const ADAPTER_ENTRY = resolve('dist/main.js');
export const QUEUE_WORKER_RULES = resolve('config/queue-worker.yaml');

/** Starts the built adapter in standalone mode against `prometheusUrl` and waits until it is ready. */
export async function startStandaloneAdapter(
  prometheusUrl: string,
  extraArgs: readonly string[] = [],
  options: { config?: string; waitReady?: boolean } = {},
): Promise<AdapterProcess> {
  if (!existsSync(ADAPTER_ENTRY)) throw new Error(`${ADAPTER_ENTRY} is missing: run \`npm run build\` first`);
  const dir = mkdtempSync(join(tmpdir(), 'pma-adapter-'));
  const adapter = await startAdapterProcess(ADAPTER_ENTRY, [
    '--standalone',
    `--config=${options.config ?? QUEUE_WORKER_RULES}`,
    `--prometheus-url=${prometheusUrl}`,
    '--secure-port=0',
    `--cert-dir=${join(dir, 'cert')}`,
    ...extraArgs,
  ]);
  if (options.waitReady !== false) await waitUntilReady(adapter.url);
  return adapter;
}

/** How a run of the built adapter ended: exit code (null when killed), output, and how long it took. */
export interface AdapterExit {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the built adapter with `args` until it exits (killed after `timeoutMs`); never rejects. */
export function runAdapterToExit(args: readonly string[], timeoutMs = 30_000): Promise<AdapterExit> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [ADAPTER_ENTRY, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) });
    });
  });
}
