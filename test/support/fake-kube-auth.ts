import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeKubeApi } from './fake-kube-api.js';
import { sendJson } from './fake-kube-api.js';

const FIXTURES = 'test/fixtures/kube';
const fixture = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, path), 'utf8')) as Record<string, unknown>;

export interface ReviewUser {
  username: string;
  uid?: string;
  groups: string[];
}

/** One SubjectAccessReview spec as the adapter sends it. */
export interface ReviewSpec {
  user: string;
  groups?: string[];
  resourceAttributes?: Record<string, string>;
  nonResourceAttributes?: Record<string, string>;
}

export interface FakeAuthOptions {
  /** PEM of the front-proxy (requestheader) CA and of the client CA, put into the recorded ConfigMap. */
  requestheaderCa: string;
  clientCa: string;
  /** Bearer tokens the fake TokenReview accepts. */
  tokens: Record<string, ReviewUser>;
  /** The RBAC decision for a SubjectAccessReview. */
  allow: (spec: ReviewSpec) => boolean;
}

/**
 * Adds the authentication endpoints to the fake API, answering in the recorded shapes: the
 * extension-apiserver-authentication ConfigMap (a recorded kubeadm one, with this test's CAs), TokenReview and
 * SubjectAccessReview (201, recorded bodies with the status this test decides). Returns the reviews received.
 */
export function addFakeAuth(
  api: FakeKubeApi,
  options: FakeAuthOptions,
): { reviews: ReviewSpec[]; tokenReviews: number } {
  const seen = { reviews: [] as ReviewSpec[], tokenReviews: 0 };
  const configMap = fixture('configmap/extension-apiserver-authentication.kubeadm-1.27.json');
  const data = configMap.data as Record<string, string>;
  data['client-ca-file'] = options.clientCa;
  data['requestheader-client-ca-file'] = options.requestheaderCa;
  api.route(
    'GET',
    '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication',
    (_req, res) => sendJson(res, 200, configMap),
  );
  api.route('POST', '/apis/authentication.k8s.io/v1/tokenreviews', (req, res) => {
    seen.tokenReviews += 1;
    const recorded = fixture('auth/tokenreview.v1.response.sa-bob.kind-2025-06.json');
    const token = ((req.json as { spec?: { token?: string } }).spec?.token ?? '').trim();
    const user = options.tokens[token];
    recorded.spec = { token };
    recorded.status =
      user === undefined
        ? { user: {}, error: '[invalid bearer token, token lookup failed]' }
        : {
            authenticated: true,
            user: { ...user, extra: {} },
            audiences: ['https://kubernetes.default.svc.cluster.local'],
          };
    sendJson(res, 201, recorded);
  });
  api.route('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', (req, res) => {
    const spec = (req.json as { spec: ReviewSpec }).spec;
    seen.reviews.push(spec);
    const recorded = fixture('auth/subjectaccessreview.v1.response.oidc-alice.allowed.kind-2025-06.json');
    const allowed = options.allow(spec);
    recorded.spec = spec;
    recorded.status = allowed
      ? { allowed: true, reason: 'RBAC: allowed by test policy' }
      : { allowed: false };
    sendJson(res, 201, recorded);
  });
  return seen;
}
