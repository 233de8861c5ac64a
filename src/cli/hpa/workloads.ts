/**
 * The scale targets in manifest files (Deployments, StatefulSets, ReplicaSets, ReplicationControllers): their pod
 * selector as the HPA sends it, and their replicas.
 */
import { ManifestError, locate, type SourceDocument } from './documents.js';
import { check, isObject, LABEL_SELECTOR, SchemaError } from './schema.js';
import { labelSelectorString, type ManifestLabelSelector } from './selector.js';

/** A workload manifest that can be an HPA's scale target. */
export interface Workload {
  kind: string;
  name: string;
  namespace?: string;
  selector: string;
  replicas?: number;
  where: string;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']);

/** Throws a ManifestError for a malformed or empty selector. */
export function findWorkloads(docs: readonly SourceDocument[]): Workload[] {
  const workloads: Workload[] = [];
  for (const doc of docs) {
    const v = doc.value;
    if (!isObject(v) || typeof v.kind !== 'string' || !WORKLOAD_KINDS.has(v.kind)) continue;
    const metadata = isObject(v.metadata) ? v.metadata : {};
    const spec = isObject(v.spec) ? v.spec : {};
    if (typeof metadata.name !== 'string') continue;
    const where = `${doc.source}: document ${doc.index}`;
    let selector: string;
    try {
      if (v.kind === 'ReplicationController') {
        const labels = check(spec.selector ?? {}, { kind: 'map', of: { kind: 'string' } }, [
          'spec',
          'selector',
        ]);
        selector = labelSelectorString({ matchLabels: labels as Record<string, string> });
      } else {
        const checked = check(spec.selector ?? {}, LABEL_SELECTOR, ['spec', 'selector']);
        selector = labelSelectorString(checked as ManifestLabelSelector);
      }
    } catch (e) {
      if (e instanceof SchemaError) throw locate(doc, e);
      throw new ManifestError(`${where}: spec.selector: ${(e as Error).message}`, { cause: e });
    }
    if (selector === '')
      throw new ManifestError(`${where}: ${v.kind} ${metadata.name} has an empty spec.selector`);
    workloads.push({
      kind: v.kind,
      name: metadata.name,
      ...(typeof metadata.namespace === 'string' ? { namespace: metadata.namespace } : {}),
      selector,
      ...(typeof spec.replicas === 'number' && Number.isInteger(spec.replicas)
        ? { replicas: spec.replicas }
        : {}),
      where,
    });
  }
  return workloads;
}
