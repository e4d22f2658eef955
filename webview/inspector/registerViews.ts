/**
 * What the register inspector shows of raw registers: each register as hex, unsigned, signed and
 * bits; 32- and 64-bit values from consecutive registers in each byte order; and a guess of the
 * byte order where only one of them makes consecutive values look like real data.
 *
 * Pure: no DOM, no Node (the panel and the unit tests import it). The byte orders are the
 * gateway's (docs/protocol.md, "Byte orders"), named after the four bytes of a 32-bit value as
 * they appear on the wire, A most significant; for 64 bits the same names mean the same swaps
 * across four registers. Decoding mirrors the gateway's codec: words into big-endian order, then
 * a DataView (the unit tests hold both to the same results).
 */

export type ByteOrder = 'ABCD' | 'BADC' | 'CDAB' | 'DCBA';
export const BYTE_ORDERS: readonly ByteOrder[] = ['ABCD', 'BADC', 'CDAB', 'DCBA'];

/** One register as the inspector shows it; null fields where the register could not be read. */
export interface RegisterView {
  address: number;
  raw: number | null;
  /** `0x1A2B`. */
  hex: string | null;
  u16: number | null;
  i16: number | null;
  /** Bit 15 first, in nibbles: `0001 1010 0010 1011`. */
  bits: string | null;
}

export interface Wide32View {
  u32: number;
  i32: number;
  f32: number;
}

export interface Wide64View {
  u64: bigint;
  i64: bigint;
  f64: number;
}

export function registerView(raw: number | null, address: number): RegisterView {
  if (raw === null) return { address, raw, hex: null, u16: null, i16: null, bits: null };
  const w = raw & 0xffff;
  const bin = w.toString(2).padStart(16, '0');
  return {
    address,
    raw: w,
    hex: `0x${w.toString(16).toUpperCase().padStart(4, '0')}`,
    u16: w,
    i16: (w << 16) >> 16,
    bits: `${bin.slice(0, 4)} ${bin.slice(4, 8)} ${bin.slice(8, 12)} ${bin.slice(12)}`,
  };
}

/** Every register of a range read from `start`. */
export function registerViews(registers: readonly (number | null)[], start: number): RegisterView[] {
  return registers.map((r, i) => registerView(r, start + i));
}

const view = new DataView(new ArrayBuffer(8));

/**
 * Puts `words` registers from registers[at] into the scratch view in big-endian byte order, as
 * `order` says they came; false when one is missing (null or past the end).
 */
function load(registers: readonly (number | null)[], at: number, words: 2 | 4, order: ByteOrder): boolean {
  if (at < 0 || at + words > registers.length) return false;
  const reverse = order === 'CDAB' || order === 'DCBA';
  const swap = order === 'BADC' || order === 'DCBA';
  for (let i = 0; i < words; i++) {
    const r = registers[at + (reverse ? words - 1 - i : i)];
    if (r === null || r === undefined) return false;
    const w = r & 0xffff;
    view.setUint16(2 * i, swap ? ((w & 0xff) << 8) | (w >>> 8) : w);
  }
  return true;
}

/** The 32-bit value of registers[at], registers[at+1] in `order`; null when either is missing. */
export function wide32(registers: readonly (number | null)[], at: number, order: ByteOrder): Wide32View | null {
  if (!load(registers, at, 2, order)) return null;
  return { u32: view.getUint32(0), i32: view.getInt32(0), f32: view.getFloat32(0) };
}

/** The 64-bit value of registers[at..at+3] in `order`; null when one is missing. */
export function wide64(registers: readonly (number | null)[], at: number, order: ByteOrder): Wide64View | null {
  if (!load(registers, at, 4, order)) return null;
  return { u64: view.getBigUint64(0), i64: view.getBigInt64(0), f64: view.getFloat64(0) };
}

/** For each register of the range: the 32- and 64-bit values that start at it, in `order`. */
export function wideViews(registers: readonly (number | null)[], order: ByteOrder): { w32: Wide32View | null; w64: Wide64View | null }[] {
  return registers.map((_, i) => ({ w32: wide32(registers, i, order), w64: wide64(registers, i, order) }));
}

// ---------------------------------------------------------------------------------------------
// Guessing the byte order
// ---------------------------------------------------------------------------------------------

export type GuessKind = 'float' | 'integer';

/** How plausible the run reads in one byte order: the share of its values that look real, 0-1. */
export interface OrderScore {
  float: number;
  integer: number;
  /** Every value of the run is plausible as this kind (at least one kind, or none). */
  plausible: GuessKind[];
}

export interface ByteOrderGuess {
  width: 2 | 4;
  /** Index into the registers of the run's first value. */
  at: number;
  /** Values in the run: consecutive `width`-register values from `at`, up to the first missing register, at most MAX_RUN. */
  run: number;
  scores: Record<ByteOrder, OrderScore>;
  /**
   * The one byte order (and kind) in which every value of the run is plausible while in every
   * other order none of the kinds is; null when there is no such order. Always a guess: data can
   * look plausible in the wrong order, and real data can look like nonsense.
   */
  verdict: { order: ByteOrder; kind: GuessKind; guess: true } | null;
  /** Why there is a verdict or none, for people. */
  reason: string;
}

/** A guess needs at least this many values: one value looks plausible by chance too often. */
export const MIN_RUN = 2;
/** Values looked at from `at`: enough to tell, few enough to stay local to one block of data. */
export const MAX_RUN = 8;

/**
 * A float is plausible when finite, not denormal, and 0 or of a magnitude real measurements have
 * (1e-6 to 1e9). An integer of 32 bits when it fits 24: read in a swapped order, an integer whose
 * second byte is not 0 (or 0xFF) lands at or beyond 2^24. One of 64 bits when it fits 32 (a
 * counter beyond 4 billion is rare): a looser bound lets float64s with empty low words (21.5)
 * read word-reversed as plausible integers too often.
 */
function plausibleFloat(x: number, width: 2 | 4): boolean {
  if (x === 0) return true;
  if (!Number.isFinite(x)) return false;
  const a = Math.abs(x);
  const smallestNormal = width === 2 ? 1.1754943508222875e-38 : 2.2250738585072014e-308;
  return a >= smallestNormal && a >= 1e-6 && a <= 1e9;
}

const INT24 = 2 ** 24;
const INT32 = 2n ** 32n;

function valueAt(registers: readonly (number | null)[], at: number, width: 2 | 4, order: ByteOrder): { float: number; integer: boolean } | null {
  if (width === 2) {
    const v = wide32(registers, at, order);
    return v && { float: v.f32, integer: Math.abs(v.i32) < INT24 };
  }
  const v = wide64(registers, at, order);
  return v && { float: v.f64, integer: v.i64 < INT32 && v.i64 > -INT32 };
}

/**
 * Scores each byte order by how plausible the run of values from registers[at] reads in it, and
 * names an order only when exactly one makes every value plausible. All zeros, noise, and
 * values that read plausibly in two orders get no verdict.
 */
export function guessByteOrder(registers: readonly (number | null)[], at: number, width: 2 | 4): ByteOrderGuess {
  let run = 0;
  while (run < MAX_RUN && complete(registers, at + run * width, width)) run++;
  const scores = {} as Record<ByteOrder, OrderScore>;
  for (const order of BYTE_ORDERS) {
    let floats = 0;
    let integers = 0;
    for (let k = 0; k < run; k++) {
      const v = valueAt(registers, at + k * width, width, order)!;
      if (plausibleFloat(v.float, width)) floats++;
      if (v.integer) integers++;
    }
    const plausible: GuessKind[] = [];
    if (run > 0 && floats === run) plausible.push('float');
    if (run > 0 && integers === run) plausible.push('integer');
    scores[order] = { float: run ? floats / run : 0, integer: run ? integers / run : 0, plausible };
  }
  const base = { width, at, run, scores };
  if (run < MIN_RUN) return { ...base, verdict: null, reason: `${run} value${run === 1 ? '' : 's'} in a row: a guess needs at least ${MIN_RUN}` };
  const orders = BYTE_ORDERS.filter((o) => scores[o].plausible.length > 0);
  if (orders.length === 0) return { ...base, verdict: null, reason: 'no byte order reads these registers as plausible values' };
  if (orders.length > 1) return { ...base, verdict: null, reason: `${orders.join(', ')} all read plausibly: cannot tell` };
  const order = orders[0]!;
  // Both kinds plausible takes values that are 0 or both (an integer of 24 bits is a denormal
  // float): the integer is the likelier reading.
  const kind: GuessKind = scores[order].plausible.includes('integer') ? 'integer' : 'float';
  return { ...base, verdict: { order, kind, guess: true }, reason: `only ${order} reads all ${run} values as plausible ${kind === 'float' ? 'floats' : 'integers'} (a guess)` };
}

/** Whether registers[at..at+width-1] were all read. */
function complete(registers: readonly (number | null)[], at: number, width: 2 | 4): boolean {
  if (at < 0 || at + width > registers.length) return false;
  for (let i = 0; i < width; i++) if (registers[at + i] === null || registers[at + i] === undefined) return false;
  return true;
}
