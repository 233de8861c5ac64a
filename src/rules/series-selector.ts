/**
 * PromQL series selectors, the language of `seriesQuery` (`/api/v1/series?match[]=`): `name`, `name{...}`,
 * `{...}`, with `=`, `!=`, `=~`, `!~` matchers, values in double, single or back quotes, and Prometheus 3's quoted
 * names (`{"my.metric", "a.b"="c"}`). Regex matchers are fully anchored RE2, as in Prometheus. Pure.
 */
import { compileRE2 } from './re2.js';

export type MatchOp = '=' | '!=' | '=~' | '!~';

/** One label matcher; the metric name (`up{...}` or `{"up"}`) is a `__name__="up"` matcher. */
export interface LabelMatcher {
  readonly label: string;
  readonly op: MatchOp;
  readonly value: string;
}

/** A parsed seriesQuery whose regexes compiled. */
export interface SeriesSelector {
  readonly matchers: readonly LabelMatcher[];
  /** Whether a label value satisfies the matcher (an absent label has the value `""`). */
  matches(matcher: LabelMatcher, value: string): boolean;
}

/** A seriesQuery that Prometheus would refuse; `offset` is the 0-based position of the problem in the text. */
export class SeriesSelectorError extends Error {
  override readonly name = 'SeriesSelectorError';
  constructor(
    message: string,
    readonly offset: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/**
 * Parses a series selector and compiles its regexes, refusing what Prometheus refuses: bad syntax, anything after
 * the selector (a range, an operator, a function), a regex that is not RE2, and a selector with no matcher that
 * excludes the empty value ("vector selector must contain at least one non-empty matcher").
 * @throws SeriesSelectorError naming the problem and its offset
 */
export function parseSeriesSelector(text: string): SeriesSelector {
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw new SeriesSelectorError(`${message} at offset ${at}`, at);
  };
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const quoted = (): string => {
    const start = i;
    const q = text[i]!;
    i++;
    let out = '';
    while (i < text.length && text[i] !== q) {
      const c = text[i]!;
      if (q === '`' || c !== '\\') {
        if (c === '\n' && q !== '`') fail('unterminated quoted string', start);
        out += c;
        i++;
        continue;
      }
      const e = text[i + 1];
      if (e === undefined) break;
      if (e === q || e === '"' || e === "'") {
        out += e;
        i += 2;
      } else if (e in SIMPLE_ESCAPES) {
        out += SIMPLE_ESCAPES[e]!;
        i += 2;
      } else if (e === 'x' || e === 'u' || e === 'U') {
        const size = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = text.slice(i + 2, i + 2 + size);
        if (!new RegExp(`^[0-9a-fA-F]{${size}}$`).test(hex)) fail(`invalid escape \\${e}`, i);
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) fail(`invalid escape \\${e}${hex}`, i);
        out += e === 'x' ? String.fromCharCode(code) : String.fromCodePoint(code);
        i += 2 + size;
      } else if (e >= '0' && e <= '7') {
        const oct = text.slice(i + 1, i + 4);
        if (!/^[0-7]{3}$/.test(oct)) fail('invalid octal escape', i);
        out += String.fromCharCode(parseInt(oct, 8));
        i += 4;
      } else {
        fail(`unknown escape \\${e}`, i);
      }
    }
    if (i >= text.length) fail('unterminated quoted string', start);
    i++;
    return out;
  };
  const isQuote = (c: string | undefined) => c === '"' || c === "'" || c === '`';

  const matchers: LabelMatcher[] = [];
  skipSpace();
  const name = METRIC_NAME.exec(text.slice(i));
  if (name !== null) {
    matchers.push({ label: '__name__', op: '=', value: name[0] });
    i += name[0].length;
    skipSpace();
  }
  if (text[i] === '{') {
    i++;
    for (;;) {
      skipSpace();
      if (text[i] === '}') break;
      const itemStart = i;
      let label: string;
      if (isQuote(text[i])) label = quoted();
      else {
        const m = LABEL_NAME.exec(text.slice(i));
        if (m === null) return fail('expected a label name');
        label = m[0];
        i += label.length;
      }
      skipSpace();
      const op = /^(=~|!~|!=|=)/.exec(text.slice(i))?.[0] as MatchOp | undefined;
      if (op === undefined) {
        // NB: Prometheus 3 accepts a quoted metric name alone inside the braces: {"my.metric", job="x"}.
        if (isQuote(text[itemStart]) && (text[i] === ',' || text[i] === '}')) {
          matchers.push({ label: '__name__', op: '=', value: label });
        } else return fail(`expected one of =, !=, =~, !~ after label ${JSON.stringify(label)}`);
      } else {
        i += op.length;
        skipSpace();
        if (!isQuote(text[i])) return fail(`expected a quoted value for label ${JSON.stringify(label)}`);
        matchers.push({ label, op, value: quoted() });
      }
      skipSpace();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') break;
      return fail(i >= text.length ? 'missing closing }' : 'expected , or }');
    }
    i++;
  } else if (name === null) {
    return fail('expected a metric name or {');
  }
  skipSpace();
  if (i < text.length) {
    fail(
      'unexpected text after the selector (a seriesQuery is a series selector such as up{job="x"}: no range, ' +
        'function or operator)',
    );
  }

  const regexes = new Map<string, RegExp>();
  for (const m of matchers) {
    if ((m.op === '=~' || m.op === '!~') && !regexes.has(m.value)) {
      try {
        regexes.set(m.value, anchoredRE2(m.value));
      } catch (e) {
        throw new SeriesSelectorError(
          `${m.label}${m.op}${JSON.stringify(m.value)}: ${(e as Error).message}`,
          0,
          { cause: e },
        );
      }
    }
  }
  const matches = (m: LabelMatcher, value: string): boolean => {
    switch (m.op) {
      case '=':
        return value === m.value;
      case '!=':
        return value !== m.value;
      case '=~':
        return regexes.get(m.value)!.test(value);
      case '!~':
        return !regexes.get(m.value)!.test(value);
    }
  };
  if (matchers.every((m) => matches(m, ''))) {
    throw new SeriesSelectorError(
      'the selector needs at least one matcher that does not match the empty value (e.g. job!="")',
      0,
    );
  }
  return { matchers, matches };
}

/** A PromQL regex: RE2, fully anchored. */
export function anchoredRE2(pattern: string): RegExp {
  const re = compileRE2(pattern);
  return new RegExp(`^(?:${re.source})$`, re.flags);
}

/** `label="value"` as Prometheus prints a matcher. */
export function formatMatcher(m: LabelMatcher): string {
  return `${m.label}${m.op}${JSON.stringify(m.value)}`;
}
