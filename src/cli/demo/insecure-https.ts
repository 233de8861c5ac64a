import { request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

/** Options of {@link insecureGet}. */
export interface InsecureGetOptions {
  /** Whole-request limit, connect to last byte (default 5000). */
  timeoutMs?: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** An HTTP answer with its body as text. */
export interface TextResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * GET over HTTPS without verifying the server certificate (for a local adapter with its self-signed cert), with
 * no connection reuse. Rejects on network errors and when `timeoutMs` passes; any HTTP status resolves.
 */
export function insecureGet(url: string, opts: InsecureGetOptions = {}): Promise<TextResponse> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const signal = opts.signal
    ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)])
    : AbortSignal.timeout(timeoutMs);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'GET', rejectUnauthorized: false, agent: false, headers: opts.headers, signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => reject(new Error(`GET ${url}: ${err.message}`, { cause: err })));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', (err) => {
      const reason =
        signal.aborted && !opts.signal?.aborted ? `timed out after ${timeoutMs} ms` : err.message;
      reject(new Error(`GET ${url}: ${reason}`, { cause: err }));
    });
    req.end();
  });
}
