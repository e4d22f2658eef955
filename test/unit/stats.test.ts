import { strict as assert } from 'node:assert';
import { DeviceStatsCollector, DURATION_BUCKETS_S, percentile } from '../../gateway/core/stats';
import { seeded } from './seeded';

describe('device statistics', () => {
  it('has no latency before the first request', () => {
    const s = new DeviceStatsCollector().snapshot();
    assert.equal(s.latencyP50Ms, null);
    assert.equal(s.latencyP99Ms, null);
  });

  for (const seed of [1, 2, 3]) {
    it(`gives p50 and p99 within 8 % of the exact values over the recent requests (seed ${seed})`, () => {
      const random = seeded(seed);
      const s = new DeviceStatsCollector();
      // A slow past that the window must forget, then a mix of fast answers and a slow tail.
      for (let i = 0; i < 2000; i++) s.recordLatency(500 + random() * 500);
      const recent: number[] = [];
      for (let i = 0; i < 1024; i++) {
        const ms = random() < 0.95 ? 0.05 + random() * 2 : 20 + random() * 200;
        recent.push(ms);
        s.recordLatency(ms);
      }
      const sorted = Float64Array.from(recent).sort();
      const { latencyP50Ms, latencyP99Ms } = s.snapshot();
      const near = (got: number | null, exact: number) => got !== null && Math.abs(got - exact) / exact <= 0.08;
      assert.ok(near(latencyP50Ms, percentile(sorted, 0.5)), `p50 ${latencyP50Ms} vs ${percentile(sorted, 0.5)}`);
      assert.ok(near(latencyP99Ms, percentile(sorted, 0.99)), `p99 ${latencyP99Ms} vs ${percentile(sorted, 0.99)}`);
    });
  }

  it('keeps latencies beyond the range in the last bucket, and below it in the first', () => {
    const s = new DeviceStatsCollector();
    s.recordLatency(0);
    s.recordLatency(10 * 60_000);
    const { latencyP50Ms, latencyP99Ms } = s.snapshot();
    assert.ok(latencyP50Ms! < 0.02);
    assert.ok(latencyP99Ms! > 55_000);
  });

  it('counts every request in the duration histogram, a bound belonging to its own bucket, and keeps counting past the window', () => {
    const s = new DeviceStatsCollector();
    s.recordLatency(1); // exactly 0.001 s: the first bucket (le is "less or equal")
    s.recordLatency(1.0001);
    s.recordLatency(10_000);
    s.recordLatency(10_001);
    for (let i = 0; i < 3000; i++) s.recordLatency(7);
    const h = s.durations();
    assert.equal(h.counts.length, DURATION_BUCKETS_S.length + 1);
    assert.equal(h.counts[0], 1);
    assert.equal(h.counts[1], 1);
    assert.equal(h.counts[DURATION_BUCKETS_S.indexOf(0.01)], 3000, 'all of them, not the last 1024 the quantiles keep');
    assert.equal(h.counts[DURATION_BUCKETS_S.indexOf(10)], 1);
    assert.equal(h.counts[DURATION_BUCKETS_S.length], 1, 'beyond 10 s');
    assert.equal(h.count, 3004);
    assert.ok(Math.abs(h.sumSeconds - (0.001 + 0.0010001 + 10 + 10.001 + 21)) < 1e-9);
  });
});
