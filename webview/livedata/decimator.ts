import { lowerBound, type Cell } from './alignedData';

/** Columns written per time bucket: the two extremes in time order, then the last value. */
export const COLUMNS_PER_BUCKET = 3;

/**
 * Thins chart data to what a screen can show: per time bucket (about one pixel wide) and series,
 * the smallest and the largest value in the order they occurred, then the value the bucket ended
 * on. Drawn as steps this looks the same as all the points (every spike still reaches its
 * extreme) at a fraction of the drawing work.
 *
 * Buckets sit on a fixed time grid, so new readings only redo the last bucket or two; the
 * output keeps the layout of AlignedSeriesData (undefined: nothing read, null: a gap).
 */
export class MinMaxDecimator {
  readonly x: number[] = [];
  ys: Cell[][] = [];
  private bucket = 1;
  /** Bucket number of the first output column. */
  private firstBucket = 0;
  /** The oldest raw time seen at the last build or update. */
  private rawStart = NaN;

  get bucketMs(): number {
    return this.bucket;
  }

  rebuild(rawX: readonly number[], rawYs: readonly Cell[][], bucketMs: number): void {
    this.bucket = bucketMs;
    this.x.length = 0;
    this.ys = rawYs.map(() => []);
    this.firstBucket = rawX.length > 0 ? Math.floor(rawX[0] / bucketMs) : 0;
    this.rawStart = rawX[0];
    this.aggregate(rawX, rawYs, 0, rawX.length, this.x, this.ys);
  }

  /**
   * Brings the output up to date after raw columns from time `changedFrom` on were added or
   * changed (Infinity: none), and after old columns were dropped.
   */
  update(rawX: readonly number[], rawYs: readonly Cell[][], changedFrom: number): void {
    if (rawX.length === 0) {
      this.x.length = 0;
      for (const y of this.ys) y.length = 0;
      return;
    }
    const rawFirst = Math.floor(rawX[0] / this.bucket);
    if (rawFirst < this.firstBucket || this.x.length === 0) {
      // Readings older than anything built so far: nothing to keep.
      this.rebuild(rawX, rawYs, this.bucket);
      return;
    }
    if (rawFirst > this.firstBucket) {
      const drop = Math.min(this.x.length, (rawFirst - this.firstBucket) * COLUMNS_PER_BUCKET);
      this.x.splice(0, drop);
      for (const y of this.ys) y.splice(0, drop);
      this.firstBucket = rawFirst;
    }
    if (rawX[0] !== this.rawStart) {
      // Old columns were dropped: the first bucket may have lost some of its readings.
      this.rawStart = rawX[0];
      this.redoFirstBucket(rawX, rawYs);
    }
    if (!Number.isFinite(changedFrom)) return;
    const redoFrom = Math.max(Math.floor(changedFrom / this.bucket), this.firstBucket);
    const keep = Math.min(this.x.length, (redoFrom - this.firstBucket) * COLUMNS_PER_BUCKET);
    this.x.length = keep;
    for (const y of this.ys) y.length = keep;
    const nextBucket = this.firstBucket + keep / COLUMNS_PER_BUCKET;
    this.aggregate(rawX, rawYs, lowerBound(rawX, nextBucket * this.bucket), rawX.length, this.x, this.ys);
  }

  private redoFirstBucket(rawX: readonly number[], rawYs: readonly Cell[][]): void {
    if (this.x.length === 0) return;
    const end = lowerBound(rawX, (this.firstBucket + 1) * this.bucket);
    const ys: Cell[][] = rawYs.map(() => []);
    this.aggregate(rawX, rawYs, 0, end, [], ys);
    ys.forEach((y, s) => this.ys[s].splice(0, COLUMNS_PER_BUCKET, ...y));
  }

  /** Aggregates raw columns [start, end) into buckets appended to `outX`/`outYs`. */
  private aggregate(rawX: readonly number[], rawYs: readonly Cell[][], start: number, end: number, outX: number[], outYs: Cell[][]): void {
    const n = end;
    if (start >= n) return;
    const seriesCount = rawYs.length;
    const min = new Float64Array(seriesCount);
    const max = new Float64Array(seriesCount);
    const minAt = new Int32Array(seriesCount);
    const maxAt = new Int32Array(seriesCount);
    const hasNumber = new Uint8Array(seriesCount);
    const last: Cell[] = new Array<Cell>(seriesCount).fill(undefined);

    let current = Math.floor(rawX[start] / this.bucket);
    if (outX === this.x) this.emitEmpty(outX, outYs, this.firstBucket + outX.length / COLUMNS_PER_BUCKET, current);
    for (let i = start; i < n; i++) {
      const b = Math.floor(rawX[i] / this.bucket);
      if (b !== current) {
        this.emit(outX, outYs, current, min, max, minAt, maxAt, hasNumber, last);
        this.emitEmpty(outX, outYs, current + 1, b);
        hasNumber.fill(0);
        last.fill(undefined);
        current = b;
      }
      for (let s = 0; s < seriesCount; s++) {
        const v = rawYs[s][i];
        if (v === undefined) continue;
        last[s] = v;
        if (v === null) continue;
        if (!hasNumber[s]) {
          hasNumber[s] = 1;
          min[s] = max[s] = v;
          minAt[s] = maxAt[s] = i;
        } else if (v < min[s]) {
          min[s] = v;
          minAt[s] = i;
        } else if (v > max[s]) {
          max[s] = v;
          maxAt[s] = i;
        }
      }
    }
    this.emit(outX, outYs, current, min, max, minAt, maxAt, hasNumber, last);
  }

  private emit(
    outX: number[],
    outYs: Cell[][],
    b: number,
    min: Float64Array,
    max: Float64Array,
    minAt: Int32Array,
    maxAt: Int32Array,
    hasNumber: Uint8Array,
    last: Cell[],
  ): void {
    const t = b * this.bucket;
    outX.push(t, t + this.bucket / 3, t + (2 * this.bucket) / 3);
    for (let s = 0; s < outYs.length; s++) {
      const y = outYs[s];
      if (last[s] === undefined) {
        y.push(undefined, undefined, undefined);
      } else if (!hasNumber[s]) {
        y.push(null, undefined, undefined);
      } else {
        const first = minAt[s] <= maxAt[s] ? min[s] : max[s];
        const second = minAt[s] <= maxAt[s] ? max[s] : min[s];
        const end = last[s];
        y.push(first, second !== first ? second : undefined, end === null ? null : end !== second ? end : undefined);
      }
    }
  }

  /** Buckets in [from, to) with no reading at all. */
  private emitEmpty(outX: number[], outYs: Cell[][], from: number, to: number): void {
    for (let b = from; b < to; b++) {
      const t = b * this.bucket;
      outX.push(t, t + this.bucket / 3, t + (2 * this.bucket) / 3);
      for (const y of outYs) y.push(undefined, undefined, undefined);
    }
  }
}
