/** Authentication and authorization as Kubernetes aggregated API servers do them (SPEC 8): the contract. */
import type { X509Certificate } from 'node:crypto';

/** Who made a request (authentication.k8s.io UserInfo). */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
}

/**
 * Request headers: names lower-cased, each value of a repeated header kept apart, in arrival order (Node's
 * `rawHeaders` read this way; `IncomingMessage.headers` would join repeated `X-Remote-Group` values with ", ").
 */
export type RequestHeaders = Readonly<Record<string, readonly string[] | undefined>>;

/** What an authenticator sees of a request. */
export interface AuthenticationRequest {
  headers: RequestHeaders;
  /** The TLS client certificate chain as presented, leaf first; empty when the client sent none. */
  peerCertificates: readonly X509Certificate[];
  signal: AbortSignal;
}

/**
 * Authenticates a request (SPEC 8, in order: front-proxy certificate + X-Remote-* headers, client-CA certificate,
 * bearer token via TokenReview). Resolves `undefined` when nothing authenticates (→ 401).
 * @throws StatusError 503/500 when a dependency (the TokenReview API) fails
 */
export interface Authenticator {
  authenticate(request: AuthenticationRequest): Promise<UserInfo | undefined>;
}

/** SubjectAccessReview attributes (SPEC 8). */
export type AuthorizationAttributes =
  | {
      kind: 'resource';
      verb: string;
      group: string;
      version: string;
      resource: string;
      subresource?: string;
      namespace?: string;
      name?: string;
    }
  | { kind: 'nonResource'; verb: string; path: string };

export interface AuthorizationDecision {
  allowed: boolean;
  /** The authorizer's reason, for logs and the 403 message. */
  reason?: string;
}

/**
 * Authorizes a user for attributes (SubjectAccessReview, cached; `system:masters` always allowed).
 * @throws StatusError 503/500 when the SubjectAccessReview API fails
 */
export interface Authorizer {
  authorize(
    user: UserInfo,
    attributes: AuthorizationAttributes,
    signal: AbortSignal,
  ): Promise<AuthorizationDecision>;
}
