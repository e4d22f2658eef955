/**
 * The register inspector's views (webview/inspector/registerViews.ts): the same values as the
 * gateway's codec decodes in every byte order, over random registers; and the byte order guess,
 * on values the codec encodes in each order, on noise and on zeros.
 */
import { strict as assert } from 'node:assert';
import type { ByteOrder, ModbusDataType } from '../../gateway/protocol';
import { resolveAddress } from '../../gateway/modbus/address';
import { decodeRegisters, encodeValue } from '../../gateway/modbus/codec';
import { BYTE_ORDERS, guessByteOrder, registerView, registerViews, wide32, wide64, wideViews } from '../../webview/inspector/registerViews';
import { seeded } from './seeded';

const addr = (type: ModbusDataType, byteOrder: ByteOrder) => resolveAddress({ area: 'holding', address: 0, type, byteOrder });

function encode(type: ModbusDataType, order: ByteOrder, values: (number | string)[]): number[] {
  return values.flatMap((v) => {
    const e = encodeValue(addr(type, order), v);
    assert.equal(e.kind, 'registers');
    return e.kind === 'registers' ? e.registers : [];
  });
}

describe('register inspector views', () => {
  it('shows one register as hex, unsigned, signed and bits; null where it was not read', () => {
    assert.deepEqual(registerView(0xfffe, 7), { address: 7, raw: 65534, hex: '0xFFFE', u16: 65534, i16: -2, bits: '1111 1111 1111 1110' });
    assert.deepEqual(registerView(0x1a2b, 0).bits, '0001 1010 0010 1011');
    assert.deepEqual(registerView(null, 3), { address: 3, raw: null, hex: null, u16: null, i16: null, bits: null });
    assert.deepEqual(registerViews([1, null], 100).map((v) => [v.address, v.hex]), [[100, '0x0001'], [101, null]]);
  });

  it('decodes 32- and 64-bit values in every byte order exactly as the gateway codec does, over random registers', () => {
    const random = seeded(42);
    const same = (a: number, b: number) => (Number.isNaN(a) ? Number.isNaN(b) : Object.is(a, b));
    for (let trial = 0; trial < 2000; trial++) {
      const regs = Array.from({ length: 4 }, () => Math.floor(random() * 65536));
      for (const order of BYTE_ORDERS) {
        const v32 = wide32(regs, 0, order)!;
        assert.equal(v32.u32, decodeRegisters(addr('uint32', order), regs, 0));
        assert.equal(v32.i32, decodeRegisters(addr('int32', order), regs, 0));
        assert.ok(same(v32.f32, decodeRegisters(addr('float32', order), regs, 0) as number), `float32 ${order} ${regs.join(',')}`);
        const v64 = wide64(regs, 0, order)!;
        assert.equal(v64.u64, BigInt(decodeRegisters(addr('uint64', order), regs, 0) as number | string));
        assert.equal(v64.i64, BigInt(decodeRegisters(addr('int64', order), regs, 0) as number | string));
        assert.ok(same(v64.f64, decodeRegisters(addr('float64', order), regs, 0) as number), `float64 ${order} ${regs.join(',')}`);
      }
    }
  });

  it('has no wide value where a register is missing or the range ends', () => {
    const regs = [1, 2, null, 4, 5];
    assert.equal(wide32(regs, 1, 'ABCD'), null);
    assert.equal(wide32(regs, 4, 'ABCD'), null);
    assert.deepEqual(wide32(regs, 3, 'ABCD'), { u32: 0x40005, i32: 0x40005, f32: wide32(regs, 3, 'ABCD')!.f32 });
    const views = wideViews(regs, 'CDAB');
    assert.deepEqual(views.map((v) => [v.w32 !== null, v.w64 !== null]), [[true, false], [false, false], [false, false], [true, false], [false, false]]);
  });

  describe('guessByteOrder', () => {
    const FLOATS = [21.5, -3.75, 1013.25, 0.001];
    const INTEGERS = [123456, -98765];
    for (const order of BYTE_ORDERS) {
      it(`names ${order} for floats and for 32-bit integers written in ${order}`, () => {
        const f = guessByteOrder(encode('float32', order, FLOATS), 0, 2);
        assert.deepEqual([f.run, f.verdict], [4, { order, kind: 'float', guess: true }], f.reason);
        const i = guessByteOrder(encode('int32', order, INTEGERS), 0, 2);
        assert.deepEqual([i.run, i.verdict], [2, { order, kind: 'integer', guess: true }], i.reason);
        assert.equal(i.scores[order].integer, 1);
        for (const other of BYTE_ORDERS.filter((o) => o !== order)) assert.deepEqual(f.scores[other].plausible, []);
      });
      it(`names ${order} for 64-bit floats written in ${order}`, () => {
        const g = guessByteOrder(encode('float64', order, [21.5, -3.75, 1013.25, 0.1]), 0, 4);
        assert.deepEqual(g.verdict, { order, kind: 'float', guess: true }, g.reason);
      });
    }

    it('starts at `at` and stops at the first missing register', () => {
      const regs = [0xffff, ...encode('float32', 'CDAB', FLOATS), null, 1, 2];
      const g = guessByteOrder(regs, 1, 2);
      assert.deepEqual([g.run, g.verdict?.order], [4, 'CDAB']);
    });

    it('makes no guess of noise, of zeros, of one value, or of values two orders read plausibly', () => {
      const random = seeded(9);
      for (let trial = 0; trial < 300; trial++) {
        const noise = Array.from({ length: 16 }, () => Math.floor(random() * 65536));
        for (const width of [2, 4] as const) assert.equal(guessByteOrder(noise, 0, width).verdict, null, `noise ${noise.join(',')}`);
      }
      const zeros = guessByteOrder(new Array<number>(16).fill(0), 0, 2);
      assert.equal(zeros.verdict, null);
      assert.match(zeros.reason, /ABCD, BADC, CDAB, DCBA all read plausibly/);
      const one = guessByteOrder(encode('float32', 'ABCD', [21.5]), 0, 2);
      assert.deepEqual([one.verdict, one.reason], [null, '1 value in a row: a guess needs at least 2']);
      // 21.5 and -3.75 have an empty low word: in CDAB they read as the integers 16812 and 49264.
      const twin = guessByteOrder(encode('float32', 'ABCD', [21.5, -3.75]), 0, 2);
      assert.equal(twin.verdict, null, twin.reason);
      assert.deepEqual(twin.scores.CDAB.plausible, ['integer']);
    });
  });
});
