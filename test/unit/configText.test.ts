import { strict as assert } from 'node:assert';
import { parseConfigText } from '../../gateway/configText';

describe('reading a bifrost.json text', () => {
  it('accepts comments and trailing commas, as the editor does', () => {
    const doc = parseConfigText('{\n  // the line\n  "devices": [ { "id": "plc1", }, ],\n}\n');
    assert.deepEqual(doc, { devices: [{ id: 'plc1' }] });
  });

  it('names the line and column of a syntax error', () => {
    assert.throws(() => parseConfigText('{\n  "devices": [\n    { "id": "plc1" "port": 502 }\n  ]\n}'), /CommaExpected at line 3, column 20/);
  });
});
