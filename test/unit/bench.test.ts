import assert from 'node:assert/strict';
import { searchCapacity } from '../../bench/capacity';
import { GenerationCounter } from '../../bench/generationCounter';
import { flows } from '../../bench/nodeRed';
import { MsHistogram, pct } from '../../bench/stats';

describe('benchmark helpers', () => {
  describe('searchCapacity', () => {
    const upTo = (limit: number) => async (load: number) => ({ passed: load <= limit, result: load });

    it('doubles until a probe fails, then bisects to the precision asked', async () => {
      const s = await searchCapacity(upTo(1234), { start: 100, ceiling: 100_000, precision: 0.05 });
      assert.deepEqual(s.trail.slice(0, 6).map((p) => p.load), [100, 200, 400, 800, 1600, 1200]);
      assert.ok(s.best && s.firstFailure);
      assert.ok(s.best.load <= 1234 && s.firstFailure.load > 1234, `${s.best.load} / ${s.firstFailure.load}`);
      assert.ok(s.firstFailure.load - s.best.load <= s.best.load * 0.05);
      assert.ok(s.trail.every((p) => p.passed === p.load <= 1234));
    });

    it('says nothing passed when the first probe fails', async () => {
      const s = await searchCapacity(upTo(50), { start: 100, ceiling: 1000, precision: 0.05 });
      assert.equal(s.best, undefined);
      assert.equal(s.firstFailure?.load, 100);
      assert.equal(s.trail.length, 1);
    });

    it('stops at the ceiling when every probe passes', async () => {
      const s = await searchCapacity(upTo(Infinity), { start: 100, ceiling: 1000, precision: 0.05 });
      assert.deepEqual(s.trail.map((p) => p.load), [100, 200, 400, 800, 1000]);
      assert.equal(s.best?.load, 1000);
      assert.equal(s.firstFailure, undefined);
    });
  });

  it('MsHistogram gives the percentiles of the sorted samples, beyond its buckets too', () => {
    const samples = [5, 100, 101, 99, 3000, 100, 250, 70_000, 0, 100.4];
    const h = new MsHistogram(60_000);
    for (const s of samples) h.add(s);
    const rounded = samples.map(Math.round);
    for (const p of [0.1, 0.5, 0.9, 0.99, 1]) assert.equal(h.pct(p), pct(rounded, p), `p${p * 100}`);
    assert.equal(h.max, 70_000);
    assert.equal(h.count, samples.length);
  });

  it('GenerationCounter counts a skipped generation as lost, a bad reading as bad, and first values once', () => {
    let all = 0;
    const c = new GenerationCounter(3, () => all++);
    c.add(0, true, 5);
    c.add(1, false, -1);
    assert.equal(c.seen, 1, 'a bad reading is not a first value');
    c.add(1, true, 5);
    c.add(2, true, 4);
    assert.equal(all, 1);
    c.startWindow();
    c.add(0, true, 6);
    c.add(0, true, 9); // 7 and 8 never arrived
    c.add(1, false, -1);
    c.add(1, true, 7); // 6 never arrived: the bad reading in between does not hide it
    c.measuring = false;
    c.add(0, true, 12); // after the window: not counted
    assert.deepEqual({ values: c.values, lost: c.lost, bad: c.bad, silent: c.silent(), seen: c.seen }, { values: 4, lost: 3, bad: 1, silent: 1, seen: 3 });
    assert.equal(all, 1);
  });

  it('the Node-RED flow reads every register once per device, one connection per device', () => {
    const nodes = flows([5020, 5021], 4, 125, 100) as Record<string, unknown>[];
    const clients = nodes.filter((n) => n['type'] === 'modbus-client');
    const reads = nodes.filter((n) => n['type'] === 'modbus-read');
    assert.deepEqual(clients.map((c) => c['tcpPort']), ['5020', '5021']);
    // Node-RED takes a node without a place on the canvas for a config node.
    assert.ok(clients.every((c) => !('x' in c)));
    assert.ok([...reads, nodes.find((n) => n['id'] === 'count')!].every((n) => typeof n['x'] === 'number' && typeof n['y'] === 'number' && n['z'] === 'tab'));
    for (const c of clients) {
      const mine = reads.filter((r) => r['server'] === c['id']);
      const covered = mine.flatMap((r) => Array.from({ length: Number(r['quantity']) }, (_, i) => Number(r['adr']) + i));
      assert.deepEqual(covered, Array.from({ length: 500 }, (_, i) => i));
      assert.ok(mine.every((r) => r['rate'] === '100' && r['rateUnit'] === 'ms' && r['dataType'] === 'HoldingRegister'));
    }
    assert.equal(new Set(reads.map((r) => r['topic'])).size, 8);
  });
});
