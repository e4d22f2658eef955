import * as assert from 'node:assert/strict';
import { describeExpected, engineeringRange, parseWriteValue, writeTargetFromAddress } from '../../extension/commands/writeInput';

describe('extension: Write… input checks', () => {
  it('accepts the four spellings of a boolean and nothing else', () => {
    for (const [text, value] of [['true', true], ['FALSE', false], ['1', true], [' 0 ', false]] as const) {
      assert.deepEqual(parseWriteValue(text, { type: 'bool' }), { ok: true, value });
    }
    const r = parseWriteValue('yes', { type: 'bool' });
    assert.equal(r.ok, false);
  });

  it('checks integer ranges exactly, int16 and uint32', () => {
    assert.deepEqual(parseWriteValue('-32768', { type: 'int16' }), { ok: true, value: -32768 });
    assert.equal(parseWriteValue('32768', { type: 'int16' }).ok, false);
    assert.deepEqual(parseWriteValue('4294967295', { type: 'uint32' }), { ok: true, value: 4294967295 });
    assert.equal(parseWriteValue('4294967296', { type: 'uint32' }).ok, false);
    assert.equal(parseWriteValue('-1', { type: 'uint32' }).ok, false);
    assert.equal(parseWriteValue('1.5', { type: 'int16' }).ok, false);
  });

  it('sends 64-bit integers beyond 2^53 as decimal strings', () => {
    assert.deepEqual(parseWriteValue('18446744073709551615', { type: 'uint64' }), { ok: true, value: '18446744073709551615' });
    assert.equal(parseWriteValue('18446744073709551616', { type: 'uint64' }).ok, false);
    assert.deepEqual(parseWriteValue('-9007199254740991', { type: 'int64' }), { ok: true, value: -9007199254740991 });
  });

  it('tells and checks the range in engineering units when the tag is scaled', () => {
    const t = { type: 'int16' as const, scale: 0.1, unit: '°C' };
    assert.deepEqual(engineeringRange(t), { min: -3276.8, max: 3276.7000000000003 });
    assert.match(describeExpected(t), /-3276\.8 to 3276\.7 °C in steps of 0\.1/);
    assert.deepEqual(parseWriteValue('21.5', t), { ok: true, value: 21.5 });
    assert.equal(parseWriteValue('3300', t).ok, false);
    const between = parseWriteValue('21.55', t);
    assert.equal(between.ok, false);
    assert.match((between as { message: string }).message, /21\.5 and 21\.6/);
  });

  it('applies the offset too, and handles a negative scale', () => {
    assert.deepEqual(engineeringRange({ type: 'uint16', scale: 1, offset: -100 }), { min: -100, max: 65435 });
    assert.deepEqual(engineeringRange({ type: 'uint16', scale: -2 }), { min: -131070, max: 0 });
  });

  it('accepts floats within float32 range, refuses text', () => {
    assert.deepEqual(parseWriteValue('-1.25e3', { type: 'float32' }), { ok: true, value: -1250 });
    assert.equal(parseWriteValue('1e39', { type: 'float32' }).ok, false);
    assert.equal(parseWriteValue('abc', { type: 'float64' }).ok, false);
    assert.equal(parseWriteValue('NaN', { type: 'float64' }).ok, false);
  });

  it('limits strings to two ASCII characters per register', () => {
    assert.deepEqual(parseWriteValue('ABCD', { type: 'string', length: 2 }), { ok: true, value: 'ABCD' });
    assert.equal(parseWriteValue('ABCDE', { type: 'string', length: 2 }).ok, false);
    assert.equal(parseWriteValue('Grüße', { type: 'string', length: 8 }).ok, false);
  });

  it('asks for a value when the box is empty', () => {
    const r = parseWriteValue('  ', { type: 'uint16' });
    assert.equal(r.ok, false);
    assert.match((r as { message: string }).message, /^Enter a whole number from 0 to 65535/);
  });
});

describe('extension: write target from a canonical address', () => {
  it('reads scale, offset and string length', () => {
    assert.deepEqual(writeTargetFromAddress('holding:100:int16*0.1-40', 'int16', '°C'), { type: 'int16', unit: '°C', scale: 0.1, offset: -40 });
    assert.deepEqual(writeTargetFromAddress('holding:100:float32:CDAB', 'float32'), { type: 'float32' });
    assert.deepEqual(writeTargetFromAddress('holding:10:string:8', 'string'), { type: 'string', length: 8 });
    assert.deepEqual(writeTargetFromAddress('holding:3*1e-3', 'uint16'), { type: 'uint16', scale: 0.001 });
    assert.deepEqual(writeTargetFromAddress('holding:3*-2+5.5', 'uint16'), { type: 'uint16', scale: -2, offset: 5.5 });
    assert.deepEqual(writeTargetFromAddress('holding:7.3', 'bool'), { type: 'bool' });
    assert.deepEqual(writeTargetFromAddress('coil:12', 'bool'), { type: 'bool' });
  });
});
