/**
 * Codec speed: decoding values out of one large block of registers, the way a scan decodes a
 * read. Each case checks what it decoded against the values the block was built from, so a fast
 * but wrong codec fails here instead of reporting a number.
 */
import { resolveAddress, type ResolvedAddress } from '../gateway/modbus/address';
import { decodeRegisters, encodeValue } from '../gateway/modbus/codec';

export const CODEC_REGISTERS = 1 << 20;
export const CODEC_PASSES = 7;

interface Case {
  name: string;
  address: ResolvedAddress;
  /** The engineering value written at each slot. */
  valueAt: (i: number) => number;
  /** What decoding that value gives back. */
  expect: (v: number) => number;
}

const CASES: Case[] = [
  { name: 'decode float32 CDAB', address: resolveAddress('holding:0:float32:CDAB'), valueAt: (i) => i * 0.37 - 1000, expect: Math.fround },
  { name: 'decode int16', address: resolveAddress('holding:0:int16'), valueAt: (i) => (i % 65536) - 32768, expect: (v) => v },
  {
    name: 'decode int16 scaled 0.1',
    address: resolveAddress({ area: 'holding', address: 0, type: 'int16', scale: 0.1, offset: -40 }),
    valueAt: (i) => ((i % 60000) - 30000) / 10,
    expect: (v) => v,
  },
  { name: 'decode uint64 DCBA', address: resolveAddress('holding:0:uint64:DCBA'), valueAt: (i) => i * 7919 + 2 ** 40, expect: (v) => v },
];

/** Nanoseconds per decoded value, best of several passes over the whole block. */
export function benchCodec(): { name: string; nsPerOp: number }[] {
  return CASES.map((c) => ({ name: c.name, nsPerOp: measure(c) }));
}

function measure(c: Case): number {
  const width = c.address.count;
  const slots = Math.floor(CODEC_REGISTERS / width);
  const regs = new Array<number>(slots * width);
  let expectedSum = 0;
  for (let s = 0; s < slots; s++) {
    const v = c.valueAt(s);
    const e = encodeValue(c.address, v);
    if (e.kind !== 'registers') throw new Error(`${c.name}: ${c.address.key} does not encode to registers`);
    for (let k = 0; k < width; k++) regs[s * width + k] = e.registers[k];
    expectedSum += c.expect(v);
  }

  let best = Infinity;
  for (let pass = 0; pass < CODEC_PASSES; pass++) {
    const t0 = process.hrtime.bigint();
    let sum = 0;
    for (let at = 0; at < regs.length; at += width) sum += decodeRegisters(c.address, regs, at) as number;
    const ns = Number(process.hrtime.bigint() - t0);
    // Also keeps the decoded values alive, so the loop cannot be optimised away.
    if (Math.abs(sum - expectedSum) > Math.abs(expectedSum) * 1e-9 + 1e-6) {
      throw new Error(`${c.name}: decoded values add up to ${sum}, expected ${expectedSum}`);
    }
    best = Math.min(best, ns / slots);
  }
  return best;
}
