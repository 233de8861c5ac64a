import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type {
  AuthenticationRequest,
  AuthorizationAttributes,
  AuthorizationDecision,
  Authenticator,
  Authorizer,
  UserInfo,
} from '../../../src/api/auth.js';
import { serviceUnavailable } from '../../../src/api/status.js';
import { TOKEN_REVIEW_PATH, createAuthenticator } from '../../../src/kube/authenticator.js';
import {
  acceptableClientCas,
  parseExtensionApiserverAuthentication,
  resolveAuthenticationConfig,
  type AuthenticationConfig,
} from '../../../src/kube/authentication-config.js';
import { SUBJECT_ACCESS_REVIEW_PATH, createAuthorizer } from '../../../src/kube/authorizer.js';
import {
  DEFAULT_ALWAYS_ALLOW_PATHS,
  forbiddenMessage,
  headersFromRaw,
  isAlwaysAllowed,
  requestAttributes,
} from '../../../src/server/auth.js';
import {
  CONFIGMAP_FIXTURE,
  FakeKubeClient,
  TOKEN_REVIEW_FIXTURE,
  fixtureJson,
  testPki,
  type TestCert,
  type TestPki,
} from '../kube/auth-test-support.js';
import { statusBody, testApp } from './fake-provider.js';

const CM = '/apis/custom.metrics.k8s.io';
const POD_LIST_PATH = `${CM}/v1beta2/namespaces/default/pods/*/counter_qps`;

describe('requestAttributes (Kubernetes RequestInfo, SPEC 8 attributes)', () => {
  it.each<[string, string, AuthorizationAttributes]>([
    [
      'GET',
      `${CM}/v1beta2/namespaces/default/pods/%2A/counter_qps?labelSelector=app%3Dworker`.split(
        '?',
      )[0] as string,
      {
        kind: 'resource',
        verb: 'get',
        group: 'custom.metrics.k8s.io',
        version: 'v1beta2',
        resource: 'pods',
        subresource: 'counter_qps',
        namespace: 'default',
        name: '*',
      },
    ],
    [
      'GET',
      `${CM}/v1beta1/namespaces/default/pods/worker-1/counter_qps`,
      {
        kind: 'resource',
        verb: 'get',
        group: 'custom.metrics.k8s.io',
        version: 'v1beta1',
        resource: 'pods',
        subresource: 'counter_qps',
        namespace: 'default',
        name: 'worker-1',
      },
    ],
    [
      'GET',
      `${CM}/v1beta2/namespaces/default/deployments.apps/queue-worker/queue_depth`,
      {
        kind: 'resource',
        verb: 'get',
        group: 'custom.metrics.k8s.io',
        version: 'v1beta2',
        resource: 'deployments.apps',
        subresource: 'queue_depth',
        namespace: 'default',
        name: 'queue-worker',
      },
    ],
    [
      'GET',
      `${CM}/v1beta2/nodes/*/node_load`,
      {
        kind: 'resource',
        verb: 'get',
        group: 'custom.metrics.k8s.io',
        version: 'v1beta2',
        resource: 'nodes',
        subresource: 'node_load',
        name: '*',
      },
    ],
    [
      'GET',
      `${CM}/v1beta2/namespaces/team-a/metrics/queue_depth`,
      {
        kind: 'resource',
        verb: 'get',
        group: 'custom.metrics.k8s.io',
        version: 'v1beta2',
        resource: 'namespaces',
        subresource: 'queue_depth',
        namespace: 'team-a',
        name: 'team-a',
      },
    ],
    [
      'GET',
      `${CM}/v1beta2/namespaces/team-a/metrics/*/queue_depth`,
      {
        kind: 'resource',
        verb: 'get',
        group: 'custom.metrics.k8s.io',
        version: 'v1beta2',
        resource: 'metrics',
        subresource: 'queue_depth',
        namespace: 'team-a',
        name: '*',
      },
    ],
    [
      'GET',
      '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_messages_ready',
      {
        kind: 'resource',
        verb: 'get',
        group: 'external.metrics.k8s.io',
        version: 'v1beta1',
        resource: 'queue_messages_ready',
        namespace: 'default',
      },
    ],
    [
      'GET',
      '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods',
      {
        kind: 'resource',
        verb: 'list',
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        resource: 'pods',
        namespace: 'default',
      },
    ],
    [
      'GET',
      '/apis/metrics.k8s.io/v1beta1/nodes/node-1',
      {
        kind: 'resource',
        verb: 'get',
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        resource: 'nodes',
        name: 'node-1',
      },
    ],
    [
      'GET',
      '/api/v1/namespaces/default',
      {
        kind: 'resource',
        verb: 'get',
        group: '',
        version: 'v1',
        resource: 'namespaces',
        namespace: 'default',
        name: 'default',
      },
    ],
    [
      'POST',
      `${CM}/v1beta2/namespaces/default/pods/worker-1/counter_qps`,
      {
        kind: 'resource',
        verb: 'create',
        group: 'custom.metrics.k8s.io',
        version: 'v1beta2',
        resource: 'pods',
        subresource: 'counter_qps',
        namespace: 'default',
        name: 'worker-1',
      },
    ],
    ['GET', '/apis', { kind: 'nonResource', verb: 'get', path: '/apis' }],
    ['GET', CM, { kind: 'nonResource', verb: 'get', path: CM }],
    ['GET', `${CM}/v1beta2`, { kind: 'nonResource', verb: 'get', path: `${CM}/v1beta2` }],
    ['GET', '/api/v1', { kind: 'nonResource', verb: 'get', path: '/api/v1' }],
    ['GET', '/openapi/v2', { kind: 'nonResource', verb: 'get', path: '/openapi/v2' }],
    ['GET', '/metrics', { kind: 'nonResource', verb: 'get', path: '/metrics' }],
    ['HEAD', '/', { kind: 'nonResource', verb: 'head', path: '/' }],
  ])('%s %s', (method, path, attributes) => {
    expect(requestAttributes(method, path)).toEqual(attributes);
  });

  it('decodes each segment alone, so an encoded "/" cannot move the metric name (as the router reads it)', () => {
    expect(requestAttributes('GET', `${CM}/v1beta2/namespaces/default/pods/a%2Fb/counter_qps`)).toMatchObject(
      {
        name: 'a/b',
        subresource: 'counter_qps',
      },
    );
  });
});

describe('forbiddenMessage (worded like Kubernetes)', () => {
  const bob: UserInfo = { username: 'bob', groups: [], extra: {} };
  it.each<[string, AuthorizationAttributes, string | undefined, string]>([
    [
      'a namespaced list of a pod metric',
      requestAttributes('GET', POD_LIST_PATH),
      undefined,
      'pods.custom.metrics.k8s.io "*" is forbidden: User "bob" cannot get resource "pods/counter_qps" in API group ' +
        '"custom.metrics.k8s.io" in the namespace "default"',
    ],
    [
      'a cluster-scoped object',
      requestAttributes('GET', `${CM}/v1beta2/nodes/node-1/node_load`),
      undefined,
      'nodes.custom.metrics.k8s.io "node-1" is forbidden: User "bob" cannot get resource "nodes/node_load" in API ' +
        'group "custom.metrics.k8s.io" at the cluster scope',
    ],
    [
      'an external metric, with the reason of the authorizer',
      requestAttributes(
        'GET',
        '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_messages_ready',
      ),
      'no RBAC policy matched',
      'queue_messages_ready.external.metrics.k8s.io is forbidden: User "bob" cannot get resource ' +
        '"queue_messages_ready" in API group "external.metrics.k8s.io" in the namespace "default": no RBAC policy matched',
    ],
    [
      'a non-resource path',
      requestAttributes('GET', '/apis'),
      undefined,
      'forbidden: User "bob" cannot get path "/apis"',
    ],
  ])('%s', (_name, attributes, reason, message) => {
    expect(forbiddenMessage(bob, attributes, reason)).toBe(message);
  });
});

describe('isAlwaysAllowed and headersFromRaw', () => {
  it.each<[string, readonly string[], boolean]>([
    ['/healthz', DEFAULT_ALWAYS_ALLOW_PATHS, true],
    ['/readyz', DEFAULT_ALWAYS_ALLOW_PATHS, true],
    ['/livez', DEFAULT_ALWAYS_ALLOW_PATHS, true],
    ['/healthz/ping', DEFAULT_ALWAYS_ALLOW_PATHS, false],
    ['/metrics', DEFAULT_ALWAYS_ALLOW_PATHS, false],
    ['/healthz/ping', ['/healthz/*'], true],
    ['/metrics', ['/healthz', '/metrics'], true],
  ])('%s with %j → %s', (path, patterns, allowed) => {
    expect(isAlwaysAllowed(path, patterns)).toBe(allowed);
  });

  it('keeps repeated headers apart and lower-cases names', () => {
    expect(
      headersFromRaw(['X-Remote-Group', 'a, b', 'Host', 'h', 'x-remote-group', 'c', 'X-Remote-User', 'bob']),
    ).toEqual({ 'x-remote-group': ['a, b', 'c'], host: ['h'], 'x-remote-user': ['bob'] });
  });
});

class StubAuthenticator implements Authenticator {
  readonly requests: AuthenticationRequest[] = [];
  constructor(readonly answer: (request: AuthenticationRequest) => Promise<UserInfo | undefined>) {}
  authenticate(request: AuthenticationRequest): Promise<UserInfo | undefined> {
    this.requests.push(request);
    return this.answer(request);
  }
}

class StubAuthorizer implements Authorizer {
  readonly calls: Array<{ user: UserInfo; attributes: AuthorizationAttributes }> = [];
  constructor(readonly answer: (user: UserInfo) => Promise<AuthorizationDecision>) {}
  authorize(user: UserInfo, attributes: AuthorizationAttributes): Promise<AuthorizationDecision> {
    this.calls.push({ user, attributes });
    return this.answer(user);
  }
}

const BOB: UserInfo = { username: 'bob', groups: ['system:authenticated'], extra: {} };

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('the auth hook with app.inject()', () => {
  function build(
    user: UserInfo | undefined | Error,
    decision: AuthorizationDecision | Error = { allowed: true },
    logger?: object,
  ) {
    const authenticator = new StubAuthenticator(() =>
      user instanceof Error ? Promise.reject(user) : Promise.resolve(user),
    );
    const authorizer = new StubAuthorizer(() =>
      decision instanceof Error ? Promise.reject(decision) : Promise.resolve(decision),
    );
    const built = testApp({
      auth: { authenticator, authorizer },
      ...(logger === undefined ? {} : { logger }),
    });
    app = built.app;
    return { app: built.app, provider: built.provider, authenticator, authorizer };
  }

  it('answers 401 Unauthorized when nothing authenticates, before any route runs', async () => {
    const { app, provider, authorizer } = build(undefined);
    const res = await app.inject({ url: POD_LIST_PATH });
    expect(res.statusCode).toBe(401);
    expect(res.body).toBe(statusBody(401, 'Unauthorized', 'Unauthorized'));
    expect(provider.bySelectorRequests).toHaveLength(0);
    expect(authorizer.calls).toHaveLength(0);
  });

  it('answers 403 Forbidden naming the user and the attribute', async () => {
    const { app, provider, authorizer } = build(BOB, { allowed: false });
    const res = await app.inject({ url: `${POD_LIST_PATH}?labelSelector=app%3Dworker` });
    expect(res.statusCode).toBe(403);
    expect(res.body).toBe(
      statusBody(
        403,
        'Forbidden',
        'pods.custom.metrics.k8s.io "*" is forbidden: User "bob" cannot get resource "pods/counter_qps" in API ' +
          'group "custom.metrics.k8s.io" in the namespace "default"',
      ),
    );
    expect(authorizer.calls).toEqual([{ user: BOB, attributes: requestAttributes('GET', POD_LIST_PATH) }]);
    expect(provider.bySelectorRequests).toHaveLength(0);
  });

  it('serves an authorized request and binds the user to its log lines', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
    const { app, authenticator } = build(BOB, { allowed: true }, { level: 'debug', stream });
    const res = await app.inject({ url: POD_LIST_PATH, headers: { 'x-remote-user': 'mallory' } });
    expect(res.statusCode).toBe(200);
    expect(authenticator.requests[0]?.headers['x-remote-user']).toEqual(['mallory']);
    expect(authenticator.requests[0]?.peerCertificates).toEqual([]);
    expect(lines.find((line) => line.msg === 'request completed')).toMatchObject({
      user: 'bob',
      statusCode: 200,
    });
  });

  it.each(['/healthz', '/readyz', '/livez'])(
    'serves %s without authentication or authorization',
    async (path) => {
      const { app, authenticator, authorizer } = build(undefined, { allowed: false });
      const res = await app.inject({ url: path });
      expect(res.statusCode).toBe(200);
      expect(authenticator.requests).toHaveLength(0);
      expect(authorizer.calls).toHaveLength(0);
    },
  );

  it('authorizes discovery as a non-resource request', async () => {
    const { app, authorizer } = build(BOB);
    const res = await app.inject({ url: '/apis' });
    expect(res.statusCode).toBe(200);
    expect(authorizer.calls[0]?.attributes).toEqual({ kind: 'nonResource', verb: 'get', path: '/apis' });
  });

  it('honours alwaysAllowPaths given by the flag', async () => {
    const authenticator = new StubAuthenticator(() => Promise.resolve(undefined));
    const authorizer = new StubAuthorizer(() => Promise.resolve({ allowed: false }));
    ({ app } = testApp({ auth: { authenticator, authorizer, alwaysAllowPaths: ['/apis*'] } }));
    expect((await app.inject({ url: '/apis' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(401);
  });

  it.each<[string, UserInfo | Error, AuthorizationDecision | Error]>([
    [
      'the authenticator',
      serviceUnavailable('cannot authenticate the request: the Kubernetes TokenReview API is unavailable'),
      { allowed: true },
    ],
    [
      'the authorizer',
      BOB,
      serviceUnavailable(
        'cannot authorize the request: the Kubernetes SubjectAccessReview API is unavailable',
      ),
    ],
  ])('answers the 503 Status of %s when its dependency fails', async (_name, user, decision) => {
    const { app } = build(user, decision);
    const res = await app.inject({ url: POD_LIST_PATH });
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Real HTTPS with client certificates

interface HttpsAnswer {
  status: number;
  body: string;
}

function httpsGet(
  port: number,
  path: string,
  options: { client?: TestCert; chain?: TestCert[]; headers?: Record<string, string | string[]> } = {},
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'GET',
        rejectUnauthorized: false,
        agent: false,
        ...(options.client === undefined
          ? {}
          : {
              key: options.client.key,
              cert: [options.client, ...(options.chain ?? [])].map((cert) => cert.cert).join(''),
            }),
        headers: options.headers ?? {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the auth hook over real HTTPS with client certificates (SPEC 8)', () => {
  let pki: TestPki;
  let config: AuthenticationConfig;
  let kube: FakeKubeClient;
  let port: number;
  const TOKEN = (fixtureJson(TOKEN_REVIEW_FIXTURE) as { spec: { token: string } }).spec.token;

  beforeAll(async () => {
    pki = await testPki();
    config = resolveAuthenticationConfig(
      { clientCaFile: 'client-ca.pem', requestheaderClientCaFile: 'front-proxy-ca.pem' },
      { clientCaPem: pki.clientCa.cert, requestheaderClientCaPem: pki.frontProxyCa.cert + pki.rootCa.cert },
      parseExtensionApiserverAuthentication(fixtureJson(CONFIGMAP_FIXTURE)),
    );
  });

  async function start(): Promise<void> {
    kube = new FakeKubeClient();
    kube.postHandlers.set(TOKEN_REVIEW_PATH, (body) =>
      (body as { spec: { token: string } }).spec.token === TOKEN
        ? fixtureJson(TOKEN_REVIEW_FIXTURE)
        : { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', status: { user: {} } },
    );
    // NB: RBAC stand-in: bob and the recorded service account may read custom metrics in "default".
    kube.postHandlers.set(SUBJECT_ACCESS_REVIEW_PATH, (body) => {
      const spec = (body as { spec: { user: string; resourceAttributes?: { namespace?: string } } }).spec;
      const allowed =
        ['bob', 'alice', 'system:serviceaccount:ns-a:bob'].includes(spec.user) &&
        (spec.resourceAttributes === undefined || spec.resourceAttributes.namespace === 'default');
      return { ...(body as object), status: { allowed } };
    });
    ({ app } = testApp({
      https: { key: pki.server.key, cert: pki.server.cert, ca: acceptableClientCas(config) },
      auth: {
        authenticator: createAuthenticator({ config: () => config, kube }),
        authorizer: createAuthorizer({ kube }),
      },
    }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  }

  const frontProxy = (headers: Record<string, string | string[]>) => ({
    client: pki.frontProxyClient,
    headers,
  });

  it('trusts the headers of a front-proxy certificate, every X-Remote-Group value apart (200)', async () => {
    await start();
    const res = await httpsGet(
      port,
      POD_LIST_PATH,
      frontProxy({
        'X-Remote-User': 'bob',
        'X-Remote-Group': ['system:authenticated', 'team, with comma'],
        'X-Remote-Extra-Example.org%2FScope': ['a', 'b'],
      }),
    );
    expect(res.status).toBe(200);
    expect(kube.postsTo(SUBJECT_ACCESS_REVIEW_PATH)).toEqual([
      expect.objectContaining({
        spec: {
          resourceAttributes: {
            namespace: 'default',
            verb: 'get',
            group: 'custom.metrics.k8s.io',
            version: 'v1beta2',
            resource: 'pods',
            subresource: 'counter_qps',
            name: '*',
          },
          user: 'bob',
          groups: ['system:authenticated', 'team, with comma'],
          extra: { 'example.org/scope': ['a', 'b'] },
        },
      }),
    ]);
  });

  it('accepts a front-proxy chain with an intermediate presented by the client', async () => {
    await start();
    const res = await httpsGet(port, POD_LIST_PATH, {
      client: pki.chainedClient,
      chain: [pki.intermediateCa],
      headers: { 'X-Remote-User': 'bob' },
    });
    expect(res.status).toBe(200);
  });

  it.each<[string, (p: TestPki) => TestCert | undefined]>([
    ['identity headers without a client certificate', () => undefined],
    ['a certificate from the wrong CA', (p) => p.rogueClient],
    ['a front-proxy certificate whose CN is not allowed', (p) => p.frontProxyOtherCn],
    ['an expired front-proxy certificate', (p) => p.expiredClient],
  ])('answers 401 to %s', async (_name, client) => {
    await start();
    const cert = client(pki);
    const res = await httpsGet(port, POD_LIST_PATH, {
      ...(cert === undefined ? {} : { client: cert }),
      headers: { 'X-Remote-User': 'bob', 'X-Remote-Group': 'system:masters' },
    });
    expect(res).toEqual({ status: 401, body: statusBody(401, 'Unauthorized', 'Unauthorized') });
    expect(kube.posts).toEqual([]);
  });

  it('answers 403 to a user the SubjectAccessReview denies, naming user and attribute', async () => {
    await start();
    const res = await httpsGet(port, POD_LIST_PATH, frontProxy({ 'X-Remote-User': 'eve' }));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({
      reason: 'Forbidden',
      code: 403,
      message:
        'pods.custom.metrics.k8s.io "*" is forbidden: User "eve" cannot get resource "pods/counter_qps" in API ' +
        'group "custom.metrics.k8s.io" in the namespace "default"',
    });
  });

  it('authenticates a client-CA certificate as its CN, and system:masters needs no review', async () => {
    await start();
    expect((await httpsGet(port, POD_LIST_PATH, { client: pki.alice })).status).toBe(200);
    expect(kube.postsTo(SUBJECT_ACCESS_REVIEW_PATH)).toEqual([
      expect.objectContaining({
        spec: expect.objectContaining({
          user: 'alice',
          groups: ['team-a', 'team-b', 'system:authenticated'],
        }),
      }),
    ]);
    const other = `${CM}/v1beta2/namespaces/kube-system/pods/*/counter_qps`;
    expect((await httpsGet(port, other, { client: pki.admin })).status).toBe(200);
    expect(kube.postsTo(SUBJECT_ACCESS_REVIEW_PATH)).toHaveLength(1);
  });

  it('authenticates a bearer token with TokenReview, and rejects a token it does not accept', async () => {
    await start();
    expect(
      (await httpsGet(port, POD_LIST_PATH, { headers: { Authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(200);
    expect((await httpsGet(port, POD_LIST_PATH, { headers: { Authorization: 'Bearer nope' } })).status).toBe(
      401,
    );
    expect(kube.postsTo(TOKEN_REVIEW_PATH)).toHaveLength(2);
  });

  it('serves the health paths without credentials', async () => {
    await start();
    for (const path of ['/healthz', '/readyz', '/livez']) {
      expect(await httpsGet(port, path)).toEqual({ status: 200, body: 'ok' });
    }
    expect((await httpsGet(port, '/apis')).status).toBe(401);
  });

  it('lists the client CA and the front-proxy CA as acceptable to clients (Go clients need it)', async () => {
    await start();
    const output = await new Promise<string>((resolve) => {
      const child = execFile(
        'openssl',
        ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2'],
        { timeout: 10_000 },
        (error, stdout) =>
          resolve(error !== null && stdout === '' ? `openssl failed: ${error.message}` : stdout),
      );
      child.stdin?.end();
    });
    const names =
      /Acceptable client certificate CA names\n((?:.+\n)+?)(?:Requested|Client Certificate|Shared)/.exec(
        output,
      );
    expect(names?.[1]?.trim().split('\n')).toEqual([
      'CN = kubernetes',
      'CN = front-proxy-ca',
      'CN = root-ca',
    ]);
  });
});
