/**
 * Fastify's per-request log lines, trimmed to one line per request at debug level. Errors are logged once by the
 * error handler (errors.ts), with the level their code deserves.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

export class RequestLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'reqId' });
  }

  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override defaultErrorLog(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const fields = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTime: reply.elapsedTime,
    };
    if (error) reply.log.warn({ ...fields, err: error }, 'response failed');
    else reply.log.debug(fields, 'request completed');
  }
}
