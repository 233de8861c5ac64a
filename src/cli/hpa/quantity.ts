/**
 * Kubernetes `resource.Quantity` as text: parsing with apimachinery's rules, the canonical form the API server
 * writes back (`1000` → `1k`, `1.5Gi` → `1536Mi`, `0.5` → `500m`), and `MilliValue()` as the HPA reads values.
 * Exact: the value is held as an integer times a power of ten (BigInt), never as a float.
 */

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** `unscaled × 10^scale`, rounded up (away from zero) to nano units as ParseQuantity does. */
export interface Quantity {
  unscaled: bigint;
  scale: number;
  format: QuantityFormat;
}

/** A quantity that does not parse; the message says why. */
export class QuantityError extends Error {
  override readonly name = 'QuantityError';
}

const DECIMAL_SUFFIX_EXPONENTS: ReadonlyMap<string, number> = new Map([
  ['n', -9],
  ['u', -6],
  ['m', -3],
  ['', 0],
  ['k', 3],
  ['M', 6],
  ['G', 9],
  ['T', 12],
  ['P', 15],
  ['E', 18],
]);
const DECIMAL_SUFFIXES: ReadonlyMap<number, string> = new Map(
  [...DECIMAL_SUFFIX_EXPONENTS].map(([suffix, exponent]) => [exponent, suffix]),
);
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;
/** apimachinery caps quantities at the largest int64 in whole units. */
const MAX_UNITS = 2n ** 63n - 1n;
const NANO = -9;
const QUANTITY_RE = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;

/**
 * Parses quantity text (`80`, `500m`, `1.5Gi`, `2e3`) or a JSON/YAML number. Rejects with a QuantityError naming
 * the problem for anything apimachinery's ParseQuantity rejects.
 */
export function parseQuantity(input: string | number): Quantity {
  const text = typeof input === 'number' ? numberText(input) : input.trim();
  const match = QUANTITY_RE.exec(text);
  const [, sign = '', whole = '', fraction = '', suffix = ''] = match ?? [];
  if (match === null || text === '' || whole + fraction === '') {
    throw new QuantityError(
      `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    );
  }
  let unscaled = BigInt(whole + fraction || '0');
  let scale = -fraction.length;
  let format: QuantityFormat;
  const decimalExponent = DECIMAL_SUFFIX_EXPONENTS.get(suffix);
  const binaryPower = (BINARY_SUFFIXES as readonly string[]).indexOf(suffix);
  if (decimalExponent !== undefined) {
    format = 'DecimalSI';
    scale += decimalExponent;
  } else if (binaryPower > 0) {
    format = 'BinarySI';
    unscaled *= 1024n ** BigInt(binaryPower);
  } else if (/^[eE][+-]?\d+$/.test(suffix)) {
    format = 'DecimalExponent';
    const exponent = Number(suffix.slice(1));
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 1000) {
      throw new QuantityError(`the exponent of ${JSON.stringify(text)} is out of range`);
    }
    scale += exponent;
  } else {
    throw new QuantityError(`unable to parse quantity's suffix ${JSON.stringify(suffix)}`);
  }
  // NB: ParseQuantity rounds finer than nano *up* ("if you want some resources, you should get some").
  if (scale < NANO && unscaled !== 0n) {
    unscaled = divideAwayFromZero(unscaled, 10n ** BigInt(NANO - scale));
    scale = NANO;
  }
  if (compareToUnits(unscaled, scale, MAX_UNITS) > 0) {
    unscaled = MAX_UNITS;
    scale = 0;
  }
  if (sign === '-') unscaled = -unscaled;
  return { unscaled, scale, format };
}

/** The canonical text Kubernetes writes for `q` (`Quantity.String()`). */
export function canonicalQuantity(q: Quantity): string {
  if (q.unscaled === 0n) return '0';
  let format = q.format;
  let whole: bigint | undefined;
  if (format === 'BinarySI') {
    whole = exactInteger(q);
    // NB: like CanonicalizeBytes: |v| < 1024 and non-integers are written as DecimalSI.
    if (whole === undefined || (whole > -1024n && whole < 1024n)) format = 'DecimalSI';
  }
  if (format === 'BinarySI' && whole !== undefined) {
    const sign = whole < 0n ? '-' : '';
    let amount = whole < 0n ? -whole : whole;
    let power = 0;
    while (power < BINARY_SUFFIXES.length - 1 && amount % 1024n === 0n) {
      amount /= 1024n;
      power++;
    }
    return `${sign}${amount}${BINARY_SUFFIXES[power]}`;
  }
  const sign = q.unscaled < 0n ? '-' : '';
  let amount = q.unscaled < 0n ? -q.unscaled : q.unscaled;
  let exponent = q.scale;
  while (amount % 10n === 0n) {
    amount /= 10n;
    exponent++;
  }
  const excess = ((exponent % 3) + 3) % 3;
  amount *= 10n ** BigInt(excess);
  exponent -= excess;
  if (format === 'DecimalExponent') return `${sign}${amount}${exponent === 0 ? '' : `e${exponent}`}`;
  if (exponent > 18) {
    // NB: there is no suffix beyond E; keep the digits in the mantissa.
    amount *= 10n ** BigInt(exponent - 18);
    exponent = 18;
  }
  return `${sign}${amount}${DECIMAL_SUFFIXES.get(exponent) ?? ''}`;
}

/** Canonicalizes quantity text: `parseQuantity` then `canonicalQuantity`. Throws QuantityError. */
export function canonicalizeQuantity(input: string | number): string {
  return canonicalQuantity(parseQuantity(input));
}

/** `Quantity.MilliValue()`: the value in milli-units, rounded away from zero (the HPA's "ceil(value × 1000)"). */
export function milliValue(q: Quantity): bigint {
  const shift = q.scale + 3;
  if (shift >= 0) return q.unscaled * 10n ** BigInt(shift);
  return divideAwayFromZero(q.unscaled, 10n ** BigInt(-shift));
}

/** `resource.NewMilliQuantity(milli, DecimalSI).String()`: how the HPA shows a current value. */
export function formatMilli(milli: bigint): string {
  return canonicalQuantity({ unscaled: milli, scale: -3, format: 'DecimalSI' });
}

function numberText(value: number): string {
  if (!Number.isFinite(value)) throw new QuantityError(`${String(value)} is not a quantity`);
  // NB: String(1e21) is "1e+21", which the grammar above reads as a DecimalExponent quantity.
  return String(value);
}

function divideAwayFromZero(value: bigint, divisor: bigint): bigint {
  const quotient = value / divisor;
  if (quotient * divisor === value) return quotient;
  return value < 0n ? quotient - 1n : quotient + 1n;
}

function exactInteger(q: Quantity): bigint | undefined {
  if (q.scale >= 0) return q.unscaled * 10n ** BigInt(q.scale);
  const divisor = 10n ** BigInt(-q.scale);
  return q.unscaled % divisor === 0n ? q.unscaled / divisor : undefined;
}

/** Compares |unscaled × 10^scale| with `units`. */
function compareToUnits(unscaled: bigint, scale: number, units: bigint): number {
  const magnitude = unscaled < 0n ? -unscaled : unscaled;
  const left = scale >= 0 ? magnitude * 10n ** BigInt(scale) : magnitude;
  const right = scale >= 0 ? units : units * 10n ** BigInt(-scale);
  return left < right ? -1 : left > right ? 1 : 0;
}
