/** `hpa preview` output: a readable report per HPA, or JSON. Stable: no times, URLs or colours. */
import type { MetricRow, PreviewResult } from './preview.js';

/** The report of every HPA, separated by blank lines. */
export function formatPreviewText(results: readonly PreviewResult[]): string {
  return results.map(formatOne).join('\n');
}

/** `{"hpas": [...]}` with every field of the results, pretty-printed. */
export function formatPreviewJson(results: readonly PreviewResult[]): string {
  return `${JSON.stringify({ hpas: results }, null, 2)}\n`;
}

function formatOne(r: PreviewResult): string {
  const lines: string[] = [];
  const sourced = (s: { value: string | number; source: string } | undefined) =>
    s === undefined ? '(none)' : `${s.value === '' ? '(everything)' : s.value} (${s.source})`;
  lines.push(`HorizontalPodAutoscaler ${r.namespace}/${r.name} (${r.from})`);
  lines.push(`  scale target:      ${r.scaleTargetRef.kind}/${r.scaleTargetRef.name}`);
  lines.push(`  pod selector:      ${sourced(r.podSelector)}`);
  lines.push(`  current replicas:  ${sourced(r.currentReplicas)}`);
  lines.push(`  min/max replicas:  ${r.minReplicas}/${r.maxReplicas}`);
  lines.push('');

  const header = ['METRIC', 'TYPE', 'CURRENT', 'TARGET', 'RATIO', 'PROPOSED', ''];
  const rows = r.metrics.map((m, i) => [
    metricLabel(m),
    m.type,
    m.current ?? '-',
    targetLabel(m.target),
    m.ratio === undefined ? '-' : String(Number(m.ratio.toPrecision(3))),
    m.skipped !== undefined ? 'skipped' : m.error !== undefined ? 'error' : String(m.proposedReplicas),
    i === r.winner ? '<- wins' : '',
  ]);
  lines.push(...table([header, ...rows]).map((l) => `  ${l}`));

  const details: string[] = [];
  for (const m of r.metrics) {
    if (m.skipped !== undefined) details.push(`${m.name}: not previewed: ${m.skipped}`);
    if (m.error !== undefined) details.push(`${m.name}: ${m.error}`);
    if (m.pods !== undefined) {
      details.push(`${m.name}: ${m.pods.map((p) => `${p.pod}=${p.value}`).join(' ')}`);
    }
    if (m.missingPods !== undefined) {
      details.push(
        `${m.name}: ${m.missingPods} current replica(s) without a value, counted as at target when scaling down ` +
          'and as 0 when scaling up',
      );
    }
  }
  if (details.length > 0) lines.push('', ...details.map((d) => `  ${d}`));

  const d = r.decision;
  lines.push('');
  lines.push(
    `  desired replicas:  ${d.desiredReplicas === undefined ? 'unchanged (the HPA would not act)' : d.desiredReplicas}`,
  );
  const winner = r.winner === undefined ? undefined : r.metrics[r.winner];
  if (winner !== undefined)
    lines.push(`  winning metric:    ${metricLabel(winner)} (proposes ${d.metricsProposal})`);
  lines.push(`  reason:            ${d.reason}: ${d.message}`);
  for (const note of r.notes) lines.push(`  note: ${note}`);
  return `${lines.join('\n')}\n`;
}

function metricLabel(m: MetricRow): string {
  const selector = m.metricSelector === undefined ? '' : `{${m.metricSelector}}`;
  const object = m.describedObject === undefined ? '' : ` on ${m.describedObject}`;
  return `${m.name}${selector}${object}`;
}

function targetLabel(t: MetricRow['target']): string {
  switch (t.type) {
    case 'Value':
      return `${t.value ?? '?'} (value)`;
    case 'AverageValue':
      return `${t.averageValue ?? '?'} (average)`;
    case 'Utilization':
      return `${t.averageUtilization ?? '?'}% (utilization)`;
    default:
      return t.type;
  }
}

/** Left-aligned columns two spaces apart, trailing spaces trimmed. */
function table(rows: readonly string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  );
}
