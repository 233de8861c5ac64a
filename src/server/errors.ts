/**
 * The one error handler and the one not-found handler (SPEC 5.5): every failure leaves as a `metav1.Status` body
 * with the matching HTTP code, never a framework default body. Internal detail goes to the log, not the client.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StatusError, internalError, notFound, type StatusReason } from '../api/status.js';

/** The message of every 500 whose cause is not a StatusError: the detail is in the log under the request id. */
export const INTERNAL_ERROR_MESSAGE = 'Internal error occurred: see the adapter log';

/** Kubernetes' wording for a path that no route serves. */
export const NOT_FOUND_MESSAGE = 'the server could not find the requested resource';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

const REASONS: ReadonlyMap<number, StatusReason> = new Map<number, StatusReason>([
  [400, 'BadRequest'],
  [401, 'Unauthorized'],
  [403, 'Forbidden'],
  [404, 'NotFound'],
  [405, 'MethodNotAllowed'],
  [406, 'NotAcceptable'],
  [408, 'Timeout'],
  [413, 'RequestEntityTooLarge'],
  [500, 'InternalError'],
  [503, 'ServiceUnavailable'],
  [504, 'Timeout'],
]);

/**
 * The Status reason Kubernetes uses for an HTTP code. NB: codes without a reason of their own in api/status.ts
 * (414, 415, 431, ...) are client errors, reported as BadRequest with their real code.
 */
export function reasonForCode(code: number): StatusReason {
  return REASONS.get(code) ?? (code >= 500 ? 'InternalError' : 'BadRequest');
}

function isFastifyClientError(error: unknown): error is FastifyError & { statusCode: number } {
  if (!(error instanceof Error)) return false;
  const statusCode = (error as Partial<FastifyError>).statusCode;
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
}

/**
 * Maps anything thrown during a request to the StatusError that is sent: StatusErrors as they are, fastify's own
 * client errors (validation, bad URL, media type, sizes) with their code and message, and everything else to a 500
 * with the generic message. Never throws.
 */
export function toStatusError(error: unknown): StatusError {
  if (error instanceof StatusError) return error;
  if (isFastifyClientError(error)) {
    const message = error.validation === undefined ? error.message : `invalid request: ${error.message}`;
    return new StatusError(error.statusCode, reasonForCode(error.statusCode), message, { cause: error });
  }
  return internalError(INTERNAL_ERROR_MESSAGE, error);
}

function logStatusError(log: FastifyBaseLogger, original: unknown, status: StatusError): void {
  const fields = { code: status.code, reason: status.reason };
  if (!(original instanceof StatusError) && status.code >= 500) {
    log.error({ ...fields, err: original }, 'internal error');
  } else if (status.code >= 500) {
    log.warn({ ...fields, err: status.cause ?? status }, status.message);
  } else {
    log.debug({ ...fields, err: status.cause }, status.message);
  }
}

/** Sends `error` as a Status body with its code, after logging it (see {@link toStatusError}). Never throws. */
export function replyWithError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const status = toStatusError(error);
  logStatusError(request.log, error, status);
  void reply.code(status.code).type(JSON_CONTENT_TYPE).send(JSON.stringify(status.toBody()));
}

/**
 * Installs the error handler and the not-found handler on the root instance; every plugin registered afterwards
 * inherits them. Call once, before registering routes.
 */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => replyWithError(error, request, reply));
  app.setNotFoundHandler((request, reply) => replyWithError(notFound(NOT_FOUND_MESSAGE), request, reply));
}

/** Errors fastify raises before routing (bad percent-encoding, too long a path segment): `frameworkErrors`. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  replyWithError(error, request, reply);
}

/** Builds a raw HTTP/1.1 response carrying a Status body, for errors raised before there is a request object. */
export function rawStatusResponse(status: StatusError): string {
  const body = JSON.stringify(status.toBody());
  return (
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? 'Error'}\r\n` +
    `Content-Type: ${JSON_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n` +
    body
  );
}

/** The Status answered when Node's HTTP parser rejects a request (`clientError`): timeouts, sizes, garbage. */
export function clientErrorStatus(error: Error & { code?: string }): StatusError {
  const [code, reason, message]: [number, StatusReason, string] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Timeout', 'the request was not received in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'BadRequest', 'the request line and headers are larger than the server accepts']
        : [400, 'BadRequest', 'the request is not valid HTTP'];
  return new StatusError(code, reason, message, { cause: error });
}

/**
 * Creates fastify's `clientErrorHandler`: answers parser-level errors with a Status body and closes the
 * connection. Connection resets are dropped silently (there is nobody to answer).
 */
export function createClientErrorHandler(
  getLog: () => FastifyBaseLogger,
): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const status = clientErrorStatus(error);
    getLog().debug({ err: error, code: status.code }, status.message);
    if (socket.writable) socket.write(rawStatusResponse(status));
    socket.destroy(error);
  };
}
