import { SILENT_LOGGER, type StructuredLogger } from '../api/logger.js';

/** The structured logger the cluster-mode parts of kube/ use (pass a child logger). */
export type KubeLogger = StructuredLogger;
export { SILENT_LOGGER };

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
