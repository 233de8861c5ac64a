/**
 * Runs `tasks` with at most `limit` in flight, in order of the array, and resolves with their results in the same
 * order. The first rejection aborts the signal handed to the running tasks, starts no further task, and is the
 * rejection of the whole run once the running tasks have settled; later rejections are dropped. `signal` aborting
 * aborts the tasks' signal too (the tasks decide how to reject). Never leaves a task running after it settles.
 */
export async function runBounded<T>(
  tasks: ReadonlyArray<(signal: AbortSignal) => Promise<T>>,
  limit: number,
  signal: AbortSignal,
): Promise<T[]> {
  const controller = new AbortController();
  const forward = () => controller.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });
  const results: T[] = [];
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < tasks.length) {
      const index = next++;
      try {
        results[index] = await tasks[index]!(controller.signal);
      } catch (error) {
        if (failure === undefined) {
          failure = { error };
          controller.abort(error);
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), tasks.length) }, worker));
  } finally {
    signal.removeEventListener('abort', forward);
  }
  if (failure !== undefined) throw failure.error;
  return results;
}
