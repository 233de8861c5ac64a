/**
 * fast-check arbitraries for hostile requests: path segments (unicode, quotes, backslashes, `%` encodings, `..`,
 * PromQL and template injection, very long), Kubernetes label selectors (from the grammar, with invalid keys,
 * values and operators mixed in, and random strings), HTTP methods and request shapes over every route.
 */
import fc from 'fast-check';

/** Snippets that would change a query, a template, a path or a log line if passed through unquoted. */
export const HOSTILE_SNIPPETS = [
  '"',
  "'",
  '`',
  '\\',
  '\\"',
  '"}) or vector(1) #',
  '"} or vector(1) #',
  '\\"}) or vector(1) #',
  "'}) or vector(1) #",
  '`) or vector(1) #',
  '"}[2m])) by (x) or vector(1) #',
  '",__name__=~".+',
  '|.+',
  '.*',
  '{',
  '}',
  '(',
  ')',
  ',',
  '=~',
  '!~',
  '#',
  '$1',
  '${1}',
  '$$',
  '<<.Series>>',
  '<<.LabelMatchers>>',
  '{{.Series}}',
  '..',
  '.',
  '*',
  '%',
  '%25',
  '%2F',
  '%00',
  '\u0000',
  '\n',
  '\r\n',
  '\t',
  '\u007f',
  '\u0085',
  '\u00ad',
  '\u200b',
  '\u2028',
  '\ufeff',
  '\ufffd',
  'é',
  'Ω',
  '中文',
  '💥',
  '👩‍👩‍👧',
  'in',
  'notin',
  '__name__',
  'Error:',
  '/src/',
  '/dist/',
  'node_modules',
  '    at ',
  'constructor',
  '__proto__',
  'toString',
] as const;

const hostileSnippet = fc.constantFrom(...HOSTILE_SNIPPETS);

/** Unicode text of every kind: ASCII, full code-point range, grapheme clusters. */
const anyText = (maxLength: number) =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
  );

/** Concatenations of hostile snippets and random text: the main source of nasty segments and values. */
const hostileText = fc
  .array(fc.oneof({ weight: 3, arbitrary: hostileSnippet }, { weight: 2, arbitrary: anyText(8) }), {
    minLength: 1,
    maxLength: 6,
  })
  .map((parts) => parts.join(''));

/** Text a few characters either side of the router's 4096-character segment limit, or far beyond. */
const longText = fc.oneof(
  fc
    .tuple(fc.integer({ min: 4090, max: 4100 }), fc.constantFrom('a', 'é', '"', '%'))
    .map(([n, c]) => c.repeat(n)),
  fc
    .tuple(fc.integer({ min: 1300, max: 1400 }), hostileSnippet)
    .map(([n, s]) => s.repeat(Math.ceil(n / s.length))),
  fc.integer({ min: 5000, max: 9000 }).map((n) => 'x'.repeat(n)),
);

/** A decoded path segment value. */
export function segmentValue(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...known) },
    { weight: 6, arbitrary: hostileText },
    { weight: 2, arbitrary: anyText(20) },
    { weight: 1, arbitrary: longText },
    { weight: 1, arbitrary: fc.constantFrom('', '.', '..', '*') },
  );
}

/**
 * How a segment goes on the wire. canonical: encodeURIComponent, so the server decodes exactly the value. raw:
 * as is (the inject client and the router make of it what they do). double: encoded twice. broken: canonical
 * plus a stray or invalid escape (`%`, `%zz`, an encoded lone surrogate, an overlong UTF-8 form).
 */
export type Encoding = 'canonical' | 'raw' | 'double' | 'broken';

export const encoding: fc.Arbitrary<Encoding> = fc.constantFrom<Encoding>(
  'canonical',
  'canonical',
  'canonical',
  'canonical',
  'canonical',
  'canonical',
  'raw',
  'double',
  'broken',
);

const BROKEN_ESCAPES = ['%', '%z', '%zz', '%ED%A0%80', '%C0%AF', '%E0%80%AF', '%FF', '%2', '%%'];

/** Encodes a segment value for the wire; a value encodeURIComponent refuses is sent raw. */
export function encodeSegment(value: string, how: Encoding, salt: number): string {
  let canonical: string;
  try {
    canonical = encodeURIComponent(value);
  } catch {
    return value;
  }
  switch (how) {
    case 'canonical':
      return canonical;
    case 'raw':
      return value;
    case 'double':
      return encodeURIComponent(canonical);
    case 'broken': {
      const escape = BROKEN_ESCAPES[salt % BROKEN_ESCAPES.length]!;
      const at = salt % (canonical.length + 1);
      return canonical.slice(0, at) + escape + canonical.slice(at);
    }
  }
}

export interface Segment {
  value: string;
  how: Encoding;
  salt: number;
}

export function segment(known: readonly string[]): fc.Arbitrary<Segment> {
  return fc.record({ value: segmentValue(known), how: encoding, salt: fc.nat(10_000) });
}

// ---------------------------------------------------------------------------------------------------------------
// Label selectors

const validKey = fc.oneof(
  fc.stringMatching(/^[A-Za-z]([a-z0-9_]{0,11}[a-z0-9])?$/),
  fc.constantFrom('app', 'tier', 'env', 'job', 'pod', 'namespace', 'kubernetes_pod_name', 'in', 'notin', 'k'),
);

/** Keys valid for Kubernetes but not Prometheus label names, and keys valid for neither. */
const oddKey = fc.oneof(
  fc.constantFrom(
    'app.kubernetes.io/name',
    'example.com/tier',
    'a.b',
    'a-b',
    'A1',
    '9lives',
    '_hidden',
    '__name__',
    'x/',
    '/x',
    'a/b/c',
    'k'.repeat(64),
    'k'.repeat(63),
  ),
  fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?$/),
  hostileText,
);

const validValue = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?$/),
  fc.constantFrom('', 'web', 'front', 'back', 'v1.2.3', 'a_b', 'in', 'notin', 'v'.repeat(63)),
);

const oddValue = fc.oneof(hostileText, anyText(6), fc.constant('v'.repeat(64)));

const selectorKey = fc.oneof({ weight: 4, arbitrary: validKey }, { weight: 1, arbitrary: oddKey });
const selectorValue = fc.oneof({ weight: 4, arbitrary: validValue }, { weight: 1, arbitrary: oddValue });
const space = fc.constantFrom('', '', '', ' ', '  ', '\t', '\n');

const requirement: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(selectorKey, fc.constantFrom('=', '==', '!=', '>', '<', '=!', '==='), selectorValue, space, space)
    .map(([k, op, v, s1, s2]) => `${k}${s1}${op}${s2}${v}`),
  fc
    .tuple(
      selectorKey,
      fc.constantFrom(' in ', ' notin ', 'in', ' IN ', ' in'),
      fc.array(selectorValue, { maxLength: 4 }),
      space,
      fc.boolean(),
    )
    .map(([k, op, vs, s, close]) => `${k}${op}${s}(${vs.join(`,${s}`)}${close ? ')' : ''}`),
  selectorKey,
  selectorKey.map((k) => `!${k}`),
  fc.tuple(selectorKey, fc.constantFrom('>', '<'), fc.integer()).map(([k, op, n]) => `${k}${op}${n}`),
);

/** A label selector from the Kubernetes grammar (with invalid parts mixed in) or random text. */
export const selectorText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.array(requirement, { minLength: 1, maxLength: 4 }).map((rs) => rs.join(',')) },
  { weight: 1, arbitrary: fc.array(requirement, { minLength: 1, maxLength: 3 }).map((rs) => rs.join(', ,')) },
  { weight: 1, arbitrary: hostileText },
  { weight: 1, arbitrary: anyText(30) },
  { weight: 1, arbitrary: fc.constantFrom('', ',', '!', '=', 'in', 'a in ()', 'a in (', '!a=b', 'a=b=c') },
);

/** Selectors that parse as valid Kubernetes selectors: what reaches the query builder most often. */
export const validSelectorText: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.tuple(validKey, fc.constantFrom('=', '==', '!='), validValue).map(([k, op, v]) => `${k}${op}${v}`),
      fc
        .tuple(
          validKey,
          fc.constantFrom(' in ', ' notin '),
          fc.array(validValue, { minLength: 1, maxLength: 4 }),
        )
        .map(([k, op, vs]) => `${k}${op}(${vs.join(',')})`),
      validKey,
      validKey.map((k) => `!${k}`),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((rs) => rs.join(','));

/** A query parameter: name, value, and whether it is sent canonically encoded (once). */
export interface QueryParam {
  name: string;
  value: string;
  how: 'canonical' | 'raw' | 'duplicate';
}

export function queryParams(names: readonly string[]): fc.Arbitrary<QueryParam[]> {
  const param = fc.record({
    name: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...names) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('fieldSelector', 'watch', 'limit', '__proto__', 'constructor'),
      },
      { weight: 1, arbitrary: anyText(8) },
    ),
    value: fc.oneof({ weight: 3, arbitrary: selectorText }, { weight: 2, arbitrary: validSelectorText }),
    how: fc.constantFrom<QueryParam['how']>(
      'canonical',
      'canonical',
      'canonical',
      'canonical',
      'raw',
      'duplicate',
    ),
  });
  return fc.array(param, { maxLength: 3 });
}

/** Renders query parameters; raw values go as typed (`&`, `=`, `+`, `#` and `%` included). */
export function renderQuery(params: readonly QueryParam[]): string {
  if (params.length === 0) return '';
  const parts = params.flatMap((p) => {
    let name: string;
    let value: string;
    try {
      name = encodeURIComponent(p.name);
      value = encodeURIComponent(p.value);
    } catch {
      return [`${p.name}=${p.value}`];
    }
    if (p.how === 'raw') return [`${p.name}=${p.value}`];
    if (p.how === 'duplicate') return [`${name}=${value}`, `${name}=${value}`];
    return [`${name}=${value}`];
  });
  return `?${parts.join('&')}`;
}

/**
 * The decoded value of each parameter the server sees, when every parameter was sent canonically and once;
 * `undefined` when the encoding leaves that open.
 */
export function decodedParams(params: readonly QueryParam[]): Map<string, string> | undefined {
  const seen = new Map<string, string>();
  for (const p of params) {
    if (p.how !== 'canonical' || seen.has(p.name)) return undefined;
    try {
      encodeURIComponent(p.name + p.value);
    } catch {
      return undefined;
    }
    seen.set(p.name, p.value);
  }
  return seen;
}

// ---------------------------------------------------------------------------------------------------------------
// Methods

export const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'SEARCH',
];

export const method: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('GET') },
  { weight: 2, arbitrary: fc.constant('HEAD') },
  { weight: 3, arbitrary: fc.constantFrom(...METHODS) },
);
