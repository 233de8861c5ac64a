/**
 * The id of the request being served, readable from anything the request's handler calls (the provider, the
 * Prometheus client's callbacks), so their log lines carry the same `reqId` as the request's own.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance } from 'fastify';

const context = new AsyncLocalStorage<{ reqId: string }>();

/** Runs every request's hooks and handler inside a context holding its id. */
export function installRequestContext(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    context.run({ reqId: request.id }, done);
  });
}

/** The id of the request whose handling is running now, or undefined outside a request (relists, timers). */
export function currentRequestId(): string | undefined {
  return context.getStore()?.reqId;
}
