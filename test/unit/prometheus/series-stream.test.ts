import { describe, expect, it } from '@jest/globals';
import { SeriesStreamError, SeriesStreamParser } from '../../../src/prometheus/series-stream.js';

/** Feeds `text` in chunks of `size` bytes (UTF-8), returning the label sets and the skeleton. */
function parse(text: string, size: number) {
  const seen: Array<Record<string, string>> = [];
  const parser = new SeriesStreamParser((labels) => seen.push(labels));
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) parser.write(bytes.subarray(i, i + size));
  return { seen, ...parser.end() };
}

const SERIES = [
  { __name__: 'qps', namespace: 'default', pod: 'worker-1' },
  { __name__: 'queue_size', pod: 'wörker-2 "quoted" {braces} [brackets], comma', note: 'back\\slash' },
  { __name__: 'up' },
];

describe('the streamed /api/v1/series reader', () => {
  const answer = JSON.stringify({ status: 'success', data: SERIES });
  it.each([1, 2, 3, 7, 64, 100_000])(
    'hands over every label set in order, whatever the chunk size (%i bytes), multi-byte characters included',
    (size) => {
      const { seen, skeleton, count } = parse(answer, size);
      expect(seen).toEqual(SERIES);
      expect(count).toBe(3);
      expect(skeleton).toEqual({ status: 'success', data: [] });
    },
  );

  it('keeps the rest of the document (warnings, whitespace) as the skeleton', () => {
    const text = `{ "status" : "success", "data" : [ ${SERIES.map((s) => JSON.stringify(s)).join(' ,\n ')} ],
      "warnings": ["w1", "w2"] }`;
    const { seen, skeleton } = parse(text, 5);
    expect(seen).toEqual(SERIES);
    expect(skeleton).toEqual({ status: 'success', data: [], warnings: ['w1', 'w2'] });
  });

  it('an empty answer has no series', () => {
    expect(parse('{"status":"success","data":[]}', 4)).toMatchObject({ count: 0, skeleton: { data: [] } });
  });

  it.each([
    ['truncated in a label set', '{"status":"success","data":[{"__name__":"qp', /ends in the middle/],
    ['truncated between label sets', '{"status":"success","data":[{"a":"b"},', /ends in the middle/],
    ['not JSON', '<html><body>Login</body></html>', /not JSON/],
    [
      'a label set with a number value',
      '{"status":"success","data":[{"a":5}]}',
      /series 1 is not a label set/,
    ],
    ['broken JSON inside a label set', '{"status":"success","data":[{"a" "b"}]}', /series 1 is not JSON/],
    ['unbalanced brackets', '{"status":"success"}}', /unbalanced/],
  ])('rejects %s with a SeriesStreamError', (_name, text, message) => {
    expect(() => parse(text, 3)).toThrow(SeriesStreamError);
    expect(() => parse(text, 3)).toThrow(message);
  });
});
