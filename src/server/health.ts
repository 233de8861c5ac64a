/** `/healthz`, `/livez` and `/readyz` (SPEC 10): plain-text probes, as kube-apiserver answers them. */
import type { FastifyPluginCallback } from 'fastify';
import type { Readiness } from '../providers/contract.js';
import { rejectOtherMethods } from './method-not-allowed.js';

const TEXT = 'text/plain; charset=utf-8';

/** The 503 body of `/readyz`. */
export const NOT_READY_MESSAGE =
  'not ready: the rules are not loaded or the first relist has not finished yet, or the adapter is shutting down';

const textSchema = { response: { 200: { type: 'string' }, 503: { type: 'string' } } } as const;

/** Liveness answers `ok` while the process serves HTTP; readiness follows `readiness.isReady()`. */
export const healthRoutes: FastifyPluginCallback<{ readiness: Readiness }> = (app, { readiness }, done) => {
  for (const url of ['/healthz', '/livez']) {
    app.get(url, { schema: textSchema }, (_request, reply) => reply.type(TEXT).send('ok'));
    rejectOtherMethods(app, url);
  }
  app.get('/readyz', { schema: textSchema }, (_request, reply) =>
    readiness.isReady() ? reply.type(TEXT).send('ok') : reply.code(503).type(TEXT).send(NOT_READY_MESSAGE),
  );
  rejectOtherMethods(app, '/readyz');
  done();
};
