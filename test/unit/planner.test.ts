import { strict as assert } from 'node:assert';
import type { ModbusArea } from '../../gateway/protocol';
import { resolveAddress, type ResolvedAddress } from '../../gateway/modbus/address';
import { planReads, type PlanLimits, type PlannedRead } from '../../gateway/modbus/planner';
import { seeded } from './seeded';

const AREA_ORDER: readonly ModbusArea[] = ['coil', 'discrete', 'input', 'holding'];
const FULL: PlanLimits = { maxRegisters: 125, maxBits: 2000, maxRegisterGap: 8, maxBitGap: 32 };

const at = (...refs: string[]): ResolvedAddress[] => refs.map((r) => resolveAddress(r));
const isBitArea = (area: ModbusArea) => area === 'coil' || area === 'discrete';
const endOf = (a: ResolvedAddress) => a.address + a.count - 1;


/** Whether these items can be read by one request: span within the limit, no unused run wider than the gap. */
function feasible(items: readonly ResolvedAddress[], maxSpan: number, maxGap: number): boolean {
  const sorted = [...items].sort((x, y) => x.address - y.address);
  let reach = sorted[0]!.address - 1;
  for (const a of sorted) {
    if (a.address - reach - 1 > maxGap) return false;
    reach = Math.max(reach, endOf(a));
  }
  return reach - sorted[0]!.address + 1 <= maxSpan;
}

/** The fewest requests for items of one area, by exhaustive search over all partitions (DP on subsets). */
function fewestRequests(items: readonly ResolvedAddress[], maxSpan: number, maxGap: number): number {
  const n = items.length;
  const full = (1 << n) - 1;
  const ok = new Array<boolean>(full + 1).fill(false);
  for (let mask = 1; mask <= full; mask++) {
    ok[mask] = feasible(items.filter((_, i) => mask & (1 << i)), maxSpan, maxGap);
  }
  const best = new Array<number>(full + 1).fill(Infinity);
  best[0] = 0;
  for (let mask = 1; mask <= full; mask++) {
    const low = mask & -mask; // the group holding the lowest item: enumerate only those
    for (let sub = mask; sub > 0; sub = (sub - 1) & mask) {
      if (sub & low && ok[sub]) best[mask] = Math.min(best[mask]!, best[mask ^ sub]! + 1);
    }
  }
  return best[full]!;
}

/** Checks every promise of planReads except minimality; returns the plan. */
function checkPlan(addrs: readonly ResolvedAddress[], limits: PlanLimits): PlannedRead[] {
  const plan = planReads(addrs, limits);
  const seen = new Array<number>(addrs.length).fill(0);
  for (let r = 0; r < plan.length; r++) {
    const req = plan[r]!;
    const bits = isBitArea(req.area);
    const maxSpan = bits ? limits.maxBits : limits.maxRegisters;
    const maxGap = bits ? limits.maxBitGap : limits.maxRegisterGap;
    assert.ok(req.members.length > 0, `request ${r} reads nothing anyone asked for`);
    assert.ok(req.count >= 1 && req.count <= maxSpan, `request ${r} reads ${req.count}, limit ${maxSpan}`);
    const members = req.members.map((m) => addrs[m]!);
    for (const m of req.members) seen[m]!++;
    for (const a of members) {
      assert.equal(a.area, req.area, `${a.key} planned in a ${req.area} request`);
      assert.ok(a.address >= req.start && endOf(a) <= req.start + req.count - 1, `${a.key} not inside ${req.start}+${req.count}`);
    }
    // The request reads exactly the span of its members: nothing wasted at either end.
    assert.equal(req.start, Math.min(...members.map((a) => a.address)));
    assert.equal(req.start + req.count - 1, Math.max(...members.map(endOf)));
    assert.ok(feasible(members, maxSpan, maxGap), `request ${r} bridges a gap wider than ${maxGap}`);
    if (r > 0) {
      const prev = plan[r - 1]!;
      const order = AREA_ORDER.indexOf(prev.area) - AREA_ORDER.indexOf(req.area);
      assert.ok(order < 0 || (order === 0 && prev.start <= req.start), `requests ${r - 1} and ${r} are out of order`);
    }
  }
  seen.forEach((n, i) => assert.equal(n, 1, `input ${i} (${addrs[i]!.key}) is in ${n} requests`));
  return plan;
}

const REGISTER_SHAPES = ['', ':float32', ':float64:CDAB', ':string:3', ':int16', ':uint32:DCBA'];

function randomCase(random: () => number): { addrs: ResolvedAddress[]; limits: PlanLimits } {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const limits: PlanLimits = { maxRegisters: int(4, 12), maxBits: int(1, 10), maxRegisterGap: int(0, 4), maxBitGap: int(0, 4) };
  const addrs: ResolvedAddress[] = [];
  const n = int(1, 14);
  for (let i = 0; i < n; i++) {
    const area = AREA_ORDER[int(0, 3)]!;
    // A narrow address window makes duplicates, overlaps and nesting common.
    const address = int(0, 24);
    const shape = isBitArea(area) ? '' : REGISTER_SHAPES[int(0, REGISTER_SHAPES.length - 1)]!;
    addrs.push(resolveAddress(`${area}:${address}${shape}`));
  }
  return { addrs, limits };
}

describe('planReads', () => {
  it('plans nothing for no addresses', () => {
    assert.deepEqual(planReads([], FULL), []);
  });

  it('merges neighbours and bridges gaps up to the limit, not beyond', () => {
    const limits = { ...FULL, maxRegisterGap: 3 };
    const plan = checkPlan(at('holding:0', 'holding:1:float32', 'holding:6', 'holding:11'), limits);
    // 0..2 used, 3..5 unused (gap 3: bridged), 6 used, 7..10 unused (gap 4: not bridged).
    assert.deepEqual(plan, [
      { area: 'holding', start: 0, count: 7, members: [0, 1, 2] },
      { area: 'holding', start: 11, count: 1, members: [3] },
    ]);
  });

  it('lets duplicates and overlapping values share one request', () => {
    const addrs = at('holding:10', '40011', 'holding:10:float32', 'holding:11:int16', 'holding:10.3', 'hr:10:float64:CDAB');
    assert.deepEqual(checkPlan(addrs, FULL), [{ area: 'holding', start: 10, count: 4, members: [0, 1, 2, 3, 4, 5] }]);
  });

  it('keeps areas apart and orders requests by area, then start', () => {
    const addrs = at('holding:5', 'coil:5', 'input:5', 'discrete:5', 'holding:0', 'coil:0');
    const plan = checkPlan(addrs, { ...FULL, maxRegisterGap: 0, maxBitGap: 0 });
    assert.deepEqual(
      plan.map((r) => `${r.area}:${r.start}+${r.count}`),
      ['coil:0+1', 'coil:5+1', 'discrete:5+1', 'input:5+1', 'holding:0+1', 'holding:5+1'],
    );
  });

  it('never splits a value and never exceeds 125 registers per request', () => {
    // 70 float32 back to back: 140 registers. The value at 124-125 must not be cut in two.
    const addrs = Array.from({ length: 70 }, (_, i) => resolveAddress(`holding:${2 * i}:float32`));
    const plan = checkPlan(addrs, FULL);
    assert.deepEqual(plan.map((r) => [r.start, r.count]), [[0, 124], [124, 16]]);
  });

  it('reads up to 2000 coils per request', () => {
    const addrs = Array.from({ length: 2500 }, (_, i) => resolveAddress(`coil:${i}`));
    const plan = checkPlan(addrs, FULL);
    assert.deepEqual(plan.map((r) => [r.start, r.count]), [[0, 2000], [2000, 500]]);
  });

  it('hand-checked cases agree with the exhaustive search', () => {
    // The float64 at 1..4 cannot share a 4-register request with 0; the uint16 at 2 lies inside it.
    const nested = at('holding:0', 'holding:1:float64', 'holding:2', 'holding:5');
    assert.equal(fewestRequests(nested, 4, 0), 3);
    assert.equal(checkPlan(nested, { ...FULL, maxRegisters: 4, maxRegisterGap: 0 }).length, 3);
    // Five registers per request take 0..4 at once; six take everything.
    assert.equal(fewestRequests(nested, 5, 0), 2);
    assert.equal(checkPlan(nested, { ...FULL, maxRegisters: 5, maxRegisterGap: 0 }).length, 2);
    assert.equal(fewestRequests(nested, 6, 0), 1);
    assert.equal(checkPlan(nested, { ...FULL, maxRegisters: 6, maxRegisterGap: 0 }).length, 1);
  });

  it('uses the fewest requests possible (exhaustive search on 3000 seeded random cases)', () => {
    const random = seeded(20240611);
    for (let c = 0; c < 3000; c++) {
      const { addrs, limits } = randomCase(random);
      const plan = checkPlan(addrs, limits);
      let fewest = 0;
      for (const area of AREA_ORDER) {
        const items = addrs.filter((a) => a.area === area);
        if (items.length === 0) continue;
        const bits = isBitArea(area);
        fewest += fewestRequests(items, bits ? limits.maxBits : limits.maxRegisters, bits ? limits.maxBitGap : limits.maxRegisterGap);
      }
      const shown = () => `case ${c}: ${addrs.map((a) => a.key).join(', ')} with ${JSON.stringify(limits)}`;
      assert.equal(plan.length, fewest, shown());
    }
  });

  it('plans a large scan in one pass with every promise kept', () => {
    const random = seeded(7);
    const addrs: ResolvedAddress[] = [];
    for (let i = 0; i < 20_000; i++) {
      const area = AREA_ORDER[Math.floor(random() * 4)]!;
      const address = Math.floor(random() * 60_000);
      const shape = isBitArea(area) ? '' : REGISTER_SHAPES[Math.floor(random() * REGISTER_SHAPES.length)]!;
      addrs.push(resolveAddress(`${area}:${address}${shape}`));
    }
    const plan = checkPlan(addrs, FULL);
    assert.ok(plan.length < addrs.length);
  });

  it('refuses limits outside what Modbus allows', () => {
    assert.throws(() => planReads([], { ...FULL, maxRegisters: 126 }), /maxRegisters/);
    assert.throws(() => planReads([], { ...FULL, maxRegisters: 0 }), /maxRegisters/);
    assert.throws(() => planReads([], { ...FULL, maxBits: 2001 }), /maxBits/);
    assert.throws(() => planReads([], { ...FULL, maxRegisterGap: -1 }), /maxRegisterGap/);
    assert.throws(() => planReads([], { ...FULL, maxBitGap: 1.5 }), /maxBitGap/);
  });

  it('says which value cannot fit in one request', () => {
    assert.throws(() => planReads(at('holding:0:string:20'), { ...FULL, maxRegisters: 10 }), /holding:0:string:20.*20.*10/);
  });
});
