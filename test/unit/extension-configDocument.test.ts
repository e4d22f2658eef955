import * as assert from 'node:assert/strict';
import { LineIndex, locatePointer, parseConfigText, pointerSegments } from '../../extension/config/document';

const TEXT = `{
  // comments are fine
  "devices": [
    { "id": "a", "protocol": "modbus-tcp", "host": "10.0.0.1" },
    {
      "id": "b",
      "protocol": "modbus-tcp",
      "tags": [
        { "name": "t0", "area": "holding", "address": 1 },
        { "name": "t1", "area": "holding", "address": -5 },
      ]
    }
  ]
}`;

function textAt(span: { offset: number; length: number }): string {
  return TEXT.slice(span.offset, span.offset + span.length);
}

describe('extension: bifrost.json text', () => {
  it('parses JSON with comments and trailing commas without errors', () => {
    const p = parseConfigText(TEXT);
    assert.deepEqual(p.errors, []);
    assert.equal((p.value as { devices: unknown[] }).devices.length, 2);
  });

  it('says a document nested too deeply to be read is an error, and does not throw', () => {
    const deep = `{"devices": [], "x": ${'['.repeat(20_000)}1${']'.repeat(20_000)}}`;
    const p = parseConfigText(deep);
    assert.equal(p.value, undefined);
    assert.equal(p.root, undefined);
    assert.equal(p.errors.length, 1);
    assert.match(p.errors[0]!.message, /nested too deeply to be read/);
    assert.deepEqual({ offset: p.errors[0]!.offset, length: p.errors[0]!.length }, { offset: 0, length: 1 });
  });

  it('reports syntax errors with a place and a readable message', () => {
    const bad = '{ "devices": [ { "id": "a" "host": "x" } ] }';
    const p = parseConfigText(bad);
    assert.ok(p.errors.length > 0);
    assert.equal(p.errors[0].message, 'A comma is expected between entries.');
    assert.equal(bad.slice(p.errors[0].offset, p.errors[0].offset + p.errors[0].length), '"host"');
  });

  it('decodes JSON pointer escapes', () => {
    assert.deepEqual(pointerSegments('/a~1b/c~0d/0'), ['a/b', 'c~d', '0']);
    assert.deepEqual(pointerSegments(''), []);
  });

  it('marks the value a pointer names', () => {
    const { root } = parseConfigText(TEXT);
    assert.equal(textAt(locatePointer(root, '/devices/1/tags/1/address')), '-5');
    assert.equal(textAt(locatePointer(root, '/devices/0/host')), '"10.0.0.1"');
  });

  it('marks an array element by its id, and a list by its property name', () => {
    const { root } = parseConfigText(TEXT);
    assert.equal(textAt(locatePointer(root, '/devices/1')), '"b"');
    assert.equal(textAt(locatePointer(root, '/devices/1/tags')), '"tags"');
  });

  it('marks the nearest existing thing for a missing property', () => {
    const { root } = parseConfigText(TEXT);
    // Device b has no host: the device itself (by its id) is marked.
    assert.equal(textAt(locatePointer(root, '/devices/1/host')), '"b"');
    assert.equal(textAt(locatePointer(root, '/devices/7/host')), '"devices"');
  });

  it('turns offsets into lines and columns', () => {
    const idx = new LineIndex('ab\ncd\n\nef');
    assert.deepEqual(idx.position(0), { line: 0, character: 0 });
    assert.deepEqual(idx.position(4), { line: 1, character: 1 });
    assert.deepEqual(idx.position(6), { line: 2, character: 0 });
    assert.deepEqual(idx.position(8), { line: 3, character: 1 });
  });
});
