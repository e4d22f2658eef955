/**
 * Messages between the extension host and the Live Data panel's webview, and the state the
 * webview persists. The host owns the data (ring buffers, min/max, last readings); the webview
 * only shows it: it gets one full snapshot when it becomes visible, then deltas.
 *
 * Shared by the extension and the webview: no Node, DOM or vscode imports here.
 */

export type LiveQuality = 'good' | 'uncertain' | 'bad';

/** A tag's value as read. 64-bit integers beyond ±2^53 arrive as decimal strings. */
export type LiveValue = number | boolean | string | null;

/** A tag in a panel, as the user chose it. */
export interface PanelTag {
  deviceId: string;
  deviceName: string;
  tag: string;
  unit?: string;
}

/** A charted tag. `key` is unique in its panel and stable across reloads; treat it as opaque. */
export interface SeriesInfo extends PanelTag {
  key: string;
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

/** Smallest and largest charted value since the panel opened or min/max was reset. */
export interface SeriesRange {
  min: number | null;
  max: number | null;
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

export interface LiveDataViewState {
  version: 1;
  /** The panel's tags, in display order. Never values. */
  tags: PanelTag[];
  /** The chart's visible time span. */
  windowMs: number;
  /** Keys of series hidden in the chart. */
  hidden: string[];
}

/** Time spans the chart offers, in milliseconds. */
export const TIME_WINDOWS_MS: readonly number[] = [30_000, 60_000, 5 * 60_000, 10 * 60_000];
export const DEFAULT_WINDOW_MS = 60_000;
