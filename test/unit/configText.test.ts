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

  it('reads 10,000 levels of nesting, with comments too, and says so in words when trailing commas leave only the recursive parser', () => {
    const deep = `${'['.repeat(10_000)}1${']'.repeat(10_000)}`;
    const doc = parseConfigText(`// a comment\n{"devices": [], "x": ${deep}}`) as { x: unknown };
    let depth = 0;
    for (let v: unknown = doc.x; Array.isArray(v); v = v[0]) depth++;
    assert.equal(depth, 10_000);
    assert.deepEqual(parseConfigText('{"url": "http://x/*y*/", /* c */ "devices": []}'), { url: 'http://x/*y*/', devices: [] });
    assert.throws(() => parseConfigText(`{"devices": [], "x": ${'['.repeat(20_000)}1,${']'.repeat(20_000)},}`), /the document is nested too deeply to be read/);
  });
});
