/** Delegated authorization (SPEC 8): SubjectAccessReview, cached; `system:masters` always allowed. */
import type { AuthorizationAttributes, AuthorizationDecision, Authorizer, UserInfo } from '../api/auth.js';
import { ReviewCache } from './auth-cache.js';
import { isReviewUnavailable, postReview } from './auth-review.js';
import { SILENT_LOGGER, type KubeLogger } from './kube-logger.js';
import type { KubeClient } from './contract.js';
import { untilAborted } from '../api/abort.js';

/** POSTed to create a SubjectAccessReview (authorization.k8s.io/v1). */
export const SUBJECT_ACCESS_REVIEW_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

/** The group whose members are allowed everything without asking (upstream: `user.SystemPrivilegedGroup`). */
export const SYSTEM_MASTERS = 'system:masters';

/** Upstream's delegated-authorization defaults (`--authorization-webhook-cache-{authorized,unauthorized}-ttl`). */
export const DEFAULT_ALLOWED_TTL_MS = 10_000;
export const DEFAULT_DENIED_TTL_MS = 10_000;
export const DEFAULT_DECISION_CACHE_SIZE = 10_000;

export interface AuthorizerOptions {
  kube: KubeClient;
  logger?: KubeLogger;
  allowedTtlMs?: number;
  deniedTtlMs?: number;
  cacheSize?: number;
  /** How long past its TTL a decision is still used while the SubjectAccessReview API is unavailable (default 5 min). */
  staleDecisionMs?: number;
  now?: () => number;
}

function resourceAttributes(
  attributes: Extract<AuthorizationAttributes, { kind: 'resource' }>,
): Record<string, string> {
  // NB: Go's field order, and omitempty: empty attributes are left out.
  const entries: Array<[string, string | undefined]> = [
    ['namespace', attributes.namespace],
    ['verb', attributes.verb],
    ['group', attributes.group],
    ['version', attributes.version],
    ['resource', attributes.resource],
    ['subresource', attributes.subresource],
    ['name', attributes.name],
  ];
  return Object.fromEntries(
    entries.filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
}

/** The SubjectAccessReview request body, shaped as client-go's webhook authorizer sends it. */
export function subjectAccessReviewBody(user: UserInfo, attributes: AuthorizationAttributes): unknown {
  const spec: Record<string, unknown> =
    attributes.kind === 'resource'
      ? { resourceAttributes: resourceAttributes(attributes) }
      : { nonResourceAttributes: { path: attributes.path, verb: attributes.verb } };
  spec.user = user.username;
  if (user.groups.length > 0) spec.groups = user.groups;
  if (Object.keys(user.extra).length > 0) spec.extra = user.extra;
  if (user.uid !== undefined && user.uid !== '') spec.uid = user.uid;
  return {
    kind: 'SubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status: { allowed: false },
  };
}

function cacheKey(user: UserInfo, attributes: AuthorizationAttributes): string {
  const extra = Object.keys(user.extra)
    .sort()
    .map((key) => [key, user.extra[key]]);
  const attrs =
    attributes.kind === 'resource'
      ? [
          attributes.verb,
          attributes.group,
          attributes.version,
          attributes.resource,
          attributes.subresource ?? '',
          attributes.namespace ?? '',
          attributes.name ?? '',
        ]
      : [attributes.verb, attributes.path];
  return JSON.stringify([user.username, user.uid ?? '', user.groups, extra, attributes.kind, attrs]);
}

/**
 * Creates the {@link Authorizer} of SPEC 8: members of `system:masters` are allowed without a call; everyone else
 * is decided by a SubjectAccessReview, whose allowed and denied answers are each reused for their TTL (10 s by
 * default) in a cache of bounded size, and used while the SubjectAccessReview API is unavailable (see
 * {@link ReviewCache}). Safe for concurrent use; concurrent identical reviews share one call.
 */
export function createAuthorizer(options: AuthorizerOptions): Authorizer {
  const logger = options.logger ?? SILENT_LOGGER;
  const allowedTtl = options.allowedTtlMs ?? DEFAULT_ALLOWED_TTL_MS;
  const deniedTtl = options.deniedTtlMs ?? DEFAULT_DENIED_TTL_MS;
  const cache = new ReviewCache<AuthorizationDecision>({
    maxEntries: options.cacheSize ?? DEFAULT_DECISION_CACHE_SIZE,
    ttlOf: (decision) => (decision.allowed ? allowedTtl : deniedTtl),
    ...(options.staleDecisionMs === undefined ? {} : { staleForMs: options.staleDecisionMs }),
    isUnavailable: isReviewUnavailable,
    onStale: (ageMs) =>
      logger.debug({ ageMs }, 'SubjectAccessReview API unavailable: using the last decision'),
    ...(options.now === undefined ? {} : { now: options.now }),
  });

  const review = async (
    user: UserInfo,
    attributes: AuthorizationAttributes,
  ): Promise<AuthorizationDecision> => {
    const body = subjectAccessReviewBody(user, attributes);
    const status = await postReview(
      options.kube,
      SUBJECT_ACCESS_REVIEW_PATH,
      body,
      'SubjectAccessReview',
      logger,
    );
    const reason = typeof status.reason === 'string' && status.reason !== '' ? status.reason : undefined;
    if (typeof status.evaluationError === 'string' && status.evaluationError !== '') {
      logger.debug(
        { evaluationError: status.evaluationError },
        'SubjectAccessReview reported an evaluation error',
      );
    }
    return { allowed: status.allowed === true, ...(reason === undefined ? {} : { reason }) };
  };

  return {
    authorize(user, attributes, signal) {
      if (user.groups.includes(SYSTEM_MASTERS)) return Promise.resolve({ allowed: true });
      // NB: the shared call runs without the caller's signal (the client's own timeout bounds it).
      return untilAborted(
        cache.get(cacheKey(user, attributes), () => review(user, attributes)),
        signal,
      );
    },
  };
}
