/**
 * The inspector's table as data: one row per address of the last read, each register in every
 * width and in the chosen byte order, refused addresses with the device's reason, and which
 * values changed since the read before. Pure: no DOM (the panel and the unit tests import it).
 */
import { isBitArea, type InspectorByteOrder, type InspectorRangeError, type InspectorRead } from '../inspectorMessages';
import { guessByteOrder, registerView, wide32, wide64 } from './registerViews';

export interface RegisterRow {
  kind: 'register';
  address: number;
  /** The device's reason where the register could not be read: no value is shown then, never 0. */
  refused?: string;
  hex: string;
  u16: string;
  i16: string;
  bits: string;
  /** The 32/64-bit values that start here; '' where a register they need is missing or past the range. */
  u32: string;
  i32: string;
  f32: string;
  f64: string;
  /** The register differs from the read before (of the same range). */
  changed: boolean;
}

export interface BitRow {
  kind: 'bit';
  address: number;
  refused?: string;
  value: string;
  changed: boolean;
}

export type InspectorRow = RegisterRow | BitRow;

/** The reason the device gave for `address`, from the read's errors. */
export function refusalAt(errors: readonly InspectorRangeError[], address: number): string | undefined {
  return errors.find((e) => address >= e.start && address < e.start + e.count)?.message;
}

/**
 * The rows of `read` in `order`. `previous` is the read before, of the same range (else nothing
 * counts as changed): a value changed when it differs from the one before, or was refused then.
 */
export function rowsOf(read: InspectorRead, order: InspectorByteOrder, previous?: InspectorRead): InspectorRow[] {
  const before = previous && previous.area === read.area && previous.start === read.start && previous.count === read.count ? previous.values : undefined;
  const changedAt = (i: number) => before !== undefined && read.values[i] !== null && before[i] !== read.values[i];
  if (isBitArea(read.area)) {
    return read.values.map((v, i): BitRow => {
      const address = read.start + i;
      const refused = v === null ? (refusalAt(read.errors, address) ?? 'not read') : undefined;
      return { kind: 'bit', address, value: v === null ? '' : v ? '1' : '0', changed: changedAt(i), ...(refused !== undefined ? { refused } : {}) };
    });
  }
  return read.values.map((v, i): RegisterRow => {
    const address = read.start + i;
    const view = registerView(v, address);
    const w32 = wide32(read.values, i, order);
    const w64 = wide64(read.values, i, order);
    const row: RegisterRow = {
      kind: 'register',
      address,
      hex: view.hex ?? '',
      u16: view.u16 === null ? '' : String(view.u16),
      i16: view.i16 === null ? '' : String(view.i16),
      bits: view.bits ?? '',
      u32: w32 ? String(w32.u32) : '',
      i32: w32 ? String(w32.i32) : '',
      f32: w32 ? formatFloat(w32.f32, 7) : '',
      f64: w64 ? formatFloat(w64.f64, 15) : '',
      changed: changedAt(i),
    };
    if (v === null) row.refused = refusalAt(read.errors, address) ?? 'not read';
    return row;
  });
}

/**
 * A float with at most `digits` significant digits (7 for float32, 15 for float64: what the type
 * holds), without trailing zeros; exponent form beyond 1e±9 where fixed would be unreadable.
 */
export function formatFloat(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const a = Math.abs(x);
  if (a >= 1e9 || a < 1e-6) return x.toExponential(Math.min(digits - 1, 6)).replace(/\.?0+e/, 'e');
  const fixed = x.toPrecision(digits);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** The byte-order hint above the table: a guess to offer, never applied by itself. */
export interface OrderHint {
  order: InspectorByteOrder;
  /** `float32`, `int32`, `float64`, `int64`. */
  type: string;
  /** From where the guess was made (an address). */
  address: number;
  /** Why, for the hint's tooltip. */
  reason: string;
}

/**
 * Guesses the byte order from the registers at `index` (the selected row) or, where they tell
 * nothing, at the start of the range, else where its data begins (the first non-zero register, or the one before:
 * a float's empty low word comes first in a swapped order): 32-bit values first, then 64-bit.
 * Undefined where no single order reads them as plausible (guessByteOrder decides; this only
 * picks where to look).
 */
export function orderHint(read: InspectorRead, index?: number): OrderHint | undefined {
  if (isBitArea(read.area)) return undefined;
  const data = read.values.findIndex((v) => v !== null && v !== 0);
  const places = [...new Set([...(index !== undefined ? [index] : []), ...(data < 0 ? [] : [0, Math.max(0, data - 1), data])])];
  for (const at of places) {
    if (at < 0 || at >= read.values.length) continue;
    for (const width of [2, 4] as const) {
      const g = guessByteOrder(read.values, at, width);
      if (g.verdict) {
        const bits = width === 2 ? 32 : 64;
        return { order: g.verdict.order, type: g.verdict.kind === 'float' ? `float${bits}` : `int${bits}`, address: read.start + at, reason: g.reason };
      }
    }
  }
  return undefined;
}
