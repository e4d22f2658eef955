import { strict as assert } from 'node:assert';
import type { ModbusArea } from '../../gateway/protocol';
import { resolveAddress, type ResolvedAddress } from '../../gateway/modbus/address';
import {
  answerDataBytes, planCost, planReads, rtuCost, tcpCost,
  type AddressRange, type KnownHoles, type PlanLimits, type PlannedRead, type TransportCost,
} from '../../gateway/modbus/planner';
import { seeded } from './seeded';

const AREA_ORDER: readonly ModbusArea[] = ['coil', 'discrete', 'input', 'holding'];
const FULL: PlanLimits = { maxRegisters: 125, maxBits: 2000 };

const at = (...refs: string[]): ResolvedAddress[] => refs.map((r) => resolveAddress(r));
const isBitArea = (area: ModbusArea) => area === 'coil' || area === 'discrete';
const endOf = (a: ResolvedAddress) => a.address + a.count - 1;
const shape = (plan: PlannedRead[]) => plan.map((r) => `${r.area}:${r.start}+${r.count}`);

/** Holes given by hand, per area. */
function holes(
  unreadable: Partial<Record<ModbusArea, AddressRange[]>>,
  cuts: Partial<Record<ModbusArea, number[]>> = {},
  maxCount: Partial<Record<ModbusArea, number>> = {},
): KnownHoles {
  return { unreadable: (area) => unreadable[area] ?? [], cuts: (area) => cuts[area] ?? [], maxCount: (area) => maxCount[area] };
}

// ---------------------------------------------------------------------------------------------
// The rules, written out independently of the planner, and an exhaustive search over them
// ---------------------------------------------------------------------------------------------

interface Rules {
  maxSpan: number;
  /** The longest read the device accepts, learned. */
  maxCount: number;
  maxGap: number | undefined;
  unreadable: readonly AddressRange[];
  cuts: readonly number[];
}

function rulesOf(area: ModbusArea, limits: PlanLimits, known?: KnownHoles): Rules {
  const bits = isBitArea(area);
  return {
    maxSpan: bits ? limits.maxBits : limits.maxRegisters,
    maxCount: known?.maxCount?.(area) ?? Infinity,
    maxGap: bits ? limits.maxBitGap : limits.maxRegisterGap,
    unreadable: known?.unreadable(area) ?? [],
    cuts: known?.cuts(area) ?? [],
  };
}

/** Whether the addresses s..e include a known-unreadable one, cross a cut, or are more than the device reads. */
function touchesHole(r: Rules, s: number, e: number): boolean {
  return e - s + 1 > r.maxCount || r.unreadable.some((u) => u.start <= e && u.end >= s) || r.cuts.some((c) => c > s && c <= e);
}

/**
 * Whether one request may read exactly these items of one area (`all`: every item of the area):
 * - a value touching a known hole (or longer than the device reads) is read by a request of its
 *   own range only;
 * - otherwise the span (the members' hull) is at most maxSpan long, holds no unreadable address,
 *   crosses no cut, and (with maxGap) holds no run longer than maxGap of addresses that no
 *   hole-free value of the area uses.
 */
function feasible(items: readonly ResolvedAddress[], all: readonly ResolvedAddress[], r: Rules, used = usedBy(all, r)): boolean {
  let start = Infinity;
  let end = -Infinity;
  for (const a of items) {
    start = Math.min(start, a.address);
    end = Math.max(end, endOf(a));
  }
  const isolated = items.filter((a) => touchesHole(r, a.address, endOf(a)));
  if (isolated.length > 0) return items.every((a) => a.address === isolated[0]!.address && endOf(a) === endOf(isolated[0]!));
  if (end - start + 1 > Math.min(r.maxSpan, r.maxCount) || touchesHole(r, start, end)) return false;
  if (r.maxGap !== undefined) {
    let run = 0;
    for (let p = start; p <= end; p++) {
      run = used.has(p) ? 0 : run + 1;
      if (run > r.maxGap) return false;
    }
  }
  return true;
}

/** The addresses some hole-free value uses. */
function usedBy(all: readonly ResolvedAddress[], r: Rules): Set<number> {
  const used = new Set<number>();
  if (r.maxGap === undefined) return used; // not needed
  for (const a of all) if (!touchesHole(r, a.address, endOf(a))) for (let p = a.address; p <= endOf(a); p++) used.add(p);
  return used;
}

/** The cheapest plan's cost for the items of one area, by exhaustive search over all partitions (DP on subsets). */
function cheapest(items: readonly ResolvedAddress[], r: Rules, cost: TransportCost, area: ModbusArea): number {
  const n = items.length;
  const full = (1 << n) - 1;
  const price = new Float64Array(full + 1).fill(Infinity);
  const used = usedBy(items, r);
  for (let mask = 1; mask <= full; mask++) {
    const members = items.filter((_, i) => mask & (1 << i));
    if (!feasible(members, items, r, used)) continue;
    const count = Math.max(...members.map(endOf)) - Math.min(...members.map((a) => a.address)) + 1;
    price[mask] = cost.requestS + answerDataBytes(area, count) * cost.byteS;
  }
  const best = new Float64Array(full + 1).fill(Infinity);
  best[0] = 0;
  for (let mask = 1; mask <= full; mask++) {
    const low = mask & -mask; // the group holding the lowest item: enumerate only those
    for (let sub = mask; sub > 0; sub = (sub - 1) & mask) {
      if (sub & low && price[sub]! < Infinity) best[mask] = Math.min(best[mask]!, best[mask ^ sub]! + price[sub]!);
    }
  }
  return best[full]!;
}

/** Checks every promise of planReads except minimality; returns the plan. */
function checkPlan(addrs: readonly ResolvedAddress[], limits: PlanLimits, cost?: TransportCost, known?: KnownHoles): PlannedRead[] {
  const plan = planReads(addrs, limits, { cost, holes: known });
  const seen = new Array<number>(addrs.length).fill(0);
  const byArea = new Map<ModbusArea, { all: ResolvedAddress[]; used: Set<number> }>();
  for (const area of AREA_ORDER) {
    const all = addrs.filter((a) => a.area === area);
    byArea.set(area, { all, used: usedBy(all, rulesOf(area, limits, known)) });
  }
  for (let k = 0; k < plan.length; k++) {
    const req = plan[k]!;
    const r = rulesOf(req.area, limits, known);
    assert.ok(req.members.length > 0, `request ${k} reads nothing anyone asked for`);
    assert.deepEqual(req.members, [...req.members].sort((x, y) => x - y), `request ${k}: members not ascending`);
    const members = req.members.map((m) => addrs[m]!);
    for (const m of req.members) seen[m]!++;
    for (const a of members) assert.equal(a.area, req.area, `${a.key} planned in a ${req.area} request`);
    // The request reads exactly the span of its members: nothing wasted at either end.
    assert.equal(req.start, members.reduce((m, a) => Math.min(m, a.address), Infinity));
    assert.equal(req.start + req.count - 1, members.reduce((m, a) => Math.max(m, endOf(a)), -Infinity));
    assert.ok(req.count >= 1 && req.count <= r.maxSpan, `request ${k} reads ${req.count}, limit ${r.maxSpan}`);
    const { all, used } = byArea.get(req.area)!;
    assert.ok(feasible(members, all, r, used), `request ${k} (${req.area}:${req.start}+${req.count}) breaks a rule`);
    if (k > 0) {
      const prev = plan[k - 1]!;
      const order = AREA_ORDER.indexOf(prev.area) - AREA_ORDER.indexOf(req.area);
      assert.ok(order < 0 || (order === 0 && prev.start <= req.start), `requests ${k - 1} and ${k} are out of order`);
    }
  }
  seen.forEach((n, i) => assert.equal(n, 1, `input ${i} (${addrs[i]!.key}) is in ${n} requests`));
  return plan;
}

const REGISTER_SHAPES = ['', ':float32', ':float64:CDAB', ':string:3', ':int16', ':uint32:DCBA'];

interface Case {
  addrs: ResolvedAddress[];
  limits: PlanLimits;
  cost: TransportCost;
  known: KnownHoles | undefined;
}

function randomCase(random: () => number): Case {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const limits: PlanLimits = { maxRegisters: int(4, 12), maxBits: int(1, 20) };
  if (random() < 0.5) limits.maxRegisterGap = int(0, 4);
  if (random() < 0.5) limits.maxBitGap = int(0, 6);
  const costs = [tcpCost(), rtuCost({ baudRate: 9600 }), rtuCost({ baudRate: 115200, turnaroundMs: 0 })];
  // Mostly arbitrary costs: a request worth anything from half a byte to 40 bytes.
  const cost = random() < 0.3 ? costs[int(0, costs.length - 1)]! : { requestS: 1, byteS: random() < 0.1 ? 0 : 1 / (0.5 + random() * 40) };
  const addrs: ResolvedAddress[] = [];
  const n = int(1, 13);
  for (let i = 0; i < n; i++) {
    const area = AREA_ORDER[int(0, 3)]!;
    // A narrow address window makes duplicates, overlaps and nesting common.
    const address = int(0, isBitArea(area) ? 40 : 24);
    const s = isBitArea(area) ? '' : REGISTER_SHAPES[int(0, REGISTER_SHAPES.length - 1)]!;
    addrs.push(resolveAddress(`${area}:${address}${s}`));
  }
  let known: KnownHoles | undefined;
  if (random() < 0.4) {
    const unreadable: Partial<Record<ModbusArea, AddressRange[]>> = {};
    const cuts: Partial<Record<ModbusArea, number[]>> = {};
    for (const area of AREA_ORDER) {
      const ranges: AddressRange[] = [];
      for (let p = int(0, 12); p < 40; p += int(3, 16)) {
        const end = p + int(0, 2);
        ranges.push({ start: p, end });
        p = end + 1;
      }
      unreadable[area] = ranges;
      cuts[area] = [int(1, 30), int(31, 40)];
    }
    known = holes(unreadable, cuts, random() < 0.5 ? { holding: int(1, 6), coil: int(1, 8) } : {});
  }
  return { addrs, limits, cost, known };
}

// ---------------------------------------------------------------------------------------------

describe('planReads', () => {
  it('plans nothing for no addresses', () => {
    assert.deepEqual(planReads([], FULL), []);
  });

  it('reads the 14 scattered registers, coils and inputs of the issue in 3 requests, not 10', () => {
    // 14 holding registers in pairs spread over 121 registers, two coils, two inputs.
    const holding = [0, 1, 20, 21, 40, 41, 60, 61, 80, 81, 100, 101, 119, 120].map((a) => `holding:${a}`);
    const addrs = at(...holding, 'coil:3', 'coil:40', 'input:7', 'input:11');
    const capped = checkPlan(addrs, { ...FULL, maxRegisterGap: 8, maxBitGap: 32 });
    assert.equal(capped.length, 10, 'with the old gap cap of 8 and 32 each pair is a request of its own');
    const plan = checkPlan(addrs, FULL);
    assert.deepEqual(shape(plan), ['coil:3+38', 'input:7+5', 'holding:0+121']);
  });

  it('on TCP, reads through any gap that fits one request, and takes the fewest bytes among the fewest requests', () => {
    assert.deepEqual(shape(checkPlan(at('holding:0', 'holding:124'), FULL)), ['holding:0+125']);
    assert.deepEqual(shape(checkPlan(at('holding:0', 'holding:125'), FULL)), ['holding:0+1', 'holding:125+1']);
    // Two requests either way: 0-60, then 125 alone, reads fewer registers than 0-1, then 60-125.
    const plan = checkPlan(at('holding:0:float32', 'holding:60', 'holding:125'), FULL);
    assert.deepEqual(shape(plan), ['holding:0+61', 'holding:125+1']);
  });

  it('on a serial line, bridges a gap exactly when its bytes cost less than a request', () => {
    for (const cost of [rtuCost({ baudRate: 9600 }), rtuCost({ baudRate: 19200, parity: 'none' }), rtuCost({ baudRate: 115200, turnaroundMs: 2 })]) {
      // Bridging g registers costs 2g bytes; a second request costs requestS plus nothing more.
      const widest = Math.floor(cost.requestS / (2 * cost.byteS));
      assert.ok(widest >= 1 && widest < 120, `${widest}`);
      assert.equal(checkPlan(at('holding:0', `holding:${widest + 1}`), FULL, cost).length, 1, `gap ${widest} at ${JSON.stringify(cost)}`);
      assert.equal(checkPlan(at('holding:0', `holding:${widest + 2}`), FULL, cost).length, 2, `gap ${widest + 1} at ${JSON.stringify(cost)}`);
    }
    // 9600 baud 8E1, 5 ms turnaround: bridges 12 unused registers, not 13.
    assert.equal(checkPlan(at('holding:0', 'holding:13'), FULL, rtuCost({ baudRate: 9600 })).length, 1);
    assert.equal(checkPlan(at('holding:0', 'holding:14'), FULL, rtuCost({ baudRate: 9600 })).length, 2);
  });

  it('a maxGap the device sets caps bridging, counted in addresses no tag uses', () => {
    const limits = { ...FULL, maxRegisterGap: 3 };
    const plan = checkPlan(at('holding:0', 'holding:1:float32', 'holding:6', 'holding:11'), limits);
    // 0..2 used, 3..5 unused (gap 3: bridged), 6 used, 7..10 unused (gap 4: not bridged).
    assert.deepEqual(plan, [
      { area: 'holding', start: 0, count: 7, members: [0, 1, 2] },
      { area: 'holding', start: 11, count: 1, members: [3] },
    ]);
    assert.deepEqual(shape(checkPlan(at('coil:0', 'coil:5', 'coil:11'), { ...FULL, maxBitGap: 4 })), ['coil:0+6', 'coil:11+1']);
  });

  it('never bridges over a known hole, and reads a value in a hole on its own', () => {
    const known = holes({ holding: [{ start: 10, end: 19 }], input: [{ start: 5, end: 5 }] }, { coil: [8] });
    const addrs = at('holding:5', 'holding:8:float32', 'holding:15', 'holding:15', 'holding:19:float32', 'holding:20', 'holding:40',
      'input:4', 'input:5', 'input:6', 'coil:7', 'coil:8', 'coil:9', 'coil:7');
    const plan = checkPlan(addrs, FULL, undefined, known);
    assert.deepEqual(plan.map((r) => `${r.area}:${r.start}+${r.count} [${r.members.join(',')}]`), [
      'coil:7+1 [10,13]', 'coil:8+2 [11,12]', // the cut at 8: 7 | 8-9
      'input:4+1 [7]', 'input:5+1 [8]', 'input:6+1 [9]',
      'holding:5+5 [0,1]', 'holding:15+1 [2,3]', 'holding:19+2 [4]', 'holding:20+21 [5,6]',
    ]);
  });

  it('reads no more at once than the device was found to accept; a longer value on its own', () => {
    const known = holes({}, {}, { holding: 10 });
    const addrs = at('holding:0', 'holding:9', 'holding:10', 'holding:12:string:12', 'holding:30');
    assert.deepEqual(shape(checkPlan(addrs, FULL, undefined, known)), ['holding:0+1', 'holding:9+2', 'holding:12+12', 'holding:30+1']);
  });

  it('lets duplicates and overlapping values share one request', () => {
    const addrs = at('holding:10', '40011', 'holding:10:float32', 'holding:11:int16', 'holding:10.3', 'hr:10:float64:CDAB');
    assert.deepEqual(checkPlan(addrs, FULL), [{ area: 'holding', start: 10, count: 4, members: [0, 1, 2, 3, 4, 5] }]);
  });

  it('keeps areas apart and orders requests by area, then start', () => {
    const addrs = at('holding:5', 'coil:5', 'input:5', 'discrete:5', 'holding:0', 'coil:0');
    const plan = checkPlan(addrs, { ...FULL, maxRegisterGap: 0, maxBitGap: 0 });
    assert.deepEqual(shape(plan), ['coil:0+1', 'coil:5+1', 'discrete:5+1', 'input:5+1', 'holding:0+1', 'holding:5+1']);
  });

  it('never splits a value and never exceeds 125 registers per request', () => {
    // 70 float32 back to back: 140 registers. No request may cut the value at 124-125 in two.
    const addrs = Array.from({ length: 70 }, (_, i) => resolveAddress(`holding:${2 * i}:float32`));
    const plan = checkPlan(addrs, FULL);
    assert.equal(plan.length, 2);
    assert.equal(plan[0]!.count + plan[1]!.count, 140);
  });

  it('reads up to 2000 coils per request', () => {
    const addrs = Array.from({ length: 2500 }, (_, i) => resolveAddress(`coil:${i}`));
    const plan = checkPlan(addrs, FULL);
    assert.equal(plan.length, 2);
    assert.equal(plan[0]!.count + plan[1]!.count, 2500);
  });

  it('hand-checked cases agree with the exhaustive search', () => {
    // The float64 at 1..4 cannot share a 4-register request with 0; the uint16 at 2 lies inside it.
    const nested = at('holding:0', 'holding:1:float64', 'holding:2', 'holding:5');
    const fewest = { requestS: 1, byteS: 0 };
    const r = (maxSpan: number): Rules => ({ maxSpan, maxCount: Infinity, maxGap: 0, unreadable: [], cuts: [] });
    assert.equal(cheapest(nested, r(4), fewest, 'holding'), 3);
    assert.equal(checkPlan(nested, { ...FULL, maxRegisters: 4, maxRegisterGap: 0 }, fewest).length, 3);
    // Five registers per request take 0..4 at once; six take everything.
    assert.equal(cheapest(nested, r(5), fewest, 'holding'), 2);
    assert.equal(checkPlan(nested, { ...FULL, maxRegisters: 5, maxRegisterGap: 0 }, fewest).length, 2);
    assert.equal(cheapest(nested, r(6), fewest, 'holding'), 1);
    assert.equal(checkPlan(nested, { ...FULL, maxRegisters: 6, maxRegisterGap: 0 }, fewest).length, 1);
    // Overlapping values no single request can hold: the best two requests overlap too.
    const straddle = at('holding:0', 'holding:0:float64', 'holding:2:float64', 'holding:5');
    assert.equal(cheapest(straddle, r(4), fewest, 'holding'), 2);
    assert.deepEqual(shape(checkPlan(straddle, { ...FULL, maxRegisters: 4 }, fewest)), ['holding:0+4', 'holding:2+4']);
  });

  it('costs the least possible (exhaustive search on 3000 seeded random cases)', () => {
    const random = seeded(20240611);
    for (let c = 0; c < 3000; c++) {
      const { addrs, limits, cost, known } = randomCase(random);
      const plan = checkPlan(addrs, limits, cost, known);
      let least = 0;
      for (const area of AREA_ORDER) {
        const items = addrs.filter((a) => a.area === area);
        if (items.length > 0) least += cheapest(items, rulesOf(area, limits, known), cost, area);
      }
      const shown = () => `case ${c}: ${addrs.map((a) => a.key).join(', ')} with ${JSON.stringify({ limits, cost })}: ${shape(plan).join(' ')}`;
      assert.ok(Math.abs(planCost(plan, cost) - least) <= 1e-9 * least, `${shown()} costs ${planCost(plan, cost)}, the least is ${least}`);
    }
  });

  it('plans large scans in one pass with every promise kept (no quadratic step)', function () {
    this.timeout(60_000);
    const random = seeded(7);
    const scattered: ResolvedAddress[] = [];
    for (let i = 0; i < 20_000; i++) {
      const area = AREA_ORDER[Math.floor(random() * 4)]!;
      const address = Math.floor(random() * 60_000);
      const s = isBitArea(area) ? '' : REGISTER_SHAPES[Math.floor(random() * REGISTER_SHAPES.length)]!;
      scattered.push(resolveAddress(`${area}:${address}${s}`));
    }
    const dense = Array.from({ length: 65_536 }, (_, i) => resolveAddress(`coil:${i}`));
    const registers = Array.from({ length: 30_000 }, (_, i) => resolveAddress(`holding:${i * 2}:float32`));
    const holey: Partial<Record<ModbusArea, AddressRange[]>> = { holding: [] };
    for (let p = 5; p < 60_000; p += 37) holey.holding!.push({ start: p, end: p + 2 });
    for (const [name, addrs, cost, known] of [
      ['20,000 scattered, TCP', scattered, tcpCost(), undefined],
      ['20,000 scattered, 9600 baud', scattered, rtuCost({ baudRate: 9600 }), undefined],
      ['65,536 coils', dense, tcpCost(), undefined],
      ['30,000 float32 around 1,600 holes', registers, tcpCost(), holes(holey)],
    ] as const) {
      // CPU time, not wall time: other processes share the machine. Reported, never asserted.
      const cpu0 = process.cpuUsage();
      const plan = planReads(addrs, FULL, { cost, holes: known });
      const cpu = process.cpuUsage(cpu0);
      checkPlan(addrs, FULL, cost, known);
      console.log(`      ${name}: ${plan.length} requests, planned in ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms of CPU`);
    }
  });

  it('refuses limits and costs outside what makes sense', () => {
    assert.throws(() => planReads([], { ...FULL, maxRegisters: 126 }), /maxRegisters/);
    assert.throws(() => planReads([], { ...FULL, maxRegisters: 0 }), /maxRegisters/);
    assert.throws(() => planReads([], { ...FULL, maxBits: 2001 }), /maxBits/);
    assert.throws(() => planReads([], { ...FULL, maxRegisterGap: -1 }), /maxRegisterGap/);
    assert.throws(() => planReads([], { ...FULL, maxBitGap: 1.5 }), /maxBitGap/);
    assert.throws(() => planReads([], FULL, { cost: { requestS: 0, byteS: 1 } }), /requestS/);
    assert.throws(() => planReads([], FULL, { cost: { requestS: 1, byteS: NaN } }), /byteS/);
  });

  it('says which value cannot fit in one request', () => {
    assert.throws(() => planReads(at('holding:0:string:20'), { ...FULL, maxRegisters: 10 }), /holding:0:string:20.*20.*10/);
  });
});

describe('transport costs', () => {
  it('RTU: 11 bits per character at 8E1 and 8N2, 3.5-character silences, 8-byte requests, 5 + data byte answers', () => {
    const char = 11 / 9600;
    const c = rtuCost({ baudRate: 9600 });
    assert.ok(Math.abs(c.byteS - char) < 1e-15);
    assert.ok(Math.abs(c.requestS - ((8 + 5) * char + 2 * 3.5 * char + 0.005)) < 1e-12);
    assert.deepEqual(rtuCost({ baudRate: 9600, parity: 'none' }), c, '8N2 has 11 bits too');
    assert.ok(Math.abs(rtuCost({ baudRate: 9600, parity: 'none', stopBits: 1 }).byteS - 10 / 9600) < 1e-15);
    // Above 19200 baud the silences are fixed at 1.75 ms.
    const fast = rtuCost({ baudRate: 38400, turnaroundMs: 0 });
    assert.ok(Math.abs(fast.requestS - (13 * (11 / 38400) + 0.0035)) < 1e-12);
    assert.throws(() => rtuCost({ baudRate: 0 }), /baudRate/);
    assert.throws(() => rtuCost({ baudRate: 9600, turnaroundMs: -1 }), /turnaroundMs/);
  });

  it('TCP: the round trip dominates; a request is worth more bytes than one can carry', () => {
    const c = tcpCost();
    assert.ok(c.requestS > 1e-3 && c.requestS < 1.1e-3);
    assert.ok(c.requestS / c.byteS > 250 * 10);
    assert.ok(tcpCost({ roundTripMs: 10 }).requestS > 10e-3);
    assert.throws(() => tcpCost({ roundTripMs: 0 }), /roundTripMs/);
  });

  it('counts answer data bytes: 2 per register, 1 per 8 bits', () => {
    assert.equal(answerDataBytes('holding', 10), 20);
    assert.equal(answerDataBytes('input', 1), 2);
    assert.equal(answerDataBytes('coil', 8), 1);
    assert.equal(answerDataBytes('discrete', 9), 2);
  });
});
