import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import type { Message } from 'vscode-jsonrpc/node';
import { contentLength, MAX_FRAME_BYTES, StdioMessageReader } from '../../gateway/stdioReader';

function frame(body: string): string {
  return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

function ping(id: number): string {
  return frame(JSON.stringify({ jsonrpc: '2.0', id, method: 'bifrost/ping' }));
}

/** A reader on a pipe, with what it delivered, what it dropped and why it stopped. */
function reading() {
  const input = new PassThrough();
  const messages: Message[] = [];
  const dropped: string[] = [];
  const broken: string[] = [];
  const reader = new StdioMessageReader(
    input,
    (body) => {
      const text = body.toString('utf8');
      if (!text.startsWith('{')) throw new Error(`not an object: ${text}`);
      return JSON.parse(text) as Message;
    },
    (reason) => broken.push(reason),
  );
  reader.onError((err) => dropped.push(err.message));
  reader.listen((m) => messages.push(m));
  const ids = () => messages.map((m) => (m as { id?: unknown }).id);
  return { input, messages, dropped, broken, ids, reader };
}

describe('StdioMessageReader', () => {
  it('reads frames however the bytes are split, UTF-8 bodies counted in bytes', () => {
    const r = reading();
    const text = ping(1) + frame('{"jsonrpc":"2.0","id":2,"method":"x","params":{"unit":"m³/h"}}') + ping(3);
    const bytes = Buffer.from(text, 'utf8');
    for (let i = 0; i < bytes.length; i++) r.input.write(bytes.subarray(i, i + 1));
    assert.deepEqual(r.ids(), [1, 2, 3]);
    assert.deepEqual(r.broken, []);
  });

  it('goes on after a body the decoder refuses: the frame boundary is still known', () => {
    const r = reading();
    r.input.write(frame('not json') + frame('') + ping(7));
    assert.deepEqual(r.ids(), [7]);
    assert.equal(r.dropped.length, 2);
    assert.deepEqual(r.broken, []);
  });

  it('goes on after a message the connection throws on', () => {
    const input = new PassThrough();
    const ids: unknown[] = [];
    const errors: string[] = [];
    const reader = new StdioMessageReader(input, (body) => JSON.parse(body.toString()) as Message, () => assert.fail('not broken'));
    reader.onError((err) => errors.push(err.message));
    reader.listen((m) => {
      const id = (m as { id?: unknown }).id;
      if (id === 1) throw new TypeError('the connection failed');
      ids.push(id);
    });
    input.write(ping(1) + ping(2));
    assert.deepEqual(ids, [2]);
    assert.deepEqual(errors, ['the connection failed']);
  });

  it('stops at a header that does not say where its body ends, instead of misreading every later frame', () => {
    // A Content-Length shorter than the header that follows: the rest of that header is read as a header.
    const r = reading();
    r.input.write('Content-Length: 5\r\n\r\n');
    r.input.write(ping(1));
    r.input.write(ping(2));
    assert.deepEqual(r.ids(), []);
    assert.equal(r.broken.length, 1, 'told once');
    assert.match(r.broken[0]!, /a header without Content-Length/);
  });

  it('names each kind of broken header', () => {
    const cases: [string, RegExp][] = [
      ['Content-Length: -1', /"-1" is not a whole number of bytes/],
      ['Content-Length: 1e3', /"1e3" is not a whole number/],
      ['Content-Length: ', /"" is not a whole number/],
      ['Content-Length: 99999999999999999999', /more than the 67108864 bytes/],
      [`Content-Length: ${MAX_FRAME_BYTES + 1}`, /more than the/],
      ['Content-Type: application/json', /without Content-Length/],
      ['garbage', /not "Name: value": "garbage"/],
      ['Content-Length: 2\r\nno colon', /not "Name: value"/],
    ];
    for (const [header, reason] of cases) {
      const got = contentLength(header);
      assert.equal(typeof got, 'string', header);
      assert.match(got as string, reason, header);
    }
    assert.equal(contentLength('content-length:  12 \r\nContent-Type: application/vscode-jsonrpc; charset=utf-8'), 12);
  });

  it('stops when a header never ends', () => {
    const r = reading();
    r.input.write('X'.repeat(10_000));
    assert.equal(r.broken.length, 1);
    assert.match(r.broken[0]!, /no end of the header/);
    // Also when its end comes in the same chunk, beyond the limit.
    const late = reading();
    late.input.write(`${'X'.repeat(9000)}${ping(1)}`);
    assert.deepEqual(late.ids(), []);
    assert.match(late.broken[0]!, /no end of the header/);
  });

  it('waits for a body that comes in pieces', () => {
    const r = reading();
    const body = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'x', params: { s: 'a'.repeat(3_000_000) } });
    const all = Buffer.from(frame(body));
    for (let at = 0; at < all.length; at += 65536) r.input.write(all.subarray(at, at + 65536));
    assert.deepEqual(r.ids(), [9]);
  });
});
