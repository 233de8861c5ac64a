/**
 * Hot reload of the rules file (SPEC 11): a change is loaded, validated and, if valid, put in service; if not,
 * the rules in service keep serving and the error is reported with its YAML path. A file that defines no rules
 * at all is refused too.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StructuredLogger } from '../api/logger.js';
import type { CompiledRules } from '../rules/compile-rules.js';
import type { RelistOutcome } from './relister.js';

/** What one reload attempt did. */
export type ReloadResult =
  { ok: true; at: Date; rules: CompiledRules; relist: RelistOutcome } | { ok: false; at: Date; error: Error };

export interface RulesReloaderOptions {
  /** The rules file; may be a symlink (a ConfigMap volume's `config.yaml -> ..data/config.yaml`). */
  path: string;
  /** Parses and compiles the file's text; throws (ConfigError) when it is invalid. */
  load: (text: string, path: string) => CompiledRules;
  /** Puts valid rules in service; resolves when they serve. */
  apply: (rules: CompiledRules) => Promise<RelistOutcome>;
  logger: Pick<StructuredLogger, 'info' | 'error'>;
  /** Called after every attempt (self-metrics, tests). */
  onResult?: (result: ReloadResult) => void;
  /** How often the file is read to catch changes a watch missed (default 1000 ms). */
  pollIntervalMs?: number;
  /** Quiet time after a change before reading, so a burst of writes is read once (default 100 ms). */
  debounceMs?: number;
}

export interface RulesReloader {
  /** Reads the file now and reloads if its content changed since the last attempt; never rejects. */
  check(): Promise<ReloadResult | undefined>;
  stop(): void;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Watches the rules file's directory (a ConfigMap update swaps the `..data` symlink there, which a watch on the
 * file itself misses) and polls it as a fallback. The content given at start is taken as already in service.
 * Attempts never overlap; a change during an attempt is picked up by the next one.
 */
export function createRulesReloader(initialText: string, options: RulesReloaderOptions): RulesReloader {
  const { logger } = options;
  let lastHash = sha256(initialText);
  let running: Promise<ReloadResult | undefined> | undefined;
  let again = false;
  let debounce: NodeJS.Timeout | undefined;
  let stopped = false;

  const attempt = async (): Promise<ReloadResult | undefined> => {
    let text: string;
    try {
      text = await readFile(options.path, 'utf8');
    } catch (e) {
      // NB: a missing file is usually a swap in progress; the next event or poll reads it again.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return report({ ok: false, at: new Date(), error: readError(options.path, e) });
    }
    const hash = sha256(text);
    if (hash === lastHash) return undefined;
    lastHash = hash;
    let rules: CompiledRules;
    try {
      rules = options.load(text, options.path);
    } catch (e) {
      return report({ ok: false, at: new Date(), error: e instanceof Error ? e : new Error(String(e)) });
    }
    if (rules.custom.length === 0 && rules.external.length === 0 && rules.resource === undefined) {
      // NB: a file emptied or cut short by a rewrite in place loads as "no rules"; applying it would drop every
      // metric until the write completes. Removing all rules takes a restart.
      return report({
        ok: false,
        at: new Date(),
        error: new Error(`${options.path} defines no rules (emptied, or a write in progress?)`),
      });
    }
    const relist = await options.apply(rules);
    return report({ ok: true, at: new Date(), rules, relist });
  };

  const report = (result: ReloadResult): ReloadResult => {
    if (result.ok) {
      logger.info(
        {
          path: options.path,
          rules: result.rules.custom.length,
          externalRules: result.rules.external.length,
          resourceRules: result.rules.resource !== undefined,
          metrics: result.relist.metricCount,
        },
        'rules reloaded',
      );
    } else {
      logger.error(
        { path: options.path, err: result.error },
        `rules reload failed; the previous rules keep serving: ${result.error.message}`,
      );
    }
    options.onResult?.(result);
    return result;
  };

  const check = (): Promise<ReloadResult | undefined> => {
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = attempt()
      .catch((e: unknown) => report({ ok: false, at: new Date(), error: e as Error }))
      .finally(() => {
        running = undefined;
        if (again && !stopped) {
          again = false;
          void check();
        }
      });
    return running;
  };

  const schedule = () => {
    if (stopped) return;
    if (debounce !== undefined) clearTimeout(debounce);
    debounce = setTimeout(() => void check(), options.debounceMs ?? 100);
    debounce.unref();
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(options.path), { persistent: false }, schedule);
    watcher.on('error', (e) => {
      logger.error({ path: options.path, err: e }, 'watching the rules directory failed; polling only');
      watcher?.close();
    });
  } catch (e) {
    logger.error({ path: options.path, err: e }, 'cannot watch the rules directory; polling only');
  }
  const poll = setInterval(schedule, options.pollIntervalMs ?? 1000);
  poll.unref();

  return {
    check,
    stop() {
      stopped = true;
      watcher?.close();
      clearInterval(poll);
      if (debounce !== undefined) clearTimeout(debounce);
    },
  };
}

function readError(path: string, cause: unknown): Error {
  const code = (cause as NodeJS.ErrnoException).code;
  return new Error(`cannot read ${path}: ${code ?? (cause as Error).message}`, { cause });
}
