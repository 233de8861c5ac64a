/**
 * The properties every answer and every PromQL query must have, as plain functions that throw an Error saying what
 * is wrong (fast-check reports it with the counterexample and its seed).
 */
import { parseLabelSelector } from '../../src/api/label-selector.js';
import { createStandaloneResourceMapper } from '../../src/kube/standalone.js';
import type { CompiledRules } from '../../src/rules/compile-rules.js';
import type { Template } from '../../src/rules/go-template/index.js';
import { CUSTOM_METRICS, EXTERNAL_METRICS } from './fuzz-app.js';
import { matchersOf, scanPromQL, skeletonOf, type Matcher } from './promql-literals.js';
import type { Decoded } from './requests.js';

export class PropertyFailure extends Error {
  override readonly name = 'PropertyFailure';
}

function fail(message: string): never {
  throw new PropertyFailure(message);
}

/** Long fuzzed texts are cut in messages (the counterexample has them whole). */
export function clip(text: string, max = 400): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} chars)`;
}

// ---------------------------------------------------------------------------------------------------------------
// Answers

/** Text that betrays internals: a stack frame, a source path, a dependency, an error's class prefix. */
export const LEAK_PATTERNS = ['    at ', '/src/', '/dist/', 'node_modules', 'Error:'] as const;

const STATUS_KEYS = ['apiVersion', 'code', 'kind', 'message', 'metadata', 'reason', 'status'];

/** `text` as a request may carry it: decoded (when it decodes) and raw, so that echoes are recognised. */
function forms(text: string): string[] {
  const out = [text];
  try {
    out.push(decodeURIComponent(text));
  } catch {
    // NB: not decodable: only the raw form can be echoed.
  }
  try {
    out.push(decodeURIComponent(text.replace(/\+/g, ' ')));
  } catch {
    // NB: as above.
  }
  return out;
}

export interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

/**
 * (b): a non-2xx answer is a Kubernetes Status whose code is the HTTP status; no answer contains a leak pattern
 * (unless the request itself carried it, as an echoed name may) nor `secret` (the Prometheus URL).
 */
export function checkAnswerBody(
  method: string,
  url: string,
  answer: Answer,
  secrets: readonly string[],
  requestTexts: readonly string[] = [],
): void {
  const { statusCode, body } = answer;
  const contentType = answer.headers['content-type'];
  const type = typeof contentType === 'string' ? contentType : '';
  if (statusCode < 200 || statusCode >= 300) {
    if (method !== 'HEAD') {
      if (!type.startsWith('application/json'))
        fail(`${statusCode} with content-type ${type}: ${clip(body)}`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        fail(`${statusCode} body is not JSON: ${clip(body)}`);
      }
      const status = parsed as Record<string, unknown>;
      if (
        Object.keys(status).sort().join() !== STATUS_KEYS.join() ||
        status.kind !== 'Status' ||
        status.apiVersion !== 'v1' ||
        status.status !== 'Failure' ||
        status.code !== statusCode ||
        typeof status.message !== 'string' ||
        typeof status.reason !== 'string' ||
        JSON.stringify(status.metadata) !== '{}'
      ) {
        fail(`${statusCode} body is not a Kubernetes Status: ${clip(body)}`);
      }
    }
  } else if (method !== 'HEAD' && type.startsWith('application/json')) {
    try {
      JSON.parse(body);
    } catch {
      fail(`${statusCode} body is not JSON: ${clip(body)}`);
    }
  }
  const echoed = [...forms(url), ...requestTexts.flatMap(forms)];
  // NB: the message decoded too, so that a JSON escape (`\u002f`) cannot hide a pattern.
  const texts = [body, readMessage(body)];
  for (const pattern of [...LEAK_PATTERNS, ...secrets]) {
    if (echoed.some((t) => t.includes(pattern))) continue;
    if (texts.some((t) => t.includes(pattern)))
      fail(`the answer leaks ${JSON.stringify(pattern)}: ${clip(body)}`);
  }
}

function readMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : '';
  } catch {
    return '';
  }
}

/** (a): the statuses a backend in `mode` may cause. */
export function checkStatus(statusCode: number, allowed5xx: readonly number[], context: string): void {
  if (statusCode >= 500 && !allowed5xx.includes(statusCode)) fail(`${context}: answered ${statusCode}`);
  if (statusCode < 200 || statusCode > 599) fail(`${context}: answered ${statusCode}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Queries

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
const MATCHER = `${IDENT}(?:=~|!~|!=|=)""`;
const SERIES = '[A-Za-z_:][A-Za-z0-9_:]*';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A template's structure as a regex over query skeletons, and the matchers the template itself writes. */
export interface Shape {
  regex: RegExp;
  constants: Matcher[];
}

/** The shape of one query template. */
export function shapeOf(template: Template): Shape {
  const rendered = template.execute({
    Series: '\u0001',
    LabelMatchers: '\u0002',
    LabelValuesByName: new Map<string, string>(),
    GroupBy: '\u0003',
    GroupBySlice: [],
  });
  const segments = scanPromQL(rendered);
  const pattern = escapeRegExp(skeletonOf(segments))
    .replace('\u0001', SERIES)
    .replace('\u0002', `(?:${MATCHER}(?:,${MATCHER})*)?`)
    .replace('\u0003', `(?:${IDENT}(?:,${IDENT})*)?`);
  return { regex: new RegExp(`^${pattern}$`), constants: matchersOf(segments) };
}

/** The shapes of every query template of `rules`: the only structures a query may have. */
export function shapesOf(rules: CompiledRules): Shape[] {
  const templates: Template[] = [...rules.custom, ...rules.external].map((r) => r.metricsQuery);
  if (rules.resource !== undefined) {
    for (const r of [rules.resource.cpu, rules.resource.memory])
      templates.push(r.containerQuery, r.nodeQuery);
  }
  return templates.map(shapeOf);
}

export interface ExpectedMatcher {
  label: string;
  op: Matcher['op'];
  value: string;
}

/** SPEC 3.3's table, written apart from the adapter's label-matchers.ts. */
export function expectedSelectorMatchers(text: string | undefined): ExpectedMatcher[] {
  if (text === undefined || text === '') return [];
  const requirements = parseLabelSelector(text);
  const byKey = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return byKey.map((r) => {
    const value = [...new Set(r.values)].sort().join('|');
    switch (r.operator) {
      case 'Equals':
      case 'DoubleEquals':
        return { label: r.key, op: '=', value };
      case 'NotEquals':
        return { label: r.key, op: '!=', value };
      case 'In':
        return { label: r.key, op: '=~', value };
      case 'NotIn':
        return { label: r.key, op: '!~', value };
      case 'Exists':
        return { label: r.key, op: '!=', value: '' };
      case 'DoesNotExist':
        return { label: r.key, op: '=', value: '' };
      default:
        return fail(
          `a query was sent for the selector ${JSON.stringify(text)}, whose ${r.operator} Prometheus cannot express`,
        );
    }
  });
}

const mapper = createStandaloneResourceMapper();

/**
 * The matchers of `.LabelMatchers` for a custom or external request, in SPEC 3.3's order; `undefined` for requests
 * whose query is only checked for structure (resource metrics).
 */
export function expectedMatchers(decoded: Decoded): ExpectedMatcher[] | undefined {
  const { route } = decoded;
  if (route.kind === 'external') {
    const metric = decoded.metric!;
    if (!EXTERNAL_METRICS.has(metric)) fail(`a query was sent for the unknown external metric ${metric}`);
    const nsLabel = EXTERNAL_METRICS.get(metric);
    const selector = expectedSelectorMatchers(decoded.params.get('labelSelector'));
    return nsLabel == null ? selector : [...selector, { label: nsLabel, op: '=', value: decoded.namespace! }];
  }
  if (route.kind !== 'custom' && route.kind !== 'custom-namespace-metric') return undefined;
  const metric = decoded.metric!;
  const labels = CUSTOM_METRICS.get(metric) ?? fail(`a query was sent for the unknown metric ${metric}`);
  const resource = mapper.lookup(decoded.resource!)?.resource;
  const objectLabel =
    resource === 'pods'
      ? labels.pod
      : resource === 'namespaces'
        ? labels.namespace
        : fail(`a query for ${resource}`);
  const name = decoded.name!;
  const out = expectedSelectorMatchers(decoded.params.get('metricLabelSelector'));
  if (decoded.namespace !== undefined)
    out.push({ label: labels.namespace, op: '=', value: decoded.namespace });
  out.push(
    name === '*'
      ? { label: objectLabel, op: '=~', value: '.+' }
      : { label: objectLabel, op: '=', value: name },
  );
  return out;
}

function show(matchers: readonly ExpectedMatcher[]): string {
  return JSON.stringify(matchers.map((m) => `${m.label}${m.op}${JSON.stringify(m.value)}`));
}

/**
 * (c): `query` is valid PromQL as far as literals go, has the structure of one of `shapes` (so request text changed
 * nothing outside string literals: the skeleton admits only label names, operators and `""` where values go), and,
 * when `expected` is given, its `.LabelMatchers` decode to exactly those matchers.
 */
export function checkQuery(
  query: string,
  shapes: readonly Shape[],
  expected?: readonly ExpectedMatcher[],
): void {
  let segments;
  try {
    segments = scanPromQL(query);
  } catch (e) {
    fail(`the query ${clip(JSON.stringify(query))} has a broken string literal: ${(e as Error).message}`);
  }
  const skeleton = skeletonOf(segments);
  const shape = shapes.find((s) => s.regex.test(skeleton));
  if (shape === undefined)
    fail(`request input changed the structure of the query ${clip(JSON.stringify(query))}`);
  const matchers = matchersOf(segments);
  const literals = segments.filter((s) => s.kind === 'string').length;
  if (matchers.length !== literals)
    fail(`a literal of ${clip(JSON.stringify(query))} is not a matcher value`);
  if (expected === undefined) return;
  const constants = shape.constants.length;
  const own = matchers
    .slice(0, matchers.length - constants)
    .map(({ label, op, value }) => ({ label, op, value }));
  if (show(own) !== show(expected)) {
    fail(
      `the query ${clip(JSON.stringify(query))} has the matchers ${clip(show(own))}, expected ${clip(show(expected))}`,
    );
  }
}
