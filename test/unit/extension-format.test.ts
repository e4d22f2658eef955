import * as assert from 'node:assert/strict';
import { describeReading, formatLatency, formatValue, withoutDevicePrefix } from '../../extension/format';

describe('extension: value formatting', () => {
  it('shows numbers with units, without float32 noise', () => {
    assert.equal(formatValue(21.500000953674316, '°C'), '21.5 °C');
    assert.equal(formatValue(1500, 'rpm'), '1500 rpm');
    assert.equal(formatValue(true, 'x'), 'true');
    assert.equal(formatValue('AB12'), '"AB12"');
    assert.equal(formatValue(null, 'bar'), '—');
    assert.equal(formatValue('18446744073709551615'), '"18446744073709551615"');
  });

  it('shows a 64-bit integer that travels as a string as a number with its unit, and compounds as short JSON', () => {
    assert.equal(formatValue('18446744073709551615', 'Wh', 'integer'), '18446744073709551615 Wh');
    assert.equal(formatValue('12', 'Wh', 'string'), '"12"');
    assert.equal(formatValue([1, 2, 3], 'bar', 'array'), '[1,2,3]');
    const long = formatValue({ samples: Array.from({ length: 40 }, (_, i) => i) }, undefined, 'structure');
    assert.equal(long.length, 80);
    assert.ok(long.endsWith('…'));
  });

  it('says why a reading is bad instead of showing a value', () => {
    assert.equal(describeReading({ tag: 't', value: null, quality: 'bad', timestamp: 0, error: 'Timeout after 1000 ms' }), 'bad: Timeout after 1000 ms');
    assert.equal(describeReading({ tag: 't', value: 3, quality: 'uncertain', timestamp: 0 }, 'V'), '3 V (uncertain)');
    assert.equal(describeReading(undefined), '');
    assert.equal(describeReading({ tag: 't', value: null, quality: 'bad', timestamp: 0, status: 'BadNodeIdUnknown' }), 'bad: BadNodeIdUnknown');
  });

  it('gives the protocol\'s status name as the reason when there is one, which a row has room for', () => {
    const probe = { tag: 'Line1/Probe', value: null, quality: 'bad' as const, timestamp: 0, status: 'BadSensorFailure', error: 'mem: Line1/Probe: the device reports BadSensorFailure' };
    assert.equal(describeReading(probe, undefined, 'mem'), 'bad: BadSensorFailure');
    assert.equal(describeReading({ ...probe, value: 4, quality: 'uncertain', status: 'UncertainLastUsableValue' }, 'A', 'mem'), '4 A (uncertain: UncertainLastUsableValue)');
  });

  it('formats latencies', () => {
    assert.equal(formatLatency(null), '—');
    assert.equal(formatLatency(0.456), '0.46 ms');
    assert.equal(formatLatency(123.4), '123 ms');
  });
});

describe('extension: device prefix in messages', () => {
  it('drops the device id only where it starts the message', () => {
    assert.equal(withoutDevicePrefix('press-1: timeout after 1000 ms', 'press-1'), 'timeout after 1000 ms');
    assert.equal(withoutDevicePrefix('timeout on press-1: x', 'press-1'), 'timeout on press-1: x');
    assert.equal(describeReading({ tag: 't', value: null, quality: 'bad', timestamp: 0, error: 'p: refused' }, undefined, 'p'), 'bad: refused');
  });
});
