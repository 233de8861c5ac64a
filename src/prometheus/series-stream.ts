/**
 * An incremental reader of a `/api/v1/series` answer (`{"status":"success","data":[{...},{...}]}`): each label set
 * is handed over as soon as it is complete, so memory holds one label set and one chunk, never the whole answer
 * (a million series are ~150 MB of JSON).
 */
import { StringDecoder } from 'node:string_decoder';

/** The document around the label sets, e.g. `{"status":"success","data":[]}`, for validation by the caller. */
export interface SeriesStreamResult {
  skeleton: unknown;
  count: number;
}

/** Thrown for text that is not JSON of the series answer's shape; the message says where it went wrong. */
export class SeriesStreamError extends Error {
  override readonly name = 'SeriesStreamError';
}

const isLabelSet = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'string');

/**
 * Feeds the bytes of a series answer; `onSeries` is called once per element of `data`, in order.
 * NB: objects nested two levels deep (inside the top-level object's arrays) are taken as the label sets; the
 * answer has no other such objects. Everything else is kept as the skeleton and parsed at the end.
 */
export class SeriesStreamParser {
  private readonly decoder = new StringDecoder('utf8');
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Text of the label set being read (depth ≥ 3), or undefined outside one. */
  private current: string[] | undefined;
  private skeleton: string[] = [];
  /** Whether the last significant skeleton character was a label set just removed (its comma must go too). */
  private afterElement = false;
  private count = 0;

  constructor(private readonly onSeries: (labels: Record<string, string>) => void) {}

  write(chunk: Buffer | string): void {
    this.scan(typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
  }

  /** Ends the input; throws SeriesStreamError when it was not a complete JSON document. */
  end(): SeriesStreamResult {
    this.scan(this.decoder.end());
    if (this.depth !== 0 || this.inString || this.current !== undefined) {
      throw new SeriesStreamError('the answer ends in the middle of the JSON document');
    }
    let skeleton: unknown;
    try {
      skeleton = JSON.parse(this.skeleton.join('')) as unknown;
    } catch (e) {
      throw new SeriesStreamError(`the answer is not JSON: ${(e as Error).message}`, { cause: e });
    }
    return { skeleton, count: this.count };
  }

  private scan(text: string): void {
    let from = 0;
    const flushTo = (end: number) => {
      if (end <= from) return;
      const part = text.slice(from, end);
      if (this.current !== undefined) this.current.push(part);
      else this.skeleton.push(part);
    };
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c /* \ */) this.escaped = true;
        else if (c === 0x22 /* " */) this.inString = false;
        continue;
      }
      if (c === 0x22) {
        this.inString = true;
        this.afterElement = false;
      } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        if (c === 0x7b && this.depth === 2 && this.current === undefined) {
          flushTo(i);
          from = i;
          this.current = [];
        }
        this.depth++;
        this.afterElement = false;
      } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
        this.depth--;
        if (this.depth < 0) throw new SeriesStreamError('unbalanced brackets in the answer');
        this.afterElement = false;
        if (c === 0x7d && this.depth === 2 && this.current !== undefined) {
          this.current.push(text.slice(from, i + 1));
          this.element(this.current.join(''));
          this.current = undefined;
          from = i + 1;
          this.afterElement = true;
        }
      } else if (c === 0x2c /* , */ && this.depth === 2 && this.current === undefined && this.afterElement) {
        // NB: drop the comma after a removed element so the skeleton stays valid JSON (`"data":[]`).
        flushTo(i);
        from = i + 1;
        this.afterElement = false;
      } else if (c > 0x20) {
        this.afterElement = false;
      }
    }
    flushTo(text.length);
  }

  private element(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch (e) {
      throw new SeriesStreamError(`series ${this.count + 1} is not JSON: ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (!isLabelSet(value)) throw new SeriesStreamError(`series ${this.count + 1} is not a label set`);
    this.count++;
    this.onSeries(value);
  }
}
