/**
 * What `explain` found, as one JSON-ready object, and its text rendering: the parsed request, the rule (or why
 * there is none), the PromQL sent, Prometheus's answer and the response body.
 */
import type {
  DiscoveryRuleConfig,
  ResourceMappingConfig,
  ResourceRuleConfig,
  SeriesFilter,
} from '../../rules/config.js';
import type { NearMisses, ServedAt } from './near-misses.js';

/** A selector parameter as given, and what the route makes of it. */
export interface SelectorSummary {
  text: string;
  /** The canonical form of the parsed requirements (empty when the text selects everything). */
  parsed?: string;
  /** Why the route refuses it (the message of its 400). */
  error?: string;
}

export interface RequestSummary {
  api: 'custom' | 'external' | 'resource';
  groupVersion: string;
  /** Custom and resource metrics: the resource as written in the path. */
  resource?: string;
  /** What the resource mapping made of `resource`; null when it does not know it. */
  resolvedResource?: {
    group: string;
    version: string;
    resource: string;
    kind: string;
    namespaced: boolean;
  } | null;
  namespace?: string;
  /** The object asked for; `*` for every object that `labelSelector` selects. */
  name?: string;
  metric?: string;
  labelSelector?: SelectorSummary;
  metricLabelSelector?: SelectorSummary;
  fieldSelector?: string;
}

/** The rule serving a custom or external metric, as written in the rules file. */
export interface DiscoveryRuleSummary {
  kind: 'custom' | 'external';
  /** YAML path: `rules[0]`, `externalRules[2]`. */
  id: string;
  index: number;
  file: string;
  line?: number;
  seriesQuery: string;
  seriesFilters?: SeriesFilter[];
  name?: DiscoveryRuleConfig['name'];
  resources?: ResourceMappingConfig;
  metricsQuery: string;
  /** The Prometheus series the metric is read from. */
  seriesName: string;
}

/** The resourceRules serving metrics.k8s.io. */
export interface ResourceRulesSummary {
  kind: 'resource';
  id: 'resourceRules';
  file: string;
  line?: number;
  window?: string;
  cpu: ResourceRuleConfig;
  memory: ResourceRuleConfig;
}

export type RuleSummary = DiscoveryRuleSummary | ResourceRulesSummary;

export interface SampleSummary {
  labels: Record<string, string>;
  /** As Prometheus writes it: `3.5`, `NaN`, `+Inf`. */
  value: string;
  timestamp: string;
}

export interface QuerySummary {
  promql: string;
  /** The id of the rule whose query this is. */
  rule?: string;
  /** The evaluation time asked for; absent: now. */
  time?: string;
  result?:
    { type: 'vector'; samples: SampleSummary[] } | { type: 'scalar'; value: string; timestamp: string };
  error?: string;
}

export interface Explanation {
  /** The API path as given. */
  path: string;
  prometheus: string;
  request: RequestSummary;
  relist: {
    seriesQueries: number;
    series: number;
    failures: Array<{ seriesQuery: string; error: string }>;
  };
  rule: RuleSummary | null;
  /** Set when no rule serves the request: why, and the near misses of a metric not in the registry. */
  notServed?: { reason: string; nearMisses?: NearMisses };
  /** Every query the adapter sent while answering, in order. */
  queries: QuerySummary[];
  /** What the HPA (or any client) gets: the HTTP status and the exact body. */
  response: { status: number; body: unknown };
  exitCode: 0 | 1;
}

/** `3.5`, `NaN`, `+Inf`, `-Inf`, as Prometheus writes sample values. */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** `name{a="1",b="2"}` with label names sorted; `{}` for no labels. */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  const { __name__: name, ...rest } = labels;
  const pairs = Object.keys(rest)
    .sort()
    .map((k) => `${k}=${JSON.stringify(rest[k])}`);
  return `${name ?? ''}{${pairs.join(',')}}`;
}

/** Key-value lines with the values aligned. */
function table(rows: ReadonlyArray<readonly [string, string]>, indent = '  '): string[] {
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `${indent}${k.padEnd(width)}${v}`.trimEnd());
}

function selectorText(s: SelectorSummary | undefined): string {
  if (s === undefined || s.text === '') return 'none';
  if (s.error !== undefined) return `${JSON.stringify(s.text)}: invalid: ${s.error}`;
  return s.parsed === undefined || s.parsed === s.text ? s.text : `${s.text} (parsed: ${s.parsed})`;
}

function requestSection(e: Explanation): string[] {
  const r = e.request;
  const rows: Array<[string, string]> = [
    ['path', e.path],
    ['API', r.groupVersion],
  ];
  if (r.resource !== undefined) {
    const res = r.resolvedResource;
    rows.push([
      'resource',
      res === undefined
        ? r.resource
        : res === null
          ? `${r.resource} (not a resource the adapter knows)`
          : `${res.resource} (kind ${res.kind}, ${res.group === '' ? '' : `${res.group}/`}${res.version}, ` +
            `${res.namespaced ? 'namespaced' : 'cluster-scoped'})`,
    ]);
  }
  rows.push(['namespace', r.namespace ?? (r.api === 'external' ? '' : 'none (cluster scope)')]);
  if (r.api === 'custom') {
    rows.push([
      'object',
      r.name === '*'
        ? `* (every object selected by labelSelector: ${selectorText(r.labelSelector)})`
        : r.name!,
    ]);
    rows.push(['metric', r.metric!]);
    rows.push(['metricLabelSelector', selectorText(r.metricLabelSelector)]);
  } else if (r.api === 'external') {
    rows.push(['metric', r.metric!]);
    rows.push(['labelSelector', `${selectorText(r.labelSelector)} (selects samples)`]);
  } else {
    const singular = r.resolvedResource === null ? undefined : r.resolvedResource?.kind.toLowerCase();
    rows.push(['object', r.name ?? `every ${singular ?? r.resource ?? 'object'}`]);
    rows.push(['labelSelector', selectorText(r.labelSelector)]);
    if (r.fieldSelector !== undefined) rows.push(['fieldSelector', r.fieldSelector]);
  }
  return ['Request', ...table(rows)];
}

function mappingText(resources: ResourceMappingConfig | undefined): string {
  if (resources === undefined) return 'none';
  const parts: string[] = [];
  const overrides = Object.entries(resources.overrides ?? {});
  if (overrides.length > 0) {
    parts.push(
      `overrides ${overrides
        .map(([label, ref]) => `${label} → ${ref.group === undefined ? '' : `${ref.group}/`}${ref.resource}`)
        .join(', ')}`,
    );
  }
  if (resources.template !== undefined) parts.push(`template ${resources.template}`);
  if (resources.namespaced !== undefined) parts.push(`namespaced: ${String(resources.namespaced)}`);
  return parts.length === 0 ? 'none' : parts.join('; ');
}

function servedAtText(at: readonly ServedAt[]): string {
  return at
    .map((a) =>
      a.api === 'external'
        ? 'external.metrics.k8s.io'
        : `${a.resource}${a.namespaced ? '' : ' (cluster-scoped)'}`,
    )
    .join(', ');
}

function nearMissLines(m: NearMisses): string[] {
  const list = (title: string, lines: string[]) => [
    `    ${title}:${lines.length === 0 ? ' none' : ''}`,
    ...lines.map((l) => `      ${l}`),
  ];
  const lines: string[] = ['  near misses:'];
  if (m.unknownResource !== undefined) {
    const similar = m.unknownResource.similar;
    lines.push(
      `    unknown resource ${m.unknownResource.resource}` +
        (similar.length === 0 ? '' : `; did you mean ${similar.join(', ')}?`),
    );
  }
  lines.push(
    ...list('same name, served elsewhere', m.sameName.length === 0 ? [] : [servedAtText(m.sameName)]),
    ...list(
      'similar names',
      m.similarNames.map((s) => `${s.metric} (edit distance ${s.distance}): ${servedAtText(s.servedAt)}`),
    ),
    ...list(
      'series of this name served under another',
      m.seriesNamed.map((s) => `${s.seriesName} is served as ${s.servedAs} by ${s.rule}`),
    ),
    ...list(
      'rules whose seriesQuery matched no series',
      m.emptySeriesQueries.map(
        (s) => `${s.rule}: ${s.seriesQuery}${s.error === undefined ? '' : ' (the series call failed)'}`,
      ),
    ),
    ...list(
      'series rejected for this name',
      m.rejectedSeries.map((s) => `${s.seriesName} (${s.rule}): ${s.reason}`),
    ),
  );
  return lines;
}

function ruleSection(e: Explanation): string[] {
  const lines = ['Rule'];
  const relist = e.relist;
  lines.push(
    `  relist: ${relist.seriesQueries} seriesQueries, ${relist.series} series from ${e.prometheus}` +
      (relist.failures.length === 0 ? '' : `, ${relist.failures.length} failed`),
  );
  for (const f of relist.failures) lines.push(`    failed: ${f.seriesQuery}: ${f.error}`);
  const rule = e.rule;
  if (rule === null) {
    lines.push(`  none: ${e.notServed?.reason ?? 'no rule serves this request'}`);
    if (e.notServed?.nearMisses !== undefined) lines.push(...nearMissLines(e.notServed.nearMisses));
    return lines;
  }
  const where = `${rule.file}${rule.line === undefined ? '' : `, line ${rule.line}`}`;
  if (rule.kind === 'resource') {
    lines.push(`  ${rule.id} (${where})`);
    const template = e.request.resource === 'nodes' ? 'nodeQuery' : 'containerQuery';
    const rows: Array<[string, string]> = [];
    for (const kind of ['cpu', 'memory'] as const) {
      const r = rule[kind];
      rows.push([`${kind}.${template}`, r[template]]);
      rows.push([`${kind}.resources`, mappingText(r.resources)]);
      if (template === 'containerQuery') rows.push([`${kind}.containerLabel`, r.containerLabel ?? '']);
    }
    rows.push(['window', rule.window ?? '']);
    lines.push(...table(rows));
    return lines;
  }
  const list = rule.kind === 'custom' ? 'rules' : 'externalRules';
  lines.push(`  ${rule.id} (index ${rule.index} of ${list} in ${where})`);
  const rows: Array<[string, string]> = [['seriesQuery', rule.seriesQuery]];
  for (const [j, f] of (rule.seriesFilters ?? []).entries()) {
    rows.push([`seriesFilters[${j}]`, f.is !== undefined ? `is: ${f.is}` : `isNot: ${f.isNot ?? ''}`]);
  }
  rows.push(
    ['name.matches', rule.name?.matches ?? '(default: .*)'],
    ['name.as', rule.name?.as ?? '(default)'],
    ['resources', mappingText(rule.resources)],
    ['metricsQuery', rule.metricsQuery],
    ['series', rule.seriesName],
  );
  lines.push(...table(rows));
  return lines;
}

function querySections(e: Explanation): string[] {
  const promql = ['PromQL'];
  const results = ['Prometheus result'];
  if (e.queries.length === 0) {
    promql.push('  none sent: the request was answered without querying Prometheus');
    results.push('  none');
  }
  for (const q of e.queries) {
    const tag = e.queries.length > 1 && q.rule !== undefined ? `[${q.rule}] ` : '';
    promql.push(`  ${tag}${q.promql}`);
    if (q.error !== undefined) {
      results.push(`  ${tag}error: ${q.error}`);
    } else if (q.result?.type === 'scalar') {
      results.push(`  ${tag}scalar ${q.result.value} @ ${q.result.timestamp}`);
    } else if (q.result?.type === 'vector') {
      const n = q.result.samples.length;
      results.push(`  ${tag}instant vector, ${n} sample${n === 1 ? '' : 's'}${n === 0 ? '' : ':'}`);
      for (const s of q.result.samples) {
        results.push(`    ${formatLabels(s.labels)} ${s.value} @ ${s.timestamp}`);
      }
    } else {
      results.push(`  ${tag}no answer`);
    }
  }
  return [...promql, '', ...results];
}

function responseSection(e: Explanation): string[] {
  const { status, body } = e.response;
  const b = body as { kind?: unknown; items?: unknown; reason?: unknown; message?: unknown } | null;
  let summary = `HTTP ${status}`;
  if (b !== null && typeof b === 'object') {
    if (b.kind === 'Status') summary += ` ${String(b.reason)}: ${String(b.message)}`;
    else if (Array.isArray(b.items))
      summary += ` ${String(b.kind)} with ${b.items.length} item${b.items.length === 1 ? '' : 's'}`;
    else if (typeof b.kind === 'string') summary += ` ${b.kind}`;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  return [
    'Response',
    `  ${summary}`,
    ...text.split('\n').map((l) => `  ${l}`),
    '',
    e.exitCode === 0 ? 'Result: served with items' : 'Result: the answer is an error or has no items',
  ];
}

/** The human-readable report: sections separated by blank lines, ending with a newline. */
export function renderText(e: Explanation): string {
  return `${[
    ...requestSection(e),
    '',
    ...ruleSection(e),
    '',
    ...querySections(e),
    '',
    ...responseSection(e),
  ].join('\n')}\n`;
}
