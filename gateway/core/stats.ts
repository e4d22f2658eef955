import type { DeviceStats } from '../protocol';

const WINDOW = 1024;

/** Per-device counters and a sliding window of request latencies for p50/p99. */
export class DeviceStatsCollector {
  requests = 0;
  errors = 0;
  timeouts = 0;
  reconnects = 0;
  skippedScans = 0;
  private readonly latencies = new Float64Array(WINDOW);
  private filled = 0;
  private next = 0;

  recordLatency(ms: number): void {
    this.latencies[this.next] = ms;
    this.next = (this.next + 1) % WINDOW;
    if (this.filled < WINDOW) this.filled++;
  }

  snapshot(): DeviceStats {
    let p50: number | null = null;
    let p99: number | null = null;
    if (this.filled > 0) {
      const sorted = this.latencies.slice(0, this.filled).sort();
      p50 = round3(percentile(sorted, 0.5));
      p99 = round3(percentile(sorted, 0.99));
    }
    return {
      requests: this.requests,
      errors: this.errors,
      timeouts: this.timeouts,
      reconnects: this.reconnects,
      skippedScans: this.skippedScans,
      latencyP50Ms: p50,
      latencyP99Ms: p99,
    };
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
