import type { DeviceStats } from '../protocol';

/**
 * Latencies go into buckets 15 % wide, from 10 µs up to a minute: p50 and p99 come out within
 * about ±7 % of the exact value, and a device's statistics take under a kilobyte instead of a
 * window of samples (at 10,000 devices, 9 MB instead of 80 MB), with nothing to sort per query.
 */
const SMALLEST_MS = 0.01;
const RATIO = 1.15;
const BUCKETS = Math.ceil(Math.log(60_000 / SMALLEST_MS) / Math.log(RATIO)) + 1;
/** The window: the last 512 to 1024 requests (two halves, the older dropped when the newer fills). */
const HALF = 512;

export function bucketOf(ms: number): number {
  if (!(ms > SMALLEST_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log(ms / SMALLEST_MS) / Math.log(RATIO)));
}

/** The value a bucket stands for: its geometric middle. */
export function bucketValue(i: number): number {
  return SMALLEST_MS * Math.pow(RATIO, i + 0.5);
}

/**
 * The upper bounds of the request duration histogram, in seconds: from a millisecond (a PLC on
 * the same switch) to ten seconds (a radio link, a slow serial bus at its longest timeout).
 * Fixed, so that the series of every device and every gateway can be summed.
 */
export const DURATION_BUCKETS_S: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Request durations since the device started: counts per bucket (not cumulative), sum and count. */
export interface DurationHistogram {
  /** `counts[i]` requests took at most DURATION_BUCKETS_S[i] and more than the bound before; the last entry counts those above 10 s. */
  readonly counts: ArrayLike<number>;
  readonly sumSeconds: number;
  readonly count: number;
}

/**
 * Per-device counters, a sliding window of request latencies for p50/p99 and a histogram of
 * every request's duration since the device started. The core lends one to every device
 * (DriverHost.stats), so that every driver's requests are timed by the same rules.
 */
export class DeviceStatsCollector {
  requests = 0;
  errors = 0;
  timeouts = 0;
  reconnects = 0;
  connectFailures = 0;
  skippedScans = 0;
  /** Both halves in one array (one buffer per device, not two): `current` is where the newer starts. */
  private readonly counts = new Uint16Array(2 * BUCKETS);
  private current = 0;
  private inCurrent = 0;
  private inPrevious = 0;
  /** Float64: a device polled every 10 ms passes 2^32 requests in 16 months. */
  private readonly durationCounts = new Float64Array(DURATION_BUCKETS_S.length + 1);
  private durationSum = 0;

  /** One answered request's round trip. */
  recordLatency(ms: number): void {
    const s = ms / 1000;
    let i = 0;
    while (i < DURATION_BUCKETS_S.length && s > DURATION_BUCKETS_S[i]!) i++;
    this.durationCounts[i]!++;
    this.durationSum += s;
    if (this.inCurrent === HALF) {
      // The older half is dropped and becomes the newer.
      this.current = BUCKETS - this.current;
      this.counts.fill(0, this.current, this.current + BUCKETS);
      this.inPrevious = this.inCurrent;
      this.inCurrent = 0;
    }
    this.counts[this.current + bucketOf(ms)]!++;
    this.inCurrent++;
  }

  /** The histogram as it is now (read when scraped). */
  durations(): DurationHistogram {
    let count = 0;
    for (const c of this.durationCounts) count += c;
    return { counts: this.durationCounts, sumSeconds: this.durationSum, count };
  }

  snapshot(): DeviceStats {
    const n = this.inCurrent + this.inPrevious;
    return {
      requests: this.requests,
      errors: this.errors,
      timeouts: this.timeouts,
      reconnects: this.reconnects,
      connectFailures: this.connectFailures,
      skippedScans: this.skippedScans,
      latencyP50Ms: n === 0 ? null : round3(this.percentile(0.5, n)),
      latencyP99Ms: n === 0 ? null : round3(this.percentile(0.99, n)),
    };
  }

  /** Nearest rank over the window's buckets. */
  private percentile(p: number, n: number): number {
    const rank = Math.max(1, Math.ceil(p * n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]! + this.counts[BUCKETS + i]!;
      if (seen >= rank) return bucketValue(i);
    }
    return bucketValue(BUCKETS - 1);
  }
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(p * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
