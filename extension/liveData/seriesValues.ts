import { chartStyleOf, type LiveReading, type LiveValue, type LiveValueKind } from '../../webview/messages';

/**
 * What a reading is on the chart and in min/max, by the series' kind. Numbers travel as JSON
 * numbers, except 64-bit integers beyond ±2^53, which travel as decimal strings: those are
 * charted as the nearest double (all a chart can show) and compared exactly for min/max.
 */

/** A kind from a value's JSON type, for a tag that came without one (a panel saved by an older version). */
export function inferKind(value: LiveValue): LiveValueKind | undefined {
  if (value === null) return undefined;
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    default:
      return 'structure';
  }
}

const DECIMAL_INTEGER = /^[+-]?\d+$/;

/**
 * The exact numeric value of a reading of a numeric series: a number, or a canonical decimal
 * string for an integer beyond ±2^53. Undefined for anything else (no value, a non-numeric text).
 */
export function exactNumberOf(value: LiveValue): number | string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !DECIMAL_INTEGER.test(value)) return undefined;
  const big = BigInt(value);
  return big >= -BigInt(Number.MAX_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString();
}

/**
 * Where a reading lands on the chart: a number, `null` for a gap (bad quality, no value, a
 * value that does not fit the series' kind), or `undefined` when the series is not charted.
 */
export function chartValueOf(kind: LiveValueKind | undefined, reading: LiveReading): number | null | undefined {
  const style = chartStyleOf(kind);
  if (style === 'none') return undefined;
  if (reading.quality === 'bad') return null;
  const value = reading.value;
  if (style === 'lane') return typeof value === 'boolean' ? (value ? 1 : 0) : null;
  const exact = exactNumberOf(value);
  return exact === undefined ? null : Number(exact);
}

/** The value min/max compare for a charted reading: exact, and 0/1 for booleans. */
export function rangeValueOf(kind: LiveValueKind | undefined, reading: LiveReading): number | string | undefined {
  if (reading.quality === 'bad') return undefined;
  if (chartStyleOf(kind) === 'lane') return typeof reading.value === 'boolean' ? (reading.value ? 1 : 0) : undefined;
  return exactNumberOf(reading.value);
}

/** Orders two exact values (numbers, or decimal integer strings from exactNumberOf). */
export function compareExact(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = bigIntOf(a);
  const y = bigIntOf(b);
  if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0;
  // A fraction against a string beyond 2^53: the double is as exact as the fraction is.
  return Number(a) - Number(b);
}

function bigIntOf(v: number | string): bigint | undefined {
  if (typeof v === 'string') return BigInt(v);
  return Number.isInteger(v) ? BigInt(v) : undefined;
}
