/** What the providers need from Kubernetes. Implementations: standalone (built-in, no API) and, later, cluster. */
import type { Requirement } from '../api/label-selector.js';
import type { ResourceInfo, ResourceLookup } from '../api/resources.js';

/** Resource mapping (SPEC 8): normalizes names and knows each resource's scope. Answers from memory. */
export interface ResourceMapper extends ResourceLookup {
  /** Every known resource. */
  all(): readonly ResourceInfo[];
}

/** What a lister keeps of one object: enough to select it and to describe it in a resource-metrics answer. */
export interface ListedObject {
  name: string;
  /** "" for cluster-scoped objects. */
  namespace: string;
  labels: Readonly<Record<string, string>>;
  /** `status.phase` when the object has one (pods: `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`). */
  phase?: string;
}

/** Finds the objects a `*` request selects (SPEC 5.2) or a resource-metrics request covers (SPEC 5.4). */
export interface ObjectLister {
  /**
   * The names of the objects of `resource` in `namespace` (undefined for cluster scope) matching `selector`, or
   * `'any'` when this lister cannot list objects and the request selects all of them (standalone mode: every
   * object Prometheus knows is returned).
   * @throws StatusError (400 when the selector cannot be served, 503 when the API is unreachable)
   */
  listNames(
    resource: ResourceInfo,
    namespace: string | undefined,
    selector: readonly Requirement[],
    signal: AbortSignal,
  ): Promise<readonly string[] | 'any'>;

  /**
   * The objects of `resource` in `namespace` (undefined: all namespaces, or cluster scope) matching `selector`,
   * sorted by namespace then name, or `'any'` when this lister cannot list objects and the request selects all of
   * them (standalone mode).
   * @throws StatusError (400 when the selector cannot be served, 503 when the API is unreachable)
   */
  listObjects(
    resource: ResourceInfo,
    namespace: string | undefined,
    selector: readonly Requirement[],
    signal: AbortSignal,
  ): Promise<readonly ListedObject[] | 'any'>;
}

/** A failed Kubernetes API call. The message is for logs (it may name the URL; never a token). */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly kind: 'timeout' | 'aborted' | 'unreachable' | 'http' | 'bad_response',
    message: string,
    /** The HTTP status for `http` errors. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One event of a watch stream (`ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK`, `ERROR`). */
export interface WatchEvent {
  type: string;
  object: unknown;
}

/**
 * The Kubernetes API as the adapter uses it: JSON GET/POST and watches on raw paths. Every call has a timeout
 * (a watch: a connect timeout and an idle timeout) and goes through the client's rate limit. Calls reject with
 * KubeApiError.
 */
export interface KubeClient {
  getJson(path: string, options?: { query?: Record<string, string>; signal?: AbortSignal }): Promise<unknown>;
  postJson(path: string, body: unknown, options?: { signal?: AbortSignal }): Promise<unknown>;
  /**
   * Streams the watch at `path` (with `watch=true` and `query` added), calling `onEvent` per event, until the
   * server ends the stream (resolves), `signal` aborts (resolves), or it fails (rejects).
   */
  watch(
    path: string,
    query: Record<string, string>,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void>;
}
