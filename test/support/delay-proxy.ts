/**
 * A reverse proxy in front of a Prometheus that holds every `/api/v1/query` call for `delayMs` before forwarding
 * it, and records the method and path of each call: for tests that need requests surely in flight at once.
 */
import { createServer, request as httpRequest } from 'node:http';

export interface DelayProxy {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Every request received, in order: method and path with query string. */
  readonly requests: ReadonlyArray<{ method: string; path: string }>;
  close(): Promise<void>;
}

export async function startDelayProxy(target: string, delayMs: number): Promise<DelayProxy> {
  const to = new URL(target);
  const requests: Array<{ method: string; path: string }> = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '' });
    const forward = () => {
      const upstream = httpRequest(
        { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    };
    if (req.url?.startsWith('/api/v1/query')) setTimeout(forward, delayMs);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
