import type { ModbusDataType } from '../../gateway/protocol';

/**
 * What a typed-in value may be for a tag, checked while the user types in the Write… box. The
 * gateway checks again; this only spares a round trip and says the range in the tag's own units.
 */

export interface WriteTarget {
  type: ModbusDataType;
  unit?: string;
  /** Engineering value = raw * scale + offset. */
  scale?: number;
  offset?: number;
  /** Registers of a `string` tag (2 ASCII characters each). */
  length?: number;
}

export type ParsedWrite = { ok: true; value: number | boolean | string } | { ok: false; message: string };

interface RawRange {
  min: bigint;
  max: bigint;
}

const INT_RANGES: Partial<Record<ModbusDataType, RawRange>> = {
  int16: { min: -(2n ** 15n), max: 2n ** 15n - 1n },
  uint16: { min: 0n, max: 2n ** 16n - 1n },
  int32: { min: -(2n ** 31n), max: 2n ** 31n - 1n },
  uint32: { min: 0n, max: 2n ** 32n - 1n },
  int64: { min: -(2n ** 63n), max: 2n ** 63n - 1n },
  uint64: { min: 0n, max: 2n ** 64n - 1n },
};

const FLOAT32_MAX = 3.4028234663852886e38;

function isScaled(t: WriteTarget): boolean {
  return (t.scale !== undefined && t.scale !== 1) || (t.offset !== undefined && t.offset !== 0);
}

/** The engineering-unit range of a numeric tag, or undefined for bool and string tags. */
export function engineeringRange(t: WriteTarget): { min: number; max: number } | undefined {
  const scale = t.scale ?? 1;
  const offset = t.offset ?? 0;
  let rawMin: number;
  let rawMax: number;
  const ints = INT_RANGES[t.type];
  if (ints) {
    rawMin = Number(ints.min);
    rawMax = Number(ints.max);
  } else if (t.type === 'float32') {
    rawMin = -FLOAT32_MAX;
    rawMax = FLOAT32_MAX;
  } else if (t.type === 'float64') {
    rawMin = -Number.MAX_VALUE;
    rawMax = Number.MAX_VALUE;
  } else {
    return undefined;
  }
  const a = rawMin * scale + offset;
  const b = rawMax * scale + offset;
  return { min: Math.min(a, b), max: Math.max(a, b) };
}

/** What the box expects, for its prompt: "an integer from -3276.8 to 3276.7 °C in steps of 0.1". */
export function describeExpected(t: WriteTarget): string {
  const unit = t.unit ? ` ${t.unit}` : '';
  switch (t.type) {
    case 'bool':
      return 'true or false (or 1 / 0)';
    case 'string':
      return t.length !== undefined
        ? `text of up to ${t.length * 2} ASCII characters`
        : 'ASCII text';
    case 'float32':
    case 'float64':
      if (!isScaled(t)) return `a number (${t.type})`;
      break;
    default:
      if (!isScaled(t)) {
        const r = INT_RANGES[t.type]!;
        return `a whole number from ${r.min} to ${r.max}${unit} (${t.type})`;
      }
  }
  const range = engineeringRange(t)!;
  const step = INT_RANGES[t.type] ? ` in steps of ${formatNumber(Math.abs(t.scale ?? 1))}` : '';
  return `a number from ${formatNumber(range.min)} to ${formatNumber(range.max)}${unit}${step} (${t.type}, scaled)`;
}

/** Parses and checks the typed text; the message says what is wrong in words. */
export function parseWriteValue(text: string, t: WriteTarget): ParsedWrite {
  const s = text.trim();
  if (s === '') return { ok: false, message: `Enter ${describeExpected(t)}.` };
  switch (t.type) {
    case 'bool':
      return parseBool(s);
    case 'string':
      return parseString(text, t);
    default:
      return parseNumber(s, t);
  }
}

function parseBool(s: string): ParsedWrite {
  const v = s.toLowerCase();
  if (v === 'true' || v === '1') return { ok: true, value: true };
  if (v === 'false' || v === '0') return { ok: true, value: false };
  return { ok: false, message: `"${s}" is not a boolean: enter true, false, 1 or 0.` };
}

function parseString(text: string, t: WriteTarget): ParsedWrite {
  const bad = /[^\x20-\x7e]/.exec(text);
  if (bad) return { ok: false, message: `Only printable ASCII characters fit in registers; "${bad[0]}" does not.` };
  if (t.length !== undefined && text.length > t.length * 2) {
    return { ok: false, message: `Too long: ${text.length} characters, the tag holds ${t.length * 2} (${t.length} registers).` };
  }
  return { ok: true, value: text };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

function parseNumber(s: string, t: WriteTarget): ParsedWrite {
  if (!NUMBER.test(s)) return { ok: false, message: `"${s}" is not a number.` };
  const ints = INT_RANGES[t.type];
  if (ints && !isScaled(t)) return parseInteger(s, t, ints);
  const v = Number(s);
  if (!Number.isFinite(v)) return { ok: false, message: `${s} is too large.` };
  const scale = t.scale ?? 1;
  const offset = t.offset ?? 0;
  // Checked on the raw side, where the limits are exact (no rounding noise from the scale).
  const raw = (v - offset) / scale;
  if (ints) {
    // A scaled integer register stores whole steps: say so instead of rounding silently.
    const steps = Math.round(raw);
    if (Math.abs(raw - steps) > 1e-6) {
      const [a, b] = [Math.floor(raw) * scale + offset, Math.ceil(raw) * scale + offset].sort((x, y) => x - y);
      return { ok: false, message: `${s} falls between two steps of ${formatNumber(Math.abs(scale))}: the nearest values are ${formatNumber(a)} and ${formatNumber(b)}.` };
    }
    if (steps < Number(ints.min) || steps > Number(ints.max)) return { ok: false, message: `${s} is out of range: ${describeExpected(t)}.` };
    return { ok: true, value: v };
  }
  const limit = t.type === 'float32' ? FLOAT32_MAX : Number.MAX_VALUE;
  if (!Number.isFinite(raw) || Math.abs(raw) > limit) return { ok: false, message: `${s} is out of range: ${describeExpected(t)}.` };
  return { ok: true, value: v };
}

function parseInteger(s: string, t: WriteTarget, r: RawRange): ParsedWrite {
  if (!INTEGER.test(s)) return { ok: false, message: `${t.type} takes whole numbers only (like 42 or -7), not ${s}.` };
  const v = BigInt(s);
  if (v < r.min || v > r.max) return { ok: false, message: `${s} is out of range for ${t.type} (${r.min} to ${r.max}).` };
  // Beyond ±2^53 a JavaScript number would lose digits: send the decimal string, as the protocol allows.
  const n = Number(v);
  return { ok: true, value: Number.isSafeInteger(n) ? n : v.toString() };
}

/** Short, exact-looking numbers: 0.1 stays 0.1, 3.4e38 stays readable. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const p = Number(n.toPrecision(12));
  return String(p);
}

const NUM = '[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?';
const SCALE_OFFSET = new RegExp(`(?:\\*(${NUM}))?(?:([+-](?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?))?$`);

/**
 * Reads scale, offset and string length back from a canonical address as the gateway writes it
 * (`holding:100:int16*0.1-40`, `holding:10:string:8`), so the input box knows the tag's range.
 */
export function writeTargetFromAddress(address: string, type: ModbusDataType, unit?: string): WriteTarget {
  const target: WriteTarget = { type, ...(unit ? { unit } : {}) };
  const str = /:string:(\d+)/.exec(address);
  if (str) target.length = Number(str[1]);
  const m = SCALE_OFFSET.exec(address);
  if (m?.[1] !== undefined) target.scale = Number(m[1]);
  if (m?.[2] !== undefined) target.offset = Number(m[2]);
  return target;
}
