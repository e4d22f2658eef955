/**
 * Sparkplug B payloads: every datatype the gateway writes goes to bytes and back to the same value,
 * the edges of each integer type included (where the published JS library goes wrong), values
 * that do not fit are refused, and the bytes are those the specification's schema gives, read
 * here with a protobuf wire reader of the test's own, not with the encoder's library.
 */
import { strict as assert } from 'node:assert';
import protobuf from 'protobufjs';
import { decodePayload, encodePayload, type Metric, type MetricValue, SparkplugValueError } from '../../gateway/mqtt/sparkplug/payload';
import { SPARKPLUG_B_PROTO } from '../../gateway/mqtt/sparkplug/schema';

/** Protobuf wire fields of a message: [field number, wire type, value (bigint for varints, bytes otherwise)]. */
function fields(bytes: Uint8Array): [number, number, bigint | Uint8Array][] {
  const out: [number, number, bigint | Uint8Array][] = [];
  let at = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = bytes[at++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const [field, type] = [key >>> 3, key & 7];
    if (type === 0) out.push([field, type, varint()]);
    else if (type === 2) {
      const n = Number(varint());
      out.push([field, type, Uint8Array.from(bytes.subarray(at, at + n))]);
      at += n;
    } else if (type === 5) {
      out.push([field, type, Uint8Array.from(bytes.subarray(at, at + 4))]);
      at += 4;
    } else if (type === 1) {
      out.push([field, type, Uint8Array.from(bytes.subarray(at, at + 8))]);
      at += 8;
    } else throw new Error(`wire type ${type}`);
  }
  return out;
}

const one = (m: Metric) => decodePayload(encodePayload({ timestamp: 1_700_000_000_000, seq: 0, metrics: [m] })).metrics[0]!;
/** The metric's own fields in the bytes of a payload that holds it alone. */
const metricFields = (m: Metric) => fields(fields(encodePayload({ metrics: [m] })).find(([f]) => f === 2)![2] as Uint8Array);

describe('Sparkplug B payloads', () => {
  const cases: [Metric['datatype'], MetricValue][] = [
    ['Int8', -128], ['Int8', 127], ['Int8', -1],
    ['Int16', -32768], ['Int16', 32767],
    ['Int32', -2147483648], ['Int32', 2147483647], ['Int32', -1],
    ['UInt8', 255], ['UInt16', 65535], ['UInt32', 4294967295], ['UInt32', 2147483648],
    ['Int64', -(2n ** 63n)], ['Int64', 2n ** 63n - 1n], ['Int64', -1n],
    ['UInt64', 2n ** 64n - 1n], ['UInt64', 0n],
    ['Float', 21.5], ['Float', -0.15625], ['Double', 0.1], ['Double', -1e308],
    ['Boolean', true], ['Boolean', false],
    ['String', 'Tank 3 · 50 %'], ['Text', ''], ['UUID', '6a1f0c0e-4a5b-4c3d-9e8f-0123456789ab'],
    ['DateTime', 1_700_000_000_123],
    ['Bytes', new Uint8Array([0, 1, 254, 255])],
    ['Int16Array', [-32768, 0, 32767]], ['UInt32Array', [0, 4294967295]], ['Int64Array', [-(2n ** 63n), 5n]],
    ['UInt64Array', [2n ** 64n - 1n]], ['FloatArray', [1.5, -2]], ['DoubleArray', [0.1, Math.PI]],
    ['StringArray', ['a', '', 'ü']], ['DateTimeArray', [0, 1_700_000_000_000]],
  ];
  for (const [datatype, value] of cases) {
    it(`keeps ${datatype} ${typeof value === 'bigint' ? `${value}n` : JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`, () => {
      const back = one({ name: 'm', datatype, value });
      assert.equal(back.datatype, datatype);
      assert.deepEqual(back.value, value);
    });
  }

  it('writes the very bytes protobufjs would write from the schema, for payloads of every kind', () => {
    // The encoder writes fields by hand for speed: the library's own reflection encoder, given what
    // it decodes from our bytes, must give the same bytes back (same fields, same order, same varints).
    const Payload = protobuf.parse(SPARKPLUG_B_PROTO, { keepCase: true }).root.lookupType('org.eclipse.tahu.protobuf.Payload');
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const metrics: Metric[] = [];
      for (let i = rand(6); i >= 0; i--) {
        const [datatype, value] = cases[rand(cases.length)]!;
        const m: Metric = { datatype, value: rand(5) === 0 ? null : value };
        if (rand(2)) m.name = `dev/tag ${i}`;
        if (rand(2)) m.alias = rand(3) === 0 ? 2n ** 64n - 1n - BigInt(rand(1000)) : BigInt(rand(100_000));
        if (rand(2)) m.timestamp = 1_700_000_000_000 + rand(1_000_000);
        if (rand(3) === 0) m.isHistorical = true;
        if (rand(4) === 0) m.isTransient = true;
        if (rand(3) === 0) m.properties = { engUnit: { type: 'String', value: '°C' }, Quality: { type: 'Int32', value: rand(2) ? 192 : -1 }, hi: { type: 'Int64', value: rand(2) ? -5n : null }, big: { type: 'UInt64', value: 2n ** 63n + 1n } };
        metrics.push(m);
      }
      const p = { metrics, ...(rand(2) ? { timestamp: 1_700_000_000_000 + rand(99) } : {}), ...(rand(2) ? { seq: rand(256) } : {}), ...(rand(5) === 0 ? { uuid: 'u-1' } : {}), ...(rand(6) === 0 ? { body: new Uint8Array([1, 2, 3]) } : {}) };
      const ours = encodePayload(p);
      const theirs = Payload.encode(Payload.decode(ours)).finish();
      assert.deepEqual(Buffer.from(ours).toString('hex'), Buffer.from(theirs).toString('hex'), `round ${round}`);
      assert.deepEqual(decodePayload(ours).metrics.map((m) => m.value), metrics.map((m) => m.value), `round ${round}: values`);
    }
  });

  it('writes signed integers as the specification says: 32- and 64-bit two\'s complement in int_value and long_value', () => {
    const int32 = metricFields({ name: 'x', datatype: 'Int32', value: -1 });
    assert.deepEqual(int32.find(([f]) => f === 10)?.[2], 0xffffffffn, 'int_value (field 10) of Int32 -1');
    assert.deepEqual(metricFields({ name: 'x', datatype: 'Int8', value: -2 }).find(([f]) => f === 10)?.[2], 0xfffffffen);
    assert.deepEqual(metricFields({ name: 'x', datatype: 'Int64', value: -1n }).find(([f]) => f === 11)?.[2], 2n ** 64n - 1n, 'long_value (field 11)');
    assert.deepEqual(int32.find(([f]) => f === 1)?.[2], new TextEncoder().encode('x'), 'name is field 1');
    assert.equal(int32.find(([f]) => f === 4)?.[2], 3n, 'datatype (field 4) is Int32 = 3');
    const float = metricFields({ name: 'x', datatype: 'Float', value: 1 });
    assert.deepEqual(float.find(([f]) => f === 12)?.slice(1), [5, new Uint8Array([0, 0, 0x80, 0x3f])], 'float_value: field 12, fixed32, little-endian');
    const arr = metricFields({ name: 'x', datatype: 'Int16Array', value: [-1, 2] });
    assert.deepEqual(arr.find(([f]) => f === 16)?.[2], new Uint8Array([0xff, 0xff, 2, 0]), 'arrays packed little-endian in bytes_value (field 16)');
    const strings = metricFields({ name: 'x', datatype: 'StringArray', value: ['a', 'b'] });
    assert.deepEqual(strings.find(([f]) => f === 16)?.[2], new Uint8Array([0x61, 0, 0x62, 0]), 'each string ended by a NUL');
  });

  it('puts timestamp, seq and metrics in fields 1, 3 and 2 of the payload; alias in field 2 of a metric', () => {
    const bytes = encodePayload({ timestamp: 1_700_000_000_000, seq: 255, metrics: [{ alias: 7n, datatype: 'Boolean', value: true }] });
    const top = fields(bytes);
    assert.deepEqual(top.find(([f]) => f === 1)?.[2], 1_700_000_000_000n);
    assert.deepEqual(top.find(([f]) => f === 3)?.[2], 255n);
    const metric = fields(top.find(([f]) => f === 2)![2] as Uint8Array);
    assert.deepEqual(metric.find(([f]) => f === 2)?.[2], 7n);
    assert.equal(metric.some(([f]) => f === 1), false, 'a metric sent by alias has no name');
    assert.deepEqual(decodePayload(bytes), { timestamp: 1_700_000_000_000, seq: 255, metrics: [{ alias: 7n, datatype: 'Boolean', value: true }] });
  });

  it('a null value is is_null with no value; properties keep their types', () => {
    const back = one({ name: 'level', datatype: 'Double', value: null, properties: { engUnit: { type: 'String', value: '%' }, Quality: { type: 'Int32', value: 500 }, low: { type: 'Double', value: null } } });
    assert.equal(back.value, null);
    assert.deepEqual(back.properties, { engUnit: { type: 'String', value: '%' }, Quality: { type: 'Int32', value: 500 }, low: { type: 'Double', value: null } });
    assert.equal(metricFields({ name: 'x', datatype: 'Double', value: null }).find(([f]) => f === 7)?.[2], 1n, 'is_null is field 7');
  });

  it('refuses what a datatype cannot carry, saying what and why, and never rounds', () => {
    const refused: [Metric['datatype'], unknown, RegExp][] = [
      ['Int8', 128, /128 does not fit an Int8 \(-128 to 127\)/],
      ['UInt32', -1, /-1 does not fit an UInt32/],
      ['Int32', 1.5, /whole number, not 1\.5/],
      ['UInt64', 2n ** 64n, /does not fit an UInt64/],
      ['Int64', 2 ** 60, /whole number/],
      ['Float', 0.1, /not exactly a 32-bit float/],
      ['Boolean', 1, /true or false/],
      ['String', 5, /takes a string/],
      ['StringArray', ['a\0b'], /NUL/],
      ['DataSet', [], /not written by this gateway/],
    ];
    for (const [datatype, value, message] of refused) {
      assert.throws(() => encodePayload({ metrics: [{ name: 'tank/level', datatype, value: value as MetricValue }] }), (err: unknown) => err instanceof SparkplugValueError && /^metric tank\/level: /.test(err.message) && message.test(err.message), `${datatype} ${String(value)}`);
    }
    assert.throws(() => encodePayload({ seq: 256, metrics: [] }), /seq 256 is not 0-255/);
  });

  it('takes a 64-bit value as a decimal string too (how the gateway carries integers beyond 2^53)', () => {
    assert.equal(one({ name: 'n', datatype: 'UInt64', value: '18446744073709551615' as unknown as MetricValue }).value, 2n ** 64n - 1n);
    assert.equal(one({ name: 'n', datatype: 'Int64', value: '-9223372036854775808' as unknown as MetricValue }).value, -(2n ** 63n));
  });
});
