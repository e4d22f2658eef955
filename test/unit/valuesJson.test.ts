import { strict as assert } from 'node:assert';
import { valuesNotificationJson } from '../../gateway/valuesJson';
import type { TagReading } from '../../gateway/protocol';

describe('values notification JSON', () => {
  it('is exactly what JSON.stringify writes, for every kind of value, error and awkward tag name', () => {
    const items: TagReading[] = [
      { tag: 'holding:0', value: 42, quality: 'good', timestamp: 1795245019008 },
      { tag: 'level "A"\\tank\n', value: -0.000123, quality: 'good', timestamp: 1 },
      { tag: 'pump', value: true, quality: 'good', timestamp: 2 },
      { tag: 'serial', value: 'SN-ü-"7"', quality: 'good', timestamp: 3 },
      { tag: 'energy', value: '18446744073709551615', quality: 'good', timestamp: 4 },
      { tag: 'dead', value: null, quality: 'bad', timestamp: 5, error: 'plc1: no answer within 1000 ms reading "x"' },
      { tag: 'big', value: 1e300, quality: 'uncertain', timestamp: 6 },
      { tag: 'lone \ud800 surrogate, DEL \u007f, 漢字', value: 'tab\there', quality: 'uncertain', timestamp: 7, status: 'UncertainLastUsableValue' },
    ];
    const expected = JSON.stringify({ jsonrpc: '2.0', method: 'bifrost/values', params: { subscriptionId: 's"1', items } });
    assert.equal(valuesNotificationJson('s"1', items), expected);
  });

  it('writes integers digit by digit exactly as JSON.stringify does, up to and beyond 1e15', () => {
    const numbers = [0, -0, 7, -7, 9, 10, 99, 100, 65535, -32768, 99999999, 1e8, 1e8 + 1, -123456789, 1795200000000, 1700000000005, 1795245019008, 999999999999999, 1e15, -1e15, 2 ** 53, 1.5, -0.25, 1e21];
    const items: TagReading[] = numbers.map((value, i) => ({ tag: `t${i}`, value, quality: 'good', timestamp: 1795245019008 + i }));
    const expected = JSON.stringify({ jsonrpc: '2.0', method: 'bifrost/values', params: { subscriptionId: 's1', items } });
    assert.equal(valuesNotificationJson('s1', items), expected);
  });

  it('writes timestamps shared by many readings, and changing from one reading to the next, as JSON.stringify does', () => {
    const times = [1795245019008, 1795245019008, 1795245019008, 1795245019009, 1795245019008, 1795245019008, 5, 5, 1795245019010];
    const items: TagReading[] = times.map((t, i) => ({
      tag: `t${i}`,
      value: i,
      quality: i % 4 === 3 ? 'uncertain' : 'good',
      timestamp: t,
      sourceTimestamp: times[times.length - 1 - i],
      ...(i % 3 === 0 ? { serverTimestamp: t - 1 } : {}),
    }));
    const expected = JSON.stringify({ jsonrpc: '2.0', method: 'bifrost/values', params: { subscriptionId: 's1', items } });
    assert.equal(valuesNotificationJson('s1', items), expected);
    // And again: nothing kept from the first notification leaks into the second.
    assert.equal(valuesNotificationJson('s1', items.slice(3)), JSON.stringify({ jsonrpc: '2.0', method: 'bifrost/values', params: { subscriptionId: 's1', items: items.slice(3) } }));
  });

  it('writes non-finite numbers as null, as JSON.stringify does', () => {
    const json = valuesNotificationJson('s1', [{ tag: 't', value: NaN, quality: 'uncertain', timestamp: 1 }]);
    assert.equal(JSON.parse(json).params.items[0].value, null);
  });

  it('writes an empty batch', () => {
    assert.deepEqual(JSON.parse(valuesNotificationJson('s1', [])).params, { subscriptionId: 's1', items: [] });
  });
});
