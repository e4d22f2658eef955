import { strict as assert } from 'node:assert';
import type { WriteSpec } from '../../gateway/protocol';
import { resolveAddress, type ResolvedAddress } from '../../gateway/modbus/address';
import { encodeValue } from '../../gateway/modbus/codec';
import { valueKindOf, writeSpecOf } from '../../gateway/modbus/writeSpec';

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * A client's check of input against a WriteSpec, written from the contract's description of
 * WriteSpec alone (as the extension's Write… does), knowing nothing of Modbus.
 */
function accepts(spec: WriteSpec, v: unknown): boolean {
  switch (spec.kind) {
    case 'boolean':
      return v === true || v === false || v === 1 || v === 0;
    case 'integer': {
      let n: bigint;
      if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
      else if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) n = BigInt(v.trim());
      else return false;
      return n >= BigInt(spec.min) && n <= BigInt(spec.max);
    }
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return false;
      if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) return false;
      if (spec.step === undefined) return true;
      // On origin + k * step for a whole k, up to floating-point noise.
      const origin = spec.stepOrigin ?? 0;
      const k = Math.round((v - origin) / spec.step);
      return Math.abs(origin + k * spec.step - v) <= 64 * Number.EPSILON * Math.max(Math.abs(v), Math.abs(origin), spec.step);
    }
    case 'string':
      return typeof v === 'string' && (spec.maxLength === undefined || v.length <= spec.maxLength) && (!spec.ascii || /^[\x20-\x7e]*$/.test(v));
    case 'enum':
      return spec.values.some((e) => e.value === v);
    case 'json':
      return true;
  }
}

function encodes(a: ResolvedAddress, v: unknown): boolean {
  try {
    encodeValue(a, v);
    return true;
  } catch {
    return false;
  }
}

/** Values at and around every edge a spec names, plus what no spec should take. */
function edgeValues(spec: WriteSpec): unknown[] {
  const common: unknown[] = [0, -0, 1, -1, 0.5, 1.5, -1.5, 0.25, 1 / 3, NaN, Infinity, -Infinity, '5', ' 7 ', '+7', '1.5', '1e3', '0x10', '', true, false, null, undefined, [1], {}];
  switch (spec.kind) {
    case 'integer': {
      const out = [...common];
      for (const edge of [BigInt(spec.min), BigInt(spec.max), 2n ** 53n, -(2n ** 53n), 2n ** 31n, 2n ** 32n]) {
        for (const d of [-1n, 0n, 1n]) {
          out.push((edge + d).toString());
          out.push(Number(edge + d));
          out.push(Number(edge + d) + 0.5);
        }
      }
      return out;
    }
    case 'number': {
      const out = [...common];
      const step = spec.step ?? 1;
      for (const edge of [spec.min!, spec.max!, spec.stepOrigin ?? 0]) {
        for (const d of [-2, -1, -0.5, -0.25, 0, 0.25, 0.5, 1, 2]) out.push(edge + d * step);
        out.push(edge * (1 + 1e-7), edge * (1 - 1e-7));
      }
      return out;
    }
    case 'string': {
      const n = spec.maxLength!;
      return [...common, 'A', 'A'.repeat(n), 'A'.repeat(n + 1), 'A'.repeat(Math.max(0, n - 1)) + 'é', 'a\tb', '~', '\x7f', ' ', 'ü', 42];
    }
    default:
      return [...common, 2, 'true', 'false'];
  }
}

const NUMERIC = ['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64'];
const WIDE = new Set(['int32', 'uint32', 'int64', 'uint64', 'float32', 'float64']);
const SCALES: [number, number][] = [[1, 0], [0.1, 0], [0.1, -40], [2, 1], [-0.5, 0], [0.001, 0], [10, 5], [0.3, 0.05]];
const ORDERS = ['ABCD', 'BADC', 'CDAB', 'DCBA'] as const;

function addresses(): ResolvedAddress[] {
  const out = [resolveAddress('coil:3'), resolveAddress('holding:7.3'), resolveAddress('holding:0:string:1'), resolveAddress('holding:0:string:5')];
  for (const type of NUMERIC) {
    for (const order of WIDE.has(type) ? ORDERS : (['ABCD'] as const)) {
      for (const [scale, offset] of SCALES) {
        out.push(resolveAddress({ area: 'holding', address: 10, type: type as 'int16', byteOrder: order, scale, offset }));
      }
    }
  }
  return out;
}

describe('writeSpecOf', () => {
  it('describes each type as the contract says', () => {
    const spec = (ref: string | object) => writeSpecOf(resolveAddress(ref as string));
    assert.deepEqual(spec('coil:0'), { kind: 'boolean' });
    assert.deepEqual(spec('holding:0.5'), { kind: 'boolean' });
    assert.deepEqual(spec('holding:0:int16'), { kind: 'integer', min: '-32768', max: '32767' });
    assert.deepEqual(spec('holding:0'), { kind: 'integer', min: '0', max: '65535' });
    assert.deepEqual(spec('holding:0:uint32:CDAB'), { kind: 'integer', min: '0', max: '4294967295' });
    assert.deepEqual(spec('holding:0:int64'), { kind: 'integer', min: '-9223372036854775808', max: '9223372036854775807' });
    assert.deepEqual(spec('holding:0:uint64'), { kind: 'integer', min: '0', max: '18446744073709551615' });
    assert.deepEqual(spec('holding:0:int16*0.1-40'), { kind: 'number', min: -3316.8, max: 3236.7, step: 0.1, stepOrigin: -40 });
    assert.deepEqual(spec('holding:0*-0.5'), { kind: 'number', min: -32767.5, max: 0, step: 0.5, stepOrigin: 0 });
    assert.deepEqual(spec('holding:0:float32'), { kind: 'number', min: -FLOAT32_MAX, max: FLOAT32_MAX });
    assert.deepEqual(spec('holding:0:float32*2'), { kind: 'number', min: -2 * FLOAT32_MAX, max: 2 * FLOAT32_MAX });
    assert.deepEqual(spec('holding:0:float64'), { kind: 'number', min: -Number.MAX_VALUE, max: Number.MAX_VALUE });
    assert.deepEqual(spec('holding:0:float64*4'), { kind: 'number', min: -Number.MAX_VALUE, max: Number.MAX_VALUE });
    assert.deepEqual(spec('holding:0:string:5'), { kind: 'string', maxLength: 10, ascii: true });
  });

  it('names the kind of value', () => {
    const kind = (ref: string) => valueKindOf(resolveAddress(ref));
    assert.equal(kind('coil:0'), 'boolean');
    assert.equal(kind('input:0.1'), 'boolean');
    assert.equal(kind('input:0'), 'integer');
    assert.equal(kind('holding:0:uint64'), 'integer');
    assert.equal(kind('holding:0:int16*0.1'), 'number');
    assert.equal(kind('holding:0:uint64*2'), 'number');
    assert.equal(kind('holding:0:float64'), 'number');
    assert.equal(kind('holding:0:string:2'), 'string');
  });

  it('a client checking against the spec accepts exactly what the codec writes (every type, scale and byte order, at every edge)', () => {
    let checked = 0;
    for (const a of addresses()) {
      const spec = writeSpecOf(a);
      for (const v of edgeValues(spec)) {
        const shown = typeof v === 'string' ? JSON.stringify(v) : String(v);
        assert.equal(accepts(spec, v), encodes(a, v), `${a.key} with ${JSON.stringify(spec)}: ${shown}`);
        checked++;
      }
    }
    assert.ok(checked > 10_000, `${checked}`);
  });

  it('the codec takes every bound it names, and neither neighbour beyond', () => {
    for (const a of addresses()) {
      const spec = writeSpecOf(a);
      if (spec.kind === 'integer') {
        assert.ok(encodes(a, spec.min) && encodes(a, spec.max), a.key);
        assert.ok(!encodes(a, (BigInt(spec.min) - 1n).toString()) && !encodes(a, (BigInt(spec.max) + 1n).toString()), a.key);
      } else if (spec.kind === 'number') {
        assert.ok(encodes(a, spec.min) && encodes(a, spec.max), a.key);
        // One step beyond (a millionth beyond, for floats), where a double can tell it apart.
        for (const [bound, sign] of [[spec.max!, 1], [spec.min!, -1]] as const) {
          const beyond = bound + sign * (spec.step ?? Math.abs(bound) * 1e-6);
          if (Number.isFinite(beyond) && beyond !== bound) assert.ok(!encodes(a, beyond), `${a.key}: ${beyond}`);
        }
      }
    }
  });
});
