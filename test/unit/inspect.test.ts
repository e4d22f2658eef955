/**
 * The register inspector's reads against a device of known holes (a fake RegisterAccess that
 * refuses any read touching one, as many devices do): readRange gives values and null exactly
 * where the holes are; probe finds exactly the holes, in O(k log n) requests for k holes.
 */
import { strict as assert } from 'node:assert';
import { ErrorCodes, type ModbusArea } from '../../gateway/protocol';
import { BifrostError } from '../../gateway/errors';
import { HoleMemory } from '../../gateway/modbus/holes';
import { inspectRangeOf, probe, readRange } from '../../gateway/modbus/inspect';
import { tcpCost } from '../../gateway/modbus/planner';
import type { RegisterAccess } from '../../gateway/modbus/registerAccess';
import { ModbusException } from '../../gateway/modbus/tcpLink';
import { seeded } from './seeded';

interface Fake extends RegisterAccess {
  reads: [number, number][];
  replans: number;
}

/** Register i holds i * 7 & 0xffff; addresses in `holes` answer exception 2 to any read that includes them. */
function fakeDevice(holes: ReadonlySet<number>, opts: { maxRegisters?: number; down?: string; timeoutAt?: number } = {}): Fake {
  const fake: Fake = {
    deviceId: 'dev',
    limits: { maxRegisters: opts.maxRegisters ?? 125, maxBits: 2000 },
    cost: tcpCost(),
    holes: new HoleMemory(),
    reads: [],
    replans: 0,
    unavailable: () => opts.down,
    holesChanged: () => fake.replans++,
    read(area: ModbusArea, start: number, count: number) {
      fake.reads.push([start, count]);
      for (let a = start; a < start + count; a++) {
        if (a === opts.timeoutAt) return Promise.reject(new BifrostError(ErrorCodes.Timeout, `no answer within 500 ms reading ${area} ${start}`));
        if (holes.has(a)) return Promise.reject(new ModbusException(2, `dev: Modbus exception 2 (illegal data address) reading ${area} ${start}`));
      }
      const out: number[] = [];
      for (let a = start; a < start + count; a++) out.push((a * 7) & 0xffff);
      return Promise.resolve(out);
    },
  };
  return fake;
}

function runs(addresses: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const a of [...addresses].sort((x, y) => x - y)) {
    const last = out[out.length - 1];
    if (last && last[1] + 1 === a) last[1] = a;
    else out.push([a, a]);
  }
  return out;
}

describe('register inspector: readRange and probe', () => {
  it('readRange: values, null exactly at the holes, one error per run of holes', async () => {
    const holes = new Set([10, 11, 12, 300, 999]);
    const dev = fakeDevice(holes);
    const r = await readRange(dev, { area: 'holding', start: 0, count: 1000 });
    assert.equal(r.values.length, 1000);
    for (let a = 0; a < 1000; a++) assert.equal(r.values[a], holes.has(a) ? null : (a * 7) & 0xffff, `address ${a}`);
    assert.deepEqual(r.errors.map((e) => [e.start, e.count, e.exception]), [[10, 3, 2], [300, 1, 2], [999, 1, 2]]);
    assert.equal(r.errors[0]!.message, 'dev: Modbus exception 2 (illegal data address) reading holding registers 10-12');
    assert.equal(r.requests, dev.reads.length);
    assert.ok(dev.reads.every(([, n]) => n <= 125), 'no request longer than the device reads');
    assert.ok(dev.replans > 0, 'what it learnt makes polling plan again');

    // The holes are known now: each run is asked once, alone, and the rest in full blocks.
    dev.reads.length = 0;
    const again = await readRange(dev, { area: 'holding', start: 0, count: 1000 });
    assert.deepEqual(again.values, r.values);
    assert.deepEqual(again.errors.map((e) => [e.start, e.count]), [[10, 3], [300, 1], [999, 1]]);
    assert.ok(again.requests <= 8 + 2 * 3 + 3, `${again.requests} requests the second time`);
  });

  it('readRange of bits gives 0/1', async () => {
    const dev = fakeDevice(new Set());
    dev.read = (_area, start, count) => Promise.resolve(Array.from({ length: count }, (_, i) => (start + i) % 3 === 0));
    const r = await readRange(dev, { area: 'coil', start: 5, count: 6 });
    assert.deepEqual(r.values, [0, 1, 0, 0, 1, 0]);
  });

  it('readRange: a timeout fails its request only; the others are still read', async () => {
    const dev = fakeDevice(new Set(), { timeoutAt: 130 });
    const r = await readRange(dev, { area: 'input', start: 0, count: 300 });
    assert.equal(r.errors.length, 1);
    const [e] = r.errors;
    assert.ok(e!.start <= 130 && e!.start + e!.count > 130 && e!.exception === undefined, JSON.stringify(e));
    assert.match(e!.message, /^dev: no answer within 500 ms/);
    assert.equal(r.requests, 3);
    assert.deepEqual(r.values.map((v) => v === null), r.values.map((_, a) => a >= e!.start && a < e!.start + e!.count));
  });

  it('probe finds exactly the holes of random maps, in O(k log n) requests', async () => {
    const random = seeded(7);
    for (let trial = 0; trial < 40; trial++) {
      const n = 500 + Math.floor(random() * 3500);
      const k = Math.floor(random() * 12);
      const holes = new Set<number>();
      while (holes.size < k) holes.add(Math.floor(random() * n));
      const dev = fakeDevice(holes);
      const r = await probe(dev, { area: 'holding', start: 0, count: n });
      const present = [...Array(n).keys()].filter((a) => !holes.has(a));
      assert.deepEqual(r.absent, runs([...holes]), `trial ${trial}`);
      assert.deepEqual(r.present, runs(present), `trial ${trial}`);
      assert.deepEqual(r.failed, []);
      // Each hole costs at most two reads per level of the bisection of one block.
      const bound = Math.ceil(n / 125) + 2 * holes.size * Math.ceil(Math.log2(125));
      assert.ok(r.requests <= bound, `trial ${trial}: ${r.requests} requests for ${holes.size} holes in ${n}, bound ${bound}`);
      assert.equal(r.requests, dev.reads.length);
    }
  });

  it('probe: no holes is one request per block; a timeout is failed, not absent', async () => {
    const r = await probe(fakeDevice(new Set()), { area: 'holding', start: 0, count: 4000 });
    assert.deepEqual([r.present, r.absent, r.requests], [[[0, 3999]], [], 32]);
    const t = await probe(fakeDevice(new Set([3]), { timeoutAt: 200, maxRegisters: 100 }), { area: 'holding', start: 0, count: 300 });
    assert.deepEqual(t.absent, [[3, 3]]);
    assert.deepEqual(t.present, [[0, 2], [4, 199]]);
    assert.deepEqual(t.failed.map((f) => [f.start, f.count, f.exception]), [[200, 100, undefined]]);
  });

  it('refuses a device that cannot be read now, and bad ranges with what is expected', async () => {
    const down = fakeDevice(new Set(), { down: 'dev: disabled in the configuration ("enabled": false); enable the device to read its registers' });
    await assert.rejects(readRange(down, { area: 'holding', start: 0, count: 1 }), (e: BifrostError) => e.code === ErrorCodes.DeviceUnavailable && /disabled/.test(e.message));
    await assert.rejects(probe(down, { area: 'holding', start: 0, count: 1 }), (e: BifrostError) => e.code === ErrorCodes.DeviceUnavailable);
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ area: 'holdings', start: 0, count: 1 }, /"area" must be one of "holding", "input", "coil", "discrete" \(got "holdings"\)/],
      [{ area: 'holding', start: -1, count: 1 }, /"start" must be a whole number from 0 to 65535/],
      [{ area: 'holding', start: 0, count: 4001 }, /"count" must be a whole number from 1 to 4000/],
      [{ area: 'coil', start: 0, count: 32001 }, /"count" must be a whole number from 1 to 32000/],
      [{ area: 'input', start: 65000, count: 1000 }, /"start" \+ "count" must be at most 65536 \(got 66000\)/],
      [{ area: 'input', start: 0 }, /"count" .*\(got nothing\)/],
    ];
    for (const [p, message] of bad) assert.throws(() => inspectRangeOf(p), (e: BifrostError) => e.code === ErrorCodes.InvalidParams && message.test(e.message), JSON.stringify(p));
    assert.deepEqual(inspectRangeOf({ area: 'coil', start: 65535, count: 1 }), { area: 'coil', start: 65535, count: 1 });
  });
});
