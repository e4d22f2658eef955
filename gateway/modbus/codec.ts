/**
 * Register words <-> engineering values for every Modbus data type and byte order.
 *
 * This is the scan loop's hot path: decoding allocates nothing but its result and reuses one
 * scratch DataView. Multi-register values are first put into big-endian (ABCD…) word order, then
 * read; encoding writes big-endian and applies the same permutation, which is its own inverse.
 */
import type { ByteOrder, TagValue } from '../protocol';
import { describeInput, type ResolvedAddress } from './address';

export class ValueError extends Error {
  override name = 'ValueError';
}

export type Encoded =
  | { kind: 'registers'; registers: number[] }
  | { kind: 'coil'; value: boolean }
  | { kind: 'bitInRegister'; bit: number; value: boolean };

const scratch = new DataView(new ArrayBuffer(8));
const TWO_32 = 4294967296;
const FLOAT32_MAX = 3.4028234663852886e38;

const INTEGER_RANGES = {
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
} as const;

const INT64_RANGES = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
} as const;

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/** Decodes `a` from register words (uint16 each), starting at regs[start]. */
export function decodeRegisters(a: ResolvedAddress, regs: ArrayLike<number>, start: number): TagValue {
  if (start < 0 || start + a.count > regs.length) {
    throw new RangeError(`${a.key} needs ${a.count} register(s) from index ${start}, but only ${regs.length} were read`);
  }
  switch (a.type) {
    case 'uint16':
      return engineering(a, regs[start] & 0xffff);
    case 'int16':
      return engineering(a, (regs[start] << 16) >> 16);
    case 'uint32':
      return engineering(a, read32(a.byteOrder, regs, start));
    case 'int32':
      return engineering(a, read32(a.byteOrder, regs, start) | 0);
    case 'float32':
      scratch.setUint32(0, read32(a.byteOrder, regs, start));
      return engineering(a, scratch.getFloat32(0));
    case 'float64':
      load64(a.byteOrder, regs, start);
      return engineering(a, scratch.getFloat64(0));
    case 'uint64':
    case 'int64':
      load64(a.byteOrder, regs, start);
      return decodeInt64(a, scratch.getUint32(0), scratch.getUint32(4));
    case 'string':
      return decodeString(regs, start, a.count);
    case 'bool':
      if (a.bit === undefined) throw new Error(`${a.key} is a single bit: decode it with decodeBit`);
      return ((regs[start] >>> a.bit) & 1) === 1;
  }
}

/** Decodes a bool from coil/discrete bits (booleans or 0/1), at bits[start]. */
export function decodeBit(bits: ArrayLike<boolean | number>, start: number): boolean {
  if (start < 0 || start >= bits.length) throw new RangeError(`bit index ${start} is outside the ${bits.length} bits read`);
  const b = bits[start];
  return b === true || b === 1;
}

/** The 32-bit value at regs[start..start+1] as an unsigned integer. */
function read32(order: ByteOrder, regs: ArrayLike<number>, start: number): number {
  const swapWords = order === 'CDAB' || order === 'DCBA';
  let hi = regs[swapWords ? start + 1 : start] & 0xffff;
  let lo = regs[swapWords ? start : start + 1] & 0xffff;
  if (order === 'BADC' || order === 'DCBA') {
    hi = swapBytes(hi);
    lo = swapBytes(lo);
  }
  return (hi * 65536 + lo) >>> 0;
}

/** Puts the 64-bit value at regs[start..start+3] into the scratch view, big-endian. */
function load64(order: ByteOrder, regs: ArrayLike<number>, start: number): void {
  const swapWords = order === 'CDAB' || order === 'DCBA';
  const swap = order === 'BADC' || order === 'DCBA';
  for (let i = 0; i < 4; i++) {
    const w = regs[start + (swapWords ? 3 - i : i)] & 0xffff;
    scratch.setUint16(i * 2, swap ? swapBytes(w) : w);
  }
}

function decodeInt64(a: ResolvedAddress, hi: number, lo: number): number | string {
  const signed = a.type === 'int64';
  const high = signed ? hi | 0 : hi;
  // Exact whenever the true value is within ±MAX_SAFE_INTEGER: high * 2^32 is exact and the sum
  // is correctly rounded; beyond that the rounded sum is still beyond MAX_SAFE_INTEGER.
  const approx = high * TWO_32 + lo;
  if (Math.abs(approx) <= Number.MAX_SAFE_INTEGER) return engineering(a, approx);
  // A scaled value is approximate anyway; only the raw integer keeps all its digits as text.
  if (a.scale !== 1 || a.offset !== 0) return engineering(a, approx);
  const big = (BigInt(hi) << 32n) | BigInt(lo);
  return (signed ? BigInt.asIntN(64, big) : big).toString();
}

function decodeString(regs: ArrayLike<number>, start: number, count: number): string {
  let text = '';
  let kept = 0; // length of `text` up to its last non-NUL character
  for (let i = 0; i < count; i++) {
    const w = regs[start + i];
    const high = (w >>> 8) & 0xff;
    const low = w & 0xff;
    text += String.fromCharCode(high, low);
    if (low !== 0) kept = text.length;
    else if (high !== 0) kept = text.length - 1;
  }
  return kept === text.length ? text : text.slice(0, kept);
}

/**
 * raw * scale + offset. When 1/scale is whole (0.1, 0.01 …) it divides instead, and folds an
 * offset that sits on the same grid into the dividend, so 3 at scale 0.1 reads 0.3 and 653 at
 * scale 0.1, offset -40 reads 25.3, not 0.30000000000000004 and 25.299999999999997.
 */
function engineering(a: ResolvedAddress, raw: number): number {
  const { scale, offset } = a;
  if (scale === 1 && offset === 0) return raw;
  const inverse = 1 / scale;
  if (!Number.isInteger(inverse)) return raw * scale + offset;
  const shift = offset * inverse;
  return Number.isInteger(shift) && Math.abs(shift) <= Number.MAX_SAFE_INTEGER ? (raw + shift) / inverse : raw / inverse + offset;
}

function swapBytes(w: number): number {
  return ((w & 0xff) << 8) | (w >>> 8);
}

// ---------------------------------------------------------------------------------------------
// What a write may carry
// ---------------------------------------------------------------------------------------------

/**
 * The rules a written value must meet, in engineering units: the one source for encodeValue's
 * checks and for the WriteSpec clients check input against (writeSpec.ts).
 * - `integer`: an unscaled integer type; whole numbers (or decimal strings) from min to max.
 * - `stepped`: a scaled integer type; numbers from min to max on the grid origin + k * step.
 * - `real`: a float type; finite numbers from min to max.
 */
export type WriteRules =
  | { kind: 'boolean' }
  | { kind: 'string'; maxLength: number }
  | { kind: 'integer'; min: bigint; max: bigint }
  | { kind: 'stepped'; min: number; max: number; step: number; origin: number; /** Exact as doubles. */ rawMin: number; rawMax: number }
  | { kind: 'real'; min: number; max: number };

const FLOAT64_MAX = Number.MAX_VALUE;

/**
 * How far a value may lie from a raw step and still be taken as that step: 16 units of
 * roundoff (2^-52) of the largest magnitude involved (the value, the offset, one step). That is
 * floating-point noise only: 2.3 at scale 0.01 is raw 230 although 2.3 * 100 is
 * 229.99999999999997, and 0.1 + 0.2 at scale 0.1 is raw 3, but 21.3 + 1e-12 at scale 0.1 is
 * refused. The tolerance stays below half a step up to about 2^47 steps from zero, beyond which
 * a double cannot tell neighbouring steps apart anyway.
 */
export const STEP_TOLERANCE = 16 * Number.EPSILON;

export function writeRulesOf(a: ResolvedAddress): WriteRules {
  const scaled = a.scale !== 1 || a.offset !== 0;
  switch (a.type) {
    case 'bool':
      return { kind: 'boolean' };
    case 'string':
      return { kind: 'string', maxLength: a.count * 2 };
    case 'float32':
    case 'float64': {
      const rawMax = a.type === 'float32' ? FLOAT32_MAX : FLOAT64_MAX;
      if (!scaled) return { kind: 'real', min: -rawMax, max: rawMax };
      const [min, max] = ordered(clampFinite(engineering(a, -rawMax)), clampFinite(engineering(a, rawMax)));
      return { kind: 'real', min, max };
    }
    default: {
      const [lo, hi] = integerRange(a.type);
      if (!scaled) return { kind: 'integer', min: lo, max: hi };
      // Raw bounds a double holds exactly: 2^63 - 1 is not one, and rounding up would wrap.
      const rawMin = towardZero(lo);
      const rawMax = towardZero(hi);
      const [min, max] = ordered(engineering(a, rawMin), engineering(a, rawMax));
      return { kind: 'stepped', min, max, step: Math.abs(a.scale), origin: a.offset, rawMin, rawMax };
    }
  }
}

type IntegerType = keyof typeof INTEGER_RANGES | keyof typeof INT64_RANGES;

function integerRange(type: IntegerType): [bigint, bigint] {
  const [lo, hi] = type === 'int64' || type === 'uint64' ? INT64_RANGES[type] : INTEGER_RANGES[type];
  return [BigInt(lo), BigInt(hi)];
}

/** Sorted, and without -0 (a bound of -0 reads as 0 to people). */
function ordered(x: number, y: number): [number, number] {
  return x <= y ? [x + 0, y + 0] : [y + 0, x + 0];
}

/** The double nearest to n that is no farther from zero. */
function towardZero(n: bigint): number {
  let x = Number(n);
  while (n >= 0n ? BigInt(x) > n : BigInt(x) < n) x = n >= 0n ? nextToward0(x) : -nextToward0(-x);
  return x;
}

/** The next double below a positive one. */
function nextToward0(x: number): number {
  scratch.setFloat64(0, x);
  scratch.setBigUint64(0, scratch.getBigUint64(0) - 1n);
  return scratch.getFloat64(0);
}

function clampFinite(x: number): number {
  return Math.max(-FLOAT64_MAX, Math.min(FLOAT64_MAX, x));
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/**
 * Converts an engineering value to what is written; throws ValueError before anything is sent.
 * Never rounds: a fraction written to an integer type, or a value off the raw steps of a scaled
 * one, is refused, naming what would fit.
 */
export function encodeValue(a: ResolvedAddress, value: unknown): Encoded {
  const rules = writeRulesOf(a);
  switch (rules.kind) {
    case 'boolean': {
      const v = toBoolean(value);
      return a.bit === undefined ? { kind: 'coil', value: v } : { kind: 'bitInRegister', bit: a.bit, value: v };
    }
    case 'string':
      return { kind: 'registers', registers: encodeString(a, value) };
    case 'real':
      return { kind: 'registers', registers: encodeReal(a, rules, value) };
    case 'integer':
      return { kind: 'registers', registers: encodeInteger(a, rules, value) };
    case 'stepped':
      return { kind: 'registers', registers: encodeStepped(a, rules, value) };
  }
}

function toBoolean(value: unknown): boolean {
  if (value === true || value === 1) return true;
  if (value === false || value === 0) return false;
  throw new ValueError(`expected true/false or 1/0 for bool, got ${describeInput(value)}`);
}

function requireNumber(a: ResolvedAddress, value: unknown): number {
  if (typeof value !== 'number') throw new ValueError(`expected a number for ${a.type}, got ${describeInput(value)}`);
  if (!Number.isFinite(value)) throw new ValueError(`expected a finite number for ${a.type}, got ${value}`);
  return value;
}

function encodeReal(a: ResolvedAddress, rules: { min: number; max: number }, value: unknown): number[] {
  const v = requireNumber(a, value);
  const wide = a.type === 'float64';
  const rawMax = wide ? FLOAT64_MAX : FLOAT32_MAX;
  if (!(v >= rules.min && v <= rules.max)) throw new ValueError(outOfRange(a, v, `±${rawMax}`));
  // Within the limits, raw can only pass the type's largest value by rounding: hold it there.
  const raw = Math.max(-rawMax, Math.min(rawMax, toRaw(a, v)));
  if (wide) scratch.setFloat64(0, raw);
  else scratch.setFloat32(0, raw);
  return words(a.byteOrder, wide ? 4 : 2);
}

/** An unscaled integer type: a whole number, or a decimal string (every digit kept), in range. */
function encodeInteger(a: ResolvedAddress, rules: { min: bigint; max: bigint }, value: unknown): number[] {
  let raw: bigint;
  if (typeof value === 'string') {
    const text = value.trim();
    if (!/^[+-]?\d+$/.test(text)) throw new ValueError(`expected an integer (a number or a decimal string) for ${a.type}, got ${describeInput(value)}`);
    raw = BigInt(text);
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ValueError(`expected a finite number for ${a.type}, got ${value}`);
    if (value < Number(rules.min) || value > Number(rules.max)) throw new ValueError(outOfRange(a, value, `${rules.min}..${rules.max}`));
    if (!Number.isInteger(value)) throw new ValueError(`${value} is not a whole number; ${a.type} holds whole numbers`);
    raw = BigInt(value);
  } else {
    throw new ValueError(`expected an integer (a number or a decimal string) for ${a.type}, got ${describeInput(value)}`);
  }
  if (raw < rules.min || raw > rules.max) throw new ValueError(outOfRange(a, typeof value === 'string' ? value.trim() : value, `${rules.min}..${rules.max}`));
  return integerWords(a, raw);
}

/** A scaled integer type: a number on a raw step (within floating-point noise), in range. */
function encodeStepped(a: ResolvedAddress, rules: Extract<WriteRules, { kind: 'stepped' }>, value: unknown): number[] {
  if (typeof value !== 'number') throw new ValueError(`expected a number for ${a.key}, got ${describeInput(value)}`);
  if (!Number.isFinite(value)) throw new ValueError(`expected a finite number for ${a.key}, got ${value}`);
  const tolerance = STEP_TOLERANCE * Math.max(Math.abs(value), Math.abs(a.offset), Math.abs(a.scale));
  const raw = toRaw(a, value);
  if (!(value >= rules.min - tolerance && value <= rules.max + tolerance)) {
    const [lo, hi] = integerRange(a.type as IntegerType);
    throw new ValueError(outOfRange(a, value, `${lo}..${hi}`, raw));
  }
  // Within the limits, the nearest step can only pass a bound by rounding: hold it there.
  const k = Math.min(rules.rawMax, Math.max(rules.rawMin, roundHalfAway(raw)));
  if (!(Math.abs(engineering(a, k) - value) <= tolerance)) {
    const near = [Math.floor(raw), Math.ceil(raw)]
      .filter((r) => r >= rules.rawMin && r <= rules.rawMax)
      .map((r) => engineering(a, r))
      .sort((x, y) => x - y);
    const nearest = near.length === 2 ? `the nearest are ${near[0]} and ${near[1]}` : `the nearest is ${near[0]}`;
    throw new ValueError(`${value} is not a value ${a.key} can hold (steps of ${rules.step} from ${rules.origin}); ${nearest}`);
  }
  return integerWords(a, BigInt(k));
}

/** The registers of an integer raw value already checked against its type's range. */
function integerWords(a: ResolvedAddress, raw: bigint): number[] {
  if (a.count === 1) return [Number(BigInt.asUintN(16, raw))];
  if (a.count === 2) {
    scratch.setUint32(0, Number(BigInt.asUintN(32, raw)));
    return words(a.byteOrder, 2);
  }
  scratch.setBigUint64(0, BigInt.asUintN(64, raw));
  return words(a.byteOrder, 4);
}

/** Inverts scale and offset: (value - offset) / scale, multiplying by 1/scale when that is whole. */
function toRaw(a: ResolvedAddress, value: number): number {
  const { scale, offset } = a;
  if (scale === 1 && offset === 0) return value;
  const inverse = 1 / scale;
  return Number.isInteger(inverse) ? (value - offset) * inverse : (value - offset) / scale;
}

/** Nearest integer, halves away from zero (so -2.5 and 2.5 round alike). */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Reads `n` words from the big-endian scratch view in the wire order of `order`. */
function words(order: ByteOrder, n: number): number[] {
  const swapWords = order === 'CDAB' || order === 'DCBA';
  const swap = order === 'BADC' || order === 'DCBA';
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const w = scratch.getUint16((swapWords ? n - 1 - i : i) * 2);
    out[i] = swap ? swapBytes(w) : w;
  }
  return out;
}

function encodeString(a: ResolvedAddress, value: unknown): number[] {
  if (typeof value !== 'string') throw new ValueError(`expected text for string, got ${describeInput(value)}`);
  const capacity = a.count * 2;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0x7f) {
      const ch = String.fromCodePoint(value.codePointAt(i) ?? 0);
      throw new ValueError(`"${value}" has the non-ASCII character "${ch}" at position ${i + 1}; string registers hold printable ASCII only`);
    }
    if (c < 0x20 || c === 0x7f) {
      const code = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
      throw new ValueError(`${JSON.stringify(value)} has the control character ${code} at position ${i + 1}; string registers hold printable ASCII only`);
    }
  }
  if (value.length > capacity) {
    throw new ValueError(`"${value}" has ${value.length} characters; ${a.key} holds at most ${capacity}`);
  }
  const registers = new Array<number>(a.count);
  for (let i = 0; i < a.count; i++) {
    // charCodeAt past the end is NaN, and NaN | 0 is 0: the NUL padding.
    registers[i] = ((value.charCodeAt(2 * i) | 0) << 8) | (value.charCodeAt(2 * i + 1) | 0);
  }
  return registers;
}

/** "value … is out of range …"; for a scaled address it also says what raw value the value becomes. */
function outOfRange(a: ResolvedAddress, value: number | string, range: string, raw?: number): string {
  if (a.scale === 1 && a.offset === 0) return `value ${value} is out of range for ${a.type} (${range})`;
  const becomes = raw ?? toRaw(a, Number(value));
  return `value ${value} is out of range for ${a.key}: with scale ${a.scale} and offset ${a.offset} it becomes ${becomes}, and ${a.type} holds ${range}`;
}
