/** What the providers need from Kubernetes. Implementations: standalone (built-in, no API) and, later, cluster. */
import type { Requirement } from '../api/label-selector.js';
import type { ResourceInfo, ResourceLookup } from '../api/resources.js';

/** Resource mapping (SPEC 8): normalizes names and knows each resource's scope. Answers from memory. */
export interface ResourceMapper extends ResourceLookup {
  /** Every known resource. */
  all(): readonly ResourceInfo[];
}

/** Finds the objects a `*` request selects (SPEC 5.2). */
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
}
