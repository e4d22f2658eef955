import { strict as assert } from 'node:assert';
import ModbusRTU from 'modbus-serial';
import type { ModbusArea } from '../../gateway/protocol';
import { resolveAddress, type ResolvedAddress } from '../../gateway/modbus/address';
import { decodeBit, decodeRegisters } from '../../gateway/modbus/codec';
import { ModbusTcpSimulator, parseHoleMap } from '../../gateway/sim/modbusServer';
import { HoleMemory, isSplittableModbusError, readSplitting, splitRead, type PartResult, type ReadData } from '../../gateway/modbus/holes';
import { planReads, rtuCost, type PlanLimits, type PlannedRead } from '../../gateway/modbus/planner';
import { seeded } from './seeded';

const FULL: PlanLimits = { maxRegisters: 125, maxBits: 2000 };
const at = (...refs: string[]): ResolvedAddress[] => refs.map((r) => resolveAddress(r));
const isBitArea = (area: ModbusArea) => area === 'coil' || area === 'discrete';
const endOf = (a: ResolvedAddress) => a.address + a.count - 1;

/** An error as modbus-serial rejects with for a Modbus exception. */
function exception(code: number): Error {
  return Object.assign(new Error(`Modbus exception ${code}`), { modbusCode: code });
}

/**
 * A device in memory: the value at every address is address * 3 + 1 (bits: odd addresses on);
 * reads touching a hole answer exception 2, reads longer than `maxCount` exception 3.
 */
class FakeDevice {
  readonly log: string[] = [];
  failures = 0;
  constructor(
    private readonly holes: Partial<Record<ModbusArea, ReadonlySet<number>>>,
    private readonly maxCount = Infinity,
  ) {}

  readonly read = (area: ModbusArea, start: number, count: number): Promise<ReadData> => {
    this.log.push(`${area}:${start}+${count}`);
    if (count > this.maxCount) return this.fail(3);
    for (let p = start; p < start + count; p++) if (this.holes[area]?.has(p)) return this.fail(2);
    const data = Array.from({ length: count }, (_, i) => (isBitArea(area) ? (start + i) % 2 === 1 : ((start + i) * 3 + 1) & 0xffff));
    return Promise.resolve(data as ReadData);
  };

  /** Whether a value reads on its own. */
  readable(a: ResolvedAddress): boolean {
    if (a.count > this.maxCount) return false;
    for (let p = a.address; p <= endOf(a); p++) if (this.holes[a.area]?.has(p)) return false;
    return true;
  }

  private fail(code: number): Promise<never> {
    this.failures++;
    return Promise.reject(exception(code));
  }
}

const range = (from: number, to: number) => new Set(Array.from({ length: to - from + 1 }, (_, i) => from + i));

/** One scan: plan (consulting memory), read every request with splitting; what each address got. */
async function scan(addrs: ResolvedAddress[], device: FakeDevice, memory: HoleMemory, limits = FULL) {
  const outcome = new Array<{ part: PlannedRead; data?: ReadData; error?: unknown }>(addrs.length);
  const plan = planReads(addrs, limits, { holes: memory });
  for (const req of plan) {
    for (const r of await readSplitting(req, addrs, device.read, memory)) {
      for (const m of r.req.members) {
        assert.equal(outcome[m], undefined, `${addrs[m]!.key} reported twice`);
        assert.ok(req.members.includes(m), `${addrs[m]!.key} came back from a read that did not plan it`);
        outcome[m] = 'data' in r ? { part: r.req, data: r.data } : { part: r.req, error: r.error };
      }
    }
  }
  return { plan, outcome };
}

/** Checks every address got what the device really holds: its value, or its own error. */
function checkOutcome(addrs: ResolvedAddress[], device: FakeDevice, outcome: Awaited<ReturnType<typeof scan>>['outcome']): void {
  addrs.forEach((a, i) => {
    const o = outcome[i];
    assert.ok(o, `${a.key} got no result`);
    if (device.readable(a)) {
      assert.ok(o.data, `${a.key} is readable but got ${String(o.error)}`);
      const p = a.address - o.part.start;
      assert.ok(p >= 0 && a.address + a.count <= o.part.start + o.part.count, `${a.key} outside its part`);
      const expected = isBitArea(a.area) ? a.address % 2 === 1 : (a.address * 3 + 1) & 0xffff;
      assert.equal(o.data[p], expected, `${a.key}`);
    } else {
      assert.ok(o.error, `${a.key} is in a hole but got data`);
      assert.ok(isSplittableModbusError(o.error));
      // Its own error: the part that failed reads nothing but this value (and its duplicates).
      assert.equal(o.part.start, a.address);
      assert.equal(o.part.count, a.count);
    }
  });
}

describe('readSplitting', () => {
  it('passes a successful read through as one part', async () => {
    const addrs = at('holding:0', 'holding:5');
    const device = new FakeDevice({});
    const [req] = planReads(addrs, FULL);
    const parts = await readSplitting(req!, addrs, device.read);
    assert.equal(parts.length, 1);
    assert.deepEqual(parts[0]!.req, req);
    assert.deepEqual(device.log, ['holding:0+6']);
  });

  it('splits a bridged read at the hole, keeps its neighbours good and never bridges the hole again', async () => {
    const addrs = at('holding:5', 'holding:8:float32', 'holding:25', 'holding:30');
    const device = new FakeDevice({ holding: range(10, 19) });
    const memory = new HoleMemory();
    const first = await scan(addrs, device, memory);
    checkOutcome(addrs, device, first.outcome);
    assert.deepEqual(device.log, ['holding:5+26', 'holding:5+5', 'holding:25+6']);
    assert.deepEqual(memory.unreadable('holding').map((r) => [r.start, r.end]), [[10, 24]]);

    device.log.length = 0;
    const second = await scan(addrs, device, memory);
    checkOutcome(addrs, device, second.outcome);
    assert.deepEqual(device.log, ['holding:5+5', 'holding:25+6'], 'the second scan plans around the hole');
  });

  it('gives a value inside a hole its own error and the others their values', async () => {
    const addrs = at('holding:5', 'holding:15', 'holding:15', 'holding:18:float32', 'holding:19:float32', 'holding:25', 'coil:3', 'coil:4');
    const device = new FakeDevice({ holding: range(10, 19), coil: new Set([4]) });
    const memory = new HoleMemory();
    checkOutcome(addrs, device, (await scan(addrs, device, memory)).outcome);
    const failuresBefore = device.failures;
    device.log.length = 0;
    const second = await scan(addrs, device, memory);
    checkOutcome(addrs, device, second.outcome);
    // From now on only the values in holes fail, each once, each read on its own.
    assert.equal(device.failures - failuresBefore, 4);
    assert.deepEqual(device.log.sort(), ['coil:3+1', 'coil:4+1', 'holding:15+1', 'holding:18+2', 'holding:19+2', 'holding:25+1', 'holding:5+1'].sort());
  });

  it('splits between neighbours that touch, and remembers the place as a cut', async () => {
    // The device refuses reads across 10 (as a device with two register blocks does).
    const addrs = at('holding:8', 'holding:9', 'holding:10', 'holding:11');
    const memory = new HoleMemory();
    const log: string[] = [];
    const read = (_area: ModbusArea, start: number, count: number) => {
      log.push(`${start}+${count}`);
      return start < 10 && start + count > 10 ? Promise.reject(exception(2)) : Promise.resolve(new Array<number>(count).fill(7));
    };
    const parts = await readSplitting(planReads(addrs, FULL)[0]!, addrs, read, memory);
    assert.deepEqual(parts.map((p) => `${p.req.start}+${p.req.count}:${'data' in p ? 'ok' : 'error'}`), ['8+2:ok', '10+2:ok']);
    assert.deepEqual(memory.cuts('holding'), [10]);
    assert.deepEqual(planReads(addrs, FULL, { holes: memory }).map((r) => `${r.start}+${r.count}`), ['8+2', '10+2']);
    assert.deepEqual(log, ['8+4', '8+2', '10+2']);
  });

  it('finds how long a read a device accepts when it refuses longer ones with exception 3', async () => {
    const addrs = at(...Array.from({ length: 12 }, (_, i) => `holding:${i * 10}`));
    const device = new FakeDevice({}, 40);
    const memory = new HoleMemory();
    const failures: number[] = [];
    for (let s = 0; s < 6; s++) {
      const before = device.failures;
      checkOutcome(addrs, device, (await scan(addrs, device, memory)).outcome);
      failures.push(device.failures - before);
    }
    assert.ok(failures[0]! > 0);
    assert.deepEqual(failures.slice(3), [0, 0, 0], `failures per scan: ${failures.join(', ')}`);
    // Somewhere from the longest read that helps (4 tags: 31 registers) to the device's limit.
    const cap = memory.maxCount('holding')!;
    assert.ok(cap >= 31 && cap <= 40, `${cap}`);
    assert.deepEqual(memory.unreadable('holding'), [], 'no hole was made up');
    assert.deepEqual(planReads(addrs, FULL, { holes: memory }).map((r) => `${r.start}+${r.count}`), ['0+31', '40+31', '80+31']);
  });

  it('reads overlapping values one by one when no place separates them', async () => {
    // float32 at 0 and at 1 overlap; the one at 1 touches the hole at 2.
    const addrs = at('holding:0:float32', 'holding:1:float32', 'holding:0');
    const device = new FakeDevice({ holding: new Set([2]) });
    const memory = new HoleMemory();
    const req = planReads(addrs, FULL)[0]!;
    assert.deepEqual(splitRead(req, addrs)?.parts.map((p) => `${p.start}+${p.count} [${p.members.join(',')}]`), ['0+1 [2]', '0+2 [0]', '1+2 [1]']);
    const parts = await readSplitting(req, addrs, device.read, memory);
    assert.deepEqual(parts.map((p) => `${p.req.start}+${p.req.count}:${'data' in p ? 'ok' : 'error'}`), ['0+1:ok', '0+2:ok', '1+2:error']);
    assert.deepEqual(memory.unreadable('holding').map((r) => [r.start, r.end]), [[1, 2]]);
  });

  it('passes other errors through unchanged and still tries the other parts', async () => {
    const addrs = at('holding:0', 'holding:20', 'holding:40');
    const timeout = new Error('Timed out');
    const log: string[] = [];
    const read = (_area: ModbusArea, start: number, count: number) => {
      log.push(`${start}+${count}`);
      if (count > 1) return Promise.reject(exception(2));
      return start === 20 ? Promise.reject(timeout) : Promise.resolve([1]);
    };
    const memory = new HoleMemory();
    const parts = await readSplitting(planReads(addrs, FULL)[0]!, addrs, read, memory);
    const errorOf = (p: PartResult) => ('error' in p ? p.error : undefined);
    assert.equal(errorOf(parts.find((p) => p.req.start === 20)!), timeout);
    assert.deepEqual(parts.filter((p) => 'data' in p).map((p) => p.req.start), [0, 40]);
    assert.deepEqual(log, ['0+41', '0+1', '20+21', '20+1', '40+1']);
    // Nothing is learned from a timeout: 20 is not a hole, and the gaps were never proven bad.
    assert.deepEqual(memory.unreadable('holding'), []);
    // And an error of another kind on the first read is the whole read's result.
    const whole = await readSplitting(planReads(addrs, FULL)[0]!, addrs, () => Promise.reject(timeout), memory);
    assert.equal(whole.length, 1);
    assert.equal(errorOf(whole[0]!), timeout);
    assert.deepEqual(whole[0]!.req.members, [0, 1, 2]);
  });

  it('keeps every promise on random tags and holes, and stops failing within a few scans (300 seeded cases)', async () => {
    const random = seeded(99);
    const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    const shapes = ['', ':float32', ':int16', ':float64', ':string:3'];
    for (let c = 0; c < 300; c++) {
      const addrs: ResolvedAddress[] = [];
      for (let i = int(1, 25); i > 0; i--) {
        const area = (['coil', 'holding', 'input'] as const)[int(0, 2)];
        addrs.push(resolveAddress(`${area}:${int(0, 120)}${isBitArea(area) ? '' : shapes[int(0, shapes.length - 1)]}`));
      }
      const holes: Partial<Record<ModbusArea, Set<number>>> = {};
      for (const area of ['coil', 'holding', 'input'] as const) {
        holes[area] = new Set();
        for (let h = int(0, 4); h > 0; h--) for (let p = int(0, 120), e = p + int(0, 8); p <= e; p++) holes[area].add(p);
      }
      const device = new FakeDevice(holes, random() < 0.3 ? int(6, 40) : Infinity);
      const memory = new HoleMemory();
      const limits: PlanLimits = random() < 0.5 ? FULL : { ...FULL, maxRegisterGap: int(0, 10) };
      const bad = addrs.filter((a) => !device.readable(a)).length;
      let settled = false;
      for (let s = 0; s < 8 && !settled; s++) {
        const before = device.failures;
        checkOutcome(addrs, device, (await scan(addrs, device, memory, limits)).outcome);
        // Settled: the only failures are the values that cannot be read, one request each.
        settled = device.failures - before === new Set(addrs.filter((a) => !device.readable(a)).map((a) => `${a.area}:${a.address}+${a.count}`)).size;
      }
      assert.ok(settled, `case ${c}: still failing after 8 scans (${bad} values in holes)`);
    }
  });

  it('splits with a cost model that bridges little, too', async () => {
    const addrs = at('holding:0', 'holding:6', 'holding:12');
    const device = new FakeDevice({ holding: new Set([3]) });
    const memory = new HoleMemory();
    const cost = rtuCost({ baudRate: 9600 });
    const plan = planReads(addrs, FULL, { cost, holes: memory });
    assert.deepEqual(plan.map((r) => `${r.start}+${r.count}`), ['0+13']);
    const parts = await readSplitting(plan[0]!, addrs, device.read, memory);
    assert.deepEqual(parts.map((p) => `${p.req.start}+${p.req.count}:${'data' in p ? 'ok' : 'error'}`), ['0+1:ok', '6+7:ok']);
    assert.deepEqual(planReads(addrs, FULL, { cost, holes: memory }).map((r) => `${r.start}+${r.count}`), ['0+1', '6+7']);
  });
});

describe('HoleMemory', () => {
  it('merges ranges, forgets what a successful read disproves, and cuts inside it', () => {
    const m = new HoleMemory();
    m.learnUnreadable('holding', 10, 12);
    m.learnUnreadable('holding', 13, 15);
    m.learnUnreadable('holding', 20, 20);
    m.learnUnreadable('input', 0, 0);
    assert.deepEqual(m.unreadable('holding').map((r) => [r.start, r.end]), [[10, 15], [20, 20]]);
    m.learnReadable('holding', 12, 13);
    assert.deepEqual(m.unreadable('holding').map((r) => [r.start, r.end]), [[10, 11], [14, 15], [20, 20]]);
    m.learnCut('holding', 30);
    m.learnCut('holding', 30);
    m.learnCut('holding', 40);
    assert.deepEqual(m.cuts('holding'), [30, 40]);
    m.learnReadable('holding', 29, 30); // a read of 29-30 crossed 30
    assert.deepEqual(m.cuts('holding'), [40]);
    m.learnReadable('holding', 40, 41); // starts at 40: does not cross it
    assert.deepEqual(m.cuts('holding'), [40]);
    assert.equal(m.size, 5);
    assert.deepEqual(m.unreadable('input').map((r) => [r.start, r.end]), [[0, 0]]);
    m.clear();
    assert.equal(m.size, 0);
    assert.deepEqual(m.unreadable('holding'), []);
  });

  it('is bounded: the oldest entries go first', () => {
    const m = new HoleMemory(3);
    m.learnUnreadable('holding', 0, 0);
    m.learnCut('coil', 5);
    m.learnUnreadable('holding', 10, 10);
    m.learnUnreadable('holding', 20, 20);
    assert.equal(m.size, 3);
    assert.deepEqual(m.unreadable('holding').map((r) => r.start), [10, 20]);
    assert.deepEqual(m.cuts('coil'), [5]);
    m.learnCut('coil', 6);
    assert.deepEqual(m.cuts('coil'), [6]);
    assert.throws(() => m.learnUnreadable('holding', 5, 4), RangeError);
    assert.throws(() => new HoleMemory(0), RangeError);
  });

  it('takes exceptions 2 and 3 as splittable, nothing else', () => {
    assert.ok(isSplittableModbusError(exception(2)));
    assert.ok(isSplittableModbusError(exception(3)));
    assert.ok(!isSplittableModbusError(exception(4)));
    assert.ok(!isSplittableModbusError(exception(6)));
    assert.ok(!isSplittableModbusError(new Error('Timed out')));
    assert.ok(!isSplittableModbusError(null));
    assert.ok(!isSplittableModbusError({ modbusCode: '2' }));
  });
});

describe('readSplitting and the planner against the simulator with a hole map', () => {
  let sim: ModbusTcpSimulator;
  let c: ModbusRTU;

  beforeEach(async () => {
    sim = new ModbusTcpSimulator({ holes: parseHoleMap('holding:10-19,holding:40,input:5,coil:8-9') });
    const port = await sim.start();
    c = new ModbusRTU();
    await c.connectTCP('127.0.0.1', { port });
    c.setID(1);
    c.setTimeout(2000);
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => (c.isOpen ? c.close(() => resolve()) : resolve()));
    await sim.stop();
  });

  /** What the device's read function does: one Modbus request; modbus-serial's errors carry modbusCode. */
  const read = async (area: ModbusArea, start: number, count: number): Promise<ReadData> => {
    switch (area) {
      case 'coil':
        return (await c.readCoils(start, count)).data.slice(0, count);
      case 'discrete':
        return (await c.readDiscreteInputs(start, count)).data.slice(0, count);
      case 'input':
        return (await c.readInputRegisters(start, count)).data;
      case 'holding':
        return (await c.readHoldingRegisters(start, count)).data;
    }
  };

  it('keeps good tags good and tags in holes bad with exception 2; the second scan reads around the holes', async () => {
    for (let i = 0; i < 200; i++) {
      sim.holdings[i] = 1000 + i;
      sim.inputs[i] = 2000 + i;
      sim.coils[i] = i % 2;
    }
    const addrs = at(
      'holding:0', 'holding:3', 'holding:8', 'holding:9', 'holding:12', 'holding:15:int32', 'holding:20', 'holding:25',
      'holding:39', 'holding:40', 'holding:41', 'holding:60', 'holding:100:uint32', 'holding:120',
      'input:0', 'input:4', 'input:5', 'input:6', 'input:30', 'coil:1', 'coil:7', 'coil:8', 'coil:12',
    );
    const inHole = new Set(['holding:12', 'holding:15:int32', 'holding:40', 'input:5', 'coil:8']);
    const memory = new HoleMemory();
    const reads: string[] = [];
    sim.onRead = (area, address, count) => reads.push(`${area}:${address}+${count}`);

    const scanOnce = async () => {
      reads.length = 0;
      const plan = planReads(addrs, FULL, { holes: memory });
      const got = new Map<string, unknown>();
      for (const req of plan) {
        for (const part of await readSplitting(req, addrs, read, memory)) {
          for (const m of part.req.members) {
            const a = addrs[m]!;
            if ('error' in part) got.set(a.key, part.error);
            else {
              // Decoded from its own part, exactly as from an unsplit read.
              const at = a.address - part.req.start;
              got.set(a.key, isBitArea(a.area) ? decodeBit(part.data as boolean[], at) : decodeRegisters(a, part.data as number[], at));
            }
          }
        }
      }
      return { plan, got };
    };

    const check = (got: Map<string, unknown>) => {
      for (const a of addrs) {
        const v = got.get(a.key);
        if (inHole.has(a.key)) {
          assert.equal((v as { modbusCode?: number }).modbusCode, 2, `${a.key}: ${String(v)}`);
        } else if (a.area === 'coil') {
          assert.equal(v, a.address % 2 === 1, a.key);
        } else if (a.type === 'uint32') {
          assert.equal(v, (1000 + a.address) * 65536 + 1000 + a.address + 1, a.key);
        } else {
          assert.equal(v, (a.area === 'holding' ? 1000 : 2000) + a.address, a.key);
        }
      }
    };

    const first = await scanOnce();
    check(first.got);
    assert.ok(reads.length > first.plan.length, 'the first scan split reads that met holes');

    const second = await scanOnce();
    check(second.got);
    assert.equal(reads.length, second.plan.length, 'the second scan splits nothing');
    const holes = parseHoleMap('holding:10-19,holding:40,input:5,coil:8-9');
    const own = new Set(addrs.filter((a) => inHole.has(a.key)).map((a) => `${a.area}:${a.address}+${a.count}`));
    for (const r of reads) {
      const [area, span] = r.split(':') as [ModbusArea, string];
      const [start, count] = span.split('+').map(Number) as [number, number];
      const touches = holes.some((h) => h.area === area && h.start <= start + count - 1 && h.end >= start);
      // The only reads that touch a hole are those of a tag inside one, alone.
      if (touches) assert.ok(own.has(r), `${r} touches a hole`);
    }
    assert.equal(reads.filter((r) => own.has(r)).length, own.size);
    // Few requests: the good tags in 3 holding, 2 input and 2 coil reads around the holes.
    assert.deepEqual(second.plan.map((r) => `${r.area}:${r.start}+${r.count}`), [
      'coil:1+7', 'coil:8+1', 'coil:12+1',
      'input:0+5', 'input:5+1', 'input:6+25',
      'holding:0+10', 'holding:12+1', 'holding:15+2', 'holding:20+20', 'holding:40+1', 'holding:41+80',
    ]);
  });
});
