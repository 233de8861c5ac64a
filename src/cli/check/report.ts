/** Formats a `check` report as readable text or as a stable JSON document. Pure. */
import { formatPromDuration } from '../../rules/promql-ranges.js';
import type { Discovery, RuleDiscovery } from './discover.js';
import type { Finding } from './lint.js';

export interface CheckReport {
  /** The rules file as given on the command line. */
  readonly config: string;
  /** Rule counts, when the file's structure is valid. */
  readonly counts?: {
    readonly rules: number;
    readonly externalRules: number;
    readonly resourceRules: boolean;
  };
  readonly scrapeIntervalMs: number;
  readonly maxAgeMs: number;
  readonly strict: boolean;
  /** Sorted. */
  readonly findings: readonly Finding[];
  /** With `--prometheus-url`. */
  readonly prometheusUrl?: string;
  /** With `--prometheus-url`, when the rules compiled. */
  readonly discovery?: Discovery;
  readonly exitCode: number;
}

/** The JSON document's version: bumped when a field changes meaning or goes away (additions keep it). */
export const REPORT_VERSION = 1;

const RESOURCE_MAPPING =
  'standalone: the built-in table of common Kubernetes resources (no Kubernetes API is contacted, so custom ' +
  'resources are unknown)';

export function formatText(report: CheckReport): string {
  const lines: string[] = [];
  const counts = report.counts;
  lines.push(`Checking ${report.config}`);
  if (counts !== undefined) {
    lines.push(
      `  rules: ${counts.rules} custom, ${counts.externalRules} external, ` +
        `resourceRules: ${counts.resourceRules ? 'yes' : 'no'}`,
    );
  }
  lines.push(`  resource mapping: ${RESOURCE_MAPPING}`);
  lines.push(
    `  scrape interval (assumed, --scrape-interval): ${formatPromDuration(report.scrapeIntervalMs)}; ` +
      `--metrics-max-age: ${formatPromDuration(report.maxAgeMs)}`,
  );
  lines.push('');
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.length - errors;
  if (report.findings.length === 0) lines.push('Findings: none');
  else {
    lines.push(`Findings: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`);
    for (const f of report.findings) {
      const location = f.line === undefined ? report.config : `${report.config}:${f.line}:${f.column ?? 1}`;
      const head = f.path.startsWith('--') ? f.path : f.path === '' ? location : `${f.path} (${location})`;
      lines.push(`  ${f.severity.padEnd(7)} ${head} [${f.code}]`);
      lines.push(`          ${f.message}`);
    }
  }
  if (report.prometheusUrl !== undefined) {
    lines.push('');
    lines.push(
      `Discovery: Prometheus ${report.prometheusUrl}, series seen in the last ` +
        `${formatPromDuration(report.maxAgeMs)} (--metrics-max-age)`,
    );
    if (report.discovery === undefined) lines.push('  skipped: the rules file does not load');
    else formatDiscovery(report.discovery, lines);
  }
  lines.push('');
  const served =
    report.discovery === undefined
      ? ''
      : `; would serve ${plural(report.discovery.customMetrics, 'custom metric')} and ` +
        `${plural(report.discovery.externalMetrics, 'external metric')}`;
  lines.push(
    `Result: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}${served}; exit code ${report.exitCode}` +
      (report.strict ? ' (--strict: warnings fail)' : ''),
  );
  return `${lines.join('\n')}\n`;
}

function formatDiscovery(discovery: Discovery, lines: string[]): void {
  for (const rule of discovery.rules) {
    lines.push('');
    formatRule(rule, lines);
  }
  lines.push('');
  if (discovery.conflicts.length === 0) lines.push('Conflicts: none');
  else {
    lines.push(`Conflicts: ${discovery.conflicts.length} (the last rule listed serves the metric)`);
    const width = Math.max(...discovery.conflicts.map((c) => c.name.length));
    for (const c of discovery.conflicts) {
      const kind = c.kind === 'external' ? 'external ' : '';
      lines.push(`  ${kind}${c.name.padEnd(width)}  ${c.rules.join(', ')}`);
    }
  }
}

function formatRule(rule: RuleDiscovery, lines: string[]): void {
  lines.push(`${rule.id}: ${rule.seriesQuery}`);
  if (rule.error !== undefined) {
    lines.push(`  seriesQuery failed: ${rule.error}`);
    return;
  }
  lines.push(`  series: ${rule.series} (${plural(rule.seriesNames, 'name')})`);
  if (rule.metrics.length === 0) lines.push('  metrics: none');
  else {
    lines.push(`  metrics: ${rule.metrics.length}`);
    const width = Math.max(...rule.metrics.map((m) => m.name.length));
    for (const m of rule.metrics) {
      const scope = m.namespaced ? 'namespaced    ' : 'cluster-scoped';
      const overridden = m.overriddenBy === undefined ? '' : `  (overridden by ${m.overriddenBy})`;
      lines.push(`    ${m.name.padEnd(width)}  ${scope}  from ${m.seriesName}${overridden}`);
    }
  }
  if (rule.rejected.length === 0) {
    lines.push('  rejected: none');
    return;
  }
  const names = rule.rejected.reduce((n, g) => n + g.seriesNames, 0);
  const series = rule.rejected.reduce((n, g) => n + g.series, 0);
  lines.push(`  rejected: ${plural(names, 'series name')} (${series} series)`);
  for (const group of rule.rejected) {
    lines.push(`    ${group.reason}: ${plural(group.seriesNames, 'name')} (${group.series} series)`);
    const more = group.seriesNames - group.examples.length;
    lines.push(`      e.g. ${group.examples.join(', ')}${more > 0 ? `, and ${more} more` : ''}`);
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A stable JSON document: fixed key order, absent values as null, every list sorted. */
export function formatJson(report: CheckReport): string {
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const document = {
    version: REPORT_VERSION,
    config: report.config,
    ruleCounts: report.counts === undefined ? null : report.counts,
    resourceMapping: 'standalone',
    scrapeInterval: formatPromDuration(report.scrapeIntervalMs),
    metricsMaxAge: formatPromDuration(report.maxAgeMs),
    strict: report.strict,
    findings: report.findings.map((f) => ({
      severity: f.severity,
      code: f.code,
      rule: f.rule ?? null,
      ruleIndex: f.ruleIndex ?? null,
      path: f.path,
      line: f.line ?? null,
      column: f.column ?? null,
      message: f.message,
    })),
    discovery:
      report.prometheusUrl === undefined
        ? null
        : {
            prometheusUrl: report.prometheusUrl,
            rules:
              report.discovery?.rules.map((r) => ({
                id: r.id,
                kind: r.kind,
                seriesQuery: r.seriesQuery,
                error: r.error ?? null,
                series: r.series,
                seriesNames: r.seriesNames,
                metrics: r.metrics.map((m) => ({
                  name: m.name,
                  metric: m.metric,
                  resource: m.resource ?? null,
                  namespaced: m.namespaced,
                  seriesName: m.seriesName,
                  overriddenBy: m.overriddenBy ?? null,
                })),
                rejected: r.rejected.map((g) => ({
                  reason: g.reason,
                  seriesNames: g.seriesNames,
                  series: g.series,
                  examples: g.examples,
                })),
              })) ?? null,
            conflicts:
              report.discovery?.conflicts.map((c) => ({ name: c.name, kind: c.kind, rules: c.rules })) ??
              null,
            customMetrics: report.discovery?.customMetrics ?? null,
            externalMetrics: report.discovery?.externalMetrics ?? null,
          },
    summary: { errors, warnings: report.findings.length - errors, exitCode: report.exitCode },
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
