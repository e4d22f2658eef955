import * as assert from 'node:assert/strict';
import { AlignedSeriesData, type Cell } from '../../webview/livedata/alignedData';
import { bucketFor, ChartFrameBuilder } from '../../webview/livedata/chartFrames';
import { COLUMNS_PER_BUCKET, MinMaxDecimator } from '../../webview/livedata/decimator';
import { seeded as prng } from './seeded';


/** Random readings for a few series: mostly numbers, some gaps, each series on its own clock. */
function randomData(seed: number, seriesCount: number, readings: number): AlignedSeriesData {
  const rnd = prng(seed);
  const data = new AlignedSeriesData();
  for (let s = 0; s < seriesCount; s++) data.addSeries();
  const values = [];
  for (let i = 0; i < readings; i++) {
    const series = Math.floor(rnd() * seriesCount);
    values.push({ series, t: 100_000 + Math.floor(rnd() * 60_000), v: rnd() < 0.05 ? null : Math.round(rnd() * 1000) / 10 });
  }
  data.insert(values);
  return data;
}

interface BucketSummary {
  min?: number;
  max?: number;
  last: Cell;
}

/** Per bucket: min, max and the last defined cell of one series. */
function summarise(x: readonly number[], y: readonly Cell[], bucketMs: number): Map<number, BucketSummary> {
  const out = new Map<number, BucketSummary>();
  for (let i = 0; i < x.length; i++) {
    const v = y[i];
    if (v === undefined) continue;
    const b = Math.floor(x[i] / bucketMs);
    const s = out.get(b) ?? { last: undefined };
    s.last = v;
    if (v !== null) {
      s.min = s.min === undefined ? v : Math.min(s.min, v);
      s.max = s.max === undefined ? v : Math.max(s.max, v);
    }
    out.set(b, s);
  }
  return out;
}

describe('livedata: MinMaxDecimator', () => {
  for (const seed of [1, 2, 3, 42, 1234]) {
    it(`keeps every bucket's min, max and final value (seed ${seed})`, () => {
      const data = randomData(seed, 4, 3000);
      const d = new MinMaxDecimator();
      d.rebuild(data.x, data.ys, 160);
      assert.equal(d.x.length % COLUMNS_PER_BUCKET, 0);
      for (let s = 0; s < 4; s++) {
        assert.equal(d.ys[s].length, d.x.length);
        const raw = summarise(data.x, data.ys[s], 160);
        const thin = summarise(d.x, d.ys[s], 160);
        assert.deepEqual(thin, raw);
      }
      assert.ok(d.x.length < data.x.length, 'fewer columns than the raw data');
    });

    it(`gives the same result updated piece by piece as built at once (seed ${seed})`, () => {
      const rnd = prng(seed);
      const live = new AlignedSeriesData();
      for (let s = 0; s < 3; s++) live.addSeries();
      const d = new MinMaxDecimator();
      d.rebuild(live.x, live.ys, 80);
      live.takeChangedFrom();
      let t = 50_000;
      for (let step = 0; step < 200; step++) {
        const batch = [];
        for (let k = 0; k < 6; k++) {
          // Mostly in order, sometimes a little late.
          t += Math.floor(rnd() * 40);
          batch.push({ series: k % 3, t: t - (rnd() < 0.2 ? Math.floor(rnd() * 300) : 0), v: rnd() < 0.05 ? null : Math.round(rnd() * 100) });
        }
        live.insert(batch);
        if (step % 50 === 49) live.dropBefore(t - 4000);
        d.update(live.x, live.ys, live.takeChangedFrom());
      }
      const whole = new MinMaxDecimator();
      whole.rebuild(live.x, live.ys, 80);
      assert.deepEqual(d.x, whole.x);
      assert.deepEqual(d.ys, whole.ys);
    });
  }

  it('writes a gap where a bucket ends on a bad reading, and nothing where nothing was read', () => {
    const data = new AlignedSeriesData();
    data.addSeries();
    data.insert([
      { series: 0, t: 0, v: 5 },
      { series: 0, t: 30, v: 9 },
      { series: 0, t: 60, v: null },
      { series: 0, t: 400, v: 7 },
    ]);
    const d = new MinMaxDecimator();
    d.rebuild(data.x, data.ys, 100);
    assert.deepEqual(d.x.length, 5 * COLUMNS_PER_BUCKET, 'buckets 0..4, empty ones included');
    assert.deepEqual(d.ys[0].slice(0, 3), [5, 9, null]);
    assert.deepEqual(d.ys[0].slice(3, 12), new Array(9).fill(undefined));
    assert.deepEqual(d.ys[0].slice(12), [7, undefined, undefined]);
  });
});

describe('livedata: ChartFrameBuilder', () => {
  it('passes data through while it is sparse and thins it when a window gets dense', () => {
    const data = new AlignedSeriesData();
    data.addSeries();
    data.insert(Array.from({ length: 6000 }, (_, i) => ({ series: 0, t: 1_000_000 + i * 100, v: i % 7 })));
    const builder = new ChartFrameBuilder();
    const end = 1_000_000 + 600_000;

    const short = builder.build(data, [0], [end - 30_000, end], 1000);
    assert.equal(builder.isThinning, false);
    assert.equal(short.x, data.x, 'the same arrays, not a copy');

    const long = builder.build(data, [0], [end - 600_000, end], 1000);
    assert.equal(builder.isThinning, true);
    assert.ok(long.x.length <= 3 * 1000 + 3, `${long.x.length} columns for 1000 pixels`);
    assert.equal(Math.max(...(long.ys[0].filter((v) => typeof v === 'number') as number[])), 6);
  });

  it('picks buckets on a fixed grid, at least a pixel wide', () => {
    assert.equal(bucketFor(5), 10);
    assert.equal(bucketFor(600), 640);
    assert.equal(bucketFor(640), 640);
    assert.equal(bucketFor(641), 1280);
  });
});
