/** The range selectors of a PromQL query (`[2m]`, subqueries `[1h:5m]`), found without a full PromQL parser. Pure. */

export interface RangeSelector {
  /** As written between the brackets, e.g. `2m` or `1h:5m`. */
  readonly text: string;
  /** The range in milliseconds (for a subquery, its range, not its step). */
  readonly rangeMs: number;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** A PromQL duration (`90s`, `1h30m`, `5m`), or undefined when the text is not one. */
export function parsePromDuration(text: string): number | undefined {
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(n) * UNIT_MS[unit!]!;
  return total;
}

/**
 * Every `[range]` and `[range:step]` outside string literals and comments, in order. Brackets whose content is
 * not a duration (a template placeholder left in, say) are skipped.
 */
export function findRangeSelectors(query: string): RangeSelector[] {
  const out: RangeSelector[] = [];
  for (let i = 0; i < query.length; i++) {
    const c = query[i]!;
    if (c === '"' || c === "'" || c === '`') {
      for (i++; i < query.length && query[i] !== c; i++) if (c !== '`' && query[i] === '\\') i++;
      continue;
    }
    if (c === '#') {
      while (i < query.length && query[i] !== '\n') i++;
      continue;
    }
    if (c !== '[') continue;
    const end = query.indexOf(']', i);
    if (end < 0) break;
    const text = query.slice(i + 1, end).replace(/\s+/g, '');
    const rangeMs = parsePromDuration(text.split(':')[0]!);
    if (rangeMs !== undefined) out.push({ text, rangeMs });
    i = end;
  }
  return out;
}

/** Milliseconds as a PromQL duration: `120000` → `2m`, `90000` → `1m30s`, `1500` → `1s500ms`. */
export function formatPromDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const unit of ['y', 'w', 'd', 'h', 'm', 's', 'ms']) {
    const size = UNIT_MS[unit]!;
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
