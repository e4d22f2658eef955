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
// Encoding
// ---------------------------------------------------------------------------------------------

/** Converts an engineering value to what is written; throws ValueError before anything is sent. */
export function encodeValue(a: ResolvedAddress, value: number | boolean | string): Encoded {
  switch (a.type) {
    case 'bool': {
      const v = toBoolean(value);
      return a.bit === undefined ? { kind: 'coil', value: v } : { kind: 'bitInRegister', bit: a.bit, value: v };
    }
    case 'string':
      return { kind: 'registers', registers: encodeString(a, value) };
    case 'int64':
    case 'uint64':
      return { kind: 'registers', registers: encodeInt64(a, value) };
    case 'float32': {
      const raw = toRaw(a, requireNumber(a, value));
      if (!(Math.abs(raw) <= FLOAT32_MAX)) throw new ValueError(outOfRange(a, value, raw, `±${FLOAT32_MAX}`));
      scratch.setFloat32(0, raw);
      return { kind: 'registers', registers: words(a.byteOrder, 2) };
    }
    case 'float64': {
      const raw = toRaw(a, requireNumber(a, value));
      if (!Number.isFinite(raw)) throw new ValueError(outOfRange(a, value, raw, 'finite numbers'));
      scratch.setFloat64(0, raw);
      return { kind: 'registers', registers: words(a.byteOrder, 4) };
    }
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32': {
      const raw = roundHalfAway(toRaw(a, requireNumber(a, value)));
      const [min, max] = INTEGER_RANGES[a.type];
      if (!(raw >= min && raw <= max)) throw new ValueError(outOfRange(a, value, raw, `${min}..${max}`));
      if (a.count === 1) return { kind: 'registers', registers: [raw & 0xffff] };
      scratch.setUint32(0, raw >>> 0);
      return { kind: 'registers', registers: words(a.byteOrder, 2) };
    }
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

function encodeInt64(a: ResolvedAddress, value: unknown): number[] {
  const type = a.type as 'int64' | 'uint64';
  const unscaled = a.scale === 1 && a.offset === 0;
  let raw: number | bigint;
  if (typeof value === 'string') {
    const text = value.trim();
    if (!/^[+-]?\d+$/.test(text)) {
      throw new ValueError(`expected an integer (a number or a decimal string) for ${type}, got ${describeInput(value)}`);
    }
    raw = unscaled ? BigInt(text) : roundHalfAway(toRaw(a, Number(text)));
  } else {
    if (typeof value !== 'number') {
      throw new ValueError(`expected an integer (a number or a decimal string) for ${type}, got ${describeInput(value)}`);
    }
    raw = roundHalfAway(toRaw(a, requireNumber(a, value)));
    if (!Number.isFinite(raw)) throw new ValueError(outOfRange(a, value, raw, rangeText(type)));
  }

  if (typeof raw === 'number' && Math.abs(raw) <= Number.MAX_SAFE_INTEGER) {
    if (type === 'uint64' && raw < 0) throw new ValueError(outOfRange(a, value, raw, rangeText(type)));
    const high = Math.floor(raw / TWO_32);
    scratch.setUint32(0, high >>> 0);
    scratch.setUint32(4, raw - high * TWO_32);
  } else {
    const big = BigInt(raw);
    const [min, max] = INT64_RANGES[type];
    if (big < min || big > max) throw new ValueError(outOfRange(a, value, big, rangeText(type)));
    scratch.setBigUint64(0, BigInt.asUintN(64, big));
  }
  return words(a.byteOrder, 4);
}

function rangeText(type: 'int64' | 'uint64'): string {
  const [min, max] = INT64_RANGES[type];
  return `${min}..${max}`;
}

function encodeString(a: ResolvedAddress, value: unknown): number[] {
  if (typeof value !== 'string') throw new ValueError(`expected text for string, got ${describeInput(value)}`);
  const capacity = a.count * 2;
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 0x7f) {
      const ch = String.fromCodePoint(value.codePointAt(i) ?? 0);
      throw new ValueError(`"${value}" has the non-ASCII character "${ch}" at position ${i + 1}; string registers hold ASCII only`);
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

function outOfRange(a: ResolvedAddress, value: unknown, raw: number | bigint, range: string): string {
  const shown = typeof value === 'string' ? value.trim() : String(value);
  if (a.scale === 1 && a.offset === 0) return `value ${shown} is out of range for ${a.type} (${range})`;
  return `value ${shown} is out of range for ${a.key}: with scale ${a.scale} and offset ${a.offset} it becomes ${raw}, and ${a.type} holds ${range}`;
}

