/** Kubernetes resource.Quantity canonical strings (SPEC 6). */

/** The largest int64, `2^63 - 1`: the clamp for milli-units (DecimalSI) and bytes (BinarySI). */
export const MAX_INT64 = 9223372036854775807n;

/** Magnitudes at or above this many units are clamped by {@link formatDecimalQuantity} (SPEC 6). */
export const DECIMAL_CLAMP_THRESHOLD = 9.2e15;

const DECIMAL_SUFFIXES: ReadonlyMap<number, string> = new Map([
  [-9, 'n'],
  [-6, 'u'],
  [-3, 'm'],
  [0, ''],
  [3, 'k'],
  [6, 'M'],
  [9, 'G'],
  [12, 'T'],
  [15, 'P'],
  [18, 'E'],
]);

const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;

/**
 * Formats a number as Kubernetes renders `resource.NewMilliQuantity(milli, DecimalSI).String()`, where `milli` is
 * the value in milli-units rounded to the nearest integer, half away from zero (upstream truncates; SPEC 11).
 *
 * - The rounding is decimal: it applies to the shortest decimal form of the double (what Prometheus sends and
 *   `String(value)` prints), so `3.4999999999999996` → `3500m`, `1.0005` → `1001m`, `0.0004` → `0`, and digits
 *   beyond 2^53 are kept exactly (`9007199254740994` → `9007199254740994`).
 * - NaN → `0`; `-0` and negatives that round to zero → `0`.
 * - ±Infinity and |value| ≥ 9.2e15 are clamped to ±(2^63 − 1) milli-units: `9223372036854775807m` and
 *   `-9223372036854775807m` (the largest int64 and its negation, never upstream's `-9223372036854775808m`).
 *
 * Never throws.
 */
export function formatDecimalQuantity(value: number): string {
  if (Number.isNaN(value)) return '0';
  if (!Number.isFinite(value) || Math.abs(value) >= DECIMAL_CLAMP_THRESHOLD) {
    return canonicalDecimal(value < 0 ? -MAX_INT64 : MAX_INT64, -3);
  }
  const milli = roundToScale(value, 3);
  return canonicalDecimal(milli, -3);
}

/**
 * Formats a byte count as Kubernetes renders a BinarySI quantity, with SPEC 6's rule for everything that is not a
 * power-of-1024 multiple:
 *
 * - the value is rounded to the nearest integer first (half away from zero; memory has no milli-bytes);
 * - integers with |n| ≥ 1024 that divide exactly by 1024 use `Ki Mi Gi Ti Pi Ei` with the largest power that
 *   divides them (`1024` → `1Ki`, `1572864` → `1536Ki`);
 * - everything else is DecimalSI of the integer (`1536` → `1536`, `2000` → `2k`, `0` → `0`).
 *   NB: Go's BinarySI would print `2000`; SPEC 6 asks for DecimalSI here.
 * - NaN → `0`; ±Infinity and |value| ≥ 2^63 are clamped to ±(2^63 − 1) bytes (an int64, as Go's int64 Quantity).
 *
 * Never throws.
 */
export function formatBinaryQuantity(value: number): string {
  if (Number.isNaN(value)) return '0';
  const bytes = toByteCount(value);
  return (
    (bytes <= -1024n || bytes >= 1024n ? binarySuffixed(bytes) : undefined) ?? canonicalDecimal(bytes, 0)
  );
}

/** `n` with the largest `Ki`…`Ei` suffix that divides it exactly, or undefined when 1024 does not divide it. */
function binarySuffixed(n: bigint): string | undefined {
  let mantissa = n < 0n ? -n : n;
  let power = 0;
  while (power < BINARY_SUFFIXES.length - 1 && mantissa % 1024n === 0n) {
    mantissa /= 1024n;
    power++;
  }
  return power === 0 ? undefined : `${n < 0n ? '-' : ''}${mantissa}${BINARY_SUFFIXES[power]}`;
}

/** The nearest int64 to a non-NaN number, half away from zero, clamped to ±(2^63 − 1). */
function toByteCount(value: number): bigint {
  if (!Number.isFinite(value) || Math.abs(value) >= 2 ** 63) return value < 0 ? -MAX_INT64 : MAX_INT64;
  // NB: integers convert exactly; their shortest decimal form may not (2^60 prints as 1152921504606847000).
  return Number.isInteger(value) ? BigInt(value) : roundToScale(value, 0);
}

/**
 * Returns `value × 10^scale` rounded to the nearest integer, half away from zero, computed on the shortest decimal
 * representation of `value` so that no digit is lost to binary floating point. `value` must be finite.
 */
function roundToScale(value: number, scale: number): bigint {
  const negative = value < 0;
  const { digits, exponent } = decimalDigits(Math.abs(value));
  const shift = exponent + scale;
  let magnitude: bigint;
  if (shift >= 0) {
    magnitude = BigInt(digits) * 10n ** BigInt(shift);
  } else {
    const dropped = -shift;
    const padded = digits.length > dropped ? digits : '0'.repeat(dropped - digits.length + 1) + digits;
    const cut = padded.length - dropped;
    // NB: rounding the magnitude up at ≥ …5 is "half away from zero" once the sign is put back.
    const roundUp = (padded[cut] ?? '0') >= '5';
    magnitude = BigInt(padded.slice(0, cut)) + (roundUp ? 1n : 0n);
  }
  return negative ? -magnitude : magnitude;
}

/** Splits a finite non-negative number into integer digits and a power of ten: `value = digits × 10^exponent`. */
function decimalDigits(value: number): { digits: string; exponent: number } {
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (!match) throw new Error(`unexpected number format: ${String(value)}`);
  const [, whole = '0', fraction = '', exp = '0'] = match;
  return { digits: whole + fraction, exponent: Number(exp) - fraction.length };
}

/**
 * Kubernetes' canonical DecimalSI text of `mantissa × 10^exponent`: trailing zeros move into the exponent, the
 * exponent is lowered to a multiple of 3 and written as a suffix. `exponent` must be ≥ −9.
 */
function canonicalDecimal(mantissa: bigint, exponent: number): string {
  if (mantissa === 0n) return '0';
  const sign = mantissa < 0n ? '-' : '';
  let amount = mantissa < 0n ? -mantissa : mantissa;
  let exp = exponent;
  while (amount % 10n === 0n) {
    amount /= 10n;
    exp++;
  }
  const excess = ((exp % 3) + 3) % 3;
  amount *= 10n ** BigInt(excess);
  exp -= excess;
  if (exp > 18) {
    // NB: beyond `E` there is no suffix; keep the digits in the mantissa.
    amount *= 10n ** BigInt(exp - 18);
    exp = 18;
  }
  return `${sign}${amount}${DECIMAL_SUFFIXES.get(exp) ?? ''}`;
}

// Parsing, as apimachinery's ParseQuantity, and the canonical text of any quantity (HPA targets).

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

const DECIMAL_SUFFIX_EXPONENTS: ReadonlyMap<string, number> = new Map(
  [...DECIMAL_SUFFIXES].map(([exponent, suffix]) => [suffix, exponent]),
);
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
  if (q.format === 'BinarySI') {
    const whole = exactInteger(q);
    // NB: like CanonicalizeBytes: |v| < 1024 and non-integers are written as DecimalSI.
    if (whole !== undefined && (whole <= -1024n || whole >= 1024n)) {
      return binarySuffixed(whole) ?? canonicalDecimal(whole, 0);
    }
  }
  if (q.format === 'DecimalExponent') {
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
    return `${sign}${amount}${exponent === 0 ? '' : `e${exponent}`}`;
  }
  return canonicalDecimal(q.unscaled, q.scale);
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
