/**
 * The Modbus TCP fault matrix (the runner and what every cell must hold: modbusMatrix.ts): each
 * fault between the gateway and our simulator, one connection per device.
 */
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import { tcpDevice } from '../integration/harness';
import { modbusRewriteTid, modbusRewriteUid, modbusTcpFrames } from './faultProxy';
import { AT_ONCE, describeModbusMatrix, LINK_FAULTS, RECONNECTED, type Row } from './modbusMatrix';

/** The matrix. `A, then B`: a first request, then a second one; `A + B`: readings of both kinds. */
const MATRIX: Row[] = [
  {
    ...LINK_FAULTS.latency,
    expect: { read: 'good', poll: 'good', write: 'good', recovery: AT_ONCE },
  },
  {
    ...LINK_FAULTS.stall,
    expect: { read: 'bad · timeout', poll: 'bad · timeout', write: 'error 1007 · timeout', recovery: RECONNECTED },
  },
  {
    ...LINK_FAULTS.drop,
    expect: { read: 'bad · connection lost', poll: 'bad · connection lost', write: 'error 1005 · connection lost', recovery: RECONNECTED },
  },
  {
    ...LINK_FAULTS.halfOpen,
    expect: { read: 'bad · timeout', poll: 'bad · timeout', write: 'error 1007 · timeout', recovery: RECONNECTED },
  },
  {
    name: 'reset mid-frame',
    means: 'the first 5 bytes of an answer, then a TCP reset',
    fault: { kind: 'reset-mid-frame', bytes: 5 },
    expect: { read: 'bad · connection lost', poll: 'bad · connection lost', write: 'error 1005 · connection lost', recovery: RECONNECTED },
  },
  {
    ...LINK_FAULTS.garbage,
    expect: { read: 'bad · garbled frame', poll: 'bad · garbled frame', write: 'error 1008 · garbled frame', recovery: RECONNECTED },
  },
  {
    name: 'truncated answer',
    means: 'the first 9 bytes of each answer, the rest never comes',
    fault: { kind: 'truncate', bytes: 9 },
    expect: { read: 'bad · timeout', poll: 'bad · timeout', write: 'error 1007 · timeout', recovery: RECONNECTED },
  },
  {
    name: 'wrong transaction id',
    means: "the answer's MBAP transaction id plus one",
    fault: { kind: 'rewrite', name: 'tid', rewrite: modbusRewriteTid(1) },
    expect: { read: 'bad · wrong transaction id', poll: 'bad · wrong transaction id', write: 'error 1008 · wrong transaction id', recovery: RECONNECTED },
  },
  {
    name: 'wrong unit id',
    means: "the answer's MBAP unit id plus one",
    fault: { kind: 'rewrite', name: 'uid', rewrite: modbusRewriteUid() },
    expect: { read: 'bad · wrong unit id', poll: 'bad · wrong unit id', write: 'error 1008 · wrong unit id', recovery: RECONNECTED },
  },
  {
    ...LINK_FAULTS.duplicate,
    expect: { read: 'good, then bad · unasked answer', poll: 'bad · unasked answer', write: 'good, then error 1005 · unasked answer', recovery: RECONNECTED },
  },
  {
    ...LINK_FAULTS.late,
    expect: { read: 'bad · timeout', poll: 'bad · timeout', write: 'error 1007 · timeout', recovery: RECONNECTED },
  },
  {
    ...LINK_FAULTS.oneLate,
    expect: { read: 'bad · timeout, then good', poll: 'bad · timeout + good', write: 'error 1007 · timeout, then good', recovery: RECONNECTED },
  },
  {
    name: 'slow drip',
    means: 'answers one byte every 10 ms (an 11-byte read answer in about 110 ms)',
    fault: { kind: 'drip', intervalMs: 10 },
    expect: { read: 'good', poll: 'good', write: 'good', recovery: AT_ONCE },
  },
  {
    ...LINK_FAULTS.everyOther,
    expect: { read: 'good, then bad · timeout', poll: 'bad · timeout', write: 'good, then error 1007 · timeout', recovery: RECONNECTED },
  },
];

/** Why a reading is bad or a request failed, in a few stable words. */
function cause(message: string): string {
  if (/nobody asked/.test(message)) return 'unasked answer';
  if (/not a Modbus TCP frame/.test(message)) return 'garbled frame';
  if (/answer to transaction/.test(message)) return 'wrong transaction id';
  if (/answer from unit/.test(message)) return 'wrong unit id';
  if (/data bytes|does not match the write/.test(message)) return 'malformed answer';
  if (/no answer within/.test(message)) return 'timeout';
  if (/closed the connection|connection closed|connection lost|connection to .* reset|not connected/.test(message)) return 'connection lost';
  return `other: ${message.replace(/\d+/g, 'N')}`;
}

describeModbusMatrix({
  title: 'Modbus TCP fault matrix',
  section: 'modbus-tcp',
  rows: MATRIX,
  codec: modbusTcpFrames,
  cause,
  async startTarget() {
    const sim = new ModbusTcpSimulator();
    await sim.start();
    return { holdings: sim.holdings, port: sim.port, stop: () => sim.stop() };
  },
  device: (id, port, opts) => tcpDevice(id, port, opts),
  proxyPerDevice: false,
});
