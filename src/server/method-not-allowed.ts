import type { FastifyInstance, HTTPMethods, onRequestHookHandler } from 'fastify';
import { methodNotAllowed, type StatusError } from '../api/status.js';

/** The methods every path of the adapter serves. */
export const ALLOWED_METHODS = 'GET, HEAD';

function notAllowed(): StatusError {
  return methodNotAllowed('the server does not allow this method on the requested resource');
}

const reject: onRequestHookHandler = (_request, reply, done) => {
  void reply.header('allow', ALLOWED_METHODS);
  done(notAllowed());
};

/**
 * Answers every method but GET and HEAD on `url` with 405 MethodNotAllowed (and an `Allow` header).
 * NB: rejected in `onRequest`, before fastify reads or parses a request body.
 */
export function rejectOtherMethods(app: FastifyInstance, url: string): void {
  const methods = app.supportedMethods.filter(
    (method) => method !== 'GET' && method !== 'HEAD',
  ) as HTTPMethods[];
  app.route({ method: methods, url, onRequest: reject, handler: () => Promise.reject(notAllowed()) });
}
