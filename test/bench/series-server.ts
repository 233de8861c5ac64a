import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A stand-in for Prometheus' `/api/v1/series` that answers pre-generated bodies, keyed by `match[]`. */
export interface SeriesServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The `match[]` of every answered request, in order. */
  requested: string[];
  close(): Promise<void>;
}

/**
 * Serves `answers` (selector → JSON body) on 127.0.0.1. GET or form POST; any other path or an unknown selector
 * gets a Prometheus-style error, so a mismatch between rules and pre-generated answers shows up as a failed relist.
 */
export async function startSeriesServer(answers: ReadonlyMap<string, Buffer>): Promise<SeriesServer> {
  const requested: string[] = [];
  const fail = (res: http.ServerResponse, status: number, error: string) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error }));
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/api/v1/series')
        return fail(res, 404, `the bench series server has no ${url.pathname}`);
      const params =
        req.method === 'POST' ? new URLSearchParams(Buffer.concat(chunks).toString()) : url.searchParams;
      const match = params.getAll('match[]');
      const body = match.length === 1 ? answers.get(match[0] ?? '') : undefined;
      if (body === undefined)
        return fail(res, 400, `no pre-generated answer for match[]=${JSON.stringify(match)}`);
      requested.push(match[0] ?? '');
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requested,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
