import { internalError, serviceUnavailable, StatusError } from '../api/status.js';
import { PrometheusError } from '../prometheus/client.js';

/**
 * Maps a failed Prometheus query for `metric` to the StatusError the client sees (SPEC 5.5): 503 when Prometheus
 * is unreachable, failing or too slow, 500 when it rejects the query or answers something unusable. The message is
 * short and safe to send (no URL, no query, no token); the detail stays in `cause` for the log. A StatusError is
 * returned unchanged. Never throws.
 */
export function prometheusFailure(metric: string, e: unknown): StatusError {
  if (e instanceof StatusError) return e;
  if (e instanceof PrometheusError) {
    switch (e.kind) {
      case 'timeout':
        return serviceUnavailable(`timed out fetching the metric ${metric} from Prometheus`, e);
      case 'aborted':
        return serviceUnavailable(`the request for the metric ${metric} was cancelled`, e);
      case 'unreachable':
      case 'http':
        return serviceUnavailable(`unable to fetch the metric ${metric} from Prometheus`, e);
      case 'query':
        return internalError(
          `Prometheus rejected the query for the metric ${metric}; see the adapter log`,
          e,
        );
      case 'bad_response':
        return internalError(`Prometheus gave an unusable answer for the metric ${metric}`, e);
    }
  }
  return internalError(`unable to fetch the metric ${metric}`, e);
}
