import { describe, expect, it } from '@jest/globals';
import { extractDefines, mergeValues } from '../../support/helm-render.js';

describe('test-only Helm renderer', () => {
  it('extracts define blocks with nested actions and honours trim markers', () => {
    const source =
      '{{/* c */}}\n{{- define "a" -}}\n{{ if .X }}x{{ end }}\n{{- end -}}\n{{ define "b" }} b {{ end }}';
    expect(extractDefines(source)).toEqual(
      new Map([
        ['a', '{{ if .X }}x{{ end }}'],
        ['b', ' b '],
      ]),
    );
  });

  it.each([
    ['maps merge recursively', { a: { b: 1, c: 2 } }, { a: { c: 3 } }, { a: { b: 1, c: 3 } }],
    ['lists replace', { a: [1, 2] }, { a: [3] }, { a: [3] }],
    ['null deletes a default key', { a: 1, b: 2 }, { a: null }, { b: 2 }],
    ['new keys are added', { a: 1 }, { b: 2 }, { a: 1, b: 2 }],
  ])('coalesces user values over defaults like Helm: %s', (_name, base, over, expected) => {
    expect(mergeValues(base, over)).toEqual(expected);
  });
});
