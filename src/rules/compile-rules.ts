import type { ResourceInfo, ResourceLookup } from '../api/resources.js';
import { ConfigError, type ConfigProblem } from './config-error.js';
import type { DiscoveryRuleConfig, ResourceMappingConfig, ResourceRulesConfig } from './config.js';
import { parseGoDuration } from '../go-duration.js';
import { parseTemplate, type Template } from './go-template/index.js';
import { loadConfig, type PositionOf } from './load-config.js';
import { createNamer, type Namer } from './namer.js';
import { compileRE2 } from './re2.js';
import { queryTemplateData, type QueryRequest } from './query-builder.js';
import {
  createResourceConverter,
  ResourceConfigError,
  type ResourceConverter,
} from './resource-converter.js';

/** A rule compiled once at load: regexes, templates and mappings ready for relisting and queries. */
export interface CompiledRule {
  /** YAML path of the rule, such as `rules[0]`: names it in logs and errors. */
  readonly id: string;
  readonly kind: 'custom' | 'external';
  readonly seriesQuery: string;
  readonly namer: Namer;
  readonly resources: ResourceConverter;
  /** External rules only (`resources.namespaced`, default true): whether the request namespace is matched. */
  readonly namespaced: boolean;
  readonly metricsQuery: Template;
}

/** One compiled resource rule, `resourceRules.cpu` or `resourceRules.memory` (SPEC 3, 5.4). */
export interface CompiledResourceRule {
  /** YAML path of the rule, `resourceRules.cpu`: names it in logs and errors. */
  readonly id: string;
  /** For pods: `.LabelMatchers` = namespace + pod names, `.GroupBy` = pod label + {@link containerLabel}. */
  readonly containerQuery: Template;
  /** For nodes: `.LabelMatchers` = node names, `.GroupBy` = node label. */
  readonly nodeQuery: Template;
  /** Maps the namespace, pod and node labels. */
  readonly resources: ResourceConverter;
  /**
   * The label that names the container in containerQuery results; `''` when the rule has none, and then (as
   * upstream) it is not grouped by and every sample of a pod belongs to one container named `''`.
   */
  readonly containerLabel: string;
}

/** The compiled `resourceRules`: what the resource-metrics provider needs. */
export interface CompiledResourceRules {
  readonly cpu: CompiledResourceRule;
  readonly memory: CompiledResourceRule;
  /**
   * `window` in milliseconds, reported as the `window` of every item. NB: 0 when the file has none: upstream has
   * no default either (its Go zero value, reported as `0s`); the chart and config-gen always write one.
   */
  readonly windowMs: number;
}

export interface CompiledRules {
  readonly custom: readonly CompiledRule[];
  readonly external: readonly CompiledRule[];
  /** `resourceRules` as written (validated). */
  readonly resourceRules?: ResourceRulesConfig;
  /** `resourceRules` compiled; present exactly when {@link resourceRules} is. */
  readonly resource?: CompiledResourceRules;
}

/**
 * Loads and compiles a rules file: strict structure (load-config.ts), RE2 regexes, templates (parse errors with
 * the template's own line and column), name defaults. A template is also executed once on sample data, so
 * that a misspelt field (`<<.Serie>>`) fails at load time rather than on the first request.
 * @throws ConfigError listing every problem with its YAML path and position
 */
export function loadRules(text: string, source: string): CompiledRules {
  const { config, positionOf } = loadConfig(text, source);
  const problems: ConfigProblem[] = [];
  const compileAll = (rules: readonly DiscoveryRuleConfig[], kind: 'custom' | 'external') =>
    rules.flatMap((rule, i) => {
      const id = `${kind === 'custom' ? 'rules' : 'externalRules'}[${i}]`;
      const compiled = compileRule(rule, id, kind, positionOf, problems);
      return compiled === undefined ? [] : [compiled];
    });
  const custom = compileAll(config.rules, 'custom');
  const external = compileAll(config.externalRules, 'external');
  const resource =
    config.resourceRules === undefined
      ? undefined
      : compileResourceRules(config.resourceRules, positionOf, problems);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return {
    custom,
    external,
    ...(config.resourceRules === undefined ? {} : { resourceRules: config.resourceRules }),
    ...(resource === undefined ? {} : { resource }),
  };
}

function compileRule(
  rule: DiscoveryRuleConfig,
  id: string,
  kind: 'custom' | 'external',
  positionOf: PositionOf,
  problems: ConfigProblem[],
): CompiledRule | undefined {
  const problem = problemReporter(id, positionOf, problems);
  const before = problems.length;
  (rule.seriesFilters ?? []).forEach((filter, j) => {
    const set = (['is', 'isNot'] as const).filter((key) => filter[key] !== undefined);
    if (set.length !== 1) problem(`seriesFilters[${j}]`, 'must have exactly one of "is" or "isNot"');
    for (const key of set) checkRegex(filter[key]!, `seriesFilters[${j}].${key}`, problem);
  });
  if (rule.name?.matches !== undefined) checkRegex(rule.name.matches, 'name.matches', problem);
  let namer: Namer | undefined;
  if (problems.length === before) {
    try {
      namer = createNamer({
        filters: rule.seriesFilters ?? [],
        ...(rule.name?.matches === undefined ? {} : { matches: rule.name.matches }),
        ...(rule.name?.as === undefined ? {} : { as: rule.name.as }),
      });
    } catch (e) {
      problem('name.as', 'invalid', e);
    }
  }
  const resources = compileResources(rule.resources, problem);
  const namespaced = rule.resources?.namespaced ?? true;
  if (
    kind === 'external' &&
    namespaced &&
    resources !== undefined &&
    resources.labelForResource(NAMESPACES, NAMESPACES_LOOKUP) === undefined
  ) {
    problem(
      'resources',
      'the rule is namespaced (the default for external rules) but maps no label to namespaces, so no request ' +
        'could be matched to its namespace: add a namespace override (overrides: {<label>: {resource: namespace}}) ' +
        'or set namespaced: false',
    );
  }
  if (rule.seriesQuery.trim() === '') problem('seriesQuery', 'must not be empty');
  const metricsQuery = compileQueryTemplate(rule.metricsQuery, 'metricsQuery', problem);
  if (namer === undefined || resources === undefined || metricsQuery === undefined) return undefined;
  return {
    id,
    kind,
    seriesQuery: rule.seriesQuery,
    namer,
    resources,
    namespaced,
    metricsQuery,
  };
}

/** Core v1 namespaces: the same in every cluster, so the namespace label is checked without one. */
const NAMESPACES: ResourceInfo = {
  group: '',
  version: 'v1',
  resource: 'namespaces',
  singular: 'namespace',
  kind: 'Namespace',
  namespaced: false,
};

/** Resolves the names the resource mapping accepts for core namespaces (`namespaces`, `namespace`, `Namespace`). */
const NAMESPACES_LOOKUP: ResourceLookup = {
  lookup(resource, group) {
    const dot = group === undefined ? resource.indexOf('.') : -1;
    const name = dot < 0 ? resource : resource.slice(0, dot);
    const inGroup = dot < 0 ? (group ?? '') : resource.slice(dot + 1);
    if (inGroup !== '') return undefined;
    const lower = name.toLowerCase();
    return lower === 'namespaces' || lower === 'namespace' ? NAMESPACES : undefined;
  },
};

const SAMPLE_REQUEST: QueryRequest = {
  series: 'series',
  metricSelector: [],
  namespace: { label: 'namespace', name: 'default' },
  objects: { label: 'pod', names: ['a', 'b'] },
};

/** Compiles `resources` (overrides, template); reports problems at `resources[.field]`. */
function compileResources(
  config: ResourceMappingConfig | undefined,
  problem: ReportProblem,
): ResourceConverter | undefined {
  try {
    return createResourceConverter(config);
  } catch (e) {
    if (e instanceof ResourceConfigError) problem(`resources.${e.field}`, e.message);
    else problem('resources', 'invalid', e);
    return undefined;
  }
}

/**
 * Parses a query template and executes it once on sample data, so that a misspelt field fails at load time.
 * Reports problems at `path` and returns undefined when the template is unusable.
 */
function compileQueryTemplate(
  source: string,
  path: string,
  problem: ReportProblem,
  sample: QueryRequest = SAMPLE_REQUEST,
): Template | undefined {
  try {
    const template = parseTemplate(source, { name: path, leftDelim: '<<', rightDelim: '>>' });
    if (template.execute(queryTemplateData(sample)).trim() === '') {
      problem(path, 'renders an empty query');
      return undefined;
    }
    return template;
  } catch (e) {
    problem(path, 'invalid', e);
    return undefined;
  }
}

/**
 * Compiles resourceRules for the resource-metrics provider, reporting a broken template, resource mapping or window
 * at load time like any other rule (SPEC 3.3). Returns undefined when there are problems.
 */
function compileResourceRules(
  config: ResourceRulesConfig,
  positionOf: PositionOf,
  problems: ConfigProblem[],
): CompiledResourceRules | undefined {
  const problemAt = (base: string) => problemReporter(base, positionOf, problems);
  const compileOne = (kind: 'cpu' | 'memory'): CompiledResourceRule | undefined => {
    const rule = config[kind];
    const id = `resourceRules.${kind}`;
    const problem = problemAt(id);
    const containerLabel = rule.containerLabel ?? '';
    const podSample: QueryRequest = {
      ...SAMPLE_REQUEST,
      series: '',
      ...(containerLabel === '' ? {} : { extraGroupBy: [containerLabel] }),
    };
    const nodeSample: QueryRequest = {
      series: '',
      metricSelector: [],
      objects: { label: 'node', names: ['a', 'b'] },
    };
    const containerQuery = compileQueryTemplate(rule.containerQuery, 'containerQuery', problem, podSample);
    const nodeQuery = compileQueryTemplate(rule.nodeQuery, 'nodeQuery', problem, nodeSample);
    const resources = compileResources(rule.resources, problem);
    if (containerQuery === undefined || nodeQuery === undefined || resources === undefined) return undefined;
    return { id, containerQuery, nodeQuery, resources, containerLabel };
  };
  const cpu = compileOne('cpu');
  const memory = compileOne('memory');
  let windowMs = 0;
  if (config.window !== undefined) {
    try {
      windowMs = parseGoDuration(config.window);
      if (windowMs <= 0) problemAt('resourceRules')('window', 'must be a positive duration');
    } catch (e) {
      problemAt('resourceRules')('window', 'invalid', e);
    }
  }
  if (cpu === undefined || memory === undefined || !(windowMs >= 0)) return undefined;
  return { cpu, memory, windowMs };
}

type ReportProblem = (path: string, message: string, cause?: unknown) => void;

/** Records problems at paths below `base`, located at the path or its nearest ancestor in the file. */
function problemReporter(base: string, positionOf: PositionOf, problems: ConfigProblem[]): ReportProblem {
  return (path, message, cause) => {
    const full = `${base}.${path}`;
    problems.push({
      path: full,
      ...nearestPosition(full, positionOf),
      message: describeCause(message, cause),
    });
  };
}

/** The position of a YAML path, or of its nearest ancestor that has one (a missing `as` is reported at `name`). */
function nearestPosition(path: string, positionOf: PositionOf): { line?: number; column?: number } {
  for (let p = path; p !== ''; p = p.replace(/(\.[^.[\]]*|\[\d+\])$/, '')) {
    const pos = positionOf(p);
    if (pos !== undefined) return pos;
    if (!/[.[]/.test(p)) break;
  }
  return {};
}

function checkRegex(pattern: string, path: string, problem: ReportProblem): void {
  try {
    compileRE2(pattern);
  } catch (e) {
    problem(path, 'invalid', e);
  }
}

/** The cause's own message when there is one (it names the problem precisely), else the generic message. */
function describeCause(message: string, cause: unknown): string {
  return cause instanceof Error ? cause.message : message;
}
