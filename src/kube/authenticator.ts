/**
 * Delegated authentication as Kubernetes aggregated API servers do it (SPEC 8): front-proxy certificate plus
 * `X-Remote-*` headers, client-CA certificate, bearer token via TokenReview.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { AuthenticationRequest, Authenticator, RequestHeaders, UserInfo } from '../api/auth.js';
import { ReviewCache } from './auth-cache.js';
import { isReviewUnavailable, postReview, stringArray, stringListMap } from './auth-review.js';
import { isRecord } from './json.js';
import { SILENT_LOGGER, type KubeLogger } from './kube-logger.js';
import type { AuthenticationConfig, RequestHeaderConfig } from './authentication-config.js';
import { subjectIdentity, verifyClientChain } from './cert-chain.js';
import type { KubeClient } from './contract.js';
import { untilAborted } from '../api/abort.js';

/** POSTed to create a TokenReview (authentication.k8s.io/v1). */
export const TOKEN_REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';

/** The group Kubernetes adds to every authenticated user. */
export const ALL_AUTHENTICATED = 'system:authenticated';
const ALL_UNAUTHENTICATED = 'system:unauthenticated';

/** Upstream's delegated-authentication defaults (`--authentication-token-webhook-cache-ttl`: 10s). */
export const DEFAULT_TOKEN_CACHE_TTL_MS = 10_000;
export const DEFAULT_TOKEN_CACHE_SIZE = 4096;

export interface AuthenticatorOptions {
  /** The current CA and header configuration (e.g. `AuthenticationConfigSource.current`), read per request. */
  config: () => AuthenticationConfig;
  /** For TokenReview; without it bearer tokens are not accepted. */
  kube?: KubeClient;
  logger?: KubeLogger;
  /** How long a TokenReview answer is reused: authenticated, and not authenticated. */
  tokenSuccessTtlMs?: number;
  tokenFailureTtlMs?: number;
  tokenCacheSize?: number;
  /** How long past its TTL an answer is still served while the TokenReview API is unavailable (default 5 min). */
  staleAnswerMs?: number;
  /** Milliseconds since the epoch; certificates are checked for validity at this time. */
  now?: () => number;
}

/** Adds `system:authenticated` unless the user already has it (or is the anonymous user's group), as upstream. */
function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.groups.includes(ALL_AUTHENTICATED) || user.groups.includes(ALL_UNAUTHENTICATED)) return user;
  return { ...user, groups: [...user.groups, ALL_AUTHENTICATED] };
}

function values(headers: RequestHeaders, name: string): readonly string[] {
  return headers[name.toLowerCase()] ?? [];
}

/** Go's `headerValue`: the first value of the first named header whose first value is not empty. */
function firstHeaderValue(headers: RequestHeaders, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = values(headers, name)[0];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

function unescapeExtraKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    // NB: upstream keeps a key that does not percent-decode as it is.
    return key;
  }
}

/**
 * The identity a front proxy asserts in its headers (upstream's requestheader authenticator): the username from
 * the first non-empty username header, every non-empty value of every group header, and `extra` from each
 * header starting with an extra prefix (key lower-cased then percent-decoded, values accumulated). `undefined`
 * when no username header is set.
 */
export function userFromRequestHeaders(
  headers: RequestHeaders,
  config: Pick<
    RequestHeaderConfig,
    'usernameHeaders' | 'uidHeaders' | 'groupHeaders' | 'extraHeaderPrefixes'
  >,
): UserInfo | undefined {
  const username = firstHeaderValue(headers, config.usernameHeaders);
  if (username === undefined) return undefined;
  const groups = config.groupHeaders.flatMap((name) => values(headers, name).filter((value) => value !== ''));
  const extra: Record<string, string[]> = {};
  const prefixes = config.extraHeaderPrefixes.map((prefix) => prefix.toLowerCase());
  for (const [name, headerValues] of Object.entries(headers)) {
    if (headerValues === undefined) continue;
    for (const prefix of prefixes) {
      if (!name.startsWith(prefix) || name.length === prefix.length) continue;
      const key = unescapeExtraKey(name.slice(prefix.length).toLowerCase());
      (extra[key] ??= []).push(...headerValues);
    }
  }
  const uid = firstHeaderValue(headers, config.uidHeaders);
  return { username, ...(uid === undefined ? {} : { uid }), groups, extra };
}

/** The token of an `Authorization: Bearer <token>` header, parsed as upstream does; `undefined` otherwise. */
export function bearerToken(headers: RequestHeaders): string | undefined {
  const header = values(headers, 'authorization')[0]?.trim();
  if (header === undefined) return undefined;
  const parts = header.split(' ');
  if (parts.length < 2 || parts[0]?.toLowerCase() !== 'bearer') return undefined;
  const token = parts[1];
  return token === undefined || token === '' ? undefined : token;
}

/** The TokenReview request body, shaped as client-go sends it. */
export function tokenReviewBody(token: string): unknown {
  return {
    kind: 'TokenReview',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: { token },
    status: { user: {} },
  };
}

function userFromTokenReview(status: Record<string, unknown>): UserInfo | undefined {
  if (status.authenticated !== true || !isRecord(status.user)) return undefined;
  const { username, uid, groups, extra } = status.user;
  if (typeof username !== 'string' || username === '') return undefined;
  return {
    username,
    ...(typeof uid === 'string' && uid !== '' ? { uid } : {}),
    groups: stringArray(groups),
    extra: stringListMap(extra),
  };
}

/**
 * Creates the {@link Authenticator} of SPEC 8. In order: (1) a client chain verifying against the requestheader
 * CA, with its CN in the allowed names (empty = any), and a username header → the identity in the headers;
 * (2) a chain verifying against the client CA → user = CN, groups = O; (3) `Authorization: Bearer` → TokenReview,
 * answers cached by a keyed hash of the token (never the token itself; tokens are never logged), and the last
 * answer served while the TokenReview API is unavailable (see {@link ReviewCache}). Identity
 * headers count only in (1). Every user gets `system:authenticated`, as upstream adds it.
 * Safe for concurrent use; concurrent reviews of one token share one call.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const logger = options.logger ?? SILENT_LOGGER;
  const now = options.now ?? Date.now;
  const successTtl = options.tokenSuccessTtlMs ?? DEFAULT_TOKEN_CACHE_TTL_MS;
  const failureTtl = options.tokenFailureTtlMs ?? DEFAULT_TOKEN_CACHE_TTL_MS;
  const cache = new ReviewCache<UserInfo | null>({
    maxEntries: options.tokenCacheSize ?? DEFAULT_TOKEN_CACHE_SIZE,
    ttlOf: (user) => (user === null ? failureTtl : successTtl),
    ...(options.staleAnswerMs === undefined ? {} : { staleForMs: options.staleAnswerMs }),
    isUnavailable: isReviewUnavailable,
    onStale: (ageMs) =>
      logger.debug({ ageMs }, 'TokenReview API unavailable: serving the last answer for this token'),
    now,
  });
  // NB: keyed so that the cache keys cannot be matched against hashes of known tokens.
  const hashKey = randomBytes(32);
  const { kube } = options;

  const fromFrontProxy = (
    request: AuthenticationRequest,
    config: AuthenticationConfig,
  ): UserInfo | undefined => {
    const rh = config.requestHeader;
    if (rh === undefined || request.peerCertificates.length === 0) return undefined;
    const verified = verifyClientChain(request.peerCertificates, rh.ca.certificates, new Date(now()));
    if (!verified.ok) {
      logger.debug({ reason: verified.reason }, 'client certificate not from the front-proxy CA');
      return undefined;
    }
    const { commonName } = subjectIdentity(verified.leaf);
    if (rh.allowedNames.length > 0 && !rh.allowedNames.includes(commonName)) {
      logger.warn(
        { commonName, allowedNames: rh.allowedNames },
        'front-proxy certificate has a common name that is not allowed; its identity headers are ignored',
      );
      return undefined;
    }
    return userFromRequestHeaders(request.headers, rh);
  };

  const fromClientCertificate = (
    request: AuthenticationRequest,
    config: AuthenticationConfig,
  ): UserInfo | undefined => {
    if (config.clientCA === undefined || request.peerCertificates.length === 0) return undefined;
    const verified = verifyClientChain(
      request.peerCertificates,
      config.clientCA.certificates,
      new Date(now()),
    );
    if (!verified.ok) {
      logger.debug({ reason: verified.reason }, 'client certificate not from the client CA');
      return undefined;
    }
    const { commonName, organizations } = subjectIdentity(verified.leaf);
    if (commonName === '') return undefined;
    return { username: commonName, groups: organizations, extra: {} };
  };

  const review = async (token: string, client: KubeClient): Promise<UserInfo | null> => {
    const status = await postReview(client, TOKEN_REVIEW_PATH, tokenReviewBody(token), 'TokenReview', logger);
    const user = userFromTokenReview(status);
    if (user === undefined) {
      const error = typeof status.error === 'string' && status.error !== '' ? status.error : undefined;
      logger.debug(
        { ...(error === undefined ? {} : { error }) },
        'bearer token not authenticated by TokenReview',
      );
    }
    return user ?? null;
  };

  const fromToken = async (request: AuthenticationRequest): Promise<UserInfo | undefined> => {
    const token = bearerToken(request.headers);
    if (token === undefined || kube === undefined) return undefined;
    const key = createHmac('sha256', hashKey).update(token).digest('base64');
    // NB: the shared call runs without the caller's signal (the client's own timeout bounds it), so that one
    // caller going away does not fail the others.
    const user = await untilAborted(
      cache.get(key, () => review(token, kube)),
      request.signal,
    );
    return user ?? undefined;
  };

  return {
    async authenticate(request) {
      const config = options.config();
      const user =
        fromFrontProxy(request, config) ??
        fromClientCertificate(request, config) ??
        (await fromToken(request));
      return user === undefined ? undefined : withAuthenticatedGroup(user);
    },
  };
}
