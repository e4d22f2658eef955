/**
 * The fault proxy itself, against a target that echoes each Modbus TCP frame it gets: what each
 * fault lets through, and that it leaves no connection behind.
 */
import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import { delay, waitFor } from '../integration/harness';
import { FaultProxy, modbusRewriteTid, modbusRewriteUid, modbusTcpFrames } from './faultProxy';

/** A frame with transaction id `tid`, unit 1, function 3 and two data bytes (11 bytes). */
function frame(tid: number): Buffer {
  const b = Buffer.from([0, 0, 0, 0, 0, 5, 1, 3, 2, 0, 0]);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(tid, 9);
  return b;
}

/** A client that collects what comes back, cut into frames. */
class Client {
  readonly socket: net.Socket;
  readonly frames: Buffer[] = [];
  chunks = 0;
  closed = false;
  error: string | null = null;
  private pending = Buffer.alloc(0);

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => {
      this.chunks++;
      this.pending = Buffer.concat([this.pending, d]);
      for (let n = modbusTcpFrames.frameLength(this.pending); n > 0; n = modbusTcpFrames.frameLength(this.pending)) {
        this.frames.push(this.pending.subarray(0, n));
        this.pending = this.pending.subarray(n);
      }
    });
    this.socket.on('error', (e: NodeJS.ErrnoException) => (this.error = e.code ?? e.message));
    this.socket.on('close', () => (this.closed = true));
  }

  connected(): Promise<void> {
    return new Promise((r) => (this.socket.connecting ? this.socket.once('connect', () => r()) : r()));
  }

  /** Bytes received that make no whole frame (yet). */
  get partial(): number {
    return this.pending.length;
  }
}

describe('fault proxy', function () {
  this.timeout(20_000);
  let target: net.Server;
  let targetPort: number;
  let proxy: FaultProxy;
  const clients: Client[] = [];

  const client = async () => {
    const c = new Client(proxy.port);
    clients.push(c);
    await c.connected();
    return c;
  };

  before(async () => {
    target = net.createServer((s) => s.on('data', (d) => s.write(d)).on('error', () => {}));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    targetPort = (target.address() as net.AddressInfo).port;
  });
  after(() => new Promise<void>((r) => target.close(() => r())));

  beforeEach(async () => {
    proxy = new FaultProxy({ targetPort, codec: modbusTcpFrames });
    await proxy.start();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await proxy.close();
  });

  it('forwards both ways without a fault, counts connections, and closes them all', async () => {
    const c = await client();
    c.socket.write(frame(1));
    await waitFor('the echo', () => c.frames.length === 1);
    assert.deepEqual(c.frames[0], frame(1));
    assert.deepEqual([proxy.accepted, proxy.open, proxy.upstreamOpen], [1, 1, 1]);
    await proxy.close();
    await waitFor('the client closed', () => c.closed);
    assert.deepEqual([proxy.open, proxy.upstreamOpen], [0, 0]);
  });

  it('drops every second answer per connection, counting from when the fault was set', async () => {
    const c = await client();
    c.socket.write(frame(1));
    await waitFor('the echo', () => c.frames.length === 1);
    proxy.set({ kind: 'every-other' });
    for (let tid = 2; tid <= 5; tid++) {
      c.socket.write(frame(tid));
      await delay(50);
    }
    await waitFor('two answers', () => c.frames.length === 3);
    await delay(100);
    assert.deepEqual(c.frames.map((f) => f.readUInt16BE(0)), [1, 2, 4]);
  });

  it('rewrites transaction and unit ids, duplicates, truncates', async () => {
    const c = await client();
    proxy.set({ kind: 'rewrite', name: 'tid', rewrite: modbusRewriteTid(1) });
    c.socket.write(frame(7));
    await waitFor('tid', () => c.frames.length === 1);
    assert.equal(c.frames[0]!.readUInt16BE(0), 8);
    proxy.set({ kind: 'rewrite', name: 'uid', rewrite: modbusRewriteUid() });
    c.socket.write(frame(9));
    await waitFor('uid', () => c.frames.length === 2);
    assert.deepEqual([c.frames[1]!.readUInt16BE(0), c.frames[1]![6]], [9, 2]);
    proxy.set({ kind: 'duplicate' });
    c.socket.write(frame(10));
    await waitFor('two copies', () => c.frames.length === 4);
    assert.deepEqual(c.frames[2], c.frames[3]);
    proxy.set({ kind: 'truncate', bytes: 9 });
    c.socket.write(frame(11));
    await waitFor('9 bytes', () => c.partial === 9);
    await delay(100);
    assert.equal(c.frames.length, 4);
    assert.ok(!c.closed);
  });

  it('resets the connection after part of an answer', async () => {
    const c = await client();
    proxy.set({ kind: 'reset-mid-frame', bytes: 5 });
    c.socket.write(frame(1));
    await waitFor('the reset', () => c.closed);
    assert.equal(c.error, 'ECONNRESET');
    assert.equal(c.frames.length, 0);
    await waitFor('nothing open', () => proxy.open === 0 && proxy.upstreamOpen === 0);
  });

  it('drops open and new connections', async () => {
    const a = await client();
    proxy.set({ kind: 'drop' });
    await waitFor('the open one closed', () => a.closed);
    const b = new Client(proxy.port);
    clients.push(b);
    await waitFor('the new one closed', () => b.closed);
    assert.equal(proxy.accepted, 2);
    assert.equal(proxy.open, 0);
  });

  it('holds half-open connections without an answer, even after clear, and lets them go when the client closes', async () => {
    const a = await client();
    proxy.set({ kind: 'half-open' });
    const b = await client();
    a.socket.write(frame(1));
    b.socket.write(frame(2));
    await delay(200);
    proxy.clear();
    a.socket.write(frame(3));
    await delay(200);
    assert.deepEqual([a.frames.length, b.frames.length, a.closed, b.closed], [0, 0, false, false]);
    assert.deepEqual([proxy.open, proxy.upstreamOpen], [2, 0]);
    a.socket.end();
    b.socket.end();
    await waitFor('both let go', () => proxy.open === 0);
    // A new connection after clear() works.
    const c = await client();
    c.socket.write(frame(4));
    await waitFor('the echo', () => c.frames.length === 1);
  });

  it('stalls until clear, then delivers what it held', async () => {
    const c = await client();
    proxy.set({ kind: 'stall' });
    c.socket.write(frame(1));
    await delay(300);
    assert.equal(c.frames.length, 0);
    proxy.clear();
    await waitFor('the held answer', () => c.frames.length === 1);
  });

  it('delays answers (latency, late) in order, and drips them a byte at a time', async () => {
    const c = await client();
    proxy.set({ kind: 'latency', ms: 200, jitterMs: 50 });
    const t = Date.now();
    c.socket.write(frame(1));
    c.socket.write(frame(2));
    await waitFor('both answers', () => c.frames.length === 2);
    assert.ok(Date.now() - t >= 200, 'no earlier than the latency');
    assert.deepEqual(c.frames.map((f) => f.readUInt16BE(0)), [1, 2]);
    proxy.set({ kind: 'late', ms: 300, firstOnly: true });
    const t2 = Date.now();
    c.socket.write(frame(3));
    await waitFor('the late answer', () => c.frames.length === 3);
    assert.ok(Date.now() - t2 >= 300);
    assert.equal(proxy.lateAnswers, 1);
    proxy.set({ kind: 'drip', intervalMs: 20 });
    const chunks = c.chunks;
    c.socket.write(frame(4));
    await waitFor('the dripped answer', () => c.frames.length === 4);
    assert.deepEqual(c.frames[3], frame(4));
    assert.ok(c.chunks - chunks > 1, 'arrived in pieces');
  });

  it('replaces answers with garbage of the same length', async () => {
    const c = await client();
    proxy.set({ kind: 'garbage' });
    c.socket.write(frame(1));
    await waitFor('some bytes', () => c.frames.length > 0 || c.partial > 0);
    await delay(50);
    const got = Buffer.concat([...c.frames, Buffer.alloc(c.partial)]);
    assert.equal(got.length, 11);
    assert.notDeepEqual(c.frames[0], frame(1));
  });
});
