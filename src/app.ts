/**
 * buildApp: the HTTP server of the adapter, assembled from its plugins, without listening and without I/O of its
 * own (tests drive it with `app.inject()`; main.ts listens).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { SecureVersion } from 'node:tls';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginCallback,
  type FastifyPluginOptions,
  type FastifyServerOptions,
} from 'fastify';
import type {
  CustomMetricsProvider,
  ExternalMetricsProvider,
  Readiness,
  ResourceMetricsProvider,
  ServedApis,
} from './providers/contract.js';
import { installAuth, type AuthOptions } from './server/auth.js';
import { customMetricsRoutes } from './server/custom-metrics.js';
import { discoveryRoutes } from './server/discovery.js';
import { externalMetricsRoutes } from './server/external-metrics.js';
import { createClientErrorHandler, frameworkErrors, installErrorHandlers } from './server/errors.js';
import { healthRoutes } from './server/health.js';
import { installRequestMetrics, metricsRoute, type SelfMetrics } from './server/metrics.js';
import { installRequestContext } from './server/request-context.js';
import { RequestLogController } from './server/request-log.js';
import { resourceMetricsRoutes } from './server/resource-metrics.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, installRequestSignal } from './server/request-signal.js';

export interface AppDeps {
  customMetrics: CustomMetricsProvider;
  /** Serves external.metrics.k8s.io/v1beta1 (listed in discovery) when present. */
  externalMetrics?: ExternalMetricsProvider;
  /** Serves metrics.k8s.io/v1beta1 (listed in discovery) when present. */
  resourceMetrics?: ResourceMetricsProvider;
  /**
   * Whether the external and resource groups are served right now (they follow the rules, which may be
   * reloaded); absent: served whenever their provider is given.
   */
  served?: ServedApis;
  readiness: Readiness;
  /** A pino logger instance, pino options, or a boolean; passed to fastify. Default: no logging. */
  logger?: FastifyBaseLogger | boolean | object;
  /** Serve HTTPS with this key pair; null or absent serves plain HTTP (tests, behind a TLS proxy). */
  https?: {
    key: string | Buffer;
    cert: string | Buffer;
    minVersion?: SecureVersion;
    ciphers?: string;
    /**
     * The CAs client certificates may chain to (client CA and requestheader CA), listed to clients as acceptable;
     * with `auth`, `[]` when there are none (NB: absent, Node would list its public root CAs).
     */
    ca?: string | Buffer | Array<string | Buffer>;
  } | null;
  /** Authenticate and authorize every request except the always-allowed paths (SPEC 8); absent: no checks. */
  auth?: AuthOptions;
  /** Serves /metrics from these self-metrics and counts every request in them. */
  metrics?: SelfMetrics;
  /** Per-request deadline passed to providers through the request's AbortSignal (default 30000). */
  requestTimeoutMs?: number;
  /** HTTP/1.1 only for now. */
  http2?: false;
}

/** Bound to every log line of the server. */
const COMPONENT = 'http';

/**
 * NB: the longest path segment the router matches; fastify's default (100) is shorter than some metric names.
 * Longer segments answer 414.
 */
const MAX_PARAM_LENGTH = 4096;

/** NB: how long a client may take to send its request (headers and body); slow clients get 408. */
const RECEIVE_TIMEOUT_MS = 30_000;

function isLoggerInstance(logger: unknown): logger is FastifyBaseLogger {
  return (
    typeof logger === 'object' &&
    logger !== null &&
    typeof (logger as Partial<FastifyBaseLogger>).child === 'function' &&
    typeof (logger as Partial<FastifyBaseLogger>).info === 'function'
  );
}

/** Returns `component: 'http'` bound to the caller's logger, without binding it twice. */
function withComponent(logger: FastifyBaseLogger): FastifyBaseLogger {
  const bindings = (logger as { bindings?: () => Record<string, unknown> }).bindings?.();
  return bindings?.component === COMPONENT ? logger : logger.child({ component: COMPONENT });
}

function loggerOptions(logger: AppDeps['logger']): Pick<FastifyServerOptions, 'logger' | 'loggerInstance'> {
  if (logger === undefined || logger === false) return { logger: false };
  if (isLoggerInstance(logger)) return { loggerInstance: withComponent(logger) };
  const options = (logger === true ? {} : logger) as { base?: Record<string, unknown> };
  // NB: pino's default `base` is { pid, hostname }; keep it and add the component.
  const base = { pid: process.pid, hostname: hostname(), ...options.base, component: COMPONENT };
  return { logger: { ...options, base } };
}

/** Wraps a route plugin so that its routes answer as unknown paths (404 Status) while `served()` is false. */
function onlyWhile<O extends FastifyPluginOptions>(
  served: () => boolean,
  routes: FastifyPluginCallback<O>,
): FastifyPluginCallback<O> {
  return (app, options, done) => {
    app.addHook('onRequest', (_request, reply, next) => {
      if (served()) next();
      else reply.callNotFound();
    });
    void app.register(routes, options);
    done();
  };
}

/**
 * Builds the adapter's fastify instance: discovery, custom metrics (v1beta2, v1beta1), external metrics when
 * given a provider, health probes, Status errors everywhere. Does not listen. Every request gets a random id
 * (`reqId` in its log lines) and an AbortSignal (`request.abortSignal`) aborted on client disconnect or after
 * `requestTimeoutMs`.
 */
export function buildApp(deps: AppDeps): FastifyInstance {
  const https =
    deps.https === undefined || deps.https === null
      ? null
      : {
          key: deps.https.key,
          cert: deps.https.cert,
          ...(deps.https.minVersion === undefined ? {} : { minVersion: deps.https.minVersion }),
          ...(deps.https.ciphers === undefined ? {} : { ciphers: deps.https.ciphers }),
          // NB: client certificates are asked for but not checked by TLS: the auth hook verifies them against the
          // CA each one is meant for.
          ...(deps.auth === undefined
            ? {}
            : { requestCert: true, rejectUnauthorized: false, ca: deps.https.ca ?? [] }),
        };
  const app = Fastify({
    ...loggerOptions(deps.logger),
    https,
    logController: new RequestLogController(),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    requestTimeout: RECEIVE_TIMEOUT_MS,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // NB: during close, in-flight and keep-alive requests are answered normally rather than with fastify's own
    // 503 body; readiness reports the shutdown.
    return503OnClosing: false,
    frameworkErrors,
    clientErrorHandler: createClientErrorHandler(() => app.log),
    // NB: the instance type depends on the server options (http vs https); callers only need the common surface.
  }) as unknown as FastifyInstance;

  installRequestContext(app);
  installRequestSignal(app, { timeoutMs: deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS });
  installErrorHandlers(app);
  if (deps.auth !== undefined) installAuth(app, deps.auth);
  void app.register(healthRoutes, { readiness: deps.readiness });
  if (deps.metrics !== undefined) {
    installRequestMetrics(app, deps.metrics);
    void app.register(metricsRoute, { metrics: deps.metrics });
  }
  const served: ServedApis = {
    external: () => deps.externalMetrics !== undefined && (deps.served?.external() ?? true),
    resource: () => deps.resourceMetrics !== undefined && (deps.served?.resource() ?? true),
  };
  void app.register(discoveryRoutes, {
    provider: deps.customMetrics,
    ...(deps.externalMetrics === undefined ? {} : { external: deps.externalMetrics }),
    served,
  });
  void app.register(customMetricsRoutes, { provider: deps.customMetrics });
  const { externalMetrics, resourceMetrics } = deps;
  if (externalMetrics !== undefined) {
    void app.register(onlyWhile(served.external, externalMetricsRoutes), { provider: externalMetrics });
  }
  if (resourceMetrics !== undefined) {
    void app.register(onlyWhile(served.resource, resourceMetricsRoutes), { provider: resourceMetrics });
  }
  return app;
}
