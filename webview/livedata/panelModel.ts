import { chartStyleOf, type ChartStyle, type LiveReading, type SeriesInfo, type SeriesPoints, type SeriesRange, type SeriesSnapshot, type ToWebview } from '../messages';
import { AlignedSeriesData, type TimedValue } from './alignedData';

export interface SeriesView {
  info: SeriesInfo;
  last: LiveReading | null;
  range: SeriesRange;
  /** From the series' kind, which the host decides. */
  style: ChartStyle;
}

/** What the view has to redraw after messages were applied. */
export interface ModelChanges {
  /** Series were added or removed, or one's description (its kind) changed. */
  structure: boolean;
  /** Keys of the table rows whose reading or min/max changed. */
  rows: Set<string>;
  /** Chart points were added or dropped. */
  points: boolean;
}

/** Numbers are lines, booleans lanes; text, arrays and structures are in the table only. */
export function isCharted(view: SeriesView): boolean {
  return view.style !== 'none';
}

/** Old columns are dropped in chunks of this much time, not one by one. */
const TRIM_SLACK_MS = 30_000;

/**
 * What the panel shows, as the host last told it: the series in display order, their last
 * readings and min/max, and the chart data. Knows nothing about the DOM.
 */
export class LiveDataModel {
  private views: SeriesView[] = [];
  /** `data.ys[i]` belongs to `views[i]`. */
  private aligned = new AlignedSeriesData();
  private retention = 10 * 60_000;
  private clockOffsetMs = 0;
  private changes: ModelChanges = { structure: false, rows: new Set(), points: false };

  get series(): readonly SeriesView[] {
    return this.views;
  }

  get data(): AlignedSeriesData {
    return this.aligned;
  }

  get retentionMs(): number {
    return this.retention;
  }

  indexOf(key: string): number {
    return this.views.findIndex((v) => v.info.key === key);
  }

  /** The host's clock now; the webview's own clock may be off (a remote window). */
  hostNow(localNow: number): number {
    return localNow + this.clockOffsetMs;
  }

  apply(message: ToWebview, localNow: number): void {
    this.clockOffsetMs = message.now - localNow;
    if (message.type === 'snapshot') {
      this.retention = message.retentionMs;
      this.views = [];
      this.aligned = new AlignedSeriesData();
      this.addAll(message.series);
      this.changes.structure = true;
      this.changes.points = true;
    } else {
      for (const key of message.removed ?? []) this.remove(key);
      if (message.added) this.addAll(message.added);
      const points: TimedValue[] = [];
      for (const delta of message.series) {
        const index = this.indexOf(delta.key);
        if (index < 0) continue;
        const view = this.views[index];
        if (delta.info) this.setInfo(view, delta.info);
        if (delta.last) this.setLast(view, delta.last);
        if (delta.range) {
          view.range = delta.range;
          this.changes.rows.add(delta.key);
        }
        if (delta.points) collect(points, index, delta.points);
      }
      if (points.length > 0) {
        this.aligned.insert(points);
        this.changes.points = true;
      }
    }
    this.trim(message.now);
  }

  /** The changes since the last call. */
  takeChanges(): ModelChanges {
    const changes = this.changes;
    this.changes = { structure: false, rows: new Set(), points: false };
    return changes;
  }

  private addAll(snapshots: SeriesSnapshot[]): void {
    const points: TimedValue[] = [];
    for (const snap of snapshots) {
      if (this.indexOf(snap.info.key) >= 0) this.remove(snap.info.key);
      this.views.push({ info: snap.info, last: snap.last, range: snap.range, style: chartStyleOf(snap.info.valueKind) });
      collect(points, this.aligned.addSeries(), snap.points);
    }
    if (points.length > 0) this.aligned.insert(points);
    this.changes.structure = true;
    this.changes.points = true;
  }

  private remove(key: string): void {
    const index = this.indexOf(key);
    if (index < 0) return;
    this.views.splice(index, 1);
    this.aligned.removeSeries(index);
    this.changes.structure = true;
    this.changes.points = true;
  }

  /** The host found out the series' kind (or was told it): rows and chart lines are built again. */
  private setInfo(view: SeriesView, info: SeriesInfo): void {
    view.info = info;
    view.style = chartStyleOf(info.valueKind);
    this.changes.structure = true;
  }

  private setLast(view: SeriesView, last: LiveReading): void {
    view.last = last;
    this.changes.rows.add(view.info.key);
  }

  private trim(hostNow: number): void {
    const x = this.aligned.x;
    const cutoff = hostNow - this.retention;
    if (x.length > 0 && x[0] < cutoff - TRIM_SLACK_MS) {
      this.aligned.dropBefore(cutoff);
      this.changes.points = true;
    }
  }
}

function collect(into: TimedValue[], series: number, points: SeriesPoints): void {
  const n = Math.min(points.t.length, points.v.length);
  for (let i = 0; i < n; i++) into.push({ series, t: points.t[i], v: points.v[i] });
}
