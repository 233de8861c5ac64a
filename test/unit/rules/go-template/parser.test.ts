import { describe, expect, it } from '@jest/globals';

import { TemplateError, parseTemplate } from '../../../../src/rules/go-template/index.js';

function parseError(source: string, delims: [string, string] = ['{{', '}}']): TemplateError {
  try {
    parseTemplate(source, { name: 'q', leftDelim: delims[0], rightDelim: delims[1] });
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(source)} to be rejected`);
}

describe('parseTemplate errors (Go messages, with 1-based line and column of the offending token)', () => {
  it('formats the message as template: <name>:<line>:<col>: <problem> and sets the fields', () => {
    const e = parseError('sum(rate(<<foo>>{}[2m]))', ['<<', '>>']);
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe('template: q:1:12: function "foo" not defined');
    expect(e).toMatchObject({ templateName: 'q', line: 1, column: 12, phase: 'parse' });
  });

  it('names the template "template" by default', () => {
    expect(() => parseTemplate('{{foo}}')).toThrow('template: template:1:3: function "foo" not defined');
  });

  it('counts lines and columns (in characters) from the start of the source', () => {
    expect(parseError('line one\né€ {{\n  foo}}')).toMatchObject({ line: 3, column: 3 });
  });

  it.each([
    // lexical errors
    ['abc\n  {{.X', 'unclosed action', 2, 7],
    ['{{.X\n\n', 'unclosed action started at q:1', 3, 1],
    ['a\n\n   {{(1}}', 'unclosed left paren', 3, 8],
    ['{{"abc}}', 'unterminated quoted string', 1, 3],
    ['{{/* abc }}', 'unclosed comment', 1, 3],
    ['{{/* abc */ x}}', 'comment ends before closing delimiter', 1, 3],
    // grammar
    ['{{if .X}}', 'unexpected EOF', 1, 10],
    ['{{end}}', 'unexpected {{end}}', 1, 3],
    ['{{else}}', 'unexpected {{else}}', 1, 3],
    ['{{if}}{{end}}', 'missing value for if', 1, 5],
    ['{{range}}{{end}}', 'missing value for range', 1, 8],
    ['{{with}}{{end}}', 'missing value for with', 1, 7],
    ['{{}}', 'missing value for command', 1, 3],
    ['{{if .X end}}', 'unexpected <end> in operand', 1, 9],
    ['{{ /* c */ }}', 'unexpected "/" in command', 1, 4],
    ['{{range .}}{{else}}{{else}}{{end}}', 'expected end; found {{else}}', 1, 22],
    ['{{range .}}{{else if .}}{{end}}{{end}}', 'unexpected <if> in input', 1, 19],
    ['{{.X | 1}}', 'non executable command in pipeline stage 2', 1, 8],
    ['{{.X | | .Y}}', 'unexpected "|" in command', 1, 8],
    ['{{1.X}}', 'bad number syntax: "1.X"', 1, 3],
    ['{{"a".X}}', 'unexpected . after term "\\"a\\""', 1, 6],
    ['{{$x := 1}}{{$x.}}', 'unexpected <.> in operand', 1, 16],
    ['{{break}}', '{{break}} outside {{range}}', 1, 3],
    ['{{range .}}{{else}}{{continue}}{{end}}', '{{continue}} outside {{range}}', 1, 22],
    ['{{range .}}{{break 1}}{{end}}', 'unexpected "1" in {{break}}', 1, 20],
    ['{{range $a, $b, $c := .}}{{end}}', 'too many declarations in range', 1, 15],
    ['{{range $a, 1}}{{end}}', 'range can only initialize variables', 1, 13],
    ['{{$x, $y := 1}}', 'too many declarations in command', 1, 5],
    // variables and their scope
    ['{{$x}}', 'undefined variable "$x"', 1, 3],
    ['{{if true}}{{$y := 3}}{{end}}{{$y}}', 'undefined variable "$y"', 1, 32],
    ['{{range $v := .}}{{end}}{{$v}}', 'undefined variable "$v"', 1, 27],
    ['{{with $w := .}}{{else}}{{end}}{{$w}}', 'undefined variable "$w"', 1, 34],
    // literals
    ['{{99999999999999999999}}', 'integer overflow: "99999999999999999999"', 1, 3],
    ['{{08}}', 'integer overflow: "08"', 1, 3],
    ['{{1e}}', 'illegal number syntax: "1e"', 1, 3],
    ['{{"\\q"}}', 'invalid syntax', 1, 3],
    ["{{'ab'}}", "malformed character constant: 'ab'", 1, 3],
  ])('rejects %j: %s', (source, problem, line, column) => {
    const e = parseError(source);
    expect(e.message).toBe(`template: q:${line}:${column}: ${problem}`);
    expect(e).toMatchObject({ line, column, phase: 'parse' });
  });

  it.each([
    ['{{define "x"}}{{end}}', '{{define}} is not supported'],
    ['{{template "x"}}', '{{template}} is not supported'],
    ['{{block "x" .}}{{end}}', '{{block}} is not supported'],
    ['{{call .F}}', 'function "call" not defined'],
    ['{{.X | foo}}', 'function "foo" not defined'],
    ['{{1i}}', 'complex constant 1i is not supported'],
  ])('rejects what SPEC 3.3 does not list: %j', (source, problem) => {
    expect(parseError(source).problem).toBe(problem);
  });

  it.each([
    ['{{len}}', 'wrong number of args for len: want 1 got 0'],
    ['{{len 1 2}}', 'wrong number of args for len: want 1 got 2'],
    ['{{1 | not 2}}', 'wrong number of args for not: want 1 got 2'],
    ['{{and}}', 'wrong number of args for and: want at least 1 got 0'],
    ['{{printf}}', 'wrong number of args for printf: want at least 1 got 0'],
    ['{{print len}}', 'wrong number of args for len: want 1 got 0'],
    ['{{eq 1}}', 'error calling eq: missing argument for comparison'],
    ['{{printf 1}}', 'expected string; found 1'],
    ['{{printf nil}}', 'cannot assign nil to string'],
    ['{{nil}}', 'nil is not a command'],
    ['{{1 2}}', "can't give argument to non-function 1"],
    ['{{"a" "b"}}', 'can\'t give argument to non-function "a"'],
    ['{{$x := 1}}{{$x 2}}', "can't give argument to non-function $x"],
    ['{{.X 1}}', 'X has arguments but cannot be invoked as function'],
    ['{{1 | .X}}', 'X has arguments but cannot be invoked as function'],
    ['{{18446744073709551615}}', '18446744073709551615 overflows int'],
  ])('rejects when parsing what Go would only reject when executing: %j', (source, problem) => {
    expect(parseError(source).problem).toBe(problem);
  });

  it.each([
    '{{.X|}}',
    '{{if .A}}a{{else if .B}}b{{else}}c{{end}}',
    '{{with .A}}a{{else with .B}}b{{else}}c{{end}}',
    '{{range $i, $v := .}}{{if $i}}{{continue}}{{end}}{{break}}{{else}}none{{end}}',
    '{{$x := 1}}{{$x = 2}}{{print ($y := 3) $y}}',
    '{{/* comment */}}{{- /* trimmed */ -}}',
    '{{`raw` | printf "%s%s" "a"}}{{(index . 0).Field}}{{$.A.B}}',
    "{{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}} {{0x1p4}} {{'a'}} {{.5}} {{1e3}}",
  ])('accepts %j', (source) => {
    expect(parseTemplate(source).source).toBe(source);
  });
});
