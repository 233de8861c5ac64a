import { describeExit, spawnManaged, type ManagedChild } from './child.js';
import { insecureGet } from './insecure-https.js';

/** A running adapter process (`node dist/main.js ...`) and where it listens. */
export interface AdapterProcess {
  child: ManagedChild;
  port: number;
  /** `https://127.0.0.1:PORT` */
  url: string;
}

/**
 * Starts the adapter as a child process and resolves once it logs `"msg":"adapter listening"` with its port (the
 * process contract the demo and the end-to-end tests rely on). Rejects with its last log lines when it exits or
 * stays silent for `listenTimeoutMs`.
 */
export async function startAdapterProcess(
  entry: string,
  args: readonly string[],
  options: {
    listenTimeoutMs?: number;
    env?: NodeJS.ProcessEnv;
    onSpawn?: (child: ManagedChild) => void;
  } = {},
): Promise<AdapterProcess> {
  const listenTimeoutMs = options.listenTimeoutMs ?? 30_000;
  const child = await spawnManaged(
    process.execPath,
    [entry, ...args],
    options.env === undefined ? {} : { env: options.env },
  );
  options.onSpawn?.(child);
  const fail = async (reason: string): Promise<never> => {
    await child.stop(2000);
    throw new Error(`adapter ${reason}; its last log lines:\n${child.tail(30)}`);
  };
  const listening = new Promise<number>((resolvePort) => {
    child.onLine((line, stream) => {
      if (stream !== 'stdout' || !line.startsWith('{')) return;
      try {
        const entry = JSON.parse(line) as { msg?: unknown; port?: unknown };
        if (entry.msg === 'adapter listening' && typeof entry.port === 'number') resolvePort(entry.port);
      } catch {
        // NB: not a JSON log line; the adapter logs nothing else on stdout, but stay tolerant.
      }
    });
  });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    listening.then((port) => ({ kind: 'port' as const, port })),
    child.exited.then((info) => ({ kind: 'exited' as const, info })),
    new Promise<{ kind: 'timeout' }>((r) => {
      timer = setTimeout(() => r({ kind: 'timeout' }), listenTimeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (outcome.kind === 'exited') return fail(`exited during startup (${describeExit(outcome.info)})`);
  if (outcome.kind === 'timeout')
    return fail(`did not log "adapter listening" within ${listenTimeoutMs / 1000} s`);
  return { child, port: outcome.port, url: `https://127.0.0.1:${outcome.port}` };
}

/** Polls `/readyz` until it answers 200. Rejects after `timeoutMs` with the last answer; stops early on `signal`. */
export async function waitUntilReady(
  baseUrl: string,
  timeoutMs = 30_000,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline && signal?.aborted !== true) {
    try {
      const res = await insecureGet(`${baseUrl}/readyz`, {
        timeoutMs: 2000,
        ...(signal === undefined ? {} : { signal }),
      });
      if (res.status === 200) return;
      last = `${res.status} ${res.text.slice(0, 200)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`adapter was not ready within ${timeoutMs / 1000} s (/readyz: ${last})`);
}
