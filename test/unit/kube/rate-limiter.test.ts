import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createRateLimiter, RateLimitQueueFullError } from '../../../src/kube/rate-limiter.js';

/** Acquires `count` tokens at once and records when (in fake ms since start) each was granted. */
function grantTimes(limiter: ReturnType<typeof createRateLimiter>, count: number): number[] {
  const start = Date.now();
  const times: number[] = [];
  for (let i = 0; i < count; i++) void limiter.acquire().then(() => times.push(Date.now() - start));
  return times;
}

describe('createRateLimiter (token bucket)', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('grants the burst at once, then one token per 1/qps seconds', async () => {
    const limiter = createRateLimiter({ qps: 10, burst: 3 });
    const times = grantTimes(limiter, 6);
    await jest.advanceTimersByTimeAsync(0);
    expect(times).toEqual([0, 0, 0]);
    await jest.advanceTimersByTimeAsync(350);
    expect(times).toEqual([0, 0, 0, 100, 200, 300]);
  });

  it('refills up to the burst while idle, never beyond it', async () => {
    const limiter = createRateLimiter({ qps: 100, burst: 2 });
    grantTimes(limiter, 2);
    await jest.advanceTimersByTimeAsync(10_000);
    const times = grantTimes(limiter, 3);
    await jest.advanceTimersByTimeAsync(0);
    expect(times).toEqual([0, 0]);
    await jest.advanceTimersByTimeAsync(10);
    expect(times).toEqual([0, 0, 10]);
  });

  it('serves waiters first come, first served', async () => {
    const limiter = createRateLimiter({ qps: 10, burst: 1 });
    const order: string[] = [];
    for (const name of ['a', 'b', 'c']) void limiter.acquire().then(() => order.push(name));
    await jest.advanceTimersByTimeAsync(500);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it("a waiter whose signal aborts is rejected with the signal's reason and takes no token", async () => {
    const limiter = createRateLimiter({ qps: 10, burst: 1 });
    await limiter.acquire();
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal);
    const next = grantTimes(limiter, 1);
    const reason = new Error('gone');
    controller.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    expect(limiter.waiting).toBe(1);
    await jest.advanceTimersByTimeAsync(100);
    expect(next).toEqual([100]);
    expect(limiter.waiting).toBe(0);
  });

  it('an already aborted signal is rejected at once', async () => {
    const limiter = createRateLimiter({ qps: 1, burst: 1 });
    await expect(limiter.acquire(AbortSignal.abort('stop'))).rejects.toBe('stop');
  });

  it('refuses callers beyond maxQueue with RateLimitQueueFullError (bounded queue)', async () => {
    const limiter = createRateLimiter({ qps: 1, burst: 1, maxQueue: 2 });
    await limiter.acquire();
    void limiter.acquire();
    void limiter.acquire();
    await expect(limiter.acquire()).rejects.toBeInstanceOf(RateLimitQueueFullError);
    expect(limiter.waiting).toBe(2);
    await jest.advanceTimersByTimeAsync(2000);
    expect(limiter.waiting).toBe(0);
  });

  it.each([
    [{ qps: 0, burst: 1 }],
    [{ qps: -1, burst: 1 }],
    [{ qps: Number.NaN, burst: 1 }],
    [{ qps: Number.POSITIVE_INFINITY, burst: 1 }],
    [{ qps: 1, burst: 0 }],
    [{ qps: 1, burst: 1, maxQueue: -1 }],
  ])('rejects bad options %j with a RangeError', (options) => {
    expect(() => createRateLimiter(options)).toThrow(RangeError);
  });
});
