import * as assert from 'node:assert/strict';
import type { WriteSpec } from '../../gateway/protocol';
import { describeExpected, parseWriteValue, valueText } from '../../extension/commands/writeInput';

const int16: WriteSpec = { kind: 'integer', min: '-32768', max: '32767' };
const uint64: WriteSpec = { kind: 'integer', min: '0', max: '18446744073709551615' };
const tenths: WriteSpec = { kind: 'number', min: -3276.8, max: 3276.7, step: 0.1, stepOrigin: 0 };

describe('extension: Write… input checks from the tag\'s writeSpec', () => {
  it('accepts the four spellings of a boolean and nothing else', () => {
    for (const [text, value] of [['true', true], ['FALSE', false], ['1', true], [' 0 ', false]] as const) {
      assert.deepEqual(parseWriteValue(text, { kind: 'boolean' }), { ok: true, value });
    }
    assert.equal(parseWriteValue('yes', { kind: 'boolean' }).ok, false);
  });

  it('checks integer limits exactly, and refuses a fraction by saying whole numbers only', () => {
    assert.deepEqual(parseWriteValue('-32768', int16), { ok: true, value: -32768 });
    assert.match(String((parseWriteValue('32768', int16) as { message: string }).message), /out of range.*-32768 to 32767/);
    const fraction = parseWriteValue('12.5', int16);
    assert.equal(fraction.ok, false);
    assert.match((fraction as { message: string }).message, /whole numbers only/);
    assert.match((parseWriteValue('abc', int16) as { message: string }).message, /not a number/);
  });

  it('keeps integers beyond 2^53 exact, sending them as decimal strings', () => {
    assert.deepEqual(parseWriteValue('18446744073709551615', uint64), { ok: true, value: '18446744073709551615' });
    assert.equal(parseWriteValue('18446744073709551616', uint64).ok, false);
    assert.deepEqual(parseWriteValue('9007199254740991', uint64), { ok: true, value: 9007199254740991 });
  });

  it('refuses a value between two steps, naming the two nearest allowed values', () => {
    assert.deepEqual(parseWriteValue('21.5', tenths), { ok: true, value: 21.5 });
    const between = parseWriteValue('21.55', tenths);
    assert.equal(between.ok, false);
    assert.match((between as { message: string }).message, /between two steps of 0\.1: the nearest values are 21\.5 and 21\.6/);
    assert.match((parseWriteValue('4000', tenths, '°C') as { message: string }).message, /out of range: enter a number from -3276\.8 to 3276\.7 °C in steps of 0\.1/);
    // A step with an origin: 4 mA + k × 0.5.
    const offset: WriteSpec = { kind: 'number', step: 0.5, stepOrigin: 4 };
    assert.deepEqual(parseWriteValue('5.5', offset), { ok: true, value: 5.5 });
    assert.match((parseWriteValue('5.2', offset) as { message: string }).message, /nearest values are 5 and 5\.5/);
  });

  it('says what it expects in the tag\'s units', () => {
    assert.equal(describeExpected(tenths, '°C'), 'a number from -3276.8 to 3276.7 °C in steps of 0.1');
    assert.equal(describeExpected(int16), 'a whole number from -32768 to 32767');
    assert.equal(describeExpected({ kind: 'number' }), 'a number');
    assert.equal(describeExpected({ kind: 'string', maxLength: 16, ascii: true }), 'text of up to 16 ASCII characters');
    const r = parseWriteValue('  ', { kind: 'integer', min: '0', max: '65535' });
    assert.match((r as { message: string }).message, /^Enter a whole number from 0 to 65535/);
  });

  it('limits strings by length and to ASCII where the tag says so', () => {
    assert.deepEqual(parseWriteValue('ABCD', { kind: 'string', maxLength: 4, ascii: true }), { ok: true, value: 'ABCD' });
    assert.match((parseWriteValue('ABCDE', { kind: 'string', maxLength: 4 }) as { message: string }).message, /Too long: 5 characters, the tag holds 4/);
    assert.equal(parseWriteValue('Grüße', { kind: 'string', ascii: true }).ok, false);
    assert.deepEqual(parseWriteValue('Grüße', { kind: 'string' }), { ok: true, value: 'Grüße' });
  });

  it('parses JSON for arrays and structures, and names an enum value by its label', () => {
    assert.deepEqual(parseWriteValue('[1, 2, {"x": true}]', { kind: 'json' }), { ok: true, value: [1, 2, { x: true }] });
    assert.match((parseWriteValue('[1, 2', { kind: 'json' }) as { message: string }).message, /^Not valid JSON/);
    const modes: WriteSpec = { kind: 'enum', values: [{ value: 0, label: 'Off' }, { value: 1, label: 'Auto' }] };
    assert.deepEqual(parseWriteValue('Auto', modes), { ok: true, value: 1 });
    assert.equal(parseWriteValue('Manual', modes).ok, false);
    assert.equal(valueText({ x: [1] }), '{"x":[1]}');
  });
});
