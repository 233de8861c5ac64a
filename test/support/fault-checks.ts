/** What every fault test of test/faults checks and reports, shared. */
import { expect } from '@jest/globals';
import type { ManagedChild } from '../../src/cli/demo/child.js';
import type { JsonResponse } from './https.js';

/** A result and how long it took to arrive. */
export interface Timed<T> {
  value: T;
  ms: number;
}

export async function timed<T>(run: () => Promise<T>): Promise<Timed<T>> {
  const started = performance.now();
  const value = await run();
  return { value, ms: Math.round(performance.now() - started) };
}

/**
 * Asserts a `metav1.Status` failure with this code and reason whose message matches `message`, and that it
 * carries no internal address (SPEC 5.5).
 */
export function expectStatusError(res: JsonResponse, code: number, reason: string, message: RegExp): void {
  expect(res.status).toBe(code);
  expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code });
  const text = (res.body as { message?: unknown }).message;
  expect(text).toMatch(message);
  expect(text).not.toMatch(/127\.0\.0\.1|http:\/\//);
}

/** Polls `probe` every 100 ms until it holds; resolves with the time it took; rejects naming `what` after `timeoutMs`. */
export async function timeToRecover(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<number> {
  const started = performance.now();
  const deadline = started + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return Math.round(performance.now() - started);
    if (performance.now() > deadline) throw new Error(`${what} did not recover within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Counts the log lines of `child` containing every one of `texts`, from now on. */
export function countLines(child: ManagedChild, ...texts: string[]): () => number {
  let count = 0;
  child.onLine((line) => {
    if (texts.every((text) => line.includes(text))) count++;
  });
  return () => count;
}

/**
 * Prints one row of the fault table (`FAULT | fault | what the adapter did | time to recover |`), for the README.
 * NB: reported, not asserted: the assertions are functional deadlines.
 */
export function reportFault(fault: string, did: string, recovery: string): void {
  process.stdout.write(`FAULT | ${fault} | ${did} | ${recovery} |\n`);
}
