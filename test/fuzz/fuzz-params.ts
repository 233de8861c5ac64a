/**
 * fast-check run parameters. A failure prints its seed and path; replay it with
 * `FUZZ_SEED=<seed> FUZZ_PATH=<path> npm run jest -- test/fuzz/<file>`. `FUZZ_SCALE` multiplies every case count
 * (for example `FUZZ_SCALE=10` for a long local run).
 */
import type { Parameters } from 'fast-check';

function envNumber(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`${name}=${text} is not a number`);
  return n;
}

export function fuzzParameters<T>(numRuns: number): Parameters<T> {
  const scale = envNumber('FUZZ_SCALE') ?? 1;
  const seed = envNumber('FUZZ_SEED');
  const path = process.env.FUZZ_PATH;
  return {
    numRuns: Math.max(1, Math.round(numRuns * scale)),
    ...(seed === undefined ? {} : { seed }),
    ...(path === undefined || path === '' ? {} : { path }),
  };
}

/**
 * Per-test time limit for the property tests: generous, since a loaded CI machine runs them several times slower
 * than an idle one; scaled with `FUZZ_SCALE`. NB: a limit, not a timing assertion.
 */
export function fuzzTimeoutMs(): number {
  return Math.round(180_000 * Math.max(1, envNumber('FUZZ_SCALE') ?? 1));
}

/** Whether a single counterexample is being replayed (`FUZZ_PATH`): coverage thresholds do not apply then. */
export function isReplay(): boolean {
  return (process.env.FUZZ_PATH ?? '') !== '';
}
