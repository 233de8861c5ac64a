/** The fuzz suite's PromQL string-literal scanner, checked on its own, since the properties rely on it. */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { fuzzParameters } from './fuzz-params.js';
import { matchersOf, PromQLScanError, scanPromQL, skeletonOf } from './promql-literals.js';

const valueOf = (literal: string): string => {
  const [segment] = scanPromQL(literal);
  if (segment?.kind !== 'string') throw new Error(`${literal} is not one literal`);
  return segment.value;
};

describe('PromQL string-literal scanner (fuzz suite)', () => {
  it.each([
    ['"plain"', 'plain'],
    ['"a\\"b"', 'a"b'],
    ["'a\\'b'", "a'b"],
    ["'a\"b'", 'a"b'],
    ['"a\'b"', "a'b"],
    ['`a\\b"c`', 'a\\b"c'],
    ['"\\a\\b\\f\\n\\r\\t\\v\\\\"', '\x07\b\f\n\r\t\v\\'],
    ['"\\x41\\101\\u00e9\\U0001F4A5"', 'AAé💥'],
    ['"\\ufffd"', '\ufffd'],
    ['"é中💥"', 'é中💥'],
    ['""', ''],
  ])('decodes %s', (literal, value) => {
    expect(valueOf(literal)).toBe(value);
  });

  it.each([
    ['"open', 'unterminated quoted string'],
    ['"a\nb"', 'newline in quoted string'],
    ['"a\\\'b"', 'unknown escape sequence'],
    ['"\\q"', 'unknown escape sequence'],
    ['"\\x4"', 'needs 2 hex digits'],
    ['"\\x80"', 'not a UTF-8 character'],
    ['"\\200"', 'not a UTF-8 character'],
    ['"\\ud800"', 'not a valid code point'],
    ['"\\U00110000"', 'not a valid code point'],
    ['"a\tb"', 'raw control character'],
    ['"a\u007fb"', 'raw control character'],
    ['"a\ufffdb"', 'raw U+FFFD'],
    ['"a\ud800b"', 'lone surrogate'],
    ['"a\\', 'unterminated escape'],
    ['`raw', 'unterminated raw string'],
    ['x{a="1"} or vector(1) # "', 'comment (#) outside string literals'],
  ])(
    'rejects %j (%s): what Prometheus rejects, and raw control characters, which %q never writes',
    (query, problem) => {
      expect(() => scanPromQL(query)).toThrow(PromQLScanError);
      expect(() => scanPromQL(query)).toThrow(problem);
    },
  );

  it('gives the skeleton and the matchers, leaving function-argument literals out of the matchers', () => {
    const segments = scanPromQL(
      'sum(label_replace(x{a="1",b!~"2|\\"3"}, "c", "$1", "d", "(.*)")) by (c) and y{e=~".+"}',
    );
    expect(skeletonOf(segments)).toBe(
      'sum(label_replace(x{a="",b!~""}, "", "", "", "")) by (c) and y{e=~""}',
    );
    expect(matchersOf(segments).map(({ label, op, value }) => [label, op, value])).toEqual([
      ['a', '=', '1'],
      ['b', '!~', '2|"3'],
      ['e', '=~', '.+'],
    ]);
  });

  it('decodes what another quoter (JSON.stringify) writes, for every string Prometheus accepts that way', () => {
    const accepted = fc
      .string({ unit: 'binary', maxLength: 30 })
      .filter((s) => !s.includes('\u007f') && !s.includes('\ufffd'));
    fc.assert(
      fc.property(accepted, (s) => {
        const [matcher] = matchersOf(scanPromQL(`x{a=${JSON.stringify(s)}}`));
        expect(matcher?.value).toBe(s);
      }),
      fuzzParameters(3000),
    );
  });
});
