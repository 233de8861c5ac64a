import { describe, expect, it } from '@jest/globals';

import { lex, tokenString } from '../../../../src/rules/go-template/lexer.js';
import type { Token } from '../../../../src/rules/go-template/lexer.js';

const kinds = (tokens: Token[]): string[] => tokens.map((t) => `${t.type}:${t.val}`);

describe('lexer (Go text/template/parse/lex.go)', () => {
  it('splits text and actions and tokenizes the words of an action', () => {
    expect(kinds(lex('a {{.X | printf "%d" $v}} b', '{{', '}}'))).toEqual([
      'text:a ',
      'leftDelim:{{',
      'field:.X',
      'space: ',
      'pipe:|',
      'space: ',
      'identifier:printf',
      'space: ',
      'string:"%d"',
      'space: ',
      'variable:$v',
      'rightDelim:}}',
      'text: b',
      'eof:',
    ]);
  });

  it('uses the configured delimiters (SPEC 3.3: << >>)', () => {
    expect(kinds(lex('x<<.Series>>{{y}}', '<<', '>>'))).toEqual([
      'text:x',
      'leftDelim:<<',
      'field:.Series',
      'rightDelim:>>',
      'text:{{y}}',
      'eof:',
    ]);
  });

  it('lexes field chains, variables with fields, keywords, booleans and nil', () => {
    expect(
      kinds(lex('{{$x.A.B if else end range with break continue true nil . $}}', '{{', '}}')).filter(
        (k) => k !== 'space: ',
      ),
    ).toEqual([
      'leftDelim:{{',
      'variable:$x',
      'field:.A',
      'field:.B',
      'if:if',
      'else:else',
      'end:end',
      'range:range',
      'with:with',
      'break:break',
      'continue:continue',
      'bool:true',
      'nil:nil',
      'dot:.',
      'variable:$',
      'rightDelim:}}',
      'eof:',
    ]);
  });

  it.each([
    ['1_000', 'number'],
    ['0x1F', 'number'],
    ['-3.5e+2', 'number'],
    ['.5', 'number'],
    ["'a'", 'charConstant'],
    ['`raw\\`', 'rawString'],
    ['"q\\"x"', 'string'],
    ['1+2i', 'complex'],
  ])('lexes the literal %s as %s', (literal, type) => {
    const tokens = lex(`{{${literal}}}`, '{{', '}}');
    expect(tokens[1]).toMatchObject({ type, val: literal, pos: 2 });
  });

  describe('trim markers (a marker needs a space beside it and trims all adjacent whitespace)', () => {
    it('trims spaces and newlines on both sides', () => {
      expect(kinds(lex('a \n\t {{- .X -}} \n b', '{{', '}}'))).toEqual([
        'text:a',
        'leftDelim:{{',
        'field:.X',
        'rightDelim:}}',
        'text:b',
        'eof:',
      ]);
    });

    it('reads "{{-3}}" as the number -3, not a trim marker', () => {
      expect(kinds(lex('a {{-3}}', '{{', '}}'))).toEqual([
        'text:a ',
        'leftDelim:{{',
        'number:-3',
        'rightDelim:}}',
        'eof:',
      ]);
    });

    it('applies to the << >> delimiters too', () => {
      expect(kinds(lex('a  <<- .X ->>\n', '<<', '>>'))).toEqual([
        'text:a',
        'leftDelim:<<',
        'field:.X',
        'rightDelim:>>',
        'eof:',
      ]);
    });

    it('drops comments, trimming around them when marked', () => {
      expect(kinds(lex('a {{/* c */}} b {{- /* c */ -}} c', '{{', '}}'))).toEqual([
        'text:a ',
        'text: b',
        'text:c',
        'eof:',
      ]);
    });
  });

  it.each([
    ['{{.X', 'unclosed action', 4],
    ['{{(1}}', 'unclosed left paren', 4],
    ['{{1)}}', "unexpected right paren U+0029 ')'", 4],
    ['{{"abc}}', 'unterminated quoted string', 2],
    ['{{`abc}}', 'unterminated raw quoted string', 2],
    ["{{'a}}", 'unterminated character constant', 2],
    ['{{/* c }}', 'unclosed comment', 2],
    ['{{/* c */ x}}', 'comment ends before closing delimiter', 2],
    ['{{€}}', "unrecognized character in action: U+20AC '€'", 2],
    ['{{.X!}}', "bad character U+0021 '!'", 2],
    ['{{1a}}', 'bad number syntax: "1a"', 2],
    ['{{$x : 1}}', 'expected :=', 5],
  ])('reports %j as the error token %j at its start', (source, message, pos) => {
    const tokens = lex(source, '{{', '}}');
    expect(tokens[tokens.length - 1]).toEqual({ type: 'error', val: message, pos });
  });

  it.each([
    [{ type: 'eof', val: '', pos: 0 }, 'EOF'],
    [{ type: 'end', val: 'end', pos: 0 }, '<end>'],
    [{ type: 'char', val: '/', pos: 0 }, '"/"'],
    [{ type: 'text', val: 'abcdefghijklmn', pos: 0 }, '"abcdefghij"...'],
  ] as Array<[Parameters<typeof tokenString>[0], string]>)(
    'names the token %j as %s in messages',
    (token, name) => {
      expect(tokenString(token)).toBe(name);
    },
  );
});
