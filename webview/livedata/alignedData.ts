/**
 * Chart data in the layout uPlot draws: one sorted time column shared by all series and one
 * value array per series, all of the same length. Series are read at different times, so most
 * cells are `undefined` ("no reading of this series at this time": the line carries on across
 * it); `null` is a real gap (a bad reading: the line breaks).
 *
 * Times are snapped to a grid so that a column holds every reading made at about the same
 * moment; without it, many series read at slightly different times would multiply the columns.
 */
export type Cell = number | null | undefined;

export interface TimedValue {
  series: number;
  t: number;
  v: number | null;
}

/** 10 ms: finer than one pixel of the shortest time window on any screen. */
export const TIME_GRID_MS = 10;

export function snapTime(t: number): number {
  return Math.round(t / TIME_GRID_MS) * TIME_GRID_MS;
}

export class AlignedSeriesData {
  readonly x: number[] = [];
  readonly ys: Cell[][] = [];
  private changedSince = Infinity;
  private shape = 0;

  get columnCount(): number {
    return this.x.length;
  }

  /** Changes whenever series are added or removed: derived data must be built again. */
  get shapeVersion(): number {
    return this.shape;
  }

  /** The earliest time whose column was added or changed since the last call (Infinity: none). */
  takeChangedFrom(): number {
    const from = this.changedSince;
    this.changedSince = Infinity;
    return from;
  }

  /** Adds an empty series at the end; returns its index. */
  addSeries(): number {
    this.ys.push(new Array<Cell>(this.x.length).fill(undefined));
    this.shape++;
    return this.ys.length - 1;
  }

  removeSeries(index: number): void {
    this.ys.splice(index, 1);
    this.shape++;
  }

  /** Adds values in any order. A value whose snapped time has a column already lands in it. */
  insert(values: TimedValue[]): void {
    const sorted = values.length > 1 ? [...values].sort((a, b) => a.t - b.t) : values;
    for (const { series, t, v } of sorted) {
      const snapped = snapTime(t);
      const column = this.columnFor(snapped);
      this.ys[series][column] = v;
      if (snapped < this.changedSince) this.changedSince = snapped;
    }
  }

  /** Drops the columns older than `t`. */
  dropBefore(t: number): void {
    const k = lowerBound(this.x, t);
    if (k === 0) return;
    this.x.splice(0, k);
    for (const y of this.ys) y.splice(0, k);
  }

  /** The newest reading of a series: a number, null for a gap, undefined when it has none. */
  lastCell(series: number): Cell {
    const y = this.ys[series];
    for (let i = y.length - 1; i >= 0; i--) if (y[i] !== undefined) return y[i];
    return undefined;
  }

  private columnFor(t: number): number {
    const n = this.x.length;
    if (n === 0 || t > this.x[n - 1]) {
      this.x.push(t);
      for (const y of this.ys) y.push(undefined);
      return n;
    }
    const at = lowerBound(this.x, t);
    if (this.x[at] !== t) {
      this.x.splice(at, 0, t);
      for (const y of this.ys) y.splice(at, 0, undefined);
    }
    return at;
  }
}

/** First index whose value is >= t. */
export function lowerBound(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
