/**
 * Hostile input at the query builder (issue 8): every template of the fuzz rules (the queue-worker rules plus
 * external and resource rules) rendered through the real Go-template path with arbitrary namespaces, object names
 * and selector values, beyond what the HTTP layer lets through (any unicode, lone surrogates, quotes, backslashes,
 * PromQL injection). The query keeps the template's structure and its matchers decode to exactly the input.
 */
import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import type { Requirement, SelectorOperator } from '../../src/api/label-selector.js';
import { StatusError } from '../../src/api/status.js';
import { loadRules } from '../../src/rules/compile-rules.js';
import type { Template } from '../../src/rules/go-template/index.js';
import { renderQuery, type QueryRequest } from '../../src/rules/query-builder.js';
import { HOSTILE_SNIPPETS } from './arbitraries.js';
import { checkQuery, shapeOf, type ExpectedMatcher } from './checks.js';
import { FUZZ_RULES_TEXT } from './fuzz-app.js';
import { fuzzParameters, fuzzTimeoutMs } from './fuzz-params.js';
import { scanPromQL, skeletonOf } from './promql-literals.js';

jest.setTimeout(fuzzTimeoutMs());

const rules = loadRules(FUZZ_RULES_TEXT, 'queue-worker.yaml+fuzz');

interface Case {
  template: Template;
  /** The resource templates write constant matchers and group by an extra label. */
  extraGroupBy: readonly string[];
}

const CASES: Case[] = [
  ...[...rules.custom, ...rules.external].map((r) => ({ template: r.metricsQuery, extraGroupBy: [] })),
  ...[rules.resource!.cpu, rules.resource!.memory].flatMap((r) => [
    { template: r.containerQuery, extraGroupBy: ['container'] },
    { template: r.nodeQuery, extraGroupBy: [] },
  ]),
];

/** Go's %q turns an unpaired surrogate (invalid UTF-8) into U+FFFD; everything else must come back unchanged. */
function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  // NB: UTF-16 code units: lone surrogates included.
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 12 }),
  fc
    .array(fc.oneof(fc.constantFrom(...HOSTILE_SNIPPETS), fc.string({ maxLength: 4 })), { maxLength: 5 })
    .map((parts) => parts.join('')),
);

const labelName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/);
const seriesName = fc.stringMatching(/^[A-Za-z_:][A-Za-z0-9_:]{0,20}$/);

const OPERATORS: SelectorOperator[] = [
  'Equals',
  'DoubleEquals',
  'NotEquals',
  'In',
  'NotIn',
  'Exists',
  'DoesNotExist',
];

const requirement: fc.Arbitrary<Requirement> = fc
  .tuple(labelName, fc.constantFrom(...OPERATORS), fc.array(text, { minLength: 1, maxLength: 4 }))
  .map(([key, operator, values]) => ({
    key,
    operator,
    values:
      operator === 'Exists' || operator === 'DoesNotExist'
        ? []
        : operator.endsWith('quals')
          ? [values[0]!]
          : values,
  }));

const request = fc.record(
  {
    series: seriesName,
    metricSelector: fc.array(requirement, { maxLength: 4 }),
    namespace: fc.record({ label: labelName, name: text }),
    objects: fc.record({
      label: labelName,
      names: fc.oneof(fc.array(text, { minLength: 1, maxLength: 5 }), fc.constant<'any'>('any')),
    }),
  },
  { requiredKeys: ['series', 'metricSelector'] },
);

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** SPEC 3.3, written apart from label-matchers.ts and query-builder.ts. */
function expected(r: QueryRequest): ExpectedMatcher[] {
  const out: ExpectedMatcher[] = [...r.metricSelector]
    .sort((a, b) => compare(a.key, b.key))
    .map((q) => {
      const value = [...new Set(q.values)].sort(compare).join('|');
      const op: ExpectedMatcher['op'] =
        q.operator === 'NotEquals' || q.operator === 'Exists'
          ? '!='
          : q.operator === 'In'
            ? '=~'
            : q.operator === 'NotIn'
              ? '!~'
              : '=';
      return {
        label: q.key,
        op,
        value: q.operator === 'Exists' || q.operator === 'DoesNotExist' ? '' : value,
      };
    });
  if (r.namespace !== undefined) out.push({ label: r.namespace.label, op: '=', value: r.namespace.name });
  if (r.objects !== undefined) {
    const { label, names } = r.objects;
    if (names === 'any') out.push({ label, op: '=~', value: '.+' });
    else out.push({ label, op: names.length === 1 ? '=' : '=~', value: names.join('|') });
  }
  return out.map((m) => ({ ...m, value: wellFormed(m.value) }));
}

describe('hostile input at the query builder (issue 8)', () => {
  it('arbitrary namespaces, names and selector values stay inside string literals and decode unchanged (c)', () => {
    const shapes = CASES.map((c) => shapeOf(c.template));
    fc.assert(
      fc.property(fc.nat(CASES.length - 1), request, (index, r) => {
        const { template, extraGroupBy } = CASES[index]!;
        const full: QueryRequest = { ...r, extraGroupBy };
        checkQuery(renderQuery(template, full), [shapes[index]!], expected(full));
      }),
      fuzzParameters(15000),
    );
  });

  it('a selector key that is not a Prometheus label name is a 400, never text outside the literals', () => {
    fc.assert(
      fc.property(fc.oneof(text, labelName), fc.constantFrom(...OPERATORS), (key, operator) => {
        const r: QueryRequest = {
          series: 'qps',
          metricSelector: [{ key, operator, values: operator.startsWith('Exists') ? [] : ['v'] }],
        };
        let query: string;
        try {
          query = renderQuery(CASES[0]!.template, r);
        } catch (e) {
          expect(e).toBeInstanceOf(StatusError);
          expect((e as StatusError).code).toBe(400);
          return;
        }
        expect(key).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
        expect(skeletonOf(scanPromQL(query))).toContain(`{${key}`);
      }),
      fuzzParameters(5000),
    );
  });

  it.each([
    '"}) or vector(1) #',
    '"}[2m])) by (x) or vector(1) #',
    '\\"}) or vector(1) #',
    "'}) or vector(1) #",
    '`) or vector(1) #',
    '",__name__=~".+',
    '\\',
    '\n"} or vector(1)\n',
    '<<.Series>>{{.Series}}',
  ])('injected text %j never changes the structure of any template’s query', (injected) => {
    for (const { template, extraGroupBy } of CASES) {
      const benign: QueryRequest = {
        series: 'qps',
        metricSelector: [{ key: 'app', operator: 'In', values: ['x', 'y'] }],
        namespace: { label: 'namespace', name: 'x' },
        objects: { label: 'pod', names: ['x'] },
        extraGroupBy,
      };
      const hostile: QueryRequest = {
        ...benign,
        metricSelector: [{ key: 'app', operator: 'In', values: [injected, `${injected}2`] }],
        namespace: { label: 'namespace', name: injected },
        objects: { label: 'pod', names: [injected] },
      };
      const query = renderQuery(template, hostile);
      expect(skeletonOf(scanPromQL(query))).toBe(skeletonOf(scanPromQL(renderQuery(template, benign))));
      checkQuery(query, [shapeOf(template)], expected(hostile));
    }
  });
});
