/**
 * Device answers fuzzed: each read of four holding registers gets a generated answer in place of
 * the device's, well framed (a right CRC on the serial line, a consistent MBAP header over TCP,
 * where the category does not say otherwise) so that it reaches the gateway's checks of the
 * content: right answers with random values, wrong function codes, exceptions, wrong byte counts,
 * wrong unit ids, random PDUs, answers cut short, answers too long.
 *
 * The oracle knows each answer it sent: a read is good exactly when its answer was a right answer
 * to it, and then it carries the values that answer held; every other read is bad, with a reason
 * and no value. The gateway stays up, and the device is good again afterwards. The seed is
 * printed on failure; BIFROST_FUZZ_SEED replays one.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import type { TagReading, TagsReadResult } from '../../gateway/protocol';
import { serialOpener } from '../../gateway/modbus/rtuStreams';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import { RtuSimulator } from '../../gateway/sim/rtuSimulator';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { ptysClosed, startGateway, tcpDevice, waitFor } from '../integration/harness';
import { seeded } from '../unit/seeded';
import { FaultProxy, modbusTcpFrames } from './faultProxy';

const SEED = Number(process.env['BIFROST_FUZZ_SEED'] ?? 20261203);
const RTU_ANSWERS = Number(process.env['BIFROST_FUZZ_RTU_ANSWERS'] ?? 300);
const TCP_DEVICES = 4;
const TCP_ANSWERS_EACH = Number(process.env['BIFROST_FUZZ_TCP_ANSWERS'] ?? 100);
const REGISTERS = 4;
const TAGS = Array.from({ length: REGISTERS }, (_, i) => `holding:${i}`);

type Category = 'right' | 'function code' | 'exception' | 'byte count' | 'unit id' | 'random' | 'cut short' | 'too long';
const CATEGORIES: Category[] = ['right', 'function code', 'exception', 'byte count', 'unit id', 'random', 'cut short', 'too long'];
/**
 * How often each comes, out of 100: an answer cut short costs a timeout and, on the serial line,
 * as long again before the unit is asked again.
 */
const WEIGHTS: Record<Category, number> = { right: 25, 'function code': 12, exception: 12, 'byte count': 12, 'unit id': 10, random: 21, 'cut short': 2, 'too long': 6 };

/** A generated answer: unit id, then the PDU. */
function generate(rand: () => number, unit: number): { category: Category; answer: Buffer } {
  const byte = () => Math.floor(rand() * 256);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, byte));
  let pick = rand() * 100;
  let category: Category = 'random';
  for (const c of CATEGORIES) {
    pick -= WEIGHTS[c];
    if (pick < 0) {
      category = c;
      break;
    }
  }
  const right = () => Buffer.concat([Buffer.from([unit, 0x03, REGISTERS * 2]), bytes(REGISTERS * 2)]);
  switch (category) {
    case 'right':
      return { category, answer: right() };
    case 'function code': {
      let fc = byte();
      while (fc === 0x03 || fc === 0x83) fc = byte();
      return { category, answer: Buffer.concat([Buffer.from([unit, fc, REGISTERS * 2]), bytes(REGISTERS * 2)]) };
    }
    case 'exception':
      return { category, answer: Buffer.from([unit, 0x83, byte()]) };
    case 'byte count': {
      const n = Math.floor(rand() * 20);
      return { category, answer: Buffer.concat([Buffer.from([unit, 0x03, byte()]), bytes(n)]) };
    }
    case 'unit id': {
      let other = byte();
      while (other === unit) other = byte();
      const a = right();
      a[0] = other;
      return { category, answer: a };
    }
    case 'random':
      return { category, answer: Buffer.concat([Buffer.from([unit]), bytes(1 + Math.floor(rand() * 40))]) };
    case 'cut short':
      return { category, answer: right().subarray(0, 2 + Math.floor(rand() * (REGISTERS * 2))) };
    case 'too long':
      return { category, answer: Buffer.concat([right(), bytes(1 + Math.floor(rand() * 8))]) };
  }
}

/** The values a right answer to the read holds, or null when the answer is anything else. */
function rightValues(answer: Buffer, unit: number): number[] | null {
  if (answer.length !== 3 + REGISTERS * 2 || answer[0] !== unit || answer[1] !== 0x03 || answer[2] !== REGISTERS * 2) return null;
  return Array.from({ length: REGISTERS }, (_, i) => answer.readUInt16BE(3 + i * 2));
}

interface Tally {
  reads: number;
  /** Reads for which the gateway sent more than one request. */
  retried: number;
  good: number;
  bad: Map<string, number>;
  byCategory: Map<Category, { good: number; bad: number }>;
  violations: string[];
}

function newTally(): Tally {
  return { reads: 0, retried: 0, good: 0, bad: new Map(), byCategory: new Map(), violations: [] };
}

/** Checks one read against the answers sent for it (none when the link was down), and counts it. */
function judge(t: Tally, readings: readonly TagReading[], sent: readonly { category: Category; answer: Buffer }[], unit: number, where: string): void {
  t.reads++;
  const last = sent[sent.length - 1];
  const what = `${where}: ${sent.map((s) => `${s.category} ${s.answer.toString('hex')}`).join(' | ') || 'no answer sent'}`;
  const good = readings.every((r) => r.quality === 'good');
  if (sent.length > 1) {
    // The gateway asked again (a read split after an exception that names an address, or a
    // request after a timeout): each good value must be one a right answer to it held.
    t.retried++;
    const rights = sent.map((s) => rightValues(s.answer, unit)).filter((v): v is number[] => v !== null);
    readings.forEach((r, i) => {
      if (r.quality === 'good' && !rights.some((v) => v[i] === r.value)) t.violations.push(`${what}: read ${String(r.value)} at ${i}, which no right answer held`);
      if (r.quality !== 'good' && (r.value !== null || !r.error)) t.violations.push(`${what}: a bad reading with a value or without a reason`);
    });
    return;
  }
  const expected = last ? rightValues(last.answer, unit) : null;
  if (last) {
    const c = t.byCategory.get(last.category) ?? { good: 0, bad: 0 };
    if (good) c.good++;
    else c.bad++;
    t.byCategory.set(last.category, c);
  }
  if (expected) {
    if (!good) t.violations.push(`${what}: a right answer read as ${JSON.stringify(readings.map((r) => [r.quality, r.error]))}`);
    else if (readings.some((r, i) => r.value !== expected[i])) t.violations.push(`${what}: read ${JSON.stringify(readings.map((r) => r.value))}, the answer held ${JSON.stringify(expected)}`);
    else t.good++;
    return;
  }
  for (const r of readings) {
    if (r.quality === 'good') t.violations.push(`${what}: read good (${String(r.value)}) from an answer that is not a right one`);
    else if (r.value !== null) t.violations.push(`${what}: a bad reading carried ${String(r.value)}`);
    else if (!r.error) t.violations.push(`${what}: a bad reading without a reason`);
  }
  const reason = (readings[0]?.error ?? '').replace(/^[^:]+: /, '').replace(/\([^)]*\)/g, '').replace(/[0-9a-f]{6,}/g, 'HEX').replace(/\d+/g, 'N').slice(0, 60);
  t.bad.set(reason, (t.bad.get(reason) ?? 0) + 1);
}

function report(t: Tally, what: string): string {
  const cats = [...t.byCategory].map(([c, n]) => `${c} ${n.good}/${n.good + n.bad}`).join(', ');
  return `${what}: ${t.reads} reads, ${t.good} good, ${t.retried} asked again; good per category ${cats}`;
}

const hasSocat = spawnSync('socat', ['-V']).status === 0;

describe(`fuzzed device answers (seed ${SEED})`, function () {
  this.timeout(240_000);
  let gw: GatewayProcess;

  before(async () => {
    gw = await startGateway();
  });
  after(async () => {
    await gw?.close();
  });

  const read = async (deviceId: string) => (await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId, tags: TAGS })).results;

  (hasSocat ? it : it.skip)(`Modbus RTU: ${RTU_ANSWERS} generated answers on a serial line, each read judged`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-rtufuzz-'));
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
    const sim = new RtuSimulator([1], { holdings: REGISTERS });
    let far: Duplex | undefined;
    try {
      await waitFor('socat ptys', () => existsSync(a) && existsSync(b), 5000);
      far = await serialOpener({ path: b, baudRate: 115_200, parity: 'none' })();
      sim.serve(far);
      await gw.connection.sendRequest('bifrost/config/load', {
        devices: [{ id: 'rtu', protocol: 'modbus-rtu', serialPath: a, unitId: 1, baudRate: 115_200, parity: 'none', timeoutMs: 500 }],
      });
      sim.unit(1).holdings.set([1, 2, 3, 4]);
      await waitFor('a good read before the fuzz', async () => (await read('rtu')).every((r) => r.quality === 'good'));
      const rand = seeded(SEED);
      const tally = newTally();
      let sent: { category: Category; answer: Buffer }[] = [];
      sim.replaceAnswer = (unit) => {
        const g = generate(rand, unit);
        sent.push(g);
        return g.answer;
      };
      for (let i = 0; i < RTU_ANSWERS; i++) {
        sent = [];
        judge(tally, await read('rtu'), sent, 1, `rtu #${i}`);
      }
      sim.replaceAnswer = null;
      console.log(`      ${report(tally, 'Modbus RTU')}`);
      assert.deepEqual(tally.violations.slice(0, 10), [], `seed ${SEED}: ${tally.violations.length} wrong judgements`);
      assert.ok(tally.good > RTU_ANSWERS / 10, 'the right answers were read');
      sim.unit(1).holdings.set([5, 6, 7, 8]);
      const after = await waitFor('good again after the fuzz', async () => {
        const r = await read('rtu');
        return r.every((x) => x.quality === 'good') ? r : undefined;
      });
      assert.deepEqual(after.map((r) => r.value), [5, 6, 7, 8]);
      assert.equal(gw.child.exitCode, null);
      await gw.connection.sendRequest('bifrost/config/load', { devices: [] });
    } finally {
      await sim.stop();
      if (far) await ptysClosed([b]);
      const exited = new Promise((r) => socat.once('exit', r));
      socat.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(`Modbus TCP: ${TCP_DEVICES} × ${TCP_ANSWERS_EACH} generated answers through a proxy, each read judged`, async () => {
    const sims: ModbusTcpSimulator[] = [];
    const proxies: FaultProxy[] = [];
    try {
      const devices = [];
      const sentBy: { category: Category; answer: Buffer }[][] = [];
      const rand = seeded(SEED + 1);
      for (let d = 0; d < TCP_DEVICES; d++) {
        const sim = new ModbusTcpSimulator();
        await sim.start();
        sim.holdings.set([1, 2, 3, 4]);
        sims.push(sim);
        const proxy = new FaultProxy({ targetPort: sim.port, codec: modbusTcpFrames });
        await proxy.start();
        proxies.push(proxy);
        sentBy.push([]);
        devices.push(tcpDevice(`tcp${d}`, proxy.port, { timeoutMs: 300 }));
      }
      await gw.connection.sendRequest('bifrost/config/load', { devices });
      for (let d = 0; d < TCP_DEVICES; d++) await waitFor(`tcp${d}: a good read before the fuzz`, async () => (await read(`tcp${d}`)).every((r) => r.quality === 'good'));
      const tally = newTally();
      await Promise.all(
        proxies.map(async (proxy, d) => {
          const fuzz = {
            kind: 'rewrite' as const,
            name: 'fuzz',
            rewrite: (frame: Buffer) => {
              // The MBAP header's transaction and protocol ids stay, its length follows the new unit id and PDU.
              const g = generate(rand, frame[6]!);
              sentBy[d]!.push(g);
              const out = Buffer.alloc(6 + g.answer.length);
              frame.copy(out, 0, 0, 4);
              out.writeUInt16BE(g.answer.length, 4);
              g.answer.copy(out, 6);
              return out;
            },
          };
          for (let i = 0; i < TCP_ANSWERS_EACH; i++) {
            proxy.set(fuzz);
            sentBy[d] = [];
            const readings = await read(`tcp${d}`);
            judge(tally, readings, sentBy[d]!, 1, `tcp${d} #${i}`);
            // A bad answer drops the connection: the next read waits until it is back (with right
            // answers, the first of which makes it connected), so that each read meets one generated answer.
            if (readings.some((r) => r.quality !== 'good')) {
              proxy.clear();
              await waitFor(`tcp${d} connected again`, async () => {
                const list = await gw.connection.sendRequest<{ devices: { id: string; status: string }[] }>('bifrost/devices/list');
                return list.devices.find((x) => x.id === `tcp${d}`)?.status === 'connected';
              }, 20_000);
            }
          }
          proxy.clear();
        }),
      );
      console.log(`      ${report(tally, 'Modbus TCP')}`);
      assert.deepEqual(tally.violations.slice(0, 10), [], `seed ${SEED + 1}: ${tally.violations.length} wrong judgements`);
      for (let d = 0; d < TCP_DEVICES; d++) {
        sims[d]!.holdings.set([5, 6, 7, 8]);
        const after = await waitFor(`tcp${d} good again after the fuzz`, async () => {
          const r = await read(`tcp${d}`);
          return r.every((x) => x.quality === 'good') ? r : undefined;
        }, 20_000);
        assert.deepEqual(after.map((r) => r.value), [5, 6, 7, 8]);
      }
      assert.equal(gw.child.exitCode, null);
      await gw.connection.sendRequest('bifrost/config/load', { devices: [] });
    } finally {
      for (const p of proxies) await p.close();
      for (const s of sims) await s.stop();
    }
  });
});
