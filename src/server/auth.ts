/**
 * The authentication and authorization hook (SPEC 8): every request except the always-allowed paths is
 * authenticated (401 otherwise) and authorized with the attributes Kubernetes' RequestInfo derives from its path
 * (403 otherwise), before any route runs.
 */
import type { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {
  AuthorizationAttributes,
  Authenticator,
  Authorizer,
  RequestHeaders,
  UserInfo,
} from '../api/auth.js';
import { StatusError } from '../api/status.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user; `undefined` on always-allowed paths and before the auth hook ran. */
    user: UserInfo | undefined;
  }
}

export interface AuthOptions {
  authenticator: Authenticator;
  authorizer: Authorizer;
  /**
   * Paths served without authentication or authorization (`--authorization-always-allow-paths`); a trailing `*`
   * matches any path with that prefix. Default {@link DEFAULT_ALWAYS_ALLOW_PATHS}.
   */
  alwaysAllowPaths?: readonly string[];
}

export const DEFAULT_ALWAYS_ALLOW_PATHS: readonly string[] = ['/healthz', '/readyz', '/livez'];

/** The groups whose resource requests are always the verb `get` (SPEC 8), as custom-metrics-apiserver resolves them. */
const METRICS_GROUPS = new Set(['custom.metrics.k8s.io', 'external.metrics.k8s.io']);
const CUSTOM_METRICS_GROUP = 'custom.metrics.k8s.io';

/** Kubernetes' `namespaceSubresources`: `/namespaces/{ns}/status` is the namespace's own subresource. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** NB: a chain longer than this is not a real client chain; verification would fail anyway. */
const MAX_CHAIN_LENGTH = 10;

/** The message of every 401, as Kubernetes words it. */
export const UNAUTHORIZED_MESSAGE = 'Unauthorized';

/**
 * Reads Node's `rawHeaders` (name, value, name, value, ...) into {@link RequestHeaders}: names lower-cased and
 * every value of a repeated header kept apart, in arrival order.
 */
export function headersFromRaw(rawHeaders: readonly unknown[]): RequestHeaders {
  const headers: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    const value = rawHeaders[i + 1];
    if (typeof name !== 'string' || typeof value !== 'string') continue;
    (headers[name.toLowerCase()] ??= []).push(value);
  }
  return headers;
}

/**
 * The client certificate chain presented on `socket`, leaf first (only what the client sent, never the
 * server's trust store); empty for plain HTTP, injected requests and clients without a certificate.
 * NB: read per request, not per connection: a TLS 1.2 client may renegotiate with another certificate.
 */
export function peerCertificateChain(socket: Socket | undefined): readonly X509Certificate[] {
  const tls = socket as Partial<TLSSocket> | undefined;
  if (tls === undefined || typeof tls.getPeerX509Certificate !== 'function') return [];
  const chain: X509Certificate[] = [];
  let cert = tls.getPeerX509Certificate();
  while (cert !== undefined && chain.length < MAX_CHAIN_LENGTH) {
    const current = cert;
    if (chain.some((seen) => seen.raw.equals(current.raw))) break;
    chain.push(current);
    cert = current.issuerCertificate;
  }
  return chain;
}

/** `--authorization-always-allow-paths` matching: exact, or by prefix for a pattern ending in `*`. */
export function isAlwaysAllowed(path: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) =>
    pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern,
  );
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // NB: the router answers 400 to such a path; the raw segment is as good as any for the decision.
    return segment;
  }
}

function resourceVerb(method: string): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return '';
  }
}

/**
 * The authorization attributes of a request, the way Kubernetes' RequestInfo resolves them, with the
 * adjustments custom-metrics-apiserver makes (SPEC 8): under `/api/v1/...` and `/apis/<group>/<version>/...` a
 * resource request (`namespaces/{ns}/...` sets the namespace; then resource, name, subresource); for
 * `custom.metrics.k8s.io` `namespaces/{ns}/metrics/{m}` is resource `namespaces`, name `{ns}`, subresource `{m}`,
 * and the verb of a GET to either metrics group is always `get` (`*` is the name of a list). Anything else
 * (`/apis`, `/apis/<g>`, `/apis/<g>/<v>`, `/healthz`, ...) is a non-resource request for the path.
 * Segments are percent-decoded one by one, as the router decodes them.
 * @param path the request path without the query string, as received
 */
export function requestAttributes(method: string, path: string): AuthorizationAttributes {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  const parts = trimmed === '' ? [] : trimmed.split('/').map(decodeSegment);
  const nonResource: AuthorizationAttributes = {
    kind: 'nonResource',
    verb: method.toLowerCase(),
    path: path === '' ? '/' : path.split('/').map(decodeSegment).join('/'),
  };
  const [prefix, ...rest] = parts;
  if (parts.length < 3 || (prefix !== 'api' && prefix !== 'apis')) return nonResource;
  let group = '';
  let remaining = rest;
  if (prefix === 'apis') {
    if (remaining.length < 3) return nonResource;
    group = remaining[0] as string;
    remaining = remaining.slice(1);
  }
  const version = remaining[0] as string;
  remaining = remaining.slice(1);

  let verb = resourceVerb(method);
  let namespace: string | undefined;
  if (remaining[0] === 'namespaces' && remaining.length > 1) {
    namespace = remaining[1];
    if (remaining.length > 2 && !NAMESPACE_SUBRESOURCES.has(remaining[2] as string)) {
      remaining = remaining.slice(2);
    }
  }
  let [resource = '', name, subresource] = remaining;
  if (
    group === CUSTOM_METRICS_GROUP &&
    namespace !== undefined &&
    resource === 'metrics' &&
    remaining.length === 2
  ) {
    [resource, name, subresource] = ['namespaces', namespace, remaining[1]];
  }
  // NB: SPEC 8: reads of custom and external metrics are `get`, also for `*` and for external metric lists.
  if ((name === undefined || name === '') && !METRICS_GROUPS.has(group)) {
    if (verb === 'get') verb = 'list';
    else if (verb === 'delete') verb = 'deletecollection';
  }
  return {
    kind: 'resource',
    verb,
    group,
    version,
    resource,
    ...(subresource === undefined || subresource === '' ? {} : { subresource }),
    ...(namespace === undefined || namespace === '' ? {} : { namespace }),
    ...(name === undefined || name === '' ? {} : { name }),
  };
}

/**
 * The message of a 403, worded as Kubernetes' `Forbidden` responder words it (`NewForbidden` around
 * `forbiddenMessage`), e.g. `pods.custom.metrics.k8s.io "*" is forbidden: User "bob" cannot get resource
 * "pods/counter_qps" in API group "custom.metrics.k8s.io" in the namespace "default"`.
 */
export function forbiddenMessage(
  user: UserInfo,
  attributes: AuthorizationAttributes,
  reason?: string,
): string {
  let detail: string;
  let subject: string;
  if (attributes.kind === 'nonResource') {
    detail = `User ${JSON.stringify(user.username)} cannot ${attributes.verb} path ${JSON.stringify(attributes.path)}`;
    subject = 'forbidden';
  } else {
    const resource =
      attributes.subresource === undefined
        ? attributes.resource
        : `${attributes.resource}/${attributes.subresource}`;
    const scope =
      attributes.namespace === undefined
        ? 'at the cluster scope'
        : `in the namespace ${JSON.stringify(attributes.namespace)}`;
    detail =
      `User ${JSON.stringify(user.username)} cannot ${attributes.verb} resource ${JSON.stringify(resource)} ` +
      `in API group ${JSON.stringify(attributes.group)} ${scope}`;
    const groupResource =
      attributes.group === '' ? attributes.resource : `${attributes.resource}.${attributes.group}`;
    subject =
      groupResource === ''
        ? 'forbidden'
        : attributes.name === undefined
          ? `${groupResource} is forbidden`
          : `${groupResource} ${JSON.stringify(attributes.name)} is forbidden`;
  }
  return reason === undefined || reason === '' ? `${subject}: ${detail}` : `${subject}: ${detail}: ${reason}`;
}

function signalOf(request: FastifyRequest): AbortSignal {
  // NB: installRequestSignal provides it in the app; a bare instance (tests) gets a signal that never aborts.
  return request.abortSignal ?? new AbortController().signal;
}

/**
 * Installs the `onRequest` hook on `app` (call on the root instance after the request signal and the error
 * handlers, before the routes). Rejections become Status responses through the app's error handler: 401
 * `Unauthorized`, 403 `Forbidden`, and the authenticator's or authorizer's own 503/500 when a dependency fails.
 * The user is put on `request.user` and bound to the request's log lines (`user`).
 */
export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  const { authenticator, authorizer } = options;
  const alwaysAllow = options.alwaysAllowPaths ?? DEFAULT_ALWAYS_ALLOW_PATHS;
  app.decorateRequest('user', undefined);
  app.addHook('onRequest', async (request, reply) => {
    const url = request.raw.url ?? request.url;
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (isAlwaysAllowed(path, alwaysAllow)) return;
    const signal = signalOf(request);
    const user = await authenticator.authenticate({
      headers: headersFromRaw(request.raw.rawHeaders),
      peerCertificates: peerCertificateChain(request.raw.socket),
      signal,
    });
    if (user === undefined) throw new StatusError(401, 'Unauthorized', UNAUTHORIZED_MESSAGE);
    request.user = user;
    request.log = request.log.child({ user: user.username });
    // NB: fastify gave the reply its own reference to the request's first logger; the completion line uses it.
    reply.log = request.log;
    const attributes = requestAttributes(request.method, path);
    const decision = await authorizer.authorize(user, attributes, signal);
    if (!decision.allowed) {
      request.log.debug({ attributes, reason: decision.reason }, 'forbidden');
      throw new StatusError(403, 'Forbidden', forbiddenMessage(user, attributes, decision.reason));
    }
  });
}
