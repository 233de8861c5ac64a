/**
 * `hpa preview` for one HPA: reads each metric's current value through a MetricReader, proposes replicas per
 * metric and decides as the HPA controller would (replica-calculator.ts). No output formatting here.
 */
import type { JsonObject } from './schema.js';
import type { MetricReader, ObjectReference } from './metric-reader.js';
import { formatMilli, milliValue, parseQuantity } from '../../api/quantity.js';
import {
  decide,
  proposeReplicas,
  type Decision,
  type DecisionInput,
  type MetricInput,
  type MetricProposal,
} from './replica-calculator.js';
import { labelSelectorString, type ManifestLabelSelector } from './selector.js';

/** A value and where it came from (a flag, a manifest, a default), for the report. */
export interface Sourced<T> {
  value: T;
  source: string;
}

export interface PreviewInput {
  /** The HPA as autoscaling/v2 (converted when it was older). */
  hpa: JsonObject;
  /** The apiVersion it was written in. */
  from: string;
  namespace: string;
  podSelector: Sourced<string> | undefined;
  currentReplicas: Sourced<number>;
  tolerance: number;
}

export interface MetricRow {
  type: string;
  /** The metric name (Pods, Object, External) or the resource name (Resource, ContainerResource). */
  name: string;
  /** Object metrics: `Kind/name` of the described object. */
  describedObject?: string;
  /** Selector text of `metric.selector`, when set. */
  metricSelector?: string;
  target: { type: string; value?: string; averageValue?: string; averageUtilization?: number };
  /** The current value as the HPA reports it (the pods' average for Pods metrics, per pod for AverageValue). */
  current?: string;
  /** Per pod milli-values for Pods metrics, in the order read. */
  pods?: Array<{ pod: string; value: string }>;
  /** Current replicas that had no value (Pods metrics). */
  missingPods?: number;
  ratio?: number;
  withinTolerance?: boolean;
  proposedReplicas?: number;
  /** Why there is no proposal (the read or the metric spec failed). */
  error?: string;
  /** Why the metric was not previewed at all (left out of the decision). */
  skipped?: string;
}

export interface PreviewResult {
  namespace: string;
  name: string;
  from: string;
  scaleTargetRef: ObjectReference;
  podSelector: Sourced<string> | undefined;
  podSelectorApplied: boolean;
  currentReplicas: Sourced<number>;
  minReplicas: number;
  maxReplicas: number;
  metrics: MetricRow[];
  decision: Decision;
  /** Index into `metrics` of the winning metric. */
  winner: number | undefined;
  notes: string[];
}

interface MetricTarget {
  type: string;
  value?: string;
  averageValue?: string;
  averageUtilization?: number;
}
interface MetricIdentifier {
  name: string;
  selector?: ManifestLabelSelector;
}
interface MetricSpec {
  type: string;
  pods?: { metric: MetricIdentifier; target: MetricTarget };
  object?: { describedObject: ObjectReference; metric: MetricIdentifier; target: MetricTarget };
  external?: { metric: MetricIdentifier; target: MetricTarget };
  resource?: { name: string; target: MetricTarget };
  containerResource?: { name: string; container: string; target: MetricTarget };
}
interface HpaSpec {
  scaleTargetRef: ObjectReference;
  minReplicas?: number;
  maxReplicas: number;
  metrics?: MetricSpec[];
  behavior?: DecisionInput['behavior'];
}

/** Previews one HPA. Never rejects for a metric that cannot be read: that metric's row carries the error. */
export async function previewHpa(input: PreviewInput, reader: MetricReader): Promise<PreviewResult> {
  const metadata = (input.hpa.metadata ?? {}) as { name?: string };
  const spec = input.hpa.spec as HpaSpec;
  const current = input.currentReplicas.value;
  const notes: string[] = [];
  const podSelector = input.podSelector?.value ?? '';
  const rows: MetricRow[] = [];
  const proposals: Array<{ row: number; proposal: { replicas: number } | { error: string } }> = [];
  const ctx = { currentReplicas: current, readyPods: current, tolerance: input.tolerance };

  for (const metric of spec.metrics ?? []) {
    const row = describeMetric(metric);
    rows.push(row);
    if (row.skipped !== undefined) continue;
    try {
      const measured = await measure(metric, row, input, reader, podSelector);
      const proposal: MetricProposal = proposeReplicas(measured, ctx);
      row.current = formatMilli(proposal.usageMilli);
      row.ratio = proposal.ratio;
      row.withinTolerance = proposal.withinTolerance;
      row.proposedReplicas = proposal.replicas;
      proposals.push({ row: rows.length - 1, proposal: { replicas: proposal.replicas } });
    } catch (e) {
      row.error = (e as Error).message;
      proposals.push({ row: rows.length - 1, proposal: { error: row.error } });
    }
  }
  if ((spec.metrics ?? []).length === 0) {
    notes.push(
      'the HPA has no metrics: the API server defaults them to 80% CPU utilization, which is not previewed',
    );
  }

  const decision = decide({
    currentReplicas: current,
    ...(spec.minReplicas === undefined ? {} : { minReplicas: spec.minReplicas }),
    maxReplicas: spec.maxReplicas,
    ...(spec.behavior === undefined ? {} : { behavior: spec.behavior }),
    proposals: proposals.map((p) => p.proposal),
  });
  const winner = decision.winner === undefined ? undefined : proposals[decision.winner]?.row;
  if (decision.desiredReplicas !== undefined && decision.desiredReplicas < current) {
    notes.push(
      `a running HPA scales down only after every proposal of its scale-down stabilization window ` +
        `(default 5m) is this low`,
    );
  }
  return {
    namespace: input.namespace,
    name: metadata.name ?? '(unnamed)',
    from: input.from,
    scaleTargetRef: spec.scaleTargetRef,
    podSelector: input.podSelector,
    podSelectorApplied: reader.appliesPodSelector,
    currentReplicas: input.currentReplicas,
    minReplicas: spec.minReplicas ?? 1,
    maxReplicas: spec.maxReplicas,
    metrics: rows,
    decision,
    winner,
    notes,
  };
}

function describeMetric(metric: MetricSpec): MetricRow {
  switch (metric.type) {
    case 'Pods':
      return { type: 'Pods', name: metric.pods!.metric.name, target: { ...metric.pods!.target } };
    case 'Object': {
      const o = metric.object!;
      return {
        type: 'Object',
        name: o.metric.name,
        describedObject: `${o.describedObject.kind}/${o.describedObject.name}`,
        target: { ...o.target },
      };
    }
    case 'External':
      return { type: 'External', name: metric.external!.metric.name, target: { ...metric.external!.target } };
    case 'Resource':
    case 'ContainerResource': {
      const r = metric.type === 'Resource' ? metric.resource! : metric.containerResource!;
      return {
        type: metric.type,
        name: r.name,
        target: { ...r.target },
        skipped: "resource metrics need the pods' resource requests and metrics.k8s.io from the cluster",
      };
    }
    default:
      return {
        type: metric.type,
        name: '?',
        target: { type: '?' },
        skipped: `unknown metric type ${metric.type}`,
      };
  }
}

const milliOf = (quantity: string) => milliValue(parseQuantity(quantity));

/** Reads the metric and builds the calculator's input, as computeStatusFor{Pods,Object,External}Metric do. */
async function measure(
  metric: MetricSpec,
  row: MetricRow,
  input: PreviewInput,
  reader: MetricReader,
  podSelector: string,
): Promise<MetricInput> {
  const { namespace } = input;
  const identifier = (metric.pods ?? metric.object ?? metric.external)?.metric;
  const metricSelector = labelSelectorString(identifier?.selector);
  if (identifier?.selector !== undefined) row.metricSelector = metricSelector;
  switch (metric.type) {
    case 'Pods': {
      const { target } = metric.pods!;
      if (target.averageValue === undefined) throw new Error('a Pods metric needs target.averageValue');
      const values = await reader.podsMetric({ namespace, metric: row.name, metricSelector, podSelector });
      row.pods = values.map((v) => ({ pod: v.pod, value: formatMilli(v.milli) }));
      const missingPods = Math.max(0, input.currentReplicas.value - values.length);
      if (missingPods > 0) row.missingPods = missingPods;
      return {
        kind: 'Pods',
        values: values.map((v) => v.milli),
        missingPods,
        targetAverageMilli: milliOf(target.averageValue),
      };
    }
    case 'Object': {
      const { target, describedObject } = metric.object!;
      const read = async () => [
        await reader.objectMetric({ namespace, object: describedObject, metric: row.name, metricSelector }),
      ];
      if (target.type === 'Value' && target.value !== undefined) {
        return { kind: 'ObjectValue', values: await read(), targetMilli: milliOf(target.value) };
      }
      if (target.type === 'AverageValue' && target.averageValue !== undefined) {
        return {
          kind: 'ObjectAverageValue',
          values: await read(),
          targetAverageMilli: milliOf(target.averageValue),
        };
      }
      throw new Error(
        'invalid object metric source: neither a value target nor an average value target was set',
      );
    }
    case 'External': {
      const { target } = metric.external!;
      const read = () => reader.externalMetric({ namespace, metric: row.name, metricSelector });
      // NB: the controller looks at averageValue first, whatever target.type says.
      if (target.averageValue !== undefined) {
        return {
          kind: 'ExternalAverageValue',
          values: await read(),
          targetAverageMilli: milliOf(target.averageValue),
        };
      }
      if (target.value !== undefined) {
        return { kind: 'ExternalValue', values: await read(), targetMilli: milliOf(target.value) };
      }
      throw new Error(
        'invalid external metric source: neither a value target nor an average value target was set',
      );
    }
    default:
      throw new Error(`metric type ${metric.type} is not previewed`);
  }
}
