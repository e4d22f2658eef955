import assert from 'node:assert/strict';
import type { ModbusAddress } from '../../gateway/protocol';
import { AddressError, formatAddress, isWritableArea, resolveAddress, type ResolvedAddress } from '../../gateway/modbus/address';

type Expected = Omit<ResolvedAddress, 'scale' | 'offset' | 'byteOrder'> & Partial<Pick<ResolvedAddress, 'scale' | 'offset' | 'byteOrder'>>;
const full = (e: Expected): ResolvedAddress => ({ byteOrder: 'ABCD', scale: 1, offset: 0, ...e });

/** Every accepted form, with what it resolves to (worked out by hand). */
const ACCEPTED: [string | ModbusAddress, Expected][] = [
  // compact
  ['holding:100', { area: 'holding', address: 100, type: 'uint16', count: 1, key: 'holding:100' }],
  ['holding:100:float32', { area: 'holding', address: 100, type: 'float32', count: 2, key: 'holding:100:float32' }],
  ['holding:100:float32:CDAB', { area: 'holding', address: 100, type: 'float32', byteOrder: 'CDAB', count: 2, key: 'holding:100:float32:CDAB' }],
  ['holding:100:float32:ABCD', { area: 'holding', address: 100, type: 'float32', count: 2, key: 'holding:100:float32' }],
  ['  HR:100:Float64:dcba ', { area: 'holding', address: 100, type: 'float64', byteOrder: 'DCBA', count: 4, key: 'holding:100:float64:DCBA' }],
  ['4x:0:int64:BADC', { area: 'holding', address: 0, type: 'int64', byteOrder: 'BADC', count: 4, key: 'holding:0:int64:BADC' }],
  ['holding:100:uint16', { area: 'holding', address: 100, type: 'uint16', count: 1, key: 'holding:100' }],
  ['holding:100:int16', { area: 'holding', address: 100, type: 'int16', count: 1, key: 'holding:100:int16' }],
  ['holding : 100 : int32', { area: 'holding', address: 100, type: 'int32', count: 2, key: 'holding:100:int32' }],
  ['input:5:uint32:CDAB', { area: 'input', address: 5, type: 'uint32', byteOrder: 'CDAB', count: 2, key: 'input:5:uint32:CDAB' }],
  ['ir:5', { area: 'input', address: 5, type: 'uint16', count: 1, key: 'input:5' }],
  ['3x:5', { area: 'input', address: 5, type: 'uint16', count: 1, key: 'input:5' }],
  ['holding:200:string:10', { area: 'holding', address: 200, type: 'string', count: 10, length: 10, key: 'holding:200:string:10' }],
  ['holding:7.3', { area: 'holding', address: 7, type: 'bool', count: 1, bit: 3, key: 'holding:7.3' }],
  ['holding:7.3:bool', { area: 'holding', address: 7, type: 'bool', count: 1, bit: 3, key: 'holding:7.3' }],
  ['input:7.15', { area: 'input', address: 7, type: 'bool', count: 1, bit: 15, key: 'input:7.15' }],
  ['coil:5', { area: 'coil', address: 5, type: 'bool', count: 1, key: 'coil:5' }],
  ['co:5:bool', { area: 'coil', address: 5, type: 'bool', count: 1, key: 'coil:5' }],
  ['0x:5', { area: 'coil', address: 5, type: 'bool', count: 1, key: 'coil:5' }],
  ['discrete:0', { area: 'discrete', address: 0, type: 'bool', count: 1, key: 'discrete:0' }],
  ['DI:65535', { area: 'discrete', address: 65535, type: 'bool', count: 1, key: 'discrete:65535' }],
  ['1x:3', { area: 'discrete', address: 3, type: 'bool', count: 1, key: 'discrete:3' }],
  ['holding:65534:float32', { area: 'holding', address: 65534, type: 'float32', count: 2, key: 'holding:65534:float32' }],
  ['holding:65535', { area: 'holding', address: 65535, type: 'uint16', count: 1, key: 'holding:65535' }],
  ['holding:100:int16*0.1', { area: 'holding', address: 100, type: 'int16', count: 1, scale: 0.1, key: 'holding:100:int16*0.1' }],
  ['holding:100:int16 * 0.1 - 40', { area: 'holding', address: 100, type: 'int16', count: 1, scale: 0.1, offset: -40, key: 'holding:100:int16*0.1-40' }],
  ['holding:100+2.5', { area: 'holding', address: 100, type: 'uint16', count: 1, offset: 2.5, key: 'holding:100+2.5' }],
  ['holding:100:float32:CDAB*-1e-3', { area: 'holding', address: 100, type: 'float32', byteOrder: 'CDAB', count: 2, scale: -0.001, key: 'holding:100:float32:CDAB*-0.001' }],
  // classic, 5 digits
  ['00001', { area: 'coil', address: 0, type: 'bool', count: 1, key: 'coil:0' }],
  ['09999', { area: 'coil', address: 9998, type: 'bool', count: 1, key: 'coil:9998' }],
  ['10001', { area: 'discrete', address: 0, type: 'bool', count: 1, key: 'discrete:0' }],
  ['30001', { area: 'input', address: 0, type: 'uint16', count: 1, key: 'input:0' }],
  ['40001', { area: 'holding', address: 0, type: 'uint16', count: 1, key: 'holding:0' }],
  ['40101', { area: 'holding', address: 100, type: 'uint16', count: 1, key: 'holding:100' }],
  ['49999', { area: 'holding', address: 9998, type: 'uint16', count: 1, key: 'holding:9998' }],
  ['40101:float32:CDAB', { area: 'holding', address: 100, type: 'float32', byteOrder: 'CDAB', count: 2, key: 'holding:100:float32:CDAB' }],
  ['40101:int32', { area: 'holding', address: 100, type: 'int32', count: 2, key: 'holding:100:int32' }],
  ['40008.3', { area: 'holding', address: 7, type: 'bool', count: 1, bit: 3, key: 'holding:7.3' }],
  ['30201:string:4', { area: 'input', address: 200, type: 'string', count: 4, length: 4, key: 'input:200:string:4' }],
  ['40101:int16*0.1', { area: 'holding', address: 100, type: 'int16', count: 1, scale: 0.1, key: 'holding:100:int16*0.1' }],
  // classic, 6 digits
  ['000001', { area: 'coil', address: 0, type: 'bool', count: 1, key: 'coil:0' }],
  ['065536', { area: 'coil', address: 65535, type: 'bool', count: 1, key: 'coil:65535' }],
  ['100001', { area: 'discrete', address: 0, type: 'bool', count: 1, key: 'discrete:0' }],
  ['312345', { area: 'input', address: 12344, type: 'uint16', count: 1, key: 'input:12344' }],
  ['400001', { area: 'holding', address: 0, type: 'uint16', count: 1, key: 'holding:0' }],
  ['465536', { area: 'holding', address: 65535, type: 'uint16', count: 1, key: 'holding:65535' }],
  ['465535:float32', { area: 'holding', address: 65534, type: 'float32', count: 2, key: 'holding:65534:float32' }],
  ['400101.15', { area: 'holding', address: 100, type: 'bool', count: 1, bit: 15, key: 'holding:100.15' }],
  // objects
  [{ area: 'holding', address: 100 }, { area: 'holding', address: 100, type: 'uint16', count: 1, key: 'holding:100' }],
  [{ area: 'holding', address: 100, type: 'float32', byteOrder: 'CDAB' }, { area: 'holding', address: 100, type: 'float32', byteOrder: 'CDAB', count: 2, key: 'holding:100:float32:CDAB' }],
  [{ area: 'holding', address: 7, bit: 3 }, { area: 'holding', address: 7, type: 'bool', count: 1, bit: 3, key: 'holding:7.3' }],
  [{ area: 'input', address: 7, type: 'bool', bit: 0 }, { area: 'input', address: 7, type: 'bool', count: 1, bit: 0, key: 'input:7.0' }],
  [{ area: 'holding', address: 200, type: 'string', length: 125 }, { area: 'holding', address: 200, type: 'string', count: 125, length: 125, key: 'holding:200:string:125' }],
  [{ area: 'coil', address: 3 }, { area: 'coil', address: 3, type: 'bool', count: 1, key: 'coil:3' }],
  [{ area: 'holding', address: 1, type: 'int16', scale: 0.01, offset: 5 }, { area: 'holding', address: 1, type: 'int16', count: 1, scale: 0.01, offset: 5, key: 'holding:1:int16*0.01+5' }],
  [{ area: 'holding', address: 1, type: 'uint32', scale: 1, offset: 0 }, { area: 'holding', address: 1, type: 'uint32', count: 2, key: 'holding:1:uint32' }],
  // ABCD is "no swap", so saying it on a 16-bit type changes nothing and is accepted.
  [{ area: 'holding', address: 1, type: 'int16', byteOrder: 'ABCD' }, { area: 'holding', address: 1, type: 'int16', count: 1, key: 'holding:1:int16' }],
];

/** Every rejected form, with the error a person gets. */
const REJECTED: [unknown, RegExp][] = [
  // the address itself
  ['holding:70000', /^address 70000 is outside 0\.\.65535$/],
  ['holding:-1', /^address -1 is outside 0\.\.65535$/],
  [{ area: 'holding', address: -1 }, /^address -1 is outside 0\.\.65535$/],
  [{ area: 'holding', address: 65536 }, /^address 65536 is outside 0\.\.65535$/],
  [{ area: 'holding', address: 1.5 }, /^address 1\.5 is not a whole number$/],
  [{ area: 'holding', address: NaN }, /^address NaN is not a number$/],
  [{ area: 'holding', address: '100' }, /needs a number "address" \(0-based\), got string "100"/],
  [{ address: 1 }, /needs an area: coil, discrete, input or holding/],
  ['holding:abc', /^the address "abc" is not a whole number from 0 to 65535$/],
  ['holding:', /^no address after the area/],
  ['holding:0x10', /the address "0x10" is not a whole number/],
  ['', /^the address is empty/],
  ['   ', /^the address is empty/],
  ['temperature', /^"temperature" is not an address; write area:address/],
  [42, /^an address must be a string .* got number 42$/],
  [null, /got null$/],
  // values running past the end
  ['holding:65535:float32', /^holding:65535:float32 needs registers 65535-65536, beyond 65535$/],
  ['holding:65533:float64:CDAB', /^holding:65533:float64:CDAB needs registers 65533-65536, beyond 65535$/],
  ['holding:65530:string:10', /^holding:65530:string:10 needs registers 65530-65539, beyond 65535$/],
  ['465536:int32', /needs registers 65535-65536, beyond 65535/],
  // unknown names
  ['hold:100', /^unknown area "hold"; use coil, discrete, input or holding \(or co, di, ir, hr, 0x, 1x, 3x, 4x\)$/],
  [{ area: 'register', address: 1 }, /^unknown area "register"/],
  ['holding:100:float', /^unknown type "float"; use bool, int16, uint16, int32, uint32, float32, int64, uint64, float64 or string$/],
  [{ area: 'holding', address: 1, type: 'real' }, /^unknown type "real"/],
  ['holding:100:float32:ABDC', /^unknown byte order "ABDC"; use ABCD, BADC, CDAB or DCBA$/],
  [{ area: 'holding', address: 1, type: 'float32', byteOrder: 'little' }, /^unknown byte order "little"/],
  ['holding:100:float32:CDAB:x', /^too many parts after the address/],
  // bits
  ['coil:5.3', /^coil:5\.3: a bit index applies only to input and holding registers; a coil is already a single bit$/],
  ['discrete:5.0', /a discrete is already a single bit/],
  ['00001.2', /coil:0\.2: a bit index applies only to input and holding registers/],
  [{ area: 'coil', address: 5, bit: 1 }, /a bit index applies only to input and holding registers/],
  ['holding:7.16', /^holding:7: bit 16 is outside 0\.\.15$/],
  [{ area: 'holding', address: 7, bit: -1 }, /bit -1 is outside 0\.\.15/],
  [{ area: 'holding', address: 7, bit: 1.5 }, /bit 1\.5 is outside 0\.\.15/],
  ['holding:7.x', /^the bit after "\." must be a number from 0 to 15, not "x"$/],
  ['holding:7.', /the bit after "\." must be a number/],
  ['holding:7.3:int16', /^holding:7\.3: a bit inside a register reads as bool, not int16$/],
  ['holding:7:bool', /^holding:7: bool on a register needs a bit index, e.g\. holding:7\.0 for its lowest bit$/],
  // types on bit areas, byte orders on 16-bit types
  ['coil:5:float32', /^coil:5: a coil holds a single bit, so its type can only be bool, not float32$/],
  ['discrete:5:uint16', /its type can only be bool, not uint16/],
  [{ area: 'coil', address: 5, type: 'int16' }, /its type can only be bool, not int16/],
  ['holding:100:int16:CDAB', /^holding:100: byte order CDAB applies only to 32- and 64-bit types, not int16$/],
  ['holding:100:uint16:DCBA', /byte order DCBA applies only to 32- and 64-bit types, not uint16/],
  [{ area: 'coil', address: 1, byteOrder: 'BADC' }, /byte order BADC applies only to 32- and 64-bit types, not bool/],
  [{ area: 'holding', address: 1, type: 'string', length: 2, byteOrder: 'CDAB' }, /not string/],
  // strings
  ['holding:200:string', /^holding:200: a string needs its length in registers \(2 characters each\), e\.g\. holding:200:string:10$/],
  ['holding:200:string:126', /^holding:200: string length 126 is outside 1\.\.125 registers$/],
  ['holding:200:string:0', /string length 0 is outside 1\.\.125/],
  ['holding:200:string:x', /^a string's length is a number of registers, e\.g\. holding:200:string:10, not "x"$/],
  [{ area: 'holding', address: 1, type: 'string', length: 2.5 }, /string length 2\.5 is outside/],
  [{ area: 'holding', address: 1, type: 'int16', length: 2 }, /a length applies only to string, not int16/],
  // scale and offset
  [{ area: 'holding', address: 1, scale: 0 }, /^holding:1: scale must be a finite number other than 0, got 0$/],
  [{ area: 'holding', address: 1, scale: Infinity }, /scale must be a finite number other than 0, got Infinity/],
  [{ area: 'holding', address: 1, scale: NaN }, /got NaN/],
  [{ area: 'holding', address: 1, offset: -Infinity }, /^holding:1: offset must be a finite number, got -Infinity$/],
  [{ area: 'holding', address: 1, scale: '2' }, /"scale" must be a number, got string "2"/],
  [{ area: 'holding', address: 1, type: 'string', length: 2, scale: 2 }, /^holding:1: scale and offset apply only to numeric types, not string$/],
  [{ area: 'coil', address: 1, offset: 1 }, /scale and offset apply only to numeric types, not bool/],
  ['holding:7.3*2', /scale and offset apply only to numeric types, not bool/],
  ['holding:100*0', /scale must be a finite number other than 0, got 0/],
  ['holding:100*abc', /^cannot read "\*abc" as scale and offset; write them as \*scale\+offset/],
  ['holding:100+', /cannot read "\+" as scale and offset/],
  // classic notation
  ['40000', /^40000 is not a classic Modbus address: 5-digit holding addresses run from 40001 to 49999$/],
  ['400000', /6-digit holding addresses run from 400001 to 465536/],
  ['465537', /6-digit holding addresses run from 400001 to 465536/],
  ['00000', /5-digit coil addresses run from 00001 to 09999/],
  ['20001', /^20001 is not a classic Modbus address: those start with 0 \(coil\), 1 \(discrete input\), 3 \(input register\) or 4 \(holding register\), not 2$/],
  ['4010', /^4010 is not a classic Modbus address: those have 5 or 6 digits \(40101, 400101\); for a 0-based address write e\.g\. holding:4010$/],
  ['4000001', /have 5 or 6 digits/],
  ['40101:float32:CDAB:1', /too many parts after the address; the form is 40101\[:type\[:byteOrder\]\]/],
  ['40101.16', /bit 16 is outside 0\.\.15/],
];

describe('address: accepted forms', () => {
  for (const [ref, expected] of ACCEPTED) {
    const shown = typeof ref === 'string' ? JSON.stringify(ref) : JSON.stringify(ref);
    it(`${shown} -> ${expected.key}`, () => {
      const resolved = resolveAddress(ref);
      assert.deepStrictEqual(resolved, full(expected));
      // The key is canonical: it resolves back to the same address, and formats to itself.
      assert.deepStrictEqual(resolveAddress(resolved.key), resolved);
      assert.equal(formatAddress(resolved), resolved.key);
      assert.equal(formatAddress(typeof ref === 'string' ? resolved : ref), resolved.key);
    });
  }
});

describe('address: rejected forms', () => {
  for (const [ref, message] of REJECTED) {
    it(`${typeof ref === 'string' ? JSON.stringify(ref) : String(JSON.stringify(ref) ?? ref)} is refused`, () => {
      assert.throws(
        () => resolveAddress(ref as string),
        (e: unknown) => {
          assert.ok(e instanceof AddressError, `expected an AddressError, got ${String(e)}`);
          assert.match(e.message, message);
          return true;
        },
      );
    });
  }
});

describe('address: helpers', () => {
  it('only coils and holding registers are writable', () => {
    assert.equal(isWritableArea('coil'), true);
    assert.equal(isWritableArea('holding'), true);
    assert.equal(isWritableArea('discrete'), false);
    assert.equal(isWritableArea('input'), false);
  });

  it('formatAddress validates inline objects', () => {
    assert.throws(() => formatAddress({ area: 'holding', address: 65535, type: 'float32' }), AddressError);
  });

  it('keys of every type and byte order round-trip', () => {
    for (const area of ['input', 'holding'] as const) {
      for (const type of ['int32', 'uint32', 'float32', 'int64', 'uint64', 'float64'] as const) {
        for (const byteOrder of ['ABCD', 'BADC', 'CDAB', 'DCBA'] as const) {
          const a = resolveAddress({ area, address: 42, type, byteOrder, scale: 2.5, offset: -1e-9 });
          assert.deepStrictEqual(resolveAddress(a.key), a);
        }
      }
    }
  });
});
