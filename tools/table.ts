/**
 * Renders the demo terminal's table: one block per device (status and stats) with one row per tag
 * (value with unit, quality, age). Pure functions of their input, so they are tested without a
 * terminal; colours are ANSI escapes and only used when asked for.
 */
import type { DeviceInfo, DeviceStatus, Quality, TagInfo, TagReading, TagValue } from '../gateway/protocol';

export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

const SGR: Record<Style, string> = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', cyan: '36' };

/** A piece of a line with an optional style; widths count characters, never escape codes. */
export interface Segment {
  text: string;
  style?: Style;
}

export interface TableDevice {
  info: DeviceInfo;
  /** Latest reading per tag key. */
  readings: ReadonlyMap<string, TagReading>;
}

export interface RenderOptions {
  /** Milliseconds since the epoch, for ages. */
  now: number;
  color: boolean;
  /** Lines are cut to this many characters so that they never wrap. */
  width: number;
}

const NO_VALUE = '—';

/**
 * A value as a person reads it: scaled integers with as many decimals as their scale has
 * (`*0.01` -> 2), floats with decimals by magnitude, text quoted, 64-bit integers whole.
 */
export function formatValue(value: TagValue, tag: Pick<TagInfo, 'dataType' | 'valueKind' | 'address'>): string {
  if (value === null) return NO_VALUE;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return tag.valueKind === 'string' ? JSON.stringify(value) : value;
  if (typeof value === 'object') return JSON.stringify(value);
  if (!Number.isFinite(value)) return String(value);
  if (tag.valueKind === 'integer' || !/float/i.test(tag.dataType)) {
    const decimals = scaleDecimals(tag.address);
    if (decimals > 0) return value.toFixed(decimals);
    if (Number.isInteger(value)) return String(value);
  }
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e9 || abs < 1e-3)) return value.toExponential(3);
  return value.toFixed(abs < 10 ? 3 : abs < 1000 ? 2 : 1);
}

/** Decimals implied by the `*scale+offset` suffix of a canonical address (`input:1:int16*0.01` -> 2). */
export function scaleDecimals(address: string): number {
  const m = /\*([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(?:[+-](?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)?$/i.exec(address);
  const scale = m ? Math.abs(Number(m[1])) : 1;
  if (!Number.isFinite(scale) || scale === 0) return 0;
  for (let d = 0; d < 6; d++) {
    const x = scale * 10 ** d;
    if (Math.abs(x - Math.round(x)) < 1e-9 * Math.max(1, x)) return d;
  }
  return 6;
}

/** How long ago a value was read: `0.4 s`, `12 s`, `3 min`, `2 h`. */
export function formatAge(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 120) return `${Math.floor(s)} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h`;
}

/** Request latency in milliseconds, to a useful precision. */
export function formatLatency(ms: number | null): string {
  if (ms === null) return NO_VALUE;
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`;
}

const STATUS_STYLE: Record<DeviceStatus, Style> = { connected: 'green', connecting: 'yellow', disconnected: 'red', error: 'red' };
const QUALITY_STYLE: Record<Quality, Style> = { good: 'green', uncertain: 'yellow', bad: 'red' };

/** Every line of the table, styled and cut to the width. */
export function renderDevices(devices: TableDevice[], opts: RenderOptions): string[] {
  const lines: Segment[][] = [];
  const rows = devices.map((d) => tagRows(d, opts.now));
  // One set of column widths for all devices, so the blocks line up.
  const all = rows.flat();
  const width = (col: keyof TagRow) => all.reduce((w, r) => Math.max(w, r[col].length), 0);
  const w = { name: width('name'), value: width('value'), unit: width('unit'), age: width('age') };

  devices.forEach((d, i) => {
    if (i > 0) lines.push([]);
    lines.push(deviceHeader(d.info));
    if (d.info.lastError && d.info.status !== 'connected') lines.push([{ text: `  ${d.info.lastError}`, style: 'red' }]);
    for (const r of rows[i]) {
      lines.push([
        { text: `  ${r.name.padEnd(w.name)}  ` },
        { text: r.value.padStart(w.value), style: r.quality === 'good' ? 'bold' : 'dim' },
        { text: ` ${r.unit.padEnd(w.unit)}  ` },
        { text: r.age.padStart(w.age), style: 'dim' },
        { text: '  ' },
        { text: r.qualityText, style: QUALITY_STYLE[r.quality] },
      ]);
    }
  });
  return lines.map((segments) => renderLine(segments, opts.width, opts.color));
}

interface TagRow {
  name: string;
  value: string;
  unit: string;
  age: string;
  quality: Quality;
  qualityText: string;
}

function tagRows(d: TableDevice, now: number): TagRow[] {
  return d.info.tags.map((tag) => {
    const r = d.readings.get(tag.name);
    if (!r) return { name: tag.name, value: NO_VALUE, unit: tag.unit ?? '', age: '', quality: 'uncertain', qualityText: 'waiting' };
    return {
      name: tag.name,
      value: formatValue(r.value, tag),
      unit: tag.unit ?? '',
      age: formatAge(now - r.timestamp),
      quality: r.quality,
      qualityText: r.error ? `${r.quality}: ${r.error}` : r.quality,
    };
  });
}

function deviceHeader(info: DeviceInfo): Segment[] {
  const s = info.stats;
  return [
    { text: info.name, style: 'bold' },
    { text: `  ${info.id}  ${info.endpoint}  `, style: 'dim' },
    { text: info.status, style: STATUS_STYLE[info.status] },
    { text: `  requests ${s.requests}  errors ${s.errors}${s.timeouts ? `  timeouts ${s.timeouts}` : ''}  p50 ${formatLatency(s.latencyP50Ms)}` },
    { text: info.allowWrites ? '  writable' : '', style: 'cyan' },
  ];
}

/** Joins segments into one line of at most `width` visible characters. */
export function renderLine(segments: Segment[], width: number, color: boolean): string {
  let out = '';
  let left = width;
  for (const seg of segments) {
    if (left <= 0) break;
    // Control characters from a device's error text would break the layout.
    // eslint-disable-next-line no-control-regex
    let text = seg.text.replace(/[\x00-\x1f\x7f]/g, ' ');
    if (text.length > left) text = left > 1 ? `${text.slice(0, left - 1)}…` : text.slice(0, left);
    left -= text.length;
    out += color && seg.style && text ? `\x1b[${SGR[seg.style]}m${text}\x1b[0m` : text;
  }
  return out;
}
