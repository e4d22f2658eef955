import type { TagValue, WriteSpec } from '../../gateway/protocol';

/**
 * What a typed-in value may be for a tag, checked while the user types in the Write… box, from
 * the tag's `writeSpec`: the gateway's driver decides what a tag can hold, this only spares a
 * round trip and says it in the tag's own units. The gateway checks again on the write.
 * (An `enum` tag is written with a quick pick instead of typed.)
 */

export type ParsedWrite = { ok: true; value: TagValue } | { ok: false; message: string };

/** What the box expects, for its prompt: "a number from -3276.8 to 3276.7 °C in steps of 0.1". */
export function describeExpected(spec: WriteSpec, unit?: string): string {
  const u = unit ? ` ${unit}` : '';
  switch (spec.kind) {
    case 'boolean':
      return 'true or false (or 1 / 0)';
    case 'integer':
      return `a whole number from ${spec.min} to ${spec.max}${u}`;
    case 'number': {
      const range =
        spec.min !== undefined && spec.max !== undefined
          ? ` from ${formatNumber(spec.min)} to ${formatNumber(spec.max)}${u}`
          : spec.min !== undefined
            ? ` of at least ${formatNumber(spec.min)}${u}`
            : spec.max !== undefined
              ? ` of at most ${formatNumber(spec.max)}${u}`
              : u ? ` in${u}` : '';
      const step = spec.step !== undefined ? ` in steps of ${formatNumber(spec.step)}` : '';
      return `a number${range}${step}`;
    }
    case 'string': {
      const chars = spec.ascii ? 'ASCII characters' : 'characters';
      return spec.maxLength !== undefined ? `text of up to ${spec.maxLength} ${chars}` : spec.ascii ? 'ASCII text' : 'text';
    }
    case 'enum':
      return `one of ${spec.values.map((v) => v.label).join(', ')}`;
    case 'json':
      return 'a JSON value (e.g. [1, 2, 3] or {"x": 1})';
  }
}

/** Parses and checks the typed text; the message says what is wrong in words. */
export function parseWriteValue(text: string, spec: WriteSpec, unit?: string): ParsedWrite {
  const s = text.trim();
  if (s === '' && spec.kind !== 'string') return { ok: false, message: `Enter ${describeExpected(spec, unit)}.` };
  switch (spec.kind) {
    case 'boolean':
      return parseBoolean(s);
    case 'integer':
      return parseInteger(s, spec);
    case 'number':
      return parseNumber(s, spec, unit);
    case 'string':
      return parseString(text, spec);
    case 'enum':
      return parseEnum(s, spec);
    case 'json':
      return parseJson(s);
  }
}

/** The text a value starts the box with. */
export function valueText(value: TagValue): string {
  if (value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function parseBoolean(s: string): ParsedWrite {
  const v = s.toLowerCase();
  if (v === 'true' || v === '1') return { ok: true, value: true };
  if (v === 'false' || v === '0') return { ok: true, value: false };
  return { ok: false, message: `"${s}" is not a boolean: enter true, false, 1 or 0.` };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

function parseInteger(s: string, spec: Extract<WriteSpec, { kind: 'integer' }>): ParsedWrite {
  if (!INTEGER.test(s)) {
    if (NUMBER.test(s)) return { ok: false, message: `This tag takes whole numbers only (like 42 or -7), not ${s}.` };
    return { ok: false, message: `"${s}" is not a number.` };
  }
  // Exact, also beyond 2^53 (64-bit integers): the limits come as decimal strings.
  const v = BigInt(s);
  if (v < BigInt(spec.min) || v > BigInt(spec.max)) return { ok: false, message: `${s} is out of range: enter a whole number from ${spec.min} to ${spec.max}.` };
  // Beyond ±2^53 a JavaScript number would lose digits: send the decimal string, as the protocol allows.
  const n = Number(v);
  return { ok: true, value: Number.isSafeInteger(n) ? n : v.toString() };
}

function parseNumber(s: string, spec: Extract<WriteSpec, { kind: 'number' }>, unit?: string): ParsedWrite {
  if (!NUMBER.test(s)) return { ok: false, message: `"${s}" is not a number.` };
  const v = Number(s);
  if (!Number.isFinite(v)) return { ok: false, message: `${s} is too large.` };
  if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) {
    return { ok: false, message: `${s} is out of range: enter ${describeExpected(spec, unit)}.` };
  }
  if (spec.step !== undefined && spec.step !== 0) {
    const origin = spec.stepOrigin ?? 0;
    const k = (v - origin) / spec.step;
    const whole = Math.round(k);
    // Tolerates the float noise of decimal steps (21.5 / 0.1 = 214.99999999999997).
    if (Math.abs(k - whole) > 1e-9 * Math.max(1, Math.abs(k))) {
      const [a, b] = [origin + Math.floor(k) * spec.step, origin + Math.ceil(k) * spec.step].sort((x, y) => x - y);
      return {
        ok: false,
        message: `${s} falls between two steps of ${formatNumber(Math.abs(spec.step))}: the nearest values are ${formatNumber(a)} and ${formatNumber(b)}.`,
      };
    }
  }
  return { ok: true, value: v };
}

function parseString(text: string, spec: Extract<WriteSpec, { kind: 'string' }>): ParsedWrite {
  if (spec.ascii) {
    const bad = /[^\x20-\x7e]/.exec(text);
    if (bad) return { ok: false, message: `Only printable ASCII characters fit in this tag; "${bad[0]}" does not.` };
  }
  const length = [...text].length;
  if (spec.maxLength !== undefined && length > spec.maxLength) {
    return { ok: false, message: `Too long: ${length} characters, the tag holds ${spec.maxLength}.` };
  }
  return { ok: true, value: text };
}

function parseEnum(s: string, spec: Extract<WriteSpec, { kind: 'enum' }>): ParsedWrite {
  const match = spec.values.find((v) => v.label === s || String(v.value) === s);
  return match ? { ok: true, value: match.value } : { ok: false, message: `"${s}" is not one of ${spec.values.map((v) => v.label).join(', ')}.` };
}

function parseJson(s: string): ParsedWrite {
  try {
    return { ok: true, value: JSON.parse(s) as TagValue };
  } catch (err) {
    return { ok: false, message: `Not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Short, exact-looking numbers: 0.1 stays 0.1, 3.4e38 stays readable. */
function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  return String(Number(n.toPrecision(12)));
}
