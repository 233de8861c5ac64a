import { startPrometheus } from '../../src/cli/demo/prometheus-process.js';
import { startVictoriaMetrics } from './victoria-metrics.js';

/** The Prometheus-API servers the suites run against. */
export type BackendKind = 'prometheus' | 'victoria-metrics';
export const BACKENDS: readonly BackendKind[] = ['prometheus', 'victoria-metrics'];

/** What a parameterized suite needs of a running backend. */
export interface Backend {
  kind: BackendKind;
  /** Base URL of the Prometheus HTTP API (`<url>/api/v1/...`). */
  url: string;
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Starts `kind` on 127.0.0.1 with `backfill` (OpenMetrics text, timestamps in seconds) loaded: promtool blocks for
 * Prometheus, `/api/v1/import/prometheus` for VictoriaMetrics. Resolves once the data is queryable.
 */
export async function startBackend(
  kind: BackendKind,
  opts: { dir: string; backfill: string; timeoutMs?: number },
): Promise<Backend> {
  const running = kind === 'prometheus' ? await startPrometheus(opts) : await startVictoriaMetrics(opts);
  return { kind, url: running.url, logs: () => running.logs(), stop: () => running.stop() };
}
