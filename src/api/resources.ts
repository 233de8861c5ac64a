/** Kubernetes resources as the adapter needs them, and the lookup that normalizes user-written names. */

/** A resolved API resource (one entry of a discovery APIResourceList, with its group-version). */
export interface ResourceInfo {
  /** "" for the core group. */
  group: string;
  version: string;
  /** Plural, lower-case: `pods`, `deployments`. */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
}

/**
 * Normalizes resource names the way kubectl and upstream do: `pods`, `pod`, `Pod`, `deployments.apps`,
 * `deployment.apps`, or a name plus an explicit group. Implementations answer from memory and never throw.
 */
export interface ResourceLookup {
  /** `group` undefined means "any group, preferring core"; `""` means the core group only. */
  lookup(resource: string, group?: string): ResourceInfo | undefined;
}

/** `pods` for core resources, `deployments.apps` otherwise: the group-resource string used in paths and messages. */
export function groupResourceString(r: { group: string; resource: string }): string {
  return r.group === '' ? r.resource : `${r.resource}.${r.group}`;
}

/** `describedObject.apiVersion`: `group/version`, so `/v1` for core kinds (SPEC 5.2). */
export function apiVersionOf(r: ResourceInfo): string {
  return `${r.group}/${r.version}`;
}
