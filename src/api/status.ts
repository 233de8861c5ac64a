/** Kubernetes `metav1.Status` errors: the only error type the server turns into responses. */

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

/** The wire shape of `metav1.Status` (failure only). */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: StatusReason;
  code: number;
}

/**
 * An error that carries its HTTP code and Kubernetes reason. `message` is safe to send to clients; internal
 * detail belongs in `cause`, which is logged and never sent.
 */
export class StatusError extends Error {
  override readonly name = 'StatusError';
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toBody(): StatusBody {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
  }
}

/** 404 for a metric that no rule serves, or that has no value for the requested object(s). */
export function metricNotFound(metric: string, groupResource: string, name?: string): StatusError {
  const what = name === undefined ? groupResource : `${groupResource} ${name}`;
  return new StatusError(404, 'NotFound', `the server could not find the metric ${metric} for ${what}`);
}

export function notFound(message: string): StatusError {
  return new StatusError(404, 'NotFound', message);
}

export function badRequest(message: string, cause?: unknown): StatusError {
  return new StatusError(400, 'BadRequest', message, { cause });
}

export function methodNotAllowed(message: string): StatusError {
  return new StatusError(405, 'MethodNotAllowed', message);
}

/** 500 with a generic message; the detail stays in `cause` for the log. */
export function internalError(message: string, cause?: unknown): StatusError {
  return new StatusError(500, 'InternalError', message, { cause });
}

/** 503: a dependency (Prometheus, the Kubernetes API) is unreachable, failing or too slow. */
export function serviceUnavailable(message: string, cause?: unknown): StatusError {
  return new StatusError(503, 'ServiceUnavailable', message, { cause });
}
