/**
 * A PromQL string-literal scanner for the fuzz suite, written apart from the adapter's quoting (go-format.ts) so
 * that it can judge it: splits a query into code and string literals, decoding each literal as Prometheus' lexer
 * and Go's strconv.Unquote do (`"…"` and `'…'` with escapes, `` `…` `` raw). It rejects what Prometheus rejects
 * (unterminated literals, newlines, unknown escapes, invalid code points, a raw U+FFFD) and, stricter than
 * Prometheus, raw control characters, which Go's %q always escapes.
 */

export class PromQLScanError extends Error {
  override readonly name = 'PromQLScanError';
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
  }
}

export interface CodeSegment {
  kind: 'code';
  text: string;
  start: number;
}

export interface StringSegment {
  kind: 'string';
  /** The literal as written, quotes included. */
  raw: string;
  /** The decoded value. */
  value: string;
  start: number;
}

export type Segment = CodeSegment | StringSegment;

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

const HEX = /^[0-9a-fA-F]+$/;
const OCTAL = /^[0-7]{3}$/;

function isValidCodePoint(cp: number): boolean {
  return cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
}

/** Decodes the escape starting after the backslash at `i`; returns the text and the index after the escape. */
function decodeEscape(query: string, i: number, quote: string): [string, number] {
  const c = query.charAt(i);
  if (c === '') throw new PromQLScanError('unterminated escape', i);
  if (c === quote) return [quote, i + 1];
  const simple = SIMPLE_ESCAPES[c];
  if (simple !== undefined) return [simple, i + 1];
  const width = c === 'x' ? 2 : c === 'u' ? 4 : c === 'U' ? 8 : 0;
  if (width > 0) {
    const digits = query.slice(i + 1, i + 1 + width);
    if (digits.length !== width || !HEX.test(digits)) {
      throw new PromQLScanError(`escape \\${c} needs ${width} hex digits`, i);
    }
    const cp = parseInt(digits, 16);
    // NB: \x and octal escapes are bytes; above 0x7f they would make the query invalid UTF-8.
    if (c === 'x' && cp > 0x7f) throw new PromQLScanError(`escape \\x${digits} is not a UTF-8 character`, i);
    if (!isValidCodePoint(cp))
      throw new PromQLScanError(`escape \\${c}${digits} is not a valid code point`, i);
    return [String.fromCodePoint(cp), i + 1 + width];
  }
  const octal = query.slice(i, i + 3);
  if (OCTAL.test(octal)) {
    const cp = parseInt(octal, 8);
    if (cp > 0x7f) throw new PromQLScanError(`escape \\${octal} is not a UTF-8 character`, i);
    return [String.fromCodePoint(cp), i + 3];
  }
  throw new PromQLScanError(`unknown escape sequence \\${c}`, i);
}

function scanQuoted(query: string, start: number): StringSegment {
  const quote = query.charAt(start);
  let value = '';
  let i = start + 1;
  for (;;) {
    if (i >= query.length) throw new PromQLScanError('unterminated quoted string', start);
    const code = query.charCodeAt(i);
    const c = query.charAt(i);
    if (c === quote) {
      return { kind: 'string', raw: query.slice(start, i + 1), value, start };
    }
    if (c === '\\') {
      const [text, next] = decodeEscape(query, i + 1, quote);
      value += text;
      i = next;
      continue;
    }
    if (c === '\n') throw new PromQLScanError('newline in quoted string', i);
    // NB: Prometheus' lexer reads U+FFFD as utf8.RuneError and rejects the query ("invalid UTF-8 rune").
    if (code === 0xfffd) throw new PromQLScanError('raw U+FFFD (Prometheus rejects it as invalid UTF-8)', i);
    if (code < 0x20 || code === 0x7f) {
      throw new PromQLScanError(`raw control character U+${code.toString(16).padStart(4, '0')}`, i);
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const cp = query.codePointAt(i) ?? code;
      if (cp <= 0xffff) throw new PromQLScanError('lone surrogate (invalid UTF-8)', i);
      value += String.fromCodePoint(cp);
      i += 2;
      continue;
    }
    value += c;
    i++;
  }
}

function scanRaw(query: string, start: number): StringSegment {
  const end = query.indexOf('`', start + 1);
  if (end < 0) throw new PromQLScanError('unterminated raw string', start);
  const value = query.slice(start + 1, end);
  return { kind: 'string', raw: query.slice(start, end + 1), value, start };
}

/**
 * Splits `query` into code and string-literal segments. A `#` outside literals is an error: it starts a PromQL
 * comment, which the adapter's templates never contain.
 * @throws PromQLScanError naming the problem and its position
 */
export function scanPromQL(query: string): Segment[] {
  const segments: Segment[] = [];
  let codeStart = 0;
  let i = 0;
  const flushCode = (end: number) => {
    if (end > codeStart) segments.push({ kind: 'code', text: query.slice(codeStart, end), start: codeStart });
  };
  while (i < query.length) {
    const c = query.charAt(i);
    if (c === '"' || c === "'" || c === '`') {
      flushCode(i);
      const literal = c === '`' ? scanRaw(query, i) : scanQuoted(query, i);
      segments.push(literal);
      i = literal.start + literal.raw.length;
      codeStart = i;
      continue;
    }
    if (c === '#') throw new PromQLScanError('comment (#) outside string literals', i);
    i++;
  }
  flushCode(query.length);
  return segments;
}

/** The query with every literal replaced by `""`: its structure, which request input must never change. */
export function skeletonOf(segments: readonly Segment[]): string {
  return segments.map((s) => (s.kind === 'code' ? s.text : '""')).join('');
}

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
  raw: string;
}

const MATCHER_HEAD = /([A-Za-z_][A-Za-z0-9_]*)(=~|!~|!=|=)$/;

/**
 * The label matchers of the query in order: every literal preceded by `label op`. Literals in other positions
 * (function arguments such as label_replace's) are not matchers and are left out.
 */
export function matchersOf(segments: readonly Segment[]): Matcher[] {
  const matchers: Matcher[] = [];
  segments.forEach((s, i) => {
    if (s.kind !== 'string') return;
    const before = segments[i - 1];
    const head = before?.kind === 'code' ? MATCHER_HEAD.exec(before.text) : null;
    if (head === null) return;
    matchers.push({ label: head[1]!, op: head[2] as Matcher['op'], value: s.value, raw: s.raw });
  });
  return matchers;
}
