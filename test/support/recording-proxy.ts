import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { withoutHopByHop } from './hop-by-hop.js';

/** One request the proxy received, as it arrived. */
export interface RecordedRequest {
  method: string;
  /** The path as received, prefix included, without the query string. */
  path: string;
  /** The query string as received (`?a=b`), or ''. */
  search: string;
  /** Header names in lower case, as Node.js parses them. */
  headers: IncomingHttpHeaders;
}

/** A running {@link startRecordingProxy}. */
export interface RecordingProxy {
  /** `http://127.0.0.1:PORT<prefix>`: what a client is pointed at. */
  url: string;
  /** Every request received so far, in arrival order (copies). */
  requests(): RecordedRequest[];
  /** Closes the listener and open connections; resolves once closed. Idempotent. */
  stop(): Promise<void>;
}

const UPSTREAM_TIMEOUT_MS = 15_000;
export interface RecordingProxyOptions {
  /** Serve the upstream under this path (e.g. `/prometheus`, as Grafana Mimir and Cortex do); default: at `/`. */
  prefix?: string;
  /** Hold every `/api/v1/query` call this long before forwarding it, so requests are surely in flight at once. */
  queryDelayMs?: number;
}

/**
 * A reverse proxy on an ephemeral port of 127.0.0.1 that serves `upstream` under `options.prefix` and records
 * method, path and headers of every request, including those outside the prefix, which it answers 404 as a
 * path-routing gateway would.
 */
export async function startRecordingProxy(
  upstream: string,
  options: RecordingProxyOptions = {},
): Promise<RecordingProxy> {
  const prefix = options.prefix ?? '';
  if (prefix !== '' && !/^\/[^?#]*[^/?#]$/.test(prefix)) {
    throw new Error(`proxy prefix must start with "/" and not end with one, got ${JSON.stringify(prefix)}`);
  }
  const target = new URL(upstream);
  const recorded: RecordedRequest[] = [];

  const server = http.createServer((req, res) => {
    const raw = req.url ?? '/';
    const queryAt = raw.indexOf('?');
    const path = queryAt < 0 ? raw : raw.slice(0, queryAt);
    const search = queryAt < 0 ? '' : raw.slice(queryAt);
    recorded.push({ method: req.method ?? '', path, search, headers: { ...req.headers } });

    if (!path.startsWith(`${prefix}/`)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`404 page not found: ${path}\n`);
      return;
    }
    const delay = path.slice(prefix.length).startsWith('/api/v1/query') ? (options.queryDelayMs ?? 0) : 0;
    const headers = withoutHopByHop(req.headers);
    const forward = http.request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: `${target.pathname.replace(/\/+$/, '')}${path.slice(prefix.length)}${search}`,
        headers,
        timeout: UPSTREAM_TIMEOUT_MS,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
        answer.pipe(res);
      },
    );
    forward.on('timeout', () => forward.destroy(new Error(`no answer within ${UPSTREAM_TIMEOUT_MS} ms`)));
    forward.on('error', (err) => {
      if (res.headersSent) res.destroy(err);
      else res.writeHead(502, { 'content-type': 'text/plain' }).end(`upstream failed: ${err.message}\n`);
    });
    if (delay > 0) setTimeout(() => req.pipe(forward), delay);
    else req.pipe(forward);
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('the proxy has no TCP address');

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${address.port}${prefix}`,
    requests: () => recorded.map((r) => ({ ...r, headers: { ...r.headers } })),
    stop: () => {
      closing ??= new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
