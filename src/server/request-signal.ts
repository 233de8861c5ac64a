/**
 * One AbortSignal per request, handed to providers: aborted when the client goes away or the per-request deadline
 * passes (DESIGN: every network call has a timeout and an AbortSignal).
 *
 * NB: fastify's own `request.signal` only gets a deadline through `handlerTimeout`, and then fastify answers the
 * request itself (503) and logs the handler's later rejection as an error. Here the route races the provider
 * against the signal, so the answer is ours (504 Timeout) and a late rejection is dropped.
 */
import type { FastifyInstance } from 'fastify';
import { StatusError } from '../api/status.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Aborted when the client disconnects or the request deadline passes; `reason` is a StatusError. */
    abortSignal: AbortSignal;
  }
}

/** The default per-request deadline (AppDeps.requestTimeoutMs). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * HTTP code recorded when the client closed the connection first. NB: nginx's "client closed request"; nobody
 * receives it, it only labels the log line.
 */
export const CLIENT_CLOSED_REQUEST = 499;

function describeDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The abort reason (and the answer) when a request outlives its deadline: 504 Timeout, as kube-apiserver does. */
export function deadlineExceeded(timeoutMs: number): StatusError {
  return new StatusError(
    504,
    'Timeout',
    `the request did not complete within ${describeDuration(timeoutMs)}`,
  );
}

function clientClosed(): StatusError {
  return new StatusError(
    CLIENT_CLOSED_REQUEST,
    'BadRequest',
    'the client closed the connection before the response was sent',
  );
}

/**
 * Adds `request.abortSignal` to every request of `app` (call on the root instance, before routes). The deadline
 * timer is cleared when the response ends.
 */
export function installRequestSignal(app: FastifyInstance, options: { timeoutMs: number }): void {
  const { timeoutMs } = options;
  // NB: fastify 5 wants a primitive placeholder on the prototype; onRequest sets the real signal before any handler.
  app.decorateRequest('abortSignal', null as unknown as AbortSignal);
  app.addHook('onRequest', (request, reply, done) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(deadlineExceeded(timeoutMs)), timeoutMs);
    const response = reply.raw;
    response.once('close', () => {
      clearTimeout(timer);
      if (!response.writableEnded) controller.abort(clientClosed());
    });
    request.abortSignal = controller.signal;
    done();
  });
}

export { untilAborted } from '../api/abort.js';
