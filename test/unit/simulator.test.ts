/**
 * The built-in Modbus TCP simulator, checked with clients nobody on this project wrote (mbpoll on
 * libmodbus, modbus-serial) and with a raw socket for framing and fault injection; then the demo
 * plant's process and generated config.
 */
import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as readline from 'node:readline';
import * as net from 'node:net';
import { promisify } from 'node:util';
import ModbusRTU from 'modbus-serial';
import type { ByteOrder, ModbusDataType, ModbusTcpDeviceConfig, TagConfig } from '../../gateway/protocol';
import { BOILER_TAGS, DEMO_BOILER_ID, DEMO_TANK_ID, RunningDemoPlant, startDemoPlant, TANK_TAGS } from '../../gateway/sim/demoPlant';
import { ModbusTcpSimulator, parseHoleMap } from '../../gateway/sim/modbusServer';

const run = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// Helpers: a raw Modbus TCP client, request builders, polling without timing assertions
// ---------------------------------------------------------------------------------------------

class RawClient {
  private buf: Buffer = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      this.wake?.();
    });
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        this.wake?.();
        resolve();
      }),
    );
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits for `n` bytes and takes them. */
  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.closed) throw new Error(`connection closed with ${this.buf.length} of ${n} bytes`);
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** One MBAP frame, as its length field says. */
  async frame(): Promise<Buffer> {
    const head = await this.take(6);
    const rest = await this.take(head.readUInt16BE(4));
    return Buffer.concat([head, rest]);
  }

  get buffered(): number {
    return this.buf.length;
  }

  close(): void {
    this.socket.destroy();
  }
}

function adu(tid: number, unit: number, pdu: number[]): Buffer {
  const out = Buffer.alloc(7 + pdu.length);
  out.writeUInt16BE(tid, 0);
  out.writeUInt16BE(pdu.length + 1, 4);
  out[6] = unit;
  Buffer.from(pdu).copy(out, 7);
  return out;
}
const u16 = (v: number) => [v >> 8, v & 0xff];
const readHoldings = (tid: number, address: number, count: number, unit = 1) => adu(tid, unit, [3, ...u16(address), ...u16(count)]);

async function waitFor(cond: () => boolean): Promise<void> {
  // The mocha timeout is the deadline; this only polls.
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

async function client(port: number, unit = 1): Promise<ModbusRTU> {
  const c = new ModbusRTU();
  await c.connectTCP('127.0.0.1', { port });
  c.setID(unit);
  c.setTimeout(2000);
  return c;
}

function closeClient(c: ModbusRTU): Promise<void> {
  return new Promise((resolve) => (c.isOpen ? c.close(() => resolve()) : resolve()));
}

async function modbusCodeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (err) {
    return (err as { modbusCode?: number }).modbusCode ?? -1;
  }
  throw new Error('expected a Modbus exception, got an answer');
}

/** modbus-serial rejects with a plain object on timeouts, not an Error. */
const timedOut = (err: unknown) => (err as { name?: string }).name === 'TransactionTimedOutError';

async function mbpoll(port: number, args: string[]): Promise<string> {
  const { stdout } = await run('mbpoll', ['-m', 'tcp', '-p', String(port), '-a', '1', '-0', '-1', ...args], { timeout: 10_000 });
  return stdout;
}

function mbpollValues(out: string): number[] {
  return [...out.matchAll(/^\[(\d+)\]:\s+(-?\d+)/gm)].map((m) => Number(m[2]));
}

// ---------------------------------------------------------------------------------------------
// The simulator
// ---------------------------------------------------------------------------------------------

describe('ModbusTcpSimulator', () => {
  let sim: ModbusTcpSimulator;
  let port: number;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeEach(async () => {
    sim = new ModbusTcpSimulator();
    port = await sim.start();
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await sim.stop();
  });

  async function rawClient(): Promise<RawClient> {
    const c = await RawClient.connect(port);
    cleanups.push(() => c.close());
    return c;
  }

  async function mbClient(unit = 1): Promise<ModbusRTU> {
    const c = await client(port, unit);
    cleanups.push(() => closeClient(c));
    return c;
  }

  it('binds 127.0.0.1 on a free port and rejects bad options', () => {
    assert.ok(port > 0);
    assert.equal(sim.port, port);
    assert.throws(() => new ModbusTcpSimulator({ holdings: 70000 }), /holdings.*0-65536/);
    assert.throws(() => new ModbusTcpSimulator({ unitIds: [300] }), /Unit ids/);
    assert.throws(() => new ModbusTcpSimulator({ port: -1 }), /port/);
  });

  describe('with mbpoll (libmodbus) as the client', () => {
    it('reads holding and input registers, coils and discrete inputs', async () => {
      for (let i = 0; i < 10; i++) {
        sim.holdings[100 + i] = 1000 + i;
        sim.inputs[200 + i] = 2000 + i;
      }
      sim.coils[5] = 1;
      sim.coils[7] = 1;
      sim.discretes[3] = 1;
      assert.deepEqual(mbpollValues(await mbpoll(port, ['-t', '4', '-r', '100', '-c', '10', '127.0.0.1'])), [...Array(10).keys()].map((i) => 1000 + i));
      assert.deepEqual(mbpollValues(await mbpoll(port, ['-t', '3', '-r', '200', '-c', '10', '127.0.0.1'])), [...Array(10).keys()].map((i) => 2000 + i));
      assert.deepEqual(mbpollValues(await mbpoll(port, ['-t', '0', '-r', '4', '-c', '4', '127.0.0.1'])), [0, 1, 0, 1]);
      assert.deepEqual(mbpollValues(await mbpoll(port, ['-t', '1', '-r', '2', '-c', '3', '127.0.0.1'])), [0, 1, 0]);
    });

    it('applies writes of registers and coils', async () => {
      await mbpoll(port, ['-t', '4', '-r', '10', '127.0.0.1', '7']); // FC6
      await mbpoll(port, ['-t', '4', '-r', '20', '127.0.0.1', '1', '2', '65535']); // FC16
      await mbpoll(port, ['-t', '0', '-r', '30', '127.0.0.1', '1']); // FC5
      await mbpoll(port, ['-t', '0', '-r', '40', '127.0.0.1', '1', '0', '1']); // FC15
      assert.equal(sim.holdings[10], 7);
      assert.deepEqual([...sim.holdings.subarray(20, 23)], [1, 2, 65535]);
      assert.equal(sim.coils[30], 1);
      assert.deepEqual([...sim.coils.subarray(40, 43)], [1, 0, 1]);
    });

    it('reports an illegal data address past the end of the bank', async () => {
      await assert.rejects(mbpoll(port, ['-t', '4', '-r', '65530', '-c', '10', '127.0.0.1']), (err: { stdout?: string; stderr?: string }) =>
        /Illegal data address/i.test(`${err.stdout}${err.stderr}`),
      );
    });
  });

  describe('with modbus-serial as the client', () => {
    it('serves FC1-6, 15, 16, 22 and 23', async () => {
      const c = await mbClient();
      sim.coils.set([1, 0, 1, 1], 10);
      sim.discretes.set([0, 1, 1], 20);
      sim.holdings.set([11, 22, 33], 30);
      sim.inputs.set([44, 55], 40);
      assert.deepEqual((await c.readCoils(10, 4)).data.slice(0, 4), [true, false, true, true]);
      assert.deepEqual((await c.readDiscreteInputs(20, 3)).data.slice(0, 3), [false, true, true]);
      assert.deepEqual((await c.readHoldingRegisters(30, 3)).data, [11, 22, 33]);
      assert.deepEqual((await c.readInputRegisters(40, 2)).data, [44, 55]);

      const writes: string[] = [];
      sim.onWrite = (area, address, count) => writes.push(`${area}:${address}:${count}`);
      await c.writeCoil(50, true);
      await c.writeRegister(60, 0xbeef);
      await c.writeCoils(70, [true, true, false, true, false, false, false, false, true]);
      await c.writeRegisters(80, [1, 2, 3, 4]);
      sim.holdings[90] = 0x12;
      await c.maskWriteRegister(90, 0xf2, 0x25); // the example of the Modbus specification
      const rw = await new Promise<number[]>((resolve, reject) =>
        c.writeFC23(1, 80, 4, 82, 2, [7, 8], (err, res) => (err ? reject(err) : resolve(res.data))),
      );
      assert.equal(sim.coils[50], 1);
      assert.equal(sim.holdings[60], 0xbeef);
      assert.deepEqual([...sim.coils.subarray(70, 79)], [1, 1, 0, 1, 0, 0, 0, 0, 1]);
      assert.equal(sim.holdings[90], 0x17);
      assert.deepEqual(rw, [1, 2, 7, 8], 'FC23 writes before it reads');
      assert.deepEqual(writes, ['coil:50:1', 'holding:60:1', 'coil:70:9', 'holding:80:4', 'holding:90:1', 'holding:82:2']);
      assert.equal(sim.connectionCount, 1);
    });

    it('answers exceptions 1, 2 and 3', async () => {
      const c = await mbClient();
      assert.equal(await modbusCodeOf(c.customFunction(0x41, [])), 1);
      assert.equal(await modbusCodeOf(c.readHoldingRegisters(65535, 2)), 2);
      assert.equal(await modbusCodeOf(c.readCoils(65000, 1000)), 2);
      assert.equal(await modbusCodeOf(c.readHoldingRegisters(0, 126)), 3);
      assert.equal(await modbusCodeOf(c.readHoldingRegisters(0, 0)), 3);
      assert.equal(await modbusCodeOf(c.readDiscreteInputs(0, 2001)), 3);
      // The client still works after exceptions.
      assert.deepEqual((await c.readHoldingRegisters(0, 2)).data, [0, 0]);
    });

    it('checks bank sizes given in the options', async () => {
      const small = new ModbusTcpSimulator({ holdings: 10, coils: 8 });
      const p = await small.start();
      cleanups.push(() => small.stop());
      const c = await client(p);
      cleanups.push(() => closeClient(c));
      assert.deepEqual((await c.readHoldingRegisters(8, 2)).data, [0, 0]);
      assert.equal(await modbusCodeOf(c.readHoldingRegisters(9, 2)), 2);
      assert.equal(await modbusCodeOf(c.writeCoil(8, true)), 2);
    });
  });

  describe('a hole map', () => {
    it('answers exception 2 to mbpoll for any read touching a hole, and serves around it', async () => {
      sim.setHoles(parseHoleMap('holding:10-19,input:5,coil:8-9'));
      for (let i = 0; i < 30; i++) sim.holdings[i] = 100 + i;
      const illegal = (err: { stdout?: string; stderr?: string }) => /Illegal data address/i.test(`${err.stdout}${err.stderr}`);
      await assert.rejects(mbpoll(port, ['-t', '4', '-r', '5', '-c', '10', '127.0.0.1']), illegal); // 5-14
      await assert.rejects(mbpoll(port, ['-t', '4', '-r', '19', '-c', '1', '127.0.0.1']), illegal);
      await assert.rejects(mbpoll(port, ['-t', '3', '-r', '0', '-c', '6', '127.0.0.1']), illegal);
      await assert.rejects(mbpoll(port, ['-t', '0', '-r', '9', '-c', '1', '127.0.0.1']), illegal);
      assert.deepEqual(mbpollValues(await mbpoll(port, ['-t', '4', '-r', '5', '-c', '5', '127.0.0.1'])), [105, 106, 107, 108, 109]);
      assert.deepEqual(mbpollValues(await mbpoll(port, ['-t', '4', '-r', '20', '-c', '3', '127.0.0.1'])), [120, 121, 122]);
      assert.deepEqual(mbpollValues(await mbpoll(port, ['-t', '3', '-r', '0', '-c', '5', '127.0.0.1'])), [0, 0, 0, 0, 0]);
      // A hole is an address the device lacks: writes to it are refused too, and change nothing.
      await assert.rejects(mbpoll(port, ['-t', '4', '-r', '12', '127.0.0.1', '7']), illegal);
      assert.equal(sim.holdings[12], 112);
    });

    it('answers modbus-serial the same for every function code, logs every read, and can be cleared', async () => {
      const sim2 = new ModbusTcpSimulator({ holes: [{ area: 'holding', start: 100, end: 100 }, { area: 'discrete', start: 0, end: 0 }] });
      const p = await sim2.start();
      cleanups.push(() => sim2.stop());
      const reads: string[] = [];
      sim2.onRead = (area, address, count) => reads.push(`${area}:${address}+${count}`);
      const c = await client(p);
      cleanups.push(() => closeClient(c));
      assert.equal(await modbusCodeOf(c.readHoldingRegisters(99, 2)), 2);
      assert.equal((await c.readHoldingRegisters(101, 2)).data.length, 2);
      assert.equal(await modbusCodeOf(c.readDiscreteInputs(0, 8)), 2);
      assert.equal(await modbusCodeOf(c.writeRegister(100, 1)), 2);
      assert.equal(await modbusCodeOf(c.writeRegisters(98, [1, 2, 3])), 2);
      assert.equal(await modbusCodeOf(c.maskWriteRegister(100, 0, 1)), 2);
      assert.equal(await modbusCodeOf(c.readHoldingRegisters(0, 126)), 3, 'a bad count is exception 3 still');
      assert.deepEqual(reads, ['holding:99+2', 'holding:101+2', 'discrete:0+8']);
      sim2.setHoles([]);
      assert.equal((await c.readHoldingRegisters(99, 2)).data.length, 2);
    });

    it('parses hole maps and refuses bad ones', () => {
      assert.deepEqual(parseHoleMap('holding:10-19, input:5,coil:0-0'), [
        { area: 'holding', start: 10, end: 19 },
        { area: 'input', start: 5, end: 5 },
        { area: 'coil', start: 0, end: 0 },
      ]);
      assert.throws(() => parseHoleMap('register:5'), /'register:5' is not a hole/);
      assert.throws(() => parseHoleMap('holding:9-3'), /first <= last/);
      assert.throws(() => parseHoleMap('holding:65536'), /0-65535/);
      assert.throws(() => new ModbusTcpSimulator({ holes: [{ area: 'holding', start: -1, end: 2 }] }), /0-65535/);
    });

    it('comes from the command line: --holes', async function () {
      this.timeout(30_000);
      const cli = require.resolve('../../gateway/sim/cli.ts');
      const child = spawn(process.execPath, ['--import', 'tsx', cli, '--holes', 'holding:10-19,input:5'], { stdio: ['pipe', 'pipe', 'pipe'] });
      cleanups.push(async () => {
        if (child.exitCode === null) {
          child.stdin.end(); // the simulator ends when its parent's pipe closes
          await once(child, 'exit');
        }
      });
      const [line] = (await once(readline.createInterface({ input: child.stdout }), 'line')) as [string];
      const { ports } = JSON.parse(line) as { ports: number[] };
      assert.equal(ports.length, 1);
      const illegal = (err: { stdout?: string; stderr?: string }) => /Illegal data address/i.test(`${err.stdout}${err.stderr}`);
      await assert.rejects(mbpoll(ports[0]!, ['-t', '4', '-r', '0', '-c', '11', '127.0.0.1']), illegal);
      await assert.rejects(mbpoll(ports[0]!, ['-t', '3', '-r', '5', '127.0.0.1']), illegal);
      assert.deepEqual(mbpollValues(await mbpoll(ports[0]!, ['-t', '4', '-r', '0', '-c', '10', '127.0.0.1'])), new Array(10).fill(0));

      const bad = spawn(process.execPath, ['--import', 'tsx', cli, '--holes', 'holding:x'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      bad.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const [code] = (await once(bad, 'exit')) as [number];
      assert.equal(code, 2);
      assert.match(stderr, /--holes: 'holding:x' is not a hole/);
    });
  });

  describe('framing, on a raw socket', () => {
    it('rejects malformed request values with exception 3', async () => {
      const c = await rawClient();
      const cases: [string, number[]][] = [
        ['FC5 value not 0xFF00/0x0000', [5, 0, 1, 0x12, 0x34]],
        ['FC16 byte count mismatch', [16, 0, 0, 0, 2, 3, 0, 1, 0, 2]],
        ['FC15 byte count mismatch', [15, 0, 0, 0, 9, 1, 0xff]],
        ['FC16 count 0', [16, 0, 0, 0, 0, 0]],
        ['FC3 PDU too short', [3, 0, 0, 0]],
        ['FC23 write count 0', [23, 0, 0, 0, 1, 0, 0, 0, 0, 0]],
      ];
      for (const [i, [what, pdu]] of cases.entries()) {
        c.send(adu(i, 1, pdu));
        const res = await c.frame();
        assert.deepEqual([...res.subarray(7)], [pdu[0] | 0x80, 3], what);
        assert.equal(res.readUInt16BE(0), i);
      }
    });

    it('answers several frames that arrive in one segment, in order', async () => {
      const c = await rawClient();
      sim.holdings[1] = 0x1234;
      sim.coils[2] = 1;
      c.send(Buffer.concat([readHoldings(1, 1, 1), adu(2, 1, [1, 0, 2, 0, 1]), adu(3, 1, [6, 0, 9, 0, 5])]));
      assert.deepEqual([...(await c.frame())], [0, 1, 0, 0, 0, 5, 1, 3, 2, 0x12, 0x34]);
      assert.deepEqual([...(await c.frame())], [0, 2, 0, 0, 0, 4, 1, 1, 1, 1]);
      assert.deepEqual([...(await c.frame())], [0, 3, 0, 0, 0, 6, 1, 6, 0, 9, 0, 5]);
      assert.equal(sim.holdings[9], 5);
    });

    it('answers a frame split across several writes', async () => {
      const c = await rawClient();
      sim.holdings[7] = 77;
      const req = Buffer.concat([readHoldings(42, 7, 1), readHoldings(43, 7, 1)]);
      // Byte by byte, with a pause so the pieces arrive as separate segments.
      for (const byte of req) {
        c.send(Buffer.from([byte]));
        await new Promise((r) => setTimeout(r, 1));
      }
      assert.deepEqual([...(await c.frame())], [0, 42, 0, 0, 0, 5, 1, 3, 2, 0, 77]);
      assert.deepEqual([...(await c.frame())], [0, 43, 0, 0, 0, 5, 1, 3, 2, 0, 77]);
    });

    it('closes a connection that sends a malformed frame and keeps serving the others', async () => {
      const good = await rawClient();
      for (const bad of [
        Buffer.from([0, 1, 0, 7, 0, 6, 1, 3, 0, 0, 0, 1]), // protocol id 7
        Buffer.from([0, 1, 0, 0, 0, 1, 1]), // length 1: no function code
        Buffer.from([0, 1, 0, 0, 0x10, 0, 1, 3]), // length 4096
      ]) {
        const c = await rawClient();
        c.send(bad);
        await c.closedPromise;
        assert.equal(c.buffered, 0, 'no answer to a malformed frame');
      }
      good.send(readHoldings(5, 0, 1));
      assert.deepEqual([...(await good.frame())], [0, 5, 0, 0, 0, 5, 1, 3, 2, 0, 0]);
      await waitFor(() => sim.connectionCount === 1);
    });

    it('answers only the configured unit ids', async () => {
      const only = new ModbusTcpSimulator({ unitIds: [3] });
      const p = await only.start();
      cleanups.push(() => only.stop());
      const c = await RawClient.connect(p);
      cleanups.push(() => c.close());
      c.send(Buffer.concat([readHoldings(1, 0, 1, 1), readHoldings(2, 0, 1, 3)]));
      const res = await c.frame();
      assert.equal(res.readUInt16BE(0), 2, 'the request to unit 1 got no answer');
      assert.equal(only.requestCount, 2);
    });
  });

  describe('stop and restart', () => {
    it('drops every client on stop and serves again on the same port', async () => {
      const a = await rawClient();
      const b = await mbClient();
      await waitFor(() => sim.connectionCount === 2);
      await sim.stop();
      await a.closedPromise;
      assert.equal(sim.connectionCount, 0);
      await assert.rejects(client(port), /ECONNREFUSED/);

      sim.holdings[0] = 99;
      assert.equal(await sim.start(), port);
      const c = await mbClient();
      assert.deepEqual((await c.readHoldingRegisters(0, 1)).data, [99]);
      assert.equal(b.isOpen, false, 'the old modbus-serial connection was closed');
      await sim.stop();
      await sim.stop(); // twice is harmless
      assert.equal(await sim.start(), port);
    });

    it('gives a clear error when the port is taken', async () => {
      const other = new ModbusTcpSimulator({ port });
      await assert.rejects(other.start(), new RegExp(`could not listen on 127\\.0\\.0\\.1:${port}.*EADDRINUSE`));
    });
  });

  describe('fault injection', () => {
    it('exception: answers the given code and applies nothing', async () => {
      const c = await mbClient();
      sim.fault = { exception: 4 };
      assert.equal(await modbusCodeOf(c.writeRegister(3, 9)), 4);
      assert.equal(await modbusCodeOf(c.readCoils(0, 1)), 4);
      assert.equal(sim.holdings[3], 0);
      sim.fault = null;
      await c.writeRegister(3, 9);
      assert.equal(sim.holdings[3], 9);
    });

    it('silent: no answer, while the request is still carried out', async () => {
      const c = await rawClient();
      sim.fault = 'silent';
      c.send(adu(1, 1, [6, 0, 4, 0, 8]));
      await waitFor(() => sim.requestCount === 1);
      sim.fault = null;
      c.send(readHoldings(2, 4, 1));
      const res = await c.frame();
      assert.equal(res.readUInt16BE(0), 2, 'the first answer on the wire is for the second request');
      assert.equal(res.readUInt16BE(9), 8);
    });

    it('silent: modbus-serial times out', async () => {
      const c = await mbClient();
      c.setTimeout(200);
      sim.fault = 'silent';
      await assert.rejects(c.readHoldingRegisters(0, 1), timedOut);
    });

    it('wrong-transaction-id: the correct answer under another id', async () => {
      const c = await rawClient();
      sim.holdings[0] = 0xabcd;
      sim.fault = 'wrong-transaction-id';
      c.send(readHoldings(0x0102, 0, 1));
      const res = await c.frame();
      assert.notEqual(res.readUInt16BE(0), 0x0102);
      assert.deepEqual([...res.subarray(2)], [0, 0, 0, 5, 1, 3, 2, 0xab, 0xcd]);
    });

    it('short-frame: a consistent frame whose PDU lacks its tail', async () => {
      const c = await rawClient();
      sim.fault = 'short-frame';
      c.send(readHoldings(9, 0, 10));
      const res = await c.frame();
      assert.equal(res.readUInt16BE(0), 9);
      assert.equal(res[7], 3);
      assert.equal(res[8], 20, 'byte count as announced');
      assert.ok(res.length - 9 < 20, `only ${res.length - 9} data bytes follow`);
      sim.fault = null;
      c.send(readHoldings(10, 0, 1));
      assert.equal((await c.frame()).readUInt16BE(0), 10, 'the stream stays in step');
    });

    it('garbage: bytes that are no Modbus answer', async () => {
      const c = await rawClient();
      sim.fault = 'garbage';
      c.send(readHoldings(1, 0, 1));
      await waitFor(() => sim.requestCount === 1);
      sim.fault = null;
      c.send(readHoldings(2, 0, 1));
      const expected = Buffer.from([0, 2, 0, 0, 0, 5, 1, 3, 2, 0, 0]);
      await waitFor(() => c.buffered >= 9 + expected.length);
      const all = await c.take(c.buffered);
      assert.deepEqual(all.subarray(all.length - expected.length), expected);
      const junk = all.subarray(0, all.length - expected.length);
      assert.ok(junk.length >= 9 && junk.length <= 16, `garbage of ${junk.length} bytes`);
      assert.notEqual(junk.readUInt16BE(2), 0, 'protocol id is not Modbus');
    });
  });

  it('measures the time per request (1000 sequential FC3 reads of 10 registers)', async function () {
    const c = await rawClient();
    for (let i = 0; i < 10; i++) sim.holdings[i] = i;
    const expected = [0, 0, 0, 0, 0, 23, 1, 3, 20, ...[...Array(10).keys()].flatMap((i) => [0, i])];
    const times: number[] = [];
    for (let i = 0; i < 1100; i++) {
      const tid = i & 0xffff;
      const t0 = process.hrtime.bigint();
      c.send(readHoldings(tid, 0, 10));
      const res = await c.frame();
      const t1 = process.hrtime.bigint();
      expected[0] = tid >> 8;
      expected[1] = tid & 0xff;
      assert.deepEqual([...res], expected);
      if (i >= 100) times.push(Number(t1 - t0) / 1000); // the first 100 warm up
    }
    times.sort((a, b) => a - b);
    const at = (q: number) => times[Math.floor(q * (times.length - 1))].toFixed(1);
    console.log(`      round trip per FC3 request: median ${at(0.5)} µs, p90 ${at(0.9)} µs, p99 ${at(0.99)} µs (${this.test?.title})`);
  });
});

// ---------------------------------------------------------------------------------------------
// The demo plant
// ---------------------------------------------------------------------------------------------

/** Decodes registers with Node's own Buffer readers, independently of the plant's encoder. */
function decode(tag: TagConfig, regs: number[]): number | bigint | string {
  const buf = Buffer.alloc(regs.length * 2);
  regs.forEach((r, i) => buf.writeUInt16BE(r, 2 * i));
  const order: ByteOrder = tag.byteOrder ?? 'ABCD';
  if (tag.type === 'string') return buf.toString('latin1').replace(/\0+$/, '');
  if (order === 'CDAB' || order === 'DCBA') {
    const words = [...Array(regs.length).keys()].map((i) => buf.subarray(2 * i, 2 * i + 2)).reverse();
    Buffer.concat(words).copy(buf);
  }
  if (order === 'BADC' || order === 'DCBA') buf.swap16();
  const scaled = (raw: number) => raw * (tag.scale ?? 1) + (tag.offset ?? 0);
  switch (tag.type ?? 'uint16') {
    case 'int16':
      return scaled(buf.readInt16BE(0));
    case 'uint16':
      return scaled(buf.readUInt16BE(0));
    case 'int32':
      return scaled(buf.readInt32BE(0));
    case 'uint32':
      return scaled(buf.readUInt32BE(0));
    case 'float32':
      return scaled(buf.readFloatBE(0));
    case 'float64':
      return scaled(buf.readDoubleBE(0));
    case 'int64':
      return buf.readBigInt64BE(0);
    case 'uint64':
      return buf.readBigUInt64BE(0);
    default:
      throw new Error(`no decoder for ${tag.type}`);
  }
}

const WORDS: Record<ModbusDataType, number> = { bool: 1, int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, int64: 4, uint64: 4, float64: 4, string: 0 };

/** Reads one tag through Modbus with modbus-serial. */
async function readTag(c: ModbusRTU, tag: TagConfig): Promise<number | bigint | string | boolean> {
  if (typeof tag.address !== 'number') throw new Error(`the demo plant's tag ${tag.name} should have a numeric address`);
  const address = tag.address;
  if (tag.area === 'coil') return (await c.readCoils(address, 1)).data[0]!;
  if (tag.area === 'discrete') return (await c.readDiscreteInputs(address, 1)).data[0]!;
  const count = tag.type === 'string' ? tag.length ?? 1 : WORDS[tag.type ?? 'uint16'];
  const res = tag.area === 'holding' ? await c.readHoldingRegisters(address, count) : await c.readInputRegisters(address, count);
  if (tag.type === 'bool') return ((res.data[0] >> (tag.bit ?? 0)) & 1) === 1;
  return decode(tag, res.data);
}

describe('demo plant', () => {
  let plant: RunningDemoPlant;
  let clock: number;
  const clients: ModbusRTU[] = [];

  function device(id: string): ModbusTcpDeviceConfig {
    const d = plant.devices.find((x) => x.id === id);
    assert.ok(d, `device ${id}`);
    return d;
  }

  function tagOf(id: string, name: string): TagConfig & { address: number } {
    const t = device(id).tags?.find((x) => x.name === name);
    assert.ok(t, `tag ${name} of ${id}`);
    assert.equal(typeof t.address, 'number', `the plant gives ${name} a numeric address`);
    return t as TagConfig & { address: number };
  }

  async function connect(id: string): Promise<ModbusRTU> {
    const d = device(id);
    const c = await client(d.port!, d.unitId);
    clients.push(c);
    return c;
  }

  async function read(c: ModbusRTU, id: string, name: string) {
    return readTag(c, tagOf(id, name));
  }

  /** Advances simulated time by `seconds`, ticking once per simulated second. */
  function advance(seconds: number): void {
    for (let i = 0; i < seconds; i++) {
      clock += 1000;
      plant.tick();
    }
  }

  beforeEach(async () => {
    clock = 1_700_000_000_000;
    plant = await startDemoPlant({ tickMs: 0, now: () => clock, opcua: false });
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await closeClient(c);
    await plant.stop();
  });

  it('describes two Modbus TCP devices on 127.0.0.1 with every data type and byte order', () => {
    assert.deepEqual(plant.devices.map((d) => [d.id, d.name]), [
      [DEMO_TANK_ID, 'Tank Farm PLC'],
      [DEMO_BOILER_ID, 'Boiler Controller'],
    ]);
    const tags = plant.devices.flatMap((d) => d.tags ?? []);
    for (const d of plant.devices) {
      assert.equal(d.protocol, 'modbus-tcp');
      assert.equal(d.host, '127.0.0.1');
      assert.ok(d.pollIntervalMs! >= 250 && d.pollIntervalMs! <= 500);
      assert.equal(new Set(d.tags!.map((t) => t.name)).size, d.tags!.length, 'tag names are unique per device');
    }
    assert.notEqual(plant.devices[0].port, plant.devices[1].port);
    const types = new Set(tags.map((t) => t.type));
    for (const type of Object.keys(WORDS)) assert.ok(types.has(type as ModbusDataType), `type ${type} is used`);
    const orders = new Set(tags.filter((t) => WORDS[t.type ?? 'uint16'] > 1).map((t) => t.byteOrder));
    for (const order of ['ABCD', 'BADC', 'CDAB', 'DCBA']) assert.ok(orders.has(order as ByteOrder), `byte order ${order} is used`);
    assert.ok(tags.some((t) => t.area === 'holding' && t.type === 'bool' && t.bit !== undefined), 'a status bit');
    assert.ok(tags.some((t) => t.area === 'discrete'));
    for (const t of tags) assert.ok(t.description, `${t.name} has a description`);
    assert.deepEqual(Object.values(TANK_TAGS).sort(), device(DEMO_TANK_ID).tags!.map((t) => t.name).sort());
    assert.deepEqual(Object.values(BOILER_TAGS).sort(), device(DEMO_BOILER_ID).tags!.map((t) => t.name).sort());
    const writable = tags.filter((t) => t.access === 'readwrite').map((t) => t.name);
    assert.deepEqual(writable.sort(), [BOILER_TAGS.burnerEnable, BOILER_TAGS.highLimit, BOILER_TAGS.setpoint].sort());
    assert.equal(device(DEMO_BOILER_ID).allowWrites, true);
    assert.equal(device(DEMO_TANK_ID).allowWrites, false);
  });

  it('serves every tag of the generated config, with plausible values', async () => {
    advance(5);
    for (const d of plant.devices) {
      const c = await connect(d.id);
      for (const tag of d.tags!) {
        const v = await readTag(c, tag);
        if (typeof v === 'number') assert.ok(Number.isFinite(v), `${d.id}/${tag.name} = ${v}`);
      }
    }
    const tank = clients[0];
    const boiler = clients[1];
    const level = (await read(tank, DEMO_TANK_ID, TANK_TAGS.level)) as number;
    assert.ok(level > 40 && level < 60, `level ${level}`);
    const inlet = (await read(tank, DEMO_TANK_ID, TANK_TAGS.inletFlow)) as number;
    assert.ok(inlet > 50 && inlet < 70, `inlet flow ${inlet}`);
    assert.equal(await read(tank, DEMO_TANK_ID, TANK_TAGS.serialNumber), 'TF-PLC-2291-0047');
    assert.equal(await read(tank, DEMO_TANK_ID, TANK_TAGS.pumpStarts), 4182);
    assert.equal(await read(tank, DEMO_TANK_ID, TANK_TAGS.estopOk), true);
    assert.equal(await read(boiler, DEMO_BOILER_ID, BOILER_TAGS.serialNumber), 'BLR-7741-A02-118');
    // The setpoint as the specification encodes float32 70.0, independent of any decoder.
    assert.deepEqual((await boiler.readHoldingRegisters(tagOf(DEMO_BOILER_ID, BOILER_TAGS.setpoint).address, 2)).data, [0x428c, 0x0000]);
    const pressure = (await read(boiler, DEMO_BOILER_ID, BOILER_TAGS.pressure)) as number;
    assert.ok(pressure > 1 && pressure < 4, `pressure ${pressure}`);
    assert.equal(typeof (await read(boiler, DEMO_BOILER_ID, BOILER_TAGS.energyTotal)), 'bigint');
  });

  it('answers only its own unit id', async () => {
    const c = await client(device(DEMO_TANK_ID).port!, 9);
    clients.push(c);
    c.setTimeout(200);
    await assert.rejects(c.readInputRegisters(0, 2), timedOut);
  });

  it('fills and drains the tank by hysteresis over simulated time', async () => {
    const c = await connect(DEMO_TANK_ID);
    const levels: number[] = [];
    const pump: boolean[] = [];
    const alarms = { high: false, low: false };
    let doorOpened = false;
    for (let s = 0; s < 900; s += 5) {
      advance(5);
      levels.push((await read(c, DEMO_TANK_ID, TANK_TAGS.level)) as number);
      pump.push((await read(c, DEMO_TANK_ID, TANK_TAGS.pumpRunning)) as boolean);
      alarms.high ||= (await read(c, DEMO_TANK_ID, TANK_TAGS.highLevelAlarm)) as boolean;
      alarms.low ||= (await read(c, DEMO_TANK_ID, TANK_TAGS.lowLevelAlarm)) as boolean;
      doorOpened ||= !(await read(c, DEMO_TANK_ID, TANK_TAGS.doorClosed));
    }
    assert.ok(Math.max(...levels) >= 84 && Math.max(...levels) <= 90, `max level ${Math.max(...levels)}`);
    assert.ok(Math.min(...levels) >= 10 && Math.min(...levels) <= 16, `min level ${Math.min(...levels)}`);
    const starts = pump.filter((on, i) => on && i > 0 && !pump[i - 1]).length;
    assert.ok(starts >= 2, `pump started ${starts} times`);
    assert.equal(await read(c, DEMO_TANK_ID, TANK_TAGS.pumpStarts), 4182 + starts);
    assert.deepEqual(alarms, { high: true, low: true });
    assert.ok(doorOpened, 'the door opens on the operator round');
    const total = (await read(c, DEMO_TANK_ID, TANK_TAGS.inletTotal)) as number;
    assert.ok(total > 12873.4 + 5, `inlet total ${total}`);
  });

  it('steps by elapsed time, whatever the tick rate', async () => {
    // Same 60 s of process, once in one late tick and once in 600 on-time ticks.
    const c = await connect(DEMO_TANK_ID);
    clock += 60_000;
    plant.tick();
    const oneTick = (await read(c, DEMO_TANK_ID, TANK_TAGS.level)) as number;
    const other = await startDemoPlant({ tickMs: 0, now: () => clock, opcua: false });
    try {
      const c2 = await client(other.devices[0].port!, other.devices[0].unitId);
      clients.push(c2);
      for (let i = 0; i < 600; i++) {
        clock += 100;
        other.tick();
      }
      const manyTicks = (await readTag(c2, tagOf(DEMO_TANK_ID, TANK_TAGS.level))) as number;
      assert.ok(Math.abs(oneTick - manyTicks) < 0.01, `${oneTick} vs ${manyTicks}`);
      assert.ok(oneTick > 52, `level rose to ${oneTick}`);
    } finally {
      await other.stop();
    }
  });

  it('follows a setpoint written over Modbus, and cools when the burner is disabled', async () => {
    const c = await connect(DEMO_BOILER_ID);
    const temperature = async () => (await read(c, DEMO_BOILER_ID, BOILER_TAGS.temperature)) as number;
    const sp = tagOf(DEMO_BOILER_ID, BOILER_TAGS.setpoint);
    const writeSetpoint = async (v: number) => {
      const b = Buffer.alloc(4);
      b.writeFloatBE(v);
      await c.writeRegisters(sp.address, [b.readUInt16BE(0), b.readUInt16BE(2)]);
    };

    advance(120);
    let t = await temperature();
    assert.ok(Math.abs(t - 70) <= 1.5, `holds 70 °C: ${t}`);

    await writeSetpoint(45);
    advance(300);
    t = await temperature();
    assert.ok(Math.abs(t - 45) <= 1.5, `follows 45 °C: ${t}`);

    const energyBefore = (await read(c, DEMO_BOILER_ID, BOILER_TAGS.energyTotal)) as bigint;
    const runtimeBefore = (await read(c, DEMO_BOILER_ID, BOILER_TAGS.burnerRuntime)) as bigint;
    await writeSetpoint(85);
    advance(300);
    t = await temperature();
    assert.ok(Math.abs(t - 85) <= 1.5, `follows 85 °C: ${t}`);
    assert.ok((await read(c, DEMO_BOILER_ID, BOILER_TAGS.energyTotal)) as bigint > energyBefore, 'energy counts up');
    assert.ok((await read(c, DEMO_BOILER_ID, BOILER_TAGS.burnerRuntime)) as bigint > runtimeBefore, 'runtime counts up');
    const flue = (await read(c, DEMO_BOILER_ID, BOILER_TAGS.flueTemperature)) as number;
    assert.ok(flue > t, `flue gas hotter than the water: ${flue}`);

    await c.writeCoil(tagOf(DEMO_BOILER_ID, BOILER_TAGS.burnerEnable).address, false);
    advance(60);
    assert.equal(await read(c, DEMO_BOILER_ID, BOILER_TAGS.burnerOn), false);
    assert.equal(await read(c, DEMO_BOILER_ID, BOILER_TAGS.flameDetected), false);
    assert.ok((await temperature()) < t - 10, 'cools down without the burner');
    assert.equal(((await read(c, DEMO_BOILER_ID, BOILER_TAGS.statusWord)) as number) & 4, 4, 'status shows burner disabled');
  });

  it('raises the overtemperature bit above 95 °C and respects the high limit', async () => {
    const c = await connect(DEMO_BOILER_ID);
    const sp = tagOf(DEMO_BOILER_ID, BOILER_TAGS.setpoint);
    const b = Buffer.alloc(4);
    b.writeFloatBE(104);
    await c.writeRegisters(sp.address, [b.readUInt16BE(0), b.readUInt16BE(2)]);
    await c.writeRegister(tagOf(DEMO_BOILER_ID, BOILER_TAGS.highLimit).address, 1000); // 100.0 °C
    advance(400);
    const t = (await read(c, DEMO_BOILER_ID, BOILER_TAGS.temperature)) as number;
    assert.ok(t > 95 && t < 101, `stops at the high limit: ${t}`);
    assert.equal(await read(c, DEMO_BOILER_ID, BOILER_TAGS.overtempAlarm), true);
  });

  it('moves by itself on its timer, by the time its clock says passed', async () => {
    // The same minute of process: once stepped by hand (the plant of beforeEach), once left to
    // the live plant's own timer. Its clock stands still until the test moves it.
    let liveClock = clock;
    const live = await startDemoPlant({ tickMs: 20, now: () => liveClock, opcua: false });
    try {
      const d = live.devices[0];
      const c = await client(d.port!, d.unitId);
      clients.push(c);
      const level = tagOf(DEMO_TANK_ID, TANK_TAGS.level);
      const first = (await readTag(c, level)) as number;
      liveClock += 60_000;
      let now = first;
      while (now === first) {
        await new Promise((r) => setTimeout(r, 20));
        now = (await readTag(c, level)) as number;
      }
      const byHand = await connect(DEMO_TANK_ID);
      assert.equal(await read(byHand, DEMO_TANK_ID, TANK_TAGS.level), first, 'both plants start alike');
      clock += 60_000;
      plant.tick();
      const expected = (await read(byHand, DEMO_TANK_ID, TANK_TAGS.level)) as number;
      assert.ok(Math.abs(now - expected) < 0.01, `the timer stepped the level to ${now}, a minute by hand to ${expected}`);
    } finally {
      await live.stop();
    }
  });
});
