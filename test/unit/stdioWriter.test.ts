import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import type { Message } from 'vscode-jsonrpc/node';
import { setLogSink } from '../../gateway/log';
import { StdioMessageWriter } from '../../gateway/stdioWriter';
import type { TagReading } from '../../gateway/protocol';

/** A pipe whose reader takes what was written only when told to (a client that lags). */
class LaggingPipe extends Writable {
  readonly received: string[] = [];
  private waiting: (() => void)[] = [];
  constructor() {
    super({ highWaterMark: 64, decodeStrings: false });
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.waiting.push(() => {
      this.received.push(chunk.toString());
      done();
    });
  }
  /** The reader catches up with everything written so far. */
  readAll(): void {
    for (const w of this.waiting.splice(0)) w();
  }
}

function values(subscriptionId: string, items: TagReading[]): Message {
  return { jsonrpc: '2.0', method: 'bifrost/values', params: { subscriptionId, items } } as Message;
}

function reading(tag: string, value: number): TagReading {
  return { tag, value, quality: 'good', timestamp: 1000 + value };
}

/** Splits Content-Length frames, checking each header against its body. */
function frames(text: string): { method?: string; id?: number; params?: { subscriptionId: string; items: TagReading[] } }[] {
  const out = [];
  let at = 0;
  while (at < text.length) {
    const m = /^Content-Length: (\d+)\r\n\r\n/.exec(text.slice(at));
    assert.ok(m, `a frame header at ${at}`);
    const body = Buffer.from(text.slice(at + m[0].length), 'utf8').subarray(0, Number(m[1])).toString('utf8');
    out.push(JSON.parse(body));
    at += m[0].length + body.length;
  }
  return out;
}

const turn = () => new Promise((r) => setImmediate(r));

describe('stdio message writer', () => {
  const logged: string[] = [];
  before(() => setLogSink((line) => logged.push(line)));
  after(() => setLogSink((line) => process.stderr.write(line)));
  it('sends every reading of a turn in one write while the reader keeps up', async () => {
    const pipe = new LaggingPipe();
    const writer = new StdioMessageWriter(pipe, 1);
    await writer.write(values('s1', [reading('a', 1)]));
    await writer.write(values('s1', [reading('a', 2)]));
    await turn();
    pipe.readAll();
    assert.equal(pipe.received.length, 1);
    assert.deepEqual(frames(pipe.received[0]!).map((f) => f.params!.items.map((r) => r.value)), [[1], [2]]);
  });

  it('reuses its buffer only once the stream has taken the bytes, so no frame overwrites another', async () => {
    // A reader that copies at once, and one that keeps the chunk until later: both get every frame intact.
    const copied: string[] = [];
    const quick = new Writable({
      write(chunk: Buffer, _enc, done) {
        copied.push(chunk.toString('utf8'));
        done();
      },
    });
    const lagging = new LaggingPipe();
    const quickWriter = new StdioMessageWriter(quick, 1 << 20);
    const laggingWriter = new StdioMessageWriter(lagging, 1 << 20);
    for (let t = 0; t < 3; t++) {
      await quickWriter.write(values('s1', [reading('ü', t)]));
      await laggingWriter.write(values('s1', [reading('ü', t)]));
      await turn();
    }
    // The lagging reader takes one queued chunk per catch-up.
    for (let i = 0; i < 3; i++) {
      lagging.readAll();
      await turn();
    }
    for (const received of [copied, lagging.received]) {
      assert.equal(received.length, 3);
      assert.deepEqual(received.map((text) => frames(text).map((f) => f.params!.items.map((r) => `${r.tag}${r.value}`))), [[['ü0']], [['ü1']], [['ü2']]]);
    }
  });

  it('rejects a message it cannot encode and loses nothing else of the turn', async () => {
    const pipe = new LaggingPipe();
    const writer = new StdioMessageWriter(pipe, 1 << 20);
    await writer.write(values('s1', [reading('a', 1)]));
    const unencodable = values('s1', [reading('b', 2), { tag: 'c', value: { big: 3n } as unknown as number, quality: 'good', timestamp: 3 }]);
    await assert.rejects(writer.write(unencodable), /BigInt/);
    await writer.write(values('s1', [reading('d', 4)]));
    await turn();
    pipe.readAll();
    assert.deepEqual(frames(pipe.received.join('')).map((f) => f.params!.items.map((r) => r.tag)), [['a'], ['d']]);
  });

  it('holds messages while the reader lags, keeps only the newest reading of each tag, and keeps everything else in order', async () => {
    const pipe = new LaggingPipe();
    const writer = new StdioMessageWriter(pipe, 1);
    await writer.write(values('s1', [reading('a', 0)]));
    await turn(); // this write fills the pipe
    assert.ok(writer.holding);
    for (let i = 1; i <= 1000; i++) await writer.write(values('s1', [reading('a', i), reading('b', i)]));
    await writer.write({ jsonrpc: '2.0', id: 7, result: null } as Message);
    await writer.write(values('s2', [reading('a', 5)]));
    await writer.write(values('s1', [reading('c', 1)]));
    pipe.readAll(); // drains: what was held leaves
    await turn();
    pipe.readAll();
    assert.equal(writer.holding, false);
    assert.deepEqual(logged, ['[warn] the client reads slower than values come: 1998 readings were replaced by newer ones of the same tag before they could leave\n']);
    const sent = frames(pipe.received.join(''));
    assert.deepEqual(
      sent.map((f) => (f.params ? `${f.params.subscriptionId} ${f.params.items.map((r) => `${r.tag}=${r.value}`).join(' ')}` : `response ${f.id}`)),
      ['s1 a=0', 's1 a=1000 b=1000 c=1', 'response 7', 's2 a=5'],
    );
  });

  it('writes what it holds when flushed at exit', async () => {
    const pipe = new LaggingPipe();
    const writer = new StdioMessageWriter(pipe, 1);
    await writer.write(values('s1', [reading('a', 0)]));
    await turn();
    await writer.write({ jsonrpc: '2.0', method: 'bifrost/deviceStatus', params: { id: 'plc1' } } as Message);
    writer.flush(true);
    pipe.readAll();
    await turn();
    pipe.readAll();
    assert.deepEqual(frames(pipe.received.join('')).map((f) => f.method), ['bifrost/values', 'bifrost/deviceStatus']);
  });
});
