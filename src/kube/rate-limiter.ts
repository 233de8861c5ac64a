/** Client-side rate limiting for Kubernetes API calls (client-go's token bucket: `--kube-api-qps`/`--kube-api-burst`). */

export interface RateLimiterOptions {
  /** Tokens added per second; must be > 0. */
  qps: number;
  /** Bucket size, and the tokens available at start; must be ≥ 1. */
  burst: number;
  /** How many callers may wait at once; more are refused at once (DESIGN: no unbounded queues). Default 1000. */
  maxQueue?: number;
}

/** `acquire` was refused because `maxQueue` callers are already waiting. */
export class RateLimitQueueFullError extends Error {
  override readonly name = 'RateLimitQueueFullError';
}

/** A token bucket with a bounded FIFO queue of waiters. */
export interface RateLimiter {
  /**
   * Resolves once a token is taken. Waiters are served first come, first served. Rejects with `signal.reason` when
   * `signal` aborts first (no token is taken), or with RateLimitQueueFullError when the queue is full.
   */
  acquire(signal?: AbortSignal): Promise<void>;
  /** How many callers are waiting. */
  readonly waiting: number;
}

interface Waiter {
  resolve: () => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/** NB: refill arithmetic is in floating point; a bucket that is 1e-9 short of a token after its wait has one. */
const EPSILON = 1e-9;

/** Creates a token bucket limiter. Its timer runs only while callers wait. @throws RangeError for bad options */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { qps, burst } = options;
  const maxQueue = options.maxQueue ?? 1000;
  if (!(qps > 0) || !Number.isFinite(qps)) throw new RangeError(`qps must be a positive number, got ${qps}`);
  if (!(burst >= 1) || !Number.isFinite(burst))
    throw new RangeError(`burst must be at least 1, got ${burst}`);
  if (!(maxQueue >= 0)) throw new RangeError(`maxQueue must not be negative, got ${maxQueue}`);

  let tokens = burst;
  let last = Date.now();
  const queue: Waiter[] = [];
  let timer: NodeJS.Timeout | undefined;

  const refill = () => {
    const now = Date.now();
    tokens = Math.min(burst, tokens + ((now - last) * qps) / 1000);
    last = now;
  };

  const take = (): boolean => {
    if (tokens < 1 - EPSILON) return false;
    tokens = Math.max(0, tokens - 1);
    return true;
  };

  const drain = () => {
    refill();
    while (queue.length > 0 && take()) {
      const waiter = queue.shift();
      if (waiter === undefined) break;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
    if (queue.length > 0 && timer === undefined) {
      const waitMs = Math.max(1, Math.ceil(((1 - tokens) * 1000) / qps));
      timer = setTimeout(() => {
        timer = undefined;
        drain();
      }, waitMs);
    } else if (queue.length === 0 && timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
  };

  return {
    get waiting() {
      return queue.length;
    },
    acquire(signal) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- NB: like fetch, abort rejects with the signal's reason.
      if (signal?.aborted) return Promise.reject(signal.reason as unknown);
      refill();
      if (queue.length === 0 && take()) return Promise.resolve();
      if (queue.length >= maxQueue) {
        return Promise.reject(
          new RateLimitQueueFullError(
            `${queue.length} Kubernetes API calls are already waiting for the client rate limit (qps ${qps}, burst ${burst})`,
          ),
        );
      }
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          resolve,
          signal,
          onAbort: () => {
            const index = queue.indexOf(waiter);
            if (index >= 0) queue.splice(index, 1);
            // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- NB: as above.
            reject(signal?.reason);
            drain();
          },
        };
        signal?.addEventListener('abort', waiter.onAbort, { once: true });
        queue.push(waiter);
        drain();
      });
    },
  };
}
