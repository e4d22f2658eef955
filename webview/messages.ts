/**
 * Messages between the extension host and the Live Data panel's webview, and the state the
 * webview persists. The host owns the data (ring buffers, min/max, last readings); the webview
 * only shows it: it gets one full snapshot when it becomes visible, then deltas.
 *
 * Shared by the extension and the webview: no Node, DOM or vscode imports here.
 */

export type LiveQuality = 'good' | 'uncertain' | 'bad';

/**
 * A tag's value as read: a scalar, an array or a structure (the gateway's TagValue).
 * 64-bit integers beyond ±2^53 arrive as decimal strings.
 */
export type LiveValue = number | boolean | string | null | LiveValue[] | { [field: string]: LiveValue };

/** What kind of value a tag holds: the gateway's ValueKind, from the tag's TagInfo. */
export type LiveValueKind = 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'structure' | 'unknown';

export const LIVE_VALUE_KINDS: readonly LiveValueKind[] = ['boolean', 'integer', 'number', 'string', 'array', 'structure', 'unknown'];

/** A tag in a panel, as the user chose it. */
export interface PanelTag {
  /** The gateway the device is on; absent for the local gateway (and in states saved before there were others). */
  gatewayId?: string;
  deviceId: string;
  deviceName: string;
  tag: string;
  unit?: string;
  /**
   * From the tag's TagInfo: decides how the panel shows it (see chartStyleOf). Missing for tags
   * saved before state version 2: the host then infers it from the tag's first reading.
   */
  valueKind?: LiveValueKind;
  /** The type as the protocol names it (`float32`, `uint64`, `Double`), for people. */
  dataType?: string;
}

/** A tag in a panel. `key` is unique in its panel and stable across reloads; treat it as opaque. */
export interface SeriesInfo extends PanelTag {
  key: string;
  /**
   * True when `valueKind` was inferred from a reading because the tag came without one. Such a
   * kind is never saved: it is a guess from a value's JSON type (a uint64 beyond 2^53 looks
   * like a string), and the tag's own kind replaces it when the tag is added again.
   */
  kindInferred?: true;
  /** Where the server keeps the tag's history: what backfilling the chart from it gave. Never saved. */
  history?: HistoryNote;
}

/**
 * Backfill of a series from the server's history (OPC UA HistoryRead) when it opened: `filled`
 * with how many points from when (0: the server had none in the window), or why it `failed`.
 * Live values flow either way.
 */
export type HistoryNote = { state: 'filled'; points: number; from: number; to: number } | { state: 'failed'; error: string };

/**
 * How a series is shown: `line` on a numeric scale, `lane` in the boolean strip along the
 * bottom of the chart, `none` in the table only. A series whose kind is not known yet (a tag
 * restored from an old state that has had no reading) is a line until its first reading.
 * The one rule for this: the host charts points by it, the webview draws lines by it.
 */
export type ChartStyle = 'line' | 'lane' | 'none';

export function chartStyleOf(kind: LiveValueKind | undefined): ChartStyle {
  switch (kind) {
    case undefined:
    case 'number':
    case 'integer':
      return 'line';
    case 'boolean':
      return 'lane';
    default:
      return 'none';
  }
}

/** The last reading of a tag. `error` says why the quality is not good. */
export interface LiveReading {
  value: LiveValue;
  quality: LiveQuality;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  error?: string;
}

/**
 * Chart points of one series, oldest first, in two arrays of equal length. A `null` value is a
 * gap: the reading was bad or had no value, so the line must break there.
 */
export interface SeriesPoints {
  t: number[];
  v: (number | null)[];
}

/**
 * Smallest and largest charted value since the panel opened or min/max was reset. Exact: an
 * integer beyond ±2^53 is a decimal string, as it was read (the chart shows the nearest double).
 * A boolean series has 0 and 1.
 */
export interface SeriesRange {
  min: number | string | null;
  max: number | string | null;
}

export interface SeriesSnapshot {
  info: SeriesInfo;
  last: LiveReading | null;
  range: SeriesRange;
  points: SeriesPoints;
}

/** What changed in one series since the previous message. Points are appended. */
export interface SeriesDelta {
  key: string;
  /** The series' description changed: its kind became known (inferred, or given when added again). */
  info?: SeriesInfo;
  points?: SeriesPoints;
  last?: LiveReading;
  range?: SeriesRange;
}

// ---------------------------------------------------------------------------------------------
// Extension host → webview
// ---------------------------------------------------------------------------------------------

/** Everything the panel shows, replacing whatever the webview had. */
export interface SnapshotMessage {
  type: 'snapshot';
  /** The host's clock when sent; the webview's clock may differ (remote windows). */
  now: number;
  /** How much history the host keeps per series, in milliseconds. */
  retentionMs: number;
  /** In display order. */
  series: SeriesSnapshot[];
}

/** Changes since the previous snapshot or delta, applied in order: removed, added, series. */
export interface DeltaMessage {
  type: 'delta';
  now: number;
  removed?: string[];
  added?: SeriesSnapshot[];
  series: SeriesDelta[];
}

export type ToWebview = SnapshotMessage | DeltaMessage;

// ---------------------------------------------------------------------------------------------
// Webview → extension host
// ---------------------------------------------------------------------------------------------

/** The webview's script has loaded and wants a snapshot. */
export interface ReadyMessage {
  type: 'ready';
}

export interface RemoveSeriesMessage {
  type: 'removeSeries';
  key: string;
}

/** Forget min/max of every series; they restart from the next reading. */
export interface ResetMinMaxMessage {
  type: 'resetMinMax';
}

/** Drop the chart history of every series (last readings and min/max stay). */
export interface ClearChartMessage {
  type: 'clearChart';
}

export type FromWebview = ReadyMessage | RemoveSeriesMessage | ResetMinMaxMessage | ClearChartMessage;

// ---------------------------------------------------------------------------------------------
// Persisted webview state (restored after a window reload; the host reads `tags` from it)
// ---------------------------------------------------------------------------------------------

/**
 * Version 2 added `valueKind` and `dataType` to the saved tags. A version 1 state still loads:
 * its tags come back without a kind, which the host infers from their first readings.
 */
export interface LiveDataViewState {
  version: 2;
  /** The panel's tags, in display order, with the kind their TagInfo gave (never an inferred one). Never values. */
  tags: PanelTag[];
  /** The chart's visible time span. */
  windowMs: number;
  /** Keys of series hidden in the chart. */
  hidden: string[];
}

/** Time spans the chart offers, in milliseconds. */
export const TIME_WINDOWS_MS: readonly number[] = [30_000, 60_000, 5 * 60_000, 10 * 60_000];
export const DEFAULT_WINDOW_MS = 60_000;
