import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { validateConfig } from '../../gateway/config';

const root = path.resolve(__dirname, '..', '..');
const schema = JSON.parse(readFileSync(path.join(root, 'schemas', 'bifrost.schema.json'), 'utf8'));
const example = JSON.parse(readFileSync(path.join(root, 'examples', 'bifrost.json'), 'utf8'));

// Editor-only keywords (descriptions for completion, custom messages) are not JSON Schema: ignore them.
const ajv = new Ajv({ strict: false, allErrors: true });
const validate = ajv.compile(schema);

function errorsOf(doc: unknown): string[] {
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

function withTag(tag: Record<string, unknown>) {
  return { devices: [{ id: 'd', protocol: 'modbus-tcp', host: 'h', tags: [{ name: 't', ...tag }] }] };
}

describe('extension: bifrost.json schema', () => {
  it('accepts the example, and so does the gateway', () => {
    assert.deepEqual(errorsOf(example), []);
    assert.deepEqual(validateConfig(example).problems, []);
  });

  it('accepts both address forms', () => {
    assert.deepEqual(errorsOf(withTag({ area: 'holding', address: 100, type: 'float32', byteOrder: 'CDAB' })), []);
    assert.deepEqual(errorsOf(withTag({ address: 'holding:100:float32:CDAB' })), []);
    assert.deepEqual(errorsOf(withTag({ address: '40101*0.1+5' })), []);
    assert.deepEqual(errorsOf(withTag({ address: 'holding:7.3' })), []);
  });

  // Each of these is refused by the gateway too: the schema tells the user before saving.
  const refused: [string, Record<string, unknown>][] = [
    ['a numeric address without an area', { address: 5 }],
    ['an address string with separate fields', { address: 'holding:5', type: 'int16' }],
    ['a coil that is not bool', { area: 'coil', address: 0, type: 'uint16' }],
    ['a bool register without a bit', { area: 'holding', address: 0, type: 'bool' }],
    ['a string without a length', { area: 'holding', address: 0, type: 'string' }],
    ['a scaled bool', { area: 'holding', address: 0, bit: 1, scale: 2 }],
    ['a byte order on a 16-bit type', { area: 'holding', address: 0, type: 'int16', byteOrder: 'CDAB' }],
    ['an address beyond 65535', { area: 'holding', address: 65536 }],
    ['a zero scale', { area: 'holding', address: 0, scale: 0 }],
    ['an unknown access', { area: 'holding', address: 0, access: 'write' }],
    ['a garbled address string', { address: 'holding 5' }],
  ];
  for (const [what, tag] of refused) {
    it(`refuses ${what}, as the gateway does`, () => {
      assert.notDeepEqual(errorsOf(withTag(tag)), [], 'the schema accepted it');
      assert.ok(validateConfig(withTag(tag)).problems.some((p) => p.severity === 'error'), 'the gateway accepted it');
    });
  }

  it('refuses bad device settings', () => {
    const base = { id: 'd', protocol: 'modbus-tcp', host: 'h' };
    assert.notDeepEqual(errorsOf({ devices: [{ ...base, id: 'has space' }] }), []);
    assert.notDeepEqual(errorsOf({ devices: [{ ...base, port: 0 }] }), []);
    assert.notDeepEqual(errorsOf({ devices: [{ ...base, unitId: 256 }] }), []);
    assert.notDeepEqual(errorsOf({ devices: [{ ...base, maxRegistersPerRead: 126 }] }), []);
    assert.notDeepEqual(errorsOf({ devices: [{ id: 'd', protocol: 'modbus-tcp' }] }), []);
  });
});
