import type { IncomingHttpHeaders } from 'node:http';
import { insecureGet } from '../../src/cli/demo/insecure-https.js';

/** An HTTPS answer: `body` is the parsed JSON, or `undefined` when the body is not JSON (see `text`). */
export interface JsonResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
  text: string;
}

/**
 * GET `url` over HTTPS without verifying the (self-signed) server certificate, within `timeoutMs` (default 5000).
 * Rejects on network errors and timeouts; any HTTP status resolves.
 */
export async function getJson(
  url: string,
  opts: { timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const res = await insecureGet(url, {
    timeoutMs: opts.timeoutMs ?? 5000,
    headers: { accept: 'application/json', ...opts.headers },
  });
  let body: unknown;
  try {
    body = JSON.parse(res.text) as unknown;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text: res.text };
}
