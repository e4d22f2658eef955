import * as assert from 'node:assert/strict';
import type { MethodArgument, TagInfo, TagReading } from '../../gateway/protocol';
import { argumentPrompt, argumentsText, outputsText, parseArgument } from '../../extension/commands/methodInput';
import { parseConfigText } from '../../extension/config/document';
import { applyEdits } from '../../extension/config/jsonc';
import { appendTagEdits, checkTagName, suggestTagName, tagsInFile } from '../../extension/config/tagEdits';
import { readAll } from '../../extension/liveData/history';
import { mergeHistory, SeriesStore } from '../../extension/liveData/seriesStore';
import { attributesText } from '../../extension/nodes/attributesText';
import { tagInfoOf, type TagNode } from '../../extension/tree/nodes';

/** The parser's objects have no prototype: compared as plain JSON. */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const arg = (name: string, dataType: string, extra: Partial<MethodArgument> = {}): MethodArgument => ({ name, dataType, valueKind: 'unknown', valueRank: -1, ...extra });

describe('extension: OPC UA nodes (pin, method arguments, history, attributes)', () => {
  describe('a browsed variable that is a configured tag', () => {
    const setpoint: TagInfo = {
      name: 'boiler_setpoint',
      address: 'ns=1;s=Plant.Boiler.Setpoint',
      dataType: 'Double',
      valueKind: 'number',
      access: 'readwrite',
      writable: true,
      writeSpec: { kind: 'number' },
      unit: '°C',
    };
    const browsed = (ref: string): TagNode => ({
      kind: 'tag',
      id: ref,
      gatewayId: 'local',
      deviceId: 'ua',
      ref,
      item: { ref, name: ref.slice(ref.lastIndexOf('.') + 1), nodeClass: 'variable', dataType: 'Double', hasChildren: false, writable: true },
      parent: undefined as never,
    });

    it('is described by the configured tag at its address, and can be written from its row', () => {
      const t = tagInfoOf(browsed(setpoint.address), [setpoint]);
      assert.equal(t, setpoint);
      assert.equal(t.writable, true);
    });

    it('without one, is described from the browse and says why it cannot be written', () => {
      const t = tagInfoOf(browsed('ns=1;s=Plant.Boiler.HighLimit'), [setpoint]);
      assert.equal(t.name, 'HighLimit');
      assert.equal(t.writable, false);
      assert.match(t.notWritableReason ?? '', /did not say what HighLimit can hold/);
    });
  });

  describe('tag names for Pin to bifrost.json', () => {
    it('suggests a valid name from the browse name, unique among the device\'s tags', () => {
      assert.equal(suggestTagName('Level', []), 'Level');
      assert.equal(suggestTagName('2:Flow Rate (m³/h)', []), 'Flow_Rate_m3_h');
      assert.equal(suggestTagName('Température', []), 'Temperature');
      assert.equal(suggestTagName('Level', ['Level', 'Level_2']), 'Level_3');
      assert.equal(suggestTagName('_hidden', []), 'hidden');
      assert.equal(suggestTagName('***', []), 'tag');
      for (const name of ['2:Flow Rate (m³/h)', '***', 'Température', '  x  ']) assert.equal(checkTagName(suggestTagName(name, []), []), undefined, name);
    });

    it('refuses empty, invalid and taken names, saying what is allowed', () => {
      assert.match(checkTagName(' ', []) ?? '', /Enter a name/);
      assert.match(checkTagName('a b', []) ?? '', /letters, digits/);
      assert.match(checkTagName('-a', []) ?? '', /starting with a letter or digit/);
      assert.match(checkTagName('level', ['level']) ?? '', /has a tag "level" already/);
      assert.equal(checkTagName('tank.level-2', ['level']), undefined);
    });
  });

  describe('the pin edit', () => {
    const text = [
      '{',
      '  // the plant',
      '  "devices": [',
      '    { "id": "mb", "protocol": "modbus-tcp", "host": "x", "tags": [] },',
      '    {',
      '      "id": "ua", // the OPC UA server',
      '      "protocol": "opcua",',
      '      "endpointUrl": "opc.tcp://127.0.0.1:4840",',
      '      "tags": [',
      '        { "name": "level", "nodeId": "ns=2;s=Level" } // keep me',
      '      ]',
      '    }',
      '  ]',
      '}',
      '',
    ].join('\n');

    it('appends the tag to its device\'s list, keeping comments, the other entries and their lines', () => {
      const out = applyEdits(text, appendTagEdits(text, 'ua', { name: 'flow', nodeId: 'ns=2;s=Flow', unit: 'm³/h' }));
      assert.deepEqual(parseConfigText(out).errors, []);
      for (const kept of ['// the plant', '// the OPC UA server', '{ "id": "mb", "protocol": "modbus-tcp", "host": "x", "tags": [] },']) assert.ok(out.includes(kept), kept);
      assert.match(out, /\n {8}\{ "name": "level", "nodeId": "ns=2;s=Level" \}, \/\/ keep me\n {8}\{\n {10}"name": "flow",/);
      assert.deepEqual(tagsInFile(out, 'ua'), [{ name: 'level', nodeId: 'ns=2;s=Level' }, { name: 'flow', nodeId: 'ns=2;s=Flow' }]);
      const ua = plain(parseConfigText(out).value as { devices: { tags: unknown[] }[] }).devices[1];
      assert.deepEqual(ua.tags[1], { name: 'flow', nodeId: 'ns=2;s=Flow', unit: 'm³/h' });
      assert.deepEqual(tagsInFile(out, 'mb'), [], 'the other device is untouched');
    });

    it('creates the tag list of a device that has none, and leaves out a unit that is not known', () => {
      const bare = '{\n  "devices": [\n    { "id": "ua", "protocol": "opcua", "endpointUrl": "opc.tcp://h:4840" } // no tags yet\n  ]\n}\n';
      const out = applyEdits(bare, appendTagEdits(bare, 'ua', { name: 'level', nodeId: 'ns=2;s=Level' }));
      assert.deepEqual(parseConfigText(out).errors, []);
      assert.match(out, /\/\/ no tags yet/);
      assert.deepEqual(plain(parseConfigText(out).value as { devices: { tags: unknown[] }[] }).devices[0].tags, [{ name: 'level', nodeId: 'ns=2;s=Level' }]);
    });

    it('refuses a file with syntax errors or without the device, and changes nothing', () => {
      assert.throws(() => appendTagEdits('{ "devices": [ { "id": "ua" ', 'ua', { name: 'a', nodeId: 'i=1' }), /syntax errors/);
      assert.throws(() => appendTagEdits(text, 'gone', { name: 'a', nodeId: 'i=1' }), /no device "gone"/);
      assert.throws(() => appendTagEdits('{"devices":[{"id":"ua","tags":{}}]}', 'ua', { name: 'a', nodeId: 'i=1' }), /"tags" of device "ua" .* is not a list/);
    });
  });

  describe('method arguments', () => {
    it('checks input by the argument\'s DataType, with the words Write… uses', () => {
      const duration = arg('durationS', 'UInt32', { description: 'Purge duration in seconds' });
      assert.deepEqual(parseArgument('30', duration), { ok: true, value: 30 });
      assert.match((parseArgument('-1', duration) as { message: string }).message, /out of range: enter a whole number from 0 to 4294967295/);
      assert.match((parseArgument('1.5', duration) as { message: string }).message, /whole numbers only/);
      assert.match(argumentPrompt(duration), /^durationS \(UInt32\): Purge duration in seconds\. Enter a whole number from 0 to 4294967295\.$/);
      assert.deepEqual(parseArgument('maintenance', arg('reason', 'String', { valueKind: 'string' })), { ok: true, value: 'maintenance' });
      assert.deepEqual(parseArgument('', arg('reason', 'String', { valueKind: 'string' })), { ok: true, value: '' }, 'an empty string is a string');
      assert.deepEqual(parseArgument('1', arg('on', 'Boolean')), { ok: true, value: true });
      assert.equal(parseArgument('yes', arg('on', 'Boolean')).ok, false);
      assert.deepEqual(parseArgument('-2.5e3', arg('x', 'Double')), { ok: true, value: -2500 });
      assert.equal(parseArgument('1e39', arg('x', 'Float')).ok, false, 'beyond a Float');
      assert.deepEqual(parseArgument('18446744073709551615', arg('n', 'UInt64')), { ok: true, value: '18446744073709551615' }, 'exact beyond 2^53');
      assert.deepEqual(parseArgument('[1, 2]', arg('xs', 'Double', { valueRank: 1 })), { ok: true, value: [1, 2] });
      assert.match((parseArgument('[1,', arg('xs', 'Double', { valueRank: 1 })) as { message: string }).message, /Not valid JSON/);
    });

    it('lists inputs for the confirmation and outputs by name', () => {
      const inputs = [arg('durationS', 'UInt32', { valueKind: 'integer' }), arg('reason', 'String', { valueKind: 'string' })];
      assert.deepEqual(argumentsText(inputs, [30, 'test']), ['durationS (UInt32) = 30', 'reason (String) = "test"']);
      const outputs = [arg('accepted', 'Boolean', { valueKind: 'boolean' })];
      assert.deepEqual(outputsText(outputs, [true, 'extra']), ['accepted = true', 'output 2 = "extra"']);
    });
  });

  describe('history backfill', () => {
    it('puts history before the first live point, sorted, one point per time, gaps kept', () => {
      const merged = mergeHistory({ t: [30, 10, 20, 20, 50], v: [3, 1, null, 2, 5] }, { t: [40, 60], v: [4, 6] });
      assert.deepEqual(merged, { t: [10, 20, 30, 40, 60], v: [1, 2, 3, 4, 6] }, 'history at or after the first live point is left out');
      assert.deepEqual(mergeHistory({ t: [1, 2], v: [null, 7] }, { t: [], v: [] }), { t: [1, 2], v: [null, 7] });
    });

    it('fills a series of the store: points before the live ones, min/max, and the note', () => {
      const store = new SeriesStore({ retentionMs: 60_000, maxPoints: 100 });
      store.add({ key: 'k', deviceId: 'd', deviceName: 'D', tag: 'level', valueKind: 'number' });
      store.ingest('k', { value: 50, quality: 'good', timestamp: 100_000 });
      const history: TagReading[] = [
        { tag: 'level', value: 10, quality: 'good', timestamp: 50_000 },
        { tag: 'level', value: null, quality: 'bad', timestamp: 60_000, status: 'BadNoData' },
        { tag: 'level', value: 90, quality: 'good', timestamp: 70_000 },
        { tag: 'level', value: 20, quality: 'good', timestamp: 30_000 },
      ];
      const added = store.backfill('k', history, { state: 'filled', points: history.length, from: 40_000, to: 100_000 });
      // 30_000 is older than the retention before the newest point (100_000 - 60_000).
      assert.equal(added, 3);
      const [snap] = store.snapshot(100_000);
      assert.deepEqual(snap.points, { t: [50_000, 60_000, 70_000, 100_000], v: [10, null, 90, 50] });
      assert.deepEqual(snap.range, { min: 10, max: 90 });
      assert.deepEqual(snap.info.history, { state: 'filled', points: 4, from: 40_000, to: 100_000 });
      assert.deepEqual(snap.last, { value: 50, quality: 'good', timestamp: 100_000 }, 'the last reading stays the live one');
      store.ingest('k', { value: 51, quality: 'good', timestamp: 101_000 });
      assert.deepEqual(store.snapshot(101_000)[0].points.t.slice(-2), [100_000, 101_000], 'live values continue after it');
    });

    it('marks a failed read without touching the series', () => {
      const store = new SeriesStore({ retentionMs: 60_000, maxPoints: 100 });
      store.add({ key: 'k', deviceId: 'd', deviceName: 'D', tag: 'level', valueKind: 'number' });
      store.ingest('k', { value: 1, quality: 'good', timestamp: 1000 });
      assert.equal(store.backfill('k', [], { state: 'failed', error: 'd: BadHistoryOperationUnsupported' }), 0);
      const [snap] = store.snapshot(1000);
      assert.deepEqual(snap.points, { t: [1000], v: [1] });
      assert.deepEqual(snap.info.history, { state: 'failed', error: 'd: BadHistoryOperationUnsupported' });
    });

    it('follows continuations, keeps the newest values, and stops on a repeated continuation', async () => {
      const r = (t: number): TagReading => ({ tag: 'x', value: t, quality: 'good', timestamp: t });
      const pages: Record<string, { items: TagReading[]; continuation?: string }> = {
        '': { items: [r(1), r(2)], continuation: 'a' },
        a: { items: [r(3), r(4)], continuation: 'b' },
        b: { items: [r(5)] },
      };
      const asked: (string | undefined)[] = [];
      const all = await readAll(async (c) => (asked.push(c), pages[c ?? '']), 3);
      assert.deepEqual(all.map((x) => x.timestamp), [3, 4, 5]);
      assert.deepEqual(asked, [undefined, 'a', 'b']);
      await assert.rejects(readAll(async () => ({ items: [], continuation: 'same' }), 10), /same history continuation twice/);
    });
  });

  it('lays out attributes as a table with a status column', () => {
    const text = attributesText(
      'Level (ns=1;s=Plant.Tank.Level) on demo-opcua',
      {
        ref: 'ns=1;s=Plant.Tank.Level',
        attributes: [
          { name: 'DataType', value: 'Double (i=11)' },
          { name: 'Description', value: 'two\nlines' },
          { name: 'Value', value: '', status: 'BadUserAccessDenied' },
        ],
        engineeringUnits: '%',
        euRange: { low: 0, high: 100 },
      },
      new Date(Date.UTC(2026, 0, 1)),
    );
    const lines = text.split('\n');
    assert.equal(lines[0], 'Level (ns=1;s=Plant.Tank.Level) on demo-opcua');
    assert.match(lines[1], /2026-01-01T00:00:00.000Z/);
    assert.match(text, /\nAttribute +Value +Status\n/);
    assert.match(text, /\nDataType +Double \(i=11\) +Good\n/);
    assert.match(text, /\nDescription +two ⏎ lines +Good\n/);
    assert.match(text, /\nValue +BadUserAccessDenied\n/);
    assert.match(text, /\nEURange +0 … 100 +Good\n/);
  });
});
