/**
 * The register inspector's requests through the built gateway: readRange and probe against our
 * simulator with a hole map (TCP), the parameter and device errors, and readRange of an RTU
 * device over a socat pty pair.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import type { Duplex } from 'node:stream';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { ErrorCodes, type DeviceListResult, type ModbusProbeResult, type ModbusReadRangeResult } from '../../gateway/protocol';
import { serialOpener } from '../../gateway/modbus/rtuStreams';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import { RtuSimulator } from '../../gateway/sim/rtuSimulator';
import { PtyPair, rpcError, startGateway, tcpDevice, waitFor } from './harness';

const HOLES = [
  { area: 'holding' as const, start: 100, end: 104 },
  { area: 'holding' as const, start: 700, end: 700 },
  { area: 'holding' as const, start: 1500, end: 1502 },
];
const inHole = (a: number) => HOLES.some((h) => a >= h.start && a <= h.end);

describe('register inspector: bifrost/modbus/readRange and bifrost/modbus/probe', function () {
  this.timeout(30_000);
  let gw: GatewayProcess;
  let sim: ModbusTcpSimulator;
  let reads: [number, number][];
  const connected = (id: string) =>
    waitFor(`${id} connected`, async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices.find((d) => d.id === id)?.status === 'connected');

  beforeEach(async () => {
    reads = [];
    sim = new ModbusTcpSimulator({ holes: HOLES, holdings: 4000 });
    sim.holdings.forEach((_, i, a) => (a[i] = (i * 13) & 0xffff));
    sim.onRead = (area, address, count) => {
      if (area === 'holding') reads.push([address, count]);
    };
    const port = await sim.start();
    gw = await startGateway();
    await gw.connection.sendRequest('bifrost/config/load', {
      devices: [
        tcpDevice('plc', port, { maxRegistersPerRead: 100 }),
        tcpDevice('off', port, { enabled: false }),
        { id: 'ua', protocol: 'opcua', endpointUrl: 'opc.tcp://127.0.0.1:1' },
      ],
    });
    await connected('plc');
    reads = [];
  });
  afterEach(async () => {
    await gw.close();
    await sim.stop();
  });

  it('readRange returns every register, null exactly in the holes, in requests no longer than the device reads', async () => {
    const r = await gw.connection.sendRequest<ModbusReadRangeResult>('bifrost/modbus/readRange', { deviceId: 'plc', area: 'holding', start: 0, count: 2000 });
    assert.deepEqual([r.area, r.start, r.count, r.values.length], ['holding', 0, 2000, 2000]);
    for (let a = 0; a < 2000; a++) assert.equal(r.values[a], inHole(a) ? null : (a * 13) & 0xffff, `holding ${a}`);
    assert.deepEqual(r.errors.map((e) => [e.start, e.count, e.exception]), [[100, 5, 2], [700, 1, 2], [1500, 3, 2]]);
    assert.equal(r.requests, reads.length, 'every request counted reached the device');
    assert.ok(reads.every(([, n]) => n <= 100), 'maxRegistersPerRead is kept');
    // 20 blocks, and a bisection down to single addresses around each hole.
    assert.ok(r.requests <= 20 + 2 * 9 * Math.ceil(Math.log2(100)), `${r.requests} requests`);

    // Learnt: the holes are read alone now, the rest in whole blocks.
    reads = [];
    const again = await gw.connection.sendRequest<ModbusReadRangeResult>('bifrost/modbus/readRange', { deviceId: 'plc', area: 'holding', start: 0, count: 2000 });
    assert.deepEqual(again.values, r.values);
    assert.ok(again.requests <= 20 + 2 * HOLES.length + 3, `${again.requests} requests the second time`);
    assert.equal(again.requests, reads.length);
  });

  it('probe finds exactly the holes, in few requests', async () => {
    const r = await gw.connection.sendRequest<ModbusProbeResult>('bifrost/modbus/probe', { deviceId: 'plc', area: 'holding', start: 0, count: 4000 });
    assert.deepEqual(r.absent, [[100, 104], [700, 700], [1500, 1502]]);
    assert.deepEqual(r.present, [[0, 99], [105, 699], [701, 1499], [1503, 3999]]);
    assert.deepEqual(r.failed, []);
    assert.equal(r.requests, reads.length);
    // 40 blocks of 100; each of the 9 missing addresses costs at most two reads per halving.
    assert.ok(r.requests <= 40 + 2 * 9 * Math.ceil(Math.log2(100)), `${r.requests} requests`);
    assert.ok(r.requests < 200, `${r.requests} requests, far fewer than one per address`);
  });

  it('probe: a gateway without the unit (exception 11) fails the range, saying so; nothing is taken as absent', async () => {
    sim.fault = { exception: 11 };
    const r = await gw.connection.sendRequest<ModbusProbeResult>('bifrost/modbus/probe', { deviceId: 'plc', area: 'holding', start: 0, count: 10 });
    sim.fault = null;
    assert.deepEqual([r.present, r.absent], [[], []]);
    assert.deepEqual(r.failed.map((e) => [e.start, e.count, e.exception]), [[0, 10, 11]]);
    assert.equal(r.failed[0]!.message, 'plc: Modbus exception 11 (gateway target device failed to respond: a gateway answered, no such unit behind it answers) reading holding registers 0-9');
  });

  it('a range past the bank is absent; bits read as 0/1', async () => {
    const tail = await gw.connection.sendRequest<ModbusProbeResult>('bifrost/modbus/probe', { deviceId: 'plc', area: 'holding', start: 3990, count: 20 });
    assert.deepEqual([tail.present, tail.absent], [[[3990, 3999]], [[4000, 4009]]]);
    sim.coils[3] = 1;
    const bits = await gw.connection.sendRequest<ModbusReadRangeResult>('bifrost/modbus/readRange', { deviceId: 'plc', area: 'coil', start: 0, count: 5 });
    assert.deepEqual(bits.values, [0, 0, 0, 1, 0]);
  });

  it('bad params are InvalidParams saying what is expected; unknown, disabled and OPC UA devices are refused clearly', async () => {
    const cases: [string, Record<string, unknown>, number, RegExp][] = [
      ['bifrost/modbus/readRange', { deviceId: 'plc', area: 'holdings', start: 0, count: 1 }, ErrorCodes.InvalidParams, /"area" must be one of "holding", "input", "coil", "discrete"/],
      ['bifrost/modbus/readRange', { deviceId: 'plc', area: 'holding', start: 0, count: 4001 }, ErrorCodes.InvalidParams, /"count" must be a whole number from 1 to 4000/],
      ['bifrost/modbus/probe', { deviceId: 'plc', area: 'discrete', start: 1.5, count: 1 }, ErrorCodes.InvalidParams, /"start" must be a whole number from 0 to 65535/],
      ['bifrost/modbus/probe', { deviceId: 'plc', area: 'input', start: 65530, count: 10 }, ErrorCodes.InvalidParams, /must be at most 65536 \(got 65540\)/],
      ['bifrost/modbus/readRange', { deviceId: 'nope', area: 'holding', start: 0, count: 1 }, ErrorCodes.UnknownDevice, /unknown device "nope"/],
      ['bifrost/modbus/readRange', { deviceId: 'off', area: 'holding', start: 0, count: 1 }, ErrorCodes.DeviceUnavailable, /^off: disabled in the configuration/],
      ['bifrost/modbus/probe', { deviceId: 'ua', area: 'holding', start: 0, count: 1 }, ErrorCodes.NotSupported, /^ua: bifrost\/modbus\/probe is for Modbus devices; OPC UA devices have no registers/],
    ];
    for (const [method, params, code, message] of cases) {
      const err = await rpcError(gw.connection.sendRequest(method, params));
      assert.equal(err.code, code, `${method} ${JSON.stringify(params)}: ${err.message}`);
      assert.match(err.message, message);
    }
    assert.deepEqual(reads, [], 'nothing was sent for a refused request');
  });
});

const hasSocat = spawnSync('socat', ['-V']).status === 0;
(hasSocat ? describe : describe.skip)(`register inspector on a Modbus RTU device${hasSocat ? '' : ': SKIPPED, socat is not installed'}`, function () {
  this.timeout(30_000);
  let gw: GatewayProcess;
  let pty: PtyPair;
  let sim: RtuSimulator;
  let far: Duplex;

  beforeEach(async () => {
    pty = new PtyPair();
    await pty.start();
    sim = new RtuSimulator([1], { holdings: 300, holes: [{ area: 'holding', start: 50, end: 51 }] });
    sim.unit(1).holdings.forEach((_, i, arr) => (arr[i] = 1000 + i));
    far = await serialOpener({ path: pty.b, baudRate: 115_200, parity: 'none' })();
    sim.serve(far);
    gw = await startGateway();
  });
  afterEach(async () => {
    await gw.close();
    await sim.stop();
    await pty.stop(['self']);
  });

  it('readRange reads the registers over the serial line, null in the hole', async () => {
    await gw.connection.sendRequest('bifrost/config/load', {
      devices: [{ id: 'rtu', protocol: 'modbus-rtu', serialPath: pty.a, baudRate: 115_200, parity: 'none', unitId: 1, timeoutMs: 300 }],
    });
    await waitFor('rtu connected', async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices[0]?.status === 'connected');
    const r = await gw.connection.sendRequest<ModbusReadRangeResult>('bifrost/modbus/readRange', { deviceId: 'rtu', area: 'holding', start: 0, count: 300 });
    assert.deepEqual(r.values, Array.from({ length: 300 }, (_, i) => (i === 50 || i === 51 ? null : 1000 + i)));
    assert.deepEqual(r.errors.map((e) => [e.start, e.count, e.exception]), [[50, 2, 2]]);
    assert.equal(sim.badRequestCount, 0);
  });
});
