import { describe, expect, it } from '@jest/globals';

import { TemplateError, parseTemplate } from '../../../../src/rules/go-template/index.js';

const render = (source: string, data?: unknown): string => parseTemplate(source, { name: 'q' }).execute(data);

function problem(source: string, data?: unknown): string {
  try {
    render(source, data);
  } catch (e) {
    if (e instanceof TemplateError) return e.problem.replace(/^executing "q" at <[^>]*>: /, '');
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(source)} to fail`);
}

describe('builtin functions (Go text/template funcs.go)', () => {
  it.each([
    // and / or return the deciding argument and short-circuit
    ['and/or', '{{and 1 0 2}} {{or 0 "" "x"}} {{and 1 2}} [{{or 0 ""}}]', null, '0 x 2 []'],
    ['and short-circuits', '{{and 0 (index . 5)}}', [], '0'],
    ['or short-circuits', '{{or 1 .X.Y}}', { X: null }, '1'],
    ['and takes the piped value last', '{{"b" | and "a"}}', null, 'b'],
    ['not', '{{not 0}} {{not 1}} {{not ""}} {{not .}} {{not nil}}', [], 'true false true true true'],
    // len counts UTF-8 bytes of strings, like Go
    ['len', '{{len "héllo"}} {{len .A}} {{len .M}}', { A: [1, 2], M: new Map([['a', 1]]) }, '6 2 1'],
    // index
    ['index of a string is a byte', '{{index "abc" 1}}', null, '98'],
    ['index multi-level', '{{index . 1 0}}', [[1], [2, 3]], '2'],
    ['index into a map then a slice', '{{index . "a" 1}}', new Map([['a', [1, 2]]]), '2'],
    ['index of a missing key in a map of strings is ""', '[{{index . "x"}}]', new Map([['a', 'b']]), '[]'],
    [
      'index of a missing key in a map of other values is nil',
      '{{index . "x"}}',
      new Map([['a', 1]]),
      '<no value>',
    ],
    ['index with the pipeline value', '{{.A | index .M}}', { A: 'k', M: new Map([['k', 'v']]) }, 'v'],
    // slice
    [
      'slice',
      '{{slice "hello" 1 3}} {{slice .A 1}} {{slice .A 1 2 3}} {{slice .A}}',
      { A: [1, 2, 3] },
      'el [2 3] [2] [1 2 3]',
    ],
    // comparisons
    [
      'eq with several arguments',
      '{{eq 1 2 1}} {{eq "a" "b"}} {{eq "a" "b" "a"}} {{eq true true}}',
      null,
      'true false true true',
    ],
    [
      'ne lt le gt ge',
      '{{ne 1 1}} {{lt 1 2}} {{lt "b" "a"}} {{le 2 2}} {{gt 3 2}} {{ge 2 3}} {{ge "b" "a"}}',
      null,
      'false true false true true false true',
    ],
    ['floats compare with floats', '{{lt 1.5 2.5}} {{eq 1.5 .}}', 1.5, 'true true'],
    [
      'nil equals only nil',
      '{{eq .X nil}} {{eq .X .Y}} {{ne .X 1}} {{eq nil 1}}',
      { X: null, Y: null },
      'true true true false',
    ],
    ['a missing key is not equal to a value', '{{eq .M.x 1}}', { M: new Map() }, 'false'],
    [
      'structs compare field by field',
      '{{eq .A .B}} {{eq .A .C}}',
      { A: { X: 1 }, B: { X: 1 }, C: { X: 2 } },
      'true false',
    ],
    // printing
    ['print adds spaces between non-string operands', '{{print 1 2 "a" "b" 3 nil}}', null, '1 2ab3 <nil>'],
    ['println', '{{println 1 "a" nil}}', null, '1 a <nil>\n'],
    ['printf', '{{printf "%s=%d" "a" 1}}', null, 'a=1'],
    ['print of nothing', '[{{print}}|{{printf "x"}}]', null, '[|x]'],
    // escapers
    ['html', '{{html "<a href=\'x\'>&\\"\\u0000"}}', null, '&lt;a href=&#39;x&#39;&gt;&amp;&#34;\uFFFD'],
    [
      'html prints no value for nil',
      '{{html 1 nil 2}} {{html .M.x}}',
      { M: new Map() },
      '1&lt;no value&gt;2 &lt;no value&gt;',
    ],
    [
      'js',
      '{{js "a\'b\\"<>&=\\u2028é\\x01\\u00ad"}}',
      null,
      'a\\\'b\\"\\u003C\\u003E\\u0026\\u003D\\u2028é\\u0001\\u00AD',
    ],
    ['urlquery', '{{urlquery "a b&c/d=é~._-"}}', null, 'a+b%26c%2Fd%3D%C3%A9~._-'],
  ])('%s', (_name, source, data, expected) => {
    expect(render(source, data)).toBe(expected);
  });

  it.each([
    ['{{len nil}}', null, 'error calling len: reflect: call of reflect.Value.Type on zero Value'],
    ['{{len .X}}', { X: null }, 'error calling len: len of nil pointer'],
    ['{{len 3}}', null, 'error calling len: len of type int'],
    ['{{index "abc" 3}}', null, 'error calling index: reflect: string index out of range'],
    ['{{index .A 2}}', { A: [1, 2] }, 'error calling index: reflect: slice index out of range'],
    ['{{index .A 5}}', { A: [1, 2] }, 'error calling index: index out of range: 5'],
    ['{{index .A -1}}', { A: [1, 2] }, 'error calling index: index out of range: -1'],
    ['{{index . 1.0}}', [1], 'error calling index: cannot index slice/array with type float64'],
    ['{{index . nil}}', [1], 'error calling index: cannot index slice/array with nil'],
    ['{{index . 1}}', new Map([['a', 'b']]), 'error calling index: value has type int; should be string'],
    ['{{index 1 1}}', null, "error calling index: can't index item of type int"],
    ['{{index nil 1}}', null, 'error calling index: index of untyped nil'],
    ['{{index .A 0 0}}', { A: [null] }, 'error calling index: index of nil pointer'],
    ['{{slice . 1 2 3 4}}', [1], 'error calling slice: too many slice indexes: 4'],
    ['{{slice . 2 1}}', [1, 2, 3], 'error calling slice: invalid slice index: 2 > 1'],
    ['{{slice "abc" 1 2 3}}', null, 'error calling slice: cannot 3-index slice a string'],
    ['{{slice 1}}', null, "error calling slice: can't slice item of type int"],
    ['{{eq 1 "a"}}', null, 'error calling eq: incompatible types for comparison'],
    ['{{eq 1 1.0}}', null, 'error calling eq: incompatible types for comparison'],
    ['{{eq .A .A}}', { A: [1] }, 'error calling eq: non-comparable type [%!s(int=1)]: []interface {}'],
    [
      '{{eq .A .B}}',
      { A: { X: [1] }, B: { X: [1] } },
      'error calling eq: runtime error: comparing uncomparable type []interface {}',
    ],
    ['{{lt true false}}', null, 'error calling lt: invalid type for comparison'],
    ['{{lt .X 1}}', { X: null }, 'error calling lt: invalid type for comparison'],
    ['{{lt "a" 1}}', null, 'error calling lt: incompatible types for comparison'],
    ['{{gt 1 "a"}}', null, 'error calling gt: incompatible types for comparison'],
  ])('%j with %j fails: %s', (source, data, expected) => {
    expect(problem(source, data)).toBe(expected);
  });
});
