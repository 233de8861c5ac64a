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
