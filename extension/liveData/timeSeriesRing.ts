import type { SeriesPoints } from '../../webview/messages';

/**
 * A bounded buffer of (time, value) points, oldest first. When full, a new point overwrites the
 * oldest, so memory stays fixed however fast a tag changes. A `null` value (a gap) is stored as
 * NaN: the arrays stay typed and compact.
 */
export class TimeSeriesRing {
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`Ring capacity must be a positive integer, got ${capacity}.`);
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** Time of the newest point, or undefined when empty. */
  lastTime(): number | undefined {
    return this.count === 0 ? undefined : this.times[this.slot(this.count - 1)];
  }

  /** Value of the newest point: a number, null for a gap, undefined when empty. */
  lastValue(): number | null | undefined {
    if (this.count === 0) return undefined;
    const v = this.values[this.slot(this.count - 1)];
    return Number.isNaN(v) ? null : v;
  }

  push(t: number, v: number | null): void {
    const at = this.slot(this.count);
    this.times[at] = t;
    this.values[at] = v ?? NaN;
    if (this.count < this.capacity) this.count++;
    else this.head = (this.head + 1) % this.capacity;
  }

  /** Overwrites the newest point's value (a second reading with the same timestamp). */
  replaceLast(v: number | null): void {
    if (this.count > 0) this.values[this.slot(this.count - 1)] = v ?? NaN;
  }

  /** Drops points older than `t`. */
  dropBefore(t: number): void {
    while (this.count > 0 && this.times[this.head] < t) {
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  /** The points at or after `since`, oldest first. */
  toPoints(since = -Infinity): SeriesPoints {
    const t: number[] = [];
    const v: (number | null)[] = [];
    for (let i = 0; i < this.count; i++) {
      const at = this.slot(i);
      if (this.times[at] < since) continue;
      t.push(this.times[at]);
      v.push(Number.isNaN(this.values[at]) ? null : this.values[at]);
    }
    return { t, v };
  }

  private slot(i: number): number {
    return (this.head + i) % this.capacity;
  }
}
