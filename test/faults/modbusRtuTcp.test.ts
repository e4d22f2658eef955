/**
 * The Modbus RTU over TCP fault matrix (the runner and what every cell must hold: modbusMatrix.ts):
 * each fault between the gateway and our RTU simulator listening as a serial server. Each of a
 * row's three devices reaches it through a proxy of its own: a line of its own, so that which
 * request a fault hits is no race between them. An RTU answer has no transaction id: a late or
 * doubled answer can only be told by when it comes.
 */
import type { ModbusRtuDeviceConfig } from '../../gateway/protocol';
import { RtuSimulator } from '../../gateway/sim/rtuSimulator';
import { modbusRtuAnswerFrames, modbusRtuExtraRegister, modbusRtuFlipBit, modbusRtuRewriteUnit } from './faultProxy';
import { AT_ONCE, describeModbusMatrix, LINK_FAULTS, RECONNECTED, type Row } from './modbusMatrix';

/** The matrix. `A, then B`: a first request, then a second one; `A + B`: readings of both kinds. */
const MATRIX: Row[] = [
  {
    ...LINK_FAULTS.latency,
    expect: { read: 'good', poll: 'good', write: 'good', recovery: AT_ONCE },
  },
  {
    ...LINK_FAULTS.stall,
    expect: { read: 'bad · timeout', poll: 'bad · line silent, reopened + bad · timeout', write: 'error 1007 · timeout', recovery: RECONNECTED },
  },
  {
    ...LINK_FAULTS.drop,
    expect: { read: 'bad · line lost', poll: 'bad · line lost', write: 'error 1005 · line lost', recovery: RECONNECTED },
  },
  {
    ...LINK_FAULTS.halfOpen,
    expect: { read: 'bad · timeout', poll: 'bad · line silent, reopened + bad · timeout', write: 'error 1007 · timeout', recovery: RECONNECTED },
  },
  {
    name: 'reset mid-frame',
    means: 'the first 3 bytes of an answer, then a TCP reset',
    fault: { kind: 'reset-mid-frame', bytes: 3 },
    expect: { read: 'bad · line lost', poll: 'bad · line lost', write: 'error 1005 · line lost', recovery: RECONNECTED },
  },
  {
    ...LINK_FAULTS.garbage,
    expect: { read: 'bad · bad answer', poll: 'bad · bad answer', write: 'error 1008 · bad answer', recovery: AT_ONCE },
  },
  {
    name: 'truncated answer',
    means: 'the first 4 bytes of each answer, the rest never comes',
    fault: { kind: 'truncate', bytes: 4 },
    expect: { read: 'bad · timeout', poll: 'bad · timeout', write: 'error 1007 · timeout', recovery: RECONNECTED },
  },
  {
    name: 'CRC error',
    means: 'one bit of each answer flipped, its CRC left as it was (a noisy line behind the serial server)',
    fault: { kind: 'rewrite', name: 'flip', rewrite: modbusRtuFlipBit() },
    expect: { read: 'bad · CRC error', poll: 'bad · CRC error', write: 'error 1008 · CRC error', recovery: AT_ONCE },
  },
  {
    name: 'wrong unit id',
    means: "the answer's unit id plus one, its CRC made right (another slave answering)",
    fault: { kind: 'rewrite', name: 'unit', rewrite: modbusRtuRewriteUnit() },
    expect: { read: 'bad · wrong unit', poll: 'bad · wrong unit', write: 'error 1008 · wrong unit', recovery: AT_ONCE },
  },
  {
    name: 'one register too many',
    means: 'each read answer carries a register more than asked, its CRC right; write answers pass',
    fault: { kind: 'rewrite', name: 'extra', rewrite: modbusRtuExtraRegister() },
    expect: { read: 'bad · bad answer', poll: 'bad · bad answer', write: 'good', recovery: AT_ONCE },
  },
  {
    ...LINK_FAULTS.duplicate,
    expect: { read: 'good', poll: 'good', write: 'good', recovery: AT_ONCE },
  },
  {
    ...LINK_FAULTS.late,
    expect: { read: 'bad · timeout', poll: 'bad · line silent, reopened + bad · timeout', write: 'error 1007 · timeout', recovery: RECONNECTED },
  },
  {
    ...LINK_FAULTS.oneLate,
    expect: { read: 'bad · timeout', poll: 'bad · timeout + good', write: 'error 1007 · timeout', recovery: RECONNECTED },
  },
  {
    name: 'slow drip',
    means: 'answers one byte every 10 ms (a 7-byte read answer in about 70 ms)',
    fault: { kind: 'drip', intervalMs: 10 },
    expect: { read: 'good', poll: 'good', write: 'good', recovery: AT_ONCE },
  },
  {
    ...LINK_FAULTS.everyOther,
    expect: { read: 'good, then bad · timeout', poll: 'bad · timeout + good', write: 'good, then error 1007 · timeout', recovery: RECONNECTED },
  },
];

/** Why a reading is bad or a request failed, in a few stable words. */
function cause(message: string): string {
  if (/CRC/.test(message)) return 'CRC error';
  if (/answer from unit|wrong unit/.test(message)) return 'wrong unit';
  if (/no (complete )?answer within/.test(message)) return 'timeout';
  if (/bad answer|data bytes|does not match/.test(message)) return 'bad answer';
  if (/taken for dead/.test(message)) return 'line silent, reopened';
  if (/closed|not open|lost|reset|line failed/.test(message)) return 'line lost';
  return `other: ${message.replace(/\d+/g, 'N')}`;
}

describeModbusMatrix({
  title: 'Modbus RTU over TCP fault matrix',
  section: 'modbus-rtu-tcp',
  rows: MATRIX,
  codec: modbusRtuAnswerFrames,
  cause,
  async startTarget() {
    const sim = new RtuSimulator([1], { holdings: 4 });
    const port = await sim.listen();
    return { holdings: sim.unit(1).holdings, port, stop: () => sim.stop() };
  },
  device: (id, port, opts): ModbusRtuDeviceConfig => ({ id, protocol: 'modbus-rtu', transport: 'tcp', host: '127.0.0.1', port, unitId: 1, baudRate: 115_200, parity: 'none', ...opts }),
  proxyPerDevice: true,
});
