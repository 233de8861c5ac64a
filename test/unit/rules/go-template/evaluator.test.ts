import { describe, expect, it } from '@jest/globals';

import { TemplateError, parseTemplate } from '../../../../src/rules/go-template/index.js';

const render = (source: string, data?: unknown): string => parseTemplate(source, { name: 'q' }).execute(data);

function execError(source: string, data?: unknown): TemplateError {
  const template = parseTemplate(source, { name: 'q' });
  try {
    template.execute(data);
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(source)} to fail`);
}

/** The arguments prometheus-adapter passes to a metricsQuery (SPEC 3.3). */
const queryArgs = {
  Series: 'qps',
  LabelMatchers: 'kubernetes_namespace="default",kubernetes_pod_name=~"a|b"',
  GroupBy: 'kubernetes_pod_name',
  GroupBySlice: ['kubernetes_pod_name'],
  LabelValuesByName: new Map([
    ['kubernetes_namespace', 'default'],
    ['kubernetes_pod_name', 'a|b'],
  ]),
};

describe('prometheus-adapter templates (SPEC 3.2, 3.3; delimiters << >>)', () => {
  const adapter = (source: string, data: unknown): string =>
    parseTemplate(source, { name: 'metricsQuery', leftDelim: '<<', rightDelim: '>>' }).execute(data);

  it('renders the queue-worker metricsQuery', () => {
    expect(adapter('sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)', queryArgs)).toBe(
      'sum(rate(qps{kubernetes_namespace="default",kubernetes_pod_name=~"a|b"}[2m])) by (kubernetes_pod_name)',
    );
  });

  it('joins .GroupBySlice with range $i, $v', () => {
    const source = '<<range $i, $v := .GroupBySlice>><<if $i>>,<<end>><<$v>><<end>>';
    expect(adapter(source, { ...queryArgs, GroupBySlice: ['pod', 'container'] })).toBe('pod,container');
    expect(adapter(source, { ...queryArgs, GroupBySlice: [] })).toBe('');
  });

  it('prints .GroupBySlice and .LabelValuesByName like Go (%v)', () => {
    expect(
      adapter('<<.GroupBySlice>> <<.LabelValuesByName>>', { ...queryArgs, GroupBySlice: ['a', 'b'] }),
    ).toBe('[a b] map[kubernetes_namespace:default kubernetes_pod_name:a|b]');
  });

  it('reads .LabelValuesByName by field and by index; a missing key is <no value> or ""', () => {
    expect(
      adapter(
        '<<.LabelValuesByName.kubernetes_pod_name>> <<index .LabelValuesByName "kubernetes_namespace">>|' +
          '<<index .LabelValuesByName "zone">>|<<.LabelValuesByName.zone>>',
        queryArgs,
      ),
    ).toBe('a|b default||<no value>');
  });

  it('renders a resources.template for a resource (SPEC 3.2)', () => {
    expect(adapter('kube_<<.Resource>>', { Group: '', Resource: 'namespace' })).toBe('kube_namespace');
    expect(adapter('<<.Group>>_<<.Resource>>', { Group: '', Resource: 'pod' })).toBe('_pod');
  });

  it('trims with <<- and ->> across lines', () => {
    expect(adapter('sum(\n  <<- .Series ->>\n) by (<<.GroupBy>>)', queryArgs)).toBe(
      'sum(qps) by (kubernetes_pod_name)',
    );
  });

  it('executes repeatedly with different data (compiled once)', () => {
    const t = parseTemplate('<<.Series>>', { leftDelim: '<<', rightDelim: '>>' });
    expect([t.execute({ Series: 'a' }), t.execute({ Series: 'b' })]).toEqual(['a', 'b']);
    expect(t).toMatchObject({ name: 'template', source: '<<.Series>>' });
  });
});

describe('data model: JS values as Go values', () => {
  it.each([
    ['struct field', '{{.A.B}}', { A: { B: 'z' } }, 'z'],
    ['map key through a field', '{{.A.B.C}}', { A: { B: new Map([['C', 'deep']]) } }, 'deep'],
    ['$ is the data', '{{with .A}}{{$.B}}{{end}}', { A: 1, B: 2 }, '2'],
    ['missing map key prints <no value>', '{{.M.x}}', { M: new Map() }, '<no value>'],
    ['missing map key passed to print is nil', '{{print .M.x}}', { M: new Map() }, '<nil>'],
    ['a field of no value is no value', '{{.M.x.y}}', { M: new Map() }, '<no value>'],
    ['nil data', '{{.}} {{.X}}', null, '<no value> <no value>'],
    ['nil struct field', '{{.X}}|{{print .X}}', { X: null }, '<no value>|<nil>'],
    ['undefined struct field is nil', '{{.X}}', { X: undefined }, '<no value>'],
    ['slice', '{{.}}', [1, 'a', null, 2.5, true], '[1 a <nil> 2.5 true]'],
    ['struct prints its values in key order', '{{.}}', { B: 'x', A: [1, 2] }, '{x [1 2]}'],
    [
      'map prints in sorted key order',
      '{{.}}',
      new Map([
        ['b', 1],
        ['B', 2],
        ['a', 3],
      ]),
      'map[B:2 a:3 b:1]',
    ],
    ['integers print without a decimal point', '{{.}}', 42, '42'],
    ['float 1.5', '{{.}}', 1.5, '1.5'],
    ['float 1e21', '{{.}}', 1e21, '1e+21'],
    ['float 1e-7', '{{.}}', 1e-7, '1e-07'],
    [
      'float literals print like %v',
      '{{1e6}} {{0.000012}} {{123456789.0}} {{-0.0}} {{1.0}}',
      null,
      '1e+06 1.2e-05 1.23456789e+08 -0 1',
    ],
    [
      'integer literals',
      "{{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}} {{'a'}} {{'\\n'}} {{+3}}",
      null,
      '31 15 15 5 1000 97 10 3',
    ],
    ['string literals with Go escapes', '{{"\\u00e9\\x41\\101\\t|"}}{{`a\\n`}}', null, 'éAA\t|a\\n'],
  ])('%s', (_name, source, data, expected) => {
    expect(render(source, data)).toBe(expected);
  });
});

describe('control structures', () => {
  it.each([
    ['if false-y 0', '{{if .}}yes{{else}}no{{end}}', 0, 'no'],
    ['if false-y ""', '{{if .}}yes{{else}}no{{end}}', '', 'no'],
    ['if false-y empty slice', '{{if .}}yes{{else}}no{{end}}', [], 'no'],
    ['if false-y empty map', '{{if .}}yes{{else}}no{{end}}', new Map(), 'no'],
    ['if false-y nil', '{{if .}}yes{{else}}no{{end}}', null, 'no'],
    ['if truthy struct', '{{if .}}yes{{else}}no{{end}}', {}, 'yes'],
    ['else if chain', '{{if .A}}a{{else if .B}}b{{else}}c{{end}}', { A: 0, B: 'x' }, 'b'],
    ['else if falls through', '{{if 0}}a{{else if 0}}b{{else}}c{{end}}', null, 'c'],
    ['with sets dot', '{{with .A}}[{{.}}]{{end}}', { A: 'v' }, '[v]'],
    ['with else', '{{with .A}}[{{.}}]{{else}}none{{end}}', { A: '' }, 'none'],
    [
      'with else with',
      '{{with .A}}[{{.}}]{{else with .B}}<{{.}}>{{else}}none{{end}}',
      { A: '', B: 3 },
      '<3>',
    ],
    ['with declaring a variable', '{{with $x := .A}}{{$x}}{{end}}', { A: 'v' }, 'v'],
    ['range over a slice', '{{range .}}<{{.}}>{{end}}', ['a', 'b'], '<a><b>'],
    ['range $i, $v', '{{range $i, $v := .}}{{$i}}={{$v}};{{end}}', ['a', 'b'], '0=a;1=b;'],
    ['range $v', '{{range $v := .}}{{$v}}{{end}}', [1, 2], '12'],
    [
      'range over a map in key order',
      '{{range $k, $v := .}}{{$k}}={{$v}};{{end}}',
      new Map([
        ['b', 1],
        ['a', 2],
      ]),
      'a=2;b=1;',
    ],
    ['range else on empty', '{{range .}}{{.}}{{else}}empty{{end}}', [], 'empty'],
    ['range else on nil', '{{range .X}}{{.}}{{else}}empty{{end}}', { X: null }, 'empty'],
    ['range over an int (Go 1.22)', '{{range 3}}{{.}}{{end}}', null, '012'],
    ['range over an int with $v', '{{range $v := .}}[{{$v}}]{{end}}', 2, '[0][1]'],
    ['range over a non-positive int runs else', '{{range -2}}x{{else}}none{{end}}', null, 'none'],
    [
      'break and continue',
      '{{range .}}{{if eq . 3}}{{break}}{{end}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}',
      [0, 1, 2, 3, 4],
      '02',
    ],
    [
      'break leaves only the inner range',
      '{{range .}}{{range .}}{{break}}{{end}}{{.}}{{end}}',
      [[1], [2]],
      '[1][2]',
    ],
    [
      'range assigning to existing variables',
      '{{$i := 0}}{{$v := 0}}{{range $i, $v = .}}{{end}}{{$i}}{{$v}}',
      ['a', 'b'],
      '1b',
    ],
  ])('%s', (_name, source, data, expected) => {
    expect(render(source, data)).toBe(expected);
  });
});

describe('variables and pipelines', () => {
  it.each([
    [
      'assignment reaches the outer variable',
      '{{$x := 1}}{{if true}}{{$x = 2}}{{$y := 3}}{{end}}{{$x}}',
      '2',
    ],
    ['a declaration prints nothing', '{{$x := "a"}}[{{$x}}]', '[a]'],
    ['redeclaration shadows', '{{$x := 1}}{{$x := 2}}{{$x}}', '2'],
    [
      'variables declared in an if pipeline reach its else',
      '{{if $x := 0}}{{$x}}{{else}}[{{$x}}]{{end}}',
      '[0]',
    ],
    ['the pipeline value is the last argument', '{{"x" | printf "%s-%s" "y"}}', 'y-x'],
    ['parenthesized pipelines', '{{print (len "abc") (print 1 | len)}}', '3 1'],
    ['fields of a parenthesized pipeline', '{{(index . 0).Y}}', '3'],
    ['declarations inside parentheses', '{{print ($y := 3) $y}}', '3 3'],
    ['an empty last stage is ignored', '{{.|}}', '[{3}]'],
  ])('%s', (_name, source, expected) => {
    expect(render(source, [{ Y: 3 }])).toBe(expected);
  });
});

describe('exec errors (phase exec, located at the node that failed)', () => {
  it('formats the message like Go and sets the fields', () => {
    const e = execError('line\n  {{.A.B}}', { A: 1 });
    expect(e.message).toBe('template: q:2:5: executing "q" at <.A.B>: can\'t evaluate field B in type int');
    expect(e).toMatchObject({ templateName: 'q', line: 2, column: 5, phase: 'exec' });
  });

  it('wraps the failing function error as cause', () => {
    const e = execError('{{index .A 5}}', { A: [] });
    expect(e.problem).toBe('executing "q" at <index .A 5>: error calling index: index out of range: 5');
    expect(e.cause).toBeInstanceOf(Error);
  });

  it.each([
    ['{{.X}}', { Y: 1 }, "can't evaluate field X in type struct { Y int }"],
    ['{{.X}}', 'str', "can't evaluate field X in type string"],
    ['{{.X.Y}}', { X: null }, 'nil pointer evaluating interface {}.Y'],
    ['{{.A.b.c}}', { A: new Map([['b', null]]) }, 'nil pointer evaluating interface {}.c'],
    ['{{(1).X}}', null, "can't evaluate field X in type int"],
    ['{{range .}}{{end}}', 'abc', "range can't iterate over abc"],
    ['{{range .}}{{end}}', 1.5, "range can't iterate over 1.5"],
    ['{{range $i, $v := .}}{{end}}', 3, "can't use 3 to iterate over more than one variable"],
    ['{{printf .X}}', { X: 1 }, 'wrong type for value; expected string; got int'],
    ['{{printf .M.x}}', { M: new Map() }, 'invalid value; expected string'],
  ])('%j with %j fails with %j', (source, data, problem) => {
    expect(execError(source, data).problem).toMatch(
      new RegExp(`^executing "q" at <[^>]*>: ${escape(problem)}$`),
    );
  });

  it('reports an undefined variable when an else branch uses a variable its if branch declared', () => {
    expect(execError('{{if 0}}{{$x := 1}}{{else}}{{$x}}{{end}}').problem).toBe(
      'executing "q" at <$x>: undefined variable: $x',
    );
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
