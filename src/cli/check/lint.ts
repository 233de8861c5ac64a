/**
 * The offline half of `check`: the loader's errors as findings, plus warnings for rules that load but cannot work
 * as intended. Pure: the file text, the resource mapping and the assumed intervals go in, findings come out.
 */
import { groupResourceString, type ResourceLookup } from '../../api/resources.js';
import { loadRules, type CompiledRules } from '../../rules/compile-rules.js';
import { ConfigError, type ConfigProblem } from '../../rules/config-error.js';
import type { DiscoveryRuleConfig, RulesConfig } from '../../rules/config.js';
import { parseTemplate } from '../../rules/go-template/index.js';
import { loadConfig, type PositionOf } from '../../rules/load-config.js';
import { createNamer, describeNameVerdict, type Namer } from '../../rules/namer.js';
import { findRangeSelectors, formatPromDuration } from '../../rules/promql-ranges.js';
import { queryTemplateData, type QueryRequest } from '../../rules/query-builder.js';
import { analyzeSelector, type SelectorAnalysis } from '../../rules/selector-analysis.js';
import { parseSeriesSelector, SeriesSelectorError } from '../../rules/series-selector.js';

export type Severity = 'error' | 'warning';

/** Stable identifiers of the kinds of finding (the README lists them). */
export type FindingCode =
  | 'invalid-config'
  | 'invalid-series-query'
  | 'never-matches'
  | 'override-never-applies'
  | 'unknown-resource'
  | 'duplicate-metric'
  | 'no-label-matchers'
  | 'short-range'
  | 'short-max-age'
  | 'series-query-failed'
  | 'no-series'
  | 'no-metrics';

export interface Finding {
  readonly severity: Severity;
  readonly code: FindingCode;
  /** `rules[2]`, `externalRules[0]`, `resourceRules.cpu`; undefined for the file as a whole or a flag. */
  readonly rule?: string;
  /** The index within `rules` or `externalRules`. */
  readonly ruleIndex?: number;
  /** YAML path (`rules[2].metricsQuery`), or the flag (`--metrics-max-age`); `''` for the whole file. */
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

export interface LintOptions {
  /** The resource mapping overrides are resolved with (check uses the standalone table). */
  readonly mapper: ResourceLookup;
  readonly scrapeIntervalMs: number;
  readonly maxAgeMs: number;
}

export interface LintResult {
  /** Sorted: file-level and flag findings first, then by section, rule index, path and message. */
  readonly findings: readonly Finding[];
  /** The file as read, when its structure is valid. */
  readonly config?: RulesConfig;
  /** The compiled rules, when the file loads (no `invalid-config` finding). */
  readonly rules?: CompiledRules;
  /** Positions of YAML paths, when the file's structure is valid: locates later findings. */
  readonly positionOf?: PositionOf;
}

/**
 * Lints a rules file. Never throws for bad input: every problem is a finding.
 *
 * Warnings decided offline: a seriesQuery whose matchers contradict (selector-analysis.ts says which cases are
 * decided); a seriesQuery that pins the metric names (`up{...}`, `__name__="a"`, `__name__=~"a|b"`) none of which
 * passes seriesFilters, `name.matches` and `name.as`; a custom rule that maps no label to a resource; an override
 * whose label the seriesQuery requires to be empty; an override naming a resource the mapping does not know; two
 * rules that would produce the same metric for the same resource when both rules' names are fixed (pinned by the
 * seriesQuery, or an `as` without `$` references) and, for custom rules, their overrides share a resource; a
 * metricsQuery (containerQuery, nodeQuery) that uses neither `.LabelMatchers` nor `.LabelValuesByName`; a range
 * selector shorter than twice the scrape interval; `--metrics-max-age` shorter than twice the scrape interval.
 */
export function lintRules(text: string, source: string, options: LintOptions): LintResult {
  const findings: Finding[] = [];
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(text, source);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { findings: sortFindings([...e.problems.map(configFinding), ...flagFindings(options)]) };
  }
  let rules: CompiledRules | undefined;
  try {
    rules = loadRules(text, source);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    findings.push(...e.problems.map(configFinding));
  }
  const { config, positionOf } = loaded;
  const facts: RuleFacts[] = [];
  const add = (rule: string, path: string, severity: Severity, code: FindingCode, message: string) =>
    findings.push(makeFinding(rule, path, severity, code, message, positionOf));
  const sections = [
    ['rules', 'custom', config.rules],
    ['externalRules', 'external', config.externalRules],
  ] as const;
  for (const [section, kind, list] of sections) {
    list.forEach((rule, index) => {
      facts.push(lintDiscoveryRule(rule, `${section}[${index}]`, kind, add, options));
    });
  }
  findings.push(...duplicateFindings(facts, positionOf));
  if (config.resourceRules !== undefined) {
    for (const kind of ['cpu', 'memory'] as const) {
      const rule = config.resourceRules[kind];
      const id = `resourceRules.${kind}`;
      const pod: QueryRequest = {
        series: '',
        metricSelector: [],
        namespace: { label: 'pma_check_namespace', name: SENTINEL },
        objects: { label: 'pma_check_pod', names: [SENTINEL, 'pma-check-b'] },
      };
      const node: QueryRequest = {
        series: '',
        metricSelector: [],
        objects: { label: 'pma_check_node', names: [SENTINEL, 'pma-check-b'] },
      };
      lintQuery(rule.containerQuery, id, `${id}.containerQuery`, pod, add, options);
      lintQuery(rule.nodeQuery, id, `${id}.nodeQuery`, node, add, options);
    }
  }
  findings.push(...flagFindings(options));
  return { findings: sortFindings(findings), config, positionOf, ...(rules === undefined ? {} : { rules }) };
}

type Add = (rule: string, path: string, severity: Severity, code: FindingCode, message: string) => void;

/** What the duplicate check needs to know of a rule. */
interface RuleFacts {
  readonly id: string;
  readonly kind: 'custom' | 'external';
  /** The metric names the rule can produce, when they are fixed. */
  readonly names?: readonly string[];
  /** The group-resources its overrides resolve to (not counting overrides that never apply). */
  readonly resources: readonly string[];
  /** False when another finding already says the rule never produces a metric. */
  readonly canProduce: boolean;
}

/** A value that only `.LabelMatchers` (or `.LabelValuesByName`) brings into a rendered query. */
const SENTINEL = 'pma-check-a';

function lintDiscoveryRule(
  rule: DiscoveryRuleConfig,
  id: string,
  kind: 'custom' | 'external',
  add: Add,
  options: LintOptions,
): RuleFacts {
  let canProduce = true;
  const never = (path: string, message: string) => {
    canProduce = false;
    add(id, `${id}.${path}`, 'warning', 'never-matches', message);
  };
  let analysis: SelectorAnalysis | undefined;
  if (rule.seriesQuery.trim() !== '') {
    try {
      analysis = analyzeSelector(parseSeriesSelector(rule.seriesQuery));
    } catch (e) {
      if (!(e instanceof SeriesSelectorError)) throw e;
      canProduce = false;
      add(
        id,
        `${id}.seriesQuery`,
        'error',
        'invalid-series-query',
        `not a series selector Prometheus accepts: ${e.message}`,
      );
    }
  }
  if (analysis !== undefined && analysis.contradictions.length > 0) {
    never('seriesQuery', `the seriesQuery can never select a series: ${analysis.contradictions.join('; ')}`);
  }

  let namer: Namer | undefined;
  try {
    namer = createNamer({
      filters: rule.seriesFilters ?? [],
      ...(rule.name?.matches === undefined ? {} : { matches: rule.name.matches }),
      ...(rule.name?.as === undefined ? {} : { as: rule.name.as }),
    });
  } catch {
    // NB: the loader reports a namer that does not compile (an invalid-config finding).
    canProduce = false;
  }
  let names: string[] | undefined;
  if (namer !== undefined && analysis?.names !== undefined && canProduce) {
    const verdicts = analysis.names.map((name) => ({ name, verdict: namer.explain(name) }));
    names = [
      ...new Set(verdicts.flatMap(({ verdict }) => (verdict.kind === 'named' ? [verdict.metric] : []))),
    ];
    const first = verdicts[0]?.verdict;
    if (names.length === 0 && first !== undefined) {
      const path =
        first.kind === 'filter'
          ? `seriesFilters[${first.index}]`
          : first.kind === 'matches'
            ? 'name.matches'
            : 'name.as';
      const listed = verdicts.map(({ name, verdict }) => `${name}: ${describeNameVerdict(verdict)}`);
      never(
        path,
        `the seriesQuery selects only the series name${verdicts.length === 1 ? '' : 's'} ` +
          `${analysis.names.join(', ')}, and none yields a metric (${listed.join('; ')})`,
      );
    }
  } else if (namer !== undefined && rule.name?.as !== undefined && rule.name.as !== '') {
    const withoutDollars = rule.name.as.replace(/\$\$/g, '');
    if (!withoutDollars.includes('$')) names = [rule.name.as.replace(/\$\$/g, '$')];
  }

  const resources: string[] = [];
  const overrides = Object.entries(rule.resources?.overrides ?? {});
  const hasTemplate = rule.resources?.template !== undefined && rule.resources.template !== '';
  let liveOverrides = 0;
  for (const [label, ref] of overrides) {
    if (analysis?.requiredEmpty.has(label) === true) {
      add(
        id,
        `${id}.resources.overrides.${label}`,
        'warning',
        'override-never-applies',
        `the seriesQuery requires label ${label} to be empty, so this override never applies`,
      );
      continue;
    }
    liveOverrides++;
    if (ref.resource.trim() === '') continue;
    const resolved = options.mapper.lookup(
      ref.resource,
      ref.group ?? (ref.resource.includes('.') ? undefined : ''),
    );
    if (resolved === undefined) {
      const written = ref.group === undefined ? ref.resource : `${ref.resource} (group ${ref.group})`;
      add(
        id,
        `${id}.resources.overrides.${label}.resource`,
        'warning',
        'unknown-resource',
        `${written} is not in the built-in resource table, so check leaves out the metrics it would give; ` +
          'fine if it is a custom resource of your cluster, otherwise a misspelling',
      );
    } else resources.push(groupResourceString(resolved));
  }
  if (kind === 'custom' && !hasTemplate) {
    if (overrides.length === 0) {
      never(
        'resources',
        'maps no label to a resource (no overrides, no template), so the rule can never produce a custom metric',
      );
    } else if (liveOverrides === 0) {
      never(
        'resources',
        'the seriesQuery requires every label of resources.overrides to be empty, so no label maps to a ' +
          'resource and the rule can never produce a custom metric',
      );
    }
  }

  const request: QueryRequest = {
    series: 'pma_check_series',
    metricSelector: [{ key: 'pma_check_selector', operator: 'Equals', values: [SENTINEL] }],
    namespace: { label: 'pma_check_namespace', name: 'pma-check-namespace' },
    ...(kind === 'custom'
      ? { objects: { label: 'pma_check_object', names: [SENTINEL, 'pma-check-b'] } }
      : {}),
  };
  lintQuery(rule.metricsQuery, id, `${id}.metricsQuery`, request, add, options);
  return { id, kind, ...(names === undefined ? {} : { names }), resources, canProduce };
}

/** `.LabelMatchers` in use, and range selectors long enough for the scrape interval. */
function lintQuery(
  source: string,
  id: string,
  path: string,
  request: QueryRequest,
  add: Add,
  options: LintOptions,
): void {
  let rendered: string;
  try {
    rendered = parseTemplate(source, { name: path, leftDelim: '<<', rightDelim: '>>' }).execute(
      queryTemplateData(request),
    );
  } catch {
    // NB: the loader reports a template that does not parse or execute (an invalid-config finding).
    return;
  }
  if (!rendered.includes(SENTINEL) && !source.includes('LabelValuesByName')) {
    add(
      id,
      path,
      'warning',
      'no-label-matchers',
      'does not use <<.LabelMatchers>>: the query is not narrowed to the requested namespace, objects and ' +
        'metric label selector, so every request gets the same, unfiltered answer',
    );
  }
  const minimum = 2 * options.scrapeIntervalMs;
  for (const range of findRangeSelectors(rendered)) {
    if (range.rangeMs < minimum) {
      add(
        id,
        path,
        'warning',
        'short-range',
        `the range [${range.text}] is shorter than twice the scrape interval (2 × ` +
          `${formatPromDuration(options.scrapeIntervalMs)} = ${formatPromDuration(minimum)}): rate() and the ` +
          'other range functions need two samples in the window, so objects intermittently have no value; use at ' +
          `least [${formatPromDuration(minimum)}], or pass --scrape-interval if Prometheus scrapes more often`,
      );
    }
  }
}

function duplicateFindings(facts: readonly RuleFacts[], positionOf: PositionOf): Finding[] {
  const out: Finding[] = [];
  facts.forEach((later, j) => {
    for (const earlier of facts.slice(0, j)) {
      if (earlier.kind !== later.kind || !earlier.canProduce || !later.canProduce) continue;
      if (earlier.names === undefined || later.names === undefined) continue;
      const names = later.names.filter((n) => earlier.names!.includes(n));
      if (names.length === 0) continue;
      const what = `metric${names.length === 1 ? '' : 's'} ${names.join(', ')}`;
      let message: string;
      if (later.kind === 'custom') {
        const shared = later.resources.filter((r) => earlier.resources.includes(r));
        if (shared.length === 0) continue;
        message = `${earlier.id} and ${later.id} both produce ${what} for ${shared.join(', ')}`;
      } else message = `${earlier.id} and ${later.id} both produce the external ${what}`;
      out.push(
        makeFinding(
          later.id,
          `${later.id}.name`,
          'warning',
          'duplicate-metric',
          `${message} (when both find series); ${later.id} (the later rule) wins`,
          positionOf,
        ),
      );
    }
  });
  return out;
}

function flagFindings(options: LintOptions): Finding[] {
  if (options.maxAgeMs >= 2 * options.scrapeIntervalMs) return [];
  return [
    {
      severity: 'warning',
      code: 'short-max-age',
      path: '--metrics-max-age',
      message:
        `${formatPromDuration(options.maxAgeMs)} is shorter than twice the scrape interval (2 × ` +
        `${formatPromDuration(options.scrapeIntervalMs)}): a series can drop out of discovery between two ` +
        'scrapes, and its metrics disappear until the next relist',
    },
  ];
}

const RULE_OF_PATH = /^(?:(rules|externalRules)\[(\d+)\]|resourceRules\.(?:cpu|memory))/;

function ruleOf(path: string): { rule?: string; ruleIndex?: number } {
  const m = RULE_OF_PATH.exec(path);
  if (m === null) return {};
  return { rule: m[0], ...(m[2] === undefined ? {} : { ruleIndex: Number(m[2]) }) };
}

function configFinding(p: ConfigProblem): Finding {
  return {
    severity: 'error',
    code: 'invalid-config',
    ...ruleOf(p.path),
    path: p.path,
    ...(p.line === undefined ? {} : { line: p.line, column: p.column ?? 1 }),
    message: p.message,
  };
}

/** A finding about a rule, located at `path` or its nearest ancestor in the file. */
export function makeFinding(
  rule: string,
  path: string,
  severity: Severity,
  code: FindingCode,
  message: string,
  positionOf: PositionOf,
): Finding {
  const { ruleIndex } = ruleOf(rule);
  const pos = nearestPosition(path, positionOf);
  return {
    severity,
    code,
    rule,
    ...(ruleIndex === undefined ? {} : { ruleIndex }),
    path,
    ...(pos === undefined ? {} : { line: pos.line, column: pos.column }),
    message,
  };
}

/** The position of a YAML path, or of its nearest ancestor that has one (`rules[0].name` when there is no `name`). */
function nearestPosition(path: string, positionOf: PositionOf): { line: number; column: number } | undefined {
  for (let p = path; p !== '';) {
    const pos = positionOf(p);
    if (pos !== undefined) return pos;
    const shorter = p.replace(/(\.[^.[\]]*|\[\d+\])$/, '');
    if (shorter === p) break;
    p = shorter;
  }
  return undefined;
}

const SECTION_ORDER = ['rules', 'externalRules', 'resourceRules'];

/** Flag and file-level findings first, then by section, rule index, position, path and message. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const key = (f: Finding): [number, number, number, number, string, string] => {
    const section = f.rule === undefined ? -1 : SECTION_ORDER.indexOf(f.rule.replace(/[[.].*$/, ''));
    return [section, f.ruleIndex ?? -1, f.line ?? 0, f.column ?? 0, f.path, f.message];
  };
  return [...findings].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) {
      if (ka[i]! < kb[i]!) return -1;
      if (ka[i]! > kb[i]!) return 1;
    }
    return 0;
  });
}
