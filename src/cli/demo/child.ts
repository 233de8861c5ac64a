import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

/** How a child process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned child whose output is kept (bounded) and which is killed when this process exits. */
export interface ManagedChild {
  readonly pid: number | undefined;
  /** Resolves when the child has exited, for whatever reason; never rejects. */
  readonly exited: Promise<ExitInfo>;
  /** Whether the child has exited. */
  hasExited(): boolean;
  /** Its stdout and stderr interleaved, the last `maxLogBytes` of it. */
  logs(): string;
  /** The last `count` log lines. */
  tail(count?: number): string;
  /** Called with every complete line the child prints on stdout or stderr. */
  onLine(listener: (line: string, stream: 'stdout' | 'stderr') => void): void;
  /** SIGTERM, then SIGKILL after `graceMs` (default 5000); resolves once it has exited. Idempotent; never throws. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnManagedOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  maxLogBytes?: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // NB: 'exit' handlers must be synchronous; SIGKILL is the only thing that reliably lands before we are gone.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Spawns `command args` with stdin ignored and its output captured. Rejects when the executable cannot be started
 * (e.g. ENOENT: the error has `code` set as Node reports it, and `cause`).
 */
export async function spawnManaged(
  command: string,
  args: readonly string[],
  opts: SpawnManagedOptions = {},
): Promise<ManagedChild> {
  installExitHook();
  const maxLogBytes = opts.maxLogBytes ?? 256 * 1024;
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err: NodeJS.ErrnoException) => {
      const error = new Error(`cannot start ${command}: ${err.message}`, {
        cause: err,
      }) as NodeJS.ErrnoException;
      error.code = err.code;
      reject(error);
    });
  });
  live.add(child);

  let log = '';
  let exitInfo: ExitInfo | undefined;
  const listeners: Array<(line: string, stream: 'stdout' | 'stderr') => void> = [];
  child.once('exit', () => live.delete(child));
  // NB: 'close' rather than 'exit', so that the log holds everything the child printed before it went away.
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });

  for (const stream of ['stdout', 'stderr'] as const) {
    let partial = '';
    const readable = child[stream];
    readable.setEncoding('utf8');
    readable.on('data', (chunk: string) => {
      log += chunk;
      if (log.length > maxLogBytes) log = log.slice(log.length - maxLogBytes);
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) for (const listener of listeners) listener(line, stream);
    });
  }

  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid,
    exited,
    hasExited: () => exitInfo !== undefined,
    logs: () => log,
    tail: (count = 20) => {
      const lines = log.trimEnd().split('\n');
      return lines.slice(Math.max(0, lines.length - count)).join('\n');
    },
    onLine: (listener) => {
      listeners.push(listener);
    },
    stop: (graceMs = 5000) => {
      stopping ??= (async () => {
        if (exitInfo) return;
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          exited.then(() => false),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(true), graceMs);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut) {
          child.kill('SIGKILL');
          await exited;
        }
      })();
      return stopping;
    },
  };
}

/** Describes an exit for a message: `exit code 1` or `signal SIGKILL`. */
export function describeExit(info: ExitInfo): string {
  return info.signal ? `signal ${info.signal}` : `exit code ${String(info.code)}`;
}
