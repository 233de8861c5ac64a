/** Go `time.Duration` text: parsing as `time.ParseDuration` does and printing as `Duration.String` does. */

const NS_PER_MS = 1_000_000n;

// NB: both spellings of "micro": U+00B5 (micro sign, what Go prints) and U+03BC (Greek mu), as Go accepts.
const UNIT_NS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n],
  ['\u03bcs', 1_000n],
  ['ms', NS_PER_MS],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

const UNIT_LIST = 'ns, us, µs, ms, s, m or h';
/** Go's Duration is an int64 count of nanoseconds. */
const MAX_NS = (1n << 63n) - 1n;
const MIN_NS = -(1n << 63n);

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * Parses Go duration syntax (`300ms`, `30s`, `1m`, `1h30m`, `1.5h`, `2h45m30.5s`; units ns, us, µs, ms, s, m, h;
 * an optional leading sign; a bare `0`) into milliseconds, fractional below one millisecond.
 * The arithmetic is exact in nanoseconds, so `1.1s` is exactly 1100.
 * @throws Error naming `text` when it is not a duration or is outside Go's int64-nanosecond range.
 */
export function parseGoDuration(text: string): number {
  const ns = parseNanoseconds(text);
  return Number(ns / NS_PER_MS) + Number(ns % NS_PER_MS) / 1e6;
}

function parseNanoseconds(text: string): bigint {
  const invalid = (): Error =>
    new Error(`invalid duration ${JSON.stringify(text)}: expected numbers with units, e.g. 30s, 1m or 1h30m`);
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();

  let total = 0n;
  let i = 0;
  while (i < s.length) {
    const intStart = i;
    while (isDigit(s[i])) i++;
    const intDigits = s.slice(intStart, i);
    let fracDigits = '';
    if (s[i] === '.') {
      const fracStart = ++i;
      while (isDigit(s[i])) i++;
      fracDigits = s.slice(fracStart, i);
    }
    if (intDigits === '' && fracDigits === '') throw invalid();

    const unitStart = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s[i])) i++;
    const unitText = s.slice(unitStart, i);
    if (unitText === '') {
      throw new Error(
        `missing unit in duration ${JSON.stringify(text)}: add one of ${UNIT_LIST}, e.g. ${JSON.stringify(`${text}s`)}`,
      );
    }
    const unit = UNIT_NS.get(unitText);
    if (unit === undefined) {
      throw new Error(
        `unknown unit ${JSON.stringify(unitText)} in duration ${JSON.stringify(text)}: use ${UNIT_LIST}`,
      );
    }

    total += BigInt(intDigits || '0') * unit;
    if (fracDigits !== '') total += (BigInt(fracDigits) * unit) / 10n ** BigInt(fracDigits.length);
  }
  const ns = negative ? -total : total;
  if (ns > MAX_NS || ns < MIN_NS) {
    throw new Error(`duration ${JSON.stringify(text)} is out of range: the maximum is about 2562047h`);
  }
  return ns;
}

/**
 * Formats milliseconds as Go's `Duration.String` does: `0s`, `500ms`, `1.5s`, `10m0s`, `1h30m0s`, `1.5µs`.
 * The value is rounded to whole nanoseconds first.
 * @throws RangeError when `ms` is not finite.
 */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`cannot format ${ms} as a duration`);
  const whole = Math.trunc(ms);
  const ns = BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6));
  const sign = ns < 0n ? '-' : '';
  const u = ns < 0n ? -ns : ns;

  if (u === 0n) return '0s';
  if (u < 1_000n) return `${sign}${u}ns`;
  if (u < NS_PER_MS) return `${sign}${decimal(u, 3)}\u00b5s`;
  if (u < 1_000_000_000n) return `${sign}${decimal(u, 6)}ms`;

  const seconds = `${decimal(u % 60_000_000_000n, 9)}s`;
  const totalMinutes = u / 60_000_000_000n;
  if (totalMinutes === 0n) return `${sign}${seconds}`;
  const minutes = `${totalMinutes % 60n}m${seconds}`;
  const hours = totalMinutes / 60n;
  return hours === 0n ? `${sign}${minutes}` : `${sign}${hours}h${minutes}`;
}

/** `value / 10^scale` in decimal, without trailing zeros in the fraction (nor a lone point). */
function decimal(value: bigint, scale: number): string {
  const divisor = 10n ** BigInt(scale);
  const fraction = (value % divisor).toString().padStart(scale, '0').replace(/0+$/, '');
  return fraction === '' ? `${value / divisor}` : `${value / divisor}.${fraction}`;
}
