import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ForwardBuffer, type StoredReading } from '../../gateway/mqtt/forwardBuffer';
import { bufferFileName } from '../../gateway/mqtt/publishing';

const reading = (tag: string, value: number, timestamp = 1000 + value): StoredReading => ({ tag, value, quality: 'good', timestamp });

/** Every batch in the buffer, oldest first. */
function all(b: ForwardBuffer): { ord: number; device: string; values: unknown[] }[] {
  const out: { ord: number; device: string; values: unknown[] }[] = [];
  for (let batch = b.next(-1); batch; batch = b.next(batch.ord)) out.push({ ord: batch.ord, device: batch.device, values: batch.readings.map((r) => r.value) });
  return out;
}

describe('store-and-forward buffer (SQLite)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-buffer-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps batches in the order they came, each reading with its tag, value, quality and timestamp', () => {
    const b = new ForwardBuffer(path.join(dir, 'b.sqlite'), 1 << 20);
    b.append('plc1', [reading('level', 1), { tag: 'name', value: 'pump "A"', quality: 'uncertain', timestamp: 5 }]);
    b.append('plc2', [reading('speed', 2)]);
    b.append('plc1', [{ tag: 'arr', value: [1, 2, 3], quality: 'bad', timestamp: 7 }]);
    assert.deepEqual(all(b).map((x) => [x.device, x.values]), [['plc1', [1, 'pump "A"']], ['plc2', [2]], ['plc1', [[1, 2, 3]]]]);
    assert.deepEqual(b.next(-1)!.readings[1], { tag: 'name', value: 'pump "A"', quality: 'uncertain', timestamp: 5 });
    assert.equal(b.values, 4);
    b.close();
  });

  it('a batch put back with the order number it was given goes back in its place', () => {
    const b = new ForwardBuffer(path.join(dir, 'b.sqlite'), 1 << 20);
    const early = b.takeOrd();
    b.append('plc1', [reading('level', 2)]);
    b.append('plc1', [reading('level', 1)], early);
    assert.deepEqual(all(b).map((x) => x.values[0]), [1, 2]);
    b.close();
  });

  it('removes what was acknowledged, and keeps the rest across a reopen (a restart), with its state', () => {
    const file = path.join(dir, 'b.sqlite');
    const b = new ForwardBuffer(file, 1 << 20);
    for (let i = 1; i <= 5; i++) b.append('plc1', [reading('level', i)]);
    const [first, second] = all(b);
    b.done([first!.ord, second!.ord]);
    b.setState('bdSeq', '41');
    // Not closed: a killed process does not close its database either.
    const again = new ForwardBuffer(file, 1 << 20);
    assert.deepEqual(all(again).map((x) => x.values[0]), [3, 4, 5]);
    assert.equal(again.values, 3);
    assert.equal(again.getState('bdSeq'), '41');
    // New batches come after the ones kept.
    again.append('plc1', [reading('level', 6)]);
    assert.deepEqual(all(again).map((x) => x.values[0]), [3, 4, 5, 6]);
    again.close();
    b.close();
  });

  it('when full, drops the oldest batches and counts their values; a batch larger than the buffer is dropped itself', () => {
    const b = new ForwardBuffer(path.join(dir, 'b.sqlite'), 600);
    const batch = (n: number) => Array.from({ length: 4 }, (_, i) => reading(`t${i}`, n));
    let dropped = 0;
    for (let n = 1; n <= 20; n++) dropped += b.append('plc1', batch(n));
    assert.ok(b.bytes <= 600, `${b.bytes} bytes held`);
    const kept = all(b).map((x) => x.values[0] as number);
    assert.ok(kept.length > 0 && kept.length < 20);
    assert.deepEqual(kept, Array.from({ length: kept.length }, (_, i) => 21 - kept.length + i), 'the newest are kept, in order');
    assert.equal(dropped, (20 - kept.length) * 4);
    assert.equal(b.dropped, dropped);
    const huge = Array.from({ length: 200 }, (_, i) => reading('x', i));
    assert.equal(b.append('plc1', huge), 200);
    assert.deepEqual(all(b).map((x) => x.values[0]), kept, 'nothing else lost for it');
    b.close();
  });

  it('a file that is not a database is a clear error naming it', () => {
    const file = path.join(dir, 'junk.sqlite');
    writeFileSync(file, 'this is not SQLite '.repeat(100));
    assert.throws(() => new ForwardBuffer(file, 1 << 20), (err: Error) => err.message.includes(file) && /not a database/.test(err.message));
  });

  it('names each edge node\'s file so that no two ids share one', () => {
    assert.equal(bufferFileName({ groupId: 'plant1', edgeNodeId: 'line2-gw' }), 'sparkplug+plant1+line2-gw.sqlite');
    assert.notEqual(bufferFileName({ groupId: 'a-b', edgeNodeId: 'c' }), bufferFileName({ groupId: 'a', edgeNodeId: 'b-c' }));
    assert.equal(bufferFileName({ groupId: 'a b', edgeNodeId: 'ü%' }), 'sparkplug+a%20b+%c3%bc%25.sqlite');
  });
});
