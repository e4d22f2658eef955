import type {
  HistoryNote,
  LiveReading,
  SeriesDelta,
  SeriesInfo,
  SeriesPoints,
  SeriesRange,
  SeriesSnapshot,
} from '../../webview/messages';
import { chartValueOf, compareExact, inferKind, rangeValueOf } from './seriesValues';
import { TimeSeriesRing } from './timeSeriesRing';

export interface SeriesStoreOptions {
  /** How much history each series keeps, in milliseconds. */
  retentionMs: number;
  /** Upper bound of points per series, whatever the retention. */
  maxPoints: number;
}

/** One series as the store holds it: its description, last reading, min/max and how many points it charts. */
export interface SeriesContents {
  info: SeriesInfo;
  last: LiveReading | null;
  range: SeriesRange;
  points: number;
}

/** Changes collected since the last snapshot or delta. */
export interface StoreDelta {
  removed: string[];
  added: SeriesSnapshot[];
  series: SeriesDelta[];
}

interface SeriesEntry {
  info: SeriesInfo;
  ring: TimeSeriesRing;
  last: LiveReading | null;
  range: SeriesRange;
}

interface PendingChange {
  info?: true;
  points?: SeriesPoints;
  last?: LiveReading;
  range?: true;
}

/**
 * The data of one Live Data panel, independent of VS Code: per series a bounded history, the
 * last reading and min/max. While `recording` is on (the panel is visible) it also collects what
 * changed, so the panel can be sent a small delta instead of everything.
 *
 * A series' kind (SeriesInfo.valueKind) decides what is charted. A tag that came without one
 * (restored from an older saved state) gets it from its first reading with a value.
 */
export class SeriesStore {
  private readonly entries = new Map<string, SeriesEntry>();
  private pending = new Map<string, PendingChange>();
  private removed: string[] = [];
  private added = new Set<string>();
  private recordingChanges = false;

  constructor(readonly options: SeriesStoreOptions) {}

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The series in display order. */
  list(): SeriesInfo[] {
    return [...this.entries.values()].map((e) => e.info);
  }

  /** What the store holds, in display order, without touching the changes it collects (tests and diagnostics). */
  contents(): SeriesContents[] {
    return [...this.entries.values()].map((e) => ({ info: { ...e.info }, last: e.last ? { ...e.last } : null, range: { ...e.range }, points: e.ring.length }));
  }

  /** Whether changes are collected for deltas. Turning it on or off forgets collected changes. */
  get recording(): boolean {
    return this.recordingChanges;
  }
  set recording(on: boolean) {
    this.recordingChanges = on;
    this.forgetChanges();
  }

  /** Adds a series at the end; false when its key is already there. */
  add(info: SeriesInfo): boolean {
    if (this.entries.has(info.key)) return false;
    this.entries.set(info.key, {
      info: { ...info },
      ring: new TimeSeriesRing(this.options.maxPoints),
      last: null,
      range: { min: null, max: null },
    });
    if (this.recordingChanges) this.added.add(info.key);
    return true;
  }

  /**
   * Gives a series the kind and data type of `info` when it has no kind of its own yet (none, or
   * one inferred from readings): a tag restored from an old state and then added again. Min/max
   * restart, as they may have been kept by another rule. False when nothing changed.
   */
  describe(info: SeriesInfo): boolean {
    const entry = this.entries.get(info.key);
    if (!entry || info.valueKind === undefined) return false;
    if (entry.info.valueKind !== undefined && !entry.info.kindInferred) return false;
    const next: SeriesInfo = { ...entry.info, valueKind: info.valueKind };
    delete next.kindInferred;
    if (info.dataType !== undefined) next.dataType = info.dataType;
    const kindChanged = next.valueKind !== entry.info.valueKind;
    entry.info = next;
    const change = this.changeFor(info.key);
    if (change) change.info = true;
    if (kindChanged) {
      entry.range = { min: null, max: null };
      if (change) change.range = true;
    }
    return true;
  }

  remove(key: string): boolean {
    if (!this.entries.delete(key)) return false;
    if (this.recordingChanges) {
      this.pending.delete(key);
      if (!this.added.delete(key)) this.removed.push(key);
    }
    return true;
  }

  /** Records a reading. Readings older than the series' last one are stale and ignored. */
  ingest(key: string, reading: LiveReading): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    if (entry.last && reading.timestamp < entry.last.timestamp) return;

    entry.last = { ...reading };
    const change = this.changeFor(key);
    if (change) change.last = entry.last;

    if (entry.info.valueKind === undefined) {
      const inferred = inferKind(reading.value);
      if (inferred !== undefined) {
        entry.info = { ...entry.info, valueKind: inferred, kindInferred: true };
        if (change) change.info = true;
      }
    }
    const kind = entry.info.valueKind;
    const value = chartValueOf(kind, reading);
    if (value === undefined) return;
    this.addPoint(entry, change, reading.timestamp, value);

    const exact = value === null ? undefined : rangeValueOf(kind, reading);
    if (exact === undefined) return;
    const { min, max } = entry.range;
    const lower = min === null || compareExact(exact, min) < 0;
    const higher = max === null || compareExact(exact, max) > 0;
    if (lower || higher) {
      entry.range = { min: lower ? exact : min, max: higher ? exact : max };
      if (change) change.range = true;
    }
  }

  /**
   * Fills a series' chart from the server's history: the readings older than its first charted
   * point go before it (live points win where times meet), and min/max take them in. Marks the
   * series with what came (`note`). Returns how many points were added; the panel then needs a
   * snapshot, as deltas only append.
   */
  backfill(key: string, readings: readonly LiveReading[], note: HistoryNote): number {
    const entry = this.entries.get(key);
    if (!entry) return 0;
    entry.info = { ...entry.info, history: note };
    if (entry.info.valueKind === undefined) {
      // As live readings would: a series without a kind of its own learns it from a value.
      const inferred = readings.map((r) => inferKind(r.value)).find((k) => k !== undefined);
      if (inferred !== undefined) entry.info = { ...entry.info, valueKind: inferred, kindInferred: true };
    }
    const kind = entry.info.valueKind;
    const history: SeriesPoints = { t: [], v: [] };
    for (const r of readings) {
      const v = chartValueOf(kind, r);
      if (v === undefined) continue;
      history.t.push(r.timestamp);
      history.v.push(v);
      const exact = v === null ? undefined : rangeValueOf(kind, r);
      if (exact === undefined) continue;
      const { min, max } = entry.range;
      entry.range = { min: min === null || compareExact(exact, min) < 0 ? exact : min, max: max === null || compareExact(exact, max) > 0 ? exact : max };
    }
    const live = entry.ring.toPoints();
    const merged = mergeHistory(history, live);
    entry.ring.clear();
    // Oldest first: when the ring is too small, the newest points stay.
    for (let i = 0; i < merged.t.length; i++) entry.ring.push(merged.t[i], merged.v[i]);
    const lastTime = entry.ring.lastTime();
    if (lastTime !== undefined) entry.ring.dropBefore(lastTime - this.options.retentionMs);
    return Math.max(0, entry.ring.length - live.t.length);
  }

  /** Min/max of every series restart from the next reading. */
  resetRanges(): void {
    for (const [key, entry] of this.entries) {
      entry.range = { min: null, max: null };
      const change = this.changeFor(key);
      if (change) change.range = true;
    }
  }

  /** Drops the chart history of every series; last readings and min/max stay. */
  clearHistory(): void {
    for (const entry of this.entries.values()) entry.ring.clear();
  }

  /** Everything, for a panel that has just become visible. Forgets collected changes. */
  snapshot(now: number): SeriesSnapshot[] {
    this.forgetChanges();
    const since = now - this.options.retentionMs;
    return [...this.entries.values()].map((entry) => this.snapshotOf(entry, since));
  }

  /** The changes since the last snapshot or delta, or undefined when nothing changed. */
  takeDelta(): StoreDelta | undefined {
    if (this.pending.size === 0 && this.removed.length === 0 && this.added.size === 0) return undefined;
    const added: SeriesSnapshot[] = [];
    for (const key of this.added) {
      const entry = this.entries.get(key);
      if (entry) added.push(this.snapshotOf(entry, -Infinity));
    }
    const series: SeriesDelta[] = [];
    for (const [key, change] of this.pending) {
      if (this.added.has(key)) continue; // its snapshot above already holds this
      const entry = this.entries.get(key);
      if (!entry) continue;
      const delta: SeriesDelta = { key };
      if (change.info) delta.info = { ...entry.info };
      if (change.points) delta.points = change.points;
      if (change.last) delta.last = change.last;
      if (change.range) delta.range = { ...entry.range };
      series.push(delta);
    }
    const removed = this.removed;
    this.forgetChanges();
    return { removed, added, series };
  }

  private addPoint(entry: SeriesEntry, change: PendingChange | undefined, t: number, value: number | null): void {
    const ring = entry.ring;
    const lastTime = ring.lastTime();
    if (lastTime === t) {
      ring.replaceLast(value);
    } else if (value === null && ring.lastValue() === null) {
      return; // the line is already broken; a long outage stays one point
    } else {
      ring.push(t, value);
      ring.dropBefore(t - this.options.retentionMs);
    }
    if (!change) return;
    const points = (change.points ??= { t: [], v: [] });
    const n = points.t.length;
    if (n > 0 && points.t[n - 1] === t) points.v[n - 1] = value;
    else {
      points.t.push(t);
      points.v.push(value);
    }
  }

  private snapshotOf(entry: SeriesEntry, since: number): SeriesSnapshot {
    return {
      info: { ...entry.info },
      last: entry.last ? { ...entry.last } : null,
      range: { ...entry.range },
      points: entry.ring.toPoints(since),
    };
  }

  private changeFor(key: string): PendingChange | undefined {
    if (!this.recordingChanges) return undefined;
    let change = this.pending.get(key);
    if (!change) this.pending.set(key, (change = {}));
    return change;
  }

  private forgetChanges(): void {
    this.pending = new Map();
    this.removed = [];
    this.added = new Set();
  }
}

/**
 * History points before the first live point, then the live points; history sorted and with one
 * point per time (the last). Gaps (null) stay gaps: nothing is drawn where the server had nothing.
 */
export function mergeHistory(history: SeriesPoints, live: SeriesPoints): SeriesPoints {
  const firstLive = live.t.length > 0 ? live.t[0] : Infinity;
  const order = history.t.map((_, i) => i).filter((i) => history.t[i] < firstLive && Number.isFinite(history.t[i]));
  order.sort((a, b) => history.t[a] - history.t[b] || a - b);
  const t: number[] = [];
  const v: (number | null)[] = [];
  for (const i of order) {
    if (t.length > 0 && t[t.length - 1] === history.t[i]) v[v.length - 1] = history.v[i];
    else {
      t.push(history.t[i]);
      v.push(history.v[i]);
    }
  }
  return { t: [...t, ...live.t], v: [...v, ...live.v] };
}
