import type { LiveValue } from '../messages';

/** What a series holds, from its readings: it decides formatting and whether it is charted. */
export type ValueKind = 'number' | 'bool' | 'text' | 'unknown';

export function kindOf(value: LiveValue | undefined): ValueKind {
  switch (typeof value) {
    case 'number':
      return 'number';
    case 'boolean':
      return 'bool';
    case 'string':
      return 'text';
    default:
      return 'unknown';
  }
}

/** A number as people read it on a panel: up to 6 significant digits, no float noise. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs >= 1e9 || abs < 1e-4)) return n.toExponential(4).replace(/\.?0+e/, 'e');
  return String(Number(n.toPrecision(6)));
}

const SI: readonly [number, string][] = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/**
 * Y-axis labels that fit the axis: large values in k/M/G/T, one suffix for the whole axis (chosen
 * by its largest tick), with just enough decimals to tell neighbouring ticks apart (`step` is the
 * distance between ticks).
 */
export function formatAxisNumbers(ticks: readonly number[], step: number): string[] {
  const largest = Math.max(0, ...ticks.map((t) => Math.abs(t)));
  const unit = SI.find(([factor]) => largest >= 10 * factor);
  if (!unit) return ticks.map((t) => formatNumber(t));
  const [factor, suffix] = unit;
  const decimals = Math.min(6, Math.max(0, Math.ceil(-Math.log10(step / factor) - 1e-9)));
  return ticks.map((t) => (t === 0 ? '0' : `${(t / factor).toFixed(decimals)}${suffix}`));
}

export function formatValue(value: LiveValue | undefined, unit?: string): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = typeof value === 'number' ? formatNumber(value) : value;
  return unit && typeof value === 'number' ? `${text} ${unit}` : text;
}

/** Min/max are kept as chart numbers; a boolean series shows them as false/true again. */
export function formatExtreme(n: number | null, kind: ValueKind, unit?: string): string {
  if (n === null) return '—';
  if (kind === 'bool') return n >= 1 ? 'true' : 'false';
  return unit ? `${formatNumber(n)} ${unit}` : formatNumber(n);
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
