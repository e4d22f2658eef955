/**
 * Reconnect delays: exponential growth up to a cap, with jitter so that many devices that dropped
 * together (a switch reboot) do not all knock again at the same instant.
 */

export interface BackoffOptions {
  /** First delay before jitter; default 500 ms. */
  initialMs?: number;
  /** Largest delay before jitter; default 30 s. */
  maxMs?: number;
  /** Growth per attempt; default 2. */
  factor?: number;
  /** 0..1: the delay is drawn uniformly from [d * (1 - jitter), d]; default 0.5. */
  jitter?: number;
  /** Source of uniform numbers in [0, 1); default Math.random. Inject one for repeatable tests. */
  random?: () => number;
}

export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private count = 0;

  constructor(o: BackoffOptions = {}) {
    this.initialMs = o.initialMs ?? 500;
    this.maxMs = o.maxMs ?? 30_000;
    this.factor = o.factor ?? 2;
    this.jitter = o.jitter ?? 0.5;
    this.random = o.random ?? Math.random;
    if (!(this.initialMs > 0 && Number.isFinite(this.initialMs))) throw new RangeError(`initialMs must be a positive number, got ${this.initialMs}`);
    if (!(this.maxMs >= this.initialMs && Number.isFinite(this.maxMs))) {
      throw new RangeError(`maxMs must be a number no smaller than initialMs (${this.initialMs}), got ${this.maxMs}`);
    }
    if (!(this.factor >= 1 && Number.isFinite(this.factor))) throw new RangeError(`factor must be a number of at least 1, got ${this.factor}`);
    if (!(this.jitter >= 0 && this.jitter <= 1)) throw new RangeError(`jitter must be from 0 to 1, got ${this.jitter}`);
  }

  /** Delays handed out since construction or the last reset. */
  get attempts(): number {
    return this.count;
  }

  /** The delay before the next attempt, in whole milliseconds. */
  next(): number {
    // Past the cap the power may overflow to Infinity; min() still gives the cap.
    const growth = Math.pow(this.factor, this.count);
    const ceiling = this.initialMs === 0 ? 0 : Math.min(this.maxMs, this.initialMs * growth);
    this.count++;
    const r = Math.min(Math.max(this.random(), 0), 1);
    return Math.round(ceiling * (1 - this.jitter * r));
  }

  /** Call after a success: the next failure starts again from initialMs. */
  reset(): void {
    this.count = 0;
  }
}
