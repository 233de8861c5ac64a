/** What TokenReview and SubjectAccessReview calls share: posting a review and turning failures into Status errors. */
import { StatusError, internalError, serviceUnavailable } from '../api/status.js';
import { KubeApiError, type KubeClient } from './contract.js';
import { isRecord } from './json.js';
import type { KubeLogger } from './kube-logger.js';

/** The strings of a JSON array; anything else is an empty list. */
export function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** `extra` as Kubernetes sends it (`map[string][]string`), ignoring anything of another shape. */
export function stringListMap(value: unknown): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  if (!isRecord(value)) return result;
  for (const [key, values] of Object.entries(value)) result[key] = stringArray(values);
  return result;
}

/** Whether a review failed because the Kubernetes API is unavailable (the 503 of {@link postReview}). */
export function isReviewUnavailable(error: unknown): boolean {
  return error instanceof StatusError && error.code === 503;
}

/**
 * POSTs a review object and returns the answer's `status`. Never logs the body (a TokenReview carries a token).
 * @throws StatusError 503 when the API is unreachable, times out or answers an error; 500 when the answer has no
 *   `status` object. The KubeApiError is the `cause`.
 */
export async function postReview(
  kube: KubeClient,
  path: string,
  body: unknown,
  what: 'TokenReview' | 'SubjectAccessReview',
  logger: KubeLogger,
): Promise<Record<string, unknown>> {
  const purpose = what === 'TokenReview' ? 'authenticate' : 'authorize';
  let answer: unknown;
  try {
    answer = await kube.postJson(path, body);
  } catch (error) {
    if (error instanceof StatusError) throw error;
    const forbidden = error instanceof KubeApiError && error.kind === 'http' && error.status === 403;
    logger.warn(
      {
        err: error,
        ...(forbidden
          ? {
              hint:
                "bind the ClusterRole system:auth-delegator to the adapter's service account so that it may " +
                'create TokenReviews and SubjectAccessReviews',
            }
          : {}),
      },
      `${what} failed`,
    );
    throw serviceUnavailable(
      `cannot ${purpose} the request: the Kubernetes ${what} API is unavailable`,
      error,
    );
  }
  if (!isRecord(answer) || !isRecord(answer.status)) {
    const error = new KubeApiError('bad_response', `the ${what} answer has no status`);
    logger.error({ err: error }, `${what} failed`);
    throw internalError(`cannot ${purpose} the request: unexpected ${what} answer`, error);
  }
  return answer.status;
}
