import { describe, expect, it } from '@jest/globals';
import { runBounded } from '../../../../src/providers/resource/bounded.js';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('runBounded', () => {
  it('resolves with the results in task order whatever order they finish in', async () => {
    const tasks = [30, 1, 15, 5].map((ms, i) => async () => {
      await delay(ms);
      return i;
    });
    expect(await runBounded(tasks, 2, new AbortController().signal)).toEqual([0, 1, 2, 3]);
  });

  it('resolves with no results for no tasks', async () => {
    expect(await runBounded([], 4, new AbortController().signal)).toEqual([]);
  });

  it('forwards an abort of the caller to the running tasks', async () => {
    const caller = new AbortController();
    const seen: AbortSignal[] = [];
    const task = (signal: AbortSignal) => {
      seen.push(signal);
      return new Promise<never>((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason as Error)),
      );
    };
    const run = runBounded([task, task, task], 2, caller.signal);
    caller.abort(new Error('client gone'));
    await expect(run).rejects.toThrow('client gone');
    expect(seen).toHaveLength(2);
  });

  it('rejects with the first failure only after the running tasks have settled', async () => {
    let settled = false;
    const run = runBounded(
      [
        () => Promise.reject(new Error('first')),
        async () => {
          await delay(10);
          settled = true;
          throw new Error('second');
        },
      ],
      2,
      new AbortController().signal,
    );
    await expect(run).rejects.toThrow('first');
    expect(settled).toBe(true);
  });
});
