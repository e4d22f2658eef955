import assert from 'node:assert/strict';
import type { ByteOrder, TagValue } from '../../gateway/protocol';
import { resolveAddress, type ResolvedAddress } from '../../gateway/modbus/address';
import { decodeBit, decodeRegisters, encodeValue, STEP_TOLERANCE, ValueError } from '../../gateway/modbus/codec';

const at = (ref: string): ResolvedAddress => resolveAddress(ref);
const registersOf = (a: ResolvedAddress, value: number | boolean | string): number[] => {
  const e = encodeValue(a, value);
  assert.equal(e.kind, 'registers');
  return (e as { registers: number[] }).registers;
};

/** One value of a type and its registers in every byte order, worked out by hand from its big-endian bytes. */
interface Wire {
  type: string;
  value: TagValue;
  /** What encoding accepts for that value, when it differs from what decoding gives. */
  input?: number | string;
  regs: Partial<Record<ByteOrder, number[]>>;
}

const WIRE: Wire[] = [
  // 123.456 as float32 is 0x42F6E979; it decodes to the nearest float32.
  {
    type: 'float32', value: Math.fround(123.456), input: 123.456,
    regs: { ABCD: [0x42f6, 0xe979], CDAB: [0xe979, 0x42f6], BADC: [0xf642, 0x79e9], DCBA: [0x79e9, 0xf642] },
  },
  { type: 'float32', value: -1.5, regs: { ABCD: [0xbfc0, 0x0000], CDAB: [0x0000, 0xbfc0], BADC: [0xc0bf, 0x0000], DCBA: [0x0000, 0xc0bf] } },
  // -123456789 = 0xF8A432EB
  {
    type: 'int32', value: -123456789,
    regs: { ABCD: [0xf8a4, 0x32eb], CDAB: [0x32eb, 0xf8a4], BADC: [0xa4f8, 0xeb32], DCBA: [0xeb32, 0xa4f8] },
  },
  {
    type: 'uint32', value: 0xdeadbeef,
    regs: { ABCD: [0xdead, 0xbeef], CDAB: [0xbeef, 0xdead], BADC: [0xadde, 0xefbe], DCBA: [0xefbe, 0xadde] },
  },
  // 1234.5678 as float64 is 0x40934A456D5CFAAD: eight distinct bytes.
  {
    type: 'float64', value: 1234.5678,
    regs: {
      ABCD: [0x4093, 0x4a45, 0x6d5c, 0xfaad], CDAB: [0xfaad, 0x6d5c, 0x4a45, 0x4093],
      BADC: [0x9340, 0x454a, 0x5c6d, 0xadfa], DCBA: [0xadfa, 0x5c6d, 0x454a, 0x9340],
    },
  },
  // 0x0123456789ABCDEF is beyond 2^53: it travels as a decimal string.
  {
    type: 'uint64', value: '81985529216486895',
    regs: {
      ABCD: [0x0123, 0x4567, 0x89ab, 0xcdef], CDAB: [0xcdef, 0x89ab, 0x4567, 0x0123],
      BADC: [0x2301, 0x6745, 0xab89, 0xefcd], DCBA: [0xefcd, 0xab89, 0x6745, 0x2301],
    },
  },
  // 0xFEDCBA9876543210 as int64.
  {
    type: 'int64', value: '-81985529216486896',
    regs: {
      ABCD: [0xfedc, 0xba98, 0x7654, 0x3210], CDAB: [0x3210, 0x7654, 0xba98, 0xfedc],
      BADC: [0xdcfe, 0x98ba, 0x5476, 0x1032], DCBA: [0x1032, 0x5476, 0x98ba, 0xdcfe],
    },
  },
  // 0x001A2B3C4D5E6F70 fits a JS number exactly.
  {
    type: 'int64', value: 0x1a2b3c4d5e6f70,
    regs: {
      ABCD: [0x001a, 0x2b3c, 0x4d5e, 0x6f70], CDAB: [0x6f70, 0x4d5e, 0x2b3c, 0x001a],
      BADC: [0x1a00, 0x3c2b, 0x5e4d, 0x706f], DCBA: [0x706f, 0x5e4d, 0x3c2b, 0x1a00],
    },
  },
  {
    type: 'uint64', value: 0x1a2b3c4d5e6f70,
    regs: { ABCD: [0x001a, 0x2b3c, 0x4d5e, 0x6f70], DCBA: [0x706f, 0x5e4d, 0x3c2b, 0x1a00] },
  },
  // -0x1A2B3C4D5E6F70 = 0xFFE5D4C3B2A19090
  {
    type: 'int64', value: -0x1a2b3c4d5e6f70,
    regs: { ABCD: [0xffe5, 0xd4c3, 0xb2a1, 0x9090], CDAB: [0x9090, 0xb2a1, 0xd4c3, 0xffe5], DCBA: [0x9090, 0xa1b2, 0xc3d4, 0xe5ff] },
  },
  // Extremes and the edges of exact JS numbers.
  { type: 'int64', value: '-9223372036854775808', regs: { ABCD: [0x8000, 0, 0, 0], DCBA: [0, 0, 0, 0x0080] } },
  { type: 'int64', value: '9223372036854775807', regs: { ABCD: [0x7fff, 0xffff, 0xffff, 0xffff], CDAB: [0xffff, 0xffff, 0xffff, 0x7fff] } },
  { type: 'int64', value: -1, regs: { ABCD: [0xffff, 0xffff, 0xffff, 0xffff] } },
  { type: 'int64', value: -9007199254740991, regs: { ABCD: [0xffe0, 0x0000, 0x0000, 0x0001] } },
  { type: 'int64', value: '-9007199254740992', regs: { ABCD: [0xffe0, 0x0000, 0x0000, 0x0000] } },
  { type: 'uint64', value: '18446744073709551615', regs: { ABCD: [0xffff, 0xffff, 0xffff, 0xffff] } },
  { type: 'uint64', value: 9007199254740991, regs: { ABCD: [0x001f, 0xffff, 0xffff, 0xffff] } },
  { type: 'uint64', value: '9007199254740992', regs: { ABCD: [0x0020, 0, 0, 0], BADC: [0x2000, 0, 0, 0] } },
  { type: 'int32', value: -2147483648, regs: { ABCD: [0x8000, 0x0000], CDAB: [0x0000, 0x8000] } },
  { type: 'int32', value: 2147483647, regs: { ABCD: [0x7fff, 0xffff], BADC: [0xff7f, 0xffff] } },
  { type: 'uint32', value: 4294967295, regs: { ABCD: [0xffff, 0xffff] } },
  { type: 'int16', value: -2, regs: { ABCD: [0xfffe] } },
  { type: 'int16', value: -32768, regs: { ABCD: [0x8000] } },
  { type: 'int16', value: 32767, regs: { ABCD: [0x7fff] } },
  { type: 'uint16', value: 65535, regs: { ABCD: [0xffff] } },
  { type: 'uint16', value: 0, regs: { ABCD: [0x0000] } },
];

describe('codec: registers in every byte order', () => {
  for (const w of WIRE) {
    for (const [order, regs] of Object.entries(w.regs) as [ByteOrder, number[]][]) {
      const ref = `holding:10:${w.type}${order === 'ABCD' ? '' : ':' + order}`;
      it(`${ref} <-> ${String(w.value)}`, () => {
        const a = at(ref);
        // Decode from the middle of a larger read, as the scan loop does.
        const read = [0x1111, 0x2222, ...regs, 0x3333];
        assert.equal(decodeRegisters(a, read, 2), w.value);
        assert.deepEqual(registersOf(a, w.input ?? (w.value as number | string)), regs);
      });
    }
  }

  it('64-bit integers accept a decimal string or a number within ±2^53', () => {
    assert.deepEqual(registersOf(at('holding:0:int64'), '7365887390543728'), [0x001a, 0x2b3c, 0x4d5e, 0x6f70]);
    assert.deepEqual(registersOf(at('holding:0:uint64'), ' +42 '), [0, 0, 0, 42]);
    assert.deepEqual(registersOf(at('holding:0:int64'), '-1'), [0xffff, 0xffff, 0xffff, 0xffff]);
    // A whole number beyond 2^53 is exact as a double, so it is written as it is.
    assert.deepEqual(registersOf(at('holding:0:uint64'), 2 ** 60), [0x1000, 0, 0, 0]);
  });

  it('float32 NaN and infinities decode as they are', () => {
    assert.ok(Number.isNaN(decodeRegisters(at('holding:0:float32'), [0x7fc0, 0x0000], 0)));
    assert.equal(decodeRegisters(at('holding:0:float32:CDAB'), [0x0000, 0xff80], 0), -Infinity);
    assert.equal(decodeRegisters(at('holding:0:float64'), [0x7ff0, 0, 0, 0], 0), Infinity);
  });

  it('refuses to decode past the end of what was read', () => {
    assert.throws(() => decodeRegisters(at('holding:0:float32'), [1, 2, 3], 2), RangeError);
    assert.throws(() => decodeRegisters(at('holding:0'), [1], -1), RangeError);
  });

  it('round-trips encode -> decode for many values of every numeric type and order', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const ranges: Record<string, [number, number, boolean]> = {
      int16: [-32768, 32767, true], uint16: [0, 65535, true], int32: [-(2 ** 31), 2 ** 31 - 1, true],
      uint32: [0, 2 ** 32 - 1, true], int64: [-(2 ** 53) + 1, 2 ** 53 - 1, true], uint64: [0, 2 ** 53 - 1, true],
      float32: [-1e6, 1e6, false], float64: [-1e300, 1e300, false],
    };
    for (const [type, [min, max, integer]] of Object.entries(ranges)) {
      for (const order of ['ABCD', 'BADC', 'CDAB', 'DCBA'] as const) {
        if ((type === 'int16' || type === 'uint16') && order !== 'ABCD') continue;
        const a = at(`holding:0:${type}${order === 'ABCD' ? '' : ':' + order}`);
        for (let i = 0; i < 200; i++) {
          let v = min + rand() * (max - min);
          if (integer) v = Math.round(v);
          const expected = type === 'float32' ? Math.fround(v) : v;
          assert.equal(decodeRegisters(a, registersOf(a, v), 0), expected, `${a.key} ${v}`);
        }
      }
    }
  });
});

describe('codec: integer range and type checks', () => {
  const rejects = (ref: string, value: unknown, message: RegExp) =>
    assert.throws(() => encodeValue(at(ref), value as number), (e: unknown) => e instanceof ValueError && message.test(e.message));

  it('rejects values outside the type', () => {
    rejects('holding:0', 70000, /^value 70000 is out of range for uint16 \(0\.\.65535\)$/);
    rejects('holding:0', -1, /out of range for uint16/);
    rejects('holding:0:int16', -32769, /out of range for int16 \(-32768\.\.32767\)/);
    rejects('holding:0:int16', 32767.5, /out of range for int16/); // rounds to 32768
    rejects('holding:0:uint32', 4294967296, /uint32 \(0\.\.4294967295\)/);
    rejects('holding:0:int32', -2147483649, /int32/);
    rejects('holding:0:uint64', -1, /out of range for uint64 \(0\.\.18446744073709551615\)/);
    rejects('holding:0:uint64', '-1', /out of range for uint64/);
    rejects('holding:0:uint64', '18446744073709551616', /out of range for uint64/);
    rejects('holding:0:int64', '9223372036854775808', /int64 \(-9223372036854775808\.\.9223372036854775807\)/);
    rejects('holding:0:int64', 2 ** 63, /out of range for int64/);
    rejects('holding:0:float32', 1e39, /out of range for float32/);
    rejects('holding:0:float64', Infinity, /finite number/);
    rejects('holding:0:float32', NaN, /finite number/);
  });

  it('rejects values of the wrong kind', () => {
    rejects('holding:0:float32', 'abc', /^expected a number for float32, got string "abc"$/);
    rejects('holding:0:float32', '12.5', /expected a number for float32/);
    rejects('holding:0:int16', true, /^expected an integer \(a number or a decimal string\) for int16, got boolean true$/);
    rejects('holding:0:int64', '1.5', /expected an integer \(a number or a decimal string\) for int64, got string "1.5"/);
    rejects('holding:0:uint64', true, /expected an integer/);
    rejects('holding:0:int32', null, /got null/);
    rejects('holding:0:int32', [1], /got a list/);
    rejects('holding:0:int16', NaN, /^expected a finite number for int16, got NaN$/);
    rejects('holding:0:uint64', -Infinity, /finite number/);
    rejects('coil:0', 2, /^expected true\/false or 1\/0 for bool, got number 2$/);
    rejects('holding:3.1', 'true', /expected true\/false or 1\/0/);
  });

  it('never rounds: a fraction written to an integer type is refused', () => {
    rejects('holding:0:int32', 1.5, /^1\.5 is not a whole number; int32 holds whole numbers$/);
    rejects('holding:0:int16', 2.5, /^2\.5 is not a whole number; int16 holds whole numbers$/);
    rejects('holding:0', 0.1, /not a whole number; uint16/);
    rejects('holding:0:int64', -0.4, /^-0\.4 is not a whole number; int64 holds whole numbers$/);
    rejects('holding:0:uint32', 4294967294.5, /not a whole number/);
    rejects('holding:0:int16', Number.EPSILON, /not a whole number/);
    assert.deepEqual(registersOf(at('holding:0:int16'), -2), [0xfffe]);
    assert.deepEqual(registersOf(at('holding:0:int32'), 2), [0, 2]);
  });

  it('takes decimal strings for every integer type, every digit kept', () => {
    assert.deepEqual(registersOf(at('holding:0:int16'), '-2'), [0xfffe]);
    assert.deepEqual(registersOf(at('holding:0:uint32'), ' 4294967295 '), [0xffff, 0xffff]);
    assert.deepEqual(registersOf(at('holding:0:uint64'), '9007199254740993'), [0x0020, 0, 0, 1]);
    rejects('holding:0:int16', '32768', /^value 32768 is out of range for int16 \(-32768\.\.32767\)$/);
    rejects('holding:0', '1e3', /expected an integer/);
  });
});

describe('codec: scale and offset', () => {
  const scaled = (ref: string, scale: number, offset = 0) => resolveAddress({ ...at(ref), scale, offset, length: undefined, bit: undefined });

  it('decodes raw * scale + offset', () => {
    const a = scaled('holding:0:int16', 0.1, -40);
    assert.equal(decodeRegisters(a, [653], 0), 25.3);
    assert.equal(decodeRegisters(a, [0xfe70], 0), -80); // raw -400
    assert.equal(decodeRegisters(scaled('holding:0', 0.1), [3], 0), 0.3);
    assert.equal(decodeRegisters(scaled('holding:0:float32', 2, 1), [0x3fc0, 0], 0), 4); // raw 1.5
    assert.equal(decodeRegisters(scaled('holding:0:int32', -3), [0, 5], 0), -15);
  });

  it('encodes by inverting them and range-checking the raw value', () => {
    const a = scaled('holding:0:int16', 0.1, -40);
    assert.deepEqual(registersOf(a, 25.3), [653]);
    assert.deepEqual(registersOf(a, -80), [0xfe70]);
    assert.deepEqual(registersOf(a, 3236.7), [0x7fff]);
    assert.deepEqual(registersOf(scaled('holding:0:float32', 2, 1), 4), [0x3fc0, 0]);
    assert.deepEqual(registersOf(scaled('holding:0:int32', -3), -15), [0, 5]);
    assert.throws(
      () => encodeValue(scaled('holding:0', 0.1), 7000),
      (e: unknown) => e instanceof ValueError && /^value 7000 is out of range for holding:0\*0\.1: .* becomes 70000, and uint16 holds 0\.\.65535$/.test(e.message),
    );
  });

  it('refuses a value between two raw steps, naming the nearest that fit', () => {
    const fails = (a: ResolvedAddress, v: number, m: RegExp) => assert.throws(() => encodeValue(a, v), (e: unknown) => e instanceof ValueError && m.test(e.message));
    const a = scaled('holding:0:int16', 0.1, -40);
    fails(a, 25.34, /^25\.34 is not a value holding:0:int16\*0\.1-40 can hold \(steps of 0\.1 from -40\); the nearest are 25\.3 and 25\.4$/);
    fails(a, -3316.75, /the nearest are -3316\.8 and -3316\.7$/);
    // Between the two highest steps; beyond the highest it is out of range.
    fails(a, 3236.65, /the nearest are 3236\.6 and 3236\.7$/);
    fails(a, 3236.75, /^value 3236\.75 is out of range for holding:0:int16\*0\.1-40: .* becomes 32767\.5, and int16 holds -32768\.\.32767$/);
    fails(scaled('holding:0', 5, 2), 9.5, /steps of 5 from 2\); the nearest are 7 and 12$/);
    fails(scaled('holding:0:int32', -0.5), 0.25, /steps of 0\.5 from 0\); the nearest are 0 and 0\.5$/);
    fails(scaled('holding:0', 0.1), -0.05, /out of range/);
  });

  it('takes floating-point noise as the step it is, and nothing more (tolerance: 16 units of roundoff)', () => {
    const a = scaled('holding:0:int16', 0.1);
    assert.deepEqual(registersOf(a, 21.3), [213]);
    // (2.3 - 0) / 0.01 and 2.3 * 100 are both 229.99999999999997: raw 230 all the same.
    assert.equal(2.3 * 100, 229.99999999999997);
    assert.deepEqual(registersOf(scaled('holding:0:int16', 0.01), 2.3), [230]);
    assert.equal((21.3 + 40) / 0.1, 612.9999999999999);
    assert.deepEqual(registersOf(scaled('holding:0:int16', 0.1, -40), 21.3), [613]);
    assert.deepEqual(registersOf(a, 0.1 + 0.2), [3]);
    assert.deepEqual(registersOf(a, 0.1 + 0.2 - 0.3), [0]); // 5.6e-17: noise around 0
    // Both sides of the tolerance, at 21.3.
    const inside = 21.3 * (1 + STEP_TOLERANCE / 2);
    const outside = 21.3 * (1 + 2 * STEP_TOLERANCE);
    assert.ok(inside !== 21.3 && outside !== inside);
    assert.deepEqual(registersOf(a, inside), [213]);
    assert.throws(() => encodeValue(a, outside), /nearest are 21\.3 and 21\.4/);
    assert.throws(() => encodeValue(a, 21.3 + 1e-12), /nearest are 21\.3 and 21\.4/);
    // A scale that is not 1/n: 71 * 0.3 is 21.299999999999997, and 21.3 is still raw 71.
    assert.deepEqual(registersOf(scaled('holding:0', 0.3), 21.3), [71]);
  });

  it('scales 64-bit integers; beyond 2^53 a scaled value is a number, not text', () => {
    const a = scaled('holding:0:uint64', 0.5);
    assert.equal(decodeRegisters(a, [0, 0, 0, 10], 0), 5);
    assert.equal(decodeRegisters(a, [0x0123, 0x4567, 0x89ab, 0xcdef], 0), Number(81985529216486895n) / 2);
    assert.deepEqual(registersOf(a, 21), [0, 0, 0, 42]);
    assert.deepEqual(registersOf(a, 21.5), [0, 0, 0, 43]);
    assert.throws(() => encodeValue(a, '21'), /^ValueError: expected a number for holding:0:uint64\*0\.5, got string "21"$/);
    assert.throws(() => encodeValue(a, 21.25), /nearest are 21 and 21\.5/);
    // The top of a scaled int64 is 2^63 - 1024 raw (the last double below 2^63), never wrapped.
    const top = scaled('holding:0:int64', 0.1);
    const written = registersOf(top, 922337203685477500);
    assert.deepEqual(written, [0x7fff, 0xffff, 0xffff, 0xfc00]);
    assert.throws(() => encodeValue(top, 922337203685477500 * 1.000001), /out of range/);
  });

  it('checks scaled floats in engineering units, without steps', () => {
    const a = scaled('holding:0:float32', 2, 1);
    assert.deepEqual(registersOf(a, 2), [0x3f00, 0]); // raw 0.5
    assert.throws(() => encodeValue(a, 7e38), /out of range for holding:0:float32\*2\+1: .* becomes 3\.5e\+38, and float32 holds ±3\.4028234663852886e\+38$/);
    assert.deepEqual(registersOf(a, 2 * 3.4028234663852886e38 + 1), [0x7f7f, 0xffff]);
    const b = scaled('holding:0:float64', 4);
    assert.deepEqual(registersOf(b, Number.MAX_VALUE), registersOf(at('holding:0:float64'), Number.MAX_VALUE / 4));
  });
});

describe('codec: strings', () => {
  const a = at('holding:200:string:3');

  it('reads ASCII high byte first and trims trailing NULs', () => {
    assert.equal(decodeRegisters(a, [0x4845, 0x4c4c, 0x4f21], 0), 'HELLO!');
    assert.equal(decodeRegisters(a, [0x4142, 0x4300, 0x0000], 0), 'ABC');
    assert.equal(decodeRegisters(a, [0x4142, 0x0000, 0x0000], 0), 'AB');
    assert.equal(decodeRegisters(a, [0x0000, 0x0000, 0x0000], 0), '');
    assert.equal(decodeRegisters(a, [0x4100, 0x4200, 0x0000], 0), 'A\0B');
  });

  it('writes NUL-padded registers, odd lengths included', () => {
    assert.deepEqual(registersOf(a, 'HELLO!'), [0x4845, 0x4c4c, 0x4f21]);
    assert.deepEqual(registersOf(a, 'ABC'), [0x4142, 0x4300, 0x0000]);
    assert.deepEqual(registersOf(a, ''), [0, 0, 0]);
    assert.equal(decodeRegisters(a, registersOf(a, 'ABCDE'), 0), 'ABCDE');
  });

  it('rejects text that is too long, not printable ASCII, or not text', () => {
    const fails = (v: unknown, m: RegExp) => assert.throws(() => encodeValue(a, v as string), (e: unknown) => e instanceof ValueError && m.test(e.message));
    fails('HELLO!!', /^"HELLO!!" has 7 characters; holding:200:string:3 holds at most 6$/);
    fails('héllo', /non-ASCII character "é" at position 2; string registers hold printable ASCII only$/);
    fails('a😀', /non-ASCII character "😀"/);
    fails('a\tb', /^"a\\tb" has the control character U\+0009 at position 2; string registers hold printable ASCII only$/);
    fails('ab\0', /control character U\+0000 at position 3/);
    fails('\x7f', /control character U\+007F at position 1/);
    fails(42, /^expected text for string, got number 42$/);
    assert.deepEqual(registersOf(a, ' ~'), [0x207e, 0, 0]);
  });
});

describe('codec: bits', () => {
  it('decodes a bit inside a register', () => {
    assert.equal(decodeRegisters(at('holding:7.3'), [0b1000], 0), true);
    assert.equal(decodeRegisters(at('holding:7.3'), [0xfff7], 0), false);
    assert.equal(decodeRegisters(at('input:7.15'), [0x8000], 0), true);
    assert.equal(decodeRegisters(at('input:7.0'), [0x8000], 0), false);
  });

  it('decodes coil and discrete bits given as booleans or 0/1', () => {
    assert.equal(decodeBit([false, true], 1), true);
    assert.equal(decodeBit([false, true], 0), false);
    assert.equal(decodeBit([0, 1, 0], 1), true);
    assert.equal(decodeBit(Uint8Array.of(0, 0), 1), false);
    assert.throws(() => decodeBit([true], 1), RangeError);
  });

  it('a coil is decoded with decodeBit, not as registers', () => {
    assert.throws(() => decodeRegisters(at('coil:5'), [1], 0), /decodeBit/);
  });

  it('encodes coils and bits in registers from true/false and 1/0', () => {
    assert.deepEqual(encodeValue(at('coil:5'), true), { kind: 'coil', value: true });
    assert.deepEqual(encodeValue(at('coil:5'), 0), { kind: 'coil', value: false });
    assert.deepEqual(encodeValue(at('holding:7.3'), 1), { kind: 'bitInRegister', bit: 3, value: true });
    assert.deepEqual(encodeValue(at('holding:7.3'), false), { kind: 'bitInRegister', bit: 3, value: false });
  });
});
