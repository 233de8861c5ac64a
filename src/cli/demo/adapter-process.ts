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
  let port: number;
  try {
    port = await listeningPort(child, listenTimeoutMs);
  } catch (e) {
    await child.stop(2000);
    throw new Error(`adapter ${(e as Error).message}; its last log lines:\n${child.tail(30)}`, { cause: e });
  }
  return { child, port, url: `https://127.0.0.1:${port}` };
}

/**
 * The port `child` (an adapter) listens on, from its `"msg":"adapter listening"` log line. Rejects with the reason
 * ("exited during startup (…)", "did not log … within N s") when it exits first or stays silent for `timeoutMs`.
 * Attach it before the child can have logged the line.
 */
export async function listeningPort(child: ManagedChild, timeoutMs: number): Promise<number> {
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
      timer = setTimeout(() => r({ kind: 'timeout' }), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (outcome.kind === 'exited') throw new Error(`exited during startup (${describeExit(outcome.info)})`);
  if (outcome.kind === 'timeout')
    throw new Error(`did not log "adapter listening" within ${timeoutMs / 1000} s`);
  return outcome.port;
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
