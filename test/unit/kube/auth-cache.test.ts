import { describe, expect, it } from '@jest/globals';
import { InFlight, TtlCache } from '../../../src/kube/auth-cache.js';

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
