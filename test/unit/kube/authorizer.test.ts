import { describe, expect, it } from '@jest/globals';
import type { AuthorizationAttributes, UserInfo } from '../../../src/api/auth.js';
import { StatusError } from '../../../src/api/status.js';
import {
  SUBJECT_ACCESS_REVIEW_PATH,
  createAuthorizer,
  subjectAccessReviewBody,
} from '../../../src/kube/authorizer.js';
import { KubeApiError } from '../../../src/kube/contract.js';
import {
  FakeKubeClient,
  RecordingLogger,
  SAR_REQUEST_ALICE_FIXTURE,
  SAR_REQUEST_BOB_FIXTURE,
  SAR_RESPONSE_ALICE_FIXTURE,
  TOKEN_REVIEW_FIXTURE,
  fixtureJson,
  fixtureText,
} from './auth-test-support.js';

const NEVER = new AbortController().signal;

/** The user of the recorded TokenReview, as the authenticator returns it. */
const RECORDED_BOB: UserInfo = (() => {
  const user = (fixtureJson(TOKEN_REVIEW_FIXTURE) as { status: { user: Required<UserInfo> } }).status.user;
  return { username: user.username, uid: user.uid, groups: user.groups, extra: user.extra };
})();

const ALICE: UserInfo = { username: 'alice@example.com', groups: [], extra: {} };

const ROOT_PATH: AuthorizationAttributes = { kind: 'nonResource', verb: 'get', path: '/' };

const POD_METRIC: AuthorizationAttributes = {
  kind: 'resource',
  verb: 'get',
  group: 'custom.metrics.k8s.io',
  version: 'v1beta2',
  resource: 'pods',
  subresource: 'counter_qps',
  namespace: 'default',
  name: '*',
};

/** A SAR answer as the kube-apiserver gives it: the request echoed with a status. */
function answer(body: unknown, allowed: boolean, reason?: string): unknown {
  return {
    ...(body as object),
    metadata: { creationTimestamp: null },
    status: { allowed, ...(reason === undefined ? {} : { reason }) },
  };
}

function sarKube(decide: (spec: { user: string }) => boolean = () => true): FakeKubeClient {
  const kube = new FakeKubeClient();
  kube.postHandlers.set(SUBJECT_ACCESS_REVIEW_PATH, (body) =>
    answer(body, decide((body as { spec: { user: string } }).spec), undefined),
  );
  return kube;
}

describe('subjectAccessReviewBody', () => {
  it.each([
    ['a service account with groups, extra and uid', RECORDED_BOB, SAR_REQUEST_BOB_FIXTURE],
    ['a user without groups (omitted, as client-go omits them)', ALICE, SAR_REQUEST_ALICE_FIXTURE],
  ])('is byte for byte the recorded client-go request for %s', (_name, user, fixture) => {
    expect(JSON.stringify(subjectAccessReviewBody(user, ROOT_PATH))).toBe(fixtureText(fixture).trimEnd());
  });

  it('carries resourceAttributes in Go field order for a custom metric (SPEC 8)', () => {
    const user: UserInfo = { username: 'bob', groups: ['system:authenticated'], extra: {} };
    expect(JSON.stringify(subjectAccessReviewBody(user, POD_METRIC))).toBe(
      '{"kind":"SubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},' +
        '"spec":{"resourceAttributes":{"namespace":"default","verb":"get","group":"custom.metrics.k8s.io",' +
        '"version":"v1beta2","resource":"pods","subresource":"counter_qps","name":"*"},"user":"bob",' +
        '"groups":["system:authenticated"]},"status":{"allowed":false}}',
    );
  });

  it('leaves out empty resource attributes (a cluster-scoped list)', () => {
    const attributes: AuthorizationAttributes = {
      kind: 'resource',
      verb: 'list',
      group: '',
      version: 'v1',
      resource: 'nodes',
    };
    expect(subjectAccessReviewBody(ALICE, attributes)).toMatchObject({
      spec: { resourceAttributes: { verb: 'list', version: 'v1', resource: 'nodes' } },
    });
  });
});

describe('createAuthorizer (SPEC 8)', () => {
  it('decides with the recorded SubjectAccessReview answer, keeping its reason', async () => {
    const kube = new FakeKubeClient();
    kube.postHandlers.set(SUBJECT_ACCESS_REVIEW_PATH, () => fixtureJson(SAR_RESPONSE_ALICE_FIXTURE));
    const authorizer = createAuthorizer({ kube });
    expect(await authorizer.authorize(ALICE, ROOT_PATH, NEVER)).toEqual({
      allowed: true,
      reason:
        'RBAC: allowed by ClusterRoleBinding "echo-access-binding" of ClusterRole "echo-access" to User "alice@example.com"',
    });
    expect(kube.posts).toEqual([
      {
        path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        body: fixtureJson(SAR_REQUEST_ALICE_FIXTURE),
      },
    ]);
  });

  it('allows system:masters without asking', async () => {
    const kube = sarKube(() => false);
    const authorizer = createAuthorizer({ kube });
    const admin: UserInfo = {
      username: 'root-admin',
      groups: ['system:masters', 'system:authenticated'],
      extra: {},
    };
    expect(await authorizer.authorize(admin, POD_METRIC, NEVER)).toEqual({ allowed: true });
    expect(kube.posts).toEqual([]);
  });

  it('caches allowed and denied answers for their TTLs, per user and attributes', async () => {
    let now = 5_000_000;
    const kube = sarKube((spec) => spec.user === 'bob');
    const authorizer = createAuthorizer({ kube, now: () => now, allowedTtlMs: 10_000, deniedTtlMs: 4_000 });
    const bob: UserInfo = { username: 'bob', groups: ['system:authenticated'], extra: {} };
    const eve: UserInfo = { username: 'eve', groups: ['system:authenticated'], extra: {} };
    for (let i = 0; i < 3; i++) {
      expect((await authorizer.authorize(bob, POD_METRIC, NEVER)).allowed).toBe(true);
      expect((await authorizer.authorize(eve, POD_METRIC, NEVER)).allowed).toBe(false);
    }
    expect(kube.posts).toHaveLength(2);

    await authorizer.authorize(bob, { ...POD_METRIC, subresource: 'other_metric' }, NEVER);
    await authorizer.authorize({ ...bob, groups: ['system:authenticated', 'team-a'] }, POD_METRIC, NEVER);
    await authorizer.authorize({ ...bob, extra: { scopes: ['view'] } }, POD_METRIC, NEVER);
    expect(kube.posts).toHaveLength(5);

    now += 4_000;
    await authorizer.authorize(bob, POD_METRIC, NEVER);
    await authorizer.authorize(eve, POD_METRIC, NEVER);
    expect(kube.posts).toHaveLength(6);
    now += 6_000;
    await authorizer.authorize(bob, POD_METRIC, NEVER);
    expect(kube.posts).toHaveLength(7);
  });

  it('keeps the decision cache bounded', async () => {
    const kube = sarKube();
    const authorizer = createAuthorizer({ kube, cacheSize: 2 });
    for (const username of ['a', 'b', 'c', 'a']) {
      await authorizer.authorize({ username, groups: [], extra: {} }, POD_METRIC, NEVER);
    }
    expect(kube.posts).toHaveLength(4);
  });

  it('shares one review between concurrent identical requests', async () => {
    const kube = sarKube();
    let open!: () => void;
    kube.gate = new Promise((resolve) => (open = resolve));
    const authorizer = createAuthorizer({ kube });
    const pending = [1, 2, 3].map(() => authorizer.authorize(ALICE, POD_METRIC, NEVER));
    open();
    expect((await Promise.all(pending)).every((decision) => decision.allowed)).toBe(true);
    expect(kube.posts).toHaveLength(1);
  });

  it.each([
    ['unreachable', new KubeApiError('unreachable', 'connect ECONNREFUSED 10.0.0.1:443'), 503],
    ['forbidden to the adapter', new KubeApiError('http', 'POST ...: 403 Forbidden', 403), 503],
  ])(
    'answers 503 when the SubjectAccessReview API is %s, asking it again at most once a second',
    async (_name, error, code) => {
      const kube = new FakeKubeClient();
      kube.postHandlers.set(SUBJECT_ACCESS_REVIEW_PATH, () => {
        throw error;
      });
      const logger = new RecordingLogger();
      let now = 5_000_000;
      const authorizer = createAuthorizer({ kube, logger, now: () => now });
      const attempt = authorizer.authorize(ALICE, POD_METRIC, NEVER);
      await expect(attempt).rejects.toBeInstanceOf(StatusError);
      await expect(attempt).rejects.toMatchObject({
        code,
        message: 'cannot authorize the request: the Kubernetes SubjectAccessReview API is unavailable',
        cause: error,
      });
      await expect(authorizer.authorize(ALICE, POD_METRIC, NEVER)).rejects.toThrow(StatusError);
      expect(kube.posts).toHaveLength(1);
      now += 1000;
      await expect(authorizer.authorize(ALICE, POD_METRIC, NEVER)).rejects.toThrow(StatusError);
      expect(kube.posts).toHaveLength(2);
      expect(logger.lines[0]).toMatchObject({ level: 'warn', msg: 'SubjectAccessReview failed' });
    },
  );

  it('uses the last decision, allowed or denied, while the SubjectAccessReview API is unavailable', async () => {
    let now = 5_000_000;
    let down = false;
    const kube = new FakeKubeClient();
    kube.postHandlers.set(SUBJECT_ACCESS_REVIEW_PATH, (body) => {
      if (down) throw new KubeApiError('timeout', 'POST ... timed out after 10000 ms');
      return answer(body, (body as { spec: { user: string } }).spec.user === 'bob');
    });
    const authorizer = createAuthorizer({ kube, now: () => now, staleDecisionMs: 60_000 });
    const bob: UserInfo = { username: 'bob', groups: [], extra: {} };
    expect((await authorizer.authorize(bob, POD_METRIC, NEVER)).allowed).toBe(true);
    expect((await authorizer.authorize(ALICE, POD_METRIC, NEVER)).allowed).toBe(false);
    down = true;
    now += 30_000;
    expect((await authorizer.authorize(bob, POD_METRIC, NEVER)).allowed).toBe(true);
    expect((await authorizer.authorize(ALICE, POD_METRIC, NEVER)).allowed).toBe(false);
    await expect(authorizer.authorize(bob, ROOT_PATH, NEVER)).rejects.toMatchObject({ code: 503 });
    now += 60_000;
    await expect(authorizer.authorize(bob, POD_METRIC, NEVER)).rejects.toMatchObject({ code: 503 });
  });

  it('answers 500 to a SubjectAccessReview answer without status', async () => {
    const kube = new FakeKubeClient();
    kube.postHandlers.set(SUBJECT_ACCESS_REVIEW_PATH, () => ({ kind: 'SubjectAccessReview' }));
    const authorizer = createAuthorizer({ kube });
    await expect(authorizer.authorize(ALICE, POD_METRIC, NEVER)).rejects.toMatchObject({ code: 500 });
  });
});
