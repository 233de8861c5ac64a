import { describe, it, expect } from '@jest/globals';
import { parseTemplate, TemplateError } from '../../../../src/rules/go-template/index.js';

describe('TemplateOptions.functions (opt-in extra functions, like Go Template.Funcs)', () => {
  it('rejects an unknown function at parse time when no functions are given (rules keep this)', () => {
    expect(() => parseTemplate('{{ upper . }}')).toThrow(TemplateError);
    expect(() => parseTemplate('{{ upper . }}')).toThrow(/function "upper" not defined/);
  });

  it('calls an extra function with its arguments, also as the last stage of a pipeline', () => {
    const upper = (s: unknown): string => String(s).toUpperCase();
    const t = parseTemplate('{{ upper .A }}-{{ .A | upper }}', { functions: { upper } });
    expect(t.execute({ A: 'x' })).toBe('X-X');
  });

  it('passes no value as nil (null), as Go passes it to an interface{} parameter', () => {
    const seen: unknown[] = [];
    const t = parseTemplate('{{ probe .m.missing }}', {
      functions: { probe: (v: unknown) => (seen.push(v), 'ok') },
    });
    expect(t.execute({ m: new Map() })).toBe('ok');
    expect(seen).toEqual([null]);
  });

  it('reports an error thrown by an extra function as an exec error "error calling NAME"', () => {
    const t = parseTemplate('{{ fail }}', {
      functions: {
        fail: () => {
          throw new Error('boom');
        },
      },
    });
    expect(() => t.execute({})).toThrow(/error calling fail: boom/);
  });

  it('takes precedence over a predefined function of the same name', () => {
    const t = parseTemplate('{{ len "abc" }}', { functions: { len: () => 'mine' } });
    expect(t.execute({})).toBe('mine');
  });

  it('does not leak extra functions into templates parsed without them', () => {
    parseTemplate('{{ upper . }}', { functions: { upper: () => '' } });
    expect(() => parseTemplate('{{ upper . }}')).toThrow(TemplateError);
  });
});
