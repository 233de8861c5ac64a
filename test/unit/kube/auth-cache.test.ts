import { describe, expect, it } from '@jest/globals';
import { InFlight, ReviewCache, TtlCache } from '../../../src/kube/auth-cache.js';

describe('TtlCache', () => {
  it('forgets an entry when its TTL has passed', () => {
    let now = 0;
    const cache = new TtlCache<string, number>(10, () => now);
    cache.set('a', 1, 100);
    now = 99;
    expect(cache.get('a')).toBe(1);
    now = 100;
    expect(cache.get('a')).toBeUndefined();
  });

  it('evicts the least recently used entry beyond its size', () => {
    const cache = new TtlCache<string, number>(2);
    cache.set('a', 1, 1000);
    cache.set('b', 2, 1000);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3, 1000);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
    expect(cache.size).toBe(2);
  });

  it('stores nothing for a TTL that is not positive', () => {
    const cache = new TtlCache<string, number>(2);
    cache.set('a', 1, 0);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});

describe('InFlight', () => {
  it('shares a pending call per key, and starts a new one once it settled', async () => {
    const inFlight = new InFlight<string, number>();
    let calls = 0;
    const work = () => Promise.resolve(++calls);
    const [first, second] = await Promise.all([inFlight.run('k', work), inFlight.run('k', work)]);
    expect([first, second, calls]).toEqual([1, 1, 1]);
    expect(await inFlight.run('k', work)).toBe(2);
  });
});

describe('ReviewCache', () => {
  const UNAVAILABLE = new Error('the API is unavailable');
  const BROKEN = new Error('the answer has no status');

  /** A cache over a scripted review: each call takes the next outcome (a value, or an error to reject with). */
  function setup(staleForMs = 60_000) {
    const clock = { now: 1_000_000 };
    const outcomes: Array<string | Error> = [];
    let calls = 0;
    const stale: number[] = [];
    const cache = new ReviewCache<string>({
      maxEntries: 10,
      ttlOf: (v) => (v.startsWith('allow') ? 10_000 : 4_000),
      staleForMs,
      isUnavailable: (e) => e === UNAVAILABLE,
      onStale: (ageMs) => stale.push(ageMs),
      now: () => clock.now,
    });
    const review = () => {
      calls++;
      const next = outcomes.shift();
      if (next === undefined) return Promise.reject(new Error('no scripted outcome left'));
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    };
    return { clock, outcomes, cache, stale, review, calls: () => calls };
  }

  it('reuses an answer for its TTL, then reviews again', async () => {
    const t = setup();
    t.outcomes.push('allow-1', 'allow-2');
    expect(await t.cache.get('k', t.review)).toBe('allow-1');
    t.clock.now += 9_999;
    expect(await t.cache.get('k', t.review)).toBe('allow-1');
    t.clock.now += 1;
    expect(await t.cache.get('k', t.review)).toBe('allow-2');
    expect([t.calls(), t.stale]).toEqual([2, []]);
  });

  it('falls back to the last answer when a review fails as unavailable, then serves it at once and revalidates', async () => {
    const t = setup();
    t.outcomes.push('allow-1', UNAVAILABLE);
    await t.cache.get('k', t.review);
    t.clock.now += 15_000;
    expect(await t.cache.get('k', t.review)).toBe('allow-1');
    expect(t.stale).toEqual([5_000]);

    // NB: the API is known to be down: the answer comes without waiting, and a review runs behind it.
    let release!: (v: string) => void;
    const slow = () => {
      t.outcomes.length = 0;
      return new Promise<string>((r) => (release = r));
    };
    t.clock.now += 1_000;
    expect(await t.cache.get('k', slow)).toBe('allow-1');
    expect(t.stale).toEqual([5_000, 6_000]);
    release('deny-2');
    await new Promise((r) => setImmediate(r));
    // The background review succeeded: the API is back, and its answer is the one used from now on.
    expect(await t.cache.get('k', t.review)).toBe('deny-2');
  });

  it('while the API is down, starts at most one background review per second however many answers it serves', async () => {
    const t = setup();
    t.outcomes.push('allow-a', 'allow-b', UNAVAILABLE);
    await t.cache.get('a', t.review);
    await t.cache.get('b', t.review);
    t.clock.now += 10_000;
    expect(await t.cache.get('a', t.review)).toBe('allow-a');
    expect(t.calls()).toBe(3);
    const down = () => {
      t.outcomes.push(UNAVAILABLE);
      return t.review();
    };
    for (let i = 0; i < 50; i++) {
      expect(await t.cache.get(i % 2 === 0 ? 'a' : 'b', down)).toBe(i % 2 === 0 ? 'allow-a' : 'allow-b');
      t.clock.now += 10;
    }
    // NB: 500 ms of answers within a second of the failure: no review started.
    expect(t.calls()).toBe(3);
    t.clock.now += 1_000;
    for (const key of ['a', 'b', 'a']) await t.cache.get(key, down);
    expect(t.calls()).toBe(4);
  });

  it('while the API is down, fails a key without an answer at once, except one probe per second', async () => {
    const t = setup();
    t.outcomes.push(UNAVAILABLE);
    await expect(t.cache.get('a', t.review)).rejects.toBe(UNAVAILABLE);
    for (const key of ['b', 'c', 'a']) await expect(t.cache.get(key, t.review)).rejects.toBe(UNAVAILABLE);
    expect(t.calls()).toBe(1);
    t.clock.now += 1_000;
    t.outcomes.push('allow-b');
    expect(await t.cache.get('b', t.review)).toBe('allow-b');
    // The probe succeeded: the API is back, and every key is reviewed again.
    t.outcomes.push('allow-c');
    expect(await t.cache.get('c', t.review)).toBe('allow-c');
    expect(t.calls()).toBe(3);
  });

  it('never serves an answer beyond its TTL + staleForMs, and keys without an answer fail', async () => {
    const t = setup(60_000);
    t.outcomes.push('deny-1', UNAVAILABLE, UNAVAILABLE);
    await t.cache.get('k', t.review);
    t.clock.now += 4_000 + 60_000;
    await expect(t.cache.get('k', t.review)).rejects.toBe(UNAVAILABLE);
    await expect(t.cache.get('other', t.review)).rejects.toBe(UNAVAILABLE);
    expect(t.stale).toEqual([]);
  });

  it('does not fall back on failures other than unavailability', async () => {
    const t = setup();
    t.outcomes.push('allow-1', BROKEN);
    await t.cache.get('k', t.review);
    t.clock.now += 10_000;
    await expect(t.cache.get('k', t.review)).rejects.toBe(BROKEN);
  });

  it('once the API answers again, an expired answer waits for its review', async () => {
    const t = setup();
    t.outcomes.push('allow-1', UNAVAILABLE, 'allow-2', 'allow-3');
    await t.cache.get('k', t.review);
    t.clock.now += 10_000;
    expect(await t.cache.get('k', t.review)).toBe('allow-1');
    t.clock.now += 1_000;
    expect(await t.cache.get('other', t.review)).toBe('allow-2');
    t.clock.now += 10_000;
    expect(await t.cache.get('k', t.review)).toBe('allow-3');
    expect(t.calls()).toBe(4);
  });
});
