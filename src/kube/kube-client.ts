/**
 * The KubeClient for a real cluster: credentials and endpoint from a kubeconfig file or the pod's service account
 * (via @kubernetes/client-node's KubeConfig), HTTP done here with node:http(s) so that every call has a deadline,
 * an AbortSignal and goes through the client-side rate limit.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
// NB: the package index loads every generated API client (1.5 s); config.js alone is half that.
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { KubeApiError, type KubeClient, type WatchEvent } from './contract.js';
import { safeKubeconfigError } from './kubeconfig-error.js';
import { createRateLimiter, RateLimitQueueFullError } from './rate-limiter.js';

export interface KubeClientOptions {
  /** A kubeconfig file (its current context is used); without one, the in-cluster service account. */
  kubeconfig?: string;
  /** Deadline of each call, rate-limit wait included; for a watch, the time to get the response headers. 10 s. */
  timeoutMs?: number;
  /** Client-side rate limit: requests per second (default 20) and burst (default 40). */
  qps?: number;
  burst?: number;
  /** A watch that receives no bytes for this long is rejected with a `timeout` KubeApiError. Default 5 min. */
  watchIdleTimeoutMs?: number;
  /** How many calls may wait for the rate limit before more are refused (`timeout`). Default 1000. */
  maxQueue?: number;
  userAgent?: string;
}

/** A KubeClient bound to one API server. */
export interface ClusterKubeClient extends KubeClient {
  /** The API server URL, for logs. */
  readonly server: string;
  /** Destroys the pooled connections; calls and watches in flight on them fail. Later calls reconnect. */
  close(): void;
}

/** A kubeconfig (or the in-cluster service account) that cannot be loaded; the message says which and why. */
export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
}

export const DEFAULT_KUBE_TIMEOUT_MS = 10_000;
export const DEFAULT_KUBE_QPS = 20;
export const DEFAULT_KUBE_BURST = 40;
export const DEFAULT_WATCH_IDLE_TIMEOUT_MS = 5 * 60_000;

/** NB: bounds the memory one response may take; list callers page with `limit`, so real pages are far smaller. */
const MAX_BODY_BYTES = 128 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 1024 * 1024;
const MAX_WATCH_LINE_BYTES = 16 * 1024 * 1024;
const MAX_ERROR_TEXT = 300;
/** Longer than any watch (the lister asks the server to end them within 10 min) and any call. */
const RETIRED_AGENT_GRACE_MS = 15 * 60_000;

/** Abort reasons, told apart when classifying a failure. */
const TIMED_OUT = Symbol('timed out');
const IDLE = Symbol('idle');
const CALLER_ABORTED = Symbol('aborted by the caller');

function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path !== undefined) {
    try {
      kc.loadFromFile(path);
    } catch (error) {
      const safe = safeKubeconfigError(error);
      throw new KubeConfigError(`cannot load the kubeconfig ${path}: ${(safe as Error).message}`, {
        cause: safe,
      });
    }
  } else {
    if (!process.env.KUBERNETES_SERVICE_HOST || !process.env.KUBERNETES_SERVICE_PORT) {
      throw new KubeConfigError(
        'no kubeconfig was given and the adapter is not running in a cluster (KUBERNETES_SERVICE_HOST and ' +
          'KUBERNETES_SERVICE_PORT are not set); give a kubeconfig file or run the adapter in a pod',
      );
    }
    kc.loadFromCluster();
  }
  const where = path ?? 'the in-cluster configuration';
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new KubeConfigError(`${where} has no current context with a cluster`);
  if (cluster.proxyUrl) {
    throw new KubeConfigError(`${where}: proxy-url is not supported; reach the API server directly`);
  }
  return kc;
}

function parseServer(server: string, where: string): URL {
  let url: URL;
  try {
    url = new URL(server);
  } catch (error) {
    throw new KubeConfigError(`${where}: the cluster server "${server}" is not a URL`, { cause: error });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KubeConfigError(`${where}: the cluster server "${server}" must be an http(s) URL`);
  }
  return url;
}

/** TLS material and auth headers for the next call, from the KubeConfig (which re-reads rotating token files). */
interface Connection {
  headers: Record<string, string>;
  agent: http.Agent;
}

/** The text of a TLS option (`ca`, `cert`, `key`: PEM strings, Buffers, arrays, `{ pem }` objects). */
function pemText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) return value.map(pemText).join('\n');
  if (typeof value === 'object' && value !== null && 'pem' in value) return pemText(value.pem);
  return '';
}

function headerRecord(headers: https.RequestOptions['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined || Array.isArray(headers)) return out;
  for (const [key, value] of Object.entries(headers as http.OutgoingHttpHeaders)) {
    if (value === undefined) continue;
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

function truncate(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_ERROR_TEXT ? `${oneLine.slice(0, MAX_ERROR_TEXT)}…` : oneLine;
}

/** The `message` of a metav1.Status body, else the start of the body text. */
function errorDetail(text: string): string {
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === 'object' && body !== null) {
      const message = (body as { message?: unknown }).message;
      if (typeof message === 'string' && message !== '') return truncate(message);
    }
  } catch {
    // NB: not JSON (a proxy's HTML page, `404 page not found`): the text itself is the best detail.
  }
  return truncate(text);
}

function httpError(what: string, status: number, text: string): KubeApiError {
  const detail = errorDetail(text);
  return new KubeApiError('http', `${what}: HTTP ${status}${detail === '' ? '' : `: ${detail}`}`, status);
}

function classify(error: unknown, signal: AbortSignal, what: string, timeoutMs: number): KubeApiError {
  if (error instanceof KubeApiError) return error;
  if (signal.aborted) {
    if (signal.reason === CALLER_ABORTED) {
      return new KubeApiError('aborted', `${what} was aborted`, undefined, { cause: error });
    }
    if (signal.reason === TIMED_OUT) {
      return new KubeApiError('timeout', `${what} timed out after ${timeoutMs} ms`, undefined, {
        cause: error,
      });
    }
  }
  if (error instanceof RateLimitQueueFullError) {
    return new KubeApiError('timeout', `${what} was not sent: ${error.message}`, undefined, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new KubeApiError('unreachable', `${what} failed: ${message}`, undefined, { cause: error });
}

function open(
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: Buffer | undefined,
  agent: http.Agent,
  signal: AbortSignal,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      { method, headers, agent, signal },
      resolve,
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function readBody(response: http.IncomingMessage, limit: number, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      response.destroy();
      throw new KubeApiError('bad_response', `${what}: the response is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseEvent(line: string, what: string): WatchEvent {
  let value: unknown;
  try {
    value = JSON.parse(line) as unknown;
  } catch (error) {
    throw new KubeApiError('bad_response', `${what}: a watch event is not JSON`, undefined, { cause: error });
  }
  if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') {
    throw new KubeApiError('bad_response', `${what}: a watch event has no type`);
  }
  const event = value as { type: string; object?: unknown };
  return { type: event.type, object: event.object };
}

/** Wraps an error thrown by the caller's `onEvent`, so that it is rethrown as is rather than classified. */
class HandlerFailure extends Error {
  constructor(readonly error: unknown) {
    super('the watch event handler failed');
  }
}

/**
 * Creates a client for the cluster of `options.kubeconfig` (its current context) or, without one, the in-cluster
 * service account. Calls reject only with KubeApiError: `timeout` (deadline or rate-limit queue full), `aborted`
 * (the caller's signal), `unreachable` (network, TLS, credentials), `http` (non-2xx; the message carries the
 * Status `message`), `bad_response` (not JSON, too large). Messages may name the URL path, never a credential.
 * Safe for concurrent use; connections are kept alive and reused.
 * @throws KubeConfigError when the configuration cannot be loaded (also for unreadable CA/cert/token files).
 */
export async function createKubeClient(options: KubeClientOptions = {}): Promise<ClusterKubeClient> {
  const timeoutMs = Math.max(1, Math.ceil(options.timeoutMs ?? DEFAULT_KUBE_TIMEOUT_MS));
  const idleMs = Math.max(1, Math.ceil(options.watchIdleTimeoutMs ?? DEFAULT_WATCH_IDLE_TIMEOUT_MS));
  const userAgent = options.userAgent ?? 'prometheus-metrics-adapter';
  const limiter = createRateLimiter({
    qps: options.qps ?? DEFAULT_KUBE_QPS,
    burst: options.burst ?? DEFAULT_KUBE_BURST,
    ...(options.maxQueue === undefined ? {} : { maxQueue: options.maxQueue }),
  });
  const kc = loadKubeConfig(options.kubeconfig);
  const where = options.kubeconfig ?? 'the in-cluster configuration';
  const server = parseServer(kc.getCurrentCluster()?.server ?? '', where);
  const basePath = server.pathname.replace(/\/+$/, '');

  let agent: http.Agent | undefined;
  let agentKey = '';

  /**
   * NB: KubeConfig.applyToHTTPSOptions is what client-node runs before each of its own calls: it reads the CA and
   * client certificate files and refreshes tokens (token files, exec and OIDC plugins). Its agent is discarded; one
   * keep-alive agent is kept while the TLS material stays the same, and replaced when rotated files change it.
   */
  async function connection(): Promise<Connection> {
    const opts: https.RequestOptions = { headers: {} };
    await kc.applyToHTTPSOptions(opts);
    const headers = headerRecord(opts.headers);
    if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    const { ca, cert, key } = opts;
    const rejectUnauthorized = opts.rejectUnauthorized !== false;
    const servername = opts.servername;
    const fingerprint = createHash('sha256')
      .update(
        [pemText(ca), pemText(cert), pemText(key), String(rejectUnauthorized), servername ?? ''].join('\0'),
      )
      .digest('hex');
    if (agent === undefined || fingerprint !== agentKey) {
      const previous = agent;
      // NB: watches may still stream on the previous agent; its sockets go once they have surely ended.
      if (previous !== undefined) setTimeout(() => previous.destroy(), RETIRED_AGENT_GRACE_MS).unref();
      const tls = {
        ...(ca === undefined ? {} : { ca }),
        ...(cert === undefined ? {} : { cert }),
        ...(key === undefined ? {} : { key }),
        ...(servername === undefined ? {} : { servername }),
        rejectUnauthorized,
      };
      agent =
        server.protocol === 'https:'
          ? // NB: an explicit floor, so NODE_OPTIONS=--tls-min-v1.0 (lowering Node's default) cannot bring back TLS 1.0/1.1.
            new https.Agent({ keepAlive: true, minVersion: 'TLSv1.2', ...tls })
          : new http.Agent({ keepAlive: true });
      agentKey = fingerprint;
    }
    return { headers, agent };
  }

  try {
    await connection();
  } catch (error) {
    throw new KubeConfigError(
      `${where}: cannot load the credentials or certificates: ${(error as Error).message}`,
      { cause: error },
    );
  }

  function urlOf(path: string, query: Record<string, string> | undefined): URL {
    const url = new URL(server.origin);
    url.pathname = `${basePath}${path}`;
    for (const [name, value] of Object.entries(query ?? {})) url.searchParams.set(name, value);
    return url;
  }

  /** Links the caller's signal to a controller whose abort reason says who aborted. */
  function link(controller: AbortController, signal: AbortSignal | undefined): () => void {
    if (signal === undefined) return () => undefined;
    const onAbort = () => controller.abort(CALLER_ABORTED);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  }

  async function requestJson(
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string> | undefined,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const what = `${method} ${path}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(TIMED_OUT), timeoutMs);
    const unlink = link(controller, signal);
    try {
      await limiter.acquire(controller.signal);
      const conn = await connection();
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
      const headers: Record<string, string> = {
        ...conn.headers,
        accept: 'application/json',
        'user-agent': userAgent,
      };
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(payload.length);
      }
      const response = await open(
        method,
        urlOf(path, query),
        headers,
        payload,
        conn.agent,
        controller.signal,
      );
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) {
        throw httpError(what, status, await readBody(response, MAX_ERROR_BODY_BYTES, what));
      }
      const text = await readBody(response, MAX_BODY_BYTES, what);
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new KubeApiError('bad_response', `${what}: the response is not JSON`, status, { cause: error });
      }
    } catch (error) {
      throw classify(error, controller.signal, what, timeoutMs);
    } finally {
      clearTimeout(timer);
      unlink();
    }
  }

  async function watch(
    path: string,
    query: Record<string, string>,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const what = `watch ${path}`;
    const controller = new AbortController();
    let timer = setTimeout(() => controller.abort(TIMED_OUT), timeoutMs);
    const unlink = link(controller, signal);
    const deliver = (line: string) => {
      if (line.trim() === '') return;
      const event = parseEvent(line, what);
      try {
        onEvent(event);
      } catch (error) {
        throw new HandlerFailure(error);
      }
    };
    try {
      await limiter.acquire(controller.signal);
      const conn = await connection();
      const headers = { ...conn.headers, accept: 'application/json', 'user-agent': userAgent };
      const url = urlOf(path, { ...query, watch: 'true' });
      const response = await open('GET', url, headers, undefined, conn.agent, controller.signal);
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) {
        throw httpError(what, status, await readBody(response, MAX_ERROR_BODY_BYTES, what));
      }
      const resetIdle = () => {
        clearTimeout(timer);
        timer = setTimeout(() => controller.abort(IDLE), idleMs);
      };
      resetIdle();
      const decoder = new StringDecoder('utf8');
      let pending = '';
      for await (const chunk of response as AsyncIterable<Buffer>) {
        resetIdle();
        const lines = (pending + decoder.write(chunk)).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) deliver(line);
        if (pending.length > MAX_WATCH_LINE_BYTES) {
          throw new KubeApiError(
            'bad_response',
            `${what}: a watch event is larger than ${MAX_WATCH_LINE_BYTES} bytes`,
          );
        }
      }
      deliver(pending + decoder.end());
    } catch (error) {
      if (error instanceof HandlerFailure) throw error.error;
      if (controller.signal.reason === CALLER_ABORTED) return;
      if (controller.signal.reason === IDLE) {
        throw new KubeApiError('timeout', `${what} received nothing for ${idleMs} ms`, undefined, {
          cause: error,
        });
      }
      throw classify(error, controller.signal, what, timeoutMs);
    } finally {
      clearTimeout(timer);
      unlink();
    }
  }

  return {
    server: server.href,
    close() {
      agent?.destroy();
      agent = undefined;
    },
    getJson: (path, opts) => requestJson('GET', path, opts?.query, undefined, opts?.signal),
    postJson: (path, body, opts) => requestJson('POST', path, undefined, body, opts?.signal),
    watch,
  };
}
