/**
 * Collects keys and hands them over in batches, at most once per interval. The tree view stops
 * repainting when it is signalled more often than every ~200 ms, so value changes pass through
 * here before they reach it.
 */

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

export class Coalescer<K> {
  private pending = new Set<K>();
  private timer: unknown;
  private lastFlush = Number.NEGATIVE_INFINITY;
  private disposed = false;

  constructor(
    private readonly intervalMs: () => number,
    private readonly flush: (keys: K[]) => void,
    private readonly timers: Timers = realTimers,
  ) {}

  add(key: K): void {
    if (this.disposed) return;
    this.pending.add(key);
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastFlush + this.intervalMs() - this.timers.now());
    this.timer = this.timers.setTimeout(() => this.run(), wait);
  }

  private run(): void {
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const keys = [...this.pending];
    this.pending = new Set();
    this.lastFlush = this.timers.now();
    this.flush(keys);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }
}
