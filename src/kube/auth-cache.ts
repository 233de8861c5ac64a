/** A small bounded cache with per-entry expiry, for TokenReview and SubjectAccessReview answers. */

/**
 * A map whose entries expire after the TTL given at `set` and whose size never exceeds `maxEntries` (the least
 * recently used entry is evicted first). Synchronous; not shared between processes.
 */
export class TtlCache<K, V> {
  readonly #entries = new Map<K, { value: V; expiresAt: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(maxEntries >= 1)) throw new RangeError(`maxEntries must be at least 1, got ${maxEntries}`);
  }

  /** The live value for `key`, refreshing its recency; `undefined` when absent or expired. */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    // NB: a Map iterates in insertion order; re-inserting makes this the most recently used entry.
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value` for `ttlMs` (nothing is stored when `ttlMs` is not positive). */
  set(key: K, value: V, ttlMs: number): void {
    this.#entries.delete(key);
    if (!(ttlMs > 0)) return;
    while (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * Runs one `work` per key at a time: concurrent callers with the same key share the pending promise (what
 * upstream's token cache does with singleflight). Bounded by the number of distinct keys in flight.
 */
export class InFlight<K, V> {
  readonly #pending = new Map<K, Promise<V>>();

  run(key: K, work: () => Promise<V>): Promise<V> {
    const pending = this.#pending.get(key);
    if (pending !== undefined) return pending;
    const promise = work().finally(() => this.#pending.delete(key));
    this.#pending.set(key, promise);
    return promise;
  }
}

/** How long past its TTL a review answer may still be served while the Kubernetes API is unavailable. */
export const DEFAULT_STALE_ANSWER_MS = 5 * 60_000;
/** While the API is unavailable, how often a review may probe it. */
export const UNAVAILABLE_RETRY_MS = 1000;

export interface ReviewCacheOptions<V> {
  maxEntries: number;
  /** How long an answer is fresh (reviewed again after that); nothing is kept for a TTL that is not positive. */
  ttlOf: (value: V) => number;
  /** How long past its TTL an answer may be served while the API is unavailable (default 5 min). */
  staleForMs?: number;
  /** Whether a failed review means the API is unavailable (a network error, a timeout, an HTTP error). */
  isUnavailable: (error: unknown) => boolean;
  /** Called each time an answer past its TTL is served. */
  onStale?: (ageMs: number) => void;
  now?: () => number;
}

/**
 * Review answers (TokenReview, SubjectAccessReview) by key: an answer is reused for its TTL, then reviewed again;
 * concurrent reviews of one key share one call. While the API is unavailable (a review failed as unavailable and
 * none has succeeded since), one review per {@link UNAVAILABLE_RETRY_MS} probes it and nobody else waits: the last
 * answer for a key, up to `staleForMs` past its TTL, is served at once (and a review that fails as unavailable falls
 * back to it), and a key without one fails at once with the last error. So an outage of the Kubernetes API fails
 * no request answered before it (as RBAC in the kube-apiserver keeps deciding from its cache), does not make the
 * others wait for the client's timeout, and is not hammered by a busy adapter; an answer never outlives its TTL +
 * `staleForMs`.
 */
export class ReviewCache<V> {
  readonly #entries: TtlCache<string, { value: V; freshUntil: number }>;
  readonly #inFlight = new InFlight<string, V>();
  readonly #now: () => number;
  readonly #staleForMs: number;
  /** The last unavailable error, while no review has succeeded since. */
  #unavailable: { error: Error } | undefined;
  /** While unavailable, no review starts before this time (ms). */
  #retryAt = 0;

  constructor(private readonly options: ReviewCacheOptions<V>) {
    this.#now = options.now ?? Date.now;
    this.#staleForMs = Math.max(0, options.staleForMs ?? DEFAULT_STALE_ANSWER_MS);
    this.#entries = new TtlCache(options.maxEntries, this.#now);
  }

  /** The answer for `key`: cached, or from `review` (which rejects as the API fails). */
  get(key: string, review: () => Promise<V>): Promise<V> {
    const now = this.#now();
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.freshUntil > now) return Promise.resolve(entry.value);
    const refresh = () => this.#inFlight.run(key, () => this.#review(key, review));
    const unavailable = this.#unavailable;
    if (unavailable === undefined) return refresh();
    const probe = now >= this.#retryAt;
    if (probe) this.#retryAt = now + UNAVAILABLE_RETRY_MS;
    if (entry === undefined) return probe ? refresh() : Promise.reject(unavailable.error);
    if (probe) refresh().catch(() => undefined);
    this.options.onStale?.(now - entry.freshUntil);
    return Promise.resolve(entry.value);
  }

  async #review(key: string, review: () => Promise<V>): Promise<V> {
    try {
      const value = await review();
      this.#unavailable = undefined;
      const ttl = this.options.ttlOf(value);
      // NB: a TTL that is not positive stores nothing and drops the last answer.
      this.#entries.set(key, { value, freshUntil: this.#now() + ttl }, ttl > 0 ? ttl + this.#staleForMs : 0);
      return value;
    } catch (error) {
      if (!this.options.isUnavailable(error)) throw error;
      this.#unavailable = { error: error instanceof Error ? error : new Error(String(error)) };
      this.#retryAt = this.#now() + UNAVAILABLE_RETRY_MS;
      const last = this.#entries.get(key);
      if (last === undefined) throw error;
      this.options.onStale?.(this.#now() - last.freshUntil);
      return last.value;
    }
  }
}
