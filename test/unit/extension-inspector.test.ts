import * as assert from 'node:assert/strict';
import { parseConfigText } from '../../extension/config/document';
import { applyEdits } from '../../extension/config/jsonc';
import { appendTagEdits } from '../../extension/config/tagEdits';
import { RangePoller } from '../../extension/inspector/rangePoller';
import { checkTagRequest, registerTagOf, suggestRegisterTagName } from '../../extension/inspector/registerTag';
import { resolveAddress } from '../../gateway/modbus/address';
import { checkRange, isFromInspector, type InspectorRange, type InspectorRead, type InspectorSettings, type InspectorTagRequest } from '../../webview/inspectorMessages';
import { formatFloat, orderHint, refusalAt, rowsOf } from '../../webview/inspector/rowModel';

const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function read(values: (number | null)[], extra: Partial<InspectorRead> = {}): InspectorRead {
  return { area: 'holding', start: 100, count: values.length, values, errors: [], requests: 1, timestamp: 0, ...extra };
}

/** A promise settled from outside: a read that answers when the test says so. */
function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise<void>((ok) => setImmediate(ok));

describe('extension: the register inspector', () => {
  describe('rows of a read', () => {
    it('shows each register in every width, in the byte order chosen', () => {
      // 21.53 as float32 is 0x41AC3D71: sent in CDAB as 0x3D71, 0x41AC.
      const rows = rowsOf(read([0x3d71, 0x41ac, 0xffff]), 'CDAB');
      const [r0, r1, r2] = rows.map((r) => (r.kind === 'register' ? r : assert.fail('a register row')));
      assert.equal(r0.address, 100);
      assert.equal(r0.hex, '0x3D71');
      assert.equal(r0.f32, '21.53');
      assert.equal(r0.u32, String(0x41ac3d71));
      assert.equal(r0.f64, '', 'a float64 needs four registers');
      assert.equal(r2.i16, '-1');
      assert.equal(r2.u16, '65535');
      assert.equal(r2.u32, '', 'a 32-bit value past the end of the range is not shown');
      assert.equal(r1.bits, '0100 0001 1010 1100');
      const abcd = rowsOf(read([0x3d71, 0x41ac]), 'ABCD')[0]!;
      assert.ok(abcd.kind === 'register');
      assert.equal(abcd.f32, formatFloat(new DataView(new Uint8Array([0x3d, 0x71, 0x41, 0xac]).buffer).getFloat32(0), 7), 'in ABCD: 0x3D7141AC');
    });

    it('marks refused registers with the reason, shows no value for them or for values that need them', () => {
      const message = 'plc: Modbus exception 2 (illegal data address) reading holding registers 101-101';
      const rows = rowsOf(read([7, null, 9], { errors: [{ start: 101, count: 1, message, exception: 2 }] }), 'ABCD');
      const r = rows[1]!;
      assert.equal(r.refused, message);
      assert.ok(r.kind === 'register');
      assert.deepEqual([r.hex, r.u16, r.i16, r.u32, r.f32], ['', '', '', '', '']);
      assert.ok(rows[0]!.kind === 'register' && rows[0]!.u32 === '', 'the 32-bit value of 100-101 needs the refused register');
      assert.equal(refusalAt([{ start: 5, count: 3, message: 'x' }], 7), 'x');
      assert.equal(refusalAt([{ start: 5, count: 3, message: 'x' }], 8), undefined);
    });

    it('says which registers changed since the read before, only for the same range', () => {
      const before = read([1, 2, null]);
      const now = read([1, 5, 3]);
      assert.deepEqual(rowsOf(now, 'ABCD', before).map((r) => r.changed), [false, true, true]);
      assert.deepEqual(rowsOf(now, 'ABCD').map((r) => r.changed), [false, false, false], 'nothing to compare with');
      assert.deepEqual(rowsOf(now, 'ABCD', read([0, 0, 0], { start: 0 })).map((r) => r.changed), [false, false, false], 'another range');
      assert.deepEqual(rowsOf(read([1, null, 3]), 'ABCD', now).map((r) => r.changed), [false, false, false], 'refused now is not a change of value');
    });

    it('shows bits as 0 and 1', () => {
      const rows = rowsOf(read([1, 0, null], { area: 'coil', start: 0, errors: [{ start: 2, count: 1, message: 'nope' }] }), 'ABCD');
      assert.deepEqual(plain(rows), [
        { kind: 'bit', address: 0, value: '1', changed: false },
        { kind: 'bit', address: 1, value: '0', changed: false },
        { kind: 'bit', address: 2, value: '', changed: false, refused: 'nope' },
      ]);
    });

    it('formats floats to the digits their type holds', () => {
      assert.equal(formatFloat(Math.fround(21.53), 7), '21.53');
      assert.equal(formatFloat(1013.25, 15), '1013.25');
      assert.equal(formatFloat(NaN, 7), 'NaN');
      assert.equal(formatFloat(-Infinity, 7), '-∞');
      assert.equal(formatFloat(1.5e12, 7), '1.5e+12');
      assert.equal(formatFloat(0, 7), '0');
    });

    it('guesses a byte order where one alone makes sense, and says nothing otherwise', () => {
      const cdab = (f: number) => {
        const v = new DataView(new ArrayBuffer(4));
        v.setFloat32(0, f);
        return [v.getUint16(2), v.getUint16(0)];
      };
      const floats = [21.53, 1013.27, 3.1416, 49.87].flatMap(cdab);
      const hint = orderHint(read(floats));
      assert.deepEqual(hint && { order: hint.order, type: hint.type, address: hint.address }, { order: 'CDAB', type: 'float32', address: 100 });
      assert.equal(orderHint(read([0, 0, 0, 0])), undefined, 'zeros tell nothing');
      assert.equal(orderHint(read([1, 0, 1, 1], { area: 'coil' })), undefined, 'bits have no byte order');
    });
  });

  describe('messages from the webview', () => {
    const settings: InspectorSettings = { area: 'holding', start: 0, count: 100, intervalMs: 1000, paused: false };

    it('takes well-formed messages and refuses the rest', () => {
      assert.ok(isFromInspector({ type: 'ready' }));
      assert.ok(isFromInspector({ type: 'settings', settings }));
      assert.ok(isFromInspector({ type: 'probe', range: { area: 'coil', start: 0, count: 4000 } }));
      assert.ok(isFromInspector({ type: 'addTag', tag: { area: 'holding', address: 4, type: 'float32', byteOrder: 'CDAB' } }));
      assert.ok(!isFromInspector({ type: 'settings', settings: { ...settings, intervalMs: 7 } }), 'an interval not offered');
      assert.ok(!isFromInspector({ type: 'settings', settings: { ...settings, count: 0 } }));
      assert.ok(!isFromInspector({ type: 'probe', range: { area: 'holdings', start: 0, count: 1 } }));
      assert.ok(!isFromInspector({ type: 'addTag', tag: { area: 'holding', address: 4, type: 'float16', byteOrder: 'CDAB' } }));
      assert.ok(!isFromInspector(null));
      assert.ok(!isFromInspector({ type: 'nope' }));
    });

    it('checks ranges with messages people can act on', () => {
      assert.equal(checkRange({ area: 'holding', start: 0, count: 100 }), undefined);
      assert.match(checkRange({ area: 'holding', start: 65500, count: 100 }) ?? '', /runs past the last address, 65535: at most 36 from 65500/);
      assert.match(checkRange({ area: 'holding', start: 0, count: 4001 }) ?? '', /count must be a whole number from 1 to 4000/);
      assert.match(checkRange({ area: 'holding', start: -1, count: 1 }) ?? '', /start address/);
      assert.match(checkRange({ area: 'holding', start: 1.5, count: 1 }) ?? '', /start address/);
    });
  });

  describe('polling, one read at a time', () => {
    const settings: InspectorSettings = { area: 'holding', start: 0, count: 10, intervalMs: 1000, paused: false };

    function poller(initial = settings) {
      const reads: { range: InspectorRange; answer: ReturnType<typeof deferred<string>> }[] = [];
      const answered: string[] = [];
      const failed: string[] = [];
      const p = new RangePoller<string>(initial, {
        read: (range) => {
          const answer = deferred<string>();
          reads.push({ range, answer });
          return answer.promise;
        },
        answered: (_r, result) => answered.push(result),
        failed: (_r, err) => failed.push(String(err)),
      });
      return { p, reads, answered, failed };
    }

    it('starts a read only when the one before answered, and reads only while active', async () => {
      const { p, reads, answered } = poller({ ...settings, intervalMs: 250 });
      assert.equal(reads.length, 0, 'nothing read before the panel is shown');
      p.setActive(true);
      assert.equal(reads.length, 1);
      p.readNow();
      p.readNow();
      assert.equal(reads.length, 1, 'no second read while one is in flight');
      reads[0]!.answer.resolve('a');
      await tick();
      assert.deepEqual(answered, ['a']);
      assert.equal(reads.length, 2, 'the read asked for meanwhile starts once the first answered (once)');
      reads[1]!.answer.resolve('b');
      await tick();
      assert.equal(reads.length, 2, 'the next poll waits its interval');
      p.setActive(false);
      await new Promise((ok) => setTimeout(ok, 300));
      assert.equal(reads.length, 2, 'hidden: no read');
      p.dispose();
    });

    it('polls at its interval after each answer, and not while paused or with polling off', async () => {
      const { p, reads } = poller({ ...settings, intervalMs: 250 });
      p.setActive(true);
      reads[0]!.answer.resolve('a');
      await new Promise((ok) => setTimeout(ok, 400));
      assert.equal(reads.length, 2, 'one poll 250 ms after the answer');
      p.update({ ...settings, intervalMs: 250, paused: true });
      reads[1]!.answer.resolve('b');
      await new Promise((ok) => setTimeout(ok, 400));
      assert.equal(reads.length, 2, 'paused: no poll');
      p.update({ ...settings, intervalMs: 0 });
      assert.equal(reads.length, 3, 'resumed: read at once');
      reads[2]!.answer.resolve('c');
      await new Promise((ok) => setTimeout(ok, 400));
      assert.equal(reads.length, 3, 'polling off: no poll');
      p.dispose();
    });

    it('drops an answer for a range no longer asked for, and reads the new one after it', async () => {
      const { p, reads, answered, failed } = poller();
      p.setActive(true);
      p.update({ ...settings, start: 50 });
      assert.equal(reads.length, 1, 'the new range waits for the read in flight');
      reads[0]!.answer.resolve('old');
      await tick();
      assert.deepEqual(answered, [], 'the old range\'s answer is not shown');
      assert.deepEqual(reads[1]?.range, { area: 'holding', start: 50, count: 10 });
      reads[1]!.answer.reject(new Error('device down'));
      await tick();
      assert.deepEqual(failed, ['Error: device down']);
      p.dispose();
    });
  });

  describe('a row as a tag of bifrost.json', () => {
    const req = (r: Partial<InspectorTagRequest>): InspectorTagRequest => ({ area: 'holding', address: 10, type: 'uint16', byteOrder: 'ABCD', ...r });

    it('writes the form people write, with type and byte order only where they are not the default', () => {
      assert.deepEqual(registerTagOf('speed', req({})), { name: 'speed', area: 'holding', address: 10 });
      assert.deepEqual(registerTagOf('speed', req({ byteOrder: 'CDAB' })), { name: 'speed', area: 'holding', address: 10 }, 'no byte order for 16 bits');
      assert.deepEqual(registerTagOf('fill', req({ type: 'float32', byteOrder: 'CDAB' })), { name: 'fill', area: 'holding', address: 10, type: 'float32', byteOrder: 'CDAB' });
      assert.deepEqual(registerTagOf('energy', req({ area: 'input', type: 'float64', byteOrder: 'ABCD' })), { name: 'energy', area: 'input', address: 10, type: 'float64' });
      assert.deepEqual(registerTagOf('running', req({ area: 'coil', type: 'bool' })), { name: 'running', area: 'coil', address: 10 });
    });

    it('writes what the gateway reads as the value the row showed', () => {
      for (const r of [req({ type: 'float32', byteOrder: 'DCBA' }), req({ type: 'int16' }), req({ area: 'input', type: 'uint32', byteOrder: 'BADC' }), req({ area: 'discrete', type: 'bool' })]) {
        const { name: _name, ...address } = registerTagOf('t', r);
        const resolved = resolveAddress(address as Parameters<typeof resolveAddress>[0]);
        assert.deepEqual([resolved.area, resolved.address, resolved.type, resolved.byteOrder], [r.area, r.address, r.type, r.type === 'float32' || r.type === 'uint32' ? r.byteOrder : 'ABCD']);
      }
    });

    it('refuses types that do not fit the area or the address', () => {
      assert.match(checkTagRequest(req({ area: 'coil', type: 'int16' })) ?? '', /one bit: its tag is a bool/);
      assert.match(checkTagRequest(req({ type: 'bool' })) ?? '', /"holding:10\.0"/);
      assert.match(checkTagRequest(req({ address: 65534, type: 'float64' })) ?? '', /past the last address/);
      assert.equal(checkTagRequest(req({ address: 65532, type: 'float64' })), undefined);
      assert.throws(() => registerTagOf('x', req({ area: 'coil', type: 'float32' })), /bool/);
    });

    it('suggests a name from where the value is, unique on the device', () => {
      assert.equal(suggestRegisterTagName(req({}), []), 'holding_10');
      assert.equal(suggestRegisterTagName(req({ type: 'float32' }), []), 'holding_10_float32');
      assert.equal(suggestRegisterTagName(req({}), ['holding_10']), 'holding_10_2');
    });

    it('appends the tag to the device in bifrost.json, keeping comments and layout', () => {
      const text = [
        '{',
        '  // the line',
        '  "devices": [',
        '    {',
        '      "id": "plc", "protocol": "modbus-tcp", "host": "10.0.0.5",',
        '      "tags": [',
        '        { "name": "speed", "area": "holding", "address": 0 } // rpm',
        '      ]',
        '    }',
        '  ]',
        '}',
        '',
      ].join('\n');
      const out = applyEdits(text, appendTagEdits(text, 'plc', registerTagOf('fill', req({ type: 'float32', byteOrder: 'CDAB' }))));
      assert.deepEqual(parseConfigText(out).errors, []);
      assert.ok(out.includes('  // the line\n'));
      assert.ok(out.includes('        { "name": "speed", "area": "holding", "address": 0 }, // rpm\n'), out);
      const tags = plain(parseConfigText(out).value as { devices: { tags: unknown[] }[] }).devices[0]!.tags;
      assert.deepEqual(tags[1], { name: 'fill', area: 'holding', address: 10, type: 'float32', byteOrder: 'CDAB' });
      assert.match(out, /\n {8}\{\n {10}"name": "fill",\n {10}"area": "holding",/);
    });
  });
});
