import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { PrometheusError, type PrometheusErrorKind } from '../../../src/prometheus/client.js';
import { readPrometheusAuthConfig } from '../../../src/kube/prometheus-auth-config.js';
import {
  createHttpPrometheusClient,
  type HttpPrometheusClientOptions,
} from '../../../src/prometheus/http-client.js';

/** One request as the fake Prometheus saw it. */
interface Seen {
  method: string;
  path: string;
  /** URL query parameters. */
  params: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body read as a form. */
  form: URLSearchParams;
}

type Answer = (seen: Seen, res: ServerResponse) => void;

interface FakePrometheus {
  /** `http(s)://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  requests: Seen[];
}

const servers: Array<http.Server | https.Server> = [];
const tempDirs: string[] = [];

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'prom-http-client-'));
  tempDirs.push(dir);
  return dir;
}

/** Starts a loopback HTTP (or, with `tls`, HTTPS) server that records every request and answers with `answer`. */
async function serve(answer: Answer, tls?: https.ServerOptions): Promise<FakePrometheus> {
  const requests: Seen[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const body = Buffer.concat(chunks).toString('utf8');
      const seen: Seen = {
        method: req.method ?? '',
        path: url.pathname,
        params: url.searchParams,
        headers: req.headers,
        body,
        form: new URLSearchParams(body),
      };
      requests.push(seen);
      answer(seen, res);
    });
  };
  const server = tls === undefined ? http.createServer(handler) : https.createServer(tls, handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`, requests };
}

/** A port on which nothing listens (bound, then released). */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function reply(status: number, body: string, contentType = 'application/json'): Answer {
  return (_seen, res) => {
    res.writeHead(status, { 'content-type': contentType });
    res.end(body);
  };
}

const success = (data: unknown): Answer => reply(200, JSON.stringify({ status: 'success', data }));

const SAMPLE_TIME = 1_700_000_000.25;
const VECTOR = {
  resultType: 'vector',
  result: [{ metric: { __name__: 'qps', pod: 'a' }, value: [SAMPLE_TIME, '1'] }],
};
const answerVector = success(VECTOR);
const neverAnswer: Answer = () => undefined;

function client(url: string, options: Partial<Omit<HttpPrometheusClientOptions, 'url'>> = {}) {
  return createHttpPrometheusClient({ url: new URL(url), verb: 'GET', timeoutMs: 2000, ...options });
}

function only(requests: Seen[]): Seen {
  expect(requests).toHaveLength(1);
  const [seen] = requests;
  if (seen === undefined) throw new Error('no request seen');
  return seen;
}

/** Awaits `call`, which must reject with a PrometheusError, and returns that error. */
async function failure(call: Promise<unknown>): Promise<PrometheusError> {
  let result: unknown;
  try {
    result = await call;
  } catch (e) {
    expect(e).toBeInstanceOf(PrometheusError);
    return e as PrometheusError;
  }
  throw new Error(`expected a PrometheusError, got the answer ${JSON.stringify(result)}`);
}

/** A matcher for 500 pods as the query builder renders it (SPEC 3.3): ~15 KB once URL-encoded. */
const PODS = Array.from({ length: 500 }, (_, i) => `queue-worker-7d9c5b6f4-${String(i).padStart(5, '0')}`);
const LONG_QUERY = `sum(rate(qps{kubernetes_namespace="default",kubernetes_pod_name=~"${PODS.join('|')}"}[2m])) by (kubernetes_pod_name)`;

describe('base URL (SPEC 2, 11)', () => {
  it.each(['/prom', '/prom/'])(
    'keeps the path prefix of %s: queries go to /prom/api/v1/query',
    async (prefix) => {
      const prom = await serve(answerVector);
      await client(`${prom.url}${prefix}`).query('up');
      expect(only(prom.requests).path).toBe('/prom/api/v1/query');
    },
  );

  it('keeps the path prefix for series(): /prom/api/v1/series', async () => {
    const prom = await serve(success([]));
    await client(`${prom.url}/prom`).series('up', { start: new Date() });
    expect(only(prom.requests).path).toBe('/prom/api/v1/series');
  });

  it.each(['GET', 'POST'] as const)(
    'keeps the query string of the base URL on %s (upstream drops it on GET; SPEC 11)',
    async (verb) => {
      const prom = await serve(answerVector);
      await client(`${prom.url}/prom?tenant=a&env=prod`, { verb }).query('up');
      const seen = only(prom.requests);
      expect(seen.method).toBe(verb);
      expect(seen.path).toBe('/prom/api/v1/query');
      expect(seen.params.get('tenant')).toBe('a');
      expect(seen.params.get('env')).toBe('prod');
      expect(verb === 'GET' ? seen.params.get('query') : seen.form.get('query')).toBe('up');
    },
  );

  it('keeps the query string of the base URL on series() and on an automatic POST', async () => {
    const prom = await serve((seen, res) =>
      (seen.path.endsWith('/series') ? success([]) : answerVector)(seen, res),
    );
    const c = client(`${prom.url}/?tenant=a`);
    await c.series('up', { start: new Date() });
    await c.query(LONG_QUERY);
    expect(prom.requests.map((r) => [r.method, r.path, r.params.get('tenant')])).toEqual([
      ['GET', '/api/v1/series', 'a'],
      ['POST', '/api/v1/query', 'a'],
    ]);
  });
});

describe('verb (SPEC 2, 9)', () => {
  const time = new Date(1_700_000_000_500);

  it('POST sends query, time and timeout as an application/x-www-form-urlencoded body, not in the URL', async () => {
    const prom = await serve(answerVector);
    await client(prom.url, { verb: 'POST', timeoutMs: 5000 }).query('rate(qps[2m])', { time });
    const seen = only(prom.requests);
    expect(seen.method).toBe('POST');
    expect(seen.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded\b/);
    expect(Object.fromEntries(seen.form)).toEqual({
      query: 'rate(qps[2m])',
      time: '1700000000.5',
      timeout: expect.stringMatching(/^\d+ms$/),
    });
    expect([...seen.params.keys()]).toEqual([]);
  });

  it('GET sends query, time and timeout as URL parameters and no body', async () => {
    const prom = await serve(answerVector);
    await client(prom.url, { verb: 'GET', timeoutMs: 5000 }).query('rate(qps[2m])', { time });
    const seen = only(prom.requests);
    expect(seen.method).toBe('GET');
    expect(Object.fromEntries(seen.params)).toEqual({
      query: 'rate(qps[2m])',
      time: '1700000000.5',
      timeout: expect.stringMatching(/^\d+ms$/),
    });
    expect(seen.body).toBe('');
  });

  it('sends a GET query longer than the URL limit (a 500-pod =~ matcher) as POST, so it cannot fail with 414', async () => {
    const prom = await serve(answerVector);
    await client(prom.url, { verb: 'GET' }).query(LONG_QUERY, { time });
    const seen = only(prom.requests);
    expect(seen.method).toBe('POST');
    expect(seen.form.get('query')).toBe(LONG_QUERY);
    expect(seen.form.get('time')).toBe('1700000000.5');
    expect(seen.params.has('query')).toBe(false);
  });

  it('sends a series() match[] longer than the URL limit as POST', async () => {
    const prom = await serve(success([]));
    const match = `{kubernetes_pod_name=~"${PODS.join('|')}"}`;
    await client(prom.url, { verb: 'GET' }).series(match, { start: time });
    const seen = only(prom.requests);
    expect(seen.method).toBe('POST');
    expect(seen.form.getAll('match[]')).toEqual([match]);
  });
});

describe('timeout= sent to Prometheus (SPEC 9, 11)', () => {
  it.each([100, 1000, 10_000, 300_000])(
    'with timeoutMs %p it is a positive duration below timeoutMs',
    async (timeoutMs) => {
      const prom = await serve(answerVector);
      await client(prom.url, { timeoutMs }).query('up');
      const sent = /^(\d+)ms$/.exec(only(prom.requests).params.get('timeout') ?? '');
      expect(sent).not.toBeNull();
      const ms = Number(sent?.[1]);
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThan(timeoutMs);
    },
  );

  it('a fractional-millisecond timeoutMs (--prometheus-timeout=2500us) still times out as a PrometheusError', async () => {
    const prom = await serve(neverAnswer);
    const error = await failure(client(prom.url, { timeoutMs: 2.5 }).query('up'));
    expect(error.kind).toBe('timeout');
  });
});

describe('--prometheus-header (SPEC 2)', () => {
  it('sends every configured header on every call: GET query, POST query and series()', async () => {
    const prom = await serve((seen, res) =>
      (seen.path.endsWith('/series') ? success([]) : answerVector)(seen, res),
    );
    const c = client(prom.url, {
      headers: [
        ['X-Scope-OrgID', 'team-a'],
        ['X-Extra', 'yes'],
      ],
    });
    await c.query('up');
    await c.query(LONG_QUERY);
    await c.series('up', { start: new Date() });
    expect(prom.requests.map((r) => r.method)).toEqual(['GET', 'POST', 'GET']);
    for (const seen of prom.requests) {
      expect(seen.headers['x-scope-orgid']).toBe('team-a');
      expect(seen.headers['x-extra']).toBe('yes');
    }
  });
});

describe('--prometheus-token-file (SPEC 2, 11)', () => {
  const authorizations = (prom: FakePrometheus) => prom.requests.map((r) => r.headers.authorization);

  it('sends the token trimmed of its trailing newline as "Authorization: Bearer <token>"', async () => {
    const tokenFile = join(tempDir(), 'token');
    writeFileSync(tokenFile, 'token-one\n');
    const prom = await serve(answerVector);
    const c = client(prom.url, { tokenFile });
    await c.query('up');
    await c.query(LONG_QUERY);
    expect(authorizations(prom)).toEqual(['Bearer token-one', 'Bearer token-one']);
  });

  it('re-reads the token file when it changes: the first call more than 1 s after a rotation carries the new token', async () => {
    const tokenFile = join(tempDir(), 'token');
    writeFileSync(tokenFile, 'token-one\n');
    const prom = await serve(answerVector);
    const c = client(prom.url, { tokenFile });
    await c.query('up');
    writeFileSync(tokenFile, '  token-two-rotated\n');
    await new Promise((r) => setTimeout(r, 1100));
    await c.query('up');
    expect(authorizations(prom)).toEqual(['Bearer token-one', 'Bearer token-two-rotated']);
  });

  it('keeps the last token while the token file is briefly missing (kubelet swapping a projected token)', async () => {
    const tokenFile = join(tempDir(), 'token');
    writeFileSync(tokenFile, 'token-one\n');
    const prom = await serve(answerVector);
    const c = client(prom.url, { tokenFile });
    await c.query('up');
    unlinkSync(tokenFile);
    await new Promise((r) => setTimeout(r, 1100));
    await c.query('up');
    expect(authorizations(prom)).toEqual(['Bearer token-one', 'Bearer token-one']);
  });

  it.each<[string, () => Promise<{ url: string; timeoutMs: number }>]>([
    ['connection refused', async () => ({ url: `http://127.0.0.1:${await closedPort()}`, timeoutMs: 2000 })],
    ['timeout', async () => ({ url: (await serve(neverAnswer)).url, timeoutMs: 200 })],
    [
      'HTTP 401',
      async () => ({ url: (await serve(reply(401, 'Unauthorized', 'text/plain'))).url, timeoutMs: 2000 }),
    ],
    [
      'Prometheus error',
      async () => ({
        url: (
          await serve(
            reply(400, JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' })),
          )
        ).url,
        timeoutMs: 2000,
      }),
    ],
  ])('never puts the token into the error or its causes (%s)', async (_case, target) => {
    const tokenFile = join(tempDir(), 'token');
    writeFileSync(tokenFile, 'tok-SECRET-4711\n');
    const { url, timeoutMs } = await target();
    const error = await failure(client(url, { tokenFile, timeoutMs }).query('up'));
    expect(error.message).not.toContain('SECRET');
    expect(String(error)).not.toContain('SECRET');
    expect(inspect(error, { depth: null, showHidden: true })).not.toContain('SECRET');
  });
});

describe('onResponse (--v >= 8 logs every response body)', () => {
  it('receives the endpoint, status and body of successful and failed answers', async () => {
    const seen: Array<[string, number, unknown]> = [];
    const ok = await serve(answerVector);
    await client(ok.url, { onResponse: (e, s, b) => seen.push([e, s, b]) }).query('up');
    const bad = await serve(
      reply(400, JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' })),
    );
    await failure(client(bad.url, { onResponse: (e, s, b) => seen.push([e, s, b]) }).query('up{'));
    expect(seen).toEqual([
      ['query', 200, { status: 'success', data: VECTOR }],
      ['query', 400, { status: 'error', errorType: 'bad_data', error: 'parse error' }],
    ]);
  });
});

describe('basic auth', () => {
  it('sends credentials written in --prometheus-url as basic auth, like Go, and not in the URL', async () => {
    const prom = await serve(answerVector);
    const url = prom.url.replace('http://', 'http://team%40a:s3cr%3At@');
    await client(url).query('up');
    const seen = only(prom.requests);
    expect(seen.headers.authorization).toBe(`Basic ${Buffer.from('team@a:s3cr:t').toString('base64')}`);
    expect(seen.path).toBe('/api/v1/query');
  });
});

describe('TLS to Prometheus (SPEC 2)', () => {
  let pki: {
    dir: string;
    ca: string;
    serverCert: string;
    serverKey: string;
    clientCert: string;
    clientKey: string;
  };

  beforeAll(() => {
    // NB: a private CA signing both leaf certificates, as in a cluster; EC keys keep generation fast.
    const dir = tempDir();
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=test-ca',
    );
    for (const [name, ext] of [
      ['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'],
      ['client', 'extendedKeyUsage=clientAuth\n'],
    ] as const) {
      writeFileSync(join(dir, `${name}.ext`), ext);
      openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      openssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}.crt`,
      );
    }
    const path = (name: string) => join(dir, name);
    pki = {
      dir,
      ca: path('ca.crt'),
      serverCert: path('server.crt'),
      serverKey: path('server.key'),
      clientCert: path('client.crt'),
      clientKey: path('client.key'),
    };
  });

  const serverTls = (): https.ServerOptions => ({
    cert: readFileSync(pki.serverCert),
    key: readFileSync(pki.serverKey),
  });
  const mutualTls = (): https.ServerOptions => ({
    ...serverTls(),
    ca: readFileSync(pki.ca),
    requestCert: true,
    rejectUnauthorized: true,
  });

  it('--prometheus-auth-config: CA, client certificate and token from the current kubeconfig context', async () => {
    const kubeconfig = join(pki.dir, 'prometheus-auth.kubeconfig');
    const b64 = (file: string) => readFileSync(file).toString('base64');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: prom',
        'contexts: [{name: prom, context: {cluster: prom, user: adapter}}]',
        `clusters: [{name: prom, cluster: {server: "https://ignored.example", certificate-authority-data: ${b64(pki.ca)}}}]`,
        `users: [{name: adapter, user: {token: "kube-token", client-certificate-data: ${b64(pki.clientCert)}, client-key-data: ${b64(pki.clientKey)}}}]`,
        '',
      ].join('\n'),
    );
    const auth = readPrometheusAuthConfig(kubeconfig);
    expect(auth.insecureSkipVerify).toBe(false);
    const prom = await serve(answerVector, mutualTls());
    await client(prom.url, { inline: auth }).query('up');
    expect(only(prom.requests).headers.authorization).toBe('Bearer kube-token');
  });

  it('--prometheus-auth-config refuses exec plugins and names the file', () => {
    const kubeconfig = join(pki.dir, 'exec.kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: c',
        'contexts: [{name: c, context: {cluster: c, user: u}}]',
        'clusters: [{name: c, cluster: {server: "https://x"}}]',
        'users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: aws}}}]',
        '',
      ].join('\n'),
    );
    expect(() => readPrometheusAuthConfig(kubeconfig)).toThrow(
      /exec.kubeconfig.*exec or auth-provider plugin/,
    );
  });

  it('verifies the server certificate against caFile', async () => {
    const prom = await serve(answerVector, serverTls());
    const result = await client(prom.url, { caFile: pki.ca }).query('up');
    expect(result.type).toBe('vector');
    expect(prom.requests).toHaveLength(1);
  });

  it('fails as "unreachable" when the server certificate is from a CA that caFile does not name', async () => {
    const prom = await serve(answerVector, serverTls());
    const error = await failure(client(prom.url).query('up'));
    expect(error.kind).toBe('unreachable');
    expect(prom.requests).toHaveLength(0);
  });

  it('presents clientCertFile/clientKeyFile to a server that requires a client certificate (mutual TLS)', async () => {
    const peers: string[] = [];
    const prom = await serve((seen, res) => {
      peers.push(String((res.socket as TLSSocket).getPeerCertificate().subject.CN));
      answerVector(seen, res);
    }, mutualTls());
    const result = await client(prom.url, {
      caFile: pki.ca,
      clientCertFile: pki.clientCert,
      clientKeyFile: pki.clientKey,
    }).query('up');
    expect(result.type).toBe('vector');
    expect(peers).toEqual(['client']);
  });

  it('fails as "unreachable" when the server requires a client certificate and none is configured', async () => {
    const prom = await serve(answerVector, mutualTls());
    const error = await failure(client(prom.url, { caFile: pki.ca }).query('up'));
    expect(error.kind).toBe('unreachable');
    expect(prom.requests).toHaveLength(0);
  });
});

describe('error classification (PrometheusError kinds; SPEC 9)', () => {
  it('a server that accepts and never answers fails as "timeout" after timeoutMs', async () => {
    const prom = await serve(neverAnswer);
    const started = Date.now();
    const error = await failure(client(prom.url, { timeoutMs: 300 }).query('up'));
    const elapsed = Date.now() - started;
    expect(error.kind).toBe('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(300 + 400);
  });

  it('a server that trickles its answer fails as "timeout" after timeoutMs (a deadline, not an idle timeout)', async () => {
    const prom = await serve((_seen, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":"success","data":{"resultType":"vector","result":[');
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const error = await failure(client(prom.url, { timeoutMs: 400 }).query('up'));
    expect(error.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(400 + 400);
  });

  it('the caller aborting its signal fails the call as "aborted" at once', async () => {
    const prom = await serve(neverAnswer);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const error = await failure(
      client(prom.url, { timeoutMs: 2000 }).query('up', { signal: controller.signal }),
    );
    expect(error.kind).toBe('aborted');
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('an already aborted signal fails the call as "aborted"', async () => {
    const prom = await serve(answerVector);
    const error = await failure(
      client(prom.url).series('up', { start: new Date(), signal: AbortSignal.abort() }),
    );
    expect(error.kind).toBe('aborted');
  });

  it('a refused connection fails as "unreachable"', async () => {
    const error = await failure(client(`http://127.0.0.1:${await closedPort()}`).query('up'));
    expect(error.kind).toBe('unreachable');
  });

  it('a connection closed in the middle of a 200 answer fails as "unreachable", not as an unusable answer', async () => {
    const body = JSON.stringify({ status: 'success', data: VECTOR });
    const prom = await serve((_seen, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.write(body.slice(0, body.length >> 1), () => res.socket?.destroy());
    });
    const c = client(prom.url);
    const errors = [
      await failure(c.query('up')),
      await failure(c.series('up', { start: new Date() })),
      await failure(c.seriesEach!('up', { start: new Date() }, () => undefined)),
    ];
    expect(errors.map((e) => [e.kind, e.httpStatus])).toEqual([
      ['unreachable', undefined],
      ['unreachable', undefined],
      ['unreachable', undefined],
    ]);
  });

  const promError = (errorType: string, error: string) =>
    JSON.stringify({ status: 'error', errorType, error });
  it.each(
    (
      [
        [
          'HTTP 503 with an HTML page',
          reply(503, '<html><body>Service Unavailable</body></html>', 'text/html'),
          'http',
          503,
        ],
        ['HTTP 502 with an empty body', reply(502, '', 'text/plain'), 'http', 502],
        ['HTTP 401 with a plain-text body', reply(401, 'Unauthorized\n', 'text/plain'), 'http', 401],
        ['HTTP 404 with non-Prometheus JSON', reply(404, '{"message":"no route"}'), 'http', 404],
        ['HTTP 302 redirect', (_s, res) => res.writeHead(302, { location: '/elsewhere' }).end(), 'http', 302],
        [
          'HTTP 400 with a Prometheus error body',
          reply(400, promError('bad_data', 'parse error at char 3')),
          'query',
          400,
        ],
        [
          'HTTP 422 with a Prometheus error body',
          reply(422, promError('execution', 'many-to-many matching')),
          'query',
          422,
        ],
        [
          'HTTP 503 with a Prometheus error body',
          reply(503, promError('timeout', 'query timed out')),
          'query',
          503,
        ],
        [
          '200 with an HTML page',
          reply(200, '<html><body>Login</body></html>', 'text/html'),
          'bad_response',
          undefined,
        ],
        [
          '200 with truncated JSON',
          reply(200, '{"status":"success","data":{"resultType":"vec'),
          'bad_response',
          undefined,
        ],
        [
          '200 with a non-array vector result',
          success({ resultType: 'vector', result: 'x' }),
          'bad_response',
          undefined,
        ],
        ['200 with data: null', success(null), 'bad_response', undefined],
        [
          '200 with a sample without a value',
          success({ resultType: 'vector', result: [{ metric: {} }] }),
          'bad_response',
          undefined,
        ],
        [
          '200 with a sample whose value is not [time, "number"]',
          success({ resultType: 'vector', result: [{ metric: {}, value: ['x', 1] }] }),
          'bad_response',
          undefined,
        ],
        [
          '200 with a non-string label value',
          success({ resultType: 'vector', result: [{ metric: { pod: 5 }, value: [1, '1'] }] }),
          'bad_response',
          undefined,
        ],
        [
          '200 with a scalar that is not a pair',
          success({ resultType: 'scalar', result: 7 }),
          'bad_response',
          undefined,
        ],
        [
          '200 with a matrix result',
          success({ resultType: 'matrix', result: [] }),
          'bad_response',
          undefined,
        ],
        ['200 with status "error"', reply(200, promError('internal', 'oops')), 'bad_response', undefined],
      ] satisfies Array<[string, Answer, PrometheusErrorKind, number | undefined]>
    ).map(([name, answer, kind, httpStatus]) => ({ name, answer, kind, httpStatus })),
  )('$name fails as $kind', async ({ answer, kind, httpStatus }) => {
    const prom = await serve(answer);
    const error = await failure(client(prom.url).query('up'));
    expect({ kind: error.kind, httpStatus: error.httpStatus }).toEqual({ kind, httpStatus });
    expect(error.message).toMatch(/^query "up": /);
  });

  it.each<[string, Answer]>([
    ['a non-array answer', success({ a: 1 })],
    ['a non-string label value', success([{ __name__: 'up', pod: 5 }])],
    ['an HTML page', reply(200, '<html></html>', 'text/html')],
  ])('series() with %s fails as "bad_response"', async (_case, answer) => {
    const prom = await serve(answer);
    const error = await failure(client(prom.url).series('up', { start: new Date() }));
    expect(error.kind).toBe('bad_response');
  });

  it('concurrent calls on one client are classified independently', async () => {
    const prom = await serve((seen, res) =>
      (seen.params.get('query') === 'bad' ? reply(503, '<html></html>', 'text/html') : answerVector)(
        seen,
        res,
      ),
    );
    const c = client(prom.url);
    const queries = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 'bad' : `good${i}`));
    const outcomes = await Promise.allSettled(queries.map((q) => c.query(q)));
    expect(
      outcomes.map((o): unknown => {
        if (o.status === 'fulfilled') return o.value.type;
        const reason: unknown = o.reason;
        return reason instanceof PrometheusError ? reason.kind : reason;
      }),
    ).toEqual(queries.map((q) => (q === 'bad' ? 'http' : 'vector')));
  });

  it('a hung call does not block concurrent calls on the same client (SPEC 9)', async () => {
    const prom = await serve((seen, res) => {
      if (seen.params.get('query') !== 'hang') answerVector(seen, res);
    });
    const c = client(prom.url, { timeoutMs: 1200 });
    let hungSettled = false;
    const hung = failure(c.query('hang')).finally(() => (hungSettled = true));
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const results = await Promise.all([
      c.query('a'),
      c.query('b'),
      c.series('up', { start: new Date() }).catch(() => []),
    ]);
    expect(Date.now() - started).toBeLessThan(500);
    expect(results).toHaveLength(3);
    expect(hungSettled).toBe(false);
    const error = await hung;
    expect(error.kind).toBe('timeout');
  });
});

describe('values and labels (SPEC 6)', () => {
  it.each<[string, number]>([
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
    ['NaN', NaN],
    ['1.5', 1.5],
    ['-0.25', -0.25],
    ['1e+21', 1e21],
  ])('a vector sample "%s" is the number %p', async (text, value) => {
    const prom = await serve(
      success({ resultType: 'vector', result: [{ metric: { pod: 'a' }, value: [1, text] }] }),
    );
    const result = await client(prom.url).query('up');
    expect(result.type === 'vector' ? result.samples.map((s) => s.value) : result).toEqual([value]);
  });

  it.each<[string, number]>([
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
    ['NaN', NaN],
    ['3.5', 3.5],
  ])('a scalar "%s" is the number %p, with its time', async (text, value) => {
    const prom = await serve(success({ resultType: 'scalar', result: [SAMPLE_TIME, text] }));
    const result = await client(prom.url).query('1/0');
    expect(result).toEqual({ type: 'scalar', value, timestamp: new Date(SAMPLE_TIME * 1000) });
  });

  it('vector samples carry every label, __name__ included when present, and the sample time as a Date', async () => {
    const prom = await serve(
      success({
        resultType: 'vector',
        result: [
          { metric: { __name__: 'qps', namespace: 'default', pod: 'a' }, value: [SAMPLE_TIME, '2'] },
          { metric: { pod: 'b' }, value: [SAMPLE_TIME + 15, '3'] },
          { metric: {}, value: [SAMPLE_TIME, '4'] },
        ],
      }),
    );
    const result = await client(prom.url).query('qps or sum by (pod) (qps)');
    expect(result).toEqual({
      type: 'vector',
      samples: [
        {
          labels: { __name__: 'qps', namespace: 'default', pod: 'a' },
          value: 2,
          timestamp: new Date(1_700_000_000_250),
        },
        { labels: { pod: 'b' }, value: 3, timestamp: new Date(1_700_000_015_250) },
        { labels: {}, value: 4, timestamp: new Date(1_700_000_000_250) },
      ],
    });
    if (result.type === 'vector') expect(result.samples[1]?.labels).not.toHaveProperty('__name__');
  });

  it('an empty vector has no samples', async () => {
    const prom = await serve(success({ resultType: 'vector', result: [] }));
    expect(await client(prom.url).query('absent_metric')).toEqual({ type: 'vector', samples: [] });
  });
});

describe('compression', () => {
  it('asks for uncompressed instant-query answers (latency) and accepts gzip for series answers (size)', async () => {
    const prom = await serve((seen, res) =>
      seen.path.endsWith('/series') ? success([])(seen, res) : answerVector(seen, res),
    );
    const c = client(prom.url);
    await c.query('up');
    await c.series('up', { start: new Date() });
    const [query, series] = prom.requests;
    expect(query?.headers['accept-encoding']).toBe('identity');
    expect(series?.headers['accept-encoding']).toMatch(/gzip/);
  });
});

describe('seriesEach(): the series answer streamed (relisting millions of series)', () => {
  const SERIES = Array.from({ length: 2000 }, (_, i) => ({
    __name__: `metric_${i % 10}`,
    namespace: 'default',
    pod: `worker-${i}`,
  }));

  it('hands over the same label sets series() returns, sending the same request, and counts them', async () => {
    const prom = await serve((_seen, res) => {
      // NB: written in small pieces, so label sets straddle chunk boundaries.
      const body = JSON.stringify({ status: 'success', data: SERIES });
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < body.length; i += 997) res.write(body.slice(i, i + 997));
      res.end();
    });
    const c = client(prom.url);
    const start = new Date('2026-11-22T10:00:00Z');
    const seen: Array<Record<string, string>> = [];
    const count = await c.seriesEach?.('{namespace="default"}', { start }, (labels) => seen.push(labels));
    expect(count).toBe(2000);
    expect(seen).toEqual(SERIES);
    expect(await c.series('{namespace="default"}', { start })).toEqual(SERIES);
    const [streamed, plain] = prom.requests;
    expect(streamed?.path).toBe('/api/v1/series');
    expect(streamed?.params.getAll('match[]')).toEqual(plain?.params.getAll('match[]'));
    expect(streamed?.params.get('start')).toBe(plain?.params.get('start'));
  });

  it.each([
    [
      'HTTP 400 with a Prometheus error body',
      reply(400, JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' })),
      'query',
    ],
    ['HTTP 503 with an HTML page', reply(503, '<html>down</html>', 'text/html'), 'http'],
    ['200 with an HTML page', reply(200, '<html><body>Login</body></html>', 'text/html'), 'bad_response'],
    ['200 with truncated JSON', reply(200, '{"status":"success","data":[{"a":"b"},{"c'), 'bad_response'],
    ['200 with a status other than success', reply(200, '{"status":"error","data":[]}'), 'bad_response'],
  ] as Array<[string, Answer, PrometheusErrorKind]>)(
    'classifies %s as %s, like series()',
    async (_name, answer, kind) => {
      const prom = await serve(answer);
      const error = await failure(client(prom.url).seriesEach!('up', { start: new Date() }, () => undefined));
      expect(error.kind).toBe(kind);
      if (kind === 'query') expect(error.message).toContain('parse error');
    },
  );

  it('a server that never finishes the answer fails as "timeout"', async () => {
    const prom = await serve((_seen, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":"success","data":[{"a":"b"},');
    });
    const error = await failure(
      client(prom.url, { timeoutMs: 300 }).seriesEach!('up', { start: new Date() }, () => undefined),
    );
    expect(error.kind).toBe('timeout');
  });
});

describe('series()', () => {
  it('returns the label sets including __name__, sending match[], start and end', async () => {
    const prom = await serve(
      success([
        { __name__: 'qps', namespace: 'default', pod: 'a' },
        { __name__: 'queue_size', namespace: 'default', pod: 'a' },
      ]),
    );
    const start = new Date(1_700_000_000_000);
    const end = new Date(1_700_000_600_500);
    const series = await client(prom.url).series('{namespace!="",pod!=""}', { start, end });
    expect(series).toEqual([
      { __name__: 'qps', namespace: 'default', pod: 'a' },
      { __name__: 'queue_size', namespace: 'default', pod: 'a' },
    ]);
    const seen = only(prom.requests);
    expect(seen.method).toBe('GET');
    expect(seen.path).toBe('/api/v1/series');
    expect(seen.params.getAll('match[]')).toEqual(['{namespace!="",pod!=""}']);
    expect(seen.params.get('start')).toBe('1700000000');
    expect(seen.params.get('end')).toBe('1700000600.5');
  });

  it('sends end = now when no end is given, and the form body with verb POST', async () => {
    const prom = await serve(success([]));
    const before = Date.now() / 1000;
    await client(prom.url, { verb: 'POST' }).series('up', { start: new Date(1_700_000_000_000) });
    const after = Date.now() / 1000;
    const seen = only(prom.requests);
    expect(seen.method).toBe('POST');
    expect(seen.form.getAll('match[]')).toEqual(['up']);
    expect(seen.form.get('start')).toBe('1700000000');
    const end = Number(seen.form.get('end'));
    expect(end).toBeGreaterThanOrEqual(before);
    expect(end).toBeLessThanOrEqual(after);
  });
});
