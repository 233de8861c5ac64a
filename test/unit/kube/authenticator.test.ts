import { beforeAll, describe, expect, it } from '@jest/globals';
import type { X509Certificate } from 'node:crypto';
import type { AuthenticationRequest, RequestHeaders } from '../../../src/api/auth.js';
import { StatusError } from '../../../src/api/status.js';
import {
  TOKEN_REVIEW_PATH,
  bearerToken,
  createAuthenticator,
  tokenReviewBody,
  userFromRequestHeaders,
} from '../../../src/kube/authenticator.js';
import {
  parseExtensionApiserverAuthentication,
  resolveAuthenticationConfig,
  type AuthenticationConfig,
} from '../../../src/kube/authentication-config.js';
import { KubeApiError } from '../../../src/kube/contract.js';
import {
  CONFIGMAP_FIXTURE,
  FakeKubeClient,
  RecordingLogger,
  TOKEN_REVIEW_FIXTURE,
  fixtureJson,
  testPki,
  type TestPki,
} from './auth-test-support.js';

/** The token of the recorded TokenReview (a real, long expired service-account token). */
const RECORDED = fixtureJson(TOKEN_REVIEW_FIXTURE) as { spec: { token: string } };
const TOKEN = RECORDED.spec.token;

let pki: TestPki;
let config: AuthenticationConfig;
beforeAll(async () => {
  pki = await testPki();
  // NB: the recorded kubeadm ConfigMap's header names and allowed names, with this test's CAs.
  config = resolveAuthenticationConfig(
    { clientCaFile: 'client-ca.pem', requestheaderClientCaFile: 'front-proxy-ca.pem' },
    { clientCaPem: pki.clientCa.cert, requestheaderClientCaPem: pki.frontProxyCa.cert + pki.rootCa.cert },
    parseExtensionApiserverAuthentication(fixtureJson(CONFIGMAP_FIXTURE)),
  );
});

function request(
  headers: Record<string, string[]>,
  peerCertificates: readonly X509Certificate[] = [],
  signal: AbortSignal = new AbortController().signal,
): AuthenticationRequest {
  return { headers, peerCertificates, signal };
}

function tokenKube(
  answer: (token: string) => unknown = () => fixtureJson(TOKEN_REVIEW_FIXTURE),
): FakeKubeClient {
  const kube = new FakeKubeClient();
  kube.postHandlers.set(TOKEN_REVIEW_PATH, (body) =>
    answer((body as { spec: { token: string } }).spec.token),
  );
  return kube;
}

function rejected(token: string): unknown {
  return {
    kind: 'TokenReview',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: { token },
    status: { user: {}, error: '[invalid bearer token, service account token has expired]' },
  };
}

const FRONT_PROXY_HEADERS = {
  'x-remote-user': ['bob'],
  'x-remote-group': ['system:authenticated', 'team, with comma'],
};

describe('userFromRequestHeaders (upstream requestheader semantics)', () => {
  const names = {
    usernameHeaders: ['X-Remote-User', 'X-Other-User'],
    uidHeaders: ['X-Remote-Uid'],
    groupHeaders: ['X-Remote-Group', 'X-Other-Group'],
    extraHeaderPrefixes: ['X-Remote-Extra-'],
  };

  it.each<[string, RequestHeaders, ReturnType<typeof userFromRequestHeaders>]>([
    [
      'every value of every group header, in order, and no split on commas',
      { 'x-remote-user': ['bob'], 'x-remote-group': ['a, b', 'c'], 'x-other-group': ['d'] },
      { username: 'bob', groups: ['a, b', 'c', 'd'], extra: {} },
    ],
    [
      'the first non-empty username header',
      { 'x-remote-user': [''], 'x-other-user': ['carol'] },
      { username: 'carol', groups: [], extra: {} },
    ],
    ['no username → no user', { 'x-remote-group': ['a'] }, undefined],
    [
      'extras: key lower-cased then percent-decoded, values accumulated',
      {
        'x-remote-user': ['bob'],
        'x-remote-extra-scopes': ['view', 'edit'],
        'x-remote-extra-example.org%2fteam': ['blue'],
        'x-remote-extra-example.org%2FTeam': ['green'],
        'x-remote-extra-bad%zz': ['kept'],
      },
      {
        username: 'bob',
        groups: [],
        extra: { scopes: ['view', 'edit'], 'example.org/team': ['blue', 'green'], 'bad%zz': ['kept'] },
      },
    ],
    [
      'empty group values are skipped',
      { 'x-remote-user': ['bob'], 'x-remote-group': ['', 'a'] },
      { username: 'bob', groups: ['a'], extra: {} },
    ],
    [
      'the uid header',
      { 'x-remote-user': ['bob'], 'x-remote-uid': ['1234'] },
      { username: 'bob', uid: '1234', groups: [], extra: {} },
    ],
  ])('%s', (_name, headers, expected) => {
    expect(userFromRequestHeaders(headers, names)).toEqual(expected);
  });
});

describe('bearerToken', () => {
  it.each<[string, string[] | undefined, string | undefined]>([
    ['a Bearer token', ['Bearer abc.def'], 'abc.def'],
    ['the scheme in any case, surrounding space trimmed', ['  bearer abc  '], 'abc'],
    ['only the first Authorization header', ['Bearer first', 'Bearer second'], 'first'],
    ['the second word when more follow', ['Bearer abc extra'], 'abc'],
    ['no header', undefined, undefined],
    ['another scheme', ['Basic Ym9iOnNlY3JldA=='], undefined],
    ['an empty token', ['Bearer  abc'], undefined],
    ['the scheme alone', ['Bearer'], undefined],
  ])('%s', (_name, header, token) => {
    expect(bearerToken(header === undefined ? {} : { authorization: header })).toBe(token);
  });
});

describe('createAuthenticator (SPEC 8 order)', () => {
  it('(1) a front-proxy certificate makes the X-Remote-* headers count, adding system:authenticated once', async () => {
    const authenticator = createAuthenticator({ config: () => config });
    const user = await authenticator.authenticate(
      request(
        {
          'x-remote-user': ['bob'],
          'x-remote-group': ['team-a', 'team, with comma'],
          'x-remote-extra-scopes': ['view'],
        },
        [pki.frontProxyClient.x509],
      ),
    );
    expect(user).toEqual({
      username: 'bob',
      groups: ['team-a', 'team, with comma', 'system:authenticated'],
      extra: { scopes: ['view'] },
    });
    const again = await authenticator.authenticate(request(FRONT_PROXY_HEADERS, [pki.frontProxyClient.x509]));
    expect(again?.groups).toEqual(['system:authenticated', 'team, with comma']);
  });

  it('(1) accepts a front-proxy chain through an intermediate', async () => {
    const authenticator = createAuthenticator({ config: () => config });
    const user = await authenticator.authenticate(
      request(FRONT_PROXY_HEADERS, [pki.chainedClient.x509, pki.intermediateCa.x509]),
    );
    expect(user?.username).toBe('bob');
  });

  it.each<[string, (p: TestPki) => X509Certificate[]]>([
    ['no certificate', () => []],
    ['a certificate from an untrusted CA', (p) => [p.rogueClient.x509]],
    ['a front-proxy certificate whose CN is not allowed', (p) => [p.frontProxyOtherCn.x509]],
    ['an expired front-proxy certificate', (p) => [p.expiredClient.x509]],
  ])('identity headers are ignored with %s (→ nothing authenticates)', async (_name, chain) => {
    const kube = tokenKube();
    const authenticator = createAuthenticator({ config: () => config, kube });
    expect(await authenticator.authenticate(request(FRONT_PROXY_HEADERS, chain(pki)))).toBeUndefined();
    expect(kube.posts).toEqual([]);
  });

  it('(1) an empty allowed-names list accepts any CN from the front-proxy CA', async () => {
    const anyName: AuthenticationConfig = {
      requestHeader: {
        ...(config.requestHeader as NonNullable<AuthenticationConfig['requestHeader']>),
        allowedNames: [],
      },
    };
    const authenticator = createAuthenticator({ config: () => anyName });
    const user = await authenticator.authenticate(request(FRONT_PROXY_HEADERS, [pki.frontProxyOtherCn.x509]));
    expect(user?.username).toBe('bob');
  });

  it('(2) a client-CA certificate is the user CN with groups O; identity headers are ignored', async () => {
    const authenticator = createAuthenticator({ config: () => config });
    const user = await authenticator.authenticate(request(FRONT_PROXY_HEADERS, [pki.alice.x509]));
    expect(user).toEqual({
      username: 'alice',
      groups: ['team-a', 'team-b', 'system:authenticated'],
      extra: {},
    });
  });

  it('(1) → (3) a front-proxy certificate without a username header falls through to the bearer token', async () => {
    const kube = tokenKube();
    const authenticator = createAuthenticator({ config: () => config, kube });
    const user = await authenticator.authenticate(
      request({ authorization: [`Bearer ${TOKEN}`] }, [pki.frontProxyClient.x509]),
    );
    expect(user?.username).toBe('system:serviceaccount:ns-a:bob');
  });

  it('(3) posts a TokenReview shaped as client-go sends it and returns the recorded user', async () => {
    const kube = tokenKube();
    const authenticator = createAuthenticator({ config: () => config, kube });
    const user = await authenticator.authenticate(request({ authorization: [`Bearer ${TOKEN}`] }));
    expect(kube.posts).toEqual([
      {
        path: '/apis/authentication.k8s.io/v1/tokenreviews',
        body: {
          kind: 'TokenReview',
          apiVersion: 'authentication.k8s.io/v1',
          metadata: { creationTimestamp: null },
          spec: { token: TOKEN },
          status: { user: {} },
        },
      },
    ]);
    // NB: the recorded answer's user already has system:authenticated; it is not added twice.
    expect(user).toEqual({
      username: 'system:serviceaccount:ns-a:bob',
      uid: 'f26ba9b2-5f6c-4b45-90bd-8a3d8df69b66',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ns-a', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/credential-id': ['JTI=01c23071-643c-490e-a642-86297aef76e7'] },
    });
    expect(JSON.stringify(tokenReviewBody('t'))).toBe(
      '{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},' +
        '"spec":{"token":"t"},"status":{"user":{}}}',
    );
  });

  it('(3) a token the TokenReview rejects authenticates nobody, and the token is never logged', async () => {
    const kube = tokenKube(rejected);
    const logger = new RecordingLogger();
    const authenticator = createAuthenticator({ config: () => config, kube, logger });
    expect(await authenticator.authenticate(request({ authorization: [`Bearer ${TOKEN}`] }))).toBeUndefined();
    expect(logger.lines).toEqual([
      expect.objectContaining({ level: 'debug', msg: 'bearer token not authenticated by TokenReview' }),
    ]);
    expect(logger.text()).not.toContain(TOKEN.slice(0, 20));
  });

  it('(3) caches answers by token for the TTL, accepted and rejected alike', async () => {
    let now = 1_000_000;
    const kube = tokenKube((token) =>
      token === TOKEN ? fixtureJson(TOKEN_REVIEW_FIXTURE) : rejected(token),
    );
    const authenticator = createAuthenticator({
      config: () => config,
      kube,
      now: () => now,
      tokenSuccessTtlMs: 10_000,
      tokenFailureTtlMs: 5_000,
    });
    const good = request({ authorization: [`Bearer ${TOKEN}`] });
    const bad = request({ authorization: ['Bearer not-a-token'] });
    for (let i = 0; i < 3; i++) {
      expect((await authenticator.authenticate(good))?.username).toBe('system:serviceaccount:ns-a:bob');
      expect(await authenticator.authenticate(bad)).toBeUndefined();
    }
    expect(kube.posts).toHaveLength(2);
    now += 5_000;
    await authenticator.authenticate(good);
    await authenticator.authenticate(bad);
    expect(kube.posts).toHaveLength(3);
    now += 5_000;
    await authenticator.authenticate(good);
    expect(kube.posts).toHaveLength(4);
  });

  it('(3) keeps the token cache bounded', async () => {
    const kube = tokenKube(rejected);
    const authenticator = createAuthenticator({ config: () => config, kube, tokenCacheSize: 2 });
    for (const token of ['a', 'b', 'c', 'a'])
      await authenticator.authenticate(request({ authorization: [`Bearer ${token}`] }));
    expect(kube.posts).toHaveLength(4);
  });

  it('(3) concurrent requests with one token share one TokenReview', async () => {
    const kube = tokenKube();
    let open!: () => void;
    kube.gate = new Promise((resolve) => (open = resolve));
    const authenticator = createAuthenticator({ config: () => config, kube });
    const pending = [1, 2, 3].map(() =>
      authenticator.authenticate(request({ authorization: [`Bearer ${TOKEN}`] })),
    );
    open();
    const users = await Promise.all(pending);
    expect(users.map((user) => user?.username)).toEqual(Array(3).fill('system:serviceaccount:ns-a:bob'));
    expect(kube.posts).toHaveLength(1);
  });

  it('(3) a failing TokenReview API is a 503 without the token, asked again at most once a second', async () => {
    const kube = tokenKube(() => {
      throw new KubeApiError(
        'timeout',
        'POST https://10.0.0.1/apis/authentication.k8s.io/v1/tokenreviews timed out',
      );
    });
    const logger = new RecordingLogger();
    let now = Date.now();
    const authenticator = createAuthenticator({ config: () => config, kube, logger, now: () => now });
    const attempt = authenticator.authenticate(request({ authorization: [`Bearer ${TOKEN}`] }));
    await expect(attempt).rejects.toBeInstanceOf(StatusError);
    await expect(attempt).rejects.toMatchObject({
      code: 503,
      reason: 'ServiceUnavailable',
      message: 'cannot authenticate the request: the Kubernetes TokenReview API is unavailable',
    });
    await expect(authenticator.authenticate(request({ authorization: [`Bearer ${TOKEN}`] }))).rejects.toThrow(
      StatusError,
    );
    expect(kube.posts).toHaveLength(1);
    now += 1000;
    await expect(authenticator.authenticate(request({ authorization: [`Bearer ${TOKEN}`] }))).rejects.toThrow(
      StatusError,
    );
    expect(kube.posts).toHaveLength(2);
    expect(logger.text()).not.toContain(TOKEN.slice(0, 20));
  });

  it('(3) serves the last answer for a token while the TokenReview API is unavailable, for at most 5 min past its TTL', async () => {
    let now = Date.now();
    let down = false;
    const kube = tokenKube(() => {
      if (down) throw new KubeApiError('unreachable', 'connect ECONNREFUSED 10.0.0.1:443');
      return fixtureJson(TOKEN_REVIEW_FIXTURE);
    });
    const authenticator = createAuthenticator({ config: () => config, kube, now: () => now });
    const bearer = () => authenticator.authenticate(request({ authorization: [`Bearer ${TOKEN}`] }));
    const user = await bearer();
    expect(user?.username).toBe('system:serviceaccount:ns-a:bob');
    down = true;
    now += 10_000 + 4 * 60_000;
    expect(await bearer()).toEqual(user);
    now += 60_000;
    await expect(bearer()).rejects.toMatchObject({ code: 503 });
  });

  it('(3) a request that goes away stops waiting for the TokenReview', async () => {
    const kube = tokenKube();
    kube.gate = new Promise(() => undefined);
    const authenticator = createAuthenticator({ config: () => config, kube });
    const controller = new AbortController();
    const attempt = authenticator.authenticate(
      request({ authorization: [`Bearer ${TOKEN}`] }, [], controller.signal),
    );
    const reason = new StatusError(504, 'Timeout', 'the request did not complete within 1s');
    controller.abort(reason);
    await expect(attempt).rejects.toBe(reason);
  });

  it('nothing authenticates a request without credentials, or a token without a kube client', async () => {
    const authenticator = createAuthenticator({ config: () => config });
    expect(await authenticator.authenticate(request({}))).toBeUndefined();
    expect(await authenticator.authenticate(request({ authorization: [`Bearer ${TOKEN}`] }))).toBeUndefined();
  });

  it('follows configuration changes (a rotated front-proxy CA)', async () => {
    let current: AuthenticationConfig = {};
    const authenticator = createAuthenticator({ config: () => current });
    const attempt = () =>
      authenticator.authenticate(request(FRONT_PROXY_HEADERS, [pki.frontProxyClient.x509]));
    expect(await attempt()).toBeUndefined();
    current = config;
    expect((await attempt())?.username).toBe('bob');
  });
});
