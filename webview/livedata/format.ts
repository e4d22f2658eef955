import type { LiveReading, LiveValue, LiveValueKind } from '../messages';

/** A number as people read it on a panel: up to 6 significant digits, no float noise. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs >= 1e9 || abs < 1e-4)) return n.toExponential(4).replace(/\.?0+e/, 'e');
  return String(Number(n.toPrecision(6)));
}

/**
 * A reading's value for the table. Integers show every digit (64-bit ones arrive as decimal
 * strings); arrays and structures show compactly, cut with … past `maxChars`.
 */
export function formatValue(value: LiveValue | undefined, kind: LiveValueKind | undefined, unit?: string, maxChars = VALUE_CHARS): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'object') return compactValue(value, maxChars);
  const text = typeof value === 'number' ? (kind === 'integer' && Number.isInteger(value) ? String(value) : formatNumber(value)) : value;
  const numeric = typeof value === 'number' || ((kind === 'integer' || kind === 'number') && DECIMAL_INTEGER.test(value));
  return unit && numeric ? `${text} ${unit}` : text;
}

/**
 * A series' latest reading for the chart's legend: as the table shows it (every digit of a
 * 64-bit integer, true/false, the unit), `bad` when the device did not deliver it, `—` before
 * the first reading.
 */
export function formatLatest(reading: LiveReading | null, kind: LiveValueKind | undefined, unit?: string): string {
  if (!reading) return '—';
  if (reading.quality === 'bad') return 'bad';
  return formatValue(reading.value, kind, unit);
}

/**
 * The whole value, for the tooltip of a cell that may not show all of it (text, arrays,
 * structures); undefined for values a cell always shows whole.
 */
export function fullValueText(value: LiveValue | undefined, kind: LiveValueKind | undefined): string | undefined {
  if (typeof value === 'string') return kind === 'integer' || kind === 'number' ? undefined : value;
  if (value !== null && typeof value === 'object') return compactValue(value, Infinity, true);
  return undefined;
}

/** Characters of an array or a structure the table cell shows; the tooltip has all of it. */
export const VALUE_CHARS = 24;

const DECIMAL_INTEGER = /^[+-]?\d+$/;

/**
 * Min/max as the host keeps them: exact (a decimal string beyond ±2^53); a boolean series has
 * 0/1 and shows them as false/true again.
 */
export function formatExtreme(n: number | string | null, kind: LiveValueKind | undefined, unit?: string): string {
  if (n === null) return '—';
  if (kind === 'boolean') return Number(n) >= 1 ? 'true' : 'false';
  const text = typeof n === 'string' || (kind === 'integer' && Number.isInteger(n)) ? String(n) : formatNumber(n);
  return unit ? `${text} ${unit}` : text;
}

/**
 * An array or a structure on one line, `[1, 2, 3]` or `{a: 1, b: true}`, cut with … once
 * longer than `maxChars` (then a little longer, for the closing brackets). Fractions have 6
 * significant digits unless `exact`.
 */
export function compactValue(value: LiveValue, maxChars = Infinity, exact = false): string {
  const out: string[] = [];
  let length = 0;
  let cut = false;
  const put = (text: string): boolean => {
    if (cut) return false;
    if (length + text.length > maxChars) {
      cut = true;
      out.push(text === ', ' ? ', …' : '…');
      return false;
    }
    out.push(text);
    length += text.length;
    return true;
  };
  const write = (v: LiveValue): boolean => {
    if (v === null || typeof v !== 'object') return put(scalarText(v, exact));
    const entries: [string | undefined, LiveValue][] = Array.isArray(v) ? v.map((x) => [undefined, x]) : Object.entries(v);
    const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
    if (!put(open)) return false;
    let whole = true;
    for (let i = 0; whole && i < entries.length; i++) {
      const [name, item] = entries[i];
      whole = (i === 0 || put(', ')) && (name === undefined || put(`${keyText(name)}: `)) && write(item);
    }
    out.push(close);
    return whole;
  };
  write(value);
  return out.join('');
}

function scalarText(v: number | boolean | string | null, exact: boolean): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return exact || Number.isInteger(v) ? String(v) : formatNumber(v);
  return String(v);
}

function keyText(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Local time of day with milliseconds: readings are often less than a second apart. */
export function formatTime(timestamp: number): string {
  const d = new Date(timestamp);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Local time of day to the second, for the chart's time axis. */
export function formatClock(timestamp: number): string {
  const d = new Date(timestamp);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Full local date and time, for tooltips. */
export function formatDateTime(timestamp: number): string {
  const d = new Date(timestamp);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatTime(timestamp)}`;
}

export function formatWindow(ms: number): string {
  return ms < 60_000 ? `${ms / 1000} s` : `${ms / 60_000} min`;
}
