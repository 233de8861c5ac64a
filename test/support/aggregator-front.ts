import { createServer, request, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestCert } from './pki.js';

/** A user the front knows by bearer token, as the kube-apiserver's own authentication would. */
export interface FrontUser {
  username: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface AggregatorFrontOptions {
  /** The adapter: `https://127.0.0.1:PORT`. Its serving certificate is not verified (as with insecureSkipTLSVerify). */
  adapterUrl: string;
  /** The (fake) kube-apiserver for everything that is not an aggregated group. */
  kubeApiUrl: string;
  /** The token the kube API accepts; requests forwarded there carry it instead of the caller's. */
  kubeApiToken: string;
  /** The front-proxy client certificate (signed by the requestheader CA) presented to the adapter. */
  proxyClient: TestCert;
  /** Serving certificate of the front itself. */
  serving: TestCert;
  /** Bearer token → user. Unknown tokens answer 401 like the kube-apiserver. */
  users: Record<string, FrontUser>;
  /** API groups served by the adapter (default custom.metrics.k8s.io). */
  groups?: string[];
}

export interface AggregatorFront {
  url: string;
  /** Requests proxied to the adapter, with the identity headers sent. */
  proxied(): Array<{ path: string; headers: Record<string, string | string[] | undefined> }>;
  stop(): Promise<void>;
}

const status = (code: number, reason: string, message: string) =>
  `${JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code })}\n`;

/**
 * A test-only stand-in for the kube-apiserver's aggregation layer: it authenticates the caller by bearer token,
 * then routes `/apis/<aggregated group>/...` to the adapter over TLS with its front-proxy client certificate and
 * `X-Remote-User`, one `X-Remote-Group` per group and `X-Remote-Extra-*` (dropping `Authorization`), and everything
 * else to the kube API unchanged. `/apis` lists the aggregated groups too. So the real kubectl can talk to the pair
 * as to a cluster.
 */
export async function startAggregatorFront(options: AggregatorFrontOptions): Promise<AggregatorFront> {
  const groups = options.groups ?? ['custom.metrics.k8s.io'];
  const proxied: Array<{ path: string; headers: Record<string, string | string[] | undefined> }> = [];

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    target: string,
    headers: Record<string, string | string[]>,
    tls: { cert?: string; key?: string },
  ) => {
    const upstream = request(
      new URL(req.url ?? '/', target),
      { method: req.method, headers, rejectUnauthorized: false, ...tls, timeout: 15_000 },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('upstream timeout')));
    upstream.on('error', (e) => {
      if (!res.headersSent) res.writeHead(503, { 'content-type': 'application/json' });
      res.end(status(503, 'ServiceUnavailable', `error trying to reach service: ${e.message}`));
    });
    req.pipe(upstream);
  };

  const server: Server = createServer(
    { cert: options.serving.cert, key: options.serving.key },
    (req, res) => {
      const path = new URL(req.url ?? '/', 'https://front').pathname;
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const user = token === undefined ? undefined : options.users[token];
      if (user === undefined) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(status(401, 'Unauthorized', 'Unauthorized'));
        return;
      }
      const group = groups.find((g) => path === `/apis/${g}` || path.startsWith(`/apis/${g}/`));
      if (group !== undefined) {
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(req.headers)) {
          if (v !== undefined && k !== 'authorization' && !k.startsWith('x-remote-')) headers[k] = v;
        }
        headers['x-remote-user'] = user.username;
        headers['x-remote-group'] = user.groups;
        for (const [key, values] of Object.entries(user.extra ?? {})) {
          headers[`x-remote-extra-${encodeURIComponent(key)}`] = values;
        }
        proxied.push({ path: req.url ?? '', headers: { ...headers } });
        forward(req, res, options.adapterUrl, headers, {
          cert: options.proxyClient.cert,
          key: options.proxyClient.key,
        });
        return;
      }
      if (path === '/apis' && req.method === 'GET') {
        void listGroups(options.kubeApiUrl, `Bearer ${options.kubeApiToken}`, groups).then(
          (body) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(body);
          },
          (e: Error) => {
            res.writeHead(503, { 'content-type': 'application/json' });
            res.end(status(503, 'ServiceUnavailable', e.message));
          },
        );
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([, v]) => v !== undefined),
      ) as Record<string, string | string[]>;
      forward(req, res, options.kubeApiUrl, headers, {});
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    proxied: () => proxied,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The kube API's APIGroupList with the aggregated groups appended, as the aggregator serves `/apis`. */
async function listGroups(kubeApiUrl: string, authorization: string, groups: string[]): Promise<string> {
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(
      new URL('/apis', kubeApiUrl),
      { headers: { authorization, accept: 'application/json' }, rejectUnauthorized: false, timeout: 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      },
    );
    req.on('timeout', () => req.destroy(new Error('kube API /apis timed out')));
    req.on('error', reject);
    req.end();
  });
  const list = JSON.parse(body) as { groups: unknown[] };
  for (const name of groups) {
    const versions = name === 'custom.metrics.k8s.io' ? ['v1beta2', 'v1beta1'] : ['v1beta1'];
    const entries = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
    list.groups.push({ name, versions: entries, preferredVersion: entries[0] });
  }
  return JSON.stringify(list);
}
