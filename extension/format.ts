import type { DeviceStats, DeviceStatus, TagReading, TagValue, ValueKind } from '../gateway/protocol';

/** How values, times and statistics read in the tree, tooltips and notifications. */

/** Longest text of an array or a structure in a row or a message; tooltips and panels show more. */
const MAX_COMPOUND_TEXT = 80;

/**
 * A value for people. `kind` (the tag's valueKind) tells an integer beyond 2^53, which travels
 * as a decimal string, from text: the first shows as a number with its unit, the second in quotes.
 */
export function formatValue(value: TagValue, unit?: string, kind?: ValueKind): string {
  if (value === null) return '—';
  let text: string;
  let numeric = false;
  if (typeof value === 'number') {
    text = formatReadingNumber(value);
    numeric = true;
  } else if (typeof value === 'string') {
    numeric = kind === 'integer' && /^[+-]?\d+$/.test(value);
    text = numeric ? value : JSON.stringify(value);
  } else if (typeof value === 'boolean') {
    text = String(value);
  } else {
    const json = JSON.stringify(value);
    text = json.length > MAX_COMPOUND_TEXT ? `${json.slice(0, MAX_COMPOUND_TEXT - 1)}…` : json;
  }
  return unit && numeric ? `${text} ${unit}` : text;
}

/** Six significant digits: enough to see a change, without float32 noise (21.5000009537 → 21.5). */
function formatReadingNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toPrecision(6)));
}

/**
 * The tree's description of a tag: the value, or why there is none. Where the protocol names the
 * reading's status (`BadSensorFailure`, `Modbus exception 2`), that short name is the reason: the
 * error explaining it is longer and would be cut off in a row (tooltips show both).
 */
export function describeReading(r: TagReading | undefined, unit?: string, deviceId?: string, kind?: ValueKind): string {
  if (!r) return '';
  const error = r.error && deviceId ? withoutDevicePrefix(r.error, deviceId) : r.error;
  const why = r.status ?? error;
  if (r.quality === 'bad') return why ? `bad: ${why}` : 'bad';
  const text = formatValue(r.value, unit, kind);
  return r.quality === 'uncertain' ? `${text} (uncertain${why ? `: ${why}` : ''})` : text;
}

/** Gateway messages name their device ("press-1: timeout"); next to the device itself that is noise. */
export function withoutDevicePrefix(message: string, deviceId: string): string {
  return message.startsWith(`${deviceId}: `) ? message.slice(deviceId.length + 2) : message;
}

export function formatTime(timestamp: number): string {
  const d = new Date(timestamp);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatLatency(ms: number | null): string {
  if (ms === null) return '—';
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`;
}

export function statusLabel(status: DeviceStatus): string {
  switch (status) {
    case 'connected':
      return 'connected';
    case 'connecting':
      return 'connecting…';
    case 'disconnected':
      return 'disconnected';
    case 'error':
      return 'error';
  }
}

/** One table row per statistic, for tooltips. */
export function statsRows(s: DeviceStats): [string, string][] {
  return [
    ['Requests', String(s.requests)],
    ['Errors', String(s.errors)],
    ['Timeouts', String(s.timeouts)],
    ['Reconnects', String(s.reconnects)],
    // Drivers that do not count failed connects leave the row out rather than show a false 0.
    ...(s.connectFailures !== undefined ? [['Failed connects', String(s.connectFailures)] as [string, string]] : []),
    ['Intervals missed', String(s.skippedScans)],
    ['Latency p50 / p99', `${formatLatency(s.latencyP50Ms)} / ${formatLatency(s.latencyP99Ms)}`],
  ];
}

/** Escapes text for Markdown tooltips, table pipes included. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}

/**
 * Longest message a notification shows whole. VS Code cuts a longer one off at the toast's edge
 * (the gateway's errors name the device, the request and the reason, often more than fits).
 */
const MAX_NOTIFICATION_CHARS = 110;

/** The short form of a message too long for a notification (cut at a word), or undefined when it fits. */
export function shortened(message: string): string | undefined {
  const [firstLine = ''] = message.split('\n');
  if (message.length <= MAX_NOTIFICATION_CHARS && firstLine === message) return undefined;
  if (firstLine.length <= MAX_NOTIFICATION_CHARS) return `${firstLine.trimEnd()} …`;
  const cut = firstLine.slice(0, MAX_NOTIFICATION_CHARS);
  const atWord = cut.replace(/[\s,;:(]+\S*$/, '');
  return `${atWord.length > MAX_NOTIFICATION_CHARS / 2 ? atWord : cut}…`;
}
