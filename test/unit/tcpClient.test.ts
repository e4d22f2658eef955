import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import { BadFrame, ModbusExceptionReply, ModbusTcpClient, ModbusTimeout, PortNotOpenError } from '../../gateway/modbus/tcpClient';

/** A device on a bare socket that answers each request as the test says, byte by byte if asked. */
class ScriptedDevice {
  readonly server = net.createServer((s) => this.accept(s));
  sockets: net.Socket[] = [];
  requests: Buffer[] = [];
  answer: (req: Buffer) => Buffer[] = () => [];

  async start(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }
  private accept(s: net.Socket): void {
    this.sockets.push(s);
    s.on('error', () => undefined);
    s.on('data', (req) => {
      this.requests.push(req);
      for (const piece of this.answer(req)) s.write(piece);
    });
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** An answer frame for `req` (its transaction and unit id) with this PDU. */
function frameFor(req: Buffer, pdu: number[], patch: { tid?: number; unit?: number } = {}): Buffer {
  const f = Buffer.alloc(7 + pdu.length);
  f.writeUInt16BE(patch.tid ?? req.readUInt16BE(0), 0);
  f.writeUInt16BE(0, 2);
  f.writeUInt16BE(pdu.length + 1, 4);
  f[6] = patch.unit ?? req[6]!;
  Buffer.from(pdu).copy(f, 7);
  return f;
}

describe('Modbus TCP client', () => {
  let device: ScriptedDevice;
  let client: ModbusTcpClient;
  let port: number;
  beforeEach(async () => {
    device = new ScriptedDevice();
    port = await device.start();
    client = new ModbusTcpClient();
    client.timeoutMs = 300;
    await client.connect('127.0.0.1', port, 1000);
  });
  afterEach(async () => {
    client.destroy();
    await device.stop();
  });

  it('sends MBAP frames with rising transaction ids and reads registers and bits', async () => {
    device.answer = (req) => (req[7] === 3 ? [frameFor(req, [3, 4, 0x12, 0x34, 0xff, 0xfe])] : [frameFor(req, [1, 2, 0b00000101, 0b1])]);
    assert.deepEqual(await client.readRegisters(7, 'holding', 100, 2), [0x1234, 0xfffe]);
    assert.deepEqual(await client.readBits(7, 'coil', 3, 9), [true, false, true, false, false, false, false, false, true]);
    const [a, b] = device.requests;
    assert.deepEqual([...a!], [0, 1, 0, 0, 0, 6, 7, 3, 0, 100, 0, 2]);
    assert.equal(b!.readUInt16BE(0), 2);
  });

  it('times a request out by its own deadline when an earlier request set the timer of the connection', async () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // A answers at once; B is answered after A's timeout has passed, within its own.
    let delayMs = 0;
    client.timeoutMs = 600;
    device.answer = (req) => {
      const f = frameFor(req, [3, 2, 0, 9]);
      if (delayMs === 0) return [f];
      setTimeout(() => device.sockets[0]!.write(f), delayMs);
      return [];
    };
    assert.deepEqual(await client.readRegisters(1, 'holding', 0, 1), [9]);
    await sleep(400);
    delayMs = 400;
    assert.deepEqual(await client.readRegisters(1, 'holding', 0, 1), [9]);
    // C, with a shorter timeout than the timer still set for B's deadline, times out by its own.
    device.answer = () => [];
    client.timeoutMs = 150;
    const t0 = Date.now();
    const err = await client.readRegisters(1, 'holding', 0, 1).catch((e: unknown) => e);
    assert.ok(err instanceof ModbusTimeout, String(err));
    assert.equal(err.message, 'timed out after 150 ms');
    assert.ok(Date.now() - t0 >= 149, 'not before its deadline');
  });

  it('puts together an answer that arrives in pieces, byte by byte', async () => {
    device.answer = (req) => [...frameFor(req, [4, 2, 0, 42])].map((byte) => Buffer.from([byte]));
    assert.deepEqual(await client.readRegisters(1, 'input', 0, 1), [42]);
  });

  it('turns an exception answer into the exception code, and keeps the connection', async () => {
    device.answer = (req) => [frameFor(req, [0x83, 2])];
    const err = await client.readRegisters(1, 'holding', 0, 1).catch((e: unknown) => e);
    assert.ok(err instanceof ModbusExceptionReply);
    assert.equal(err.modbusCode, 2);
    assert.ok(client.isOpen);
  });

  it('refuses an answer to another transaction, from another unit, or with the wrong length', async () => {
    const cases: [(req: Buffer) => Buffer, RegExp][] = [
      [(req) => frameFor(req, [3, 2, 0, 1], { tid: req.readUInt16BE(0) + 5 }), /answer to transaction \d+, \d+ was asked/],
      [(req) => frameFor(req, [3, 2, 0, 1], { unit: 9 }), /answer from unit 9, unit 1 was asked/],
      [(req) => frameFor(req, [3, 4, 0, 1, 0, 2]), /the answer counts 4 data bytes; 1 registers take 2/],
      [(req) => frameFor(req, [4, 2, 0, 1]), /answer with function code 4, 3 was asked/],
      [() => Buffer.from([0, 1, 0, 7, 0, 3, 1, 3, 2, 0, 1]), /not a Modbus TCP frame/],
    ];
    for (const [answer, message] of cases) {
      device.answer = (req) => [answer(req)];
      const err = await client.readRegisters(1, 'holding', 0, 1).catch((e: unknown) => e);
      assert.ok(err instanceof BadFrame, String(err));
      assert.match(err.message, message);
    }
  });

  it('checks that a write was confirmed as sent', async () => {
    device.answer = (req) => [frameFor(req, [...req.subarray(7)])];
    await client.writeRegister(1, 5, 513);
    await client.writeCoil(1, 6, true);
    assert.deepEqual([...device.requests[1]!.subarray(7)], [5, 0, 6, 0xff, 0]);
    device.answer = (req) => [frameFor(req, [16, 0, 5, 0, 2])];
    await client.writeRegisters(1, 5, [1, 2]);
    device.answer = (req) => [frameFor(req, [16, 0, 5, 0, 1])];
    await assert.rejects(client.writeRegisters(1, 5, [1, 2]), /does not match the write/);
  });

  it('times out when nothing comes back, and fails what is in flight when the device hangs up', async () => {
    device.answer = () => [];
    await assert.rejects(client.readRegisters(1, 'holding', 0, 1), (e: unknown) => e instanceof ModbusTimeout && e.errno === 'ETIMEDOUT');
    let closedWith = '';
    client.onClosed((reason) => (closedWith = reason));
    device.answer = () => {
      device.sockets[0]!.destroy();
      return [];
    };
    await assert.rejects(client.readRegisters(1, 'holding', 0, 1), (e: unknown) => e instanceof PortNotOpenError);
    assert.equal(closedWith, 'the device closed the connection');
    assert.equal(client.isOpen, false);
    await assert.rejects(client.readRegisters(1, 'holding', 0, 1), /not connected/);
  });

  it('drops the connection when the device sends what nobody asked for', async () => {
    let closedWith = '';
    client.onClosed((reason) => (closedWith = reason));
    device.sockets[0]!.write(Buffer.from([0, 9, 0, 0, 0, 5, 1, 3, 2, 0, 1]));
    for (let i = 0; i < 100 && client.isOpen; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(client.isOpen, false);
    assert.match(closedWith, /the device sent what nobody asked for \(an answer \(transaction 9\) came when nothing was asked\)/);
  });

  it('refuses a request made before the socket closed after an unasked answer with the reason, not "not connected"', async () => {
    // The answer and a copy of it in one segment: a device (or a gateway in front of it) that repeats itself.
    device.answer = (req) => {
      const f = frameFor(req, [3, 2, 0, 7]);
      return [Buffer.concat([f, f])];
    };
    // The next request goes out as soon as the answer is in, as a poller's would: the socket's close is a tick away.
    const next = await client.readRegisters(1, 'holding', 0, 1).then((v) => {
      assert.deepEqual(v, [7]);
      return client.readRegisters(1, 'holding', 0, 1).then(
        () => 'answered',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    });
    assert.equal(next, 'PortNotOpenError: the device sent what nobody asked for (an answer (transaction 1) came when nothing was asked)');
  });
});
