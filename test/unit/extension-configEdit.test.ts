import * as assert from 'node:assert/strict';
import type { DeviceConfig } from '../../gateway/protocol';
import { appendDevice, configuredDeviceIds, newConfigText } from '../../extension/config/edits';
import { parseConfigText } from '../../extension/config/document';

const device: DeviceConfig = { id: 'press-3', name: 'Press 3', protocol: 'modbus-tcp', host: '10.0.0.3', port: 502, unitId: 1, tags: [] };

describe('extension: editing bifrost.json', () => {
  it('writes a new file with an empty device list, and $schema only when asked', () => {
    assert.deepEqual(JSON.parse(newConfigText()), { devices: [] });
    const text = newConfigText('https://example.invalid/schema.json');
    assert.deepEqual(JSON.parse(text), { $schema: 'https://example.invalid/schema.json', devices: [] });
  });

  it('appends a device and keeps comments and the other devices', () => {
    const text = '{\n    // plant floor\n    "devices": [\n        { "id": "a", "protocol": "modbus-tcp", "host": "x" } // the first\n    ]\n}\n';
    const out = appendDevice(text, device);
    assert.match(out, /\/\/ plant floor/);
    assert.match(out, /\/\/ the first/);
    const parsed = parseConfigText(out);
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(configuredDeviceIds(out), ['a', 'press-3']);
    assert.deepEqual(JSON.parse(JSON.stringify((parsed.value as { devices: DeviceConfig[] }).devices[1])), device);
    // The first entry's line is left as it was; the new one is indented like it.
    assert.match(out, /\n {8}\{ "id": "a", "protocol": "modbus-tcp", "host": "x" \}, \/\/ the first\n {8}\{\n {12}"id": "press-3"/);
  });

  it('fills an empty list and respects a trailing comma', () => {
    assert.deepEqual(configuredDeviceIds(appendDevice('{\n\t"devices": []\n}', device)), ['press-3']);
    const out = appendDevice('{"devices":[{"id":"a"},]}', device);
    assert.deepEqual(parseConfigText(out).errors, []);
    assert.deepEqual(configuredDeviceIds(out), ['a', 'press-3']);
  });

  it('creates the device list when the file has none', () => {
    const out = appendDevice('{ "$schema": "s" }', device);
    assert.deepEqual(configuredDeviceIds(out), ['press-3']);
  });

  it('refuses to edit a file that does not parse, or whose devices is not a list', () => {
    assert.throws(() => appendDevice('{ "devices": [ ', device), /syntax errors/);
    assert.throws(() => appendDevice('{ "devices": {} }', device), /not a list/);
    assert.throws(() => appendDevice('[]', device), /must hold a JSON object/);
  });

  it('appends a device of any protocol with its own fields', () => {
    const other = { id: 'tank', protocol: 'memory', size: 4, tags: [] };
    const out = appendDevice(newConfigText(), other);
    assert.deepEqual(JSON.parse(out), { devices: [other] });
  });
});
