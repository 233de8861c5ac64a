import http from 'node:http';
import https from 'node:https';

/** What a closed-loop load run measured. Only answers with HTTP 200 count as completed. */
export interface LoadResult {
  /** Latency of every completed request, ms. */
  latenciesMs: number[];
  completed: number;
  /** Non-200 answers and network errors; the first one is kept in `firstError`. */
  errors: number;
  firstError?: string;
  elapsedMs: number;
  /** Completed requests per second of `elapsedMs`. */
  throughput: number;
  /** Requests sent in total, the unmeasured warm-up included. */
  sentWithWarmUp: number;
}

export interface LoadOptions {
  /** Called for every request, so each can carry its own query time. */
  url: () => string;
  concurrency: number;
  /** Each client sends requests back to back until this much time has passed... */
  durationMs?: number;
  /** ...or until this many requests were sent in total. */
  requests?: number;
  /** Per-request limit (default 10 000). */
  timeoutMs?: number;
}

function once(agent: http.Agent, url: URL, timeoutMs: number): Promise<{ status: number; bytes: number }> {
  const get = url.protocol === 'https:' ? https.get : http.get;
  return new Promise((resolve, reject) => {
    const req = get(url, { agent, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
    });
    req.on('error', reject);
  });
}

/**
 * Runs `concurrency` clients over one keep-alive agent (TLS certificates are not verified: the adapter's is
 * self-signed). The agent's connections are opened by a short warm-up that is not measured.
 */
export async function runLoad(options: LoadOptions, warmUpMs = 300): Promise<LoadResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const agentOptions = { keepAlive: true, maxSockets: options.concurrency, rejectUnauthorized: false };
  const agent = options.url().startsWith('https:')
    ? new https.Agent(agentOptions)
    : new http.Agent(agentOptions);
  try {
    const warm =
      warmUpMs > 0 ? (await measure(agent, options, { durationMs: warmUpMs }, timeoutMs)).sentWithWarmUp : 0;
    const result = await measure(agent, options, options, timeoutMs);
    return { ...result, sentWithWarmUp: result.sentWithWarmUp + warm };
  } finally {
    agent.destroy();
  }
}

async function measure(
  agent: http.Agent,
  options: LoadOptions,
  limit: { durationMs?: number; requests?: number },
  timeoutMs: number,
): Promise<LoadResult> {
  if (limit.durationMs === undefined && limit.requests === undefined) {
    throw new Error('a load run needs durationMs or requests');
  }
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let sent = 0;
  const started = performance.now();
  const deadline = started + (limit.durationMs ?? Number.POSITIVE_INFINITY);
  const more = () => performance.now() < deadline && (limit.requests === undefined || sent < limit.requests);
  const client = async () => {
    while (more()) {
      sent++;
      const t0 = performance.now();
      try {
        const { status } = await once(agent, new URL(options.url()), timeoutMs);
        if (status === 200) latenciesMs.push(performance.now() - t0);
        else {
          errors++;
          firstError ??= `HTTP ${status}`;
        }
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? e.message : String(e);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  const elapsedMs = performance.now() - started;
  return {
    latenciesMs,
    completed: latenciesMs.length,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    elapsedMs,
    throughput: (latenciesMs.length * 1000) / elapsedMs,
    sentWithWarmUp: sent,
  };
}
